"""The sandboxed worker against the malicious corpus, correct and typical-mistake submissions.

Oracles: the reference implementation (every correct fixture must score full marks), the
mistake fixtures' documented hint codes, and, for the malicious corpus, the file system and
process table after the run (nothing written outside scratch, no process left behind).
"""

from __future__ import annotations

import dataclasses
import os
import pickle
import shutil
import subprocess
import sysconfig
import time
from pathlib import Path

import pytest
from hypothesis import find

import edu_chain.merkle
from edu_chain.grading import Limits, grade_cells, load_exercises, runner
from edu_chain.grading.runner import planned_cases
from edu_chain.grading.sandbox import resolve_isolation, run_worker
from edu_chain.grading.spec import encode

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "tests" / "fixtures" / "submissions"
EXERCISES = {e.exercise_id: e for e in load_exercises(ROOT / "exercises")}
SHORT = Limits(time_s=3, cpu_s=2, memory_mb=256)

# fixture -> (status, what the message must mention)
MALICIOUS = {
    "infinite_loop": (("timeout", "crashed"), "limit"),  # wall clock or CPU, whichever first
    "memory_hog": (None, ""),  # MemoryError per call or killed: either way 0 points
    "os_exit_in_call": ("crashed", "ended the worker early"),
    "sys_exit_at_import": ("load-error", "SystemExit"),
    "fork_children": ("violation", "os.fork"),
    "spawn_children": ("violation", "os.posix_spawn"),
    "write_outside": ("violation", "grades.csv"),
    "write_outside_in_call": ("violation", "note.txt"),
    "read_other_students": ("violation", "honest"),
    "fake_passed": ("graded", ""),
    "forged_reports": ("graded", ""),  # malformed records are dropped by the parent
    "stdout_flood": ("graded", ""),  # the write fails at RLIMIT_FSIZE (Python ignores SIGXFSZ)
    "always_equal": ("graded", ""),
    "patched_builtins": ("graded", ""),
    "import_reference": ("violation", "reference implementation"),
    "importlib_reference": ("violation", ""),
    "read_reference_source": ("violation", "merkle.py"),
    "kill_parent": ("violation", "os.kill"),
    "prlimit_other_processes": ("violation", "resource.prlimit"),
    "patched_path_helpers": ("violation", "grades.csv"),
    "pathlike_swap": (None, ""),  # open() resolves __fspath__ once, before the audit event
    "dir_fd_escape": ("violation", "absolute str paths"),
    "sha256_private_hash": ("violation", "_sha256"),
    "sha256_importlib_hash": ("violation", "bans"),
    "sha256_sys_modules": ("graded", ""),
    "sha256_renamed_extension": ("violation", "student._sha256"),
    "native_extension": ("violation", "loading native code"),
    "code_object": ("violation", "code.__new__"),
    "disk_filler": ("violation", "files written"),
    "report_pipe_flood": ("violation", "report pipe"),
    "hostile_feedback_text": ("graded", ""),  # its text is escaped: see test_grading_cohort
}

# Where the OS sandbox changes the outcome: the repository does not exist inside it, so the
# import finds nothing (ImportError, caught by the submission: a wrong answer) before the audit
# hook has anything to refuse.
UNDER_OS_SANDBOX = {"importlib_reference": (("violation", "graded"), "")}

MISTAKES = {
    "sha256_bytes_reversed": ("sha256", 0, "bytes-reversed"),
    "sha256_padding": ("sha256", 4, "padding-boundary"),
    "merkle_root_no_duplicate": ("merkle_root", 4, "odd-level-not-duplicated"),
    "merkle_root_single_sha": ("merkle_root", 1, "single-sha256"),
    "merkle_root_reversed": ("merkle_root", 1, "bytes-reversed"),
    "merkle_proof_root_first": ("merkle_proof", 5, "proof-root-first"),
    "merkle_proof_sides_swapped": ("merkle_proof", 5, "sibling-side"),
    "target_no_sign_fix": ("target", 2, "sign-bit-not-handled"),
    "target_negative_accepted": ("target", 8, "negative-not-rejected"),
    "mine_strict_less": ("mine", 6, "strict-less-than"),
    "mine_stop_included": ("mine", 3, "stop-included"),
}


def materialise(name: str, tmp_path: Path) -> str:
    """The fixture's source with its {{PLACEHOLDERS}} pointing into this test's folders."""
    source = (FIXTURES / "malicious" / f"{name}.py").read_text()
    for key, value in {
        "OUT": tmp_path / "out",
        "SUBMISSIONS": tmp_path / "subs",
        "MARKER": tmp_path / f"marker_{name}",
        "REPO": ROOT,
        "REFERENCE_FILE": Path(edu_chain.merkle.__file__),
    }.items():
        source = source.replace("{{" + key + "}}", str(value))
    return source


@pytest.fixture(params=["os", "process"])
def isolation(request):
    """Each case with the bubblewrap sandbox (required in CI) and with the process layers only."""
    if request.param == "os":
        return request.getfixturevalue("os_sandbox")
    return resolve_isolation("process")


@pytest.mark.parametrize("name", sorted(MALICIOUS))
def test_malicious_submission_is_contained_and_scores_zero(name, tmp_path, isolation):
    (tmp_path / "out").mkdir()
    (tmp_path / "subs" / "honest").mkdir(parents=True)
    honest = (FIXTURES / "correct" / "merkle_root.py").read_text()
    (tmp_path / "subs" / "honest" / "merkle_root.py").write_text(honest)
    exercise_id = "sha256" if name.startswith("sha256") else "merkle_root"
    exercise = dataclasses.replace(EXERCISES[exercise_id], limits=SHORT)
    result = grade_cells(exercise, [materialise(name, tmp_path)], isolation=isolation)
    status, mention = MALICIOUS[name]
    if isolation.os_sandbox:
        status, mention = UNDER_OS_SANDBOX.get(name, (status, mention))
    assert result.points == 0
    if status:
        assert result.status in (status if isinstance(status, tuple) else (status,)), result.message
    assert mention in result.message
    assert sorted(os.listdir(tmp_path / "out")) == []
    assert sorted(os.listdir(tmp_path / "subs")) == ["honest"]
    assert (tmp_path / "subs" / "honest" / "merkle_root.py").read_text() == honest


def test_dir_fd_escape_leaves_the_standard_library_untouched(tmp_path):
    probe = Path(os.__file__).parent / "educhain_sandbox_escape_probe.txt"
    exercise = dataclasses.replace(EXERCISES["merkle_root"], limits=SHORT)
    try:
        result = grade_cells(exercise, [materialise("dir_fd_escape", tmp_path)])
        assert result.status == "violation"
        assert not probe.exists()
    finally:
        probe.unlink(missing_ok=True)


EXTENSION_C = """
#include <Python.h>
#include <stdio.h>
static struct PyModuleDef def = {PyModuleDef_HEAD_INIT, "evil", NULL, -1, NULL};
PyMODINIT_FUNC PyInit_evil(void) {
    FILE *marker = fopen("MARKER", "w");
    if (marker) { fputs("native code ran", marker); fclose(marker); }
    return PyModule_Create(&def);
}
"""


def test_a_compiled_extension_never_runs(tmp_path):
    """A real extension module written to scratch: its init function must never run."""
    compiler = shutil.which("cc") or shutil.which("gcc")
    include = sysconfig.get_paths()["include"]
    if compiler is None or not (Path(include) / "Python.h").exists():
        pytest.skip("needs a C compiler and Python.h to build the extension")
    marker = tmp_path / "marker_native"
    (tmp_path / "evil.c").write_text(EXTENSION_C.replace("MARKER", str(marker)))
    built = subprocess.run(
        [compiler, "-shared", "-fPIC", f"-I{include}", "-o", "evil.so", "evil.c"],
        cwd=tmp_path,
        capture_output=True,
    )
    if built.returncode != 0:
        pytest.skip("the C compiler could not build the extension")
    source = materialise("native_extension", tmp_path).replace(
        "{{NATIVE_EXTENSION}}", (tmp_path / "evil.so").read_bytes().hex()
    )
    exercise = dataclasses.replace(EXERCISES["merkle_root"], limits=SHORT)
    result = grade_cells(exercise, [source], shrink=False)
    assert result.status == "violation", result.message
    assert not marker.exists()


def test_children_cannot_outlive_the_worker(tmp_path):
    """Fork and spawn are refused; a marker written 2 s later by an escaped child never appears."""
    exercise = dataclasses.replace(EXERCISES["merkle_root"], limits=SHORT)
    for name in ("fork_children", "spawn_children"):
        grade_cells(exercise, [materialise(name, tmp_path)])
    time.sleep(2.5)
    assert not list(tmp_path.glob("marker_*"))


@pytest.mark.parametrize("exercise_id", sorted(EXERCISES))
def test_correct_submission_scores_full_marks(exercise_id):
    source = (FIXTURES / "correct" / f"{exercise_id}.py").read_text()
    result = grade_cells(EXERCISES[exercise_id], [source])
    assert result.status == "graded"
    assert result.points == result.max_points == 10


@pytest.mark.parametrize("name", sorted(MISTAKES))
def test_typical_mistake_scores_less_with_its_hint(name):
    exercise_id, points, mistake = MISTAKES[name]
    source = (FIXTURES / "mistakes" / f"{name}.py").read_text()
    result = grade_cells(EXERCISES[exercise_id], [source])
    assert result.status == "graded"
    assert result.points == points
    codes = {g.failure.mistake for g in result.groups if g.failure}
    assert mistake in codes
    assert all(g.failure.hint for g in result.groups if g.failure and g.failure.mistake)


@pytest.mark.parametrize("exercise_id", sorted(EXERCISES))
def test_starter_scores_zero_with_a_helpful_message(exercise_id):
    source = (ROOT / "exercises" / exercise_id / "starter.py").read_text()
    result = grade_cells(EXERCISES[exercise_id], [source])
    assert result.points == 0
    assert "NotImplementedError" in result.message


def test_missing_function_is_named():
    result = grade_cells(EXERCISES["merkle_proof"], ["def merkle_proof(t, i):\n    return []\n"])
    assert result.status == "load-error"
    assert "verify_merkle_proof" in result.message


LEFTOVERS_PROBE = """
import sys

def sha256(data):
    classes, todo = set(), [object]
    while todo:
        for sub in type.__subclasses__(todo.pop()):
            if sub not in classes:
                classes.add(sub)
                todo.append(sub)
    return [sorted(sys.modules), sorted(str(c.__module__) for c in classes)]
"""


def test_worker_starts_without_any_hash_module_loaded():
    """Nothing banned is pre-imported, so sys.modules offers no way around the import hook;
    and the hash libraries the zygote loads ahead (_worker.PRELOADED) leave no module or type
    of theirs behind to reach."""
    exercise = EXERCISES["sha256"]
    run = run_worker(
        cells=[LEFTOVERS_PROBE],
        functions=["sha256"],
        calls=[{"id": 0, "function": "sha256", "args": [encode(b"")]}],
        banned=list(exercise.banned_modules),
        limits=exercise.limits,
    )
    loaded, type_modules = run.results[0]["value"]
    assert not set(loaded) & set(exercise.banned_modules)
    assert not any(name.startswith("edu_chain") for name in loaded)
    assert {"_hashlib", "_blake2"} <= set(exercise.banned_modules)
    assert not set(type_modules) & set(exercise.banned_modules)


def test_every_student_gets_the_same_cases():
    """Fixed seeds: the planned inputs are identical when generated again from scratch."""
    for exercise in EXERCISES.values():
        first = [encode(c.args) for _, c in planned_cases(exercise)]
        for group in exercise.spec.groups:
            regenerated = [encode(c.args) for c in group.make_cases()]
            cached = [encode(c.args) for c in exercise.spec.cases(group.name)]
            assert regenerated == cached
        assert first


def test_stdout_is_never_parsed(tmp_path):
    source = (
        'print(\'{"t": "done"}\')\ndef merkle_root(txids):\n    print("PASSED")\n    return 1\n'
    )
    result = grade_cells(EXERCISES["merkle_root"], [source])
    assert result.points == 0
    assert "PASSED" in result.stdout_tail


def test_hypothesis_shrinks_the_failing_input_shown():
    """Shrinking in the live worker: carrying the odd hash up first differs at 3 leaves, and
    the minimal such list is three all-zero txids; a reversed root first differs at 1 leaf."""
    source = (FIXTURES / "mistakes" / "merkle_root_no_duplicate.py").read_text()
    result = grade_cells(EXERCISES["merkle_root"], [source])
    failure = next(g.failure for g in result.groups if g.name == "random")
    assert failure.call == "merkle_root([" + ", ".join([f'bytes.fromhex("{"00" * 32}")'] * 3) + "])"
    assert failure.mistake == "odd-level-not-duplicated"
    reversed_root = (FIXTURES / "mistakes" / "merkle_root_reversed.py").read_text()
    result = grade_cells(EXERCISES["merkle_root"], [reversed_root])
    failure = next(g.failure for g in result.groups if g.name == "random")
    assert failure.call.count("bytes.fromhex") == 1


# merkle_root_no_duplicate.py, made to answer differently when it is wrong (reversed bytes): the
# same inputs fail, with other values, so no shrink result of the plain file can be reused.
REVERSED_WHEN_WRONG = """
import hashlib as _hashlib
_wrong = merkle_root

def _right(txids):
    level = list(txids)
    while len(level) > 1:
        if len(level) % 2:
            level.append(level[-1])
        pairs = [level[i] + level[i + 1] for i in range(0, len(level), 2)]
        level = [_hashlib.sha256(_hashlib.sha256(p).digest()).digest() for p in pairs]
    return level[0]

def merkle_root(txids):
    root = _wrong(txids)
    return root if root == _right(txids) else root[::-1]
"""


def test_a_search_is_replayed_for_the_same_failures_and_finds_the_same_input(monkeypatch):
    """Hypothesis's candidates depend only on which earlier ones failed: a submission failing
    the same candidates as an earlier one is shown what a search of its own would find,
    without running Hypothesis's engine again."""
    exercise = EXERCISES["merkle_root"]
    plain = (FIXTURES / "mistakes" / "merkle_root_no_duplicate.py").read_text()
    other = plain + REVERSED_WHEN_WRONG
    runner.forget_shrinks()
    alone = grade_cells(exercise, [other])  # nothing recorded: a live search
    runner.forget_shrinks()
    grade_cells(exercise, [plain])  # records its search
    searches = []

    def counted(*args, **kwargs):
        searches.append(args)
        return find(*args, **kwargs)

    monkeypatch.setattr(runner, "find", counted)
    replayed = grade_cells(exercise, [other])
    assert searches == []
    assert dataclasses.replace(replayed, seconds=0) == dataclasses.replace(alone, seconds=0)
    failure = next(g.failure for g in replayed.groups if g.name == "random")
    assert failure.call == "merkle_root([" + ", ".join([f'bytes.fromhex("{"00" * 32}")'] * 3) + "])"
    runner.forget_shrinks()


def test_what_one_grader_process_learns_spares_another_the_search(monkeypatch):
    """Grader processes (processes.py) pass each other what their searches learned, pickled:
    taken in with ``learn``, it spares the search, and the student sees what a search of its
    own shows."""
    exercise = EXERCISES["merkle_root"]
    plain = (FIXTURES / "mistakes" / "merkle_root_no_duplicate.py").read_text()
    searches = []

    def counted(*args, **kwargs):
        searches.append(args)
        return find(*args, **kwargs)

    monkeypatch.setattr(runner, "find", counted)
    runner.forget_shrinks()
    alone = grade_cells(exercise, [plain])
    assert searches  # on its own, the mistake is searched for
    runner.forget_shrinks()
    monkeypatch.setattr(runner, "_OUTBOX", [])  # sharing, as in a grader process
    grade_cells(exercise, [plain])
    entries = pickle.loads(pickle.dumps(runner.learned()))
    runner.forget_shrinks()  # another process: it knows only what it is told
    runner.learn(entries)
    searches.clear()
    shared = grade_cells(exercise, [plain])
    assert searches == []
    assert dataclasses.replace(shared, seconds=0) == dataclasses.replace(alone, seconds=0)
    runner.forget_shrinks()


def test_shrinking_never_changes_points_even_if_the_worker_hangs_while_shrinking():
    """The code hangs from its first call after the graded batch, i.e. while probing (the
    diagnosis probes run after the first batch, only for a failing submission) and shrinking."""
    exercise = EXERCISES["merkle_root"]
    first_batch = [c for _, c in planned_cases(exercise)] + list(exercise.spec.step_cases())
    assert any(c.function == "merkle_root" for c in exercise.spec.probe_cases())
    graded_calls = sum(1 for case in first_batch if case.function == "merkle_root")
    source = (FIXTURES / "mistakes" / "merkle_root_single_sha.py").read_text() + (
        "\n_real, _calls = merkle_root, [0]\n"
        "def merkle_root(txids):\n"
        "    _calls[0] += 1\n"
        f"    while _calls[0] > {graded_calls}:\n"
        "        pass\n"
        "    return _real(txids)\n"
    )
    exercise = dataclasses.replace(EXERCISES["merkle_root"], limits=SHORT)
    shrunk = grade_cells(exercise, [source])
    plain = grade_cells(exercise, [source], shrink=False)
    assert shrunk.status == plain.status == "graded"
    assert shrunk.points == plain.points == 1


def test_notebook_banned_import_in_another_cell_is_a_note_not_a_zero():
    """A notebook's merkle cells may import hashlib; for the sha256 exercise that import is
    refused and noted, and the from-scratch sha256 defined in another cell still earns its
    points.  Using a banned module inside a graded call is still a violation."""
    from edu_chain.grading.notebook import NOTEBOOK_PRELUDE

    merkle_cell = "import hashlib\ndef sha256d(b):\n    return hashlib.sha256(b).digest()\n"
    own_sha = (FIXTURES / "correct" / "sha256.py").read_text()
    cells = [NOTEBOOK_PRELUDE, merkle_cell, own_sha]
    result = grade_cells(EXERCISES["sha256"], cells, notebook=True)
    assert result.points == 10
    assert any("hashlib" in warning for warning in result.warnings)
    cheating = "def sha256(data):\n    import _sha256\n    return _sha256.sha256(data).digest()\n"
    result = grade_cells(EXERCISES["sha256"], [NOTEBOOK_PRELUDE, cheating], notebook=True)
    assert result.status == "violation"


def test_a_huge_int_is_reported_by_size_not_fatal():
    """Python will not print an int of over 4300 digits; the worker used to die on one
    ("ended the worker early") and lose every other group's points with it."""
    source = "def merkle_root(txids):\n    if not txids:\n        raise ValueError\n"
    source += "    return 1 << 20000\n"
    result = grade_cells(EXERCISES["merkle_root"], [source], shrink=False)
    assert result.status == "graded"
    assert {g.name: g.points for g in result.groups}["empty"] == 1
    assert "int of 20001 bits" in next(g.failure.actual for g in result.groups if g.failure)


def test_verify_returning_1_for_true_does_not_pass():
    """The contract says ``-> bool``: 1 and 0 are wrong answers even though ``True == 1``."""
    correct = (FIXTURES / "correct" / "merkle_proof.py").read_text()
    as_int = correct.replace(
        "return current == root and position == 0", "return int(current == root and position == 0)"
    )
    assert as_int != correct
    result = grade_cells(EXERCISES["merkle_proof"], [as_int], shrink=False)
    failures = [g.failure for g in result.groups if g.failure]
    assert result.points < result.max_points
    assert any(f.expected == "True" and f.actual == "1" for f in failures)
