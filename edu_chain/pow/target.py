"""The proof-of-work target, its 4-byte "compact" encoding (``bits``), and chain work.

A header is valid proof-of-work when ``int.from_bytes(sha256d(header), "little") <= target``.
The target is a 256-bit number, but a header stores it in 4 bytes, Bitcoin's *compact* form
(``arith_uint256::SetCompact`` / ``GetCompact`` in Bitcoin Core), a base-256 floating point::

    bits = 0x1d00ffff
           ^^ exponent E = 0x1d (29): the target is E bytes long
             ^^^^^^ mantissa M = 0x00ffff: its 3 most significant bytes
    target = M * 256**(E - 3)            (or M >> 8*(3 - E) when E < 3)

The mantissa's top bit (``0x00800000``) is a sign bit.  A negative target, or one that does not
fit in 256 bits, is invalid; Bitcoin Core reports both and so do we, with a
:class:`~edu_chain.errors.ValidationError` (codes ``bits-negative`` and ``bits-overflow``).
When encoding, a mantissa whose top bit would be set is shifted down one byte, so the
shortest non-negative form is always produced.

The *work* of a block is the expected number of hashes needed to find it,
``2**256 // (target + 1)``; the best chain is the one with the most cumulative work.
"""

from __future__ import annotations

from edu_chain.errors import ValidationError

MAX_TARGET = 2**256 - 1

_SIGN_BIT = 0x00800000
_MANTISSA_MASK = 0x007FFFFF


def bits_to_target(bits: int) -> int:
    """Decode compact ``bits`` into the target.

    >>> hex(bits_to_target(0x1D00FFFF))
    '0xffff0000000000000000000000000000000000000000000000000000'
    """
    if not isinstance(bits, int) or isinstance(bits, bool) or not 0 <= bits <= 0xFFFFFFFF:
        raise ValidationError("bits-range", f"bits must be a uint32, got {bits!r}")
    exponent = bits >> 24
    mantissa = bits & _MANTISSA_MASK
    # As in Bitcoin Core, the sign and overflow checks look at the mantissa *after* a short
    # exponent has shifted bytes out: 0x01803456 is the target 0, not a negative number.
    if exponent <= 3:
        mantissa >>= 8 * (3 - exponent)
    if mantissa != 0 and bits & _SIGN_BIT:
        raise ValidationError(
            "bits-negative",
            f"bits 0x{bits:08x} has the sign bit (0x00800000) set: the target would be negative",
        )
    too_wide = (
        exponent > 34
        or (mantissa > 0xFF and exponent > 33)
        or (mantissa > 0xFFFF and exponent > 32)
    )
    if mantissa != 0 and too_wide:
        raise ValidationError(
            "bits-overflow",
            f"bits 0x{bits:08x} (exponent {exponent}) encodes a target wider than 256 bits",
        )
    return mantissa if exponent <= 3 else mantissa << (8 * (exponent - 3))


def target_to_bits(target: int) -> int:
    """Encode a target in compact form, keeping its 3 most significant bytes.

    >>> hex(target_to_bits(0xFFFF << 208))
    '0x1d00ffff'
    """
    if not isinstance(target, int) or isinstance(target, bool):
        raise TypeError(f"target must be an int, got {type(target).__name__}")
    if not 0 <= target <= MAX_TARGET:
        raise ValidationError("target-range", f"target must be in [0, 2**256 - 1], got {target}")
    size = (target.bit_length() + 7) // 8
    if size <= 3:
        mantissa = target << (8 * (3 - size))
    else:
        mantissa = target >> (8 * (size - 3))
    if mantissa & _SIGN_BIT:  # would read back as negative: use one more byte of exponent
        mantissa >>= 8
        size += 1
    return (size << 24) | mantissa


def meets_target(block_hash: bytes, bits: int) -> bool:
    """True when an internal-order hash is at or below the target encoded by ``bits``."""
    return int.from_bytes(block_hash, "little") <= bits_to_target(bits)


def block_work(bits: int) -> int:
    """Expected number of hashes to find a block at this target: ``2**256 // (target + 1)``."""
    return (1 << 256) // (bits_to_target(bits) + 1)
