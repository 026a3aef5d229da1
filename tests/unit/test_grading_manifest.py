"""exercise.toml loading: the shipped exercises load, malformed manifests give coded errors."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from edu_chain.grading import ManifestError, find_exercises_dir, load_exercise, load_exercises

ROOT = Path(__file__).resolve().parents[2]
GOOD = (ROOT / "exercises" / "merkle_root" / "exercise.toml").read_text()


def test_shipped_exercises_load_in_curriculum_order():
    exercises = load_exercises(ROOT / "exercises")
    ids = [e.exercise_id for e in exercises]
    assert ids[:5] == ["sha256", "merkle_root", "merkle_proof", "target", "mine"]
    for exercise in exercises[:5]:
        assert exercise.max_points == 10
        assert "edu_chain" in exercise.banned_modules
        assert (exercise.directory / "starter.py").is_file()
        assert (exercise.directory / "README.md").is_file()
    sha = exercises[0]
    assert {"hashlib", "_hashlib", "_sha256", "_sha2"} <= set(sha.banned_modules)


def _write(tmp_path: Path, text: str, folder: str = "merkle_root") -> Path:
    directory = tmp_path / folder
    directory.mkdir()
    (directory / "exercise.toml").write_text(text)
    return directory


@pytest.mark.parametrize(
    ("text", "folder", "code"),
    [
        ("id = 'merkle_root'\ntitle = [", "merkle_root", "manifest-syntax"),
        (
            GOOD.replace('title = "The Merkle root of a block"\n', ""),
            "merkle_root",
            "manifest-field",
        ),
        (GOOD, "other_name", "manifest-field"),
        (GOOD.replace("points = 3", "points = -1", 1), "merkle_root", "manifest-field"),
        (GOOD.replace("time_s = 20", "time_s = 0"), "merkle_root", "manifest-field"),
        (GOOD.replace("time_s = 20", "lunch_s = 20"), "merkle_root", "manifest-field"),
        (
            GOOD.replace('name = "odd-levels"', 'name = "no-such-group"'),
            "merkle_root",
            "manifest-spec-mismatch",
        ),
        (
            GOOD.replace('name = "merkle_root"', 'name = "root"'),
            "merkle_root",
            "manifest-spec-mismatch",
        ),
        (GOOD.replace('id = "merkle_root"', 'id = "unknown_ex"'), "unknown_ex", "manifest-no-spec"),
    ],
)
def test_malformed_manifest_has_a_reason_code(tmp_path, text, folder, code):
    directory = _write(tmp_path, text, folder)
    with pytest.raises(ManifestError) as info:
        load_exercise(directory)
    assert info.value.code == code
    assert "exercise.toml" in str(info.value)


def test_missing_manifest(tmp_path):
    with pytest.raises(ManifestError) as info:
        load_exercise(tmp_path)
    assert info.value.code == "manifest-missing"


def test_fingerprint_changes_with_the_manifest(tmp_path):
    before = load_exercise(_write(tmp_path, GOOD)).fingerprint
    shutil.rmtree(tmp_path / "merkle_root")
    after = load_exercise(_write(tmp_path, GOOD.replace("points = 3", "points = 4", 1))).fingerprint
    assert before != after


def test_exercises_dir_is_found_from_a_subfolder(tmp_path):
    assert find_exercises_dir(ROOT / "tests" / "unit") == ROOT / "exercises"
    assert find_exercises_dir(tmp_path) is not None  # falls back to the package's copy
