"""Hidden checks for the ``retarget`` exercise: the difficulty adjustment rule.

Contract: ``retarget(old_bits, actual_timespan, target_timespan, pow_limit_bits) -> int``
returns the compact ``bits`` of the next window: the measured timespan clamped to
``[target_timespan // 4, target_timespan * 4]``, ``new = old_target * clamped //
target_timespan``, capped at the proof-of-work limit, re-encoded with ``target_to_bits``.

Reference: :func:`edu_chain.chain.retarget.retarget` (Bitcoin Core's
``CalculateNextWorkRequired``) with a :class:`~edu_chain.chain.params.ChainParams` whose
``target_timespan`` and ``pow_limit_bits`` are the case's.  Known vectors: the four cases of
Bitcoin Core's ``src/test/pow_tests.cpp`` (real mainnet windows: the first difficulty change at
block 32256, the pow limit cap, the factor-4 clamp both ways), and the docstring example of
edu-regtest (``0x1e00ffff`` twice too fast gives ``0x1d7fff80``).
"""

from __future__ import annotations

import dataclasses

from hypothesis import strategies as st

from edu_chain.chain.params import ChainParams
from edu_chain.chain.retarget import retarget
from edu_chain.grading.spec import (
    Case,
    CheckGroup,
    ExerciseSpec,
    Mistake,
    expect,
    random_group,
)
from edu_chain.pow.target import bits_to_target, target_to_bits

BITCOIN_TIMESPAN = 14 * 24 * 60 * 60  # two weeks: 2016 blocks of 10 minutes
BITCOIN_LIMIT = 0x1D00FFFF
CLAMP = 4


def ref_retarget(
    old_bits: int, actual_timespan: int, target_timespan: int, pow_limit_bits: int
) -> int:
    """The library's rule, with the case's window length and limit (multiples of 10 s)."""
    params = dataclasses.replace(
        ChainParams.edu_regtest(),
        retarget_interval=10,
        target_spacing=target_timespan // 10,
        pow_limit_bits=pow_limit_bits,
    )
    assert params.target_timespan == target_timespan
    return retarget(old_bits, actual_timespan, params)


def _case(old: int, actual: int, timespan: int, limit: int, label: str = "") -> Case:
    return expect("retarget", ref_retarget, [old, actual, timespan, limit], label)


def _known() -> list[Case]:
    core = "Bitcoin Core pow_tests.cpp: "
    return [
        Case(
            "retarget",
            (0x1D00FFFF, 1262152739 - 1261130161, BITCOIN_TIMESPAN, BITCOIN_LIMIT),
            0x1D00D86A,
            core + "get_next_work (block 32256, the first change)",
        ),
        Case(
            "retarget",
            (0x1D00FFFF, 1233061996 - 1231006505, BITCOIN_TIMESPAN, BITCOIN_LIMIT),
            0x1D00FFFF,
            core + "get_next_work_pow_limit (slow window, capped)",
        ),
        Case(
            "retarget",
            (0x1C05A3F4, 1279297671 - 1279008237, BITCOIN_TIMESPAN, BITCOIN_LIMIT),
            0x1C0168FD,
            core + "get_next_work_lower_limit_actual (clamped to 1/4)",
        ),
        Case(
            "retarget",
            (0x1C387F6F, 1269211443 - 1263163443, BITCOIN_TIMESPAN, BITCOIN_LIMIT),
            0x1D00E1FD,
            core + "get_next_work_upper_limit_actual (clamped to 4x)",
        ),
        Case(
            "retarget", (0x1E00FFFF, 50, 100, 0x1F00FFFF), 0x1D7FFF80, "edu-regtest, twice too fast"
        ),
    ]


def _clamp() -> list[Case]:
    cases = []
    for actual in (1, 24, 25, 26, 100, 399, 400, 401, 10_000, 0, -50):
        cases.append(_case(0x1C0FFFFF, actual, 100, 0x1F00FFFF, f"actual {actual} s of 100"))
    # Windows where a float ratio (53 bits) rounds to other compact bits than the exact
    # integer rule: found by a seeded search over the random group's strategy.
    for old, actual, timespan in ((169308968, 1990, 910), (221482358, 3591, 3430)):
        cases.append(_case(old, actual, timespan, 0x1F00FFFF, "exact integer arithmetic"))
    return cases


def _limit() -> list[Case]:
    return [
        _case(0x1F00FFFF, 100, 100, 0x1F00FFFF, "on time at the limit: unchanged"),
        _case(0x1F00FFFF, 400, 100, 0x1F00FFFF, "already at the limit, 4x too slow"),
        _case(0x1E7FFFFF, 400, 100, 0x1F00FFFF, "4x too slow, capped at the limit"),
        _case(0x1E3FFFFF, 200, 100, 0x1F00FFFF, "2x too slow, just under the limit"),
        _case(0x207FFFFF, 300, 100, 0x207FFFFF, "regtest limit 0x207fffff"),
    ]


RANDOM = st.builds(
    lambda exponent, mantissa, actual, spacing: _case(
        target_to_bits(min(mantissa << (8 * (exponent - 3)), bits_to_target(0x1F00FFFF))),
        actual,
        spacing * 10,
        0x1F00FFFF,
    ),
    st.integers(10, 31),
    st.integers(0x8000, 0x7FFFFF),
    st.integers(0, 20_000),
    st.integers(1, 600),
)


# --- mistakes -------------------------------------------------------------------------------


def _limit_target(pow_limit_bits: int) -> int:
    return bits_to_target(pow_limit_bits)


def _no_clamp(old: int, actual: int, timespan: int, limit: int) -> int:
    new = bits_to_target(old) * max(actual, 0) // timespan
    return target_to_bits(min(new, _limit_target(limit)))


def _inverted(old: int, actual: int, timespan: int, limit: int) -> int:
    clamped = max(timespan // CLAMP, min(actual, timespan * CLAMP))
    new = bits_to_target(old) * timespan // clamped
    return target_to_bits(min(new, _limit_target(limit)))


def _no_limit(old: int, actual: int, timespan: int, limit: int) -> int:
    clamped = max(timespan // CLAMP, min(actual, timespan * CLAMP))
    return target_to_bits(bits_to_target(old) * clamped // timespan)


def _target_not_bits(old: int, actual: int, timespan: int, limit: int) -> int:
    clamped = max(timespan // CLAMP, min(actual, timespan * CLAMP))
    return min(bits_to_target(old) * clamped // timespan, _limit_target(limit))


def _clamp_upper_only(old: int, actual: int, timespan: int, limit: int) -> int:
    clamped = min(actual, timespan * CLAMP)
    return target_to_bits(min(bits_to_target(old) * clamped // timespan, _limit_target(limit)))


def _divide_first(old: int, actual: int, timespan: int, limit: int) -> int:
    clamped = max(timespan // CLAMP, min(actual, timespan * CLAMP))
    return target_to_bits(min(bits_to_target(old) // timespan * clamped, _limit_target(limit)))


def _float_ratio(old: int, actual: int, timespan: int, limit: int) -> int:
    clamped = max(timespan // CLAMP, min(actual, timespan * CLAMP))
    new = int(bits_to_target(old) * (clamped / timespan))
    return target_to_bits(min(new, _limit_target(limit)))


MISTAKES = (
    Mistake(
        "clamp-upper-only",
        "Clamp the timespan on BOTH sides: at least target_timespan // 4 as well as at most "
        "target_timespan * 4 (a window four times too fast changes the difficulty by 4, no more).",
        variant=_clamp_upper_only,
        premise=lambda evidence: any(
            o.passed and o.case.args[1] > 4 * o.case.args[2] for o in evidence.of("retarget")
        ),
    ),
    Mistake(
        "divided-first",
        "Multiply before you divide: old_target * timespan // target_timespan. Dividing first "
        "throws away the low bits of the target.",
        variant=_divide_first,
        whole_evidence=True,
    ),
    Mistake(
        "float-ratio",
        "Use integers only: the ratio actual / target_timespan as a float has 53 bits, a target "
        "has up to 256, so old_target * timespan // target_timespan.",
        variant=_float_ratio,
        whole_evidence=True,
    ),
    Mistake(
        "returns-target",
        "Return the new target in compact form: target_to_bits(new_target), not the number.",
        variant=_target_not_bits,
    ),
    Mistake(
        "ratio-inverted",
        "Blocks that came too FAST (actual < target_timespan) must make mining HARDER, i.e. "
        "the target SMALLER: new = old * actual // target_timespan.",
        variant=_inverted,
    ),
    Mistake(
        "no-clamp",
        "Clamp the measured timespan to [target_timespan // 4, target_timespan * 4] first: one "
        "window may change the difficulty by at most a factor of 4.",
        variant=_no_clamp,
    ),
    Mistake(
        "pow-limit-ignored",
        "The new target may never be easier than the proof-of-work limit: "
        "new = min(new, bits_to_target(pow_limit_bits)).",
        variant=_no_limit,
    ),
)

SPEC = ExerciseSpec(
    exercise_id="retarget",
    version=2,
    groups=(
        CheckGroup("known-vectors", "Bitcoin Core's retarget tests", _known, public=True),
        CheckGroup("clamp", "Timespans around the factor-4 clamp; exact integer ratios", _clamp),
        CheckGroup("pow-limit", "Results capped at the proof-of-work limit", _limit),
        random_group("random", "Random windows and targets", RANDOM, count=40, seed_value=5_001),
    ),
    mistakes=MISTAKES,
)
