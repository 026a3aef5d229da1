"""merkle.py against real Bitcoin Merkle roots and a hashlib-built tree."""

import hashlib

import pytest
from hypothesis import given
from hypothesis import strategies as st

from edu_chain.hashing import from_display_hex
from edu_chain.merkle import (
    MerkleError,
    MerkleProof,
    merkle_proof,
    merkle_root,
    render_merkle_tree,
    verify_merkle_proof,
)
from tests.bitcoin_data import BLOCK_100000, GENESIS


def _hashlib_merkle(leaves):
    """An independent oracle written directly on hashlib, recursively."""
    if len(leaves) == 1:
        return leaves[0]
    if len(leaves) % 2:
        leaves = [*leaves, leaves[-1]]
    parents = [
        hashlib.sha256(hashlib.sha256(leaves[i] + leaves[i + 1]).digest()).digest()
        for i in range(0, len(leaves), 2)
    ]
    return _hashlib_merkle(parents)


@pytest.mark.parametrize("block", [GENESIS, BLOCK_100000], ids=["genesis", "block-100000"])
def test_real_bitcoin_merkle_roots(block):
    txids = [from_display_hex(t) for t in block["txids"]]
    assert merkle_root(txids) == from_display_hex(block["merkle_root"])


def leaves_strategy(max_size=64):
    return st.lists(st.binary(min_size=32, max_size=32), min_size=1, max_size=max_size)


@given(leaves_strategy())
def test_root_matches_independent_hashlib_oracle(leaves):
    assert merkle_root(leaves) == _hashlib_merkle(leaves)


@pytest.mark.parametrize("size", range(1, 65))
def test_proof_valid_for_every_leaf_and_invalid_for_any_other(size):
    leaves = [hashlib.sha256(bytes([size, i])).digest() for i in range(size)]
    root = merkle_root(leaves)
    for index, leaf in enumerate(leaves):
        proof = merkle_proof(leaves, index)
        assert verify_merkle_proof(leaf, index, proof, root)
        other = leaves[(index + 1) % size] if size > 1 else hashlib.sha256(b"x").digest()
        assert not verify_merkle_proof(other, index, proof, root)


@given(leaves_strategy(), st.data())
def test_tampered_proof_fails(leaves, data):
    index = data.draw(st.integers(0, len(leaves) - 1))
    proof = merkle_proof(leaves, index)
    root = merkle_root(leaves)
    if proof:
        k = data.draw(st.integers(0, len(proof) - 1))
        bad = list(proof)
        bad[k] = bytes([bad[k][0] ^ 1]) + bad[k][1:]
        assert not verify_merkle_proof(leaves[index], index, bad, root)


def test_single_leaf_is_its_own_root():
    leaf = hashlib.sha256(b"only").digest()
    assert merkle_root([leaf]) == leaf
    assert merkle_proof([leaf], 0) == []


def test_empty_list_is_an_error():
    with pytest.raises(MerkleError) as info:
        merkle_root([])
    assert info.value.code == "merkle-empty"
    assert isinstance(info.value, ValueError)


@pytest.mark.parametrize("bad_leaf", [b"\x00" * 31, b"\x00" * 33, "00" * 32, None])
def test_leaf_not_32_bytes_is_an_error(bad_leaf):
    with pytest.raises(MerkleError) as info:
        merkle_root([b"\x00" * 32, bad_leaf])
    assert info.value.code == "merkle-bad-leaf"


def test_bad_index_and_malformed_proofs():
    leaves = [bytes([i]) * 32 for i in range(3)]
    with pytest.raises(MerkleError):
        merkle_proof(leaves, 3)
    root = merkle_root(leaves)
    assert not verify_merkle_proof(leaves[0], -1, merkle_proof(leaves, 0), root)
    assert not verify_merkle_proof(leaves[0], 0, [b"short"], root)


def test_merkle_proof_object_and_rendering():
    leaves = [bytes([i]) * 32 for i in range(5)]
    proof = MerkleProof.build(leaves, 4)
    assert proof.verify()
    assert "root" in str(proof)
    drawing = render_merkle_tree(leaves)
    assert drawing.splitlines()[0].startswith("root")
    assert drawing.count("*") == 2  # levels of 5 and 3 nodes each duplicate their last
