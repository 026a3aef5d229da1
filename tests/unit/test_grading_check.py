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


def test_check_warns_when_a_function_reaches_a_banned_module():
    """check() runs in the student's kernel, so it cannot refuse hashlib; it must say so."""
    import hashlib
    from hashlib import sha256 as openssl_sha256

    from edu_chain.grading import check

    def via_module(data):
        return hashlib.sha256(data).digest()

    def via_imported_function(data):
        return openssl_sha256(data).digest()

    def via_local_import(data):
        import hashlib as h

        return h.sha256(data).digest()

    for cheat in (via_module, via_imported_function, via_local_import):
        report = check("sha256", cheat)
        assert report.passed  # the public vectors pass...
        assert report.warnings and "would score 0" in report.warnings[0]  # ...but it is flagged
        assert "WARNING" in str(report) and "warning" in report._repr_html_()


def test_check_does_not_warn_about_allowed_modules():
    import hashlib

    from edu_chain.grading import check

    def merkle_root(txids):  # hashlib is allowed outside the sha256 exercise
        if not txids:
            raise ValueError("empty")
        level = list(txids)
        while len(level) > 1:
            if len(level) % 2:
                level.append(level[-1])
            level = [
                hashlib.sha256(hashlib.sha256(level[i] + level[i + 1]).digest()).digest()
                for i in range(0, len(level), 2)
            ]
        return level[0]

    report = check("merkle_root", merkle_root)
    assert report.passed and report.warnings == ()
