"""When a transaction may be mined: absolute locktime (finality) and BIP68 relative locks.

**Absolute** (``tx.locktime``, Bitcoin Core's ``IsFinalTx``): 0 means "any time"; below
500,000,000 it is a block height, above it a Unix time, and the transaction may only be in a
block *after* that height or time (compared with the block's median-time-past, BIP113).  If
every input's sequence is 0xffffffff the locktime is ignored: that is how old software said
"final".  A non-final transaction is refused with ``bad-txns-nonfinal``.

**Relative** (BIP68, transaction version 2 or more): an input whose sequence has bit 31
clear may only be mined once the output it spends is old enough: ``sequence & 0xffff`` blocks,
or, when bit 22 is set, that many units of 512 seconds of median-time-past.  Core computes
the earliest height and time at which all inputs qualify (``CalculateSequenceLocks``) and
refuses blocks that come too early with ``bad-txns-nonfinal`` too.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from edu_chain.errors import TxValidationError
from edu_chain.script.checker import (
    LOCKTIME_THRESHOLD,
    SEQUENCE_FINAL,
    SEQUENCE_LOCKTIME_DISABLE_FLAG,
    SEQUENCE_LOCKTIME_MASK,
    SEQUENCE_LOCKTIME_TYPE_FLAG,
)
from edu_chain.tx import Transaction

SEQUENCE_LOCKTIME_GRANULARITY = 9  # time locks count units of 2**9 = 512 seconds


def is_final(tx: Transaction, height: int, time: int) -> bool:
    """May ``tx`` be in a block at ``height`` whose median-time-past is ``time``?"""
    if tx.locktime == 0:
        return True
    limit = height if tx.locktime < LOCKTIME_THRESHOLD else time
    if tx.locktime < limit:
        return True
    return all(tx_input.sequence == SEQUENCE_FINAL for tx_input in tx.inputs)


def check_final(tx: Transaction, height: int, time: int) -> None:
    """:func:`is_final`, or a ``bad-txns-nonfinal`` error that says what it waits for."""
    if is_final(tx, height, time):
        return
    if tx.locktime < LOCKTIME_THRESHOLD:
        waits = f"a block above height {tx.locktime}; this block is at height {height}"
    else:
        waits = f"median-time-past above {tx.locktime}; this block's is {time}"
    raise TxValidationError(
        "bad-txns-nonfinal", f"locktime {tx.locktime} (with a non-final sequence) waits for {waits}"
    )


def sequence_locks(
    tx: Transaction, coin_heights: Sequence[int], median_time_past: Callable[[int], int]
) -> tuple[int, int]:
    """``(min_height, min_time)``: the last height and median-time-past at which ``tx`` is
    still locked (``-1`` when not locked), from the heights of the coins it spends and the
    chain's ``median_time_past(height)`` (Core's ``CalculateSequenceLocks``)."""
    min_height, min_time = -1, -1
    if tx.version < 2:
        return min_height, min_time
    for tx_input, coin_height in zip(tx.inputs, coin_heights, strict=True):
        sequence = tx_input.sequence
        if sequence & SEQUENCE_LOCKTIME_DISABLE_FLAG:
            continue
        value = sequence & SEQUENCE_LOCKTIME_MASK
        if sequence & SEQUENCE_LOCKTIME_TYPE_FLAG:
            coin_time = median_time_past(max(coin_height - 1, 0))
            min_time = max(min_time, coin_time + (value << SEQUENCE_LOCKTIME_GRANULARITY) - 1)
        else:
            min_height = max(min_height, coin_height + value - 1)
    return min_height, min_time


def check_sequence_locks(
    tx: Transaction, locks: tuple[int, int], height: int, previous_median_time: int
) -> None:
    """Refuse ``tx`` in a block at ``height`` (whose parent's median-time-past is
    ``previous_median_time``) when a BIP68 lock has not expired."""
    min_height, min_time = locks
    if min_height >= height:
        raise TxValidationError(
            "bad-txns-nonfinal",
            f"a relative lock (BIP68) holds the transaction until after height {min_height}; "
            f"this block is at height {height}",
        )
    if min_time >= previous_median_time:
        raise TxValidationError(
            "bad-txns-nonfinal",
            f"a relative time lock (BIP68) holds the transaction until median-time-past "
            f"{min_time}; the chain's is {previous_median_time}",
        )
