"""Grade a whole cohort: every student folder x every exercise, in parallel, resumable.

:func:`grade_cohort` is what ``educhain grade`` calls.  Jobs (student, exercise) run on a
thread pool of ``workers`` threads; each thread only waits on its sandboxed worker process, so
``workers`` is the number of student processes running at once.  Every result is written to
the gradebook as soon as it is known, then all exports are (re)written from the gradebook.
"""

from __future__ import annotations

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


@dataclass
class CohortSummary:
    """What a grading run did (printed as the summary table)."""

    students: int = 0
    graded: int = 0  # submissions run in a worker this time
    skipped: int = 0  # unchanged since the last run
    statuses: Counter[str] = field(default_factory=Counter)
    points: dict[str, list[float]] = field(default_factory=dict)  # exercise -> points
    max_points: dict[str, float] = field(default_factory=dict)
    seconds: float = 0.0


def grade_one(student_dir: Path, exercise: Exercise, salt: int = 0) -> tuple[str, ExerciseResult]:
    """(content hash, result) for one student's submission of one exercise.

    ``salt`` reseeds the random check groups (the cohort's secret, kept in the gradebook).
    Never raises: a fault in the grader itself is recorded for this submission (status
    ``grader-error``, not cached as current) and the run goes on.
    """
    try:
        return _grade_one(student_dir, exercise, salt)
    except Exception as exc:
        message = f"Internal grader error ({type(exc).__name__}: {exc}); please tell the staff."
        return "grader-error", zero(exercise, "grader-error", message)


def _grade_one(student_dir: Path, exercise: Exercise, salt: int) -> tuple[str, ExerciseResult]:
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
    )
    return submission.content_hash, result


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
) -> CohortSummary:
    """Grade every student folder in ``submissions`` on ``exercises``; write exports to ``out``."""
    import time

    started = time.perf_counter()
    out.mkdir(parents=True, exist_ok=True)
    book = Gradebook(out / "gradebook.sqlite")
    students = find_students(submissions)
    summary = CohortSummary(students=len(students))
    salt = book.case_salt
    for exercise in exercises:
        planned_cases(exercise, salt=salt)  # generate the shared cases before the threads
        summary.max_points[exercise.exercise_id] = exercise.max_points
    jobs = []
    for student_dir in students:
        for exercise in exercises:
            content_hash = _pending_hash(student_dir, exercise)
            if not force and book.is_current(
                student_dir.name, exercise.exercise_id, content_hash, exercise.fingerprint
            ):
                summary.skipped += 1
                continue
            jobs.append((student_dir, exercise))
    if on_start:
        on_start(len(jobs))
    try:
        with ThreadPoolExecutor(max_workers=workers or os.cpu_count() or 1) as pool:
            futures = {pool.submit(grade_one, s, e, salt): (s, e) for s, e in jobs}
            for future in as_completed(futures):
                student_dir, exercise = futures[future]
                content_hash, result = future.result()
                book.record(student_dir.name, content_hash, exercise.fingerprint, result)
                summary.graded += 1
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
        write_all(out, current, export_ids or [e.exercise_id for e in exercises])
    finally:
        book.close()
    summary.seconds = time.perf_counter() - started
    return summary
