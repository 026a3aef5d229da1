"""pow/mining.py: the reference miner against a brute-force hashlib scan."""

import hashlib

import pytest
from hypothesis import given
from hypothesis import strategies as st

from edu_chain.block import BlockHeader
from edu_chain.errors import MiningError
from edu_chain.pow import bits_to_target, mine, target_to_bits
from edu_chain.pow.mining import mine_reference
from tests.bitcoin_data import GENESIS_HEADER_HEX
from tests.oracles import brute_force_nonce as brute_force


def test_genesis_nonce_is_found_again():
    genesis = BlockHeader.from_hex(GENESIS_HEADER_HEX)
    found = mine(genesis.with_nonce(0), start_nonce=2083236893 - 3000, backend="python")
    assert found == genesis


def test_range_without_solution_gives_none():
    genesis = BlockHeader.from_hex(GENESIS_HEADER_HEX)
    assert mine(genesis, start_nonce=0, max_nonce=2000, backend="python") is None
    assert mine(genesis, start_nonce=10, max_nonce=9) is None


easy_headers = st.builds(
    BlockHeader,
    version=st.just(1),
    prev_hash=st.binary(min_size=32, max_size=32),
    merkle_root=st.binary(min_size=32, max_size=32),
    timestamp=st.integers(0, 2**32 - 1),
    bits=st.sampled_from([0x2000FFFF, 0x1F7FFFFF, 0x1F0FFFFF]),
    nonce=st.just(0),
)


@given(easy_headers, st.integers(0, 2**32 - 1 - 300), st.integers(0, 300))
def test_reference_equals_brute_force(header, start, length):
    target = bits_to_target(header.bits)
    expected = brute_force(header, start, start + length, target)
    assert mine_reference(header, start, start + length) == expected


@given(easy_headers, st.integers(0, 200))
def test_target_equal_to_a_hash_is_accepted(header, nonce):
    """`<=`, not `<`: a hash exactly equal to the target wins."""
    raw = header.with_nonce(nonce).serialize()
    exact = int.from_bytes(hashlib.sha256(hashlib.sha256(raw).digest()).digest(), "little")
    # Build bits whose target is exactly that hash's value when it is representable.
    bits = target_to_bits(exact)
    if bits_to_target(bits) != exact:
        return
    assert mine_reference(header.__class__(**{**header.__dict__, "bits": bits}), nonce, nonce)


def test_edges_of_the_nonce_range():
    header = BlockHeader(1, b"\x11" * 32, b"\x22" * 32, 0, 0x2100FFFF, 0)  # every hash wins
    assert mine(header, start_nonce=2**32 - 1).nonce == 2**32 - 1
    assert mine(header, start_nonce=0, max_nonce=0).nonce == 0


@pytest.mark.parametrize(
    "kwargs",
    [{"start_nonce": -1}, {"max_nonce": 2**32}, {"backend": "gpu"}, {"start_nonce": 1.5}],
)
def test_bad_jobs_are_refused(kwargs):
    header = BlockHeader.from_hex(GENESIS_HEADER_HEX)
    with pytest.raises(MiningError):
        mine(header, **kwargs)
