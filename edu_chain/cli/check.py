"""``educhain check``: a student's self-check of one exercise file, with the public examples."""

from __future__ import annotations

from pathlib import Path

import click

from edu_chain.grading.manifest import ManifestError, find_exercises_dir, load_exercise
from edu_chain.grading.notebook import NOTEBOOK_PRELUDE, SubmissionError, notebook_cells
from edu_chain.grading.runner import grade_cells, student_text


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
@click.option("--all", "run_all", is_flag=True, help="Also run the hidden check groups.")
def check(path: Path, exercise_id: str | None, exercises_dir: Path | None, run_all: bool) -> None:
    """Check PATH (a .py file, a notebook, or a folder with <id>.py) against the public examples.

    The code runs in the same sandbox as the grader. Exit status 0 when every check passes,
    1 when some fail.

    \b
    Example:
      educhain check merkle_root.py
      educhain check my_work.ipynb --exercise mine
    """
    if path.is_dir():
        if exercise_id is None:
            raise click.UsageError("checking a folder needs --exercise ID")
        path = path / f"{exercise_id}.py"
        if not path.is_file():
            raise click.UsageError(f"no {path.name} in that folder")
    exercise_id = exercise_id or path.stem
    folder = exercises_dir or find_exercises_dir()
    if folder is None or not (folder / exercise_id / "exercise.toml").is_file():
        raise click.UsageError(
            f"unknown exercise {exercise_id!r}: pass --exercise ID (and --exercises DIR)"
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
    result = grade_cells(
        exercise, cells, notebook=notebook, public_only=not run_all, source=path.name
    )
    click.echo(student_text(result))
    if result.points == result.max_points and result.status == "graded":
        click.secho(
            "All checks pass." + ("" if run_all else " The grader also runs hidden checks."),
            fg="green",
        )
    else:
        raise SystemExit(1)
