"""ChainParams and the deterministic genesis blocks.

Oracles: hashlib (the genesis hash is recomputed from the 80 header bytes with hashlib and
compared with the target), the Merkle rule (a single transaction's txid is the root), and
the halving arithmetic written out by hand.
"""

from __future__ import annotations

import hashlib
from dataclasses import replace

import pytest

from edu_chain.chain.params import COIN, ChainParams
from edu_chain.pow.target import bits_to_target

PRESETS = [ChainParams.edu_regtest(), ChainParams.for_tests()]


def _hashlib_sha256d(data: bytes) -> bytes:
    return hashlib.sha256(hashlib.sha256(data).digest()).digest()


@pytest.mark.parametrize("params", PRESETS, ids=lambda p: p.name)
def test_hard_coded_genesis_nonce_meets_the_target(params: ChainParams):
    header = params.genesis_block().header
    digest = _hashlib_sha256d(header.serialize())
    assert int.from_bytes(digest, "little") <= bits_to_target(params.genesis_bits)
    assert header.nonce == params.genesis_nonce


@pytest.mark.parametrize("params", PRESETS, ids=lambda p: p.name)
def test_genesis_is_deterministic(params: ChainParams):
    again = ChainParams.by_name(params.name)
    assert again.genesis_block().serialize() == params.genesis_block().serialize()
    block = params.genesis_block()
    assert block.header.prev_hash == bytes(32)
    assert block.header.timestamp == params.genesis_timestamp
    assert block.header.merkle_root == block.transactions[0].txid  # one leaf is the root
    assert block.transactions[0].is_coinbase()
    assert params.genesis_message in block.transactions[0].inputs[0].script_sig


def test_edu_regtest_genesis_id_is_pinned():
    """Changing any consensus field of the genesis changes this id: do it knowingly."""
    assert ChainParams.edu_regtest().genesis_block().id == (
        "000000aa0fb68888dbc8096ce30c49cee9a5fa565de3bbf80e3cd2ab626f1e12"
    )


def test_edu_regtest_difficulty_is_seconds_for_numba():
    params = ChainParams.edu_regtest()
    expected_hashes = 2**256 / (bits_to_target(params.genesis_bits) + 1)
    assert 2**23 <= expected_hashes <= 2**26  # ~1-7 s at ~10 MH/s per core
    assert 5 <= params.target_spacing <= 10
    assert params.retarget_interval == 10 and params.retarget_clamp == 4
    assert params.pow_limit >= bits_to_target(params.genesis_bits)


def test_edu_regtest_has_the_numbers_the_readme_states():
    """README "Consensus, chain state and mempool": 10 s blocks, retarget every 10 blocks
    clamped to 4x, 50-coin reward halving every 150 blocks, coinbase maturity 10."""
    params = ChainParams.edu_regtest()
    assert params.target_spacing == 10
    assert (params.retarget_interval, params.retarget_clamp) == (10, 4)
    assert params.block_subsidy(1) == 50 * COIN
    assert params.halving_interval == 150 and params.block_subsidy(150) == 25 * COIN
    assert params.coinbase_maturity == 10


def test_unit_test_difficulty_is_trivial():
    params = ChainParams.for_tests()
    assert params.pow_limit >= 2**254  # about every second hash qualifies


def test_subsidy_halves():
    params = ChainParams.for_tests()
    interval = params.halving_interval
    assert params.block_subsidy(1) == 50 * COIN
    assert params.block_subsidy(interval - 1) == 50 * COIN
    assert params.block_subsidy(interval) == 25 * COIN
    assert params.block_subsidy(3 * interval) == 50 * COIN // 8
    assert params.block_subsidy(64 * interval) == 0


def test_unknown_preset_is_a_clear_error():
    with pytest.raises(ValueError, match="unknown chain"):
        ChainParams.by_name("mainnet")


def test_retarget_interval_must_allow_a_window():
    with pytest.raises(ValueError, match="retarget_interval"):
        replace(ChainParams.for_tests(), retarget_interval=2)


def test_replaced_params_do_not_share_the_genesis_cache():
    base = ChainParams.for_tests()
    harder = replace(base, genesis_bits=0x1F7FFFFF, genesis_nonce=0)
    base.genesis_block()  # fill base's cache first
    assert harder.genesis_block().header.bits == 0x1F7FFFFF
    assert base.genesis_block().header.bits == base.genesis_bits
