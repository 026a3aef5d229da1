"""Mining: search for the lowest nonce whose header hash meets the target.

:func:`mine_reference` is the specification, in plain Python, meant to be read:

1. Serialize the header once; only the last 4 bytes (the nonce) change.
2. SHA-256 works on 64-byte blocks, and the first 64 header bytes never change, so hash them
   once ("midstate") and copy that state for every nonce.
3. For each nonce in order: finish the first SHA-256, hash again (sha256d), read the result as
   a little-endian number, compare with the target using ``<=``.

:func:`mine` is the public entry point.  It validates the job, then runs a backend;
``backend="python"`` is the reference above.
"""

from __future__ import annotations

import hashlib

from edu_chain.block import BlockHeader
from edu_chain.encoding import UINT32_MAX
from edu_chain.errors import MiningError
from edu_chain.pow.target import bits_to_target

BACKENDS = ("auto", "python")


def _check_range(start_nonce: int, max_nonce: int) -> None:
    for name, value in (("start_nonce", start_nonce), ("max_nonce", max_nonce)):
        if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= UINT32_MAX:
            raise MiningError(f"{name} must be an integer in [0, 2**32 - 1], got {value!r}")


def mine_reference(header: BlockHeader, start_nonce: int, max_nonce: int) -> int | None:
    """The lowest nonce in ``[start_nonce, max_nonce]`` meeting ``header.bits``, or None."""
    target = bits_to_target(header.bits)
    prefix = header.serialize()[:76]  # everything but the nonce
    midstate = hashlib.sha256(prefix[:64])  # step 2: the unchanging first block
    tail = prefix[64:]
    for nonce in range(start_nonce, max_nonce + 1):
        first = midstate.copy()
        first.update(tail + nonce.to_bytes(4, "little"))
        digest = hashlib.sha256(first.digest()).digest()
        if int.from_bytes(digest, "little") <= target:
            return nonce
    return None


def mine(
    header: BlockHeader,
    *,
    start_nonce: int = 0,
    max_nonce: int = UINT32_MAX,
    backend: str = "auto",
    threads: int | None = None,
) -> BlockHeader | None:
    """Return ``header`` with the lowest nonce in ``[start_nonce, max_nonce]`` whose hash
    meets ``header.bits``, or ``None`` when no nonce in the range does.

    ``backend`` is ``"auto"`` or ``"python"`` (the readable reference); ``threads`` is
    accepted for backends that use several cores.
    """
    if not isinstance(header, BlockHeader):
        raise TypeError(f"mine() takes a BlockHeader, got {type(header).__name__}")
    _check_range(start_nonce, max_nonce)
    if backend not in BACKENDS:
        raise MiningError(f"unknown backend {backend!r}; choose one of {', '.join(BACKENDS)}")
    if start_nonce > max_nonce:
        return None
    nonce = mine_reference(header, start_nonce, max_nonce)
    return None if nonce is None else header.with_nonce(nonce)
