"""A multi-node functional test harness, after Bitcoin Core's ``test/functional/test_framework``.

Each node is a real ``python -m edu_chain node`` subprocess on a free 127.0.0.1 port with its
own data directory, so tests exercise exactly what a participant runs.  Tests read like a lab
script::

    with NodeHarness(tmp_path, nodes=2) as h:
        a, b = h.nodes
        h.log.info("mine 5 blocks on node0")
        a.mine(5)
        h.connect(a, b)
        h.sync_blocks()                   # wait until every node has the same tip

Rules the harness keeps:

* no bare sleeps: every wait is :func:`wait_until` on a condition, with a timeout and a
  message saying what did not happen;
* every step is logged (``harness`` logger; pytest shows it on failure, ``-o log_cli=true``
  live), and each node's output goes to ``DATA_DIR/stdout.log`` for the post-mortem;
* the harness stops (SIGTERM, then SIGKILL) only the processes it started, by pid.

Nodes use ``--network unittest`` (trivial proof-of-work, simulated timestamps) unless told
otherwise, and a short ``--sync-interval`` so catch-up happens within a second.
"""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import httpx

log = logging.getLogger("harness")

DEFAULT_TIMEOUT = 20.0
POLL_INTERVAL = 0.05
REPO_ROOT = Path(__file__).resolve().parents[2]


def wait_until(
    predicate: Callable[[], Any], *, timeout: float = DEFAULT_TIMEOUT, what: str = "condition"
) -> Any:
    """Poll ``predicate`` until it returns something truthy (returned); AssertionError after
    ``timeout`` seconds.  Exceptions from the predicate count as "not yet" (a node that is
    still starting refuses connections)."""
    deadline = time.monotonic() + timeout
    last_error: Exception | None = None
    while True:
        try:
            result = predicate()
            if result:
                return result
        except (httpx.HTTPError, OSError, KeyError, ValueError) as exc:
            last_error = exc
        if time.monotonic() >= deadline:
            detail = f" (last error: {last_error!r})" if last_error else ""
            raise AssertionError(f"timed out after {timeout:g} s waiting for {what}{detail}")
        time.sleep(POLL_INTERVAL)  # the poll period of wait_until, not a wait for an event


def free_port() -> int:
    """A port nobody listens on right now (the OS picks it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class NodeProcess:
    """One ``educhain node`` subprocess and a small HTTP client for it."""

    def __init__(
        self,
        index: int,
        data_dir: Path,
        *,
        network: str = "unittest",
        extra_args: Sequence[str] = (),
        port: int | None = None,
    ) -> None:
        self.index = index
        self.name = f"node{index}"
        self.data_dir = Path(data_dir)
        self.network = network
        self.extra_args = list(extra_args)
        self.port = port or free_port()
        self.process: subprocess.Popen | None = None
        self._client = httpx.Client(timeout=30.0)

    def __repr__(self) -> str:
        return f"<{self.name} {self.address} pid={self.pid}>"

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    @property
    def url(self) -> str:
        return f"http://{self.address}"

    @property
    def pid(self) -> int | None:
        return self.process.pid if self.process is not None else None

    @property
    def log_path(self) -> Path:
        return self.data_dir / "stdout.log"

    # --- life cycle ----------------------------------------------------------------------

    def start(self, *extra: str, peers: Sequence[NodeProcess] = (), wait: bool = True) -> None:
        """Start the subprocess (optionally with ``--peer`` for each of ``peers``)."""
        if self.process is not None and self.process.poll() is None:
            raise RuntimeError(f"{self.name} is already running")
        self.data_dir.mkdir(parents=True, exist_ok=True)
        command = [
            sys.executable,
            "-m",
            "edu_chain",
            "node",
            "--data-dir",
            str(self.data_dir),
            "--port",
            str(self.port),
            "--network",
            self.network,
            "--name",
            self.name,
            "--sync-interval",
            "0.5",
            *self.extra_args,
            *extra,
        ]
        for peer in peers:
            command += ["--peer", peer.address]
        log.info("start %s: %s", self.name, " ".join(command[3:]))
        env = {**os.environ, "PYTHONPATH": str(REPO_ROOT), "PYTHONUNBUFFERED": "1"}
        with open(self.log_path, "ab") as output:
            self.process = subprocess.Popen(
                command, stdout=output, stderr=subprocess.STDOUT, env=env, cwd=self.data_dir
            )
        if wait:
            self.wait_ready()

    def wait_ready(self, timeout: float = DEFAULT_TIMEOUT) -> None:
        def ready() -> bool:
            if self.process is not None and self.process.poll() is not None:
                raise AssertionError(
                    f"{self.name} exited with {self.process.returncode}:\n{self.output()[-2000:]}"
                )
            return self.get("/api/tip") is not None and (self.data_dir / "node.json").exists()

        wait_until(ready, timeout=timeout, what=f"{self.name} to answer on {self.url}")
        log.info("%s is up at %s (pid %s)", self.name, self.url, self.pid)

    def stop(self, timeout: float = 15.0) -> int | None:
        """SIGTERM and wait (SIGKILL if it does not exit in time); returns the exit code."""
        if self.process is None or self.process.poll() is not None:
            return None if self.process is None else self.process.returncode
        log.info("stop %s (SIGTERM to pid %s)", self.name, self.pid)
        self.process.send_signal(signal.SIGTERM)
        try:
            return self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            log.warning("%s ignored SIGTERM for %g s: SIGKILL", self.name, timeout)
            self.process.kill()
            return self.process.wait(timeout=timeout)

    def kill(self) -> None:
        """``kill -9``: no chance to clean up."""
        if self.process is not None and self.process.poll() is None:
            log.info("kill -9 %s (pid %s)", self.name, self.pid)
            self.process.kill()
            self.process.wait(timeout=10)

    def output(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")
        except OSError:
            return ""

    def close(self) -> None:
        self.stop()
        self._client.close()

    # --- HTTP ----------------------------------------------------------------------------

    def request(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        return self._client.request(method, f"{self.url}{path}", **kwargs)

    def get(self, path: str, **kwargs: Any) -> Any:
        response = self.request("GET", path, **kwargs)
        response.raise_for_status()
        return response.json()

    def post(self, path: str, payload: Any = None, **kwargs: Any) -> Any:
        response = self.request("POST", path, json=payload, **kwargs)
        if response.status_code >= 400:
            raise AssertionError(
                f"{self.name} POST {path} -> {response.status_code}: {response.text[:500]}"
            )
        return response.json()

    def tip(self) -> dict:
        return self.get("/api/tip")

    def mine(self, count: int = 1, address: str | None = None) -> list[str]:
        payload: dict[str, Any] = {"count": count}
        if address is not None:
            payload["address"] = address
        return self.post("/api/mine", payload)["blocks"]

    def mempool_txids(self) -> set[str]:
        return {entry["txid"] for entry in self.get("/api/mempool")["transactions"]}

    def info(self) -> dict:
        return self.get("/api/info")

    def peer_addresses(self) -> set[str]:
        return {peer["address"] for peer in self.get("/api/peers")["peers"]}


class NodeHarness:
    """Start ``nodes`` nodes under ``base_dir``; stop them all on exit (context manager)."""

    def __init__(
        self,
        base_dir: Path,
        nodes: int = 2,
        *,
        network: str = "unittest",
        extra_args: Sequence[str] = (),
        start: bool = True,
    ) -> None:
        self.base_dir = Path(base_dir)
        self.log = log
        self.nodes = [
            NodeProcess(i, self.base_dir / f"node{i}", network=network, extra_args=extra_args)
            for i in range(nodes)
        ]
        self._start = start

    def __enter__(self) -> NodeHarness:
        if self._start:
            self.log.info("start %d nodes in %s", len(self.nodes), self.base_dir)
            for node in self.nodes:
                node.start(wait=False)
            for node in self.nodes:
                node.wait_ready()
        return self

    def __exit__(self, *exc_info: object) -> None:
        if exc_info[0] is not None:
            for node in self.nodes:
                self.log.error("--- %s output ---\n%s", node.name, node.output()[-3000:])
        for node in self.nodes:
            with contextlib.suppress(Exception):
                node.close()

    # --- topology ------------------------------------------------------------------------

    def connect(self, a: NodeProcess, b: NodeProcess) -> None:
        """Connect ``a`` to ``b``; the hello makes it two-way.  Waits for both sides."""
        self.log.info("connect %s <-> %s", a.name, b.name)
        a.post("/api/peers", {"address": b.address})
        wait_until(
            lambda: b.address in a.peer_addresses() and a.address in b.peer_addresses(),
            what=f"{a.name} and {b.name} to list each other as peers",
        )

    def disconnect(self, a: NodeProcess, b: NodeProcess) -> None:
        """Cut the link between ``a`` and ``b`` (both sides forget it)."""
        self.log.info("disconnect %s -x- %s", a.name, b.name)
        response = a.request("DELETE", f"/api/peers/{b.address}")
        if response.status_code not in (200, 404):
            raise AssertionError(f"disconnect failed: {response.status_code} {response.text}")
        wait_until(
            lambda: b.address not in a.peer_addresses() and a.address not in b.peer_addresses(),
            what=f"{a.name} and {b.name} to forget each other",
        )

    # --- waiting -------------------------------------------------------------------------

    def sync_blocks(
        self, nodes: Sequence[NodeProcess] | None = None, *, timeout: float = DEFAULT_TIMEOUT
    ) -> dict:
        """Wait until ``nodes`` (default: all) report the same tip; returns it."""
        nodes = list(nodes or self.nodes)
        tips: list[dict] = []

        def same_tip() -> bool:
            tips[:] = [node.tip() for node in nodes]
            return len({tip["hash"] for tip in tips}) == 1

        try:
            wait_until(same_tip, timeout=timeout, what="every node to have the same tip")
        except AssertionError as exc:
            detail = ", ".join(
                f"{n.name}={t['height']}:{t['hash'][:12]}"
                for n, t in zip(nodes, tips, strict=False)
            )
            raise AssertionError(f"{exc}; tips: {detail}") from None
        self.log.info("synced: %s at height %d", tips[0]["hash"][:16], tips[0]["height"])
        return tips[0]

    def sync_mempools(
        self, nodes: Sequence[NodeProcess] | None = None, *, timeout: float = DEFAULT_TIMEOUT
    ) -> set[str]:
        nodes = list(nodes or self.nodes)
        pools: list[set[str]] = []

        def same_pool() -> bool:
            pools[:] = [node.mempool_txids() for node in nodes]
            return all(pool == pools[0] for pool in pools)

        wait_until(same_pool, timeout=timeout, what="every node to have the same mempool")
        return pools[0]
