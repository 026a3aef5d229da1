"""``educhain check``: a student's self-check of exercise files, scored as the grader does."""

from __future__ import annotations

from pathlib import Path

import click

from edu_chain.grading.manifest import ManifestError, find_exercises_dir, load_exercise
from edu_chain.grading.notebook import NOTEBOOK_PRELUDE, SubmissionError, notebook_cells
from edu_chain.grading.runner import ExerciseResult, grade_cells, student_text


def _targets(path: Path, exercise_id: str | None, folder: Path) -> list[tuple[Path, str]]:
    """(file, exercise id) pairs to check for PATH and --exercise."""
    if not path.is_dir():
        return [(path, exercise_id or path.stem)]
    if exercise_id is not None:
        candidate = path / f"{exercise_id}.py"
        if not candidate.is_file():
            raise click.UsageError(f"no {candidate.name} in {path}")
        return [(candidate, exercise_id)]
    found = [
        (file, file.stem)
        for file in sorted(path.glob("*.py"))
        if (folder / file.stem / "exercise.toml").is_file()
    ]
    if not found:
        raise click.UsageError(f"no <exercise_id>.py files in {path}: pass a file or --exercise")
    return found


def _check_one(path: Path, exercise_id: str, folder: Path) -> ExerciseResult:
    if not (folder / exercise_id / "exercise.toml").is_file():
        known = sorted(p.parent.name for p in folder.glob("*/exercise.toml"))
        raise click.UsageError(
            f"unknown exercise {exercise_id!r}: pass --exercise ID, one of {', '.join(known)}"
        )
    try:
        exercise = load_exercise(folder / exercise_id)
    except ManifestError as exc:
        raise click.UsageError(str(exc)) from None
    try:
        if path.suffix == ".ipynb":
            cells, notebook = [NOTEBOOK_PRELUDE, *notebook_cells(path)], True
        else:
            cells, notebook = [path.read_text(encoding="utf-8")], False
    except (SubmissionError, UnicodeDecodeError) as exc:
        raise click.UsageError(str(exc)) from None
    # Every group, as `educhain grade` runs them: the score shown is the grade's.
    return grade_cells(exercise, cells, notebook=notebook, source=path.name)


@click.command()
@click.argument("path", type=click.Path(exists=True, path_type=Path))
@click.option(
    "--exercise", "exercise_id", default=None, help="Exercise id (default: the file name)."
)
@click.option(
    "--exercises",
    "exercises_dir",
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    help="Folder of exercises (default: ./exercises or a parent's, else the bundled set).",
)
@click.option(
    "--all",
    "run_all",
    is_flag=True,
    help="Kept for old scripts: every check group always runs now.",
)
def check(path: Path, exercise_id: str | None, exercises_dir: Path | None, run_all: bool) -> None:
    """Check PATH against every check of its exercise, scored as `educhain grade` does.

    PATH is a file named <exercise_id>.py, a notebook (with --exercise), or a folder: every
    <exercise_id>.py in it is checked. The code runs in the same sandbox as the grader.
    The score is the grade with the published inputs (a cohort's secret salt redraws only
    the random groups). Exit status 0 when every check passes, 1 when some fail.

    \b
    Example:
      educhain check merkle_root.py
      educhain check my_work.ipynb --exercise mine
      educhain check .                   # every exercise file in this folder
    """
    folder = exercises_dir or find_exercises_dir()
    if folder is None:
        raise click.UsageError("no exercises found: pass --exercises DIR")
    all_pass = True
    for file, exercise in _targets(path, exercise_id, folder):
        result = _check_one(file, exercise, folder)
        click.echo(student_text(result))
        passed = result.status == "graded" and result.points == result.max_points
        all_pass = all_pass and passed
        if passed:
            click.secho(f"{exercise}: all checks pass.", fg="green")
        click.echo()
    if not all_pass:
        raise SystemExit(1)
