"""``exercise.toml``: the public manifest of an exercise, and its loader.

Schema (every key shown; ``[limits]`` and ``banned_modules`` are optional)::

    id = "merkle_root"                       # must equal the folder name
    title = "Merkle root"
    summary = "One line for `educhain exercises list`."
    order = 2                                # position in the curriculum (optional)
    banned_modules = ["hashlib", "_hashlib"] # on top of edu_chain, always banned (optional;
                                             # top-level key: put it before the first table)

    [[functions]]                            # what the student writes, in order
    name = "merkle_root"
    signature = "merkle_root(txids: list[bytes]) -> bytes"

    [[steps]]                                # optional: step functions, checked when the
    name = "hash_pair"                       # student defines them (feedback, no points)
    signature = "hash_pair(left: bytes, right: bytes) -> bytes"

    [[checks]]                               # one table per check group, in order
    name = "known-vectors"                   # must match a group of the exercise's spec
    points = 2
    description = "Real Bitcoin blocks"

    [limits]                                 # per submission (see sandbox.Limits)
    time_s = 20
    cpu_s = 15
    memory_mb = 512

Malformed manifests raise :class:`ManifestError` with a stable reason code and the file path.
"""

from __future__ import annotations

import hashlib
import platform
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import hypothesis

from edu_chain.errors import GradingError
from edu_chain.grading.sandbox import Limits
from edu_chain.grading.spec import ExerciseSpec, get_spec

ALWAYS_BANNED = ("edu_chain", "ctypes", "_ctypes", "_posixsubprocess", "multiprocessing")


class ManifestError(GradingError, ValueError):
    """An ``exercise.toml`` cannot be used.  ``code`` is stable, the message names the file.

    Codes: ``manifest-missing``, ``manifest-syntax``, ``manifest-field``, ``manifest-no-spec``,
    ``manifest-spec-mismatch``.
    """

    def __init__(self, code: str, path: Path | str, message: str) -> None:
        super().__init__(f"{code}: {path}: {message}")
        self.code = code
        self.path = str(path)
        self.message = message


@dataclass(frozen=True)
class FunctionSpec:
    name: str
    signature: str


@dataclass(frozen=True)
class CheckSpec:
    name: str
    points: float
    description: str


@dataclass(frozen=True)
class Exercise:
    """A loaded, validated exercise: its manifest plus its trusted spec."""

    exercise_id: str
    title: str
    summary: str
    directory: Path
    functions: tuple[FunctionSpec, ...]
    checks: tuple[CheckSpec, ...]
    limits: Limits
    banned_modules: tuple[str, ...]
    spec: ExerciseSpec
    manifest_sha256: str
    order: int = 0
    steps: tuple[FunctionSpec, ...] = ()  # optional step functions, checked when defined

    @property
    def step_names(self) -> list[str]:
        return [s.name for s in self.steps]

    @property
    def max_points(self) -> float:
        return sum(check.points for check in self.checks)

    @property
    def function_names(self) -> list[str]:
        return [f.name for f in self.functions]

    @property
    def fingerprint(self) -> str:
        """Changes whenever the manifest, the spec version or Hypothesis changes (gradebook key).

        Hypothesis's version is part of it because the seeded inputs may differ between
        Hypothesis releases.
        """
        return f"v{self.spec.version}-{self.manifest_sha256[:16]}-hyp{hypothesis.__version__}"


def grading_versions() -> dict[str, str]:
    """What, besides the exercises, decides a grade: Hypothesis draws the random check groups
    (6.155 and 6.170 draw different ones from one seed), so a borderline submission can score
    differently under two versions.  Python is recorded with it (error messages, repr)."""
    return {"hypothesis": hypothesis.__version__, "python": platform.python_version()}


def _field(data: dict[str, Any], key: str, kind: type | tuple[type, ...], path: Path) -> Any:
    if key not in data:
        raise ManifestError("manifest-field", path, f"missing required key {key!r}")
    value = data[key]
    if not isinstance(value, kind) or isinstance(value, bool):
        names = kind.__name__ if isinstance(kind, type) else " or ".join(k.__name__ for k in kind)
        raise ManifestError(
            "manifest-field", path, f"{key!r} must be {names}, got {type(value).__name__}"
        )
    return value


def load_exercise(directory: Path | str) -> Exercise:
    """Load and validate ``directory/exercise.toml`` against the registered spec.

    Long because it checks the manifest field by field in the file's own order, each with its
    own error message and reason code, so an instructor's typo is named exactly.
    """
    directory = Path(directory)
    path = directory / "exercise.toml"
    if not path.is_file():
        raise ManifestError("manifest-missing", path, "no exercise.toml in this folder")
    raw = path.read_bytes()
    try:
        data = tomllib.loads(raw.decode("utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ManifestError("manifest-syntax", path, str(exc)) from None
    exercise_id = _field(data, "id", str, path)
    if exercise_id != directory.name:
        raise ManifestError(
            "manifest-field", path, f"id {exercise_id!r} differs from folder {directory.name!r}"
        )
    functions = []
    for entry in _field(data, "functions", list, path):
        if not isinstance(entry, dict):
            raise ManifestError("manifest-field", path, "each [[functions]] must be a table")
        functions.append(
            FunctionSpec(_field(entry, "name", str, path), _field(entry, "signature", str, path))
        )
    steps = []
    for entry in data.get("steps", []):
        if not isinstance(entry, dict):
            raise ManifestError("manifest-field", path, "each [[steps]] must be a table")
        steps.append(
            FunctionSpec(_field(entry, "name", str, path), _field(entry, "signature", str, path))
        )
    checks = []
    for entry in _field(data, "checks", list, path):
        if not isinstance(entry, dict):
            raise ManifestError("manifest-field", path, "each [[checks]] must be a table")
        points = _field(entry, "points", (int, float), path)
        if points < 0:
            raise ManifestError("manifest-field", path, f"points must be >= 0, got {points}")
        checks.append(
            CheckSpec(_field(entry, "name", str, path), float(points), entry.get("description", ""))
        )
    limits_table = data.get("limits", {})
    if not isinstance(limits_table, dict):
        raise ManifestError("manifest-field", path, "[limits] must be a table")
    unknown = set(limits_table) - set(Limits.__dataclass_fields__)
    if unknown:
        raise ManifestError("manifest-field", path, f"unknown limits: {sorted(unknown)}")
    for key, value in limits_table.items():
        if not isinstance(value, int | float) or isinstance(value, bool) or value <= 0:
            raise ManifestError("manifest-field", path, f"limit {key} must be a positive number")
    limits = Limits(**limits_table)
    banned = data.get("banned_modules", [])
    if not isinstance(banned, list) or not all(isinstance(m, str) for m in banned):
        raise ManifestError("manifest-field", path, "banned_modules must be a list of strings")

    spec = get_spec(exercise_id)
    if spec is None:
        raise ManifestError(
            "manifest-no-spec", path, f"no hidden checks are registered for {exercise_id!r}"
        )
    # The public groups are small and fixed: enough to catch a misspelt function name
    # (tests/functional/test_exercises_grading.py checks every group).
    names = {f.name for f in functions}
    called = {c.function for g in spec.groups if g.public for c in spec.cases(g.name)}
    if called - names:
        raise ManifestError(
            "manifest-spec-mismatch",
            path,
            f"the spec checks {sorted(called - names)}, which [[functions]] does not list",
        )
    if [s.name for s in steps] != list(spec.steps):
        raise ManifestError(
            "manifest-spec-mismatch",
            path,
            f"steps {[s.name for s in steps]} differ from the spec's {list(spec.steps)}",
        )
    spec_groups = {g.name for g in spec.groups}
    for check in checks:
        if check.name not in spec_groups:
            raise ManifestError(
                "manifest-spec-mismatch",
                path,
                f"check {check.name!r} is not a group of the spec (groups: {sorted(spec_groups)})",
            )
    all_banned = tuple(dict.fromkeys([*ALWAYS_BANNED, *banned]))
    return Exercise(
        exercise_id=exercise_id,
        title=_field(data, "title", str, path),
        summary=str(data.get("summary", "")),
        directory=directory,
        functions=tuple(functions),
        checks=tuple(checks),
        limits=limits,
        banned_modules=all_banned,
        spec=spec,
        manifest_sha256=hashlib.sha256(raw).hexdigest(),
        order=int(data.get("order", 0)),
        steps=tuple(steps),
    )


def find_exercises_dir(start: Path | None = None) -> Path | None:
    """Where the exercises are when ``--exercises`` is not given.

    1. ``exercises/`` in the current directory or any parent (a course repository);
    2. the repository next to the package (a source checkout / editable install);
    3. the copy shipped inside the wheel (``edu_chain/_exercises``).
    """
    here = (start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        candidate = folder / "exercises"
        if candidate.is_dir() and any(candidate.glob("*/exercise.toml")):
            return candidate
    package = Path(__file__).resolve().parents[1]
    for candidate in (package.parent / "exercises", package / "_exercises"):
        if candidate.is_dir() and any(candidate.glob("*/exercise.toml")):
            return candidate
    return None


def load_exercises(directory: Path, only: list[str] | None = None) -> list[Exercise]:
    """Every exercise under ``directory`` (sorted by id), or just those in ``only``."""
    folders = sorted(p.parent for p in Path(directory).glob("*/exercise.toml"))
    by_id = {folder.name: folder for folder in folders}
    if only:
        unknown = [i for i in only if i not in by_id]
        if unknown:
            raise ManifestError(
                "manifest-missing", directory, f"no exercise {unknown} (found: {sorted(by_id)})"
            )
        folders = [by_id[i] for i in only]
    exercises = [load_exercise(folder) for folder in folders]
    if not only:
        exercises.sort(key=lambda e: (e.order, e.exercise_id))
    return exercises
