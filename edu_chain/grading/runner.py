"""The differential runner: run a submission's functions on the spec's cases, compare, explain.

For one submission of one exercise:

1. Collect the cases of every check group (the same for every student: fixed seeds).
2. Run them all in ONE sandboxed worker (:func:`edu_chain.grading.sandbox.run_worker`),
   with the step checks; the diagnosis probes (feedback only) follow as a second batch in the
   same worker, and only when a scored case failed.
3. Compare each returned value with the reference's expected value, here in the parent.
4. A group earns its points when all its cases pass.  For a failing group, the feedback shows
   the *minimal* failing input, expected vs actual, and a hint when the wrong value matches a
   known mistake.  Minimal means: for groups with a Hypothesis strategy, Hypothesis ``find``
   shrinks a failure by calling the student's code in the same, still running worker (about
   a millisecond per candidate, capped at 60 calls / 1 s per group, and at 20 calls when none
   of them failed); otherwise the smallest failing case of the group (cases are run smallest
   first).  Shrinking only chooses what the feedback shows; the points come from the fixed
   cases alone.  A search whose candidates an earlier student failed and passed alike is
   replayed, not run again (``_SEARCHES``).

A submission that does not load, times out, is killed or does something the sandbox refuses
scores 0 for the exercise, with the reason.
"""

from __future__ import annotations

import dataclasses
import itertools
import json
import random
import threading
import time
from collections.abc import Collection
from dataclasses import dataclass, field
from typing import Any

from hypothesis import HealthCheck, Phase, find, settings

from edu_chain.grading.diagnose import explain, unused_step_warnings
from edu_chain.grading.manifest import Exercise
from edu_chain.grading.sandbox import (
    MAX_REPORT_BYTES,
    VIOLATION_EXIT,
    Isolation,
    Sandbox,
    WorkerRun,
    WorkerSession,
)
from edu_chain.grading.spec import Case, Evidence, Outcome, Raises, decode, encode, same, show

VIOLATION_MESSAGES = {
    "reference-import": "imports the reference implementation ({detail}); write your own",
    "banned-import": "imports {detail}, which this exercise bans (write it from scratch)",
    "file-access": "tried to access a file outside its scratch directory ({detail})",
    "forbidden-call": "did something the grader does not allow ({detail})",
}


NOT_STARTED = (
    "Not started yet: your functions still raise NotImplementedError. Follow the "
    "numbered steps in the starter, then run `educhain check` for feedback."
)


@dataclass(frozen=True)
class Failure:
    """The minimal failing case of a group, ready to show."""

    call: str
    expected: str
    actual: str
    label: str = ""
    hint: str = ""
    mistake: str = ""  # stable mistake code, "" when none matched


@dataclass(frozen=True)
class GroupResult:
    name: str
    description: str
    points: float
    max_points: float
    passed: int
    total: int
    failure: Failure | None = None


@dataclass(frozen=True)
class ExerciseResult:
    """The outcome of grading one exercise for one student (plain data, JSON-friendly)."""

    exercise_id: str
    points: float
    max_points: float
    status: str  # graded | missing | load-error | timeout | crashed | violation
    message: str = ""
    groups: tuple[GroupResult, ...] = ()
    warnings: tuple[str, ...] = ()
    stdout_tail: str = ""
    seconds: float = 0.0
    source: str = ""  # where the code came from (file name or notebook)
    # Why another process could have caused this outcome (a signal to the worker, a stopped
    # worker), "" when only the submission itself could: the cohort grades such results again,
    # alone (see cohort.py).
    interference: str = ""
    # The layers around the worker that produced this result (Isolation.summary), "" when
    # no worker ran (a missing or unreadable submission).
    isolation: str = ""

    def _repr_html_(self) -> str:  # Jupyter's rich display
        from edu_chain.display import record_html

        return record_html(self)

    def to_dict(self) -> dict[str, Any]:
        """What :func:`dataclasses.asdict` gives, built directly: asdict deep-copies every
        string, which made recording a cohort's results cost the grader more than grading
        its easy exercises."""
        data = dict(vars(self))
        data["groups"] = tuple(
            {**vars(g), "failure": dict(vars(g.failure)) if g.failure else None}
            for g in self.groups
        )
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ExerciseResult:
        groups = tuple(
            GroupResult(
                **{
                    **g,
                    "failure": Failure(**g["failure"]) if g.get("failure") else None,
                }
            )
            for g in data.get("groups", ())
        )
        return cls(**{**data, "groups": groups, "warnings": tuple(data.get("warnings", ()))})


def zero(exercise: Exercise, status: str, message: str, **extra: Any) -> ExerciseResult:
    groups = tuple(GroupResult(c.name, c.description, 0.0, c.points, 0, 0) for c in exercise.checks)
    return ExerciseResult(
        exercise.exercise_id, 0.0, exercise.max_points, status, message, groups, **extra
    )


def planned_cases(
    exercise: Exercise, *, public_only: bool = False, salt: int = 0
) -> list[tuple[str, Case]]:
    """(group name, case) for every case to run, smallest first within each group.

    ``salt`` reseeds the random groups (a cohort's secret); 0 gives the published seeds.
    """
    plan = []
    for check in exercise.checks:
        group = exercise.spec.group(check.name)
        if public_only and not group.public:
            continue
        cases = sorted(exercise.spec.cases(check.name, salt), key=lambda c: c.size)
        plan.extend((check.name, case) for case in cases)
    return plan


def _matches(case: Case, result: dict[str, Any]) -> bool:
    if isinstance(case.expected, Raises):
        return case.expected.exception in result.get("raised", [])
    return "value" in result and same(result["value"], _expected_json(case))


# Expected values in their JSON form, once per case (every student is compared with the same
# cases).  Keyed by identity, with the case kept in the entry so that its id cannot be reused.
_EXPECTED: dict[int, tuple[Case, Any]] = {}


def _expected_json(case: Case) -> Any:
    entry = _EXPECTED.get(id(case))
    if entry is not None and entry[0] is case:
        return entry[1]
    encoded = encode(case.expected)
    if len(_EXPECTED) < 100_000:
        _EXPECTED[id(case)] = (case, encoded)
    return encoded


def _actual_text(result: dict[str, Any] | None) -> str:
    if result is None:
        return "(no result: the worker stopped before this call)"
    if "raised" in result:
        where = f" at {result['where'][-1]}" if result.get("where") else ""
        return f"raised {result['raised'][0]}: {result.get('message', '')}"[:300] + where
    return show(decode(result["value"]))


def _expected_text(case: Case) -> str:
    if isinstance(case.expected, Raises):
        return f"raises {case.expected.exception}"
    return show(case.expected)


def grade_cells(
    exercise: Exercise,
    cells: list[str],
    *,
    notebook: bool = False,
    public_only: bool = False,
    source: str = "",
    shrink: bool = True,
    salt: int = 0,
    isolation: Isolation | None = None,
    sandbox: Sandbox | None = None,
) -> ExerciseResult:
    """Grade code (one cell for a .py file, several for a notebook) against ``exercise``.

    With ``shrink``, each failing group that has a Hypothesis strategy is searched for a
    minimal failing input in the same worker (feedback only: points come from the fixed cases).
    ``salt`` reseeds the random groups (see :func:`planned_cases`).  ``isolation``: the
    layers around the worker (default: the OS sandbox when it works here, see sandbox.py);
    ``sandbox``: the student's sandbox to fork the worker in (default: a new one).
    """
    plan, calls, probes_from, first_batch = _plan_and_calls(exercise, public_only, salt)
    shrunk: dict[str, tuple[Case, dict[str, Any]]] = {}
    probed: dict[int, dict[str, Any]] = {}
    with WorkerSession(
        cells=cells,
        functions=exercise.function_names,
        optional=exercise.step_names,
        calls=first_batch,
        banned=list(exercise.banned_modules),
        limits=exercise.limits,
        module_name=exercise.exercise_id,
        notebook=notebook,
        interactive=shrink or probes_from < len(calls),
        isolation=isolation,
        sandbox=sandbox,
    ) as session:
        run = session.wait_first_batch()
        answered = run.finished and not run.violations
        if answered and probes_from < len(calls) and _any_failed(plan[:probes_from], run.results):
            probed = _probe(session, calls[probes_from:])
        if shrink and answered:
            results = run.results
            for check in exercise.checks:
                group = exercise.spec.group(check.name)
                if group.shrink is None or (public_only and not group.public):
                    continue
                indexed = [(i, c) for i, (name, c) in enumerate(plan) if name == check.name]
                if any(i not in results or not _matches(c, results[i]) for i, c in indexed):
                    key = (exercise.exercise_id, exercise.fingerprint, salt, check.name)
                    key += (_behaviour([results.get(i) for i, _ in indexed]),)
                    if key in _SHRUNK and _SHRUNK[key] is None:
                        continue  # searched for this very behaviour: nothing smaller
                    found = _known_failure(session, key)
                    if found is None:
                        found, searched = shrink_failure(
                            session, group.shrink, seed=len(plan), record=key[:4]
                        )
                        if found is not None or searched:
                            _SHRUNK[key] = found
                            _tell("shrunk", key, found)
                    if found is not None:
                        shrunk[check.name] = found
    result = evaluate(
        exercise,
        plan,
        run,
        source=source,
        public_only=public_only,
        shrunk=shrunk,
        probed=probed,
    )
    return dataclasses.replace(result, isolation=session.isolation.summary)


Plan = list[tuple[str, Case]]
Calls = list[dict[str, Any]]
_PLANS: dict[tuple[str, str, bool, int], tuple[Plan, Calls, int, str]] = {}


def _plan_and_calls(
    exercise: Exercise, public_only: bool, salt: int
) -> tuple[Plan, Calls, int, str]:
    """:func:`planned_cases` and the encoded calls, computed once per exercise version and salt
    (every student gets the same cases; sorting and encoding them is not free).

    The plan is the scored cases, then the step checks, then the probes (group "": feedback
    only, never points); the third value is where the probes start.  Probes only serve the
    diagnosis of a failure, so a submission that passes every scored case is spared them.
    The last value is the first batch (every call before the probes) as JSON text, ready to
    send: a thousand calls cost the grader milliseconds to encode, for each student.
    """
    key = (exercise.exercise_id, exercise.fingerprint, public_only, salt)
    if key not in _PLANS:
        plan = planned_cases(exercise, public_only=public_only, salt=salt)
        plan += [("", case) for case in exercise.spec.step_cases()]
        probes_from = len(plan)
        plan += [("", case) for case in exercise.spec.probe_cases()]
        calls = [
            {"id": i, "function": case.function, "args": [encode(a) for a in case.args]}
            for i, (_, case) in enumerate(plan)
        ]
        _PLANS[key] = (plan, calls, probes_from, json.dumps(calls[:probes_from]))
    return _PLANS[key]


def plan_calls(exercise: Exercise, salt: int) -> None:
    """Compute (and keep) the exercise's plan and encoded calls for ``salt`` now, as
    :func:`grade_cells` would at its first student: forked grader processes inherit them."""
    _plan_and_calls(exercise, False, salt)


def _any_failed(plan: Plan, results: dict[int, dict[str, Any]]) -> bool:
    """Whether a scored case of ``plan`` failed (or got no answer)."""
    return any(
        name and (i not in results or not _matches(case, results[i]))
        for i, (name, case) in enumerate(plan)
    )


def _probe(session: WorkerSession, calls: list[dict[str, Any]]) -> dict[int, dict[str, Any]]:
    """The probes' answers, as a second batch in the same worker (feedback only: a worker that
    hangs or dies here leaves its points as the first batch made them)."""
    answers = session.call(calls, until=session.deadline) or {}
    return {i: r for i, r in answers.items() if isinstance(i, int) and r is not None}


# A group's minimal failing case, by the failure's *behaviour*: the exact answers (values, or
# exception names and messages) on every case of the group.  Students making the same mistake
# answer the same; their shrink result is reused once it is checked on this student's code:
# the case must fail here with exactly the cached answer.  ``None``: a whole search (worker
# answering throughout) found no failing input for this behaviour, so the next student who
# behaves the same is shown the group's smallest failing case without searching again.
# Feedback only, like shrinking itself.
_SHRUNK: dict[tuple[Any, ...], tuple[Case, dict[str, Any]] | None] = {}


def _behaviour(results: list[dict[str, Any] | None]) -> str:
    keep = ("value", "raised", "message")
    answers = [None if r is None else {k: r.get(k) for k in keep} for r in results]
    return json.dumps(answers, sort_keys=True)


def _known_failure(session: WorkerSession, key: tuple[Any, ...]) -> tuple[Case, dict] | None:
    known = _SHRUNK.get(key)
    if known is None:
        return None
    case, answer = known
    call = {"id": 999_999, "function": case.function, "args": [encode(a) for a in case.args]}
    results = session.call([call], until=time.perf_counter() + SHRINK_SECONDS)
    mine = results.get(999_999) if results else None
    if mine is None or _behaviour([mine]) != _behaviour([answer]) or _matches(case, mine):
        return None
    return case, mine


class _SearchOver(BaseException):
    """Raised through Hypothesis (a BaseException, so it is not taken for a failing example)
    when a search has used its calls or its time: everything Hypothesis would still try
    could only be answered "not failing", so letting it run on costs the grader for nothing."""


# Searches from several grading threads run at once (Hypothesis is thread-safe from 6.136.9,
# the version pyproject.toml requires): while one waits for its student's worker, another
# shrinks.  Each search has its own seeded Random, so its candidates never depend on the others.
SHRINK_CALLS = 60  # at most this many extra calls of the student's code per failing group
SHRINK_SECONDS = 1.0
# A search that has found no failing input after this many calls stops: the mistake is rare
# among random inputs, and the group's smallest fixed failing case is shown instead.  (Over the
# mistake fixtures, 106 of the 108 searches that found one did so within 18 calls; the 5 that
# never did spent 60 calls each, a tenth of all the shrinking's CPU.)
SHRINK_FIRST_FAILURE_CALLS = 20


# The searches already run, by group and seed.  Hypothesis is deterministic: with the same seed,
# its next candidate depends only on which of the earlier candidates failed.  So a student whose
# code fails exactly the candidates an earlier student's failed is asked the same candidates and
# gets the same minimal input; the search is replayed from this record instead of running
# Hypothesis's engine again (most of a shrink's cost).  Each entry maps the pass/fail answers
# so far to the next candidate, or, where a search ended on its own (converged, or out of
# calls: never out of time, never with a worker that stopped answering), to _Ended.
_SEARCHES: dict[tuple[Any, ...], dict[tuple[bool, ...], Any]] = {}
_SEARCH_STEPS_MAX = 200_000  # per group: a bound on memory, far above what a cohort records


@dataclass(frozen=True)
class _Ended:
    minimal: Case | None  # what the search returned (None: no failing input found)


# Forked grader processes (processes.py) share what their searches learn: while ``_OUTBOX``
# is a list, every entry added to _SEARCHES or _SHRUNK is also put there, for the parent to pass
# on to the other processes (:func:`learned`, :func:`learn`).  Sharing changes which searches
# are replayed, never what a student is shown: a replay gives what the search would.
_OUTBOX: list[tuple[Any, ...]] | None = None
_OUTBOX_LOCK = threading.Lock()


def share_what_is_learned() -> None:
    """From now on, keep every new search entry for :func:`learned` (a grader process)."""
    global _OUTBOX
    _OUTBOX = []


def _tell(*entry: Any) -> None:
    if _OUTBOX is not None:
        with _OUTBOX_LOCK:
            _OUTBOX.append(entry)


def learned() -> list[tuple[Any, ...]]:
    """The entries learned here since the last call (none unless sharing)."""
    if _OUTBOX is None:
        return []
    with _OUTBOX_LOCK:
        entries = _OUTBOX[:]
        _OUTBOX.clear()
    return entries


def learn(entries: list[tuple[Any, ...]]) -> None:
    """Take what another grader process learned (entries from its :func:`learned`)."""
    for kind, key, *value in entries:
        if kind == "search":
            steps = _SEARCHES.setdefault(key, {})
            if len(steps) <= _SEARCH_STEPS_MAX:
                steps.setdefault(value[0], value[1])
        elif kind == "shrunk":
            _SHRUNK.setdefault(key, value[0])


def forget_shrinks() -> None:
    """Drop every shrink result and recorded search (a benchmark starts each run afresh)."""
    _SHRUNK.clear()
    _SEARCHES.clear()


def shrink_failure(
    session: WorkerSession, strategy: Any, *, seed: int, record: Any = None
) -> tuple[tuple[Case, dict[str, Any]] | None, bool]:
    """The minimal failing case Hypothesis finds in ``strategy``, with the worker's answer
    (or None), and whether the search ran without the worker failing to answer.

    Every candidate is run by the student's code in its (still running) worker; the reference
    is computed here.  Stops after :data:`SHRINK_CALLS` calls or :data:`SHRINK_SECONDS`.
    ``record`` names the search (the group) for :data:`_SEARCHES`: a search an earlier
    student's answers already went through is replayed, not run again.
    """
    steps = _SEARCHES.setdefault((record, seed), {}) if record is not None else {}
    first = _Search(session)
    replayed = first.replay(steps)
    if replayed is not None:
        return replayed
    search = first.again()  # Hypothesis starts over: the same calls, answered from memory
    try:
        minimal = find(
            strategy,
            search.fails,
            settings=settings(
                database=None,
                max_examples=SHRINK_CALLS,
                deadline=None,
                phases=[Phase.generate, Phase.shrink],
                suppress_health_check=list(HealthCheck),
            ),
            random=random.Random(seed),
        )
    except _SearchOver:  # out of calls or time: the smallest failing input found so far
        minimal = search.smallest()
    except Exception:  # NoSuchExample, Unsatisfiable: nothing smaller found
        minimal = None
    if record is not None:
        search.remember(steps, minimal, (record, seed))
    return search.result(minimal)


class _Search:
    """One search for a group's minimal failing input, in one student's worker: the calls it
    may still make, and every candidate tried with its answer."""

    def __init__(self, session: WorkerSession) -> None:
        self.session = session
        self.ids = itertools.count(1_000_000)
        self.deadline = time.perf_counter() + SHRINK_SECONDS
        self.budget = SHRINK_CALLS
        self.answering = True
        self.out_of_time = False
        self.asked: dict[str, dict[str, Any] | None] = {}  # repr(case) -> the worker's answer
        self.tried: list[tuple[Case, bool]] = []  # (candidate, failed), in the order tried

    def again(self) -> _Search:
        """The same search from its start (all its calls again), keeping the answers and the
        deadline: a replay that left the record hands over to Hypothesis this way."""
        search = _Search(self.session)
        search.ids, search.deadline, search.asked = self.ids, self.deadline, self.asked
        return search

    def fails(self, case: Case) -> bool:
        """Hypothesis's condition: does the student's code fail on ``case``?"""
        if self.budget <= 0 or time.perf_counter() > self.deadline:
            self.out_of_time = self.budget > 0
            raise _SearchOver  # nothing tried from here on could be shown: stop the engine
        if len(self.tried) >= SHRINK_FIRST_FAILURE_CALLS and not any(f for _, f in self.tried):
            raise _SearchOver  # no failing input in sight: the fixed cases' smallest is shown
        self.budget -= 1
        answer = self._ask(case)
        if answer is None:
            self.budget = 0  # the worker stopped answering: keep what we have
            self.answering = False
            return False
        failed = not _matches(case, answer)
        self.tried.append((case, failed))
        return failed

    def _ask(self, case: Case) -> dict[str, Any] | None:
        """The worker's answer for ``case`` (a candidate asked again is not run again)."""
        key = repr(case)
        if key not in self.asked:
            call_id = next(self.ids)
            args = [encode(a) for a in case.args]
            call = {"id": call_id, "function": case.function, "args": args}
            results = self.session.call([call], until=self.deadline)
            self.asked[key] = results.get(call_id) if results else None
        return self.asked[key]

    def smallest(self) -> Case | None:
        """The smallest failing candidate so far (of equal sizes, the one tried last)."""
        failing = [case for case, failed in self.tried if failed]
        return min(reversed(failing), key=lambda case: case.size, default=None)

    def replay(self, steps: dict[tuple[bool, ...], Any]) -> Any:
        """Follow a recorded search while this student's answers match one: its result if the
        record reaches the end, else None (the live search then reuses the answers)."""
        path: tuple[bool, ...] = ()
        while (step := steps.get(path)) is not None:
            if isinstance(step, _Ended):
                return self.result(step.minimal)
            try:
                failed = self.fails(step)
            except _SearchOver:  # out of time, as the live search would have been here
                return self.result(self.smallest())
            if not self.answering:
                return None
            path += (failed,)
        return None

    def remember(self, steps: dict[tuple[bool, ...], Any], minimal: Case | None, name: Any) -> None:
        """Record this search's candidates, and its end when it ended on its own (``name``:
        the search's key in :data:`_SEARCHES`, to share what is new)."""
        if len(steps) > _SEARCH_STEPS_MAX:
            return
        answers = tuple(failed for _, failed in self.tried)
        record = [(answers[:position], case) for position, (case, _) in enumerate(self.tried)]
        if self.answering and not self.out_of_time:
            record.append((answers, _Ended(minimal)))
        for path, step in record:
            if path not in steps:
                steps[path] = step
                _tell("search", name, path, step)

    def result(self, minimal: Case | None) -> tuple[tuple[Case, dict[str, Any]] | None, bool]:
        """What :func:`shrink_failure` returns when the search ended on ``minimal``."""
        if minimal is None:
            return None, self.answering
        answer = self.asked.get(repr(minimal))
        if answer is None or _matches(minimal, answer):
            return None, self.answering
        return (minimal, answer), self.answering


def evaluate(
    exercise: Exercise,
    plan: list[tuple[str, Case]],
    run: WorkerRun,
    *,
    source: str = "",
    public_only: bool = False,
    shrunk: dict[str, tuple[Case, dict[str, Any]]] | None = None,
    probed: dict[int, dict[str, Any]] | None = None,
) -> ExerciseResult:
    """Turn a worker run into points and feedback (all comparisons happen here).

    Long because it is the grading rule in one readable pass: violations first, then each
    group's cases compared with the reference, points, and the feedback in the order a student
    reads it.

    ``shrunk`` maps a group to a smaller failing case found by shrinking; it only changes
    which input the feedback shows, never the points.  ``probed``: the answers to the probes
    when they ran after the first batch (evidence for the diagnosis, never points).
    """
    extra = {"stdout_tail": run.stdout_tail[-1000:], "seconds": round(run.seconds, 3)}
    extra["source"] = source
    warnings = tuple(
        f"cell {r.get('cell', '?')}: {r.get('raised', ['Error'])[0]}: {r.get('message', '')}"
        for r in run.records
        if r.get("t") == "warning"
    )
    extra["warnings"] = warnings
    for violation in run.violations:
        template = VIOLATION_MESSAGES.get(violation.get("kind"), "broke a sandbox rule ({detail})")
        message = "Your code " + template.format(detail=violation.get("detail", "?"))
        return zero(exercise, "violation", message + ". Scored 0 for this exercise.", **extra)
    if run.flooded:
        message = (
            f"Your code wrote more than {MAX_REPORT_BYTES // 2**20} MB to the grader's own "
            "report pipe. Scored 0 for this exercise."
        )
        return zero(exercise, "violation", message, **extra)
    if run.exit_code == VIOLATION_EXIT:
        return zero(exercise, "violation", "Your code broke a sandbox rule. Scored 0.", **extra)
    load_error = run.first("load_error")
    if load_error is not None and "KeyboardInterrupt" in load_error.get("raised", ()):
        extra["interference"] = "was interrupted while loading (KeyboardInterrupt: a SIGINT)"
    if load_error is not None:
        if load_error.get("type") == "MissingFunction":
            message = f"Your code does not define {load_error['message']}."
        else:
            where = f" ({load_error['where'][-1]})" if load_error.get("where") else ""
            message = (
                f"Your code did not load: {load_error['raised'][0]}: "
                f"{load_error.get('message', '')}{where}"
            )
        return zero(exercise, "load-error", message, **extra)
    if run.timed_out:
        extra["interference"] = f"hit the {exercise.limits.time_s:g} s wall-clock limit"
        message = (
            f"Time limit exceeded ({exercise.limits.time_s:g} s wall clock): "
            "an infinite loop, or code far too slow. Scored 0 for this exercise."
        )
        return zero(exercise, "timeout", message, **extra)
    if not run.finished:
        code = run.exit_code
        how = f"signal {-code}" if code is not None and code < 0 else f"exit status {code}"
        extra["interference"] = f"ended before answering every call ({how})"
        reason = _death_reason(run.exit_code, exercise)
        return zero(exercise, "crashed", f"{reason} Scored 0 for this exercise.", **extra)

    results = {**(probed or {}), **run.results}
    # The evidence (every outcome, decoded) serves the diagnosis of a failure; a submission
    # that passes everything needs only its step functions' outcomes (unused_step_warnings).
    evidence: Evidence | None = None
    if any("KeyboardInterrupt" in r.get("raised", ()) for r in results.values()):
        extra["interference"] = "had a call interrupted (KeyboardInterrupt: a SIGINT)"
    groups = []
    for check in exercise.checks:
        group = exercise.spec.group(check.name)
        if public_only and not group.public:
            continue
        indexed = [(i, case) for i, (name, case) in enumerate(plan) if name == check.name]
        failing = [(i, c) for i, c in indexed if i not in results or not _matches(c, results[i])]
        failure = None
        if failing:
            index, case = failing[0]  # the plan is ordered smallest first
            result = results.get(index)
            if shrunk and check.name in shrunk:  # Hypothesis's minimal example wins
                case, result = shrunk[check.name]
            returned = result is not None and "value" in result
            value = decode(result["value"]) if returned else None
            if evidence is None:
                evidence = evidence_from(plan, results)
            diagnosis = explain(exercise.spec, case, value, evidence, returned=returned)
            failure = Failure(
                call=case.call_text(),
                expected=_expected_text(case),
                actual=_actual_text(result),
                label=case.label,
                hint=diagnosis.hint,
                mistake=diagnosis.code,
            )
        points = check.points if not failing else 0.0
        groups.append(
            GroupResult(
                check.name,
                check.description or group.description,
                points,
                check.points,
                len(indexed) - len(failing),
                len(indexed),
                failure,
            )
        )
    total = sum(g.points for g in groups)
    maximum = sum(g.max_points for g in groups)
    message = "All checks passed." if total == maximum else f"{total:g} of {maximum:g} points."
    if total == maximum:
        steps = evidence_from(plan, results, only=exercise.spec.steps)
        extra["warnings"] = (*warnings, *unused_step_warnings(exercise.spec, steps))
    scored = [results[i] for i, (name, _) in enumerate(plan) if name and i in results]
    raised = [r.get("raised", [""])[0] for r in scored]
    if raised and all(name == "NotImplementedError" for name in raised):
        message = NOT_STARTED
        # A starter may stub helpers to paste from earlier exercises: say which one is left.
        todo = sorted({str(r.get("message", "")) for r in scored} - {""})
        if todo:
            message += " Still to do: " + "; ".join(todo)[:300] + "."
    return ExerciseResult(
        exercise.exercise_id, total, maximum, "graded", message, tuple(groups), **extra
    )


def evidence_from(
    plan: list[tuple[str, Case]],
    results: dict[int, dict[str, Any]],
    only: Collection[str] | None = None,
) -> Evidence:
    """Every call that ran (absent step functions did not), as outcomes for the diagnosis;
    with ``only``, just the calls of those functions."""
    outcomes = []
    for index, (_, case) in enumerate(plan):
        if only is not None and case.function not in only:
            continue
        result = results.get(index)
        if result is None or result.get("absent"):
            continue
        raised = result.get("raised", [""])[0] if "raised" in result else ""
        value = decode(result["value"]) if "value" in result else None
        outcomes.append(Outcome(case, _matches(case, result), value, raised))
    return Evidence(outcomes)


def _death_reason(exit_code: int | None, exercise: Exercise) -> str:
    if exit_code is not None and exit_code < 0:
        signal_number = -exit_code
        if signal_number == 24:  # SIGXCPU
            return f"CPU time limit exceeded ({exercise.limits.cpu_s} s)."
        if signal_number == 25:  # SIGXFSZ
            return (
                f"File size limit exceeded ({exercise.limits.file_size_mb} MB): "
                "too much printed or written."
            )
        if signal_number == 9:
            return "The worker was killed (memory or CPU limit, or a runaway process)."
        return f"The worker died from signal {signal_number}."
    if exit_code is None:
        return (
            "Your code ended the worker early, and the sandbox around it with it (for example "
            "by signalling its parent process): no exit status came back."
        )
    return (
        f"Your code ended the worker early (exit status {exit_code}), for example with "
        "os._exit() or sys.exit() inside a function, or ran out of memory "
        f"(limit {exercise.limits.memory_mb} MB)."
    )


def student_text(result: ExerciseResult) -> str:
    """Plain-text feedback for one exercise (used by the CLI and the Markdown export)."""
    lines = [f"{result.exercise_id}: {result.points:g}/{result.max_points:g}  {result.message}"]
    for warning in result.warnings:
        lines.append(f"  note: {warning}")
    for group in result.groups:
        mark = "PASS" if group.failure is None and group.total else "FAIL"
        if result.status != "graded":
            mark = "----"
        lines.append(
            f"  [{mark}] {group.name} ({group.points:g}/{group.max_points:g})"
            + (f" {group.passed}/{group.total} cases" if group.total else "")
        )
        if group.failure:
            f = group.failure
            lines.append(f"      smallest failing input: {f.call}")
            if f.label:
                lines.append(f"      (known vector: {f.label})")
            lines.append(f"      expected: {f.expected}")
            lines.append(f"      actual:   {f.actual}")
            if f.hint:
                lines.append(f"      hint: {f.hint}")
    return "\n".join(lines)


@dataclass
class StudentReport:
    """All exercises for one student."""

    student: str
    results: dict[str, ExerciseResult] = field(default_factory=dict)

    @property
    def total(self) -> float:
        return sum(r.points for r in self.results.values())

    @property
    def max_total(self) -> float:
        return sum(r.max_points for r in self.results.values())
