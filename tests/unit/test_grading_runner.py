"""The runner's plain-data helpers against their obvious oracles (no worker runs here)."""

from __future__ import annotations

import dataclasses
import json

from edu_chain.grading.runner import (
    ExerciseResult,
    Failure,
    GroupResult,
    evidence_from,
)
from edu_chain.grading.spec import Case


def _result() -> ExerciseResult:
    failure = Failure("sha256(b'')", "bytes.fromhex(...)", "b''", "empty", "a hint", "padding")
    return ExerciseResult(
        "sha256",
        4.0,
        10.0,
        "graded",
        "4 of 10 points.",
        (
            GroupResult("known-vectors", "FIPS 180-4", 4.0, 4.0, 3, 3),
            GroupResult("random", "Random messages", 0.0, 6.0, 10, 40, failure),
        ),
        ("cell 1: NameError: x",),
        "printed\n",
        0.25,
        "sha256.py",
        "",
        "audit hook + limits",
    )


def test_to_dict_is_what_asdict_gives():
    result = _result()
    assert result.to_dict() == dataclasses.asdict(result)
    assert json.dumps(result.to_dict()) == json.dumps(dataclasses.asdict(result))
    assert ExerciseResult.from_dict(result.to_dict()) == result


def test_to_dict_leaves_the_result_unchanged():
    result = _result()
    data = result.to_dict()
    data["groups"][1]["failure"]["hint"] = "changed"
    data["status"] = "changed"
    assert result == _result()


def test_evidence_of_some_functions_is_the_subset_of_all_the_evidence():
    plan = [
        ("g", Case("sha256", (b"",), b"\x01")),
        ("", Case("rotr", (1, 1), 2**31)),
        ("g", Case("sha256", (b"a",), b"\x02")),
        ("", Case("pad", (b"",), b"\x80")),
    ]
    results = {
        0: {"value": {"$b": "01"}},
        1: {"value": 2},
        2: {"raised": ["ValueError"], "message": "no"},
        3: {"absent": True},
    }
    everything = evidence_from(plan, results)
    steps = evidence_from(plan, results, only={"rotr", "pad"})
    assert steps.outcomes == tuple(o for o in everything.outcomes if o.case.function == "rotr")
    assert [o.passed for o in everything.outcomes] == [True, False, False]
