"""Peer-to-peer over HTTP: gossip new blocks and transactions, sync missing blocks.

Bitcoin nodes speak a binary protocol over TCP (``inv``/``getdata``/``getheaders``/``block``
messages).  Our nodes already run an HTTP server, so they speak JSON over HTTP instead; the
ideas are the same.  This module holds both halves of the protocol: the client side
(:class:`PeerManager`, which talks to peers through :class:`~edu_chain.node.client.NodeClient`)
and the server side (``router``, the endpoints a node serves to its peers):

``POST /p2p/hello {"address": "host:port", "network": name}``
    "I am a node at this address, on this chain; talk to me too."  The receiver adds the
    sender as a peer (``inbound``) and both sides sync with each other.  A peer on another
    chain is refused with ``wrong-network``.
``POST /p2p/bye {"address": "host:port"}``
    The sender disconnected; the receiver forgets it (``DELETE /api/peers/...`` sends it).
``POST /p2p/announce {"from": "host:port", "blocks": [hex...], "txs": [hex...]}``
    Gossip: new blocks and transactions, whole (they are small).  The receiver validates
    each; what is new it announces to its other peers, so news floods the network and stops
    where it is already known (a second copy is a ``duplicate``).  A block whose parent is
    unknown becomes an *orphan* and makes the receiver sync from the sender.
``POST /p2p/getblocks {"locator": [hash...], "limit": n}``
    Sync: "here is my chain (a *block locator*: the tip, then hashes further and further back,
    as ``ChainState.block_locator()`` builds it); send me your active-chain blocks after the
    last one we share."  The reply is ``{"blocks": [hex...], "tip": {...}}``, oldest first.
    ``GET /api/headers?locator=h1,h2&limit=n`` answers the same question with hashes only.

Each peer has a worker thread that (1) sends the hello, (2) sends queued announcements in
batches, and (3) every ``sync_interval`` seconds asks ``GET /api/tip``: if the peer's chain has
more work than ours (or we hold orphans), it syncs with ``getblocks`` until it has the peer's
chain.  That one loop does initial sync, catch-up after a partition heals, and fetching
orphan parents.  Blocks fetched in a sync are not re-gossiped one by one; at the end the new
tip is announced once, and peers that miss its ancestors sync from us in turn.

A bad peer never crashes the node: every reply is parsed defensively, HTTP calls have
timeouts, failures back off exponentially (1 s doubling up to 30 s), and an announcement
that cannot be delivered is dropped (sync repairs missed blocks; transactions are best effort,
as in Bitcoin).  Queues are bounded.
"""

from __future__ import annotations

import logging
import re
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Any

import httpx
from fastapi import APIRouter, Depends, Query, Request

from edu_chain.block import Block
from edu_chain.chain.state import parse_block
from edu_chain.encoding import parse_hex
from edu_chain.errors import EduChainError, NodeError, ValidationError
from edu_chain.hashing import display_hex, from_display_hex
from edu_chain.node.api_models import (
    HASH_PATTERN,
    AnnounceBody,
    GetBlocksBody,
    HelloBody,
    PeerBody,
    error_responses,
)
from edu_chain.node.client import NodeClient, NodeClientError
from edu_chain.node.state import NodeState
from edu_chain.tx import Transaction

log = logging.getLogger(__name__)

MAX_PEERS = 32
MAX_QUEUE = 5_000  # announcements waiting for one peer
BATCH_BYTES = 1_000_000  # hex characters per announce request (under the body limit)
SYNC_BATCH = 250  # blocks per getblocks request
SYNC_MAX_BYTES = 4_000_000  # raw bytes per getblocks reply
MAX_BACKOFF = 30.0
INBOUND_MAX_FAILURES = 8  # an inbound peer failing this often in a row is forgotten

_ADDRESS = re.compile(
    r"^(?P<host>[A-Za-z0-9.\-]{1,253}|\[[0-9A-Fa-f:.]{2,45}\]):(?P<port>\d{1,5})$"
)


def parse_peer_address(address: object) -> str:
    """Check ``"host:port"`` and return it normalised; NodeError (code ``bad-peer-address``)."""
    if not isinstance(address, str):
        raise PeerError("bad-peer-address", "a peer address must be a string 'host:port'")
    text = address.strip().removeprefix("http://").removesuffix("/")
    match = _ADDRESS.match(text)
    if match is None or not 1 <= int(match["port"]) <= 65535:
        raise PeerError(
            "bad-peer-address",
            f"{address[:100]!r} is not 'host:port' (example: 127.0.0.1:8333)",
        )
    return f"{match['host'].lower()}:{int(match['port'])}"


class PeerError(NodeError):
    """A peer operation failed; ``code`` is stable (``bad-peer-address``, ``wrong-network``...)."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message


class Peer:
    """What we know about one peer, and the queue of announcements for it."""

    def __init__(self, address: str, *, inbound: bool, client: NodeClient) -> None:
        self.address = address
        self.url = f"http://{address}"
        self.client = client  # shares the peer manager's connection pool
        self.inbound = inbound
        self.connected_at = time.time()
        self.hello_done = inbound  # an inbound peer already said hello to us
        self.queue: deque[tuple[str, str]] = deque(maxlen=MAX_QUEUE)
        self.wake = threading.Event()
        self.sync_requested = True  # sync once right after connecting
        self.next_sync = 0.0
        self.failures = 0
        self.retry_at = 0.0
        self.last_seen: float | None = None
        self.last_error: str | None = None
        self.tip: dict | None = None
        self.sent = 0
        self.received = 0
        self.stopped = False
        self.thread: threading.Thread | None = None

    def to_dict(self) -> dict:
        return {
            "address": self.address,
            "url": self.url,
            "direction": "inbound" if self.inbound else "outbound",
            "connected_at": int(self.connected_at),
            "last_seen": None if self.last_seen is None else int(self.last_seen),
            "last_error": self.last_error,
            "failures": self.failures,
            "tip": self.tip,
            "queued": len(self.queue),
            "sent": self.sent,
            "received": self.received,
        }


@dataclass(frozen=True)
class LocalNode:
    """What the peer protocol needs from the node it runs in: its shared state and the
    actions that validate, store and relay (``submit_block(block, source=, relay=)`` ->
    ``(result, SubmitResult | None)``, ``submit_tx(tx, source=, relay=)``)."""

    state: NodeState
    address: Callable[[], str]  # our "host:port" as peers reach us (known once we listen)
    name: Callable[[], str]
    submit_block: Callable[..., tuple[str, Any]]
    submit_tx: Callable[..., Any]

    @property
    def self_address(self) -> str:
        return self.address()

    @property
    def params(self) -> Any:
        return self.state.params

    @property
    def chain(self) -> Any:
        return self.state.chain

    @property
    def mempool(self) -> Any:
        return self.state.mempool

    @property
    def lock(self) -> Any:
        return self.state.lock


class PeerManager:
    """The node's peers: one worker thread each (see the module docstring)."""

    def __init__(
        self,
        node: LocalNode,
        *,
        timeout: float = 5.0,
        sync_interval: float = 2.0,
        transport: httpx.BaseTransport | None = None,
        max_peers: int = MAX_PEERS,
    ) -> None:
        self.node = node
        self.max_peers = max_peers
        self.timeout = timeout
        self.sync_interval = sync_interval
        self._http = httpx.Client(timeout=timeout, transport=transport)
        self._peers: dict[str, Peer] = {}
        self._lock = threading.Lock()
        self._running = False

    # --- peer list ------------------------------------------------------------------------

    def start(self) -> None:
        self._running = True
        with self._lock:
            for peer in self._peers.values():
                self._spawn(peer)

    def stop(self) -> None:
        self._running = False
        with self._lock:
            peers = list(self._peers.values())
        for peer in peers:
            peer.stopped = True
            peer.wake.set()
        for peer in peers:
            if peer.thread is not None:
                peer.thread.join(timeout=self.timeout + 1)
        self._http.close()

    def addresses(self) -> list[str]:
        with self._lock:
            return list(self._peers)

    def to_list(self) -> list[dict]:
        with self._lock:
            return [peer.to_dict() for peer in self._peers.values()]

    def add(self, address: str, *, inbound: bool = False) -> Peer:
        """Connect to ``host:port`` (idempotent).  Outbound peers get a hello first."""
        address = parse_peer_address(address)
        if address == self.node.self_address:
            raise PeerError("peer-is-self", f"{address} is this node's own address")
        with self._lock:
            peer = self._peers.get(address)
            if peer is not None:
                peer.sync_requested = True
                peer.wake.set()
                return peer
            if len(self._peers) >= self.max_peers:
                raise PeerError("too-many-peers", f"this node keeps at most {self.max_peers} peers")
            peer = Peer(
                address, inbound=inbound, client=NodeClient(f"http://{address}", http=self._http)
            )
            self._peers[address] = peer
            if self._running:
                self._spawn(peer)
        self._queue_mempool(peer)
        log.info("peer %s added (%s)", address, "inbound" if inbound else "outbound")
        return peer

    def remove(self, address: str, *, tell_peer: bool = True) -> bool:
        """Disconnect; with ``tell_peer`` the peer is asked to forget us too."""
        address = parse_peer_address(address)
        with self._lock:
            peer = self._peers.pop(address, None)
        if peer is None:
            return False
        peer.stopped = True
        peer.wake.set()
        if tell_peer:
            try:
                peer.client.bye(self.node.self_address, timeout=2.0)
            except NodeClientError as exc:
                log.info("bye to %s failed: %s", address, exc)
        return True

    def _spawn(self, peer: Peer) -> None:
        peer.thread = threading.Thread(
            target=self._worker, args=(peer,), name=f"peer-{peer.address}", daemon=True
        )
        peer.thread.start()

    def _get(self, address: str | None) -> Peer | None:
        if address is None:
            return None
        with self._lock:
            return self._peers.get(address)

    # --- gossip ---------------------------------------------------------------------------

    def broadcast_block(self, block: Block, exclude: str | None = None) -> None:
        self._broadcast(("block", block.serialize().hex()), exclude)

    def broadcast_tx(self, tx: Transaction, exclude: str | None = None) -> None:
        self._broadcast(("tx", tx.serialize().hex()), exclude)

    def _broadcast(self, item: tuple[str, str], exclude: str | None) -> None:
        with self._lock:
            peers = [p for a, p in self._peers.items() if a != exclude]
        for peer in peers:
            peer.queue.append(item)
            peer.wake.set()

    def _queue_mempool(self, peer: Peer) -> None:
        """A new peer hears about every transaction waiting in our mempool, in arrival order
        (a parent always arrived before the child that spends it)."""
        with self.node.lock:
            txs = [entry.tx for entry in sorted(self.node.mempool, key=lambda e: e.sequence)]
        for tx in txs:
            peer.queue.append(("tx", tx.serialize().hex()))

    def request_sync(self, address: str) -> None:
        peer = self._get(address)
        if peer is not None:
            peer.sync_requested = True
            peer.wake.set()

    def request_sync_all(self) -> None:
        for address in self.addresses():
            self.request_sync(address)

    def note_received(self, address: str | None) -> None:
        peer = self._get(address)
        if peer is not None:
            peer.received += 1
            peer.last_seen = time.time()

    # --- the worker -----------------------------------------------------------------------

    def _worker(self, peer: Peer) -> None:
        while not peer.stopped:
            now = time.monotonic()
            if now < peer.retry_at:
                wait = peer.retry_at - now  # backing off after a failure
            elif peer.queue or peer.sync_requested or not peer.hello_done:
                wait = 0.0
            else:
                wait = max(0.0, peer.next_sync - now)
            if wait > 0:
                peer.wake.wait(timeout=wait)
            peer.wake.clear()
            if peer.stopped:
                break
            if time.monotonic() < peer.retry_at:
                continue
            try:
                self._step(peer)
            except (PeerError, ValueError, KeyError, TypeError) as exc:
                self._failed(peer, exc)
            except Exception as exc:  # a bug or a very strange peer: log, back off, go on
                log.exception("peer %s: unexpected error", peer.address)
                self._failed(peer, exc)

    def _failed(self, peer: Peer, exc: Exception) -> None:
        peer.failures += 1
        peer.last_error = f"{type(exc).__name__}: {exc}"[:300]
        peer.retry_at = time.monotonic() + min(MAX_BACKOFF, 0.5 * 2 ** min(peer.failures, 10))
        log.info("peer %s failed (%d): %s", peer.address, peer.failures, peer.last_error)
        if peer.inbound and peer.failures >= INBOUND_MAX_FAILURES:
            self.remove(peer.address, tell_peer=False)  # it went away; it may say hello again

    def _succeeded(self, peer: Peer) -> None:
        peer.failures = 0
        peer.retry_at = 0.0
        peer.last_error = None
        peer.last_seen = time.time()

    def _step(self, peer: Peer) -> None:
        if not peer.hello_done:
            self._hello(peer)
        self._send_queue(peer)
        if peer.sync_requested or time.monotonic() >= peer.next_sync:
            peer.sync_requested = False
            peer.next_sync = time.monotonic() + self.sync_interval
            self.sync_with(peer)
        self._succeeded(peer)

    @staticmethod
    def _call(peer: Peer, call: Callable[[NodeClient], Any]) -> Any:
        """One call to the peer; a failure of any kind becomes a :class:`PeerError` (the
        worker backs off on it) with the client's code (``node-unreachable``, the peer's
        own error code, ``bad-node-reply``)."""
        try:
            return call(peer.client)
        except NodeClientError as exc:
            raise PeerError(exc.code, f"peer {peer.address}: {exc.message}") from None

    def _hello(self, peer: Peer) -> None:
        node = self.node
        reply = self._call(peer, lambda c: c.hello(node.self_address, node.params.name))
        if reply.get("network") != self.node.params.name:
            raise PeerError(
                "wrong-network",
                f"peer {peer.address} is on {reply.get('network')!r}, we are on "
                f"{self.node.params.name!r}",
            )
        peer.hello_done = True

    def _send_queue(self, peer: Peer) -> None:
        while peer.queue and not peer.stopped:
            blocks: list[str] = []
            txs: list[str] = []
            size = 0
            while peer.queue and (size == 0 or size + len(peer.queue[0][1]) <= BATCH_BYTES):
                kind, payload = peer.queue.popleft()
                (blocks if kind == "block" else txs).append(payload)
                size += len(payload)
            sender = self.node.self_address
            self._call(peer, lambda c, b=blocks, t=txs, s=sender: c.announce(s, b, t))
            peer.sent += len(blocks) + len(txs)

    # --- sync -----------------------------------------------------------------------------

    def sync_with(self, peer: Peer) -> int:
        """Fetch the peer's chain if it has more work than ours; returns blocks received."""
        node = self.node
        tip = self._call(peer, NodeClient.tip)
        their_work = tip.chainwork
        their_hash = from_display_hex(tip.hash)
        peer.tip = {"height": tip.height, "hash": tip.hash}
        with node.lock:
            our_tip = node.chain.tip
            known = node.chain.get_entry(their_hash) is not None
            orphans_waiting = bool(node.chain.orphan_parents())
        if (their_work <= our_tip.chainwork or known) and not orphans_waiting:
            return 0
        received = 0
        last: bytes | None = None
        for _ in range(10_000 // SYNC_BATCH + 1):  # bounded: at most ~10,000 blocks per sync
            if peer.stopped:
                break
            with node.lock:
                locator = node.chain.block_locator()
            if last is not None:
                locator.insert(0, last)
            hashes = [display_hex(h) for h in locator]
            blocks = self._call(peer, lambda c, h=hashes: c.getblocks(h, SYNC_BATCH))
            if not blocks:
                break
            new_last = self._accept_synced(peer, blocks)
            received += len(blocks)
            if new_last is None or new_last == last or len(blocks) < SYNC_BATCH:
                break
            last = new_last
        if received:
            with node.lock:
                tip_block = node.chain.get_block(node.chain.tip.hash)
            if tip_block is not None and node.chain.tip.hash != our_tip.hash:
                self.broadcast_block(tip_block, exclude=peer.address)
            log.info("synced %d blocks from %s", received, peer.address)
        return received

    def _accept_synced(self, peer: Peer, blocks: list) -> bytes | None:
        last = None
        for raw_hex in blocks:
            try:
                block = parse_block(parse_hex(raw_hex, what="block hex"))
            except (ValidationError, TypeError) as exc:
                raise PeerError(
                    "bad-peer-block", f"peer {peer.address} sent a bad block: {exc}"
                ) from None
            try:
                self.node.submit_block(block, source=peer.address, relay=False)
            except EduChainError as exc:
                raise PeerError(
                    "bad-peer-block", f"peer {peer.address} sent an invalid block: {exc}"
                ) from None
            last = block.hash()
        return last

    # --- serving peers (called by the API) ------------------------------------------------

    def blocks_after(self, locator: list[bytes], limit: int) -> list[str]:
        """Raw hex of our active-chain blocks after the locator's fork point (getblocks)."""
        chain = self.node.chain
        with self.node.lock:
            hashes = chain.hashes_after(locator, limit)
            out: list[str] = []
            size = 0
            for block_hash in hashes:
                raw = chain.store.get_raw_block(block_hash)
                if raw is None:  # pragma: no cover - active blocks are always stored
                    break
                out.append(raw.hex())
                size += len(raw)
                if size >= SYNC_MAX_BYTES:
                    break
            return out

    def hello_received(self, address: str, network: str, client_host: str | None) -> dict:
        """``POST /p2p/hello``: add the sender (inbound) if it is on our chain."""
        ours = self.node.params.name
        if network != ours:
            raise PeerError("wrong-network", f"this node is on {ours!r}, the peer on {network!r}")
        address = parse_peer_address(address)
        host, port = address.rsplit(":", 1)
        if host in ("0.0.0.0", "[::]") and client_host is not None:
            address = f"{client_host}:{port}"  # it listens everywhere: reach it where it is
        self.add(address, inbound=True)
        return {"network": ours, "name": self.node.name(), "tip": self.node.state.tip_info()}

    def announcement_received(
        self, sender: str | None, blocks: list[Block], txs: list[Transaction]
    ) -> dict:
        """``POST /p2p/announce``: submit each block and transaction; each gets a result."""
        self.note_received(sender)
        results: dict[str, list] = {"blocks": [], "txs": []}
        for block in blocks:
            try:
                result, _ = self.node.submit_block(block, source=sender)
                results["blocks"].append({"hash": block.id, "result": result})
            except ValidationError as exc:
                results["blocks"].append({"hash": block.id, "result": "rejected", "code": exc.code})
        for tx in txs:
            try:
                self.node.submit_tx(tx, source=sender)
                results["txs"].append({"txid": tx.id, "result": "accepted"})
            except ValidationError as exc:
                results["txs"].append({"txid": tx.id, "result": "rejected", "code": exc.code})
        return results


# --- the server half: what a node serves to its peers ---------------------------------------

router = APIRouter(tags=["p2p"])


def _peers(request: Request) -> PeerManager:
    return request.app.state.node.peers


Peers = Annotated[PeerManager, Depends(_peers)]


LOCATOR_PATTERN = "^(?:" + HASH_PATTERN[1:-1] + "(?:," + HASH_PATTERN[1:-1] + ")*)?$"


@router.get("/api/headers", responses=error_responses(400))
def get_headers(
    peers: Peers,
    locator: Annotated[str, Query(max_length=200 * 65, pattern=LOCATOR_PATTERN)] = "",
    limit: Annotated[int, Query(ge=1, le=2_000)] = 500,
) -> dict:
    """Active-chain hashes after the first locator hash we share (comma-separated)."""
    hashes = [from_display_hex(h) for h in locator.split(",") if h]
    with peers.node.lock:
        after = peers.node.chain.hashes_after(hashes, limit)
    return {"hashes": [display_hex(h) for h in after]}


@router.post("/p2p/hello", responses=error_responses(400, 413))
def p2p_hello(body: HelloBody, request: Request, peers: Peers) -> dict:
    """A peer introduces itself; we add it (inbound) and sync with it."""
    client_host = request.client.host if request.client is not None else None
    return peers.hello_received(body.address, body.network, client_host)


@router.post("/p2p/bye", responses=error_responses(400, 413))
def p2p_bye(body: PeerBody, peers: Peers) -> dict:
    """A peer disconnected from us: forget it."""
    return {"removed": peers.remove(body.address, tell_peer=False)}


@router.post("/p2p/announce", responses=error_responses(400, 413))
def p2p_announce(body: AnnounceBody, peers: Peers) -> dict:
    """New blocks and transactions from a peer; each gets its own result.  All of them are
    parsed before any is submitted, so a malformed one changes nothing."""
    blocks = [parse_block(parse_hex(h, what="block hex")) for h in body.blocks]
    txs = [Transaction.parse(parse_hex(h, what="transaction hex")) for h in body.txs]
    return peers.announcement_received(body.sender, blocks, txs)


@router.post("/p2p/getblocks", responses=error_responses(400, 413))
def p2p_getblocks(body: GetBlocksBody, peers: Peers) -> dict:
    """Our active-chain blocks after the locator's fork point, oldest first."""
    locator = [from_display_hex(h) for h in body.locator]
    return {"blocks": peers.blocks_after(locator, body.limit), "tip": peers.node.state.tip_info()}
