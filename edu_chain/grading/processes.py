"""Grade a cohort on several grader processes of this machine, so the grader uses every core.

The grader's own work (comparing answers with the reference, Hypothesis shrinking, the
diagnosis) is Python: one process runs it on one core at a time, whatever its threads, so a
single grader process left a two-core machine a quarter idle.  :class:`GraderProcesses` forks
``processes`` grader processes when a cohort starts; each runs ``threads`` threads that take
the next student from one shared queue and grade it exactly as a thread of the single-process
grader does (:func:`edu_chain.grading.cohort.grade_student`: one sandbox per student).  Each
student's results come back to this process, which alone writes the gradebook.

- **Fork, not spawn**: the children inherit the exercises, their planned cases and the salt as
  they are here, so nothing is pickled but student names and results, and every child grades
  on exactly the cases this process planned.  They are forked before any grading thread runs.
- **Nothing escapes the run**: children ignore Ctrl-C (this process stops them), die with this
  process (``PR_SET_PDEATHSIG``), and their students' sandboxes die with them.
- **No student lost**: a child that dies (out of memory, killed) loses only the students it had
  not reported; :meth:`GraderProcesses.batch` hands those back as ``leftover`` and the cohort
  grades them in this process.
- **One search memory**: what a child's searches for minimal failing inputs learn
  (``runner._SEARCHES``, ``runner._SHRUNK``) comes back with its results and is passed on to the
  others, so a typical mistake is searched once for the cohort, as in one process.  It never
  changes what a student is shown: a replayed search gives what the search would.
"""

from __future__ import annotations

import contextlib
import ctypes
import multiprocessing
import os
import queue
import signal
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from edu_chain.grading import runner
from edu_chain.grading.manifest import Exercise
from edu_chain.grading.runner import ExerciseResult
from edu_chain.grading.sandbox import WORKER_CPU, Isolation, _CpuMeter

# CPU seconds the forked grader processes spent in their own code (their workers are in
# WORKER_CPU), reported with their results: what benchmarks/grading.py adds to this process's.
CHILD_GRADER_CPU = _CpuMeter()

PR_SET_PDEATHSIG = 1
POLL_SECONDS = 0.5

# What a forked child grades with: set just before the fork, read in the child.
_INHERITED: dict[str, Any] = {}

Graded = Iterator[tuple[Path, Exercise, str, ExerciseResult]]
# Grades one student's exercises in one sandbox: (student folder, exercises, salt, isolation)
# -> [(exercise, content hash, result)] (edu_chain.grading.cohort.grade_student).
GradeStudent = Callable[
    [Path, list[Exercise], int, Isolation], list[tuple[Exercise, str, ExerciseResult]]
]


def fork_available() -> bool:
    """Whether this platform can fork grader processes (Linux and the other Unixes)."""
    return "fork" in multiprocessing.get_all_start_methods()


def _die_with_parent() -> None:
    with contextlib.suppress(OSError, AttributeError):
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)


def _child(number: int, tasks: Any, results: Any, inbox: Any, threads: int, parent: int) -> None:
    """Grader process ``number``: ``threads`` threads grade students from ``tasks`` until each
    takes a ``None``; every student's results go to ``results`` as plain dicts, with what its
    searches learned; what the other processes learned arrives in ``inbox``."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _die_with_parent()
    if os.getppid() != parent:  # the parent died before the line above took effect
        os._exit(1)
    exercises: dict[str, Exercise] = _INHERITED["exercises"]
    salt: int = _INHERITED["salt"]
    isolation: Isolation = _INHERITED["isolation"]
    grade_student: GradeStudent = _INHERITED["grade"]
    cpu_lock = threading.Lock()
    cpu_seen = [time.process_time(), WORKER_CPU.seconds]

    def spent() -> tuple[float, float]:
        with cpu_lock:
            now = [time.process_time(), WORKER_CPU.seconds]
            delta = (now[0] - cpu_seen[0], now[1] - cpu_seen[1])
            cpu_seen[:] = now
        return delta

    def catch_up() -> None:
        while True:
            try:
                runner.learn(inbox.get_nowait())
            except queue.Empty:
                return

    runner.share_what_is_learned()

    def work() -> None:
        while (task := tasks.get()) is not None:
            catch_up()
            student, ids = task
            graded = grade_student(Path(student), [exercises[i] for i in ids], salt, isolation)
            rows = [(e.exercise_id, content_hash, r.to_dict()) for e, content_hash, r in graded]
            results.put((number, student, rows, runner.learned(), *spent()))

    pool = [threading.Thread(target=work, daemon=True) for _ in range(threads)]
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join()
    results.close()
    results.join_thread()  # every result is in the pipe before the process ends


class GraderProcesses:
    """``processes`` forked grader processes of ``threads`` threads each (module docstring),
    grading each student with ``grade``."""

    def __init__(
        self, processes: int, threads: int, salt: int, isolation: Isolation, grade: GradeStudent
    ) -> None:
        self.processes, self.threads = processes, threads
        self.salt, self.isolation, self.grade = salt, isolation, grade
        self.leftover: dict[Path, list[Exercise]] = {}

    def batch(self, jobs: dict[Path, list[Exercise]]) -> Graded:
        """Each student's results as its grader process reports them; students a dead child
        never reported are left in :attr:`leftover`."""
        context = multiprocessing.get_context("fork")
        tasks, results = context.Queue(), context.Queue()
        inboxes = [context.Queue() for _ in range(self.processes)]
        by_id = {e.exercise_id: e for pending in jobs.values() for e in pending}
        _INHERITED.update(
            exercises=by_id, salt=self.salt, isolation=self.isolation, grade=self.grade
        )
        for student, pending in jobs.items():
            tasks.put((str(student), [e.exercise_id for e in pending]))
        for _ in range(self.processes * self.threads):
            tasks.put(None)
        children = [
            context.Process(
                target=_child,
                args=(n, tasks, results, inboxes[n], self.threads, os.getpid()),
                name=f"educhain-grader-{n}",
                daemon=True,
            )
            for n in range(self.processes)
        ]
        waiting = {str(student): pending for student, pending in jobs.items()}
        try:
            for child in children:
                child.start()
            yield from self._collect(results, children, inboxes, waiting, by_id)
        finally:
            for child in children:
                if child.is_alive():
                    child.kill()
                child.join()
            _INHERITED.clear()
            for channel in (tasks, *inboxes):
                channel.cancel_join_thread()
            self.leftover = {Path(student): pending for student, pending in waiting.items()}

    def _collect(
        self,
        results: Any,
        children: list[Any],
        inboxes: list[Any],
        waiting: dict[str, list[Exercise]],
        by_id: dict[str, Exercise],
    ) -> Graded:
        while waiting:
            try:
                sender, student, rows, news, grader_cpu, worker_cpu = results.get(
                    timeout=POLL_SECONDS
                )
            except queue.Empty:
                if not any(child.is_alive() for child in children):
                    return  # every child ended: what is still waiting is leftover
                continue
            if news:
                for number, inbox in enumerate(inboxes):
                    if number != sender and children[number].is_alive():
                        inbox.put(news)
            CHILD_GRADER_CPU.add(grader_cpu)
            WORKER_CPU.add(worker_cpu)
            waiting.pop(student, None)
            for exercise_id, content_hash, data in rows:
                result = ExerciseResult.from_dict(data)
                yield Path(student), by_id[exercise_id], content_hash, result
