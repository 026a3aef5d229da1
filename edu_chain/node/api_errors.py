"""How the node's HTTP API fails: one JSON error shape, a 4xx status, a stable reason code.

docs/architecture.md#node-and-testnet (fixed): every error is ``{"error": {"code": "...", "message":
"..."}}`` with a 4xx status, and malformed input never gives a 500 and never changes state.  This
module is where that promise is kept; the routes (:mod:`edu_chain.node.api`) only raise.

What is raised, and what the client sees (status, ``code``):

* :class:`ApiError` (unknown block, missing token...): its own status and code;
* pydantic's ``RequestValidationError``: 400 ``invalid-request``, naming each bad field;
* :class:`~edu_chain.errors.ValidationError`: 400 and the rule's code (``high-hash``,
  ``decode-*``, ``bad-txns-inputs-missingorspent``...);
* :class:`~edu_chain.errors.KeyFormatError`: 400 ``bad-address``;
* :class:`~edu_chain.node.p2p.PeerError`: 400 ``bad-peer-address``, ``wrong-network``...;
* :class:`~edu_chain.node.faucet.FaucetError`: 429 ``faucet-rate-limited`` (with
  ``Retry-After``), 409 ``faucet-empty``;
* any other :class:`~edu_chain.errors.EduChainError`: 400 ``refused``;
* Starlette's own errors (unknown route, wrong method): their 4xx, ``not-found``,
  ``method-not-allowed``...;
* a body over the size limit: 413 ``request-too-large`` (:class:`BodySizeLimit`);
* anything else is a bug in the node: 500 ``internal-error``, logged with its traceback.
"""

from __future__ import annotations

import logging
import re
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from edu_chain.errors import EduChainError, KeyFormatError, ValidationError
from edu_chain.node.api_models import ERROR_STATUSES as ERROR_STATUSES
from edu_chain.node.api_models import error_responses as error_responses
from edu_chain.node.faucet import FaucetError
from edu_chain.node.p2p import PeerError

log = logging.getLogger(__name__)

MAX_PROBLEMS_SHOWN = 5  # field errors listed in one invalid-request message


class ApiError(Exception):
    """An HTTP error with a stable reason code (rendered as the JSON error shape)."""

    def __init__(
        self, status: int, code: str, message: str, headers: dict[str, str] | None = None
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.headers = headers


def error_response(
    status: int, code: str, message: str, headers: dict[str, str] | None = None
) -> JSONResponse:
    """The one error shape: ``{"error": {"code": code, "message": message}}``."""
    return JSONResponse(
        {"error": {"code": code, "message": message}}, status_code=status, headers=headers
    )


# Starlette raises these itself (unknown route, wrong method...): give them codes too.
_STATUS_CODES = {
    400: "bad-request",
    401: "unauthorized",
    403: "forbidden",
    404: "not-found",
    405: "method-not-allowed",
    413: "request-too-large",
    415: "unsupported-media-type",
}


def install_error_handlers(app: FastAPI) -> None:
    """Render every exception a route can raise as the JSON error shape (table above)."""

    @app.exception_handler(ApiError)
    async def api_error(request: Request, exc: ApiError) -> JSONResponse:
        return error_response(exc.status, exc.code, exc.message, exc.headers)

    @app.exception_handler(RequestValidationError)
    async def invalid_request(request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = exc.errors()
        problems = [_describe(error) for error in errors[:MAX_PROBLEMS_SHOWN]]
        # A field checked against a published pattern names its own reason (bad-address...).
        codes = {str(error.get("type")) for error in errors}
        code = next(iter(codes)) if len(codes) == 1 else ""
        if "-" not in code:
            code = "invalid-request"
        return error_response(400, code, "; ".join(problems) or "invalid request")

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        code = _STATUS_CODES.get(exc.status_code, "http-error")
        status = exc.status_code if 400 <= exc.status_code < 500 else 400
        headers = getattr(exc, "headers", None)
        allowed = _allowed_methods(request) if status == 405 else None
        if allowed is not None:
            headers = {**(headers or {}), "Allow": allowed}
        return error_response(status, code, str(exc.detail), headers)

    @app.exception_handler(FaucetError)
    async def faucet_error(request: Request, exc: FaucetError) -> JSONResponse:
        status = {"faucet-rate-limited": 429, "faucet-empty": 409}.get(exc.code, 400)
        headers = None
        if exc.retry_after is not None:
            headers = {"Retry-After": str(max(1, round(exc.retry_after)))}
        return error_response(status, exc.code, exc.message, headers)

    @app.exception_handler(PeerError)
    async def peer_error(request: Request, exc: PeerError) -> JSONResponse:
        return error_response(400, exc.code, exc.message)

    @app.exception_handler(ValidationError)
    async def rule_error(request: Request, exc: ValidationError) -> JSONResponse:
        return error_response(400, exc.code, exc.message)

    @app.exception_handler(KeyFormatError)
    async def key_error(request: Request, exc: KeyFormatError) -> JSONResponse:
        return error_response(400, "bad-address", str(exc))

    @app.exception_handler(EduChainError)
    async def node_error(request: Request, exc: EduChainError) -> JSONResponse:
        return error_response(400, "refused", str(exc))

    @app.exception_handler(Exception)
    async def unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.exception("unexpected error on %s %s", request.method, request.url.path)
        return error_response(500, "internal-error", f"{type(exc).__name__}: the node has a bug")


def _allowed_methods(request: Request) -> str | None:
    """The methods the OpenAPI document lists for the request's path (Starlette's own Allow
    header names only the first route's, and GET and POST /api/blocks are two routes);
    None for a path the document does not describe (the explorer, /docs)."""
    for template, operations in request.app.openapi()["paths"].items():
        parts = re.split(r"\{[^/{}]+\}", template)
        if re.fullmatch("[^/]+".join(re.escape(part) for part in parts), request.url.path):
            return ", ".join(sorted(method.upper() for method in operations))
    return None


def _describe(error: dict[str, Any]) -> str:
    """One pydantic error as a sentence naming the field (``body.count: ...``)."""
    location = tuple(error.get("loc", ()))
    kind = error.get("type")
    if kind == "json_invalid":  # loc is ("body", character offset)
        where = f" at character {location[1]}" if len(location) > 1 else ""
        reason = (error.get("ctx") or {}).get("error", "")
        return f"body: not valid JSON{where} ({reason})" if reason else "body: not valid JSON"
    if location == ("body",) and kind in ("model_attributes_type", "dict_type", "model_type"):
        return (
            "body: expected a JSON object with Content-Type: application/json, "
            'for example {"hex": "..."} or {"count": 1}'
        )
    where = ".".join(str(part) for part in location)
    return f"{where}: {error.get('msg', 'invalid')}"


class BodySizeLimit:
    """ASGI middleware: refuse request bodies over ``max_bytes`` with a 413 JSON error.

    Pure ASGI rather than a FastAPI dependency, so it runs before anything reads the body:
    a declared ``Content-Length`` over the limit is refused at once, and a streamed (chunked)
    body is counted as it arrives and refused as soon as it passes the limit.
    """

    def __init__(self, app: Any, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope.get("headers") or []).get(b"content-length")
        if declared is not None:
            try:
                too_big = int(declared) > self.max_bytes
            except ValueError:
                too_big = False  # not a number: the body is still counted below
            if too_big:
                await self._refuse(scope, receive, send)
                return
        chunks: list[bytes] = []
        size = 0
        more = True
        while more:
            message = await receive()
            if message["type"] != "http.request":
                break
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.max_bytes:
                await self._refuse(scope, receive, send)
                return
            chunks.append(chunk)
            more = message.get("more_body", False)
        body = b"".join(chunks)
        replayed = False

        async def replay() -> dict:
            # The app reads the body we already consumed, once; then it waits as usual
            # (for a disconnect) on the real channel.
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        await self.app(scope, replay, send)

    async def _refuse(self, scope: dict, receive: Any, send: Any) -> None:
        response = error_response(
            413,
            "request-too-large",
            f"request bodies are limited to {self.max_bytes} bytes on this node",
        )
        await response(scope, receive, send)


__all__ = [
    "ERROR_STATUSES",
    "ApiError",
    "BodySizeLimit",
    "error_response",
    "error_responses",
    "install_error_handlers",
]
