"""Routes a certificate verifier needs (issue 18): a transaction's Merkle proof in its block,
the header chain, and the data recorded in OP_RETURN outputs.

    GET /api/tx/{txid}/proof           the block holding the tx, its header, the tx's path
    GET /api/headers/chain?start=&count=    raw 80-byte headers of the active chain
    GET /api/anchors?prefix=HEX&contains=HEX
                                       OP_RETURN outputs on the active chain starting so
                                       (and holding ``contains`` after the prefix, if given)

With these, ``educhain certificates verify`` needs nothing but the certificate and any node
(and ``export-headers`` writes the header file that lets it verify with no node at all).
"""

from __future__ import annotations

import threading
import weakref
from typing import Annotated

from fastapi import APIRouter, Query

from edu_chain.hashing import display_hex, from_display_hex
from edu_chain.merkle import merkle_proof
from edu_chain.node.api_errors import ApiError, error_responses
from edu_chain.node.api_models import HashPath
from edu_chain.node.routes.deps import NodeDep
from edu_chain.node.service import Node
from edu_chain.script.script import is_readable, iter_ops

MAX_HEADERS = 2_000  # headers per GET /api/headers/chain page (160 kB of hex)
MAX_ANCHORS = 1_000

router = APIRouter(tags=["certificates"])

# Per node: block hash -> [(txid, data)] of its OP_RETURN outputs.  Blocks never change, so a
# block is read once; a reorg only changes which blocks are on the active chain.
_RECORDS: weakref.WeakKeyDictionary[Node, dict[bytes, list[tuple[bytes, bytes]]]]
_RECORDS = weakref.WeakKeyDictionary()
_RECORDS_LOCK = threading.Lock()


@router.get("/api/tx/{txid}/proof", responses=error_responses(400, 404))
def get_tx_proof(txid: HashPath, node: NodeDep) -> dict:
    """The active-chain block holding a confirmed transaction, its 80-byte header, and the
    transaction's Merkle path (hex, internal order, leaf level first) to the header's root."""
    with node.lock:
        found = node.chain.find_tx(from_display_hex(txid))
        if found is None or not node.chain.contains(found[1]):
            raise ApiError(
                404, "tx-not-found", f"transaction {txid} is not in a block of the active chain"
            )
        tx, entry = found
        block = node.chain.get_block(entry.hash)
        txids = block.txids()
        index = txids.index(tx.txid)
        return {
            "txid": txid,
            "hex": tx.serialize().hex(),
            "block_hash": entry.id,
            "block_height": entry.height,
            "confirmations": node.chain.height - entry.height + 1,
            "header": entry.header.serialize().hex(),
            "index": index,
            "merkle_path": [h.hex() for h in merkle_proof(txids, index)],
        }


@router.get("/api/headers/chain", responses=error_responses(400))
def get_header_chain(
    node: NodeDep,
    start: Annotated[int, Query(ge=0, le=2**32)] = 0,
    count: Annotated[int, Query(ge=1, le=MAX_HEADERS)] = MAX_HEADERS,
) -> dict:
    """Raw headers (hex) of the active chain from height ``start``, at most ``count``."""
    with node.lock:
        chain = node.chain
        entries = chain.active[start : start + count]
        return {
            "network": node.params.name,
            "genesis_hash": display_hex(node.params.genesis_hash),
            "start": start,
            "tip_height": chain.height,
            "tip_hash": chain.tip.id,
            "headers": [entry.header.serialize().hex() for entry in entries],
        }


@router.get("/api/anchors", responses=error_responses(400))
def get_anchors(
    node: NodeDep,
    prefix: Annotated[str, Query(pattern="^([0-9a-fA-F]{2}){1,80}$")],
    contains: Annotated[str | None, Query(pattern="^([0-9a-fA-F]{2}){1,80}$")] = None,
) -> dict:
    """OP_RETURN outputs on the active chain whose data starts with ``prefix`` (hex) and,
    with ``contains``, holds those bytes somewhere after it (a certificate's hash in a
    revocation batch: the verifier parses the record), oldest first:
    ``{"anchors": [{"txid", "block_hash", "height", "data"}]}``."""
    wanted = bytes.fromhex(prefix)
    inside = bytes.fromhex(contains) if contains else b""
    anchors = []
    with node.lock:
        for entry in node.chain.active:
            for txid, data in _block_records(node, entry.hash):
                if data.startswith(wanted) and data.find(inside, len(wanted)) >= 0:
                    anchors.append(
                        {
                            "txid": display_hex(txid),
                            "block_hash": entry.id,
                            "height": entry.height,
                            "data": data.hex(),
                        }
                    )
            if len(anchors) >= MAX_ANCHORS:
                break
    return {"prefix": wanted.hex(), "contains": inside.hex() or None, "anchors": anchors}


def _block_records(node: Node, block_hash: bytes) -> list[tuple[bytes, bytes]]:
    with _RECORDS_LOCK:
        cache = _RECORDS.setdefault(node, {})
    records = cache.get(block_hash)
    if records is None:
        block = node.chain.get_block(block_hash)
        records = []
        for tx in block.transactions if block is not None else ():
            for output in tx.outputs:
                data = op_return_data(output.script_pubkey)
                if data is not None:
                    records.append((tx.txid, data))
        cache[block_hash] = records
    return records


def op_return_data(script_pubkey: bytes) -> bytes | None:
    """The data of ``OP_RETURN <one push>``, else None (the same rule as
    ``edu_chain.certificates.anchor.op_return_data``, which sits above the node)."""
    if script_pubkey[:1] != b"\x6a" or not is_readable(script_pubkey[1:]):
        return None
    ops = list(iter_ops(script_pubkey[1:]))
    if len(ops) != 1 or ops[0][1] is None:
        return None
    return ops[0][1]
