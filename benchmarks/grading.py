"""Grading throughput: N synthetic students x the five core exercises, through the sandbox.

    python benchmarks/grading.py [--json] [--students N] [--workers W]

A *full submission* is one student's five exercise files (sha256, merkle_root, merkle_proof,
target, mine); students are a mix of correct and typical-mistake fixtures.  Measured in the
same run:

- ``full_submissions_per_min``: ``educhain grade``'s engine (grade_cohort, --force) end to end,
  gradebook and exports included, with W workers (default: all cores);
- ``worker_start_s``: one sandboxed worker that loads nothing and runs no call (process
  start, rlimits, audit hook, JSON protocol, scratch dir), median of 15;
- ``bare_python_start_s``: the competitor for start-up, ``python -I -S -c pass``, median of 15;
- ``in_process_s_per_full_submission``: the same cases run in this process without a sandbox
  (what an unsafe grader would cost), and ``sandbox_overhead`` = sandboxed / in-process.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from edu_chain.grading import grade_cohort, load_exercises
from edu_chain.grading.runner import planned_cases
from edu_chain.grading.sandbox import Limits, run_worker

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = ROOT / "tests" / "fixtures" / "submissions"
IDS = ["sha256", "merkle_root", "merkle_proof", "target", "mine"]
MISTAKES = {
    "sha256": "sha256_padding",
    "merkle_root": "merkle_root_no_duplicate",
    "merkle_proof": "merkle_proof_root_first",
    "target": "target_no_sign_fix",
    "mine": "mine_strict_less",
}


def make_class(folder: Path, students: int) -> None:
    for number in range(students):
        student = folder / f"student{number:04d}"
        student.mkdir(parents=True)
        for position, exercise_id in enumerate(IDS):
            wrong = (number + position) % 3 == 0  # about a third of the files have a mistake
            source = FIXTURES / ("mistakes" if wrong else "correct")
            name = MISTAKES[exercise_id] if wrong else exercise_id
            shutil.copy(source / f"{name}.py", student / f"{exercise_id}.py")


def median_seconds(action, repeats: int = 15) -> float:
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        action()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def in_process_seconds(exercises) -> float:
    """The same cases, called directly in this process (no sandbox, no JSON)."""
    started = time.perf_counter()
    for exercise in exercises:
        namespace: dict = {}
        source = (FIXTURES / "correct" / f"{exercise.exercise_id}.py").read_text()
        exec(compile(source, exercise.exercise_id, "exec"), namespace)
        for _, case in planned_cases(exercise):
            with contextlib.suppress(ValueError):
                namespace[case.function](*case.args)
    return time.perf_counter() - started


def measure(students: int, workers: int) -> dict:
    exercises = [e for e in load_exercises(ROOT / "exercises") if e.exercise_id in IDS]
    for exercise in exercises:
        planned_cases(exercise)  # case generation is shared by the whole cohort: excluded
    with tempfile.TemporaryDirectory() as tmp:
        subs, out = Path(tmp) / "subs", Path(tmp) / "out"
        make_class(subs, students)
        started = time.perf_counter()
        summary = grade_cohort(subs, out, exercises, workers=workers, force=True)
        elapsed = time.perf_counter() - started
    worker_start = median_seconds(
        lambda: run_worker(cells=[""], functions=[], calls=[], banned=[], limits=Limits())
    )
    bare_start = median_seconds(
        lambda: subprocess.run([sys.executable, "-I", "-S", "-c", "pass"], check=True)
    )
    in_process = min(in_process_seconds(exercises) for _ in range(3))
    sandboxed_per_full = elapsed * workers / students  # core-seconds per full submission
    return {
        "students": students,
        "exercises": len(exercises),
        "workers": workers,
        "cores": os.cpu_count(),
        "graded": summary.graded,
        "seconds": round(elapsed, 3),
        "full_submissions_per_min": round(students / elapsed * 60, 1),
        "worker_start_s": round(worker_start, 4),
        "bare_python_start_s": round(bare_start, 4),
        "worker_start_ratio": round(worker_start / bare_start, 2),
        "in_process_s_per_full_submission": round(in_process, 4),
        "sandboxed_core_s_per_full_submission": round(sandboxed_per_full, 4),
        "sandbox_overhead": round(sandboxed_per_full / in_process, 1),
        "load_average": [round(x, 2) for x in os.getloadavg()],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true", help="print JSON for machines")
    parser.add_argument("--students", type=int, default=40)
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    options = parser.parse_args()
    result = measure(options.students, options.workers)
    if options.json:
        print(json.dumps(result, indent=2))
        return
    width = max(len(k) for k in result)
    for key, value in result.items():
        print(f"{key:<{width}}  {value}")
    print(f"\ntarget >= 60 full submissions/min: {result['full_submissions_per_min']} measured")


if __name__ == "__main__":
    main()
