"""Routes about coins: an address's balance and unspent outputs, the faucet."""

from __future__ import annotations

from fastapi import APIRouter, Request

from edu_chain.node import views
from edu_chain.node.api_errors import error_responses
from edu_chain.node.api_models import AddressPath, FaucetBody
from edu_chain.node.routes.deps import CONTROL, NodeDep

router = APIRouter(tags=["wallet"])


@router.get("/api/address/{address}", responses=error_responses(400))
def get_address(address: AddressPath, node: NodeDep) -> dict:
    """Balance and unspent outputs of an address (``spendable`` false: immature)."""
    script_pubkey = node.parse_address(address)
    with node.lock:
        return views.address_json(node, address, script_pubkey)


@router.post(
    "/api/faucet", dependencies=CONTROL, responses=error_responses(400, 401, 403, 409, 413, 429)
)
def post_faucet(body: FaucetBody, request: Request, node: NodeDep) -> dict:
    """Coins from the node's wallet (rate-limited per address and per client IP)."""
    client = request.client.host if request.client is not None else "unknown"
    tx = node.faucet.request(body.address, body.amount, client)
    amount = sum(o.amount for o in tx.outputs[:1])
    return {"txid": tx.id, "address": body.address, "amount": amount}
