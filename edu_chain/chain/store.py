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
    address_index  (script_pubkey, height, position) -> txid, received, sent: the active
              chain's transactions that paid or spent from each script (see history.py)
    spent_index    (txid, index) -> spending txid, input, height: who spent each output

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

import logging
import sqlite3
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from edu_chain.block import Block, BlockHeader, parse_block
from edu_chain.chain.coins import Coin, coins_created, parse_undo, serialize_undo
from edu_chain.chain.history import Spend, Touch, block_rows, spent_outpoints
from edu_chain.errors import EduChainError
from edu_chain.hashing import display_hex
from edu_chain.tx import OutPoint, TxOut

log = logging.getLogger(__name__)

SCHEMA_VERSION = 3  # 2: real Bitcoin transactions, coins keyed by script_pubkey
# 3: the address and spent indexes (history.py); a schema-2 database is migrated on opening

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
CREATE TABLE IF NOT EXISTS address_index (
    script_pubkey BLOB NOT NULL,
    height INTEGER NOT NULL,
    position INTEGER NOT NULL,        -- of the transaction in its block
    txid BLOB NOT NULL,
    received INTEGER NOT NULL,        -- base units paid to script_pubkey
    sent INTEGER NOT NULL,            -- base units spent from script_pubkey
    PRIMARY KEY (script_pubkey, height, position)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS address_index_height ON address_index(height);
CREATE TABLE IF NOT EXISTS spent_index (
    txid BLOB NOT NULL,
    idx INTEGER NOT NULL,
    spender_txid BLOB NOT NULL,
    spender_vin INTEGER NOT NULL,
    height INTEGER NOT NULL,          -- of the block holding the spending transaction
    PRIMARY KEY (txid, idx)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS spent_index_height ON spent_index(height);
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
        if schema < 2:
            raise StoreError(
                f"database {self.path} has schema {schema}, from before the chain ran on real "
                "Bitcoin transactions (schema 2); start a new data directory"
            )
        if schema == 2:
            self._migrate_to_3()

    def _migrate_to_3(self) -> None:
        """Schema 2 -> 3: fill the address and spent indexes from the active chain's blocks
        and their undo data, in one transaction (a migration cut short starts again)."""
        log.info("%s: building the address index (schema 2 -> 3)", self.path)
        with self.transaction() as db:
            db.execute("DELETE FROM address_index")
            db.execute("DELETE FROM spent_index")
            top = db.execute("SELECT COALESCE(MAX(height), 0) FROM chain").fetchone()[0]
            for height in range(1, top + 1):
                row = db.execute(
                    "SELECT blocks.raw, undo.data FROM chain JOIN blocks USING (hash) "
                    "LEFT JOIN undo USING (hash) WHERE chain.height = ?",
                    (height,),
                ).fetchone()
                if row is None or row[1] is None:
                    raise StoreError(
                        f"database {self.path}: cannot build the address index, the block at "
                        f"height {height} or its undo data is missing"
                    )
                block = parse_block(bytes(row[0]))
                outpoints = spent_outpoints(block)
                coins = parse_undo(bytes(row[1]))
                if len(coins) != len(outpoints):
                    raise StoreError(
                        f"undo data of block {block.id} has {len(coins)} coins, expected "
                        f"{len(outpoints)}"
                    )
                _write_index(db, block, height, dict(zip(outpoints, coins, strict=True)))
            db.execute("UPDATE meta SET value = ? WHERE key = 'schema'", (str(SCHEMA_VERSION),))

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
            _write_index(db, block, height, dict(spent))
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
            # the tip's height: every index row there belongs to this block
            db.execute("DELETE FROM address_index WHERE height = ?", (height,))
            db.execute("DELETE FROM spent_index WHERE height = ?", (height,))
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

    # --- the address index (history.py) ------------------------------------------------

    def address_totals(self, script_pubkey: bytes) -> tuple[int, int, int]:
        """``(transactions, received, sent)`` of ``script_pubkey`` on the active chain."""
        with self._lock:
            row = self._db.execute(
                "SELECT COUNT(*), COALESCE(SUM(received), 0), COALESCE(SUM(sent), 0) "
                "FROM address_index WHERE script_pubkey = ?",
                (script_pubkey,),
            ).fetchone()
        return row[0], row[1], row[2]

    def address_history(
        self, script_pubkey: bytes, *, limit: int, offset: int = 0, newest_first: bool = True
    ) -> list[Touch]:
        """One page of the active chain's transactions that touched ``script_pubkey``, in
        chain order (height, then position in the block), newest first by default."""
        order = "DESC" if newest_first else "ASC"
        with self._lock:
            rows = self._db.execute(
                "SELECT height, position, txid, received, sent FROM address_index "
                f"WHERE script_pubkey = ? ORDER BY height {order}, position {order} "
                "LIMIT ? OFFSET ?",
                (script_pubkey, limit, offset),
            ).fetchall()
        return [Touch(script_pubkey, r[0], r[1], bytes(r[2]), r[3], r[4]) for r in rows]

    def spends_of(self, txid: bytes) -> dict[int, Spend]:
        """The outputs of transaction ``txid`` that the active chain spent, by output index."""
        with self._lock:
            rows = self._db.execute(
                "SELECT idx, spender_txid, spender_vin, height FROM spent_index WHERE txid = ?",
                (txid,),
            ).fetchall()
        return {r[0]: Spend(OutPoint(txid, r[0]), bytes(r[1]), r[2], r[3]) for r in rows}

    def index_rows(self) -> tuple[set[Touch], set[Spend]]:
        """Every row of the two index tables (the audit compares them with a replay)."""
        with self._lock:
            touches = self._db.execute("SELECT * FROM address_index").fetchall()
            spends = self._db.execute("SELECT * FROM spent_index").fetchall()
        return (
            {Touch(bytes(r[0]), r[1], r[2], bytes(r[3]), r[4], r[5]) for r in touches},
            {Spend(OutPoint(bytes(r[0]), r[1]), bytes(r[2]), r[3], r[4]) for r in spends},
        )

    # --- audit ----------------------------------------------------------------------------

    def check_consistency(self, parse_block: Callable[[bytes], Block]) -> ConsistencyReport:
        """Replay the active chain from genesis and compare with the stored UTXO set and the
        address index."""
        problems: list[str] = []
        replayed: dict[OutPoint, Coin] = {}
        expected_touches: set[Touch] = set()
        expected_spends: set[Spend] = set()
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
            coins = {op: replayed[op] for op in spent_outpoints(block) if op in replayed}
            if len(coins) == len(spent_outpoints(block)):  # else: reported just below
                touches, spends = block_rows(block, height, coins)
                expected_touches.update(touches)
                expected_spends.update(spends)
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
        if not problems and self.index_rows() != (expected_touches, expected_spends):
            problems.append("the address index differs from the replayed chain")
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


def _write_index(
    db: sqlite3.Connection, block: Block, height: int, spent: dict[OutPoint, Coin]
) -> None:
    """Add the address and spent index rows of ``block`` (history.py)."""
    touches, spends = block_rows(block, height, spent)
    db.executemany(
        "INSERT INTO address_index VALUES (?, ?, ?, ?, ?, ?)",
        [(t.script_pubkey, t.height, t.position, t.txid, t.received, t.sent) for t in touches],
    )
    db.executemany(
        "INSERT OR REPLACE INTO spent_index VALUES (?, ?, ?, ?, ?)",
        [(s.outpoint.txid, s.outpoint.index, s.txid, s.vin, s.height) for s in spends],
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
