"""Keys and signatures on secp256k1: from scratch for reading, fast for running.

Modules, lowest first:

    field.py     arithmetic modulo p                          (SEC 2 section 2.4.1)
    curve.py     points, point_add, scalar_mult, G, n         (SEC 1 section 2.2, SEC 2)
    rfc6979.py   deterministic nonces                         (RFC 6979 section 3.2)
    ecdsa.py     sign / verify on integers                    (SEC 1 sections 4.1.3-4.1.4)
    sec.py       public keys as bytes, compressed or not      (SEC 1 sections 2.3.3-2.3.4)
    der.py       strict DER signature encoding                (BIP 66)
    fast.py      the same operations via libsecp256k1 (coincurve) or OpenSSL (cryptography)
    keypair.py   PrivateKey, PublicKey, Signature, addresses  (the API to use)
    batch.py     verify_batch: many signatures on all cores

>>> key = PrivateKey(1)
>>> key.public_key.sec().hex()[:10]
'0279be667e'
>>> signature = key.sign_digest(bytes(32))
>>> key.public_key.verify_digest(signature, bytes(32))
True
"""

from edu_chain.keys.batch import VerifyItem as VerifyItem
from edu_chain.keys.batch import verify_batch as verify_batch
from edu_chain.keys.curve import G as G
from edu_chain.keys.curve import N as N
from edu_chain.keys.curve import Point as Point
from edu_chain.keys.curve import point_add as point_add
from edu_chain.keys.curve import scalar_mult as scalar_mult
from edu_chain.keys.ecdsa import sign as sign
from edu_chain.keys.ecdsa import verify as verify
from edu_chain.keys.fast import available_backends as available_backends
from edu_chain.keys.fast import get_backend as get_backend
from edu_chain.keys.keypair import TESTNET_VERSION as TESTNET_VERSION
from edu_chain.keys.keypair import PrivateKey as PrivateKey
from edu_chain.keys.keypair import PublicKey as PublicKey
from edu_chain.keys.keypair import Signature as Signature
from edu_chain.keys.keypair import address_to_pubkey_hash as address_to_pubkey_hash
from edu_chain.keys.keypair import is_valid_address as is_valid_address
from edu_chain.keys.keypair import pubkey_hash_to_address as pubkey_hash_to_address

__all__ = [
    "TESTNET_VERSION",
    "G",
    "N",
    "Point",
    "PrivateKey",
    "PublicKey",
    "Signature",
    "VerifyItem",
    "address_to_pubkey_hash",
    "available_backends",
    "get_backend",
    "is_valid_address",
    "point_add",
    "pubkey_hash_to_address",
    "scalar_mult",
    "sign",
    "verify",
    "verify_batch",
]
