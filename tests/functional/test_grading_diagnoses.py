"""Feedback that diagnoses (issue 17): the cross-check matrix of mistakes and hints.

Oracles: each fixture under ``tests/fixtures/submissions/mistakes/`` is a real submission with
one typical mistake; the table below says the score band it must get and the one mistake code
its hints must name.  Every correct fixture scores full marks with no hint, the untouched
starter scores 0 with "Not started", and the fixed (unsalted) groups alone catch every
mistake, so a cohort's salt cannot change whether a mistake is caught.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from edu_chain.grading import grade_cells, load_exercises
from edu_chain.grading.check import check
from edu_chain.grading.diagnose import OBSERVATION
from edu_chain.grading.spec import Case, Evidence, Outcome, get_spec

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "tests" / "fixtures" / "submissions"
EXERCISES = {e.exercise_id: e for e in load_exercises(ROOT / "exercises")}

# fixture -> (exercise, lowest and highest score, the mistake code its hints must name).
# Where the random groups may or may not also catch a mistake (they only add), the band is as
# wide as their points; the fixed groups always catch it (test below).
MATRIX = {
    "sha256_bytes_reversed": ("sha256", 0, 0, "bytes-reversed"),
    "sha256_words_little": ("sha256", 0, 0, "words-little-endian"),
    "sha256_double": ("sha256", 0, 0, "double-sha256"),
    "sha256_rotate_left": ("sha256", 0, 0, "rotate-left"),
    "sha256_shift_rotated": ("sha256", 0, 0, "shift-rotated"),
    "sha256_length_little": ("sha256", 0, 0, "length-little-endian"),
    "sha256_length_bytes": ("sha256", 0, 0, "length-in-bytes"),
    "sha256_no_feed_forward": ("sha256", 0, 0, "no-feed-forward"),
    "sha256_padding": ("sha256", 0, 4, "padding-boundary"),
    "merkle_root_reversed": ("merkle_root", 1, 1, "bytes-reversed"),
    "merkle_root_leaves_reversed": ("merkle_root", 1, 1, "leaves-reversed"),
    "merkle_root_single_sha": ("merkle_root", 1, 1, "single-sha256"),
    "merkle_root_no_duplicate": ("merkle_root", 4, 4, "odd-level-not-duplicated"),
    "merkle_root_hashed_alone": ("merkle_root", 4, 4, "odd-level-hashed-alone"),
    "merkle_root_zero_pad": ("merkle_root", 4, 4, "odd-level-zero-padded"),
    "merkle_root_pair_swapped": ("merkle_root", 1, 1, "pair-order-swapped"),
    "merkle_root_single_hashed": ("merkle_root", 4, 4, "single-leaf-hashed"),
    "merkle_root_empty_accepted": ("merkle_root", 9, 9, "empty-not-rejected"),
    "merkle_proof_index_unbounded": ("merkle_proof", 8, 8, "index-not-bounded"),
    "merkle_proof_root_first": ("merkle_proof", 5, 5, "proof-root-first"),
    "merkle_proof_sides_swapped": ("merkle_proof", 5, 5, "sibling-side"),
    "merkle_proof_verify_single_sha": ("merkle_proof", 5, 5, "verify-single-sha256"),
    "merkle_proof_odd_not_duplicated": ("merkle_proof", 5, 5, "proof-odd-level-not-duplicated"),
    "merkle_proof_includes_root": ("merkle_proof", 5, 5, "proof-includes-leaf-or-root"),
    "base58check_find_accepts_bad_chars": ("base58check", 8, 8, "bad-character-accepted"),
    "base58check_checksum_kept": ("base58check", 6, 6, "checksum-not-removed"),
    "base58check_checksum_unchecked": ("base58check", 8, 8, "checksum-not-verified"),
    "base58check_decode_no_zeros": ("base58check", 7, 7, "leading-zeros-dropped"),
    "base58check_encode_no_ones": ("base58check", 6, 6, "leading-zeros-dropped"),
    "base58check_leading_zeros": ("base58check", 5, 5, "leading-zeros-dropped"),
    "base58check_digits_reversed": ("base58check", 4, 4, "digits-reversed"),
    "base58check_no_checksum": ("base58check", 4, 4, "checksum-missing"),
    "base58check_single_sha": ("base58check", 4, 4, "single-sha256-checksum"),
    "target_exponent_off_by_one": ("target", 2, 2, "exponent-off-by-one"),
    "target_negative_accepted": ("target", 8, 8, "negative-not-rejected"),
    "target_no_sign_fix": ("target", 2, 2, "sign-bit-not-handled"),
    "target_overflow_accepted": ("target", 8, 8, "overflow-not-rejected"),
    "target_size_floor": ("target", 5, 5, "size-rounded-down"),
    "target_small_exponent": ("target", 5, 5, "small-exponent"),
    "mine_from_zero": ("mine", 0, 0, "start-ignored"),
    "mine_hash_big_endian": ("mine", 0, 0, "hash-read-big-endian"),
    "mine_nonce_big_endian": ("mine", 0, 0, "nonce-big-endian"),
    "mine_returns_minus_one": ("mine", 0, 0, "none-not-returned"),
    "mine_single_sha": ("mine", 0, 0, "single-sha256"),
    "mine_stop_included": ("mine", 3, 6, "stop-included"),
    "mine_strict_less": ("mine", 3, 6, "strict-less-than"),
    "retarget_divide_first": ("retarget", 0, 0, "divided-first"),
    "retarget_float_ratio": ("retarget", 5, 8, "float-ratio"),
    "retarget_inverted": ("retarget", 0, 0, "ratio-inverted"),
    "retarget_no_clamp": ("retarget", 2, 2, "no-clamp"),
    "retarget_no_limit": ("retarget", 5, 5, "pow-limit-ignored"),
    "retarget_returns_target": ("retarget", 0, 0, "returns-target"),
    "retarget_upper_clamp_only": ("retarget", 2, 2, "clamp-upper-only"),
    "fork_choice_bits_as_target": ("fork_choice", 0, 0, "bits-used-as-target"),
    "fork_choice_float_work": ("fork_choice", 5, 5, "float-division"),
    "fork_choice_longest": ("fork_choice", 5, 5, "longest-chain"),
    "fork_choice_sum_targets": ("fork_choice", 3, 3, "sum-of-targets"),
    "fork_choice_tie_last": ("fork_choice", 5, 5, "tie-goes-to-last"),
    "fork_choice_work_off_by_one": ("fork_choice", 5, 5, "work-off-by-one"),
    "fork_choice_tie_off_by_one": (
        "fork_choice",
        0,
        0,
        ("work-off-by-one", "tie-goes-to-last"),
    ),
    "double_spend_duplicate_unchecked": ("double_spend", 4, 6, "duplicate-not-detected"),
    "double_spend_missing_first": ("double_spend", 6, 8, "checks-in-wrong-order"),
    "double_spend_no_chaining": ("double_spend", 2, 4, "created-outputs-not-added"),
    "double_spend_not_removed": ("double_spend", 4, 6, "spent-not-removed"),
    "double_spend_one_based": ("double_spend", 2, 4, "position-off-by-one"),
    "double_spend_own_reason": ("double_spend", 2, 4, "reason-code"),
    "double_spend_overspend_unchecked": ("double_spend", 6, 8, "overspend-not-checked"),
    "double_spend_zero_fee_refused": ("double_spend", 6, 8, "zero-fee-refused"),
    "double_spend_wtxid": ("double_spend", 0, 2, "txid-includes-witness"),
    "ecdsa_doubling_chord": ("ecdsa", 1, 1, "doubling-uses-chord"),
    "ecdsa_high_s": ("ecdsa", 8, 8, "high-s-not-normalised"),
    "ecdsa_infinity": ("ecdsa", 3, 3, "infinity-not-neutral"),
    "ecdsa_inverse_mod_p": ("ecdsa", 8, 8, "inverse-mod-p"),
    "ecdsa_mod_p": ("ecdsa", 8, 8, "mod-p-instead-of-n"),
    "ecdsa_opposite_points": ("ecdsa", 8, 8, "opposite-points-not-infinity"),
    "ecdsa_verify_mod_p": ("ecdsa", 8, 8, "verify-arithmetic"),
    "tx_serialize_big_endian": ("tx_serialize", 3, 3, "big-endian-integers"),
    "tx_serialize_marker_always": ("tx_serialize", 4, 4, "segwit-marker-always"),
    "tx_serialize_no_marker": ("tx_serialize", 5, 5, "segwit-marker-missing"),
    "tx_serialize_no_witness_count": ("tx_serialize", 5, 5, "witness-count-missing"),
    "tx_serialize_superfluous_witness": ("tx_serialize", 8, 8, "superfluous-witness-accepted"),
    "tx_serialize_txid_with_witness": ("tx_serialize", 9, 9, "txid-includes-witness"),
    "tx_serialize_varint_one_byte": ("tx_serialize", 9, 9, "varint-one-byte"),
    "tx_serialize_trailing_reversed": (
        "tx_serialize",
        7,
        7,
        ("trailing-bytes-accepted", "txid-reversed"),
    ),
    "sighash_sign_acp_ignored": ("sighash_sign", 6, 8, "anyonecanpay-ignored"),
    "sighash_sign_blanked_zero": ("sighash_sign", 6, 8, "single-blanked-outputs"),
    "sighash_sign_high_s": ("sighash_sign", 7, 8, "high-s-not-normalised"),
    "sighash_sign_no_amount": ("sighash_sign", 5, 5, "amount-not-committed"),
    "sighash_sign_no_hash_type": ("sighash_sign", 3, 3, "hash-type-not-appended"),
    "sighash_sign_no_hash_type_byte": ("sighash_sign", 7, 7, "hash-type-byte-missing"),
    "sighash_sign_program_as_code": ("sighash_sign", 7, 7, "p2wpkh-script-code"),
    "sighash_sign_single_bug": ("sighash_sign", 6, 8, "single-out-of-range-hashed"),
    "sighash_sign_z_little": ("sighash_sign", 7, 7, "z-little-endian"),
    "sighash_sign_kept_unpadded": (
        "sighash_sign",
        2,
        4,
        ("script-sigs-not-emptied", "der-no-padding"),
    ),
    "script_eval_concatenated": ("script_eval", 9, 9, "scripts-concatenated"),
    "script_eval_equalverify_keeps": ("script_eval", 4, 6, "equalverify-keeps-result"),
    "script_eval_false_branch_pushes": ("script_eval", 6, 8, "false-branch-pushes"),
    "script_eval_negative_zero": ("script_eval", 4, 8, "negative-zero-true"),
    "script_eval_no_final_check": ("script_eval", 8, 9, "final-stack-not-checked"),
    "script_eval_sub_swapped": ("script_eval", 4, 6, "sub-operands-swapped"),
    "script_eval_twos_complement": ("script_eval", 4, 6, "numbers-twos-complement"),
    "script_eval_unbalanced": ("script_eval", 2, 6, "unbalanced-conditional-accepted"),
    "multisig_keys_sorted": ("multisig", 7, 8, "keys-reordered"),
    "multisig_m_n_swapped": ("multisig", 7, 7, "m-and-n-swapped"),
    "multisig_m_unchecked": ("multisig", 8, 8, "bad-m-accepted"),
    "multisig_mainnet_only": ("multisig", 7, 8, "network-ignored"),
    "multisig_no_key_push": ("multisig", 7, 7, "key-push-missing"),
    "multisig_numbers_as_data": ("multisig", 7, 7, "number-pushed-as-data"),
    "multisig_p2pkh_version": ("multisig", 7, 7, "p2pkh-version-byte"),
    "multisig_p2sh_sha256": ("multisig", 8, 8, "p2sh-not-hash160"),
    "multisig_p2wsh_hash160": ("multisig", 8, 8, "p2wsh-not-sha256"),
    "validate_block_amount_unsigned": ("validate_block", 8, 8, "amount-read-unsigned"),
    "validate_block_big_endian_hash": ("validate_block", 0, 2, "hash-read-big-endian"),
    "validate_block_coinbase_anywhere": ("validate_block", 6, 8, "coinbase-position-not-checked"),
    "validate_block_duplicate_unchecked": ("validate_block", 6, 8, "duplicate-not-detected"),
    "validate_block_full_weight": ("validate_block", 7, 9, "witness-not-discounted"),
    "validate_block_input_duplicate_unchecked": (
        "validate_block",
        7,
        9,
        "input-duplicate-not-detected",
    ),
    "validate_block_no_limit": ("validate_block", 7, 9, "pow-limit-not-checked"),
    # 4 or 6: whether the random group plants a second coinbase depends on the Hypothesis
    # version (6.155 does, 6.170 does not); both scores name the same mistake.
    "validate_block_second_coinbase": ("validate_block", 4, 8, "second-coinbase-accepted"),
    "validate_block_strict_size": ("validate_block", 7, 9, "size-limit-off-by-one"),
    "validate_block_total_unchecked": ("validate_block", 8, 8, "output-total-not-checked"),
    "validate_block_wtxid_merkle": ("validate_block", 3, 5, "txid-includes-witness"),
    # Two mistakes in one file: each is named, in its own group.
    "base58check_single_sha_unchecked": (
        "base58check",
        2,
        2,
        ("single-sha256-checksum", "checksum-not-verified"),
    ),
    "base58check_skips_bad_chars": ("base58check", 8, 8, "bad-character-accepted"),
}
# The words each hint must use: the mistake's own vocabulary.
WORDS = {
    "rotate-left": "rotate RIGHT",
    "length-little-endian": "big-endian",
    "length-in-bytes": "BITS",
    "shift-rotated": "SHIFT",
    "words-little-endian": "big-endian",
    "no-feed-forward": "ADD",
    "padding-boundary": "block boundary",
    "index-not-bounded": "2**len(proof)",
    "bad-character-accepted": "alphabet",
    "odd-level-zero-padded": "duplicate the last hash",
    "pair-order-swapped": "left + right",
    "single-sha256": "sha256d",
    "empty-not-rejected": "ValueError",
    "sibling-side": "LEFT",
    "verify-single-sha256": "sha256d",
    "proof-odd-level-not-duplicated": "COPY",
    "proof-root-first": "leaf level upwards",
    "leading-zeros-dropped": "leading zero byte",
    "checksum-not-verified": "raise",
    "single-sha256-checksum": "sha256d",
    "digits-reversed": "reverse",
    "sign-bit-not-handled": "shift it right one byte",
    "negative-not-rejected": "raise ValueError",
    "exponent-off-by-one": "exponent - 3",
    "small-exponent": "RIGHT",
    "size-rounded-down": "rounded UP",
    "overflow-not-rejected": "256 bits",
    "strict-less-than": "<=",
    "stop-included": "stop is excluded",
    "hash-read-big-endian": "little-endian",
    "nonce-big-endian": "LITTLE-endian",
    "start-ignored": "range(start, stop)",
    "none-not-returned": "None",
    "divided-first": "Multiply before you divide",
    "float-ratio": "integers only",
    "ratio-inverted": "SMALLER",
    "no-clamp": "factor of 4",
    "pow-limit-ignored": "proof-of-work limit",
    "returns-target": "target_to_bits",
    "clamp-upper-only": "BOTH sides",
    "bits-used-as-target": "bits_to_target(bits)",
    "float-division": "integer division",
    "longest-chain": "WORK",
    "sum-of-targets": "WORK",
    "tie-goes-to-last": "FIRST",
    "work-off-by-one": "target + 1",
    "duplicate-not-detected": "listed twice",
    "checks-in-wrong-order": "BEFORE",
    "created-outputs-not-added": "later transaction",
    "spent-not-removed": "Remove",
    "position-off-by-one": "from 0",
    "reason-code": "reason codes",
    "overspend-not-checked": "bad-txns-in-belowout",
    "zero-fee-refused": "no fee",
    "txid-includes-witness": "WITHOUT",  # double_spend, validate_block, tx_serialize
    "doubling-uses-chord": "tangent",
    "high-s-not-normalised": "n - s",
    "infinity-not-neutral": "neutral element",
    "inverse-mod-p": "modulo n",
    "mod-p-instead-of-n": "modulo n",
    "opposite-points-not-infinity": "infinity",
    "verify-arithmetic": "mod n",
    "coinbase-position-not-checked": "first transaction",
    "second-coinbase-accepted": "FIRST",
    "size-limit-off-by-one": ">=",
    "pow-limit-not-checked": "limit",
    "witness-not-discounted": "witness byte once",
    "amount-read-unsigned": "SIGNED",
    "output-total-not-checked": "running total",
    "input-duplicate-not-detected": "outpoint twice",
    "big-endian-integers": "LITTLE-endian",
    "segwit-marker-always": "ONLY when",
    "segwit-marker-missing": "marker 00",
    "witness-count-missing": "number of items",
    "superfluous-witness-accepted": "superfluous witness",
    "varint-one-byte": "0xfd",
    "trailing-bytes-accepted": "left over",
    "txid-reversed": "internal byte order",
    "anyonecanpay-ignored": "ANYONECANPAY",
    "single-blanked-outputs": "amount -1",
    "amount-not-committed": "AMOUNT",
    "hash-type-not-appended": "hash type",
    "hash-type-byte-missing": "hash type",
    "p2wpkh-script-code": "P2PKH script",
    "single-out-of-range-hashed": "the number 1",
    "z-little-endian": "BIG-endian",
    "script-sigs-not-emptied": "Empty EVERY",
    "der-no-padding": "0x00",
    "scripts-concatenated": "SEPARATELY",
    "equalverify-keeps-result": "NOTHING",
    "false-branch-pushes": "not taken",
    "negative-zero-true": "negative zero",
    "final-stack-not-checked": "top item is true",
    "sub-operands-swapped": "a - b",
    "numbers-twos-complement": "SIGN-MAGNITUDE",
    "unbalanced-conditional-accepted": "OP_ENDIF",
    "keys-reordered": "order given",
    "m-and-n-swapped": "REQUIRED",
    "bad-m-accepted": "1 <= m <= n",
    "network-ignored": "0xc4",
    "key-push-missing": "length byte",
    "number-pushed-as-data": "OP_1..OP_16",
    "p2pkh-version-byte": "0x05",
    "p2sh-not-hash160": "HASH160",
    "p2wsh-not-sha256": "single SHA-256",
}
FULLY_DIAGNOSED = {
    "sha256",
    "merkle_root",
}  # every failing group names the mistake (others: at least one)


def _grade(exercise_id: str, source: str, salt: int = 0):
    return grade_cells(EXERCISES[exercise_id], [source], salt=salt)


@pytest.mark.parametrize("name", sorted(MATRIX))
def test_each_mistake_gets_its_own_hint_and_no_other(name):
    exercise_id, low, high, code = MATRIX[name]
    own = set(code) if isinstance(code, tuple) else {code}
    result = _grade(exercise_id, (FIXTURES / "mistakes" / f"{name}.py").read_text())
    assert result.status == "graded", result.message
    assert low <= result.points <= high < result.max_points
    codes = {g.failure.mistake for g in result.groups if g.failure}
    others = {m.code for spec in map(get_spec, EXERCISES) for m in spec.mistakes}
    assert own <= codes, codes
    assert not (codes - own - {""}) & others, codes  # no other mistake's hint
    if exercise_id in FULLY_DIAGNOSED:
        assert codes == own  # every failing group names it
    for mistake in own:
        hint = next(
            g.failure.hint for g in result.groups if g.failure and g.failure.mistake == mistake
        )
        assert WORDS.get(mistake, "").lower() in hint.lower()


@pytest.mark.parametrize("name", sorted(MATRIX))
def test_the_fixed_groups_alone_catch_each_mistake_under_any_salt(name):
    """Salt-independence: a mistake loses points in a group the salt does not redraw."""
    exercise_id, *_ = MATRIX[name]
    source = (FIXTURES / "mistakes" / f"{name}.py").read_text()
    for salt in (0, 987_654_321):
        result = _grade(exercise_id, source, salt)
        spec = EXERCISES[exercise_id].spec
        fixed_failures = [
            g for g in result.groups if g.failure and spec.group(g.name).salted is None
        ]
        assert fixed_failures, (name, salt)


@pytest.mark.parametrize("exercise_id", sorted(EXERCISES))
def test_correct_fixture_full_marks_no_hint_and_starter_not_started(exercise_id):
    exercise = EXERCISES[exercise_id]
    result = _grade(exercise_id, (FIXTURES / "correct" / f"{exercise_id}.py").read_text())
    assert result.points == result.max_points
    assert all(g.failure is None for g in result.groups)
    assert not any("Step `" in w for w in result.warnings)  # its step functions are right
    starter = _grade(exercise_id, (exercise.directory / "starter.py").read_text())
    assert starter.points == 0 and starter.message.startswith("Not started")


def test_every_exercise_has_six_typical_mistakes_in_the_matrix():
    for exercise_id in EXERCISES:
        names = {p.stem for p in (FIXTURES / "mistakes").glob(f"{exercise_id}_*.py")}
        assert len(names) >= 6, exercise_id
        assert names <= set(MATRIX), names - set(MATRIX)


def test_a_hint_whose_premise_the_evidence_contradicts_is_not_shown():
    """Issue 17's example: fails on every length, b"" included, so "wrong only near a block
    boundary" must not be said, even though the failing case shown has such a length."""
    spec = get_spec("sha256")
    boundary = next(m for m in spec.mistakes if m.code == "padding-boundary")
    case = Case("sha256", (bytes(56),), b"x" * 32)
    everywhere = Evidence(
        [Outcome(Case("sha256", (bytes(n),), b"x"), False, b"y") for n in (0, 3, 56, 70)]
    )
    assert not boundary.diagnosed(case, b"y", everywhere)
    only_there = Evidence(
        [
            Outcome(Case("sha256", (bytes(n),), b"x"), n % 64 in range(55, 64), b"y")
            for n in (0, 3, 56, 70)
        ]
    )
    assert not boundary.diagnosed(case, b"y", only_there)  # inverted: passes only there
    right = Evidence(
        [
            Outcome(Case("sha256", (bytes(n),), b"x"), n % 64 not in range(55, 64), b"y")
            for n in (0, 3, 56, 70)
        ]
    )
    assert boundary.diagnosed(case, b"y", right)


def test_an_unknown_mistake_gets_an_observation_not_a_guess():
    """Wrong round constants: no modelled mistake explains it, so no diagnosis is claimed;
    the feedback says what the failing inputs share (every one fails)."""
    source = (FIXTURES / "correct" / "sha256.py").read_text().replace("0x428A2F98", "0x428A2F99")
    result = _grade("sha256", source)
    assert result.points == 0
    for group in result.groups:
        assert group.failure.mistake == ""
        assert (
            group.failure.hint.startswith(OBSERVATION) and "the smallest too" in group.failure.hint
        )


def test_a_function_built_on_a_failing_one_says_to_fix_that_first():
    """ecdsa with a point_add that mishandles infinity: scalar_mult, sign and verify fail
    too, and their feedback points at point_add instead of guessing a mistake of their own."""
    result = _grade("ecdsa", (FIXTURES / "mistakes" / "ecdsa_infinity.py").read_text())
    hints = {g.name: g.failure.hint for g in result.groups if g.failure}
    assert hints["add-edges"].startswith("The point at infinity (None) is the neutral element")
    for name in ("mult-known", "sign-known", "verify-known"):
        assert "`point_add`" in hints[name] and "fix that first" in hints[name]


def test_a_wrong_step_is_named_with_its_own_smallest_input():
    source = (FIXTURES / "correct" / "sha256.py").read_text()
    broken = source + "\n\ndef message_schedule(block):\n    return [0] * 64\n"
    result = _grade("sha256", broken)
    assert result.points == 10  # steps guide; the points stay on the contract
    assert any("Step `message_schedule` is wrong" in w for w in result.warnings)
    left = (FIXTURES / "mistakes" / "sha256_rotate_left.py").read_text()
    hint = _grade("sha256", left).groups[0].failure.hint
    assert "Step `rotr` is wrong: `rotr(1, 1)` should be 0x80000000, got 2." in hint
    root = (FIXTURES / "correct" / "merkle_root.py").read_text()
    swapped = root + "\n\ndef hash_pair(left, right):\n    return sha256d(right + left)\n"
    result = _grade("merkle_root", swapped)
    assert result.points == 10
    assert any(w.startswith("Step `hash_pair` is wrong: `hash_pair(") for w in result.warnings)


def test_check_in_a_notebook_reports_the_graders_score_and_diagnosis():
    namespace: dict = {}
    exec((FIXTURES / "mistakes" / "sha256_padding.py").read_text(), namespace)
    report = check("sha256", namespace["sha256"])
    graded = _grade("sha256", (FIXTURES / "mistakes" / "sha256_padding.py").read_text())
    assert (report.points, report.max_points) == (graded.points, graded.max_points)
    assert {line.failure.mistake for line in report.lines if line.failure} == {"padding-boundary"}
    starter: dict = {}
    exec((ROOT / "exercises" / "sha256" / "starter.py").read_text(), starter)
    not_started = check("sha256", starter["sha256"])
    assert (not_started.points, not_started.max_points) == (0, 10)
    assert not_started.message.startswith("Not started") and len(not_started.lines) == 3


def test_the_exercises_readme_lists_every_diagnosed_mistake_and_step():
    """The table in exercises/README.md says, per exercise, what the specs really diagnose."""
    text = (ROOT / "exercises" / "README.md").read_text()
    rows = {
        line.split("|")[1].strip().strip("`"): line
        for line in text.splitlines()
        if line.startswith("| `")
    }
    for exercise_id, exercise in EXERCISES.items():
        row = rows[exercise_id].split("|")
        assert len(row) == 5, exercise_id  # the mistakes table, not the curriculum map
        codes = {m.code for m in exercise.spec.mistakes}
        listed = set(re.findall(r"`([a-z0-9-]+)`", row[3]))
        assert codes == listed, (exercise_id, codes ^ listed)
        steps = [s.strip("` ") for s in row[2].split(",") if s.strip() not in ("-", "")]
        assert steps == exercise.step_names, exercise_id
