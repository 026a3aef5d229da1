"""What the node's HTTP API returns: blocks, transactions, addresses, statistics as JSON.

Conventions (docs/architecture.md#data-formats): hashes and txids are *displayed* hex (reversed
bytes, as in every block explorer), amounts are integers in base units (1 coin = 100,000,000),
``bits`` is the 8-hex-digit compact target, ``chainwork`` is hex without ``0x``.  ``difficulty`` is
how many times harder than the easiest allowed target (``pow_limit / target``).

Every function here reads the node under its lock and returns plain dicts; the API layer
(:mod:`edu_chain.node.api`) only turns them into HTTP responses.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from edu_chain.chain.index import BlockIndexEntry
from edu_chain.hashing import display_hex
from edu_chain.pow.target import bits_to_target, block_work
from edu_chain.script.address import REGTEST, script_pubkey_to_address
from edu_chain.script.flags import CONSENSUS_FLAGS
from edu_chain.script.script import script_asm
from edu_chain.script.standard import classify
from edu_chain.script.trace import trace_input
from edu_chain.tx import OutPoint

if TYPE_CHECKING:  # pragma: no cover
    from edu_chain.block import Block
    from edu_chain.chain.history import Spend
    from edu_chain.node.service import Node
    from edu_chain.script.errors import ScriptError
    from edu_chain.tx import Transaction, TxOut


def address_of(script_pubkey: bytes) -> str | None:
    """The classroom (regtest) address of a script, None when it has none (OP_RETURN, bare
    multisig, non-standard)."""
    return script_pubkey_to_address(script_pubkey, REGTEST)


def difficulty(node: Node, bits: int) -> float:
    return node.params.pow_limit / bits_to_target(bits)


def header_summary(node: Node, entry: BlockIndexEntry) -> dict:
    """Header fields plus the index's view (height, chainwork, active, confirmations)."""
    chain = node.chain
    active = chain.contains(entry)
    return {
        **entry.header.to_dict(),
        "height": entry.height,
        "chainwork": f"{entry.chainwork:x}",
        "difficulty": difficulty(node, entry.header.bits),
        "status": entry.status,
        "reason": entry.reason,
        "active": active,
        "confirmations": chain.height - entry.height + 1 if active else 0,
        "received_at": entry.received_at,
    }


def block_json(node: Node, entry: BlockIndexEntry, block: Block) -> dict:
    """One block: header, index data, its transactions (with addresses and amounts)."""
    chain = node.chain
    summary = header_summary(node, entry)
    next_hash = None
    if summary["active"] and entry.height < chain.height:
        next_hash = chain.active[entry.height + 1].id
    return {
        **summary,
        "next_hash": next_hash,
        "size": len(block.serialize()),
        "tx_count": len(block.transactions),
        "txids": [display_hex(t) for t in block.txids()],
        "transactions": [tx_summary(node, tx) for tx in block.transactions],  # type: ignore[arg-type]
    }


def tx_summary(node: Node, tx: Transaction) -> dict:
    """The ``decoderawtransaction`` shape (``tx.to_dict()``: ``vin`` with scriptSig asm and
    witness, ``vout`` with scriptPubKey asm and type) plus the raw ``hex``, each output's
    regtest ``address``, each input's spent ``amount``, ``address`` and ``type`` when this
    node knows them, and the fee (inputs - outputs) when every input is known."""
    data = tx.to_dict()
    data["hex"] = tx.serialize().hex()
    data["coinbase"] = tx.is_coinbase()
    for output, shown in zip(tx.outputs, data["vout"], strict=True):
        shown["address"] = address_of(output.script_pubkey)
    total_in = 0
    complete = not tx.is_coinbase()
    for tx_in, shown in zip(tx.inputs, data["vin"], strict=True):
        if tx.is_coinbase():
            break
        spent = _spent_output(node, tx_in.outpoint)
        if spent is None:
            complete = False
            continue
        shown["amount"] = spent.amount
        shown["address"] = address_of(spent.script_pubkey)
        shown["type"] = classify(spent.script_pubkey)[0]
        total_in += spent.amount
    data["total_out"] = sum(out.amount for out in tx.outputs)
    data["fee"] = total_in - data["total_out"] if complete else None
    return data


def _spent_output(node: Node, outpoint: OutPoint) -> TxOut | None:
    coin = node.mempool.get_coin(outpoint)
    if coin is not None:
        return coin.output
    found = node.chain.find_tx(outpoint.txid)
    if found is not None and outpoint.index < len(found[0].outputs):
        return found[0].outputs[outpoint.index]
    return None


def tx_json(node: Node, txid: bytes) -> dict | None:
    """A transaction in the mempool or on the active chain, or None."""
    entry = node.mempool.get(txid)
    if entry is not None:
        return {
            **tx_summary(node, entry.tx),
            "status": "mempool",
            "block_hash": None,
            "block_height": None,
            "confirmations": 0,
        }
    found = node.chain.find_tx(txid)
    if found is None:
        return None
    tx, block_entry = found
    return {
        **tx_summary(node, tx),
        "status": "confirmed",
        "block_hash": block_entry.id,
        "block_height": block_entry.height,
        "confirmations": node.chain.height - block_entry.height + 1,
    }


def input_trace(node: Node, txid: bytes, index: int) -> dict | None:
    """Step through input ``index`` of a transaction in the mempool or on the active chain:
    its scripts run again with the consensus flags, every operation recorded
    (:func:`edu_chain.script.trace.trace_input`).  None when the transaction is unknown;
    a ``LookupError`` naming what is missing when the input or the output it spends is."""
    entry = node.mempool.get(txid)
    found = node.chain.find_tx(txid) if entry is None else (entry.tx, None)
    if found is None:
        return None
    tx = found[0]
    if not 0 <= index < len(tx.inputs):
        raise LookupError(f"transaction {tx.id} has {len(tx.inputs)} input(s); no input {index}")
    if tx.is_coinbase():
        raise LookupError(f"transaction {tx.id} is a coinbase: its input spends no output")
    spent = _spent_output(node, tx.inputs[index].outpoint)
    if spent is None:
        raise LookupError(f"input {index} of {tx.id} spends an output this node does not know")
    trace = trace_input(tx, index, spent.script_pubkey, spent.amount, CONSENSUS_FLAGS)
    tx_in = tx.inputs[index]
    return {
        "txid": tx.id,
        "index": index,
        "spent": {
            "outpoint": str(tx_in.outpoint),
            "amount": spent.amount,
            "address": address_of(spent.script_pubkey),
            "type": classify(spent.script_pubkey)[0],
            "scriptPubKey": {
                "asm": script_asm(spent.script_pubkey),
                "hex": spent.script_pubkey.hex(),
            },
        },
        "scriptSig": {"asm": script_asm(tx_in.script_sig), "hex": tx_in.script_sig.hex()},
        "witness": [item.hex() for item in tx_in.witness],
        "flags": sorted(CONSENSUS_FLAGS),
        "ok": trace.ok,
        "error": None if trace.error is None else _error_json(trace.error),
        "scripts": [
            {"phase": phase, "asm": script_asm(script), "hex": script.hex()}
            for phase, script in trace.phases
        ],
        "steps": [
            {
                "phase": step.phase,
                "position": step.position,
                "operation": step.operation,
                "executed": step.executed,
                "stack_before": [item.hex() for item in step.stack_before],
                "stack_after": [item.hex() for item in step.stack_after],
                "altstack_after": [item.hex() for item in step.altstack_after],
                "error": None if step.error is None else _error_json(step.error),
            }
            for step in trace.steps
        ],
        "text": trace.text(),
    }


def _error_json(error: ScriptError) -> dict:
    return {"code": error.code, "message": error.message}


def address_json(node: Node, address: str, script_pubkey: bytes) -> dict:
    """Balance and unspent outputs of one address (what ``educhain wallet`` reads)."""
    chain, mempool = node.chain, node.mempool
    maturity = node.params.coinbase_maturity
    utxos = []
    for outpoint, coin in chain.utxos_for(script_pubkey):
        spendable = not coin.is_coinbase or chain.height + 1 - coin.height >= maturity
        utxos.append(
            {
                "txid": display_hex(outpoint.txid),
                "index": outpoint.index,
                "outpoint": str(outpoint),
                "amount": coin.amount,
                "height": coin.height,
                "coinbase": coin.is_coinbase,
                "spendable": spendable,
                "spent_in_mempool": (
                    display_hex(mempool.spenders[outpoint])
                    if outpoint in mempool.spenders
                    else None
                ),
            }
        )
    pending = []
    for entry in mempool:
        received = sum(o.amount for o in entry.tx.outputs if o.script_pubkey == script_pubkey)
        spent = 0
        for tx_in in entry.tx.inputs:
            coin = mempool.get_coin(tx_in.outpoint)
            if coin is not None and coin.output.script_pubkey == script_pubkey:
                spent += coin.amount
        if received or spent:
            pending.append({"txid": entry.tx.id, "received": received, "spent": spent})
    balance = sum(u["amount"] for u in utxos)
    return {
        "address": address,
        "script_pubkey": script_pubkey.hex(),
        "type": classify(script_pubkey)[0],
        "balance": balance,
        "spendable_balance": sum(u["amount"] for u in utxos if u["spendable"]),
        "unconfirmed_delta": sum(p["received"] - p["spent"] for p in pending),
        "utxo_count": len(utxos),
        "utxos": utxos,
        "mempool": pending,
    }


def address_history_json(
    node: Node,
    address: str,
    script_pubkey: bytes,
    *,
    limit: int,
    offset: int = 0,
    newest_first: bool = True,
    mempool_limit: int = 100,
) -> dict:
    """An address's history (``AddressHistory`` in api_models.py): totals from the address
    index, one page of the confirmed transactions that paid it or spent from it, and the
    pending ones (arrival order, the first ``mempool_limit``), each output with its status."""
    chain = node.chain
    reader = _TxReader(node)
    count, received, sent = chain.address_totals(script_pubkey)
    confirmed = []
    for touch in chain.address_history(
        script_pubkey, limit=limit, offset=offset, newest_first=newest_first
    ):
        entry = chain.active[touch.height]
        tx = reader.block(entry).transactions[touch.position]
        confirmed.append(
            {
                **_history_tx(reader, tx, script_pubkey, chain.spends_of(tx.txid)),
                "status": "confirmed",
                "height": touch.height,
                "block_hash": entry.id,
                "position": touch.position,
                "confirmations": chain.height - touch.height + 1,
            }
        )
    pending = []
    for mempool_entry in sorted(node.mempool, key=lambda e: e.sequence):
        if not _touches(node, mempool_entry.tx, script_pubkey):
            continue
        shown = _history_tx(reader, mempool_entry.tx, script_pubkey, {})
        shown["fee"] = mempool_entry.fee
        pending.append(
            {
                **shown,
                "status": "pending",
                "height": None,
                "block_hash": None,
                "position": None,
                "confirmations": 0,
            }
        )
    return {
        "address": address,
        "script_pubkey": script_pubkey.hex(),
        "type": classify(script_pubkey)[0],
        "tip_height": chain.height,
        "balance": received - sent,
        "total_received": received,
        "total_sent": sent,
        "tx_count": count,
        "offset": offset,
        "limit": limit,
        "order": "desc" if newest_first else "asc",
        "transactions": confirmed,
        "mempool_count": len(pending),
        "mempool": pending[:mempool_limit],
    }


def _touches(node: Node, tx: Transaction, script_pubkey: bytes) -> bool:
    """Does a mempool transaction pay ``script_pubkey`` or spend one of its coins?"""
    if any(output.script_pubkey == script_pubkey for output in tx.outputs):
        return True
    for tx_in in tx.inputs:
        coin = node.mempool.get_coin(tx_in.outpoint)
        if coin is not None and coin.output.script_pubkey == script_pubkey:
            return True
    return False


class _TxReader:
    """Transactions by txid for one answer (the mempool's, then the active chain's), each
    block parsed once however many of its transactions the answer shows."""

    def __init__(self, node: Node) -> None:
        self.node = node
        self.blocks: dict[bytes, Block] = {}

    def block(self, entry: BlockIndexEntry) -> Block:
        block = self.blocks.get(entry.hash)
        if block is None:
            block = self.node.chain.get_block(entry.hash)
            assert block is not None  # every active-chain block is stored
            self.blocks[entry.hash] = block
        return block

    def tx(self, txid: bytes) -> Transaction | None:
        pooled = self.node.mempool.get(txid)
        if pooled is not None:
            return pooled.tx
        found = self.node.chain.locate_tx(txid)
        return None if found is None else self.block(found[0]).transactions[found[1]]

    def output(self, outpoint: OutPoint) -> TxOut | None:
        tx = self.tx(outpoint.txid)
        if tx is None or outpoint.index >= len(tx.outputs):
            return None
        return tx.outputs[outpoint.index]


def _history_tx(
    reader: _TxReader, tx: Transaction, script_pubkey: bytes, spends: dict[int, Spend]
) -> dict:
    """Inputs (what each spends), outputs (and who spent each), the amounts received and
    sent by ``script_pubkey``, the fee when every input is known."""
    inputs, received, sent, total_in, complete = [], 0, 0, 0, not tx.is_coinbase()
    for vin, tx_in in enumerate(tx.inputs):
        spent = None if tx.is_coinbase() else reader.output(tx_in.outpoint)
        complete = complete and spent is not None
        mine = spent is not None and spent.script_pubkey == script_pubkey
        if spent is not None:
            total_in += spent.amount
            sent += spent.amount if mine else 0
        inputs.append(
            {
                "vin": vin,
                "outpoint": None if tx.is_coinbase() else str(tx_in.outpoint),
                "amount": None if spent is None else spent.amount,
                "address": None if spent is None else address_of(spent.script_pubkey),
                "mine": mine,
            }
        )
    outputs = []
    for index, output in enumerate(tx.outputs):
        mine = output.script_pubkey == script_pubkey
        received += output.amount if mine else 0
        status, spent_by = _output_status(reader, tx.txid, index, output, spends.get(index))
        outputs.append(
            {
                "index": index,
                "amount": output.amount,
                "address": address_of(output.script_pubkey),
                "type": classify(output.script_pubkey)[0],
                "mine": mine,
                "status": status,
                "spent_by": spent_by,
            }
        )
    total_out = sum(output.amount for output in tx.outputs)
    return {
        "txid": tx.id,
        "received": received,
        "sent": sent,
        "fee": total_in - total_out if complete else None,
        "coinbase": tx.is_coinbase(),
        "inputs": inputs,
        "outputs": outputs,
    }


def _output_status(
    reader: _TxReader, txid: bytes, index: int, output: TxOut, spend: Spend | None
) -> tuple[str, dict | None]:
    """``("spent" | "spent-in-mempool" | "unspent", spent_by)`` of output ``index`` of
    ``txid``; ``spend`` is the active chain's spender, if any (the spent index)."""
    if spend is not None:
        return "spent", _spent_by(reader, output, spend.txid, spend.vin, spend.height)
    outpoint = OutPoint(txid, index)
    pooled = reader.node.mempool.spenders.get(outpoint)
    if pooled is None:
        return "unspent", None
    spender = reader.tx(pooled)
    inputs = spender.inputs if spender is not None else ()
    vin = next(i for i, tx_in in enumerate(inputs) if tx_in.outpoint == outpoint)
    return "spent-in-mempool", _spent_by(reader, output, pooled, vin, None)


def _spent_by(reader: _TxReader, output: TxOut, txid: bytes, vin: int, height: int | None) -> dict:
    """The spending input, with its witness; for a P2WSH output the witness script (the last
    witness item) in asm, so a reader sees which script was unlocked."""
    spender = reader.tx(txid)
    witness = list(spender.inputs[vin].witness) if spender is not None else []
    p2wsh = classify(output.script_pubkey)[0] == "witness_v0_scripthash"
    return {
        "txid": display_hex(txid),
        "vin": vin,
        "height": height,
        "witness": [item.hex() for item in witness],
        "witness_script_asm": script_asm(witness[-1]) if p2wsh and witness else None,
    }


def recent_blocks(node: Node, limit: int, before_height: int | None) -> list[dict]:
    chain = node.chain
    top = chain.height if before_height is None else min(before_height - 1, chain.height)
    out = []
    for height in range(top, max(-1, top - limit), -1):
        entry = chain.active[height]
        summary = header_summary(node, entry)
        block = chain.get_block(entry.hash)
        summary["tx_count"] = len(block.transactions) if block is not None else None
        out.append(summary)
    return out


def fork_tree(node: Node) -> list[dict]:
    """Every block in the index (hash, prev, height, chainwork, active, invalid...)."""
    entries = node.chain.fork_tree()
    for entry in entries:
        entry["invalid"] = entry["status"] == "invalid"
    return entries


def chain_stats(node: Node, window: int) -> dict:
    """Per-block series over the last ``window`` active blocks, for the explorer's charts.

    ``interval`` is the timestamp difference with the parent.  ``hash_rate`` estimates the
    network's hashes per second as the work of the last (up to) 10 blocks divided by the time
    they took: work is what proof-of-work proves, time is what the timestamps claim.
    """
    chain = node.chain
    first = max(0, chain.height - window + 1)
    series = []
    for height in range(first, chain.height + 1):
        entry = chain.active[height]
        parent = entry.parent
        interval = entry.timestamp - parent.timestamp if parent is not None else None
        span_start = chain.active[max(0, height - 10)]
        span = entry.timestamp - span_start.timestamp
        work = entry.chainwork - span_start.chainwork
        series.append(
            {
                "height": height,
                "hash": entry.id,
                "timestamp": entry.timestamp,
                "bits": f"{entry.header.bits:08x}",
                "difficulty": difficulty(node, entry.header.bits),
                "work": block_work(entry.header.bits),
                "interval": interval,
                "hash_rate": work / span if span > 0 else None,
            }
        )
    return {
        "window": window,
        "target_spacing": node.params.target_spacing,
        "retarget_interval": node.params.retarget_interval,
        "blocks": series,
    }
