"""``benchmarks/grading.py`` runs from a checkout, grades every exercise of the curriculum,
and times real grading (not submissions that fail fast).

Oracles: ``exercises/curriculum.toml`` (the exercise set), the fixtures' own labels (every
``correct/`` file scores full marks through the sandbox, no ``mistakes/`` file does) and the
reference (the in-process comparison agrees with it on every case).  Tiny cohorts: no timing
is asserted here, the figures are the script's job.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "benchmarks" / "grading.py"


def run(*args: str) -> dict:
    result = subprocess.run(
        [sys.executable, str(SCRIPT), "--json", "--students", "1", *args],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=ROOT,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


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
