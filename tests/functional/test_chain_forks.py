"""A fork-tree scenario in the spirit of Bitcoin Core's ``test/functional/feature_block.py``.

Read it like a lab script: each step logs what it does, builds blocks by hand on a chosen
parent and asserts the exact outcome (tip, reject reason, mempool contents).  The block tree
built here::

    genesis - b1 - b2 - b3 - b4 - b5                 main chain (b4 pays Bob)
                         \\
                          b4a - b5a                  equal work: b5 stays the tip (also after
                                  \\                  a restart)
                                   b6a(bad) - b7a    more work, but b6a over-pays its coinbase
                                  \\
                                   b6b - b7b         more work and valid: reorg

Oracles: the reject codes of Bitcoin Core for the same faults, the fork-choice rule of
docs/architecture.md#chain-rules, and ``check_consistency`` (independent replay) after every step.
"""

from __future__ import annotations

import logging

import pytest

from edu_chain.chain import ChainParams, ChainState
from edu_chain.chain.builder import ChainBuilder
from edu_chain.errors import BlockValidationError
from edu_chain.keys import PrivateKey
from edu_chain.mempool import Mempool
from edu_chain.script.standard import p2wpkh
from edu_chain.tx import OutPoint

log = logging.getLogger("feature_block")
BOB = p2wpkh(PrivateKey(0xB0B).public_key.pubkey_hash())


def expect_reject(chain: ChainState, block, code: str) -> None:
    with pytest.raises(BlockValidationError) as info:
        chain.submit_block(block)
    assert info.value.code == code, info.value
    log.info("  refused %s: %s", block.id[:16], info.value)


def test_fork_tree_scenario(tmp_path):
    params = ChainParams.for_tests()
    path = tmp_path / "node.sqlite"
    builder = ChainBuilder(chain=ChainState(params, path))
    chain = builder.chain
    pool = Mempool(chain)

    log.info("Mine b1..b3 and fund the test key")
    b1, b2, b3 = builder.mine_blocks(3)
    log.info("b4 pays Bob from b1's coinbase (mature at height 4)")
    pay_bob = builder.pay(BOB, 7_000_000, fee=10_000)
    b4 = builder.mine_block([pay_bob])
    b5 = builder.mine_block()
    assert chain.tip.hash == b5.hash() and chain.height == 5

    log.info("A competing branch b4a-b5a of equal work does not replace the tip")
    b4a = builder.make_block(parent=b3, extra=b"a", fees=0)
    assert chain.submit_block(b4a).status == "side-chain"
    b5a = builder.make_block(parent=b4a, extra=b"a", fees=0)
    assert chain.submit_block(b5a).status == "side-chain"
    assert chain.tip.hash == b5.hash()

    log.info("Restart the node: the first-seen tip is still the tip")
    chain.close()
    chain = ChainState(params, path)
    builder.chain = chain
    pool = Mempool(chain)
    assert chain.tip.hash == b5.hash()
    assert chain.check_consistency().ok

    log.info("A longer branch containing an invalid block is refused")
    b6a = builder.make_block(
        parent=b5a, coinbase_amount=params.block_subsidy(6) + 1, extra=b"a", fees=0
    )
    expect_reject(chain, b6a, "bad-cb-amount")
    assert chain.tip.hash == b5.hash()
    assert chain.get_entry(b6a.hash()).status == "invalid"
    b7a = builder.make_block(parent=b6a, extra=b"a", fees=0)
    expect_reject(chain, b7a, "bad-prevblk")

    log.info("Bob's payment waits in the mempool; a valid heavier branch b6b-b7b wins")
    b6b = builder.make_block(parent=b5a, extra=b"b", fees=0)
    assert chain.submit_block(b6b).status == "active"  # b5a's branch now has more work
    assert [e.hash for e in chain.active[4:]] == [b4a.hash(), b5a.hash(), b6b.hash()]
    assert pay_bob.txid in pool, "the disconnected payment is back in the mempool"
    b7b = builder.mine_block()
    assert chain.tip.hash == b7b.hash()
    assert chain.check_consistency().ok
    assert chain.balance(BOB) == 0  # Bob's coins exist only on the stale branch ...

    log.info("Spending an output that exists only on the reorged-out branch fails")
    stale_output = OutPoint(pay_bob.txid, 1)  # the change of pay_bob, created in b4
    spend_stale = builder.spend(
        [(stale_output, pay_bob.outputs[1])], [(BOB, pay_bob.outputs[1].amount - 1_000)]
    )
    pool.remove(pay_bob.txid)  # ... and without the mempool copy nobody can see it
    expect_reject(
        chain, builder.make_block([spend_stale], fees=0), "bad-txns-inputs-missingorspent"
    )

    log.info("Spending the newest coinbase before maturity fails")
    newest = OutPoint(b7b.transactions[0].txid, 0)
    premature = builder.spend([(newest, chain.get_coin(newest))], [(BOB, 1_000_000)])
    expect_reject(
        chain, builder.make_block([premature], fees=0), "bad-txns-premature-spend-of-coinbase"
    )

    log.info("The fork tree shows every branch with its status")
    tree = {row["hash"]: row for row in chain.fork_tree()}
    assert tree[b5.id]["active"] is False and tree[b5.id]["status"] == "valid"
    assert tree[b4.id]["active"] is False
    assert tree[b6a.id]["status"] == "invalid" and tree[b6a.id]["reason"] == "bad-cb-amount"
    assert tree[b7b.id]["active"] is True
    assert {b1.id, b2.id, b3.id} <= {e.id for e in chain.active}
    chain.close()
