"""``educhain node --exit-with-parent``: nodes outlive no owner, even one killed with ``kill -9``.

The scene: a small Python program (the "owner", as a notebook or ``educhain demo`` would be)
starts a two-node testnet with ``Testnet.start(..., exit_with_parent=True)``; the nodes mine a
few blocks; the owner is killed with SIGKILL, so no ``finally`` and no ``Testnet.stop()`` runs.

Oracles: the operating system (``/proc``: each recorded node pid is gone, while a node without
the flag, started by ``educhain testnet up``, is left running on purpose - see
``tests/functional/test_testnet.py``); each node's own log (it says its parent exited) and its
data dir (``node.json`` is removed only at the end of the clean SIGTERM path, after the
database is closed); and ``ChainState.check_consistency()`` on each database afterwards (an
independent replay of every block into a fresh UTXO set).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import httpx
import pytest

from edu_chain.chain import ChainParams, ChainState
from edu_chain.node.service import CHAIN_FILE, INFO_FILE
from edu_chain.node.testnet import Testnet, TestnetState, pid_alive
from tests.functional.harness import wait_until

pytestmark = [pytest.mark.slow, pytest.mark.timeout(120)]

OWNER = textwrap.dedent(
    """
    import sys, time
    from pathlib import Path
    from edu_chain.node.testnet import Testnet

    root = Path(sys.argv[1])
    Testnet.start(root / "net", 2, network="unittest", exit_with_parent=True, timeout=60)
    (root / "ready").write_text("ready")
    time.sleep(600)  # "owns" the testnet until it is killed
    """
)


def test_nodes_stop_cleanly_when_their_owner_is_killed(tmp_path: Path) -> None:
    with open(tmp_path / "owner.log", "wb") as owner_log:
        owner = subprocess.Popen(
            [sys.executable, "-c", OWNER, str(tmp_path)],
            stdin=subprocess.DEVNULL,
            stdout=owner_log,
            stderr=subprocess.STDOUT,
        )
    net = tmp_path / "net"
    try:

        def owner_ready() -> bool:
            assert owner.poll() is None, (tmp_path / "owner.log").read_text()
            return (tmp_path / "ready").exists()

        wait_until(owner_ready, timeout=60, what="the owner's testnet to be up")
        state = TestnetState.load(net)
        assert len(state.nodes) == 2
        node0 = state.nodes[0]
        mined = httpx.post(node0.url + "/api/mine", json={"count": 5}, timeout=60).json()
        assert mined["tip"]["height"] == 5
        wait_until(
            lambda: all(
                httpx.get(n.url + "/api/tip", timeout=5).json()["hash"] == mined["tip"]["hash"]
                for n in state.nodes
            ),
            what="node1 to sync the 5 blocks",
        )
        for node in state.nodes:
            assert (Path(node.data_dir) / INFO_FILE).exists()
            assert pid_alive(node.pid, node.data_dir)

        os.kill(owner.pid, signal.SIGKILL)
        assert owner.wait(timeout=10) == -signal.SIGKILL

        # Not our children: adopted by init (or a subreaper), so watch /proc, never waitpid.
        wait_until(
            lambda: not any(pid_alive(n.pid, n.data_dir) for n in state.nodes),
            timeout=30,
            what="every node to notice its parent died and stop",
        )
        for node in state.nodes:
            log = Path(node.log).read_text(encoding="utf-8", errors="replace")
            assert f"parent process {owner.pid} has exited: stopping the node" in log, log
            assert not (Path(node.data_dir) / INFO_FILE).exists(), f"{node.name}: unclean exit"
            chain = ChainState(ChainParams.for_tests(), Path(node.data_dir) / CHAIN_FILE)
            try:
                report = chain.check_consistency()
                assert report.ok, report
                assert chain.height == 5, node.name  # both nodes had the mined blocks
            finally:
                chain.close()
    finally:
        if owner.poll() is None:
            owner.kill()
        owner.wait()
        if (net / "testnet.json").exists():
            Testnet.attach(net).stop(grace=5)  # signals only pids still naming this dir


def test_a_parent_dead_before_the_node_looked_stops_it_at_once_with_status_0(tmp_path: Path):
    # The launcher names itself with --parent-pid, so a parent that died while the node was
    # still importing is noticed too (os.getppid() would already name the adoptive parent).
    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()
    data_dir = tmp_path / "node"
    result = subprocess.run(
        [
            *(sys.executable, "-m", "edu_chain", "node", "--data-dir", str(data_dir)),
            *("--host", "127.0.0.1", "--port", "0", "--network", "unittest"),
            *("--exit-with-parent", "--parent-pid", str(gone.pid)),
        ],
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert f"parent process {gone.pid} has exited: stopping the node" in result.stdout
    assert not (data_dir / INFO_FILE).exists()
    chain = ChainState(ChainParams.for_tests(), data_dir / CHAIN_FILE)
    try:
        assert chain.check_consistency().ok
    finally:
        chain.close()
