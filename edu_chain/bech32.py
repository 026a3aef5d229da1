"""Bech32 and Bech32m: the checksummed base-32 strings behind segwit addresses.

Follows BIP173 (Bech32, 2017) and BIP350 (Bech32m, 2021); both are at
https://github.com/bitcoin/bips.  A string has three parts::

    bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4
    ^^ ^ ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^------
    |  | data (5 bits per character)       checksum (6 characters)
    |  separator: the *last* "1" in the string
    human-readable part ("hrp"): says which network the address belongs to

* The data alphabet has 32 characters, ``qpzry9x8gf2tvdw0s3jn54khce6mua7l``, chosen so that
  characters that look alike (``1``/``l``, ``0``/``o``, ``b``/``8``...) differ in few bits.
* The checksum is a BCH code over GF(32): :func:`polymod` of the expanded hrp, the data and
  the checksum must equal a constant.  Bech32 uses 1; Bech32m uses ``0x2bc830a3``, because
  BIP350 found that a Bech32 string ending in ``p`` stays valid when ``q`` characters are
  inserted or deleted just before that ``p``.  Any 4 substituted characters are always caught.
* A string is at most 90 characters, all lower case or all upper case (upper case makes
  denser QR codes); the checksum covers the lower-case form.

A *segwit address* puts a witness program (BIP141) in the data: the first character is the
witness version (0..16) and the rest is the program regrouped from 5-bit to 8-bit values.
BIP350's rule: version 0 uses Bech32, versions 1 to 16 use Bech32m, so a wallet written
before BIP350 cannot send to a Taproot address by mistake.  A program is 2 to 40 bytes;
version 0 programs are 20 bytes (P2WPKH) or 32 bytes (P2WSH).

Every refusal is a :class:`~edu_chain.errors.DecodeError` whose stable ``code`` is one of:

    decode-bad-type             not a ``str``
    decode-bad-length           over 90 characters, a checksum shorter than 6 characters,
                                no witness version, or a program of the wrong length
    decode-mixed-case           upper and lower case letters in one string
    decode-no-separator         no "1" separating the hrp from the data
    decode-bad-hrp              an empty hrp, or not the hrp that was expected
    decode-bad-character        an hrp character outside ASCII 33..126, or a data character
                                outside the 32-character alphabet
    decode-bad-checksum         the checksum does not match (also: Bech32 used where Bech32m
                                is required, or the reverse)
    decode-bad-witness-version  a witness version above 16
    decode-bad-padding          more than 4 bits of padding, or padding bits that are not 0

>>> encode_segwit_address("bc", 0, bytes.fromhex("751e76e8199196d454941c45d1b3a323f1433bd6"))
'bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4'
>>> version, program = decode_segwit_address("bc", "BC1QW508D6QEJXTDG4Y5R3ZARVARY0C5XW7KV8F3T4")
>>> version, program.hex()
(0, '751e76e8199196d454941c45d1b3a323f1433bd6')
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Sequence

from edu_chain.errors import DecodeError

CHARSET = "qpzry9x8gf2tvdw0s3jn54khce6mua7l"
"""The 32 data characters; a character's position in this string is its 5-bit value."""
_CHARSET_INDEX = {char: value for value, char in enumerate(CHARSET)}

MAX_LENGTH = 90
"""The longest string BIP173 allows (hrp + separator + data + checksum)."""
CHECKSUM_LENGTH = 6
MAX_WITNESS_VERSION = 16
MIN_PROGRAM_LENGTH, MAX_PROGRAM_LENGTH = 2, 40
V0_PROGRAM_LENGTHS = (20, 32)
"""Version 0 programs: a 20-byte key hash (P2WPKH) or a 32-byte script hash (P2WSH)."""

_GENERATOR = (0x3B6A57B2, 0x26508E6D, 0x1EA119FA, 0x3D4233DD, 0x2A1462B3)


class Encoding(enum.Enum):
    """The two checksum variants; the value is the constant :func:`polymod` must give."""

    BECH32 = 1
    BECH32M = 0x2BC830A3


def encoding_for_version(version: int) -> Encoding:
    """BIP350: witness version 0 addresses use Bech32, versions 1 to 16 use Bech32m."""
    return Encoding.BECH32 if version == 0 else Encoding.BECH32M


# --- the checksum -----------------------------------------------------------------------


def polymod(values: Iterable[int]) -> int:
    """BIP173's BCH checksum: the remainder of the 5-bit ``values`` as a polynomial over
    GF(32), modulo the code's generator.  Each step shifts in one value and folds the five
    bits that fall off the top back in through ``_GENERATOR``."""
    checksum = 1
    for value in values:
        top = checksum >> 25
        checksum = (checksum & 0x1FFFFFF) << 5 ^ value
        for bit, generator in enumerate(_GENERATOR):
            if (top >> bit) & 1:
                checksum ^= generator
    return checksum


def hrp_expand(hrp: str) -> list[int]:
    """The hrp as the checksum sees it: the high 3 bits of each character, a 0, then the low
    5 bits of each character."""
    return [ord(char) >> 5 for char in hrp] + [0] + [ord(char) & 31 for char in hrp]


def create_checksum(hrp: str, data: Sequence[int], encoding: Encoding) -> list[int]:
    """The six 5-bit values that make :func:`polymod` of the whole string equal the constant."""
    remainder = polymod([*hrp_expand(hrp), *data, 0, 0, 0, 0, 0, 0]) ^ encoding.value
    return [(remainder >> 5 * (5 - i)) & 31 for i in range(CHECKSUM_LENGTH)]


def verify_checksum(hrp: str, data: Sequence[int]) -> Encoding | None:
    """Which encoding's checksum ``data`` (ending in its checksum) carries, or None."""
    constant = polymod([*hrp_expand(hrp), *data])
    for encoding in Encoding:
        if constant == encoding.value:
            return encoding
    return None


# --- strings ----------------------------------------------------------------------------


def bech32_encode(hrp: str, data: Sequence[int], encoding: Encoding) -> str:
    """The string for ``hrp`` and 5-bit ``data`` with ``encoding``'s checksum, lower case.

    >>> bech32_encode("a", [], Encoding.BECH32)
    'a12uel5l'
    """
    _check_hrp(hrp)
    if any(not 0 <= value < 32 for value in data):
        raise ValueError("bech32 data values are 5-bit numbers, 0 to 31")
    hrp = hrp.lower()
    checksum = create_checksum(hrp, data, encoding)
    text = hrp + "1" + "".join(CHARSET[value] for value in [*data, *checksum])
    if len(text) > MAX_LENGTH:
        raise ValueError(f"a bech32 string is at most {MAX_LENGTH} characters, got {len(text)}")
    return text


def bech32_decode(text: str) -> tuple[str, list[int], Encoding]:
    """``(hrp, data, encoding)`` of a Bech32 or Bech32m string; the checksum is removed.

    The hrp comes back in lower case.  Raises :class:`DecodeError` (codes in the module
    docstring) for anything BIP173/BIP350 calls invalid.
    """
    if not isinstance(text, str):
        raise DecodeError("decode-bad-type", f"a bech32 string is a str, got {type(text).__name__}")
    if len(text) > MAX_LENGTH:
        raise DecodeError(
            "decode-bad-length",
            f"a bech32 string is at most {MAX_LENGTH} characters, got {len(text)}",
        )
    for position, char in enumerate(text):
        if not 33 <= ord(char) <= 126:
            raise DecodeError(
                "decode-bad-character",
                f"character {char!r} at position {position} is outside printable ASCII (33-126)",
            )
    if text.lower() != text and text.upper() != text:
        raise DecodeError(
            "decode-mixed-case",
            f"{text!r} mixes upper and lower case; a bech32 string is all one case",
        )
    text = text.lower()
    separator = text.rfind("1")
    if separator == -1:
        raise DecodeError("decode-no-separator", f"{text!r} has no '1' between hrp and data")
    if separator == 0:
        raise DecodeError("decode-bad-hrp", f"{text!r} has an empty human-readable part")
    hrp, data_part = text[:separator], text[separator + 1 :]
    if len(data_part) < CHECKSUM_LENGTH:
        raise DecodeError(
            "decode-bad-length",
            f"{text!r} has {len(data_part)} characters after the separator; "
            f"the checksum alone is {CHECKSUM_LENGTH}",
        )
    data = []
    for offset, char in enumerate(data_part):
        if char not in _CHARSET_INDEX:
            raise DecodeError(
                "decode-bad-character",
                f"{char!r} at position {separator + 1 + offset} is not a bech32 data "
                f"character (the alphabet is {CHARSET}: no 1, b, i or o)",
            )
        data.append(_CHARSET_INDEX[char])
    encoding = verify_checksum(hrp, data)
    if encoding is None:
        raise DecodeError(
            "decode-bad-checksum",
            f"{text!r} has neither a valid bech32 nor bech32m checksum (a typo?)",
        )
    return hrp, data[:-CHECKSUM_LENGTH], encoding


def _check_hrp(hrp: str) -> None:
    if not isinstance(hrp, str) or not 1 <= len(hrp) <= MAX_LENGTH - 7:
        raise ValueError(f"an hrp is a str of 1 to {MAX_LENGTH - 7} characters, got {hrp!r}")
    if any(not 33 <= ord(char) <= 126 for char in hrp):
        raise ValueError(f"hrp {hrp!r} has characters outside printable ASCII (33-126)")
    if hrp.lower() != hrp and hrp.upper() != hrp:
        raise ValueError(f"hrp {hrp!r} mixes upper and lower case")


# --- regrouping bits --------------------------------------------------------------------


def convert_bits(data: Iterable[int], from_bits: int, to_bits: int, *, pad: bool) -> list[int]:
    """Regroup a stream of ``from_bits``-bit values into ``to_bits``-bit values, big-endian.

    Encoding (8 to 5) pads the last group with zero bits (``pad=True``).  Decoding (5 to 8)
    refuses what encoding could not have produced: a leftover of 5 or more bits, or leftover
    bits that are not zero (BIP173's "non-zero padding").
    """
    accumulator, bits, result = 0, 0, []
    mask = (1 << to_bits) - 1
    for value in data:
        if value < 0 or value >> from_bits:
            raise ValueError(f"{value} does not fit in {from_bits} bits")
        accumulator = (accumulator << from_bits) | value
        bits += from_bits
        while bits >= to_bits:
            bits -= to_bits
            result.append((accumulator >> bits) & mask)
    if pad:
        if bits:
            result.append((accumulator << (to_bits - bits)) & mask)
    elif bits >= from_bits:
        raise DecodeError("decode-bad-padding", f"{bits} bits of padding; at most 4 are allowed")
    elif (accumulator << (to_bits - bits)) & mask:
        raise DecodeError("decode-bad-padding", "the padding bits at the end are not all zero")
    return result


# --- segwit addresses -------------------------------------------------------------------


def encode_segwit_address(hrp: str, version: int, program: bytes) -> str:
    """The address of witness ``version`` and ``program`` (BIP173, with BIP350's checksum rule)."""
    _check_program(version, bytes(program), error=ValueError)
    data = [version, *convert_bits(program, 8, 5, pad=True)]
    return bech32_encode(hrp, data, encoding_for_version(version))


def decode_segwit_address(hrp: str, address: str) -> tuple[int, bytes]:
    """``(witness version, program)`` of a segwit address that must carry ``hrp``.

    Checks everything BIP173 and BIP350 require: the string, the hrp, the version, the
    checksum variant for that version, the padding and the program length.
    """
    found_hrp, data, encoding = bech32_decode(address)
    if found_hrp != hrp.lower():
        raise DecodeError(
            "decode-bad-hrp",
            f"address has human-readable part {found_hrp!r}, expected {hrp.lower()!r}",
        )
    if not data:
        raise DecodeError("decode-bad-length", "address has no witness version (empty data)")
    version = data[0]
    if version > MAX_WITNESS_VERSION:
        raise DecodeError(
            "decode-bad-witness-version",
            f"witness version {version} is above {MAX_WITNESS_VERSION}",
        )
    expected = encoding_for_version(version)
    if encoding is not expected:
        raise DecodeError(
            "decode-bad-checksum",
            f"witness version {version} addresses use a {expected.name.lower()} checksum "
            f"(BIP350); this one has a {encoding.name.lower()} checksum",
        )
    program = bytes(convert_bits(data[1:], 5, 8, pad=False))
    _check_program(version, program, error=DecodeError)
    return version, program


def _check_program(version: int, program: bytes, *, error: type[Exception]) -> None:
    def fail(code: str, message: str) -> Exception:
        return DecodeError(code, message) if error is DecodeError else error(message)

    if not isinstance(version, int) or not 0 <= version <= MAX_WITNESS_VERSION:
        raise fail("decode-bad-witness-version", f"witness version must be 0..16, got {version}")
    if not MIN_PROGRAM_LENGTH <= len(program) <= MAX_PROGRAM_LENGTH:
        raise fail(
            "decode-bad-length",
            f"a witness program is {MIN_PROGRAM_LENGTH} to {MAX_PROGRAM_LENGTH} bytes, "
            f"got {len(program)}",
        )
    if version == 0 and len(program) not in V0_PROGRAM_LENGTHS:
        raise fail(
            "decode-bad-length",
            f"a version 0 program is 20 bytes (P2WPKH) or 32 bytes (P2WSH), got {len(program)}",
        )
