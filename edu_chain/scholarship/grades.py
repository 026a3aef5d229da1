"""Scores from the grader's gradebook, to pay only the students whose work passes.

Two sources, both giving a score from 0 to 1 per student:

* ``gradebook.sqlite`` written by ``educhain grade --out DIR``: a student's score is the sum
  of their points over the sum of the exercises' maximum points (its ``results`` table,
  read-only: the grader's book is never written here);
* a CSV file with columns ``student,score`` (a score from 0 to 1), for grades kept elsewhere.
"""

from __future__ import annotations

import csv
import sqlite3
from pathlib import Path

from edu_chain.scholarship.registry import RegistryError


def scores(path: str | Path) -> dict[str, float]:
    """student -> score in [0, 1]; :class:`RegistryError` for a file that is neither."""
    path = Path(path)
    if not path.is_file():
        raise RegistryError(f"gradebook {path} does not exist")
    if path.suffix.lower() == ".csv":
        return _csv_scores(path)
    try:
        db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            rows = db.execute(
                "SELECT student, SUM(points), SUM(max_points) FROM results GROUP BY student"
            ).fetchall()
        finally:
            db.close()
    except sqlite3.DatabaseError as error:
        raise RegistryError(f"{path} is not a gradebook.sqlite nor a CSV file: {error}") from None
    return {student: (points / most if most else 0.0) for student, points, most in rows}


def _csv_scores(path: Path) -> dict[str, float]:
    try:
        with open(path, newline="", encoding="utf-8") as handle:
            rows = list(csv.DictReader(handle))
        found = {row["student"].strip(): float(row["score"]) for row in rows}
    except (OSError, KeyError, ValueError, AttributeError, csv.Error) as error:
        raise RegistryError(f"{path}: expected columns student,score (0..1): {error}") from None
    for student, score in found.items():
        if not 0 <= score <= 1:
            raise RegistryError(f"{path}: score {score} of {student!r} is not between 0 and 1")
    return found


def passing(path: str | Path, min_score: float) -> set[str]:
    """The students whose score is at least ``min_score``."""
    return {student for student, score in scores(path).items() if score >= min_score}
