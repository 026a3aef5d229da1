"""``educhain grade``: grade a whole cohort's submissions, safely, with exports for the LMS."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import click

from edu_chain.grading.cohort import grade_cohort
from edu_chain.grading.manifest import ManifestError, find_exercises_dir, load_exercises
from edu_chain.grading.notebook import find_students


def _exercises_dir(given: Path | None) -> Path:
    if given is not None:
        return given
    found = find_exercises_dir()
    if found is None:
        raise click.UsageError(
            "no exercises found: pass --exercises DIR (a folder of <id>/exercise.toml)"
        )
    return found


@click.command()
@click.argument("submissions", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option(
    "--out",
    "out",
    required=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="Output folder: grades.csv, feedback/, gradescope/, junit.xml, gradebook.sqlite.",
)
@click.option(
    "--exercises",
    "exercises_dir",
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    help="Folder of exercises (default: ./exercises or a parent's, else the bundled set).",
)
@click.option("--only", default="", help="Comma-separated exercise ids to (re)grade.")
@click.option(
    "--workers",
    type=click.IntRange(min=1),
    default=None,
    help="Submissions graded at once (default: all cores).",
)
@click.option("--force", is_flag=True, help="Re-grade unchanged submissions too.")
@click.option("--quiet", is_flag=True, help="No progress bar.")
def grade(
    submissions: Path,
    out: Path,
    exercises_dir: Path | None,
    only: str,
    workers: int | None,
    force: bool,
    quiet: bool,
) -> None:
    """Grade SUBMISSIONS/<student>/<exercise>.py (or notebooks) into --out.

    Each submission runs in its own sandboxed worker process; scores come from comparing its
    results with the reference in this process. Re-running skips unchanged submissions.
    Exit status 0 whenever grading ran, whatever the students scored.

    \b
    Example:
      educhain grade submissions/ --out grades/ --workers 2
      educhain grade submissions/ --out grades/ --only merkle_root,mine --force
    """
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    if submissions.resolve() == out.resolve() or submissions.resolve() in out.resolve().parents:
        raise click.UsageError("--out must not be inside the submissions folder")
    everything, chosen = _load_exercises(_exercises_dir(exercises_dir), only)
    _require_student_folders(submissions)
    console = Console(stderr=True)
    workers = workers or os.cpu_count() or 1
    progress = Progress(
        TextColumn("grading"),
        BarColumn(),
        TextColumn("{task.completed}/{task.total}"),
        TimeElapsedColumn(),
        TextColumn("ETA"),
        TimeRemainingColumn(),
        console=console,
        disable=quiet,
    )
    with progress:
        task = progress.add_task("grading", total=0)
        summary = grade_cohort(
            submissions,
            out,
            chosen,
            export_ids=[e.exercise_id for e in everything],
            workers=workers,
            force=force,
            on_start=lambda n: progress.update(task, total=n),
            on_done=lambda student, result, skipped: progress.advance(task),
        )
    Console().print(_summary_table(summary, chosen))
    statuses = ", ".join(f"{k}: {v}" for k, v in sorted(summary.statuses.items()))
    total = sum(summary.statuses.values())
    click.echo(
        f"graded {summary.graded} submissions, skipped {summary.skipped} unchanged "
        f"in {summary.seconds:.1f} s (all {total} results, {statuses}); results in {out}"
    )


def _load_exercises(folder: Path, only: str) -> tuple[list[Any], list[Any]]:
    """(every exercise in ``folder``, the ones ``--only`` picks: all when empty)."""
    only_ids = [i.strip() for i in only.split(",") if i.strip()]
    try:
        everything = load_exercises(folder)
        chosen = load_exercises(folder, only_ids) if only_ids else everything
    except ManifestError as exc:
        raise click.UsageError(str(exc)) from None
    if not everything:
        raise click.UsageError(f"no exercise.toml under {folder}")
    return everything, chosen


def _require_student_folders(submissions: Path) -> None:
    """A usage error, with a hint, when ``submissions`` holds no folder per student."""
    if find_students(submissions):
        return
    loose = sorted(p.name for p in submissions.iterdir() if p.suffix in (".py", ".ipynb"))
    hint = (
        f" It holds {', '.join(loose[:3])}{', ...' if len(loose) > 3 else ''}: is it one"
        " student's folder? Pass the folder that contains one folder per student."
        if loose
        else ""
    )
    raise click.UsageError(
        f"no student folders in {submissions}: expected SUBMISSIONS/<student>/"
        f"<exercise_id>.py or SUBMISSIONS/<student>/*.ipynb.{hint}"
    )


def _summary_table(summary: Any, chosen: list[Any]) -> Any:
    """Per exercise: mean points, how many got full marks, the maximum."""
    from rich.table import Table

    table = Table(title=f"{summary.students} students, {len(chosen)} exercises")
    table.add_column("exercise")
    table.add_column("mean", justify="right")
    table.add_column("full marks", justify="right")
    table.add_column("max", justify="right")
    for exercise in chosen:
        points = summary.points.get(exercise.exercise_id, [])
        full = sum(1 for p in points if p == exercise.max_points)
        mean = sum(points) / len(points) if points else 0.0
        table.add_row(
            exercise.exercise_id, f"{mean:.2f}", f"{full}/{len(points)}", f"{exercise.max_points:g}"
        )
    return table
