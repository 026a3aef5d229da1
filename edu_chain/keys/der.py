"""DER encoding of ECDSA signatures, strictly as Bitcoin's BIP 66 requires.

An ECDSA signature is two integers ``(r, s)``.  Bitcoin writes them in ASN.1 DER (ITU-T
X.690), the format SEC 1 v2 section C.5 specifies for ``ECDSA-Sig-Value``::

    0x30 <total length>                     a SEQUENCE of
        0x02 <length of r> <r, big-endian>  an INTEGER
        0x02 <length of s> <s, big-endian>  an INTEGER

An INTEGER is signed two's complement in the fewest bytes, so a value whose top bit is set
gets a leading ``0x00`` (otherwise it would read as negative), and no other leading zeros
are allowed.  For secp256k1 the whole thing is 8 to 72 bytes.

"Strict DER" (BIP 66) accepts exactly one encoding per signature; anything else is a
:class:`KeyFormatError` saying which rule broke.  Accepting only one encoding matters: a
lenient parser would let anyone re-encode a signature and change a transaction's id.
"""

from __future__ import annotations

from edu_chain.errors import KeyFormatError
from edu_chain.keys.curve import N

MIN_DER_SIZE = 8
MAX_DER_SIZE = 72


def _encode_integer(value: int) -> bytes:
    body = value.to_bytes((value.bit_length() + 7) // 8 or 1, "big")
    if body[0] & 0x80:  # would read as negative: prepend a zero byte
        body = b"\x00" + body
    return b"\x02" + bytes([len(body)]) + body


def encode_der_signature(r: int, s: int) -> bytes:
    """``(r, s)`` as strict DER.

    >>> encode_der_signature(1, 255).hex()
    '3007020101020200ff'
    """
    body = _encode_integer(r) + _encode_integer(s)
    return b"\x30" + bytes([len(body)]) + body


def _decode_integer(data: bytes, offset: int, name: str) -> tuple[int, int]:
    """Read one DER INTEGER at ``offset``; return ``(value, offset after it)``."""
    if offset + 2 > len(data):
        raise KeyFormatError(f"DER signature is truncated before the {name} INTEGER")
    if data[offset] != 0x02:
        raise KeyFormatError(
            f"DER signature: expected INTEGER tag 0x02 for {name}, found 0x{data[offset]:02x}"
        )
    length = data[offset + 1]
    start = offset + 2
    if length == 0:
        raise KeyFormatError(f"DER signature: {name} has length 0")
    if start + length > len(data):
        raise KeyFormatError(
            f"DER signature: {name} claims {length} bytes but only {len(data) - start} remain"
        )
    body = data[start : start + length]
    if body[0] & 0x80:
        raise KeyFormatError(f"DER signature: {name} is negative (top bit set without 0x00)")
    if length > 1 and body[0] == 0 and not body[1] & 0x80:
        raise KeyFormatError(f"DER signature: {name} has an unnecessary leading zero byte")
    return int.from_bytes(body, "big"), start + length


def decode_der_signature(data: bytes) -> tuple[int, int]:
    """Parse strict DER into ``(r, s)``, each checked to be in ``[1, n-1]``.

    Raises :class:`KeyFormatError` for anything else: truncated, trailing bytes, wrong tags,
    wrong lengths, negative or zero-padded integers, or ``r``/``s`` out of range.  It does
    *not* judge low/high ``s``; :class:`edu_chain.keys.Signature` does.
    """
    if not isinstance(data, bytes | bytearray | memoryview):
        raise KeyFormatError(f"a DER signature is bytes, got {type(data).__name__}")
    data = bytes(data)
    if not MIN_DER_SIZE <= len(data) <= MAX_DER_SIZE:
        raise KeyFormatError(
            f"DER signature must be {MIN_DER_SIZE}..{MAX_DER_SIZE} bytes, got {len(data)}"
        )
    if data[0] != 0x30:
        raise KeyFormatError(f"DER signature must start with SEQUENCE 0x30, found 0x{data[0]:02x}")
    if data[1] != len(data) - 2:
        raise KeyFormatError(
            f"DER signature: SEQUENCE length says {data[1]} bytes, "
            f"but {len(data) - 2} follow (truncated or trailing bytes)"
        )
    r, offset = _decode_integer(data, 2, "r")
    s, offset = _decode_integer(data, offset, "s")
    if offset != len(data):
        raise KeyFormatError(f"DER signature has {len(data) - offset} trailing bytes after s")
    for name, value in (("r", r), ("s", s)):
        if not 1 <= value < N:
            raise KeyFormatError(f"signature {name} must be in [1, n-1], got {value:#x}")
    return r, s
