"""`educhain grade` over a generated class of 50 students and the whole exercise set.

The class mixes complete, partial, struggling and broken work, generated from the fixtures
with a fixed seed, so every student's expected points per exercise are known in advance:
10 for a correct fixture, the documented score for a typical mistake, 0 for a starter, a file
that does not parse, a broken notebook or nothing at all.  Oracles: those expected points, and
the exports checked against each other (grades.csv == feedback json == Gradescope score ==
junit), plus each mistake's hint appearing in that student's feedback.
"""

from __future__ import annotations

import csv
import json
import random
import shutil
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from click.testing import CliRunner

from edu_chain.cli import main
from edu_chain.grading import load_exercises
from tests.functional.test_exercises_grading import MISTAKES

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "tests" / "fixtures" / "submissions"
EXERCISES_DIR = ROOT / "exercises"
EXERCISES = {e.exercise_id: e for e in load_exercises(EXERCISES_DIR)}
# The class works on the exercises whose mistakes are documented here (the newer ones).
POOL = sorted({exercise for exercise, _, _ in MISTAKES.values()})
PROFILES = ["complete"] * 10 + ["partial"] * 20 + ["struggling"] * 10 + ["broken"] * 5
PROFILES += ["absent"] * 5


def make_class(
    root: Path,
) -> tuple[Path, dict[str, dict[str, float]], dict[str, set[tuple[str, str]]]]:
    """50 student folders; returns them, the expected points and the hints each must get."""
    rng = random.Random(2026)
    expected: dict[str, dict[str, float]] = {}
    hints: dict[str, set[tuple[str, str]]] = {}  # (exercise, mistake code)
    for number, profile in enumerate(PROFILES):
        student = f"s{number:02d}_{profile}"
        folder = root / student
        folder.mkdir(parents=True)
        chosen = rng.sample(POOL, 3)
        points = dict.fromkeys(EXERCISES, 0.0)
        hints[student] = set()

        def correct(exercise_id: str, folder: Path = folder, points: dict = points) -> None:
            shutil.copy(FIXTURES / "correct" / f"{exercise_id}.py", folder / f"{exercise_id}.py")
            points[exercise_id] = 10.0

        def mistake(
            exercise_id: str, folder: Path = folder, student: str = student, points: dict = points
        ) -> None:
            names = sorted(n for n, (e, _, _) in MISTAKES.items() if e == exercise_id)
            name = rng.choice(names)
            shutil.copy(FIXTURES / "mistakes" / f"{name}.py", folder / f"{exercise_id}.py")
            expected_points, codes = MISTAKES[name][1], MISTAKES[name][2]
            points[exercise_id] = float(expected_points)
            hints[student] |= {(exercise_id, code) for code in codes}

        if profile == "complete":
            for exercise_id in chosen:
                correct(exercise_id)
        elif profile == "partial":
            correct(chosen[0])
            mistake(chosen[1])
        elif profile == "struggling":
            starter = EXERCISES_DIR / chosen[0] / "starter.py"
            shutil.copy(starter, folder / f"{chosen[0]}.py")
            mistake(chosen[1])
        elif profile == "broken":
            (folder / f"{chosen[0]}.py").write_text("def oops(:\n    pass\n")
            (folder / "homework.ipynb").write_text("{ not a notebook")
        else:
            (folder / "notes.txt").write_text("I will hand in next week\n")
        expected[student] = points
    return root, expected, hints


def hint_texts(exercise_id: str, code: str) -> set[str]:
    """The hints of mistake ``code`` in ``exercise_id`` (two exercises may share a code, with
    their own words; one code may have a hint per function)."""
    found = {m.hint for m in EXERCISES[exercise_id].spec.mistakes if m.code == code}
    if not found:
        raise KeyError((exercise_id, code))
    return found


@pytest.mark.slow
def test_grade_a_generated_class_of_fifty(tmp_path, monkeypatch):
    # The mistakes' documented points are those of the published seeds: a cohort's own salt
    # can make a random group that catches a mistake only sometimes pass or fail.
    monkeypatch.setenv("EDUCHAIN_CASE_SALT", "0")
    subs, expected, hints = make_class(tmp_path / "subs")
    out = tmp_path / "out"
    args = ["grade", str(subs), "--out", str(out), "--exercises", str(EXERCISES_DIR)]
    result = CliRunner().invoke(main, [*args, "--workers", "2", "--quiet"])
    assert result.exit_code == 0, result.output
    assert "50 students" in result.output

    with (out / "grades.csv").open() as handle:
        reader = csv.DictReader(handle)
        columns = reader.fieldnames
        rows = {row["student"]: row for row in reader}
    assert columns[0] == "student" and columns[-1] == "total"
    assert sorted(columns[1:-1]) == sorted(EXERCISES)
    assert sorted(rows) == sorted(expected)
    for student, points in expected.items():
        row = rows[student]
        for exercise_id, value in points.items():
            assert float(row[exercise_id] or 0) == value, (student, exercise_id)
        assert float(row["total"]) == sum(points.values()), student

    for student, row in rows.items():
        feedback = json.loads((out / "feedback" / f"{student}.json").read_text())
        gradescope = json.loads((out / "gradescope" / student / "results.json").read_text())
        assert float(row["total"]) == feedback["total"] == gradescope["score"]
        by_id = {e["exercise_id"]: e for e in feedback["exercises"]}
        for exercise_id, entry in by_id.items():
            assert entry["points"] == float(row[exercise_id] or 0)
        assert sum(t["score"] for t in gradescope["tests"]) == gradescope["score"]
        markdown = (out / "feedback" / f"{student}.md").read_text()
        for exercise_id, code in hints[student]:
            texts = hint_texts(exercise_id, code)
            assert any(text in markdown for text in texts), (student, exercise_id, code)
        if "broken" in student:
            assert {e["status"] for e in by_id.values()} & {"load-error", "unreadable"}
    suites = ET.parse(out / "junit.xml").getroot()
    assert sorted(s.get("name") for s in suites) == sorted(rows)

    complete = [s for s in rows if "complete" in s]
    assert all(float(rows[s]["total"]) == 30 for s in complete)
    assert all(float(rows[s]["total"]) == 0 for s in rows if "absent" in s or "broken" in s)

    again = CliRunner().invoke(main, [*args, "--workers", "2", "--quiet"])
    assert again.exit_code == 0
    assert "graded 0 submissions" in again.output
    with (out / "grades.csv").open() as handle:
        assert {r["student"]: r for r in csv.DictReader(handle)} == rows
