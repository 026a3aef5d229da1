"""A gradebook for the certificate tests, written through the grader's own Gradebook API."""

from __future__ import annotations

from pathlib import Path

from edu_chain.grading.gradebook import Gradebook
from edu_chain.grading.runner import ExerciseResult

# student -> exercise -> points; every exercise is worth 10 (maximum total 30)
CLASS_SCORES = {
    "ada": {"sha256": 10, "merkle_root": 10, "target": 9.5},
    "bob": {"sha256": 10, "merkle_root": 8, "target": 3},
    "cyd": {"sha256": 2, "merkle_root": 0, "target": 5},
    "dee": {"sha256": 10, "merkle_root": 10, "target": 10},
    "eve": {"sha256": 7, "merkle_root": 7, "target": 4},  # 18 = exactly 0.6 of 30
}
PASSING_AT_60 = ["ada", "bob", "dee", "eve"]


def write_gradebook(path: Path, scores: dict[str, dict[str, float]] = CLASS_SCORES) -> Path:
    book = Gradebook(path)
    for student, earned in scores.items():
        for exercise_id, points in earned.items():
            result = ExerciseResult(exercise_id, float(points), 10.0, "graded")
            book.record(student, "hash", "fingerprint", result)
    book.close()
    return path
