"""Difficulty retargeting with controlled timestamps.

Oracle: the rule written out with plain integers in the test (target * actual // expected,
clamped to [expected/4, expected*4], capped at the pow limit) and Bitcoin Core's compact
rounding via ``bits_to_target(target_to_bits(x))``; plus the chain itself, which must demand
exactly those bits and refuse anything else with ``bad-diffbits``.
"""

from __future__ import annotations

from dataclasses import replace

import pytest
from hypothesis import given
from hypothesis import strategies as st

from edu_chain.chain import retarget
from edu_chain.chain.builder import ChainBuilder
from edu_chain.chain.params import ChainParams
from edu_chain.errors import BlockValidationError
from edu_chain.pow.target import bits_to_target, target_to_bits

EDU = ChainParams.edu_regtest()
# A test chain whose genesis is 2**8 times harder than the limit, so it can get easier too.
HARDER = replace(ChainParams.for_tests(), genesis_bits=0x1F7FFFFF, genesis_nonce=0)


def _compact(target: int) -> int:
    return bits_to_target(target_to_bits(target))


def test_on_schedule_keeps_the_target():
    bits = EDU.genesis_bits
    assert retarget.retarget(bits, EDU.target_timespan, EDU) == target_to_bits(bits_to_target(bits))


def test_twice_too_fast_halves_the_target():
    old = bits_to_target(EDU.genesis_bits)
    new = bits_to_target(retarget.retarget(EDU.genesis_bits, EDU.target_timespan // 2, EDU))
    assert new == _compact(old // 2)
    assert new < old  # smaller target = harder


def test_clamp_at_four_times_harder():
    old = bits_to_target(EDU.genesis_bits)
    for instant in (0, 1, EDU.target_timespan // 10):
        new = bits_to_target(retarget.retarget(EDU.genesis_bits, instant, EDU))
        assert new == _compact(old * (EDU.target_timespan // 4) // EDU.target_timespan)


def test_clamp_at_four_times_easier_and_pow_limit():
    hard_bits = 0x1D00FFFF
    old = bits_to_target(hard_bits)
    new = bits_to_target(retarget.retarget(hard_bits, 10**9, EDU))
    assert new == _compact(old * 4)
    # From the genesis difficulty, "4x easier" would pass the limit: capped at the limit.
    capped = retarget.retarget(EDU.pow_limit_bits, 10**9, EDU)
    assert bits_to_target(capped) == _compact(EDU.pow_limit)


@given(st.integers(min_value=0, max_value=10**6))
def test_retarget_matches_the_written_rule(actual: int):
    expected = EDU.target_timespan
    clamped = max(expected // 4, min(actual, expected * 4))
    want = min(bits_to_target(EDU.genesis_bits) * clamped // expected, EDU.pow_limit)
    assert bits_to_target(retarget.retarget(EDU.genesis_bits, actual, EDU)) == _compact(want)


def test_only_window_boundaries_retarget():
    assert [h for h in range(35) if retarget.is_retarget_height(h, EDU)] == [10, 20, 30]
    assert retarget.next_bits(7, 0x1E00FFFF, 123, None, EDU) == 0x1E00FFFF
    assert retarget.next_bits(0, 0x1D00FFFF, 0, None, EDU) == EDU.genesis_bits


def _mine_with_spacing(builder: ChainBuilder, count: int, spacing: int) -> None:
    for _ in range(count):
        builder.mine_block(timestamp=builder.chain.tip.timestamp + spacing)


def test_chain_blocks_too_fast_get_harder():
    builder = ChainBuilder(HARDER)
    spacing = HARDER.target_spacing // 2  # twice too fast
    _mine_with_spacing(builder, 9, spacing)
    tip = builder.chain.tip
    bits = builder.chain.next_bits(tip)
    # Window: blocks 1..9 (the genesis timestamp is not a measurement): 8 gaps, scaled to 10.
    span = (tip.timestamp - tip.ancestor(1).timestamp) * 10 // 8
    assert span == HARDER.target_timespan // 2
    assert bits_to_target(bits) == _compact(bits_to_target(HARDER.genesis_bits) // 2)
    _mine_with_spacing(builder, 1, spacing)
    assert builder.chain.tip.header.bits == bits
    # Inside the window the bits stay.
    _mine_with_spacing(builder, 1, spacing)
    assert builder.chain.tip.header.bits == bits


def test_chain_blocks_too_slow_get_easier_clamped():
    builder = ChainBuilder(HARDER)
    _mine_with_spacing(builder, 9, HARDER.target_spacing * 100)
    bits = builder.chain.next_bits(builder.chain.tip)
    assert bits_to_target(bits) == _compact(bits_to_target(HARDER.genesis_bits) * 4)


def test_chain_second_window_measures_ten_gaps():
    builder = ChainBuilder(HARDER)
    _mine_with_spacing(builder, 19, HARDER.target_spacing)
    tip = builder.chain.tip  # height 19; the window is blocks 9..19
    assert tip.height == 19
    assert builder.chain.next_bits(tip) == target_to_bits(bits_to_target(tip.header.bits))


def test_chain_refuses_wrong_bits_at_a_retarget():
    builder = ChainBuilder(HARDER)
    _mine_with_spacing(builder, 9, 1)
    parent = builder.chain.tip
    stale = builder.make_block(
        mutate=lambda b: replace(b, header=replace(b.header, bits=parent.header.bits))
    )
    with pytest.raises(BlockValidationError) as info:
        builder.chain.submit_block(stale)
    assert info.value.code == "bad-diffbits"
    assert f"0x{builder.chain.next_bits(parent):08x}" in info.value.message
