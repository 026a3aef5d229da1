"""The block explorer: a small web page served by every node, reading the node's JSON API.

``mount(app)`` adds two kinds of routes to the node's FastAPI application:

- ``GET /`` (and ``/explorer``) — the single page, ``static/index.html``;
- ``GET /explorer/static/{name}`` — its style sheet and script.

Everything the page shows comes from the public HTTP API documented in
docs/architecture.md#node-and-testnet (``/api/tip``, ``/api/blocks``, ``/api/tx/{txid}``,
``/api/forks``, ``/api/stats`` ...): the explorer has no private access to the node, so a student
can rebuild any of its views with ``httpx`` in a notebook.  The page is plain HTML, CSS and
JavaScript with no build step and no external assets (no CDN, no web fonts), so it works in a
classroom without internet; the Content-Security-Policy header below makes the browser enforce that.

Views (chosen by the URL fragment, e.g. ``/#/block/<hash>``): overview (tip and recent
blocks), a block, a transaction (scripts in asm, address types, witness items), "step
through" one input (``/#/trace/<txid>/<i>``: its scripts replayed with the stack after each
operation), an address with its history, a scholarship treasury (``/#/treasury/<address>``:
its funding, payouts and vesting tranches, read from the address history), the mempool,
difficulty and hash rate over time (an inline SVG chart), and the fork tree with stale
branches (inline SVG).  The page polls the API every few seconds, so a projector showing it
follows the class's testnet live.
"""

from __future__ import annotations

from collections.abc import Callable
from importlib import resources
from typing import Any

STATIC_FILES = {
    "explorer.css": "text/css; charset=utf-8",
    "explorer.js": "text/javascript; charset=utf-8",
    "certificates.js": "text/javascript; charset=utf-8",  # the "verify a certificate" page
    "treasury.js": "text/javascript; charset=utf-8",  # a scholarship treasury, address history
    "favicon.svg": "image/svg+xml",
}
# Same-origin only: the page cannot load anything from elsewhere, even by mistake.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
    "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
)
HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "Cache-Control": "no-cache",
}


def static_text(name: str, package: str = __name__) -> str:
    """The text of one file shipped in ``package``'s ``static/`` (read from the installed
    package)."""
    return resources.files(package).joinpath("static", name).read_text(encoding="utf-8")


def static_routes(
    package: str, page: str, files: dict[str, str], what: str
) -> tuple[Callable[[], Any], Callable[[str], Any]]:
    """Two route functions serving ``package``'s ``static/``: the page ``page``, and each of
    ``files`` (name -> media type) by name, with :data:`HEADERS`; an unknown name is a 404
    naming the ``what`` assets there are.  The explorer and the classroom page use them."""
    from fastapi.responses import HTMLResponse, JSONResponse, Response

    def serve_page() -> HTMLResponse:
        return HTMLResponse(static_text(page, package), headers=HEADERS)

    def serve_asset(name: str) -> Response:
        media_type = files.get(name)
        if media_type is None:
            message = f"no {what} asset named {name!r}; known: {', '.join(files)}"
            return JSONResponse(
                {"error": {"code": "not-found", "message": message}}, status_code=404
            )
        return Response(static_text(name, package), media_type=media_type, headers=HEADERS)

    return serve_page, serve_asset


def mount(app: Any) -> None:
    """Serve the explorer from ``app`` (a FastAPI application) at ``/``."""
    index, asset = static_routes(__name__, "index.html", STATIC_FILES, "explorer")
    app.add_api_route("/", index, methods=["GET"], include_in_schema=False)
    app.add_api_route("/explorer", index, methods=["GET"], include_in_schema=False)
    app.add_api_route("/explorer/static/{name}", asset, methods=["GET"], include_in_schema=False)


__all__ = ["mount"]
