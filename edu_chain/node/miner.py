"""The node's miner: continuous mining in a background thread, and mining on demand.

One search runs at a time (``_search_lock``).  Each search is the library's
:func:`~edu_chain.pow.mining.mine_with_stats` on a block template taken from the mempool;
its ``progress`` callback (every 0.1 s) stops the search early when

* the tip changed (a peer's block arrived: our template is stale, start again on the new tip),
* mining was paused (``POST /api/mining {"enabled": false}``) or the node is stopping,
* someone asked for blocks *now* (``POST /api/mine``): the background search steps aside.

A found block is submitted only if the tip is still the template's parent (checked under the
node lock), so this node never forks itself; forks come from two nodes finding blocks at
nearly the same time, as on the real network.

When a nonce range of 2**32 holds no solution, the search moves on to a new *extra nonce*: a
counter in the coinbase data, which changes the Merkle root and therefore every hash.

**Pace** (the classroom's block interval target, not a consensus rule): with ``pace`` set to
T seconds the background miner does not start on a tip before :func:`paced_start`, T seconds
after that tip's block was made (its header timestamp, or when this node saw it if the
timestamp is implausible: in the future, or over a minute old, as another laptop's wrong
clock or the ``unittest`` network's simulated time make it).  Every miner of the room
waits for the same moment, so the room finds about one block per T whatever its hash rate,
as long as a block takes less than T to find; the consensus difficulty is untouched (every
node must agree on it).  Anchoring on the previous block's timestamp rather than on when
the search ended means a slow search does not add up: the next block's template, built at
the release, is T after its parent's.  A small random offset (``PACE_JITTER`` of T, centred
so the *first* of ``pace_miners`` miners starts T after the tip on average) spreads the
starts, so fewer miners find a block at the same instant.
"""

from __future__ import annotations

import logging
import os
import random
import threading
import time
from dataclasses import replace
from typing import TYPE_CHECKING

from edu_chain.block import Block
from edu_chain.errors import NodeError
from edu_chain.node.state import NodeState
from edu_chain.pow.mining import MiningStats, mine_with_stats

if TYPE_CHECKING:  # pragma: no cover
    from collections.abc import Callable, Sequence

    from edu_chain.tx import Transaction

log = logging.getLogger(__name__)

PROGRESS_INTERVAL = 0.1  # seconds between the miner's checks for a new tip or a pause
PACE_JITTER = 0.25  # the paced start's random spread, as a fraction of the pace
CLOCK_TRUST = 60.0  # seconds a block's timestamp may precede its arrival and still count


def paced_start(tip_timestamp: int, tip_arrived: float, pace: float, offset: float = 0.0) -> float:
    """The unix time a paced miner may start on a tip (see "Pace" in the module docstring):
    ``pace`` (+ ``offset``) seconds after the tip's block was made.  A header timestamp counts
    whole seconds, so it stands for the middle of its second (+0.5): the next template's
    timestamp, rounded down, is then ``pace`` after its parent's on average.  A timestamp
    after the block's arrival here, or more than ``CLOCK_TRUST`` seconds before it, says more
    about its miner's clock (or the ``unittest`` network's simulated time) than about when
    the block was made: then the arrival counts."""
    made = tip_timestamp + 0.5
    if not tip_arrived - CLOCK_TRUST <= made <= tip_arrived:
        made = tip_arrived
    return made + pace + offset


def pace_offset(pace: float, miners: int, rng: random.Random) -> float:
    """A miner's random start offset for one tip: uniform over ``PACE_JITTER * pace``, less
    the expected earliest of ``miners`` such offsets, so the room's first start stays at
    ``pace`` on average."""
    spread = PACE_JITTER * pace
    return rng.uniform(0.0, spread) - spread / (max(1, miners) + 1)


class _Interrupted(Exception):
    """Raised from the progress callback to abandon a search."""


class Miner:
    """Mines blocks paying ``script_pubkey`` on the tip of ``state.chain`` (see the module
    docstring).  What it needs from the node is passed in: ``submit_block`` (validate, store
    and relay a found block), ``template_timestamp`` (the next block's timestamp, None for the
    clock) and ``tag`` (the node's name, written into the coinbase)."""

    def __init__(
        self,
        state: NodeState,
        *,
        submit_block: Callable[[Block], object],
        template_timestamp: Callable[[], int | None] = lambda: None,
        tag: Callable[[], str] = lambda: "edu_chain",
        script_pubkey: bytes,
        backend: str = "auto",
        threads: int | None = None,
        interval: float = 0.0,
        clock: Callable[[], float] = time.time,
        rng: random.Random | None = None,
    ) -> None:
        self.state = state
        self.submit_block = submit_block
        self.template_timestamp = template_timestamp
        self.tag = tag
        self.script_pubkey = script_pubkey
        self.backend = backend
        self.threads = threads
        self.interval = interval  # pause between continuously mined blocks
        self.pace: float | None = None  # the room's seconds per block (classroom), or None
        self.pace_miners = 1  # miners sharing the pace (centres the random start offset)
        self.clock = clock
        self._rng = rng or random.Random()
        self._tip_arrived = clock()
        self._offset: tuple[int, float] | None = None  # (tip generation, its start offset)
        self.enabled = False
        self.blocks_mined = 0
        self.hashes = 0
        self.last_stats: MiningStats | None = None
        self._extra_nonce = int.from_bytes(os.urandom(4), "little")
        self._search_lock = threading.Lock()
        self._demand = 0  # on-demand requests waiting or running
        self._demand_lock = threading.Lock()
        self._wake = threading.Event()
        self._stopping = threading.Event()
        self._tip_generation = 0
        self._thread: threading.Thread | None = None

    # --- control --------------------------------------------------------------------------

    def start(self, *, enabled: bool = False) -> None:
        self.enabled = enabled
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="miner", daemon=True)
            self._thread.start()

    def stop(self) -> None:
        self._stopping.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout=10)

    def configure(
        self,
        *,
        enabled: bool | None = None,
        threads: int | None = None,
        script_pubkey: bytes | None = None,
    ) -> None:
        """The instructor's switch: start or pause continuous mining, change threads/payout."""
        if threads is not None:
            self.threads = threads
        if script_pubkey is not None:
            self.script_pubkey = script_pubkey
        if enabled is not None:
            self.enabled = enabled
        self._wake.set()
        if enabled is False and self._search_lock.acquire(timeout=5):
            # Wait for a background search in flight to notice; after this returns, no
            # continuously mined block is submitted until mining is enabled again.
            self._search_lock.release()

    def tip_changed(self) -> None:
        """Called by the node (under its lock) when the active tip moved."""
        self._tip_arrived = self.clock()
        self._tip_generation += 1

    def set_pace(self, pace: float | None, miners: int = 1) -> None:
        """The room's seconds per block (None: mine at once on every tip)."""
        self.pace, self.pace_miners = pace, max(1, miners)
        self._wake.set()

    def pace_wait(self) -> float:
        """Seconds before the background miner may start on the current tip (0: now)."""
        pace = self.pace
        if not pace:
            return 0.0
        with self.state.lock:
            generation, timestamp = self._tip_generation, self.state.chain.tip.timestamp
            arrived = self._tip_arrived
        if self._offset is None or self._offset[0] != generation:
            self._offset = (generation, pace_offset(pace, self.pace_miners, self._rng))
        start = paced_start(timestamp, arrived, pace, self._offset[1])
        return max(0.0, start - self.clock())

    def status(self) -> dict:
        stats = self.last_stats
        return {
            "enabled": self.enabled,
            "active": self._search_lock.locked(),
            "backend": stats.backend if stats is not None else self.backend,
            "threads": self.threads or os.cpu_count() or 1,
            "hash_rate": round(stats.hash_rate, 1) if stats is not None else 0.0,
            "blocks_mined": self.blocks_mined,
            "hashes": self.hashes,
            "interval": self.interval,
            "pace": self.pace,
        }

    # --- mining ---------------------------------------------------------------------------

    def mine_now(
        self,
        count: int,
        script_pubkey: bytes | None = None,
        transactions: Sequence[Transaction] = (),
    ) -> list[Block]:
        """Mine ``count`` blocks on the tip now (the background miner steps aside).

        With ``transactions``, the first block holds exactly those (checked by the consensus
        rules only, not relay policy: Core's ``generateblock``), the others the mempool's
        best; a transaction that cannot be mined raises BlockValidationError first."""
        with self._demand_lock:
            self._demand += 1
        try:
            with self._search_lock:
                blocks: list[Block] = []
                while len(blocks) < count:
                    if self._stopping.is_set():
                        raise NodeError("the node is stopping; mining was interrupted")
                    block = self._mine_one(
                        script_pubkey or self.script_pubkey,
                        self._stopping.is_set,
                        None if blocks or not transactions else list(transactions),
                    )
                    if block is not None:
                        blocks.append(block)
                return blocks
        finally:
            with self._demand_lock:
                self._demand -= 1
            self._wake.set()

    def _mine_one(
        self,
        script_pubkey: bytes,
        should_stop: Callable[[], bool],
        transactions: list[Transaction] | None = None,
    ) -> Block | None:
        """One search on a fresh template (the mempool's, or exactly ``transactions``);
        the submitted block, or None if interrupted."""
        state = self.state
        while True:
            if should_stop():
                return None
            with state.lock:
                self._extra_nonce = (self._extra_nonce + 1) & 0xFFFFFFFF
                extra = self.tag().encode()[:40] + b"/" + self._extra_nonce.to_bytes(4, "little")
                timestamp = self.template_timestamp()
                if transactions is None:
                    template = state.mempool.block_template(
                        script_pubkey, timestamp=timestamp, extra=extra
                    )
                else:  # re-checked on every new tip: a peer's block may have spent the coins
                    template = state.chain.checked_template(
                        script_pubkey, transactions, timestamp=timestamp, extra=extra
                    )
                generation = self._tip_generation

            def progress(stats: MiningStats, generation: int = generation) -> None:
                self.last_stats = stats
                if should_stop() or self._tip_generation != generation:
                    raise _Interrupted

            try:
                result = mine_with_stats(
                    template.header,
                    backend=self.backend,
                    threads=self.threads,
                    progress=progress,
                    progress_interval=PROGRESS_INTERVAL,
                )
            except _Interrupted:
                return None
            self.last_stats = result.stats
            self.hashes += result.stats.hashes
            if result.header is None:
                continue  # no nonce works: next extra nonce
            block = replace(template, header=result.header)
            with state.lock:
                stale = state.chain.tip.hash != template.header.prev_hash  # a block arrived
                if stale or should_stop() or self._tip_generation != generation:
                    return None
                self.submit_block(block)
            self.blocks_mined += 1
            log.info("mined block %s", block.id)
            return block

    def _run(self) -> None:
        """The background thread: mine while enabled, idle otherwise."""
        while not self._stopping.is_set():
            if not self.enabled or self._demand:
                self._wake.wait(0.5)
                self._wake.clear()
                continue
            wait = self.pace_wait()
            if wait > 0:  # the room's pace: not yet (a new tip or a new pace wakes us)
                self._wake.wait(min(wait, 0.5))
                self._wake.clear()
                continue
            if not self._search_lock.acquire(timeout=0.5):
                continue
            try:
                block = self._mine_one(
                    self.script_pubkey,
                    lambda: self._stopping.is_set() or not self.enabled or self._demand > 0,
                )
            except Exception:  # never let one bad template kill the thread
                log.exception("mining failed; retrying in a second")
                block = None
                self._stopping.wait(1.0)
            finally:
                self._search_lock.release()
            if block is not None and self.interval > 0:
                self._stopping.wait(self.interval)
