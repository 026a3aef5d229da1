"""Routes about coins: an address's balance, unspent outputs and history, the faucet."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request

from edu_chain.node import views
from edu_chain.node.api_errors import error_responses
from edu_chain.node.api_models import (
    MAX_HISTORY_MEMPOOL,
    MAX_HISTORY_PAGE,
    AddressHistory,
    AddressPath,
    FaucetBody,
)
from edu_chain.node.routes.deps import CONTROL, NodeDep

router = APIRouter(tags=["wallet"])
MAX_HISTORY_OFFSET = 1_000_000_000  # bounded, like every other integer the API takes


@router.get("/api/address/{address}", responses=error_responses(400))
def get_address(address: AddressPath, node: NodeDep) -> dict:
    """Balance and unspent outputs of an address (``spendable`` false: immature)."""
    script_pubkey = node.parse_address(address)
    with node.lock:
        return views.address_json(node, address, script_pubkey)


@router.get(
    "/api/address/{address}/history",
    response_model=AddressHistory,
    responses=error_responses(400),
)
def get_address_history(
    address: AddressPath,
    node: NodeDep,
    limit: Annotated[int, Query(ge=1, le=MAX_HISTORY_PAGE)] = 25,
    offset: Annotated[int, Query(ge=0, le=MAX_HISTORY_OFFSET)] = 0,
    order: Annotated[Literal["desc", "asc"], Query()] = "desc",
) -> dict:
    """The active chain's transactions that paid the address or spent from it, a page at a
    time in chain order (height, then position in the block; newest first unless
    ``order=asc``), with totals, and the mempool's; each output says whether it is unspent
    or which input spent it (that input's witness too: a P2WSH spend reveals its script)."""
    script_pubkey = node.parse_address(address)
    with node.lock:
        return views.address_history_json(
            node,
            address,
            script_pubkey,
            limit=limit,
            offset=offset,
            newest_first=order == "desc",
            mempool_limit=MAX_HISTORY_MEMPOOL,
        )


@router.post(
    "/api/faucet", dependencies=CONTROL, responses=error_responses(400, 401, 403, 409, 413, 429)
)
def post_faucet(body: FaucetBody, request: Request, node: NodeDep) -> dict:
    """Coins from the node's wallet (rate-limited per address and per client IP)."""
    client = request.client.host if request.client is not None else "unknown"
    tx = node.faucet.request(body.address, body.amount, client)
    amount = sum(o.amount for o in tx.outputs[:1])
    return {"txid": tx.id, "address": body.address, "amount": amount}
