"""What a confirmed block's transactions did, read back from the chain for the challenges.

A transaction does not say what it spends: its inputs name outpoints, and the outputs they
point to are gone from the UTXO set once the block is connected.  A node keeps them in the
block's *undo data* (what disconnecting the block would put back, Bitcoin Core's
``rev*.dat``; here the store's ``undo`` table, in input order, leaving out outputs created
and spent inside the same block).  From the block and its undo data this module rebuilds,
per transaction:

* the output each input spends, hence the **fee** (inputs minus outputs) and the fee rate
  per virtual byte (``tx.vsize``, BIP141), exactly as a miner counted it;
* whose coins it spends (the scriptPubKey of the first input's spent output);
* the **multisig** scripts its inputs unlocked: ``OP_m <key>.. OP_n OP_CHECKMULTISIG``
  behind P2SH (the redeem script, the last push of the scriptSig, BIP16), P2WSH (the witness
  script, the last witness item, BIP141) or P2SH-P2WSH (both), each checked against the hash
  the spent output commits to.

Blocks never change, so :func:`block_facts` is computed once per block and cached by the
classroom's :class:`~edu_chain.classroom.leaderboard.Scanner`.
"""

from __future__ import annotations

from dataclasses import dataclass

from edu_chain.hashing import hash160, sha256
from edu_chain.script.script import is_push_only, iter_ops
from edu_chain.script.standard import classify
from edu_chain.tx import OutPoint, Transaction, TxIn, TxOut


@dataclass(frozen=True)
class MultisigSpend:
    required: int  # m: signatures the script asks for
    keys: int  # n: public keys in the script
    wrapping: str  # "p2sh", "p2wsh" or "p2sh-p2wsh"


@dataclass(frozen=True)
class TxFacts:
    """One confirmed non-coinbase transaction, with what its inputs spent."""

    txid: str  # displayed hex
    fee: int  # satoshis: spent outputs minus outputs
    vsize: int  # virtual bytes (weight / 4, rounded up)
    spends_from: bytes  # scriptPubKey of the output its first input spends
    outputs: tuple[bytes, ...]  # the scriptPubKeys it pays, in output order
    multisig: tuple[MultisigSpend, ...]  # one per input that unlocked a wrapped multisig

    @property
    def fee_rate(self) -> float:
        """Satoshis per virtual byte."""
        return self.fee / self.vsize


def spent_outputs(block, undo: list) -> list[list[TxOut]]:
    """For each non-coinbase transaction of ``block``, the outputs its inputs spend, in
    input order; ``undo`` is the block's undo data (``ChainStore.get_undo``: coins)."""
    restored = iter(undo)
    created: dict[OutPoint, TxOut] = {}
    spent: list[list[TxOut]] = []
    for position, tx in enumerate(block.transactions):
        if position > 0:
            outs = []
            for tx_in in tx.inputs:
                inside = created.pop(tx_in.outpoint, None)  # created earlier in this block
                outs.append(next(restored).output if inside is None else inside)
            spent.append(outs)
        txid = tx.txid
        created.update({OutPoint(txid, n): out for n, out in enumerate(tx.outputs)})
    return spent


def multisig_spend(tx_in: TxIn, spent: TxOut) -> MultisigSpend | None:
    """The multisig script ``tx_in`` revealed to unlock ``spent``, or None when the output
    is not a P2SH, P2WSH or P2SH-P2WSH multisig (bare multisig has no address: not counted)."""
    kind, solutions = classify(spent.script_pubkey)
    if kind == "scripthash":
        redeem = _last_push(tx_in.script_sig)
        if redeem is None or hash160(redeem) != solutions[0]:
            return None
        inner, inner_solutions = classify(redeem)
        if inner == "witness_v0_scripthash":
            return _witness_multisig(tx_in, inner_solutions[0], "p2sh-p2wsh")
        return _shape(redeem, "p2sh")
    if kind == "witness_v0_scripthash":
        return _witness_multisig(tx_in, solutions[0], "p2wsh")
    return None


def _witness_multisig(tx_in: TxIn, program: bytes, wrapping: str) -> MultisigSpend | None:
    if not tx_in.witness or sha256(tx_in.witness[-1]) != program:
        return None
    return _shape(tx_in.witness[-1], wrapping)


def _shape(script: bytes, wrapping: str) -> MultisigSpend | None:
    kind, solutions = classify(script)
    if kind != "multisig":
        return None
    return MultisigSpend(solutions[0][0], solutions[-1][0], wrapping)


def _last_push(script_sig: bytes) -> bytes | None:
    if not script_sig or not is_push_only(script_sig):
        return None
    pushes = [data for _, data, _ in iter_ops(script_sig) if data is not None]
    return pushes[-1] if pushes else None


def tx_facts(tx: Transaction, spent: list[TxOut]) -> TxFacts:
    shapes = (multisig_spend(i, out) for i, out in zip(tx.inputs, spent, strict=True))
    return TxFacts(
        txid=tx.id,
        fee=sum(out.amount for out in spent) - sum(out.amount for out in tx.outputs),
        vsize=tx.vsize,
        spends_from=spent[0].script_pubkey,
        outputs=tuple(out.script_pubkey for out in tx.outputs),
        multisig=tuple(shape for shape in shapes if shape is not None),
    )


def block_facts(chain, block_hash: bytes) -> tuple[TxFacts, ...]:
    """Facts of every non-coinbase transaction of a *connected* block (``chain``:
    ChainState, read under its lock; blocks never connected have no undo data)."""
    block = chain.get_block(block_hash)
    if block is None:  # pragma: no cover - connected blocks are stored
        return ()
    spent = spent_outputs(block, chain.store.get_undo(block_hash))
    return tuple(tx_facts(tx, outs) for tx, outs in zip(block.transactions[1:], spent, strict=True))


__all__ = ["MultisigSpend", "TxFacts", "block_facts", "multisig_spend", "spent_outputs"]
