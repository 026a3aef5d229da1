"""The SQLite store: reopening, the consistency audit, first-seen ties across restarts.

Oracle: ``ChainStore.check_consistency`` replays the active chain's blocks into a fresh dict
(independently of the incremental UTXO updates) and compares; tampering with the table must
be detected.  Restarts compare tip, UTXO set and block statuses before and after.
"""

from __future__ import annotations

import sqlite3

import pytest

from edu_chain.chain import ChainState, ChainStore
from edu_chain.chain.builder import ChainBuilder
from edu_chain.chain.params import ChainParams
from edu_chain.chain.state import parse_block
from edu_chain.chain.store import StoreError

PARAMS = ChainParams.for_tests()


def _builder_on(path) -> ChainBuilder:
    builder = ChainBuilder(PARAMS)
    builder.chain = ChainState(PARAMS, path, clock=builder._clock)
    return builder


def test_reopen_gives_the_same_tip_utxos_and_index(tmp_path):
    path = tmp_path / "chain.sqlite"
    builder = _builder_on(path)
    builder.mine_blocks(5)
    builder.mine_block([builder.pay(b"\x22" * 20, 5_000)])
    fork = builder.chain.active[3]
    builder.chain.submit_block(builder.make_block(parent=fork, extra=b"stale", fees=0))
    chain = builder.chain
    before = (chain.tip.hash, dict(chain.utxos), chain.fork_tree())
    chain.close()

    reopened = ChainState(PARAMS, path)
    assert (reopened.tip.hash, reopened.utxos, reopened.fork_tree()) == before
    assert reopened.check_consistency().ok
    assert reopened.balance(b"\x22" * 20) == 5_000


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
