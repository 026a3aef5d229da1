"""``kill -9`` of a mining node, then a restart on the same data dir; SIGTERM and Ctrl-C.

Oracles: every block the node had confirmed before the kill (read from ``/api/height/{h}``
while it mined) is on the restarted node's active chain at the same height; the restarted
chain passes ``ChainState.check_consistency()`` (an independent replay of every block into a
fresh UTXO set, compared with the stored one); the node mines on and a peer syncs from it.
"""

from __future__ import annotations

import signal

import pytest

from edu_chain.chain import ChainParams, ChainState
from tests.functional.harness import NodeHarness, wait_until

pytestmark = [pytest.mark.slow, pytest.mark.timeout(120)]


def test_kill_9_while_mining_loses_no_confirmed_block(tmp_path):
    with NodeHarness(tmp_path, nodes=2, start=False) as h:
        miner, peer = h.nodes
        for round_number in range(2):
            h.log.info("round %d: start node0 mining continuously", round_number)
            miner.start("--mine", "--mine-interval", "0.01")
            start = miner.tip()["height"]
            wait_until(
                lambda start=start: miner.tip()["height"] >= start + 15, what="15 more blocks"
            )
            h.log.info("remember the confirmed chain while it keeps mining")
            height = miner.tip()["height"]
            confirmed = [miner.get(f"/api/height/{i}")["hash"] for i in range(height + 1)]
            miner.kill()

            h.log.info("restart on the same data dir without mining")
            miner.start()
            assert miner.info()["mining"]["enabled"] is False
            assert miner.tip()["height"] >= height
            for i, block_hash in enumerate(confirmed):
                assert miner.get(f"/api/height/{i}")["hash"] == block_hash, f"height {i}"
            miner.stop()

            h.log.info("audit the database: replay every block into a fresh UTXO set")
            chain = ChainState(ChainParams.for_tests(), miner.data_dir / "chain.sqlite")
            try:
                report = chain.check_consistency()
                assert report.ok, report
                assert chain.height >= height
            finally:
                chain.close()

        h.log.info("the restarted node mines on and a fresh peer syncs everything")
        miner.start()
        miner.mine(2)
        peer.start(peers=[miner])
        tip = h.sync_blocks()
        assert tip["height"] >= height + 2


@pytest.mark.parametrize("stop_signal", [signal.SIGTERM, signal.SIGINT], ids=["TERM", "INT"])
def test_sigterm_or_ctrl_c_stops_a_mining_node_cleanly(tmp_path, stop_signal):
    with NodeHarness(tmp_path, nodes=1, extra_args=["--mine", "--mine-interval", "0.05"]) as h:
        (node,) = h.nodes
        wait_until(lambda: node.tip()["height"] >= 3, what="a few mined blocks")
        assert (node.data_dir / "node.json").exists()
        h.log.info("send %s to pid %s", stop_signal.name, node.pid)
        node.process.send_signal(stop_signal)  # SIGINT is what Ctrl-C sends
        assert node.process.wait(timeout=30) == 0
        assert not (node.data_dir / "node.json").exists()
        chain = ChainState(ChainParams.for_tests(), node.data_dir / "chain.sqlite")
        try:
            assert chain.check_consistency().ok and chain.height >= 3
        finally:
            chain.close()
