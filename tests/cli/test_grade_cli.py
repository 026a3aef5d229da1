"""`educhain grade` and `educhain check`: help, success, usage errors, exit statuses."""

from __future__ import annotations

import csv
import json
import platform
import shutil
import sqlite3
from pathlib import Path

import hypothesis
import pytest
from click.testing import CliRunner

from edu_chain.cli import main
from edu_chain.grading import bwrap
from edu_chain.grading.gradebook import Gradebook

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "tests" / "fixtures" / "submissions"
EXERCISES = ROOT / "exercises"


def test_help_has_examples():
    for command in ("grade", "check"):
        result = CliRunner().invoke(main, [command, "--help"])
        assert result.exit_code == 0
        assert "Example" in result.output


def test_grade_writes_every_output_and_exits_zero_even_for_failing_students(tmp_path):
    subs = tmp_path / "subs"
    (subs / "alice").mkdir(parents=True)
    (subs / "bob").mkdir()
    shutil.copy(FIXTURES / "correct" / "merkle_root.py", subs / "alice" / "merkle_root.py")
    shutil.copy(EXERCISES / "merkle_root" / "starter.py", subs / "bob" / "merkle_root.py")
    out = tmp_path / "out"
    args = ["grade", str(subs), "--out", str(out), "--exercises", str(EXERCISES)]
    result = CliRunner().invoke(main, [*args, "--only", "merkle_root", "--workers", "2", "--quiet"])
    assert result.exit_code == 0, result.output
    assert "graded 2 submissions" in result.output
    for name in (
        "grades.csv",
        "junit.xml",
        "gradebook.sqlite",
        "feedback/bob.md",
        "feedback/bob.json",
        "gradescope/alice/results.json",
    ):
        assert (out / name).is_file(), name
    with (out / "grades.csv").open() as handle:
        rows = {r["student"]: r for r in csv.DictReader(handle)}
    assert rows["alice"]["merkle_root"] == "10" and rows["bob"]["merkle_root"] == "0"
    assert "sha256" in rows["alice"]  # every exercise has a column, graded or not
    again = CliRunner().invoke(main, [*args, "--only", "merkle_root", "--quiet"])
    assert "skipped 2 unchanged" in again.output


def test_grade_usage_errors_exit_2(tmp_path):
    subs = tmp_path / "subs"
    subs.mkdir()
    out = tmp_path / "out"
    base = ["grade", str(subs), "--out", str(out), "--exercises", str(EXERCISES)]
    assert CliRunner().invoke(main, [*base, "--only", "nope"]).exit_code == 2
    assert CliRunner().invoke(main, ["grade", str(subs)]).exit_code == 2
    assert CliRunner().invoke(main, [*base, "--workers", "0"]).exit_code == 2
    inside = ["grade", str(subs), "--out", str(subs / "o"), "--exercises", str(EXERCISES)]
    assert CliRunner().invoke(main, inside).exit_code == 2


def test_grade_without_student_folders_is_a_usage_error(tmp_path):
    out = tmp_path / "out"
    empty = tmp_path / "empty"
    empty.mkdir()
    args = ["grade", str(empty), "--out", str(out), "--exercises", str(EXERCISES)]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 2
    assert "no student folders" in result.output
    one_student = tmp_path / "alice"  # the instructor passed a student's folder, not the cohort's
    one_student.mkdir()
    shutil.copy(FIXTURES / "correct" / "mine.py", one_student / "mine.py")
    args = ["grade", str(one_student), "--out", str(out), "--exercises", str(EXERCISES)]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 2
    assert "mine.py" in result.output and "one folder per student" in result.output
    assert not out.exists()


def test_check_infers_the_exercise_from_the_file_name(tmp_path):
    good = tmp_path / "mine.py"
    shutil.copy(FIXTURES / "correct" / "mine.py", good)
    result = CliRunner().invoke(main, ["check", str(good), "--exercises", str(EXERCISES)])
    assert result.exit_code == 0, result.output
    assert "all checks pass" in result.output


def test_check_failure_shows_input_expected_actual_and_exits_1(tmp_path):
    wrong = tmp_path / "attempt.py"
    shutil.copy(FIXTURES / "mistakes" / "merkle_root_reversed.py", wrong)
    args = ["check", str(wrong), "--exercise", "merkle_root", "--exercises", str(EXERCISES)]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 1
    for text in ("smallest failing input", "expected", "actual", "hint", "internal byte order"):
        assert text in result.output


def test_check_unknown_exercise_is_a_usage_error(tmp_path):
    stray = tmp_path / "homework.py"
    stray.write_text("x = 1\n")
    result = CliRunner().invoke(main, ["check", str(stray), "--exercises", str(EXERCISES)])
    assert result.exit_code == 2
    assert "--exercise" in result.output
    assert "merkle_root, merkle_proof" not in result.output  # sorted, complete list instead
    assert "base58check, double_spend, ecdsa" in result.output and "validate_block" in result.output


def test_check_scores_like_grade_starter_and_load_error_alike(tmp_path):
    """Issue 21: the untouched starter and a file that fails to load both show 0/10 with the
    exercise's four groups, as `educhain grade` does; a partial submission shows grade's
    score, not a score out of the public groups only."""
    starter = tmp_path / "sha256.py"
    shutil.copy(EXERCISES / "sha256" / "starter.py", starter)
    broken = tmp_path / "broken" / "sha256.py"
    broken.parent.mkdir()
    broken.write_text("def sha256(data):\n    return (\n")
    partial = tmp_path / "partial" / "sha256.py"
    partial.parent.mkdir()
    shutil.copy(FIXTURES / "mistakes" / "sha256_padding.py", partial)
    for path, score in ((starter, "0/10"), (broken, "0/10"), (partial, "4/10")):
        args = ["check", str(path), "--exercises", str(EXERCISES)]
        result = CliRunner().invoke(main, args)
        assert result.exit_code == 1
        assert result.output.startswith(f"sha256: {score}"), result.output
        assert result.output.count("] ") == 3, result.output  # the three check groups
    assert "Not started yet" in CliRunner().invoke(main, ["check", str(starter)]).output


def test_check_a_notebook_with_magics(tmp_path):
    import json

    source = (FIXTURES / "correct" / "target.py").read_text()
    cells = ["%load_ext autoreload\n!echo hi", "from edu_chain.grading import check", source]
    notebook = {
        "nbformat": 4,
        "nbformat_minor": 5,
        "metadata": {},
        "cells": [{"cell_type": "code", "source": c, "metadata": {}, "outputs": []} for c in cells],
    }
    path = tmp_path / "week2.ipynb"
    path.write_text(json.dumps(notebook))
    args = ["check", str(path), "--exercise", "target", "--exercises", str(EXERCISES), "--all"]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    assert "10/10" in result.output


def test_check_a_folder_checks_every_exercise_file_in_it(tmp_path):
    shutil.copy(FIXTURES / "correct" / "mine.py", tmp_path / "mine.py")
    shutil.copy(FIXTURES / "mistakes" / "target_no_sign_fix.py", tmp_path / "target.py")
    (tmp_path / "notes.py").write_text("x = 1\n")  # not an exercise: ignored
    result = CliRunner().invoke(main, ["check", str(tmp_path), "--exercises", str(EXERCISES)])
    assert result.exit_code == 1
    assert "mine: all checks pass" in result.output
    assert "target:" in result.output and "notes" not in result.output


def _one_student(tmp_path: Path) -> tuple[Path, Path, list[str]]:
    subs = tmp_path / "subs"
    (subs / "alice").mkdir(parents=True)
    shutil.copy(FIXTURES / "correct" / "merkle_root.py", subs / "alice" / "merkle_root.py")
    out = tmp_path / "out"
    args = ["grade", str(subs), "--out", str(out), "--exercises", str(EXERCISES), "--quiet"]
    return subs, out, [*args, "--only", "merkle_root"]


@pytest.fixture
def no_bwrap(monkeypatch):
    """A machine without bubblewrap: EDUCHAIN_BWRAP points at a file that does not exist."""
    monkeypatch.setenv(bwrap.BWRAP_ENV, "/nonexistent/bwrap")
    bwrap.status.cache_clear()
    yield
    monkeypatch.undo()
    bwrap.status.cache_clear()


def test_isolation_os_without_bwrap_is_a_one_line_usage_error_and_writes_nothing(
    tmp_path, no_bwrap
):
    _, out, args = _one_student(tmp_path)
    result = CliRunner().invoke(main, [*args, "--isolation", "os"])
    assert result.exit_code == 2
    error = [line for line in result.output.splitlines() if line.startswith("Error:")]
    assert len(error) == 1 and "bwrap not found" in error[0]
    assert "apt-get install bubblewrap" in error[0]
    assert not out.exists()


def test_isolation_auto_without_bwrap_warns_what_is_unprotected_and_grades(tmp_path, no_bwrap):
    _, out, args = _one_student(tmp_path)
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    assert "isolation: audit hook + limits + isolated re-runs" in result.output or (
        "isolation: per-worker uid + audit hook" in result.output
    )
    assert "warning: no OS sandbox (bwrap not found" in result.output
    assert "os.path.exists" in result.output
    feedback = json.loads((out / "feedback" / "alice.json").read_text())
    assert "bubblewrap" not in feedback["isolation"]
    assert feedback["exercises"][0]["points"] == 10


def test_the_layers_in_force_are_printed_and_recorded(tmp_path, os_sandbox):
    _, out, args = _one_student(tmp_path)
    result = CliRunner().invoke(main, [*args, "--isolation", "os"])
    assert result.exit_code == 0, result.output
    line = "isolation: bubblewrap (user, fs, pid, net, ipc namespaces) + audit hook + limits"
    line += " + pids cgroup (max 64)" if os_sandbox.pids_max else "; no pids cgroup"
    assert f"{line}\n" in result.output
    if os_sandbox.pids_max:
        assert "warning" not in result.output
    else:
        assert f"warning: no pids cgroup ({os_sandbox.why_not_pids})" in result.output
    summary = line.removeprefix("isolation: ")
    book = Gradebook(out / "gradebook.sqlite")
    assert book.isolation["summary"] == summary and book.isolation["os_sandbox"] is True
    assert book.results()["alice"]["merkle_root"].isolation == summary
    feedback = json.loads((out / "feedback" / "alice.json").read_text())
    assert feedback["isolation"] == summary
    assert feedback["exercises"][0]["isolation"] == summary
    gradescope = json.loads((out / "gradescope" / "alice" / "results.json").read_text())
    assert summary in gradescope["output"]
    assert f'name="isolation" value="{summary}"' in (out / "junit.xml").read_text()


def test_isolation_os_without_a_pids_cgroup_still_runs_and_names_it_missing(
    tmp_path, os_sandbox, monkeypatch
):
    """--isolation os means bubblewrap: a machine without writable cgroups still grades,
    and says so in the isolation line, the warning and the record."""
    from edu_chain.grading import pids

    monkeypatch.setenv(pids.PIDS_ENV, "0")
    pids.status.cache_clear()
    try:
        _, out, args = _one_student(tmp_path)
        result = CliRunner().invoke(main, [*args, "--isolation", "os"])
    finally:
        monkeypatch.undo()
        pids.status.cache_clear()
    assert result.exit_code == 0, result.output
    assert "+ audit hook + limits; no pids cgroup\n" in result.output
    warning = f"warning: no pids cgroup (turned off by {pids.PIDS_ENV}=0): a fork bomb"
    assert warning in result.output
    record = Gradebook(out / "gradebook.sqlite").isolation
    assert record["os_sandbox"] is True and record["pids_cgroup_max"] == 0
    assert "no pids cgroup" in record["unprotected"]


def test_isolation_process_names_what_it_leaves_out(tmp_path):
    _, out, args = _one_student(tmp_path)
    result = CliRunner().invoke(main, [*args, "--isolation", "process"])
    assert result.exit_code == 0, result.output
    assert "warning: no OS sandbox (not requested: --isolation process)" in result.output
    assert Gradebook(out / "gradebook.sqlite").isolation["os_sandbox"] is False


def _graded_elsewhere(book_path: Path, version: str) -> None:
    """Make the book look graded on a machine with Hypothesis ``version``: its versions record
    and its rows' fingerprints (which include the version), as such a run leaves them."""
    with sqlite3.connect(book_path) as db:
        db.execute(
            "UPDATE meta SET value=? WHERE key='versions'",
            (json.dumps({"hypothesis": version, "python": "3.11.2"}),),
        )
        db.execute(
            "UPDATE results SET fingerprint="
            "substr(fingerprint, 1, instr(fingerprint, '-hyp') + 3) || ?",
            (version,),
        )


def _book_contents(book_path: Path) -> list:
    with sqlite3.connect(f"file:{book_path}?mode=ro", uri=True) as db:
        meta = db.execute("SELECT * FROM meta ORDER BY key").fetchall()
        return meta + db.execute("SELECT * FROM results ORDER BY student").fetchall()


def test_the_hypothesis_and_python_versions_are_recorded_and_exported(tmp_path):
    _, out, args = _one_student(tmp_path)
    result = CliRunner().invoke(main, [*args, "--isolation", "process"])
    assert result.exit_code == 0, result.output
    expected = {"hypothesis": hypothesis.__version__, "python": platform.python_version()}
    book = Gradebook(out / "gradebook.sqlite")
    assert book.versions == expected
    fingerprint = (
        sqlite3.connect(out / "gradebook.sqlite")
        .execute("SELECT fingerprint FROM results")
        .fetchone()[0]
    )
    assert fingerprint.endswith(f"-hyp{hypothesis.__version__}")
    feedback = json.loads((out / "feedback" / "alice.json").read_text())
    assert feedback["graded_with"] == expected
    gradescope = json.loads((out / "gradescope" / "alice" / "results.json").read_text())
    said = f"Graded with Hypothesis {expected['hypothesis']}, Python {expected['python']}"
    assert said in gradescope["output"]
    junit = (out / "junit.xml").read_text()
    assert f'name="hypothesis_version" value="{expected["hypothesis"]}"' in junit
    assert f'name="python_version" value="{expected["python"]}"' in junit


def test_a_book_graded_with_another_hypothesis_is_not_resumed_without_the_flag(tmp_path):
    _, out, args = _one_student(tmp_path)
    args = [*args, "--isolation", "process"]
    assert CliRunner().invoke(main, args).exit_code == 0
    _graded_elsewhere(out / "gradebook.sqlite", "6.155.0")
    before = _book_contents(out / "gradebook.sqlite")
    exports = (out / "grades.csv").read_bytes()

    refused = CliRunner().invoke(main, args)
    assert refused.exit_code == 2
    errors = [line for line in refused.output.splitlines() if line.startswith("Error:")]
    assert len(errors) == 1, refused.output
    assert "graded with Hypothesis 6.155.0, this machine has " + hypothesis.__version__ in errors[0]
    assert "--allow-hypothesis-change" in errors[0]
    assert _book_contents(out / "gradebook.sqlite") == before
    assert (out / "grades.csv").read_bytes() == exports

    allowed = CliRunner().invoke(main, [*args, "--allow-hypothesis-change"])
    assert allowed.exit_code == 0, allowed.output
    assert "graded 1 submissions, skipped 0 unchanged" in allowed.output  # like a new fingerprint
    assert Gradebook(out / "gradebook.sqlite").versions["hypothesis"] == hypothesis.__version__
    again = CliRunner().invoke(main, args)
    assert again.exit_code == 0 and "graded 0 submissions, skipped 1 unchanged" in again.output


def test_a_book_older_than_the_versions_record_is_judged_by_its_fingerprints(tmp_path):
    _, out, args = _one_student(tmp_path)
    args = [*args, "--isolation", "process"]
    assert CliRunner().invoke(main, args).exit_code == 0
    _graded_elsewhere(out / "gradebook.sqlite", "6.155.0")
    with sqlite3.connect(out / "gradebook.sqlite") as db:
        db.execute("DELETE FROM meta WHERE key='versions'")
    refused = CliRunner().invoke(main, args)
    assert refused.exit_code == 2 and "graded with Hypothesis 6.155.0" in refused.output
