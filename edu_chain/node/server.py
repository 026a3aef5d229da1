"""Serve a node over HTTP with uvicorn until SIGINT/SIGTERM, then stop everything cleanly.

``run_node(config)`` is what ``educhain node`` calls.  uvicorn runs programmatically
(``uvicorn.Server(uvicorn.Config(...))``) so that the node's own threads (miner, peers) start
once the socket is listening and stop, in order, after the server has finished its requests:

1. build the :class:`~edu_chain.node.service.Node` (opens ``DATA_DIR/chain.sqlite``; a node
   killed with ``kill -9`` reopens at the last connected block);
2. start serving; when the socket listens, start peers and mining, write ``DATA_DIR/node.json``
   (url, pid, port: how scripts find a running node) and print the URLs;
3. on SIGINT/SIGTERM uvicorn stops accepting requests; then mining and peers stop, the
   database closes, ``node.json`` is removed and the process exits with status 0.

**Exiting with the parent** (``educhain node --exit-with-parent``, what ``educhain demo`` and
``Testnet.start(..., exit_with_parent=True)`` ask for).  A SIGKILLed parent gets no chance to
stop its children, so the node watches for itself: a daemon thread polls ``os.getppid()``
every half second and, once it differs from the parent recorded at start (the orphan has been
adopted by init or a subreaper), asks the server to exit, the same path as SIGTERM in step 3.
Linux's ``prctl(PR_SET_PDEATHSIG)`` is not used: it fires when the *thread* that started the
node ends, which in a notebook or a thread pool is not the owner going away.  (On Windows an
orphan keeps its ``getppid()``, so the watch never fires there.)
"""

from __future__ import annotations

import contextlib
import errno
import json
import logging
import os
import signal
import socket
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import uvicorn

from edu_chain.errors import NodeError
from edu_chain.node.api import create_app
from edu_chain.node.service import INFO_FILE, Node, NodeConfig, host_port

log = logging.getLogger(__name__)

PARENT_POLL_SECONDS = 0.5
# The largest request head (request line and headers, bytes) the HTTP parser (h11) is sure to
# read whole.  A head that is still incomplete past this size never reaches the API: uvicorn
# answers it with its own plain-text "400 Invalid HTTP request received.".  (h11 checks the size
# only while the head is incomplete, so with uvicorn's default of 16 KiB whether a 20 KiB head
# was refused depended on how TCP split it.)  64 KiB is far above the longest request the
# OpenAPI document calls valid (GET /api/headers with a 13,000-character locator, ~13 KiB).
MAX_REQUEST_HEAD_BYTES = 64 * 1024


class _NodeServer(uvicorn.Server):
    """uvicorn's server, except that a SIGINT/SIGTERM ends :meth:`run` normally.

    uvicorn re-raises the signal after its graceful shutdown, so the process would die of it
    before the node could stop its threads and close the database; we stop first, then exit 0.
    """

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        if threading.current_thread() is not threading.main_thread():
            yield
            return
        signals = (signal.SIGINT, signal.SIGTERM)
        original = {sig: signal.signal(sig, self.handle_exit) for sig in signals}
        try:
            yield
        finally:
            for sig, handler in original.items():
                signal.signal(sig, handler)


def check_can_listen(host: str, port: int) -> None:
    """Raise :class:`~edu_chain.errors.NodeError` saying why ``host:port`` cannot be served
    (port taken, not an address of this machine, a name that does not resolve, a privileged
    port), before anything is opened.  uvicorn would only log the error and exit 1."""
    try:
        candidates = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror as exc:
        raise NodeError(
            f"cannot listen on --host {host!r}: {exc.strerror}; use an address of this "
            "machine (127.0.0.1, or 0.0.0.0 for every interface)"
        ) from None
    family, kind, proto, _, address = candidates[0]
    with socket.socket(family, kind, proto) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as uvicorn does
        try:
            probe.bind(address)
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                reason = "the port is already in use (another node?); choose another --port"
            elif exc.errno == errno.EADDRNOTAVAIL:
                reason = (
                    f"{host} is not an address of this machine; use 127.0.0.1, or 0.0.0.0 "
                    "for every interface"
                )
            elif exc.errno == errno.EACCES:
                reason = "ports below 1024 need administrator rights; choose --port 1024 or above"
            else:
                reason = exc.strerror or str(exc)
            raise NodeError(f"cannot listen on {host}:{port}: {reason}") from None


def node_urls(node: Node) -> dict:
    host = node.config.host
    shown = "127.0.0.1" if host in ("0.0.0.0", "::") else host
    base = f"http://{host_port(shown, node.port)}"
    return {"url": base, "explorer": f"{base}/", "docs": f"{base}/docs"}


def write_info_file(node: Node) -> Path | None:
    """``DATA_DIR/node.json``: how scripts and the testnet find this running node."""
    if node.config.data_dir is None:
        return None
    path = Path(node.config.data_dir) / INFO_FILE
    info = {
        **node_urls(node),
        "name": node.name,
        "pid": os.getpid(),
        "host": node.config.host,
        "port": node.port,
        "network": node.params.name,
        "token": node.token,
    }
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)  # may hold the token
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        json.dump(info, handle, indent=2)
    return path


def watch_parent(
    parent_pid: int,
    on_orphaned: Callable[[], None],
    *,
    stopped: threading.Event,
    interval: float = PARENT_POLL_SECONDS,
) -> threading.Thread:
    """Start a daemon thread that calls ``on_orphaned()`` once, when ``os.getppid()`` is no
    longer ``parent_pid`` (the parent died and the process was adopted), unless ``stopped``
    is set first."""

    def watch() -> None:
        while not stopped.is_set():
            if os.getppid() != parent_pid:
                on_orphaned()
                return
            stopped.wait(interval)

    thread = threading.Thread(target=watch, name="node-parent-watch", daemon=True)
    thread.start()
    return thread


def run_node(
    config: NodeConfig,
    *,
    echo: Callable[[str], None] = print,
    log_level: str = "warning",
    parent_pid: int | None = None,
    extend_app: Callable[[Any, Node], None] | None = None,
    on_started: Callable[[Node], None] | None = None,
) -> None:
    """Run a node in the foreground until SIGINT/SIGTERM (see the module docstring).

    ``parent_pid``: also stop (cleanly, as on SIGTERM) once this process is no longer our
    parent, i.e. it died; pass ``os.getppid()`` read as early as possible.
    ``extend_app(app, node)`` adds routes to the app before it serves (the classroom does);
    ``on_started(node)`` runs once the node listens and its threads run.
    """
    check_can_listen(config.host, config.port)
    node = Node(config)
    app = create_app(node)
    if extend_app is not None:
        extend_app(app, node)
    server = _NodeServer(
        uvicorn.Config(
            app,
            host=config.host,
            port=config.port,
            log_level=log_level,
            access_log=log_level in ("debug", "info"),
            lifespan="off",
            timeout_graceful_shutdown=5,
            h11_max_incomplete_event_size=MAX_REQUEST_HEAD_BYTES,
        )
    )

    def when_listening() -> None:
        while not server.started:
            if server.should_exit:
                return
            threading.Event().wait(0.02)
        with contextlib.suppress(IndexError, AttributeError, OSError):
            node.port = server.servers[0].sockets[0].getsockname()[1]
        node.start()
        write_info_file(node)
        urls = node_urls(node)
        echo(f"edu_chain node {node.name} on {node.params.name}, tip height {node.chain.height}")
        echo(f"  API      {urls['url']}/api/tip")
        echo(f"  explorer {urls['explorer']}")
        echo(f"  docs     {urls['docs']}")
        echo(f"  wallet   {node.wallet.address}")
        if node.token is not None:
            echo(f"  token    {node.token}   (needed for mine/faucet/mining/peers calls)")
        if on_started is not None:
            on_started(node)
        echo("Press Ctrl+C to stop.")

    def orphaned() -> None:
        server.should_exit = True  # what uvicorn's SIGTERM handler does
        with contextlib.suppress(OSError):  # our stdout may be a pipe the parent held
            echo(f"parent process {parent_pid} has exited: stopping the node")

    finished = threading.Event()
    if parent_pid is not None:
        watch_parent(parent_pid, orphaned, stopped=finished)
    watcher = threading.Thread(target=when_listening, name="node-start", daemon=True)
    watcher.start()
    try:
        server.run()
    finally:
        finished.set()
        server.should_exit = True
        watcher.join(timeout=5)
        node.stop()
        if config.data_dir is not None:
            with contextlib.suppress(OSError):
                (Path(config.data_dir) / INFO_FILE).unlink()
        log.info("node %s stopped", node.name)
