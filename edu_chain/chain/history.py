"""The address index: which active-chain transactions touched a script, and who spent what.

The UTXO set answers "what does this address hold now?".  An explorer also asks "what
happened to it?": the transactions that paid it and that spent from it, and for each output
whether it is still unspent or which input spent it.  Bitcoin Core leaves that to external
indexers; some of its forks keep an ``addressindex`` and a ``spentindex`` beside the chain
state, and so does this node (two tables of :mod:`~edu_chain.chain.store`):

* a :class:`Touch` per (script_pubkey, transaction) that pays the script (``received``: the
  sum of its outputs locked by it) or spends coins locked by it (``sent``);
* a :class:`Spend` per input of the active chain: the outpoint it spends, the spending
  transaction and input, and the height of the block.

Both are computed from one block and the coins it spent (its undo data) by
:func:`block_rows`, written in the same SQLite transaction that connects the block, and
deleted (every row of that height) when the block is disconnected, so a reorg leaves no row
of the losing branch.  The genesis block adds nothing: its coinbase is not spendable.

>>> from edu_chain.chain import ChainParams
>>> genesis = ChainParams.for_tests().genesis_block()
>>> block_rows(genesis, 0, {})
([], [])
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

from edu_chain.tx import OutPoint

if TYPE_CHECKING:  # pragma: no cover
    from edu_chain.block import Block
    from edu_chain.chain.coins import Coin
    from edu_chain.tx import Transaction


@dataclass(frozen=True)
class Touch:
    """One transaction of the active chain that paid or spent from one script."""

    script_pubkey: bytes
    height: int  # of the block holding the transaction
    position: int  # of the transaction in its block (0: the coinbase)
    txid: bytes  # internal order
    received: int  # base units: its outputs locked by script_pubkey
    sent: int  # base units: the coins locked by script_pubkey that its inputs spend


@dataclass(frozen=True)
class Spend:
    """Which input of the active chain spent an output."""

    outpoint: OutPoint  # the output spent
    txid: bytes  # the spending transaction (internal order)
    vin: int  # its input index
    height: int  # of the block holding the spending transaction


def spent_outpoints(block: Block) -> list[OutPoint]:
    """The outpoints whose coins the block's undo data holds, in the same order: every input's,
    except those spending an output created earlier in the same block."""
    created = {OutPoint(tx.txid, i) for tx in block.transactions for i in range(len(tx.outputs))}
    return [
        tx_in.outpoint
        for tx in block.transactions[1:]
        for tx_in in tx.inputs
        if tx_in.outpoint not in created
    ]


def block_rows(
    block: Block, height: int, spent: Mapping[OutPoint, Coin]
) -> tuple[list[Touch], list[Spend]]:
    """The index rows of ``block`` connected at ``height``.  ``spent`` maps each outpoint of
    :func:`spent_outpoints` to its coin (the undo data); outputs created earlier in the same
    block are read from the block itself."""
    if height == 0:
        return [], []
    touches: list[Touch] = []
    spends: list[Spend] = []
    earlier: dict[bytes, Transaction] = {}  # this block's transactions so far, by txid
    for position, tx in enumerate(block.transactions):
        txid = tx.txid
        sums: dict[bytes, list[int]] = {}  # script_pubkey -> [received, sent], first seen first
        if position > 0:
            for vin, tx_in in enumerate(tx.inputs):
                outpoint = tx_in.outpoint
                coin = spent.get(outpoint)
                output = (
                    coin.output
                    if coin is not None
                    else earlier[outpoint.txid].outputs[outpoint.index]
                )
                sums.setdefault(output.script_pubkey, [0, 0])[1] += output.amount
                spends.append(Spend(outpoint, txid, vin, height))
        for output in tx.outputs:
            sums.setdefault(output.script_pubkey, [0, 0])[0] += output.amount
        earlier[txid] = tx
        touches += [
            Touch(script, height, position, txid, received, sent)
            for script, (received, sent) in sums.items()
        ]
    return touches, spends
