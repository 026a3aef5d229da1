"""Proof-of-work: the compact target encoding, chain work, and the miner."""

from edu_chain.pow.mining import MiningResult as MiningResult
from edu_chain.pow.mining import MiningStats as MiningStats
from edu_chain.pow.mining import mine as mine
from edu_chain.pow.mining import mine_with_stats as mine_with_stats
from edu_chain.pow.target import MAX_TARGET as MAX_TARGET
from edu_chain.pow.target import bits_to_target as bits_to_target
from edu_chain.pow.target import block_work as block_work
from edu_chain.pow.target import meets_target as meets_target
from edu_chain.pow.target import target_to_bits as target_to_bits

__all__ = [
    "MAX_TARGET",
    "MiningResult",
    "MiningStats",
    "bits_to_target",
    "block_work",
    "meets_target",
    "mine",
    "mine_with_stats",
    "target_to_bits",
]
