"""Submissions: find each student's code for an exercise, from a ``.py`` file or notebooks.

Layout (docs/architecture.md#grading-and-the-trust-model)::

    SUBMISSIONS/<student_id>/<exercise_id>.py    one file per exercise, or
    SUBMISSIONS/<student_id>/*.ipynb             notebooks whose code cells define the functions

A ``<exercise_id>.py`` file wins over notebooks.  From a notebook (nbformat 4 JSON, read with
the standard library) only code cells are kept, in order, and made safe to run as plain
Python without running anything else:

- IPython magics (``%time``, ``%%capture``) and shell escapes (``!pip install ...``) are
  commented out, never executed; a ``%%`` cell magic comments out the whole cell;
- lines importing ``edu_chain`` (typically ``from edu_chain.grading import check``) are
  commented out and ``check`` becomes a no-op, so a notebook's self-checks do not count as
  importing the reference.

Each cell is run separately by the worker, and a cell that raises is reported as a note
instead of failing the whole notebook (students' notebooks often have a broken cell).
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from pathlib import Path

from edu_chain.errors import GradingError

NOTEBOOK_PRELUDE = (
    "def check(*args, **kwargs):  # edu_chain.grading.check is a no-op here\n    return None\n"
)
MAX_SUBMISSION_BYTES = 20 * 1024 * 1024  # per file; a notebook with outputs is well under
_EDU_IMPORT = re.compile(r"^\s*(from\s+edu_chain[\s.]|import\s+edu_chain\b)")
_MAGIC = re.compile(r"^\s*(%|!)")


class SubmissionError(GradingError):
    """A student's files cannot be read (a notebook that is not valid JSON, bad encoding)."""


@dataclass(frozen=True)
class Submission:
    """A student's code for one exercise, as cells ready for the worker."""

    student: str
    exercise_id: str
    cells: tuple[str, ...]
    notebook: bool
    source: str  # file name(s), for the feedback

    @property
    def content_hash(self) -> str:
        digest = hashlib.sha256(self.exercise_id.encode())
        for cell in self.cells:
            digest.update(b"\x00" + cell.encode("utf-8", "surrogatepass"))
        return digest.hexdigest()


def _clean_cell(source: str) -> str:
    lines = source.splitlines()
    if lines and lines[0].lstrip().startswith("%%"):
        return "\n".join("# [cell magic, not run] " + line for line in lines)
    out = []
    for line in lines:
        if _MAGIC.match(line):
            out.append("# [IPython, not run] " + line)
        elif _EDU_IMPORT.match(line):
            out.append("# [edu_chain import, not run in grading] " + line)
        else:
            out.append(line)
    return "\n".join(out)


def notebook_cells(path: Path) -> list[str]:
    """The cleaned code cells of a notebook, in order.  Raises :class:`SubmissionError`."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (ValueError, UnicodeDecodeError, RecursionError) as exc:
        raise SubmissionError(f"{path.name} is not a valid notebook (JSON error: {exc})") from None
    if not isinstance(data, dict) or not isinstance(data.get("cells"), list):
        raise SubmissionError(f"{path.name} is not a Jupyter notebook (no 'cells' list)")
    cells = []
    for cell in data["cells"]:
        if not isinstance(cell, dict) or cell.get("cell_type") != "code":
            continue
        source = cell.get("source", "")
        if isinstance(source, list):
            source = "".join(str(part) for part in source)
        if isinstance(source, str) and source.strip():
            cells.append(_clean_cell(source))
    return cells


def find_submission(student_dir: Path, exercise_id: str) -> Submission | None:
    """The student's code for ``exercise_id``, or None when there is none.

    Raises :class:`SubmissionError` for unreadable files (reported per student, never a crash).
    """
    student = student_dir.name
    py_file = student_dir / f"{exercise_id}.py"
    _refuse_symlink(py_file)
    if py_file.is_file():
        try:
            text = py_file.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            raise SubmissionError(f"{py_file.name} is not UTF-8 text") from None
        return Submission(student, exercise_id, (text,), False, py_file.name)
    notebooks = sorted(p for p in student_dir.glob("*.ipynb") if p.is_file())
    if not notebooks:
        return None
    cells = [NOTEBOOK_PRELUDE]
    for notebook in notebooks:
        _refuse_symlink(notebook)
        cells.extend(notebook_cells(notebook))
    return Submission(
        student, exercise_id, tuple(cells), True, ", ".join(p.name for p in notebooks)
    )


def _refuse_symlink(path: Path) -> None:
    """Submissions come from uploaded archives, which can carry symbolic links: a link to
    ``../alice/mine.py`` would be graded as this student's work, and a link to a file of the
    grading machine would be read and run.  Only regular files count.  Files are read whole
    into the grader's memory, so their size is capped too."""
    if path.is_symlink():
        raise SubmissionError(f"{path.name} is a symbolic link; submit the file itself")
    if path.is_file() and path.stat().st_size > MAX_SUBMISSION_BYTES:
        raise SubmissionError(
            f"{path.name} is {path.stat().st_size:,} bytes; the limit is "
            f"{MAX_SUBMISSION_BYTES:,} (clear the notebook's outputs)"
        )


def find_students(submissions_dir: Path) -> list[Path]:
    """Student folders (sorted), skipping hidden ones such as ``.ipynb_checkpoints``."""
    return sorted(
        p for p in submissions_dir.iterdir() if p.is_dir() and not p.name.startswith((".", "_"))
    )
