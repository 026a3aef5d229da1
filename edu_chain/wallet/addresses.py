"""The wallet's addresses: which scriptPubKey a key receives at, on the classroom network.

Each key of a wallet receives at one address of a chosen type:

    type     address                scriptPubKey                         spent with
    p2wpkh   bcrt1q... (bech32)     OP_0 <hash160(pubkey)>               witness <sig> <pubkey>
    p2pkh    m... or n... (Base58)  OP_DUP OP_HASH160 <hash160(pubkey)>  scriptSig <sig> <pubkey>
                                    OP_EQUALVERIFY OP_CHECKSIG

P2WPKH (segwit: BIP141, addresses BIP173) is the default: its signature sits in the witness,
which costs a quarter per byte, so spending it is cheaper.  P2PKH is the original, legacy
form.  The public key is always the 33-byte compressed one.

Every address is of :data:`NETWORK`, Bitcoin Core's regtest (``edu_chain/script/address.py``),
so any Bitcoin tool in regtest mode reads it and no mainnet tool accepts it.
"""

from __future__ import annotations

from edu_chain.errors import DecodeError
from edu_chain.keys import PrivateKey
from edu_chain.script import REGTEST, address_to_script_pubkey, script_pubkey_to_address
from edu_chain.script.standard import p2pkh, p2wpkh
from edu_chain.wallet.amounts import WalletError

NETWORK = REGTEST
"""The network of every address the wallet writes and reads (``bcrt1...``, ``m``/``n``, ``2``)."""
ADDRESS_TYPES = ("p2wpkh", "p2pkh")
DEFAULT_ADDRESS_TYPE = "p2wpkh"


def decode_address(address: str) -> bytes:
    """The scriptPubKey a regtest ``address`` pays to; :class:`WalletError` (one line, with
    the decoder's stable code) if it is malformed or of another network.

    >>> decode_address("bcrt1qw508d6qejxtdg4y5r3zarvary0c5xw7kygt080").hex()  # BIP173
    '0014751e76e8199196d454941c45d1b3a323f1433bd6'
    """
    try:
        return address_to_script_pubkey(address, NETWORK)
    except DecodeError as error:
        raise WalletError(f"bad address: {error}") from None


def address_of(script_pubkey: bytes) -> str:
    """The regtest address of a standard ``script_pubkey``; :class:`WalletError` if it has
    none (bare multisig, OP_RETURN, nonstandard)."""
    address = script_pubkey_to_address(script_pubkey, NETWORK)
    if address is None:
        raise WalletError(f"script {script_pubkey.hex()[:60]} has no address")
    return address


def check_address_type(address_type: str) -> str:
    if address_type not in ADDRESS_TYPES:
        raise WalletError(
            f"unknown address type {address_type!r}; choose one of {', '.join(ADDRESS_TYPES)}"
        )
    return address_type


def script_for_key(key: PrivateKey, address_type: str) -> bytes:
    """The scriptPubKey of ``key``'s address of ``address_type`` (``p2wpkh`` or ``p2pkh``)."""
    key_hash = key.public_key.pubkey_hash()  # hash160 of the compressed key
    if check_address_type(address_type) == "p2wpkh":
        return p2wpkh(key_hash)
    return p2pkh(key_hash)
