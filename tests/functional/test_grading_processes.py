"""A cohort graded on several forked grader processes (``edu_chain/grading/processes.py``).

Oracle: the same cohort graded in one process.  Every result (points, status, feedback,
warnings, isolation) is identical, timing aside; no student is lost or counted twice, even
when a grader process dies mid-run.
"""

from __future__ import annotations

import dataclasses
import os
import shutil
from pathlib import Path

import pytest

from edu_chain.grading import cohort, grade_cohort, load_exercises, processes
from edu_chain.grading.cohort import grader_processes
from edu_chain.grading.gradebook import Gradebook
from edu_chain.grading.processes import fork_available

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "tests" / "fixtures" / "submissions"
IDS = ["merkle_root", "target", "mine", "retarget"]

pytestmark = pytest.mark.skipif(not fork_available(), reason="grader processes need fork")


def make_cohort(root: Path, students: int) -> Path:
    """Students with a correct file or a typical mistake per exercise, in turn."""
    subs = root / "subs"
    for number in range(students):
        folder = subs / f"student{number:02d}"
        folder.mkdir(parents=True)
        for position, exercise_id in enumerate(IDS):
            mistakes = sorted((FIXTURES / "mistakes").glob(f"{exercise_id}_*.py"))
            wrong = (number + position) % 2 == 0
            source = mistakes[number % len(mistakes)] if wrong else None
            shutil.copy(source or FIXTURES / "correct" / f"{exercise_id}.py", folder)
            if source:
                (folder / source.name).rename(folder / f"{exercise_id}.py")
    return subs


def results(out: Path) -> dict:
    book = Gradebook(out / "gradebook.sqlite")
    try:
        return {
            (student, exercise_id): dataclasses.replace(result, seconds=0.0)
            for student, by_id in book.results().items()
            for exercise_id, result in by_id.items()
        }
    finally:
        book.close()


@pytest.fixture(scope="module")
def exercises():
    return load_exercises(ROOT / "exercises", IDS)


def test_grades_and_feedback_are_those_of_one_process(tmp_path, monkeypatch, exercises):
    monkeypatch.setenv("EDUCHAIN_CASE_SALT", "7")
    subs = make_cohort(tmp_path, 6)
    one = grade_cohort(subs, tmp_path / "one", exercises, workers=2, processes=1)
    two = grade_cohort(subs, tmp_path / "two", exercises, workers=4, processes=2)
    assert one.graded == two.graded == 6 * len(IDS)
    expected = results(tmp_path / "one")
    assert len(expected) == 6 * len(IDS)
    assert results(tmp_path / "two") == expected
    assert any(r.points < r.max_points for r in expected.values())  # mistakes were graded
    assert (tmp_path / "two" / "grades.csv").read_text() == (
        tmp_path / "one" / "grades.csv"
    ).read_text()


@pytest.mark.parametrize("deaths", ["first", "every", "raises"])
def test_a_grader_process_that_dies_loses_no_student(tmp_path, monkeypatch, exercises, deaths):
    """A child dies as it takes student03: with ``first``, only the first child that does
    (the other child grades what it held); with ``every``, each child that takes it (what is
    left is graded by this process); with ``raises``, the child's grading raises instead (a
    fault of the grader's own: this process grades that student).  Every student once, with a
    single-process run's grades."""
    monkeypatch.setenv("EDUCHAIN_CASE_SALT", "7")
    subs = make_cohort(tmp_path, 8)
    grade_cohort(subs, tmp_path / "one", exercises, workers=2, processes=1)
    parent = os.getpid()
    real = cohort.grade_student
    marker = tmp_path / "a child died"

    def dies_in_a_child(student_dir, *args):
        if os.getpid() != parent and student_dir.name == "student03":
            if deaths == "raises":
                marker.touch()
                raise RuntimeError("a bug in the grader")
            if deaths == "every" or not marker.exists():
                marker.touch()
                os._exit(9)
        return real(student_dir, *args)

    monkeypatch.setattr(cohort, "grade_student", dies_in_a_child)
    done: list[tuple[str, str]] = []
    summary = grade_cohort(
        subs,
        tmp_path / "two",
        exercises,
        workers=4,
        processes=2,
        on_done=lambda student, result, _: done.append((student, result.exercise_id)),
    )
    assert marker.exists()  # a child did die
    assert sorted(done) == sorted(set(done))  # none counted twice
    assert len(done) == summary.graded == 8 * len(IDS)
    assert results(tmp_path / "two") == results(tmp_path / "one")


def test_when_no_grader_process_can_be_forked_this_process_grades(tmp_path, monkeypatch, exercises):
    monkeypatch.setenv("EDUCHAIN_CASE_SALT", "7")
    subs = make_cohort(tmp_path, 8)
    grade_cohort(subs, tmp_path / "one", exercises, workers=2, processes=1)

    def no_fork(*args):
        raise BlockingIOError(11, "Resource temporarily unavailable")

    monkeypatch.setattr(processes._Child, "__init__", no_fork)
    summary = grade_cohort(subs, tmp_path / "two", exercises, workers=4, processes=2)
    assert summary.graded == 8 * len(IDS)
    assert results(tmp_path / "two") == results(tmp_path / "one")


def test_large_cohorts_use_a_process_per_core_and_small_ones_one():
    assert grader_processes(None, students=8, cores=2) == 2
    assert grader_processes(None, students=7, cores=2) == 1
    assert grader_processes(3, students=1, cores=2) == 3
    assert grader_processes(None, students=1000, cores=1) == 1


def test_the_cores_counted_are_those_this_process_may_use(monkeypatch):
    """A container's or taskset's share, not the host's count (a 64-core host running the
    grader on 2 must not fork 64 grader processes)."""
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: {0, 1}, raising=False)
    monkeypatch.setattr(os, "cpu_count", lambda: 64)
    assert cohort.usable_cores() == 2
