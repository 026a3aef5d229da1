"""Issuing: from a gradebook to certificate files, all anchored by one transaction.

1. :func:`read_gradebook` reads the SQLite gradebook ``educhain grade`` writes
   (:mod:`edu_chain.grading.gradebook`, table ``results``), read-only;
2. :func:`select_passing` keeps students whose total is at least ``min_score`` times the
   maximum (the sum over the book's exercises of each exercise's maximum points);
3. :func:`build_batch` makes each certificate's body, hashes it, builds the Merkle tree once
   and gives each certificate its path;
4. :func:`anchor_transaction` builds the transaction recording ``EDUC`` + root, paid and
   signed by the issuer's key (the wallet's first key: it signs every input);
5. after broadcast, the certificates are written with the transaction (``"block_hash":
   null`` until confirmed); :func:`confirm_certificates` fills in the block, its height and
   the transaction's Merkle proof in the block once a node has it on the best chain.
   ``educhain certificates issue`` waits for that (``--wait``, ``--mine`` on a testnet) and
   ``educhain certificates confirm DIR`` does it later.
"""

from __future__ import annotations

import json
import re
import sqlite3
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from edu_chain.certificates.anchor import batch_data
from edu_chain.certificates.batch import BatchTree
from edu_chain.certificates.document import (
    Certificate,
    CertificateError,
    certificate_hash,
    make_body,
)
from edu_chain.errors import EduChainError
from edu_chain.node.client import NodeClient, NodeRefusedError
from edu_chain.tx import OutPoint, Transaction, TxOut
from edu_chain.wallet import Wallet

SAFE_NAME = re.compile(r"[A-Za-z0-9_@+=-][A-Za-z0-9._@+=-]*")


class IssueError(EduChainError, ValueError):
    """Issuing cannot start: a gradebook that is not one, a student id unfit for a file name,
    a bad fraction.  Nothing has been broadcast when this is raised."""


@dataclass(frozen=True)
class Grades:
    """A gradebook's content: each exercise's maximum, each student's points per exercise."""

    maximum: dict[str, float]
    points: dict[str, dict[str, float]]

    @property
    def max_total(self) -> float:
        return sum(self.maximum.values())

    def total(self, student: str) -> float:
        return sum(self.points[student].values())


def read_gradebook(path: Path | str) -> Grades:
    """The results of a gradebook file, opened read-only; :class:`IssueError` if it is
    missing or not a gradebook."""
    path = Path(path)
    if not path.is_file():
        raise IssueError(f"no gradebook at {path} (`educhain grade` writes OUT/gradebook.sqlite)")
    try:
        with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as db:
            rows = db.execute(
                "SELECT student, exercise_id, points, max_points FROM results"
            ).fetchall()
    except sqlite3.Error as error:
        raise IssueError(f"{path} is not a gradebook ({error})") from None
    maximum: dict[str, float] = {}
    points: dict[str, dict[str, float]] = {}
    for student, exercise_id, earned, most in rows:
        maximum[exercise_id] = max(maximum.get(exercise_id, 0.0), float(most))
        points.setdefault(student, {})[exercise_id] = float(earned)
    if not points:
        raise IssueError(f"the gradebook {path} holds no results")
    return Grades(maximum, points)


def select_passing(grades: Grades, min_score: float) -> tuple[list[str], list[str]]:
    """(students at or above ``min_score`` x maximum, the others), each sorted."""
    if not 0 <= min_score <= 1:
        raise IssueError(f"--min-score is a fraction of the maximum in [0, 1], got {min_score}")
    bar = min_score * grades.max_total
    passing, failing = [], []
    for student in sorted(grades.points):
        (passing if grades.total(student) >= bar - 1e-9 else failing).append(student)
    for student in passing:
        if not SAFE_NAME.fullmatch(student):
            raise IssueError(f"student id {student!r} cannot be a file name (DIR/<student>.json)")
    return passing, failing


def build_batch(
    grades: Grades,
    students: list[str],
    *,
    course: str,
    date: str,
    issuer_public_key: bytes,
    min_score: float,
) -> tuple[list[dict], BatchTree]:
    """Each student's certificate body and the Merkle tree over their hashes (same order)."""
    bodies = []
    for student in students:
        earned = grades.points[student]
        exercises = {ex: (earned.get(ex, 0.0), most) for ex, most in grades.maximum.items()}
        bodies.append(
            make_body(
                student=student,
                course=course,
                exercises=exercises,
                date=date,
                issuer_public_key=issuer_public_key,
                min_score=min_score,
            )
        )
    if not bodies:
        raise IssueError("no student reached the bar: no certificate to issue")
    return bodies, BatchTree([certificate_hash(body) for body in bodies])


def certificates_for(
    bodies: list[dict], tree: BatchTree, tx: Transaction, spent: TxOut
) -> list[Certificate]:
    """The certificate files' content, before confirmation (``block_hash`` null)."""
    root = tree.root.hex()
    anchor = {
        "txid": tx.id,
        "tx_hex": tx.serialize().hex(),
        "spent_output": {"amount": spent.amount, "script_pubkey": spent.script_pubkey.hex()},
        "block_hash": None,
        "block_height": None,
        "tx_index": None,
        "tx_merkle_path": None,
    }
    leaves = tree.levels[0]
    return [
        Certificate(
            body,
            leaves[i].hex(),
            {
                "root": root,
                "index": i,
                "size": tree.size,
                "merkle_path": tree.path_hex(i),
            },
            anchor,  # one dict shared by the batch: written once per file, encoded once
        )
        for i, body in enumerate(bodies)
    ]


def write_certificates(
    certificates: Iterable[Certificate],
    out_dir: Path,
    progress: Callable[[int], None] | None = None,
) -> list[Path]:
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = []
    encoded: dict[int, str] = {}  # id(anchor dict) -> its JSON: a batch shares one anchor
    for cert in certificates:
        path = out_dir / f"{cert.student}.json"
        anchor_text = encoded.get(id(cert.anchor))
        if anchor_text is None:
            anchor_text = encoded[id(cert.anchor)] = json.dumps(cert.anchor, ensure_ascii=False)
        cert.write(path, anchor_text)
        paths.append(path)
        if progress is not None:
            progress(1)
    return paths


# --- the transaction ------------------------------------------------------------------------


def issuer_wallet(wallet: Wallet) -> Wallet:
    """The wallet restricted to its first key: the issuer, which signs every input."""
    return Wallet(wallet.path, wallet.keys[:1], wallet.address_types[:1])


def issuer_coins(node: NodeClient, issuer: Wallet) -> dict[OutPoint, TxOut]:
    """The issuer key's spendable coins, as the node sees them."""
    return dict(node.coins(issuer.address, issuer.script_pubkeys[0]).spendable)


def anchor_transaction(
    issuer: Wallet, coins: dict[OutPoint, TxOut], data: bytes
) -> tuple[Transaction, TxOut]:
    """The signed transaction recording ``data``, and the output its input 0 spends.
    :class:`~edu_chain.wallet.InsufficientFundsError` when the coins do not pay its fee."""
    tx = issuer.build_transaction(coins, [], data=data)
    return tx, coins[tx.inputs[0].outpoint]


def anchor_chain(
    issuer: Wallet, coins: dict[OutPoint, TxOut], records: list[bytes]
) -> list[Transaction]:
    """One signed transaction per record, in order, all built before any is sent.  Each may
    spend the change of the one before (a node accepts a child of a transaction still in
    its mempool), so one coin can pay for them all.
    :class:`~edu_chain.wallet.InsufficientFundsError` when the coins do not pay every fee."""
    available = dict(coins)
    change_script = issuer.script_pubkeys[0]
    chain = []
    for data in records:
        tx = issuer.build_transaction(available, [], data=data)
        for tx_input in tx.inputs:
            del available[tx_input.outpoint]
        for index, output in enumerate(tx.outputs):
            if output.script_pubkey == change_script:
                available[OutPoint(tx.txid, index)] = output
        chain.append(tx)
    return chain


def anchor_batch(
    issuer: Wallet, coins: dict[OutPoint, TxOut], tree: BatchTree
) -> tuple[Transaction, TxOut]:
    return anchor_transaction(issuer, coins, batch_data(tree.root))


# --- confirmation ---------------------------------------------------------------------------


def tx_proof(node: NodeClient, txid: str) -> dict | None:
    """``GET /api/tx/{txid}/proof``, or None while the transaction is not in a block."""
    try:
        return node.get(f"/api/tx/{txid}/proof")
    except NodeRefusedError as error:
        if error.status == 404:
            return None
        raise


def confirm_certificates(
    node: NodeClient, paths: Iterable[Path], progress: Callable[[int], None] | None = None
) -> tuple[int, int]:
    """Fill in the block of each certificate's anchoring transaction (rewriting the file);
    returns (confirmed, still pending).  One proof request per transaction."""
    proofs: dict[str, dict | None] = {}
    confirmed = pending = 0
    for path in paths:
        cert = Certificate.load(path)
        txid = str(cert.anchor.get("txid"))
        if txid not in proofs:
            proofs[txid] = tx_proof(node, txid)
        proof = proofs[txid]
        if proof is None:
            pending += 1
        else:
            cert.anchor.update(
                block_hash=proof["block_hash"],
                block_height=proof["block_height"],
                tx_index=proof["index"],
                tx_merkle_path=proof["merkle_path"],
            )
            cert.write(path)
            confirmed += 1
        if progress is not None:
            progress(1)
    return confirmed, pending


def certificate_files(directory: Path) -> list[Path]:
    """The certificate files in ``directory`` (JSON files whose format says so)."""
    found = []
    for path in sorted(directory.glob("*.json")):
        try:
            Certificate.load(path)
        except CertificateError:
            continue
        found.append(path)
    return found
