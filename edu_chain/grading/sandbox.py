"""Run submissions in sandboxed worker processes and collect what they reported.

The trust model (docs/architecture.md#grading-and-the-trust-model): student code is untrusted.  The
layers, from outside in:

- :class:`Isolation` says which layers protect a run (:func:`resolve_isolation`); by default
  every student's :class:`Sandbox` runs in bubblewrap (``bwrap.py``: user, pid, net, ipc and
  mount namespaces, only the standard library read-only, a tmpfs scratch, no network, dies
  with the grader).  Without it, as root, every sandbox runs under its own uid
  (:func:`sandbox_uid_status`), and a warning names what is unprotected: never silently;
- a :class:`Sandbox` per student starts ``_worker.py --zygote`` (``python -I -S -B``: no
  environment, no site-packages, no ``edu_chain``); each exercise is a :class:`WorkerSession`,
  a fresh fork of that zygote with its own pipes, scratch directory, resource limits and audit
  hook (see ``_worker.py``), and a wall-clock timeout enforced here;
- reports come back through a pipe, one JSON object per line, read here with a deadline;
  stdout and stderr go to their own files, capped by ``RLIMIT_FSIZE``, and are only ever shown
  to the student, never parsed.  JSON, never pickle.  Requests go in through a pipe, one JSON
  line per batch of calls.
"""

from __future__ import annotations

import contextlib
import functools
import itertools
import json
import os
import select
import shutil
import signal
import socket
import subprocess
import sys
import sysconfig
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from edu_chain.grading import bwrap, pids
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
    # The default is also every sandbox's pids.max (pids.py), which binds for root too.
    scratch_mb: int = 64  # size of the OS sandbox's /scratch tmpfs (see bwrap.py)

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


@functools.lru_cache(maxsize=1)
def _readable_roots() -> tuple[list[str], list[str]]:
    """The standard library may be read (imports need it); site-packages may not.  (Once per
    process: sysconfig rebuilds its tables on every call.)"""
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


ISOLATION_MODES = ("auto", "os", "process")


class IsolationError(Exception):
    """``--isolation os`` asked for an OS sandbox that does not work here (one line: why)."""


@dataclass(frozen=True)
class Isolation:
    """Which layers protect the workers of a run (printed at start, kept in the gradebook).

    ``os_sandbox``: every worker runs in bubblewrap (:mod:`edu_chain.grading.bwrap`);
    ``uid_separation``: without it, as root, every worker runs under its own uid;
    ``pids_max``: every sandbox runs in a pids cgroup of that many tasks
    (:mod:`edu_chain.grading.pids`), 0 when there is none (``why_not_pids`` says why).  The
    audit hook, the rlimits and the wall clock are always on; the cohort's isolated re-runs too.
    """

    os_sandbox: bool
    uid_separation: bool = False
    why_not_os: str = ""  # "" when os_sandbox
    why_not_uid: str = ""
    pids_max: int = 0
    why_not_pids: str = ""

    @property
    def summary(self) -> str:
        if self.os_sandbox:
            layers = ["bubblewrap (user, fs, pid, net, ipc namespaces)", "audit hook", "limits"]
        else:
            layers = ["per-worker uid"] if self.uid_separation else []
            layers += ["audit hook", "limits", "isolated re-runs"]
        if self.pids_max:
            return " + ".join([*layers, pids.layer_summary(self.pids_max)])
        return " + ".join(layers) + "; no pids cgroup"

    @property
    def unprotected(self) -> str:
        """What is NOT protected, for the warning printed at start ("" when nothing)."""
        missing = []
        if not self.os_sandbox:
            missing.append(
                f"no OS sandbox ({self.why_not_os}): a submission can tell which host files "
                "exist (os.path.exists raises no audit event) and see other processes in /proc"
            )
            if not self.uid_separation:
                missing.append(
                    f"no per-worker uid ({self.why_not_uid}): it can signal the grader and "
                    "other students' workers with pidfd_send_signal (a killed neighbour is "
                    "graded again alone; a killed grader stops the run, which resumes)"
                )
        if not self.pids_max:
            missing.append(
                f"no pids cgroup ({self.why_not_pids}): a fork bomb the audit hook cannot "
                "see (threads raise no audit event) is bounded by RLIMIT_NPROC, which the "
                "kernel does not apply to root, and otherwise only by memory and the wall clock"
            )
        return "; ".join(missing)

    def to_json(self) -> dict[str, Any]:
        return {
            "summary": self.summary,
            "os_sandbox": self.os_sandbox,
            "uid_separation": self.uid_separation,
            "pids_cgroup_max": self.pids_max,
            "unprotected": self.unprotected,
        }


def resolve_isolation(mode: str = "auto") -> Isolation:
    """The layers a run with ``--isolation mode`` gets here; :class:`IsolationError` for
    ``os`` without a working OS sandbox.  ``auto`` uses the sandbox when it works.  The pids
    cgroup is used wherever it works, in every mode, and never required (its absence is in
    :attr:`Isolation.unprotected`)."""
    if mode not in ISOLATION_MODES:
        raise ValueError(f"isolation must be one of {', '.join(ISOLATION_MODES)}, not {mode!r}")
    why_not_os = "not requested: --isolation process" if mode == "process" else bwrap.status()
    if mode == "os" and why_not_os:
        raise IsolationError(
            f"--isolation os needs the bubblewrap sandbox, but {why_not_os}; {bwrap.INSTALL_HINT}"
        )
    why_not_pids = pids.status()
    counted = {"pids_max": 0 if why_not_pids else Limits().processes, "why_not_pids": why_not_pids}
    if not why_not_os:
        uid_note = "the OS sandbox's user namespace instead"
        return Isolation(os_sandbox=True, why_not_uid=uid_note, **counted)
    why_not_uid = sandbox_uid_status()
    return Isolation(False, not why_not_uid, why_not_os, why_not_uid, **counted)


def _tail(path: Path, limit: int = 2000) -> str:
    try:
        with path.open("rb") as handle:
            handle.seek(0, os.SEEK_END)
            size = handle.tell()
            handle.seek(max(0, size - limit))
            return handle.read().decode("utf-8", "replace")
    except OSError:
        return ""


class _CpuMeter:
    """CPU seconds used by finished workers in this process (as their zygotes report them:
    a process inside bubblewrap is not counted in the grader's own RUSAGE_CHILDREN)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.seconds = 0.0

    def add(self, seconds: float) -> None:
        with self._lock:
            self.seconds += seconds


WORKER_CPU = _CpuMeter()


class Sandbox:
    """One student's sandbox: a *zygote* process that forks a fresh worker per exercise.

    With the OS sandbox, the zygote runs inside bubblewrap (``bwrap.py``); otherwise it is a
    plain process, under its own uid when the grader is root.  Starting an interpreter (and
    a bubblewrap) costs far more than grading most exercises, so a student's exercises share
    one sandbox and each runs in its own fork of the clean zygote: its own process, memory,
    limits, audit hook and scratch directory (``_worker.py``: :func:`zygote`).  No student
    code ever runs in the zygote.  If a worker kills its zygote (it runs as the same user),
    only that student's later exercises are affected and the zygote is started again.

    Always close (or use as a context manager): that kills everything inside.
    """

    def __init__(self, isolation: Isolation | None = None, *, scratch_mb: int = 64) -> None:
        self.isolation = isolation or resolve_isolation("auto")
        self.scratch_mb = scratch_mb
        self._ids = itertools.count()
        self._exits: dict[int, int] = {}
        self._zygote: _Zygote | None = None

    def __enter__(self) -> Sandbox:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def spawn(self, fds: tuple[int, int, int, int]) -> tuple[int, Path, str]:
        """Fork a worker with (request, report, stdout, stderr): (id, host dir, scratch path)."""
        if self._zygote is None or not self._zygote.alive:
            if self._zygote is not None:
                self._zygote.close()
            self._zygote = _Zygote(self.isolation, self.scratch_mb)
        worker = next(self._ids)
        self._zygote.send({"fork": worker}, fds)
        return worker, self._zygote.tmp, f"{self._zygote.scratch_root}/{worker}"

    def kill(self, worker: int) -> None:
        if self._zygote is not None and self._zygote.alive:
            self._zygote.send({"kill": worker})

    def exit_code(self, worker: int, *, until: float) -> int | None:
        """The worker's exit code (``-N``: signal N), or None at ``until`` or if the zygote died."""
        while worker not in self._exits:
            zygote = self._zygote
            if zygote is None or not zygote.alive:
                return None
            message = zygote.receive(until)
            if message is None:
                return None
            self._exits[message[0]] = message[1]
        return self._exits.pop(worker)

    def close(self) -> None:
        if self._zygote is not None:
            self._zygote.close()
            self._zygote = None


class _Zygote:
    """The zygote process of a :class:`Sandbox` and the socket to it."""

    def __init__(self, isolation: Isolation, scratch_mb: int) -> None:
        self.isolation = isolation
        self._info = -1  # bwrap's --info-fd (the sandbox's init pid), read end
        self.uid = _UIDS.acquire() if isolation.uid_separation else None
        self.cgroup: pids.PidsCgroup | None = None
        self._tmp = tempfile.TemporaryDirectory(prefix="educhain-grade-")
        self.tmp = Path(self._tmp.name)
        (self.tmp / "private").mkdir(mode=0o700)  # stdout, stderr: never readable by workers
        self._control, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        passed = [theirs.fileno()]
        script = str(WORKER_SCRIPT)
        as_user: dict[str, Any] = {}
        if isolation.os_sandbox:
            found = bwrap.binary()
            if found is None:
                raise IsolationError("bwrap disappeared after the isolation check")
            self._info, info_write = os.pipe()
            passed.append(info_write)
            self.scratch_root = bwrap.SCRATCH
            script = "/worker/_worker.py"
            prefix = bwrap.command(found, scratch_mb=scratch_mb, info_fd=info_write)
            prefix += ["--ro-bind", str(WORKER_SCRIPT), script]
        else:
            prefix = []
            scratch = self.tmp / "scratch"
            scratch.mkdir()
            self.scratch_root = str(scratch)
            if self.uid is not None:
                # The worker's own uid owns scratch; it can traverse tmp (0o711) but not read
                # private/.  The script is copied next to scratch: the package may sit where
                # an unprivileged user cannot read.  Inherited descriptors survive the change.
                os.chmod(self.tmp, 0o711)
                os.chown(scratch, self.uid, self.uid)
                script = str(self.tmp / WORKER_SCRIPT.name)
                shutil.copyfile(WORKER_SCRIPT, script)
                os.chmod(script, 0o644)
                as_user = {"user": self.uid, "group": self.uid, "extra_groups": []}
        python = bwrap.interpreter() if isolation.os_sandbox else sys.executable
        argv = [*prefix, python, "-I", "-S", "-B", script, "--zygote", str(theirs.fileno())]
        argv.append(self.scratch_root)
        env = {"PATH": "/usr/bin:/bin", "LANG": "C.UTF-8"}
        try:
            if isolation.pids_max:
                self.cgroup = pids.PidsCgroup(isolation.pids_max)
                if isolation.os_sandbox:  # bwrap forks at once: its first process moves in
                    argv = self.cgroup.wrap(argv)
            with open(self.tmp / "private" / "zygote.err", "wb") as err:
                self._proc = subprocess.Popen(
                    argv,
                    stdin=subprocess.DEVNULL,
                    stdout=err,
                    stderr=err,
                    cwd="/",
                    env=env,
                    pass_fds=passed,
                    start_new_session=True,
                    close_fds=True,
                    **as_user,
                )
            if self.cgroup is not None and not isolation.os_sandbox:
                # A plain zygote forks nothing before its first order, sent after this.
                self._move_in(self.cgroup)
        except BaseException:
            self._cleanup()
            raise
        finally:
            theirs.close()
            if len(passed) > 1:
                os.close(passed[1])
        self.alive = True

    def _move_in(self, cgroup: pids.PidsCgroup) -> None:
        try:
            cgroup.add(self._proc.pid)
        except OSError:
            self._proc.kill()
            self._proc.wait()
            raise

    def send(self, order: dict[str, int], fds: tuple[int, ...] = ()) -> None:
        try:
            socket.send_fds(self._control, [json.dumps(order).encode()], list(fds))
        except OSError:
            self.alive = False

    def receive(self, until: float) -> tuple[int, int] | None:
        """The next ``(worker id, exit code)``, or None at ``until`` (or when it died)."""
        remaining = until - time.perf_counter()
        ready, _, _ = select.select([self._control], [], [], max(0.0, remaining))
        if not ready:
            return None
        try:
            message = json.loads(self._control.recv(4096) or b"null")
        except (OSError, ValueError):
            message = None
        if not (isinstance(message, dict) and type(message.get("exit")) is int):
            self.alive = False  # the socket closed (the zygote ended) or garbage came back
            return None
        code, cpu = message.get("code"), message.get("cpu")
        if type(cpu) is float and 0 <= cpu < 1e6:
            WORKER_CPU.add(cpu)
        return message["exit"], code if type(code) is int else -9

    def close(self) -> None:
        """Kill everything in the sandbox, wait for it, delete its files."""
        self.alive = False
        self._control.close()  # the zygote ends at end-of-file
        with contextlib.suppress(subprocess.TimeoutExpired):
            self._proc.wait(timeout=0.5)
        self._kill_sandbox()
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self._proc.pid, signal.SIGKILL)  # the group the zygote leads
        self._proc.wait()
        self._cleanup()

    def _cleanup(self) -> None:
        if self.cgroup is not None:  # kills what escaped the process group, then removes it
            self.cgroup.close()
            self.cgroup = None
        if self._info >= 0:
            os.close(self._info)
            self._info = -1
        self._tmp.cleanup()
        if self.uid is not None:  # the whole group is dead: the uid may serve the next one
            _UIDS.release(self.uid)
            self.uid = None

    def _kill_sandbox(self) -> None:
        """Kill the sandbox's init (host pid from ``--info-fd``): the kernel then kills every
        process in its pid namespace, double-forked ones included."""
        if self._info < 0 or self._proc.poll() is not None:
            return  # bwrap has exited, so its init and everything inside are gone already
        with contextlib.suppress(OSError, ValueError, AttributeError):
            ready, _, _ = select.select([self._info], [], [], 1.0)
            info = json.loads(os.read(self._info, 65536)) if ready else {}
            pid = info.get("child-pid")
            if type(pid) is int and pid > 1 and self._proc.poll() is None:
                pidfd = os.pidfd_open(pid)
                try:
                    signal.pidfd_send_signal(pidfd, signal.SIGKILL)
                finally:
                    os.close(pidfd)


def _parse_lines(lines: list[bytes]) -> list[Any]:
    """The JSON values of the report lines, garbage lines (the student's) left out.

    A worker writes a batch's results as many lines at once: they are parsed as one JSON
    array, a single call for hundreds of records; a line that is not JSON (or nested too deep)
    sends the chunk back to line by line, where only that line is dropped."""
    # The worker writes ASCII; decoding here first spares json.loads its search for UTF-16
    # and UTF-32, which costs more than parsing a small record itself.
    if len(lines) > 1:
        with contextlib.suppress(ValueError, RecursionError):
            parsed = json.loads("[" + b",".join(lines).decode("utf-8") + "]")
            if len(parsed) == len(lines):  # a line holding "1, 2" would be two values
                return parsed
    records = []
    for line in lines:
        try:
            records.append(json.loads(line.decode("utf-8")))
        except (ValueError, RecursionError):  # RecursionError: a list nested 100,000 deep
            continue  # garbage written to the report pipe by the student: ignored
    return records


class WorkerSession:
    """One worker process (a fork in a student's :class:`Sandbox`), alive for one submission.

    The first batch of calls goes in the request; :meth:`call` sends more batches to the same
    process (used for shrinking a failing input).  Reports are read from a pipe with a
    deadline, so a worker that hangs, floods the pipe or stops answering costs at most its
    time budget.  Always use as a context manager: leaving kills the worker.  Without a
    ``sandbox``, the session starts one of its own and closes it at the end.

    ``calls`` may also be given as the JSON text of that list: every student of a cohort gets
    the same cases, so the runner encodes them once (``runner._plan_and_calls``).
    """

    def __init__(
        self,
        *,
        cells: list[str],
        functions: list[str],
        calls: list[dict[str, Any]] | str,
        banned: list[str],
        limits: Limits,
        module_name: str = "submission",
        notebook: bool = False,
        interactive: bool = False,
        isolation: Isolation | None = None,
        sandbox: Sandbox | None = None,
        optional: list[str] | tuple[str, ...] = (),
    ) -> None:
        self.limits = limits
        self.run = WorkerRun()
        self._buffer = bytearray()  # appended in place: a long line costs linear time
        self._bytes_read = 0
        self._batches_done: set[int] = set()
        self._next_batch = 1
        self._own_sandbox = sandbox is None
        self.sandbox = sandbox or Sandbox(isolation, scratch_mb=limits.scratch_mb)
        self.isolation = self.sandbox.isolation
        self._started = time.perf_counter()
        self.deadline = self._started + limits.time_s
        request_read, self._requests = os.pipe()
        self._reports, report_write = os.pipe()
        self._private = Path(tempfile.mkdtemp(prefix="educhain-worker-"))
        os.chmod(self._private, 0o700)
        out = os.open(self._private / "stdout", os.O_WRONLY | os.O_CREAT, 0o600)
        err = os.open(self._private / "stderr", os.O_WRONLY | os.O_CREAT, 0o600)
        try:
            self.worker, tmp, scratch = self.sandbox.spawn((request_read, report_write, out, err))
        except BaseException:
            for fd in (self._requests, self._reports):
                os.close(fd)
            shutil.rmtree(self._private, ignore_errors=True)
            if self._own_sandbox:
                self.sandbox.close()
            raise
        finally:
            for fd in (request_read, report_write, out, err):
                os.close(fd)
        self._exit_code: int | None = None
        readable, unreadable = _readable_roots()
        request = {
            "report_fd": 3,  # where the zygote puts the report pipe (see _worker._child)
            "interactive": interactive,
            "cells": cells,
            "tolerate_cell_errors": notebook,
            "lenient_at_load": banned if notebook else [],
            "source_path": f"{scratch}/{module_name}.py",
            "module_name": module_name,
            "functions": functions,
            "optional": list(optional),  # step functions: called only when defined
            "banned": banned,
            "scratch": scratch,
            "readable": list(readable),
            "unreadable": [*unreadable, str(tmp), str(self._private)],
            "limits": limits.to_json(),
        }
        calls_json = calls if isinstance(calls, str) else json.dumps(calls)
        self._send(json.dumps(request)[:-1] + ', "calls": ' + calls_json + "}")

    def __enter__(self) -> WorkerSession:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def _send(self, line: str) -> bool:
        data = line.encode() + b"\n"
        try:
            while data:
                data = data[os.write(self._requests, data) :]
            return True
        except OSError:  # BrokenPipeError: the worker has ended; EBADF: already closed
            return False

    def _ended(self) -> bool:
        """True when the worker's exit is known (it never is before the report pipe closes)."""
        if self._exit_code is None:
            self._exit_code = self.sandbox.exit_code(self.worker, until=time.perf_counter())
        return self._exit_code is not None

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
        for record in _parse_lines(lines):
            self._accept(record)
        return True

    def _accept(self, record: Any) -> None:
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
        if 0 not in self._batches_done or self._ended():
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
            with contextlib.suppress(OSError):
                os.close(self._requests)
            self._requests = -1
            open_pipe = True
            while open_pipe and time.perf_counter() < self.deadline:
                if any(r.get("t") == "done" for r in self.run.records):
                    break
                open_pipe = self._pump(self.deadline)
        # A flooding worker is blocked on a pipe nobody reads: no point waiting for it.
        wait_until = time.perf_counter() if self.run.flooded else self.deadline
        if self._exit_code is None:
            self._exit_code = self.sandbox.exit_code(self.worker, until=wait_until)
        if self._exit_code is None:
            # Only a worker still running at the deadline timed out; one whose pipe closed
            # early died (its sandbox's zygote may be gone too, so no exit code comes back).
            if not self.run.flooded and time.perf_counter() >= self.deadline:
                self.run.timed_out = self.run.timed_out or 0 not in self._batches_done
            self.sandbox.kill(self.worker)
            self._exit_code = self.sandbox.exit_code(self.worker, until=time.perf_counter() + 5)
        self.run.exit_code = self._exit_code
        for fd in (self._requests, self._reports):
            with contextlib.suppress(OSError):
                os.close(fd)
        self.run.seconds = time.perf_counter() - self._started
        self.run.stdout_tail = _tail(self._private / "stdout")
        self.run.stderr_tail = _tail(self._private / "stderr")
        shutil.rmtree(self._private, ignore_errors=True)
        if self._own_sandbox:
            self.sandbox.close()


def run_worker(
    *,
    cells: list[str],
    functions: list[str],
    calls: list[dict[str, Any]],
    banned: list[str],
    limits: Limits,
    module_name: str = "submission",
    notebook: bool = False,
    isolation: Isolation | None = None,
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
        isolation=isolation,
    ) as session:
        session.wait_first_batch()
    return session.run
