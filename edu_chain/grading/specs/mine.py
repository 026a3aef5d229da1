"""Hidden checks for the ``mine`` exercise: find the lowest valid nonce.

Contract (docs/architecture.md#grading-and-the-trust-model): ``mine(header76, target, start=0,
stop=2**32)`` returns the lowest nonce in ``[start, stop)`` with
``int.from_bytes(sha256d(header76 + nonce.to_bytes(4, "little")), "little") <= target``,
or ``None``.  Reference: :func:`mine_reference` below, the same loop as
:func:`edu_chain.pow.mining.mine_reference` but over a half-open range of a raw 76-byte prefix.

Targets are easy (a hit every 16 to 512 nonces) and ranges short so a plain Python loop
finishes each case in milliseconds.  The ``boundaries`` group pins the two classic
off-by-one errors: ``<`` instead of ``<=`` (the target equals a hash exactly) and an inclusive
``stop``.
"""

from __future__ import annotations

import hashlib

from hypothesis import strategies as st

from edu_chain.grading.spec import (
    Case,
    CheckGroup,
    ExerciseSpec,
    Mistake,
    expect,
    random_group,
)
from edu_chain.hashing import sha256d


def hash_value(header76: bytes, nonce: int) -> int:
    return int.from_bytes(sha256d(header76 + nonce.to_bytes(4, "little")), "little")


def mine_reference(header76: bytes, target: int, start: int = 0, stop: int = 2**32) -> int | None:
    for nonce in range(start, min(stop, 2**32)):
        if hash_value(header76, nonce) <= target:
            return nonce
    return None


def _mine_strict(header76: bytes, target: int, start: int = 0, stop: int = 2**32) -> int | None:
    return mine_reference(header76, target - 1, start, stop) if target > 0 else None


def _mine_inclusive(header76: bytes, target: int, start: int = 0, stop: int = 2**32) -> int | None:
    return mine_reference(header76, target, start, min(stop + 1, 2**32))


def _mine_big_endian(header76: bytes, target: int, start: int = 0, stop: int = 2**32) -> int | None:
    for nonce in range(start, stop):
        digest = sha256d(header76 + nonce.to_bytes(4, "little"))
        if int.from_bytes(digest, "big") <= target:
            return nonce
    return None


def _header(salt: int) -> bytes:
    return (sha256d(b"header %d" % salt) * 3)[:76]


def _known() -> list[Case]:
    easy = 2**252  # about one nonce in 16 wins
    return [
        expect("mine", mine_reference, [_header(1), easy, 0, 200], "easy target from 0"),
        expect("mine", mine_reference, [_header(2), easy, 1000, 1200], "easy target from 1000"),
        expect("mine", mine_reference, [_header(3), 0, 0, 50], "target 0: nothing wins"),
    ]


def _boundaries() -> list[Case]:
    cases = []
    for salt in range(4):
        header = _header(100 + salt)
        start, stop = 500 * salt, 500 * salt + 64
        # The best hash in the range, used as the target: only `<=` finds exactly it.
        values = [hash_value(header, n) for n in range(start, stop)]
        best = min(values)
        cases.append(expect("mine", mine_reference, [header, best, start, stop], "target == hash"))
        # A range that stops right at the first winner: [start, winner) has none.
        winner = start + values.index(best)
        cases.append(expect("mine", mine_reference, [header, best, start, winner], "stop excluded"))
        cases.append(
            expect("mine", mine_reference, [header, 2**256 - 1, stop, stop], "empty range")
        )
    cases.append(
        expect("mine", mine_reference, [_header(9), 2**255, 2**32 - 4, 2**32], "top of the range")
    )
    return cases


RANDOM = st.tuples(
    st.binary(min_size=76, max_size=76),
    st.integers(4, 9).map(lambda shift: 2 ** (256 - shift)),
    st.integers(0, 2**32 - 1000),
    st.integers(0, 400),
).map(lambda job: expect("mine", mine_reference, [job[0], job[1], job[2], job[2] + job[3]]))


def mine_with(
    header76: bytes,
    target: int,
    start: int = 0,
    stop: int = 2**32,
    *,
    nonce_order: str = "little",
    single: bool = False,
    best: bool = False,
    from_zero: bool = False,
) -> int | None:
    """A miner with the typical mistakes as switches (all off: the reference)."""
    found = []
    for nonce in range(0 if from_zero else start, min(stop, 2**32)):
        data = header76 + nonce.to_bytes(4, nonce_order)  # type: ignore[arg-type]
        digest = hashlib.sha256(data).digest() if single else sha256d(data)
        value = int.from_bytes(digest, "little")
        if value <= target:
            if not best:
                return nonce
            found.append((value, nonce))
    return min(found)[1] if found else None


MISTAKES = (
    Mistake(
        "strict-less-than",
        "A hash EQUAL to the target is valid: compare with <=, not <.",
        variant=_mine_strict,
        whole_evidence=True,
    ),
    Mistake(
        "stop-included",
        "stop is excluded: search range(start, stop), the nonces start, ..., stop - 1.",
        variant=_mine_inclusive,
        whole_evidence=True,
    ),
    Mistake(
        "hash-read-big-endian",
        "Read the hash as a little-endian number: int.from_bytes(digest, 'little').",
        variant=_mine_big_endian,
        whole_evidence=True,
    ),
    Mistake(
        "nonce-big-endian",
        "The nonce is the header's last 4 bytes in LITTLE-endian order: "
        "nonce.to_bytes(4, 'little').",
        variant=lambda *job: mine_with(*job, nonce_order="big"),
        whole_evidence=True,
    ),
    Mistake(
        "single-sha256",
        "A block hash is sha256d, SHA-256 applied twice; you hash the header once.",
        variant=lambda *job: mine_with(*job, single=True),
        whole_evidence=True,
    ),
    Mistake(
        "best-not-first",
        "Return the FIRST (lowest) nonce whose hash is <= target, not the one with the "
        "smallest hash: stop searching at the first winner.",
        variant=lambda *job: mine_with(*job, best=True),
        whole_evidence=True,
    ),
    Mistake(
        "start-ignored",
        "Start the search at start, not at 0: the nonces tried are range(start, stop).",
        variant=lambda *job: mine_with(*job, from_zero=True),
        whole_evidence=True,
    ),
    Mistake(
        "none-not-returned",
        "When no nonce in the range wins, return None (not -1, 0 or False).",
        matches=lambda case, actual: case.expected is None and actual is not None,
    ),
)

SPEC = ExerciseSpec(
    exercise_id="mine",
    version=2,
    groups=(
        CheckGroup("known-jobs", "Easy targets and an impossible one", _known, public=True),
        CheckGroup("boundaries", "target == hash, stop excluded, empty range", _boundaries),
        random_group("random", "Random jobs", RANDOM, count=25, seed_value=5_005),
    ),
    mistakes=MISTAKES,
)
