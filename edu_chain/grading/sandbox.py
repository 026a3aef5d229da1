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
  ``_worker.py``), and a wall-clock timeout enforced here.

Reports come back through a file the parent opened (passed as an inherited descriptor), one
JSON object per line; stdout and stderr go to their own files, capped by ``RLIMIT_FSIZE``, and
are only ever shown to the student, never parsed.  JSON, never pickle.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import sysconfig
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

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
    processes: int = 64  # RLIMIT_NPROC (does not bind root; see _worker.py)

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
        return self.first("done") is not None and not self.timed_out


def _readable_roots() -> tuple[list[str], list[str]]:
    """The standard library may be read (imports need it); site-packages may not."""
    paths = sysconfig.get_paths()
    readable = sorted({paths["stdlib"], paths["platstdlib"]})
    unreadable = sorted({paths["purelib"], paths["platlib"]} | _package_roots())
    return readable, unreadable


def _package_roots() -> set[str]:
    import edu_chain

    return {str(Path(edu_chain.__file__).resolve().parent)}


def _tail(path: Path, limit: int = 2000) -> str:
    try:
        with path.open("rb") as handle:
            handle.seek(0, os.SEEK_END)
            size = handle.tell()
            handle.seek(max(0, size - limit))
            return handle.read().decode("utf-8", "replace")
    except OSError:
        return ""


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
    readable, unreadable = _readable_roots()
    with tempfile.TemporaryDirectory(prefix="educhain-grade-") as tmp:
        private = Path(tmp) / "private"  # report, stdout, stderr: not readable by the worker
        scratch = Path(tmp) / "scratch"
        private.mkdir()
        scratch.mkdir()
        source_path = scratch / f"{module_name}.py"
        source_path.write_text("\n".join(cells), encoding="utf-8")
        report_path = private / "report.jsonl"
        report_fd = os.open(report_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        request = {
            "report_fd": report_fd,
            "cells": cells,
            "tolerate_cell_errors": notebook,
            "lenient_at_load": banned if notebook else [],
            "source_path": str(source_path),
            "module_name": module_name,
            "functions": functions,
            "calls": calls,
            "banned": banned,
            "scratch": str(scratch),
            "readable": readable,
            "unreadable": [*unreadable, str(private)],
            "limits": limits.to_json(),
        }
        env = {
            "PATH": "/usr/bin:/bin",
            "LANG": "C.UTF-8",
            "HOME": str(scratch),
            "TMPDIR": str(scratch),
        }
        run = WorkerRun()
        started = time.perf_counter()
        with (
            open(private / "stdout", "wb") as out,
            open(private / "stderr", "wb") as err,
            tempfile.TemporaryFile() as stdin,
        ):
            stdin.write(json.dumps(request).encode())
            stdin.seek(0)
            try:
                proc = subprocess.Popen(
                    [sys.executable, "-I", "-S", "-B", str(WORKER_SCRIPT)],
                    stdin=stdin,
                    stdout=out,
                    stderr=err,
                    cwd=scratch,
                    env=env,
                    pass_fds=(report_fd,),
                    start_new_session=True,
                    close_fds=True,
                )
            finally:
                os.close(report_fd)
            try:
                run.exit_code = proc.wait(timeout=limits.time_s)
            except subprocess.TimeoutExpired:
                run.timed_out = True
            finally:
                _kill_group(proc)
                if run.exit_code is None:
                    run.exit_code = proc.wait()
        run.seconds = time.perf_counter() - started
        run.records = _read_records(report_path)
        run.stdout_tail = _tail(private / "stdout")
        run.stderr_tail = _tail(private / "stderr")
    return run


def _kill_group(proc: subprocess.Popen[bytes]) -> None:
    """Kill the worker's whole process group (its session leader's pid is the group id)."""
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(proc.pid, signal.SIGKILL)


def _read_records(path: Path) -> list[dict[str, Any]]:
    records = []
    with path.open("rb") as handle:
        data = handle.read(MAX_REPORT_BYTES)
    for line in data.splitlines():
        try:
            record = json.loads(line)
        except ValueError:
            continue  # garbage written to the report fd by the student: ignored
        if isinstance(record, dict):
            records.append(record)
    return records
