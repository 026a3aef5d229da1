"""Routes about the chain: the tip, blocks, the fork tree, statistics for the charts."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query

from edu_chain.chain.state import parse_block
from edu_chain.encoding import parse_hex
from edu_chain.node import views
from edu_chain.node.api_errors import ApiError, error_responses
from edu_chain.node.api_models import HashPath, HexBody
from edu_chain.node.routes.deps import NodeDep, find_block, ids

MAX_LIST = 1_000  # blocks per GET /api/blocks page, points per GET /api/stats

router = APIRouter(tags=["chain"])


@router.get("/api/tip")
def get_tip(node: NodeDep) -> dict:
    """The active chain's tip: height, hash, chainwork (hex)."""
    return node.tip_info()


@router.get("/api/blocks/{block_hash}", responses=error_responses(400, 404))
def get_block(block_hash: HashPath, node: NodeDep) -> dict:
    """A block (active or stale) by its displayed hash."""
    with node.lock:
        entry, block = find_block(node, block_hash)
        return views.block_json(node, entry, block)


@router.post("/api/blocks", responses=error_responses(400, 413))
def post_block(body: HexBody, node: NodeDep) -> dict:
    """Submit a mined block: accepted, reorg, orphan, duplicate (200) or its reject code."""
    block = parse_block(parse_hex(body.hex, what="block hex"))
    result, submitted = node.submit_block(block)
    return {
        "result": result,
        "hash": block.id,
        "status": submitted.status if submitted else "duplicate",
        "height": submitted.height if submitted else None,
        "connected": [] if submitted is None else ids(submitted.connected),
        "disconnected": [] if submitted is None else ids(submitted.disconnected),
        "tip": node.tip_info(),
    }


@router.get("/api/blocks", responses=error_responses(400))
def list_blocks(
    node: NodeDep,
    limit: Annotated[int, Query(ge=1, le=MAX_LIST)] = 20,
    before_height: Annotated[int | None, Query(ge=0, le=2**32)] = None,
) -> dict:
    """Recent active-chain blocks, newest first (header fields and tx count)."""
    with node.lock:
        return {"blocks": views.recent_blocks(node, limit, before_height)}


@router.get("/api/blocks/{block_hash}/raw", responses=error_responses(400, 404))
def get_block_raw(block_hash: HashPath, node: NodeDep) -> dict:
    """A stored block's serialization as hex."""
    with node.lock:
        _, block = find_block(node, block_hash)
        return {"hash": block.id, "hex": block.serialize().hex()}


@router.get("/api/height/{height}", responses=error_responses(400, 404))
def get_height(height: Annotated[int, Path(ge=0, le=2**32)], node: NodeDep) -> dict:
    """The active chain's block hash at ``height``."""
    with node.lock:
        if height > node.chain.height:
            raise ApiError(
                404,
                "height-not-found",
                f"the active chain has height {node.chain.height}; {height} is above it",
            )
        return {"height": height, "hash": node.chain.active[height].id}


@router.get("/api/forks")
def get_forks(node: NodeDep) -> dict:
    """Every block this node knows, so stale branches can be drawn."""
    with node.lock:
        blocks = views.fork_tree(node)
        tip = node.chain.tip.id
        stale = [e.id for e in node.chain.stale_tips()]
    return {"tip": tip, "stale_tips": stale, "blocks": blocks}


@router.get("/api/stats", responses=error_responses(400))
def get_stats(node: NodeDep, window: Annotated[int, Query(ge=1, le=MAX_LIST)] = 100) -> dict:
    """Per-block series (timestamp, bits, difficulty, interval, hash rate) for charts."""
    with node.lock:
        return views.chain_stats(node, window)
