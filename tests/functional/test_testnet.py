"""The local testnet launcher (``edu_chain.node.testnet``, ``educhain testnet up|status|down``).

Oracles: the nodes' own API (every node answers, lists the others as peers, follows the tip
another node mined), the state file (one pid per node), and the operating system
(``/proc``: after ``down`` no recorded pid runs; a pid that is not ours is never signalled).
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from edu_chain.cli import main
from edu_chain.node.testnet import (
    STATE_FILE,
    NodeProcess,
    Testnet,
    TestnetError,
    TestnetState,
    pid_alive,
)
from tests.functional.harness import wait_until

pytestmark = [pytest.mark.slow, pytest.mark.timeout(180)]


def _tip(url: str) -> dict:
    import httpx

    return httpx.get(url + "/api/tip", timeout=10).json()


def test_up_status_down_in_process(tmp_path):
    testnet = Testnet.start(tmp_path, 3, network="unittest")
    try:
        state = TestnetState.load(tmp_path)
        assert [n.pid for n in state.nodes] == [n.pid for n in testnet.nodes]
        assert len({n.port for n in state.nodes}) == 3
        assert all(pid_alive(n.pid, n.data_dir) for n in state.nodes)

        # A full mesh: node i dialled every earlier node and the hello made it two-way.
        wait_until(
            lambda: all(row["peers"] == 2 for row in testnet.status()),
            what="every node to list the two others as peers",
        )
        # Connected for real: a block mined on node0 reaches the others.
        import httpx

        node0 = testnet.nodes[0]
        mined = httpx.post(node0.url + "/api/mine", json={"count": 2}, timeout=60).json()
        wait_until(
            lambda: all(_tip(n.url)["hash"] == mined["tip"]["hash"] for n in testnet.nodes),
            what="every node to follow node0's tip",
        )
        rows = testnet.status()
        assert [r["height"] for r in rows] == [2, 2, 2]
        assert all(r["answering"] and r["alive"] for r in rows)
    finally:
        report = testnet.stop()
    assert len(report) == 3 and all("stopped" in line for line in report), report
    assert not any(pid_alive(n.pid) for n in state.nodes)
    assert not (tmp_path / STATE_FILE).exists()
    assert testnet.stop() == []  # stopping twice is harmless: nothing is recorded any more


def test_cli_up_status_down_leaves_no_process(tmp_path):
    """The real commands, each in its own process, as a participant types them."""
    directory = tmp_path / "class"
    command = [sys.executable, "-m", "edu_chain", "testnet"]
    up = subprocess.run(
        [*command, "up", "--nodes", "2", "--network", "unittest", "--dir", str(directory)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert up.returncode == 0, up.stdout + up.stderr
    state = TestnetState.load(directory)
    try:
        assert "Explorer: http://127.0.0.1:" in up.stdout
        for node in state.nodes:
            assert node.url in up.stdout
            assert pid_alive(node.pid, node.data_dir)
        status = subprocess.run(
            [*command, "status", "--json", "--dir", str(directory)],
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert status.returncode == 0, status.stderr
        rows = json.loads(status.stdout)
        assert [r["name"] for r in rows] == ["node0", "node1"]
        assert all(r["answering"] and r["height"] == 0 and r["peers"] == 1 for r in rows)
        second = subprocess.run(
            [*command, "up", "--nodes", "2", "--network", "unittest", "--dir", str(directory)],
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert second.returncode == 2 and "testnet-running" in second.stderr
    finally:
        down = subprocess.run(
            [*command, "down", "--dir", str(directory)], capture_output=True, text=True, timeout=60
        )
    assert down.returncode == 0, down.stderr
    assert down.stdout.count("stopped") >= 2
    wait_until(
        lambda: not any(pid_alive(n.pid) for n in state.nodes),
        what="the node processes to be gone",
    )
    assert not (directory / STATE_FILE).exists()


def test_down_never_signals_a_pid_that_is_not_our_node(tmp_path):
    """A recorded pid now used by another program (pid reuse) is left alone."""
    stranger = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        node_dir = tmp_path / "node0"
        fake = NodeProcess("node0", 1, stranger.pid, str(node_dir), str(node_dir / "node.log"))
        TestnetState(str(tmp_path), (fake,)).save()
        report = Testnet.attach(tmp_path).stop(grace=0.5)
        assert report == [f"node0 (pid {stranger.pid}) was not running"]
        assert stranger.poll() is None  # still alive: never signalled
    finally:
        stranger.send_signal(signal.SIGTERM)
        stranger.wait(timeout=10)


def test_a_node_that_cannot_start_is_reported_and_nothing_is_left(tmp_path):
    with pytest.raises(TestnetError) as caught:
        Testnet.start(tmp_path, 2, network="unittest", extra_args=["--no-such-option"], timeout=30)
    assert caught.value.code == "node-exited"
    assert "no-such-option" in caught.value.message  # the log tail says why
    assert not (tmp_path / STATE_FILE).exists()


def test_a_busy_base_port_is_refused_before_starting_anything(tmp_path):
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        port = sock.getsockname()[1]
        with pytest.raises(TestnetError) as caught:
            Testnet.start(tmp_path, 2, base_port=port, network="unittest")
    assert caught.value.code == "port-in-use"
    assert not list(Path(tmp_path).glob("node*"))


def test_status_and_down_without_a_testnet_are_clear_errors(tmp_path):
    for command in ("status", "down"):
        result = CliRunner().invoke(main, ["testnet", command, "--dir", str(tmp_path)])
        assert result.exit_code == 2
        assert "no-testnet" in result.output


def test_a_directory_that_cannot_be_created_is_a_usage_error(tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a directory")
    result = CliRunner().invoke(main, ["testnet", "up", "--dir", str(blocker / "net")])
    assert result.exit_code == 2, result.output
    assert "bad-directory" in result.output and "Traceback" not in result.output


def test_unknown_network_is_a_usage_error_before_any_node_starts(tmp_path):
    result = CliRunner().invoke(
        main, ["testnet", "up", "--nodes", "1", "--network", "mainnet", "--dir", str(tmp_path)]
    )
    assert result.exit_code == 2 and "'mainnet' is not one of" in result.output
    assert not list(tmp_path.iterdir())  # no node folder, no state file


def test_state_file_round_trips_and_rejects_garbage(tmp_path):
    node = NodeProcess("node0", 8400, os.getpid(), "/data/node0", "/data/node0/node.log")
    state = TestnetState(str(tmp_path), (node,), "unittest", True, 1.5)
    assert TestnetState.parse(state.serialize()) == state
    assert node.url == "http://127.0.0.1:8400"
    with pytest.raises(TestnetError) as caught:
        TestnetState.parse('{"nodes": 3}')
    assert caught.value.code == "bad-state-file"


def test_help_has_examples():
    for args in (["testnet", "--help"], ["testnet", "up", "--help"]):
        result = CliRunner().invoke(main, args)
        assert result.exit_code == 0
        assert "Example" in result.output


def test_mine_flag_makes_every_node_mine(tmp_path):
    with Testnet.start(tmp_path, 2, network="unittest", mine=True) as testnet:
        rows = wait_until(
            lambda: (
                (rows := testnet.status())
                and all(r["mining"] is True and (r["height"] or 0) >= 3 for r in rows)
                and rows
            ),
            what="both nodes to report mining and reach height 3",
        )
        assert len(rows) == 2
        state = TestnetState.load(tmp_path)
        assert state.mining is True
    assert not any(pid_alive(node.pid) for node in state.nodes)  # the context manager stopped them
