"""``check()``: a student's instant self-check in a notebook, scored like the grader.

    >>> from edu_chain.grading import check
    >>> check("merkle_root", merkle_root)          # doctest: +SKIP
    merkle_root: 6/10  6 of 10 points. ...

It runs in the student's own kernel (it is their code on their machine, so no sandbox is
needed) on every check group with the published inputs, so its score is the one
``educhain grade`` gives (a cohort's secret salt redraws only the random groups, and the fixed
groups alone catch every typical mistake).  Since nothing stops a banned import here, the report
warns when a function reaches a module the grader refuses (``hashlib`` for ``sha256``, or
``edu_chain`` itself): such code passes here and scores 0 under ``educhain grade``.  It shows
the smallest failing input, expected vs actual and a hint for known mistakes.  In Jupyter the
result renders as an HTML table.
"""

from __future__ import annotations

import contextlib
import html
import types
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from edu_chain.errors import GradingError
from edu_chain.grading.diagnose import explain, unused_step_warnings
from edu_chain.grading.manifest import Exercise, find_exercises_dir, load_exercise
from edu_chain.grading.runner import NOT_STARTED, Failure
from edu_chain.grading.spec import Case, Evidence, Outcome, Raises, encode, same, show


@dataclass(frozen=True)
class CheckLine:
    group: str
    description: str
    passed: int
    total: int
    failure: Failure | None
    points: float = 0.0
    max_points: float = 0.0


@dataclass(frozen=True)
class CheckReport:
    """The result of :func:`check`; truthy when every check passes.

    ``points`` out of ``max_points`` is what ``educhain grade`` gives for the same code with
    the published inputs (a cohort's salt redraws only the random groups).
    """

    exercise_id: str
    lines: tuple[CheckLine, ...]
    warnings: tuple[str, ...] = ()  # banned modules the functions reach (the grader scores 0)
    points: float = 0.0
    max_points: float = 0.0
    message: str = ""

    @property
    def passed(self) -> bool:
        return all(line.failure is None for line in self.lines)

    def __bool__(self) -> bool:
        return self.passed

    def __str__(self) -> str:
        out = [f"{self.exercise_id}: {self.points:g}/{self.max_points:g}  {self.message}"]
        for line in self.lines:
            mark = "PASS" if line.failure is None else "FAIL"
            out.append(
                f"  [{mark}] {line.group} ({line.points:g}/{line.max_points:g}) "
                f"{line.passed}/{line.total} cases: {line.description}"
            )
            if line.failure:
                f = line.failure
                out.append(f"      smallest failing input: {f.call}")
                out.append(f"      expected: {f.expected}")
                out.append(f"      actual:   {f.actual}")
                if f.hint:
                    out.append(f"      hint: {f.hint}")
        out.extend(f"  WARNING: {warning}" for warning in self.warnings)
        return "\n".join(out)

    __repr__ = __str__

    def _repr_html_(self) -> str:
        esc = html.escape
        colour = "#1a7f37" if self.passed else "#cf222e"
        rows = []
        for line in self.lines:
            mark = "&#10004;" if line.failure is None else "&#10008;"
            detail = ""
            if line.failure:
                f = line.failure
                detail = (
                    f"<div><b>smallest failing input</b> <code>{esc(f.call)}</code></div>"
                    f"<div><b>expected</b> <code>{esc(f.expected)}</code></div>"
                    f"<div><b>actual</b> <code>{esc(f.actual)}</code></div>"
                    + (
                        f"<div style='color:#9a6700'><b>hint</b> {esc(f.hint)}</div>"
                        if f.hint
                        else ""
                    )
                )
            rows.append(
                f"<tr><td style='font-size:1.2em'>{mark}</td><td><b>{esc(line.group)}</b><br>"
                f"{esc(line.description)}</td><td>{line.passed}/{line.total}</td>"
                f"<td>{line.points:g}/{line.max_points:g}</td>"
                f"<td style='text-align:left'>{detail}</td></tr>"
            )
        title = f"{self.points:g}/{self.max_points:g} {esc(self.message)}"
        warnings = "".join(
            f"<div style='color:#cf222e'><b>warning</b> {esc(w)}</div>" for w in self.warnings
        )
        return (
            f"<div><h4 style='color:{colour}'>{esc(self.exercise_id)}: {title}</h4>{warnings}"
            "<table><tr><th></th><th>check</th><th>cases</th><th>points</th><th>details</th></tr>"
            + "".join(rows)
            + "</table></div>"
        )


def banned_references(function: Callable[..., Any], banned: tuple[str, ...]) -> list[str]:
    """Banned modules ``function`` reaches: names it imports or uses, and the modules that the
    globals it uses come from (``from hashlib import sha256`` at the top of a cell)."""
    code = getattr(function, "__code__", None)
    if code is None:
        return []
    namespace = dict(getattr(function, "__globals__", {}))
    for name, cell in zip(code.co_freevars, function.__closure__ or (), strict=False):
        with contextlib.suppress(ValueError):  # an empty cell
            namespace[name] = cell.cell_contents
    roots = {name.split(".")[0] for name in banned}
    found: set[str] = set()
    codes = [code]
    while codes:
        current = codes.pop()
        codes.extend(c for c in current.co_consts if isinstance(c, types.CodeType))
        for name in (*current.co_names, *current.co_freevars):
            value = namespace.get(name)
            if isinstance(value, types.ModuleType):
                origin = value.__name__
            else:
                origin = getattr(value, "__module__", None) or ""
            for candidate in (name, origin):
                if candidate.split(".")[0] in roots:
                    found.add(candidate.split(".")[0])
    return sorted(found)


def _run_case(function: Callable[..., Any], case: Case) -> Outcome:
    """One case, run in-process: the outcome the diagnosis and the score use."""
    try:
        value = function(*[list(a) if isinstance(a, list) else a for a in case.args])
    except Exception as exc:  # the student's error is the feedback
        raised = [cls.__name__ for cls in type(exc).__mro__]
        ok = isinstance(case.expected, Raises) and case.expected.exception in raised
        return Outcome(case, ok, f"raised {type(exc).__name__}: {exc}", type(exc).__name__)
    if isinstance(case.expected, Raises):
        return Outcome(case, False, value)
    try:
        ok = same(encode(value), encode(case.expected))
    except TypeError:
        ok = False
    return Outcome(case, ok, value)


def load_checked_exercise(exercise_id: str) -> Exercise:
    """The exercise ``exercise_id`` (its manifest and spec); an unknown id lists the valid ones."""
    folder = find_exercises_dir()
    if folder is None:
        raise GradingError("no exercises found (no exercises/ folder and none bundled)")
    known = sorted(p.parent.name for p in folder.glob("*/exercise.toml"))
    if exercise_id not in known:
        raise GradingError(
            f"unknown exercise {exercise_id!r}; the exercises are: {', '.join(known)}"
        )
    return load_exercise(folder / exercise_id)


def _functions(exercise: Exercise, positional: tuple, named: dict) -> dict[str, Callable]:
    names = exercise.function_names
    functions = dict(zip(names, positional, strict=False))
    functions.update(named)
    missing = [name for name in names if not callable(functions.get(name))]
    if missing:
        raise GradingError(
            f"check({exercise.exercise_id!r}, ...) needs the function(s) "
            + ", ".join(names)
            + f"; missing {', '.join(missing)}"
        )
    # Step functions: passed by name, or defined next to the first function (a notebook cell).
    home = getattr(functions[names[0]], "__globals__", {})
    for step in exercise.step_names:
        if step not in functions and callable(home.get(step)):
            functions[step] = home[step]
    return functions


def _line(
    exercise: Exercise, name: str, outcomes: list[Outcome], evidence: Evidence, points: float
) -> CheckLine:
    group = exercise.spec.group(name)
    failing = [o for o in outcomes if not o.passed]
    failure = None
    if failing:
        first = failing[0]
        case = first.case
        returned = not first.raised
        diagnosis = explain(exercise.spec, case, first.value, evidence, returned=returned)
        expected = (
            f"raises {case.expected.exception}"
            if isinstance(case.expected, Raises)
            else show(case.expected)
        )
        actual = first.value if first.raised else show(first.value)
        failure = Failure(
            case.call_text(), expected, actual, case.label, diagnosis.hint, diagnosis.code
        )
    return CheckLine(
        name,
        group.description,
        len(outcomes) - len(failing),
        len(outcomes),
        failure,
        0.0 if failing else points,
        points,
    )


def check(
    exercise_id: str, *functions: Callable[..., Any], **named: Callable[..., Any]
) -> CheckReport:
    """Run every check of ``exercise_id`` on your functions, in this process.

    Pass the functions in the order of the exercise's contract, or by name:
    ``check("merkle_proof", merkle_proof, verify_merkle_proof)``.  Step functions
    (``rotr``, ``hash_pair``...) are checked too when you pass them by name or define them in
    the same notebook.  The score is the one ``educhain grade`` gives with the published
    inputs.
    """
    exercise = load_checked_exercise(exercise_id)
    spec = exercise.spec
    by_name = _functions(exercise, functions, named)
    scored: dict[str, list[Outcome]] = {}
    for check_spec in exercise.checks:
        cases = sorted(spec.cases(check_spec.name), key=lambda c: c.size)
        scored[check_spec.name] = [_run_case(by_name[c.function], c) for c in cases]
    extra = [
        _run_case(by_name[c.function], c) for c in spec.diagnostic_cases() if c.function in by_name
    ]
    evidence = Evidence([*(o for outs in scored.values() for o in outs), *extra])
    lines = tuple(
        _line(exercise, c.name, scored[c.name], evidence, c.points) for c in exercise.checks
    )
    points = sum(line.points for line in lines)
    raised = [o.raised for outs in scored.values() for o in outs]
    if raised and all(name == "NotImplementedError" for name in raised):
        message = NOT_STARTED
    elif points == exercise.max_points:
        message = "All checks pass."
    else:
        message = f"{points:g} of {exercise.max_points:g} points."
    warnings = [
        f"{name}() uses {module}, which the grader refuses for this exercise: it would score 0"
        for name, function in by_name.items()
        for module in banned_references(function, exercise.banned_modules)
    ]
    if points == exercise.max_points:
        warnings += unused_step_warnings(spec, evidence)
    return CheckReport(exercise_id, lines, tuple(warnings), points, exercise.max_points, message)
