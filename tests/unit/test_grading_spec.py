"""Exercise specs: the codec, fixed-seed generation, expected values and mistake detectors.

Oracles: hashlib (SHA-256 vectors), the library reference, and Hypothesis round trips.
"""

from __future__ import annotations

import hashlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from edu_chain.block import BlockHeader
from edu_chain.grading.spec import (
    Raises,
    decode,
    draw_examples,
    encode,
    get_spec,
    same,
    spec_ids,
)
from edu_chain.grading.specs import merkle_root as merkle_spec
from edu_chain.grading.specs import mine as mine_spec
from edu_chain.grading.specs import sha256 as sha_spec
from edu_chain.grading.specs.sighash_sign import fast_sign, pubkey_hash_of
from edu_chain.hashing import hash160
from edu_chain.keys import N, PrivateKey
from edu_chain.keys.ecdsa import sign
from edu_chain.keys.fast import ReferenceBackend
from edu_chain.merkle import merkle_root
from edu_chain.pow.mining import mine_reference

values = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**300), 2**300) | st.binary() | st.text(),
    lambda inner: st.lists(inner, max_size=4),
    max_leaves=10,
)


@given(values)
def test_codec_round_trips(value):
    assert decode(encode(value)) == value


@given(values)
def test_same_agrees_with_equality_on_encoded_values(value):
    assert same(encode(value), encode(value))


def test_same_tells_bool_from_int():
    """``True == 1`` in Python; a ``-> bool`` contract is not met by returning 1."""
    assert not same(encode(1), encode(True))
    assert not same(encode([True, 0]), encode([1, False]))
    assert not same(1.0, encode(1))
    assert not same(encode([b"a"]), encode([b"a", b"a"]))


def test_a_salt_redraws_the_random_groups_only():
    spec = get_spec("sha256")
    salted_groups = 0
    for group in spec.groups:
        published = [encode(c.args) for c in spec.cases(group.name)]
        salted = spec.cases(group.name, 12_345)
        if group.salted is None:
            assert [encode(c.args) for c in salted] == published
            continue
        salted_groups += 1
        assert [encode(c.args) for c in salted] != published
        assert [encode(c.args) for c in group.salted(12_345)] == [encode(c.args) for c in salted]
        assert all(c.expected == hashlib.sha256(c.args[0]).digest() for c in salted)
    assert salted_groups == 1


def test_draw_examples_is_deterministic():
    strategy = st.lists(st.binary(min_size=32, max_size=32), min_size=1, max_size=5)
    assert draw_examples(strategy, 20, 7) == draw_examples(strategy, 20, 7)


def test_sha256_known_vectors_match_hashlib():
    for data, digest, _ in sha_spec.KNOWN_VECTORS:
        assert hashlib.sha256(data).hexdigest() == digest


def test_every_expected_value_is_the_references():
    spec = get_spec("merkle_root")
    for group in spec.groups:
        for case in spec.cases(group.name):
            if isinstance(case.expected, Raises):
                assert case.args == ([],)
            else:
                assert case.expected == merkle_root(case.args[0])


def test_mine_reference_agrees_with_the_library_miner():
    """The exercise's half-open [start, stop) equals the library's inclusive max_nonce."""
    header = BlockHeader(1, bytes(32), bytes(32), 1_700_000_000, 0x1F00FFFF, 0)
    raw76 = header.serialize()[:76]
    target = 0xFFFF << 216
    assert mine_spec.mine_reference(raw76, target, 0, 3000) == mine_reference(header, 0, 2999)


def test_mine_boundaries_separate_le_from_lt():
    spec = get_spec("mine")
    cases = [c for c in spec.cases("boundaries") if c.label == "target == hash"]
    assert cases and all(mine_spec._mine_strict(*c.args) != c.expected for c in cases)


def test_mistake_variants_are_recognised_and_the_right_answer_is_not():
    spec = get_spec("merkle_root")
    case = next(c for c in spec.cases("odd-levels") if len(c.args[0]) == 5)
    carried = merkle_spec.root_with(case.args[0], parent=merkle_spec.sha256d, odd="carry")
    assert spec.hint_for(case, carried).code == "odd-level-not-duplicated"
    assert spec.hint_for(case, case.expected[::-1]).code == "bytes-reversed"
    assert spec.hint_for(case, case.expected) is None


def test_all_five_core_specs_are_registered():
    assert {"sha256", "merkle_root", "merkle_proof", "target", "mine"} <= set(spec_ids())


def test_cases_depend_on_the_seed_alone_not_on_what_was_imported():
    """Hypothesis mixes constants from imported local modules into its draws; the published
    cases must not change with what a process (check, a notebook, grade) has imported."""
    import subprocess
    import sys

    script = (
        "import hashlib, json\n"
        "{extra}"
        "from edu_chain.grading.spec import encode, get_spec\n"
        "spec = get_spec('validate_block')\n"
        "print(hashlib.sha256(json.dumps([encode(list(c.args)) for c in spec.cases('random')])"
        ".encode()).hexdigest())\n"
    )
    extra = "import edu_chain.cli, edu_chain.grading.specs.sha256, tests.bitcoin_data\n"
    root = str(__import__("pathlib").Path(__file__).resolve().parents[2])
    digests = {
        subprocess.run(
            [sys.executable, "-c", script.format(extra=imports)],
            capture_output=True,
            text=True,
            check=True,
            cwd=root,
        ).stdout
        for imports in ("", extra)
    }
    assert len(digests) == 1, digests


@settings(max_examples=20, deadline=None)
@given(st.integers(1, N - 1), st.integers(0, 2**256 - 1), st.integers(1, N - 1), st.booleans())
def test_the_sighash_references_fast_signing_is_the_librarys_signing(d, z, k, key_of_k):
    """Oracle: the library's pure-Python signing and public keys (ecdsa.sign, curve math)."""
    assert fast_sign(d, z, k) == sign(d, z, k)
    key = k if key_of_k else d
    assert pubkey_hash_of(key) == hash160(ReferenceBackend().public_key_sec(key))
    assert pubkey_hash_of(key) == PrivateKey(key).public_key.pubkey_hash()


@pytest.mark.parametrize(("d", "k"), [(0, 1), (1, 0), (N, 1), (1, N)])
def test_the_sighash_references_fast_signing_refuses_what_sign_refuses(d, k):
    with pytest.raises(ValueError, match="must be in"):
        fast_sign(d, 1, k)
