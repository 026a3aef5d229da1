"""Scripts as bytes and as operations: parsing, serializing, Core's asm and test notation.

A script is a byte string (a scriptPubKey in an output, a scriptSig in an input, a witness
script).  Reading it as *operations* follows Bitcoin Core's ``CScript::GetOp``:

    byte b          meaning
    0x00            OP_0: push the empty string
    0x01 .. 0x4b    push the next b bytes
    0x4c n          OP_PUSHDATA1: push the next n bytes            (n: 1 byte)
    0x4d n n        OP_PUSHDATA2: push the next n bytes            (n: 2 bytes, little-endian)
    0x4e n n n n    OP_PUSHDATA4: push the next n bytes            (n: 4 bytes, little-endian)
    anything else   one opcode (see opcodes.py)

A push that runs past the end makes the rest of the script unreadable.  Such bytes are still
a valid *output script* (Bitcoin stores whatever bytes it is given; executing them fails with
BAD_OPCODE), so transactions keep scripts as ``bytes``; :class:`Script` is the parsed view
for reading, and :meth:`Script.parse` refuses unreadable bytes with a :class:`DecodeError`.

Two text forms:

* **asm**, what ``bitcoin-cli decodescript`` prints (``ScriptToAsmStr``): pushes of up to 4
  bytes as decimal script numbers, longer pushes as hex, opcodes by name.
* **Core's test notation** (``ParseScript`` in ``core_read.cpp``), used by the test vectors:
  decimal numbers (pushed as script numbers, or OP_1NEGATE/OP_1..OP_16), ``0x..`` raw bytes
  inserted as they are (not pushed), ``'text'`` pushed, and opcode names with or without
  ``OP_``.

>>> script = Script.parse(bytes.fromhex("76a91489abcdefabbaabbaabbaabbaabbaabbaabbaabba88ac"))
>>> script.asm()
'OP_DUP OP_HASH160 89abcdefabbaabbaabbaabbaabbaabbaabbaabba OP_EQUALVERIFY OP_CHECKSIG'
>>> notation = "DUP HASH160 0x14 0x89abcdefabbaabbaabbaabbaabbaabbaabbaabba EQUALVERIFY CHECKSIG"
>>> parse_notation(notation) == script.serialize()
True
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from edu_chain.errors import DecodeError
from edu_chain.script.number import decode_num, encode_num
from edu_chain.script.opcodes import OPCODES_BY_NAME, Opcode, opcode_name

MAX_SCRIPT_SIZE = 10_000
MAX_ELEMENT_SIZE = 520

_PUSHDATA_LENGTH_SIZE = {Opcode.OP_PUSHDATA1: 1, Opcode.OP_PUSHDATA2: 2, Opcode.OP_PUSHDATA4: 4}


def read_op(raw: bytes, position: int) -> tuple[int, bytes | None, int] | None:
    """The operation starting at ``position``: ``(opcode, pushed data or None, next position)``.

    ``None`` when a push runs past the end (Core's ``GetOp`` returning false).
    """
    opcode = raw[position]
    position += 1
    if opcode > Opcode.OP_PUSHDATA4:
        return opcode, None, position
    if opcode < Opcode.OP_PUSHDATA1:
        size = opcode
    else:
        width = _PUSHDATA_LENGTH_SIZE[opcode]
        if position + width > len(raw):
            return None
        size = int.from_bytes(raw[position : position + width], "little")
        position += width
    if position + size > len(raw):
        return None
    return opcode, raw[position : position + size], position + size


def iter_ops(raw: bytes) -> Iterator[tuple[int, bytes | None, int]]:
    """Each operation of ``raw`` as ``(opcode, data, start position)``, stopping silently at an
    unreadable push (callers that care check :func:`is_readable`)."""
    position = 0
    while position < len(raw):
        op = read_op(raw, position)
        if op is None:
            return
        yield op[0], op[1], position
        position = op[2]


def is_readable(raw: bytes) -> bool:
    """True when every push of ``raw`` is complete."""
    position = 0
    while position < len(raw):
        op = read_op(raw, position)
        if op is None:
            return False
        position = op[2]
    return True


def push_data(data: bytes) -> bytes:
    """The push of ``data`` as Core's ``CScript() << data`` writes it (shortest length prefix;
    a single byte is pushed as data, not as OP_1..OP_16)."""
    size = len(data)
    if size < Opcode.OP_PUSHDATA1:
        return bytes([size]) + data
    if size <= 0xFF:
        return bytes([Opcode.OP_PUSHDATA1, size]) + data
    if size <= 0xFFFF:
        return bytes([Opcode.OP_PUSHDATA2]) + size.to_bytes(2, "little") + data
    return bytes([Opcode.OP_PUSHDATA4]) + size.to_bytes(4, "little") + data


def push_int(value: int) -> bytes:
    """A number as Core's ``CScript() << n`` writes it: OP_0, OP_1NEGATE, OP_1..OP_16, or a
    push of its script-number encoding."""
    if value == 0:
        return bytes([Opcode.OP_0])
    if value == -1 or 1 <= value <= 16:
        return bytes([Opcode.OP_1 + value - 1])
    return push_data(encode_num(value))


def is_minimal_push(opcode: int, data: bytes) -> bool:
    """Whether ``data`` was pushed with the shortest possible operation (MINIMALDATA)."""
    if not data:
        return opcode == Opcode.OP_0
    if len(data) == 1 and 1 <= data[0] <= 16:
        return opcode == Opcode.OP_1 + data[0] - 1
    if len(data) == 1 and data[0] == 0x81:
        return opcode == Opcode.OP_1NEGATE
    if len(data) <= 75:
        return opcode == len(data)
    if len(data) <= 0xFF:
        return opcode == Opcode.OP_PUSHDATA1
    if len(data) <= 0xFFFF:
        return opcode == Opcode.OP_PUSHDATA2
    return True


def is_push_only(raw: bytes) -> bool:
    """Core's ``IsPushOnly``: readable, and no opcode above OP_16 (OP_RESERVED counts as a push)."""
    position = 0
    while position < len(raw):
        op = read_op(raw, position)
        if op is None or op[0] > Opcode.OP_16:
            return False
        position = op[2]
    return True


@dataclass(frozen=True)
class Script:
    """A readable script: its operations, each ``(opcode, data)`` with ``data`` None for an
    instruction.  ``Script.parse(raw).serialize() == raw`` for every readable ``raw``."""

    ops: tuple[tuple[int, bytes | None], ...]

    @classmethod
    def parse(cls, raw: bytes) -> Script:
        """Read ``raw`` into operations; :class:`DecodeError` (``decode-truncated``) when a push
        runs past the end."""
        if not isinstance(raw, bytes | bytearray | memoryview):
            raise TypeError(f"a script is bytes, got {type(raw).__name__}")
        raw = bytes(raw)
        ops = []
        position = 0
        while position < len(raw):
            op = read_op(raw, position)
            if op is None:
                raise DecodeError(
                    "decode-truncated",
                    f"script byte {position} (0x{raw[position]:02x}) starts a push that runs "
                    f"past the end of the {len(raw)}-byte script",
                )
            ops.append((op[0], op[1]))
            position = op[2]
        return cls(tuple(ops))

    def serialize(self) -> bytes:
        out = bytearray()
        for opcode, data in self.ops:
            out.append(opcode)
            if data is None:
                continue
            width = _PUSHDATA_LENGTH_SIZE.get(opcode)
            if width is not None:
                out += len(data).to_bytes(width, "little")
            out += data
        return bytes(out)

    def asm(self) -> str:
        """Bitcoin Core's asm text (``ScriptToAsmStr``)."""
        return script_asm(self.serialize())

    def __str__(self) -> str:
        return self.asm()


def script_asm(raw: bytes) -> str:
    """Core's asm for any bytes: an unreadable push ends the text with ``[error]``."""
    words = []
    position = 0
    while position < len(raw):
        op = read_op(raw, position)
        if op is None:
            words.append("[error]")
            break
        opcode, data, position = op
        if data is None:
            words.append(opcode_name(opcode))
        elif len(data) <= 4:
            words.append(str(decode_num(data)))
        else:
            words.append(data.hex())
    return " ".join(words)


def parse_notation(text: str) -> bytes:
    """Bytes of a script written in Bitcoin Core's test notation (see the module docstring).

    >>> parse_notation("1 2 ADD 3 EQUAL").hex()
    '5152935387'
    >>> parse_notation("'abc' 0x4c01 0x07 -1000").hex()
    '036162634c010702e883'
    """
    out = bytearray()
    for word in text.split():
        body = word[1:] if word.startswith("-") else word
        if body.isdigit() and body.isascii():
            value = int(word)
            if not -(2**63) <= value < 2**63:
                raise ValueError(f"number {word} does not fit in 64 bits")
            out += push_int(value)
        elif word.startswith("0x") and len(word) > 2:
            try:
                out += bytes.fromhex(word[2:])
            except ValueError:
                raise ValueError(f"{word!r} is not an even number of hex digits") from None
        elif len(word) >= 2 and word[0] == "'" and word[-1] == "'":
            out += push_data(word[1:-1].encode())
        elif word in OPCODES_BY_NAME:
            out.append(OPCODES_BY_NAME[word])
        else:
            raise ValueError(f"script notation: unknown word {word!r}")
    return bytes(out)
