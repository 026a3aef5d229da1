"""Byte-level encodings used by Bitcoin and by edu_chain's own formats.

* Little-endian fixed-width integers (``uint32``, ``int32``, ``uint64``): Bitcoin writes every
  integer field of headers and transactions least significant byte first.
* CompactSize, Bitcoin's variable-length integer ("varint")::

      value             encoding
      0 .. 0xfc         1 byte: the value
      .. 0xffff         0xfd + 2 bytes little-endian
      .. 0xffffffff     0xfe + 4 bytes little-endian
      .. 2**64 - 1      0xff + 8 bytes little-endian

  Only the shortest form is accepted when parsing, as in Bitcoin Core ("non-canonical
  ReadCompactSize()"), so each number has exactly one encoding.
* Base58 and Base58Check, the human-friendly alphabet of legacy Bitcoin addresses: no ``0``,
  ``O``, ``I`` or ``l``; leading zero bytes become leading ``1`` characters; Base58Check appends
  the first 4 bytes of ``sha256d(payload)`` as a checksum.
* The compact form of a 256-bit number, Bitcoin's ``bits`` field (``arith_uint256::SetCompact``
  / ``GetCompact`` in Bitcoin Core), a base-256 floating point::

      bits = 0x1d00ffff
             ^^ exponent E = 0x1d (29): the number is E bytes long
               ^^^^^^ mantissa M = 0x00ffff: its 3 most significant bytes
      target = M * 256**(E - 3)            (or M >> 8*(3 - E) when E < 3)

  The mantissa's top bit (``0x00800000``) is a sign bit.  A negative target, or one that does
  not fit in 256 bits, is invalid; Bitcoin Core reports both and so do we, with a
  :class:`~edu_chain.errors.ValidationError` (codes ``bits-negative`` and ``bits-overflow``).
  When encoding, a mantissa whose top bit would be set is shifted down one byte, so the
  shortest non-negative form is always produced.  What the target means (proof-of-work,
  chain work) is explained in ``edu_chain/pow/target.py``.

:class:`ByteReader` is the one parsing cursor every ``parse()`` in the library uses, so
truncated and over-long inputs fail the same way everywhere: with a :class:`DecodeError`.
"""

from __future__ import annotations

from edu_chain.errors import DecodeError, ValidationError
from edu_chain.hashing import sha256d

UINT32_MAX = 2**32 - 1
UINT64_MAX = 2**64 - 1
INT32_MIN, INT32_MAX = -(2**31), 2**31 - 1

BASE58_ALPHABET = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
_BASE58_INDEX = {char: value for value, char in enumerate(BASE58_ALPHABET)}


# --- fixed-width little-endian integers -------------------------------------------------


def uint32_le(value: int) -> bytes:
    """Encode ``0 <= value < 2**32`` as 4 little-endian bytes."""
    return require_int("uint32", value, 0, UINT32_MAX).to_bytes(4, "little")


def int32_le(value: int) -> bytes:
    """Encode a signed 32-bit integer as 4 little-endian bytes (two's complement)."""
    return require_int("int32", value, INT32_MIN, INT32_MAX).to_bytes(4, "little", signed=True)


def uint64_le(value: int) -> bytes:
    """Encode ``0 <= value < 2**64`` as 8 little-endian bytes."""
    return require_int("uint64", value, 0, UINT64_MAX).to_bytes(8, "little")


def require_int(name: str, value: object, low: int, high: int) -> int:
    """``value`` if it is an ``int`` (not a ``bool``) in ``[low, high]``.

    The one range check behind every fixed-width field: a wrong type is a ``TypeError``, an
    out-of-range number a ``ValueError`` naming the field, the bounds and the value.
    """
    if not isinstance(value, int) or isinstance(value, bool):
        raise TypeError(f"{name} must be an int, got {type(value).__name__}")
    if not low <= value <= high:
        raise ValueError(f"{name} must be in [{low}, {high}], got {value}")
    return value


# --- CompactSize ("varint") -------------------------------------------------------------


def encode_varint(value: int) -> bytes:
    """Encode a CompactSize integer.

    >>> encode_varint(252).hex(), encode_varint(253).hex()
    ('fc', 'fdfd00')
    """
    require_int("varint", value, 0, UINT64_MAX)
    if value < 0xFD:
        return bytes([value])
    if value <= 0xFFFF:
        return b"\xfd" + value.to_bytes(2, "little")
    if value <= UINT32_MAX:
        return b"\xfe" + value.to_bytes(4, "little")
    return b"\xff" + value.to_bytes(8, "little")


def decode_varint(data: bytes) -> tuple[int, int]:
    """Decode a CompactSize at the start of ``data``: returns ``(value, bytes_used)``."""
    reader = ByteReader(data)
    value = reader.varint()
    return value, reader.offset


class ByteReader:
    """A cursor over bytes that raises :class:`DecodeError` instead of running off the end.

    >>> r = ByteReader(bytes.fromhex("01000000fd0001"))
    >>> r.uint32(), r.varint(), r.at_end()
    (1, 256, True)
    """

    def __init__(self, data: bytes, *, what: str = "data") -> None:
        if not isinstance(data, bytes | bytearray | memoryview):
            raise TypeError(f"{what} must be bytes, got {type(data).__name__}")
        self.data = bytes(data)
        self.offset = 0
        self.what = what

    def remaining(self) -> int:
        return len(self.data) - self.offset

    def at_end(self) -> bool:
        return self.offset == len(self.data)

    def read(self, count: int, field: str = "bytes") -> bytes:
        if count < 0 or self.offset + count > len(self.data):
            raise DecodeError(
                "decode-truncated",
                f"{self.what} ended early: reading {field} needs {count} bytes at offset "
                f"{self.offset}, only {self.remaining()} left",
            )
        chunk = self.data[self.offset : self.offset + count]
        self.offset += count
        return chunk

    def uint32(self, field: str = "uint32") -> int:
        return int.from_bytes(self.read(4, field), "little")

    def int32(self, field: str = "int32") -> int:
        return int.from_bytes(self.read(4, field), "little", signed=True)

    def uint64(self, field: str = "uint64") -> int:
        return int.from_bytes(self.read(8, field), "little")

    def varint(self, field: str = "varint") -> int:
        prefix = self.read(1, field)[0]
        if prefix < 0xFD:
            return prefix
        width = {0xFD: 2, 0xFE: 4, 0xFF: 8}[prefix]
        value = int.from_bytes(self.read(width, field), "little")
        smallest = {2: 0xFD, 4: 0x10000, 8: 0x100000000}[width]
        if value < smallest:
            raise DecodeError(
                "decode-non-canonical",
                f"{field} {value} is encoded in {1 + width} bytes; "
                "the shortest CompactSize form is required",
            )
        return value

    def count(self, field: str, item_min_size: int) -> int:
        """Read a varint item count, refusing counts the remaining bytes cannot hold.

        This is what stops a 9-byte message from asking us to allocate 2**64 items.
        """
        value = self.varint(field)
        if item_min_size > 0 and value > self.remaining() // item_min_size:
            raise DecodeError(
                "decode-too-large",
                f"{field} says {value} items of at least {item_min_size} bytes, "
                f"but only {self.remaining()} bytes remain",
            )
        return value

    def var_bytes(self, field: str = "var_bytes") -> bytes:
        return self.read(self.count(f"{field} length", 1), field)

    def expect_end(self) -> None:
        if not self.at_end():
            raise DecodeError(
                "decode-trailing-bytes",
                f"{self.what} has {self.remaining()} unexpected trailing bytes "
                f"after offset {self.offset}",
            )


# --- hex --------------------------------------------------------------------------------


def parse_hex(text: str, *, what: str = "hex string", length: int | None = None) -> bytes:
    """``bytes.fromhex`` with a :class:`DecodeError` that names the field."""
    if not isinstance(text, str):
        got = type(text).__name__
        raise DecodeError("decode-bad-hex", f"{what} must be a hex string, got {got}")
    try:
        data = bytes.fromhex(text)
    except ValueError:
        raise DecodeError("decode-bad-hex", f"{what} is not valid hex: {text[:80]!r}") from None
    if length is not None and len(data) != length:
        raise DecodeError(
            "decode-bad-length", f"{what} must be {length} bytes, got {len(data)} bytes"
        )
    return data


# --- Base58 / Base58Check ---------------------------------------------------------------


def base58_encode(data: bytes) -> str:
    """Encode bytes in Base58; each leading zero byte becomes a leading ``"1"``.

    >>> base58_encode(b"\\x00\\x00hello")
    '11Cn8eVZg'
    """
    number = int.from_bytes(data, "big")
    digits = []
    while number:
        number, remainder = divmod(number, 58)
        digits.append(BASE58_ALPHABET[remainder])
    leading_zeros = len(data) - len(data.lstrip(b"\x00"))
    return "1" * leading_zeros + "".join(reversed(digits))


def base58_decode(text: str) -> bytes:
    """Decode Base58 text; inverse of :func:`base58_encode`.

    The time grows with the *square* of the length (each character multiplies a number that
    keeps growing), so code that decodes text from the network bounds its length first, as
    :func:`edu_chain.keys.address_to_pubkey_hash` does.
    """
    number = 0
    for position, char in enumerate(text):
        if char not in _BASE58_INDEX:
            raise DecodeError(
                "decode-bad-character",
                f"{char!r} at position {position} is not a Base58 character "
                "(the alphabet has no 0, O, I or l)",
            )
        number = number * 58 + _BASE58_INDEX[char]
    leading_ones = len(text) - len(text.lstrip("1"))
    body = number.to_bytes((number.bit_length() + 7) // 8, "big") if number else b""
    return b"\x00" * leading_ones + body


def base58check_encode(payload: bytes) -> str:
    """Base58 of ``payload + sha256d(payload)[:4]``."""
    checksum = sha256d(payload)[:4]
    return base58_encode(payload + checksum)


def base58check_decode(text: str) -> bytes:
    """Decode Base58Check text and verify its 4-byte checksum; returns the payload."""
    raw = base58_decode(text)
    if len(raw) < 4:
        raise DecodeError("decode-truncated", f"Base58Check string {text!r} is too short")
    payload, checksum = raw[:-4], raw[-4:]
    expected = sha256d(payload)[:4]
    if checksum != expected:
        raise DecodeError(
            "decode-bad-checksum",
            f"Base58Check checksum mismatch in {text!r}: expected {expected.hex()}, "
            f"found {checksum.hex()} (a typo in the address?)",
        )
    return payload


# --- the compact form of a 256-bit number (a header's bits) ---------------------------

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
