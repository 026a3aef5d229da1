"""Routes that run the node: its info, mining (now, or continuously), its peers."""

from __future__ import annotations

from fastapi import APIRouter

from edu_chain.encoding import parse_hex
from edu_chain.node.api_errors import ApiError, error_responses
from edu_chain.node.api_models import MineBody, MiningBody, PeerBody, PeerPath
from edu_chain.node.p2p import parse_peer_address
from edu_chain.node.routes.deps import CONTROL, NodeDep
from edu_chain.tx import Transaction

router = APIRouter()


@router.get("/api/info", tags=["node"])
def get_info(node: NodeDep) -> dict:
    """Node name, version, network parameters, mining status, peer count."""
    return node.info()


@router.post(
    "/api/mine",
    tags=["control"],
    dependencies=CONTROL,
    responses=error_responses(400, 401, 403, 413),
)
def post_mine(node: NodeDep, body: MineBody | None = None) -> dict:
    """Mine ``count`` blocks now (paying ``address``, default the node's wallet).

    ``transactions`` (raw hex) go into the first block exactly, checked by the consensus rules
    and not by relay policy, as Bitcoin Core's ``generateblock``: the way to mine your own
    transaction that the mempool refuses for its fee (``min-relay-fee-not-met``)."""
    body = body or MineBody()
    script_pubkey = None if body.address is None else node.parse_address(body.address)
    txs = [
        Transaction.parse(parse_hex(raw, what=f"transaction {i}"))
        for i, raw in enumerate(body.transactions or ())
    ]
    blocks = node.miner.mine_now(body.count, script_pubkey, txs)
    return {
        "blocks": [b.id for b in blocks],
        "count": len(blocks),
        "address": body.address or node.mining_address,
        "tip": node.tip_info(),
    }


@router.post(
    "/api/mining",
    tags=["control"],
    dependencies=CONTROL,
    responses=error_responses(400, 401, 403, 413),
)
def post_mining(body: MiningBody, node: NodeDep) -> dict:
    """Start or pause continuous mining; change threads or the payout address."""
    script_pubkey = None if body.address is None else node.parse_address(body.address)
    node.miner.configure(enabled=body.enabled, threads=body.threads, script_pubkey=script_pubkey)
    if body.address is not None:
        node.mining_address = body.address
    return node.miner.status()


@router.get("/api/peers", tags=["peers"])
def get_peers(node: NodeDep) -> dict:
    """This node's peers: address, direction, last contact, their tip, queue."""
    return {"peers": node.peers.to_list()}


@router.post(
    "/api/peers",
    tags=["peers"],
    dependencies=CONTROL,
    responses=error_responses(400, 401, 403, 413),
)
def post_peer(body: PeerBody, node: NodeDep) -> dict:
    """Connect to another node (``host:port``); it connects back and both sync."""
    peer = node.peers.add(body.address)
    return {"peer": peer.to_dict()}


@router.delete(
    "/api/peers/{address}",
    tags=["peers"],
    dependencies=CONTROL,
    responses=error_responses(400, 401, 403, 404),
)
def delete_peer(address: PeerPath, node: NodeDep) -> dict:
    """Disconnect from a peer (and ask it to forget us): a network partition."""
    if not node.peers.remove(address):
        raise ApiError(404, "peer-not-found", f"{address} is not a peer of this node")
    return {"removed": parse_peer_address(address)}
