"""Mining: search for the lowest nonce whose header hash meets the target.

:func:`mine_reference` is the specification, in plain Python, meant to be read:

1. Serialize the header once; only the last 4 bytes (the nonce) change.
2. SHA-256 works on 64-byte blocks, and the first 64 header bytes never change, so hash them
   once ("midstate") and copy that state for every nonce.
3. For each nonce in order: finish the first SHA-256, hash again (sha256d), read the result as
   a little-endian number, compare with the target using ``<=``.

:func:`mine` is the public entry point.  It validates the job, then runs a backend:

* ``"python"``: the reference above, one core.
* ``"numba"``: the same search compiled by Numba (:mod:`edu_chain.sha256_kernels`), many
  nonces per vector instruction, the range split across ``threads`` cores.
* ``"auto"`` (the default): Numba when it imports and passes a known-answer self-test (the
  genesis block's nonce), otherwise the reference.

How several threads still return the *lowest* nonce: the range is cut into consecutive chunks
that the threads take in order from a shared queue.  Each thread scans its chunk in order and
stops at the chunk's first hit.  Once a hit is known, no chunk that starts above it is taken,
but every chunk below it still runs to the end; so when the threads are done, the lowest hit
seen is the lowest in the range (see ``_NonceQueue``).

:func:`mine_with_stats` returns the same answer with a :class:`MiningStats` (hashes computed,
elapsed time, hash rate) and calls a ``progress`` callback during long searches.
"""

from __future__ import annotations

import hashlib
import threading
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from edu_chain.block import BlockHeader
from edu_chain.encoding import UINT32_MAX
from edu_chain.errors import MiningError
from edu_chain.pow.target import bits_to_target

BACKENDS = ("auto", "numba", "python")

# The Numba backend's threads take chunks of nonces from a queue.  Chunks start small, so an
# easy target returns at once, and double up to about 0.05 s of work.
FIRST_CHUNK = 1 << 12
MAX_CHUNK = 1 << 20
PYTHON_SLICE = 1 << 14  # nonces between two progress reports of the reference backend


def _check_range(start_nonce: int, max_nonce: int) -> None:
    for name, value in (("start_nonce", start_nonce), ("max_nonce", max_nonce)):
        if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= UINT32_MAX:
            raise MiningError(f"{name} must be an integer in [0, 2**32 - 1], got {value!r}")


def mine_reference(header: BlockHeader, start_nonce: int, max_nonce: int) -> int | None:
    """The lowest nonce in ``[start_nonce, max_nonce]`` meeting ``header.bits``, or None."""
    target = bits_to_target(header.bits)
    prefix = header.serialize()[:76]  # everything but the nonce
    midstate = hashlib.sha256(prefix[:64])  # step 2: the unchanging first block
    tail = prefix[64:]
    for nonce in range(start_nonce, max_nonce + 1):
        first = midstate.copy()
        first.update(tail + nonce.to_bytes(4, "little"))
        digest = hashlib.sha256(first.digest()).digest()
        if int.from_bytes(digest, "little") <= target:
            return nonce
    return None


@dataclass(frozen=True)
class MiningStats:
    """What a search cost: a snapshot during the search, the totals after it."""

    backend: str  # "numba" or "python": the backend that actually ran
    threads: int  # threads that searched
    hashes: int  # header hashes computed by all threads (beyond the answer too, in parallel)
    searched: int  # nonces known to fail, from start_nonce on (the lowest-nonce prefix)
    range_size: int  # nonces in [start_nonce, max_nonce]
    elapsed: float  # seconds

    @property
    def hash_rate(self) -> float:
        """Hashes per second (0.0 before any time has passed)."""
        return self.hashes / self.elapsed if self.elapsed > 0 else 0.0

    def to_dict(self) -> dict[str, Any]:
        return {
            "backend": self.backend,
            "threads": self.threads,
            "hashes": self.hashes,
            "searched": self.searched,
            "range_size": self.range_size,
            "elapsed": self.elapsed,
            "hash_rate": self.hash_rate,
        }


@dataclass(frozen=True)
class MiningResult:
    """The answer of :func:`mine_with_stats`: the solved header (or None) and the statistics."""

    header: BlockHeader | None
    stats: MiningStats


ProgressCallback = Callable[[MiningStats], None]


def mine(
    header: BlockHeader,
    *,
    start_nonce: int = 0,
    max_nonce: int = UINT32_MAX,
    backend: str = "auto",
    threads: int | None = None,
) -> BlockHeader | None:
    """Return ``header`` with the lowest nonce in ``[start_nonce, max_nonce]`` whose hash
    meets ``header.bits``, or ``None`` when no nonce in the range does.

    ``backend`` is ``"auto"``, ``"numba"`` or ``"python"`` (the readable reference);
    ``threads`` (default: every core this process may use) applies to the Numba backend.
    Every backend gives the same answer.

    >>> from edu_chain import BlockHeader
    >>> header = BlockHeader(1, bytes(32), bytes(32), 0, 0x200FFFFF, 0)
    >>> mine(header, backend="python").nonce
    29
    """
    return mine_with_stats(
        header, start_nonce=start_nonce, max_nonce=max_nonce, backend=backend, threads=threads
    ).header


def mine_with_stats(
    header: BlockHeader,
    *,
    start_nonce: int = 0,
    max_nonce: int = UINT32_MAX,
    backend: str = "auto",
    threads: int | None = None,
    progress: ProgressCallback | None = None,
    progress_interval: float = 0.25,
) -> MiningResult:
    """:func:`mine`, plus statistics and a ``progress(stats)`` call about every
    ``progress_interval`` seconds of a long search (and once at the end).

    Raising an exception in ``progress`` (``KeyboardInterrupt``, for example) stops the search.
    """
    if not isinstance(header, BlockHeader):
        raise TypeError(f"mine() takes a BlockHeader, got {type(header).__name__}")
    _check_range(start_nonce, max_nonce)
    if backend not in BACKENDS:
        raise MiningError(f"unknown backend {backend!r}; choose one of {', '.join(BACKENDS)}")
    if threads is not None and (
        not isinstance(threads, int) or isinstance(threads, bool) or threads < 1
    ):
        raise MiningError(f"threads must be a positive integer or None, got {threads!r}")
    if backend == "numba" and not numba_available():
        raise MiningError(f"the numba backend is unavailable: {_numba_status()}")
    use_numba = backend == "numba" or (backend == "auto" and numba_available())
    search = _search_numba if use_numba else _search_python
    return search(header, start_nonce, max_nonce, threads, progress, progress_interval)


class _Clock:
    """Elapsed time and rate-limited progress reports for one search."""

    def __init__(self, progress: ProgressCallback | None, interval: float) -> None:
        self.started = time.perf_counter()
        self.last_report = self.started
        self.progress = progress
        self.interval = interval

    def elapsed(self) -> float:
        return time.perf_counter() - self.started

    def tick(self, make_stats: Callable[[], MiningStats]) -> None:
        now = time.perf_counter()
        if self.progress is not None and now - self.last_report >= self.interval:
            self.last_report = now
            self.progress(make_stats())

    def finish(self, stats: MiningStats) -> MiningStats:
        """Report the final statistics (the same object the search returns)."""
        if self.progress is not None:
            self.progress(stats)
        return stats


def _search_python(
    header: BlockHeader,
    start_nonce: int,
    max_nonce: int,
    threads: int | None,
    progress: ProgressCallback | None,
    interval: float,
) -> MiningResult:
    clock = _Clock(progress, interval)
    size = max(0, max_nonce - start_nonce + 1)
    searched = 0
    found = None

    def stats() -> MiningStats:
        return MiningStats("python", 1, searched, searched, size, clock.elapsed())

    # The reference, run in slices so that progress can be reported between them.
    for first in range(start_nonce, max_nonce + 1, PYTHON_SLICE):
        last = min(first + PYTHON_SLICE - 1, max_nonce)
        found = mine_reference(header, first, last)
        searched = (found if found is not None else last) - start_nonce + 1
        if found is not None:
            break
        clock.tick(stats)
    return MiningResult(None if found is None else header.with_nonce(found), clock.finish(stats()))


class _NonceQueue:
    """Hands out consecutive chunks of the nonce range, lowest first, to the search threads,
    and keeps the lowest hit.

    A thread stops taking chunks that start above a known hit, so every chunk below the
    lowest hit is searched completely: when the threads are done, that hit is the answer.
    Chunks start small (an easy target returns at once) and grow to :data:`MAX_CHUNK`.
    """

    def __init__(self, start: int, end: int) -> None:
        self.lock = threading.Lock()
        self.start, self.end = start, end  # end is exclusive
        self.next_start = start
        self.chunk = FIRST_CHUNK
        self.in_flight: set[int] = set()
        self.found: int | None = None
        self.hashes = 0
        self.stopped = False

    def take(self) -> tuple[int, int] | None:
        with self.lock:
            first = self.next_start
            if self.stopped or first >= self.end:
                return None
            if self.found is not None and first > self.found:
                return None
            count = min(self.chunk, self.end - first)
            self.next_start = first + count
            self.chunk = min(2 * self.chunk, MAX_CHUNK)
            self.in_flight.add(first)
            return first, count

    def report(self, first: int, count: int, offset: int) -> None:
        with self.lock:
            self.in_flight.discard(first)
            self.hashes += count if offset < 0 else offset + 1
            if offset >= 0 and (self.found is None or first + offset < self.found):
                self.found = first + offset

    def searched(self) -> int:
        """How many nonces from the start are known to fail (or the answer's position)."""
        with self.lock:
            if self.found is not None and not self.in_flight:
                return self.found - self.start + 1
            return min(self.in_flight, default=self.next_start) - self.start


def _search_numba(
    header: BlockHeader,
    start_nonce: int,
    max_nonce: int,
    threads: int | None,
    progress: ProgressCallback | None,
    interval: float,
) -> MiningResult:
    from edu_chain import sha256_kernels as kernels

    threads = kernels.default_threads() if threads is None else threads
    clock = _Clock(progress, interval)
    midstate, tail = kernels.midstate_and_tail(header.serialize()[:76])
    limbs = kernels.target_limbs(bits_to_target(header.bits))
    queue = _NonceQueue(start_nonce, max_nonce + 1)
    size = max(0, max_nonce + 1 - start_nonce)
    errors: list[BaseException] = []

    def stats() -> MiningStats:
        return MiningStats("numba", threads, queue.hashes, queue.searched(), size, clock.elapsed())

    def work(report_progress: bool) -> None:
        try:
            while (span := queue.take()) is not None:
                first, count = span
                queue.report(
                    first, count, kernels.search_nonces(midstate, tail, first, count, limbs)
                )
                if report_progress:
                    clock.tick(stats)
        except BaseException as exc:  # hand it to the caller's thread
            queue.stopped = True
            errors.append(exc)

    if threads == 1:
        work(report_progress=True)
    else:
        workers = [
            threading.Thread(target=work, args=(False,), daemon=True) for _ in range(threads)
        ]
        for worker in workers:
            worker.start()
        try:
            for worker in workers:
                while worker.is_alive():
                    worker.join(timeout=min(interval, 0.1) if progress else None)
                    clock.tick(stats)
        except BaseException:
            queue.stopped = True
            for worker in workers:
                worker.join()
            raise
    if errors:
        raise errors[0]
    found = queue.found
    return MiningResult(None if found is None else header.with_nonce(found), clock.finish(stats()))


# --- is the Numba backend usable here? -------------------------------------------------------

_numba_state: dict[str, Any] = {}

# Known answer for the self-test: Bitcoin's genesis header (nonce 2083236893, bits 0x1d00ffff).
_GENESIS_HEADER = bytes.fromhex(
    "0100000000000000000000000000000000000000000000000000000000000000"
    "000000003ba3edfd7a7b12b27ac72c3e67768f617fc81bc3888a51323a9fb8aa"
    "4b1e5e4a29ab5f49ffff001d1dac2b7c"
)
_GENESIS_NONCE = 2083236893


def numba_available() -> bool:
    """True when Numba imports and its kernel finds the genesis nonce again (checked once)."""
    if "ok" not in _numba_state:
        try:
            from edu_chain import sha256_kernels as kernels

            midstate, tail = kernels.midstate_and_tail(_GENESIS_HEADER[:76])
            limbs = kernels.target_limbs(bits_to_target(0x1D00FFFF))
            offset = kernels.search_nonces(midstate, tail, _GENESIS_NONCE - 40, 80, limbs)
        except ImportError as exc:  # numba (or numpy) not installed: quietly use Python
            _numba_state.update(ok=False, why=f"cannot import it ({exc})")
        else:
            if offset == 40:
                _numba_state.update(ok=True, why="ok")
            else:
                why = f"its self-test found offset {offset} instead of 40 for the genesis block"
                warnings.warn(f"Numba miner disabled: {why}", RuntimeWarning, stacklevel=2)
                _numba_state.update(ok=False, why=why)
    return bool(_numba_state["ok"])


def _numba_status() -> str:
    numba_available()
    return str(_numba_state["why"])
