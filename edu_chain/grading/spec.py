"""Exercise specs: the trusted, hidden half of an exercise, written in Python.

An exercise has two halves:

- ``exercises/<id>/exercise.toml`` (public, data): title, functions, check groups with points,
  limits, banned modules.  See :mod:`edu_chain.grading.manifest`.
- ``edu_chain/grading/specs/<id>.py`` (trusted code, never sent to a worker): for each check
  group the *cases* (known vectors, edge cases, Hypothesis-generated inputs with a fixed seed so
  every student gets the same ones), the *reference* functions that compute the expected values
  (the library itself), and the *mistakes* that turn a wrong answer into a hint.

Each spec module defines ``SPEC``; :func:`get_spec` finds it from the exercise id (module
``edu_chain.grading.specs.<id>``), so no list of exercises is kept in code.  Each fact is
written once: the function names, points and banned modules are in ``exercise.toml``; the
spec holds only what must stay trusted (cases, references, diagnoses).

JSON codec
----------
Values cross the process boundary as JSON: ``bytes`` become ``{"$b": "<hex>"}``, tuples become
lists, ints stay ints (Python's ``json`` keeps big integers exact), ``None``/bools/str as is.
A value the worker cannot represent arrives as ``{"$repr": "<type name>"}`` and never equals an
expected value.
"""

from __future__ import annotations

import contextlib
import importlib
import pkgutil
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from hypothesis import HealthCheck, Phase, given, seed, settings
from hypothesis import strategies as st

# --- the JSON codec (parent side; _worker.py has its own standard-library copy) -----------


def encode(value: Any) -> Any:
    """A Python value -> plain JSON data, the form in which results are compared."""
    if value is None or isinstance(value, bool | str):
        return value
    if isinstance(value, bytes | bytearray):
        return {"$b": bytes(value).hex()}
    if isinstance(value, int):
        return int(value)
    if isinstance(value, list | tuple):
        return [encode(item) for item in value]
    raise TypeError(f"cannot encode {type(value).__name__} for the grading protocol")


def same(actual: Any, expected: Any) -> bool:
    """Equality of encoded values that also compares types: ``True`` is not ``1`` here.

    Plain ``==`` would let ``verify(...)`` return ``1`` for ``True`` (``True == 1`` in Python)
    and a float pass for an int; the contracts say ``-> bool`` and ``-> int``.
    """
    if type(actual) is not type(expected):
        return False
    if isinstance(expected, list):
        return len(actual) == len(expected) and all(map(same, actual, expected))
    return bool(actual == expected)


def decode(data: Any) -> Any:
    """Plain JSON data -> the Python value (``bytes`` for ``{"$b": ...}``)."""
    if isinstance(data, dict):
        if "$b" in data:
            return bytes.fromhex(data["$b"])
        return _Unrepresentable(str(data.get("$repr", "?")))
    if isinstance(data, list):
        return [decode(item) for item in data]
    return data


@dataclass(frozen=True)
class _Unrepresentable:
    type_name: str

    def __repr__(self) -> str:
        return f"<a {self.type_name} object>"


def show(value: Any, *, limit: int = 400) -> str:
    """A short, readable rendering of a value for feedback (bytes as hex)."""
    if isinstance(value, bytes):
        text = f'bytes.fromhex("{value.hex()}")' if value else 'b""'
    elif isinstance(value, list):
        text = "[" + ", ".join(show(v, limit=limit) for v in value) + "]"
    elif isinstance(value, int) and not isinstance(value, bool) and value > 0xFFFF:
        text = hex(value)
    else:
        text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


# --- cases, expectations, mistakes --------------------------------------------------------


@dataclass(frozen=True)
class Raises:
    """The expected outcome of a case that must raise (``ValueError`` accepts subclasses)."""

    exception: str  # class name that must appear in the raised exception's MRO


def _measure(value: Any) -> tuple[int, int]:
    if isinstance(value, bytes | bytearray):
        return (len(value), sum(1 for b in value if b))
    if isinstance(value, bool) or value is None:
        return (0, int(bool(value)))
    if isinstance(value, int):
        return (0, abs(value).bit_length())
    if isinstance(value, list | tuple):
        parts = [_measure(item) for item in value]
        return (len(value) + sum(p[0] for p in parts), sum(p[1] for p in parts))
    return (0, 0)


@dataclass(frozen=True)
class Case:
    """One call to a student's function, and what the reference says it must return."""

    function: str
    args: tuple[Any, ...]
    expected: Any  # a Python value, or Raises(...)
    label: str = ""  # e.g. "FIPS 180-4 'abc'" for known vectors

    @property
    def size(self) -> tuple[int, int]:
        """How 'big' the input is: the smallest failing case is the one shown to the student.

        Lengths first (bytes, list items), then magnitudes (bits of integers).
        """
        return _measure(self.args)

    def call_text(self) -> str:
        text = f"{self.function}({', '.join(show(a) for a in self.args)})"
        lengths = [f"{len(a)} bytes" for a in self.args if isinstance(a, bytes) and a]
        return text + (f"  ({', '.join(lengths)})" if lengths else "")


@dataclass(frozen=True)
class Outcome:
    """What one call did: the evidence a diagnosis is checked against."""

    case: Case
    passed: bool
    value: Any = None  # the decoded return value, when the call returned
    raised: str = ""  # the exception's class name, when it raised

    @property
    def returned(self) -> bool:
        return not self.raised


class Evidence:
    """Every outcome of one submission: scored cases, probes and step checks.

    A hint is shown only when its premise holds on *all* of this, not just on the one case
    the feedback shows (see :meth:`Mistake.diagnosed`).
    """

    def __init__(self, outcomes: Iterable[Outcome]) -> None:
        self.outcomes = tuple(outcomes)

    def of(self, *functions: str) -> list[Outcome]:
        return [o for o in self.outcomes if not functions or o.case.function in functions]

    def failing(self, *functions: str) -> list[Outcome]:
        return [o for o in self.of(*functions) if not o.passed]

    def passing(self, *functions: str) -> list[Outcome]:
        return [o for o in self.of(*functions) if o.passed]


_RAISES = object()  # a variant that raises ValueError: the mistaken code raises too


def _variant_outcome(variant: Callable[..., Any], args: tuple[Any, ...]) -> Any:
    try:
        return encode(variant(*args))
    except ValueError:
        return _RAISES


# What a variant returns depends on the case alone, never on the student: computed once per
# (variant, case) and kept, so a cohort pays for each mistake model once, not once per student
# (sha256's model runs the whole compression function in Python).  Keyed by identity, with the
# case kept in the entry, so a key can never be reused by another object while it is stored.
_VARIANTS: dict[tuple[int, int], tuple[Case, Any]] = {}
_VARIANTS_MAX = 100_000
_CANNOT_RUN = object()  # the variant raised something other than ValueError on this input


def _cached_outcome(variant: Callable[..., Any], case: Case) -> Any:
    """:func:`_variant_outcome` of ``case``, once per process; raises when the variant cannot
    run on this input."""
    key = (id(variant), id(case))
    entry = _VARIANTS.get(key)
    if entry is not None and entry[0] is case:
        outcome = entry[1]
    else:
        try:
            outcome = _variant_outcome(variant, case.args)
        except Exception:
            outcome = _CANNOT_RUN
        if len(_VARIANTS) < _VARIANTS_MAX:
            _VARIANTS[key] = (case, outcome)
    if outcome is _CANNOT_RUN:
        raise ValueError("the variant cannot run on this input")
    return outcome


@dataclass(frozen=True)
class Mistake:
    """A known mistake: a diagnosis, shown only when the evidence supports its premise.

    Recognise it in one of three ways (``functions`` limits it to some of the functions):

    - ``variant``: what the mistaken code returns for the same arguments (raising
      ``ValueError`` where it would raise).  The diagnosis holds when the submission behaves
      exactly like the variant on *every* input tried (scored cases and probes), so a hint
      is never shown on evidence that contradicts it;
    - ``matches``: a predicate ``(case, actual) -> bool`` on the failing case shown, for
      mistakes that are not one function (a high-s signature...), together with ``premise``;
    - ``premise`` alone: a predicate on the whole :class:`Evidence` (behaviour on targeted
      probes: "right on every other length, wrong only on lengths 56 to 63 mod 64").

    ``premise`` is always checked when given.
    """

    code: str  # stable id, e.g. "bytes-reversed"
    hint: str  # one or two sentences for the student, in the mistake's own words
    variant: Callable[..., Any] | None = None
    matches: Callable[[Case, Any], bool] | None = None
    functions: tuple[str, ...] = ()
    premise: Callable[[Evidence], bool] | None = None
    whole_evidence: bool = False  # the variant models every input (see consistent())

    def recognises(self, case: Case, actual: Any) -> bool:
        """The symptom on one failing case (the value the submission returned)."""
        if self.functions and case.function not in self.functions:
            return False
        try:
            if self.variant is not None:
                return _cached_outcome(self.variant, case) == encode(actual)
            if self.matches is not None:
                return bool(self.matches(case, actual))
        except Exception:  # a variant that cannot run on this input does not match
            return False
        return self.premise is not None

    def consistent(self, evidence: Evidence) -> bool:
        """No outcome contradicts the variant (inputs the variant cannot run are skipped).

        Only with ``whole_evidence`` (a variant that models every input, as sha256's model
        does): then every outcome counts, right where the mistake would be wrong, raising
        where it returns, or wrong another way.  Mistakes written as one symptom (variants
        that do not model every input) are recognised on the case shown, plus ``premise``.
        """
        if self.variant is None or not self.whole_evidence:
            return True
        explained = False
        for outcome in evidence.of(*self.functions):
            try:
                predicted = _cached_outcome(self.variant, outcome.case)
            except Exception:  # the variant cannot run on this input: no evidence either way
                continue
            if predicted is _RAISES:
                agrees = bool(outcome.raised)
            else:
                agrees = outcome.returned and same(encode(outcome.value), predicted)
            if not agrees:
                return False
            explained = explained or not outcome.passed
        return explained

    def diagnosed(self, case: Case, actual: Any, evidence: Evidence) -> bool:
        """The symptom on ``case`` and a premise that the whole evidence supports."""
        if not self.recognises(case, actual):
            return False
        try:
            if self.premise is not None and not self.premise(evidence):
                return False
        except Exception:  # a premise that cannot be evaluated is not established
            return False
        return self.consistent(evidence)


@dataclass(frozen=True)
class CheckGroup:
    """A named group of cases worth the points the manifest gives it (all cases must pass).

    ``shrink`` is a Hypothesis strategy of :class:`Case` values: when the group fails, the
    grader searches it for the *minimal* failing input (Hypothesis shrinking, calling the
    student's code in its worker) to show in the feedback.  :func:`random_group` builds a
    group whose cases are drawn from that same strategy with a fixed seed.
    """

    name: str
    description: str
    make_cases: Callable[[], Sequence[Case]]
    public: bool = False  # public groups also run in `educhain check` and check()
    shrink: st.SearchStrategy[Case] | None = None
    # Cases for a cohort's secret salt (random groups only).  The published seeds are in
    # this repository, which every student has installed: a table of their answers, built
    # offline with the reference, would otherwise pass every random group.
    salted: Callable[[int], Sequence[Case]] | None = None


@dataclass(frozen=True)
class ExerciseSpec:
    """The trusted definition of one exercise's hidden checks."""

    exercise_id: str
    version: int  # bump when cases or references change: the gradebook re-grades
    groups: tuple[CheckGroup, ...]
    mistakes: tuple[Mistake, ...] = ()
    # Inputs run for the diagnosis only, never scored: targeted probes that tell mistakes apart.
    probes: Callable[[], Sequence[Case]] | None = None
    # The step functions a student may define (names in exercise.toml's [[steps]]): their own
    # cases, smallest first.  Checked when defined; they guide, the points stay on the contract.
    steps: dict[str, Callable[[], Sequence[Case]]] = field(default_factory=dict)
    # Which contract functions a function is usually built on ("scalar_mult": ("point_add",)):
    # when those fail too, the feedback says to fix them first instead of guessing.
    builds_on: dict[str, tuple[str, ...]] = field(default_factory=dict)
    _cache: dict[str, tuple[Case, ...]] = field(default_factory=dict, compare=False, repr=False)

    def group(self, name: str) -> CheckGroup:
        for group in self.groups:
            if group.name == name:
                return group
        raise KeyError(name)

    def cases(self, group_name: str, salt: int = 0) -> tuple[Case, ...]:
        """The group's cases, generated once per process (the same for every student).

        ``salt`` (a cohort's secret, see :class:`~edu_chain.grading.gradebook.Gradebook`)
        reseeds the random groups; 0 gives the published seeds.
        """
        group = self.group(group_name)
        key = f"{group_name}/{salt}" if salt and group.salted else group_name
        if key not in self._cache:
            made = group.salted(salt) if key != group_name else group.make_cases()
            self._cache[key] = tuple(made)
        return self._cache[key]

    def hint_for(self, case: Case, actual: Any) -> Mistake | None:
        """The first mistake whose symptom ``actual`` shows on ``case`` (premises unchecked;
        mistakes known only from the whole evidence are not considered)."""
        symptomatic = [m for m in self.mistakes if m.variant or m.matches]
        return next((m for m in symptomatic if m.recognises(case, actual)), None)

    def diagnose(self, case: Case, actual: Any, evidence: Evidence) -> Mistake | None:
        """The first mistake shown on ``case`` whose premise the whole evidence supports."""
        return next((m for m in self.mistakes if m.diagnosed(case, actual, evidence)), None)

    def diagnostic_cases(self) -> tuple[Case, ...]:
        """Probes and step cases: used only for the feedback."""
        return self.probe_cases() + self.step_cases()

    def probe_cases(self) -> tuple[Case, ...]:
        """The probes (generated once per process): run only when a scored case failed."""
        if "/probes" not in self._cache:
            self._cache["/probes"] = tuple(self.probes() if self.probes else ())
        return self._cache["/probes"]

    def step_cases(self) -> tuple[Case, ...]:
        """The step checks, smallest first within each step (generated once per process)."""
        if "/steps" not in self._cache:
            made: list[Case] = []
            for make in self.steps.values():
                made.extend(sorted(make(), key=lambda c: c.size))
            self._cache["/steps"] = tuple(made)
        return self._cache["/steps"]


def expect(
    function: str, reference: Callable[..., Any], args: Iterable[Any], label: str = ""
) -> Case:
    """A case whose expected outcome is what ``reference`` does with ``args``.

    A reference that raises ``ValueError`` means the student's function must raise it too.
    """
    args = tuple(args)
    try:
        expected: Any = reference(*args)
    except ValueError:
        expected = Raises("ValueError")
    return Case(function, args, expected, label)


_DRAW_LOCK = threading.Lock()


@contextlib.contextmanager
def _without_local_constants() -> Iterator[None]:
    """Hypothesis (6.13x and later) mixes in constants found in the *local modules imported so
    far* (5% of draws), so the same seed gave other cases in ``educhain check``, a notebook
    and ``educhain grade``, whatever each had imported.  Cases must depend on the seed alone:
    while drawing, that pool is empty.  (A private hook; without it, nothing is patched.)"""
    try:
        from hypothesis.internal.conjecture import providers
    except ImportError:  # pragma: no cover - a Hypothesis without the module
        yield
        return
    original = getattr(providers, "_get_local_constants", None)
    if original is None or not hasattr(providers, "Constants"):  # pragma: no cover
        yield
        return
    empty = providers.Constants()
    providers._get_local_constants = lambda: empty
    providers.CONSTANTS_CACHE.cache.clear()
    try:
        yield
    finally:
        providers._get_local_constants = original
        providers.CONSTANTS_CACHE.cache.clear()


def draw_examples(strategy: st.SearchStrategy[Any], count: int, seed_value: int) -> list[Any]:
    """``count`` values from a Hypothesis strategy, identical on every run for one seed
    (whatever else the process has imported: see :func:`_without_local_constants`)."""
    found: list[Any] = []

    @settings(
        max_examples=count,
        database=None,
        phases=[Phase.generate],
        deadline=None,
        suppress_health_check=list(HealthCheck),
    )
    @seed(seed_value)
    @given(strategy)
    def collect(value: Any) -> None:
        found.append(value)

    with _DRAW_LOCK, _without_local_constants():
        collect()
    return found


def random_group(
    name: str,
    description: str,
    strategy: st.SearchStrategy[Case],
    *,
    count: int,
    seed_value: int,
) -> CheckGroup:
    """A group of ``count`` cases drawn from ``strategy`` with a fixed seed, shrinkable.

    Build the strategy with :func:`expect`, e.g.
    ``st.binary(max_size=300).map(lambda data: expect("sha256", reference, [data]))``.
    """
    return CheckGroup(
        name,
        description,
        lambda: draw_examples(strategy, count, seed_value),
        shrink=strategy,
        salted=lambda salt: draw_examples(strategy, count, seed_value + salt),
    )


SPECS_PACKAGE = "edu_chain.grading.specs"


def get_spec(exercise_id: str) -> ExerciseSpec | None:
    """The spec of ``exercise_id``: the ``SPEC`` of module ``edu_chain.grading.specs.<id>``.

    Found from the id alone (no list to keep in step); ``None`` when there is no such module.
    """
    if not exercise_id.isidentifier() or exercise_id.startswith("_"):
        return None
    try:
        module = importlib.import_module(f"{SPECS_PACKAGE}.{exercise_id}")
    except ModuleNotFoundError as exc:
        if exc.name != f"{SPECS_PACKAGE}.{exercise_id}":
            raise  # the spec exists but something it imports is missing: a real error
        return None
    spec = getattr(module, "SPEC", None)
    if not isinstance(spec, ExerciseSpec) or spec.exercise_id != exercise_id:
        raise TypeError(f"{module.__name__}.SPEC must be the ExerciseSpec of {exercise_id!r}")
    return spec


def spec_ids() -> list[str]:
    """Every exercise id that has a spec module (private helpers start with ``_``)."""
    package = importlib.import_module(SPECS_PACKAGE)
    return sorted(
        info.name
        for info in pkgutil.iter_modules(package.__path__)
        if not info.name.startswith("_")
    )
