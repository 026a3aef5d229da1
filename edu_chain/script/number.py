"""Script numbers: how Script reads stack items as integers (Core's ``CScriptNum``).

A number on the stack is little-endian **sign-magnitude**: the top bit of the last byte is
the sign, the rest is the magnitude.  Zero is the empty string.

    value    bytes          why
    0        (empty)
    1        01
    -1       81             sign bit set on the only byte
    127      7f
    128      8000           0x80 alone would read as "-0": an extra byte holds the sign
    -128     8080
    255      ff00
    256      0001

Arithmetic opcodes accept operands of at most 4 bytes (so at most 2**31 - 1 in magnitude);
their *results* may be 5 bytes long, but such a result can no longer be used as an operand.
OP_CHECKLOCKTIMEVERIFY and OP_CHECKSEQUENCEVERIFY take 5-byte operands, because a locktime
goes up to 2**32 - 1.  Under the MINIMALDATA flag a number must be in its shortest form
(no needless ``00``/``80`` byte at the end).

>>> encode_num(-128).hex(), decode_num(bytes.fromhex("8080"))
('8080', -128)
"""

from __future__ import annotations

DEFAULT_MAX_SIZE = 4
LOCKTIME_MAX_SIZE = 5


class ScriptNumberError(ValueError):
    """A stack item is not a valid script number: too long, or not minimal when required.

    The interpreter turns it into ``ScriptError("UNKNOWN_ERROR")``, as Core does with its
    ``scriptnum_error`` exception.
    """


def encode_num(value: int) -> bytes:
    """The shortest sign-magnitude encoding of ``value``."""
    if value == 0:
        return b""
    magnitude = abs(value)
    body = bytearray(magnitude.to_bytes((magnitude.bit_length() + 7) // 8, "little"))
    if body[-1] & 0x80:  # the top bit is taken by the magnitude: add a byte for the sign
        body.append(0x80 if value < 0 else 0x00)
    elif value < 0:
        body[-1] |= 0x80
    return bytes(body)


def is_minimal(data: bytes) -> bool:
    """True when ``data`` has no needless final byte (Core's minimal-encoding rule)."""
    if not data:
        return True
    # The last byte may be 0x00/0x80 only if the byte before it needs its top bit.
    return bool(data[-1] & 0x7F) or (len(data) > 1 and bool(data[-2] & 0x80))


def decode_num(
    data: bytes, *, max_size: int = DEFAULT_MAX_SIZE, require_minimal: bool = False
) -> int:
    """Read a stack item as a number; :class:`ScriptNumberError` if it is too long or,
    with ``require_minimal``, not in its shortest form."""
    if len(data) > max_size:
        raise ScriptNumberError(
            f"a number operand is at most {max_size} bytes, this item has {len(data)} "
            f"(0x{data.hex()})"
        )
    if require_minimal and not is_minimal(data):
        raise ScriptNumberError(f"0x{data.hex()} is not the shortest encoding of its number")
    if not data:
        return 0
    value = int.from_bytes(data, "little")
    sign_bit = 0x80 << (8 * (len(data) - 1))
    if value & sign_bit:
        return -(value ^ sign_bit)
    return value


def cast_to_bool(data: bytes) -> bool:
    """Script's truth: any non-zero byte is true, except "negative zero" (``...80``)."""
    for position, byte in enumerate(data):
        if byte:
            return not (position == len(data) - 1 and byte == 0x80)
    return False
