"""Script checks of a block's inputs: one by one, or spread over every core.

Connecting a block collects one *job* per input: ``(transaction, input index, spent coin)``.
Each job runs the input's scriptSig, the spent output's scriptPubKey and, for segwit, its
witness through :func:`edu_chain.script.verify_input` with the consensus flags
(:data:`~edu_chain.script.flags.CONSENSUS_FLAGS`: P2SH, DERSIG, CHECKLOCKTIMEVERIFY,
CHECKSEQUENCEVERIFY, WITNESS, NULLDUMMY).  Jobs are independent of each other (each
needs only its transaction and the coin it spends), which is what lets Bitcoin Core run them
on a pool of script-check threads (``CCheckQueue``) and lets us do the same.

A *verifier* takes the jobs and returns one ``ScriptFailure | None`` per job (``None``: the
input is valid).  :func:`serial_script_verifier` is the readable reference;
:func:`parallel_script_verifier` cuts the jobs into chunks at transaction boundaries and
verifies the chunks on worker processes (or threads).  The inputs of one transaction share a
:class:`~edu_chain.script.sighash.SighashCache`, so BIP143's three transaction-wide hashes are
computed once per transaction, not once per input.  Both verifiers give the same answers.
"""

from __future__ import annotations

import os
import weakref
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from dataclasses import dataclass
from typing import TYPE_CHECKING

from edu_chain.chain.coins import Coin
from edu_chain.script import ScriptError
from edu_chain.script.flags import CONSENSUS_FLAGS
from edu_chain.script.sighash import SighashCache
from edu_chain.script.verify import verify_input

if TYPE_CHECKING:  # pragma: no cover
    from edu_chain.tx import Transaction


@dataclass(frozen=True)
class ScriptFailure:
    """Why one input's scripts failed: Core's script error name and our sentence."""

    code: str  # e.g. EVAL_FALSE, SIG_DER (script/errors.py)
    message: str


ScriptJob = tuple["Transaction", int, Coin]
Verifier = Callable[[Sequence[ScriptJob]], list[ScriptFailure | None]]

_MIN_PARALLEL = 16  # below this many inputs, starting workers costs more than it saves
_EXECUTORS = ("auto", "thread", "process", "serial")


def check_input_script(
    tx: Transaction,
    index: int,
    coin: Coin,
    flags: frozenset[str] = CONSENSUS_FLAGS,
    cache: SighashCache | None = None,
) -> ScriptFailure | None:
    """Run input ``index``'s scripts against the coin it spends; ``None`` when they pass."""
    output = coin.output
    try:
        verify_input(tx, index, output.script_pubkey, output.amount, flags, cache=cache)
    except ScriptError as error:
        return ScriptFailure(error.code, error.message)
    return None


def _verify_chunk(
    chunk: Sequence[tuple[Transaction, Sequence[tuple[int, Coin]]]], flags: frozenset[str]
) -> list[ScriptFailure | None]:
    results: list[ScriptFailure | None] = []
    for tx, inputs in chunk:
        cache = SighashCache(tx)  # shared by the transaction's inputs
        results += [check_input_script(tx, index, coin, flags, cache) for index, coin in inputs]
    return results


def _group_by_transaction(
    jobs: Sequence[ScriptJob],
) -> list[tuple[Transaction, list[tuple[int, Coin]]]]:
    """Consecutive jobs of the same transaction, together (connect lists them in order)."""
    groups: list[tuple[Transaction, list[tuple[int, Coin]]]] = []
    for tx, index, coin in jobs:
        if groups and groups[-1][0] is tx:
            groups[-1][1].append((index, coin))
        else:
            groups.append((tx, [(index, coin)]))
    return groups


def serial_script_verifier(
    jobs: Sequence[ScriptJob], flags: frozenset[str] = CONSENSUS_FLAGS
) -> list[ScriptFailure | None]:
    """Check every input in order, one after the other (the readable reference)."""
    return _verify_chunk(_group_by_transaction(jobs), flags)


class ParallelScriptVerifier:
    """Spreads script checks over a pool of workers that lives as long as the verifier (so a
    node pays for starting processes once, not once per block).  See
    :func:`parallel_script_verifier`."""

    def __init__(self, workers: int, executor: str, flags: frozenset[str], min_jobs: int):
        self.workers, self.executor, self.flags, self.min_jobs = workers, executor, flags, min_jobs
        self._pool: ThreadPoolExecutor | ProcessPoolExecutor | None = None

    def __call__(self, jobs: Sequence[ScriptJob]) -> list[ScriptFailure | None]:
        groups = _group_by_transaction(jobs)
        if self.executor == "serial" or self.workers <= 1 or len(jobs) < self.min_jobs:
            return [
                r
                for chunk in _chunks(groups, len(jobs), self.workers * 4)
                for r in _verify_chunk(chunk, self.flags)
            ]
        if self._pool is None:
            pool_class = ThreadPoolExecutor if self.executor == "thread" else ProcessPoolExecutor
            self._pool = pool_class(max_workers=self.workers)
            weakref.finalize(self, self._pool.shutdown, wait=False, cancel_futures=True)
        chunks = _chunks(groups, len(jobs), self.workers * 4)
        results = self._pool.map(_verify_chunk, chunks, [self.flags] * len(chunks))
        return [result for chunk in results for result in chunk]

    def close(self) -> None:
        """Stop the workers (they also stop when the verifier is garbage-collected)."""
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None


def parallel_script_verifier(
    workers: int | None = None,
    *,
    executor: str = "auto",
    flags: frozenset[str] = CONSENSUS_FLAGS,
    min_jobs: int = _MIN_PARALLEL,
) -> ParallelScriptVerifier:
    """A verifier that spreads a block's script checks over ``workers`` (default: every CPU).

    ``executor``: ``"process"`` (the interpreter is Python and holds the GIL, so ``"auto"``
    means processes), ``"thread"`` or ``"serial"`` (the same chunks, one after another in
    this process: the chunking without the parallelism, for measuring).  Answers never
    depend on it.  Fewer than ``min_jobs`` inputs are checked here, in this process: handing
    them to workers would cost more than it saves.  The workers start at the first large
    block and are reused for the next ones.
    """
    if executor not in _EXECUTORS:
        raise ValueError(f"executor must be one of {', '.join(_EXECUTORS)}, got {executor!r}")
    count = workers or os.cpu_count() or 1
    return ParallelScriptVerifier(
        count, "process" if executor == "auto" else executor, flags, min_jobs
    )


def _chunks(groups: list, total: int, pieces: int) -> list[list]:
    """Cut ``groups`` (whole transactions) into about ``pieces`` chunks of similar input count."""
    size = -(-total // pieces)
    chunks: list[list] = [[]]
    filled = 0
    for group in groups:
        if filled >= size:
            chunks.append([])
            filled = 0
        chunks[-1].append(group)
        filled += len(group[1])
    return chunks
