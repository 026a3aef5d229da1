"""Grading on Dask: ``educhain grade --scheduler tcp://HOST:PORT`` or ``--cluster local:N``.

The instructor's machine keeps everything that decides a grade's bookkeeping: it reads the
submissions (symbolic links and oversized files are refused here, as in a local run), keeps
``gradebook.sqlite`` and writes every export.  A Dask worker (a lab PC running ``dask worker``
with edu_chain installed) receives one task per student: the student's code, the exercises'
manifests and the cohort's salt.  It grades them exactly as a local run does
(:func:`edu_chain.grading.runner.grade_cells`, one OS sandbox per student with a fresh worker
per exercise) and sends back plain result dictionaries.

Each task's key is derived from the student, the content hash of every submission in it, the
exercise fingerprints, the salt and the isolation mode.  When a worker dies, the scheduler
runs its tasks again elsewhere; results are recorded per (student, exercise) as they arrive,
so a student is never lost or counted twice, and an interrupted run resumes from the gradebook.

Before anything is written, :func:`preflight` asks every worker to import edu_chain, set up
the requested isolation, and say its Hypothesis version and its fingerprint of every exercise:
a worker that cannot, or that would grade differently from this machine (another Hypothesis
draws other random check groups), is a one-line error naming it.
"""

from __future__ import annotations

import hashlib
import tempfile
from collections.abc import Sequence
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any

from edu_chain.grading.manifest import Exercise, load_exercise

LOCAL_PREFIX = "local:"
CONNECT_TIMEOUT_S = 10


class ClusterError(Exception):
    """The cluster cannot grade this run (one line: why)."""


@dataclass(frozen=True)
class ShippedExercise:
    """What a worker needs to rebuild an :class:`Exercise` and check it is the same one."""

    exercise_id: str
    manifest: str  # exercise.toml, as the instructor has it
    limits: dict[str, Any]
    fingerprint: str

    @classmethod
    def of(cls, exercise: Exercise) -> ShippedExercise:
        manifest = (exercise.directory / "exercise.toml").read_text(encoding="utf-8")
        return cls(exercise.exercise_id, manifest, asdict(exercise.limits), exercise.fingerprint)


def parse_local(text: str) -> int:
    """``local:N`` -> N (at least 1), or :class:`ClusterError`."""
    count = text.removeprefix(LOCAL_PREFIX)
    if not text.startswith(LOCAL_PREFIX) or not count.isdigit() or int(count) < 1:
        raise ClusterError(f"--cluster must be local:N with N >= 1 workers, not {text!r}")
    return int(count)


def connect(scheduler: str | None = None, local_workers: int | None = None) -> Any:
    """A ``distributed.Client`` for an existing scheduler, or for a new local cluster."""
    try:
        from distributed import Client, LocalCluster
    except ImportError:
        raise ClusterError(
            "grading on a cluster needs the 'distributed' package: pip install 'edu-chain[cluster]'"
        ) from None
    if local_workers is not None:
        cluster = LocalCluster(
            n_workers=local_workers,
            threads_per_worker=1,
            processes=True,
            host="127.0.0.1",
            dashboard_address=None,
        )
        return Client(cluster)
    try:
        return Client(scheduler, timeout=CONNECT_TIMEOUT_S)
    except (OSError, TimeoutError, ValueError) as exc:
        reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise ClusterError(f"cannot reach the Dask scheduler at {scheduler}: {reason}") from None


def _worker_layers(mode: str, shipped: Sequence[ShippedExercise] = ()) -> dict[str, Any]:
    """Run on every worker by :func:`preflight`: the isolation it gives (or raises), the
    Hypothesis and Python versions it grades with, and its fingerprint of each exercise."""
    from edu_chain.grading.manifest import grading_versions
    from edu_chain.grading.sandbox import resolve_isolation

    answer = {**resolve_isolation(mode).to_json(), "versions": grading_versions()}
    with tempfile.TemporaryDirectory(prefix="educhain-manifests-") as tmp:
        fingerprints = {}
        for item in shipped:
            directory = Path(tmp) / item.exercise_id
            directory.mkdir()
            (directory / "exercise.toml").write_text(item.manifest, encoding="utf-8")
            fingerprints[item.exercise_id] = load_exercise(directory).fingerprint
    return {**answer, "fingerprints": fingerprints}


def preflight(
    client: Any,
    mode: str,
    *,
    versions: dict[str, str] | None = None,
    exercises: Sequence[Exercise] = (),
) -> dict[str, dict[str, Any]]:
    """Every worker's isolation, by address; :class:`ClusterError` for a worker that lacks
    edu_chain, or a working OS sandbox under ``--isolation os``, or for a cluster with none;
    given this machine's ``versions`` (``grading_versions()``), for a worker with another
    Hypothesis, which would draw other random check groups than a local run; and for a worker
    that fingerprints one of ``exercises`` differently (another edu_chain)."""
    try:
        client.wait_for_workers(1, timeout=CONNECT_TIMEOUT_S)
    except (TimeoutError, OSError):
        raise ClusterError("the Dask scheduler has no workers: start `dask worker`") from None
    shipped = [ShippedExercise.of(e) for e in exercises]
    answers = client.run(_worker_layers, mode, shipped, on_error="return")
    for address, answer in sorted(answers.items()):
        if isinstance(answer, BaseException):
            text = str(answer).splitlines()[0] if str(answer) else ""
            if isinstance(answer, ImportError) or "edu_chain" in text:
                raise ClusterError(
                    f"Dask worker {address} cannot import edu_chain ({type(answer).__name__}: "
                    f"{text}); install edu_chain on every worker"
                )
            raise ClusterError(f"Dask worker {address}: {type(answer).__name__}: {text}")
    for address, answer in sorted(answers.items()):
        theirs = answer.get("versions", {}).get("hypothesis", "unknown")
        if versions is not None and theirs != versions["hypothesis"]:
            mine = versions["hypothesis"]
            raise ClusterError(
                f"Dask worker {address} has Hypothesis {theirs}, this machine {mine}: the "
                "random check groups differ between versions, so its grades could differ; "
                f"install hypothesis=={mine} on every worker"
            )
        for item in shipped:
            theirs = answer.get("fingerprints", {}).get(item.exercise_id, "unknown")
            if theirs != item.fingerprint:
                raise ClusterError(
                    f"Dask worker {address} grades {item.exercise_id} as {theirs}, this machine "
                    f"as {item.fingerprint}: install the same edu_chain and Hypothesis versions"
                )
    for answer in answers.values():
        answer.pop("fingerprints", None)
    return answers


def task_key(student: str, jobs: list[dict[str, Any]], salt: int, mode: str) -> str:
    """The task's name: the same student, code, exercises, salt and mode give the same key."""
    parts = [student, str(salt), mode] + [
        f"{j['exercise_id']}:{j['content_hash']}:{j['fingerprint']}" for j in jobs
    ]
    digest = hashlib.sha256("\n".join(parts).encode()).hexdigest()[:20]
    return f"educhain-grade-{digest}"


def _rebuild(shipped: list[ShippedExercise], folder: Path) -> dict[str, Exercise]:
    from edu_chain.grading.sandbox import Limits

    exercises = {}
    for item in shipped:
        directory = folder / item.exercise_id
        directory.mkdir()
        (directory / "exercise.toml").write_text(item.manifest, encoding="utf-8")
        exercise = replace(load_exercise(directory), limits=Limits(**item.limits))
        if exercise.fingerprint != item.fingerprint:
            raise ClusterError(
                f"this worker grades {item.exercise_id} as {exercise.fingerprint}, the instructor "
                f"as {item.fingerprint}: install the same edu_chain and Hypothesis versions"
            )
        exercises[item.exercise_id] = exercise
    return exercises


def grade_task(
    student: str,
    jobs: list[dict[str, Any]],
    shipped: list[ShippedExercise],
    salt: int,
    mode: str,
) -> dict[str, Any]:
    """Run on a Dask worker: grade one student's submissions in one sandbox of its own."""
    from distributed import get_worker

    from edu_chain.grading.runner import grade_cells
    from edu_chain.grading.sandbox import Sandbox, resolve_isolation

    isolation = resolve_isolation(mode)
    with tempfile.TemporaryDirectory(prefix="educhain-manifests-") as tmp:
        exercises = _rebuild(shipped, Path(tmp))
    scratch_mb = max(e.limits.scratch_mb for e in exercises.values())
    results = []
    with Sandbox(isolation, scratch_mb=scratch_mb) as sandbox:
        for job in jobs:
            result = grade_cells(
                exercises[job["exercise_id"]],
                job["cells"],
                notebook=job["notebook"],
                source=job["source"],
                salt=salt,
                isolation=isolation,
                sandbox=sandbox,
            )
            results.append((job["exercise_id"], job["content_hash"], result.to_dict()))
    return {"student": student, "worker": get_worker().address, "results": results}


def summary_of(layers: dict[str, dict[str, Any]]) -> str:
    """One line for the isolation of a whole cluster."""
    distinct = {v["summary"] for v in layers.values()}
    if len(distinct) == 1:
        return distinct.pop()
    return "; ".join(f"{address}: {v['summary']}" for address, v in sorted(layers.items()))
