"""The address index (edu_chain/chain/history.py): which active-chain transactions touched a
script, and which input spent each output; kept right across reorgs, restarts and a
schema-2 database.

Oracle: a replay written here from the active chain's blocks alone (every output of every
block in a dict, every input looked up in it), independent of the undo data and of
``history.block_rows``; and ``ChainStore.check_consistency``, which replays it again.
"""

from __future__ import annotations

import sqlite3

import pytest

from edu_chain.chain import ChainParams, ChainState
from edu_chain.chain.builder import ChainBuilder
from edu_chain.chain.history import Spend, Touch
from edu_chain.chain.store import SCHEMA_VERSION, StoreError
from edu_chain.keys import PrivateKey
from edu_chain.script.standard import p2wpkh
from edu_chain.tx import OutPoint

PARAMS = ChainParams.for_tests()
ALICE = PrivateKey(0xA11CE)
ALICE_SCRIPT = p2wpkh(ALICE.public_key.pubkey_hash())
BOB_SCRIPT = p2wpkh(b"\xb0" * 20)


def replay(chain: ChainState) -> tuple[set[Touch], set[Spend]]:
    """The index the active chain should have, from its blocks alone."""
    outputs = {}
    touches, spends = set(), set()
    for height in range(1, chain.height + 1):
        block = chain.block_at(height)
        for position, tx in enumerate(block.transactions):
            sums: dict[bytes, list[int]] = {}
            if not tx.is_coinbase():
                for vin, tx_in in enumerate(tx.inputs):
                    spent = outputs[tx_in.outpoint]
                    sums.setdefault(spent.script_pubkey, [0, 0])[1] += spent.amount
                    spends.add(Spend(tx_in.outpoint, tx.txid, vin, height))
            for index, output in enumerate(tx.outputs):
                outputs[OutPoint(tx.txid, index)] = output
                sums.setdefault(output.script_pubkey, [0, 0])[0] += output.amount
            for script, (received, sent) in sums.items():
                touches.add(Touch(script, height, position, tx.txid, received, sent))
    return touches, spends


def history_of(chain: ChainState, script: bytes) -> list[Touch]:
    return chain.address_history(script, limit=10_000, newest_first=False)


def builder_on(path=None) -> ChainBuilder:
    builder = ChainBuilder(PARAMS)
    if path is not None:
        builder.chain = ChainState(PARAMS, path, clock=builder._clock)
    builder.mine_to_maturity()
    builder.mine_blocks(2)
    return builder


def alice_story(builder: ChainBuilder) -> dict[str, bytes]:
    """Alice is paid twice, then in one block is paid again and spends that very output
    (an input created earlier in the same block), then pays Bob from two coins."""
    first = builder.pay(ALICE_SCRIPT, 40_000)
    builder.mine_block([first])
    second = builder.pay(ALICE_SCRIPT, 25_000)
    builder.mine_block([second])
    third = builder.pay(ALICE_SCRIPT, 10_000)
    onward = builder.spend(
        [(OutPoint(third.txid, 0), third.outputs[0])], [(BOB_SCRIPT, 9_000)], key=ALICE
    )
    builder.mine_block([third, onward])
    both = builder.spend(
        [
            (OutPoint(first.txid, 0), first.outputs[0]),
            (OutPoint(second.txid, 0), second.outputs[0]),
        ],
        [(BOB_SCRIPT, 50_000), (ALICE_SCRIPT, 14_000)],
        key=ALICE,
    )
    builder.mine_block([both])
    return {
        "first": first.txid,
        "second": second.txid,
        "third": third.txid,
        "onward": onward.txid,
        "both": both.txid,
    }


def test_history_totals_and_spends_match_a_replay_of_the_blocks():
    builder = builder_on()
    chain = builder.chain
    txids = alice_story(builder)
    touches, spends = replay(chain)
    mine = [t for t in touches if t.script_pubkey == ALICE_SCRIPT]
    expected = sorted(mine, key=lambda t: (t.height, t.position))
    assert history_of(chain, ALICE_SCRIPT) == expected
    assert [t.txid for t in expected] == [
        txids[name] for name in ("first", "second", "third", "onward", "both")
    ]
    count, received, sent = chain.address_totals(ALICE_SCRIPT)
    assert (count, received, sent) == (5, 89_000, 89_000 - 14_000)
    assert received - sent == chain.balance(ALICE_SCRIPT) == 14_000
    assert chain.store.index_rows() == (touches, spends)
    assert chain.spends_of(txids["first"]) == {
        0: Spend(OutPoint(txids["first"], 0), txids["both"], 0, chain.height)
    }
    assert chain.spends_of(txids["both"]) == {}  # unspent, both outputs
    assert chain.check_consistency().ok


def test_pages_newest_first_and_oldest_first():
    builder = builder_on()
    alice_story(builder)
    chain = builder.chain
    oldest_first = history_of(chain, ALICE_SCRIPT)
    newest = chain.address_history(ALICE_SCRIPT, limit=2, offset=1)
    assert newest == list(reversed(oldest_first))[1:3]
    assert (
        chain.address_history(ALICE_SCRIPT, limit=2, offset=4, newest_first=False)
        == (oldest_first[4:])
    )
    assert chain.address_history(ALICE_SCRIPT, limit=5, offset=99) == []
    assert chain.address_totals(b"\x51") == (0, 0, 0)  # never touched


def test_a_reorg_undoes_the_losing_branch_and_redoes_it_when_it_wins_again(tmp_path):
    builder = builder_on(tmp_path / "chain.sqlite")
    chain = builder.chain
    fork = chain.tip
    payment = builder.pay(ALICE_SCRIPT, 30_000)
    spend_back = builder.spend(
        [(OutPoint(payment.txid, 0), payment.outputs[0])], [(BOB_SCRIPT, 29_000)], key=ALICE
    )
    losing = [builder.mine_block([payment]), builder.mine_block([spend_back])]
    assert [t.txid for t in history_of(chain, ALICE_SCRIPT)] == [payment.txid, spend_back.txid]
    assert chain.store.index_rows() == replay(chain)

    # Another branch from the fork point, one block longer, without Alice's transactions.
    parent = fork
    for number in range(3):
        block = builder.make_block(parent=parent, extra=b"other%d" % number, fees=0)
        chain.submit_block(block)
        parent = chain.get_entry(block.hash())
    assert chain.tip is parent and chain.contains(parent)
    assert history_of(chain, ALICE_SCRIPT) == []
    assert chain.address_totals(ALICE_SCRIPT) == (0, 0, 0)
    assert chain.spends_of(payment.txid) == {}
    assert chain.store.index_rows() == replay(chain)
    assert chain.check_consistency().ok

    # The first branch gathers more work again: its rows come back, at their heights.
    parent = chain.get_entry(losing[-1].hash())
    for number in range(2):
        block = builder.make_block(parent=parent, extra=b"back%d" % number, fees=0)
        chain.submit_block(block)
        parent = chain.get_entry(block.hash())
    assert chain.tip is parent
    assert [(t.txid, t.height) for t in history_of(chain, ALICE_SCRIPT)] == [
        (payment.txid, fork.height + 1),
        (spend_back.txid, fork.height + 2),
    ]
    assert chain.spends_of(payment.txid)[0].txid == spend_back.txid
    assert chain.store.index_rows() == replay(chain)
    chain.close()
    reopened = ChainState(PARAMS, tmp_path / "chain.sqlite")
    assert reopened.store.index_rows() == replay(reopened)
    assert reopened.check_consistency().ok


def test_the_consistency_check_sees_a_tampered_index(tmp_path):
    path = tmp_path / "chain.sqlite"
    builder = builder_on(path)
    alice_story(builder)
    builder.chain.close()
    with sqlite3.connect(path) as db:
        db.execute("DELETE FROM spent_index WHERE height = (SELECT MAX(height) FROM spent_index)")
    report = ChainState(PARAMS, path).check_consistency()
    assert not report.ok
    assert report.problems == ("the address index differs from the replayed chain",)


def test_a_schema_2_database_gets_its_index_built_on_opening(tmp_path):
    path = tmp_path / "chain.sqlite"
    builder = builder_on(path)
    alice_story(builder)
    built = builder.chain.store.index_rows()
    builder.chain.close()
    with sqlite3.connect(path) as db:  # what a node of the previous release left
        db.execute("DROP TABLE address_index")
        db.execute("DROP TABLE spent_index")
        db.execute("UPDATE meta SET value = '2' WHERE key = 'schema'")
    reopened = ChainState(PARAMS, path)
    assert reopened.store.index_rows() == built
    assert len(history_of(reopened, ALICE_SCRIPT)) == 5
    reopened.close()
    with sqlite3.connect(path) as db:
        schema = db.execute("SELECT value FROM meta WHERE key = 'schema'").fetchone()[0]
    assert schema == str(SCHEMA_VERSION) == "3"


def test_an_older_or_newer_schema_is_refused_with_the_reason(tmp_path):
    path = tmp_path / "chain.sqlite"
    ChainState(PARAMS, path).close()
    for schema, reason in [("1", "start a new data directory"), ("9", "newer schema 9")]:
        with sqlite3.connect(path) as db:
            db.execute("UPDATE meta SET value = ? WHERE key = 'schema'", (schema,))
        with pytest.raises(StoreError, match=reason):
            ChainState(PARAMS, path)


def test_a_schema_2_database_without_undo_data_is_refused_not_half_built(tmp_path):
    path = tmp_path / "chain.sqlite"
    builder = builder_on(path)
    builder.chain.close()
    with sqlite3.connect(path) as db:
        db.execute("UPDATE meta SET value = '2' WHERE key = 'schema'")
        db.execute("DELETE FROM undo WHERE hash = (SELECT hash FROM chain WHERE height = 2)")
    with pytest.raises(StoreError, match="height 2 or its undo data is missing"):
        ChainState(PARAMS, path)
    with sqlite3.connect(path) as db:
        assert db.execute("SELECT value FROM meta WHERE key = 'schema'").fetchone()[0] == "2"
