"""Producing signatures and the scriptSig/witness that carry them (Core's ``script/sign.cpp``).

Signing input ``index`` means: compute the digest that input signs (sighash.py: the legacy one
for P2PK, P2PKH and P2SH scripts, BIP143's for segwit, with the *script code* each template
runs), sign it with ECDSA (RFC 6979 nonce, low ``s``), append the hash-type byte, and place
the signature where the template expects it:

    output type             script code signed        scriptSig               witness
    pubkey                  the scriptPubKey          <sig>
    pubkeyhash              the scriptPubKey          <sig> <pubkey>
    witness_v0_keyhash      P2PKH of the same hash    (empty)                 <sig> <pubkey>
    scripthash -> P2WPKH    P2PKH of the same hash    <P2WPKH program>        <sig> <pubkey>

Multisig spends need several signers and are assembled with PSBT.
"""

from __future__ import annotations

from edu_chain.hashing import hash160
from edu_chain.keys import PrivateKey
from edu_chain.script.checker import SIGVERSION_BASE, SIGVERSION_WITNESS_V0
from edu_chain.script.script import push_data
from edu_chain.script.sighash import SighashCache, TransactionLike
from edu_chain.script.signature import SIGHASH_ALL
from edu_chain.script.standard import classify, p2pkh, p2wpkh


def create_signature(
    key: PrivateKey,
    tx: TransactionLike,
    index: int,
    script_code: bytes,
    *,
    amount: int = 0,
    sigversion: str = SIGVERSION_BASE,
    hash_type: int = SIGHASH_ALL,
    cache: SighashCache | None = None,
) -> bytes:
    """DER signature + hash-type byte, as a script pushes it, for input ``index``."""
    cache = cache if cache is not None else SighashCache(tx)
    if sigversion == SIGVERSION_WITNESS_V0:
        digest = cache.segwit_v0(index, script_code, amount, hash_type)
    else:
        digest = cache.legacy(index, script_code, hash_type)
    return key.sign_digest(digest).der() + bytes([hash_type])


def sign_single_key(
    tx: TransactionLike,
    index: int,
    key: PrivateKey,
    script_pubkey: bytes,
    amount: int,
    *,
    hash_type: int = SIGHASH_ALL,
    cache: SighashCache | None = None,
) -> tuple[bytes, tuple[bytes, ...]]:
    """``(script_sig, witness)`` spending an output of one key's (see the module table).

    ``ValueError`` when the output is not of a single-key type or not locked to ``key``.
    """
    pubkey = key.public_key.sec()
    key_hash = hash160(pubkey)
    kind, solutions = classify(script_pubkey)

    def sign(code: bytes, sigversion: str) -> bytes:
        options = {"amount": amount, "hash_type": hash_type, "cache": cache}
        return create_signature(key, tx, index, code, sigversion=sigversion, **options)

    if kind == "pubkey" and solutions[0] in (pubkey, key.public_key.sec(compressed=False)):
        return push_data(sign(script_pubkey, SIGVERSION_BASE)), ()
    if kind == "pubkeyhash" and solutions[0] == key_hash:
        return push_data(sign(script_pubkey, SIGVERSION_BASE)) + push_data(pubkey), ()
    if kind == "witness_v0_keyhash" and solutions[0] == key_hash:
        return b"", (sign(p2pkh(key_hash), SIGVERSION_WITNESS_V0), pubkey)
    program = p2wpkh(key_hash)
    if kind == "scripthash" and solutions[0] == hash160(program):
        return push_data(program), (sign(p2pkh(key_hash), SIGVERSION_WITNESS_V0), pubkey)
    raise ValueError(
        f"cannot sign a {kind} output with this key: it is not a single-key output "
        f"(pubkey, pubkeyhash, witness_v0_keyhash or P2SH-P2WPKH) locked to {pubkey.hex()}"
    )
