"""One HTTP client for the node's API: what the wallet CLI, the testnet, peers and tests call.

:class:`NodeClient` speaks the JSON API of :mod:`edu_chain.node.api` (one method per route)
and turns every way a call can fail into one exception tree, so callers catch one thing::

    NodeClientError (NodeError)       code, message, status (None: no HTTP answer)
     +-- NodeUnreachableError         no answer: refused, timed out, DNS ("node-unreachable")
     +-- NodeRefusedError             a 4xx/5xx reply: the node's own ``{"error": {code,
     |                                message}}`` (``bad-txns-...``, ``faucet-empty``...)
     +-- NodeReplyError               an answer that is not the JSON the API promises
                                      ("bad-node-reply"): not JSON, a missing field...

Replies are checked before they are returned: the small replies the callers compute with
(the tip, a mined batch, an accepted transaction, an address's coins) come back as typed
values whose fields have the promised types; the rich views (a block, a transaction, the fork
tree, statistics) come back as the JSON objects the node sent (see :mod:`edu_chain.node.views`).

>>> with NodeClient("http://127.0.0.1:8332") as node:   # doctest: +SKIP
...     node.mine(2)
...     node.tip().height
2

``transport`` (an ``httpx`` transport) lets tests point the client at an in-process app
(``TestClient(app)._transport``) or an ``httpx.MockTransport``; ``http`` lets several clients
share one connection pool (the peer manager keeps one client per peer over one pool).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import httpx

from edu_chain.chain.params import ChainParams
from edu_chain.errors import EduChainError, NodeError
from edu_chain.hashing import from_display_hex
from edu_chain.tx import OutPoint, TxOut

DEFAULT_TIMEOUT = 10.0
TOKEN_HEADER = "X-EduChain-Token"


# --- errors ----------------------------------------------------------------------------------


class NodeClientError(NodeError):
    """A call to a node failed.  ``code`` is stable, ``status`` the HTTP status (or None)."""

    def __init__(self, code: str, message: str, *, status: int | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.status = status


class NodeUnreachableError(NodeClientError):
    """No node answered at the URL (connection refused, timeout, unknown host)."""


class NodeRefusedError(NodeClientError):
    """The node answered 4xx/5xx; ``code`` and ``message`` are the node's own."""


class NodeReplyError(NodeClientError):
    """The node answered, but not with the JSON the API promises."""


# --- typed replies ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Tip:
    """``GET /api/tip``: the active chain's tip.  ``chainwork`` as an integer."""

    height: int
    hash: str  # displayed hex
    chainwork: int

    def to_dict(self) -> dict[str, Any]:
        """The JSON shape the node sends (``chainwork`` as hex without ``0x``)."""
        return {"height": self.height, "hash": self.hash, "chainwork": f"{self.chainwork:x}"}


@dataclass(frozen=True)
class Mined:
    """``POST /api/mine``: the new blocks' hashes (oldest first) and the tip after them."""

    blocks: list[str]
    address: str
    tip: Tip


@dataclass(frozen=True)
class TxAccepted:
    """``POST /api/tx`` and ``POST /api/faucet``: the accepted transaction."""

    txid: str
    fee: int | None = None
    size: int | None = None
    amount: int | None = None  # faucet only


@dataclass(frozen=True)
class AddressCoins:
    """``GET /api/address/{address}``: the balance and the coins a wallet may spend now
    (immature coinbases and outputs already spent by a mempool transaction left out)."""

    address: str
    balance: int
    spendable: dict[OutPoint, TxOut]
    raw: dict[str, Any]  # the whole reply (utxos with their flags, unconfirmed_delta...)


# --- the client ------------------------------------------------------------------------------


class NodeClient:
    """The node at ``url`` (``http://host:port``); see the module docstring."""

    def __init__(
        self,
        url: str,
        *,
        timeout: float = DEFAULT_TIMEOUT,
        token: str | None = None,
        transport: httpx.BaseTransport | None = None,
        http: httpx.Client | None = None,
    ) -> None:
        self.url = url.rstrip("/")
        self.token = token
        self._owns_http = http is None
        self._http = http or httpx.Client(timeout=timeout, transport=transport)

    def __repr__(self) -> str:
        return f"NodeClient({self.url!r})"

    def close(self) -> None:
        if self._owns_http:
            self._http.close()

    def __enter__(self) -> NodeClient:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # --- one call ------------------------------------------------------------------------

    def request(
        self,
        method: str,
        path: str,
        *,
        json: Any = None,
        params: dict[str, Any] | None = None,
        timeout: float | None = None,
    ) -> dict[str, Any]:
        """One call; the reply's JSON object, or a :class:`NodeClientError`."""
        headers = {TOKEN_HEADER: self.token} if self.token else None
        extra = {} if timeout is None else {"timeout": timeout}
        where = f"{method} {path}"
        try:
            response = self._http.request(
                method, self.url + path, json=json, params=params, headers=headers, **extra
            )
        except httpx.HTTPError as error:  # transport errors, timeouts, bad URLs
            raise NodeUnreachableError(
                "node-unreachable",
                f"no node answered at {self.url} ({type(error).__name__}: {error})",
            ) from None
        try:
            body = response.json()
        except ValueError:
            body = None
        if response.status_code >= 400:
            detail = body.get("error") if isinstance(body, dict) else None
            if isinstance(detail, dict):
                code = str(detail.get("code", "http-error"))
                reason = f"{code}: {detail.get('message', '')}"
            else:
                code, reason = "http-error", response.text[:200]
            raise NodeRefusedError(
                code,
                f"the node refused ({response.status_code}) {where}: {reason}",
                status=response.status_code,
            )
        if not isinstance(body, dict):
            raise NodeReplyError(
                "bad-node-reply",
                f"the node sent a non-JSON-object reply to {where} ({response.status_code})",
                status=response.status_code,
            )
        return body

    def get(self, path: str, **params: Any) -> dict[str, Any]:
        """``GET path`` (query parameters as keywords; None values left out)."""
        query = {k: v for k, v in params.items() if v is not None}
        return self.request("GET", path, params=query or None)

    def post(self, path: str, payload: Any = None) -> dict[str, Any]:
        return self.request("POST", path, json=payload)

    # --- the chain -----------------------------------------------------------------------

    def tip(self) -> Tip:
        return _tip(self.get("/api/tip"), "GET /api/tip")

    def info(self) -> dict[str, Any]:
        """Name, version, network parameters, mining status, peer count, wallet address."""
        return self.get("/api/info")

    def chain_params(self) -> ChainParams:
        """The rules of the node's chain (its preset, by the name ``/api/info`` gives);
        ValueError for a chain this library has no preset for."""
        network = self.info().get("network")
        name = network.get("name") if isinstance(network, dict) else None
        return ChainParams.by_name(str(name))

    def block(self, block_hash: str) -> dict[str, Any]:
        """A block by its displayed hash: header fields, height, confirmations, txs."""
        return self.get(f"/api/blocks/{block_hash}")

    def block_raw(self, block_hash: str) -> bytes:
        reply = self.get(f"/api/blocks/{block_hash}/raw")
        return _field(reply, "hex", str, "GET /api/blocks/{hash}/raw", convert=_hex_bytes)

    def blocks(self, limit: int = 20, before_height: int | None = None) -> list[dict[str, Any]]:
        """Recent active-chain blocks, newest first."""
        reply = self.get("/api/blocks", limit=limit, before_height=before_height)
        return _field(reply, "blocks", list, "GET /api/blocks")

    def hash_at(self, height: int) -> str:
        """The active chain's block hash at ``height``."""
        return _field(self.get(f"/api/height/{height}"), "hash", str, "GET /api/height")

    def tx(self, txid: str) -> dict[str, Any]:
        """A transaction in the mempool or on the active chain (``status``, ``block_height``)."""
        return self.get(f"/api/tx/{txid}")

    def forks(self) -> dict[str, Any]:
        """Every block the node knows: ``{"tip", "stale_tips", "blocks"}``."""
        return self.get("/api/forks")

    def stats(self, window: int = 100) -> list[dict[str, Any]]:
        """Per-block series (timestamp, bits, difficulty, interval, work...), oldest first."""
        return _field(self.get("/api/stats", window=window), "blocks", list, "GET /api/stats")

    def headers(self, locator: Sequence[str] = (), limit: int = 500) -> list[str]:
        """Active-chain hashes after the first locator hash the node shares."""
        reply = self.get("/api/headers", locator=",".join(locator) or None, limit=limit)
        return _field(reply, "hashes", list, "GET /api/headers")

    # --- transactions and coins ----------------------------------------------------------

    def mempool(self) -> dict[str, Any]:
        """``{"count", "bytes", "transactions": [...]}``, highest fee rate first."""
        return self.get("/api/mempool")

    def mempool_txids(self) -> set[str]:
        entries = _field(self.mempool(), "transactions", list, "GET /api/mempool")
        return {entry["txid"] for entry in entries if isinstance(entry, dict) and "txid" in entry}

    def submit_tx(self, tx_hex: str) -> TxAccepted:
        """``POST /api/tx``; a rejected transaction raises NodeRefusedError with its code."""
        reply = self.post("/api/tx", {"hex": tx_hex})
        return TxAccepted(
            txid=_field(reply, "txid", str, "POST /api/tx"),
            fee=_optional_int(reply, "fee"),
            size=_optional_int(reply, "size"),
        )

    def submit_block(self, block_hex: str) -> dict[str, Any]:
        """``POST /api/blocks``: ``{"result": accepted|reorg|orphan|duplicate, ...}``."""
        return self.post("/api/blocks", {"hex": block_hex})

    def address(self, address: str) -> dict[str, Any]:
        """``GET /api/address/{address}`` as the node sent it."""
        return self.get(f"/api/address/{address}")

    def coins(self, address: str, script_pubkey: bytes) -> AddressCoins:
        """The balance of ``address`` and the coins its wallet may spend now.

        ``script_pubkey`` is the address's (the caller has decoded it; the outputs are
        rebuilt as :class:`TxOut` locked by it).  Each utxo entry is ``{"txid", "index",
        "amount"}`` (``"vout"`` may replace index, ``"outpoint": "txid:index"`` both);
        ``"spendable": false`` and a ``"spent_in_mempool"`` txid exclude it.
        """
        reply = self.address(address)
        spendable: dict[OutPoint, TxOut] = {}
        try:
            entries = reply.get("utxos", [])
            if not isinstance(entries, list) or not all(isinstance(e, dict) for e in entries):
                raise TypeError(f"utxos must be a list of objects, got {entries!r:.80}")
            for entry in entries:
                if entry.get("spendable", True) is False or entry.get("spent_in_mempool"):
                    continue
                if "txid" in entry:
                    txid = entry["txid"]
                    index = entry["index"] if "index" in entry else entry["vout"]
                else:  # "outpoint": "txid:index", as OutPoint.__str__ writes it
                    txid, index = entry["outpoint"].rsplit(":", 1)
                outpoint = OutPoint(from_display_hex(txid), int(index))
                spendable[outpoint] = TxOut(int(entry["amount"]), script_pubkey)
            balance = int(reply.get("balance", sum(out.amount for out in spendable.values())))
        except (AttributeError, KeyError, TypeError, ValueError, EduChainError) as error:
            raise NodeReplyError(
                "bad-node-reply", f"the node's reply for {address} is malformed: {error!r}"
            ) from None
        return AddressCoins(address, balance, spendable, reply)

    def faucet(self, address: str, amount: int | None = None) -> TxAccepted:
        """``POST /api/faucet``: coins from the node's wallet (rate-limited)."""
        payload: dict[str, Any] = {"address": address}
        if amount is not None:
            payload["amount"] = amount
        reply = self.post("/api/faucet", payload)
        return TxAccepted(
            txid=_field(reply, "txid", str, "POST /api/faucet"),
            amount=_optional_int(reply, "amount"),
        )

    # --- mining --------------------------------------------------------------------------

    def mine(
        self, count: int = 1, address: str | None = None, transactions: Sequence[str] = ()
    ) -> Mined:
        """Mine ``count`` blocks now, paying ``address`` (default: the node's wallet); the
        first block holds exactly ``transactions`` (raw hex) when given."""
        payload: dict[str, Any] = {"count": count}
        if address is not None:
            payload["address"] = address
        if transactions:
            payload["transactions"] = list(transactions)
        reply = self.post("/api/mine", payload)
        where = "POST /api/mine"
        return Mined(
            blocks=[str(h) for h in _field(reply, "blocks", list, where)],
            address=str(reply.get("address", address or "")),
            tip=_tip(_field(reply, "tip", dict, where), where),
        )

    def set_mining(
        self, *, enabled: bool | None = None, threads: int | None = None, address: str | None = None
    ) -> dict[str, Any]:
        """``POST /api/mining``: start/pause continuous mining; returns the miner's status."""
        payload = {"enabled": enabled, "threads": threads, "address": address}
        return self.post("/api/mining", {k: v for k, v in payload.items() if v is not None})

    # --- peers ---------------------------------------------------------------------------

    def peers(self) -> list[dict[str, Any]]:
        return _field(self.get("/api/peers"), "peers", list, "GET /api/peers")

    def peer_addresses(self) -> list[str]:
        return [str(p.get("address")) for p in self.peers() if isinstance(p, dict)]

    def add_peer(self, address: str) -> dict[str, Any]:
        """Connect to ``host:port``; it connects back (hello) and both sync."""
        return self.post("/api/peers", {"address": address})

    def remove_peer(self, address: str) -> dict[str, Any]:
        """Disconnect from a peer (and ask it to forget us); NodeRefusedError 404 if unknown."""
        return self.request("DELETE", f"/api/peers/{address}")

    # --- the peer protocol (edu_chain.node.p2p) ------------------------------------------

    def hello(self, address: str, network: str) -> dict[str, Any]:
        return self.post("/p2p/hello", {"address": address, "network": network})

    def bye(self, address: str, *, timeout: float | None = None) -> dict[str, Any]:
        return self.request("POST", "/p2p/bye", json={"address": address}, timeout=timeout)

    def announce(
        self, sender: str, blocks: Iterable[str] = (), txs: Iterable[str] = ()
    ) -> dict[str, Any]:
        return self.post(
            "/p2p/announce", {"from": sender, "blocks": list(blocks), "txs": list(txs)}
        )

    def getblocks(self, locator: Sequence[str], limit: int) -> list[str]:
        """Raw hex of the node's active-chain blocks after the locator's fork point."""
        reply = self.post("/p2p/getblocks", {"locator": list(locator), "limit": limit})
        blocks = reply.get("blocks")
        return blocks if isinstance(blocks, list) else []


# --- checking replies --------------------------------------------------------------------------


def _field(reply: dict[str, Any], name: str, kind: type, where: str, convert: Any = None) -> Any:
    value = reply.get(name)
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        raise NodeReplyError(
            "bad-node-reply",
            f"{where}: expected {name!r} to be {kind.__name__}, got {value!r:.80}",
        )
    if convert is None:
        return value
    try:
        return convert(value)
    except ValueError as error:
        raise NodeReplyError("bad-node-reply", f"{where}: bad {name!r}: {error}") from None


def _optional_int(reply: dict[str, Any], name: str) -> int | None:
    value = reply.get(name)
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _hex_bytes(text: str) -> bytes:
    return bytes.fromhex(text)


def _hash_hex(text: str) -> str:
    if len(text) != 64:
        raise ValueError(f"a block hash is 64 hex digits, got {len(text)}")
    bytes.fromhex(text)
    return text.lower()


def _tip(reply: dict[str, Any], where: str) -> Tip:
    return Tip(
        height=_field(reply, "height", int, where),
        hash=_field(reply, "hash", str, where, convert=_hash_hex),
        chainwork=_field(reply, "chainwork", str, where, convert=lambda text: int(text, 16)),
    )


__all__ = [
    "AddressCoins",
    "Mined",
    "NodeClient",
    "NodeClientError",
    "NodeRefusedError",
    "NodeReplyError",
    "NodeUnreachableError",
    "Tip",
    "TxAccepted",
]
