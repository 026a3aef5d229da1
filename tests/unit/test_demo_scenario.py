"""The demo's scenario (``edu_chain.demo``) without a terminal: it reports to any Reporter.

Oracles: ``hashlib`` for the digest it reports, the grader's own results for the sample class
shipped as files in ``edu_chain/demo/submissions/``.
"""

from __future__ import annotations

import hashlib

import pytest

from edu_chain.demo import run_tour
from edu_chain.demo.scenario import SUBMISSIONS, grading_tour


class Recorder:
    """A Reporter that keeps what it is told."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, object]] = []

    def __getattr__(self, kind: str):
        if kind not in {"step", "say", "show", "note", "ok", "table"}:
            raise AttributeError(kind)
        return lambda *args: self.calls.append((kind, args))

    def texts(self, kind: str) -> list[str]:
        return [args[0] for k, args in self.calls if k == kind]


def test_the_quick_tour_reports_its_checks():
    say = Recorder()
    run_tour(say, quick=True, backend="python")
    assert say.texts("step") == ["1. Double SHA-256, a Merkle proof, one block"]
    digest = hashlib.sha256(hashlib.sha256(b"hello, edu_chain").digest()).hexdigest()
    assert f"sha256d(b'hello, edu_chain') = {digest}" in say.texts("say")
    assert "proof verifies: True" in say.texts("ok")
    assert "hash as a number <= target: True" in say.texts("ok")


def test_keep_running_needs_a_directory():
    with pytest.raises(ValueError, match="keep_running needs a directory"):
        run_tour(Recorder(), keep_running=True)


def test_the_sample_class_is_real_files_graded_as_announced(tmp_path):
    assert sorted(p.relative_to(SUBMISSIONS).as_posix() for p in SUBMISSIONS.rglob("*.py")) == [
        "alice/merkle_root.py",
        "alice/target.py",
        "bob/merkle_root.py",
        "bob/target.py",
        "carol/merkle_root.py",
    ]
    say = Recorder()
    grading_tour(say, tmp_path)
    ((title, columns, rows),) = [args for kind, args in say.calls if kind == "table"]
    assert title == "Gradebook" and columns[:4] == ["student", "exercise", "points", "status"]
    grades = {(row[0], row[1]): (row[2], row[3]) for row in rows}
    assert grades[("alice", "merkle_root")] == ("10/10", "graded")
    assert grades[("alice", "target")] == ("10/10", "graded")
    assert grades[("bob", "merkle_root")][1] == "graded" != grades[("bob", "merkle_root")][0]
    assert grades[("bob", "target")][0] != "10/10"
    assert grades[("carol", "merkle_root")] == ("0/10", "load-error")
    assert grades[("carol", "target")] == ("0/10", "missing")
    assert (tmp_path / "grades" / "grades.csv").exists()
