"""check(): in-process public checks with the smallest failing input and a hint, as HTML too."""

from __future__ import annotations

import hashlib

import pytest

from edu_chain.errors import GradingError
from edu_chain.grading import check
from edu_chain.merkle import merkle_proof, merkle_root, verify_merkle_proof
from edu_chain.pow import bits_to_target, target_to_bits


def test_reference_passes_every_public_check():
    assert check("merkle_root", merkle_root)
    assert check("merkle_proof", merkle_proof, verify_merkle_proof)
    assert check("target", bits_to_target=bits_to_target, target_to_bits=target_to_bits)
    assert check("sha256", lambda data: hashlib.sha256(data).digest())


def test_mistake_gets_input_expected_actual_and_hint():
    report = check("sha256", lambda data: hashlib.sha256(data).digest()[::-1])
    assert not report
    failure = report.lines[0].failure
    assert failure.call == 'sha256(b"")'
    assert failure.mistake == "bytes-reversed"
    html = report._repr_html_()
    for text in ("smallest failing input", "expected", "actual", "hint", "big-endian"):
        assert text in html
    assert "hint:" in str(report)


def test_exceptions_are_feedback_not_crashes():
    def broken(txids):
        raise NotImplementedError("todo")

    report = check("merkle_root", broken)
    assert "NotImplementedError" in report.lines[0].failure.actual


def test_missing_function_or_unknown_exercise():
    with pytest.raises(GradingError, match="verify_merkle_proof"):
        check("merkle_proof", merkle_proof)
    with pytest.raises(GradingError, match="unknown exercise"):
        check("no_such_exercise", merkle_root)
