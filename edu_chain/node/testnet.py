"""A local testnet: N nodes on this machine, each its own process and data directory.

``educhain testnet up --nodes 3`` runs :func:`start`: for node *i* it creates
``DIR/node<i>/``, starts ``python -m edu_chain node --data-dir DIR/node<i> --port P_i
--peer <the nodes before it>`` as a child process on 127.0.0.1 (output to
``DIR/node<i>/node.log``), records every pid in ``DIR/testnet.json`` at once, and waits
(polling ``GET /api/tip``, never a bare sleep) until every node answers and has a peer.  A
node that says hello to an earlier one is added back by it (``POST /p2p/hello``, see
:mod:`edu_chain.node.p2p`), so the nodes form a full mesh: the network of
docs/architecture.md#node-and-testnet in miniature.

``status`` reads the state file and asks each node for its tip and peers; ``down`` ends the
recorded pids, and only them: a pid is signalled only while its command line still names
this testnet's data directory (so a recycled pid of an unrelated program is never touched).
SIGTERM first (the node closes its database cleanly), SIGKILL after a grace period.

A testnet owned by a running program (``educhain demo``, a notebook, a test) can be started
with ``exit_with_parent=True``: its nodes then stop by themselves if that program dies
without stopping them (``kill -9``), see :mod:`edu_chain.node.server`.

The same functions drive ``educhain demo`` and the functional tests; :class:`Testnet` keeps
the :class:`subprocess.Popen` handles when the caller is the parent (so children are reaped)
and works from the state file alone when it is not (``educhain testnet down`` in a new shell).
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

from edu_chain.errors import NodeError
from edu_chain.node.client import NodeClient, NodeClientError
from edu_chain.node.service import INFO_FILE

STATE_FILE = "testnet.json"
LOG_FILE = "node.log"
HOST = "127.0.0.1"
STATE_VERSION = 1


class TestnetError(NodeError):
    """A testnet operation failed.  ``code`` is stable: ``testnet-running``,
    ``no-testnet``, ``node-exited``, ``node-timeout``, ``bad-state-file``, ``port-in-use``,
    ``bad-directory``."""

    __test__ = False  # not a pytest test class, despite the name

    def __init__(self, code: str, message: str) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message


@dataclass(frozen=True)
class NodeProcess:
    """One node of the testnet, as recorded in the state file."""

    name: str  # "node0", "node1"...
    port: int
    pid: int
    data_dir: str  # absolute path
    log: str  # absolute path of its output

    @property
    def address(self) -> str:
        return f"{HOST}:{self.port}"

    @property
    def url(self) -> str:
        return f"http://{HOST}:{self.port}"


@dataclass(frozen=True)
class TestnetState:
    """What ``DIR/testnet.json`` holds: enough for another process to find and stop the nodes."""

    __test__ = False

    directory: str
    nodes: tuple[NodeProcess, ...]
    network: str | None = None
    mining: bool = False
    started_at: float = 0.0
    version: int = STATE_VERSION

    def serialize(self) -> str:
        return json.dumps(asdict(self), indent=2) + "\n"

    @classmethod
    def parse(cls, text: str) -> TestnetState:
        try:
            data = json.loads(text)
            nodes = tuple(NodeProcess(**node) for node in data.pop("nodes"))
            return cls(nodes=nodes, **data)
        except (ValueError, TypeError, KeyError, AttributeError) as error:
            message = f"cannot read the testnet state: {error}"
            raise TestnetError("bad-state-file", message) from None

    @classmethod
    def load(cls, directory: str | os.PathLike[str]) -> TestnetState:
        path = Path(directory) / STATE_FILE
        try:
            text = path.read_text(encoding="utf-8")
        except FileNotFoundError:
            raise TestnetError(
                "no-testnet", f"no testnet recorded in {directory} (expected {path.name})"
            ) from None
        return cls.parse(text)

    def save(self) -> None:
        path = Path(self.directory) / STATE_FILE
        tmp = path.with_suffix(".tmp")
        tmp.write_text(self.serialize(), encoding="utf-8")
        os.replace(tmp, path)  # atomic: a reader sees the old or the new file, never half


# --- small helpers -----------------------------------------------------------------------


def free_ports(count: int) -> list[int]:
    """``count`` distinct TCP ports free on 127.0.0.1 right now (the OS picks them)."""
    sockets, ports = [], []
    try:
        for _ in range(count):
            sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            sock.bind((HOST, 0))
            sockets.append(sock)
            ports.append(sock.getsockname()[1])
    finally:
        for sock in sockets:
            sock.close()
    return ports


def port_is_free(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        try:
            sock.bind((HOST, port))
        except OSError:
            return False
    return True


def wait_until(
    predicate: Callable[[], Any],
    *,
    timeout: float,
    what: str,
    interval: float = 0.1,
    not_yet: tuple[type[BaseException], ...] = (),
) -> Any:
    """Poll ``predicate()`` until it returns something truthy (returned), or raise after
    ``timeout`` seconds with ``what`` in the message (code ``node-timeout``).

    Exceptions of the ``not_yet`` types count as "not yet" (a node that is still starting
    refuses connections); the last one is named in the timeout message.
    """
    deadline = time.monotonic() + timeout
    last_error: BaseException | None = None
    while True:
        try:
            result = predicate()
        except not_yet as error:
            result, last_error = None, error
        if result:
            return result
        if time.monotonic() >= deadline:
            detail = f" (last error: {last_error})" if last_error is not None else ""
            raise TestnetError(
                "node-timeout", f"gave up after {timeout:g} s waiting for {what}{detail}"
            )
        time.sleep(interval)  # the poll period, not a wait for an event


def get_json(url: str, path: str, *, timeout: float = 2.0) -> Any | None:
    """``GET url+path`` as JSON, or None if the node does not answer (yet) or answers 4xx/5xx."""
    try:
        with NodeClient(url, timeout=timeout) as client:
            return client.get(path)
    except NodeClientError:
        return None


def pid_alive(pid: int, data_dir: str | None = None) -> bool:
    """True if ``pid`` runs and is not a zombie; with ``data_dir``, only if its command line
    names that directory (our node, not a recycled pid)."""
    proc = Path(f"/proc/{pid}")
    if proc.is_dir():  # Linux: read the truth from /proc
        try:
            status = (proc / "status").read_text()
            cmdline = (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            return False
        if "\nState:\tZ" in status:
            return False
        return data_dir is None or data_dir in cmdline
    try:
        os.kill(pid, 0)  # other systems: the process exists (its identity cannot be checked)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def log_tail(path: str, lines: int = 15) -> str:
    try:
        text = Path(path).read_text(encoding="utf-8", errors="replace")
    except OSError:
        return "(no log)"
    return "\n".join(text.splitlines()[-lines:])


def node_command(
    data_dir: Path,
    port: int,
    peers: Sequence[str] = (),
    *,
    name: str | None = None,
    mine: bool = False,
    threads: int | None = None,
    network: str | None = None,
    exit_with_parent: bool = False,
    extra_args: Sequence[str] = (),
) -> list[str]:
    """The ``python -m edu_chain node ...`` command line of one testnet node.

    ``exit_with_parent``: the node stops when this process (its parent) dies.
    """
    command = [sys.executable, "-m", "edu_chain", "node", "--data-dir", str(data_dir)]
    command += ["--host", HOST, "--port", str(port)]
    if name:
        command += ["--name", name]
    if network:
        command += ["--network", network]
    for peer in peers:
        command += ["--peer", peer]
    if mine:
        command.append("--mine")
    if threads:
        command += ["--threads", str(threads)]
    if exit_with_parent:
        command += ["--exit-with-parent", "--parent-pid", str(os.getpid())]
    return command + list(extra_args)


def spawn_node(
    command: Sequence[str],
    log_path: Path,
    *,
    env: dict[str, str] | None = None,
    cwd: Path | None = None,
) -> subprocess.Popen:
    """Start one node process, its output appended to ``log_path``, in its own session
    (Ctrl-C in the shell does not reach it; stop it by pid)."""
    with open(log_path, "ab") as log:
        return subprocess.Popen(
            list(command),
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            env={**os.environ, **(env or {}), "PYTHONUNBUFFERED": "1"},
            cwd=cwd,
        )


def wait_node_ready(
    url: str,
    data_dir: str | os.PathLike[str],
    *,
    alive: Callable[[], bool],
    name: str,
    log: str | os.PathLike[str],
    timeout: float = 60.0,
) -> dict:
    """Wait until the node at ``url`` answers ``GET /api/tip`` and has written
    ``DATA_DIR/node.json`` (its peers and miner have started); returns the tip.  Fails fast
    (code ``node-exited``) once ``alive()`` is false, with the end of its log."""
    info_file = Path(data_dir) / INFO_FILE

    def ready() -> dict | None:
        if not alive():
            raise TestnetError(
                "node-exited",
                f"{name} exited before answering; its log ends with:\n" + log_tail(str(log)),
            )
        tip = get_json(url, "/api/tip")
        return tip if tip is not None and info_file.exists() else None

    return wait_until(ready, timeout=timeout, what=f"{name} to answer at {url}")


def _choose_ports(nodes: int, base_port: int | None) -> list[int]:
    if base_port is None:
        return free_ports(nodes)
    ports = list(range(base_port, base_port + nodes))
    busy = [p for p in ports if not port_is_free(p)]
    if busy:
        raise TestnetError(
            "port-in-use", f"port(s) {busy} on {HOST} are taken; pick another --base-port"
        )
    return ports


def _prepare_directory(directory: str | os.PathLike[str]) -> Path:
    """The testnet's folder, created; refused while a testnet recorded there still runs."""
    root = Path(directory).resolve()
    try:
        root.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise TestnetError(
            "bad-directory",
            f"cannot use {root} for the testnet: {error.strerror or error}; "
            "pass --dir with a folder you can write to",
        ) from None
    previous = None
    with contextlib.suppress(TestnetError):
        previous = TestnetState.load(root)
    if previous is not None:
        running = [n for n in previous.nodes if pid_alive(n.pid, n.data_dir)]
        if running:
            names = ", ".join(f"{n.name} (pid {n.pid})" for n in running)
            raise TestnetError(
                "testnet-running",
                f"{root} already has running nodes: {names}; stop them with "
                f"`educhain testnet down --dir {root}`",
            )
    return root


# --- the testnet -------------------------------------------------------------------------


@dataclass
class Testnet:
    """A running (or recorded) testnet.  Use :meth:`start`, :meth:`attach`, :meth:`stop`.

    As a context manager it stops every node it started on exit, whatever happened.
    """

    __test__ = False

    state: TestnetState
    processes: dict[int, subprocess.Popen] = field(default_factory=dict, repr=False)

    @property
    def nodes(self) -> tuple[NodeProcess, ...]:
        return self.state.nodes

    @property
    def urls(self) -> list[str]:
        return [node.url for node in self.nodes]

    @property
    def explorer_url(self) -> str:
        return self.nodes[0].url + "/"

    def client(self, node: NodeProcess, *, timeout: float = 10.0) -> NodeClient:
        """A :class:`~edu_chain.node.client.NodeClient` for one of the nodes."""
        return NodeClient(node.url, timeout=timeout)

    @classmethod
    def start(
        cls,
        directory: str | os.PathLike[str],
        nodes: int = 3,
        *,
        base_port: int | None = None,
        mine: bool = False,
        threads: int | None = 1,
        network: str | None = None,
        timeout: float = 60.0,
        exit_with_parent: bool = False,
        extra_args: Sequence[str] = (),
        on_progress: Callable[[str], None] | None = None,
    ) -> Testnet:
        """Start ``nodes`` connected nodes; return when all answer and each has a peer.

        ``base_port``: ports base_port, base_port+1, ...; default: free ports chosen by the OS.
        ``mine``: every node mines continuously with ``threads`` threads.  On any failure the
        nodes already started are stopped before the error is raised.

        ``exit_with_parent``: every node stops cleanly once this process dies, even by
        SIGKILL, when ``stop()`` never runs (``educhain node --exit-with-parent``).  For
        callers that own the testnet's lifetime (``educhain demo``, a notebook, a test);
        ``educhain testnet up`` exits at once and leaves its nodes running, so it does not.
        """
        if nodes < 1:
            raise ValueError(f"a testnet needs at least 1 node, got {nodes}")
        root = _prepare_directory(directory)
        ports = _choose_ports(nodes, base_port)
        say = on_progress or (lambda _message: None)
        network = network or "regtest"  # what a node runs without --network: record it
        testnet = cls(TestnetState(str(root), (), network, mine, time.time()))
        options = {
            "mine": mine,
            "threads": threads if mine else None,
            "network": network,
            "exit_with_parent": exit_with_parent,
            "extra_args": extra_args,
        }
        try:
            for index, port in enumerate(ports):
                node = testnet._launch(f"node{index}", port, options)
                say(f"started {node.name} (pid {node.pid}) on {node.url}")
            for node in testnet.nodes:
                testnet.wait_ready(node, timeout=timeout)
                say(f"{node.name} answers at {node.url}")
            if len(testnet.nodes) > 1:
                for node in testnet.nodes:
                    wait_until(
                        lambda node=node: testnet.peer_count(node) >= 1,
                        timeout=timeout,
                        what=f"{node.name} to connect to a peer",
                    )
        except BaseException:
            testnet.stop()
            raise
        return testnet

    def _launch(self, name: str, port: int, options: dict[str, Any]) -> NodeProcess:
        """Start node ``name`` with every earlier node as a peer, and record it at once (so
        ``down`` can always find it)."""
        root = Path(self.state.directory)
        data_dir = root / name
        data_dir.mkdir(exist_ok=True)
        earlier = [node.address for node in self.nodes]
        command = node_command(data_dir, port, earlier, name=name, **options)
        log_path = data_dir / LOG_FILE
        process = spawn_node(command, log_path)
        self.processes[process.pid] = process
        node = NodeProcess(name, port, process.pid, str(data_dir), str(log_path))
        self.state = replace(self.state, nodes=(*self.nodes, node))
        self.state.save()
        return node

    @classmethod
    def attach(cls, directory: str | os.PathLike[str]) -> Testnet:
        """The testnet recorded in ``directory`` (started by another process)."""
        return cls(TestnetState.load(Path(directory).resolve()))

    def __enter__(self) -> Testnet:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    # --- questions ----------------------------------------------------------------------

    def is_alive(self, node: NodeProcess) -> bool:
        process = self.processes.get(node.pid)
        if process is not None:
            return process.poll() is None
        return pid_alive(node.pid, node.data_dir)

    def wait_ready(self, node: NodeProcess, *, timeout: float = 60.0) -> dict:
        """Wait until ``node`` answers ``GET /api/tip``; fail fast if its process exited."""
        return wait_node_ready(
            node.url,
            node.data_dir,
            alive=lambda: self.is_alive(node),
            name=f"{node.name} (pid {node.pid})",
            log=node.log,
            timeout=timeout,
        )

    def peer_count(self, node: NodeProcess) -> int:
        peers = get_json(node.url, "/api/peers")
        if isinstance(peers, dict):
            peers = peers.get("peers", [])
        return len(peers) if isinstance(peers, list) else 0

    def status(self) -> list[dict]:
        """One row per node: name, url, pid, alive, height, tip hash, peer count."""
        rows = []
        for node in self.nodes:
            alive = self.is_alive(node)
            tip = get_json(node.url, "/api/tip") if alive else None
            info = get_json(node.url, "/api/info") if tip else None
            mining = (info or {}).get("mining") or {}
            rows.append(
                {
                    "name": node.name,
                    "url": node.url,
                    "pid": node.pid,
                    "alive": alive,
                    "answering": tip is not None,
                    "height": (tip or {}).get("height"),
                    "tip": (tip or {}).get("hash"),
                    "peers": self.peer_count(node) if tip else None,
                    "mining": mining.get("enabled") if isinstance(mining, dict) else mining,
                }
            )
        return rows

    # --- the end ------------------------------------------------------------------------

    def stop(self, *, grace: float = 10.0) -> list[str]:
        """End every recorded node (SIGTERM, then SIGKILL after ``grace`` s); forget the state.

        Returns one line per node saying what happened.  Safe to call twice.
        """
        report = []
        signalled = []
        for node in self.nodes:
            if not self.is_alive(node):
                process = self.processes.get(node.pid)
                if process is not None:
                    process.wait()  # it exited on its own: reap it
                report.append(f"{node.name} (pid {node.pid}) was not running")
                continue
            with contextlib.suppress(ProcessLookupError):
                os.kill(node.pid, signal.SIGTERM)
                signalled.append(node)
        deadline = time.monotonic() + grace
        for node in signalled:
            process = self.processes.get(node.pid)
            while self.is_alive(node) and time.monotonic() < deadline:
                if process is not None:
                    with contextlib.suppress(subprocess.TimeoutExpired):
                        process.wait(timeout=0.1)
                else:
                    time.sleep(0.1)
            how = "stopped"
            if self.is_alive(node):
                with contextlib.suppress(ProcessLookupError):
                    os.kill(node.pid, signal.SIGKILL)
                how = "killed (did not stop within the grace period)"
            if process is not None:
                process.wait()  # reap it: no zombie left behind
            report.append(f"{node.name} (pid {node.pid}) {how}")
        self.processes.clear()
        self.state = replace(self.state, nodes=())
        state_file = Path(self.state.directory) / STATE_FILE
        state_file.unlink(missing_ok=True)
        return report


def start(directory: str | os.PathLike[str], nodes: int = 3, **options: Any) -> Testnet:
    """Shorthand for :meth:`Testnet.start`."""
    return Testnet.start(directory, nodes, **options)


def status(directory: str | os.PathLike[str]) -> list[dict]:
    return Testnet.attach(directory).status()


def stop(directory: str | os.PathLike[str], *, grace: float = 10.0) -> list[str]:
    return Testnet.attach(directory).stop(grace=grace)


__all__ = [
    "NodeProcess",
    "Testnet",
    "TestnetError",
    "TestnetState",
    "free_ports",
    "node_command",
    "spawn_node",
    "start",
    "status",
    "stop",
    "wait_node_ready",
    "wait_until",
]
