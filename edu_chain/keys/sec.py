"""SEC 1 encoding of public keys (points), SEC 1 v2 sections 2.3.3 and 2.3.4.

    compressed     0x02 or 0x03 || x (32 bytes)        33 bytes; 0x02 if y is even
    uncompressed   0x04 || x (32 bytes) || y (32 bytes) 65 bytes

A compressed key stores only x and the parity of y: the curve equation gives
``y**2 = x**3 + 7``, which has two roots, ``y`` and ``p - y``, one even and one odd (p is odd).
Decoding takes the square root (field.py) and picks the root with the right parity.  A decoder
must check that the point is really on the curve: accepting arbitrary points lets an attacker
steer computations into a weaker group ("invalid-curve attacks").
"""

from __future__ import annotations

from edu_chain.errors import KeyFormatError
from edu_chain.keys.curve import B, is_on_curve
from edu_chain.keys.field import P, field_sqrt

COMPRESSED_SIZE = 33
UNCOMPRESSED_SIZE = 65


def encode_sec(point: tuple[int, int], compressed: bool = True) -> bytes:
    """The SEC bytes of an affine point (never infinity).

    >>> from edu_chain.keys.curve import G
    >>> encode_sec(G).hex()[:10]
    '0279be667e'
    """
    x, y = point
    if compressed:
        return bytes([2 + (y & 1)]) + x.to_bytes(32, "big")
    return b"\x04" + x.to_bytes(32, "big") + y.to_bytes(32, "big")


def decode_sec(data: bytes) -> tuple[int, int]:
    """Parse SEC bytes into an on-curve point; :class:`KeyFormatError` says what is wrong."""
    if not isinstance(data, bytes | bytearray | memoryview):
        raise KeyFormatError(f"a SEC public key is bytes, got {type(data).__name__}")
    data = bytes(data)
    if not data:
        raise KeyFormatError("SEC public key is empty")
    prefix = data[0]
    if prefix in (2, 3):
        if len(data) != COMPRESSED_SIZE:
            raise KeyFormatError(
                f"compressed SEC public key (prefix 0x{prefix:02x}) is 33 bytes, got {len(data)}"
            )
        x = int.from_bytes(data[1:], "big")
        if x >= P:
            raise KeyFormatError(f"SEC public key x = {x:#x} is not below the field prime")
        y = field_sqrt((x**3 + B) % P)
        if y is None:
            raise KeyFormatError(f"no point on secp256k1 has x = {x:#x}")
        if y & 1 != prefix & 1:
            y = P - y
        return (x, y)
    if prefix == 4:
        if len(data) != UNCOMPRESSED_SIZE:
            raise KeyFormatError(
                f"uncompressed SEC public key (prefix 0x04) is 65 bytes, got {len(data)}"
            )
        point = (int.from_bytes(data[1:33], "big"), int.from_bytes(data[33:], "big"))
        if not is_on_curve(point):
            raise KeyFormatError(f"({point[0]:#x}, {point[1]:#x}) is not a point on secp256k1")
        return point
    raise KeyFormatError(f"SEC public key prefix must be 0x02, 0x03 or 0x04, found 0x{prefix:02x}")
