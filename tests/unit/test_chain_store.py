"""The SQLite store: reopening, the consistency audit, first-seen ties across restarts, and a
disk error in the middle of connecting or disconnecting a block.

Oracle: ``ChainStore.check_consistency`` replays the active chain's blocks into a fresh dict
(independently of the incremental UTXO updates) and compares; tampering with the table must
be detected.  Restarts compare tip, UTXO set and block statuses before and after.  Injected
SQLite errors must leave the in-memory chain equal to the database (and to the replay).
"""

from __future__ import annotations

import sqlite3
from dataclasses import replace

import pytest

from edu_chain.block import parse_block
from edu_chain.chain import ChainState, ChainStore
from edu_chain.chain.builder import ChainBuilder
from edu_chain.chain.params import ChainParams
from edu_chain.chain.store import StoreError
from edu_chain.script.standard import p2wpkh

PARAMS = ChainParams.for_tests()


def _builder_on(path) -> ChainBuilder:
    builder = ChainBuilder(PARAMS)
    builder.chain = ChainState(PARAMS, path, clock=builder._clock)
    return builder


def test_reopen_gives_the_same_tip_utxos_and_index(tmp_path):
    path = tmp_path / "chain.sqlite"
    builder = _builder_on(path)
    builder.mine_blocks(5)
    builder.mine_block([builder.pay(p2wpkh(b"\x22" * 20), 5_000)])
    fork = builder.chain.active[3]
    builder.chain.submit_block(builder.make_block(parent=fork, extra=b"stale", fees=0))
    chain = builder.chain
    before = (chain.tip.hash, dict(chain.utxos), chain.fork_tree())
    chain.close()

    reopened = ChainState(PARAMS, path)
    assert (reopened.tip.hash, reopened.utxos, reopened.fork_tree()) == before
    assert reopened.check_consistency().ok
    assert reopened.balance(p2wpkh(b"\x22" * 20)) == 5_000


def test_journal_mode_is_wal(tmp_path):
    path = tmp_path / "chain.sqlite"
    ChainState(PARAMS, path).close()
    assert sqlite3.connect(path).execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_consistency_check_detects_a_tampered_utxo_table(tmp_path):
    path = tmp_path / "chain.sqlite"
    builder = _builder_on(path)
    builder.mine_blocks(3)
    builder.chain.close()
    with sqlite3.connect(path) as db:
        db.execute("UPDATE utxos SET amount = amount + 1")
    report = ChainState(PARAMS, path).check_consistency()
    assert not report.ok
    assert "3 different" in report.problems[0]


def test_consistency_check_detects_a_missing_coin(tmp_path):
    path = tmp_path / "chain.sqlite"
    builder = _builder_on(path)
    builder.mine_blocks(3)
    builder.chain.close()
    with sqlite3.connect(path) as db:
        db.execute("DELETE FROM utxos WHERE height = 2")
    report = ChainStore(path).check_consistency(parse_block)
    assert not report.ok and "1 missing" in report.problems[0]


def test_equal_work_competitor_does_not_win_after_restart(tmp_path):
    path = tmp_path / "chain.sqlite"
    builder = _builder_on(path)
    builder.mine_blocks(2)
    parent = builder.chain.tip
    first = builder.mine_block(extra=b"first")
    builder.chain.submit_block(builder.make_block(parent=parent, extra=b"second"))
    builder.chain.close()
    assert ChainState(PARAMS, path).tip.hash == first.hash()


def test_reopen_finishes_an_interrupted_reorg(tmp_path):
    """A crash between the disconnect and the connect steps of a reorg leaves a lighter tip;
    reopening moves to the most-work valid chain again."""
    path = tmp_path / "chain.sqlite"
    builder = _builder_on(path)
    builder.mine_blocks(4)
    tip = builder.chain.tip
    builder.chain._disconnect_tip()  # what the database holds after a crash mid-reorg
    builder.chain._disconnect_tip()
    builder.chain.close()
    reopened = ChainState(PARAMS, path)
    assert reopened.tip.hash == tip.hash
    assert reopened.check_consistency().ok


def test_a_database_of_another_chain_is_refused(tmp_path):
    path = tmp_path / "chain.sqlite"
    ChainState(PARAMS, path).close()
    with pytest.raises(StoreError, match="unit-test"):
        ChainState(ChainParams.edu_regtest(), path)


# --- an exception in the middle of connecting or disconnecting ----------------------------


class FailingConnection:
    """A sqlite3 connection that raises, once armed, on the first statement containing
    ``pattern``: a disk error in the middle of a block's SQLite transaction."""

    def __init__(self, db: sqlite3.Connection, pattern: str) -> None:
        self.db, self.pattern, self.armed = db, pattern, True

    def _check(self, sql: str) -> None:
        if self.armed and self.pattern in sql:
            raise sqlite3.OperationalError(f"disk I/O error (injected at {self.pattern!r})")

    def execute(self, sql: str, *args):
        self._check(sql)
        return self.db.execute(sql, *args)

    def executemany(self, sql: str, *args):
        self._check(sql)
        return self.db.executemany(sql, *args)

    def __getattr__(self, name: str):
        return getattr(self.db, name)


def inject_fault(chain: ChainState, pattern: str) -> FailingConnection:
    failing = FailingConnection(chain.store._db, pattern)
    chain.store._db = failing
    return failing


def assert_memory_matches_disk(chain: ChainState) -> None:
    """The in-memory chain, block statuses and UTXO set are what the database holds (and the
    replay agrees)."""
    assert [entry.hash for entry in chain.active] == chain.store.active_chain()
    assert chain.utxos == chain.store.load_utxos()
    in_memory = {entry.hash: (entry.status, entry.reason) for entry in chain.index.values()}
    on_disk = {row.hash: (row.status, row.reason) for row in chain.store.iter_blocks()}
    assert in_memory == on_disk
    report = chain.check_consistency()
    assert report.ok, report.problems


def test_a_failure_inside_connect_changes_neither_memory_nor_disk(tmp_path):
    """The chain row is written last: by then the block's UTXO rows have changed inside the
    transaction, and the rollback must undo them."""
    path = tmp_path / "chain.sqlite"
    builder = _builder_on(path)
    builder.mine_blocks(4)
    chain = builder.chain
    tip, utxos = chain.tip, dict(chain.utxos)
    block = builder.make_block([builder.pay(p2wpkh(b"\x22" * 20), 5_000)])
    fault = inject_fault(chain, "INSERT INTO chain")
    with pytest.raises(sqlite3.OperationalError):
        chain.submit_block(block)
    assert chain.tip is tip and chain.utxos == utxos
    assert_memory_matches_disk(chain)

    fault.armed = False  # the disk recovers: the stored block connects on the next attempt
    chain.submit_block(builder.make_block(parent=block, fees=0))
    assert chain.height == 6 and chain.find_tx(block.transactions[1].txid) is not None
    assert_memory_matches_disk(chain)
    chain.close()
    assert_memory_matches_disk(ChainState(PARAMS, path))


def test_a_failure_inside_disconnect_leaves_the_old_tip(tmp_path):
    path = tmp_path / "chain.sqlite"
    builder = _builder_on(path)
    builder.mine_blocks(3)
    chain = builder.chain
    fork = chain.tip
    old_tip = builder.mine_block().hash()
    side = builder.make_block(parent=fork, extra=b"side", fees=0)
    chain.submit_block(side)
    inject_fault(chain, "DELETE FROM chain")
    with pytest.raises(sqlite3.OperationalError):
        chain.submit_block(builder.make_block(parent=side, extra=b"side", fees=0))
    assert chain.tip.hash == old_tip
    assert_memory_matches_disk(chain)
    chain.close()
    reopened = ChainState(PARAMS, path)  # the heavier branch is stored: reopening finishes
    assert reopened.get_entry(reopened.tip.hash).parent.hash == side.hash()
    assert_memory_matches_disk(reopened)


def test_a_failure_between_disconnect_and_connect_of_a_reorg(tmp_path):
    """The old block is disconnected (committed), then connecting the new branch fails: the
    chain stays on the fork point, memory equal to disk, listeners hear the tip change (the
    mempool takes the disconnected payment back), and the next block finishes the reorg."""
    from edu_chain.chain import ChainEvent
    from edu_chain.mempool import Mempool

    path = tmp_path / "chain.sqlite"
    builder = _builder_on(path)
    builder.mine_blocks(4)
    chain = builder.chain
    pool = Mempool(chain)
    fork = chain.tip
    payment = builder.pay(p2wpkh(b"\x22" * 20), 5_000, fee=2_000)
    builder.mine_block([payment])
    side = builder.make_block(parent=fork, extra=b"side", fees=0)
    chain.submit_block(side)
    events: list[ChainEvent] = []
    chain.subscribe(events.append)
    inject_fault(chain, "INSERT INTO chain")
    with pytest.raises(sqlite3.OperationalError):
        chain.submit_block(builder.make_block(parent=side, extra=b"side", fees=0))
    assert chain.tip is fork
    assert_memory_matches_disk(chain)
    assert [e.kind for e in events][-2:] == ["block_disconnected", "tip_changed"]
    assert payment.txid in pool, "the disconnected payment is back in the mempool"

    chain.store._db = chain.store._db.db  # the disk recovers
    last = builder.make_block(parent=chain.get_entry(side.hash()).children[0], extra=b"side")
    chain.submit_block(last)
    assert chain.tip.hash == last.hash() and chain.height == 7
    assert_memory_matches_disk(chain)
    assert payment.txid in pool


def test_a_database_of_another_genesis_is_refused(tmp_path):
    path = tmp_path / "chain.sqlite"
    ChainState(PARAMS, path).close()
    other_genesis = replace(PARAMS, genesis_timestamp=PARAMS.genesis_timestamp + 1)
    with pytest.raises(StoreError, match="do not start at the unit-test genesis"):
        ChainState(other_genesis, path)


def test_undo_data_that_does_not_match_its_block_is_a_store_error(tmp_path):
    path = tmp_path / "chain.sqlite"
    builder = _builder_on(path)
    builder.mine_blocks(4)
    builder.mine_block([builder.pay(p2wpkh(b"\x22" * 20), 5_000)])  # spends one coin: undo has one
    chain = builder.chain
    with chain.store.transaction() as db:
        db.execute("UPDATE undo SET data = ? WHERE hash = ?", (b"\x00", chain.tip.hash))
    tip = chain.tip
    with pytest.raises(StoreError, match="has 0 coins, expected 1"):
        chain._disconnect_tip()
    assert chain.tip is tip
    assert [entry.hash for entry in chain.active] == chain.store.active_chain()


def test_a_failure_while_marking_a_branch_invalid(tmp_path):
    """The reorg finds a bad block; writing its status fails.  Memory and disk agree on every
    block's status, and once the disk recovers the chain finds the bad block again."""
    path = tmp_path / "chain.sqlite"
    builder = _builder_on(path)
    builder.mine_blocks(3)
    chain = builder.chain
    fork = chain.tip
    main_tip = builder.mine_block().hash()
    bad = builder.make_block(parent=fork, coinbase_amount=PARAMS.block_subsidy(4) + 1)
    chain.submit_block(bad)
    child = builder.make_block(parent=bad, fees=0)
    fault = inject_fault(chain, "reason = ? WHERE")  # the invalid mark, not connect's
    with pytest.raises(sqlite3.OperationalError):
        chain.submit_block(child)
    assert_memory_matches_disk(chain)

    fault.armed = False
    chain.submit_block(builder.make_block(parent=main_tip, fees=0, extra=b"next"))
    assert chain.get_entry(bad.hash()).reason == "bad-cb-amount"
    assert chain.get_entry(child.hash()).reason == "bad-prevblk"
    assert chain.tip.parent.hash == main_tip
    assert_memory_matches_disk(chain)


def test_a_refused_database_is_closed_again(tmp_path, monkeypatch):
    """Refusing a database (another chain's, or another genesis) must not leave its SQLite
    connection open: a node that retries with other settings would hold the file twice."""
    from edu_chain.chain import store as store_module

    path = tmp_path / "chain.sqlite"
    ChainState(PARAMS, path).close()
    opened: list[sqlite3.Connection] = []
    real_connect = sqlite3.connect

    def recording_connect(*args, **kwargs):
        opened.append(real_connect(*args, **kwargs))
        return opened[-1]

    monkeypatch.setattr(store_module.sqlite3, "connect", recording_connect)
    other_genesis = replace(PARAMS, genesis_timestamp=PARAMS.genesis_timestamp + 1)
    for params in (ChainParams.edu_regtest(), other_genesis):
        with pytest.raises(StoreError):
            ChainState(params, path)
        with pytest.raises(sqlite3.ProgrammingError, match="closed"):
            opened[-1].execute("SELECT 1")


def test_a_file_that_is_not_a_database_is_a_store_error(tmp_path):
    path = tmp_path / "chain.sqlite"
    path.write_bytes(b"not a database, just text " * 100)
    with pytest.raises(StoreError, match=r"cannot open .*file is not a database"):
        ChainState(PARAMS, path)
