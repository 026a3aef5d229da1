"""Grade a whole cohort: every student folder x every exercise, in parallel, resumable.

:func:`grade_cohort` is what ``educhain grade`` calls.  Jobs (student, exercise) run on a
thread pool of ``workers`` threads; each thread only waits on its sandboxed worker process, so
``workers`` is the number of student processes running at once.  Every result is written to
the gradebook as soon as it is known, then all exports are (re)written from the gradebook.

Isolated re-runs (DESIGN.md section 8: nothing a submission does may touch anyone else's
grade).  The audit hook cannot refuse every way of signalling another process of the same
user (``os.pidfd_open`` + ``signal.pidfd_send_signal`` raise no audit event), so while
submissions run side by side one of them could kill or stop its neighbour's worker.  Every
result whose failure another process could have caused (``ExerciseResult.interference``: the
worker died before answering, hit the wall clock, or saw a KeyboardInterrupt) is therefore
not kept: after the parallel phase such submissions are graded again one at a time, with no
other student code running, and the second result is recorded with a note saying so.  A
submission that crashes by itself crashes again alone (same grade); a victim gets its true
grade.  When the grader runs as root, workers also run under their own uids
(:func:`edu_chain.grading.sandbox.sandbox_uid_status`), so the kernel refuses such signals.

The grader itself is not protected by the re-runs: when workers run as the grader's own user,
a submission can kill the grader.  The run then stops with a non-zero status; every result
recorded so far is in the gradebook and re-running ``educhain grade`` resumes (the results
still waiting for their isolated re-run were not recorded, so they are graded again).
"""

from __future__ import annotations

import dataclasses
import os
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from pathlib import Path

from edu_chain.grading.exports import write_all
from edu_chain.grading.gradebook import Gradebook
from edu_chain.grading.manifest import Exercise
from edu_chain.grading.notebook import SubmissionError, find_students, find_submission
from edu_chain.grading.runner import ExerciseResult, grade_cells, planned_cases, zero
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


def _grade_one(
    student_dir: Path,
    exercise: Exercise,
    salt: int,
    isolation: Isolation | None = None,
    sandbox: Sandbox | None = None,
) -> tuple[str, ExerciseResult]:
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


def grade_cohort(
    submissions: Path,
    out: Path,
    exercises: list[Exercise],
    *,
    export_ids: list[str] | None = None,
    workers: int | None = None,
    force: bool = False,
    on_start: Callable[[int], None] | None = None,
    on_done: Callable[[str, ExerciseResult, bool], None] | None = None,
    isolation: Isolation | None = None,
) -> CohortSummary:
    """Grade every student folder in ``submissions`` on ``exercises``; write exports to ``out``.

    ``isolation``: the layers around every worker (default: ``resolve_isolation("auto")``),
    recorded in the gradebook and in every result.
    """
    import time

    started = time.perf_counter()
    isolation = isolation or resolve_isolation("auto")
    out.mkdir(parents=True, exist_ok=True)
    book = Gradebook(out / "gradebook.sqlite")
    book.set_isolation(isolation.to_json())
    students = find_students(submissions)
    summary = CohortSummary(students=len(students), isolation=isolation.summary)
    salt = book.case_salt
    for exercise in exercises:
        planned_cases(exercise, salt=salt)  # generate the shared cases before the threads
        summary.max_points[exercise.exercise_id] = exercise.max_points
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
    if on_start:
        on_start(sum(len(pending) for pending in jobs.values()))
    threads = workers or os.cpu_count() or 1
    side_by_side = threads > 1 and len(jobs) > 1
    try:
        suspects = []
        with ThreadPoolExecutor(max_workers=threads) as pool:
            futures = {
                pool.submit(grade_student, s, pending, salt, isolation): s
                for s, pending in jobs.items()
            }
            for future in as_completed(futures):
                student_dir = futures[future]
                for exercise, content_hash, result in future.result():
                    if side_by_side and result.interference:
                        suspects.append((student_dir, exercise, result))
                        continue  # not recorded: graded again below, alone
                    book.record(student_dir.name, content_hash, exercise.fingerprint, result)
                    summary.graded += 1
                    if on_done:
                        on_done(student_dir.name, result, False)
        for student_dir, exercise, first in suspects:  # one at a time: nothing else runs
            content_hash, result = grade_one(student_dir, exercise, salt, isolation)
            result = _with_rerun_note(result, first)
            book.record(student_dir.name, content_hash, exercise.fingerprint, result)
            summary.graded += 1
            summary.rerun += 1
            if on_done:
                on_done(student_dir.name, result, False)
        everything = book.results()
        names = {s.name for s in students}
        current = {s: r for s, r in everything.items() if s in names}
        for by_id in current.values():
            for exercise in exercises:
                if exercise.exercise_id in by_id:
                    result = by_id[exercise.exercise_id]
                    summary.statuses[result.status] += 1
                    summary.points.setdefault(exercise.exercise_id, []).append(result.points)
        write_all(out, current, export_ids or [e.exercise_id for e in exercises], isolation.summary)
    finally:
        book.close()
    summary.seconds = time.perf_counter() - started
    return summary
