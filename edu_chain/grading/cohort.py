"""Grade a whole cohort: every student folder x every exercise, in parallel, resumable.

:func:`grade_cohort` is what ``educhain grade`` calls.  Each student with pending exercises is
one job: a thread of a pool of ``workers`` threads (or a task of a Dask cluster, see
``cluster.py``) grades them one after another in one sandbox of the student's own (a fresh
worker process per exercise, see ``sandbox.Sandbox``); each thread only waits on its worker, so
``workers`` is the number of students graded at once.  A large cohort shares those threads
among one forked grader process per core (``processes.py``): one process's Python runs on one
core at a time, and the grader's own work is half of the CPU a submission costs.  Every
result is written to the gradebook as soon as it is known, then all exports are (re)written
from the gradebook.

Isolated re-runs (docs/architecture.md#grading-and-the-trust-model: nothing a submission does may
touch anyone else's grade).  The audit hook cannot refuse every way of signalling another process of
the same user (``os.pidfd_open`` + ``signal.pidfd_send_signal`` raise no audit event), so while
submissions run side by side one of them could kill or stop its neighbour's worker.  Every
result whose failure another process could have caused (``ExerciseResult.interference``: the
worker died before answering, hit the wall clock, or saw a KeyboardInterrupt) is therefore
not kept: after the parallel phase such submissions are graded again one at a time, with no
other student code running, and the second result is recorded with a note saying so.  A
submission that crashes by itself crashes again alone (same grade); a victim gets its true
grade.  With bubblewrap (the default where it works) no worker can even see another student's
processes or the grader; without it, when the grader runs as root, workers run under their own
uids (:func:`edu_chain.grading.sandbox.sandbox_uid_status`), so the kernel refuses such signals.

The grader itself is not protected by the re-runs: without either layer a submission can kill
the grader (the warning printed at start says so).  The run then stops with a non-zero
status; every result recorded so far is in the gradebook and re-running ``educhain grade``
resumes (the results still waiting for their isolated re-run were not recorded, so they are
graded again).
"""

from __future__ import annotations

import dataclasses
import os
import time
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from edu_chain.grading.cluster import (
    ShippedExercise,
    grade_task,
    preflight,
    summary_of,
    task_key,
)
from edu_chain.grading.exports import write_all
from edu_chain.grading.gradebook import Gradebook, check_resume
from edu_chain.grading.manifest import Exercise, grading_versions
from edu_chain.grading.notebook import (
    Submission,
    SubmissionError,
    find_students,
    find_submission,
)
from edu_chain.grading.processes import GraderProcesses, fork_available
from edu_chain.grading.runner import (
    ExerciseResult,
    grade_cells,
    plan_calls,
    planned_cases,
    zero,
)
from edu_chain.grading.sandbox import Isolation, Sandbox, resolve_isolation


@dataclass
class CohortSummary:
    """What a grading run did (printed as the summary table)."""

    students: int = 0
    graded: int = 0  # submissions run in a worker this time
    skipped: int = 0  # unchanged since the last run
    rerun: int = 0  # graded again alone because another process could have caused the outcome
    statuses: Counter[str] = field(default_factory=Counter)
    points: dict[str, list[float]] = field(default_factory=dict)  # exercise -> points
    max_points: dict[str, float] = field(default_factory=dict)
    seconds: float = 0.0
    isolation: str = ""  # Isolation.summary of this run
    workers: Counter[str] = field(default_factory=Counter)  # cluster: students per worker


def grade_one(
    student_dir: Path,
    exercise: Exercise,
    salt: int = 0,
    isolation: Isolation | None = None,
    sandbox: Sandbox | None = None,
) -> tuple[str, ExerciseResult]:
    """(content hash, result) for one student's submission of one exercise.

    ``salt`` reseeds the random check groups (the cohort's secret, kept in the gradebook).
    Never raises: a fault in the grader itself is recorded for this submission (status
    ``grader-error``, not cached as current) and the run goes on.
    """
    try:
        return _grade_one(student_dir, exercise, salt, isolation, sandbox)
    except Exception as exc:
        message = f"Internal grader error ({type(exc).__name__}: {exc}); please tell the staff."
        return "grader-error", zero(exercise, "grader-error", message)


def _prepare(student_dir: Path, exercise: Exercise) -> Submission | tuple[str, ExerciseResult]:
    """The student's submission, or (hash, result) when there is nothing to run."""
    try:
        submission = find_submission(student_dir, exercise.exercise_id)
    except SubmissionError as exc:
        return "unreadable", zero(exercise, "unreadable", f"{exc}. Scored 0.")
    if submission is None:
        message = (
            f"No submission: expected {exercise.exercise_id}.py or a notebook (.ipynb) "
            "defining " + ", ".join(exercise.function_names) + "."
        )
        return "", zero(exercise, "missing", message)
    return submission


def _grade_one(
    student_dir: Path,
    exercise: Exercise,
    salt: int,
    isolation: Isolation | None = None,
    sandbox: Sandbox | None = None,
) -> tuple[str, ExerciseResult]:
    submission = _prepare(student_dir, exercise)
    if isinstance(submission, tuple):
        return submission
    result = grade_cells(
        exercise,
        list(submission.cells),
        notebook=submission.notebook,
        source=submission.source,
        salt=salt,
        isolation=isolation,
        sandbox=sandbox,
    )
    return submission.content_hash, result


def rerun_note(first: ExerciseResult) -> str:
    """The note kept with a result that was graded again alone."""
    return (
        "Graded again alone after the parallel run: the first run "
        f"{first.interference} while other submissions were running, which another process "
        "could have caused (for example by signalling this worker). These points are from "
        "the run alone."
    )


def _with_rerun_note(result: ExerciseResult, first: ExerciseResult) -> ExerciseResult:
    return dataclasses.replace(result, warnings=(*result.warnings, rerun_note(first)))


def grade_student(
    student_dir: Path, exercises: list[Exercise], salt: int, isolation: Isolation
) -> list[tuple[Exercise, str, ExerciseResult]]:
    """Grade one student's pending exercises, one after another, in one sandbox of its own
    (each exercise still in a fresh worker: see :class:`edu_chain.grading.sandbox.Sandbox`)."""
    scratch_mb = max(e.limits.scratch_mb for e in exercises)
    with Sandbox(isolation, scratch_mb=scratch_mb) as sandbox:
        return [(e, *grade_one(student_dir, e, salt, isolation, sandbox)) for e in exercises]


def _pending_hash(student_dir: Path, exercise: Exercise) -> str:
    try:
        submission = find_submission(student_dir, exercise.exercise_id)
    except SubmissionError:
        return "unreadable"
    return "" if submission is None else submission.content_hash


def _pending(
    book: Gradebook,
    students: list[Path],
    exercises: list[Exercise],
    force: bool,
    summary: CohortSummary,
) -> dict[Path, list[Exercise]]:
    """Each student's exercises to grade (changed since the book's result, or ``force``)."""
    jobs: dict[Path, list[Exercise]] = {}
    for student_dir in students:
        for exercise in exercises:
            content_hash = _pending_hash(student_dir, exercise)
            if not force and book.is_current(
                student_dir.name, exercise.exercise_id, content_hash, exercise.fingerprint
            ):
                summary.skipped += 1
                continue
            jobs.setdefault(student_dir, []).append(exercise)
    return jobs


def _tally(
    summary: CohortSummary,
    current: dict[str, dict[str, ExerciseResult]],
    exercises: list[Exercise],
) -> None:
    for by_id in current.values():
        for exercise in exercises:
            if exercise.exercise_id in by_id:
                result = by_id[exercise.exercise_id]
                summary.statuses[result.status] += 1
                summary.points.setdefault(exercise.exercise_id, []).append(result.points)


Graded = Iterator[tuple[Path, Exercise, str, ExerciseResult]]


class _Local:
    """Students on a thread pool of this machine, each in its own sandbox."""

    def __init__(self, workers: int, salt: int, isolation: Isolation) -> None:
        self.workers, self.salt, self.isolation = workers, salt, isolation

    def batch(self, jobs: dict[Path, list[Exercise]]) -> Graded:
        with ThreadPoolExecutor(max_workers=self.workers) as pool:
            futures = {
                pool.submit(grade_student, s, pending, self.salt, self.isolation): s
                for s, pending in jobs.items()
            }
            for future in as_completed(futures):
                for exercise, content_hash, result in future.result():
                    yield futures[future], exercise, content_hash, result

    def alone(self, student_dir: Path, exercise: Exercise) -> tuple[str, ExerciseResult]:
        return grade_one(student_dir, exercise, self.salt, self.isolation)


class _Processes(_Local):
    """Students on forked grader processes of this machine (see processes.py), each with
    ``threads`` threads; a student a dead process never reported is graded here."""

    def __init__(self, processes: int, threads: int, salt: int, isolation: Isolation) -> None:
        super().__init__(threads, salt, isolation)
        self.forked = GraderProcesses(processes, threads, salt, isolation, grade_student)

    def batch(self, jobs: dict[Path, list[Exercise]]) -> Graded:
        yield from self.forked.batch(jobs)
        if self.forked.leftover:
            yield from super().batch(self.forked.leftover)


def usable_cores() -> int:
    """The cores this process may run on (a container's or ``taskset``'s share, not the
    host's count)."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0)) or 1
    return os.cpu_count() or 1


def grader_processes(requested: int | None, students: int, cores: int) -> int:
    """How many grader processes grade ``students`` on this machine: ``requested``, or one per
    core once the cohort has four students per core (a smaller one starts faster in one), and
    one where processes cannot be forked."""
    if not fork_available():
        return 1
    if requested is not None:
        return max(1, requested)
    return cores if students >= 4 * cores else 1


class _Cluster:
    """Students as tasks of a Dask cluster (see cluster.py); this machine reads the files."""

    def __init__(self, client: Any, salt: int, mode: str, summary: CohortSummary) -> None:
        self.client, self.salt, self.mode, self.summary = client, salt, mode, summary
        self.shipped: dict[str, ShippedExercise] = {}

    def _submit(self, student_dir: Path, pending: list[Exercise], suffix: str = "") -> Any:
        """The student's task, or (hash, result) pairs for what needs no worker."""
        jobs, local = [], []
        for exercise in pending:
            submission = _prepare(student_dir, exercise)
            if isinstance(submission, tuple):
                local.append((exercise, *submission))
                continue
            jobs.append(
                {
                    "exercise_id": exercise.exercise_id,
                    "content_hash": submission.content_hash,
                    "fingerprint": exercise.fingerprint,
                    "cells": list(submission.cells),
                    "notebook": submission.notebook,
                    "source": submission.source,
                }
            )
            if exercise.exercise_id not in self.shipped:
                self.shipped[exercise.exercise_id] = ShippedExercise.of(exercise)
        future = None
        if jobs:
            shipped = [self.shipped[j["exercise_id"]] for j in jobs]
            key = task_key(student_dir.name, jobs, self.salt, self.mode) + suffix
            future = self.client.submit(
                grade_task,
                student_dir.name,
                jobs,
                shipped,
                self.salt,
                self.mode,
                key=key,
                retries=3,
                pure=False,
            )
        sent = [e for e in pending if e.exercise_id in {j["exercise_id"] for j in jobs}]
        return future, local, sent

    def _collect(self, future: Any, student_dir: Path, pending: list[Exercise]) -> Graded:
        by_id = {e.exercise_id: e for e in pending}
        try:
            answer = future.result()
        except Exception as exc:  # a task that failed on every worker it was given
            message = f"Internal grader error on the cluster ({type(exc).__name__}: {exc})"
            for exercise in pending:
                result = zero(exercise, "grader-error", message + "; please tell the staff.")
                yield student_dir, exercise, "grader-error", result
            return
        self.summary.workers[answer["worker"]] += 1
        for exercise_id, content_hash, data in answer["results"]:
            result = ExerciseResult.from_dict(data)
            yield student_dir, by_id[exercise_id], content_hash, result

    def batch(self, jobs: dict[Path, list[Exercise]]) -> Graded:
        from distributed import as_completed as completed

        futures = {}
        for student_dir, pending in jobs.items():
            future, local, sent = self._submit(student_dir, pending)
            for exercise, content_hash, result in local:
                yield student_dir, exercise, content_hash, result
            if future is not None:
                futures[future] = (student_dir, sent)
        for future in completed(list(futures)):
            yield from self._collect(future, *futures[future])

    def alone(self, student_dir: Path, exercise: Exercise) -> tuple[str, ExerciseResult]:
        future, local, _ = self._submit(student_dir, [exercise], suffix="-alone")
        if future is None:
            return local[0][1], local[0][2]
        _, _, content_hash, result = next(self._collect(future, student_dir, [exercise]))
        return content_hash, result


def _local_grader(
    jobs: dict[Path, list[Exercise]],
    exercises: list[Exercise],
    salt: int,
    workers: int | None,
    processes: int | None,
    isolation: Isolation | None,
) -> _Local:
    """Where the jobs run on this machine: forked grader processes or this process's threads."""
    assert isolation is not None
    cores = usable_cores()
    forks = grader_processes(processes, len(jobs), cores)
    if forks == 1:
        return _Local(workers or cores, salt, isolation)
    for exercise in exercises:  # planned here, once, for every forked grader to inherit
        plan_calls(exercise, salt)
    threads = workers or 2 * forks
    return _Processes(forks, -(-threads // forks), salt, isolation)


def _protection(
    isolation: Isolation | None,
    cluster: Any,
    cluster_mode: str,
    versions: dict[str, str],
    exercises: list[Exercise],
    cluster_layers: dict[str, dict[str, Any]] | None,
) -> tuple[Isolation | None, dict]:
    """The layers that will protect the run and their record for the gradebook: a cluster's
    workers are asked (``preflight``, before anything is written, unless the caller did and
    gives their answers as ``cluster_layers``), this machine is probed."""
    if cluster is not None:
        layers = cluster_layers or preflight(
            cluster, cluster_mode, versions=versions, exercises=exercises
        )
        return isolation, {"summary": summary_of(layers), "mode": cluster_mode, "workers": layers}
    isolation = isolation or resolve_isolation("auto")
    return isolation, isolation.to_json()


def grade_cohort(
    submissions: Path,
    out: Path,
    exercises: list[Exercise],
    *,
    export_ids: list[str] | None = None,
    workers: int | None = None,
    processes: int | None = None,
    force: bool = False,
    on_start: Callable[[int], None] | None = None,
    on_done: Callable[[str, ExerciseResult, bool], None] | None = None,
    isolation: Isolation | None = None,
    cluster: Any = None,
    cluster_mode: str = "auto",
    cluster_layers: dict[str, dict[str, Any]] | None = None,
    allow_hypothesis_change: bool = False,
) -> CohortSummary:
    """Grade every student folder in ``submissions`` on ``exercises``; write exports to ``out``.

    ``workers``: students graded at once, shared by ``processes`` grader processes (defaults:
    :func:`grader_processes`, two workers per process or one per core in one; processes.py).
    ``isolation``: the layers around every worker (default: ``resolve_isolation("auto")``),
    recorded in the gradebook and in every result.  ``cluster``: a ``distributed.Client``
    to grade on instead of this machine, each worker with ``--isolation cluster_mode``
    (checked first by :func:`edu_chain.grading.cluster.preflight`, before anything is written).
    A gradebook graded with another Hypothesis is not resumed (``VersionChange``, nothing
    written) unless ``allow_hypothesis_change``; the versions are recorded in the book.
    """
    started = time.perf_counter()
    versions = grading_versions()
    check_resume(out / "gradebook.sqlite", versions, allow=allow_hypothesis_change)
    isolation, recorded = _protection(
        isolation, cluster, cluster_mode, versions, exercises, cluster_layers
    )
    out.mkdir(parents=True, exist_ok=True)
    book = Gradebook(out / "gradebook.sqlite")
    book.set_isolation(recorded)
    book.set_versions(versions)
    students = find_students(submissions)
    summary = CohortSummary(students=len(students), isolation=recorded["summary"])
    salt = book.case_salt
    for exercise in exercises:
        planned_cases(exercise, salt=salt)  # generate the shared cases before the threads
        summary.max_points[exercise.exercise_id] = exercise.max_points
    jobs = _pending(book, students, exercises, force, summary)
    if on_start:
        on_start(sum(len(pending) for pending in jobs.values()))
    grader = (
        _Cluster(cluster, salt, cluster_mode, summary)
        if cluster is not None
        else _local_grader(jobs, exercises, salt, workers, processes, isolation)
    )
    side_by_side = len(jobs) > 1 and (isinstance(grader, _Cluster) or grader.workers > 1)
    try:
        suspects = []
        for student_dir, exercise, content_hash, result in grader.batch(jobs):
            if side_by_side and result.interference:
                suspects.append((student_dir, exercise, result))
                continue  # not recorded: graded again below, alone
            book.record(student_dir.name, content_hash, exercise.fingerprint, result)
            summary.graded += 1
            if on_done:
                on_done(student_dir.name, result, False)
        for student_dir, exercise, first in suspects:  # one at a time: nothing else runs
            content_hash, result = grader.alone(student_dir, exercise)
            result = _with_rerun_note(result, first)
            book.record(student_dir.name, content_hash, exercise.fingerprint, result)
            summary.graded += 1
            summary.rerun += 1
            if on_done:
                on_done(student_dir.name, result, False)
        names = {s.name for s in students}
        current = {s: r for s, r in book.results().items() if s in names}
        _tally(summary, current, exercises)
        ids = export_ids or [e.exercise_id for e in exercises]
        write_all(out, current, ids, summary.isolation, versions=versions)
    finally:
        book.close()
    summary.seconds = time.perf_counter() - started
    return summary
