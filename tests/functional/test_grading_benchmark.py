"""``benchmarks/grading.py`` runs from a checkout, grades every exercise of the curriculum,
and times real grading (not submissions that fail fast).

Oracles: ``exercises/curriculum.toml`` (the exercise set), the fixtures' own labels (every
``correct/`` file scores full marks through the sandbox, no ``mistakes/`` file does) and the
reference (the in-process comparison agrees with it on every case).  Tiny cohorts: no timing
is asserted here, the figures are the script's job.
"""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from tests.functional.bench_runner import run_benchmark

ROOT = Path(__file__).resolve().parents[2]


def run(*args: str) -> dict:
    return run_benchmark("grading", "--students", "1", *args, timeout=120)


@pytest.mark.parametrize(("which", "count"), [("all", None), ("core", 5)])
def test_benchmark_grades_real_submissions_of_the_chosen_set(which, count):
    curriculum = tomllib.loads((ROOT / "exercises" / "curriculum.toml").read_text())
    ids = [entry["id"] for entry in curriculum["exercise"]]
    report = run("--exercises", which) if which == "core" else run()  # default: all
    expected = ids if count is None else ids[:count]
    assert report["exercise_set"] == which
    assert list(report["in_process_s_by_exercise"]) == expected
    assert report["exercises"] == report["graded"] == len(expected)
    assert report["correct_files"] + report["mistake_files"] == len(expected)
    assert report["mistake_files"] >= 1
    assert report["correct_full_marks"] == report["correct_files"]
    assert report["mistake_full_marks"] == 0
    assert report["in_process_mismatches"] == 0
    for key in ("full_submissions_per_min", "worker_start_s", "bare_python_start_s"):
        assert report[key] > 0
    for level in report["levels"].values():  # starting a sandbox costs CPU, and it is counted
        assert level["sandbox_start_cpu_s"] > 0
