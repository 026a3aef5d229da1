"""What the routes share: the node serving the request, the token check, block lookup."""

from __future__ import annotations

import secrets
from collections.abc import Iterable
from typing import Annotated

from fastapi import Depends, Request

from edu_chain.block import Block
from edu_chain.chain.index import BlockIndexEntry
from edu_chain.hashing import display_hex, from_display_hex
from edu_chain.node.api_errors import ApiError
from edu_chain.node.service import Node


def get_node(request: Request) -> Node:
    """The node this app serves (``app.state.node``, set by ``create_app``)."""
    return request.app.state.node


NodeDep = Annotated[Node, Depends(get_node)]


def require_token(request: Request, node: NodeDep) -> None:
    """State-changing control calls need the node's token when it has one (it binds an
    address reachable from the network): ``Authorization: Bearer <token>`` or
    ``X-EduChain-Token: <token>``; 401 without, 403 with a wrong one."""
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


CONTROL = [Depends(require_token)]


def ids(hashes: Iterable[bytes]) -> list[str]:
    """Internal hashes -> displayed hex."""
    return [display_hex(h) for h in hashes]


def find_block(node: Node, block_hash: str) -> tuple[BlockIndexEntry, Block]:
    """The index entry and the block for a displayed hash (call under ``node.lock``); 404."""
    internal = from_display_hex(block_hash)
    entry = node.chain.get_entry(internal)
    block = node.chain.get_block(internal) if entry is not None else None
    if entry is None or block is None:
        raise ApiError(404, "block-not-found", f"this node has no block {block_hash}")
    return entry, block
