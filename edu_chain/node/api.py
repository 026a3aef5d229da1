"""The node's HTTP API (DESIGN.md section 7): FastAPI routes over a :class:`Node`.

``create_app(node)`` returns the ASGI app; ``educhain node`` serves it with uvicorn.  The
OpenAPI description is at ``/openapi.json`` and browsable at ``/docs``.

Fixed endpoints (DESIGN.md section 7; instructors' scripts rely on them)::

    GET  /api/tip                      {"height", "hash", "chainwork"}
    GET  /api/blocks/{hash}            header fields, height, confirmations, txids, txs
    POST /api/mine     {"count", "address"?}       mine now (node wallet if no address)
    POST /api/tx       {"hex"}         -> {"txid"} or 400
    GET  /api/mempool
    GET  /api/address/{address}        balance and utxos
    POST /api/faucet   {"address", "amount"?}      rate-limited

Added for peers, the explorer and the testnet (issue 6)::

    POST /api/blocks   {"hex"}         -> {"result": accepted|reorg|orphan|duplicate, ...}
    GET  /api/blocks?limit=N&before_height=H        recent active blocks, newest first
    GET  /api/blocks/{hash}/raw        {"hex"}
    GET  /api/height/{h}               {"height", "hash"}
    GET  /api/tx/{txid}                inputs, outputs, fee, block or "mempool"
    GET  /api/forks                    every known block (the fork tree)
    GET  /api/stats?window=N           per-block difficulty, interval, hash-rate series
    GET  /api/info                     name, version, network, mining, peers
    GET  /api/peers, POST /api/peers {"address"}, DELETE /api/peers/{host:port}
    POST /api/mining {"enabled"?, "threads"?, "address"?}   start / pause mining
    GET  /api/headers?locator=h1,h2&limit=N                 sync: hashes after the fork
    POST /p2p/hello, /p2p/bye, /p2p/announce, /p2p/getblocks  (see edu_chain.node.p2p)

**Errors** are always JSON ``{"error": {"code": "...", "message": "..."}}`` with a 4xx status:
400 for malformed input (``invalid-request``, ``decode-*``) and for consensus rejections
(the rule's reason code: ``high-hash``, ``bad-txns-inputs-missingorspent``...), 401/403 for a
missing/wrong token, 404 for unknown blocks, transactions and routes, 409 for a faucet without
coins, 413 for a body over the size limit, 429 for the faucet's rate limit.  Malformed input is
rejected before anything changes.  The request bodies are in :mod:`edu_chain.node.api_models`,
the error handlers and the body limit in :mod:`edu_chain.node.api_errors`.

**Security.**  The node binds 127.0.0.1 by default.  When it binds another address it has a
token (printed at start), and state-changing control calls (mine, mining, faucet, peers) need
it as ``Authorization: Bearer <token>`` or ``X-EduChain-Token: <token>``.  Transactions and
blocks need no token: consensus rules, not a password, decide whether they are accepted.
Request bodies are limited (``max_body_bytes``, 2 MB or enough for the largest block).
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Iterable
from typing import Annotated

from fastapi import Depends, FastAPI, Path, Query, Request
from fastapi.responses import HTMLResponse

from edu_chain import __version__
from edu_chain.block import Block
from edu_chain.chain.index import BlockIndexEntry
from edu_chain.chain.state import parse_block
from edu_chain.encoding import parse_hex
from edu_chain.errors import ValidationError
from edu_chain.hashing import display_hex, from_display_hex
from edu_chain.node import explorer, views
from edu_chain.node.api_errors import ApiError as ApiError
from edu_chain.node.api_errors import BodySizeLimit as BodySizeLimit
from edu_chain.node.api_errors import error_response as error_response
from edu_chain.node.api_errors import install_error_handlers
from edu_chain.node.api_models import MAX_MINE_COUNT as MAX_MINE_COUNT
from edu_chain.node.api_models import (
    AnnounceBody,
    FaucetBody,
    GetBlocksBody,
    HelloBody,
    HexBody,
    MineBody,
    MiningBody,
    PeerBody,
)
from edu_chain.node.p2p import parse_peer_address
from edu_chain.node.service import Node
from edu_chain.teaching_tx import Transaction

log = logging.getLogger(__name__)

DEFAULT_BODY_LIMIT = 2 * 1024 * 1024
MAX_LIST = 1_000  # blocks per GET /api/blocks page, points per GET /api/stats

# The API page.  Swagger UI's files ship in the swagger-ui-bundle package and are served by
# the node itself, so /docs works in a classroom without internet and the browser fetches
# nothing from outside.  Without that package /docs lists the endpoints from /openapi.json.
DOCS_ASSETS = "/docs/assets"
OFFLINE_DOCS_HTML = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>edu_chain node API</title></head>
<body><div id="api"></div>
<script>
fetch("/openapi.json").then(r => r.json()).then(spec => {
  const root = document.getElementById("api");
  const add = (tag, text) => {
    const el = document.createElement(tag); el.textContent = text; root.appendChild(el);
  };
  add("h1", spec.info.title + " " + spec.info.version);
  add("p", "Machine-readable description: /openapi.json");
  for (const [path, operations] of Object.entries(spec.paths)) {
    for (const [method, op] of Object.entries(operations)) {
      add("h3", method.toUpperCase() + " " + path);
      add("p", op.description || op.summary || "");
    }
  }
});
</script>
</body></html>
"""


def _swagger_ui_dir() -> str | None:
    try:
        import swagger_ui_bundle
    except ImportError:
        return None
    return str(swagger_ui_bundle.swagger_ui_path)


def _install_docs(app: FastAPI) -> None:
    from fastapi.openapi.docs import get_swagger_ui_html
    from fastapi.staticfiles import StaticFiles

    assets = _swagger_ui_dir()
    if assets is not None:
        app.mount(DOCS_ASSETS, StaticFiles(directory=assets), name="docs-assets")

    @app.get("/docs", include_in_schema=False)
    def docs() -> HTMLResponse:
        """Swagger UI served from the node (no CDN); a plain list of endpoints without it."""
        if assets is None:
            return HTMLResponse(OFFLINE_DOCS_HTML)
        return get_swagger_ui_html(
            openapi_url="/openapi.json",
            title="edu_chain node API",
            swagger_js_url=f"{DOCS_ASSETS}/swagger-ui-bundle.js",
            swagger_css_url=f"{DOCS_ASSETS}/swagger-ui.css",
            swagger_favicon_url=f"{DOCS_ASSETS}/favicon-32x32.png",
        )


# --- the app ---------------------------------------------------------------------------------


def create_app(node: Node, *, max_body_bytes: int | None = None) -> FastAPI:
    """The FastAPI app serving ``node``; ``app.state.node`` is the node."""
    app = FastAPI(
        title="edu_chain node",
        version=__version__,
        description=__doc__.split("\n\n", 1)[0] + "\n\nSee DESIGN.md section 7.",
        docs_url=None,
    )

    _install_docs(app)
    app.state.node = node
    limit = max_body_bytes or max(DEFAULT_BODY_LIMIT, 2 * node.params.max_block_size + 65_536)
    install_error_handlers(app)

    def require_token(request: Request) -> None:
        if node.token is None:
            return
        given = request.headers.get("x-educhain-token")
        auth = request.headers.get("authorization", "")
        if given is None and auth.lower().startswith("bearer "):
            given = auth[7:].strip()
        if not given:
            raise ApiError(
                401,
                "token-required",
                "this node is reachable from the network, so this call needs the token it "
                "printed at start: header 'Authorization: Bearer <token>' or "
                "'X-EduChain-Token: <token>'",
            )
        if not secrets.compare_digest(given.encode(), node.token.encode()):
            raise ApiError(403, "bad-token", "the token does not match this node's token")

    control = [Depends(require_token)]

    # --- fixed endpoints -------------------------------------------------------------------

    @app.get("/api/tip", tags=["chain"])
    def get_tip() -> dict:
        """The active chain's tip: height, hash, chainwork (hex)."""
        return node.tip_info()

    @app.get("/api/blocks/{block_hash}", tags=["chain"])
    def get_block(block_hash: str) -> dict:
        """A block (active or stale) by its displayed hash."""
        with node.lock:
            entry, block = _find_block(node, block_hash)
            return views.block_json(node, entry, block)

    @app.post("/api/mine", tags=["control"], dependencies=control)
    def post_mine(body: MineBody | None = None) -> dict:
        """Mine ``count`` blocks now (paying ``address``, default the node's wallet)."""
        body = body or MineBody()
        pubkey_hash = None if body.address is None else node.parse_address(body.address)
        blocks = node.miner.mine_now(body.count, pubkey_hash)
        return {
            "blocks": [b.id for b in blocks],
            "count": len(blocks),
            "address": body.address or node.mining_address,
            "tip": node.tip_info(),
        }

    @app.post("/api/tx", tags=["transactions"])
    def post_tx(body: HexBody) -> dict:
        """Submit a raw transaction to the mempool; relayed to peers when accepted."""
        tx = Transaction.parse(parse_hex(body.hex, what="transaction hex"))
        entry = node.submit_tx(tx)
        return {"txid": tx.id, "fee": entry.fee, "size": entry.size}

    @app.get("/api/mempool", tags=["transactions"])
    def get_mempool() -> dict:
        """Transactions waiting for a block, highest fee rate first."""
        with node.lock:
            entries = node.mempool.to_list()
            total = node.mempool.total_bytes
        return {"count": len(entries), "bytes": total, "transactions": entries}

    @app.get("/api/address/{address}", tags=["wallet"])
    def get_address(address: str) -> dict:
        """Balance and unspent outputs of an address (``spendable`` false: immature)."""
        pubkey_hash = node.parse_address(address)
        with node.lock:
            return views.address_json(node, address, pubkey_hash)

    @app.post("/api/faucet", tags=["wallet"], dependencies=control)
    def post_faucet(body: FaucetBody, request: Request) -> dict:
        """Coins from the node's wallet (rate-limited per address and per client IP)."""
        client = request.client.host if request.client is not None else "unknown"
        tx = node.faucet.request(body.address, body.amount, client)
        amount = sum(o.amount for o in tx.outputs[:1])
        return {"txid": tx.id, "address": body.address, "amount": amount}

    # --- more chain data -------------------------------------------------------------------

    @app.post("/api/blocks", tags=["chain"])
    def post_block(body: HexBody) -> dict:
        """Submit a mined block: accepted, reorg, orphan, duplicate (200) or its reject code."""
        block = parse_block(parse_hex(body.hex, what="block hex"))
        result, submitted = node.submit_block(block)
        return {
            "result": result,
            "hash": block.id,
            "status": submitted.status if submitted else "duplicate",
            "height": submitted.height if submitted else None,
            "connected": [] if submitted is None else _ids(submitted.connected),
            "disconnected": [] if submitted is None else _ids(submitted.disconnected),
            "tip": node.tip_info(),
        }

    @app.get("/api/blocks", tags=["chain"])
    def list_blocks(
        limit: Annotated[int, Query(ge=1, le=MAX_LIST)] = 20,
        before_height: Annotated[int | None, Query(ge=0, le=2**32)] = None,
    ) -> dict:
        """Recent active-chain blocks, newest first (header fields and tx count)."""
        with node.lock:
            return {"blocks": views.recent_blocks(node, limit, before_height)}

    @app.get("/api/blocks/{block_hash}/raw", tags=["chain"])
    def get_block_raw(block_hash: str) -> dict:
        """A stored block's serialization as hex."""
        with node.lock:
            _, block = _find_block(node, block_hash)
            return {"hash": block.id, "hex": block.serialize().hex()}

    @app.get("/api/height/{height}", tags=["chain"])
    def get_height(height: Annotated[int, Path(ge=0, le=2**32)]) -> dict:
        """The active chain's block hash at ``height``."""
        with node.lock:
            if height > node.chain.height:
                raise ApiError(
                    404,
                    "height-not-found",
                    f"the active chain has height {node.chain.height}; {height} is above it",
                )
            return {"height": height, "hash": node.chain.active[height].id}

    @app.get("/api/tx/{txid}", tags=["transactions"])
    def get_tx(txid: str) -> dict:
        """A transaction in the mempool or on the active chain."""
        txid_bytes = from_display_hex(txid)
        with node.lock:
            found = views.tx_json(node, txid_bytes)
        if found is None:
            raise ApiError(
                404,
                "tx-not-found",
                f"transaction {txid} is neither in the mempool nor on the active chain",
            )
        return found

    @app.get("/api/forks", tags=["chain"])
    def get_forks() -> dict:
        """Every block this node knows, so stale branches can be drawn."""
        with node.lock:
            blocks = views.fork_tree(node)
            tip = node.chain.tip.id
            stale = [e.id for e in node.chain.stale_tips()]
        return {"tip": tip, "stale_tips": stale, "blocks": blocks}

    @app.get("/api/stats", tags=["chain"])
    def get_stats(window: Annotated[int, Query(ge=1, le=MAX_LIST)] = 100) -> dict:
        """Per-block series (timestamp, bits, difficulty, interval, hash rate) for charts."""
        with node.lock:
            return views.chain_stats(node, window)

    @app.get("/api/info", tags=["node"])
    def get_info() -> dict:
        """Node name, version, network parameters, mining status, peer count."""
        return node.info()

    # --- control ---------------------------------------------------------------------------

    @app.post("/api/mining", tags=["control"], dependencies=control)
    def post_mining(body: MiningBody) -> dict:
        """Start or pause continuous mining; change threads or the payout address."""
        pubkey_hash = None if body.address is None else node.parse_address(body.address)
        node.miner.configure(enabled=body.enabled, threads=body.threads, pubkey_hash=pubkey_hash)
        if body.address is not None:
            node.mining_address = body.address
        return node.miner.status()

    @app.get("/api/peers", tags=["peers"])
    def get_peers() -> dict:
        return {"peers": node.peers.to_list()}

    @app.post("/api/peers", tags=["peers"], dependencies=control)
    def post_peer(body: PeerBody) -> dict:
        """Connect to another node (``host:port``); it connects back and both sync."""
        peer = node.peers.add(body.address)
        return {"peer": peer.to_dict()}

    @app.delete("/api/peers/{address}", tags=["peers"], dependencies=control)
    def delete_peer(address: str) -> dict:
        """Disconnect from a peer (and ask it to forget us): a network partition."""
        if not node.peers.remove(address):
            raise ApiError(404, "peer-not-found", f"{address} is not a peer of this node")
        return {"removed": parse_peer_address(address)}

    # --- peer-to-peer ----------------------------------------------------------------------

    @app.get("/api/headers", tags=["p2p"])
    def get_headers(
        locator: Annotated[str, Query(max_length=200 * 65)] = "",
        limit: Annotated[int, Query(ge=1, le=2_000)] = 500,
    ) -> dict:
        """Active-chain hashes after the first locator hash we share (comma-separated)."""
        hashes = [from_display_hex(h) for h in locator.split(",") if h]
        with node.lock:
            after = node.chain.hashes_after(hashes, limit)
        return {"hashes": _ids(after)}

    @app.post("/p2p/hello", tags=["p2p"])
    def p2p_hello(body: HelloBody, request: Request) -> dict:
        """A peer introduces itself; we add it (inbound) and sync with it."""
        if body.network != node.params.name:
            raise ApiError(
                400,
                "wrong-network",
                f"this node is on {node.params.name!r}, the peer on {body.network!r}",
            )
        address = parse_peer_address(body.address)
        host = address.rsplit(":", 1)[0]
        if host in ("0.0.0.0", "[::]") and request.client is not None:
            address = f"{request.client.host}:{address.rsplit(':', 1)[1]}"
        node.peers.add(address, inbound=True)
        return {"network": node.params.name, "name": node.name, "tip": node.tip_info()}

    @app.post("/p2p/bye", tags=["p2p"])
    def p2p_bye(body: PeerBody) -> dict:
        return {"removed": node.peers.remove(body.address, tell_peer=False)}

    @app.post("/p2p/announce", tags=["p2p"])
    def p2p_announce(body: AnnounceBody) -> dict:
        """New blocks and transactions from a peer; each gets its own result."""
        blocks = [parse_block(parse_hex(h, what="block hex")) for h in body.blocks]
        txs = [Transaction.parse(parse_hex(h, what="transaction hex")) for h in body.txs]
        source = body.sender
        node.peers.note_received(source)
        results: dict[str, list] = {"blocks": [], "txs": []}
        for block in blocks:
            try:
                result, _ = node.submit_block(block, source=source)
                results["blocks"].append({"hash": block.id, "result": result})
            except ValidationError as exc:
                results["blocks"].append({"hash": block.id, "result": "rejected", "code": exc.code})
        for tx in txs:
            try:
                node.submit_tx(tx, source=source)
                results["txs"].append({"txid": tx.id, "result": "accepted"})
            except ValidationError as exc:
                results["txs"].append({"txid": tx.id, "result": "rejected", "code": exc.code})
        return results

    @app.post("/p2p/getblocks", tags=["p2p"])
    def p2p_getblocks(body: GetBlocksBody) -> dict:
        """Our active-chain blocks after the locator's fork point, oldest first."""
        locator = [from_display_hex(h) for h in body.locator]
        return {"blocks": node.peers.blocks_after(locator, body.limit), "tip": node.tip_info()}

    explorer.mount(app)  # the web page at /, reading the routes above
    app.add_middleware(BodySizeLimit, max_bytes=limit)
    return app


def _ids(hashes: Iterable[bytes]) -> list[str]:
    return [display_hex(h) for h in hashes]


def _find_block(node: Node, block_hash: str) -> tuple[BlockIndexEntry, Block]:
    """The index entry and the block for a displayed hash (call under ``node.lock``); 404."""
    internal = from_display_hex(block_hash)
    entry = node.chain.get_entry(internal)
    block = node.chain.get_block(internal) if entry is not None else None
    if entry is None or block is None:
        raise ApiError(404, "block-not-found", f"this node has no block {block_hash}")
    return entry, block
