"""The red-team corpus against the OS sandbox (bubblewrap), each case in a real cohort.

Every case runs beside an honest student (``grade_cohort``, two workers, ``--isolation os``)
and must be contained: it scores 0 for its exercise; the honest student's result is exactly
what it is when graded alone (timings aside); ``grades.csv`` has exactly the two expected
rows; the submissions folder is byte for byte unchanged and the output folder holds only the
grader's files; the grader (this test process) and an unrelated process (a ``sleep`` started
here) are alive; a server on 127.0.0.1 saw no connection; markers never appear.  What the
attack itself observed (its stdout) shows which layer stopped it.

The second half runs plain Python inside the same sandbox command, with no audit hook, to
show the OS layer alone: no host file, no host process, no host loopback, nothing outlives it.
Without a working bwrap these tests are skipped with the reason, and fail in CI.
"""

from __future__ import annotations

import csv
import dataclasses
import functools
import hashlib
import json
import os
import select
import socket
import subprocess
import tempfile
import time
from pathlib import Path

import pytest

from edu_chain.grading import Limits, bwrap, grade_cohort, load_exercises
from edu_chain.grading.sandbox import Isolation

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "tests" / "fixtures" / "submissions"
EXERCISE = dataclasses.replace(
    load_exercises(ROOT / "exercises", ["merkle_root"])[0], limits=Limits(time_s=15, cpu_s=10)
)
OUTPUTS = [
    "feedback/attacker.json",
    "feedback/attacker.md",
    "feedback/honest.json",
    "feedback/honest.md",
    "gradebook.sqlite",
    "grades.csv",
    "gradescope/attacker/results.json",
    "gradescope/honest/results.json",
    "junit.xml",
]


def _no_host_process(stdout: str) -> bool:
    return "grader: ProcessLookupError" in stdout and "unrelated: ProcessLookupError" in stdout


def _only_own_pids(stdout: str) -> bool:
    pids = json.loads(stdout.split("pids: ", 1)[1].split(";", 1)[0].split("]", 1)[0] + "]")
    return "environ: PermissionError" in stdout and all(pid < 10 for pid in pids)


def _scratch_full(stdout: str) -> bool:
    megabytes = int(stdout.split("wrote ", 1)[1].split(" MB", 1)[0])
    return "No space left on device" in stdout and megabytes <= Limits().scratch_mb


def _stopped_by_pids(stdout: str) -> bool:
    """The thread bomb was refused by the pids cgroup: every thread is a task, and the
    sandbox's other tasks (bwrap, its init, the zygote, the worker) count too."""
    threads = int(stdout.split("refused after ", 1)[1].split(" threads", 1)[0])
    return "can't start new thread" in stdout and 0 < threads <= Limits().processes - 4


# case -> (allowed statuses, what the attack's own output must show)
REDTEAM = {
    # Its own parent is the student's zygote, inside the same sandbox: killing it may end the
    # worker before it answers ("crashed"); either way no host process is reachable.
    "pidfd_signal_grader": (("graded", "crashed"), _no_host_process),
    "signal_by_pid": (("violation",), lambda out: "os.kill" in out or "PermissionError" in out),
    "probe_host_files": (("graded",), lambda out: "EXISTS: []" in out),
    "read_proc": (("violation",), _only_own_pids),
    "loopback_connect": (("violation",), lambda out: "PermissionError" in out),
    "double_fork": (("violation",), lambda out: "PermissionError" in out),
    "fork_bomb": (("violation",), lambda out: "stopped after 0 forks" in out),
    "fill_disk": (("graded",), _scratch_full),
    # Needs the pids cgroup (skipped with the reason where cgroups are not writable).
    "thread_bomb": (("graded",), _stopped_by_pids),
    "write_other_scratch": (("violation",), lambda out: "wrote" not in out),
}


PIDS_CASES = {"thread_bomb"}  # stopped by the pids cgroup, which not every machine allows


@pytest.fixture
def world(tmp_path):
    """An unrelated process, a loopback server and a secret file, all outside the sandbox."""
    unrelated = subprocess.Popen(["sleep", "120"])
    server = socket.create_server(("127.0.0.1", 0))
    server.setblocking(False)
    secret = tmp_path / "secret.txt"
    secret.write_text("the exam answers")
    places = {
        "GRADER_PID": str(os.getpid()),
        "UNRELATED_PID": str(unrelated.pid),
        "PORT": str(server.getsockname()[1]),
        "SECRET_FILE": str(secret),
        "MARKER": str(tmp_path / "marker"),
        "SUBMISSIONS": str(tmp_path / "subs"),
        "OUT": str(tmp_path / "out"),
        "REPO": str(ROOT),
        "TMPDIR": tempfile.gettempdir(),
    }
    yield places, unrelated, server
    unrelated.kill()
    unrelated.wait()
    server.close()


def materialise(name: str, places: dict[str, str]) -> str:
    source = (FIXTURES / "malicious" / f"{name}.py").read_text()
    for key, value in places.items():
        source = source.replace("{{" + key + "}}", value)
    assert "{{" not in source, name
    return source


def _comparable(result: dict) -> dict:
    return {k: v for k, v in result.items() if k != "seconds"}


@functools.lru_cache(maxsize=2)
def _alone(summary: str, isolation: Isolation) -> str:
    """The honest student's result graded alone, as JSON (timings removed)."""
    with tempfile.TemporaryDirectory() as tmp:
        subs, out = Path(tmp) / "subs", Path(tmp) / "out"
        (subs / "honest").mkdir(parents=True)
        (subs / "honest" / "merkle_root.py").write_bytes(
            (FIXTURES / "correct" / "merkle_root.py").read_bytes()
        )
        grade_cohort(subs, out, [EXERCISE], workers=1, isolation=isolation)
        feedback = json.loads((out / "feedback" / "honest.json").read_text())
    return json.dumps(_comparable(feedback["exercises"][0]), sort_keys=True)


def _snapshot(folder: Path) -> dict[str, str]:
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


@pytest.mark.parametrize("name", sorted(REDTEAM))
def test_red_team_case_is_contained_by_the_os_sandbox(name, tmp_path, os_sandbox, world):
    places, unrelated, server = world
    if name in PIDS_CASES and not os_sandbox.pids_max:
        pytest.skip(f"no pids cgroup on this machine ({os_sandbox.why_not_pids})")
    subs, out = tmp_path / "subs", tmp_path / "out"
    (subs / "honest").mkdir(parents=True)
    (subs / "attacker").mkdir()
    honest = (FIXTURES / "correct" / "merkle_root.py").read_bytes()
    (subs / "honest" / "merkle_root.py").write_bytes(honest)
    (subs / "attacker" / "merkle_root.py").write_text(materialise(name, places))
    before = _snapshot(subs)

    summary = grade_cohort(subs, out, [EXERCISE], workers=2, isolation=os_sandbox)

    assert summary.isolation == os_sandbox.summary
    with (out / "grades.csv").open() as handle:
        rows = {row["student"]: row["merkle_root"] for row in csv.DictReader(handle)}
    assert rows == {"attacker": "0", "honest": "10"}
    feedback = json.loads((out / "feedback" / "honest.json").read_text())["exercises"][0]
    assert json.dumps(_comparable(feedback), sort_keys=True) == _alone(
        os_sandbox.summary, os_sandbox
    )
    attacker = json.loads((out / "feedback" / "attacker.json").read_text())["exercises"][0]
    statuses, observed = REDTEAM[name]
    assert attacker["points"] == 0
    assert attacker["status"] in statuses, attacker["message"]
    assert observed(attacker["stdout_tail"]), attacker["stdout_tail"]
    assert attacker["isolation"] == os_sandbox.summary
    assert _snapshot(subs) == before
    written = sorted(str(p.relative_to(out)) for p in out.rglob("*") if p.is_file())
    assert [p for p in written if not p.startswith("gradebook.sqlite-")] == OUTPUTS
    assert unrelated.poll() is None
    with pytest.raises(BlockingIOError):
        server.accept()
    if name == "double_fork":
        time.sleep(2.5)  # the grandchild would have written its marker by now
    assert not Path(places["MARKER"]).exists()


# --- the OS layer alone: plain Python in the sandbox, no audit hook --------------------------


def _in_sandbox(code: str, **popen) -> subprocess.Popen[bytes]:
    found = bwrap.binary()
    assert found is not None
    command = bwrap.command(found, scratch_mb=4)
    return subprocess.Popen(
        [*command, bwrap.interpreter(), "-I", "-S", "-c", code],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        **popen,
    )


def _run(code: str) -> str:
    process = _in_sandbox(code)
    stdout, stderr = process.communicate(timeout=60)
    assert process.returncode == 0, stderr.decode()
    return stdout.decode()


def test_without_the_hook_no_host_file_process_or_server_is_reachable(os_sandbox, world):
    places, unrelated, server = world
    code = f"""
import os, signal, socket
probes = ({places["SECRET_FILE"]!r}, {str(ROOT)!r}, "/etc/passwd", "/home")
seen = [p for p in probes if os.path.exists(p)]
print("files", seen)
for pid in ({os.getpid()}, {unrelated.pid}):
    try:
        signal.pidfd_send_signal(os.pidfd_open(pid), signal.SIGKILL)
        print("signal sent to", pid)
    except ProcessLookupError:
        print("no such process")
print("pids", sorted(int(p) for p in os.listdir("/proc") if p.isdigit()))
try:
    socket.create_connection(("127.0.0.1", {places["PORT"]}), timeout=2)
    print("connected")
except OSError as exc:
    print("network", type(exc).__name__)
"""
    lines = _run(code).splitlines()
    assert lines[0] == "files []"
    assert lines[1:3] == ["no such process"] * 2
    assert lines[3] == "pids [1, 2]"  # bwrap's init and this interpreter, nothing else
    assert lines[4].startswith("network ") and "connected" not in lines
    assert unrelated.poll() is None
    with pytest.raises(BlockingIOError):
        server.accept()


def test_without_the_hook_nothing_outlives_the_sandbox(os_sandbox):
    """A double-forked grandchild in its own session holds a pipe's write end; the pipe
    reaches end-of-file as soon as the worker exits: the grandchild died with the sandbox."""
    code = """
import os, time
if os.fork() == 0:
    if os.fork() == 0:
        os.setsid()
        time.sleep(60)
    os._exit(0)
os.wait()
"""
    read_end, write_end = os.pipe()
    started = time.monotonic()
    process = _in_sandbox(code, pass_fds=(write_end,))
    os.close(write_end)
    try:
        ready, _, _ = select.select([read_end], [], [], 30)
        assert ready and os.read(read_end, 1) == b""
    finally:
        os.close(read_end)
    assert process.wait(timeout=30) == 0
    assert time.monotonic() - started < 20  # not the grandchild's 60 s


FORK_BOMB = """
import errno, os, time
root = os.getpid()
refused = []  # why this process's forks failed
for _ in range(8):  # every process forks on: 2**8 = 256 processes at most, with no limit at all
    try:
        os.fork()
    except OSError as exc:
        refused.append(errno.errorcode.get(exc.errno, str(exc.errno)))
if refused:
    print("refused", len(refused), sorted(set(refused)), flush=True)
time.sleep(1 if os.getpid() == root else 3)
"""


def test_without_the_hook_a_fork_bomb_stops_at_pids_max(os_sandbox):
    """A real fork bomb (plain Python in the sandbox, no audit hook; the grader is root, so
    RLIMIT_NPROC would not bind) inside a pids cgroup of 16: forks fail with EAGAIN, the
    cgroup's own counters show it never held more than 16 tasks and refused forks, and closing
    it kills what is left and removes it."""
    from edu_chain.grading import pids

    if not os_sandbox.pids_max:
        pytest.skip(f"no pids cgroup on this machine ({os_sandbox.why_not_pids})")
    cgroup = pids.PidsCgroup(16)
    found = bwrap.binary()
    assert found is not None
    command = [*bwrap.command(found, scratch_mb=4), bwrap.interpreter(), "-I", "-S", "-c"]
    process = subprocess.Popen(cgroup.wrap([*command, FORK_BOMB]), stdout=subprocess.PIPE)
    try:
        stdout, _ = process.communicate(timeout=60)
    finally:
        cgroup.close()
    lines = stdout.decode().splitlines()  # one line per process that had a fork refused
    assert lines and all(line.endswith(" ['EAGAIN']") for line in lines), lines
    assert sum(int(line.split()[1]) for line in lines) > 0
    assert cgroup.refused > 0  # pids.events: forks refused at pids.max
    if cgroup.peak:  # pids.peak (Linux 6.1+ on v2; 6.x on v1 here): never above the max
        assert cgroup.peak <= 16
    assert not cgroup.path.exists()


def test_scratch_is_a_small_tmpfs_not_the_host_disk(os_sandbox):
    code = """
import os
try:
    with open("/scratch/big", "wb") as handle:
        handle.write(b"0" * (8 << 20))
except OSError as exc:
    print(exc.errno)
print(sorted(os.listdir("/")))
"""
    errno, listing = _run(code).splitlines()
    assert errno == "28"  # ENOSPC at the 4 MB the command was given
    assert "scratch" in listing and "home" not in listing and "tmp" not in listing


def test_a_bwrap_that_cannot_create_namespaces_is_reported_not_used(tmp_path, monkeypatch):
    """A container without user namespaces: bwrap exists but fails.  The reason is bwrap's
    own last line; auto falls back and says so; os refuses."""
    from edu_chain.grading.sandbox import IsolationError, resolve_isolation

    fake = tmp_path / "bwrap"
    fake.write_text(
        "#!/bin/sh\necho 'bwrap: No permissions to create new namespace, likely because the "
        "kernel does not allow non-privileged user namespaces.' >&2\nexit 1\n"
    )
    fake.chmod(0o755)
    monkeypatch.setenv(bwrap.BWRAP_ENV, str(fake))
    bwrap.status.cache_clear()
    try:
        reason = bwrap.status()
        assert reason.startswith(f"{fake} cannot create its namespaces here (bwrap: No perm")
        fallback = resolve_isolation("auto")
        assert not fallback.os_sandbox and "cannot create its namespaces" in fallback.unprotected
        with pytest.raises(IsolationError, match="apt-get install bubblewrap"):
            resolve_isolation("os")
    finally:
        monkeypatch.undo()
        bwrap.status.cache_clear()
