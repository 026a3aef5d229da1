"""Addresses <-> scriptPubKeys, against Bitcoin Core's own address vectors and published data.

Oracles:
* Bitcoin Core's ``key_io_valid.json`` / ``key_io_invalid.json`` (tests/fixtures/bitcoin_core,
  commits in its README), used as Core's ``key_io_tests.cpp`` uses them;
* BIP173's "Examples" (the key ``G``, private key 1, and ``<G> OP_CHECKSIG``);
* the Bitcoin wiki's "Technical background of version 1 Bitcoin addresses" worked example
  (private key ``18e14a7b...``, public key ``0250863a...``, hash160 ``f54a5851...``,
  address ``1PMycacnJaSqwwJqjawXBErnLsZ7RkXUAs``).
"""

import json
from pathlib import Path

import pytest

from edu_chain.errors import DecodeError
from edu_chain.hashing import hash160, sha256
from edu_chain.keys import PrivateKey
from edu_chain.script.address import (
    MAINNET,
    NETWORKS,
    REGTEST,
    TESTNET,
    address_to_script_pubkey,
    script_pubkey_to_address,
)
from edu_chain.script.standard import multisig, op_return, p2pk, p2pkh, p2wpkh, p2wsh

FIXTURES = Path(__file__).parents[1] / "fixtures/bitcoin_core"
VALID = json.loads((FIXTURES / "key_io_valid_addresses.json").read_text())
INVALID = json.loads((FIXTURES / "key_io_invalid.json").read_text())
CHAINS = {"main": MAINNET, "testnet4": TESTNET, "signet": TESTNET, "regtest": REGTEST}


def swap_case(text: str) -> str:
    return text.upper() if text == text.lower() else text.lower()


@pytest.mark.parametrize(("address", "script_hex", "meta"), VALID, ids=lambda v: str(v)[:24])
def test_core_valid_addresses_decode_to_their_script(address, script_hex, meta):
    network = CHAINS[meta["chain"]]
    assert address_to_script_pubkey(address, network=network).hex() == script_hex
    if meta.get("tryCaseFlip"):
        assert address_to_script_pubkey(swap_case(address), network=network).hex() == script_hex


@pytest.mark.parametrize(("address", "script_hex", "meta"), VALID, ids=lambda v: str(v)[:24])
def test_core_valid_scripts_encode_to_their_address(address, script_hex, meta):
    network = CHAINS[meta["chain"]]
    assert script_pubkey_to_address(bytes.fromhex(script_hex), network=network) == address


@pytest.mark.parametrize(("address", "script_hex", "meta"), VALID, ids=lambda v: str(v)[:24])
def test_core_valid_addresses_are_refused_by_networks_that_cannot_read_them(
    address, script_hex, meta
):
    """A mainnet address is no testnet or regtest address, and the reverse.

    Base58 addresses of testnet and regtest share version bytes (as in Core), so only the
    bech32 hrp separates those two.
    """
    own = CHAINS[meta["chain"]]
    for network in NETWORKS.values():
        shared_base58 = {own.name, network.name} == {"testnet", "regtest"}
        if network == own or (shared_base58 and not address.lower().startswith(("tb1", "bcrt1"))):
            continue
        with pytest.raises(DecodeError) as caught:
            address_to_script_pubkey(address, network=network)
        assert caught.value.code == "decode-wrong-network"
        assert own.name in caught.value.message


@pytest.mark.parametrize(("text",), INVALID, ids=lambda v: repr(v)[:24])
def test_core_invalid_strings_are_refused_on_every_network(text):
    for network in NETWORKS.values():
        with pytest.raises(DecodeError) as caught:
            address_to_script_pubkey(text, network=network)
        assert caught.value.code.startswith("decode-")
        assert caught.value.message


# BIP173 "Examples": public key G (private key 1), compressed.
G_SEC = bytes.fromhex("0279be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798")


def test_bip173_examples_p2wpkh_of_g():
    script = p2wpkh(hash160(G_SEC))
    assert script_pubkey_to_address(script, network=MAINNET) == (
        "bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4"
    )
    assert script_pubkey_to_address(script, network=TESTNET) == (
        "tb1qw508d6qejxtdg4y5r3zarvary0c5xw7kxpjzsx"
    )


def test_bip173_examples_p2wsh_of_g_checksig():
    script = p2wsh(sha256(p2pk(G_SEC)))
    assert script_pubkey_to_address(script, network=MAINNET) == (
        "bc1qrp33g0q5c5txsp9arysrx4k6zdkfs4nce4xj0gdcccefvpysxf3qccfmv3"
    )
    assert script_pubkey_to_address(script, network=TESTNET) == (
        "tb1qrp33g0q5c5txsp9arysrx4k6zdkfs4nce4xj0gdcccefvpysxf3q0sl5k7"
    )


def test_bitcoin_wiki_worked_example_from_private_key_to_address():
    key = PrivateKey(0x18E14A7B6A307F426A94F8114701E7C8E774E7F9A47E2C2035DB29A206321725)
    sec = key.public_key.sec()
    assert sec.hex() == "0250863ad64a87ae8a2fe83c1af1a8403cb53f53e486d8511dad8a04887e5b2352"
    assert hash160(sec).hex() == "f54a5851e9372b87810a8e60cdd2e7cfd80b6e31"
    address = script_pubkey_to_address(p2pkh(hash160(sec)), network=MAINNET)
    assert address == "1PMycacnJaSqwwJqjawXBErnLsZ7RkXUAs"
    assert address_to_script_pubkey(address, network=MAINNET) == p2pkh(hash160(sec))


def test_the_classroom_default_is_regtest():
    script = p2wpkh(hash160(G_SEC))
    address = script_pubkey_to_address(script)
    assert address.startswith("bcrt1q")
    assert address_to_script_pubkey(address) == script


KEY = bytes.fromhex("02" + "11" * 32)


@pytest.mark.parametrize(
    "script",
    [
        p2pk(G_SEC),  # no address: Core's ExtractDestination gives PubKeyDestination
        multisig(1, [G_SEC, KEY]),  # bare multisig
        op_return(b"hello"),
        b"",
        bytes([0x00, 0x15]) + bytes(21),  # version 0 with a 21-byte program: nonstandard
        bytes([0x51]),  # OP_1 alone: not a witness program
    ],
    ids=["p2pk", "bare-multisig", "op-return", "empty", "v0-21-bytes", "op1"],
)
def test_scripts_without_an_address_give_none(script):
    assert script_pubkey_to_address(script, network=MAINNET) is None


@pytest.mark.parametrize(
    ("text", "network", "code"),
    [
        ("bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t5", MAINNET, "decode-bad-checksum"),
        ("1PMycacnJaSqwwJqjawXBErnLsZ7RkXUAt", MAINNET, "decode-bad-checksum"),
        ("1PMycacnJaSqwwJqjawXBErnLsZ7RkXUAs", REGTEST, "decode-wrong-network"),
        ("bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4", REGTEST, "decode-wrong-network"),
        ("tb1qw508d6qejxtdg4y5r3zarvary0c5xw7kxpjzsx", REGTEST, "decode-wrong-network"),
        ("BC13W508D6QEJXTDG4Y5R3ZARVARY0C5XW7KN40WF2", MAINNET, "decode-bad-witness-version"),
        ("BC1QR508D6QEJXTDG4Y5R3ZARVARYV98GJ9P", MAINNET, "decode-bad-length"),
        ("tc1qw508d6qejxtdg4y5r3zarvary0c5xw7kg3g4ty", MAINNET, "decode-bad-hrp"),
        ("1" * 36, MAINNET, "decode-bad-length"),
        ("q" * 91, MAINNET, "decode-bad-length"),
        ("0OIl", MAINNET, "decode-bad-character"),
        ("", REGTEST, "decode-bad-length"),
        (12345, REGTEST, "decode-bad-type"),
    ],
)
def test_bad_addresses_give_a_specific_code(text, network, code):
    with pytest.raises(DecodeError) as caught:
        address_to_script_pubkey(text, network=network)
    assert caught.value.code == code


def test_a_base58_address_with_an_unknown_version_byte():
    from edu_chain.encoding import base58check_encode

    text = base58check_encode(bytes([0x30]) + bytes(20))  # a Litecoin-style version
    with pytest.raises(DecodeError) as caught:
        address_to_script_pubkey(text, network=MAINNET)
    assert caught.value.code == "decode-bad-version"
    assert "0x30" in caught.value.message


def test_a_base58_payload_of_the_wrong_size():
    from edu_chain.encoding import base58check_encode

    text = base58check_encode(bytes([0x00]) + bytes(19))
    with pytest.raises(DecodeError) as caught:
        address_to_script_pubkey(text, network=MAINNET)
    assert caught.value.code == "decode-bad-length"


def test_the_wrong_network_message_says_which_network_it_is_for():
    with pytest.raises(DecodeError) as caught:
        address_to_script_pubkey("bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4", network=REGTEST)
    assert "mainnet" in caught.value.message
    assert "bcrt1" in caught.value.message


def test_the_docstring_examples_run():
    import doctest

    import edu_chain.script.address

    result = doctest.testmod(edu_chain.script.address)
    assert result.attempted > 0 and result.failed == 0


def test_the_script_package_exports_the_address_functions():
    import edu_chain.script

    assert edu_chain.script.address_to_script_pubkey is address_to_script_pubkey
    assert edu_chain.script.script_pubkey_to_address is script_pubkey_to_address
    assert edu_chain.script.REGTEST is REGTEST


def test_a_network_may_be_given_by_name():
    script = p2wpkh(hash160(G_SEC))
    assert script_pubkey_to_address(script, network="mainnet") == (
        "bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4"
    )
    assert (
        address_to_script_pubkey("bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4", "mainnet") == script
    )
    with pytest.raises(ValueError, match="unknown network 'litecoin'"):
        script_pubkey_to_address(script, network="litecoin")
