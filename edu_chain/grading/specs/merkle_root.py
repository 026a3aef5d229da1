"""Hidden checks for the ``merkle_root`` exercise (Bitcoin's Merkle rule,
docs/architecture.md#data-formats).

Reference: :func:`edu_chain.merkle.merkle_root`.  Known vectors are real Bitcoin blocks
(genesis and block 100000, whose roots are in their headers).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable

from hypothesis import strategies as st

from edu_chain.grading.spec import (
    Case,
    CheckGroup,
    ExerciseSpec,
    Mistake,
    Raises,
    expect,
    random_group,
)
from edu_chain.hashing import from_display_hex, sha256d
from edu_chain.merkle import merkle_root

# Block 100000 (displayed txids and root, as any explorer shows them).
BLOCK_100000_TXIDS = [
    "8c14f0db3df150123e6f3dbbf30f8b955a8249b62ac1d1ff16284aefa3d06d87",
    "fff2525b8931402dd09222c50775608f75787bd2b87e56995a7bdd30f79702c4",
    "6359f0868171b1d194cbee1af2f16ea598ae8fad666d9b012c8ed2b79a236ec4",
    "e9a66845e05d5abc0ad04ec80f774a7e585c6e8db975962d069a522137b80c1d",
]
BLOCK_100000_ROOT = "f3e94742aca4b5ef85488dc37c06c3282295ffec960994b2c0d5ac2a25a95766"
GENESIS_TXID = "4a5e1e4baab89f3a32518a88c31bc87f618f76673e2cc77ab2127b7afdeda33b"


def leaves(count: int, salt: int = 0) -> list[bytes]:
    """``count`` distinct 32-byte leaves, reproducible."""
    return [sha256d(f"leaf {salt} {i}".encode()) for i in range(count)]


def _known() -> list[Case]:
    txids = [from_display_hex(t) for t in BLOCK_100000_TXIDS]
    genesis = from_display_hex(GENESIS_TXID)
    return [
        Case("merkle_root", (txids,), from_display_hex(BLOCK_100000_ROOT), "Bitcoin block 100000"),
        Case("merkle_root", ([genesis],), genesis, "Bitcoin genesis block (one transaction)"),
        expect("merkle_root", merkle_root, [leaves(2)], "two leaves"),
    ]


def _odd() -> list[Case]:
    return [expect("merkle_root", merkle_root, [leaves(n, n)]) for n in (3, 5, 6, 7, 9, 11, 13)]


def _empty() -> list[Case]:
    return [Case("merkle_root", ([],), Raises("ValueError"), "an empty list has no root")]


RANDOM = st.lists(st.binary(min_size=32, max_size=32), min_size=1, max_size=24).map(
    lambda txids: expect("merkle_root", merkle_root, [txids])
)


def _single(data: bytes) -> bytes:
    return hashlib.sha256(data).digest()


def root_with(
    txids: list[bytes],
    *,
    parent: Callable[[bytes], bytes] = sha256d,
    odd: str = "duplicate",
    swap: bool = False,
) -> bytes:
    """A Merkle root computed a (possibly mistaken) way, to recognise mistakes by behaviour."""
    level = list(txids)
    if not level:
        raise ValueError("empty")
    if swap:
        return root_with(txids, parent=lambda pair: parent(pair[32:] + pair[:32]), odd=odd)
    while len(level) > 1:
        if len(level) % 2 == 1:
            if odd == "duplicate":
                level.append(level[-1])
            elif odd == "zero":
                level.append(bytes(32))
            elif odd == "carry":  # the last hash moves up unchanged
                carried = level.pop()
                level = [parent(level[i] + level[i + 1]) for i in range(0, len(level), 2)]
                level.append(carried)
                continue
            elif odd == "hash-alone":
                carried = parent(level.pop())
                level = [parent(level[i] + level[i + 1]) for i in range(0, len(level), 2)]
                level.append(carried)
                continue
        level = [parent(level[i] + level[i + 1]) for i in range(0, len(level), 2)]
    return level[0]


MISTAKES = (
    Mistake(
        "bytes-reversed",
        "Your root has its bytes reversed: keep hashes in internal byte order throughout "
        "and only reverse for display.",
        variant=lambda txids: merkle_root(txids)[::-1],
        whole_evidence=True,
    ),
    Mistake(
        "leaves-reversed",
        "You reversed each txid before hashing: the list you get is already in internal byte "
        "order (the order sha256d returns), so hash the leaves as they are.",
        variant=lambda txids: merkle_root([t[::-1] for t in txids])[::-1],
        whole_evidence=True,
    ),
    Mistake(
        "single-sha256",
        "You hash pairs with a single SHA-256. Bitcoin's Merkle tree uses sha256d "
        "(SHA-256 twice) for every parent.",
        variant=lambda txids: root_with(txids, parent=_single),
        whole_evidence=True,
    ),
    Mistake(
        "odd-level-zero-padded",
        "An odd level must duplicate the last hash (pair it with a copy of itself), not pad "
        "with a zero hash.",
        variant=lambda txids: root_with(txids, odd="zero"),
        whole_evidence=True,
    ),
    Mistake(
        "pair-order-swapped",
        "Each parent is sha256d(left + right), the left child first: you concatenate the "
        "pair in the wrong order.",
        variant=lambda txids: root_with(txids, swap=True),
        whole_evidence=True,
    ),
    Mistake(
        "odd-level-not-duplicated",
        "An odd level must duplicate its last hash and pair it with itself; you carried the "
        "last hash up unchanged (or hashed it alone).",
        variant=lambda txids: root_with(txids, parent=sha256d, odd="carry"),
        whole_evidence=True,
    ),
    Mistake(
        "odd-level-hashed-alone",
        "An odd level must pair its last hash with a copy of itself: sha256d(last + last), "
        "not sha256d(last).",
        variant=lambda txids: root_with(txids, parent=sha256d, odd="hash-alone"),
        whole_evidence=True,
    ),
    Mistake(
        "single-leaf-hashed",
        "A single transaction is its own Merkle root: return it unchanged.",
        matches=lambda case, actual: len(case.args[0]) == 1 and actual == sha256d(case.args[0][0]),
    ),
    Mistake(
        "empty-not-rejected",
        "An empty list has no Merkle root: raise ValueError instead of returning a value.",
        matches=lambda case, actual: case.args == ([],),
    ),
)


def hash_pair(left: bytes, right: bytes) -> bytes:
    return sha256d(left + right)


def next_level(level: list[bytes]) -> list[bytes]:
    level = list(level)
    if len(level) % 2:
        level.append(level[-1])
    return [hash_pair(level[i], level[i + 1]) for i in range(0, len(level), 2)]


def _hash_pair_cases() -> list[Case]:
    a, b = leaves(2, 77)
    return [expect("hash_pair", hash_pair, args) for args in ((a, b), (b, a))]


def _next_level_cases() -> list[Case]:
    return [expect("next_level", next_level, [leaves(n, 80 + n)]) for n in (1, 2, 3, 4, 5)]


def _probes() -> list[Case]:
    return [expect("merkle_root", merkle_root, [leaves(n, 90 + n)]) for n in range(1, 18)]


SPEC = ExerciseSpec(
    exercise_id="merkle_root",
    version=2,
    groups=(
        CheckGroup("known-vectors", "Real Bitcoin blocks and two leaves", _known, public=True),
        CheckGroup("odd-levels", "Levels with an odd number of hashes", _odd),
        CheckGroup("empty", "An empty list raises ValueError", _empty, public=True),
        random_group("random", "Random lists of 1 to 24 txids", RANDOM, count=30, seed_value=1_001),
    ),
    mistakes=MISTAKES,
    probes=_probes,
    steps={"hash_pair": _hash_pair_cases, "next_level": _next_level_cases},
)
