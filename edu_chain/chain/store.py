"""The chain on disk: one SQLite file (stdlib ``sqlite3``) per node.

Tables::

    meta      key -> value            chain name, schema version
    blocks    every block ever accepted, on the active chain or not (stale branches stay,
              so the explorer can draw the fork tree): hash, prev_hash, height, chainwork,
              first-seen sequence, status (stored / valid / invalid), reject reason, raw bytes
    chain     height -> hash          the active chain
    utxos     (txid, index) -> coin   the UTXO set of the active chain's tip
    undo      hash -> spent coins     what each connected block spent (see coins.py)
    txindex   txid -> block hash      transactions of the active chain

Durability: the database runs in WAL mode and **each connected or disconnected block is one
SQLite transaction** (its UTXO changes, its undo data, the chain row and the new tip commit
together or not at all).  A process killed with ``kill -9`` at any moment therefore reopens
with a tip whose UTXO set matches it exactly; a block that was reported connected was
committed first.  ``synchronous=NORMAL`` keeps that guarantee for process crashes; a power
cut may lose the last transactions but never leaves a half-connected block.

:meth:`ChainStore.check_consistency` is the audit: it replays the active chain's blocks from
genesis into a fresh UTXO set and compares it with the ``utxos`` table.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from edu_chain.block import Block, BlockHeader
from edu_chain.chain.coins import Coin, coins_created, parse_undo, serialize_undo
from edu_chain.errors import EduChainError
from edu_chain.hashing import display_hex
from edu_chain.tx import OutPoint, TxOut

SCHEMA_VERSION = 2  # 2: real Bitcoin transactions, coins keyed by script_pubkey

SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS blocks (
    hash BLOB PRIMARY KEY,
    prev_hash BLOB NOT NULL,
    height INTEGER NOT NULL,
    chainwork TEXT NOT NULL,          -- hex: SQLite integers stop at 2**63
    sequence INTEGER NOT NULL UNIQUE, -- first-seen order, the fork-choice tie-break
    status TEXT NOT NULL,             -- stored | valid | invalid
    reason TEXT,                      -- reject code when invalid
    received_at INTEGER NOT NULL,     -- unix time this node first saw the block
    raw BLOB NOT NULL
);
CREATE INDEX IF NOT EXISTS blocks_prev ON blocks(prev_hash);
CREATE TABLE IF NOT EXISTS chain (height INTEGER PRIMARY KEY, hash BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS utxos (
    txid BLOB NOT NULL,
    idx INTEGER NOT NULL,
    amount INTEGER NOT NULL,
    script_pubkey BLOB NOT NULL,
    height INTEGER NOT NULL,
    coinbase INTEGER NOT NULL,
    PRIMARY KEY (txid, idx)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS utxos_owner ON utxos(script_pubkey);
CREATE TABLE IF NOT EXISTS undo (hash BLOB PRIMARY KEY, data BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS txindex (
    txid BLOB PRIMARY KEY, block_hash BLOB NOT NULL, height INTEGER NOT NULL,
    position INTEGER NOT NULL
);
"""


class StoreError(EduChainError):
    """The database cannot be used.

    Causes: the file is not an SQLite database; it belongs to another chain or has a newer
    schema; its chain does not start at this chain's genesis; its ``chain`` table has a gap;
    a block's undo data is missing or does not match the block.
    """


@dataclass(frozen=True)
class StoredBlock:
    """One row of the ``blocks`` table without the raw bytes."""

    hash: bytes
    header: BlockHeader
    height: int
    chainwork: int
    sequence: int
    status: str
    reason: str | None
    received_at: int


@dataclass(frozen=True)
class ConsistencyReport:
    """Result of :meth:`ChainStore.check_consistency`."""

    ok: bool
    height: int
    utxo_count: int
    problems: tuple[str, ...]


class ChainStore:
    """SQLite persistence for :class:`~edu_chain.chain.state.ChainState`.

    ``path`` is a file, or ``":memory:"`` for a throw-away chain (tests, notebooks).
    """

    def __init__(self, path: str | Path = ":memory:", *, chain_name: str | None = None) -> None:
        self.path = str(path)
        self._db = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
        self._lock = threading.RLock()
        try:
            if self.path != ":memory:":
                self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=NORMAL")
            self._db.executescript(SCHEMA)
            if chain_name is not None:
                self.check_meta(chain_name)
        except sqlite3.DatabaseError as error:  # e.g. "file is not a database"
            self._db.close()
            raise StoreError(f"cannot open {self.path} as a chain database: {error}") from None
        except BaseException:  # refused (another chain's file): let the connection go
            self._db.close()
            raise

    def check_meta(self, chain_name: str) -> None:
        """Claim a new database for ``chain_name``, or refuse one that belongs to another chain
        or has a newer schema (:class:`StoreError`)."""
        with self.transaction() as db:
            rows = dict(db.execute("SELECT key, value FROM meta").fetchall())
            if not rows:
                db.execute("INSERT INTO meta VALUES ('chain', ?)", (chain_name,))
                db.execute("INSERT INTO meta VALUES ('schema', ?)", (str(SCHEMA_VERSION),))
                return
        if rows.get("chain") != chain_name:
            raise StoreError(
                f"database {self.path} belongs to chain {rows.get('chain')!r}, not {chain_name!r}"
            )
        schema = int(rows.get("schema", "0"))
        if schema > SCHEMA_VERSION:
            raise StoreError(f"database {self.path} has a newer schema {rows['schema']}")
        if schema < SCHEMA_VERSION:
            raise StoreError(
                f"database {self.path} has schema {schema}, from before the chain ran on real "
                f"Bitcoin transactions (schema {SCHEMA_VERSION}); start a new data directory"
            )

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """One atomic SQLite transaction: everything inside commits together or not at all."""
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                yield self._db
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")

    def close(self) -> None:
        with self._lock:
            self._db.close()

    # --- blocks ---------------------------------------------------------------------------

    def add_block(
        self, block: Block, *, height: int, chainwork: int, sequence: int, received_at: int
    ) -> None:
        with self.transaction() as db:
            db.execute(
                "INSERT INTO blocks VALUES (?, ?, ?, ?, ?, 'stored', NULL, ?, ?)",
                (
                    block.hash(),
                    block.header.prev_hash,
                    height,
                    f"{chainwork:x}",
                    sequence,
                    received_at,
                    block.serialize(),
                ),
            )

    def mark_invalid(self, reasons: list[tuple[bytes, str]]) -> None:
        """Mark blocks invalid, each ``(hash, reject code)``, in one transaction."""
        with self.transaction() as db:
            db.executemany(
                "UPDATE blocks SET status = 'invalid', reason = ? WHERE hash = ?",
                [(reason, block_hash) for block_hash, reason in reasons],
            )

    def get_raw_block(self, block_hash: bytes) -> bytes | None:
        with self._lock:
            row = self._db.execute(
                "SELECT raw FROM blocks WHERE hash = ?", (block_hash,)
            ).fetchone()
        return None if row is None else bytes(row[0])

    def iter_blocks(self) -> Iterator[StoredBlock]:
        """Every stored block in first-seen order (parents always come before children)."""
        with self._lock:
            rows = self._db.execute(
                "SELECT hash, substr(raw, 1, 80), height, chainwork, sequence, status, reason, "
                "received_at FROM blocks ORDER BY sequence"
            ).fetchall()
        for row in rows:
            yield StoredBlock(
                hash=bytes(row[0]),
                header=BlockHeader.parse(bytes(row[1])),
                height=row[2],
                chainwork=int(row[3], 16),
                sequence=row[4],
                status=row[5],
                reason=row[6],
                received_at=row[7],
            )

    def active_chain(self) -> list[bytes]:
        with self._lock:
            rows = self._db.execute("SELECT height, hash FROM chain ORDER BY height").fetchall()
        for expected, (height, _) in enumerate(rows):
            if height != expected:
                raise StoreError(f"chain table has a gap at height {expected}")
        return [bytes(h) for _, h in rows]

    # --- connecting and disconnecting -----------------------------------------------------

    def connect_block(
        self,
        block: Block,
        height: int,
        spent: list[tuple[OutPoint, Coin]],
        created: list[tuple[OutPoint, Coin]],
    ) -> None:
        """Apply one block to the UTXO set, record its undo data and make it the tip."""
        block_hash = block.hash()
        with self.transaction() as db:
            db.executemany(
                "DELETE FROM utxos WHERE txid = ? AND idx = ?",
                [(op.txid, op.index) for op, _ in spent],
            )
            db.executemany(
                "INSERT INTO utxos VALUES (?, ?, ?, ?, ?, ?)",
                [_coin_row(op, coin) for op, coin in created],
            )
            db.execute(
                "INSERT OR REPLACE INTO undo VALUES (?, ?)",
                (block_hash, serialize_undo([coin for _, coin in spent])),
            )
            db.executemany(
                "INSERT OR REPLACE INTO txindex VALUES (?, ?, ?, ?)",
                [(tx.txid, block_hash, height, i) for i, tx in enumerate(block.transactions)],
            )
            db.execute("INSERT INTO chain VALUES (?, ?)", (height, block_hash))
            db.execute(
                "UPDATE blocks SET status = 'valid', reason = NULL WHERE hash = ?", (block_hash,)
            )

    def get_undo(self, block_hash: bytes) -> list[Coin]:
        with self._lock:
            row = self._db.execute("SELECT data FROM undo WHERE hash = ?", (block_hash,)).fetchone()
        if row is None:
            raise StoreError(f"no undo data for block {display_hex(block_hash)}")
        return parse_undo(bytes(row[0]))

    def disconnect_block(
        self,
        block: Block,
        height: int,
        restored: list[tuple[OutPoint, Coin]],
        removed: list[OutPoint],
    ) -> None:
        """Undo one block (the tip): delete what it created, put back what it spent."""
        with self.transaction() as db:
            db.executemany(
                "DELETE FROM utxos WHERE txid = ? AND idx = ?",
                [(op.txid, op.index) for op in removed],
            )
            db.executemany(
                "INSERT INTO utxos VALUES (?, ?, ?, ?, ?, ?)",
                [_coin_row(op, coin) for op, coin in restored],
            )
            db.executemany(
                "DELETE FROM txindex WHERE txid = ? AND block_hash = ?",
                [(tx.txid, block.hash()) for tx in block.transactions],
            )
            db.execute("DELETE FROM chain WHERE height = ?", (height,))

    # --- the UTXO set ---------------------------------------------------------------------

    def load_utxos(self) -> dict[OutPoint, Coin]:
        with self._lock:
            rows = self._db.execute("SELECT * FROM utxos").fetchall()
        return {OutPoint(bytes(r[0]), r[1]): _row_coin(r) for r in rows}

    def utxos_for(self, script_pubkey: bytes) -> list[tuple[OutPoint, Coin]]:
        """Unspent outputs locked by ``script_pubkey`` (the explorer's address page)."""
        with self._lock:
            rows = self._db.execute(
                "SELECT * FROM utxos WHERE script_pubkey = ? ORDER BY height, txid, idx",
                (script_pubkey,),
            ).fetchall()
        return [(OutPoint(bytes(r[0]), r[1]), _row_coin(r)) for r in rows]

    def find_tx(self, txid: bytes) -> tuple[bytes, int, int] | None:
        """``(block_hash, height, position)`` of a transaction on the active chain."""
        with self._lock:
            row = self._db.execute(
                "SELECT block_hash, height, position FROM txindex WHERE txid = ?", (txid,)
            ).fetchone()
        return None if row is None else (bytes(row[0]), row[1], row[2])

    # --- audit ----------------------------------------------------------------------------

    def check_consistency(self, parse_block: Callable[[bytes], Block]) -> ConsistencyReport:
        """Replay the active chain from genesis and compare with the stored UTXO set."""
        problems: list[str] = []
        replayed: dict[OutPoint, Coin] = {}
        chain = self.active_chain()
        prev = bytes(32)
        for height, block_hash in enumerate(chain):
            raw = self.get_raw_block(block_hash)
            if raw is None:
                problems.append(f"height {height}: block {display_hex(block_hash)} is missing")
                break
            block = parse_block(raw)
            if block.header.prev_hash != prev:
                problems.append(f"height {height}: prev_hash does not link to height {height - 1}")
            prev = block_hash
            if height == 0:
                continue  # the genesis coinbase is not spendable (see params.py)
            for tx in block.transactions:
                if not tx.is_coinbase():
                    for tx_in in tx.inputs:
                        if replayed.pop(tx_in.outpoint, None) is None:
                            problems.append(f"height {height}: tx {tx.id} spends a missing output")
                replayed.update(coins_created(tx, height))
        stored = self.load_utxos()
        if stored != replayed:
            extra = len(stored.keys() - replayed.keys())
            missing = len(replayed.keys() - stored.keys())
            changed = sum(1 for k in stored.keys() & replayed.keys() if stored[k] != replayed[k])
            problems.append(
                f"utxos table differs from the replayed chain: {extra} extra, {missing} missing, "
                f"{changed} different"
            )
        with self._lock:
            undo_missing = self._db.execute(
                "SELECT COUNT(*) FROM chain LEFT JOIN undo USING (hash) "
                "WHERE undo.hash IS NULL AND chain.height > 0"
            ).fetchone()[0]
        if undo_missing:
            problems.append(f"{undo_missing} connected blocks have no undo data")
        return ConsistencyReport(
            ok=not problems,
            height=len(chain) - 1,
            utxo_count=len(stored),
            problems=tuple(problems),
        )


def _coin_row(outpoint: OutPoint, coin: Coin) -> tuple:
    output: TxOut = coin.output
    return (
        outpoint.txid,
        outpoint.index,
        output.amount,
        output.script_pubkey,
        coin.height,
        int(coin.is_coinbase),
    )


def _row_coin(row: tuple) -> Coin:
    return Coin(TxOut(row[2], bytes(row[3])), row[4], bool(row[5]))
