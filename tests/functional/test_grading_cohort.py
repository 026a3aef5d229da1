"""A whole cohort through grade_cohort: honest, partial, hostile and broken students together.

Oracles: the correct fixtures must score 10 per exercise whatever their neighbours do; the
exports are checked against each other (grades.csv == feedback json == gradescope score).
"""

from __future__ import annotations

import csv
import dataclasses
import hashlib
import json
import os
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from edu_chain.grading import Limits, grade_cells, grade_cohort, load_exercises, sandbox
from edu_chain.grading.gradebook import Gradebook
from edu_chain.grading.runner import planned_cases

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "tests" / "fixtures" / "submissions"
IDS = ["sha256", "merkle_root", "merkle_proof", "target", "mine"]


def _notebook(cells: list[str]) -> str:
    return json.dumps(
        {
            "nbformat": 4,
            "nbformat_minor": 5,
            "metadata": {},
            "cells": [
                {"cell_type": "code", "source": c, "metadata": {}, "outputs": []} for c in cells
            ],
        }
    )


def make_class(root: Path, out: Path) -> Path:
    subs = root / "subs"
    honest = subs / "alice"
    honest.mkdir(parents=True)
    for exercise_id in IDS:
        shutil.copy(FIXTURES / "correct" / f"{exercise_id}.py", honest / f"{exercise_id}.py")
    partial = subs / "bob"
    partial.mkdir()
    shutil.copy(FIXTURES / "mistakes" / "mine_strict_less.py", partial / "mine.py")
    shutil.copy(FIXTURES / "correct" / "target.py", partial / "target.py")
    hostile = subs / "mallory"
    hostile.mkdir()
    (hostile / "merkle_root.py").write_text(
        f"open({str(out / 'grades.csv')!r}, 'w').write('mallory,1000')\n"
        "def merkle_root(txids):\n    return txids[0]\n"
    )
    (hostile / "mine.py").write_text("def mine(*a):\n    while True:\n        pass\n")
    notebook = subs / "nadia"
    notebook.mkdir()
    merkle = (FIXTURES / "correct" / "merkle_root.py").read_text()
    (notebook / "work.ipynb").write_text(
        _notebook(
            [
                "%matplotlib inline\n!pip install nothing",
                "from edu_chain.grading import check\nimport matplotlib",
                merkle,
                "check('merkle_root', merkle_root)",
            ]
        )
    )
    broken = subs / "oscar"
    broken.mkdir()
    (broken / "homework.ipynb").write_text("{ this is not json")
    return subs


def test_cohort_grades_are_isolated_and_exports_agree(tmp_path):
    out = tmp_path / "out"
    subs = make_class(tmp_path, out)
    exercises = [
        dataclasses.replace(e, limits=Limits(time_s=3, cpu_s=2))
        for e in load_exercises(ROOT / "exercises", IDS)
    ]
    summary = grade_cohort(subs, out, exercises, workers=2)
    assert summary.students == 5
    assert summary.graded == 25

    with (out / "grades.csv").open() as handle:
        rows = {row["student"]: row for row in csv.DictReader(handle)}
    assert list(rows["alice"]) == ["student", *IDS, "total"]
    assert rows["alice"]["total"] == "50"
    assert rows["bob"]["mine"] == "6" and rows["bob"]["target"] == "10"
    assert rows["mallory"]["total"] == "0"
    assert rows["nadia"]["merkle_root"] == "10"  # magics and the edu_chain import neutralised
    assert rows["oscar"]["total"] == "0"

    oscar = json.loads((out / "feedback" / "oscar.json").read_text())
    assert "not a valid notebook" in oscar["exercises"][0]["message"]
    mallory = json.loads((out / "feedback" / "mallory.json").read_text())
    statuses = {e["exercise_id"]: e["status"] for e in mallory["exercises"]}
    assert statuses["merkle_root"] == "violation"
    assert statuses["mine"] in ("timeout", "crashed")

    for student, row in rows.items():
        feedback = json.loads((out / "feedback" / f"{student}.json").read_text())
        gradescope = json.loads((out / "gradescope" / student / "results.json").read_text())
        assert float(row["total"]) == feedback["total"] == gradescope["score"]
        assert sum(t["score"] for t in gradescope["tests"]) == gradescope["score"]
        assert all({"name", "score", "max_score", "output"} <= set(t) for t in gradescope["tests"])
        assert (out / "feedback" / f"{student}.md").read_text().startswith("# Feedback")
    bob = (out / "feedback" / "bob.md").read_text()
    assert "compare with <=, not <" in bob

    suites = ET.parse(out / "junit.xml").getroot()
    assert sorted(s.get("name") for s in suites) == sorted(rows)


def test_rerun_skips_unchanged_and_regrades_changes(tmp_path):
    out = tmp_path / "out"
    subs = tmp_path / "subs"
    (subs / "alice").mkdir(parents=True)
    shutil.copy(FIXTURES / "mistakes" / "mine_strict_less.py", subs / "alice" / "mine.py")
    exercises = load_exercises(ROOT / "exercises", ["mine"])
    first = grade_cohort(subs, out, exercises, workers=1)
    assert first.graded == 1
    again = grade_cohort(subs, out, exercises, workers=1)
    assert (again.graded, again.skipped) == (0, 1)
    shutil.copy(FIXTURES / "correct" / "mine.py", subs / "alice" / "mine.py")
    fixed = grade_cohort(subs, out, exercises, workers=1)
    assert fixed.graded == 1
    assert fixed.points["mine"] == [10.0]
    forced = grade_cohort(subs, out, exercises, workers=1, force=True)
    assert forced.graded == 1


def test_a_grader_fault_is_recorded_for_that_submission_and_the_run_goes_on(tmp_path, monkeypatch):
    from edu_chain.grading import cohort

    subs = tmp_path / "subs"
    for student in ("ann", "ben"):
        (subs / student).mkdir(parents=True)
        shutil.copy(FIXTURES / "correct" / "mine.py", subs / student / "mine.py")
    real = cohort._grade_one

    def flaky(student_dir, exercise, *rest):
        if student_dir.name == "ann":
            raise RuntimeError("disk on fire")
        return real(student_dir, exercise, *rest)

    monkeypatch.setattr(cohort, "_grade_one", flaky)
    out = tmp_path / "out"
    summary = grade_cohort(subs, out, load_exercises(ROOT / "exercises", ["mine"]), workers=2)
    assert summary.statuses["grader-error"] == 1
    assert summary.points["mine"] == [0.0, 10.0]
    assert "disk on fire" in (out / "feedback" / "ann.md").read_text()


def test_a_table_of_the_published_cases_fails_the_cohorts_random_group(tmp_path):
    """The seeds are in the repository every student installs: a submission that answers
    the published cases from a table built offline passes them, but a cohort draws its
    random groups with its own secret (kept in the gradebook, the same on every re-run)."""
    exercise = load_exercises(ROOT / "exercises", ["sha256"])[0]
    table = {
        case.args[0].hex(): hashlib.sha256(case.args[0]).hexdigest()
        for _, case in planned_cases(exercise)
    }
    template = (FIXTURES / "malicious" / "sha256_lookup_table.py").read_text()
    source = template.replace("{{TABLE}}", repr(table))
    assert grade_cells(exercise, [source], shrink=False).points == 10  # the published seeds
    (tmp_path / "subs" / "eve").mkdir(parents=True)
    (tmp_path / "subs" / "eve" / "sha256.py").write_text(source)
    out = tmp_path / "out"
    summary = grade_cohort(tmp_path / "subs", out, [exercise], workers=1)
    assert summary.points["sha256"] == [6.0]  # known vectors 3 + padding 3, random 0 of 4
    salt = Gradebook(out / "gradebook.sqlite").case_salt
    grade_cohort(tmp_path / "subs", out, [exercise], workers=1, force=True)
    assert Gradebook(out / "gradebook.sqlite").case_salt == salt
    assert Gradebook(tmp_path / "other.sqlite").case_salt != salt


def test_the_case_salt_can_be_pinned_when_the_book_is_created(tmp_path, monkeypatch):
    monkeypatch.setenv("EDUCHAIN_CASE_SALT", "0")
    assert Gradebook(tmp_path / "published.sqlite").case_salt == 0
    monkeypatch.setenv("EDUCHAIN_CASE_SALT", "12345")
    assert Gradebook(tmp_path / "pinned.sqlite").case_salt == 12345
    assert Gradebook(tmp_path / "published.sqlite").case_salt == 0  # kept once created


def test_hostile_exception_text_cannot_break_the_exports(tmp_path):
    """Class names and messages from student code are escaped before they reach feedback:
    junit.xml still parses, the Markdown has only our own two code fences, no raw control
    characters anywhere, and the neighbour's grade is untouched."""
    subs, out = tmp_path / "subs", tmp_path / "out"
    for student, source in (
        ("alice", FIXTURES / "correct" / "merkle_root.py"),
        ("eve", FIXTURES / "malicious" / "hostile_feedback_text.py"),
    ):
        (subs / student).mkdir(parents=True)
        shutil.copy(source, subs / student / "merkle_root.py")
    exercises = load_exercises(ROOT / "exercises", ["merkle_root"])
    summary = grade_cohort(subs, out, exercises, workers=1)
    assert sorted(summary.points["merkle_root"]) == [0.0, 10.0]
    ET.parse(out / "junit.xml")
    feedback = (out / "feedback" / "eve.md").read_text()
    assert [line for line in feedback.splitlines() if line.startswith("```")] == ["```text", "```"]
    assert "<script>" not in feedback.replace("\\n<script>", "")
    for path in [out / "junit.xml", *out.rglob("*.md"), *out.rglob("*.json")]:
        text = path.read_text()
        assert not any(ord(ch) < 32 and ch not in "\n\t" for ch in text), path.name
        assert "\u202e" not in text and "\x1b" not in text
    assert "\\x1b[2J" in feedback and "\\x00" in feedback


# A correct submission that marks its scratch directory and sleeps once at import, so that a
# neighbour running at the same time can find its worker (the attack needs a live victim).
VICTIM = """import os
import time

open(os.path.join(os.getcwd(), {marker!r}), "w").close()
time.sleep(2.0)
"""


def _attack_cohort(tmp_path: Path, monkeypatch, uids: str):
    """alice (correct, slow to load) and mallory (signal_other_worker) side by side."""
    monkeypatch.setenv(sandbox.SANDBOX_UIDS_ENV, uids)
    marker = f"victim-marker-{tmp_path.name}-{os.getpid()}"
    subs, out = tmp_path / "subs", tmp_path / "out"
    (subs / "alice").mkdir(parents=True)
    (subs / "mallory").mkdir()
    correct = (FIXTURES / "correct" / "merkle_root.py").read_text()
    (subs / "alice" / "merkle_root.py").write_text(VICTIM.format(marker=marker) + correct)
    attack = (FIXTURES / "malicious" / "signal_other_worker.py").read_text()
    attack = attack.replace("{{GRADER_PID}}", str(os.getpid()))
    (subs / "mallory" / "merkle_root.py").write_text(attack.replace("{{VICTIM_MARKER}}", marker))
    exercises = [
        dataclasses.replace(e, limits=Limits(time_s=20, cpu_s=15))
        for e in load_exercises(ROOT / "exercises", ["merkle_root"])
    ]
    # Without the OS sandbox: these tests are about the layers of the process isolation.
    isolation = sandbox.resolve_isolation("process")
    summary = grade_cohort(subs, out, exercises, workers=2, isolation=isolation)
    with (out / "grades.csv").open() as handle:
        rows = {row["student"]: row for row in csv.DictReader(handle)}
    feedback = {
        name: json.loads((out / "feedback" / f"{name}.json").read_text())["exercises"][0]
        for name in rows
    }
    return summary, rows, feedback, out


@pytest.mark.slow
def test_a_worker_killed_by_its_neighbour_is_graded_again_alone(tmp_path, monkeypatch):
    """Layer 1, for any user: workers share the grader's uid, so the pidfd kill lands (the
    audit hook has no event to refuse); the victim's crash is not kept, it is graded again
    alone and gets its full marks; the attacker scores 0 for the os.kill it also tried."""
    summary, rows, feedback, out = _attack_cohort(tmp_path, monkeypatch, "0")
    mallory, alice = feedback["mallory"], feedback["alice"]
    assert "pidfd_send_signal victim SIGKILL: sent" in mallory["stdout_tail"]
    assert mallory["status"] == "violation" and "os.kill" in mallory["message"]
    assert rows["mallory"]["merkle_root"] == "0"
    assert rows["alice"]["merkle_root"] == "10"
    assert alice["status"] == "graded" and alice["points"] == 10
    assert summary.rerun == 1
    assert any("Graded again alone" in w and "signal 9" in w for w in alice["warnings"])
    assert "Graded again alone" in (out / "feedback" / "alice.md").read_text()


@pytest.fixture
def sandbox_uids(monkeypatch):
    """Workers under their own uids, or a skip with the reason.  When this interpreter sits
    where an unprivileged user cannot read it (pyenv under a private /root), a system Python
    runs the workers instead: the worker needs only the standard library."""
    monkeypatch.delenv(sandbox.SANDBOX_UIDS_ENV, raising=False)
    reason = sandbox.sandbox_uid_status()
    if reason and os.geteuid() == 0:
        for candidate in ("/usr/bin/python3", "/usr/local/bin/python3"):
            if not os.access(candidate, os.X_OK):
                continue
            query = "import sys, sysconfig; print(sys.version_info >= (3, 10)); " + (
                "p = sysconfig.get_paths(); print(p['stdlib'], p['purelib'], p['platlib'])"
            )
            lines = subprocess.run(
                [candidate, "-I", "-S", "-c", query], capture_output=True, text=True, check=False
            ).stdout.split()
            if lines[:1] != ["True"]:
                continue
            roots = ([lines[1]], [*sandbox._readable_roots()[1], *lines[2:]])
            monkeypatch.setattr(sys, "executable", candidate)
            monkeypatch.setattr(sandbox, "_readable_roots", lambda roots=roots: roots)
            sandbox._probe_sandbox_uid.cache_clear()
            reason = sandbox.sandbox_uid_status()
            if not reason:
                break
            monkeypatch.undo()
    if reason:
        pytest.skip(f"workers cannot run under their own uid here: {reason}")
    yield
    monkeypatch.undo()
    sandbox._probe_sandbox_uid.cache_clear()


@pytest.mark.slow
def test_under_root_the_kernel_refuses_the_neighbours_signal(tmp_path, monkeypatch, sandbox_uids):
    """Layer 2: as root, each worker runs under its own uid, so pidfd_send_signal to the
    grader and to the other student's worker fails with EPERM; nothing needs a re-run."""
    summary, rows, feedback, _ = _attack_cohort(tmp_path, monkeypatch, "1")
    attack = feedback["mallory"]["stdout_tail"]
    assert "pidfd_send_signal grader 0: refused" in attack
    assert "pidfd_send_signal victim SIGKILL: refused" in attack
    assert rows["mallory"]["merkle_root"] == "0" and rows["alice"]["merkle_root"] == "10"
    assert summary.rerun == 0


def test_a_worker_under_its_own_uid_still_reads_the_standard_library(sandbox_uids):
    """Layer 2: scratch is the worker's own, hashlib loads, the uid is a sandbox uid with no
    supplementary groups, and the grade is the usual one."""
    exercise = load_exercises(ROOT / "exercises", ["merkle_root"])[0]
    probe = "\nimport os\nprint('ids', os.getuid(), os.getgid(), os.getgroups())\n"
    source = (FIXTURES / "correct" / "merkle_root.py").read_text() + probe
    isolation = sandbox.resolve_isolation("process")
    assert isolation.uid_separation and "per-worker uid" in isolation.summary
    result = grade_cells(exercise, [source], shrink=False, isolation=isolation)
    assert result.points == 10, result.message
    _, uid, gid, groups = result.stdout_tail.split(maxsplit=3)
    assert int(uid) == int(gid) >= sandbox.SANDBOX_UID_BASE and groups.strip() == "[]"


def test_a_submission_that_crashes_itself_crashes_again_alone(tmp_path):
    """The isolated re-run never helps the crasher: same status, same 0, with the note; its
    honest neighbour is untouched and not re-run."""
    subs, out = tmp_path / "subs", tmp_path / "out"
    for student, source in (
        ("ann", FIXTURES / "correct" / "merkle_root.py"),
        ("carl", FIXTURES / "malicious" / "os_exit_in_call.py"),
    ):
        (subs / student).mkdir(parents=True)
        shutil.copy(source, subs / student / "merkle_root.py")
    summary = grade_cohort(
        subs, out, load_exercises(ROOT / "exercises", ["merkle_root"]), workers=2
    )
    assert summary.rerun == 1 and summary.graded == 2
    carl = json.loads((out / "feedback" / "carl.json").read_text())["exercises"][0]
    ann = json.loads((out / "feedback" / "ann.json").read_text())["exercises"][0]
    assert (carl["status"], carl["points"]) == ("crashed", 0)
    assert "exit status" in carl["interference"]
    assert any("Graded again alone" in w for w in carl["warnings"])
    assert (ann["points"], ann["warnings"], ann["interference"]) == (10, [], "")


def test_uid_separation_is_switchable(monkeypatch):
    monkeypatch.setenv(sandbox.SANDBOX_UIDS_ENV, "0")
    assert "EDUCHAIN_SANDBOX_UIDS=0" in sandbox.sandbox_uid_status()
    monkeypatch.setenv(sandbox.SANDBOX_UIDS_ENV, "1")
    status = sandbox.sandbox_uid_status()
    if os.geteuid() != 0:
        assert "not root" in status
    else:  # "" where the interpreter is readable by others; otherwise the reason, and layer 1
        assert status == "" or "unprivileged uid" in status
