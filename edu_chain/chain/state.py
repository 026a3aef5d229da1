"""Chain state: the block index, fork choice, connecting and disconnecting blocks, reorgs.

This is Bitcoin Core's ``ChainstateManager`` in miniature (``src/validation.cpp``):

* **Block index.**  Every block this node accepted has a :class:`BlockIndexEntry` with its
  height and *chainwork*, the total proof-of-work of the chain ending at it
  (``parent.chainwork + block_work(bits)``).  Blocks on losing branches stay in the index
  (and on disk), so the explorer can draw the fork tree.
* **Fork choice.**  The active chain is the valid chain with the most chainwork.  Height does
  not matter, work does.  On a tie the block seen first wins, so an equal-work competitor
  never replaces the tip (this also holds after a restart: first-seen order is stored).
* **Orphans.**  A block whose parent is unknown is kept in memory (up to ``max_orphans``) and
  processed as soon as the parent arrives.
* **Connecting** a block checks it against the UTXO set (inputs exist, maturity, amounts,
  BIP68 relative locks, sigop cost, every input's scripts, coinbase amount), then spends its
  inputs and adds its outputs, saving the spent coins as *undo data*.  **Disconnecting**
  reverses that with the undo data.  The bookkeeping of one block lives in
  :mod:`~edu_chain.chain.connect`; this module decides which blocks to connect and commits
  each one's changes.
* **Reorg.**  When another branch gets more work, the node disconnects blocks back to the fork
  point and connects the other branch.  If a block of that branch turns out invalid it is
  marked invalid (with its descendants) and the node returns to the best valid chain.
  Listeners (the mempool, the node, the explorer) hear every step as a :class:`ChainEvent`;
  the mempool uses ``block_disconnected`` to take the transactions back.

Every change of the UTXO set goes through :class:`~edu_chain.chain.store.ChainStore`, one
SQLite transaction per block, so a crash leaves the database at a block boundary.  The disk
is written first and memory follows once the transaction committed, so an error inside the
transaction (a full disk) leaves both unchanged, and a reorg stopped half-way still tells
its listeners where the tip is (``tests/unit/test_chain_store.py`` injects such errors).
The one gap: an exception raised *between* the commit and the few dictionary updates that
follow (only ``KeyboardInterrupt`` can land there) leaves memory one block behind the
database; reopening the chain reads the database, which is always consistent.

>>> from edu_chain.chain import ChainParams, ChainState
>>> chain = ChainState(ChainParams.for_tests())
>>> chain.height, chain.tip.hash == chain.params.genesis_hash
(0, True)
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from edu_chain.block import Block, BlockHeader
from edu_chain.block import parse_block as parse_block  # its home is block.py; kept importable here
from edu_chain.chain import retarget, rules
from edu_chain.chain.coins import Coin
from edu_chain.chain.connect import connect_changes, disconnect_changes
from edu_chain.chain.history import Spend, Touch
from edu_chain.chain.index import (
    INVALID,
    VALID,
    BlockIndexEntry,
    ChainEvent,
    Listener,
    SubmitResult,
)
from edu_chain.chain.params import ChainParams
from edu_chain.chain.scripts import Verifier, serial_script_verifier
from edu_chain.chain.store import ChainStore, ConsistencyReport, StoreError
from edu_chain.errors import BlockValidationError, ValidationError
from edu_chain.hashing import display_hex
from edu_chain.pow.target import block_work

if TYPE_CHECKING:  # pragma: no cover
    from edu_chain.tx import OutPoint, Transaction

log = logging.getLogger(__name__)


class ChainState:
    """The node's view of the chain: block index, active chain, UTXO set, on SQLite.

    ``store`` is a path to a database file, a :class:`ChainStore`, or None (in memory).
    ``clock`` returns the current unix time (tests pass a fixed one).  ``verify_scripts``
    takes a list of ``(tx, input index, spent coin)`` and returns one failure or None per
    entry; the default checks them one by one; ``parallel_script_verifier()`` (scripts.py)
    uses every core.
    """

    def _repr_html_(self) -> str:  # Jupyter's rich display: the block tree, stale branches too
        from edu_chain.display import block_tree_html

        return block_tree_html(self)

    def __init__(
        self,
        params: ChainParams | None = None,
        store: ChainStore | str | Path | None = None,
        *,
        clock: Callable[[], float] = time.time,
        verify_scripts: Verifier | None = None,
        max_orphans: int = 100,
    ) -> None:
        self.params = params or ChainParams.edu_regtest()
        owns_store = not isinstance(store, ChainStore)
        if isinstance(store, ChainStore):
            store.check_meta(self.params.name)
        else:
            store = ChainStore(store or ":memory:", chain_name=self.params.name)
        self.store = store
        self.clock = clock
        self.verify_scripts = verify_scripts or serial_script_verifier
        self.max_orphans = max_orphans
        self.index: dict[bytes, BlockIndexEntry] = {}
        self.active: list[BlockIndexEntry] = []  # active chain by height
        self.utxos: dict[OutPoint, Coin] = {}
        self.orphans: dict[bytes, Block] = {}  # hash -> block whose parent is unknown
        self._listeners: list[Listener] = []
        self._block_cache: dict[bytes, Block] = {}
        self._sequence = 0
        self._lock = threading.RLock()
        try:
            self._load()
        except BaseException:
            if owns_store:  # a store the caller passed in is the caller's to close
                store.close()
            raise

    # --- loading --------------------------------------------------------------------------

    def _load(self) -> None:
        for row in self.store.iter_blocks():
            parent = self.index.get(row.header.prev_hash)
            entry = BlockIndexEntry(
                hash=row.hash,
                header=row.header,
                height=row.height,
                chainwork=row.chainwork,
                parent=parent,
                sequence=row.sequence,
                status=row.status,
                reason=row.reason,
                received_at=row.received_at,
            )
            self.index[row.hash] = entry
            if parent is not None:
                parent.children.append(entry)
            self._sequence = max(self._sequence, row.sequence + 1)
        self._init_genesis()
        self.active = [self.index[h] for h in self.store.active_chain()]
        if not self.active or self.active[0].hash != self.params.genesis_hash:
            raise StoreError(
                f"database {self.store.path}: its active chain does not start at the "
                f"{self.params.name} genesis block {display_hex(self.params.genesis_hash)}"
            )
        self.utxos = self.store.load_utxos()
        # A crash in the middle of a reorg leaves a valid but lighter tip: finish the job.
        self._activate_best_chain()

    def _init_genesis(self) -> None:
        """Store and connect the genesis block of a new database (each step only once, so a
        crash between the two steps is finished on the next start)."""
        genesis = self.params.genesis_block()
        entry = self.index.get(genesis.hash())
        if entry is None:
            if self.index:
                raise StoreError(
                    f"database {self.store.path}: its blocks do not start at the "
                    f"{self.params.name} genesis block {display_hex(genesis.hash())}"
                )
            entry = self._add_entry(genesis, None)
        if not self.store.active_chain():
            self.store.connect_block(genesis, 0, [], [])
            entry.status = VALID

    # --- reading --------------------------------------------------------------------------

    @property
    def lock(self) -> threading.RLock:
        """The re-entrant lock every change runs under (the mempool shares it).  Hold it to
        read several things that must agree, e.g. the tip and a UTXO lookup."""
        return self._lock

    @property
    def tip(self) -> BlockIndexEntry:
        return self.active[-1]

    @property
    def height(self) -> int:
        return len(self.active) - 1

    def tip_info(self) -> dict:
        """The node API's ``GET /api/tip`` answer: height, hash (displayed hex), chainwork."""
        tip = self.tip
        return {"height": tip.height, "hash": tip.id, "chainwork": f"{tip.chainwork:x}"}

    def subscribe(self, listener: Listener) -> None:
        """Call ``listener(event)`` after every change (see :class:`ChainEvent`).

        Listeners run synchronously, in order, while the chain's lock is held: keep them
        short (a node should queue network work, not do it inside the callback).  An
        exception in a listener is logged and does not undo the change."""
        self._listeners.append(listener)

    def unsubscribe(self, listener: Listener) -> None:
        self._listeners.remove(listener)

    def get_coin(self, outpoint: OutPoint) -> Coin | None:
        """The unspent output at ``outpoint`` on the active chain, or None."""
        return self.utxos.get(outpoint)

    def utxos_for(self, script_pubkey: bytes) -> list[tuple[OutPoint, Coin]]:
        """The unspent outputs locked by exactly ``script_pubkey`` (the owner index)."""
        return self.store.utxos_for(script_pubkey)

    def balance(self, script_pubkey: bytes) -> int:
        return sum(coin.amount for _, coin in self.utxos_for(script_pubkey))

    def get_entry(self, block_hash: bytes) -> BlockIndexEntry | None:
        return self.index.get(block_hash)

    def get_block(self, block_hash: bytes) -> Block | None:
        """Any stored block (active or stale branch) by hash, or None."""
        block = self._block_cache.get(block_hash)
        if block is None:
            raw = self.store.get_raw_block(block_hash)
            if raw is None:
                return None
            block = parse_block(raw)
        return block

    def block_at(self, height: int) -> Block | None:
        """The active chain's block at ``height``, or None above the tip."""
        with self._lock:
            if not 0 <= height <= self.height:
                return None
            return self.get_block(self.active[height].hash)

    def contains(self, entry: BlockIndexEntry) -> bool:
        """True when ``entry`` is on the active chain."""
        return entry.height <= self.height and self.active[entry.height] is entry

    def find_tx(self, txid: bytes) -> tuple[Transaction, BlockIndexEntry] | None:
        """A confirmed transaction and the active-chain block holding it."""
        with self._lock:  # the lookup and the read must see the same chain
            found = self.store.find_tx(txid)
            if found is None:
                return None
            block_hash, _, position = found
            block = self.get_block(block_hash)
            assert block is not None
            return block.transactions[position], self.index[block_hash]

    def locate_tx(self, txid: bytes) -> tuple[BlockIndexEntry, int] | None:
        """The active-chain block holding a confirmed transaction, and its position there."""
        with self._lock:
            found = self.store.find_tx(txid)
            return None if found is None else (self.index[found[0]], found[2])

    def address_history(
        self, script_pubkey: bytes, *, limit: int, offset: int = 0, newest_first: bool = True
    ) -> list[Touch]:
        """A page of the active chain's transactions paying or spending from
        ``script_pubkey`` (the address index, :mod:`~edu_chain.chain.history`)."""
        return self.store.address_history(
            script_pubkey, limit=limit, offset=offset, newest_first=newest_first
        )

    def address_totals(self, script_pubkey: bytes) -> tuple[int, int, int]:
        """``(transactions, received, sent)`` of ``script_pubkey`` on the active chain."""
        return self.store.address_totals(script_pubkey)

    def spends_of(self, txid: bytes) -> dict[int, Spend]:
        """Which active-chain input spent each spent output of ``txid`` (by output index)."""
        return self.store.spends_of(txid)

    def median_time_past(self, entry: BlockIndexEntry) -> int:
        """Median timestamp of ``entry`` and up to 10 blocks before it."""
        times = []
        cursor: BlockIndexEntry | None = entry
        while cursor is not None and len(times) < self.params.median_time_span:
            times.append(cursor.timestamp)
            cursor = cursor.parent
        return rules.median_time_past(times)

    def next_bits(self, parent: BlockIndexEntry) -> int:
        """The ``bits`` a child of ``parent`` must carry (the retarget rule)."""
        height = parent.height + 1
        start = None
        if retarget.is_retarget_height(height, self.params):
            start = parent.ancestor(retarget.window_start_height(height, self.params)).timestamp
        return retarget.next_bits(height, parent.header.bits, parent.timestamp, start, self.params)

    def fork_tree(self) -> list[dict]:
        """Every known block with its status and whether it is on the active chain."""
        with self._lock:
            return [
                {**entry.to_dict(), "active": self.contains(entry)}
                for entry in sorted(self.index.values(), key=lambda e: e.sequence)
            ]

    def stale_tips(self) -> list[BlockIndexEntry]:
        """Leaves of the block tree that are not the active tip (ends of stale branches)."""
        with self._lock:  # another thread may be adding blocks to the index
            return [e for e in self.index.values() if not e.children and e is not self.tip]

    # --- helpers for peers (sync) ---------------------------------------------------------

    def orphan_parents(self) -> list[bytes]:
        """Hashes of unknown blocks that orphans are waiting for: ask peers for these."""
        with self._lock:
            wanted = {b.header.prev_hash for b in self.orphans.values()}
            return sorted(h for h in wanted if h not in self.index and h not in self.orphans)

    def block_locator(self) -> list[bytes]:
        """Active-chain hashes from the tip back to genesis, dense first then doubling gaps
        (Bitcoin's ``CBlockLocator``): a peer finds the last block we share in few steps."""
        with self._lock:
            hashes, height, step = [], self.height, 1
            while height > 0:
                hashes.append(self.active[height].hash)
                if len(hashes) >= 10:
                    step *= 2
                height -= step
            hashes.append(self.active[0].hash)
            return hashes

    def hashes_after(self, locator: Sequence[bytes], limit: int = 500) -> list[bytes]:
        """Active-chain hashes following the first ``locator`` hash we have on our chain."""
        with self._lock:
            start = 0
            for block_hash in locator:
                entry = self.index.get(block_hash)
                if entry is not None and self.contains(entry):
                    start = entry.height + 1
                    break
            return [e.hash for e in self.active[start : start + limit]]

    def check_consistency(self) -> ConsistencyReport:
        """Replay the active chain into a fresh UTXO set; compare with memory and disk."""
        with self._lock:
            report = self.store.check_consistency(parse_block)
            if report.ok and self.store.load_utxos() != self.utxos:
                return ConsistencyReport(
                    False, report.height, report.utxo_count, ("in-memory UTXO set differs",)
                )
            return report

    # --- block templates ------------------------------------------------------------------

    def block_template(
        self,
        script_pubkey: bytes,
        transactions: Sequence[Transaction] = (),
        *,
        fees: int = 0,
        timestamp: int | None = None,
        extra: bytes = b"",
        version: int = 1,
    ) -> Block:
        """An unmined block on the tip: coinbase paying subsidy + ``fees`` to ``script_pubkey``
        (with the witness commitment when a transaction has a witness).

        The header has nonce 0; run :func:`~edu_chain.pow.mine` on it, then
        :meth:`submit_block`.  The timestamp is the clock, but at least median time + 1.
        """
        from edu_chain.chain.coinbase import coinbase_transaction

        with self._lock:
            parent = self.tip
            height = parent.height + 1
            earliest = self.median_time_past(parent) + 1
            when = int(self.clock()) if timestamp is None else timestamp
            amount = self.params.block_subsidy(height) + fees
            coinbase = coinbase_transaction(height, script_pubkey, amount, extra, transactions)
            header = BlockHeader(
                version=version,
                prev_hash=parent.hash,
                merkle_root=bytes(32),
                timestamp=max(when, earliest),
                bits=self.next_bits(parent),
                nonce=0,
            )
            return Block.build(header, [coinbase, *transactions])

    def checked_template(
        self,
        script_pubkey: bytes,
        transactions: Sequence[Transaction],
        *,
        timestamp: int | None = None,
        extra: bytes = b"",
    ) -> Block:
        """A template on the tip holding exactly ``transactions`` (in that order), checked by
        every consensus rule but the proof-of-work, with the coinbase claiming their fees.

        Bitcoin Core's ``generateblock`` on regtest does the same (through
        ``TestBlockValidity``): a miner may put any *valid* transaction in its own block,
        including ones the mempool's relay policy refuses (a fee below the minimum, a
        non-standard script).  Raises :class:`~edu_chain.errors.BlockValidationError`
        with the rule's code when a transaction could not be mined on the tip.
        """
        with self._lock:
            parent = self.tip
            height = parent.height + 1
            draft = self.block_template(
                script_pubkey, transactions, timestamp=timestamp, extra=extra
            )
            rules.check_block(draft, self.params)
            rules.check_block_context(draft, height, self.median_time_past(parent))
            active = self.active

            def median_time_at(h: int) -> int:
                return self.median_time_past(active[h])

            changes = connect_changes(
                draft, height, self.utxos, self.params, self.verify_scripts, median_time_at
            )
            return self.block_template(
                script_pubkey,
                transactions,
                fees=changes.fees,
                timestamp=draft.header.timestamp,
                extra=extra,
            )

    # --- accepting blocks -----------------------------------------------------------------

    def submit_block(self, block: Block, *, allow_orphan: bool = True) -> SubmitResult:
        """Validate and store a block, then move to the chain with the most work.

        Raises :class:`~edu_chain.errors.BlockValidationError` (with the reject code) when
        the block is invalid, or when connecting it revealed that it (or an ancestor on its
        branch) is invalid.  Returns a :class:`SubmitResult` otherwise.  A block with an
        unknown parent is kept as an orphan, or refused with ``prev-blk-not-found`` when
        ``allow_orphan`` is False.
        """
        with self._lock:
            before = list(self.active)
            if not allow_orphan and block.header.prev_hash not in self.index:
                raise BlockValidationError(
                    "prev-blk-not-found",
                    f"block {block.id} field prev_hash: expected the hash of a block this node "
                    f"knows, got {display_hex(block.header.prev_hash)} (fetch the parent first)",
                )
            result = self._accept(block)
            if result.status == "orphan":
                return result
            error = self._activate_best_chain()
            self._process_orphans(result.hash)
            entry = self.index[result.hash]
            if entry.status == INVALID and error is not None:
                raise error
            return self._result_for(entry, before)

    def _result_for(self, entry: BlockIndexEntry, before: list[BlockIndexEntry]) -> SubmitResult:
        fork = 0
        while fork < len(before) and fork < len(self.active) and before[fork] is self.active[fork]:
            fork += 1
        return SubmitResult(
            status="active" if self.contains(entry) else "side-chain",
            hash=entry.hash,
            height=entry.height,
            connected=tuple(e.hash for e in self.active[fork:]),
            disconnected=tuple(e.hash for e in reversed(before[fork:])),
        )

    def _accept(self, block: Block) -> SubmitResult:
        """Context-free and header checks; store the block (or keep it as an orphan)."""
        block_hash = block.hash()
        if block_hash in self.index or block_hash in self.orphans:
            known = self.index.get(block_hash)
            detail = (
                f" (marked invalid: {known.reason})" if known and known.status == INVALID else ""
            )
            raise BlockValidationError(
                "duplicate", f"block {display_hex(block_hash)} is already known{detail}"
            )
        rules.check_header_pow(block.header, self.params)
        rules.check_block(block, self.params)
        parent = self.index.get(block.header.prev_hash)
        if parent is None:
            self._add_orphan(block)
            return SubmitResult("orphan", block_hash, None)
        if parent.status == INVALID:
            raise BlockValidationError(
                "bad-prevblk",
                f"block {block.id} builds on {parent.id}, which is invalid ({parent.reason})",
            )
        height = parent.height + 1
        median = self.median_time_past(parent)
        rules.check_header_context(
            block.header,
            height=height,
            expected_bits=self.next_bits(parent),
            median_time=median,
            now=int(self.clock()),
            params=self.params,
        )
        rules.check_block_context(block, height, median)
        entry = self._add_entry(block, parent)
        self._emit(ChainEvent("block_accepted", entry, block))
        return SubmitResult("side-chain", block_hash, height)

    def _add_entry(self, block: Block, parent: BlockIndexEntry | None) -> BlockIndexEntry:
        height = 0 if parent is None else parent.height + 1
        chainwork = block_work(block.header.bits) + (0 if parent is None else parent.chainwork)
        entry = BlockIndexEntry(
            hash=block.hash(),
            header=block.header,
            height=height,
            chainwork=chainwork,
            parent=parent,
            sequence=self._sequence,
            received_at=int(self.clock()),
        )
        self.store.add_block(
            block,
            height=height,
            chainwork=chainwork,
            sequence=entry.sequence,
            received_at=entry.received_at,
        )
        self._sequence += 1
        self.index[entry.hash] = entry
        if parent is not None:
            parent.children.append(entry)
        self._remember(block)
        return entry

    def _add_orphan(self, block: Block) -> None:
        if len(self.orphans) >= self.max_orphans:
            self.orphans.pop(next(iter(self.orphans)))  # forget the oldest
        self.orphans[block.hash()] = block

    def _process_orphans(self, parent_hash: bytes) -> None:
        """Accept orphans whose parent just arrived, and their orphan children in turn."""
        queue = [parent_hash]
        while queue:
            parent = queue.pop()
            children = [b for b in self.orphans.values() if b.header.prev_hash == parent]
            for child in children:
                del self.orphans[child.hash()]
                try:
                    self._accept(child)
                except ValidationError as exc:
                    log.info("orphan %s rejected: %s", child.id, exc)
                    continue
                self._activate_best_chain()
                queue.append(child.hash())

    # --- fork choice ----------------------------------------------------------------------

    def _best_candidate(self) -> BlockIndexEntry:
        """The not-invalid block with the most chainwork; the first seen wins a tie.

        Because ties go to the lower first-seen sequence, a later block of equal work never
        replaces the tip, and a failed reorg returns to the chain that was seen first (as
        Bitcoin Core's ``setBlockIndexCandidates`` ordering does).
        """
        best = self.tip
        for entry in self.index.values():
            if entry.status == INVALID:
                continue
            if (entry.chainwork, -entry.sequence) > (best.chainwork, -best.sequence):
                best = entry
        return best

    def _activate_best_chain(self) -> BlockValidationError | None:
        """Reorganise to the most-work valid chain.  Returns the first error met, if any."""
        first_error: BlockValidationError | None = None
        old_tip = self.tip
        moved = False  # a failed reorg may end on the old tip after moving away and back
        try:
            while True:
                best = self._best_candidate()
                if best is self.tip:
                    break
                fork = self._find_fork(best)
                moved = True
                while self.tip is not fork:
                    self._disconnect_tip()
                path = []
                cursor = best
                while cursor is not fork:
                    assert cursor.parent is not None
                    path.append(cursor)
                    cursor = cursor.parent
                for entry in reversed(path):
                    try:
                        self._connect(entry)
                    except ValidationError as exc:
                        error = BlockValidationError(exc.code, exc.message)
                        self._mark_invalid(entry, error)
                        first_error = first_error or error
                        break
        finally:
            # Also when an unexpected error (a disk failure) stops a reorg half-way: every
            # step that completed is committed, so listeners must hear where the tip is now
            # (the mempool takes back the transactions of the blocks already disconnected).
            if moved or self.tip is not old_tip:
                self._emit(ChainEvent("tip_changed", self.tip))
        return first_error

    def _find_fork(self, entry: BlockIndexEntry) -> BlockIndexEntry:
        """The last block that ``entry``'s chain shares with the active chain."""
        cursor = entry.ancestor(min(entry.height, self.height))
        while not self.contains(cursor):
            assert cursor.parent is not None  # genesis is always shared
            cursor = cursor.parent
        return cursor

    def _mark_invalid(self, entry: BlockIndexEntry, error: ValidationError) -> None:
        """Mark ``entry`` invalid and every block built on it ``bad-prevblk``: on disk in one
        transaction first, then in memory, so a failed write leaves both unchanged."""
        marks = [(entry, error.code)]
        stack = list(entry.children)
        while stack:
            child = stack.pop()
            marks.append((child, "bad-prevblk"))
            stack.extend(child.children)
        self.store.mark_invalid([(marked.hash, reason) for marked, reason in marks])
        for marked, reason in marks:
            marked.status, marked.reason = INVALID, reason
        self._emit(ChainEvent("block_invalid", entry, error=error))

    # --- connecting and disconnecting -----------------------------------------------------

    def _connect(self, entry: BlockIndexEntry) -> None:
        """Validate ``entry``'s block against the UTXO set and make it the new tip."""
        block = self.get_block(entry.hash)
        assert block is not None and entry.parent is self.tip
        height = entry.height
        active = self.active  # up to the parent: the heights BIP68 asks about are all below

        def median_time_at(h: int) -> int:
            return self.median_time_past(active[h])

        changes = connect_changes(
            block, height, self.utxos, self.params, self.verify_scripts, median_time_at
        )
        rules.check_coinbase_amount(block, height, changes.fees, self.params)
        # Disk first, in one SQLite transaction; memory follows only once it committed.
        self.store.connect_block(block, height, changes.spent, changes.created)
        for outpoint, _ in changes.spent:
            del self.utxos[outpoint]
        self.utxos.update(changes.created)
        entry.status, entry.reason = VALID, None
        self.active.append(entry)
        self._emit(ChainEvent("block_connected", entry, block))

    def _disconnect_tip(self) -> Block:
        """Remove the tip block: delete the coins it created, restore the coins it spent."""
        entry = self.tip
        block = self.get_block(entry.hash)
        assert block is not None and entry.parent is not None
        undo = self.store.get_undo(entry.hash)
        restored, removed = disconnect_changes(block, entry.height, undo, self.utxos)
        self.store.disconnect_block(block, entry.height, restored, removed)
        for outpoint in removed:
            del self.utxos[outpoint]
        self.utxos.update(restored)
        self.active.pop()
        self._emit(ChainEvent("block_disconnected", entry, block))
        return block

    # --- helpers --------------------------------------------------------------------------

    def _remember(self, block: Block) -> None:
        self._block_cache[block.hash()] = block
        while len(self._block_cache) > 512:
            self._block_cache.pop(next(iter(self._block_cache)))

    def _emit(self, event: ChainEvent) -> None:
        for listener in list(self._listeners):
            try:
                listener(event)
            except Exception:  # a listener's bug must not break consensus
                log.exception("chain listener %r failed on %s", listener, event.kind)

    def close(self) -> None:
        self.store.close()
