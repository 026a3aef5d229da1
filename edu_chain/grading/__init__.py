"""The autograder: exercise manifests, a sandboxed worker, a differential runner, a gradebook.

Public entry points:

- :func:`check` — a student's self-check in a notebook (public examples, in-process);
- :func:`grade_cohort` — what ``educhain grade`` runs (hidden checks, sandboxed, resumable);
- :func:`load_exercise` / :func:`load_exercises` — read ``exercises/<id>/exercise.toml``;
- :func:`register` / :class:`ExerciseSpec` — add the hidden checks of a new exercise.

The architecture follows the trust model of docs/architecture.md#grading-and-the-trust-model; see
``sandbox.py`` and ``_worker.py`` for what the worker may and may not do.
"""

from edu_chain.grading.check import CheckReport as CheckReport
from edu_chain.grading.check import check as check
from edu_chain.grading.cohort import CohortSummary as CohortSummary
from edu_chain.grading.cohort import grade_cohort as grade_cohort
from edu_chain.grading.manifest import Exercise as Exercise
from edu_chain.grading.manifest import ManifestError as ManifestError
from edu_chain.grading.manifest import find_exercises_dir as find_exercises_dir
from edu_chain.grading.manifest import load_exercise as load_exercise
from edu_chain.grading.manifest import load_exercises as load_exercises
from edu_chain.grading.runner import ExerciseResult as ExerciseResult
from edu_chain.grading.runner import grade_cells as grade_cells
from edu_chain.grading.sandbox import Limits as Limits
from edu_chain.grading.spec import Case as Case
from edu_chain.grading.spec import CheckGroup as CheckGroup
from edu_chain.grading.spec import ExerciseSpec as ExerciseSpec
from edu_chain.grading.spec import Mistake as Mistake
from edu_chain.grading.spec import Raises as Raises
from edu_chain.grading.spec import draw_examples as draw_examples
from edu_chain.grading.spec import expect as expect
from edu_chain.grading.spec import get_spec as get_spec

__all__ = [
    "Case",
    "CheckGroup",
    "CheckReport",
    "CohortSummary",
    "Exercise",
    "ExerciseResult",
    "ExerciseSpec",
    "Limits",
    "ManifestError",
    "Mistake",
    "Raises",
    "check",
    "draw_examples",
    "expect",
    "find_exercises_dir",
    "get_spec",
    "grade_cells",
    "grade_cohort",
    "load_exercise",
    "load_exercises",
]
