"""How one block changes the UTXO set: the coins it spends, the coins it creates, and back.

Bitcoin Core splits block handling the same way: ``ConnectBlock`` / ``DisconnectBlock`` in
``src/validation.cpp`` do the bookkeeping of *one* block against a coins view, and
``ActivateBestChain`` (here :class:`~edu_chain.chain.state.ChainState`) decides *which*
blocks to connect or disconnect.  The functions below change nothing: they compute the
changes, and the chain state commits them to SQLite and to memory together.

**Connecting** (:func:`connect_changes`) walks the transactions in order.  Each input must
spend a coin of the UTXO set or an output created earlier *in the same block*, and no coin
may be spent twice; amounts, maturity and BIP68 relative locks are checked with the rules of
:mod:`~edu_chain.chain.rules`, the block's sigop cost is added up (``bad-blk-sigops``), and
last, every input's scripts run with the consensus flags (:mod:`~edu_chain.chain.scripts`,
in parallel if the verifier says so).  The result lists

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

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from edu_chain.block import Block
from edu_chain.chain import rules, segwit
from edu_chain.chain.coins import Coin, coins_created
from edu_chain.chain.params import ChainParams
from edu_chain.chain.scripts import ScriptJob, Verifier
from edu_chain.chain.store import StoreError
from edu_chain.errors import BlockValidationError, TxValidationError
from edu_chain.script.flags import CONSENSUS_FLAGS
from edu_chain.tx import OutPoint


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
    verify_scripts: Verifier,
    median_time_at: Callable[[int], int] | None = None,
) -> BlockChanges:
    """Check ``block`` at ``height`` against ``utxos`` and return its changes.

    Raises :class:`~edu_chain.errors.BlockValidationError` with the rule's code when an input
    is missing or spent twice, an amount rule or a relative lock fails, the sigop cost is
    too high or a script fails.  ``median_time_at(h)`` gives the median-time-past of the
    chain's block at height ``h`` (for BIP68 time locks; without it they are not checked).
    The coinbase amount is the caller's check (it needs ``fees``).
    """
    created: dict[OutPoint, Coin] = {}
    spent: list[tuple[OutPoint, Coin]] = []
    spent_set: set[OutPoint] = set()
    jobs: list[ScriptJob] = []
    fees = 0
    sigop_cost = 0
    for position, tx in enumerate(block.transactions):
        if position == 0:
            sigop_cost += segwit.transaction_sigop_cost(tx, [], CONSENSUS_FLAGS)
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
                if median_time_at is not None:
                    rules.check_sequence_locks(tx, coins, height, median_time_at)
            except TxValidationError as exc:
                raise rules.as_block_error(exc, block, position) from None
            spent_outputs = [coin.output for coin in coins]
            sigop_cost += segwit.transaction_sigop_cost(tx, spent_outputs, CONSENSUS_FLAGS)
            try:
                segwit.check_block_sigops(sigop_cost)
            except BlockValidationError as exc:
                raise BlockValidationError(exc.code, f"block {block.id}: {exc.message}") from None
        if height > 0:  # the genesis coinbase is not spendable (see params.py)
            created.update(coins_created(tx, height))
    # Scripts last, all at once: the most expensive check, and a verifier may spread the
    # jobs over every core (scripts.py).  The first failing input, in block order, is reported.
    results = verify_scripts(jobs)
    for (tx, index, _), failure in zip(jobs, results, strict=True):
        if failure is not None:
            position = block.transactions.index(tx)
            error = rules.script_failure(tx, index, failure.code, failure.message)
            raise rules.as_block_error(error, block, position)
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
