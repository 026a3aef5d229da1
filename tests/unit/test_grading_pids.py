"""The pids cgroup layer (edu_chain/grading/pids.py) on this machine's real cgroups.

Oracles: the kernel's own files (``cgroup.procs``, ``pids.events``, ``pids.peak``, the
cgroup folders themselves) and ``/proc/<pid>``.  Where this machine gives no writable pids
cgroup, the tests that need one are skipped with the probe's reason; the rest (the layer
named as missing, never silently off) run everywhere.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from edu_chain.grading import pids
from edu_chain.grading.sandbox import resolve_isolation


@pytest.fixture
def cgroups():
    """A working pids cgroup layer, or a skip naming why there is none here."""
    pids.status.cache_clear()
    why = pids.status()
    if why:
        pytest.skip(f"no pids cgroup on this machine ({why})")
    return pids._RUN.base


def _gone(pid: int, seconds: float = 5.0) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        except (FileNotFoundError, ProcessLookupError):
            return True
        if state in ("Z", "X"):
            return True
        time.sleep(0.02)
    return False


def test_a_cgroup_refuses_forks_at_pids_max_and_counts_them(cgroups):
    cgroup = pids.PidsCgroup(5)
    assert (cgroup.path / "pids.max").read_text().strip() == "5"
    script = "for i in 1 2 3 4 5 6 7 8; do sleep 2 & done; wait"
    ran = subprocess.run(cgroup.wrap(["/bin/sh", "-c", script]), capture_output=True, text=True)
    cgroup.close()
    assert "Cannot fork" in ran.stderr or ran.returncode != 0
    assert cgroup.refused >= 1
    if cgroup.peak:
        assert cgroup.peak == 5  # the shell and four sleeps: never a sixth task
    assert not cgroup.path.exists()


def test_the_first_process_is_already_inside_when_the_command_starts(cgroups):
    cgroup = pids.PidsCgroup(8)
    try:
        ran = subprocess.run(
            cgroup.wrap(["/bin/cat", "/proc/self/cgroup"]), capture_output=True, text=True
        )
    finally:
        cgroup.close()
    relative = "/" + str(cgroup.path.relative_to(cgroups))
    assert any(line.endswith(relative) for line in ran.stdout.splitlines()), ran.stdout


def test_closing_kills_a_process_that_left_the_process_group(cgroups):
    cgroup = pids.PidsCgroup(8)
    ran = subprocess.run(
        cgroup.wrap(["/bin/sh", "-c", "setsid sleep 60 >/dev/null 2>&1 & echo $!"]),
        capture_output=True,
        text=True,
        timeout=30,
    )
    escaped = int(ran.stdout.split()[-1])
    assert Path(f"/proc/{escaped}").exists()
    cgroup.close()
    assert _gone(escaped)
    assert not cgroup.path.exists()


def test_the_cgroups_of_a_killed_grader_are_removed_at_the_next_start(cgroups):
    """A grader killed with SIGKILL cannot clean up; its (empty) cgroups go at the next start,
    while those of a grader still running (this one) stay."""
    code = (
        "import os, signal\n"
        "from edu_chain.grading import pids\n"
        "assert pids.status() == ''\n"
        "cgroup = pids.PidsCgroup(8)\n"
        "print(cgroup.path, flush=True)\n"
        "os.kill(os.getpid(), signal.SIGKILL)\n"
    )
    killed = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert killed.returncode == -signal.SIGKILL
    left = Path(killed.stdout.strip())
    assert left.is_dir() and left.parent.name == f"educhain-{int(left.parent.name[9:])}"
    mine = pids.PidsCgroup(8)
    try:
        removed = pids.remove_stale(cgroups)
        assert left.parent.name in removed
        assert not left.parent.exists()
        assert mine.path.is_dir()  # this grader is alive: its cgroups stay
    finally:
        mine.close()


def test_the_probe_result_names_the_layer_in_the_isolation_line(cgroups):
    isolation = resolve_isolation("process")
    assert isolation.pids_max == 64
    assert isolation.summary.endswith(" + pids cgroup (max 64)")
    assert "pids cgroup" not in isolation.unprotected
    assert isolation.to_json()["pids_cgroup_max"] == 64


def test_turned_off_the_layer_is_named_as_missing_never_silently(monkeypatch):
    monkeypatch.setenv(pids.PIDS_ENV, "0")
    pids.status.cache_clear()
    try:
        isolation = resolve_isolation("process")
        assert isolation.pids_max == 0
        assert isolation.summary.endswith("; no pids cgroup")
        assert f"no pids cgroup (turned off by {pids.PIDS_ENV}=0)" in isolation.unprotected
        assert isolation.to_json()["pids_cgroup_max"] == 0
    finally:
        monkeypatch.undo()
        pids.status.cache_clear()


def test_without_a_pids_hierarchy_the_reason_says_so(monkeypatch):
    monkeypatch.setattr(pids, "_mounts", lambda: [])
    pids.status.cache_clear()
    try:
        assert pids.status() == "no cgroup v2 pids controller or v1 pids hierarchy is mounted"
    finally:
        monkeypatch.undo()
        pids.status.cache_clear()


def test_mount_paths_map_a_cgroup_to_its_folder():
    assert pids._under("/", "/sys/fs/cgroup/pids", "/a/b") == Path("/sys/fs/cgroup/pids/a/b")
    assert pids._under("/", "/sys/fs/cgroup/pids", "/") == Path("/sys/fs/cgroup/pids")
    assert pids._under("/a", "/mnt/pids", "/a/b") == Path("/mnt/pids/b")
    assert pids._under("/a", "/mnt/pids", "/other") is None


@pytest.mark.parametrize("mode", ["auto", "process"])
def test_a_sandbox_runs_in_its_cgroup_and_leaves_none_behind(cgroups, mode):
    from edu_chain.grading.sandbox import Sandbox

    isolation = resolve_isolation(mode)
    before = set(os.listdir(pids._RUN.folder)) if pids._RUN.folder.exists() else set()
    with Sandbox(isolation) as sandbox:
        read_end, write_end = os.pipe()
        out = os.open(os.devnull, os.O_WRONLY)
        sandbox.spawn((read_end, write_end, out, out))
        for fd in (read_end, write_end, out):
            os.close(fd)
        zygote = sandbox._zygote
        assert zygote is not None and zygote.cgroup is not None
        path = zygote.cgroup.path
        # The shell moves itself in and becomes bwrap, which starts its init and the zygote.
        tasks = 3 if isolation.os_sandbox else 1
        deadline = time.monotonic() + 10
        while zygote.cgroup.current() < tasks and time.monotonic() < deadline:
            time.sleep(0.02)
        assert path.is_dir() and zygote.cgroup.current() >= tasks
        members = (path / "cgroup.procs").read_text().split()
        if not isolation.os_sandbox:
            assert str(zygote._proc.pid) in members  # moved in by the grader
    assert not path.exists()
    after = set(os.listdir(pids._RUN.folder)) if pids._RUN.folder.exists() else set()
    assert after <= before


def _fake_v2(tmp_path: Path, monkeypatch, controllers: str, subtree: str) -> Path:
    """A cgroup2 mount at tmp_path/cg (as /proc/self/mountinfo would list it) with this
    process in /grader: only find_base's reading of the tree is under test here."""
    own = tmp_path / "cg" / "grader"
    own.mkdir(parents=True)
    (own / "cgroup.controllers").write_text(controllers + "\n")
    (own / "cgroup.subtree_control").write_text(subtree + "\n")
    monkeypatch.setattr(pids, "_mounts", lambda: [("/", str(tmp_path / "cg"), "cgroup2", "rw")])
    monkeypatch.setattr(pids, "_own_paths", lambda: ("/grader", None))
    return own


def test_cgroup_v2_without_the_pids_controller_delegated_says_so(tmp_path, monkeypatch):
    _fake_v2(tmp_path, monkeypatch, "cpu memory", "")
    base, version, why = pids.find_base()
    assert base is None and version == ""
    assert why == f"cgroup v2 at {tmp_path / 'cg'}: the pids controller is not delegated here"


def test_cgroup_v2_with_pids_delegated_is_the_base(tmp_path, monkeypatch):
    own = _fake_v2(tmp_path, monkeypatch, "cpu pids", "pids")
    assert pids.find_base() == (own, "v2", "")
