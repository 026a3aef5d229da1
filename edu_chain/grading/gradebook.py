"""The gradebook: one SQLite file with every student's result for every exercise.

A row is keyed by ``(student, exercise_id)`` and remembers the submission's content hash and
the exercise fingerprint (spec version + manifest hash) it was graded with.  Re-running the
grader skips a submission whose hash and fingerprint are unchanged, so an interrupted run
resumes where it stopped and a re-run after a few late submissions only grades those
(``--force`` re-grades everything).  Each result is committed as soon as it is known.
The book also keeps the cohort's secret salt for the random check groups (``case_salt``),
the layers that protected the last run (``isolation``) and the Hypothesis and Python versions
it was graded with (``versions``): Hypothesis draws the random groups, so a book is resumed
only with the same Hypothesis unless the instructor says otherwise (``educhain grade
--allow-hypothesis-change``, which grades everything again: the fingerprints include it).
"""

from __future__ import annotations

import json
import os
import secrets
import sqlite3
import threading
import time
from pathlib import Path

from edu_chain.grading.runner import ExerciseResult

CASE_SALT_ENV = "EDUCHAIN_CASE_SALT"


class VersionChange(Exception):
    """A gradebook graded with another Hypothesis would be resumed (one line: what to do)."""


SCHEMA = """
CREATE TABLE IF NOT EXISTS results (
    student       TEXT NOT NULL,
    exercise_id   TEXT NOT NULL,
    content_hash  TEXT NOT NULL,   -- sha256 of the submission's code ("" when missing)
    fingerprint   TEXT NOT NULL,   -- spec version + manifest hash + Hypothesis version
    points        REAL NOT NULL,
    max_points    REAL NOT NULL,
    status        TEXT NOT NULL,
    result_json   TEXT NOT NULL,   -- ExerciseResult.to_dict()
    graded_at     REAL NOT NULL,   -- unix time
    PRIMARY KEY (student, exercise_id)
);
CREATE TABLE IF NOT EXISTS meta (
    key           TEXT PRIMARY KEY,
    value         TEXT NOT NULL
);
"""


class Gradebook:
    """Thread-safe access to ``gradebook.sqlite`` (one connection, one lock)."""

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)
        self._lock = threading.Lock()
        self._db = sqlite3.connect(self.path, check_same_thread=False)
        self._db.execute("PRAGMA journal_mode=WAL")
        # Every result is committed as soon as it is known; in WAL mode, NORMAL syncs at
        # checkpoints, not at each commit (15 disk flushes a student, on a lab's hard disk
        # 10 ms each).  A crash of the grader loses nothing; a power cut may lose the last
        # results, which the next run grades again (they are not current), never corrupts.
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.executescript(SCHEMA)
        pinned = os.environ.get(CASE_SALT_ENV, "").strip()
        salt = int(pinned) if pinned.isdigit() else secrets.randbits(62)
        self._db.execute("INSERT OR IGNORE INTO meta VALUES ('case_salt', ?)", (str(salt),))
        self._db.commit()

    @property
    def case_salt(self) -> int:
        """This cohort's secret for the random check groups, drawn when the book was created.

        The published seeds are in the repository every student installs, so a submission
        could carry a table of their answers; the random groups are drawn again with this
        secret.  It stays in the book, so a resumed run grades everyone on the same cases.
        Set ``EDUCHAIN_CASE_SALT`` (digits) before the book is created to choose it, for
        example to grade a second cohort on the same cases, or ``0`` for the published seeds.
        """
        with self._lock:
            (value,) = self._db.execute("SELECT value FROM meta WHERE key='case_salt'").fetchone()
        return int(value)

    def set_isolation(self, layers: dict) -> None:
        """Record the layers that protect the current run (``Isolation.to_json()``); each
        result also carries its own summary, since a resumed run may differ."""
        with self._lock:
            self._db.execute(
                "INSERT OR REPLACE INTO meta VALUES ('isolation', ?)", (json.dumps(layers),)
            )
            self._db.commit()

    @property
    def isolation(self) -> dict:
        """The layers of the last run (``{}`` for a book older than the record)."""
        with self._lock:
            row = self._db.execute("SELECT value FROM meta WHERE key='isolation'").fetchone()
        return json.loads(row[0]) if row else {}

    def set_versions(self, versions: dict[str, str]) -> None:
        """Record the Hypothesis and Python versions of this run (``grading_versions()``)."""
        with self._lock:
            self._db.execute(
                "INSERT OR REPLACE INTO meta VALUES ('versions', ?)", (json.dumps(versions),)
            )
            self._db.commit()

    @property
    def versions(self) -> dict[str, str]:
        """The versions of the last run (``{}`` for a book older than the record)."""
        with self._lock:
            row = self._db.execute("SELECT value FROM meta WHERE key='versions'").fetchone()
        return json.loads(row[0]) if row else {}

    def is_current(
        self, student: str, exercise_id: str, content_hash: str, fingerprint: str
    ) -> bool:
        with self._lock:
            row = self._db.execute(
                "SELECT content_hash, fingerprint FROM results WHERE student=? AND exercise_id=?",
                (student, exercise_id),
            ).fetchone()
        return row == (content_hash, fingerprint)

    def record(
        self, student: str, content_hash: str, fingerprint: str, result: ExerciseResult
    ) -> None:
        with self._lock:
            self._db.execute(
                "INSERT OR REPLACE INTO results VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    student,
                    result.exercise_id,
                    content_hash,
                    fingerprint,
                    result.points,
                    result.max_points,
                    result.status,
                    json.dumps(result.to_dict()),
                    time.time(),
                ),
            )
            self._db.commit()

    def results(self) -> dict[str, dict[str, ExerciseResult]]:
        """student -> exercise id -> result, for everything in the book."""
        with self._lock:
            rows = self._db.execute(
                "SELECT student, exercise_id, result_json FROM results ORDER BY student"
            ).fetchall()
        book: dict[str, dict[str, ExerciseResult]] = {}
        for student, exercise_id, blob in rows:
            book.setdefault(student, {})[exercise_id] = ExerciseResult.from_dict(json.loads(blob))
        return book

    def close(self) -> None:
        with self._lock:
            self._db.close()


def recorded_hypothesis(path: Path) -> str:
    """The Hypothesis version an existing gradebook was graded with ("" for none), read
    without writing anything.  A book older than the ``versions`` record tells it by its
    rows' fingerprints (``...-hyp<version>``), when they agree."""
    if not path.is_file():
        return ""
    try:
        with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as db:
            row = db.execute("SELECT value FROM meta WHERE key='versions'").fetchone()
            if row:
                return str(json.loads(row[0]).get("hypothesis", ""))
            rows = db.execute("SELECT DISTINCT fingerprint FROM results").fetchall()
    except (sqlite3.Error, ValueError, AttributeError):
        return ""
    found = {f.rsplit("-hyp", 1)[1] for (f,) in rows if "-hyp" in f}
    return found.pop() if len(found) == 1 else ""


def check_resume(path: Path, versions: dict[str, str], *, allow: bool = False) -> None:
    """:class:`VersionChange` when the book at ``path`` was graded with another Hypothesis
    than ``versions`` and ``allow`` is false (nothing is written either way)."""
    before = recorded_hypothesis(path)
    now = versions["hypothesis"]
    if before and before != now and not allow:
        raise VersionChange(
            f"{path} was graded with Hypothesis {before}, this machine has {now}: the random "
            f"check groups differ between versions, so a resumed run could grade students "
            f"differently; install hypothesis=={before}, or pass --allow-hypothesis-change to "
            f"grade every submission again with {now}"
        )
