"""Multi-node: a network partition where both sides mine, then heals.

Scenario (Bitcoin Core's ``feature_reorg``/``p2p_disconnect_ban`` in miniature):

1. three connected nodes share 5 blocks (node0's coinbases mature after 3);
2. node0 is cut off from node1 and node2;
3. node0's faucet pays node2 and node0 mines that transaction into 1 block of its own;
   node1 mines 3 blocks on the other side (more work);
4. the partition heals: node0 reconnects to node1.

Oracles: every node ends on node1's tip (the most work: ``chainwork`` compared as numbers);
node0's block is still known to node0 but off the active chain (a stale branch in
``/api/forks``); the faucet transaction from the losing branch is back in a mempool (node0's,
and relayed on to the others), not confirmed anywhere; mining once more confirms it everywhere.
"""

from __future__ import annotations

import pytest

from tests.functional.harness import NodeHarness, wait_until

pytestmark = [pytest.mark.slow, pytest.mark.timeout(120)]


def test_partition_both_sides_mine_then_heal_to_the_most_work_chain(tmp_path):
    with NodeHarness(tmp_path, nodes=3) as h:
        node0, node1, node2 = h.nodes
        h.connect(node0, node1)
        h.connect(node1, node2)
        h.connect(node0, node2)
        h.log.info("node0 mines 5 blocks; everyone syncs")
        node0.mine(5)
        shared = h.sync_blocks()

        h.log.info("partition: node0 | node1 + node2")
        h.disconnect(node0, node1)
        h.disconnect(node0, node2)

        h.log.info("node0 pays node2 from its faucet and mines it into 1 block")
        address2 = node2.info()["wallet_address"]
        txid = node0.post("/api/faucet", {"address": address2, "amount": 7_000})["txid"]
        losing_block = node0.mine(1)[0]
        assert node0.get(f"/api/tx/{txid}")["block_hash"] == losing_block
        assert txid not in node1.mempool_txids()  # the partition holds

        h.log.info("node1 mines 3 blocks on the other side")
        node1.mine(3)
        winning = h.sync_blocks([node1, node2])
        assert winning["height"] == shared["height"] + 3
        assert node0.tip()["hash"] == losing_block

        h.log.info("heal: node0 reconnects to node1")
        h.connect(node0, node1)
        tip = h.sync_blocks()
        assert tip["hash"] == winning["hash"]
        assert int(tip["chainwork"], 16) > int(
            node0.get(f"/api/blocks/{losing_block}")["chainwork"], 16
        )

        h.log.info("node0 keeps its block as a stale branch")
        forks = node0.get("/api/forks")
        stale = [b for b in forks["blocks"] if b["hash"] == losing_block]
        assert stale and not stale[0]["active"] and not stale[0]["invalid"]
        assert losing_block in forks["stale_tips"]
        assert node0.get(f"/api/blocks/{losing_block}")["confirmations"] == 0

        h.log.info("the losing branch's transaction is back in the mempools")
        wait_until(lambda: txid in node0.mempool_txids(), what="the tx back in node0's mempool")
        wait_until(
            lambda: all(txid in n.mempool_txids() for n in h.nodes),
            what="the re-added tx relayed to every mempool",
        )
        assert node0.get(f"/api/tx/{txid}")["status"] == "mempool"

        h.log.info("node2 mines it again: confirmed on the winning chain everywhere")
        node2.mine(1)
        h.sync_blocks()
        for node in h.nodes:
            assert node.get(f"/api/tx/{txid}")["status"] == "confirmed"
