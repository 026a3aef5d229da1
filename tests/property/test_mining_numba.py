"""pow/mining.py, Numba backend: the same answers as a brute-force hashlib scan and the
readable reference, on one thread and several, at the edges of the nonce range."""

import os
import subprocess
import sys
import textwrap

import pytest
from hypothesis import given
from hypothesis import strategies as st

from edu_chain.block import BlockHeader
from edu_chain.errors import MiningError
from edu_chain.pow import bits_to_target, mining
from edu_chain.pow.mining import MiningStats, mine, mine_with_stats
from tests.bitcoin_data import GENESIS, GENESIS_HEADER_HEX
from tests.oracles import brute_force_nonce

UINT32_MAX = 2**32 - 1

pytestmark = pytest.mark.skipif(not mining.numba_available(), reason="Numba backend unavailable")


def brute_force(header: BlockHeader, start: int, stop_inclusive: int) -> int | None:
    return brute_force_nonce(header, start, stop_inclusive, bits_to_target(header.bits))


easy_headers = st.builds(
    BlockHeader,
    version=st.integers(-(2**31), 2**31 - 1),
    prev_hash=st.binary(min_size=32, max_size=32),
    merkle_root=st.binary(min_size=32, max_size=32),
    timestamp=st.integers(0, UINT32_MAX),
    # about 1 hash in 2, 16, 256 and 4096 wins, and one where every hash wins
    bits=st.sampled_from([0x207FFFFF, 0x200FFFFF, 0x1F7FFFFF, 0x1F0FFFFF, 0x2100FFFF]),
    nonce=st.integers(0, UINT32_MAX),  # ignored by the search
)

# Ranges anywhere, and pinned to the edges: starting at 0, ending at 2**32 - 1.
nonce_ranges = st.one_of(
    st.tuples(st.integers(0, UINT32_MAX - 400), st.integers(0, 400)).map(
        lambda r: (r[0], r[0] + r[1])
    ),
    st.integers(0, 400).map(lambda n: (0, n)),
    st.integers(0, 400).map(lambda n: (UINT32_MAX - n, UINT32_MAX)),
)


@given(easy_headers, nonce_ranges, st.sampled_from([1, 2, 3]))
def test_numba_equals_brute_force(header, nonce_range, threads):
    start, stop = nonce_range
    expected = brute_force(header, start, stop)
    found = mine(header, start_nonce=start, max_nonce=stop, backend="numba", threads=threads)
    assert (None if found is None else found.nonce) == expected
    if found is not None:
        assert found == header.with_nonce(expected)


@given(easy_headers, nonce_ranges)
def test_python_and_numba_backends_agree(header, nonce_range):
    start, stop = nonce_range
    kwargs = {"start_nonce": start, "max_nonce": stop}
    assert mine(header, backend="numba", **kwargs) == mine(header, backend="python", **kwargs)


@given(easy_headers, st.integers(0, 3000), st.sampled_from([1, 2]))
def test_a_hit_later_in_the_range_never_beats_a_lower_one(header, start, threads):
    """With 2 threads each round searches two chunks at once; a rare target makes hits in
    both chunks of a round likely to differ, and the first chunk's hit must win."""
    header = BlockHeader(**{**header.__dict__, "bits": 0x1F7FFFFF})
    stop = start + 3 * mining.FIRST_CHUNK
    found = mine(header, start_nonce=start, max_nonce=stop, backend="numba", threads=threads)
    assert (None if found is None else found.nonce) == brute_force(header, start, stop)


@pytest.mark.parametrize("threads", [1, 2])
def test_genesis_nonce_is_mined_back(threads):
    genesis = BlockHeader.from_hex(GENESIS_HEADER_HEX)
    start = GENESIS["nonce"] - 3_000_000
    found = mine(genesis.with_nonce(0), start_nonce=start, backend="numba", threads=threads)
    assert found == genesis
    assert found.id == GENESIS["id"]
    # ... and the range that ends exactly at the answer still contains it
    found = mine(genesis, start_nonce=start, max_nonce=GENESIS["nonce"], backend="numba")
    assert found == genesis
    assert mine(genesis, start_nonce=start, max_nonce=GENESIS["nonce"] - 1) is None


def test_edges_of_the_nonce_range():
    every_hash_wins = BlockHeader(1, b"\x11" * 32, b"\x22" * 32, 0, 0x2100FFFF, 0)
    assert mine(every_hash_wins, start_nonce=UINT32_MAX, backend="numba").nonce == UINT32_MAX
    assert mine(every_hash_wins, max_nonce=0, backend="numba").nonce == 0
    assert mine(every_hash_wins, start_nonce=10, max_nonce=9, backend="numba") is None


def test_stats_and_progress():
    genesis = BlockHeader.from_hex(GENESIS_HEADER_HEX)
    reports: list[MiningStats] = []
    start = GENESIS["nonce"] - 100_000
    result = mine_with_stats(
        genesis, start_nonce=start, backend="numba", threads=1, progress=reports.append
    )
    assert result.header == genesis
    stats = result.stats
    assert (stats.backend, stats.threads) == ("numba", 1)
    assert stats.searched == stats.hashes == 100_001  # one thread: no wasted chunk
    assert stats.range_size == 2**32 - start
    assert stats.hash_rate > 0
    assert reports[-1] == stats  # the last report is the final statistics
    assert [r.searched for r in reports] == sorted(r.searched for r in reports)


@pytest.mark.parametrize("backend", ["numba", "python"])
def test_an_exception_in_progress_stops_the_search(backend):
    header = BlockHeader(1, bytes(32), bytes(32), 0, 0x1D00FFFF, 0)  # far too hard to finish

    def stop(stats):
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        mine_with_stats(header, backend=backend, progress=stop, progress_interval=0)


def test_auto_uses_numba_here_and_python_when_numba_is_unusable(monkeypatch):
    header = BlockHeader(1, bytes(32), bytes(32), 0, 0x200FFFFF, 0)
    assert mine_with_stats(header).stats.backend == "numba"
    monkeypatch.setattr(mining, "_numba_state", {"ok": False, "why": "pretend: no numba"})
    result = mine_with_stats(header)
    assert result.stats.backend == "python"
    assert result.header == mine(header, backend="python")
    with pytest.raises(MiningError, match="pretend: no numba"):
        mine(header, backend="numba")


@pytest.mark.parametrize("threads", [0, -1, 1.5, True, "2"])
def test_bad_thread_counts_are_refused(threads):
    header = BlockHeader(1, bytes(32), bytes(32), 0, 0x200FFFFF, 0)
    with pytest.raises(MiningError, match="threads"):
        mine(header, threads=threads)


@pytest.mark.slow
def test_correct_without_avx2_or_a_numba_threading_layer(tmp_path):
    """Compiled for a generic x86-64 CPU (no AVX2: NUMBA_CPU_NAME=generic), in a fresh process
    with its own cache, the kernels still give hashlib's answers; threads are plain Python
    threads, so no Numba threading layer (TBB, OpenMP) is involved."""
    script = textwrap.dedent(
        f"""
        import hashlib
        from edu_chain.block import BlockHeader
        from edu_chain.pow.mining import mine
        from edu_chain.sha256_kernels import sha256d_many
        genesis = BlockHeader.from_hex("{GENESIS_HEADER_HEX}")
        for threads in (1, 2):
            found = mine(genesis.with_nonce(0), start_nonce={GENESIS["nonce"]} - 70000,
                         backend="numba", threads=threads)
            assert found == genesis, found
        messages = [bytes([n]) * n for n in range(0, 200, 7)]
        for message in messages:
            assert sha256d_many([message]) == [
                hashlib.sha256(hashlib.sha256(message).digest()).digest()
            ]
        print("ok")
        """
    )
    env = {**os.environ, "NUMBA_CPU_NAME": "generic", "NUMBA_CACHE_DIR": str(tmp_path)}
    result = subprocess.run(
        [sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "ok"
