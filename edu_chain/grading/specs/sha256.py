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
    Evidence,
    ExerciseSpec,
    Mistake,
    Outcome,
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


# --- a model of SHA-256 with the typical mistakes as switches --------------------------------
# The mistakes below are recognised by behaviour: a submission has a mistake when it returns
# what this model returns with that switch on, on every input tried (see Mistake.variant).

MASK32 = 0xFFFFFFFF


def _primes(count: int) -> list[int]:
    found: list[int] = []
    candidate = 2
    while len(found) < count:
        if all(candidate % q for q in found if q * q <= candidate):
            found.append(candidate)
        candidate += 1
    return found


def _frac_root_bits(value: int, root: int) -> int:
    """The first 32 bits of the fractional part of value ** (1/root), exactly (integers)."""
    scaled = value << (32 * root)
    low, high = 0, 1 << (32 + 8)
    while low < high:  # the integer root of value * 2**(32*root)
        mid = (low + high + 1) // 2
        if mid**root <= scaled:
            low = mid
        else:
            high = mid - 1
    return low & MASK32


K = [_frac_root_bits(p, 3) for p in _primes(64)]  # FIPS 180-4 section 4.2.2
H0 = [_frac_root_bits(p, 2) for p in _primes(8)]  # FIPS 180-4 section 5.3.3


def ref_rotr(x: int, n: int, *, left: bool = False) -> int:
    if left:
        return ((x << n) | (x >> (32 - n))) & MASK32
    return ((x >> n) | (x << (32 - n))) & MASK32


def ref_pad(data: bytes, *, length_order: str = "big", length_unit: int = 8) -> bytes:
    length = (len(data) * length_unit).to_bytes(8, length_order)  # type: ignore[arg-type]
    return data + b"\x80" + b"\x00" * ((55 - len(data)) % 64) + length


def ref_message_schedule(block: bytes, *, left: bool = False, rotate_shift: bool = False) -> list:
    def rot(x: int, n: int) -> int:
        return ref_rotr(x, n, left=left)

    def shr(x: int, n: int) -> int:
        return rot(x, n) if rotate_shift else x >> n

    w = [int.from_bytes(block[4 * i : 4 * i + 4], "big") for i in range(16)]
    for t in range(16, 64):
        s0 = rot(w[t - 15], 7) ^ rot(w[t - 15], 18) ^ shr(w[t - 15], 3)
        s1 = rot(w[t - 2], 17) ^ rot(w[t - 2], 19) ^ shr(w[t - 2], 10)
        w.append((w[t - 16] + s0 + w[t - 7] + s1) & MASK32)
    return w


def ref_compress(
    state: list,
    block: bytes,
    *,
    left: bool = False,
    rotate_shift: bool = False,
    feed_forward: bool = True,
) -> list:
    def rot(x: int, n: int) -> int:
        return ref_rotr(x, n, left=left)

    w = ref_message_schedule(block, left=left, rotate_shift=rotate_shift)
    a, b, c, d, e, f, g, h = state
    for t in range(64):
        s1 = rot(e, 6) ^ rot(e, 11) ^ rot(e, 25)
        ch = (e & f) ^ (~e & g)
        temp1 = (h + s1 + ch + K[t] + w[t]) & MASK32
        s0 = rot(a, 2) ^ rot(a, 13) ^ rot(a, 22)
        maj = (a & b) ^ (a & c) ^ (b & c)
        temp2 = (s0 + maj) & MASK32
        h, g, f, e, d, c, b, a = g, f, e, (d + temp1) & MASK32, c, b, a, (temp1 + temp2) & MASK32
    out = [a, b, c, d, e, f, g, h]
    if feed_forward:
        out = [(x + y) & MASK32 for x, y in zip(state, out, strict=True)]
    return out


def model(
    data: bytes, *, word_order: str = "big", pad_options: dict | None = None, **compress: bool
) -> bytes:
    """SHA-256 with switches for the typical mistakes (all off: the real SHA-256)."""
    padded = ref_pad(data, **(pad_options or {}))
    state = list(H0)
    for start in range(0, len(padded), 64):
        state = ref_compress(state, padded[start : start + 64], **compress)
    return b"".join(word.to_bytes(4, word_order) for word in state)  # type: ignore[arg-type]


# --- step checks: rotr, pad, message_schedule, compress (exercises/sha256/README.md) ---------


def _rotr_cases() -> list[Case]:
    args = [(1, 1), (0x80000000, 31), (0x12345678, 8), (0xF0000000, 4), (0xDEADBEEF, 13)]
    return [expect("rotr", ref_rotr, a) for a in args]


def _pad_cases() -> list[Case]:
    return [expect("pad", ref_pad, [bytes(range(n))]) for n in (0, 3, 55, 56, 63, 64, 100)]


def _schedule_cases() -> list[Case]:
    return [
        expect("message_schedule", ref_message_schedule, [ref_pad(data)[:64]])
        for data in (b"", b"abc", bytes(range(55)))
    ]


def _compress_cases() -> list[Case]:
    return [
        expect("compress", ref_compress, [list(H0), ref_pad(data)[:64]]) for data in (b"", b"abc")
    ]


def _probes() -> list[Case]:
    """Every length from 0 to 130 bytes: which lengths fail tells padding from the rest."""
    return [
        expect("sha256", _reference, [bytes(i * 5 % 256 for i in range(n))]) for n in range(131)
    ]


def _length(outcome: Outcome) -> int:
    return len(outcome.case.args[0]) % 64


NEAR_BOUNDARY = range(55, 64)


def _only_near_a_block_boundary(evidence: Evidence) -> bool:
    """Premise of "padding-boundary": every failing length is 55..63 mod 64, and the
    submission is right on other lengths, short (< 55) and long (>= 64) ones alike."""
    failing = evidence.failing("sha256")
    passing = evidence.passing("sha256")
    return (
        bool(failing)
        and all(_length(o) in NEAR_BOUNDARY for o in failing)
        and any(len(o.case.args[0]) < 55 for o in passing)
        and any(len(o.case.args[0]) >= 64 and _length(o) not in NEAR_BOUNDARY for o in passing)
    )


SPEC = ExerciseSpec(
    exercise_id="sha256",
    version=2,
    groups=(
        CheckGroup("known-vectors", "FIPS 180-4 example messages", _known, public=True),
        CheckGroup("padding", "Messages around the 55/56/64-byte padding boundaries", _padding),
        random_group(
            "random", "Random messages up to 300 bytes", RANDOM, count=40, seed_value=256_001
        ),
    ),
    probes=_probes,
    steps={
        "rotr": _rotr_cases,
        "pad": _pad_cases,
        "message_schedule": _schedule_cases,
        "compress": _compress_cases,
    },
    mistakes=(
        Mistake(
            "bytes-reversed",
            "Your digest is the right one with its bytes reversed: write each 32-bit "
            "state word big-endian (word.to_bytes(4, 'big')) and keep the words in order.",
            variant=lambda data: _reference(data)[::-1],
            functions=("sha256",),
            whole_evidence=True,
        ),
        Mistake(
            "words-little-endian",
            "Each 4-byte word of your digest is reversed: write the state words big-endian, "
            "word.to_bytes(4, 'big'), not 'little'.",
            variant=lambda data: model(data, word_order="little"),
            functions=("sha256",),
            whole_evidence=True,
        ),
        Mistake(
            "double-sha256",
            "You return SHA-256 applied twice (sha256d). This exercise is single SHA-256.",
            variant=lambda data: _reference(_reference(data)),
            functions=("sha256",),
            whole_evidence=True,
        ),
        Mistake(
            "rotate-left",
            "Your rotations go the wrong way: rotr must rotate RIGHT, "
            "((x >> n) | (x << (32 - n))) & 0xFFFFFFFF.",
            variant=lambda data: model(data, left=True),
            functions=("sha256",),
            whole_evidence=True,
        ),
        Mistake(
            "shift-rotated",
            "In the message schedule the last term of s0 and s1 is a plain right SHIFT "
            "(w >> 3, w >> 10), not a rotation.",
            variant=lambda data: model(data, rotate_shift=True),
            functions=("sha256",),
            whole_evidence=True,
        ),
        Mistake(
            "length-little-endian",
            "The 8-byte length at the end of the padding is big-endian: "
            "(8 * len(data)).to_bytes(8, 'big').",
            variant=lambda data: model(data, pad_options={"length_order": "little"}),
            functions=("sha256",),
            whole_evidence=True,
        ),
        Mistake(
            "length-in-bytes",
            "The padding ends with the message length in BITS (8 * len(data)), not in bytes.",
            variant=lambda data: model(data, pad_options={"length_unit": 1}),
            functions=("sha256",),
            whole_evidence=True,
        ),
        Mistake(
            "no-feed-forward",
            "After the 64 rounds, ADD a..h into the state words (mod 2**32) before the next "
            "block: step 5; your digest is the bare round output.",
            variant=lambda data: model(data, feed_forward=False),
            functions=("sha256",),
            whole_evidence=True,
        ),
        Mistake(
            "padding-boundary",
            "Wrong only near a block boundary (lengths 55 to 63 mod 64; every other length is "
            "right): after the 0x80 byte you need room for the 8-byte big-endian bit length; "
            "when it does not fit, pad a whole extra block.",
            premise=_only_near_a_block_boundary,
            functions=("sha256",),
            whole_evidence=True,
        ),
    ),
)
