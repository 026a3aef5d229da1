"""Difficulty retargeting: how the target follows the network's hash rate.

Bitcoin's rule (``CalculateNextWorkRequired`` in Bitcoin Core's ``src/pow.cpp``), with the
edu-regtest numbers of :class:`~edu_chain.chain.params.ChainParams`:

1. The target stays the same inside a window of ``retarget_interval`` blocks (10).
2. The block that starts a new window (height a multiple of the interval) gets a new target::

       actual   = timestamp(last block of the window) - timestamp(block one window earlier)
       actual   = clamp(actual, expected / 4, expected * 4)       # the factor-4 clamp
       new      = old_target * actual / expected                  # blocks too fast -> smaller
       new      = min(new, pow_limit)                             # never easier than the limit

   where ``expected = retarget_interval * target_spacing``.  A smaller target is *harder*.

Bitcoin measures the window from its first block, so it sees only ``interval - 1`` gaps (the
famous off-by-one).  We measure from the last block of the previous window, so a window
contains exactly ``interval`` gaps.  One exception: the genesis timestamp is fixed in the past
and says nothing about today's miners, so the first window starts at block 1 and its shorter
span is scaled up to a full window (``span * interval / gaps``): the rule really compares the
*average* gap between blocks with ``target_spacing``.  The result is rounded through the
compact encoding (``target_to_bits``), as Bitcoin does.
"""

from __future__ import annotations

from edu_chain.chain.params import ChainParams
from edu_chain.pow.target import bits_to_target, target_to_bits


def is_retarget_height(height: int, params: ChainParams) -> bool:
    """True when the block at ``height`` starts a new difficulty window."""
    return height > 0 and height % params.retarget_interval == 0


def clamp_timespan(actual_timespan: int, params: ChainParams) -> int:
    """Limit a window's measured duration to ``[expected / clamp, expected * clamp]``."""
    expected = params.target_timespan
    low = expected // params.retarget_clamp
    high = expected * params.retarget_clamp
    return max(low, min(actual_timespan, high))


def retarget(old_bits: int, actual_timespan: int, params: ChainParams) -> int:
    """The compact target for the next window, given how long the last window took.

    >>> p = ChainParams.edu_regtest()
    >>> hex(retarget(0x1E00FFFF, p.target_timespan // 2, p))   # twice too fast: target halves
    '0x1d7fff80'
    """
    timespan = clamp_timespan(actual_timespan, params)
    new_target = bits_to_target(old_bits) * timespan // params.target_timespan
    return target_to_bits(min(new_target, params.pow_limit))


def window_start_height(height: int, params: ChainParams) -> int:
    """Height of the block whose timestamp starts the window measured at ``height``."""
    return max(1, height - 1 - params.retarget_interval)


def next_bits(
    height: int,
    prev_bits: int,
    prev_timestamp: int,
    window_start_timestamp: int | None,
    params: ChainParams,
) -> int:
    """The ``bits`` a block at ``height`` must carry.

    ``prev_*`` describe its parent (height - 1); ``window_start_timestamp`` is the timestamp
    of the block at :func:`window_start_height`, needed only at a retarget height.
    """
    if height == 0:
        return params.genesis_bits
    if not is_retarget_height(height, params):
        return prev_bits
    if window_start_timestamp is None:
        raise ValueError(f"height {height} starts a new window: the window start is needed")
    gaps = (height - 1) - window_start_height(height, params)
    span = (prev_timestamp - window_start_timestamp) * params.retarget_interval // gaps
    return retarget(prev_bits, span, params)
