"""Notebook extraction: code cells only, magics and shell lines commented out, clear errors."""

from __future__ import annotations

import json

import pytest

from edu_chain.grading.notebook import SubmissionError, find_submission, notebook_cells


def _nb(cells):
    return json.dumps({"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": cells})


def test_magics_shell_and_edu_chain_imports_are_commented_out(tmp_path):
    path = tmp_path / "work.ipynb"
    path.write_text(
        _nb(
            [
                {"cell_type": "markdown", "source": "# Title"},
                {"cell_type": "code", "source": ["%time x = 1\n", "!rm -rf /\n", "y = 2"]},
                {"cell_type": "code", "source": "%%bash\necho hi"},
                {"cell_type": "code", "source": "from edu_chain.grading import check\nz = 3"},
                {"cell_type": "code", "source": "   "},
            ]
        )
    )
    cells = notebook_cells(path)
    assert len(cells) == 3
    assert cells[0].splitlines() == [
        "# [IPython, not run] %time x = 1",
        "# [IPython, not run] !rm -rf /",
        "y = 2",
    ]
    assert all(line.startswith("#") for line in cells[1].splitlines())
    assert cells[2].splitlines()[0].startswith("# [edu_chain import")
    for cell in cells:
        compile(cell, "cell", "exec")


def test_invalid_notebook_is_a_submission_error(tmp_path):
    (tmp_path / "bad.ipynb").write_text("{ not json")
    with pytest.raises(SubmissionError, match="not a valid notebook"):
        find_submission(tmp_path, "mine")
    (tmp_path / "bad.ipynb").write_text('{"no": "cells"}')
    with pytest.raises(SubmissionError, match="no 'cells' list"):
        find_submission(tmp_path, "mine")


def test_python_file_wins_over_notebooks_and_hash_tracks_content(tmp_path):
    (tmp_path / "x.ipynb").write_text(_nb([{"cell_type": "code", "source": "a = 1"}]))
    from_notebook = find_submission(tmp_path, "mine")
    assert from_notebook.notebook and from_notebook.source == "x.ipynb"
    (tmp_path / "mine.py").write_text("a = 1\n")
    from_file = find_submission(tmp_path, "mine")
    assert not from_file.notebook
    assert from_file.content_hash != from_notebook.content_hash
    assert find_submission(tmp_path, "sha256").notebook  # the notebook still serves others


def test_a_symbolic_link_is_not_a_submission(tmp_path):
    """An uploaded archive can carry symlinks: '../alice/mine.py' would be graded as this
    student's work, and a link to a file of the grading machine would run it as code."""
    alice, mallory = tmp_path / "alice", tmp_path / "mallory"
    alice.mkdir()
    mallory.mkdir()
    (alice / "mine.py").write_text("def mine(*a):\n    return 0\n")
    (alice / "work.ipynb").write_text(_nb([{"cell_type": "code", "source": "a = 1"}]))
    (mallory / "mine.py").symlink_to("../alice/mine.py")
    with pytest.raises(SubmissionError, match=r"mine\.py is a symbolic link"):
        find_submission(mallory, "mine")
    (mallory / "mine.py").unlink()
    (mallory / "work.ipynb").symlink_to(alice / "work.ipynb")
    with pytest.raises(SubmissionError, match=r"work\.ipynb is a symbolic link"):
        find_submission(mallory, "mine")


def test_a_notebook_nested_too_deeply_is_a_submission_error(tmp_path):
    (tmp_path / "deep.ipynb").write_text("[" * 100_000)
    with pytest.raises(SubmissionError, match="not a valid notebook"):
        find_submission(tmp_path, "mine")


def test_a_file_above_the_size_limit_is_a_submission_error(tmp_path, monkeypatch):
    from edu_chain.grading import notebook

    monkeypatch.setattr(notebook, "MAX_SUBMISSION_BYTES", 100)
    (tmp_path / "mine.py").write_text("x = 1\n" * 20)
    with pytest.raises(SubmissionError, match=r"mine\.py is 120 bytes; the limit is 100"):
        find_submission(tmp_path, "mine")
    (tmp_path / "mine.py").unlink()
    (tmp_path / "big.ipynb").write_text(_nb([{"cell_type": "code", "source": "a" * 200}]))
    with pytest.raises(SubmissionError, match="clear the notebook's outputs"):
        find_submission(tmp_path, "mine")
