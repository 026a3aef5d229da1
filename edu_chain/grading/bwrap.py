"""The operating-system sandbox around every grading worker: Debian's ``bubblewrap`` (``bwrap``).

The audit hook in ``_worker.py`` gives students precise messages, but it is not a sandbox
(PEP 578 says so): ``os.pidfd_open`` + ``signal.pidfd_send_signal`` and ``os.path.exists``
raise no audit event.  So each worker runs inside ``bwrap`` with:

- new user, pid, network, ipc, uts and cgroup namespaces (``--unshare-*``), every capability
  dropped, further user namespaces disabled, an unprivileged uid (65534) inside;
- a root file system of its own: only the interpreter, its standard library (site-packages
  hidden under an empty tmpfs) and the shared libraries they load (found with ``ldd``), all
  read-only; a fresh ``/proc`` showing only the sandbox's own processes; a minimal ``/dev``;
  and ``/scratch``, a tmpfs of ``Limits.scratch_mb`` (a full scratch fills memory the sandbox
  owns, never the host's disk).  Nothing else of the host exists inside;
- no network at all: the new network namespace has only its own loopback, so no server of
  the host (not even one on 127.0.0.1) can be reached;
- ``--die-with-parent`` and ``--new-session``: the sandbox is killed if the grader dies, and
  cannot push input into the grader's terminal.  The grader kills the sandbox's init process
  (its host pid comes back on ``--info-fd``), which takes every process inside with it, so a
  double fork cannot outlive the worker.

:func:`status` probes once per process whether ``bwrap`` works here (it needs permission to
create user namespaces) and says why not; it never switches anything off silently: the
caller (``sandbox.resolve_isolation``) turns the answer into the run's isolation line.
"""

from __future__ import annotations

import functools
import os
import re
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

BWRAP_ENV = "EDUCHAIN_BWRAP"  # path of the bwrap binary (default: bwrap on PATH)
SCRATCH = "/scratch"
SANDBOX_UID = 65534  # "nobody" inside the user namespace
INSTALL_HINT = (
    "install bubblewrap (Debian/Ubuntu: apt-get install bubblewrap; Fedora: dnf install "
    "bubblewrap) and allow user namespaces (sysctl kernel.unprivileged_userns_clone=1; "
    "containers: run with --privileged or a seccomp profile that allows unshare)"
)


def binary() -> str | None:
    """The bwrap to use: ``$EDUCHAIN_BWRAP`` if set, else ``bwrap`` on ``PATH``."""
    chosen = os.environ.get(BWRAP_ENV, "").strip()
    if chosen:
        return chosen if os.access(chosen, os.X_OK) else None
    return shutil.which("bwrap")


def interpreter() -> str:
    """The real interpreter binary (a venv's ``python`` is a symlink to it)."""
    return os.path.realpath(sys.executable)


def stdlib() -> str:
    return os.path.realpath(sysconfig.get_paths()["stdlib"])


def _hidden_package_dirs() -> list[str]:
    """site-packages directories that sit inside the standard library directory."""
    base = {"base": sys.base_prefix, "platbase": sys.base_exec_prefix}
    paths = sysconfig.get_paths(vars=base)
    inside = []
    for key in ("purelib", "platlib"):
        path = os.path.realpath(paths[key])
        if path.startswith(stdlib() + "/") and os.path.isdir(path) and path not in inside:
            inside.append(path)
    return inside


_LDD_LINE = re.compile(r"(?:=>\s*)?(/\S+)\s+\(0x")


@functools.lru_cache(maxsize=1)
def shared_libraries() -> tuple[str, ...]:
    """Every shared library the interpreter and the standard library's extensions load."""
    dynload = Path(stdlib()) / "lib-dynload"
    files = [interpreter(), *sorted(str(p) for p in dynload.glob("*.so"))]
    ldd = shutil.which("ldd")
    if ldd is None:
        raise OSError("ldd is not installed (Debian: libc-bin), needed to list shared libraries")
    listing = subprocess.run([ldd, *files], capture_output=True, text=True, timeout=60).stdout
    found = {match.group(1) for match in _LDD_LINE.finditer(listing)}
    return tuple(sorted(p for p in found if os.path.exists(p)))


def command(binary_path: str, *, scratch_mb: int, info_fd: int | None = None) -> list[str]:
    """The ``bwrap ...`` prefix that runs a command inside a fresh sandbox."""
    args = [
        binary_path,
        "--unshare-user",
        "--unshare-pid",
        "--unshare-net",
        "--unshare-ipc",
        "--unshare-uts",
        "--unshare-cgroup-try",
        "--uid",
        str(SANDBOX_UID),
        "--gid",
        str(SANDBOX_UID),
        "--disable-userns",
        "--die-with-parent",
        "--new-session",
        "--cap-drop",
        "ALL",
        "--hostname",
        "sandbox",
    ]
    for library in shared_libraries():
        args += ["--ro-bind", library, library]
    if os.path.exists("/etc/ld.so.cache"):
        args += ["--ro-bind", "/etc/ld.so.cache", "/etc/ld.so.cache"]
    args += ["--ro-bind", interpreter(), interpreter(), "--ro-bind", stdlib(), stdlib()]
    for hidden in _hidden_package_dirs():
        args += ["--tmpfs", hidden]
    args += ["--proc", "/proc", "--dev", "/dev"]
    args += ["--size", str(scratch_mb * 1024 * 1024), "--tmpfs", SCRATCH, "--chdir", SCRATCH]
    if info_fd is not None:
        args += ["--info-fd", str(info_fd)]
    return args


PROBE = "import json, os, resource; os.write(1, b'sandbox ok')"


@functools.lru_cache(maxsize=1)
def status() -> str:
    """Why workers can NOT run in the bubblewrap sandbox here, or "" when they can.

    Starts one real sandbox (the same command a worker gets) and checks that Python runs in
    it: bwrap may be missing, or present but refused the namespaces (a container without
    the privilege to create user namespaces, a kernel that forbids them to unprivileged users).
    """
    found = binary()
    if found is None:
        where = os.environ.get(BWRAP_ENV, "").strip()
        return f"bwrap not found{f' at {BWRAP_ENV}={where}' if where else ' on PATH'}"
    try:
        probe = subprocess.run(
            [*command(found, scratch_mb=1), interpreter(), "-I", "-S", "-B", "-c", PROBE],
            capture_output=True,
            timeout=60,
            env={"PATH": "/usr/bin:/bin", "LANG": "C.UTF-8"},
        )
    except (OSError, subprocess.SubprocessError) as exc:
        return f"{found} could not start a sandbox ({exc})"
    if probe.returncode != 0 or probe.stdout != b"sandbox ok":
        said = probe.stderr.decode("utf-8", "replace").strip().splitlines()
        why = said[-1] if said else f"exit status {probe.returncode}"
        return f"{found} cannot create its namespaces here ({why})"
    return ""
