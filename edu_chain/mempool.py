"""The mempool: valid transactions waiting for a block, and the block template for miners.

A transaction enters the pool when it passes **consensus** (every rule a block would apply,
checked against the UTXO set of the tip plus the outputs of other pool transactions) and
**policy** (rules this node chooses, not part of consensus; Bitcoin Core's ``policy/``):

=================================  ========================================================
code                               meaning
=================================  ========================================================
``coinbase``                       a coinbase only exists inside a block
``txn-already-in-mempool``         the same txid is already waiting
``txn-already-known``              the transaction is already confirmed
``txn-mempool-conflict``           another pool transaction already spends one of its inputs
                                   (first seen wins; no replace-by-fee here)
``non-final``                      its locktime is not reached by the next block
``non-BIP68-final``                a relative lock (BIP68) of an input has not expired
``scriptpubkey``                   an output is not a standard template (policy.py)
``dust``                           an output is worth less than spending it would cost
``datacarrier``                    the OP_RETURN outputs' scripts add up to more than
                                   ``max_datacarrier_bytes`` (Core's ``-datacarriersize``:
                                   100,000 by default since Core 30.0, any number of outputs)
``scriptsig-not-pushonly``         a scriptSig runs opcodes instead of pushing data
``bad-txns-nonstandard-inputs``    a spent output is non-standard (policy.py)
non-mandatory-script-verify-flag   the scripts pass the consensus flags but not the policy
(...)                              ones (STANDARD_FLAGS: LOW_S, NULLFAIL, CLEANSTACK...)
``min-relay-fee-not-met``          fee rate below ``min_fee_rate`` satoshis per virtual byte
``mempool-full``                   the pool reached ``max_bytes`` and the newcomer does not
                                   pay a higher fee rate than what it would evict
=================================  ========================================================

plus every consensus code of :mod:`edu_chain.chain.rules` (``bad-txns-...``,
``mandatory-script-verify-flag-failed (...)``), with the same meaning as in a block, and
the rest of relay policy's codes (see :mod:`edu_chain.policy`: ``version``, the size limits
``tx-size`` and ``scriptsig-size``, and ``bad-witness-nonstandard``).
Fee rates are per *virtual* byte (``tx.vsize``: witness bytes count a quarter), as in Core.

The pool follows the chain through its events (:class:`~edu_chain.chain.ChainEvent`): a connected
block removes its transactions and everything that conflicts with them; a reorg puts the
transactions of disconnected blocks back if they are still valid on the new chain (consensus
only: a block already held them, so the relay fee and the size limit are waived, and the pool
is trimmed to size afterwards, as Bitcoin Core does).

:meth:`Mempool.block_template` picks transactions by fee rate (fee per vbyte, highest first),
never before a pool parent it depends on, until the block is full.
"""

from __future__ import annotations

import contextlib
import math
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

from edu_chain import policy
from edu_chain.chain import rules
from edu_chain.chain.coins import Coin
from edu_chain.chain.index import ChainEvent
from edu_chain.chain.scripts import check_input_script
from edu_chain.chain.state import ChainState
from edu_chain.errors import TxValidationError
from edu_chain.hashing import display_hex
from edu_chain.script.flags import CONSENSUS_FLAGS, STANDARD_FLAGS
from edu_chain.script.sighash import SighashCache
from edu_chain.tx import OutPoint

if TYPE_CHECKING:  # pragma: no cover
    from edu_chain.block import Block
    from edu_chain.tx import Transaction

TEMPLATE_RESERVED_BYTES = 1_000  # room for the header and the coinbase in a block template


@dataclass(frozen=True)
class MempoolEntry:
    """A transaction in the pool with what the pool computed about it."""

    tx: Transaction
    txid: bytes  # internal order
    fee: int  # base units: inputs - outputs
    size: int  # bytes of serialization (witnesses included)
    accepted_at: int  # unix time
    sequence: int  # arrival order
    vsize: int = 0  # virtual bytes (weight / 4): what the fee rate is per

    @property
    def fee_rate(self) -> float:
        """Fee per virtual byte, the miner's sort key."""
        return self.fee / (self.vsize or self.size)

    def to_dict(self) -> dict:
        return {
            "txid": display_hex(self.txid),
            "fee": self.fee,
            "size": self.size,
            "vsize": self.vsize,
            "fee_rate": round(self.fee_rate, 3),
            "accepted_at": self.accepted_at,
        }


class Mempool:
    """Unconfirmed transactions on top of a :class:`ChainState` (subscribes to its events)."""

    def __init__(
        self,
        chain: ChainState,
        *,
        min_fee_rate: float = 1.0,
        max_bytes: int = 5_000_000,
        clock: Callable[[], float] | None = None,
        require_standard: bool = True,
        max_datacarrier_bytes: int = policy.MAX_OP_RETURN_RELAY,
    ) -> None:
        self.chain = chain
        self.require_standard = require_standard  # Core's -acceptnonstdtxs=0
        self.max_datacarrier_bytes = max_datacarrier_bytes  # Core's -datacarriersize
        self.params = chain.params
        self.min_fee_rate = min_fee_rate
        self.max_bytes = max_bytes
        self.clock = clock or chain.clock
        self.entries: dict[bytes, MempoolEntry] = {}
        self.spenders: dict[OutPoint, bytes] = {}  # outpoint -> txid of the pool tx spending it
        self._sequence = 0
        self._disconnected: list[Transaction] = []
        self._reorging = False
        # The chain's lock, not a second one: the chain calls us while holding it, and
        # block_template calls the chain while holding ours; one lock cannot deadlock.
        self._lock = chain.lock
        chain.subscribe(self._on_chain_event)

    # --- reading --------------------------------------------------------------------------

    def __len__(self) -> int:
        return len(self.entries)

    def __contains__(self, txid: object) -> bool:
        return txid in self.entries

    def __iter__(self) -> Iterator[MempoolEntry]:
        return iter(list(self.entries.values()))

    def get(self, txid: bytes) -> MempoolEntry | None:
        return self.entries.get(txid)

    @property
    def total_bytes(self) -> int:
        return sum(entry.size for entry in self.entries.values())

    def get_coin(self, outpoint: OutPoint) -> Coin | None:
        """A coin from the chain's UTXO set, or an output of a pool transaction.

        Unconfirmed outputs get height ``tip + 1``: the height they would have if mined next.
        """
        coin = self.chain.get_coin(outpoint)
        if coin is not None:
            return coin
        entry = self.entries.get(outpoint.txid)
        if entry is not None and outpoint.index < len(entry.tx.outputs):
            return Coin(entry.tx.outputs[outpoint.index], self.chain.height + 1, False)
        return None

    def by_fee_rate(self) -> list[MempoolEntry]:
        """Entries, highest fee rate first (earliest arrival first on a tie)."""
        return sorted(self.entries.values(), key=lambda e: (-e.fee_rate, e.sequence))

    # --- accepting ------------------------------------------------------------------------

    def accept(self, tx: Transaction) -> MempoolEntry:
        """Validate ``tx`` (consensus + policy) and add it; raises TxValidationError."""
        with self._lock:
            return self._accept(tx)

    def _accept(self, tx: Transaction, *, bypass_limits: bool = False) -> MempoolEntry:
        """``bypass_limits`` skips the relay fee and the size limit (policy, not consensus) for
        transactions a reorg hands back: a block already held them (Bitcoin Core does the same
        and trims the pool afterwards)."""
        rules.check_transaction(tx, self.params)
        if tx.is_coinbase():
            raise TxValidationError(
                "coinbase",
                f"transaction {tx.id} is a coinbase: those are only valid as the first "
                "transaction of a block, never on their own",
            )
        if self.require_standard:
            self._policy(tx, policy.check_standard, tx, self.max_datacarrier_bytes)
        tip = self.chain.tip
        tip_median_time = self.chain.median_time_past(tip)
        if not rules.is_final(tx, tip.height + 1, tip_median_time):
            raise TxValidationError(
                "non-final",
                f"transaction {tx.id} locktime {tx.locktime} is not reached by the next block "
                f"(height {tip.height + 1}, median-time-past {tip_median_time}): expected a "
                "locktime below those, or every input's sequence 0xffffffff",
            )
        txid = tx.txid
        if txid in self.entries:
            raise TxValidationError(
                "txn-already-in-mempool", f"transaction {tx.id} is already in the mempool"
            )
        for index, tx_in in enumerate(tx.inputs):
            other = self.spenders.get(tx_in.outpoint)
            if other is not None:
                raise TxValidationError(
                    "txn-mempool-conflict",
                    f"transaction {tx.id} input {index} spends "
                    f"{display_hex(tx_in.outpoint.txid)}:{tx_in.outpoint.index}, already spent "
                    f"by mempool transaction {display_hex(other)} (first seen wins)",
                )
        confirmed = self.chain.store.find_tx(txid)
        if confirmed is not None:
            block_hash, height, _ = confirmed
            raise TxValidationError(
                "txn-already-known",
                f"transaction {tx.id} is already confirmed in block {display_hex(block_hash)} "
                f"at height {height}",
            )
        coins = rules.spent_coins(tx, self)
        if self.require_standard:
            self._policy(tx, policy.check_standard_inputs, tx, [c.output for c in coins])
        fee = rules.check_tx_inputs(tx, coins, tip.height + 1, self.params)
        self._check_sequence_locks(tx, coins)
        size, vsize = tx.size, tx.vsize
        if not bypass_limits and fee < self.min_fee_rate * vsize:
            least = math.ceil(self.min_fee_rate * vsize)
            raise TxValidationError(
                "min-relay-fee-not-met",
                f"transaction {tx.id} pays a fee of {fee} for {vsize} virtual bytes: expected "
                f"at least {self.min_fee_rate:g} per vbyte = {least}",
            )
        self._check_scripts(tx, coins)
        if not bypass_limits:
            self._make_room(tx, size, fee / vsize)
        entry = MempoolEntry(tx, txid, fee, size, int(self.clock()), self._sequence, vsize)
        self._sequence += 1
        self.entries[txid] = entry
        for tx_in in tx.inputs:
            self.spenders[tx_in.outpoint] = txid
        return entry

    @staticmethod
    def _policy(tx: Transaction, check: Callable, *args) -> None:
        """Run a policy.py check; its refusal names the transaction, as every refusal does."""
        try:
            check(*args)
        except TxValidationError as exc:
            raise TxValidationError(exc.code, f"transaction {tx.id}: {exc.message}") from None

    def _check_sequence_locks(self, tx: Transaction, coins: list[Coin]) -> None:
        """BIP68 for the next block: ``non-BIP68-final`` while a relative lock holds."""
        active = self.chain.active

        def median_time_at(height: int) -> int:
            return self.chain.median_time_past(active[min(height, len(active) - 1)])

        try:
            rules.check_sequence_locks(tx, coins, self.chain.height + 1, median_time_at)
        except TxValidationError as exc:
            raise TxValidationError("non-BIP68-final", exc.message) from None

    def _check_scripts(self, tx: Transaction, coins: list[Coin]) -> None:
        """Every input's scripts with the policy flags (STANDARD_FLAGS); a failure is then
        re-checked with the consensus flags alone, as Core does, to tell a policy refusal
        (``non-mandatory-script-verify-flag``) from an invalid spend (``mandatory-...``)."""
        flags = STANDARD_FLAGS if self.require_standard else CONSENSUS_FLAGS
        cache = SighashCache(tx)
        for index, coin in enumerate(coins):
            failure = check_input_script(tx, index, coin, flags, cache)
            if failure is None:
                continue
            consensus = check_input_script(tx, index, coin, CONSENSUS_FLAGS, cache)
            if consensus is None:
                raise rules.script_failure(
                    tx, index, failure.code, failure.message, mandatory=False
                )
            raise rules.script_failure(tx, index, consensus.code, consensus.message)

    def _ancestors(self, tx: Transaction) -> set[bytes]:
        """Pool transactions ``tx`` depends on, directly or through other pool transactions."""
        found: set[bytes] = set()
        stack = [tx]
        while stack:
            for tx_in in stack.pop().inputs:
                parent = self.entries.get(tx_in.outpoint.txid)
                if parent is not None and parent.txid not in found:
                    found.add(parent.txid)
                    stack.append(parent.tx)
        return found

    def _make_room(self, tx: Transaction, size: int, fee_rate: float) -> None:
        """When full, evict the lowest fee rates, but only for a better-paying newcomer.

        Bitcoin Core does the same (``TrimToSize``): space in blocks goes to whoever pays
        more per byte, so space in the pool does too.  A victim's descendants leave with it.
        """
        needed = self.total_bytes + size - self.max_bytes
        if needed <= 0:
            return
        keep = self._ancestors(tx)
        victims: list[bytes] = []
        freed = 0
        for entry in reversed(self.by_fee_rate()):  # cheapest first
            if freed >= needed or entry.fee_rate >= fee_rate:
                break
            if entry.txid in keep:
                continue
            victims.append(entry.txid)
            freed += entry.size
        if freed < needed:
            raise TxValidationError(
                "mempool-full",
                f"transaction {tx.id} needs {size} bytes and the mempool has "
                f"{self.max_bytes - self.total_bytes} of {self.max_bytes} free; the entries "
                f"paying less than its {fee_rate:.2f} per byte hold only {freed} of the {needed} "
                "bytes it would have to evict: expected a higher fee rate",
            )
        for txid in victims:
            self.remove(txid)

    # --- removing -------------------------------------------------------------------------

    def remove(self, txid: bytes, *, with_descendants: bool = True) -> list[Transaction]:
        """Remove a transaction (and, by default, pool transactions spending its outputs)."""
        with self._lock:
            removed: list[Transaction] = []
            stack = [txid]
            while stack:
                current = stack.pop()
                entry = self.entries.pop(current, None)
                if entry is None:
                    continue
                removed.append(entry.tx)
                for tx_in in entry.tx.inputs:
                    if self.spenders.get(tx_in.outpoint) == current:
                        del self.spenders[tx_in.outpoint]
                if with_descendants:
                    for index in range(len(entry.tx.outputs)):
                        child = self.spenders.get(OutPoint(current, index))
                        if child is not None:
                            stack.append(child)
            return removed

    def clear(self) -> None:
        with self._lock:
            self.entries.clear()
            self.spenders.clear()

    # --- following the chain --------------------------------------------------------------

    def _on_chain_event(self, event: ChainEvent) -> None:
        with self._lock:
            if event.kind == "block_connected" and event.block is not None:
                self._remove_for_block(event.block)
            elif event.kind == "block_disconnected" and event.block is not None:
                # Blocks leave tip first; keep the transactions in chain order.
                self._disconnected[:0] = list(event.block.transactions[1:])
                self._reorging = True
            elif event.kind == "tip_changed" and self._reorging:
                self._readd_after_reorg()

    def _remove_for_block(self, block: Block) -> None:
        for tx in block.transactions[1:]:
            self.remove(tx.txid, with_descendants=False)
            for tx_in in tx.inputs:  # anything else spending the same coins is now invalid
                conflict = self.spenders.get(tx_in.outpoint)
                if conflict is not None:
                    self.remove(conflict)

    def _readd_after_reorg(self) -> None:
        """Re-validate everything against the new tip: disconnected transactions first."""
        waiting = self._disconnected + [e.tx for e in sorted(self, key=lambda e: e.sequence)]
        self._disconnected = []
        self._reorging = False
        self.clear()
        for tx in waiting:
            # Confirmed on the new branch, or no longer valid there: then it is dropped.
            with contextlib.suppress(TxValidationError):
                self._accept(tx, bypass_limits=True)
        self._trim_to_size()

    def _trim_to_size(self) -> None:
        """Evict the lowest fee rates (with their descendants) until the pool fits."""
        while self.entries and self.total_bytes > self.max_bytes:
            self.remove(self.by_fee_rate()[-1].txid)

    # --- mining ---------------------------------------------------------------------------

    def select_transactions(self, max_bytes: int | None = None) -> tuple[list[Transaction], int]:
        """Transactions for the next block, best fee rate first, parents before children.

        Returns ``(transactions, total_fees)``.  A child whose parent is not selected yet is
        retried on the next pass, so dependencies are always respected.
        """
        with self._lock:
            if max_bytes is None:
                max_bytes = self.params.max_block_size - TEMPLATE_RESERVED_BYTES
            pending = self.by_fee_rate()
            chosen: list[Transaction] = []
            chosen_ids: set[bytes] = set()
            fees = used = 0
            progress = True
            while pending and progress:
                progress = False
                for entry in list(pending):
                    parents = {i.outpoint.txid for i in entry.tx.inputs} & self.entries.keys()
                    if not parents <= chosen_ids:
                        continue
                    pending.remove(entry)
                    if used + entry.size > max_bytes:
                        continue
                    chosen.append(entry.tx)
                    chosen_ids.add(entry.txid)
                    fees += entry.fee
                    used += entry.size
                    progress = True
            return chosen, fees

    def block_template(
        self, script_pubkey: bytes, *, timestamp: int | None = None, extra: bytes = b""
    ) -> Block:
        """An unmined block on the tip with the best-paying pool transactions.

        Mine it with ``mine(template.header)``, put the solved header back
        (``dataclasses.replace(template, header=solved)``) and ``chain.submit_block`` it.
        """
        with self._lock:
            txs, fees = self.select_transactions()
            return self.chain.block_template(
                script_pubkey, txs, fees=fees, timestamp=timestamp, extra=extra
            )

    def to_list(self) -> list[dict]:
        return [entry.to_dict() for entry in self.by_fee_rate()]


def mine_next_block(
    pool: Mempool,
    script_pubkey: bytes,
    *,
    backend: str = "auto",
    threads: int | None = None,
    extra: bytes = b"",
) -> Block:
    """Mine one block on the tip with the pool's best transactions and submit it.

    The steps a miner repeats: take a template (:meth:`Mempool.block_template`), search the
    nonces (:func:`~edu_chain.pow.mine`, outside the chain's lock), and if none of the 2**32
    nonces works, change the coinbase ("extra nonce", which changes the Merkle root) and
    search again.  Returns the block after ``chain.submit_block`` accepted it (if the tip
    moved meanwhile it may land on a side branch; ``chain.get_entry`` tells).
    """
    from dataclasses import replace

    from edu_chain.errors import MiningError
    from edu_chain.pow import mine

    for extra_nonce in range(1_000):
        tag = extra + (extra_nonce.to_bytes(4, "little") if extra_nonce else b"")
        template = pool.block_template(script_pubkey, extra=tag)
        solved = mine(template.header, backend=backend, threads=threads)
        if solved is not None:
            block = replace(template, header=solved)
            pool.chain.submit_block(block)
            return block
    raise MiningError("no nonce found after 1000 extra nonces")  # pragma: no cover
