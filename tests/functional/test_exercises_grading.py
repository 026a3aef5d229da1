"""The exercise set beyond the five core exercises: mistakes graded with their hints, and
every spec's known vectors agree with the library reference.

Oracles: the library reference (each spec's expected values, including hard-coded known
vectors such as Bitcoin Core's pow_tests and Bitcoin's genesis chainwork, must be what the
reference computes), and the documented points and hint codes of each typical-mistake fixture.
Correct submissions scoring 10/10 and starters scoring 0 are checked for every exercise folder
by ``tests/functional/test_grading_sandbox.py`` (parametrised over ``exercises/``);
``test_every_exercise_has_fixtures`` below makes sure each folder has what that needs.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from edu_chain.grading import grade_cells, load_exercises
from edu_chain.grading.spec import (
    Evidence,
    Outcome,
    Raises,
    draw_examples,
    encode,
    get_spec,
    same,
)
from edu_chain.grading.specs import (
    base58check,
    double_spend,
    ecdsa,
    fork_choice,
    multisig,
    retarget,
    script_eval,
    sighash_sign,
    tx_serialize,
    validate_block,
)

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "tests" / "fixtures" / "submissions"
EXERCISES = {e.exercise_id: e for e in load_exercises(ROOT / "exercises")}
CORE = {"sha256", "merkle_root", "merkle_proof", "target", "mine"}

# fixture -> (exercise, points it must score, hint codes it must receive)
MISTAKES = {
    "ecdsa_high_s": ("ecdsa", 8, {"high-s-not-normalised"}),
    "ecdsa_mod_p": ("ecdsa", 8, {"mod-p-instead-of-n"}),
    "ecdsa_opposite_points": ("ecdsa", 8, {"opposite-points-not-infinity"}),
    "ecdsa_doubling_chord": ("ecdsa", 1, {"doubling-uses-chord"}),
    "ecdsa_infinity": ("ecdsa", 3, {"infinity-not-neutral"}),
    "base58check_leading_zeros": ("base58check", 5, {"leading-zeros-dropped"}),
    "base58check_single_sha_unchecked": (
        "base58check",
        2,
        {"single-sha256-checksum", "checksum-not-verified"},
    ),
    "retarget_no_clamp": ("retarget", 2, {"no-clamp"}),
    "retarget_inverted": ("retarget", 0, {"ratio-inverted"}),
    "retarget_no_limit": ("retarget", 5, {"pow-limit-ignored"}),
    "tx_serialize_big_endian": ("tx_serialize", 3, {"big-endian-integers"}),
    "tx_serialize_no_marker": ("tx_serialize", 5, {"segwit-marker-missing"}),
    "tx_serialize_trailing_reversed": (
        "tx_serialize",
        7,
        {"trailing-bytes-accepted", "txid-reversed"},
    ),
    "sighash_sign_kept_unpadded": (
        "sighash_sign",
        2,
        {"script-sigs-not-emptied", "der-no-padding"},
    ),
    "sighash_sign_z_little": ("sighash_sign", 7, {"z-little-endian"}),
    "script_eval_concatenated": ("script_eval", 9, {"scripts-concatenated"}),
    "script_eval_sub_swapped": ("script_eval", 4, {"sub-operands-swapped"}),
    "multisig_m_unchecked": ("multisig", 8, {"bad-m-accepted"}),
    "multisig_p2pkh_version": ("multisig", 7, {"p2pkh-version-byte"}),
    "double_spend_not_removed": ("double_spend", 4, {"spent-not-removed"}),
    "double_spend_no_chaining": ("double_spend", 2, {"created-outputs-not-added"}),
    "double_spend_wtxid": ("double_spend", 0, {"txid-includes-witness"}),
    "validate_block_big_endian_hash": ("validate_block", 0, {"hash-read-big-endian"}),
    "validate_block_no_limit": ("validate_block", 7, {"pow-limit-not-checked"}),
    "validate_block_wtxid_merkle": ("validate_block", 3, {"txid-includes-witness"}),
    "fork_choice_longest": ("fork_choice", 5, {"longest-chain"}),
    "fork_choice_tie_off_by_one": ("fork_choice", 0, {"work-off-by-one", "tie-goes-to-last"}),
}


@pytest.mark.parametrize("name", sorted(MISTAKES))
def test_typical_mistake_scores_less_and_gets_its_hint(name):
    exercise_id, points, hints = MISTAKES[name]
    source = (FIXTURES / "mistakes" / f"{name}.py").read_text()
    result = grade_cells(EXERCISES[exercise_id], [source])
    assert result.status == "graded", result.message
    assert result.points == points < result.max_points
    codes = {g.failure.mistake for g in result.groups if g.failure}
    assert hints <= codes, codes
    shown = [g.failure for g in result.groups if g.failure and g.failure.mistake in hints]
    assert all(f.hint and f.call and f.expected and f.actual for f in shown)


def test_every_exercise_has_fixtures():
    """Each folder: a correct fixture and at least two typical mistakes with a known hint."""
    registered = {exercise for exercise, _, _ in MISTAKES.values()}
    for exercise_id in EXERCISES:
        assert (FIXTURES / "correct" / f"{exercise_id}.py").is_file(), exercise_id
        mistakes = list((FIXTURES / "mistakes").glob(f"{exercise_id}_*.py"))
        assert len(mistakes) >= 2, exercise_id
        assert exercise_id in CORE or exercise_id in registered, exercise_id
        assert EXERCISES[exercise_id].max_points == 10


# The references the hidden checks compare with, by exercise and function name.
REFERENCES: dict[str, dict[str, Any]] = {
    "ecdsa": {
        "point_add": ecdsa.ref_point_add,
        "scalar_mult": ecdsa.ref_scalar_mult,
        "sign": ecdsa.ref_sign,
        "verify": ecdsa.ref_verify,
    },
    "base58check": {
        "base58check_encode": base58check.base58check_encode,
        "base58check_decode": base58check.base58check_decode,
    },
    "retarget": {"retarget": retarget.ref_retarget},
    "tx_serialize": {
        "serialize_tx": tx_serialize.ref_serialize,
        "parse_tx": tx_serialize.ref_parse,
        "txid": tx_serialize.ref_txid,
        "wtxid": tx_serialize.ref_wtxid,
    },
    "sighash_sign": {
        "sighash_legacy": sighash_sign.ref_sighash_legacy,
        "sighash_segwit": sighash_sign.ref_sighash_segwit,
        "der_encode": sighash_sign.ref_der,
        "sign_input": sighash_sign.ref_sign_input,
    },
    "script_eval": {
        "run_script": script_eval.ref_run_script,
        "verify_spend": script_eval.ref_verify_spend,
    },
    "multisig": {
        "multisig_script": multisig.ref_multisig_script,
        "p2sh_script_pubkey": multisig.p2sh_for,
        "p2wsh_script_pubkey": multisig.p2wsh_for,
        "p2sh_address": multisig.ref_p2sh_address,
    },
    "double_spend": {"find_double_spend": double_spend.ref_find_double_spend},
    "validate_block": {"validate_block": validate_block.ref_validate_block},
    "fork_choice": {
        "block_work": fork_choice.block_work,
        "chain_work": fork_choice.ref_chain_work,
        "best_chain": fork_choice.ref_best_chain,
    },
}


@pytest.mark.parametrize("exercise_id", sorted(REFERENCES))
def test_every_case_agrees_with_the_library_reference(exercise_id):
    """Hard-coded known vectors (Core's pow_tests, genesis chainwork, real addresses, ...)
    are exactly what the library computes, and so is every generated case."""
    spec = get_spec(exercise_id)
    for group in spec.groups:
        cases = spec.cases(group.name)
        assert cases, group.name
        for case in cases:
            reference = REFERENCES[exercise_id][case.function]
            if isinstance(case.expected, Raises):
                with pytest.raises(ValueError):
                    reference(*case.args)
            else:
                assert encode(reference(*case.args)) == encode(case.expected), case.label


def test_script_evals_model_of_the_subset_is_the_reference():
    """The mistakes of script_eval are switches of a small model interpreter; with every switch
    off it must be the reference (edu_chain.script's interpreter) on every case and on 2,000
    more random scripts and spends."""
    spec = get_spec("script_eval")
    cases = [c for g in spec.groups for c in spec.cases(g.name)]
    cases += draw_examples(script_eval.RANDOM_RUN, 1500, 77)
    cases += draw_examples(script_eval.RANDOM_SPEND, 500, 78)
    models = {"run_script": script_eval._model, "verify_spend": script_eval._spend_model}
    for case in cases:
        try:
            outcome: Any = encode(models[case.function](*case.args))
        except ValueError:
            outcome = Raises("ValueError")
        expected = case.expected if isinstance(case.expected, Raises) else encode(case.expected)
        assert outcome == expected, case


@pytest.mark.parametrize("exercise_id", sorted(EXERCISES))
def test_public_and_hidden_groups(exercise_id):
    """`educhain check` has public examples to run, and `educhain grade` keeps some hidden."""
    spec = EXERCISES[exercise_id].spec
    public = [g for g in spec.groups if g.public]
    assert public and len(public) < len(spec.groups)
    checked = {case.function for g in public for case in spec.cases(g.name)}
    assert checked == set(EXERCISES[exercise_id].function_names)  # public feedback for each
    everywhere = {case.function for g in spec.groups for case in spec.cases(g.name)}
    assert everywhere == set(EXERCISES[exercise_id].function_names)
    assert any(g.shrink is not None for g in spec.groups)  # a Hypothesis group, shrinkable


@pytest.mark.parametrize("exercise_id", sorted(REFERENCES))
def test_every_variant_hint_can_fire(exercise_id):
    """Each mistake given as a variant, simulated on every fixed case (a submission that
    behaves exactly like it), is diagnosed as itself on at least one case where it gives a
    wrong answer: no hint is shadowed by another or unreachable."""
    spec = get_spec(exercise_id)
    cases = [c for g in spec.groups if g.salted is None for c in spec.cases(g.name)]
    cases += list(spec.diagnostic_cases())
    for mistake in spec.mistakes:
        if mistake.variant is None:
            continue
        outcomes = []
        for case in cases:
            if mistake.functions and case.function not in mistake.functions:
                reference = REFERENCES[exercise_id].get(case.function)
                behaviour = reference
            else:
                behaviour = mistake.variant
            if behaviour is None:
                continue
            try:
                value, raised = behaviour(*case.args), ""
            except Exception as exc:
                value, raised = None, type(exc).__name__
            if raised:
                passed = isinstance(case.expected, Raises) and raised != ""
            else:
                passed = not isinstance(case.expected, Raises) and same(
                    encode(value), encode(case.expected)
                )
            outcomes.append(Outcome(case, passed, value, raised))
        evidence = Evidence(outcomes)
        fired = any(
            not o.passed and o.returned and spec.diagnose(o.case, o.value, evidence) is mistake
            for o in outcomes
        )
        assert fired, mistake.code


def test_the_library_itself_passes_the_public_checks_in_a_notebook():
    """check() runs in-process; the reference functions, called the student's way, pass."""
    from edu_chain.encoding import base58check_decode, base58check_encode
    from edu_chain.grading import check
    from edu_chain.keys.curve import point_add, scalar_mult
    from edu_chain.keys.ecdsa import sign, verify

    assert check("ecdsa", point_add, scalar_mult, sign, verify)
    assert check("base58check", base58check_encode, base58check_decode)
    assert check(
        "fork_choice",
        fork_choice.block_work,
        fork_choice.ref_chain_work,
        fork_choice.ref_best_chain,
    )
    report = check("ecdsa", point_add, scalar_mult, lambda d, z, k: (sign(d, z, k)[0], 1), verify)
    assert not report
    failures = [line.failure for line in report.lines if line.failure]
    assert {f.call.split("(")[0] for f in failures} == {"sign"}


@pytest.mark.parametrize("library", ["ecdsa", "coincurve", "cryptography.hazmat"])
@pytest.mark.parametrize("exercise_id", ["ecdsa", "sighash_sign"])
def test_ready_made_curve_libraries_are_banned(exercise_id, library):
    """A correct submission that also imports a curve library scores 0, naming the ban."""
    source = f"import {library}\n" + (FIXTURES / "correct" / f"{exercise_id}.py").read_text()
    result = grade_cells(EXERCISES[exercise_id], [source])
    assert result.points == 0
    assert result.status == "violation", result.message
    assert library.split(".")[0] in result.message


def test_a_helper_left_to_paste_is_named_in_the_message():
    """retarget done, but the starter's bits_to_target stub never replaced: say so."""
    source = (ROOT / "exercises" / "retarget" / "starter.py").read_text()
    done = source.replace(
        '    raise NotImplementedError("retarget: follow steps 1-4")',
        "    return target_to_bits(bits_to_target(old_bits))",
    )
    result = grade_cells(EXERCISES["retarget"], [done])
    assert result.points == 0
    assert "paste bits_to_target from the target exercise" in result.message
    assert "retarget: follow steps" not in result.message


def _real_transactions() -> list[bytes]:
    """Real transactions (rust-bitcoin's tests: legacy, segwit, P2SH-P2WSH multisig) and the
    genesis coinbase: what the starters' given reader must handle like the library."""
    import json

    from edu_chain.grading.specs.validate_block import GENESIS_COINBASE

    data = json.loads((ROOT / "tests" / "fixtures" / "real_transactions.json").read_text())
    hexes = [entry["hex"] for entry in data["with_ids"]]
    hexes += [data["mainnet_spend"]["spending"], *data["mainnet_spend"]["spent"]]
    hexes += [entry["hex"] for entry in data["with_weights"]["transactions"]]
    return [GENESIS_COINBASE, *map(bytes.fromhex, hexes)]


@pytest.mark.parametrize("exercise_id", ["double_spend", "validate_block"])
def test_the_starters_given_transaction_reader_agrees_with_the_library(exercise_id):
    """The starters hand students a stdlib parse_tx / serialize_legacy: on real transactions
    its fields, its txid (without witness) and the weight it implies are the library's."""
    from edu_chain.tx import Transaction

    starter: dict[str, Any] = {}
    exec((ROOT / "exercises" / exercise_id / "starter.py").read_text(), starter)
    for raw in _real_transactions():
        tx = Transaction.parse(raw)
        fields = starter["parse_tx"](raw)
        assert fields["segwit"] == tx.has_witness
        assert fields["inputs"] == [
            [i.outpoint.txid, i.outpoint.index, i.script_sig, i.sequence] for i in tx.inputs
        ]
        assert fields["outputs"] == [[o.amount, o.script_pubkey] for o in tx.outputs]
        assert fields["witnesses"] == (
            [list(i.witness) for i in tx.inputs] if tx.has_witness else []
        )
        legacy = starter["serialize_legacy"](fields)
        assert legacy == tx.serialize_legacy()
        assert 3 * len(legacy) + len(raw) == tx.weight
        if exercise_id == "double_spend":
            assert starter["txid"](raw) == tx.txid
