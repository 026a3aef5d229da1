"""``educhain grade --scheduler`` on a real Dask cluster: ``dask scheduler`` and two ``dask
worker`` processes on 127.0.0.1, one of them killed in the middle of the run.

Oracles: a local run of the same cohort with the same salt (identical grades.csv, identical
feedback apart from timings); the gradebook (one row per student and exercise, none lost,
none twice); the grader's own count of results.  Bad clusters (no scheduler, a worker without
edu_chain, a worker without bwrap under ``--isolation os``) must be a one-line usage error
with nothing written.  Every process is started here and stopped by its pid.
"""

from __future__ import annotations

import csv
import json
import os
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import sysconfig
import time
from pathlib import Path

import pytest

from edu_chain.grading import bwrap, grade_cohort, load_exercises

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "tests" / "fixtures" / "submissions"
IDS = ["merkle_root", "mine", "sha256"]
DASK = Path(sys.executable).with_name("dask")
SALT = "4242"

pytestmark = pytest.mark.slow


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _wait_until(condition, seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.05)
    raise AssertionError(f"timed out after {seconds} s waiting for {what}")


def _listening(port: int) -> bool:
    with socket.socket() as probe:
        return probe.connect_ex(("127.0.0.1", port)) == 0


class Processes:
    """Every process this test starts, stopped by pid at the end."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.started: list[subprocess.Popen[bytes]] = []

    def start(self, name: str, argv: list[str], **popen) -> subprocess.Popen[bytes]:
        log = (self.folder / f"{name}.log").open("wb")
        process = subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT, **popen)
        self.started.append(process)
        return process

    def stop(self) -> None:
        for process in self.started:
            if process.poll() is None:
                process.send_signal(signal.SIGKILL)
            process.wait(timeout=30)


@pytest.fixture
def processes(tmp_path):
    started = Processes(tmp_path)
    yield started
    started.stop()


def start_scheduler(processes: Processes) -> str:
    port = _free_port()
    processes.start(
        "scheduler",
        [str(DASK), "scheduler", "--host", "127.0.0.1", "--port", str(port), "--no-dashboard"],
    )
    _wait_until(lambda: _listening(port), 60, "the Dask scheduler")
    return f"tcp://127.0.0.1:{port}"


def start_worker(processes: Processes, address: str, name: str, *extra: str, **popen):
    argv = [str(DASK), "worker", address, "--nthreads", "1", "--no-nanny", "--host", "127.0.0.1"]
    return processes.start(name, [*argv, "--no-dashboard", "--name", name, *extra], **popen)


def _workers(address: str) -> int:
    from distributed import Client

    with Client(address, timeout=10) as client:
        return len(client.scheduler_info()["workers"])


def make_cohort(folder: Path, students: int) -> Path:
    subs = folder / "subs"
    for number in range(students):
        student = subs / f"student{number:02d}"
        student.mkdir(parents=True)
        for exercise_id in IDS:
            shutil.copy(FIXTURES / "correct" / f"{exercise_id}.py", student / f"{exercise_id}.py")
        if number % 3 == 1:
            shutil.copy(FIXTURES / "mistakes" / "mine_strict_less.py", student / "mine.py")
        if number % 4 == 2:
            shutil.copy(FIXTURES / "mistakes" / "sha256_padding.py", student / "sha256.py")
    (subs / "student99").mkdir()  # submitted nothing: graded on the instructor's side
    return subs


def _grade_command(subs: Path, out: Path, *extra: str) -> list[str]:
    base = [sys.executable, "-m", "edu_chain", "grade", str(subs), "--out", str(out)]
    return [*base, "--exercises", str(ROOT / "exercises"), "--only", ",".join(IDS), *extra]


def _feedback(out: Path) -> dict[str, list[dict]]:
    found = {}
    for path in sorted((out / "feedback").glob("*.json")):
        exercises = json.loads(path.read_text())["exercises"]
        found[path.stem] = [{k: v for k, v in e.items() if k != "seconds"} for e in exercises]
    return found


def _rows(out: Path) -> int:
    try:
        with sqlite3.connect(f"file:{out / 'gradebook.sqlite'}?mode=ro", uri=True) as db:
            return db.execute("SELECT COUNT(DISTINCT student) FROM results").fetchone()[0]
    except sqlite3.Error:
        return 0


def test_a_real_cluster_grades_like_a_local_run_and_survives_a_killed_worker(
    tmp_path, processes, os_sandbox, monkeypatch
):
    subs = make_cohort(tmp_path, 16)
    monkeypatch.setenv("EDUCHAIN_CASE_SALT", SALT)
    local = tmp_path / "local"
    every = [e.exercise_id for e in load_exercises(ROOT / "exercises")]  # the CLI's columns
    exercises = load_exercises(ROOT / "exercises", IDS)
    grade_cohort(subs, local, exercises, export_ids=every, isolation=os_sandbox)

    address = start_scheduler(processes)
    doomed = start_worker(processes, address, "doomed")
    start_worker(processes, address, "survivor")
    _wait_until(lambda: _workers(address) == 2, 60, "two Dask workers")
    out = tmp_path / "cluster"
    command = _grade_command(subs, out, "--scheduler", address, "--isolation", "os", "--quiet")
    grading = subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env={**os.environ}, cwd=tmp_path
    )
    _wait_until(lambda: _rows(out) >= 3 or grading.poll() is not None, 240, "first results")
    assert grading.poll() is None, "the run ended before a worker could be killed"
    doomed.send_signal(signal.SIGKILL)  # mid-run: its tasks must run again on the survivor
    stdout, stderr = grading.communicate(timeout=300)
    assert grading.returncode == 0, stderr.decode()[-2000:]
    text = stdout.decode()

    assert (out / "grades.csv").read_text() == (local / "grades.csv").read_text()
    assert _feedback(out) == _feedback(local)
    with sqlite3.connect(out / "gradebook.sqlite") as db:
        rows = db.execute("SELECT student, exercise_id FROM results").fetchall()
    assert len(rows) == len(set(rows)) == 17 * len(IDS)
    assert f"graded {17 * len(IDS)} submissions" in text
    with (out / "grades.csv").open() as handle:
        assert len(list(csv.DictReader(handle))) == 17
    shares = next(line for line in text.splitlines() if line.startswith("students per"))
    assert shares.count("tcp://127.0.0.1:") == 2, shares  # both workers graded students
    assert sum(int(part.rsplit(": ", 1)[1]) for part in shares.split(", ")) == 16
    isolation = json.loads((out / "feedback" / "student00.json").read_text())["isolation"]
    assert isolation == os_sandbox.summary
    assert "isolation on 2 Dask workers: bubblewrap" in stderr.decode()


def _usage_error(command: list[str], out: Path, cwd: Path) -> str:
    result = subprocess.run(command, capture_output=True, text=True, timeout=120, cwd=cwd)
    assert result.returncode == 2, result.stdout + result.stderr
    errors = [line for line in result.stderr.splitlines() if line.startswith("Error:")]
    assert len(errors) == 1, result.stderr
    assert not out.exists()
    return errors[0]


def test_an_unreachable_scheduler_is_a_one_line_error(tmp_path):
    subs = make_cohort(tmp_path, 1)
    out = tmp_path / "out"
    port = _free_port()  # nothing listens there
    error = _usage_error(
        _grade_command(subs, out, "--scheduler", f"tcp://127.0.0.1:{port}"), out, tmp_path
    )
    assert "cannot reach the Dask scheduler" in error


def test_a_worker_without_edu_chain_is_named(tmp_path, processes):
    subs = make_cohort(tmp_path, 1)
    address = start_scheduler(processes)
    # The same interpreter without site (so without the editable install of edu_chain), but
    # with site-packages on the path for distributed itself; run from a folder without it.
    env = {**os.environ, "PYTHONPATH": sysconfig.get_paths()["purelib"]}
    argv = [sys.executable, "-S", "-m", "distributed.cli.dask_worker", address, "--no-nanny"]
    argv += ["--nthreads", "1", "--host", "127.0.0.1", "--no-dashboard"]
    processes.start("bare-worker", argv, env=env, cwd=tmp_path)
    _wait_until(lambda: _workers(address) == 1, 60, "the worker without edu_chain")
    out = tmp_path / "out"
    error = _usage_error(_grade_command(subs, out, "--scheduler", address), out, tmp_path)
    assert "cannot import edu_chain" in error and "tcp://127.0.0.1:" in error


def test_isolation_os_with_a_worker_without_bwrap_is_a_one_line_error(tmp_path, processes):
    subs = make_cohort(tmp_path, 1)
    address = start_scheduler(processes)
    env = {**os.environ, bwrap.BWRAP_ENV: "/nonexistent/bwrap"}
    start_worker(processes, address, "no-bwrap", env=env, cwd=tmp_path)
    _wait_until(lambda: _workers(address) == 1, 60, "the worker without bwrap")
    out = tmp_path / "out"
    command = _grade_command(subs, out, "--scheduler", address, "--isolation", "os")
    error = _usage_error(command, out, tmp_path)
    assert "bwrap not found" in error and "tcp://127.0.0.1:" in error


def test_a_worker_with_another_hypothesis_is_refused_before_anything_is_written(
    tmp_path, processes
):
    """Hypothesis draws the random check groups, and two versions draw different ones: a lab
    PC with another version would grade a borderline submission differently.  The worker
    stands for such a PC by loading, before it starts (dask's --preload), a module that gives
    its Hypothesis another version number; everything else about it is real."""
    import hypothesis

    subs = make_cohort(tmp_path, 1)
    address = start_scheduler(processes)
    older = tmp_path / "older_hypothesis.py"
    older.write_text('import hypothesis\nhypothesis.__version__ = "6.155.0"\n')
    start_worker(processes, address, "older", "--preload", str(older), cwd=tmp_path)
    _wait_until(lambda: _workers(address) == 1, 60, "the worker with another Hypothesis")
    out = tmp_path / "out"
    error = _usage_error(_grade_command(subs, out, "--scheduler", address), out, tmp_path)
    assert f"has Hypothesis 6.155.0, this machine {hypothesis.__version__}" in error
    assert "tcp://127.0.0.1:" in error and f"hypothesis=={hypothesis.__version__}" in error


def test_a_worker_that_fingerprints_an_exercise_differently_is_refused(tmp_path, processes):
    """A worker with another edu_chain (here: one whose fingerprints differ, set by a module
    dask loads before the worker starts) would grade by another spec: refused up front."""
    subs = make_cohort(tmp_path, 1)
    address = start_scheduler(processes)
    other = tmp_path / "other_edu_chain.py"
    other.write_text(
        "from edu_chain.grading import manifest\n"
        "manifest.Exercise.fingerprint = property(lambda self: 'v0-another-edu-chain')\n"
    )
    start_worker(processes, address, "other", "--preload", str(other), cwd=tmp_path)
    _wait_until(lambda: _workers(address) == 1, 60, "the worker with another edu_chain")
    out = tmp_path / "out"
    error = _usage_error(_grade_command(subs, out, "--scheduler", address), out, tmp_path)
    assert "grades merkle_root as v0-another-edu-chain, this machine as v" in error


def test_an_interrupted_cluster_run_resumes_and_grades_every_student_once(
    tmp_path, processes, os_sandbox, monkeypatch
):
    """The grader itself is killed mid-run (SIGKILL: no clean-up of any kind); running the same
    command again grades only what the gradebook does not hold yet, and the result is the
    local run's, with every (student, exercise) recorded exactly once."""
    subs = make_cohort(tmp_path, 12)
    monkeypatch.setenv("EDUCHAIN_CASE_SALT", SALT)
    local = tmp_path / "local"
    every = [e.exercise_id for e in load_exercises(ROOT / "exercises")]  # the CLI's columns
    grade_cohort(
        subs, local, load_exercises(ROOT / "exercises", IDS), export_ids=every, isolation=os_sandbox
    )

    address = start_scheduler(processes)
    start_worker(processes, address, "only")
    _wait_until(lambda: _workers(address) == 1, 60, "a Dask worker")
    out = tmp_path / "cluster"
    command = _grade_command(subs, out, "--scheduler", address, "--isolation", "os", "--quiet")
    first = processes.start("first-run", command, env={**os.environ}, cwd=tmp_path)
    _wait_until(lambda: _rows(out) >= 4 or first.poll() is not None, 240, "first results")
    assert first.poll() is None, "the run ended before it could be interrupted"
    first.send_signal(signal.SIGKILL)
    first.wait(timeout=30)
    with sqlite3.connect(out / "gradebook.sqlite") as db:
        recorded = db.execute("SELECT COUNT(*) FROM results").fetchone()[0]
    total = 13 * len(IDS)
    assert 0 < recorded < total

    again = subprocess.run(command, capture_output=True, env={**os.environ}, cwd=tmp_path)
    assert again.returncode == 0, again.stderr.decode()[-2000:]
    text = again.stdout.decode()
    assert f"graded {total - recorded} submissions, skipped {recorded} unchanged" in text
    assert (out / "grades.csv").read_text() == (local / "grades.csv").read_text()
    assert _feedback(out) == _feedback(local)
    with sqlite3.connect(out / "gradebook.sqlite") as db:
        rows = db.execute("SELECT student, exercise_id FROM results").fetchall()
    assert len(rows) == len(set(rows)) == total
