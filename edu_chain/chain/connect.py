"""How one block changes the UTXO set: the coins it spends, the coins it creates, and back.

Bitcoin Core splits block handling the same way: ``ConnectBlock`` / ``DisconnectBlock`` in
``src/validation.cpp`` do the bookkeeping of *one* block against a coins view, and
``ActivateBestChain`` (here :class:`~edu_chain.chain.state.ChainState`) decides *which*
blocks to connect or disconnect.  The functions below change nothing: they compute the
changes, and the chain state commits them to SQLite and to memory together.

**Connecting** (:func:`connect_changes`) walks the transactions in order.  Each input must
spend a coin of the UTXO set or an output created earlier *in the same block*, and no coin
may be spent twice; amounts, maturity and signatures are checked with the rules of
:mod:`~edu_chain.chain.rules`.  The result lists

* ``spent``: the coins taken from the UTXO set, in input order: exactly the block's *undo
  data* (see :mod:`~edu_chain.chain.coins`);
* ``created``: the coins added (outputs created and spent inside the block never reach the
  UTXO set, so they are in neither list);
* ``fees``: the sum of inputs minus outputs, which the coinbase may claim.

**Disconnecting** (:func:`disconnect_changes`) is the mirror image: delete the coins the
block created, and put back the spent coins read from the undo data, matched to the inputs
that spent them in the same order.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from edu_chain.block import Block
from edu_chain.chain import rules
from edu_chain.chain.coins import Coin, coins_created
from edu_chain.chain.params import ChainParams
from edu_chain.chain.signatures import SignatureJob, Verifier
from edu_chain.chain.store import StoreError
from edu_chain.errors import BlockValidationError, TxValidationError

if TYPE_CHECKING:  # pragma: no cover
    from edu_chain.teaching_tx import OutPoint


@dataclass(frozen=True)
class BlockChanges:
    """What connecting one block does to the UTXO set (see the module docstring)."""

    spent: list[tuple[OutPoint, Coin]]  # removed from the UTXO set, in input order (undo data)
    created: list[tuple[OutPoint, Coin]]  # added to the UTXO set
    fees: int  # base units: inputs - outputs over the block's transactions


def connect_changes(
    block: Block,
    height: int,
    utxos: Mapping[OutPoint, Coin],
    params: ChainParams,
    verify_signatures: Verifier,
) -> BlockChanges:
    """Check ``block`` at ``height`` against ``utxos`` and return its changes.

    Raises :class:`~edu_chain.errors.BlockValidationError` with the rule's code when an input
    is missing or spent twice, an amount rule fails or a signature does not verify.  The
    coinbase amount is the caller's check (it needs ``fees``).
    """
    created: dict[OutPoint, Coin] = {}
    spent: list[tuple[OutPoint, Coin]] = []
    spent_set: set[OutPoint] = set()
    jobs: list[SignatureJob] = []
    fees = 0
    for position, tx in enumerate(block.transactions):
        if position > 0:
            coins = []
            for index, tx_in in enumerate(tx.inputs):
                outpoint = tx_in.outpoint
                coin = None
                if outpoint not in spent_set:
                    coin = created.get(outpoint) or utxos.get(outpoint)
                if coin is None:
                    why = "never created, already spent, or spent twice in this block"
                    raise rules.as_block_error(rules.missing_input(tx, index, why), block, position)
                spent_set.add(outpoint)
                spent.append((outpoint, coin))
                coins.append(coin)
                jobs.append((tx, index, coin))
            try:
                fees += rules.check_tx_inputs(tx, coins, height, params)
            except TxValidationError as exc:
                raise rules.as_block_error(exc, block, position) from None
        if height > 0:  # the genesis coinbase is not spendable (see params.py)
            created.update(coins_created(tx, height))
    # Signatures last, all at once: the most expensive check, and a verifier may spread the
    # batch over every core (signatures.py).
    results = verify_signatures(jobs)
    if not all(results):
        tx, index, coin = jobs[results.index(False)]
        position = block.transactions.index(tx)
        try:  # ask the readable check which rule failed, for a precise reason code
            rules.check_one_signature(tx, index, coin.output)
        except TxValidationError as exc:
            raise rules.as_block_error(exc, block, position) from None
        raise BlockValidationError(
            "bad-signature",
            f"block {block.id} transaction {position} input {index}: the signature does not verify",
        )
    return BlockChanges(
        spent=[(op, coin) for op, coin in spent if op not in created],
        created=[(op, coin) for op, coin in created.items() if op not in spent_set],
        fees=fees,
    )


def disconnect_changes(
    block: Block, height: int, undo: Sequence[Coin], utxos: Mapping[OutPoint, Coin]
) -> tuple[list[tuple[OutPoint, Coin]], list[OutPoint]]:
    """``(restored, removed)``: the coins to put back (outpoint and coin from ``undo``) and
    the outpoints to delete when ``block``, connected at ``height``, leaves the chain.

    Raises :class:`~edu_chain.chain.store.StoreError` when the undo data does not match the
    block (a damaged database: it holds one coin per input spending an older output).
    """
    created = [op for tx in block.transactions for op, _ in coins_created(tx, height)]
    created_here = set(created)
    spent_outpoints = [tx_in.outpoint for tx in block.transactions[1:] for tx_in in tx.inputs]
    restored_outpoints = [op for op in spent_outpoints if op not in created_here]
    if len(undo) != len(restored_outpoints):
        raise StoreError(
            f"undo data of block {block.id} has {len(undo)} coins, expected "
            f"{len(restored_outpoints)} (one per input spending an older output)"
        )
    restored = list(zip(restored_outpoints, undo, strict=True))
    removed = [op for op in created if op in utxos]  # spent in the same block: already gone
    return restored, removed
