"""The node: one chain state, one mempool, one wallet, a miner and peers, behind one lock.

:class:`Node` is what ``educhain node`` runs and what the HTTP API (:mod:`edu_chain.node.api`)
calls.  It owns no consensus logic of its own; it wires the library together:

* :class:`~edu_chain.chain.state.ChainState` (the block index, fork choice, the SQLite store
  ``DATA_DIR/chain.sqlite``) and :class:`~edu_chain.mempool.Mempool` on top of it;
* a :class:`~edu_chain.wallet.Wallet` (``DATA_DIR/wallet.json``): where mined coins go by
  default and where the faucet pays from;
* a :class:`~edu_chain.node.miner.Miner` thread (continuous mining that pauses, resumes and
  restarts on a new tip) and on-demand mining (``POST /api/mine``);
* a :class:`~edu_chain.node.p2p.PeerManager`: gossip and sync over HTTP.

**Threads and the lock.**  HTTP requests arrive on uvicorn's worker threads, peers on their own
threads, the miner on another.  Every change of the chain or the mempool happens while holding
``node.lock`` (the chain's own re-entrant lock, which the mempool shares too), and so does
every read that walks the block index.  Hashing never holds the lock: the miner takes a
template under the lock, searches without it, and submits under it again.

**Networks.**  ``regtest`` is the classroom chain (``ChainParams.edu_regtest()``: real work, a
block every ~10 s).  ``unittest`` is ``ChainParams.for_tests()`` (about two hashes per block)
for functional tests and benchmarks; its blocks carry *simulated* timestamps, 10 s apart
(``parent + target_spacing``, as :class:`~edu_chain.chain.builder.ChainBuilder` does), so the
difficulty never climbs however fast blocks are made, and its clock never runs behind the
newest block it knows (Bitcoin's regtest has ``setmocktime`` for the same reason).
"""

from __future__ import annotations

import ipaddress
import logging
import secrets
import sqlite3
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from edu_chain import __version__
from edu_chain.block import Block
from edu_chain.chain import ChainEvent, ChainParams, ChainState, SubmitResult
from edu_chain.errors import BlockValidationError, NodeError, TxValidationError
from edu_chain.hashing import display_hex
from edu_chain.keys import PrivateKey
from edu_chain.mempool import Mempool, MempoolEntry
from edu_chain.node.faucet import Faucet
from edu_chain.node.miner import Miner
from edu_chain.node.p2p import LocalNode, PeerManager
from edu_chain.node.state import NodeState, parse_address
from edu_chain.tx import COIN, Transaction
from edu_chain.wallet import Wallet

log = logging.getLogger(__name__)

RefusalListener = Callable[[Transaction, TxValidationError, str | None], None]
"""``listener(tx, error, origin)``: told of every transaction the mempool refused."""

NETWORKS: dict[str, Callable[[], ChainParams]] = {
    "regtest": ChainParams.edu_regtest,
    "unittest": ChainParams.for_tests,
}
NETWORK_ALIASES = {"edu-regtest": "regtest", "unit-test": "unittest", "test": "unittest"}

CHAIN_FILE = "chain.sqlite"
WALLET_FILE = "wallet.json"
INFO_FILE = "node.json"


def network_params(network: str) -> ChainParams:
    """``"regtest"`` or ``"unittest"`` (or the chain names) -> the chain's parameters."""
    name = NETWORK_ALIASES.get(network, network)
    if name not in NETWORKS:
        raise NodeError(f"unknown network {network!r}; choose one of {', '.join(NETWORKS)}")
    return NETWORKS[name]()


def is_loopback(host: str) -> bool:
    """True if ``host`` (as given to ``--host``) is reachable only from this machine: then
    control calls need no token.  Any other address or host name is treated as reachable."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:  # a host name other than localhost
        return False


def host_port(host: str, port: int) -> str:
    """``host:port`` as peers and URLs write it: an IPv6 address goes in brackets."""
    return f"[{host}]:{port}" if ":" in host and not host.startswith("[") else f"{host}:{port}"


@dataclass(frozen=True)
class NodeConfig:
    """Everything ``educhain node`` can be told.  Amounts are in base units."""

    data_dir: Path | None = None  # None: in memory (unit tests)
    network: str = "regtest"
    host: str = "127.0.0.1"
    port: int = 8332
    name: str | None = None  # shown in the explorer; default "node-PORT"
    token: str | None = None  # required for state-changing calls; default: random off-loopback
    peers: tuple[str, ...] = ()
    mine: bool = False  # start continuous mining at once
    mining_address: str | None = None  # default: the node wallet's address
    threads: int | None = None  # miner threads (Numba backend); None: every core
    backend: str | None = None  # miner backend; None: "python" on unittest, else "auto"
    mine_interval: float | None = None  # pause between continuously mined blocks
    faucet_amount: int = 10 * COIN
    faucet_max: int = 50 * COIN
    faucet_per_address: tuple[int, float] = (1, 60.0)  # (requests, per seconds)
    faucet_per_ip: tuple[int, float] = (10, 60.0)
    sync_interval: float = 2.0  # seconds between checks of each peer's tip
    peer_timeout: float = 5.0
    max_peers: int = 32  # a classroom host serves a whole room (one peer per laptop)


class Node:
    """A full node: see the module docstring.  ``start()`` the threads, ``stop()`` them."""

    def __init__(
        self, config: NodeConfig | None = None, *, clock: Callable[[], float] | None = None
    ) -> None:
        self.config = config = config or NodeConfig()
        self.params = network_params(config.network)
        self.simulated_time = self.params.name == "unit-test"
        self._real_clock = clock or time.time
        self._newest_timestamp = self.params.genesis_timestamp
        self.started_at = time.time()
        self.port = config.port  # the real port once the server is up (config may say 0)
        self.chain = self._open_chain()
        self._newest_timestamp = max(e.timestamp for e in self.chain.index.values())
        self.mempool = Mempool(self.chain)
        self.state = NodeState(self.params, self.chain, self.mempool)
        self.lock = self.state.lock  # one lock for chain + mempool (the mempool shares it too)
        try:
            self.wallet = self._open_wallet()
        except Exception:
            self.chain.close()
            raise
        self.token = config.token
        if self.token is None and not is_loopback(config.host):
            self.token = secrets.token_urlsafe(18)
        self.faucet = Faucet(
            self.state,
            self.wallet,
            submit_tx=self.submit_tx,
            amount=config.faucet_amount,
            max_amount=config.faucet_max,
            per_address=config.faucet_per_address,
            per_ip=config.faucet_per_ip,
        )
        self._readded: list[Transaction] = []
        self._refusal_listeners: list[RefusalListener] = []
        self.chain.subscribe(self._on_chain_event)
        payout = config.mining_address or self.wallet.address
        self.miner = Miner(
            self.state,
            submit_block=self.submit_block,
            template_timestamp=self.template_timestamp,
            tag=lambda: self.name,
            script_pubkey=parse_address(payout),
            backend=config.backend or ("python" if self.simulated_time else "auto"),
            threads=config.threads,
            interval=config.mine_interval
            if config.mine_interval is not None
            else (0.5 if self.simulated_time else 0.0),
        )
        self.mining_address = payout
        self.peers = self.peer_manager()

    # --- set-up ---------------------------------------------------------------------------

    def _open_chain(self) -> ChainState:
        """The chain database, ``DATA_DIR/chain.sqlite`` (created with its folder if new)."""
        if self.config.data_dir is None:
            return ChainState(self.params, ":memory:", clock=self.clock)
        data_dir = Path(self.config.data_dir)
        try:
            data_dir.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise NodeError(
                f"cannot use {data_dir} as the node's data dir: {exc.strerror or exc}; "
                "pass --data-dir with a folder you can write to"
            ) from None
        path = data_dir / CHAIN_FILE
        try:
            return ChainState(self.params, path, clock=self.clock)
        except (OSError, sqlite3.Error) as exc:  # unreadable, not a file, not a database
            raise NodeError(f"cannot open the chain database {path}: {exc}") from None

    def _open_wallet(self) -> Wallet:
        if self.config.data_dir is None:
            return Wallet(Path(WALLET_FILE), [PrivateKey.generate()])
        path = Path(self.config.data_dir) / WALLET_FILE
        if path.exists():
            return Wallet.load(path)  # WalletError says what is wrong with the file
        try:
            return Wallet.create(path)
        except OSError as exc:
            raise NodeError(f"cannot create the node wallet {path}: {exc}") from None

    def clock(self) -> float:
        """The time the chain rules see (see "Networks" in the module docstring)."""
        now = self._real_clock()
        if self.simulated_time:
            return max(now, self._newest_timestamp + self.params.target_spacing)
        return now

    def template_timestamp(self) -> int | None:
        """Timestamp for the next block: None (the clock) on regtest, parent + spacing on
        unittest."""
        if self.simulated_time:
            return self.chain.tip.timestamp + self.params.target_spacing
        return None

    @property
    def name(self) -> str:
        return self.config.name or f"node-{self.port}"

    @property
    def self_address(self) -> str:
        """The ``host:port`` peers reach us at (sent in hello and announcements)."""
        return host_port(self.config.host, self.port)

    def peer_manager(self, **options: Any) -> PeerManager:
        """A :class:`PeerManager` for this node (``options``: ``transport``, ``timeout``,
        ``sync_interval``; the config's by default).  Tests swap ``node.peers`` for one
        speaking to an in-process app."""
        options.setdefault("timeout", self.config.peer_timeout)
        options.setdefault("sync_interval", self.config.sync_interval)
        options.setdefault("max_peers", self.config.max_peers)
        local = LocalNode(
            state=self.state,
            address=lambda: self.self_address,
            name=lambda: self.name,
            submit_block=self.submit_block,
            submit_tx=self.submit_tx,
        )
        return PeerManager(local, **options)

    def start(self) -> None:
        """Start the peer threads (connecting to ``config.peers``) and, if asked, mining."""
        self.peers.start()
        for address in self.config.peers:
            try:
                self.peers.add(address)
            except NodeError as exc:
                log.warning("peer %s not added: %s", address, exc)
        self.miner.start(enabled=self.config.mine)

    def stop(self) -> None:
        """Stop mining and peers, then close the database.  Safe to call twice."""
        self.miner.stop()
        self.peers.stop()
        with self.lock:
            self.chain.close()

    # --- parsing helpers ------------------------------------------------------------------

    parse_address = staticmethod(parse_address)

    # --- chain events ---------------------------------------------------------------------

    def _on_chain_event(self, event: ChainEvent) -> None:
        if event.kind == "block_accepted":
            self._newest_timestamp = max(self._newest_timestamp, event.entry.timestamp)
        elif event.kind == "block_disconnected" and event.block is not None:
            self._readded.extend(event.block.transactions[1:])
        elif event.kind == "tip_changed":
            self.miner.tip_changed()

    # --- accepting blocks and transactions -------------------------------------------------

    def submit_block(
        self, block: Block, *, source: str | None = None, relay: bool = True
    ) -> tuple[str, SubmitResult | None]:
        """Validate and store a block; returns ``(result, SubmitResult)``.

        ``result`` is ``"accepted"`` (stored; on the active chain or a side branch),
        ``"reorg"`` (the active chain switched branches), ``"orphan"`` (the parent is unknown:
        peers are asked for it) or ``"duplicate"``.  Invalid blocks raise
        :class:`~edu_chain.errors.BlockValidationError`.  New blocks are announced to every
        peer but ``source``.
        """
        with self.lock:
            self._readded = []
            try:
                submitted = self.chain.submit_block(block)
            except BlockValidationError as exc:
                if exc.code == "duplicate":
                    return "duplicate", None
                raise
            readded = [tx for tx in self._readded if tx.txid in self.mempool]
            self._readded = []
        if submitted.status == "orphan":
            if source is not None:
                self.peers.request_sync(source)
            else:
                self.peers.request_sync_all()
            return "orphan", submitted
        if relay:
            self.peers.broadcast_block(block, exclude=source)
        for tx in readded:  # a reorg put these back in the mempool: tell the other side
            self.peers.broadcast_tx(tx)
        return ("reorg" if submitted.reorg else "accepted"), submitted

    def submit_tx(
        self,
        tx: Transaction,
        *,
        source: str | None = None,
        relay: bool = True,
        origin: str | None = None,
    ) -> MempoolEntry:
        """Validate ``tx`` into the mempool (raises TxValidationError) and relay it.

        ``source`` is the peer it came from (not relayed back there); ``origin`` says who
        sent it, for the refusal listeners (the HTTP client's IP address, or the peer).
        """
        with self.lock:
            try:
                entry = self.mempool.accept(tx)
            except TxValidationError as exc:
                refused = exc
            else:
                refused = None
        if refused is not None:
            self._tell_refused(tx, refused, origin or source)
            raise refused
        if relay:
            self.peers.broadcast_tx(tx, exclude=source)
        return entry

    def on_tx_refused(self, listener: RefusalListener) -> None:
        """Call ``listener(tx, error, origin)`` after each refusal of :meth:`submit_tx`
        (outside the node lock).  The mempool knows nothing of it: features above the node
        (the classroom's "refused, then mined" challenge) keep their own record."""
        self._refusal_listeners.append(listener)

    def _tell_refused(self, tx: Transaction, error: TxValidationError, origin: str | None) -> None:
        for listener in list(self._refusal_listeners):
            try:
                listener(tx, error, origin)
            except Exception:  # a listener's bug must not change what the sender is told
                log.exception("refusal listener %r failed", listener)

    # --- summaries ------------------------------------------------------------------------

    def tip_info(self) -> dict:
        return self.state.tip_info()

    def info(self) -> dict:
        with self.lock:
            tip = self.tip_info()
            mempool_size = len(self.mempool)
        params = self.params
        return {
            "name": self.name,
            "version": __version__,
            "network": {
                "name": params.name,
                "genesis_hash": display_hex(params.genesis_hash),
                "target_spacing": params.target_spacing,
                "retarget_interval": params.retarget_interval,
                "coinbase_maturity": params.coinbase_maturity,
                "initial_subsidy": params.initial_subsidy,
                "halving_interval": params.halving_interval,
                "pow_limit_bits": f"{params.pow_limit_bits:08x}",
                "simulated_time": self.simulated_time,
            },
            "tip": tip,
            "mempool_size": mempool_size,
            "mining": self.miner.status(),
            "peer_count": len(self.peers.addresses()),
            "wallet_address": self.wallet.address,
            "token_required": self.token is not None,
            "uptime": round(time.time() - self.started_at, 1),
        }


__all__ = ["Node", "NodeConfig", "network_params"]
