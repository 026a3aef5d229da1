"""The scholarship registry: one SQLite file in the scholarship folder.

Tables (``registry.sqlite``):

    meta       key -> value: the treasury's multisig description (JSON), the node URL
    students   student id, address (both unique), when registered
    batches    one row per payout transaction: its PSBT, then its txid and raw hex, a state
    payments   one row per output paid to a student: student, address, amount, tranche
               (0 = paid outright), the tranche's witness script, batch, output index
    clawbacks  one row per tranche the treasury took back: the payment, txid, amount, fee
    cancels    one row per batch a cancel transaction double-spent: batch, txid, raw hex, fee
               (one cancel transaction may cancel several batches: they share its txid)

A batch walks ``planned -> signed -> broadcast``, or ``planned -> abandoned``, or
``signed -> abandoned`` when the node refused the transaction just signed and does not hold
it; a PSBT with the signers walks ``waiting -> signed -> broadcast``, or
``waiting -> cancelling -> cancelled`` (``scholarship cancel``).  The txid and raw
transaction are written (``signed``, ``cancelling``) *before* the transaction goes to the
node, so a run that is interrupted at any point is resumed by the next one without paying
anyone twice:

    planned     no signed transaction exists: nothing can be on the chain; the next run
                abandons the batch and plans its students again
    signed      the transaction may or may not have reached the node; the next run sends the
                same bytes again (same txid: a node that has it already says so)
    broadcast   the node accepted it; its students are paid
    waiting     (``--psbt-out``) the PSBT is with the signers; its students are held until
                ``scholarship broadcast`` brings the signed PSBT back
    cancelling  a transaction spending the waiting PSBT's coins back to the treasury is
                signed and recorded (``cancels``), perhaps not yet sent: its students are
                still held (the PSBT might still win); ``scholarship cancel`` sends the
                same bytes again
    cancelled   the node took the cancel transaction: the old PSBT can never be mined (its
                coins are spent), its students are unpaid again, and a PSBT brought back
                for it is refused
    abandoned   nothing of it can be on the chain; its students are unpaid again

Every write is one SQLite transaction.
"""

from __future__ import annotations

import fcntl
import json
import os
import sqlite3
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from edu_chain.errors import EduChainError
from edu_chain.wallet import Multisig

REGISTRY_FILE = "registry.sqlite"
LOCK_FILE = "payout.lock"
TREASURY_FILE = "treasury.json"

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS students (
    student TEXT PRIMARY KEY,
    address TEXT NOT NULL UNIQUE,
    registered_at INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS batches (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    state TEXT NOT NULL,
    psbt TEXT NOT NULL,
    txid TEXT,
    tx_hex TEXT,
    psbt_file TEXT,
    created_at INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS payments (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    batch INTEGER NOT NULL REFERENCES batches(id),
    student TEXT NOT NULL REFERENCES students(student),
    address TEXT NOT NULL,
    amount INTEGER NOT NULL,
    tranche INTEGER NOT NULL,
    vout INTEGER NOT NULL,
    script TEXT,
    unlock_height INTEGER,
    expiry_blocks INTEGER
);
CREATE TABLE IF NOT EXISTS clawbacks (
    payment INTEGER PRIMARY KEY REFERENCES payments(id),
    txid TEXT NOT NULL,
    tx_hex TEXT NOT NULL,
    amount INTEGER NOT NULL,
    fee INTEGER NOT NULL,
    to_address TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS cancels (
    batch INTEGER PRIMARY KEY REFERENCES batches(id),
    txid TEXT NOT NULL,
    tx_hex TEXT NOT NULL,
    fee INTEGER NOT NULL
);
"""

# a batch in one of these states holds its students (they are not planned again)
LIVE_STATES = ("planned", "signed", "broadcast", "waiting", "cancelling")


class RegistryError(EduChainError, ValueError):
    """Registering or paying would break a rule: a student or address already registered,
    an unknown student, a folder that is not a scholarship, a payout in progress."""


@dataclass(frozen=True)
class Payment:
    """One output of a payout transaction to a student (``tranche`` 0: paid outright)."""

    id: int
    batch: int
    student: str
    address: str
    amount: int
    tranche: int
    vout: int
    script: bytes | None  # the tranche's witness script (vesting only)
    unlock_height: int | None
    expiry_blocks: int | None
    state: str  # the batch's
    txid: str | None


@dataclass(frozen=True)
class Batch:
    id: int
    state: str
    psbt: str  # base64
    txid: str | None
    tx_hex: str | None
    psbt_file: str | None


class Registry:
    """The registry of the scholarship in folder ``directory``."""

    def __init__(self, directory: str | Path, *, create: bool = False) -> None:
        self.directory = Path(directory)
        path = self.directory / REGISTRY_FILE
        if not create and not path.exists():
            raise RegistryError(
                f"{self.directory} is not a scholarship folder (no {REGISTRY_FILE}); "
                "create one with `educhain scholarship init --dir DIR`"
            )
        self.directory.mkdir(parents=True, exist_ok=True)
        self.db = sqlite3.connect(path, isolation_level=None)
        self.db.execute("PRAGMA foreign_keys = ON")
        self.db.execute("PRAGMA journal_mode = WAL")
        self.db.executescript(_SCHEMA)

    def close(self) -> None:
        self.db.close()

    def __enter__(self) -> Registry:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    @contextmanager
    def exclusive(self) -> Iterator[None]:
        """Hold the folder's payout lock: two payouts planned at once could both pick the
        same unpaid students.  :class:`RegistryError` if another process holds it."""
        fd = os.open(self.directory / LOCK_FILE, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                raise RegistryError(
                    f"another payout or clawback is running on {self.directory}; wait for it"
                ) from None
            yield
        finally:
            os.close(fd)  # closing releases the lock

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        self.db.execute("BEGIN IMMEDIATE")
        try:
            yield self.db
        except BaseException:
            self.db.execute("ROLLBACK")
            raise
        self.db.execute("COMMIT")

    # --- meta -----------------------------------------------------------------------------

    def set_meta(self, key: str, value: str) -> None:
        self.db.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", (key, value))

    def meta(self, key: str) -> str | None:
        row = self.db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return None if row is None else row[0]

    @property
    def treasury(self) -> Multisig:
        text = self.meta("treasury")
        if text is None:
            raise RegistryError(f"{self.directory}: the registry records no treasury")
        return Multisig.from_dict(json.loads(text))

    # --- students -------------------------------------------------------------------------

    def register(
        self, students: Sequence[tuple[str, str]], *, where: Sequence[str] | None = None
    ) -> None:
        """Register ``(student, address)`` pairs, all or none: :class:`RegistryError` names
        the first student or address registered already (or twice in ``students``), after
        ``where[i]`` (say ``"class.csv row 4"``) when given."""
        now = int(time.time())
        with self.transaction() as db:
            for number, (student, address) in enumerate(students):
                row = db.execute(
                    "SELECT student, address FROM students WHERE student = ? OR address = ?",
                    (student, address),
                ).fetchone()
                if row is not None:
                    prefix = f"{where[number]}: " if where and where[number] else ""
                    given = [tuple(pair) for pair in students[:number]]
                    why = "given twice" if tuple(row) in given else "registered already"
                    if row[0] == student:
                        raise RegistryError(
                            f"{prefix}student {student!r} is {why} (address {row[1]})"
                        )
                    raise RegistryError(f"{prefix}address {address} is {why} (student {row[0]!r})")
                db.execute("INSERT INTO students VALUES (?, ?, ?)", (student, address, now))

    def students(self) -> list[tuple[str, str]]:
        return list(self.db.execute("SELECT student, address FROM students ORDER BY rowid"))

    def address_of(self, student: str) -> str:
        row = self.db.execute("SELECT address FROM students WHERE student = ?", (student,))
        found = row.fetchone()
        if found is None:
            raise RegistryError(f"unknown student {student!r}: not registered")
        return found[0]

    def unpaid(self) -> list[tuple[str, str]]:
        """Registered students with no payment in a batch that is not abandoned."""
        marks = ",".join("?" * len(LIVE_STATES))
        return list(
            self.db.execute(
                "SELECT student, address FROM students WHERE student NOT IN ("
                " SELECT p.student FROM payments p JOIN batches b ON p.batch = b.id"
                f" WHERE b.state IN ({marks})) ORDER BY rowid",
                LIVE_STATES,
            )
        )

    # --- batches --------------------------------------------------------------------------

    def add_batch(self, psbt: str, payments: Sequence[dict], *, state: str = "planned") -> int:
        """A new batch with its payments (dicts of the ``payments`` columns but id/batch)."""
        with self.transaction() as db:
            cursor = db.execute(
                "INSERT INTO batches (state, psbt, created_at) VALUES (?, ?, ?)",
                (state, psbt, int(time.time())),
            )
            batch = int(cursor.lastrowid or 0)
            for payment in payments:
                db.execute(
                    "INSERT INTO payments (batch, student, address, amount, tranche, vout,"
                    " script, unlock_height, expiry_blocks) VALUES (?,?,?,?,?,?,?,?,?)",
                    (
                        batch,
                        payment["student"],
                        payment["address"],
                        payment["amount"],
                        payment["tranche"],
                        payment["vout"],
                        payment.get("script"),
                        payment.get("unlock_height"),
                        payment.get("expiry_blocks"),
                    ),
                )
        return batch

    def set_batch(self, batch: int, **fields: str | None) -> None:
        names = ", ".join(f"{name} = ?" for name in fields)
        self.db.execute(f"UPDATE batches SET {names} WHERE id = ?", (*fields.values(), batch))

    def batches(self, *states: str) -> list[Batch]:
        query = "SELECT id, state, psbt, txid, tx_hex, psbt_file FROM batches"
        if states:
            query += f" WHERE state IN ({','.join('?' * len(states))})"
        return [Batch(*row) for row in self.db.execute(query + " ORDER BY id", states)]

    def batch(self, number: int) -> Batch:
        """Batch ``number``, or :class:`RegistryError` when there is none."""
        query = "SELECT id, state, psbt, txid, tx_hex, psbt_file FROM batches WHERE id = ?"
        row = self.db.execute(query, (number,)).fetchone()
        if row is None:
            raise RegistryError(f"there is no batch {number} in {self.directory}")
        return Batch(*row)

    def payments(self, *, include_abandoned: bool = False) -> list[Payment]:
        query = (
            "SELECT p.id, p.batch, p.student, p.address, p.amount, p.tranche, p.vout, p.script,"
            " p.unlock_height, p.expiry_blocks, b.state, b.txid"
            " FROM payments p JOIN batches b ON p.batch = b.id"
        )
        if not include_abandoned:  # nor cancelled: neither paid anyone
            query += " WHERE b.state NOT IN ('abandoned', 'cancelled')"
        rows = self.db.execute(query + " ORDER BY p.batch, p.vout")
        return [
            Payment(*row[:7], bytes.fromhex(row[7]) if row[7] else None, *row[8:]) for row in rows
        ]

    # --- clawbacks ------------------------------------------------------------------------

    def add_clawback(
        self, payment: int, txid: str, tx_hex: str, amount: int, fee: int, to_address: str
    ) -> None:
        self.db.execute(
            "INSERT OR REPLACE INTO clawbacks VALUES (?, ?, ?, ?, ?, ?)",
            (payment, txid, tx_hex, amount, fee, to_address),
        )

    def clawbacks(self) -> dict[int, tuple[str, str, int, int, str]]:
        rows = self.db.execute(
            "SELECT payment, txid, tx_hex, amount, fee, to_address FROM clawbacks"
        )
        return {row[0]: tuple(row[1:]) for row in rows}  # type: ignore[misc]

    # --- cancels --------------------------------------------------------------------------

    def add_cancel(self, batches: Sequence[int], txid: str, tx_hex: str, fee: int) -> None:
        """Record the signed cancel transaction of ``batches`` and mark them ``cancelling``,
        in one SQLite transaction (before the cancel is sent)."""
        with self.transaction() as db:
            for batch in batches:
                db.execute(
                    "INSERT OR REPLACE INTO cancels VALUES (?, ?, ?, ?)", (batch, txid, tx_hex, fee)
                )
                db.execute("UPDATE batches SET state = 'cancelling' WHERE id = ?", (batch,))

    def cancels(self) -> dict[int, tuple[str, str, int]]:
        """batch -> (cancel txid, raw hex, fee)."""
        rows = self.db.execute("SELECT batch, txid, tx_hex, fee FROM cancels ORDER BY batch")
        return {row[0]: tuple(row[1:]) for row in rows}  # type: ignore[misc]
