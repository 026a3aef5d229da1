"""encoding.py: CompactSize, ByteReader and Base58Check against known encodings."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from edu_chain.encoding import (
    ByteReader,
    base58_decode,
    base58_encode,
    base58check_decode,
    base58check_encode,
    decode_varint,
    encode_varint,
    int32_le,
    uint32_le,
)
from edu_chain.errors import DecodeError

# CompactSize boundaries, from Bitcoin Core's serialize.h (WriteCompactSize).
VARINTS = [
    (0, "00"),
    (0xFC, "fc"),
    (0xFD, "fdfd00"),
    (0xFFFF, "fdffff"),
    (0x10000, "fe00000100"),
    (0xFFFFFFFF, "feffffffff"),
    (0x100000000, "ff0000000001000000"),
]


@pytest.mark.parametrize(("value", "encoded"), VARINTS)
def test_varint_known_encodings(value, encoded):
    assert encode_varint(value).hex() == encoded
    assert decode_varint(bytes.fromhex(encoded)) == (value, len(encoded) // 2)


@given(st.integers(min_value=0, max_value=2**64 - 1))
def test_varint_round_trip(value):
    assert decode_varint(encode_varint(value)) == (value, len(encode_varint(value)))


@pytest.mark.parametrize("raw", ["fdfc00", "feffff0000", "ffffffffff00000000"])
def test_non_canonical_varint_is_refused(raw):
    with pytest.raises(DecodeError) as info:
        decode_varint(bytes.fromhex(raw))
    assert info.value.code == "decode-non-canonical"


@pytest.mark.parametrize("raw", ["", "fd", "fdff", "fe000000", "ff00000000000000"])
def test_truncated_varint(raw):
    with pytest.raises(DecodeError) as info:
        decode_varint(bytes.fromhex(raw))
    assert info.value.code == "decode-truncated"


def test_count_refuses_more_items_than_bytes():
    reader = ByteReader(bytes.fromhex("ffffffffffffffffff") + b"\x00" * 10)
    with pytest.raises(DecodeError) as info:
        reader.count("inputs", 41)
    assert info.value.code == "decode-too-large"


def test_expect_end_reports_trailing_bytes():
    reader = ByteReader(b"\x01\x00\x00\x00\xff")
    assert reader.uint32() == 1
    with pytest.raises(DecodeError) as info:
        reader.expect_end()
    assert info.value.code == "decode-trailing-bytes"


def test_fixed_width_ints_refuse_out_of_range():
    assert int32_le(-1) == b"\xff\xff\xff\xff"
    with pytest.raises(ValueError):
        uint32_le(2**32)
    with pytest.raises(ValueError):
        int32_le(2**31)


def test_base58check_known_address():
    # Private key 1's compressed public key hashes to 751e76e8...; with version byte 0x00
    # it is the well-known address 1BgGZ9tcN4rm9KBzDn7KprQz87SZ26SAMH, and with the testnet
    # version byte 0x6f, mrCDrCybB6J1vRfbwM5hemdJz73FwDBC8r.
    pkh = bytes.fromhex("751e76e8199196d454941c45d1b3a323f1433bd6")
    assert base58check_encode(b"\x00" + pkh) == "1BgGZ9tcN4rm9KBzDn7KprQz87SZ26SAMH"
    assert base58check_encode(b"\x6f" + pkh) == "mrCDrCybB6J1vRfbwM5hemdJz73FwDBC8r"
    assert base58check_decode("mrCDrCybB6J1vRfbwM5hemdJz73FwDBC8r") == b"\x6f" + pkh


@given(st.binary(max_size=64))
def test_base58_round_trip(data):
    assert base58_decode(base58_encode(data)) == data
    assert base58check_decode(base58check_encode(data)) == data


def test_base58check_typo_is_detected():
    with pytest.raises(DecodeError) as info:
        base58check_decode("mrCDrCybB6J1vRfbwM5hemdJz73FwDBC8s")
    assert info.value.code == "decode-bad-checksum"


def test_base58_rejects_ambiguous_characters():
    with pytest.raises(DecodeError) as info:
        base58_decode("1BgGZ0")
    assert info.value.code == "decode-bad-character"
