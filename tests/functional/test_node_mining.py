"""Mining through the node: the Numba miner on the classroom chain, and the instructor's switch.

Oracles: a block mined by ``POST /api/mine`` on ``regtest`` (real proof-of-work, about 2**24
hashes) meets its target (``meets_target`` on the header re-parsed from the raw block) and was
found by the ``numba`` backend; pausing continuous mining leaves exactly the blocks mined on
demand afterwards (the tip moves by the requested count and no more).
"""

from __future__ import annotations

import pytest

from edu_chain.block import BlockHeader
from edu_chain.pow.target import meets_target
from tests.functional.harness import NodeHarness, wait_until

pytestmark = [pytest.mark.slow, pytest.mark.timeout(180)]


def test_regtest_block_mined_on_demand_with_the_numba_miner(tmp_path):
    with NodeHarness(tmp_path, nodes=1, network="regtest", extra_args=["--threads", "2"]) as h:
        (node,) = h.nodes
        h.log.info("mine 1 regtest block now (real proof-of-work)")
        (block_id,) = node.mine(1)
        raw = bytes.fromhex(node.get(f"/api/blocks/{block_id}/raw")["hex"])
        header = BlockHeader.parse(raw[:80])
        assert header.id == block_id and meets_target(header.hash(), header.bits)
        mining = node.info()["mining"]
        assert mining["backend"] == "numba" and mining["hash_rate"] > 0


def test_pause_and_resume_continuous_mining(tmp_path):
    with NodeHarness(tmp_path, nodes=1, extra_args=["--mine-interval", "0.02"]) as h:
        (node,) = h.nodes
        h.log.info("resume: continuous mining on")
        assert node.post("/api/mining", {"enabled": True})["enabled"] is True
        wait_until(lambda: node.tip()["height"] >= 5, what="continuous mining")
        h.log.info("pause, and wait until the miner is idle")
        node.post("/api/mining", {"enabled": False})
        wait_until(lambda: not node.info()["mining"]["active"], what="the miner to go idle")
        height = node.tip()["height"]
        h.log.info("paused at %d: mining 2 on demand moves the tip by exactly 2", height)
        mined = node.mine(2)
        tip = node.tip()
        assert tip["height"] == height + 2 and tip["hash"] == mined[-1]
        assert [node.get(f"/api/height/{height + i}")["hash"] for i in (1, 2)] == mined


def test_two_continuous_miners_race_then_converge(tmp_path):
    args = ["--mine", "--mine-interval", "0.05"]
    with NodeHarness(tmp_path, nodes=2, extra_args=args) as h:
        node0, node1 = h.nodes
        h.connect(node0, node1)
        h.log.info("both mine on each other's blocks (the miner restarts on every new tip)")
        wait_until(
            lambda: min(node0.tip()["height"], node1.tip()["height"]) >= 20,
            what="both nodes past height 20",
        )
        h.log.info("pause both; equal-work tips may differ (first seen wins), so mine one more")
        for node in h.nodes:
            node.post("/api/mining", {"enabled": False})
        node0.mine(1)
        tip = h.sync_blocks()
        mined_by = {n.name: n.info()["mining"]["blocks_mined"] for n in h.nodes}
        h.log.info("converged at %d; blocks mined %s", tip["height"], mined_by)
        assert all(count > 0 for count in mined_by.values())
        h.log.info("blocks that lost a race stay in the fork tree as valid, inactive blocks")
        for node in h.nodes:
            for block in node.get("/api/forks")["blocks"]:
                assert not block["invalid"]
                assert block["active"] or block["height"] <= tip["height"]
