"""Hidden checks for the ``target`` exercise: Bitcoin's compact target encoding (``bits``).

Reference: :func:`edu_chain.pow.bits_to_target` and :func:`edu_chain.pow.target_to_bits`
(``arith_uint256::SetCompact`` / ``GetCompact`` in Bitcoin Core).  Known vectors: the genesis
block's ``0x1d00ffff``, block 100000's ``0x1b04864c``, and Bitcoin Core's ``arith_uint256``
unit tests (``0x01123456`` -> 0x12, ``0x04923456`` negative, ...).
"""

from __future__ import annotations

from hypothesis import strategies as st

from edu_chain.grading.spec import (
    Case,
    CheckGroup,
    Evidence,
    ExerciseSpec,
    Mistake,
    Outcome,
    expect,
    random_group,
)
from edu_chain.pow import bits_to_target, target_to_bits


def _known() -> list[Case]:
    return [
        Case("bits_to_target", (0x1D00FFFF,), 0xFFFF << 208, "genesis block bits 0x1d00ffff"),
        Case("bits_to_target", (0x1B04864C,), 0x04864C << 192, "block 100000 bits 0x1b04864c"),
        Case("target_to_bits", (0xFFFF << 208,), 0x1D00FFFF, "genesis block target"),
        Case("target_to_bits", (0x04864C << 192,), 0x1B04864C, "block 100000 target"),
    ]


def _small_exponent() -> list[Case]:
    bits_values = [0x01003456, 0x01123456, 0x02123456, 0x03123456, 0x00123456, 0x04123456]
    cases = [expect("bits_to_target", bits_to_target, [b]) for b in bits_values]
    cases += [expect("target_to_bits", target_to_bits, [t]) for t in (0, 0x12, 0x1234, 0x123456)]
    return cases


def _sign_bit() -> list[Case]:
    targets = [0x80, 0x8000, 0x800000, 0x80000000, 0xFF << 200, 0x92340000]
    cases = [expect("target_to_bits", target_to_bits, [t]) for t in targets]
    cases += [
        expect("bits_to_target", bits_to_target, [b], "sign bit set: negative, invalid")
        for b in (0x04923456, 0x1D80FFFF)
    ]
    cases.append(expect("bits_to_target", bits_to_target, [0x23000001], "overflows 256 bits"))
    return cases


# Either direction: a random target to encode, or the bits of a random target to decode.
RANDOM = st.integers(1, 2**255).flatmap(
    lambda t: st.sampled_from(
        [
            expect("target_to_bits", target_to_bits, [t]),
            expect("bits_to_target", bits_to_target, [target_to_bits(t)]),
        ]
    )
)


def _no_sign_fix(target: int) -> int:
    size = (target.bit_length() + 7) // 8
    mantissa = target << (8 * (3 - size)) if size <= 3 else target >> (8 * (size - 3))
    return (size << 24) | mantissa


def _exponent_off_by_one(bits: int) -> int:
    return (bits & 0x007FFFFF) << (8 * ((bits >> 24) - 2)) if bits >> 24 >= 2 else -1


def _size_rounded_down(target: int) -> int:
    size = target.bit_length() // 8
    mantissa = target << (8 * (3 - size)) if size <= 3 else target >> (8 * (size - 3))
    if mantissa & 0x00800000:
        mantissa >>= 8
        size += 1
    return (size << 24) | mantissa


def _exponent(outcome: Outcome) -> int:
    return outcome.case.args[0] >> 24


def _fails_only_below_exponent_3(evidence: Evidence) -> bool:
    """Premise of "small-exponent": every bits value decoded wrong has an exponent below 3,
    and some with an exponent of 3 or more decode right."""
    decoded = evidence.of("bits_to_target")
    failing = [o for o in decoded if not o.passed]
    return (
        bool(failing)
        and all(_exponent(o) < 3 for o in failing)
        and any(o.passed and _exponent(o) >= 3 for o in decoded)
    )


MISTAKES = (
    Mistake(
        "small-exponent",
        "Wrong only for exponents below 3: there the mantissa has more bytes than the target, "
        "so shift it RIGHT by 8 * (3 - exponent) bits (a negative left shift raises).",
        premise=_fails_only_below_exponent_3,
        functions=("bits_to_target",),
    ),
    Mistake(
        "size-rounded-down",
        "The exponent is the target's size in whole bytes, rounded UP: "
        "(target.bit_length() + 7) // 8.",
        variant=_size_rounded_down,
        functions=("target_to_bits",),
        whole_evidence=True,
    ),
    Mistake(
        "overflow-not-rejected",
        "These bits encode a target that does not fit in 256 bits: raise ValueError "
        "(Bitcoin Core's overflow flag) instead of returning a huge number.",
        matches=lambda case, actual: case.label == "overflows 256 bits" and isinstance(actual, int),
        functions=("bits_to_target",),
    ),
    Mistake(
        "sign-bit-not-handled",
        "When the mantissa's top bit (0x00800000) would be set, shift it right one byte and "
        "add 1 to the exponent: otherwise the compact form reads back as a negative number.",
        variant=_no_sign_fix,
        functions=("target_to_bits",),
    ),
    Mistake(
        "exponent-off-by-one",
        "The exponent counts bytes of the whole target, mantissa included: "
        "target = mantissa * 256**(exponent - 3).",
        variant=_exponent_off_by_one,
        functions=("bits_to_target",),
    ),
    Mistake(
        "negative-not-rejected",
        "bits with the sign bit (0x00800000) set and a non-zero mantissa encode a negative "
        "target: raise ValueError, as Bitcoin Core rejects it.",
        matches=lambda case, actual: (
            case.function == "bits_to_target"
            and isinstance(actual, int)
            and bool(case.args[0] & 0x00800000)
        ),
    ),
)

SPEC = ExerciseSpec(
    exercise_id="target",
    version=2,
    groups=(
        CheckGroup("known-vectors", "Real Bitcoin bits values", _known, public=True),
        CheckGroup("small-exponent", "Exponents 0 to 4 (mantissa shifted right)", _small_exponent),
        CheckGroup("sign-bit", "The sign bit, negative and overflowing bits", _sign_bit),
        random_group("round-trip", "Random targets both ways", RANDOM, count=60, seed_value=3_003),
    ),
    mistakes=MISTAKES,
)
