"""The node's HTTP API (docs/architecture.md#node-and-testnet): FastAPI routes over a :class:`Node`.

``create_app(node)`` returns the ASGI app; ``educhain node`` serves it with uvicorn.  The
OpenAPI description is at ``/openapi.json`` and browsable at ``/docs``.

Fixed endpoints (docs/architecture.md#node-and-testnet; instructors' scripts rely on them)::

    GET  /api/tip                      {"height", "hash", "chainwork"}
    GET  /api/blocks/{hash}            header fields, height, confirmations, txids, txs
    POST /api/mine     {"count", "address"?, "transactions"?}   mine now (node wallet if no
                                       address); "transactions": raw hex the first block holds
                                       exactly, consensus-checked only (Core's generateblock)
    POST /api/tx       {"hex"}         -> {"txid", "wtxid", "fee", "size", "vsize"} or 400
                                       (a raw Bitcoin transaction, legacy or segwit)
    GET  /api/mempool
    GET  /api/address/{address}        balance and utxos
    POST /api/faucet   {"address", "amount"?}      rate-limited

Added for peers, the explorer and the testnet (issue 6)::

    POST /api/blocks   {"hex"}         -> {"result": accepted|reorg|orphan|duplicate, ...}
    GET  /api/blocks?limit=N&before_height=H        recent active blocks, newest first
    GET  /api/blocks/{hash}/raw        {"hex"}
    GET  /api/height/{h}               {"height", "hash"}
    GET  /api/tx/{txid}                decoderawtransaction's shape (vin/vout with asm,
                                       witness, addresses), hex, fee, block or "mempool"
    GET  /api/tx/{txid}/inputs/{i}/trace   the input's scripts replayed step by step
    GET  /api/forks                    every known block (the fork tree)
    GET  /api/stats?window=N           per-block difficulty, interval, hash-rate series
    GET  /api/info                     name, version, network, mining, peers
    GET  /api/peers, POST /api/peers {"address"}, DELETE /api/peers/{host:port}
    POST /api/mining {"enabled"?, "threads"?, "address"?}   start / pause mining
    GET  /api/headers?locator=h1,h2&limit=N                 sync: hashes after the fork
    POST /p2p/hello, /p2p/bye, /p2p/announce, /p2p/getblocks  (see edu_chain.node.p2p)

Added for certificates (issue 18, :mod:`edu_chain.node.routes.anchors`)::

    GET  /api/tx/{txid}/proof          its block, 80-byte header and Merkle path
    GET  /api/headers/chain?start=&count=   raw headers of the active chain
    GET  /api/anchors?prefix=HEX[&contains=HEX]  OP_RETURN records on the active chain with that
                                       prefix (holding those bytes after it)

**Errors** are always JSON ``{"error": {"code": "...", "message": "..."}}`` with a 4xx status:
400 for malformed input (``invalid-request``, ``decode-*``) and for consensus rejections
(the rule's reason code: ``high-hash``, ``bad-txns-inputs-missingorspent``...), 401/403 for a
missing/wrong token, 404 for unknown blocks, transactions and routes, 409 for a faucet without
coins, 413 for a body over the size limit, 429 for the faucet's rate limit.  Malformed input is
rejected before anything changes.

**The OpenAPI document is the contract** (``/openapi.json``): each operation declares every
error status it can return, with the error model (``ErrorBody``), and no 422 (the node never
sends one); fields and path parameters publish their real constraints (hex and hash patterns,
the Base58 alphabet and length of addresses, ``host:port``, integer ranges), and a value that
breaks one is refused with 400 and the field's reason code (``decode-bad-hex``,
``bad-address``, ``bad-peer-address``) or ``invalid-request``.  What a JSON schema cannot
express (consensus rules, Base58Check checksums) is a documented 400 with the rule's code.
tests/functional/test_node_openapi.py runs Schemathesis against a live node to keep it true.

The request bodies are in :mod:`edu_chain.node.api_models`,
the error handlers and the body limit in :mod:`edu_chain.node.api_errors`, the routes in
:mod:`edu_chain.node.routes` (one router per concern) and :mod:`edu_chain.node.p2p`.

**Security.**  The node binds 127.0.0.1 by default.  When it binds another address it has a
token (printed at start), and state-changing control calls (mine, mining, faucet, peers) need
it as ``Authorization: Bearer <token>`` or ``X-EduChain-Token: <token>``.  Transactions and
blocks need no token: consensus rules, not a password, decide whether they are accepted.
Request bodies are limited (``max_body_bytes``, 2 MB or enough for the largest block).
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi
from fastapi.responses import HTMLResponse

from edu_chain import __version__
from edu_chain.node import explorer, p2p
from edu_chain.node.api_errors import ApiError as ApiError
from edu_chain.node.api_errors import BodySizeLimit as BodySizeLimit
from edu_chain.node.api_errors import error_response as error_response
from edu_chain.node.api_errors import install_error_handlers
from edu_chain.node.api_models import MAX_MINE_COUNT as MAX_MINE_COUNT
from edu_chain.node.routes import anchors, chain, control, transactions, wallet
from edu_chain.node.service import Node

DEFAULT_BODY_LIMIT = 2 * 1024 * 1024
ROUTERS = (
    chain.router,
    anchors.router,
    transactions.router,
    wallet.router,
    control.router,
    p2p.router,
)

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


def _contract_openapi(app: FastAPI) -> dict[str, Any]:
    """FastAPI's OpenAPI document without the 422 it lists for every operation with
    parameters: this node answers malformed input with 400 (the error handlers in
    :mod:`edu_chain.node.api_errors`), and each route declares its 400."""
    if app.openapi_schema is None:
        document = get_openapi(
            title=app.title,
            version=app.version,
            description=app.description,
            routes=app.routes,
        )
        for operations in document.get("paths", {}).values():
            for operation in operations.values():
                operation.get("responses", {}).pop("422", None)
        schemas = document.get("components", {}).get("schemas", {})
        for name in ("HTTPValidationError", "ValidationError"):
            schemas.pop(name, None)
        app.openapi_schema = document
    return app.openapi_schema


# --- the app ---------------------------------------------------------------------------------


def create_app(node: Node, *, max_body_bytes: int | None = None) -> FastAPI:
    """The FastAPI app serving ``node``; ``app.state.node`` is the node.  Only assembly: the
    routes are in :mod:`edu_chain.node.routes` and :mod:`edu_chain.node.p2p`."""
    app = FastAPI(
        title="edu_chain node",
        version=__version__,
        description=__doc__.split("\n\n", 1)[0],
        docs_url=None,
    )
    _install_docs(app)
    app.state.node = node
    install_error_handlers(app)
    for router in ROUTERS:
        app.include_router(router)
    app.openapi = lambda: _contract_openapi(app)  # type: ignore[method-assign]
    explorer.mount(app)  # the web page at /, reading the routes above
    limit = max_body_bytes or max(DEFAULT_BODY_LIMIT, 2 * node.params.max_block_size + 65_536)
    app.add_middleware(BodySizeLimit, max_bytes=limit)
    return app
