"""Hidden checks for the ``fork_choice`` exercise: the most-work chain wins, first seen on a tie.

Contract: ``block_work(bits) -> int`` is ``2**256 // (target + 1)`` (the expected number of
hashes to find a block at that target); ``chain_work(bits_list) -> int`` sums it over a chain;
``best_chain(chains) -> int`` returns the index of the chain with the most work, the lowest
index (the first seen) on a tie.

Reference: :func:`edu_chain.pow.target.block_work` (Bitcoin Core's ``GetBlockProof``) and the
ordering of :meth:`edu_chain.chain.state.ChainState._best_candidate`: the key
``(chainwork, -first_seen)``.  Known vector: Bitcoin's genesis bits ``0x1d00ffff`` are worth
``0x100010001`` hashes, the chainwork every explorer shows for block 0.
"""

from __future__ import annotations

from typing import Any

from hypothesis import strategies as st

from edu_chain.grading.spec import (
    Case,
    CheckGroup,
    Evidence,
    ExerciseSpec,
    Mistake,
    expect,
    random_group,
)
from edu_chain.pow.target import bits_to_target, block_work, target_to_bits

BITCOIN_GENESIS_BITS = 0x1D00FFFF
EDU_REGTEST_BITS = (0x1F00FFFF, 0x1E00FFFF, 0x1E7FFFFF, 0x1D7FFF80)
TEST_BITS = 0x207FFFFF  # half of all hashes qualify: work 2


def ref_chain_work(bits_list: list[int]) -> int:
    return sum(block_work(bits) for bits in bits_list)


def ref_best_chain(chains: list[list[int]]) -> int:
    """Most chainwork; the lowest index (first seen) wins a tie, as ChainState does."""
    return max(range(len(chains)), key=lambda i: (ref_chain_work(chains[i]), -i))


def _work_known() -> list[Case]:
    return [
        Case("block_work", (BITCOIN_GENESIS_BITS,), 0x100010001, "Bitcoin genesis: 0x100010001"),
        Case("block_work", (TEST_BITS,), 2, "0x207fffff: half of all hashes qualify"),
        Case("block_work", (0x03000001,), 2**255, "target 1"),
        expect("block_work", block_work, [0x1F00FFFF], "edu-regtest pow limit"),
        expect("block_work", block_work, [0x04123456], "work of 232 bits: beyond a float"),
    ]


BITS = st.integers(1, 2**255).map(target_to_bits)

RANDOM_WORK = BITS.map(lambda bits: expect("block_work", block_work, [bits]))


def _chain_work() -> list[Case]:
    return [
        Case("chain_work", ([],), 0, "an empty chain has no work"),
        Case("chain_work", ([BITCOIN_GENESIS_BITS] * 2,), 0x200020002, "Bitcoin blocks 0 and 1"),
        expect("chain_work", ref_chain_work, [list(EDU_REGTEST_BITS)], "mixed targets"),
        expect("chain_work", ref_chain_work, [[0x03000001, 0x04000001, TEST_BITS]]),
    ]


RANDOM_CHAIN_WORK = st.lists(BITS, max_size=12).map(
    lambda bits_list: expect("chain_work", ref_chain_work, [bits_list])
)


def _best_known() -> list[Case]:
    easy, hard = 0x1F00FFFF, 0x1E00FFFF  # hard is worth 256x easy
    return [
        expect("best_chain", ref_best_chain, [[[easy] * 3]], "one chain"),
        expect("best_chain", ref_best_chain, [[[easy] * 3, [easy] * 4]], "more blocks, same bits"),
        expect("best_chain", ref_best_chain, [[[easy] * 10, [easy, hard]]], "fewer, harder blocks"),
        expect("best_chain", ref_best_chain, [[[easy, hard], [hard, easy]]], "a tie: first seen"),
        expect(
            "best_chain", ref_best_chain, [[[easy], [easy] * 2, [easy] * 2]], "a tie after a loser"
        ),
        expect("best_chain", ref_best_chain, [[[], [TEST_BITS]]], "an empty chain loses"),
    ]


POOL = st.sampled_from((*EDU_REGTEST_BITS, TEST_BITS))


@st.composite
def _chains(draw: Any) -> list[list[int]]:
    chains = draw(st.lists(st.lists(POOL, min_size=1, max_size=8), min_size=1, max_size=4))
    if draw(st.booleans()):  # a tie: the same blocks in another order, arriving later
        copy = list(reversed(chains[draw(st.integers(0, len(chains) - 1))]))
        chains.insert(draw(st.integers(0, len(chains))), copy)
    return chains


RANDOM_BEST = _chains().map(lambda chains: expect("best_chain", ref_best_chain, [chains]))


# --- mistakes -------------------------------------------------------------------------------


def _longest(chains: list[list[int]]) -> int:
    return max(range(len(chains)), key=lambda i: (len(chains[i]), -i))


def _last_on_tie(chains: list[list[int]]) -> int:
    return max(range(len(chains)), key=lambda i: (ref_chain_work(chains[i]), i))


def _lowest_target_sum(chains: list[list[int]]) -> int:
    return min(range(len(chains)), key=lambda i: (sum(bits_to_target(b) for b in chains[i]), i))


def _chain_work_right(evidence: Evidence) -> bool:
    """best_chain's own mistakes are diagnosed only when chain_work is right: a wrong
    chain_work (tiny works, say) can make a right comparison look like another rule."""
    return bool(evidence.of("chain_work")) and not evidence.failing("chain_work")


MISTAKES = (
    Mistake(
        "work-off-by-one",
        "A block's work is 2**256 // (target + 1), not 2**256 // target: the number of hashes "
        "at or below the target is target + 1.",
        variant=lambda bits: 2**256 // bits_to_target(bits),
        functions=("block_work",),
    ),
    Mistake(
        "work-off-by-one",
        "A block's work is 2**256 // (target + 1), not 2**256 // target: the number of hashes "
        "at or below the target is target + 1.",
        variant=lambda bits_list: sum(2**256 // bits_to_target(b) for b in bits_list),
        functions=("chain_work",),
    ),
    Mistake(
        "float-division",
        "Use integer division: 2**256 // (target + 1). With / the quotient is a float of 53 "
        "bits, and a chain's work must be exact.",
        variant=lambda bits: int(2**256 / (bits_to_target(bits) + 1)),
        functions=("block_work",),
        whole_evidence=True,
    ),
    Mistake(
        "float-division",
        "Use integer division: 2**256 // (target + 1). With / the quotient is a float of 53 "
        "bits, and a chain's work must be exact.",
        variant=lambda bits_list: sum(int(2**256 / (bits_to_target(b) + 1)) for b in bits_list),
        functions=("chain_work",),
        whole_evidence=True,
    ),
    Mistake(
        "bits-used-as-target",
        "Decode bits first: the target is bits_to_target(bits), not the number bits itself.",
        variant=lambda bits_list: sum(2**256 // (b + 1) for b in bits_list),
        functions=("chain_work",),
    ),
    Mistake(
        "bits-used-as-target",
        "Decode bits first: the target is bits_to_target(bits), not the number bits itself.",
        variant=lambda bits: 2**256 // (bits + 1),
        functions=("block_work",),
    ),
    Mistake(
        "sum-of-targets",
        "Add up WORK, not targets: a smaller target means more work, so summing targets ranks "
        "chains the wrong way round.",
        variant=lambda bits_list: sum(bits_to_target(b) for b in bits_list),
        functions=("chain_work",),
    ),
    Mistake(
        "longest-chain",
        "Nodes follow the chain with the most cumulative WORK, not the most blocks: a few "
        "hard blocks can outweigh many easy ones (otherwise an attacker mines easy blocks).",
        variant=_longest,
        functions=("best_chain",),
        premise=_chain_work_right,
    ),
    Mistake(
        "tie-goes-to-last",
        "On equal work keep the chain seen FIRST (the lowest index): switching to a later chain "
        "of equal work would let anyone flip the tip for free.",
        variant=_last_on_tie,
        functions=("best_chain",),
    ),
    Mistake(
        "lowest-target-sum",
        "Compare chains by total work (sum of 2**256 // (target + 1)), not by their targets.",
        variant=_lowest_target_sum,
        functions=("best_chain",),
        premise=_chain_work_right,
    ),
)

SPEC = ExerciseSpec(
    exercise_id="fork_choice",
    version=3,
    groups=(
        CheckGroup(
            "work-known", "Bitcoin's genesis bits and edge targets", _work_known, public=True
        ),
        random_group("work-random", "Random bits", RANDOM_WORK, count=30, seed_value=12_001),
        CheckGroup("chain-work", "Sums over small chains", _chain_work, public=True),
        random_group(
            "chain-work-random", "Random chains", RANDOM_CHAIN_WORK, count=20, seed_value=12_002
        ),
        CheckGroup(
            "best-known",
            "Heavier beats longer; ties go to the first seen",
            _best_known,
            public=True,
        ),
        random_group(
            "best-random",
            "Random competing chains, with ties",
            RANDOM_BEST,
            count=30,
            seed_value=12_003,
        ),
    ),
    mistakes=MISTAKES,
    builds_on={"chain_work": ("block_work",), "best_chain": ("chain_work",)},
)
