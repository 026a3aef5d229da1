"""The proof-of-work target, its 4-byte "compact" encoding (``bits``), and chain work.

A header is valid proof-of-work when ``int.from_bytes(sha256d(header), "little") <= target``.
The target is a 256-bit number, but a header stores it in 4 bytes, Bitcoin's *compact* form
(``arith_uint256::SetCompact`` / ``GetCompact`` in Bitcoin Core), a base-256 floating point::

    bits = 0x1d00ffff
           ^^ exponent E = 0x1d (29): the target is E bytes long
             ^^^^^^ mantissa M = 0x00ffff: its 3 most significant bytes
    target = M * 256**(E - 3)            (or M >> 8*(3 - E) when E < 3)

:func:`bits_to_target` and :func:`target_to_bits` are written in ``edu_chain/encoding.py``
(section "compact form") and re-exported here: like Bitcoin Core, which keeps
``SetCompact`` in its number library below the proof-of-work code, the codec sits in the
lowest layer, so a block header can show its own target without importing this package.

The *work* of a block is the expected number of hashes needed to find it,
``2**256 // (target + 1)``; the best chain is the one with the most cumulative work.
"""

from __future__ import annotations

from edu_chain.encoding import MAX_TARGET as MAX_TARGET
from edu_chain.encoding import bits_to_target as bits_to_target
from edu_chain.encoding import target_to_bits as target_to_bits


def meets_target(block_hash: bytes, bits: int) -> bool:
    """True when an internal-order hash is at or below the target encoded by ``bits``."""
    return int.from_bytes(block_hash, "little") <= bits_to_target(bits)


def block_work(bits: int) -> int:
    """Expected number of hashes to find a block at this target: ``2**256 // (target + 1)``."""
    return (1 << 256) // (bits_to_target(bits) + 1)
