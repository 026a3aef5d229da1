"""Exports: grades.csv columns, Gradescope's results.json shape, JUnit XML, gradebook resume."""

from __future__ import annotations

import csv
import io
import xml.etree.ElementTree as ET

from edu_chain.grading.exports import grades_csv, gradescope_results, junit_xml
from edu_chain.grading.gradebook import Gradebook
from edu_chain.grading.runner import ExerciseResult, Failure, GroupResult

FAIL = Failure("mine(...)", "5", "None", "", "compare with <=", "strict-less-than")
RESULT = ExerciseResult(
    "mine",
    3.0,
    10.0,
    "graded",
    "3 of 10 points.",
    (
        GroupResult("known-jobs", "easy", 3.0, 3.0, 3, 3),
        GroupResult("boundaries", "edges", 0.0, 7.0, 10, 13, FAIL),
    ),
)


def test_grades_csv_has_one_column_per_exercise_and_a_total():
    text = grades_csv({"ann": {"mine": RESULT}}, ["sha256", "mine"])
    rows = list(csv.DictReader(io.StringIO(text)))
    assert rows == [{"student": "ann", "sha256": "0", "mine": "3", "total": "3"}]


def test_gradescope_format():
    data = gradescope_results([RESULT])
    assert data["score"] == 3.0
    assert [t["max_score"] for t in data["tests"]] == [3.0, 7.0]
    assert "compare with <=" in data["tests"][1]["output"]


def test_junit_counts_failures():
    suite = ET.fromstring(junit_xml({"ann": {"mine": RESULT}}))[0]
    assert (suite.get("tests"), suite.get("failures")) == ("2", "1")


def test_gradebook_round_trip_and_currency(tmp_path):
    book = Gradebook(tmp_path / "g.sqlite")
    book.record("ann", "hash1", "v1", RESULT)
    assert book.is_current("ann", "mine", "hash1", "v1")
    assert not book.is_current("ann", "mine", "hash2", "v1")
    assert not book.is_current("ann", "mine", "hash1", "v2")
    assert book.results()["ann"]["mine"] == RESULT
    book.close()


def test_a_notebook_name_cannot_break_out_of_the_markdown():
    """Notebook file names are the student's choice and may hold newlines and backticks."""
    from edu_chain.grading.exports import feedback_markdown

    result = ExerciseResult("mine", 0.0, 10.0, "graded", source="a`\n```\n<b>x</b>.ipynb")
    text = feedback_markdown("eve", [result])
    assert "Graded from `a'\\n'''\\n<b>x</b>.ipynb`." in text
    assert [line for line in text.splitlines() if line.startswith("```")] == ["```text", "```"]
