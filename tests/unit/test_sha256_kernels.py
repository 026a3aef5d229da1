"""sha256_kernels.py: the Numba SHA-256 kernels, bit for bit against hashlib."""

import hashlib
import random

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from edu_chain import merkle
from edu_chain.hashing import from_display_hex
from edu_chain.merkle import merkle_parent_level
from edu_chain.sha256_kernels import (
    IV,
    LANES,
    _hash_meets_target,
    compress,
    merkle_root_batch,
    midstate_and_tail,
    search_nonces,
    sha256d_batch,
    sha256d_many,
    sha256d_parallel,
    target_limbs,
)
from tests.bitcoin_data import BLOCK_100000


def sha256d(data: bytes) -> bytes:
    return hashlib.sha256(hashlib.sha256(data).digest()).digest()


def single_block_sha256(message: bytes) -> bytes:
    """SHA-256 of a message of at most 55 bytes through one call of the scalar compress()."""
    padded = message + b"\x80" + bytes(55 - len(message)) + (8 * len(message)).to_bytes(8, "big")
    w = np.zeros(64, dtype=np.uint32)
    w[:16] = np.frombuffer(padded, dtype=">u4")
    state = IV.copy()
    compress(state, w)
    return state.astype(">u4").tobytes()


def test_compress_matches_the_fips_180_2_abc_vector():
    # FIPS 180-2, Appendix B.1: SHA-256("abc").
    expected = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
    assert single_block_sha256(b"abc").hex() == expected


@given(st.binary(max_size=55))
def test_compress_matches_hashlib(message):
    assert single_block_sha256(message) == hashlib.sha256(message).digest()


def test_batch_matches_hashlib_for_every_length_0_to_300():
    rng = random.Random(300)
    for size in range(301):
        # LANES + 3 messages: one full group of lanes and a partial one (spare lanes).
        messages = [rng.randbytes(size) for _ in range(LANES + 3)]
        assert sha256d_many(messages) == [sha256d(m) for m in messages], f"length {size}"


@given(st.integers(0, 300).flatmap(lambda n: st.lists(st.binary(min_size=n, max_size=n))))
def test_batch_matches_hashlib_for_random_messages(messages):
    assert sha256d_many(messages) == [sha256d(m) for m in messages]


def test_batch_rejects_messages_of_different_lengths():
    with pytest.raises(ValueError, match="one length"):
        sha256d_many([b"a", b"bb"])


def test_parallel_batch_equals_one_thread():
    rng = np.random.default_rng(7)
    rows = rng.integers(0, 256, size=(3 * LANES * 200 + 5, 64), dtype=np.uint8)
    expected = sha256d_batch(rows)
    for threads in (1, 2, 3):
        assert np.array_equal(sha256d_parallel(rows, threads), expected)
    assert bytes(expected[-1]) == sha256d(rows[-1].tobytes())


def readable_root(leaves):
    level = list(leaves)
    while len(level) > 1:
        level = merkle_parent_level(level)
    return level[0]


@pytest.mark.parametrize("count", [1, 2, 3, 5, 31, 32, 33, 64, 65, 100, 1023])
def test_batch_merkle_root_equals_the_readable_loop(count):
    leaves = [sha256d(i.to_bytes(4, "little")) for i in range(count)]
    assert merkle_root_batch(leaves) == readable_root(leaves)


def test_batch_merkle_root_of_block_100000():
    txids = [from_display_hex(t) for t in BLOCK_100000["txids"]]
    assert merkle_root_batch(txids) == from_display_hex(BLOCK_100000["merkle_root"])


@pytest.mark.parametrize(
    "bad", [[], [b"x" * 31], [b"x" * 32, b"y" * 33], [bytearray(32)], "x" * 32, None]
)
def test_batch_merkle_root_leaves_bad_input_to_the_readable_path(bad):
    assert merkle_root_batch(bad) is None


def test_merkle_root_above_the_threshold_uses_the_same_rule():
    count = merkle.BATCH_THRESHOLD + 3  # odd levels on the way up
    leaves = [sha256d(i.to_bytes(4, "little")) for i in range(count)]
    assert merkle.merkle_root(leaves) == readable_root(leaves)
    with pytest.raises(merkle.MerkleError) as info:  # bad leaves still get the readable error
        merkle.merkle_root([*leaves[:-1], b"short"])
    assert info.value.code == "merkle-bad-leaf"


def test_target_limbs_are_most_significant_first():
    target = int.from_bytes(bytes(range(1, 33)), "big")
    limbs = target_limbs(target)
    assert int.from_bytes(limbs.astype(">u4").tobytes(), "big") == target


HEADER76 = bytes(range(76))


def hash_int(nonce: int) -> int:
    return int.from_bytes(sha256d(HEADER76 + nonce.to_bytes(4, "little")), "little")


def search(start: int, count: int, target: int) -> int | None:
    midstate, tail = midstate_and_tail(HEADER76)
    offset = search_nonces(midstate, tail, start, count, target_limbs(target))
    return None if offset < 0 else start + offset


def scan(start: int, count: int, target: int) -> int | None:
    return next((n for n in range(start, start + count) if hash_int(n) <= target), None)


@given(st.integers(0, 2**32 - 200), st.integers(0, 150), st.integers(0, 149), st.data())
def test_target_near_a_hash_compares_with_less_or_equal(start, count, pick, data):
    """Targets exactly equal to a hash, one above and one below, and differing only in a
    low limb: the 8-limb comparison must agree with Python's integer ``<=``."""
    count = max(count, pick + 1)
    exact = hash_int(start + pick)
    delta = data.draw(st.sampled_from([0, 1, -1, 1 << 32, -(1 << 32), 1 << 200, -(1 << 200)]))
    target = min(max(exact + delta, 0), 2**256 - 1)
    assert search(start, count, target) == scan(start, count, target)
    if delta >= 0:
        assert search(start, count, target) is not None


def test_search_ignores_lanes_past_the_end_of_the_range():
    # Every hash wins; a range of 1 nonce must return that nonce, also at the top of the
    # nonce space where the spare lanes would wrap around to nonce 0.
    assert search(2**32 - 1, 1, 2**256 - 1) == 2**32 - 1
    assert search(5, 0, 2**256 - 1) is None
    lowest = min(range(200), key=hash_int)
    assert search(lowest + 1, 3, hash_int(lowest)) == scan(lowest + 1, 3, hash_int(lowest))


# The search computes only the top 32 bits of each hash for every nonce and checks a nonce in
# full only when its top limb is <= the target's: ties on the top limb must be decided by
# the lower 224 bits, exactly as Python's integer "<=" decides them.
TOP = 224  # bits below the most significant 32-bit limb


@given(st.integers(0, 2**32 - 100), st.integers(0, LANES + 7), st.data())
def test_a_tie_on_the_top_limb_is_decided_by_the_lower_limbs(start, pick, data):
    tied = hash_int(start + pick)
    low = data.draw(
        st.one_of(
            st.sampled_from([0, 2**TOP - 1, tied % 2**TOP, tied % 2**TOP - 1, tied % 2**TOP + 1]),
            st.integers(0, 2**TOP - 1),
        )
    )
    target = (tied >> TOP << TOP) + min(max(low, 0), 2**TOP - 1)  # same top limb as the hash
    count = pick + 1 + data.draw(st.integers(0, 40))
    assert search(start, count, target) == scan(start, count, target)


def test_a_hash_equal_to_the_target_wins_and_one_below_it_does_not():
    for nonce in (0, 31, 32, 77, 2**32 - 1):
        exact = hash_int(nonce)
        assert search(nonce, 1, exact) == nonce
        assert search(nonce, 1, exact - 1) is None
        assert search(nonce, 1, exact | (2**TOP - 1)) == nonce  # the top limb alone suffices
        assert search(nonce, 1, (exact >> TOP << TOP) - 1) is None  # the top limb alone fails


@pytest.mark.parametrize("top_limb", [0x00000000, 0x0000FFFF, 0x7FFFFFFF, 0xFFFFFFFE])
def test_many_candidates_per_group_of_lanes(top_limb):
    """Targets whose top limb lets from none to nearly all lanes through to the full check,
    with lower limbs of zero (so most candidates then fail): the result equals a scan."""
    target = top_limb << TOP
    for start in (0, 5, 2**32 - 3 * LANES - 3):
        count = 3 * LANES + 3
        assert search(start, count, target) == scan(start, count, target)


def test_the_exact_check_matches_hashlib():
    midstate, tail = midstate_and_tail(HEADER76)
    for nonce in (0, 1, 2**31, 2**32 - 1):
        exact = hash_int(nonce)
        for target, expected in ((exact, True), (exact + 1, True), (exact - 1, False)):
            assert _hash_meets_target(midstate, tail, nonce, target_limbs(target)) == expected


@given(st.binary(min_size=76, max_size=76), st.integers(0, 2**32 - 1), st.integers(0, 2 * LANES))
def test_search_equals_a_hashlib_scan_on_random_headers(header76, start, count):
    """The per-job constants (rounds 0..3, the constant schedule words) come from the header:
    random headers, with a target equal to the lowest hash in the range."""
    count = min(count, 2**32 - start)

    def hash_of(nonce):
        return int.from_bytes(sha256d(header76 + nonce.to_bytes(4, "little")), "little")

    hashes = [hash_of(n) for n in range(start, start + count)]
    target = min(hashes, default=2**255)
    midstate, tail = midstate_and_tail(header76)
    offset = search_nonces(midstate, tail, start, count, target_limbs(target))
    expected = next((i for i, h in enumerate(hashes) if h <= target), -1)
    assert offset == expected
