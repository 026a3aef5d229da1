"""Exports of the gradebook for people and for learning-management systems.

- ``grades.csv``: ``student``, one column per exercise id (points earned), ``total``;
- ``feedback/<student>.md`` and ``.json``: what each student reads;
- ``gradescope/<student>/results.json``: Gradescope's autograder format (``score`` and a
  ``tests`` list of ``name``, ``score``, ``max_score``, ``output``), one test per check group;
- ``junit.xml``: one test suite per student, one test case per check group, for CI dashboards.

Files are written to a temporary name and renamed, so a crash never leaves half a file.
"""

from __future__ import annotations

import csv
import io
import json
import os
import xml.etree.ElementTree as ET
from collections.abc import Sequence
from pathlib import Path

from edu_chain.grading.reports import printable
from edu_chain.grading.runner import ExerciseResult, student_text


def _write_atomic(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


def _num(value: float) -> str:
    return f"{value:g}"


def grades_csv(book: dict[str, dict[str, ExerciseResult]], exercise_ids: Sequence[str]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["student", *exercise_ids, "total"])
    for student in sorted(book):
        results = book[student]
        points = [results[e].points if e in results else 0.0 for e in exercise_ids]
        writer.writerow([student, *(_num(p) for p in points), _num(sum(points))])
    return buffer.getvalue()


def feedback_markdown(student: str, results: Sequence[ExerciseResult]) -> str:
    total = sum(r.points for r in results)
    maximum = sum(r.max_points for r in results)
    lines = [f"# Feedback for {student}", "", f"**Total: {_num(total)} / {_num(maximum)}**", ""]
    for result in results:
        lines += [f"## {result.exercise_id}: {_num(result.points)} / {_num(result.max_points)}", ""]
        if result.source:  # file names are the student's choice: no newlines or backticks
            source = printable(result.source).replace("`", "'")
            lines += [f"Graded from `{source}`.", ""]
        lines += ["```text", student_text(result), "```", ""]
    return "\n".join(lines)


def _graded_with(versions: dict[str, str] | None) -> str:
    if not versions:
        return ""
    return f"Hypothesis {versions.get('hypothesis', '?')}, Python {versions.get('python', '?')}"


def gradescope_results(
    results: Sequence[ExerciseResult],
    isolation: str = "",
    versions: dict[str, str] | None = None,
) -> dict:
    tests = []
    for result in results:
        for group in result.groups:
            output = result.message if result.status != "graded" else ""
            if group.failure:
                f = group.failure
                output = (
                    f"Smallest failing input: {f.call}\nExpected: {f.expected}\nActual: {f.actual}"
                    + (f"\nHint: {f.hint}" if f.hint else "")
                )
            tests.append(
                {
                    "name": f"{result.exercise_id}: {group.name}",
                    "score": group.points,
                    "max_score": group.max_points,
                    "output": output or group.description,
                    "visibility": "visible",
                }
            )
    payload: dict = {"score": sum(r.points for r in results), "tests": tests}
    said = [f"Graded under isolation: {isolation}"] if isolation else []
    if versions:
        said.append(f"Graded with {_graded_with(versions)}")
    if said:
        payload["output"] = "\n".join(said)
    return payload


def junit_xml(
    book: dict[str, dict[str, ExerciseResult]],
    isolation: str = "",
    versions: dict[str, str] | None = None,
) -> str:
    suites = ET.Element("testsuites", name="educhain grade")
    for student in sorted(book):
        results = list(book[student].values())
        cases = [(r, g) for r in results for g in r.groups]
        failed = sum(1 for _, g in cases if g.points < g.max_points)
        suite = ET.SubElement(
            suites, "testsuite", name=student, tests=str(len(cases)), failures=str(failed)
        )
        if isolation or versions:
            properties = ET.SubElement(suite, "properties")
            if isolation:
                ET.SubElement(properties, "property", name="isolation", value=isolation)
            for name, value in sorted((versions or {}).items()):
                ET.SubElement(properties, "property", name=f"{name}_version", value=value)
        for result, group in cases:
            case = ET.SubElement(
                suite,
                "testcase",
                classname=f"{student}.{result.exercise_id}",
                name=group.name,
                time=str(result.seconds),
            )
            if group.points < group.max_points:
                message = group.failure.hint or group.failure.call if group.failure else ""
                failure = ET.SubElement(case, "failure", message=(message or result.message)[:500])
                failure.text = student_text(result)
    ET.indent(suites)
    return ET.tostring(suites, encoding="unicode", xml_declaration=True) + "\n"


def write_all(
    out: Path,
    book: dict[str, dict[str, ExerciseResult]],
    exercise_ids: Sequence[str],
    isolation: str = "",
    *,
    versions: dict[str, str] | None = None,
) -> None:
    """Write every export for ``book`` under ``out``; ``isolation`` names the run's layers,
    ``versions`` the Hypothesis and Python it was graded with (``grading_versions()``)."""
    _write_atomic(out / "grades.csv", grades_csv(book, exercise_ids))
    for student, by_id in book.items():
        results = [by_id[e] for e in exercise_ids if e in by_id]
        _write_atomic(out / "feedback" / f"{student}.md", feedback_markdown(student, results))
        payload = {
            "student": student,
            "total": sum(r.points for r in results),
            "max_total": sum(r.max_points for r in results),
            "isolation": isolation,
            "graded_with": versions or {},
            "exercises": [r.to_dict() for r in results],
        }
        _write_atomic(out / "feedback" / f"{student}.json", json.dumps(payload, indent=2) + "\n")
        _write_atomic(
            out / "gradescope" / student / "results.json",
            json.dumps(gradescope_results(results, isolation, versions), indent=2) + "\n",
        )
    _write_atomic(out / "junit.xml", junit_xml(book, isolation, versions))
