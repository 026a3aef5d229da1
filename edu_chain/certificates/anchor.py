"""The anchoring transaction: what it records, who signed it, how it sits in its block.

**What it records.**  One OP_RETURN output (one push) whose data starts with a 4-byte tag:

    ``EDUC`` + batch root (32 bytes)                                  a batch of certificates
    ``EDUR`` + n (1 byte) + reason (n bytes of UTF-8, 1..255)         a revocation batch:
             + the revoked certificates' hashes (32 bytes each, 1..3,000)   every certificate
                                                                          listed is revoked

One revocation transaction holds at most 3,000 hashes: relay policy follows Bitcoin Core 30.0
(edu_chain/policy.py), whose data-carrier budget is 100,000 bytes per transaction, so 3,000
hashes (96,260 bytes of data with the longest reason) fit with room for the inputs under the
400,000 weight limit and the classroom chain's 100,000-byte transactions.  A chain with a
smaller ``max_tx_size`` (the unit-test chain's 5,000 bytes) holds fewer
(:func:`hashes_per_transaction`).  Revoking more sends as many transactions as needed
(:func:`revocation_records`: the first 3,000 hashes, the next 3,000...), all with the same
reason and signed by the same key; a verifier looks for its hash in every one of them.

``revoke``'s first version (before Core 30.0 an OP_RETURN output held at most 80 bytes) sent
one transaction per certificate: ``EDUR`` + the certificate's hash (32 bytes) + the reason
(1..44 bytes of UTF-8).  Chains written then still hold such records, so
:func:`read_revocation` reads both layouts.

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
MAX_REASON_BYTES = 255  # its length is one byte
MAX_REVOKED_PER_TX = 3_000  # hashes per revocation transaction (module docstring)
# A revocation transaction's bytes (without witnesses) beside its data: version, locktime,
# the counts, the data output's amount and opcodes, the change (31), 40 P2WPKH inputs (41 each).
TX_ROOM_BYTES = 2_000
LEGACY_MAX_REASON_BYTES = 80 - len(b"EDUR") - 32  # revoke's first version: one 80-byte output
OP_RETURN = 0x6A
OP_PUSHDATA1 = 0x4C  # first opcode that is not a direct push


def batch_data(root: bytes) -> bytes:
    return BATCH_TAG + root


def revocation_data(leaves: Sequence[bytes], reason: str) -> bytes:
    """``EDUR`` + the reason's length + the reason + every certificate hash of ``leaves``
    (module docstring): ONE record; ValueError for an empty or too long reason, no hash or
    more than one transaction holds (:func:`revocation_records` splits a longer list)."""
    encoded = reason.encode("utf-8")
    if not encoded.strip():
        raise ValueError("a revocation needs a reason")
    if len(encoded) > MAX_REASON_BYTES:
        raise ValueError(
            f"the reason is {len(encoded)} bytes of UTF-8; at most {MAX_REASON_BYTES} are recorded"
        )
    if not leaves:
        raise ValueError("a revocation needs at least one certificate")
    if len(leaves) > MAX_REVOKED_PER_TX:
        raise ValueError(
            f"{len(leaves)} certificates; one revocation record holds at most "
            f"{MAX_REVOKED_PER_TX} (revocation_records splits them)"
        )
    if any(len(leaf) != 32 for leaf in leaves):
        raise ValueError("a certificate hash is 32 bytes")
    return REVOKE_TAG + bytes([len(encoded)]) + encoded + b"".join(leaves)


def hashes_per_transaction(max_tx_size: int, reason: str) -> int:
    """Hashes one revocation transaction holds on a chain whose transactions are at most
    ``max_tx_size`` bytes without witnesses (``ChainParams.max_tx_size``, a consensus rule):
    :data:`MAX_REVOKED_PER_TX` (relay policy) or fewer, leaving :data:`TX_ROOM_BYTES` for
    the inputs and the change."""
    record_head = len(REVOKE_TAG) + 1 + len(reason.encode("utf-8"))
    return max(1, min(MAX_REVOKED_PER_TX, (max_tx_size - TX_ROOM_BYTES - record_head) // 32))


def revocation_records(
    leaves: Sequence[bytes], reason: str, per_tx: int | None = None
) -> list[bytes]:
    """The records revoking every hash of ``leaves``, one per transaction: the first
    ``per_tx`` hashes (default :data:`MAX_REVOKED_PER_TX`), the next ones..., each with the
    same reason.  ValueError (before any record is made) as :func:`revocation_data`."""
    if not leaves:
        raise ValueError("a revocation needs at least one certificate")
    per_tx = MAX_REVOKED_PER_TX if per_tx is None else per_tx
    if not 1 <= per_tx <= MAX_REVOKED_PER_TX:
        raise ValueError(
            f"a revocation record holds 1 to {MAX_REVOKED_PER_TX} hashes, not {per_tx}"
        )
    return [revocation_data(leaves[i : i + per_tx], reason) for i in range(0, len(leaves), per_tx)]


def parse_revocation(data: bytes) -> tuple[str, list[bytes]] | None:
    """``(reason, hashes)`` of an ``EDUR`` revocation batch, or None if ``data`` is not one
    (another tag, a length that does not add up, a reason that is not UTF-8)."""
    if not data.startswith(REVOKE_TAG) or len(data) < len(REVOKE_TAG) + 1:
        return None
    size = data[len(REVOKE_TAG)]
    start = len(REVOKE_TAG) + 1 + size
    rest = len(data) - start
    if size == 0 or rest < 32 or rest % 32:
        return None
    try:
        reason = data[len(REVOKE_TAG) + 1 : start].decode("utf-8")
    except UnicodeDecodeError:
        return None
    return reason, [data[i : i + 32] for i in range(start, len(data), 32)]


def parse_legacy_revocation(data: bytes) -> tuple[str, list[bytes]] | None:
    """``(reason, [hash])`` of a record of ``revoke``'s first version (``EDUR`` + one hash +
    a reason of 1..44 bytes of UTF-8), or None if ``data`` is not one."""
    start = len(REVOKE_TAG) + 32
    if not data.startswith(REVOKE_TAG) or not start < len(data) <= start + LEGACY_MAX_REASON_BYTES:
        return None
    try:
        reason = data[start:].decode("utf-8")
    except UnicodeDecodeError:
        return None
    return reason, [data[len(REVOKE_TAG) : start]]


def read_revocation(data: bytes) -> list[tuple[str, list[bytes]]]:
    """Every reading of ``data`` as a revocation record: a batch, and a record of the first
    version.  A short record may parse both ways, so a verifier asks whether *either* lists
    its hash; only a record whose transaction the issuer signed counts (verify.py)."""
    readings = (parse_revocation(data), parse_legacy_revocation(data))
    return [reading for reading in readings if reading is not None]


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
