"""Grading throughput: N synthetic students x every exercise (15), at each isolation level.

    python benchmarks/grading.py [--json] [--students N] [--workers W] [--processes P]
                                 [--exercises core|all]
                                 [--isolation os,process] [--cluster]

A *full submission* is one student's file for every exercise of the curriculum
(``exercises/curriculum.toml``: sha256 ... multisig, 15 files); ``--exercises core`` keeps
the first five (sha256, merkle_root, merkle_proof, target, mine), the earlier measure.
Students are a mix of the fixtures in ``tests/fixtures/submissions/``: about a third of each
student's files are a typical mistake (``mistakes/<exercise>_*.py``, taken in turn), the rest
correct.  Measured in the same run:

- ``full_submissions_per_min``: ``educhain grade``'s engine (grade_cohort, --force) end to end,
  gradebook and exports included, with W workers in P grader processes (default: as
  ``educhain grade`` chooses, see ``grade_cohort``: ``processes`` in the output), with the first
  isolation level given (default ``os``, the bubblewrap sandbox, when it works here);
  ``levels`` has the same run for each level (``os``, ``process``), each with its CPU seconds
  per full submission, split into the grader processes, the workers (as the sandbox's zygotes
  report them) and the start of the student's sandbox (``sandbox_start_cpu_s``: bubblewrap and
  the zygote's interpreter, which neither of the others sees), and ``capacity_per_min`` =
  cores x 60 / CPU seconds per full submission: the rate an otherwise idle machine would
  reach, the honest figure on a shared CPU;
- ``worker_start_s``: one worker in a new sandbox that loads nothing and runs no call (sandbox
  and interpreter start, rlimits, audit hook, JSON protocol, scratch dir), median of 15, and
  ``worker_fork_s``: the same in an already running sandbox (what each exercise costs);
- ``bare_python_start_s``: the competitor for start-up, ``python -I -S -c pass``, median of 15;
- with ``--cluster``: ``cluster`` has the same cohort graded on a local Dask cluster
  (``educhain grade --cluster local:N``) of 1 and of 2 worker processes, and the speed-up from
  1 to 2 workers (at most the number of free cores: on 2 shared cores, well below 2);
- ``in_process_s_per_full_submission``: the same cases run on the correct fixtures in this
  process without a sandbox (what an unsafe grader would cost), and ``sandbox_overhead`` =
  sandboxed core-seconds / in-process seconds;
- ``by_exercise``: where the CPU goes, per exercise, for correct and for mistaken files
  (milliseconds per file in the grader process and in the workers): the same cohort graded
  again one student at a time in one thread, so each file's grader CPU is its own.  A mistaken
  file costs the grader the search for its minimal failing input (Hypothesis shrinking) and
  the diagnosis; ``sequential_cpu_s_per_full_submission`` is that run's total, a figure that
  two grading threads competing for two cores do not inflate.

Sanity oracles, also in the output: every correct file scores full marks and no mistake file
does (``correct_full_marks`` / ``mistake_full_marks``), and the in-process run agrees with the
reference on every case (``in_process_mismatches`` = 0), so the figure times real grading.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from edu_chain.grading import Exercise, ExerciseResult, grade_cohort, load_exercises, runner
from edu_chain.grading.cohort import grade_one, grader_processes, usable_cores
from edu_chain.grading.gradebook import CASE_SALT_ENV
from edu_chain.grading.processes import CHILD_GRADER_CPU
from edu_chain.grading.runner import planned_cases
from edu_chain.grading.sandbox import (
    WORKER_CPU,
    Isolation,
    IsolationError,
    Limits,
    Sandbox,
    WorkerSession,
    resolve_isolation,
    run_worker,
)
from edu_chain.grading.spec import Raises, encode, same

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = ROOT / "tests" / "fixtures" / "submissions"
CORE = ["sha256", "merkle_root", "merkle_proof", "target", "mine"]


def mistakes_for(exercise_id: str) -> list[Path]:
    """The typical-mistake fixtures of one exercise (``mistakes/<id>_<what>.py``)."""
    found = sorted((FIXTURES / "mistakes").glob(f"{exercise_id}_*.py"))
    if not found:
        raise SystemExit(f"no mistake fixture for {exercise_id} in {FIXTURES / 'mistakes'}")
    return found


def make_class(folder: Path, students: int, ids: list[str]) -> dict[str, bool]:
    """Write the cohort; return {"student/exercise": is the file the correct fixture}."""
    correct = {}
    mistakes = {exercise_id: mistakes_for(exercise_id) for exercise_id in ids}
    for number in range(students):
        student = folder / f"student{number:04d}"
        student.mkdir(parents=True)
        for position, exercise_id in enumerate(ids):
            wrong = (number + position) % 3 == 0  # about a third of the files have a mistake
            choices = mistakes[exercise_id]
            source = choices[number % len(choices)] if wrong else None
            source = source or FIXTURES / "correct" / f"{exercise_id}.py"
            shutil.copy(source, student / f"{exercise_id}.py")
            correct[f"{student.name}/{exercise_id}"] = not wrong
    return correct


def median_seconds(action: Callable[[], object], repeats: int = 15) -> float:
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        action()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def in_process_run(exercises: list[Exercise]) -> tuple[dict[str, float], int]:
    """The same cases on the correct fixtures, called directly in this process (no sandbox,
    no JSON): (seconds per exercise, cases whose outcome differs from the reference)."""
    seconds = {}
    mismatches = 0
    for exercise in exercises:
        started = time.perf_counter()
        namespace: dict = {"__name__": exercise.exercise_id}
        source = (FIXTURES / "correct" / f"{exercise.exercise_id}.py").read_text()
        exec(compile(source, exercise.exercise_id, "exec"), namespace)
        for _, case in planned_cases(exercise):
            try:
                outcome = namespace[case.function](*case.args)
            except Exception as error:  # the sandbox reports any exception, so catch any here
                names = {klass.__name__ for klass in type(error).__mro__}
                ok = isinstance(case.expected, Raises) and case.expected.exception in names
            else:
                ok = not isinstance(case.expected, Raises) and _same(outcome, case.expected)
            mismatches += not ok
        seconds[exercise.exercise_id] = time.perf_counter() - started
    return seconds, mismatches


def _same(actual, expected) -> bool:
    """Equal as the grader compares them: in the JSON form (a tuple equals a list)."""
    try:
        return same(encode(actual), encode(expected))
    except TypeError:
        return False


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def sandbox_start_cpu(isolation: Isolation, repeats: int = 15) -> float:
    """CPU seconds to start (and close) one student's sandbox, its first worker excluded.

    A zygote's own CPU reaches this process's RUSAGE_CHILDREN only when this process waits
    for it, which it does for a plain zygote but not for one inside bubblewrap (that one dies
    with the sandbox's init): so the interpreter's start is measured on a plain zygote, and
    bubblewrap's own share on a sandbox of this level."""

    def per_start(level: Isolation) -> float:
        children, workers = _children_cpu(), WORKER_CPU.seconds
        for _ in range(repeats):
            with Sandbox(level) as sandbox:
                WorkerSession(
                    cells=[""], functions=[], calls=[], banned=[], limits=Limits(), sandbox=sandbox
                ).close()
        return max(0.0, _children_cpu() - children - (WORKER_CPU.seconds - workers)) / repeats

    plain = Isolation(os_sandbox=False, why_not_os="measuring", why_not_uid="measuring")
    return per_start(plain) + (per_start(isolation) if isolation.os_sandbox else 0.0)


def grade_once(
    subs: Path,
    exercises: list[Exercise],
    workers: int | None,
    isolation: Isolation,
    salt: int,
    start_cpu: float = 0.0,
    processes: int | None = None,
) -> tuple[dict, dict[str, bool]]:
    """One ``grade_cohort --force`` run: (figures, full marks by "student/exercise")."""
    full_marks: dict[str, bool] = {}

    def on_done(student: str, result: ExerciseResult, _skipped: bool) -> None:
        full_marks[f"{student}/{result.exercise_id}"] = result.points == result.max_points

    runner.forget_shrinks()  # every level starts with no shrink results to reuse
    students = sum(1 for p in subs.iterdir() if p.is_dir())
    previous = os.environ.get(CASE_SALT_ENV)
    os.environ[CASE_SALT_ENV] = str(salt)
    with tempfile.TemporaryDirectory() as out:
        try:
            grader_cpu = time.process_time() + CHILD_GRADER_CPU.seconds
            worker_cpu = WORKER_CPU.seconds
            started = time.perf_counter()
            summary = grade_cohort(
                subs,
                Path(out),
                exercises,
                workers=workers,
                processes=processes,
                force=True,
                on_done=on_done,
                isolation=isolation,
            )
            elapsed = time.perf_counter() - started
            grader_cpu = time.process_time() + CHILD_GRADER_CPU.seconds - grader_cpu
            worker_cpu = WORKER_CPU.seconds - worker_cpu
        finally:
            if previous is None:
                del os.environ[CASE_SALT_ENV]
            else:
                os.environ[CASE_SALT_ENV] = previous
    cpu_per_full = (grader_cpu + worker_cpu) / students + start_cpu
    return {
        "isolation": isolation.summary,
        "graded": summary.graded,
        "seconds": round(elapsed, 3),
        "full_submissions_per_min": round(students / elapsed * 60, 1),
        "files_per_s": round(summary.graded / elapsed, 1),
        "grader_cpu_s_per_full": round(grader_cpu / students, 4),
        "worker_cpu_s_per_full": round(worker_cpu / students, 4),
        "sandbox_start_cpu_s": round(start_cpu, 4),
        "capacity_per_min": round((os.cpu_count() or 1) * 60 / cpu_per_full, 1),
        "load_average": round(os.getloadavg()[0], 2),
    }, full_marks


def cpu_by_exercise(
    subs: Path, exercises: list[Exercise], isolation: Isolation, salt: int, correct: dict
) -> tuple[dict, float]:
    """CPU milliseconds per file by exercise, correct and mistaken files apart, and the CPU
    seconds per full submission of this run: each student in its own sandbox, as
    ``grade_cohort`` does, but one at a time in this thread (thread CPU is then per file)."""
    runner.forget_shrinks()  # like a cohort run: no shrink results to reuse at the start
    spent: dict[tuple[str, str], list[float]] = {}
    students = sorted(p for p in subs.iterdir() if p.is_dir())
    scratch_mb = max(e.limits.scratch_mb for e in exercises)
    total = time.process_time() + WORKER_CPU.seconds
    for student in students:
        with Sandbox(isolation, scratch_mb=scratch_mb) as sandbox:
            for exercise in exercises:
                grader, workers = time.thread_time(), WORKER_CPU.seconds
                grade_one(student, exercise, salt, isolation, sandbox)
                kind = "correct" if correct[f"{student.name}/{exercise.exercise_id}"] else "mistake"
                entry = spent.setdefault((exercise.exercise_id, kind), [0, 0.0, 0.0])
                entry[0] += 1
                entry[1] += time.thread_time() - grader
                entry[2] += WORKER_CPU.seconds - workers
    total = time.process_time() + WORKER_CPU.seconds - total
    table: dict[str, dict] = {}
    for (exercise_id, kind), (files, grader, workers) in spent.items():
        table.setdefault(exercise_id, {})[kind] = {
            "files": int(files),
            "grader_cpu_ms": round(grader / files * 1000, 1),
            "worker_cpu_ms": round(workers / files * 1000, 1),
        }
    return table, total / len(students)


def cluster_speedup(subs: Path, exercises: list[Exercise], mode: str, salt: int) -> dict:
    """The cohort on a local Dask cluster of 1, then 2 worker processes (rates and speed-up)."""
    from edu_chain.grading.cluster import connect

    rates = {}
    previous = os.environ.get(CASE_SALT_ENV)
    os.environ[CASE_SALT_ENV] = str(salt)
    students = sum(1 for p in subs.iterdir() if p.is_dir())
    try:
        for count in (1, 2):
            client = connect(local_workers=count)
            try:
                client.run(runner.forget_shrinks)
                with tempfile.TemporaryDirectory() as out:
                    started = time.perf_counter()
                    grade_cohort(
                        subs, Path(out), exercises, force=True, cluster=client, cluster_mode=mode
                    )
                    rates[count] = students / (time.perf_counter() - started) * 60
            finally:
                cluster = client.cluster
                client.close()
                cluster.close()
    finally:
        if previous is None:
            del os.environ[CASE_SALT_ENV]
        else:
            os.environ[CASE_SALT_ENV] = previous
    return {
        "full_submissions_per_min_1_worker": round(rates[1], 1),
        "full_submissions_per_min_2_workers": round(rates[2], 1),
        "speedup_1_to_2_workers": round(rates[2] / rates[1], 2),
    }


def measure(
    students: int,
    workers: int | None,
    which: str = "all",
    levels: str = "os,process",
    cluster: bool = False,
    processes: int | None = None,
) -> dict:
    exercises = load_exercises(ROOT / "exercises")  # curriculum order
    if which == "core":
        exercises = [e for e in exercises if e.exercise_id in CORE]
    ids = [e.exercise_id for e in exercises]
    # The gradebook draws a secret salt for the random groups; pin it, so that the cases
    # generated here (excluded from the timing) are the ones grade_cohort uses.
    salt = 1
    cases = 0
    for exercise in exercises:
        cases += len(planned_cases(exercise, salt=salt))  # once for the cohort: excluded
    isolations: dict[str, Isolation] = {}
    skipped: dict[str, str] = {}
    for level in levels.split(","):
        try:
            isolations[level] = resolve_isolation(level)
        except IsolationError as error:
            skipped[level] = str(error)
    if not isolations:
        raise SystemExit(f"no isolation level works here: {skipped}")
    figures: dict[str, dict] = {}
    with tempfile.TemporaryDirectory() as tmp:
        subs = Path(tmp) / "subs"
        correct = make_class(subs, students, ids)
        for level, isolation in isolations.items():
            start_cpu = sandbox_start_cpu(isolation)
            figures[level], full_marks = grade_once(
                subs, exercises, workers, isolation, salt, start_cpu, processes
            )
            figures[level]["correct_full_marks"] = sum(
                full_marks.get(key, False) for key, ok in correct.items() if ok
            )
            figures[level]["mistake_full_marks"] = sum(
                full_marks.get(key, False) for key, ok in correct.items() if not ok
            )
        speedup = cluster_speedup(subs, exercises, next(iter(isolations)), salt) if cluster else {}
        first = next(iter(isolations.values()))
        breakdown, sequential_cpu = cpu_by_exercise(subs, exercises, first, salt, correct)
    worker_start = median_seconds(
        lambda: run_worker(
            cells=[""], functions=[], calls=[], banned=[], limits=Limits(), isolation=first
        )
    )
    with Sandbox(first) as sandbox:
        worker_fork = median_seconds(
            lambda: WorkerSession(
                cells=[""], functions=[], calls=[], banned=[], limits=Limits(), sandbox=sandbox
            ).close()
        )
    bare_start = median_seconds(
        lambda: subprocess.run([sys.executable, "-I", "-S", "-c", "pass"], check=True)
    )
    runs = [in_process_run(exercises) for _ in range(3)]
    by_exercise = {
        exercise_id: min(seconds[exercise_id] for seconds, _ in runs) for exercise_id in ids
    }
    in_process = min(sum(seconds.values()) for seconds, _ in runs)
    main_level = figures[next(iter(isolations))]
    first_start = main_level["sandbox_start_cpu_s"]
    cpu_per_full = (
        main_level["grader_cpu_s_per_full"]
        + main_level["worker_cpu_s_per_full"]
        + main_level["sandbox_start_cpu_s"]
    )
    report = {
        "exercise_set": which,
        "students": students,
        "exercises": len(exercises),
        "cases_per_full_submission": cases,
        "workers": workers or "default",
        "processes": grader_processes(processes, students, usable_cores()),
        "cores": os.cpu_count(),
        "isolation": main_level["isolation"],
        "graded": main_level["graded"],
        "correct_files": sum(correct.values()),
        "correct_full_marks": main_level["correct_full_marks"],
        "mistake_files": sum(not ok for ok in correct.values()),
        "mistake_full_marks": main_level["mistake_full_marks"],
        "seconds": main_level["seconds"],
        "full_submissions_per_min": main_level["full_submissions_per_min"],
        "capacity_per_min": main_level["capacity_per_min"],
        "levels": figures,
        "levels_unavailable": skipped,
        "cluster": speedup,
        "worker_start_s": round(worker_start, 4),
        "worker_fork_s": round(worker_fork, 4),
        "bare_python_start_s": round(bare_start, 4),
        "worker_start_ratio": round(worker_start / bare_start, 2),
        "in_process_s_per_full_submission": round(in_process, 4),
        "in_process_mismatches": max(mismatches for _, mismatches in runs),
        "in_process_s_by_exercise": {k: round(v, 4) for k, v in by_exercise.items()},
        "sandboxed_cpu_s_per_full_submission": round(cpu_per_full, 4),
        "sandbox_overhead": round(cpu_per_full / in_process, 2),
        "sequential_cpu_s_per_full_submission": round(sequential_cpu + first_start, 4),
        "by_exercise": breakdown,
        "load_average": [round(x, 2) for x in os.getloadavg()],
    }
    if "os" in figures and "process" in figures:
        report["os_vs_process_rate"] = round(
            figures["os"]["full_submissions_per_min"]
            / figures["process"]["full_submissions_per_min"],
            2,
        )
    return report


def print_breakdown(breakdown: dict) -> None:
    print("\nCPU ms per file, one student at a time (grader process / workers):")
    print(f"  {'exercise':<16}{'correct files':>24}{'mistaken files':>24}")
    for exercise_id, kinds in breakdown.items():
        cells = []
        for kind in ("correct", "mistake"):
            entry = kinds.get(kind)
            cells.append(
                f"{entry['grader_cpu_ms']:.1f} / {entry['worker_cpu_ms']:.1f} ({entry['files']})"
                if entry
                else "-"
            )
        print(f"  {exercise_id:<16}{cells[0]:>24}{cells[1]:>24}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true", help="print JSON for machines")
    parser.add_argument("--students", type=int, default=40)
    parser.add_argument(
        "--workers", type=int, default=None, help="students graded at once (default: as grade)"
    )
    parser.add_argument(
        "--processes", type=int, default=None, help="grader processes (default: as grade)"
    )
    parser.add_argument(
        "--exercises",
        choices=["core", "all"],
        default="all",
        help="all: the 15 exercises of the curriculum (default); core: the first five",
    )
    parser.add_argument(
        "--isolation",
        default="os,process",
        help="comma-separated levels to measure, the first one headlines (default: os,process)",
    )
    parser.add_argument(
        "--cluster", action="store_true", help="also time a local Dask cluster of 1 and 2 workers"
    )
    options = parser.parse_args()
    result = measure(
        options.students,
        options.workers,
        options.exercises,
        options.isolation,
        options.cluster,
        options.processes,
    )
    if options.json:
        print(json.dumps(result, indent=2))
        return
    breakdown = result.pop("by_exercise")
    width = max(len(k) for k in result)
    for key, value in result.items():
        print(f"{key:<{width}}  {value}")
    print_breakdown(breakdown)
    print(
        f"\n{result['full_submissions_per_min']} full submissions/min with {result['isolation']} "
        f"({result['exercises']} exercises each), load average {result['load_average'][0]} on "
        f"{result['cores']} cores; {result['capacity_per_min']}/min on idle cores at "
        f"{result['sandboxed_cpu_s_per_full_submission']} CPU s per full submission"
    )


if __name__ == "__main__":
    main()
