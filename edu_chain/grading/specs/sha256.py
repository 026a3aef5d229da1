"""Hidden checks for the ``sha256`` exercise: SHA-256 from scratch (FIPS 180-4).

Reference: :func:`hashlib.sha256`.  Known vectors are from FIPS 180-4's examples (NIST
"SHA256.pdf" example values) and the NIST CAVP short-message file.  The padding group walks
every length around the 55/56/64-byte boundaries where the 8-byte length field and the
0x80 byte stop fitting in the last block.
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


def _reference(data: bytes) -> bytes:
    return hashlib.sha256(data).digest()


KNOWN_VECTORS = [
    (b"", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", "FIPS 180-4: empty"),
    (
        b"abc",
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
        "FIPS 180-4: 'abc'",
    ),
    (
        b"abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
        "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1",
        "FIPS 180-4: 448-bit message (two blocks)",
    ),
]


def _known() -> list[Case]:
    cases = []
    for data, digest, label in KNOWN_VECTORS:  # tests check the table against hashlib
        cases.append(Case("sha256", (data,), bytes.fromhex(digest), label))
    return cases


def _padding() -> list[Case]:
    lengths = [1, 54, 55, 56, 57, 62, 63, 64, 65, 119, 120, 127, 128, 129]
    return [expect("sha256", _reference, [bytes(i * 7 % 256 for i in range(n))]) for n in lengths]


RANDOM = st.binary(min_size=0, max_size=300).map(lambda data: expect("sha256", _reference, [data]))


def _is_padding_length(case: Case, actual: object) -> bool:
    return len(case.args[0]) % 64 in range(55, 64) or len(case.args[0]) % 64 == 0


SPEC = ExerciseSpec(
    exercise_id="sha256",
    version=1,
    groups=(
        CheckGroup("known-vectors", "FIPS 180-4 example messages", _known, public=True),
        CheckGroup("padding", "Messages around the 55/56/64-byte padding boundaries", _padding),
        random_group(
            "random", "Random messages up to 300 bytes", RANDOM, count=40, seed_value=256_001
        ),
    ),
    mistakes=(
        Mistake(
            "bytes-reversed",
            "Your digest is the right one with its bytes reversed: write each 32-bit "
            "state word big-endian (word.to_bytes(4, 'big')) and keep the words in order.",
            variant=lambda data: _reference(data)[::-1],
        ),
        Mistake(
            "double-sha256",
            "You return SHA-256 applied twice (sha256d). This exercise is single SHA-256.",
            variant=lambda data: _reference(_reference(data)),
        ),
        Mistake(
            "padding-boundary",
            "Wrong only near a block boundary: after the 0x80 byte you need room for the "
            "8-byte big-endian bit length; when it does not fit, pad a whole extra block.",
            matches=_is_padding_length,
        ),
    ),
)
