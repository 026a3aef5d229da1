"""Hidden checks for the ``base58check`` exercise: encoding and decoding addresses.

Contract: ``base58check_encode(payload: bytes) -> str`` is Base58 of
``payload + sha256d(payload)[:4]`` with one ``"1"`` per leading zero byte;
``base58check_decode(text: str) -> bytes`` inverts it and raises ``ValueError`` for a
character outside the alphabet, a string shorter than the 4-byte checksum, or a wrong checksum.

Reference: :func:`edu_chain.encoding.base58check_encode` / ``base58check_decode`` (whose
``DecodeError`` is a ``ValueError``).  Known vectors: Bitcoin's genesis coinbase address
``1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa`` (version 0x00 + the hash160 of Satoshi's key) and the
edu_chain address of twenty zero bytes (version 0x6f), as ``pubkey_hash_to_address`` shows it.
"""

from __future__ import annotations

import hashlib

from hypothesis import strategies as st

from edu_chain.encoding import (
    BASE58_ALPHABET,
    base58_encode,
    base58check_decode,
    base58check_encode,
)
from edu_chain.grading.spec import (
    Case,
    CheckGroup,
    Evidence,
    ExerciseSpec,
    Mistake,
    Raises,
    expect,
    random_group,
)
from edu_chain.hashing import sha256d

GENESIS_PAYLOAD = bytes.fromhex("0062e907b15cbf27d5425399ebf6f0fb50ebb88f18")
GENESIS_ADDRESS = "1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa"
EDU_ZERO_PAYLOAD = bytes([0x6F]) + bytes(20)
EDU_ZERO_ADDRESS = "mfWxJ45yp2SFn7UciZyNpvDKrzbhyfKrY8"

ENCODE = "base58check_encode"
DECODE = "base58check_decode"


def _encode_known() -> list[Case]:
    return [
        Case(ENCODE, (GENESIS_PAYLOAD,), GENESIS_ADDRESS, "Bitcoin genesis coinbase address"),
        Case(ENCODE, (EDU_ZERO_PAYLOAD,), EDU_ZERO_ADDRESS, "edu_chain address of 20 zero bytes"),
        expect(ENCODE, base58check_encode, [b"hello world"], "b'hello world'"),
    ]


def _leading_zeros() -> list[Case]:
    payloads = [b"", b"\x00", b"\x00\x00", b"\x00\x00\x00\x01", bytes(21), b"\x00\xff" * 5]
    cases = [expect(ENCODE, base58check_encode, [p], "leading zero bytes") for p in payloads]
    cases += [
        expect(DECODE, base58check_decode, [base58check_encode(p)], "leading '1' characters")
        for p in payloads
    ]
    return cases


def _decode_known() -> list[Case]:
    return [
        Case(DECODE, (GENESIS_ADDRESS,), GENESIS_PAYLOAD, "Bitcoin genesis coinbase address"),
        Case(DECODE, (EDU_ZERO_ADDRESS,), EDU_ZERO_PAYLOAD, "edu_chain address of 20 zero bytes"),
    ]


def _flip_last(text: str) -> str:
    """The same address with its last character changed: the checksum no longer matches."""
    last = BASE58_ALPHABET.index(text[-1])
    return text[:-1] + BASE58_ALPHABET[(last + 1) % 58]


INVALID = Raises("ValueError")


def _address_where(good) -> str:
    """The first deterministic 21-byte address whose text satisfies ``good``."""
    for i in range(10_000):
        text = base58check_encode(b"\x00" + hashlib.sha256(i.to_bytes(4, "big")).digest()[:20])
        if good(text):
            return text
    raise AssertionError("no such address")  # pragma: no cover - found within a few tries


def _bad_characters_that_keep_the_checksum() -> list[Case]:
    """Bad characters a checksum cannot catch: a decoder that skips them, reads them as '1'
    (``dict.get(c, 0)``) or as -1 (``str.find``) gets a valid payload back, so only an
    alphabet check rejects these."""
    inner_one = _address_where(lambda t: "1" in t.lstrip("1")[1:])
    cut = inner_one.index("1", len(inner_one) - len(inner_one.lstrip("1")) + 1)
    ends_z = _address_where(lambda t: t[-1] == "z" and t[-2] != "z")
    plus_one = BASE58_ALPHABET[BASE58_ALPHABET.index(ends_z[-2]) + 1]
    middle = len(GENESIS_ADDRESS) // 2
    texts = [
        (GENESIS_ADDRESS[:middle] + "0" + GENESIS_ADDRESS[middle:], "'0' is not Base58 (skipped)"),
        (inner_one[:cut] + "I" + inner_one[cut + 1 :], "'I' is not Base58 (read as 0)"),
        (ends_z[:-2] + plus_one + "l", "'l' is not Base58 (read as -1)"),
        (GENESIS_ADDRESS + " ", "' ' is not Base58 (skipped)"),
    ]
    return [Case(DECODE, (text,), Raises("ValueError"), label) for text, label in texts]


def _decode_invalid() -> list[Case]:
    return [
        *_bad_characters_that_keep_the_checksum(),
        Case(DECODE, (_flip_last(GENESIS_ADDRESS),), Raises("ValueError"), "bad checksum"),
        Case(DECODE, (_flip_last(EDU_ZERO_ADDRESS),), Raises("ValueError"), "bad checksum"),
        Case(
            DECODE, (GENESIS_ADDRESS.replace("z", "0"),), Raises("ValueError"), "'0' is not Base58"
        ),
        Case(
            DECODE,
            ("1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNO",),
            Raises("ValueError"),
            "'O' is not Base58",
        ),
        Case(
            DECODE,
            ("mfWxJ45yp2SFn7UciZyNpvDKrzbhyfKrYl",),
            Raises("ValueError"),
            "'l' is not Base58",
        ),
        Case(DECODE, ("",), Raises("ValueError"), "too short for a checksum"),
        Case(DECODE, ("2g",), Raises("ValueError"), "too short for a checksum"),
    ]


RANDOM_ENCODE = st.binary(max_size=40).map(lambda p: expect(ENCODE, base58check_encode, [p]))
RANDOM_DECODE = st.binary(max_size=40).map(
    lambda p: expect(DECODE, base58check_decode, [base58check_encode(p)])
)


# --- mistakes -------------------------------------------------------------------------------


def _encode_no_leading_ones(payload: bytes) -> str:
    return base58check_encode(payload).lstrip("1")


def _encode_single_sha(payload: bytes) -> str:
    return base58_encode(payload + hashlib.sha256(payload).digest()[:4])


def _encode_no_checksum(payload: bytes) -> str:
    return base58_encode(payload)


def _encode_reversed_digits(payload: bytes) -> str:
    text = base58check_encode(payload)
    ones = len(text) - len(text.lstrip("1"))
    return text[:ones] + text[ones:][::-1]


def _decode_drop_zeros(text: str) -> bytes:
    return base58check_decode(text).lstrip(b"\x00")


def _decode_keep_checksum(text: str) -> bytes:
    payload = base58check_decode(text)
    return payload + sha256d(payload)[:4]


def _fails_only_with_leading_ones(evidence: Evidence) -> bool:
    """Premise of the decoder's "leading-zeros-dropped": the valid texts it gets wrong all
    start with '1', and it decodes valid texts that do not."""
    valid = [o for o in evidence.of(DECODE) if isinstance(o.case.expected, bytes)]
    failing = [o for o in valid if not o.passed]
    return (
        bool(failing)
        and all(o.case.args[0].startswith("1") for o in failing)
        and any(o.passed and not o.case.args[0].startswith("1") for o in valid)
    )


MISTAKES = (
    Mistake(
        "leading-zeros-dropped",
        "Each leading zero byte of the data becomes one leading '1' (and back): the number "
        "0x0000ab... loses its zero bytes when you convert it to an integer, so count them first.",
        variant=_encode_no_leading_ones,
        functions=(ENCODE,),
    ),
    Mistake(
        "leading-zeros-dropped",
        "Each leading '1' of the text is one leading zero byte of the payload: count them and "
        "put the zero bytes back in front of the decoded number.",
        variant=_decode_drop_zeros,
        functions=(DECODE,),
    ),
    Mistake(
        "leading-zeros-dropped",
        "Your decoder fails exactly on texts with leading '1's: each one is a leading zero "
        "byte of the payload, lost when the number is turned back into bytes; count the '1's "
        "and put the zero bytes back in front (then check the checksum).",
        premise=_fails_only_with_leading_ones,
        functions=(DECODE,),
    ),
    Mistake(
        "single-sha256-checksum",
        "The checksum is the first 4 bytes of sha256d (SHA-256 twice), not of a single SHA-256.",
        variant=_encode_single_sha,
        functions=(ENCODE,),
    ),
    Mistake(
        "checksum-missing",
        "Append the 4-byte checksum sha256d(payload)[:4] to the payload before encoding.",
        variant=_encode_no_checksum,
        functions=(ENCODE,),
    ),
    Mistake(
        "digits-reversed",
        "Your digits come out in reverse: divmod by 58 produces the LEAST significant digit "
        "first, so reverse them before joining.",
        variant=_encode_reversed_digits,
        functions=(ENCODE,),
    ),
    Mistake(
        "checksum-not-removed",
        "Return only the payload: the last 4 decoded bytes are the checksum; compare them with "
        "sha256d(payload)[:4] and drop them.",
        variant=_decode_keep_checksum,
        functions=(DECODE,),
    ),
    Mistake(
        "checksum-not-verified",
        "A mistyped address must not decode: recompute sha256d(payload)[:4] and raise "
        "ValueError when it differs from the 4 bytes at the end.",
        matches=lambda case, actual: case.label == "bad checksum" and isinstance(actual, bytes),
    ),
    Mistake(
        "bad-character-accepted",
        "Base58 has no 0, O, I or l (they are easy to confuse): raise ValueError for any "
        "character outside the alphabet.",
        matches=lambda case, actual: "not Base58" in case.label and isinstance(actual, bytes),
    ),
)

SPEC = ExerciseSpec(
    exercise_id="base58check",
    version=2,
    groups=(
        CheckGroup("encode-known", "Real addresses", _encode_known, public=True),
        CheckGroup("leading-zeros", "Leading zero bytes <-> leading '1's", _leading_zeros),
        random_group("encode-random", "Random payloads", RANDOM_ENCODE, count=30, seed_value=7_001),
        CheckGroup("decode-known", "Real addresses", _decode_known, public=True),
        CheckGroup("decode-invalid", "Bad checksum, bad characters, too short", _decode_invalid),
        random_group(
            "decode-random", "Random round trips", RANDOM_DECODE, count=30, seed_value=7_002
        ),
    ),
    mistakes=MISTAKES,
)
