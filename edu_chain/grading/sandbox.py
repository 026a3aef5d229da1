"""Run one submission in a sandboxed worker process and collect what it reported.

The trust model (DESIGN.md section 8): student code is untrusted, so it runs in a separate
process started from a small standard-library-only script, ``_worker.py``:

- ``python -I -S -B``: isolated mode (no environment variables, no user site, no script
  directory on ``sys.path``), no ``site`` (so no site-packages and no ``edu_chain``), no
  bytecode writes;
- a minimal environment (``PATH``, ``LANG``, ``TMPDIR``/``HOME`` pointing at the scratch dir);
- a fresh scratch directory as the working directory, deleted afterwards;
- its own session, so the whole process group is killed with ``os.killpg`` at the end, even
  if a child escaped the audit hook;
- resource limits set by the worker before student code loads, an audit hook (see
  ``_worker.py``), and a wall-clock timeout enforced here;
- when the grader runs as root, its own unprivileged user and group (see
  :func:`sandbox_uid_status`): the kernel then refuses the worker's signals (``kill``,
  ``pidfd_send_signal``) and ``prlimit`` to the grader and to other students' workers, which
  the audit hook cannot fully stop, and ``RLIMIT_NPROC`` binds.

Reports come back through a pipe whose write end the worker inherits (its descriptor number
is in the request), one JSON object per line, read here with a deadline; stdout and stderr go
to their own files, capped by ``RLIMIT_FSIZE``, and are only ever shown to the student, never
parsed.  JSON, never pickle.  Requests go in on stdin, one JSON line per batch of calls.
"""

from __future__ import annotations

import contextlib
import functools
import json
import os
import select
import shutil
import signal
import subprocess
import sys
import sysconfig
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from edu_chain.grading.reports import printable as printable
from edu_chain.grading.reports import printable_record as printable_record
from edu_chain.grading.reports import well_formed as well_formed

WORKER_SCRIPT = Path(__file__).with_name("_worker.py")
VIOLATION_EXIT = 86
MAX_REPORT_BYTES = 8 * 1024 * 1024


@dataclass(frozen=True)
class Limits:
    """Per-submission resource limits (from the manifest's ``[limits]`` table)."""

    time_s: float = 20.0  # wall clock for the whole submission
    cpu_s: int = 15  # RLIMIT_CPU
    memory_mb: int = 512  # RLIMIT_AS
    file_size_mb: int = 16  # RLIMIT_FSIZE: scratch files, stdout and stderr
    open_files: int = 64  # RLIMIT_NOFILE
    processes: int = 64  # RLIMIT_NPROC (binds under a sandbox uid, not as root; see _worker.py)

    def to_json(self) -> dict[str, Any]:
        return {
            "cpu_s": self.cpu_s,
            "memory_mb": self.memory_mb,
            "file_size_mb": self.file_size_mb,
            "open_files": self.open_files,
            "processes": self.processes,
        }


@dataclass
class WorkerRun:
    """Everything one worker run produced, as plain data."""

    records: list[dict[str, Any]] = field(default_factory=list)
    exit_code: int | None = None
    timed_out: bool = False
    flooded: bool = False  # more than MAX_REPORT_BYTES on the report pipe: cut off and killed
    stdout_tail: str = ""
    stderr_tail: str = ""
    seconds: float = 0.0

    @property
    def results(self) -> dict[int, dict[str, Any]]:
        """Per-call results, by call id (the last report for an id wins)."""
        return {r["id"]: r for r in self.records if r.get("t") == "result" and "id" in r}

    @property
    def violations(self) -> list[dict[str, Any]]:
        return [r for r in self.records if r.get("t") == "violation"]

    def first(self, kind: str) -> dict[str, Any] | None:
        return next((r for r in self.records if r.get("t") == kind), None)

    @property
    def finished(self) -> bool:
        """True when every call of the first batch (the graded one) was answered in time."""
        done = any(r.get("t") == "batch_done" and r.get("batch") == 0 for r in self.records)
        return done and not self.timed_out


def _readable_roots() -> tuple[list[str], list[str]]:
    """The standard library may be read (imports need it); site-packages may not."""
    paths = sysconfig.get_paths()
    readable = sorted({paths["stdlib"], paths["platstdlib"]})
    unreadable = sorted({paths["purelib"], paths["platlib"]} | _package_roots())
    return readable, unreadable


def _package_roots() -> set[str]:
    import edu_chain

    return {str(Path(edu_chain.__file__).resolve().parent)}


# Sandbox uids: 2,000,000,000 + grader pid * 256 + slot.  No passwd entry is needed, the range
# is far above ordinary accounts, and the grader's pid keeps two graders on one machine apart
# (pid_max is at most 2**22, so the largest uid is about 3.07e9 < 2**32 - 1).
SANDBOX_UID_BASE = 2_000_000_000
SANDBOX_SLOTS = 256
SANDBOX_UIDS_ENV = "EDUCHAIN_SANDBOX_UIDS"


class _UidPool:
    """Hands out one sandbox uid per running worker, never two live workers the same one."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._live: set[int] = set()

    def acquire(self) -> int:
        base = SANDBOX_UID_BASE + (os.getpid() % 2**22) * SANDBOX_SLOTS
        with self._lock:
            for slot in range(SANDBOX_SLOTS):
                if base + slot not in self._live:
                    self._live.add(base + slot)
                    return base + slot
        raise RuntimeError(f"more than {SANDBOX_SLOTS} workers at once")

    def release(self, uid: int) -> None:
        with self._lock:
            self._live.discard(uid)


_UIDS = _UidPool()


def sandbox_uid_status() -> str:
    """Why workers do NOT run under their own uid, or "" when they do.

    Only root can switch uids.  ``EDUCHAIN_SANDBOX_UIDS=0`` turns the separation off.  The
    interpreter and its standard library must be readable by an unprivileged user (true of
    system and container Pythons; not of one installed under a private ``/root``): checked
    once by starting ``python`` under a sandbox uid; if that fails, workers run as the grader's
    user and only the audit hook and the cohort's isolated re-runs protect other students.
    """
    if os.environ.get(SANDBOX_UIDS_ENV, "1").strip() == "0":
        return f"turned off by {SANDBOX_UIDS_ENV}=0"
    if not hasattr(os, "geteuid") or os.geteuid() != 0:
        return "the grader is not root (only root can run workers under another uid)"
    return _probe_sandbox_uid()


@functools.lru_cache(maxsize=1)
def _probe_sandbox_uid() -> str:
    uid = _UIDS.acquire()
    try:
        probe = subprocess.run(
            [sys.executable, "-I", "-S", "-B", "-c", "import json, resource, traceback"],
            cwd="/",
            env={"PATH": "/usr/bin:/bin", "LANG": "C.UTF-8"},
            capture_output=True,
            timeout=30,
            user=uid,
            group=uid,
            extra_groups=[],
        )
    except (OSError, subprocess.SubprocessError) as exc:
        return f"{sys.executable} cannot run under an unprivileged uid ({exc})"
    finally:
        _UIDS.release(uid)
    if probe.returncode != 0:
        return (
            f"{sys.executable} cannot load its standard library under an unprivileged uid "
            f"(exit status {probe.returncode})"
        )
    return ""


def _tail(path: Path, limit: int = 2000) -> str:
    try:
        with path.open("rb") as handle:
            handle.seek(0, os.SEEK_END)
            size = handle.tell()
            handle.seek(max(0, size - limit))
            return handle.read().decode("utf-8", "replace")
    except OSError:
        return ""


class WorkerSession:
    """One sandboxed worker process, alive for a whole submission.

    The first batch of calls goes in the request; :meth:`call` sends more batches to the same
    process (used for shrinking a failing input).  Reports are read from a pipe with a
    deadline, so a worker that hangs, floods the pipe or stops answering costs at most its
    time budget.  Always use as a context manager: leaving kills the process group and
    deletes the scratch directory.
    """

    def __init__(
        self,
        *,
        cells: list[str],
        functions: list[str],
        calls: list[dict[str, Any]],
        banned: list[str],
        limits: Limits,
        module_name: str = "submission",
        notebook: bool = False,
        interactive: bool = False,
        optional: list[str] | tuple[str, ...] = (),
    ) -> None:
        self.limits = limits
        self.run = WorkerRun()
        self._buffer = bytearray()  # appended in place: a long line costs linear time
        self._bytes_read = 0
        self._batches_done: set[int] = set()
        self._next_batch = 1
        self.uid = None if sandbox_uid_status() else _UIDS.acquire()
        self._tmp = tempfile.TemporaryDirectory(prefix="educhain-grade-")
        tmp = Path(self._tmp.name)
        self._private = tmp / "private"  # stdout, stderr: never readable by the worker
        scratch = tmp / "scratch"
        self._private.mkdir(mode=0o700)
        scratch.mkdir()
        source_path = scratch / f"{module_name}.py"
        source_path.write_text("\n".join(cells), encoding="utf-8")
        script = WORKER_SCRIPT
        as_user: dict[str, Any] = {}
        if self.uid is not None:
            # The worker's own uid owns scratch; it can traverse tmp (0o711) but not read
            # private/.  The script is copied next to scratch: the package may sit where an
            # unprivileged user cannot read.  Inherited descriptors survive the uid change.
            os.chmod(tmp, 0o711)
            os.chown(scratch, self.uid, self.uid)
            os.chown(source_path, self.uid, self.uid)
            script = tmp / WORKER_SCRIPT.name
            shutil.copyfile(WORKER_SCRIPT, script)
            os.chmod(script, 0o644)
            as_user = {"user": self.uid, "group": self.uid, "extra_groups": []}
        readable, unreadable = _readable_roots()
        read_fd, write_fd = os.pipe()
        request = {
            "report_fd": write_fd,
            "interactive": interactive,
            "cells": cells,
            "tolerate_cell_errors": notebook,
            "lenient_at_load": banned if notebook else [],
            "source_path": str(source_path),
            "module_name": module_name,
            "functions": functions,
            "optional": list(optional),  # step functions: called only when defined
            "calls": calls,
            "banned": banned,
            "scratch": str(scratch),
            "readable": readable,
            "unreadable": [*unreadable, str(tmp)],
            "limits": limits.to_json(),
        }
        env = {"PATH": "/usr/bin:/bin", "LANG": "C.UTF-8", "HOME": str(scratch)}
        env["TMPDIR"] = str(scratch)
        self._started = time.perf_counter()
        self.deadline = self._started + limits.time_s
        with (
            open(self._private / "stdout", "wb") as out,
            open(self._private / "stderr", "wb") as err,
        ):
            try:
                self._proc = subprocess.Popen(
                    [sys.executable, "-I", "-S", "-B", str(script)],
                    stdin=subprocess.PIPE,
                    stdout=out,
                    stderr=err,
                    cwd=scratch,
                    env=env,
                    pass_fds=(write_fd,),
                    start_new_session=True,
                    close_fds=True,
                    **as_user,
                )
            except BaseException:
                os.close(read_fd)
                self._release_uid()
                self._tmp.cleanup()
                raise
            finally:
                os.close(write_fd)
        self._reports = read_fd
        self._send(json.dumps(request))

    def __enter__(self) -> WorkerSession:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def _send(self, line: str) -> bool:
        try:
            assert self._proc.stdin is not None
            self._proc.stdin.write(line.encode() + b"\n")
            self._proc.stdin.flush()
            return True
        except (BrokenPipeError, OSError, ValueError):
            return False

    def _pump(self, until: float) -> bool:
        """Read reports until ``until``; False when the pipe closed (the worker ended)."""
        remaining = until - time.perf_counter()
        if remaining <= 0:
            return True
        ready, _, _ = select.select([self._reports], [], [], remaining)
        if not ready:
            return True
        chunk = os.read(self._reports, 65536)
        if not chunk:
            return False
        self._bytes_read += len(chunk)
        if self._bytes_read > MAX_REPORT_BYTES:
            self.run.flooded = True
            return False  # a flood: stop listening, the worker is killed on close
        self._buffer += chunk
        if b"\n" not in chunk:
            return True
        *lines, self._buffer = self._buffer.split(b"\n")
        for line in lines:
            self._accept(line)
        return True

    def _accept(self, line: bytes) -> None:
        try:
            record = json.loads(line)
        except (ValueError, RecursionError):  # RecursionError: a list nested 100,000 deep
            return  # garbage written to the report pipe by the student: ignored
        if not well_formed(record):
            return  # valid JSON of a shape the worker never writes: forged, ignored
        record = printable_record(record)
        if record.get("t") == "batch_done" and isinstance(record.get("batch"), int):
            self._batches_done.add(record["batch"])
        if 0 in self._batches_done and record.get("t") == "result":
            self.extra_results[record.get("id")] = record
        else:
            self.run.records.append(record)

    extra_results: dict[Any, dict[str, Any]]

    def wait_first_batch(self) -> WorkerRun:
        """Wait for the request's own calls (or the worker's end, or the deadline)."""
        self.extra_results = {}
        open_pipe = True
        while open_pipe and 0 not in self._batches_done and time.perf_counter() < self.deadline:
            open_pipe = self._pump(self.deadline)
        if 0 not in self._batches_done:
            if open_pipe:  # still running at the deadline
                self.run.timed_out = True
            self.close()
        return self.run

    def call(
        self, calls: list[dict[str, Any]], *, until: float
    ) -> dict[Any, dict[str, Any]] | None:
        """Run one more batch; the results by call id, or None if the worker did not answer."""
        if self._proc.poll() is not None or 0 not in self._batches_done:
            return None
        number = self._next_batch
        self._next_batch += 1
        if not self._send(json.dumps(calls)):
            return None
        until = min(until, self.deadline)
        while number not in self._batches_done and time.perf_counter() < until:
            if not self._pump(until):
                return None
        if number not in self._batches_done:
            return None
        return {c["id"]: self.extra_results.get(c["id"]) for c in calls}

    def close(self) -> None:
        if getattr(self, "_closed", False):
            return
        self._closed = True
        if not self.run.timed_out and 0 in self._batches_done:
            self._send("")  # end of the interactive session
            with contextlib.suppress(OSError, ValueError):
                assert self._proc.stdin is not None
                self._proc.stdin.close()
            open_pipe = True
            while open_pipe and time.perf_counter() < self.deadline:
                if any(r.get("t") == "done" for r in self.run.records):
                    break
                open_pipe = self._pump(self.deadline)
        try:
            # A flooding worker is blocked on a pipe nobody reads: no point waiting for it.
            wait_until = time.perf_counter() if self.run.flooded else self.deadline
            self.run.exit_code = self._proc.wait(timeout=max(0.0, wait_until - time.perf_counter()))
        except subprocess.TimeoutExpired:
            if not self.run.flooded:
                self.run.timed_out = self.run.timed_out or 0 not in self._batches_done
        _kill_group(self._proc)
        if self.run.exit_code is None:
            self.run.exit_code = self._proc.wait()
        with contextlib.suppress(OSError, ValueError):
            assert self._proc.stdin is not None
            self._proc.stdin.close()
        os.close(self._reports)
        self.run.seconds = time.perf_counter() - self._started
        self.run.stdout_tail = _tail(self._private / "stdout")
        self.run.stderr_tail = _tail(self._private / "stderr")
        self._tmp.cleanup()
        self._release_uid()

    def _release_uid(self) -> None:
        if self.uid is not None:  # the whole group is dead: the uid may serve the next worker
            _UIDS.release(self.uid)
            self.uid = None


def run_worker(
    *,
    cells: list[str],
    functions: list[str],
    calls: list[dict[str, Any]],
    banned: list[str],
    limits: Limits,
    module_name: str = "submission",
    notebook: bool = False,
) -> WorkerRun:
    """Run ``cells`` (a .py file is one cell) in a fresh sandboxed worker and call ``calls``.

    Each call is ``{"id": int, "function": name, "args": [json-encoded args]}``.
    """
    with WorkerSession(
        cells=cells,
        functions=functions,
        calls=calls,
        banned=banned,
        limits=limits,
        module_name=module_name,
        notebook=notebook,
    ) as session:
        session.wait_first_batch()
    return session.run


def _kill_group(proc: subprocess.Popen[bytes]) -> None:
    """Kill the worker's whole process group (its session leader's pid is the group id)."""
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(proc.pid, signal.SIGKILL)
