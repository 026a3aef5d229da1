"""``educhain grade``: grade a whole cohort's submissions, safely, with exports for the LMS."""

from __future__ import annotations

import contextlib
from pathlib import Path
from typing import Any

import click

from edu_chain.grading.cluster import ClusterError, connect, parse_local, preflight
from edu_chain.grading.cohort import CohortSummary, grade_cohort
from edu_chain.grading.gradebook import VersionChange, check_resume
from edu_chain.grading.manifest import (
    Exercise,
    ManifestError,
    find_exercises_dir,
    grading_versions,
    load_exercises,
)
from edu_chain.grading.notebook import find_students
from edu_chain.grading.sandbox import (
    ISOLATION_MODES,
    Isolation,
    IsolationError,
    resolve_isolation,
)


def _exercises_dir(given: Path | None) -> Path:
    if given is not None:
        return given
    found = find_exercises_dir()
    if found is None:
        raise click.UsageError(
            "no exercises found: pass --exercises DIR (a folder of <id>/exercise.toml)"
        )
    return found


def _say_cluster_isolation(layers: dict[str, dict[str, Any]]) -> None:
    """The isolation line for a cluster: one line when every worker has the same layers."""
    summaries = {v["summary"] for v in layers.values()}
    if len(summaries) == 1:
        click.echo(f"isolation on {len(layers)} Dask workers: {summaries.pop()}", err=True)
    for address, value in sorted(layers.items()):
        if len(summaries) > 1:
            click.echo(f"isolation on {address}: {value['summary']}", err=True)
        if value.get("unprotected"):
            click.secho(f"warning: {address}: {value['unprotected']}", fg="yellow", err=True)


def _isolation_or_cluster(
    isolation: str, scheduler: str | None, local_cluster: str | None, exercises: list[Exercise]
) -> tuple[Any, Isolation | None, dict | None]:
    """(Dask client or None, local isolation or None, the cluster workers' preflight answers or
    None), after saying which layers protect the run; a usage error, before anything is
    written, when they cannot be had."""
    client = None
    try:
        if scheduler or local_cluster:
            local = parse_local(local_cluster) if local_cluster else None
            client = connect(scheduler, local)
            answers = preflight(client, isolation, versions=grading_versions(), exercises=exercises)
            _say_cluster_isolation(answers)
            return client, None, answers
        layers = resolve_isolation(isolation)
    except (IsolationError, ClusterError) as exc:
        if client is not None:
            _close(client)
        raise click.UsageError(str(exc)) from None
    click.echo(f"isolation: {layers.summary}", err=True)
    if layers.unprotected:
        click.secho(f"warning: {layers.unprotected}", fg="yellow", err=True)
    return None, layers, None


def _progress(quiet: bool) -> Any:
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    return Progress(
        TextColumn("grading"),
        BarColumn(),
        TextColumn("{task.completed}/{task.total}"),
        TimeElapsedColumn(),
        TextColumn("ETA"),
        TimeRemainingColumn(),
        console=Console(stderr=True),
        disable=quiet,
    )


def _print_summary(summary: CohortSummary, chosen: list[Exercise], out: Path) -> None:
    from rich.console import Console
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
    Console().print(table)
    statuses = ", ".join(f"{k}: {v}" for k, v in sorted(summary.statuses.items()))
    total = sum(summary.statuses.values())
    if summary.workers:
        shares = ", ".join(f"{w}: {n}" for w, n in sorted(summary.workers.items()))
        click.echo(f"students per Dask worker: {shares}")
    click.echo(
        f"graded {summary.graded} submissions, skipped {summary.skipped} unchanged "
        f"in {summary.seconds:.1f} s (all {total} results, {statuses}); results in {out}"
    )


def _close(client: Any) -> None:
    cluster = client.cluster if hasattr(client, "cluster") else None
    client.close()
    if cluster is not None:
        cluster.close()


def _check_students(submissions: Path) -> None:
    """A usage error unless SUBMISSIONS holds one folder per student (and a hint when it looks
    like one student's own folder)."""
    if not find_students(submissions):
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
    help="Students graded at once (default: two per grader process; one per core in one).",
)
@click.option(
    "--processes",
    type=click.IntRange(min=1),
    default=None,
    help="Grader processes on this machine, sharing the workers (default: one per core "
    "for a cohort of four students per core or more, else one).",
)
@click.option("--force", is_flag=True, help="Re-grade unchanged submissions too.")
@click.option(
    "--isolation",
    type=click.Choice(ISOLATION_MODES),
    default="auto",
    show_default=True,
    help="os: refuse to run without the bubblewrap sandbox; process: without it; "
    "auto: use it when it works here, else warn what is unprotected.",
)
@click.option(
    "--scheduler",
    default=None,
    metavar="tcp://HOST:PORT",
    help="Grade on an existing Dask cluster (started with `dask scheduler` / `dask worker`).",
)
@click.option(
    "--cluster",
    "local_cluster",
    default=None,
    metavar="local:N",
    help="Grade on a Dask cluster of N worker processes started on this machine.",
)
@click.option(
    "--allow-hypothesis-change",
    is_flag=True,
    help="Resume a gradebook graded with another Hypothesis version: every submission is "
    "graded again with this one (by default that is refused: the random checks differ).",
)
@click.option("--quiet", is_flag=True, help="No progress bar.")
def grade(
    submissions: Path,
    out: Path,
    exercises_dir: Path | None,
    only: str,
    workers: int | None,
    processes: int | None,
    force: bool,
    isolation: str,
    scheduler: str | None,
    local_cluster: str | None,
    allow_hypothesis_change: bool,
    quiet: bool,
) -> None:
    """Grade SUBMISSIONS/<student>/<exercise>.py (or notebooks) into --out.

    Each submission runs in its own worker process, inside a bubblewrap sandbox (user, pid,
    network, ipc and mount namespaces) when bwrap works here; scores come from comparing its
    results with the reference in this process. The layers in force are printed at start and
    recorded, with the Hypothesis and Python versions. Re-running skips unchanged submissions;
    a gradebook graded with another Hypothesis is not resumed without
    --allow-hypothesis-change. Exit status 0 whenever grading ran, whatever the students
    scored; 2 for a usage error or --isolation os without bwrap.

    \b
    Example:
      educhain grade submissions/ --out grades/ --workers 4 --processes 2
      educhain grade submissions/ --out grades/ --only merkle_root,mine --force
      educhain grade submissions/ --out grades/ --isolation os
      educhain grade submissions/ --out grades/ --scheduler tcp://10.0.0.1:8786
    """
    if submissions.resolve() == out.resolve() or submissions.resolve() in out.resolve().parents:
        raise click.UsageError("--out must not be inside the submissions folder")
    folder = _exercises_dir(exercises_dir)
    only_ids = [i.strip() for i in only.split(",") if i.strip()]
    try:
        everything = load_exercises(folder)
        chosen = load_exercises(folder, only_ids) if only_ids else everything
    except ManifestError as exc:
        raise click.UsageError(str(exc)) from None
    if not everything:
        raise click.UsageError(f"no exercise.toml under {folder}")
    _check_students(submissions)
    if scheduler and local_cluster:
        raise click.UsageError("give --scheduler or --cluster, not both")
    try:
        check_resume(out / "gradebook.sqlite", grading_versions(), allow=allow_hypothesis_change)
    except VersionChange as exc:
        raise click.UsageError(str(exc)) from None
    client, layers, answers = _isolation_or_cluster(isolation, scheduler, local_cluster, chosen)
    progress = _progress(quiet)
    with progress, contextlib.ExitStack() as stack:
        if client is not None:
            stack.callback(_close, client)
        task = progress.add_task("grading", total=0)
        summary = grade_cohort(
            submissions,
            out,
            chosen,
            export_ids=[e.exercise_id for e in everything],
            workers=workers,
            processes=processes,
            force=force,
            on_start=lambda n: progress.update(task, total=n),
            on_done=lambda student, result, skipped: progress.advance(task),
            isolation=layers,
            cluster=client,
            cluster_layers=answers,
            cluster_mode=isolation,
            allow_hypothesis_change=allow_hypothesis_change,
        )
    _print_summary(summary, chosen, out)
