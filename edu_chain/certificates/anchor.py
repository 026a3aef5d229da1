"""The anchoring transaction: what it records, who signed it, how it sits in its block.

**What it records.**  One OP_RETURN output whose data is a 4-byte tag and 32 bytes:

    ``EDUC`` + batch root        a batch of certificates (issue)
    ``EDUR`` + certificate hash + reason (UTF-8, at most 44 bytes)      a revocation (revoke)

(80 bytes is the relay limit of an OP_RETURN output, hence the 44-byte reason.)

**Who signed it.**  The issuer is a public key: the certificate names it, and input 0 of
the anchoring transaction must carry it (the witness of a P2WPKH input, the scriptSig of a
P2PKH one) with a signature that verifies against the output it spends.  Only the holder of
the private key can produce that, so a stranger's transaction recording the same root, or a
revocation sent by someone else, is not the issuer's.

**How it sits in its block.**  The transaction's Merkle proof (its txid's path to the block
header's ``merkle_root``, :mod:`edu_chain.merkle`) lets a verifier holding only block headers
check that the block contains it: Simplified Payment Verification, section 8 of the Bitcoin
whitepaper.
"""

from __future__ import annotations

from collections.abc import Sequence

from edu_chain.hashing import from_display_hex
from edu_chain.merkle import verify_merkle_proof
from edu_chain.script import STANDARD_FLAGS, ScriptError, verify_input
from edu_chain.script.script import is_readable, iter_ops
from edu_chain.script.standard import classify
from edu_chain.tx import Transaction

BATCH_TAG = b"EDUC"
REVOKE_TAG = b"EDUR"
MAX_REASON_BYTES = 80 - len(REVOKE_TAG) - 32
OP_RETURN = 0x6A
OP_PUSHDATA1 = 0x4C  # first opcode that is not a direct push


def batch_data(root: bytes) -> bytes:
    return BATCH_TAG + root


def revocation_data(leaf: bytes, reason: str) -> bytes:
    """``EDUR`` + the certificate's hash + the reason; ValueError if the reason is too long."""
    encoded = reason.encode("utf-8")
    if not encoded:
        raise ValueError("a revocation needs a reason")
    if len(encoded) > MAX_REASON_BYTES:
        raise ValueError(
            f"the reason is {len(encoded)} bytes of UTF-8; at most {MAX_REASON_BYTES} fit in the "
            "OP_RETURN output beside the tag and the certificate's hash"
        )
    return REVOKE_TAG + leaf + encoded


def op_return_data(script_pubkey: bytes) -> bytes | None:
    """The data of ``OP_RETURN <one push>``, else None (the node's ``/api/anchors`` reads
    outputs with the same rule: edu_chain/node/routes/anchors.py)."""
    if script_pubkey[:1] != bytes([OP_RETURN]) or not is_readable(script_pubkey[1:]):
        return None
    ops = list(iter_ops(script_pubkey[1:]))
    if len(ops) != 1 or ops[0][1] is None:
        return None
    return ops[0][1]


def recorded_data(tx: Transaction) -> list[bytes]:
    """The data of every OP_RETURN output of ``tx``."""
    found = (op_return_data(output.script_pubkey) for output in tx.outputs)
    return [data for data in found if data is not None]


def signer_public_key(tx: Transaction, index: int = 0) -> bytes | None:
    """The public key input ``index`` presents: the last witness item (P2WPKH) or the last
    push of the scriptSig (P2PKH); None if neither looks like a compressed or full key."""
    tx_input = tx.inputs[index]
    if len(tx_input.witness) == 2:
        candidate = tx_input.witness[1]
    else:
        candidate = _last_push(tx_input.script_sig)
    if candidate is not None and len(candidate) in (33, 65) and candidate[0] in (2, 3, 4):
        return candidate
    return None


def _last_push(script: bytes) -> bytes | None:
    position, last = 0, None
    while position < len(script):
        size = script[position]
        if not 1 <= size < OP_PUSHDATA1 or position + 1 + size > len(script):
            return None
        last = script[position + 1 : position + 1 + size]
        position += 1 + size
    return last


def signed_by(
    tx: Transaction, public_key: bytes, spent_script: bytes, spent_amount: int
) -> tuple[bool, str]:
    """(True, "") when input 0 of ``tx`` presents ``public_key`` and its signature verifies
    against the spent output; else (False, why)."""
    if not tx.inputs:
        return False, "the transaction has no input"
    presented = signer_public_key(tx)
    if presented is None:
        return False, "input 0 presents no public key (not a P2WPKH or P2PKH spend)"
    if presented != public_key:
        return False, f"input 0 is signed by key {presented.hex()}, not the issuer's"
    kind = classify(spent_script)[0]
    if kind not in ("witness_v0_keyhash", "pubkeyhash"):
        return False, f"input 0 spends a {kind} output, not one locked to a single key"
    try:
        verify_input(tx, 0, spent_script, spent_amount, STANDARD_FLAGS)
    except ScriptError as error:
        return False, f"input 0's signature does not verify ({error.code})"
    return True, ""


def verify_tx_in_block(
    txid_display: str, index: int, path: Sequence[str], merkle_root: bytes
) -> bool:
    """True when the txid's Merkle path (hex, internal order) leads to ``merkle_root``."""
    try:
        leaf = from_display_hex(txid_display)
        siblings = [bytes.fromhex(item) for item in path]
    except (TypeError, ValueError):
        return False
    return verify_merkle_proof(leaf, index, siblings, merkle_root)
