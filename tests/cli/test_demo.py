"""``educhain demo``: the project's main job ends by itself, exit 0, leaving nothing running.

Oracles: the exit status; the steps' own checks (the demo fails with a ClickException when a
node does not do what the step says: no common tip, no reorg, the transaction not back in the
mempool...); and ``/proc`` (no process of ours still names the demo's folder afterwards).
"""

from __future__ import annotations

import hashlib
import os
import re
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from edu_chain.cli import main
from edu_chain.node.testnet import STATE_FILE, NodeProcess, TestnetState, pid_alive
from tests.functional.harness import wait_until

ENV = {**os.environ, "COLUMNS": "200", "PYTHONUNBUFFERED": "1"}


def processes_naming(text: str) -> list[int]:
    """Pids of live processes (not zombies) whose command line contains ``text``."""
    found = []
    for proc in Path("/proc").iterdir():
        if proc.name.isdigit() and int(proc.name) != os.getpid():
            try:
                cmdline = (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode()
            except OSError:
                continue
            if text in cmdline and pid_alive(int(proc.name)):
                found.append(int(proc.name))
    return found


def run_demo(*args: str, timeout: float, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "edu_chain", "demo", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env=env or ENV,
    )


def test_quick_tour_runs_in_process():
    result = CliRunner().invoke(main, ["demo", "--quick"])
    assert result.exit_code == 0, result.output
    assert "proof verifies: True" in result.output
    assert "hash as a number <= target: True" in result.output
    assert "Demo finished" in result.output


def test_redirected_output_never_splits_a_hash():
    """Output to a pipe (a log, ``| less``): no wrapping at 80 columns, so every hash is whole
    on the line that names it.  Oracle: hashlib for the first one; every line of the proof."""
    env = {k: v for k, v in ENV.items() if k not in ("COLUMNS", "LINES")}
    result = run_demo("--quick", "--backend", "python", timeout=120, env=env)
    assert result.returncode == 0, result.stderr[-3000:]
    lines = result.stdout.splitlines()
    digest = hashlib.sha256(hashlib.sha256(b"hello, edu_chain").digest()).hexdigest()
    assert f"sha256d(b'hello, edu_chain') = {digest}" in lines
    proof_lines = [line for line in lines if line.startswith(("leaf  #", "  level ", "root     :"))]
    assert len(proof_lines) == 5  # the leaf, three levels of siblings, the root
    assert all(re.search(r" [0-9a-f]{64}$", line) for line in proof_lines), proof_lines
    assert any(re.search(r"target = 0x[0-9a-f]{64}$", line) for line in lines)
    assert any(re.fullmatch(r"block id [0-9a-f]{64}", line) for line in lines)


def test_keep_running_needs_a_folder():
    result = CliRunner().invoke(main, ["demo", "--keep-running"])
    assert result.exit_code == 2
    assert "--keep-running needs --dir" in result.output
    assert "Double SHA-256" not in result.output  # refused before the tour starts


def test_a_folder_whose_testnet_still_runs_is_refused_with_one_line(tmp_path):
    """``demo --keep-running --dir D`` twice: the second is told to stop the first."""
    node_dir = tmp_path / "testnet" / "node0"
    node_dir.mkdir(parents=True)
    # Stands in for a node of the first demo: a live process naming that data dir.
    sleeper = subprocess.Popen(
        [sys.executable, "-c", "import sys, time; time.sleep(60)", str(node_dir)]
    )
    try:
        running = NodeProcess("node0", 1, sleeper.pid, str(node_dir), str(node_dir / "log"))
        TestnetState(str(tmp_path / "testnet"), (running,)).save()
        result = CliRunner().invoke(main, ["demo", "--backend", "python", "--dir", str(tmp_path)])
        assert result.exit_code == 2, result.output
        assert "testnet-running" in result.output and "testnet down" in result.output
        assert sleeper.poll() is None  # not ours to stop
    finally:
        sleeper.kill()
        sleeper.wait(timeout=10)


def test_unknown_backend_is_a_usage_error():
    result = CliRunner().invoke(main, ["demo", "--quick", "--backend", "gpu"])
    assert result.exit_code == 2
    assert "'gpu' is not one of" in result.output


def test_help_has_examples():
    result = CliRunner().invoke(main, ["demo", "--help"])
    assert result.exit_code == 0
    assert "Example" in result.output and "--quick" in result.output


@pytest.mark.slow
@pytest.mark.timeout(240)
def test_full_tour_on_the_fast_chain_leaves_nothing_running(tmp_path):
    folder = tmp_path / "demo"
    result = run_demo("--network", "unittest", "--dir", str(folder), timeout=200)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    out = result.stdout
    for expected in (
        "all three nodes follow the same tip",
        "it reached all three mempools",
        "the network is partitioned",
        "node2 reorganised",
        "is back in node2's mempool, not lost",
        "mined again on the winning chain",
        "Gradebook",
        "Demo finished",
    ):
        assert expected in out, expected
    assert out.count("stopped") >= 3
    # alice's correct submissions get full marks, the broken one does not load.
    assert "│ alice   │ merkle_root │ 10/10" in out
    assert "load-error" in out and "missing" in out
    assert not (folder / "testnet" / STATE_FILE).exists()
    assert processes_naming(str(folder)) == []


@pytest.mark.slow
@pytest.mark.timeout(400)
def test_the_default_demo_ends_by_itself_with_exit_0(tmp_path):
    """Exactly what a participant types (regtest, real proof-of-work with the Numba miner);
    TMPDIR only tells us where its temporary folder is, to look for leftovers."""
    result = run_demo(timeout=360, env={**ENV, "TMPDIR": str(tmp_path)})
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert "Demo finished" in result.stdout
    assert "node2 reorganised" in result.stdout
    assert processes_naming(str(tmp_path)) == []
    assert list(tmp_path.glob("educhain-demo-*")) == []  # its temporary folder is gone too


@pytest.mark.slow
@pytest.mark.timeout(240)
def test_keep_running_hands_the_testnet_over_to_testnet_down(tmp_path):
    folder = tmp_path / "demo"
    result = run_demo(
        "--network", "unittest", "--no-grading", "--keep-running", "--dir", str(folder), timeout=200
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert "educhain testnet down --dir" in result.stdout
    state = TestnetState.load(folder / "testnet")
    try:
        assert all(pid_alive(node.pid, node.data_dir) for node in state.nodes)
    finally:
        down = CliRunner().invoke(main, ["testnet", "down", "--dir", str(folder / "testnet")])
    assert down.exit_code == 0, down.output
    wait_until(lambda: processes_naming(str(folder)) == [], what="the demo's nodes to be gone")


@pytest.mark.slow
@pytest.mark.timeout(240)
def test_sigterm_mid_tour_still_stops_every_node(tmp_path):
    """A CI timeout or ``kill PID`` of the demo: its finally blocks stop the nodes it started."""
    folder = tmp_path / "demo"
    demo = subprocess.Popen(
        [sys.executable, "-m", "edu_chain", "demo", "--network", "unittest", "--dir", str(folder)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env=ENV,
    )
    try:
        state_file = folder / "testnet" / STATE_FILE
        state = wait_until(
            lambda: (
                state_file.exists()
                and len(s := TestnetState.load(folder / "testnet").nodes) == 3
                and all(pid_alive(n.pid) for n in s)
                and TestnetState.load(folder / "testnet")
            ),
            timeout=120,
            what="the demo's three nodes to start",
        )
        demo.terminate()
        assert demo.wait(timeout=60) == 128 + signal.SIGTERM
    finally:
        if demo.poll() is None:
            demo.kill()
            demo.wait()
    assert not any(pid_alive(node.pid) for node in state.nodes)
    assert processes_naming(str(folder)) == []
