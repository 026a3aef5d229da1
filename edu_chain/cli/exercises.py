"""``educhain exercises``: list the curriculum and start an exercise from its starter.

The list joins each exercise's ``exercise.toml`` (title, points) with ``curriculum.toml`` in
the same folder (order, the notebook that teaches it, prerequisites, estimated minutes).
``start`` copies ``<exercises>/<id>/starter.py`` to ``<DIR>/<id>.py``, the file name
``educhain check`` and ``educhain grade`` expect, and never overwrites work without ``--force``.
"""

from __future__ import annotations

import json
import tomllib
from dataclasses import asdict, dataclass
from pathlib import Path

import click

from edu_chain.grading.manifest import Exercise, ManifestError, find_exercises_dir, load_exercises

CURRICULUM_FILE = "curriculum.toml"


@dataclass(frozen=True)
class CurriculumEntry:
    """One row of the curriculum map."""

    order: int
    exercise_id: str
    title: str
    points: float
    minutes: int | None
    notebook: str
    prerequisites: tuple[str, ...]


def _exercises_dir(given: Path | None) -> Path:
    folder = given or find_exercises_dir()
    if folder is None:
        raise click.UsageError(
            "no exercises found: pass --exercises DIR (a folder of <id>/exercise.toml)"
        )
    return folder


def curriculum(folder: Path) -> list[CurriculumEntry]:
    """Every exercise under ``folder``, in curriculum order, with its map entry (if any)."""
    try:
        exercises = load_exercises(folder)
    except ManifestError as exc:
        raise click.UsageError(str(exc)) from None
    meta: dict[str, dict] = {}
    path = folder / CURRICULUM_FILE
    if path.is_file():
        try:
            table = tomllib.loads(path.read_text(encoding="utf-8"))
        except tomllib.TOMLDecodeError as exc:
            raise click.UsageError(f"{path}: {exc}") from None
        meta = {entry["id"]: entry for entry in table.get("exercise", []) if "id" in entry}
    ranked = {exercise_id: rank for rank, exercise_id in enumerate(meta)}

    def position(exercise: Exercise) -> tuple[int, int, str]:
        rank = ranked.get(exercise.exercise_id, len(ranked))
        return (rank, exercise.order, exercise.exercise_id)

    entries = []
    for number, exercise in enumerate(sorted(exercises, key=position), start=1):
        info = meta.get(exercise.exercise_id, {})
        entries.append(
            CurriculumEntry(
                order=number,
                exercise_id=exercise.exercise_id,
                title=exercise.title,
                points=exercise.max_points,
                minutes=info.get("minutes"),
                notebook=str(info.get("notebook", "")),
                prerequisites=tuple(info.get("prerequisites", ())),
            )
        )
    return entries


@click.group()
def exercises() -> None:
    """The exercise set: list it, or start one in your workspace.

    \b
    Examples:
      educhain exercises list
      educhain exercises start merkle_root work/
    """


EXERCISES_OPTION = click.option(
    "--exercises",
    "exercises_dir",
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    help="Folder of exercises (default: ./exercises or a parent's, else the bundled set).",
)


@exercises.command("list")
@EXERCISES_OPTION
@click.option("--json", "as_json", is_flag=True, help="Print the curriculum as JSON.")
def list_exercises(exercises_dir: Path | None, as_json: bool) -> None:
    """List the exercises in curriculum order: points, time, notebook, prerequisites.

    \b
    Example:
      educhain exercises list
      educhain exercises list --json
    """
    entries = curriculum(_exercises_dir(exercises_dir))
    if as_json:
        click.echo(json.dumps([asdict(e) for e in entries], indent=2))
        return
    header = f"{'#':>2}  {'id':<15} {'points':>6} {'time':>6}  {'notebook':<27} {'after':<34} title"
    click.echo(header)
    click.echo("-" * len(header))
    for e in entries:
        time = f"{e.minutes}m" if e.minutes else "?"
        after = ", ".join(e.prerequisites) or "-"
        click.echo(
            f"{e.order:>2}  {e.exercise_id:<15} {e.points:>6g} {time:>6}  {e.notebook or '-':<27} "
            f"{after:<34} {e.title}"
        )
    minutes = sum(e.minutes or 0 for e in entries)
    points = sum(e.points for e in entries)
    click.echo(
        f"\n{len(entries)} exercises, {points:g} points, about {minutes / 60:.1f} hours. "
        "Start one with: educhain exercises start ID [DIR]"
    )


@exercises.command("start")
@click.argument("exercise_id")
@click.argument("directory", required=False, type=click.Path(file_okay=False, path_type=Path))
@EXERCISES_OPTION
@click.option("--force", is_flag=True, help="Overwrite an existing <id>.py.")
def start(
    exercise_id: str, directory: Path | None, exercises_dir: Path | None, force: bool
) -> None:
    """Copy the starter of EXERCISE_ID to DIRECTORY/<id>.py (default: the current folder).

    The file keeps the name the grader expects. An existing file is never overwritten unless
    you pass --force.

    \b
    Example:
      educhain exercises start merkle_root
      educhain exercises start ecdsa ~/blockchain-course
    """
    folder = _exercises_dir(exercises_dir)
    starter = folder / exercise_id / "starter.py"
    if not starter.is_file():
        known = sorted(p.parent.name for p in folder.glob("*/starter.py"))
        raise click.UsageError(
            f"unknown exercise {exercise_id!r}; known exercises: {', '.join(known)}"
        )
    directory = directory or Path.cwd()
    target = directory / f"{exercise_id}.py"
    if target.exists() and not force:
        raise click.UsageError(
            f"{target} already exists: keep your work, or pass --force to replace it with the "
            "starter"
        )
    try:
        directory.mkdir(parents=True, exist_ok=True)
        target.write_text(starter.read_text(encoding="utf-8"), encoding="utf-8")
    except OSError as exc:
        raise click.UsageError(
            f"cannot write {target}: {exc.strerror or exc}; pass a DIRECTORY you can write to"
        ) from None
    click.echo(f"Wrote {target}")
    click.echo(f"The task, the contract and a worked example: {folder / exercise_id / 'README.md'}")
    click.echo(f"Follow the numbered steps, then check your work: educhain check {target}")
