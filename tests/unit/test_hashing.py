"""hashing.py against hashlib and published RIPEMD-160 / HASH160 vectors."""

import hashlib

import pytest
from hypothesis import given
from hypothesis import strategies as st

from edu_chain.errors import DecodeError
from edu_chain.hashing import (
    display_hex,
    from_display_hex,
    hash160,
    hash_to_int,
    ripemd160,
    sha256,
    sha256d,
)

# Test vectors from the RIPEMD-160 home page (Bosselaers), "RIPEMD-160: test vectors".
RIPEMD160_VECTORS = [
    (b"", "9c1185a5c5e9fc54612808977ee8f548b2258d31"),
    (b"a", "0bdc9d2d256b3ee9daae347be6f4dc835a467ffe"),
    (b"abc", "8eb208f7e05d987a9b044a8e98c6b087f15a0bfc"),
    (b"message digest", "5d0689ef49d2fae572b881b123a85ffa21595f36"),
    (b"a" * 1_000_000, "52783243c1697bdbe16d37f97f68f08325dc1528"),
]


@pytest.mark.parametrize(("message", "expected"), RIPEMD160_VECTORS, ids=lambda v: str(v)[:16])
def test_ripemd160_published_vectors(message, expected):
    assert ripemd160(message).hex() == expected


def _hashlib_has_ripemd160() -> bool:
    try:
        hashlib.new("ripemd160")
    except ValueError:
        return False
    return True


@pytest.mark.skipif(not _hashlib_has_ripemd160(), reason="this OpenSSL has no RIPEMD-160")
@given(st.binary(max_size=300))
def test_ripemd160_matches_openssl(data):
    assert ripemd160(data) == hashlib.new("ripemd160", data).digest()


@given(st.binary(max_size=500))
def test_sha256_and_sha256d_match_hashlib(data):
    assert sha256(data) == hashlib.sha256(data).digest()
    assert sha256d(data) == hashlib.sha256(hashlib.sha256(data).digest()).digest()


@given(st.binary(max_size=100))
def test_hash160_is_ripemd160_of_sha256_with_the_readable_code(data):
    assert hash160(data) == ripemd160(hashlib.sha256(data).digest())


def test_hash160_of_the_generator_point():
    # The compressed public key of private key 1 (the generator G) and its HASH160, as used
    # in BIP-173's example address bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4.
    pubkey = bytes.fromhex("0279be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798")
    assert hash160(pubkey).hex() == "751e76e8199196d454941c45d1b3a323f1433bd6"


@given(st.binary(min_size=32, max_size=32))
def test_display_hex_round_trip_and_reversal(internal):
    shown = display_hex(internal)
    assert shown == internal[::-1].hex()
    assert from_display_hex(shown) == internal
    assert hash_to_int(internal) == int(shown, 16)


# bytes.fromhex skips ASCII whitespace, so 64 characters with spaces in them can decode to
# fewer than 32 bytes: those must be refused too, not returned as a short "hash".
@pytest.mark.parametrize(
    "bad", ["00" * 31, "zz" * 32, "", 5, " " * 64, "00 " * 21 + "0", "00" * 31 + "\t\n"]
)
def test_from_display_hex_rejects_bad_ids(bad):
    with pytest.raises(DecodeError):
        from_display_hex(bad)
