"""The parent's check of report records: only the shapes ``_worker.py`` writes are accepted.

Oracle: records produced by the real worker (a correct submission, a raising one, a missing
function) are all accepted; hand-forged records of the wrong shape are all refused.
"""

from __future__ import annotations

import json

import pytest

from edu_chain.grading import Limits
from edu_chain.grading.reports import printable, printable_record, well_formed
from edu_chain.grading.sandbox import run_worker
from edu_chain.grading.spec import encode

SOURCE = (
    "def f(x):\n    if x == 0:\n        raise ValueError('zero')\n    return [x, b'ab', None]\n"
)


def test_every_record_the_real_worker_writes_is_well_formed():
    calls = [{"id": i, "function": "f", "args": [encode(x)]} for i, x in enumerate([0, 7])]
    run = run_worker(cells=[SOURCE], functions=["f"], calls=calls, banned=[], limits=Limits())
    assert {r["t"] for r in run.records} >= {"ready", "result", "batch_done", "done"}
    assert run.results[1]["value"] == [7, {"$b": "6162"}, None]
    assert "ValueError" in run.results[0]["raised"]
    missing = run_worker(cells=["x = 1"], functions=["f"], calls=[], banned=[], limits=Limits())
    assert missing.first("load_error") is not None


@pytest.mark.parametrize(
    "record",
    [
        [],
        {"t": 1},
        {"t": "unknown"},
        {"t": "batch_done", "batch": True},
        {"t": "batch_done", "batch": [0]},
        {"t": "result", "id": [0], "value": 1},
        {"t": "result", "id": 0, "value": 1.0},
        {"t": "result", "id": 0, "value": {"$b": "zz"}},
        {"t": "result", "id": 0, "value": {"$b": 5}},
        {"t": "result", "id": 0, "value": {"$b": "00", "x": 1}},
        {"t": "result", "id": 0, "raised": 5, "message": "", "where": []},
        {"t": "result", "id": 0, "raised": [], "message": "", "where": []},
        {"t": "result", "id": 0, "raised": ["E"], "message": "", "where": 7},
        {"t": "load_error", "raised": ["E"], "message": "", "where": []},  # no cell
        {"t": "load_error", "type": "MissingFunction", "message": 3},
        {"t": "violation", "kind": [], "detail": "x", "phase": "load"},
    ],
)
def test_forged_records_of_the_wrong_shape_are_refused(record):
    assert not well_formed(record)


def test_text_from_student_code_is_made_printable_but_values_are_not_touched():
    assert printable("plain text: é ✓ 😀") == "plain text: é ✓ 😀"
    assert printable("a\x00b\nc\x1b[2J\u202e") == "a\\x00b\\nc\\x1b[2J\\u202e"
    record = {
        "t": "result",
        "id": 0,
        "raised": ["Boom\x1b", "Exception"],
        "message": "\n```",
        "where": ["line 1, in f"],
    }
    assert printable_record(record)["raised"] == ["Boom\\x1b", "Exception"]
    assert printable_record(record)["message"] == "\\n```"
    value = {"t": "result", "id": 0, "value": ["\x00"]}
    assert printable_record(value) == value


def test_a_plain_result_is_kept_and_any_other_record_with_its_keys_is_escaped():
    plain = {"t": "result", "id": 3, "value": ["\x1b", {"$b": "00"}]}
    assert printable_record(plain) == plain  # values are data, shown through repr
    forged = {"t": "ready", "id": "\x1b[31m", "value": 1}
    assert printable_record(forged)["id"] == "\\x1b[31m"


def test_a_chunk_of_report_lines_parses_as_each_line_would_alone():
    """Oracle: json.loads on each line by itself, dropping the lines it refuses."""
    from edu_chain.grading.sandbox import _parse_lines

    def alone(lines: list[bytes]) -> list:
        kept = []
        for line in lines:
            try:
                kept.append(json.loads(line))
            except (ValueError, RecursionError):
                continue
        return kept

    good = [json.dumps({"t": "result", "id": i, "value": i * 7}).encode() for i in range(300)]
    assert _parse_lines(good) == alone(good)
    for garbage in (b"1, 2", b"", b"not json", b'{"t": "result"', b"[" * 100_000, b"]"):
        lines = [*good[:5], garbage, *good[5:10]]
        assert _parse_lines(lines) == alone(lines), garbage[:20]
