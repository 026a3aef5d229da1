"""Hidden checks for the ``merkle_proof`` exercise: build and verify Merkle inclusion proofs.

Reference: :func:`edu_chain.merkle.merkle_proof` and :func:`edu_chain.merkle.verify_merkle_proof`.
A proof is the list of sibling hashes from the leaf level up to (not including) the root; at each
level the index's lowest bit says whether the sibling is on the left (1) or the right (0).
"""

from __future__ import annotations

from hypothesis import strategies as st

from edu_chain.grading.spec import (
    Case,
    CheckGroup,
    Evidence,
    ExerciseSpec,
    Mistake,
    Outcome,
    expect,
    random_group,
)
from edu_chain.grading.specs.merkle_root import leaves
from edu_chain.hashing import sha256d
from edu_chain.merkle import merkle_proof, merkle_root, verify_merkle_proof


def _build_known() -> list[Case]:
    return [
        expect("merkle_proof", merkle_proof, [leaves(4), 2], "4 leaves, index 2"),
        expect("merkle_proof", merkle_proof, [leaves(1), 0], "a single leaf: empty proof"),
        expect("merkle_proof", merkle_proof, [leaves(3), 2], "3 leaves, last one (duplicated)"),
    ]


def _build_all() -> list[Case]:
    cases = []
    for count in (2, 5, 6, 7, 9):
        txids = leaves(count, 10 + count)
        cases += [expect("merkle_proof", merkle_proof, [txids, i]) for i in range(count)]
    return cases


def _valid(count: int, index: int, salt: int) -> tuple[bytes, int, list[bytes], bytes]:
    txids = leaves(count, salt)
    return txids[index], index, merkle_proof(txids, index), merkle_root(txids)


def _tree_and_index(function, make_args):
    shapes = st.integers(1, 20).flatmap(lambda n: st.tuples(st.just(n), st.integers(0, n - 1)))
    reference = merkle_proof if function == "merkle_proof" else verify_merkle_proof
    return shapes.map(lambda shape: expect(function, reference, make_args(*shape)))


RANDOM_BUILD = _tree_and_index("merkle_proof", lambda n, i: (leaves(n, 60 + n), i))
RANDOM_VERIFY = _tree_and_index("verify_merkle_proof", lambda n, i: _valid(n, i, 20 + n))


def _verify_known() -> list[Case]:
    leaf, index, proof, root = _valid(4, 2, 30)
    return [
        expect("verify_merkle_proof", verify_merkle_proof, (leaf, index, proof, root), "valid"),
        expect("verify_merkle_proof", verify_merkle_proof, (leaf, 3, proof, root), "wrong index"),
    ]


def _flip(data: bytes) -> bytes:
    return bytes([data[0] ^ 1]) + data[1:]


def _verify_tampered() -> list[Case]:
    cases = []
    for n, i in ((4, 1), (5, 4), (7, 3), (8, 6)):
        leaf, index, proof, root = _valid(n, i, 40 + n)
        variants = [
            ((_flip(leaf), index, proof, root), "a different leaf"),
            ((leaf, index, proof, _flip(root)), "a different root"),
            ((leaf, index ^ 1, proof, root), "the wrong index"),
            ((leaf, index, [*proof[:-1], _flip(proof[-1])], root), "a tampered sibling"),
            ((leaf, index, proof[::-1], root), "siblings in the wrong order"),
        ]
        if len(proof) > 1:
            variants.append(((leaf, index, proof[:-1], root), "a proof one level short"))
        # Same low bits, so the same path: only the check index < 2**len(proof) rejects it
        # (a verifier without it accepts a proof for a leaf position the tree does not have).
        variants.append(((leaf, index + 2 ** len(proof), proof, root), "an index beyond the tree"))
        variants.append(((leaf, -(2 ** len(proof)) + index, proof, root), "a negative index"))
        cases += [expect("verify_merkle_proof", verify_merkle_proof, a, lbl) for a, lbl in variants]
    return cases


def _beyond_the_tree(case: Case, actual: object) -> bool:
    _, index, proof, _ = case.args
    return actual is True and not 0 <= index < 2 ** len(proof)


def proof_carrying_odd(txids: list[bytes], index: int) -> list[bytes]:
    """A proof built without duplicating the last hash of odd levels (it is carried up)."""
    level, position, proof = list(txids), index, []
    if not 0 <= index < len(level):
        raise ValueError("index out of range")
    while len(level) > 1:
        if position ^ 1 < len(level):
            proof.append(level[position ^ 1])
        carried = [level.pop()] if len(level) % 2 else []
        level = [sha256d(level[i] + level[i + 1]) for i in range(0, len(level), 2)] + carried
        position //= 2
    return proof


def _valid_probes() -> list[Case]:
    """Valid proofs at the first and last index of trees of 1 to 9 leaves (diagnosis only)."""
    shapes = [(n, i) for n in range(1, 10) for i in sorted({0, n - 1})]
    cases = [
        expect("verify_merkle_proof", verify_merkle_proof, _valid(n, i, 70 + n)) for n, i in shapes
    ]
    # Trees whose leaves are all equal: each pair is (x, x), so the side cannot matter.
    for n, i in ((2, 0), (2, 1), (4, 2), (8, 5)):
        txids = leaves(1, 99) * n
        args = (txids[i], i, merkle_proof(txids, i), merkle_root(txids))
        cases.append(expect("verify_merkle_proof", verify_merkle_proof, args, "symmetric tree"))
    return cases


def _valid_outcomes(evidence: Evidence) -> list[Outcome]:
    return [o for o in evidence.of("verify_merkle_proof") if o.case.expected is True]


def _symmetric(outcomes: list[Outcome]) -> list[Outcome]:
    return [o for o in outcomes if o.case.label == "symmetric tree"]


def _rejects_every_hashed_proof(evidence: Evidence) -> bool:
    """Premise of "verify-single-sha256": every valid proof that hashes (depth >= 1) is
    rejected, those of trees with equal leaves too (where the side cannot matter), while a
    single leaf's empty proof is accepted."""
    valid = _valid_outcomes(evidence)
    hashed = [o for o in valid if o.case.args[2]]
    empty = [o for o in valid if not o.case.args[2]]
    return (
        bool(_symmetric(hashed))
        and not any(o.passed for o in hashed)
        and all(o.passed for o in empty)
    )


def _side_is_the_only_problem(evidence: Evidence) -> bool:
    """Premise of "sibling-side": valid proofs are rejected, except in trees whose leaves are
    all equal (each pair is (x, x), so the side cannot matter): those are accepted."""
    valid = _valid_outcomes(evidence)
    symmetric = _symmetric(valid)
    return bool(symmetric) and all(o.passed for o in symmetric) and any(not o.passed for o in valid)


MISTAKES = (
    Mistake(
        "proof-odd-level-not-duplicated",
        "At an odd level the last hash is paired with a COPY of itself, so its sibling is "
        "itself: duplicate the last hash before taking siblings, as merkle_root does.",
        variant=proof_carrying_odd,
        functions=("merkle_proof",),
        whole_evidence=True,
    ),
    Mistake(
        "verify-single-sha256",
        "Your verifier rejects every valid proof that hashes at all (only a single leaf's "
        "empty proof passes): each step is sha256d, SHA-256 twice, as in the tree.",
        matches=lambda case, actual: actual is False and case.expected is True,
        premise=_rejects_every_hashed_proof,
        functions=("verify_merkle_proof",),
    ),
    Mistake(
        "index-not-bounded",
        "Your verifier accepted an index that does not fit the proof's depth: a proof with d "
        "siblings is for a tree of at most 2**d leaves, so check 0 <= index < 2**len(proof) "
        "first (otherwise one proof 'proves' the leaf at many positions).",
        matches=_beyond_the_tree,
        functions=("verify_merkle_proof",),
    ),
    Mistake(
        "proof-root-first",
        "Your siblings are in root-to-leaf order: list them from the leaf level upwards.",
        variant=lambda txids, index: merkle_proof(txids, index)[::-1],
        functions=("merkle_proof",),
    ),
    Mistake(
        "proof-includes-leaf-or-root",
        "A proof holds only the sibling hashes: not the leaf itself and not the root.",
        matches=lambda case, actual: (
            isinstance(actual, list) and len(actual) == len(merkle_proof(*case.args)) + 1
        ),
        functions=("merkle_proof",),
    ),
    Mistake(
        "verify-always-true",
        "Your verifier accepted a proof that does not lead to the root. Recompute the path "
        "from the leaf and compare with the root at the end.",
        matches=lambda case, actual: actual is True and case.expected is False,
        functions=("verify_merkle_proof",),
    ),
    Mistake(
        "sibling-side",
        "Your verifier puts siblings on the wrong side (it accepts valid proofs only where "
        "both children are equal): at each level the index's lowest bit says where the "
        "sibling goes (bit 1: sibling on the LEFT, sha256d(sibling + current)).",
        matches=lambda case, actual: actual is False and case.expected is True,
        premise=_side_is_the_only_problem,
        functions=("verify_merkle_proof",),
    ),
)

SPEC = ExerciseSpec(
    exercise_id="merkle_proof",
    version=2,
    groups=(
        CheckGroup("build-known", "Proofs for small trees", _build_known, public=True),
        CheckGroup("build-all", "Every index of trees with 2 to 9 leaves", _build_all),
        CheckGroup("verify-known", "A valid and a wrong proof", _verify_known, public=True),
        random_group(
            "verify-valid", "Valid proofs verify", RANDOM_VERIFY, count=25, seed_value=2_002
        ),
        random_group(
            "build-random", "Proofs in random trees", RANDOM_BUILD, count=20, seed_value=2_003
        ),
        CheckGroup("verify-tampered", "Tampered proofs are rejected", _verify_tampered),
    ),
    mistakes=MISTAKES,
    probes=_valid_probes,
)
