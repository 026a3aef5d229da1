"""Verifying a certificate: named steps, each a yes/no, stopping at the first failure.

    hash              sha256d(canonical JSON of the certificate) is the hash it carries
    merkle-path       the path leads from that hash to the batch root, with the depth its
                      batch size implies
    anchor            the anchoring transaction is in a block of the best chain and records
                      ``EDUC`` + that root in an OP_RETURN output
    confirmations     that block is at least ``min_confirmations`` deep
    issuer-signature  input 0 of the anchoring transaction presents the certificate's issuer
                      key, and its signature verifies against the output it spends
    revocation        no revocation record on the best chain (``EDUR``: a reason and the
                      hashes it revokes, in either of anchor.py's layouts), signed by the
                      same issuer key, lists this certificate's hash (else "revoked:
                      REASON"); one signed by another key is ignored, with a note

Where the chain facts come from is a *source*: :class:`NodeSource` asks any node of the
network (no issuer website, no explorer); :class:`HeaderSource` uses an exported header chain
and the proofs inside the certificate (SPV: no node at all; revocations cannot be seen
offline: the step is skipped, not failed, and the summary says so).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

from edu_chain.block import BlockHeader
from edu_chain.certificates.anchor import (
    BATCH_TAG,
    REVOKE_TAG,
    read_revocation,
    recorded_data,
    signed_by,
    verify_tx_in_block,
)
from edu_chain.certificates.batch import path_length, verify_path
from edu_chain.certificates.document import Certificate, certificate_hash
from edu_chain.certificates.headers import HeaderChain
from edu_chain.errors import EduChainError
from edu_chain.hashing import from_display_hex
from edu_chain.node.client import NodeClient, NodeRefusedError
from edu_chain.tx import Transaction

STEPS = ("hash", "merkle-path", "anchor", "confirmations", "issuer-signature", "revocation")


class StepFailed(Exception):
    """A verification step said no: ``step`` is its name, the message says why."""

    def __init__(self, step: str, message: str) -> None:
        super().__init__(message)
        self.step = step
        self.message = message


@dataclass
class Anchor:
    """Where a source found the anchoring transaction."""

    tx: Transaction
    block_hash: str  # displayed hex
    height: int
    confirmations: int


class Source(Protocol):
    """Chain facts a verifier needs (a node, or a header file plus the certificate)."""

    name: str

    def anchor(self, cert: Certificate) -> Anchor: ...

    def spent_output(self, cert: Certificate, tx: Transaction) -> tuple[bytes, int]: ...

    def revocations(self, leaf: bytes) -> list[tuple[Transaction, bytes]] | None:
        """Transactions and the ``EDUR`` data they record that may list ``leaf`` (the
        verifier parses each); None when this source cannot see revocations."""
        ...


@dataclass
class Verdict:
    """The outcome: ``failed`` is None when valid; ``passed`` the steps that said yes."""

    cert: Certificate
    passed: list[str] = field(default_factory=list)
    failed: StepFailed | None = None
    anchor: Anchor | None = None
    notes: list[str] = field(default_factory=list)

    @property
    def valid(self) -> bool:
        return self.failed is None


def verify_certificate(cert: Certificate, source: Source, *, min_confirmations: int = 1) -> Verdict:
    """Run the steps in order (module docstring); the verdict holds the first failure."""
    verdict = Verdict(cert)
    try:
        leaf = _check_hash(cert)
        verdict.passed.append("hash")
        root = _check_path(cert, leaf)
        verdict.passed.append("merkle-path")
        anchor = source.anchor(cert)
        verdict.anchor = anchor
        if BATCH_TAG + root not in recorded_data(anchor.tx):
            raise StepFailed(
                "anchor",
                f"anchoring transaction {anchor.tx.id} does not record this batch's root "
                f"{root.hex()}",
            )
        if cert.anchor.get("block_hash") not in (None, anchor.block_hash):
            verdict.notes.append(
                f"the transaction is now in block {anchor.block_hash} (the certificate names "
                f"{cert.anchor.get('block_hash')}: a reorg mined it again; "
                "`educhain certificates confirm` updates the file)"
            )
        verdict.passed.append("anchor")
        if anchor.confirmations < min_confirmations:
            raise StepFailed(
                "confirmations",
                f"too few confirmations: {anchor.confirmations} < {min_confirmations}",
            )
        verdict.passed.append("confirmations")
        _check_issuer(cert, anchor.tx, source)
        verdict.passed.append("issuer-signature")
        _check_revocation(cert, leaf, source, verdict)
    except StepFailed as failure:
        verdict.failed = failure
    return verdict


def _check_hash(cert: Certificate) -> bytes:
    leaf = certificate_hash(cert.body)
    if leaf.hex() != cert.hash:
        raise StepFailed(
            "hash",
            f"hash mismatch: the certificate's fields hash to {leaf.hex()}, it carries "
            f"{cert.hash} (a field was changed)",
        )
    return leaf


def _check_path(cert: Certificate, leaf: bytes) -> bytes:
    batch = cert.batch
    try:
        root = bytes.fromhex(batch["root"])
        path = [bytes.fromhex(item) for item in batch["merkle_path"]]
        index, size = batch["index"], batch["size"]
    except (KeyError, TypeError, ValueError):
        raise StepFailed("merkle-path", "bad Merkle path: the batch part is malformed") from None
    if not verify_path(leaf, index, size, path, root):
        expected = path_length(size) if isinstance(size, int) and size > 0 else "?"
        raise StepFailed(
            "merkle-path",
            f"bad Merkle path: leaf {index} of {size} does not hash up to the root "
            f"{batch['root']} ({len(path)} hashes, {expected} expected)",
        )
    return root


def _issuer_key(cert: Certificate) -> bytes:
    try:
        return bytes.fromhex(str(cert.body["issuer_public_key"]))
    except ValueError:
        raise StepFailed(
            "issuer-signature", "input not signed by the issuer's key: the key is not hex"
        ) from None


def _check_issuer(cert: Certificate, tx: Transaction, source: Source) -> None:
    script, amount = source.spent_output(cert, tx)
    ok, why = signed_by(tx, _issuer_key(cert), script, amount)
    if not ok:
        raise StepFailed("issuer-signature", f"input not signed by the issuer's key: {why}")


def _check_revocation(cert: Certificate, leaf: bytes, source: Source, verdict: Verdict) -> None:
    found = source.revocations(leaf)
    if found is None:
        verdict.notes.append(
            f"revocations not checked: {source.name} cannot show them (this is not a failure; "
            "verify with --node URL to see whether the issuer revoked it)"
        )
        return
    issuer = _issuer_key(cert)
    for tx, data in found:
        record = next((r for r in read_revocation(data) if leaf in r[1]), None)
        if record is None:
            continue
        try:
            script, amount = source.spent_output(cert, tx)
        except StepFailed:
            continue
        if signed_by(tx, issuer, script, amount)[0]:
            reason, revoked = record
            raise StepFailed(
                "revocation",
                f"revoked: {reason} (transaction {tx.id}, revoking {len(revoked)} certificate(s))",
            )
        verdict.notes.append(f"ignored a revocation not signed by the issuer ({tx.id})")
    verdict.passed.append("revocation")


# --- sources --------------------------------------------------------------------------------


class NodeSource:
    """Chain facts from any node of the network (edu_chain/node/routes/anchors.py)."""

    def __init__(self, client: NodeClient) -> None:
        self.client = client
        self.name = f"the node at {client.url}"

    def anchor(self, cert: Certificate) -> Anchor:
        txid = str(cert.anchor.get("txid"))
        try:
            from_display_hex(txid)
        except EduChainError:
            message = f"anchoring transaction unknown: bad txid {txid!r:.80}"
            raise StepFailed("anchor", message) from None
        try:
            proof = self.client.get(f"/api/tx/{txid}/proof")
        except NodeRefusedError as error:
            if error.status != 404:
                raise
            raise StepFailed("anchor", self._why_missing(txid)) from None
        tx = Transaction.parse(bytes.fromhex(proof["hex"]))
        header = BlockHeader.parse(bytes.fromhex(proof["header"]))
        if tx.id != txid or header.id != proof["block_hash"]:
            raise StepFailed("anchor", f"{self.name} sent a proof of another transaction/block")
        if not verify_tx_in_block(txid, proof["index"], proof["merkle_path"], header.merkle_root):
            raise StepFailed("anchor", f"{self.name} sent a Merkle proof that does not verify")
        return Anchor(tx, proof["block_hash"], proof["block_height"], proof["confirmations"])

    def _why_missing(self, txid: str) -> str:
        try:
            status = self.client.tx(txid).get("status")
        except NodeRefusedError:
            return f"anchoring transaction unknown: {self.name} has no transaction {txid}"
        return (
            f"anchoring transaction not in the best chain: {txid} is {status} "
            "(not in a block of the active chain)"
        )

    def spent_output(self, cert: Certificate, tx: Transaction) -> tuple[bytes, int]:
        outpoint = tx.inputs[0].outpoint
        try:
            reply = self.client.tx(outpoint.txid[::-1].hex())
            previous = Transaction.parse(bytes.fromhex(reply["hex"]))
        except NodeRefusedError:
            raise StepFailed(
                "issuer-signature",
                f"input not signed by the issuer's key: {self.name} does not know the output "
                f"{outpoint} it spends",
            ) from None
        if previous.txid != outpoint.txid or outpoint.index >= len(previous.outputs):
            raise StepFailed("issuer-signature", f"{self.name} sent the wrong spent transaction")
        spent = previous.outputs[outpoint.index]
        return spent.script_pubkey, spent.amount

    def revocations(self, leaf: bytes) -> list[tuple[Transaction, bytes]]:
        reply = self.client.get("/api/anchors", prefix=REVOKE_TAG.hex(), contains=leaf.hex())
        found = []
        for entry in reply.get("anchors", []):
            tx = Transaction.parse(bytes.fromhex(self.client.tx(entry["txid"])["hex"]))
            found.append((tx, bytes.fromhex(entry["data"])))
        return found


class HeaderSource:
    """Chain facts from a checked header chain and the proofs the certificate carries."""

    def __init__(self, chain: HeaderChain) -> None:
        self.chain = chain
        self.name = "a header file"

    def anchor(self, cert: Certificate) -> Anchor:
        anchor = cert.anchor
        try:
            tx = Transaction.parse(bytes.fromhex(anchor["tx_hex"]))
            block = from_display_hex(anchor["block_hash"])
            index, path = anchor["tx_index"], anchor["tx_merkle_path"]
        except (KeyError, TypeError, ValueError, EduChainError):
            raise StepFailed(
                "anchor",
                "anchoring transaction unknown: the certificate carries no block proof yet "
                "(run `educhain certificates confirm`)",
            ) from None
        if tx.id != anchor.get("txid"):
            raise StepFailed(
                "anchor",
                f"anchoring transaction unknown: the transaction in the certificate is {tx.id}, "
                f"not {anchor.get('txid')}",
            )
        height = self.chain.heights.get(block)
        if height is None:
            raise StepFailed(
                "anchor",
                f"anchoring transaction not in the best chain: block {anchor['block_hash']} is "
                "not in the header chain",
            )
        if not verify_tx_in_block(tx.id, index, path, self.chain.headers[height].merkle_root):
            raise StepFailed(
                "anchor",
                f"anchoring transaction not in the best chain: its Merkle proof does not lead "
                f"to block {anchor['block_hash']}'s merkle root",
            )
        return Anchor(tx, anchor["block_hash"], height, self.chain.tip_height - height + 1)

    def spent_output(self, cert: Certificate, tx: Transaction) -> tuple[bytes, int]:
        spent = cert.anchor.get("spent_output")
        try:
            return bytes.fromhex(spent["script_pubkey"]), int(spent["amount"])
        except (KeyError, TypeError, ValueError):
            raise StepFailed(
                "issuer-signature",
                "input not signed by the issuer's key: the certificate lacks the spent output",
            ) from None

    def revocations(self, leaf: bytes) -> None:
        return None


__all__ = [
    "STEPS",
    "Anchor",
    "HeaderSource",
    "NodeSource",
    "StepFailed",
    "Verdict",
    "verify_certificate",
]
