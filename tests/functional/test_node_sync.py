"""Multi-node: initial sync from scratch, gossip along a line of nodes, transaction relay.

Oracle: every node's ``/api/tip`` (hash and chainwork) equals the miner's, and a relayed
transaction is in every mempool and then in a block on every node.  Nodes are real
``educhain node`` subprocesses (tests/functional/harness.py).
"""

from __future__ import annotations

import pytest

from tests.functional.harness import NodeHarness, wait_until

pytestmark = [pytest.mark.slow, pytest.mark.timeout(120)]


def test_fresh_node_syncs_from_scratch_and_gossip_crosses_a_line_of_nodes(tmp_path):
    with NodeHarness(tmp_path, nodes=3) as h:
        node0, node1, node2 = h.nodes
        h.log.info("node0 mines 30 blocks alone")
        node0.mine(30)
        assert node0.tip()["height"] == 30

        h.log.info("node1 connects to node0 and syncs from scratch")
        h.connect(node1, node0)
        tip = h.sync_blocks([node0, node1])
        assert tip["height"] == 30

        h.log.info("node2 connects to node1 only: a line node0 - node1 - node2")
        h.connect(node2, node1)
        h.sync_blocks()

        h.log.info("a block mined on node2 reaches node0 through node1 (gossip)")
        mined = node2.mine(1)[0]
        tip = h.sync_blocks()
        assert tip["hash"] == mined and tip["height"] == 31
        assert node0.get(f"/api/blocks/{mined}")["confirmations"] == 1

        h.log.info("node0's faucet pays node2; the transaction is relayed to every mempool")
        address2 = node2.info()["wallet_address"]
        txid = node0.post("/api/faucet", {"address": address2, "amount": 5_000})["txid"]
        wait_until(
            lambda: all(txid in n.mempool_txids() for n in h.nodes),
            what="the faucet transaction in every mempool",
        )
        h.log.info("node1 mines it; every node sees it confirmed and node2's balance")
        node1.mine(1)
        h.sync_blocks()
        for node in h.nodes:
            assert node.get(f"/api/tx/{txid}")["status"] == "confirmed"
            assert txid not in node.mempool_txids()
        utxos = node0.get(f"/api/address/{address2}")["utxos"]
        assert [u["amount"] for u in utxos if u["txid"] == txid] == [5_000]
