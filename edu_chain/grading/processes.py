"""Grade a cohort on several grader processes of this machine, so the grader uses every core.

The grader's own work (comparing answers with the reference, Hypothesis shrinking, the
diagnosis) is Python: one process runs it on one core at a time, whatever its threads, so a
single grader process left a two-core machine a quarter idle.  :class:`GraderProcesses` forks
``processes`` grader processes when a cohort starts; each runs ``threads`` threads that take
the students this process hands it and grade each exactly as a thread of the single-process
grader does (:func:`edu_chain.grading.cohort.grade_student`: one sandbox per student).  Each
student's results come back to this process, which alone writes the gradebook.

- **Fork, not spawn**: the children inherit the exercises, their planned cases and the salt as
  they are here, so nothing is pickled but student names and results, and every child grades
  on exactly the cases this process planned.  They are forked before any grading thread runs.
- **Nothing escapes the run**: children ignore Ctrl-C (this process stops them), die with this
  process (``PR_SET_PDEATHSIG``), and their students' sandboxes die with them.
- **No student lost**: the students a child that dies (out of memory, killed) had not reported
  go to the other children; if none is left (or none could be forked),
  :meth:`GraderProcesses.batch` hands them back as ``leftover`` and the cohort grades them in
  this process.
- **One search memory**: what a child's searches for minimal failing inputs learn
  (``runner._SEARCHES``, ``runner._SHRUNK``) comes back with its results and is passed on to the
  others, so a typical mistake is searched once for the cohort, as in one process.  It never
  changes what a student is shown: a replayed search gives what the search would.
"""

from __future__ import annotations

import contextlib
import ctypes
import multiprocessing
import multiprocessing.connection
import os
import pickle
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


def _child(connection: Any, threads: int, parent: int) -> None:
    """A grader process: ``threads`` threads grade the students the parent sends on
    ``connection`` (``("task", student, exercise ids)``) and send each one's results back with
    what its searches learned; ``("learn", entries)`` brings what the others learned;
    ``("stop",)`` ends the process once its students are graded."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _die_with_parent()
    if os.getppid() != parent:  # the parent died before the line above took effect
        os._exit(1)
    exercises: dict[str, Exercise] = _INHERITED["exercises"]
    salt: int = _INHERITED["salt"]
    isolation: Isolation = _INHERITED["isolation"]
    grade_student: GradeStudent = _INHERITED["grade"]
    runner.share_what_is_learned()
    tasks: queue.SimpleQueue[tuple[str, list[str]] | None] = queue.SimpleQueue()
    sending = threading.Lock()
    cpu_seen = [time.process_time(), WORKER_CPU.seconds]

    def work() -> None:
        while (task := tasks.get()) is not None:
            student, ids = task
            try:
                graded = grade_student(Path(student), [exercises[i] for i in ids], salt, isolation)
                rows = [(e.exercise_id, h, r.to_dict()) for e, h, r in graded]
            except Exception:  # a fault of the grader's own: the parent grades this student
                rows = None
            with sending:
                now = [time.process_time(), WORKER_CPU.seconds]
                spent = (now[0] - cpu_seen[0], now[1] - cpu_seen[1])
                cpu_seen[:] = now
                connection.send((student, rows, runner.learned(), *spent))

    pool = [threading.Thread(target=work, daemon=True) for _ in range(threads)]
    for thread in pool:
        thread.start()
    with contextlib.suppress(EOFError, OSError):  # the parent went away: stop
        while (message := connection.recv())[0] != "stop":
            if message[0] == "task":
                tasks.put((message[1], message[2]))
            else:
                runner.learn(message[1])
    for _ in pool:
        tasks.put(None)
    for thread in pool:
        thread.join()


class _Child:
    """The parent's side of one grader process: its pipe and the students it holds."""

    def __init__(self, context: Any, threads: int) -> None:
        self.connection, theirs = context.Pipe()
        self.process = context.Process(
            target=_child, args=(theirs, threads, os.getpid()), daemon=True
        )
        self.process.start()
        theirs.close()
        self.holding: list[str] = []  # students sent and not yet reported
        self.alive = True

    def send(self, message: tuple[Any, ...]) -> None:
        try:
            self.connection.send(message)
        except (OSError, ValueError):
            self.alive = False

    def stop(self) -> None:
        if self.process.is_alive():
            self.process.kill()
        self.process.join()
        self.connection.close()


class GraderProcesses:
    """``processes`` forked grader processes of ``threads`` threads each (module docstring),
    grading each student with ``grade``.

    Each process holds at most ``threads + 1`` students at a time (one waiting per busy
    thread): the next goes to whichever reports first, so no process idles while another has
    a queue, and a process that dies holds few.  Each has a pipe of its own: one dying in the
    middle of a message can garble only its own.
    """

    def __init__(
        self, processes: int, threads: int, salt: int, isolation: Isolation, grade: GradeStudent
    ) -> None:
        self.processes, self.threads = processes, threads
        self.salt, self.isolation, self.grade = salt, isolation, grade
        self.leftover: dict[Path, list[Exercise]] = {}

    def batch(self, jobs: dict[Path, list[Exercise]]) -> Graded:
        """Each student's results as its grader process reports them; the students of a
        process that died go to the others, and :attr:`leftover` keeps any no process took."""
        context = multiprocessing.get_context("fork")
        by_id = {e.exercise_id: e for pending in jobs.values() for e in pending}
        pending = {str(student): [e.exercise_id for e in work] for student, work in jobs.items()}
        unsent = list(pending)
        _INHERITED.update(
            exercises=by_id, salt=self.salt, isolation=self.isolation, grade=self.grade
        )
        children: list[_Child] = []
        try:
            for _ in range(self.processes):
                try:
                    children.append(_Child(context, self.threads))
                except OSError:  # no more processes (EAGAIN, ENOMEM): the others do it all
                    break
            for child in children:
                self._top_up(child, unsent, pending)
            yield from self._collect(children, unsent, pending, by_id)
        finally:
            for child in children:
                child.stop()
            _INHERITED.clear()
            self.leftover = {Path(s): [by_id[i] for i in ids] for s, ids in pending.items()}

    def _top_up(self, child: _Child, unsent: list[str], pending: dict[str, list[str]]) -> None:
        """Give ``child`` students up to its share, or tell it to stop when none are left."""
        while child.alive and unsent and len(child.holding) <= self.threads:
            student = unsent.pop(0)
            child.holding.append(student)
            child.send(("task", student, pending[student]))
        if child.alive and not unsent and not child.holding:
            child.send(("stop",))

    def _collect(
        self,
        children: list[_Child],
        unsent: list[str],
        pending: dict[str, list[str]],
        by_id: dict[str, Exercise],
    ) -> Graded:
        while pending and any(child.alive for child in children):
            for dead in [c for c in children if not c.alive and c.holding]:
                unsent[:0] = [s for s in dead.holding if s in pending]  # to the others
                dead.holding.clear()
                for other in children:
                    self._top_up(other, unsent, pending)
            live = {child.connection: child for child in children if child.alive}
            for ready in multiprocessing.connection.wait(list(live), timeout=POLL_SECONDS):
                child = live[ready]
                try:
                    student, rows, news, grader_cpu, worker_cpu = child.connection.recv()
                except (EOFError, OSError, pickle.UnpicklingError, ValueError):
                    child.alive = False  # died: the next round hands its students on
                    continue
                child.holding.remove(student)
                if rows is None:  # left in pending, for this process to grade at the end
                    self._top_up(child, unsent, pending)
                    continue
                if news:
                    for other in children:
                        if other is not child:
                            other.send(("learn", news))
                CHILD_GRADER_CPU.add(grader_cpu)
                WORKER_CPU.add(worker_cpu)
                pending.pop(student, None)
                self._top_up(child, unsent, pending)
                for exercise_id, content_hash, data in rows:
                    result = ExerciseResult.from_dict(data)
                    yield Path(student), by_id[exercise_id], content_hash, result
