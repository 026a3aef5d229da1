"""Addresses: the text a person types to say "pay to this scriptPubKey".

An address is not on the chain; outputs hold scriptPubKeys.  An address is a short,
checksummed way to write the few standard scriptPubKeys (``standard.py``) and to say which
network they are meant for:

    scriptPubKey                                address
    OP_DUP OP_HASH160 <20> OP_EQUALVERIFY ..    Base58Check(p2pkh version || hash)   (P2PKH)
    OP_HASH160 <20> OP_EQUAL                    Base58Check(p2sh version || hash)    (BIP13, P2SH)
    OP_0 <20> / OP_0 <32>                       bech32(hrp, 0, program)    (BIP173, P2WPKH/P2WSH)
    OP_1..OP_16 <2..40 bytes>                   bech32m(hrp, v, program)   (BIP350, v1+, Taproot)

Other scripts (bare multisig, bare public key, OP_RETURN, nonstandard) have no address:
:func:`script_pubkey_to_address` returns None for them, as Bitcoin Core's
``ExtractDestination`` returns false.

A :class:`Network` holds the prefixes.  edu_chain's classroom testnets use
:data:`REGTEST`, Bitcoin Core's regtest values (hrp ``bcrt``, versions ``0x6f``/``0xc4``),
so any Bitcoin tool in regtest mode reads their addresses, and none of them is a valid
mainnet address.  Base58 addresses of testnet and regtest are identical (Core shares the
version bytes); the bech32 hrp tells them apart.

Errors are :class:`~edu_chain.errors.DecodeError` with the codes of ``edu_chain.bech32`` and
``edu_chain.encoding``, plus ``decode-wrong-network`` (a valid address of another network)
and ``decode-bad-version`` (a Base58Check version byte no network uses).

>>> script_pubkey_to_address(bytes.fromhex("0014751e76e8199196d454941c45d1b3a323f1433bd6"),
...                          network=MAINNET)
'bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4'
>>> address_to_script_pubkey("bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4", network=MAINNET).hex()
'0014751e76e8199196d454941c45d1b3a323f1433bd6'
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from edu_chain.bech32 import (
    MAX_LENGTH,
    bech32_decode,
    decode_segwit_address,
    encode_segwit_address,
)
from edu_chain.encoding import BASE58_ALPHABET, base58check_decode, base58check_encode
from edu_chain.errors import DecodeError
from edu_chain.script.opcodes import Opcode
from edu_chain.script.script import push_data
from edu_chain.script.standard import classify, p2pkh, p2sh

MAX_BASE58_ADDRESS_CHARS = 35
"""A Base58Check address is 25 bytes (version, 20-byte hash, 4-byte checksum): at most 35
characters.  Longer text is refused before decoding, whose cost grows with the square of
the length."""


@dataclass(frozen=True)
class Network:
    """The address prefixes of one network (Bitcoin Core's ``CChainParams``)."""

    name: str
    bech32_hrp: str  # human-readable part of segwit addresses, e.g. "bc"
    p2pkh_version: int  # Base58Check version byte of P2PKH addresses
    p2sh_version: int  # Base58Check version byte of P2SH addresses


MAINNET = Network("mainnet", "bc", 0x00, 0x05)
"""Bitcoin: P2PKH addresses start with ``1``, P2SH with ``3``, segwit with ``bc1``."""
TESTNET = Network("testnet", "tb", 0x6F, 0xC4)
"""Bitcoin's testnets and signet: ``m``/``n``, ``2``, ``tb1``."""
REGTEST = Network("regtest", "bcrt", 0x6F, 0xC4)
"""Bitcoin Core's regtest, and edu_chain's classroom testnets: ``m``/``n``, ``2``, ``bcrt1``."""
NETWORKS = {network.name: network for network in (MAINNET, TESTNET, REGTEST)}


def script_pubkey_to_address(script_pubkey: bytes, network: Network | str = REGTEST) -> str | None:
    """The address that pays to ``script_pubkey`` on ``network``, or None if it has none.

    ``network`` is a :class:`Network` or its name (``"mainnet"``, ``"testnet"``, ``"regtest"``).
    """
    network = get_network(network)
    kind, solutions = classify(bytes(script_pubkey))
    if kind == "pubkeyhash":
        return base58check_encode(bytes([network.p2pkh_version]) + solutions[0])
    if kind == "scripthash":
        return base58check_encode(bytes([network.p2sh_version]) + solutions[0])
    if kind in ("witness_v0_keyhash", "witness_v0_scripthash"):
        return encode_segwit_address(network.bech32_hrp, 0, solutions[0])
    if kind == "witness_unknown":
        version, program = solutions[0][0], solutions[1]
        return encode_segwit_address(network.bech32_hrp, version, program)
    return None


def address_to_script_pubkey(address: str, network: Network | str = REGTEST) -> bytes:
    """The scriptPubKey an ``address`` of ``network`` (a :class:`Network` or its name) stands for.

    Raises :class:`DecodeError` when the address is malformed (checksum, characters,
    length, witness version) or belongs to another network.
    """
    network = get_network(network)
    if not isinstance(address, str):
        raise DecodeError("decode-bad-type", f"an address is a str, got {type(address).__name__}")
    if not 0 < len(address) <= MAX_LENGTH:
        raise DecodeError(
            "decode-bad-length",
            f"an address has 1 to {MAX_LENGTH} characters, got {len(address)}",
        )
    hrp = _bech32_prefix(address)
    if hrp == network.bech32_hrp:
        version, program = decode_segwit_address(network.bech32_hrp, address)
        return _witness_script(version, program)
    others = _networks_with(lambda n: n.bech32_hrp == hrp)
    if others:
        decode_segwit_address(hrp, address)  # a malformed address: say what is wrong first
        raise _wrong_network(address, others, network)
    if len(address) <= MAX_BASE58_ADDRESS_CHARS and all(c in BASE58_ALPHABET for c in address):
        return _base58_script(address, network)
    raise _unrecognised(address, network)


def get_network(network: Network | str) -> Network:
    """``network`` itself, or the :class:`Network` of that name."""
    if isinstance(network, Network):
        return network
    if network in NETWORKS:
        return NETWORKS[network]
    raise ValueError(f"unknown network {network!r}; known: {', '.join(NETWORKS)}")


def _bech32_prefix(address: str) -> str:
    separator = address.rfind("1")
    return address[:separator].lower() if separator > 0 else ""


def _witness_script(version: int, program: bytes) -> bytes:
    opcode = Opcode.OP_0 if version == 0 else Opcode.OP_1 + version - 1
    return bytes([opcode]) + push_data(program)


def _base58_script(address: str, network: Network) -> bytes:
    payload = base58check_decode(address)
    if len(payload) != 21:
        raise DecodeError(
            "decode-bad-length",
            f"address {address!r} holds {len(payload)} bytes; a Base58Check address holds 21 "
            "(1 version byte + a 20-byte hash)",
        )
    version, digest = payload[0], payload[1:]
    if version == network.p2pkh_version:
        return p2pkh(digest)
    if version == network.p2sh_version:
        return p2sh(digest)
    others = _networks_with(lambda n: version in (n.p2pkh_version, n.p2sh_version))
    if others:
        raise _wrong_network(address, others, network)
    raise DecodeError(
        "decode-bad-version",
        f"address {address!r} has version byte 0x{version:02x}; {network.name} addresses use "
        f"0x{network.p2pkh_version:02x} (P2PKH) or 0x{network.p2sh_version:02x} (P2SH)",
    )


def _networks_with(predicate: Callable[[Network], bool]) -> list[Network]:
    return [n for n in NETWORKS.values() if predicate(n)]


def _wrong_network(address: str, others: list[Network], network: Network) -> DecodeError:
    names = " or ".join(other.name for other in others)
    return DecodeError(
        "decode-wrong-network",
        f"{address!r} is a {names} address; this is {network.name}, whose addresses "
        f"start with {network.bech32_hrp}1 (segwit) or are Base58Check with version "
        f"0x{network.p2pkh_version:02x}/0x{network.p2sh_version:02x}",
    )


def _unrecognised(address: str, network: Network) -> DecodeError:
    """The error for text that is neither this network's segwit nor a Base58 address."""
    try:
        hrp, _, _ = bech32_decode(address)
    except DecodeError:
        hrp = None
    if hrp is not None:
        return DecodeError(
            "decode-bad-hrp",
            f"{address!r} is a bech32 string with prefix {hrp!r}, which no Bitcoin network "
            f"uses; {network.name} segwit addresses start with {network.bech32_hrp}1",
        )
    if len(address) > MAX_BASE58_ADDRESS_CHARS and all(c in BASE58_ALPHABET for c in address):
        return DecodeError(
            "decode-bad-length",
            f"a Base58Check address has at most {MAX_BASE58_ADDRESS_CHARS} characters, "
            f"got {len(address)}",
        )
    return DecodeError(
        "decode-bad-character",
        f"{address!r:.100} is not a {network.name} address: neither a segwit address starting "
        f"with {network.bech32_hrp}1 nor Base58Check (whose alphabet has no 0, O, I or l)",
    )
