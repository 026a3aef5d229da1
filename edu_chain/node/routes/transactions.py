"""Routes about transactions: submit one, look one up, the mempool."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Request

from edu_chain.encoding import parse_hex
from edu_chain.hashing import display_hex, from_display_hex
from edu_chain.node import views
from edu_chain.node.api_errors import ApiError, error_responses
from edu_chain.node.api_models import HashPath, HexBody
from edu_chain.node.routes.deps import NodeDep
from edu_chain.tx import Transaction

router = APIRouter(tags=["transactions"])


@router.post("/api/tx", responses=error_responses(400, 413))
def post_tx(body: HexBody, node: NodeDep, request: Request) -> dict:
    """Submit a raw Bitcoin transaction (hex, segwit or legacy) to the mempool; relayed to
    peers when accepted."""
    tx = Transaction.parse(parse_hex(body.hex, what="transaction hex"))
    client = request.client.host if request.client is not None else None
    entry = node.submit_tx(tx, origin=client)
    return {
        "txid": tx.id,
        "wtxid": display_hex(tx.wtxid),
        "fee": entry.fee,
        "size": entry.size,
        "vsize": entry.vsize,
    }


def _tx_not_found(txid: str) -> ApiError:
    return ApiError(
        404, "tx-not-found", f"transaction {txid} is neither in the mempool nor on the active chain"
    )


@router.get("/api/tx/{txid}", responses=error_responses(400, 404))
def get_tx(txid: HashPath, node: NodeDep) -> dict:
    """A transaction in the mempool or on the active chain."""
    txid_bytes = from_display_hex(txid)
    with node.lock:
        found = views.tx_json(node, txid_bytes)
    if found is None:
        raise _tx_not_found(txid)
    return found


@router.get("/api/tx/{txid}/inputs/{index}/trace", responses=error_responses(400, 404))
def get_input_trace(
    txid: HashPath, index: Annotated[int, Path(ge=0, le=2**32 - 1)], node: NodeDep
) -> dict:
    """Step through one input's scripts (a transaction in the mempool or on the active chain):
    scriptSig, scriptPubKey and any redeem/witness script run again with the consensus flags,
    each operation with the stack before and after (edu_chain/script/trace.py)."""
    with node.lock:
        try:
            found = views.input_trace(node, from_display_hex(txid), index)
        except LookupError as exc:
            raise ApiError(404, "input-not-found", str(exc)) from None
    if found is None:
        raise _tx_not_found(txid)
    return found


@router.get("/api/mempool")
def get_mempool(node: NodeDep) -> dict:
    """Transactions waiting for a block, highest fee rate first."""
    with node.lock:
        entries = node.mempool.to_list()
        total = node.mempool.total_bytes
    return {"count": len(entries), "bytes": total, "transactions": entries}
