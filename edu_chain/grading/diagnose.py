"""Feedback that diagnoses: step checks, premise-checked hints, and what failures share.

Used by both the grader (:func:`edu_chain.grading.runner.evaluate`) and the notebook
self-check (:func:`edu_chain.grading.check.check`), so both show the same words.

For a failing check group, the hint is, in order:

1. **a diagnosed mistake**: a :class:`~edu_chain.grading.spec.Mistake` whose symptom shows on
   the failing case *and* whose premise holds on every outcome (scored cases and probes),
   followed by the first wrong step when there is one;
2. **a wrong step**: the first step function the student defined (``rotr``, ``pad``...) that
   fails its own smallest case: "Step `rotr` is wrong: `rotr(1, 1)` should be `0x80000000`,
   got `2`".  Only steps the student wrote are checked; they never change the points;
3. when a function the failing one is built on fails too (``scalar_mult`` on ``point_add``),
   to fix that one first;
4. otherwise **what the failing inputs have in common**, stated as an observation, never as a
   cause ("every input fails, the smallest too", "only inputs that must raise ValueError").
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from edu_chain.grading.spec import Case, Evidence, ExerciseSpec, Outcome, Raises, show

OBSERVATION = "What the failing inputs have in common: "


@dataclass(frozen=True)
class Diagnosis:
    hint: str = ""
    code: str = ""  # "step-<name>", a mistake code, or "" for an observation / nothing


def outcome(case: Case, passed: bool, value: Any = None, raised: str = "") -> Outcome:
    return Outcome(case, passed, value, raised)


def step_failures(spec: ExerciseSpec, evidence: Evidence) -> list[tuple[str, Outcome]]:
    """(step, its smallest failing outcome) for every step the student defined, in step order.

    A step counts as defined when at least one of its calls ran (the worker reports absent
    functions as not run)."""
    found = []
    for name in spec.steps:
        failing = evidence.failing(name)
        if failing:
            found.append((name, failing[0]))
    return found


def step_text(name: str, failed: Outcome) -> str:
    case = failed.case
    expected = (
        f"raise {case.expected.exception}"
        if isinstance(case.expected, Raises)
        else f"be {show(case.expected)}"
    )
    got = f"it raised {failed.raised}" if failed.raised else f"got {show(failed.value)}"
    return f"Step `{name}` is wrong: `{case.call_text()}` should {expected}, {got}."


def explain(
    spec: ExerciseSpec,
    case: Case,
    actual: Any,
    evidence: Evidence,
    *,
    returned: bool,
) -> Diagnosis:
    """The hint for a failing group whose shown case is ``case`` (see the module docstring)."""
    mistake = None
    if returned:
        mistake = spec.diagnose(case, actual, evidence)
    else:  # the call raised: only diagnoses that rest on the whole evidence can apply
        evidence_only = [m for m in spec.mistakes if m.variant is None and m.matches is None]
        mistake = next((m for m in evidence_only if m.diagnosed(case, actual, evidence)), None)
    steps = step_failures(spec, evidence)
    step = step_text(*steps[0]) if steps else ""
    if mistake is not None:
        return Diagnosis(" ".join(filter(None, [mistake.hint, step])), mistake.code)
    if step:
        return Diagnosis(step + " Fix this step first.", f"step-{steps[0][0]}")
    below = [f for f in spec.builds_on.get(case.function, ()) if evidence.failing(f)]
    if below:
        names = " and ".join(f"`{name}`" for name in below)
        verb = "fails its" if len(below) == 1 else "fail their"
        return Diagnosis(
            f"`{case.function}` is usually built on {names}, which {verb} own checks too: "
            "fix that first, then look at this one again."
        )
    common = in_common(evidence.of(case.function))
    return Diagnosis(OBSERVATION + common if common else "")


def in_common(outcomes: Iterable[Outcome]) -> str:
    """An observation about the failing outcomes of one function, or "" when none is sure."""
    outcomes = list(outcomes)
    failing = [o for o in outcomes if not o.passed]
    if not failing:
        return ""
    if len(failing) == len(outcomes):
        return (
            f"all {len(outcomes)} inputs fail, the smallest too, so the mistake is in a part "
            "every input goes through."
        )
    must_raise = [o for o in failing if isinstance(o.case.expected, Raises)]
    if len(must_raise) == len(failing):
        return (
            "every failing input is invalid and must raise ValueError; your code accepts "
            f"{len(failing)} of them. Valid inputs pass."
        )
    raised = {o.raised for o in failing}
    if len(raised) == 1 and "" not in raised:
        return f"your code raises {raised.pop()} on each of them ({len(failing)} inputs)."
    expected = {repr(o.case.expected) for o in failing}
    if len(expected) == 1 and isinstance(failing[0].case.expected, bool):
        verdict = "accepted" if failing[0].case.expected else "rejected"
        wrong = "rejected" if failing[0].case.expected else "accepted"
        return (
            f"each of them should be {verdict} and yours {wrong} it; every input that should be "
            f"{wrong} is handled right."
        )
    return ""


def unused_step_warnings(spec: ExerciseSpec, evidence: Evidence) -> list[str]:
    """Wrong steps in a submission whose contract passes (the step is not on its path)."""
    return [
        step_text(name, failed) + " (Your main functions pass without it: is it unused?)"
        for name, failed in step_failures(spec, evidence)
    ]
