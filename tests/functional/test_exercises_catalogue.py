"""The exercise folders follow the fixed layout and agree with the curriculum map.

Oracles: the manifests themselves (``exercise.toml``, loaded and validated against the specs),
the notebooks folder, and Python's own parser for the starters.
"""

from __future__ import annotations

import ast
import re
import tomllib
from pathlib import Path

import pytest

from edu_chain.grading import load_exercises

ROOT = Path(__file__).resolve().parents[2]
EXERCISES_DIR = ROOT / "exercises"
EXERCISES = {e.exercise_id: e for e in load_exercises(EXERCISES_DIR)}
CURRICULUM = tomllib.loads((EXERCISES_DIR / "curriculum.toml").read_text())["exercise"]
FIXED_IDS = ["sha256", "merkle_root", "merkle_proof", "target", "mine", "ecdsa"]


def test_at_least_twelve_exercises_including_the_six_fixed_ones():
    assert len(EXERCISES) >= 12
    assert set(FIXED_IDS) <= set(EXERCISES)
    ecdsa = EXERCISES["ecdsa"]
    assert ecdsa.function_names == ["point_add", "scalar_mult", "sign", "verify"]
    assert {"edu_chain", "ecdsa", "coincurve", "cryptography"} <= set(ecdsa.banned_modules)


def test_curriculum_lists_every_exercise_in_manifest_order():
    ids = [entry["id"] for entry in CURRICULUM]
    assert sorted(ids) == sorted(EXERCISES)
    assert [EXERCISES[i].order for i in ids] == list(range(1, len(ids) + 1))
    for position, entry in enumerate(CURRICULUM):
        assert (ROOT / "notebooks" / f"{entry['notebook']}.ipynb").is_file(), entry
        assert set(entry["prerequisites"]) <= set(ids[:position]), entry
        assert 10 <= entry["minutes"] <= 180


def test_readme_table_matches_the_curriculum():
    text = (EXERCISES_DIR / "README.md").read_text()
    rows = re.findall(
        r"^\| (\d+) \| `(\w+)` \|.*\| `(\w+)` \| ([^|]*) \| (\d+) min \| (\d+) \|$", text, re.M
    )
    assert [row[1] for row in rows] == [entry["id"] for entry in CURRICULUM]
    for (number, exercise_id, notebook, after, minutes, points), entry in zip(
        rows, CURRICULUM, strict=True
    ):
        assert int(number) == EXERCISES[exercise_id].order
        assert notebook == entry["notebook"]
        assert (after.strip() or "-") == (", ".join(entry["prerequisites"]) or "-")
        assert int(minutes) == entry["minutes"]
        assert int(points) == EXERCISES[exercise_id].max_points
    total = sum(e.max_points for e in EXERCISES.values())
    assert f"({total:g} in all)" in text


@pytest.mark.parametrize("exercise_id", sorted(EXERCISES))
def test_folder_holds_task_starter_manifest_and_no_solution(exercise_id):
    folder = EXERCISES_DIR / exercise_id
    files = sorted(p.name for p in folder.iterdir() if p.name != "__pycache__")
    assert files == ["README.md", "exercise.toml", "starter.py"]


@pytest.mark.parametrize("exercise_id", sorted(EXERCISES))
def test_readme_states_contract_steps_example_and_grading(exercise_id):
    exercise = EXERCISES[exercise_id]
    text = (exercise.directory / "README.md").read_text()
    for heading in ("## Contract", "## Steps", "## Worked example", "## How it is graded"):
        assert heading in text, heading
    grading = text[text.index("## How it is graded") :]
    for check in exercise.checks:
        assert check.name in grading, check.name
    for function in exercise.function_names:
        assert f"def {function}(" in text or f"`{function}" in text, function


@pytest.mark.parametrize("exercise_id", sorted(EXERCISES))
def test_starter_has_typed_stubs_with_numbered_steps(exercise_id):
    exercise = EXERCISES[exercise_id]
    source = (exercise.directory / "starter.py").read_text()
    tree = ast.parse(source)
    assert ast.get_docstring(tree) and "educhain check" in ast.get_docstring(tree)
    defined = {node.name: node for node in tree.body if isinstance(node, ast.FunctionDef)}
    for name in exercise.function_names:
        function = defined[name]
        assert function.returns is not None, name
        assert all(a.annotation is not None for a in function.args.args), name
        raised = [n for n in ast.walk(function) if isinstance(n, ast.Raise)]
        assert any("NotImplementedError" in ast.unparse(r) for r in raised), name
        body = ast.get_source_segment(source, function)
        assert re.search(r"# Step \w*1", body), name
    imported = {
        alias.name.split(".")[0]
        for node in ast.walk(tree)
        if isinstance(node, ast.Import | ast.ImportFrom)
        for alias in (node.names if isinstance(node, ast.Import) else [ast.alias(node.module)])
    }
    assert not imported & set(exercise.banned_modules)
