"""`educhain exercises list` and `educhain exercises start`: help, output, usage errors."""

from __future__ import annotations

import json
import shutil
import tomllib
from pathlib import Path

from click.testing import CliRunner

from edu_chain.cli import main

ROOT = Path(__file__).resolve().parents[2]
EXERCISES = ROOT / "exercises"
CURRICULUM = tomllib.loads((EXERCISES / "curriculum.toml").read_text())["exercise"]


def run(*args: str):
    return CliRunner().invoke(main, ["exercises", *args])


def test_help_has_examples():
    for command in ([], ["list"], ["start"]):
        result = run(*command, "--help")
        assert result.exit_code == 0
        assert "Example" in result.output


def test_list_prints_the_curriculum_in_order():
    result = run("list", "--exercises", str(EXERCISES))
    assert result.exit_code == 0, result.output
    table = result.output.split("\n\n")[0].splitlines()[2:]  # after the header and rule
    ids = [line.split()[1] for line in table]
    assert ids == [entry["id"] for entry in CURRICULUM]
    assert f"{len(ids)} exercises, {10 * len(ids)} points" in result.output
    assert "08_validation_forks_reorgs" in result.output


def test_list_json_has_every_field():
    result = run("list", "--json", "--exercises", str(EXERCISES))
    assert result.exit_code == 0
    entries = json.loads(result.output)
    assert [e["exercise_id"] for e in entries] == [entry["id"] for entry in CURRICULUM]
    sighash = next(e for e in entries if e["exercise_id"] == "sighash_sign")
    assert sighash["prerequisites"] == ["ecdsa", "tx_serialize"]
    assert sighash["notebook"] == "07_transactions_and_utxos"
    assert sighash["points"] == 10 and sighash["minutes"] == 60 and sighash["order"] == 10


def test_start_copies_the_starter_under_the_graded_name(tmp_path):
    workspace = tmp_path / "course" / "week3"  # created if missing
    result = run("start", "merkle_root", str(workspace), "--exercises", str(EXERCISES))
    assert result.exit_code == 0, result.output
    copied = workspace / "merkle_root.py"
    assert copied.read_bytes() == (EXERCISES / "merkle_root" / "starter.py").read_bytes()
    assert "educhain check" in result.output and "README.md" in result.output


def test_start_never_overwrites_work_without_force(tmp_path):
    work = tmp_path / "ecdsa.py"
    work.write_text("# my half-finished solution\n")
    result = run("start", "ecdsa", str(tmp_path), "--exercises", str(EXERCISES))
    assert result.exit_code == 2
    assert "--force" in result.output
    assert work.read_text() == "# my half-finished solution\n"
    forced = run("start", "ecdsa", str(tmp_path), "--force", "--exercises", str(EXERCISES))
    assert forced.exit_code == 0
    assert work.read_text() == (EXERCISES / "ecdsa" / "starter.py").read_text()


def test_start_defaults_to_the_current_folder(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = run("start", "fork_choice", "--exercises", str(EXERCISES))
    assert result.exit_code == 0, result.output
    assert (tmp_path / "fork_choice.py").is_file()


def test_unknown_exercise_is_a_usage_error_listing_the_known_ones(tmp_path):
    result = run("start", "no_such_thing", str(tmp_path), "--exercises", str(EXERCISES))
    assert result.exit_code == 2
    assert "validate_block" in result.output
    assert not list(tmp_path.iterdir())


def test_a_started_exercise_checks_as_not_started(tmp_path):
    """The end-to-end student path: start, then `educhain check` explains what to do."""
    assert run("start", "retarget", str(tmp_path), "--exercises", str(EXERCISES)).exit_code == 0
    args = ["check", str(tmp_path / "retarget.py"), "--exercises", str(EXERCISES)]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 1
    assert "Not started yet" in result.output


def test_list_without_a_curriculum_file_falls_back_to_manifest_order(tmp_path):
    """An instructor's own exercises folder need not have curriculum.toml."""
    folder = tmp_path / "exercises"
    for entry in CURRICULUM[:3]:
        shutil.copytree(EXERCISES / entry["id"], folder / entry["id"])
    result = run("list", "--json", "--exercises", str(folder))
    assert result.exit_code == 0, result.output
    entries = json.loads(result.output)
    assert [e["exercise_id"] for e in entries] == [entry["id"] for entry in CURRICULUM[:3]]
    assert all(e["minutes"] is None and e["notebook"] == "" for e in entries)


def test_start_into_a_folder_that_cannot_be_created_is_one_line(tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    result = CliRunner().invoke(main, ["exercises", "start", "merkle_root", str(blocker / "w")])
    assert result.exit_code == 2, result.output
    assert "cannot write" in result.output and "Traceback" not in result.output
