"""A process-count limit for every sandbox: a ``pids`` cgroup with ``pids.max``.

Why a cgroup: ``RLIMIT_NPROC`` counts the processes of a *user*, and the kernel does not
enforce it for root's user (``copy_process`` exempts ``INIT_USER``).  A grader running as root
starts bubblewrap as root, and the sandbox's uid 65534 maps back to root outside, so the
limit set in ``_worker.py`` does not bind there (checked on Linux 6.x: 20 forks under
``RLIMIT_NPROC=5``).  The audit hook refuses ``os.fork`` and friends (and bans
``_posixsubprocess``, whose ``fork_exec`` raises no audit event), but starting a thread raises
none either, and every thread is a task with a pid of its own: with 32 KiB stacks,
``RLIMIT_AS`` allows thousands, enough to exhaust a host's ``pid_max`` (32768 here) until the
wall clock kills the sandbox.  The ``pids`` controller counts every task (process or thread)
in a cgroup, whoever owns it, and refuses ``fork``/``clone`` with ``EAGAIN`` at ``pids.max``.

How: at start, :func:`status` finds a writable place for cgroups (cgroup v2 with the ``pids``
controller delegated to this process's cgroup, or the cgroup v1 ``pids`` hierarchy), removes
the empty cgroups of graders that died without cleaning up (a SIGKILLed grader cannot; its
sandboxes die with it, bubblewrap's ``--die-with-parent``), then *probes*: it creates a
cgroup, writes ``pids.max``, moves a real process in, and checks both that the process is a
member and that a fork beyond the limit was refused.  Every sandbox then gets a cgroup of its
own, ``<base>/educhain-<grader pid>/s<N>`` (:class:`PidsCgroup`).  bubblewrap forks as soon
as it starts, so its first process is ``/bin/sh``, which writes its own pid to
``cgroup.procs`` and ``exec``s bubblewrap: every process of the sandbox is born inside, with
no window to escape.  A zygote without bubblewrap forks nothing before its first order, so
the grader moves it in right after starting it (its per-worker uid could not write there).
Closing the sandbox kills whatever is left in the cgroup and removes it; the run's folder
goes at exit.

Never silently off: :func:`status` returns why the layer is missing, and the isolation line
says so (``sandbox.Isolation``).  ``EDUCHAIN_PIDS_CGROUP=0`` turns it off (said the same way).
"""

from __future__ import annotations

import atexit
import contextlib
import functools
import itertools
import os
import re
import signal
import subprocess
import threading
import time
from pathlib import Path

PIDS_ENV = "EDUCHAIN_PIDS_CGROUP"  # "0": no pids cgroup (the isolation line says so)
RUN_PREFIX = "educhain-"
SHELL = "/bin/sh"
# The sandbox's first process moves itself into the cgroup, then becomes the real command.
MOVE_SELF = 'echo $$ > "$0" || exit 70; exec "$@"'
# The probe: move in, show membership with shell builtins only, then fork once (refused at
# pids.max 1: the shell itself is the one task allowed).
PROBE = (
    'echo $$ > "$0" || exit 70; while read -r l; do echo "$l"; done < /proc/self/cgroup; /bin/true'
)


def _mounts() -> list[tuple[str, str, str, str]]:
    """(mount root, mount point, fs type, super options) of every cgroup mount."""
    found = []
    try:
        lines = Path("/proc/self/mountinfo").read_text().splitlines()
    except OSError:
        return []
    for line in lines:
        left, _, right = line.partition(" - ")
        fields, tail = left.split(), right.split()
        if len(fields) >= 5 and len(tail) >= 3 and tail[0] in ("cgroup", "cgroup2"):
            found.append((fields[3], fields[4], tail[0], tail[2]))
    return found


def _own_paths() -> tuple[str | None, str | None]:
    """This process's cgroup path in the v2 hierarchy and in the v1 ``pids`` hierarchy."""
    v2 = v1 = None
    try:
        lines = Path("/proc/self/cgroup").read_text().splitlines()
    except OSError:
        return None, None
    for line in lines:
        number, controllers, path = line.split(":", 2)
        if number == "0" and controllers == "":
            v2 = path
        elif "pids" in controllers.split(","):
            v1 = path
    return v2, v1


def _under(mount_root: str, mount_point: str, path: str) -> Path | None:
    """Where the cgroup ``path`` (of a hierarchy mounted from ``mount_root``) appears."""
    if mount_root != "/" and not (path + "/").startswith(mount_root.rstrip("/") + "/"):
        return None
    relative = path[len(mount_root.rstrip("/")) :] if mount_root != "/" else path
    return Path(mount_point + relative.rstrip("/"))


def find_base() -> tuple[Path | None, str, str]:
    """(the cgroup under which this grader may create pids cgroups, "v1"/"v2", why not).

    v2: this process's own cgroup, when it offers ``pids`` to its children (its
    ``cgroup.subtree_control`` has it, or it can be enabled there).  v1: this process's cgroup
    in the ``pids`` hierarchy.  The base must be writable (root, or a delegated subtree).
    """
    v2_path, v1_path = _own_paths()
    reasons = []
    for root, point, kind, options in _mounts():
        if kind == "cgroup2" and v2_path is not None:
            base = _under(root, point, v2_path)
            if base is None or not base.is_dir():
                continue
            controllers = _read(base / "cgroup.controllers").split()
            if "pids" not in controllers:
                reasons.append(f"cgroup v2 at {point}: the pids controller is not delegated here")
                continue
            if "pids" not in _read(base / "cgroup.subtree_control").split():
                try:
                    (base / "cgroup.subtree_control").write_text("+pids")
                except OSError as exc:
                    reasons.append(f"cgroup v2 at {base}: cannot enable pids ({exc.strerror})")
                    continue
            return base, "v2", ""
        if kind == "cgroup" and "pids" in options.split(",") and v1_path is not None:
            base = _under(root, point, v1_path)
            if base is not None and base.is_dir():
                if os.access(base, os.W_OK):
                    return base, "v1", ""
                reasons.append(f"cgroup v1 pids hierarchy at {base} is not writable")
    if not reasons:
        reasons.append("no cgroup v2 pids controller or v1 pids hierarchy is mounted")
    return None, "", "; ".join(reasons)


def _read(path: Path) -> str:
    try:
        return path.read_text()
    except OSError:
        return ""


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def remove_stale(base: Path) -> list[str]:
    """Remove the empty cgroups left by graders that are no longer running (a SIGKILLed
    grader cannot clean up); a cgroup that still holds a process is left alone."""
    removed = []
    with contextlib.suppress(OSError):
        for run in base.iterdir():
            match = re.fullmatch(re.escape(RUN_PREFIX) + r"(\d+)", run.name)
            if not match or not run.is_dir() or _alive(int(match.group(1))):
                continue
            for child in run.iterdir():
                if child.is_dir():
                    with contextlib.suppress(OSError):
                        child.rmdir()
            with contextlib.suppress(OSError):
                run.rmdir()
                removed.append(run.name)
    return removed


class _Run:
    """This grader's folder of cgroups, ``<base>/educhain-<pid>``, removed at exit."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.base: Path | None = None
        self.version = ""
        self.numbers = itertools.count()

    @property
    def folder(self) -> Path:
        assert self.base is not None
        return self.base / f"{RUN_PREFIX}{os.getpid()}"

    def new(self, pids_max: int) -> Path:
        """A fresh child cgroup with ``pids.max``."""
        with self.lock:
            folder = self.folder
            if not folder.is_dir():
                folder.mkdir(exist_ok=True)
                if self.version == "v2":
                    (folder / "cgroup.subtree_control").write_text("+pids")
            path = folder / f"s{next(self.numbers)}"
            path.mkdir()
        try:
            (path / "pids.max").write_text(str(pids_max))
        except OSError:
            with contextlib.suppress(OSError):
                path.rmdir()
            raise
        return path

    def remove(self) -> None:
        if self.base is None:
            return
        folder = self.base / f"{RUN_PREFIX}{os.getpid()}"
        with contextlib.suppress(OSError):
            for child in folder.iterdir():
                if child.is_dir():
                    _remove(child)
            folder.rmdir()


_RUN = _Run()
atexit.register(_RUN.remove)


def _members(path: Path) -> list[int]:
    return [int(p) for p in _read(path / "cgroup.procs").split() if p.isdigit()]


def _remove(path: Path, seconds: float = 2.0) -> bool:
    """Kill every process left in the cgroup and remove it; False if it would not go."""
    deadline = time.monotonic() + seconds
    while True:
        for pid in _members(path):
            with contextlib.suppress(OSError):
                os.kill(pid, signal.SIGKILL)
        try:
            path.rmdir()
            return True
        except FileNotFoundError:
            return True
        except OSError:
            if time.monotonic() > deadline:
                return False
            time.sleep(0.01)  # killed processes are still being reaped


@functools.lru_cache(maxsize=1)
def status() -> str:
    """Why sandboxes can NOT get a pids cgroup here, or "" when they can.

    Really creates a cgroup, writes ``pids.max`` = 1, moves a shell into it with the same
    command every sandbox starts with, and checks that the shell is a member and that its
    one fork was refused (``pids.events``).  Stale cgroups of dead graders go first.
    """
    if os.environ.get(PIDS_ENV, "1").strip() == "0":
        return f"turned off by {PIDS_ENV}=0"
    if not os.path.exists(SHELL):
        return f"{SHELL} is missing"
    base, version, why = find_base()
    if base is None:
        return why
    remove_stale(base)
    _RUN.base, _RUN.version = base, version
    try:
        probe = _RUN.new(1)
    except OSError as exc:
        _RUN.base = None
        return f"cannot create a cgroup under {base} ({exc.strerror or exc})"
    try:
        ran = subprocess.run(
            [SHELL, "-c", PROBE, str(probe / "cgroup.procs")],
            capture_output=True,
            text=True,
            timeout=30,
            env={"PATH": "/usr/bin:/bin", "LANG": "C.UTF-8"},
        )
        relative = "/" + str(probe.relative_to(base))
        member = any(line.endswith(relative) for line in ran.stdout.splitlines())
        refused = _events(probe) >= 1
    except (OSError, subprocess.SubprocessError) as exc:
        member, refused, ran = False, False, None
        why = f"the probe could not run ({exc})"
    finally:
        _remove(probe)
    if ran is not None and ran.returncode == 70:
        why = f"cannot move a process into {probe} ({ran.stderr.strip() or 'write refused'})"
    elif ran is not None and not member:
        why = f"a process moved into {probe} is not listed as a member"
    elif ran is not None and not refused:
        why = f"pids.max did not refuse a fork in {probe}"
    if not (member and refused):
        _RUN.base = None
        return why
    return ""


def _events(path: Path) -> int:
    """How many forks ``pids.max`` refused in this cgroup (``pids.events``: ``max N``)."""
    for line in _read(path / "pids.events").splitlines():
        key, _, value = line.partition(" ")
        if key == "max" and value.strip().isdigit():
            return int(value)
    return 0


class PidsCgroup:
    """One sandbox's pids cgroup: created with ``pids.max``, removed by :meth:`close`."""

    def __init__(self, pids_max: int) -> None:
        self.pids_max = pids_max
        self.path = _RUN.new(pids_max)
        self.peak = 0  # the most tasks it ever held (kept when it is removed)
        self.refused = 0  # forks refused at pids.max

    def wrap(self, argv: list[str]) -> list[str]:
        """``argv`` started so that its first process is already inside the cgroup."""
        return [SHELL, "-c", MOVE_SELF, str(self.path / "cgroup.procs"), *argv]

    def add(self, pid: int) -> None:
        """Move a process in from outside (for one that forks nothing before it is moved)."""
        (self.path / "cgroup.procs").write_text(str(pid))

    def current(self) -> int:
        text = _read(self.path / "pids.current").strip()
        return int(text) if text.isdigit() else 0

    def _measure(self) -> None:
        text = _read(self.path / "pids.peak").strip()
        if text.isdigit():
            self.peak = max(self.peak, int(text))
        self.refused = max(self.refused, _events(self.path))

    def close(self) -> None:
        """Kill anything still inside (a process that left the sandbox's process group) and
        remove the cgroup; one that will not go is removed by the next grader's start."""
        self._measure()
        _remove(self.path)


def layer_summary(pids_max: int) -> str:
    return f"pids cgroup (max {pids_max})"
