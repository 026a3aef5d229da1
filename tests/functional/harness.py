"""A multi-node functional test harness, after Bitcoin Core's ``test/functional/test_framework``.

A thin layer over the library's own launcher (:mod:`edu_chain.node.testnet`: the node command
line, starting a process, waiting until it answers, free ports, ``wait_until``) and client
(:class:`edu_chain.node.client.NodeClient`), so the tests exercise what ``educhain testnet``
and the wallet use.  Each node is a real ``python -m edu_chain node`` subprocess on a free
127.0.0.1 port with its own data directory.  Tests read like a lab script::

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
  live), and each node's output goes to ``DATA_DIR/node.log`` for the post-mortem;
* the harness stops (SIGTERM, then SIGKILL) only the processes it started, by pid.

Nodes use ``--network unittest`` (trivial proof-of-work, simulated timestamps) unless told
otherwise, and a short ``--sync-interval`` so catch-up happens within a second.
"""

from __future__ import annotations

import contextlib
import logging
import signal
import subprocess
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from edu_chain.node import testnet
from edu_chain.node.client import NodeClient, NodeClientError, NodeRefusedError

log = logging.getLogger("harness")

DEFAULT_TIMEOUT = 20.0
POLL_INTERVAL = 0.05
REPO_ROOT = Path(__file__).resolve().parents[2]


def wait_until(
    predicate: Callable[[], Any], *, timeout: float = DEFAULT_TIMEOUT, what: str = "condition"
) -> Any:
    """:func:`edu_chain.node.testnet.wait_until` with the tests' defaults: a node that does
    not answer (yet) counts as "not yet"; ``TestnetError`` (code ``node-timeout``) at the end."""
    return testnet.wait_until(
        predicate,
        timeout=timeout,
        what=what,
        interval=POLL_INTERVAL,
        not_yet=(NodeClientError, KeyError, ValueError, OSError),
    )


class NodeProcess(NodeClient):
    """One ``educhain node`` subprocess; the methods of :class:`NodeClient` talk to it."""

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
        self.port = port or testnet.free_ports(1)[0]
        self.process: subprocess.Popen | None = None
        super().__init__(f"http://{self.address}", timeout=30.0)

    def __repr__(self) -> str:
        return f"<{self.name} {self.address} pid={self.pid}>"

    @property
    def address(self) -> str:
        return f"{testnet.HOST}:{self.port}"

    @property
    def pid(self) -> int | None:
        return self.process.pid if self.process is not None else None

    @property
    def log_path(self) -> Path:
        return self.data_dir / testnet.LOG_FILE

    # --- life cycle ----------------------------------------------------------------------

    def start(self, *extra: str, peers: Sequence[NodeProcess] = (), wait: bool = True) -> None:
        """Start the subprocess (optionally with ``--peer`` for each of ``peers``)."""
        if self.process is not None and self.process.poll() is None:
            raise RuntimeError(f"{self.name} is already running")
        self.data_dir.mkdir(parents=True, exist_ok=True)
        command = testnet.node_command(
            self.data_dir,
            self.port,
            [peer.address for peer in peers],
            name=self.name,
            network=self.network,
            extra_args=["--sync-interval", "0.5", *self.extra_args, *extra],
        )
        log.info("start %s: %s", self.name, " ".join(command[3:]))
        self.process = testnet.spawn_node(
            command, self.log_path, env={"PYTHONPATH": str(REPO_ROOT)}, cwd=self.data_dir
        )
        if wait:
            self.wait_ready()

    def wait_ready(self, timeout: float = DEFAULT_TIMEOUT) -> None:
        process = self.process
        testnet.wait_node_ready(
            self.url,
            self.data_dir,
            alive=lambda: process is not None and process.poll() is None,
            name=self.name,
            log=self.log_path,
            timeout=timeout,
        )
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
        super().close()

    # --- the tests' shorthands (plain JSON, as the scenarios compare it) -------------------

    def tip(self) -> dict:  # type: ignore[override]
        return super().tip().to_dict()

    def mine(self, count: int = 1, address: str | None = None) -> list[str]:  # type: ignore[override]
        return super().mine(count, address).blocks


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
        ports = testnet.free_ports(nodes)
        self.nodes = [
            NodeProcess(
                i, self.base_dir / f"node{i}", network=network, extra_args=extra_args, port=port
            )
            for i, port in enumerate(ports)
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
        a.add_peer(b.address)
        wait_until(
            lambda: b.address in a.peer_addresses() and a.address in b.peer_addresses(),
            what=f"{a.name} and {b.name} to list each other as peers",
        )

    def disconnect(self, a: NodeProcess, b: NodeProcess) -> None:
        """Cut the link between ``a`` and ``b`` (both sides forget it)."""
        self.log.info("disconnect %s -x- %s", a.name, b.name)
        try:
            a.remove_peer(b.address)
        except NodeRefusedError as error:
            if error.status != 404:
                raise
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
        except testnet.TestnetError as exc:
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
