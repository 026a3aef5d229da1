"""Measuring the miners side by side: the numbers behind ``educhain bench`` and ``benchmarks/``.

An absolute hash rate says little on a shared laptop or a CI runner, so every measurement
here times the competitor **in the same run** and reports ratios
(docs/architecture.md#measuring-speed):

* mining: the hashlib midstate loop (:func:`~edu_chain.pow.mining.mine_reference`, the
  readable specification), the Numba miner on one thread, and on every core;
* Merkle roots: the readable ``merkle_parent_level`` loop (hashlib) against
  :func:`~edu_chain.merkle.merkle_root`, which hands big trees to the Numba batch kernel.

Compilation is kept out of the rates and reported on its own: a fresh process with an empty
Numba cache (``compile_s``), then a fresh process that finds the cache (``cached_start_s``,
the time from starting Python until the first search has run at full speed).
"""

from __future__ import annotations

import os
import platform
import subprocess
import sys
import tempfile
import time
from typing import Any

from edu_chain.block import BlockHeader
from edu_chain.hashing import sha256d
from edu_chain.pow.mining import mine_reference, mine_with_stats

# Target 1 (bits 0x03000001): no nonce wins, so every search runs its whole range.
NO_WIN_BITS = 0x03000001
BENCH_HEADER = BlockHeader(1, sha256d(b"prev"), sha256d(b"merkle"), 1_700_000_000, NO_WIN_BITS, 0)

# What the child process of the start-up measurements runs: import, one small search, report.
_START_SCRIPT = """
import time
started = time.perf_counter()
from edu_chain.pow.bench import BENCH_HEADER
from edu_chain.pow.mining import mine_with_stats
mine_with_stats(BENCH_HEADER, max_nonce=(1 << 16) - 1, backend="numba", threads=1)
print(time.perf_counter() - started)
"""


def _best_rate(measure: Any, seconds: float, repeats: int) -> float:
    """The highest of ``repeats`` rates, each measured for ``seconds / repeats``: the figure
    least disturbed by other programs that share the CPU."""
    return max(measure(seconds / repeats) for _ in range(repeats))


def _rate_python(seconds: float) -> float:
    """Hashes per second of the hashlib midstate loop, run for about ``seconds``."""
    count = 1 << 14
    while True:
        started = time.perf_counter()
        mine_reference(BENCH_HEADER, 0, count - 1)
        elapsed = time.perf_counter() - started
        if elapsed >= seconds:
            return count / elapsed
        count = int(count * min(8.0, 1.2 * seconds / max(elapsed, 1e-4)))


def _rate_numba(seconds: float, threads: int) -> float:
    """Hashes per second of the Numba miner through :func:`mine_with_stats`."""
    count = 1 << 20
    while True:
        stats = mine_with_stats(
            BENCH_HEADER, max_nonce=count - 1, backend="numba", threads=threads
        ).stats
        if stats.elapsed >= seconds or count >= 1 << 32:
            return stats.hash_rate
        count = min(1 << 32, int(count * min(8.0, 1.2 * seconds / max(stats.elapsed, 1e-4))))


def start_up_times(repeats: int = 3) -> dict[str, Any]:
    """Seconds for a fresh Python process to import and run a first search at full speed:
    ``compile_s`` with an empty Numba cache, ``cached_start_s`` with the cache it left (the
    best of ``repeats`` fresh processes; all of them in ``cached_start_runs_s``).

    Both use a temporary cache directory (``NUMBA_CACHE_DIR``), so the measurement neither
    relies on nor disturbs the cache of the installed package.  The figures are wall-clock
    times of the whole child process, interpreter start-up included.
    """

    def child(env: dict[str, str]) -> float:
        started = time.perf_counter()
        command = [sys.executable, "-c", _START_SCRIPT]
        subprocess.run(command, env=env, check=True, capture_output=True)
        return time.perf_counter() - started

    with tempfile.TemporaryDirectory(prefix="educhain-numba-cache-") as cache:
        env = {**os.environ, "NUMBA_CACHE_DIR": cache}
        compile_s = child(env)
        cached = [child(env) for _ in range(repeats)]
    return {"compile_s": compile_s, "cached_start_s": min(cached), "cached_start_runs_s": cached}


def machine() -> dict[str, Any]:
    """What the figures depend on: CPU features, Numba settings, the load from other work."""
    import numba

    from edu_chain import sha256_kernels

    flags: set[str] = set()
    try:
        with open("/proc/cpuinfo", encoding="ascii", errors="replace") as cpuinfo:
            for line in cpuinfo:
                if line.startswith("flags"):
                    flags = set(line.split(":", 1)[1].split())
                    break
    except OSError:  # not Linux: features unknown
        pass
    return {
        "python": platform.python_version(),
        "numba": numba.__version__,
        "cpu": platform.processor() or platform.machine(),
        "avx2": "avx2" in flags,
        "avx512f": "avx512f" in flags,
        "sha_ni": "sha_ni" in flags,
        "lanes": sha256_kernels.LANES,
        "slp_vectorize": int(numba.config.SLP_VECTORIZE),
        "cores": sha256_kernels.default_threads(),
        "load_average_1min": os.getloadavg()[0] if hasattr(os, "getloadavg") else None,
    }


def measure_mining(
    seconds: float = 2.0, *, start_up: bool = True, repeats: int = 3
) -> dict[str, Any]:
    """The mining figures (keys documented in ``benchmarks/mining.py``).

    Each rate is the best of ``repeats`` runs sharing ``seconds``; the three competitors get
    the same treatment.
    """
    from edu_chain import sha256_kernels

    threads = sha256_kernels.default_threads()
    _rate_numba(0.01, 1)  # load (or compile) the kernels before any clock runs
    hashlib_hps = _best_rate(_rate_python, seconds, repeats)
    numba_1t_hps = _best_rate(lambda s: _rate_numba(s, 1), seconds, repeats)
    cpu_started, wall_started = time.process_time(), time.perf_counter()
    numba_hps = _best_rate(lambda s: _rate_numba(s, threads), seconds, repeats)
    # CPU seconds this process got per wall-clock second while all threads ran: close to
    # `threads` on an idle machine, lower when other programs take cores (noisy figures).
    cores_used = (time.process_time() - cpu_started) / (time.perf_counter() - wall_started)
    result: dict[str, Any] = {
        "hashlib_hps": hashlib_hps,
        "numba_1t_hps": numba_1t_hps,
        "numba_hps": numba_hps,
        "threads": threads,
        "ratio_1t": numba_1t_hps / hashlib_hps,
        "ratio_all": numba_hps / hashlib_hps,
        "thread_scaling": numba_hps / numba_1t_hps,
        "cores_used_all_threads": cores_used,
        "seconds_per_measurement": seconds,
        "repeats": repeats,
    }
    if start_up:
        result.update(start_up_times())
    result["machine"] = machine()
    return result


def measure_merkle(leaves: int = 1 << 20, repeats: int = 3) -> dict[str, Any]:
    """Merkle root of ``leaves`` random-looking txids: hashlib loop vs :func:`merkle_root`."""
    from edu_chain.merkle import merkle_parent_level, merkle_root

    txids = [sha256d(i.to_bytes(8, "little")) for i in range(leaves)]
    merkle_root(txids[: max(2, min(leaves, 1 << 15))])  # load the kernels outside the clock

    def hashlib_loop() -> bytes:
        level = txids
        while len(level) > 1:
            level = merkle_parent_level(level)
        return level[0]

    def best_of(function: Any) -> tuple[float, bytes]:
        times = []
        for _ in range(repeats):
            started = time.perf_counter()
            root = function()
            times.append(time.perf_counter() - started)
        return min(times), root

    hashlib_s, expected = best_of(hashlib_loop)
    batch_s, root = best_of(lambda: merkle_root(txids))
    if root != expected:
        raise AssertionError("the batch Merkle root differs from the hashlib loop's")
    return {
        "leaves": leaves,
        "hashlib_s": hashlib_s,
        "merkle_root_s": batch_s,
        "ratio": hashlib_s / batch_s,
        "repeats": repeats,
        "machine": machine(),
    }
