"""PrivateKey / PublicKey / Signature / addresses: formats, and every malformed input refused."""

import hashlib

import pytest

from edu_chain.encoding import base58check_encode
from edu_chain.errors import KeyFormatError
from edu_chain.hashing import hash160
from edu_chain.keys import (
    TESTNET_VERSION,
    N,
    PrivateKey,
    PublicKey,
    Signature,
    address_to_pubkey_hash,
    is_valid_address,
    pubkey_hash_to_address,
)
from edu_chain.keys.curve import GX, GY
from edu_chain.keys.field import P

DIGEST = hashlib.sha256(b"edu_chain").digest()

# Compressed SEC of G and of 1*G's address on Bitcoin testnet (version 0x6f): the key "1" is
# famous; its mainnet address is 1BgGZ9tcN4rm9KBzDn7KprQz87SZ26SAMH and testnet
# mrCDrCybB6J1vRfbwM5hemdJz73FwDBC8r (same hash160 751e76e8199196d454941c45d1b3a323f1433bd6).
G_COMPRESSED = "0279be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798"
KEY_ONE_HASH160 = "751e76e8199196d454941c45d1b3a323f1433bd6"
KEY_ONE_TESTNET_ADDRESS = "mrCDrCybB6J1vRfbwM5hemdJz73FwDBC8r"


def test_key_one_is_the_generator():
    public_key = PrivateKey(1).public_key
    assert public_key.point == (GX, GY)
    assert public_key.sec().hex() == G_COMPRESSED
    assert public_key.sec(compressed=False).hex() == "04" + f"{GX:064x}{GY:064x}"
    assert public_key.pubkey_hash().hex() == KEY_ONE_HASH160
    assert public_key.address() == KEY_ONE_TESTNET_ADDRESS
    assert base58check_encode(b"\x00" + bytes.fromhex(KEY_ONE_HASH160)) == (
        "1BgGZ9tcN4rm9KBzDn7KprQz87SZ26SAMH"
    )


def test_sec_round_trips_both_forms():
    for secret in (1, 2, 3, 0xA11CE, N - 1):
        public_key = PrivateKey(secret).public_key
        assert PublicKey.from_sec(public_key.sec()) == public_key
        assert PublicKey.from_sec(public_key.sec(compressed=False)) == public_key
        assert public_key.sec()[0] == 2 + (public_key.y & 1)


def test_private_key_api():
    key = PrivateKey(0xA11CE)
    assert PrivateKey.from_bytes(key.to_bytes()) == key
    assert "a11ce" not in repr(key).lower() and key.public_key.address() in repr(key)
    generated = {PrivateKey.generate().secret for _ in range(5)}
    assert len(generated) == 5 and all(1 <= secret < N for secret in generated)
    for bad in (0, N, -1, N + 1):
        with pytest.raises(KeyFormatError):
            PrivateKey(bad)
    with pytest.raises(TypeError):
        PrivateKey("1")
    with pytest.raises(KeyFormatError):
        PrivateKey.from_bytes(b"\x01" * 31)
    with pytest.raises(ValueError):
        key.sign_digest(b"short")


def test_sign_verify_and_wrong_inputs_give_false():
    key = PrivateKey(0xA11CE)
    signature = key.sign_digest(DIGEST)
    assert signature.is_low_s()
    assert key.public_key.verify_digest(signature, DIGEST)
    assert not key.public_key.verify_digest(signature, bytes(32))
    assert not PrivateKey(2).public_key.verify_digest(signature, DIGEST)
    assert not key.public_key.verify_digest(Signature(signature.r, N - signature.s), DIGEST)
    assert not key.public_key.verify_digest(signature, DIGEST[:31])
    assert not key.public_key.verify_digest("not a signature", DIGEST)  # type: ignore[arg-type]


# --- SEC ---------------------------------------------------------------------------------

SEC_G = bytes.fromhex(G_COMPRESSED)
# Smallest x for which x**3 + 7 is not a square mod p: no point has it.
X_NOT_ON_CURVE = next(x for x in range(1, 100) if pow(x**3 + 7, (P - 1) // 2, P) != 1)


@pytest.mark.parametrize(
    "data, message",
    [
        (b"", "empty"),
        (SEC_G[:-1], "33 bytes"),
        (SEC_G + b"\x00", "33 bytes"),
        (b"\x05" + SEC_G[1:], "prefix"),
        (b"\x00" * 33, "prefix"),
        (b"\x02" + P.to_bytes(32, "big"), "field prime"),
        (b"\x02" + X_NOT_ON_CURVE.to_bytes(32, "big"), "no point"),
        (b"\x04" + GX.to_bytes(32, "big") + (GY + 1).to_bytes(32, "big"), "not a point"),
        (b"\x04" + GX.to_bytes(32, "big"), "65 bytes"),
        (b"\x04" + GX.to_bytes(32, "big") + GY.to_bytes(32, "big") + b"\x00", "65 bytes"),
    ],
)
def test_malformed_sec_is_a_key_format_error(data, message):
    with pytest.raises(KeyFormatError, match=message):
        PublicKey.from_sec(data)


def test_public_key_must_be_on_the_curve():
    with pytest.raises(KeyFormatError):
        PublicKey(1, 1)


# --- DER ---------------------------------------------------------------------------------


def der(r_bytes: bytes, s_bytes: bytes) -> bytes:
    body = b"\x02" + bytes([len(r_bytes)]) + r_bytes + b"\x02" + bytes([len(s_bytes)]) + s_bytes
    return b"\x30" + bytes([len(body)]) + body


def test_der_known_encoding():
    # The bitcoinjs-lib fixture for key 1 / "Satoshi Nakamoto" (see test_keys_ecdsa.py).
    expected = (
        "3045022100934b1ea10a4b3c1757e2b0c017d0b6143ce3c9a7e6a4a49860d7a6ab210ee3d8"
        "02202442ce9d2b916064108014783e923ec36b49743e2ffa1c4496f01a512aafd9e5"
    )
    signature = PrivateKey(1).sign_digest(hashlib.sha256(b"Satoshi Nakamoto").digest())
    assert signature.der().hex() == expected
    assert Signature.from_der(bytes.fromhex(expected)) == signature
    assert Signature(1, 1).der().hex() == "3006020101020101"


GOOD = Signature(0x80 << 240, 1).der()  # r needs a 0x00 pad byte


@pytest.mark.parametrize(
    "data, message",
    [
        (b"", "8..72 bytes"),
        (GOOD[:-1], "SEQUENCE length"),
        (GOOD + b"\x00", "SEQUENCE length"),
        (b"\x31" + GOOD[1:], "SEQUENCE 0x30"),
        (b"\x30\x49" + GOOD[2:], "SEQUENCE length"),
        (der(b"\x01", b"\x01")[:2] + b"\x03" + der(b"\x01", b"\x01")[3:], "INTEGER tag"),
        (der(b"", b"\x01\x01"), "length 0"),
        (der(b"\x81", b"\x01"), "negative"),
        (der(b"\x00\x01", b"\x01"), "leading zero"),
        (der(b"\x01", b"\x00\x7f"), "leading zero"),
        (der(b"\x00", b"\x01"), "r must be in"),
        (der(b"\x01", b"\x00"), "s must be in"),
        (der(b"\x01", b"\x00" + N.to_bytes(32, "big")), "s must be in"),
        (der(b"\x00" + N.to_bytes(32, "big"), b"\x01"), "r must be in"),
        (der(b"\x01", b"\x01" * 33), "8..72|s must be in"),
        (b"\x30\x08\x02\x09\x01\x02\x01\x01\x00\x00", "claims"),
        (b"\x30\x08\x02\x01\x01\x02\x01\x01\x05\x00", "trailing"),
        (b"\x30\x06\x02\x01\x01\x05\x01\x01", "INTEGER tag"),
    ],
)
def test_malformed_der_is_a_key_format_error(data, message):
    with pytest.raises(KeyFormatError, match=message):
        Signature.from_der(data)


def test_high_s_is_refused_unless_asked_for():
    high = Signature(5, N - 5)
    assert not high.is_low_s()
    with pytest.raises(KeyFormatError, match="high"):
        Signature.from_der(high.der())
    assert Signature.from_der(high.der(), allow_high_s=True) == high
    assert high.normalized() == Signature(5, 5)
    for bad in ((0, 1), (1, 0), (N, 1), (1, N)):
        with pytest.raises(KeyFormatError):
            Signature(*bad)


# --- addresses ---------------------------------------------------------------------------


def test_address_round_trip_and_version():
    pubkey_hash = hash160(b"anything")
    address = pubkey_hash_to_address(pubkey_hash)
    assert address[0] in "mn"
    assert address_to_pubkey_hash(address) == pubkey_hash
    assert is_valid_address(address)
    assert TESTNET_VERSION == 0x6F


@pytest.mark.parametrize(
    "address, message",
    [
        ("1BgGZ9tcN4rm9KBzDn7KprQz87SZ26SAMH", "mainnet"),  # real mainnet address of key 1
        (KEY_ONE_TESTNET_ADDRESS[:-1] + "9", "checksum"),
        (KEY_ONE_TESTNET_ADDRESS.replace("m", "0", 1), "Base58"),
        ("", "short"),
        (base58check_encode(bytes([TESTNET_VERSION]) + bytes(19)), "21"),
        (base58check_encode(bytes([TESTNET_VERSION]) + bytes(21)), "21"),
        (base58check_encode(b"\x05" + bytes(20)), "version"),
    ],
)
def test_malformed_addresses(address, message):
    with pytest.raises(KeyFormatError, match=message):
        address_to_pubkey_hash(address)
    assert not is_valid_address(address)


def test_a_huge_address_is_refused_before_decoding():
    """Base58 decoding is quadratic in the length (a 2 MB string would take minutes): a node
    that reads an address from a request must refuse it on its length alone."""
    for text in ("2" * 1_000_000, "m" * 101):
        with pytest.raises(KeyFormatError, match=f"{len(text)} characters"):
            address_to_pubkey_hash(text)
        assert not is_valid_address(text)


def test_address_argument_types():
    with pytest.raises(KeyFormatError):
        address_to_pubkey_hash(b"bytes")  # type: ignore[arg-type]
    with pytest.raises(KeyFormatError):
        pubkey_hash_to_address(bytes(19))


def test_key_errors_say_what_was_found_but_never_the_secret():
    for secret, found in ((0, "got 0"), (-5, "negative"), (N + 12345, ">= n")):
        with pytest.raises(KeyFormatError, match=found) as excinfo:
            PrivateKey(secret)
        assert not secret or str(abs(secret)) not in str(excinfo.value)
    with pytest.raises(KeyFormatError, match="got 31 bytes"):
        PrivateKey.from_bytes(bytes(31))
    with pytest.raises(KeyFormatError, match="got 19 bytes"):
        pubkey_hash_to_address(bytes(19))
    with pytest.raises(ValueError, match="got str"):
        PrivateKey(1).sign_digest("00" * 32)
