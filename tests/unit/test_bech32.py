"""Bech32 / Bech32m against every test vector of BIP173 and BIP350.

Oracle: the vectors in ``tests/fixtures/bips/bech32_vectors.json`` (source and commits in the
file), checked the way the BIPs' reference implementation (sipa/bech32, ref/python) checks
them.
"""

import json
from pathlib import Path

import pytest

from edu_chain.bech32 import (
    Encoding,
    bech32_decode,
    bech32_encode,
    convert_bits,
    decode_segwit_address,
    encode_segwit_address,
    polymod,
)
from edu_chain.errors import DecodeError

VECTORS = json.loads((Path(__file__).parents[1] / "fixtures/bips/bech32_vectors.json").read_text())


def witness_script(version: int, program: bytes) -> bytes:
    """scriptPubKey of a witness program, written out independently of the library."""
    return bytes([version + 0x50 if version else 0, len(program)]) + program


@pytest.mark.parametrize(
    ("text", "encoding"),
    [(text, Encoding.BECH32) for text in VECTORS["valid_bech32"]]
    + [(text, Encoding.BECH32M) for text in VECTORS["valid_bech32m"]],
)
def test_valid_strings_decode_and_re_encode(text, encoding):
    hrp, data, found = bech32_decode(text)
    assert found is encoding
    assert bech32_encode(hrp, data, encoding) == text.lower()


@pytest.mark.parametrize(
    "text", VECTORS["valid_bech32"] + VECTORS["valid_bech32m"], ids=lambda text: text[:20]
)
def test_a_valid_string_with_one_character_changed_is_refused(text):
    """What the reference test does to every valid string: flip a bit of one character."""
    position = text.rfind("1") + 1
    changed = text[:position] + chr(ord(text[position]) ^ 1) + text[position + 1 :]
    with pytest.raises(DecodeError):
        bech32_decode(changed)


def test_no_string_is_both_bech32_and_bech32m():
    """BIP350: the valid Bech32m vectors double as invalid Bech32 ones, and the reverse."""
    for text in VECTORS["valid_bech32"]:
        assert bech32_decode(text)[2] is Encoding.BECH32
    for text in VECTORS["valid_bech32m"]:
        assert bech32_decode(text)[2] is Encoding.BECH32M


INVALID_CODES = {
    "HRP character out of range": "decode-bad-character",
    "overall max length exceeded": "decode-bad-length",
    "No separator character": "decode-no-separator",
    "Empty HRP": "decode-bad-hrp",
    "empty HRP": "decode-bad-hrp",
    "Invalid data character": "decode-bad-character",
    "Too short checksum": "decode-bad-length",
    "Invalid character in checksum": "decode-bad-character",
    "checksum calculated with uppercase form of HRP": "decode-bad-checksum",
}


@pytest.mark.parametrize(
    ("text", "reason"), VECTORS["invalid_bech32"] + VECTORS["invalid_bech32m"], ids=repr
)
def test_invalid_strings_are_refused_with_the_bip_reason(text, reason):
    with pytest.raises(DecodeError) as caught:
        bech32_decode(text)
    assert caught.value.code == INVALID_CODES[reason]


@pytest.mark.parametrize(("address", "script_hex"), VECTORS["valid_segwit_addresses"])
def test_valid_segwit_addresses(address, script_hex):
    hrp = address[: address.rfind("1")].lower()
    version, program = decode_segwit_address(hrp, address)
    assert witness_script(version, program).hex() == script_hex
    assert encode_segwit_address(hrp, version, program) == address.lower()


SEGWIT_CODES = {
    "Invalid human-readable part": "decode-bad-hrp",
    "Invalid checksum": "decode-bad-checksum",
    "Invalid checksum (Bech32 instead of Bech32m)": "decode-bad-checksum",
    "Invalid checksum (Bech32m instead of Bech32)": "decode-bad-checksum",
    "Invalid character in checksum": "decode-bad-character",
    "Invalid witness version": "decode-bad-witness-version",
    "Invalid program length": "decode-bad-length",
    "Invalid program length (1 byte)": "decode-bad-length",
    "Invalid program length (41 bytes)": "decode-bad-length",
    "Invalid program length for witness version 0 (per BIP141)": "decode-bad-length",
    "Mixed case": "decode-mixed-case",
    "zero padding of more than 4 bits": "decode-bad-padding",
    "Non-zero padding in 8-to-5 conversion": "decode-bad-padding",
    "Empty data section": "decode-bad-length",
}


@pytest.mark.parametrize(("address", "reason"), VECTORS["invalid_segwit_addresses"], ids=repr)
def test_invalid_segwit_addresses_are_refused_for_both_hrps(address, reason):
    """As the reference test: invalid whether decoded as a mainnet or a testnet address."""
    codes = set()
    for hrp in ("bc", "tb"):
        with pytest.raises(DecodeError) as caught:
            decode_segwit_address(hrp, address)
        codes.add(caught.value.code)
    # One of the two hrps is the address's own, and there the BIP's reason shows.
    assert SEGWIT_CODES[reason] in codes


@pytest.mark.parametrize(
    ("address", "reason"), VECTORS["bip173_invalid_segwit_addresses"], ids=repr
)
def test_bip173_invalid_segwit_addresses_stay_invalid(address, reason):
    for hrp in ("bc", "tb"):
        with pytest.raises(DecodeError):
            decode_segwit_address(hrp, address)


@pytest.mark.parametrize(("address", "script_hex"), VECTORS["bip173_segwit_addresses"])
def test_bip173_v0_addresses_stay_valid_and_its_v1_plus_addresses_are_now_refused(
    address, script_hex
):
    hrp = address[: address.rfind("1")].lower()
    if script_hex.startswith("00"):
        version, program = decode_segwit_address(hrp, address)
        assert witness_script(version, program).hex() == script_hex
    else:
        with pytest.raises(DecodeError) as caught:
            decode_segwit_address(hrp, address)
        assert caught.value.code == "decode-bad-checksum"
        assert "bech32m" in caught.value.message


def test_the_checksum_constants_are_the_bips():
    """polymod of a valid string is 1 for Bech32 (BIP173), 0x2bc830a3 for Bech32m (BIP350)."""

    def expanded(text):
        hrp, rest = text.lower().rsplit("1", 1)
        hrp_values = [ord(c) >> 5 for c in hrp] + [0] + [ord(c) & 31 for c in hrp]
        return hrp_values + ["qpzry9x8gf2tvdw0s3jn54khce6mua7l".index(c) for c in rest]

    assert polymod(expanded("a12uel5l")) == 1
    assert polymod(expanded("a1lqfn3a")) == 0x2BC830A3


def test_convert_bits_known_values():
    assert convert_bits(b"\xff", 8, 5, pad=True) == [31, 28]
    assert bytes(convert_bits([31, 28], 5, 8, pad=False)) == b"\xff"
    with pytest.raises(DecodeError, match="not all zero"):
        convert_bits([31, 29], 5, 8, pad=False)


@pytest.mark.parametrize("bad", [None, 12, b"bc1q"])
def test_non_strings_are_a_decode_error(bad):
    with pytest.raises(DecodeError) as caught:
        bech32_decode(bad)
    assert caught.value.code == "decode-bad-type"


def test_encoding_refuses_what_no_address_may_hold():
    with pytest.raises(ValueError, match="20 bytes"):
        encode_segwit_address("bc", 0, bytes(21))
    with pytest.raises(ValueError, match=r"0\.\.16"):
        encode_segwit_address("bc", 17, bytes(20))
    with pytest.raises(ValueError, match="2 to 40"):
        encode_segwit_address("bc", 1, bytes(41))
    with pytest.raises(ValueError, match="at most 90"):
        bech32_encode("a" * 80, [0] * 10, Encoding.BECH32)
    with pytest.raises(ValueError, match="mixes"):
        bech32_encode("Bc", [0], Encoding.BECH32)


def test_the_wrong_variant_for_the_version_says_which_one_is_needed():
    with pytest.raises(DecodeError) as caught:
        decode_segwit_address("bc", "bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kemeawh")
    assert "witness version 0 addresses use a bech32 checksum" in caught.value.message


def test_the_docstring_examples_run():
    import doctest

    import edu_chain.bech32

    result = doctest.testmod(edu_chain.bech32)
    assert result.attempted > 0 and result.failed == 0
