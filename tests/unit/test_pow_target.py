"""pow/target.py: Bitcoin's compact target encoding, checked against Bitcoin Core's cases."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from edu_chain.errors import ValidationError
from edu_chain.pow import bits_to_target, block_work, target_to_bits

# (bits, target) pairs from Bitcoin Core's src/test/arith_uint256_tests.cpp
# (the "bignum_SetCompact" test), plus the genesis difficulty-1 target.
CORE_CASES = [
    (0x00000000, 0),
    (0x00123456, 0),
    (0x01003456, 0),
    (0x02000056, 0),
    (0x03000000, 0),
    (0x04000000, 0),
    (0x00923456, 0),
    (0x01803456, 0),
    (0x02800056, 0),
    (0x03800000, 0),
    (0x04800000, 0),
    (0x01123456, 0x12),
    (0x02123456, 0x1234),
    (0x03123456, 0x123456),
    (0x04123456, 0x12345600),
    (0x05009234, 0x92340000),
    (0x20123456, 0x1234560000000000000000000000000000000000000000000000000000000000),
    (0x1D00FFFF, 0xFFFF << 208),
]

# Canonical re-encodings Bitcoin Core asserts (GetCompact of the decoded value).
CANONICAL = {
    0x01123456: 0x01120000,
    0x02123456: 0x02123400,
    0x04123456: 0x04123456,
    0x05009234: 0x05009234,
    0x20123456: 0x20123456,
    0x1D00FFFF: 0x1D00FFFF,
    0x00000000: 0,
}


@pytest.mark.parametrize(("bits", "target"), CORE_CASES, ids=lambda v: hex(v)[:12])
def test_bits_to_target_bitcoin_core_cases(bits, target):
    assert bits_to_target(bits) == target


@pytest.mark.parametrize(("bits", "canonical"), CANONICAL.items())
def test_target_to_bits_is_canonical(bits, canonical):
    assert target_to_bits(bits_to_target(bits)) == canonical


def test_sign_bit_is_refused():
    # 0x04923456 is negative in Bitcoin Core (fNegative set).
    with pytest.raises(ValidationError) as info:
        bits_to_target(0x04923456)
    assert info.value.code == "bits-negative"


@pytest.mark.parametrize("bits", [0xFF123456, 0x23000100, 0x22010000, 0x21010000 | 0x7FFFFF])
def test_overflow_is_refused(bits):
    with pytest.raises(ValidationError) as info:
        bits_to_target(bits)
    assert info.value.code == "bits-overflow"


@pytest.mark.parametrize("bad", [-1, 2**32, "1d00ffff"])
def test_bits_must_be_uint32(bad):
    with pytest.raises(ValidationError):
        bits_to_target(bad)


def test_negative_target_is_refused():
    with pytest.raises(ValidationError):
        target_to_bits(-5)
    with pytest.raises(ValidationError):
        target_to_bits(2**256)


@given(st.integers(0, 2**256 - 1))
def test_target_round_trip_keeps_three_significant_bytes(target):
    bits = target_to_bits(target)
    decoded = bits_to_target(bits)
    assert decoded <= target
    # Only bytes below the mantissa may be lost: 3 significant bytes, or 2 when the top byte
    # is >= 0x80 and the encoder had to shift it down to keep the sign bit clear.
    shift = max(0, 8 * ((bits >> 24) - 3))
    assert decoded >> shift == target >> shift
    assert target_to_bits(decoded) == bits  # canonical form is a fixed point


@given(st.integers(0, 2**32 - 1))
def test_canonical_bits_round_trip(bits):
    try:
        target = bits_to_target(bits)
    except ValidationError:
        return
    canonical = target_to_bits(target)
    assert bits_to_target(canonical) == target


def test_block_work_of_difficulty_one():
    # Difficulty-1 work is 2**256 / (0xffff * 2**208 + 1) = 4295032833 (0x100010001),
    # the chainwork Bitcoin Core reports for the genesis block.
    assert block_work(0x1D00FFFF) == 0x100010001
