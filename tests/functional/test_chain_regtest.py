"""The classroom chain with real proof-of-work: edu-regtest blocks mined with the Numba miner.

Oracle: hashlib recomputes every block hash and compares it with the target of its bits.
"""

from __future__ import annotations

import hashlib

import pytest

from edu_chain.chain import ChainParams, ChainState
from edu_chain.mempool import Mempool, mine_next_block
from edu_chain.pow.target import bits_to_target


@pytest.mark.slow
def test_edu_regtest_blocks_carry_real_proof_of_work(tmp_path):
    params = ChainParams.edu_regtest()
    chain = ChainState(params, tmp_path / "regtest.sqlite")
    pool = Mempool(chain)
    for _ in range(2):
        mine_next_block(pool, b"\x01" * 20)
    assert chain.height == 2
    for height in range(3):
        header = chain.block_at(height).header
        digest = hashlib.sha256(hashlib.sha256(header.serialize()).digest()).digest()
        assert int.from_bytes(digest, "little") <= bits_to_target(header.bits)
        assert header.bits == params.genesis_bits  # no retarget before height 10
    assert chain.balance(b"\x01" * 20) == 2 * params.block_subsidy(1)
    assert chain.check_consistency().ok
