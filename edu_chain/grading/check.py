"""``check()``: a student's instant self-check in a notebook, with the public examples.

    >>> from edu_chain.grading import check
    >>> check("merkle_root", merkle_root)          # doctest: +SKIP
    merkle_root: 2 of 3 public checks pass ...

It runs in the student's own kernel (it is their code on their machine, so no sandbox is
needed) on the *public* check groups only.  Since nothing stops a banned import here, the report
warns when a function reaches a module the grader refuses (``hashlib`` for ``sha256``, or
``edu_chain`` itself): such code passes here and scores 0 under ``educhain grade``.  It shows
the smallest failing input, expected vs actual and a hint for known mistakes.  In Jupyter the
result renders as an HTML table.  The hidden checks run only under ``educhain grade``.
"""

from __future__ import annotations

import contextlib
import html
import types
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from edu_chain.errors import GradingError
from edu_chain.grading.manifest import ALWAYS_BANNED
from edu_chain.grading.runner import Failure
from edu_chain.grading.spec import Case, ExerciseSpec, Raises, encode, get_spec, same, show


@dataclass(frozen=True)
class CheckLine:
    group: str
    description: str
    passed: int
    total: int
    failure: Failure | None


@dataclass(frozen=True)
class CheckReport:
    """The result of :func:`check`; truthy when every public check passes."""

    exercise_id: str
    lines: tuple[CheckLine, ...]
    warnings: tuple[str, ...] = ()  # banned modules the functions reach (the grader scores 0)

    @property
    def passed(self) -> bool:
        return all(line.failure is None for line in self.lines)

    def __bool__(self) -> bool:
        return self.passed

    def __str__(self) -> str:
        ok = sum(1 for line in self.lines if line.failure is None)
        out = [f"{self.exercise_id}: {ok} of {len(self.lines)} public checks pass"]
        for line in self.lines:
            mark = "PASS" if line.failure is None else "FAIL"
            out.append(f"  [{mark}] {line.group}: {line.description}")
            if line.failure:
                f = line.failure
                out.append(f"      smallest failing input: {f.call}")
                out.append(f"      expected: {f.expected}")
                out.append(f"      actual:   {f.actual}")
                if f.hint:
                    out.append(f"      hint: {f.hint}")
        out.extend(f"  WARNING: {warning}" for warning in self.warnings)
        if self.passed:
            out.append("All public checks pass. The grader also runs hidden checks.")
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
                f"<td style='text-align:left'>{detail}</td></tr>"
            )
        title = "all public checks pass" if self.passed else "some checks fail"
        warnings = "".join(
            f"<div style='color:#cf222e'><b>warning</b> {esc(w)}</div>" for w in self.warnings
        )
        return (
            f"<div><h4 style='color:{colour}'>{esc(self.exercise_id)}: {title}</h4>{warnings}"
            "<table><tr><th></th><th>check</th><th>cases</th><th>details</th></tr>"
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


def _run_case(function: Callable[..., Any], case: Case) -> tuple[bool, str, Any]:
    """(passed, actual text, actual value) for one case, run in-process."""
    try:
        value = function(*[list(a) if isinstance(a, list) else a for a in case.args])
    except Exception as exc:  # the student's error is the feedback
        raised = [cls.__name__ for cls in type(exc).__mro__]
        ok = isinstance(case.expected, Raises) and case.expected.exception in raised
        return ok, f"raised {type(exc).__name__}: {exc}", None
    if isinstance(case.expected, Raises):
        return False, show(value), value
    try:
        ok = same(encode(value), encode(case.expected))
    except TypeError:
        ok = False
    return ok, show(value), value


def _functions(spec: ExerciseSpec, positional: tuple, named: dict) -> dict[str, Callable]:
    functions = dict(zip(spec.functions, positional, strict=False))
    functions.update(named)
    missing = [name for name in spec.functions if not callable(functions.get(name))]
    if missing:
        raise GradingError(
            f"check({spec.exercise_id!r}, ...) needs the function(s) "
            + ", ".join(spec.functions)
            + f"; missing {', '.join(missing)}"
        )
    return functions


def check(
    exercise_id: str, *functions: Callable[..., Any], **named: Callable[..., Any]
) -> CheckReport:
    """Run the public checks of ``exercise_id`` on your functions, in this process.

    Pass the functions in the order of the exercise's contract, or by name:
    ``check("merkle_proof", merkle_proof, verify_merkle_proof)``.
    """
    spec = get_spec(exercise_id)
    if spec is None:
        raise GradingError(f"unknown exercise {exercise_id!r}")
    by_name = _functions(spec, functions, named)
    lines = []
    for group in spec.groups:
        if not group.public:
            continue
        cases = sorted(spec.cases(group.name), key=lambda c: c.size)
        failure = None
        passed = 0
        for case in cases:
            ok, actual_text, actual = _run_case(by_name[case.function], case)
            if ok:
                passed += 1
            elif failure is None:
                mistake = spec.hint_for(case, actual) if actual is not None else None
                expected = (
                    f"raises {case.expected.exception}"
                    if isinstance(case.expected, Raises)
                    else show(case.expected)
                )
                failure = Failure(
                    case.call_text(),
                    expected,
                    actual_text,
                    case.label,
                    mistake.hint if mistake else "",
                    mistake.code if mistake else "",
                )
        lines.append(CheckLine(group.name, group.description, passed, len(cases), failure))
    banned = (*ALWAYS_BANNED, *spec.banned_modules)
    warnings = [
        f"{name}() uses {module}, which the grader refuses for this exercise: it would score 0"
        for name, function in by_name.items()
        for module in banned_references(function, banned)
    ]
    return CheckReport(exercise_id, tuple(lines), tuple(warnings))
