"""Bad input, fuzzed with Hypothesis: the parsers and the interpreter fail only in their
documented ways.

* any bytes given to ``Transaction.parse`` or ``Script.parse`` give a value or a
  :class:`DecodeError`, never another exception; what parses serializes back to the same bytes;
* any scripts (and witness, and a valid set of flags) given to ``verify_script`` /
  ``eval_script`` end in success or a :class:`ScriptError` with one of Core's error names
  and a message, never another exception, and quickly: the resource limits (201 opcodes,
  1,000 stack items, 520-byte items, 10,000-byte scripts) bound every run.

The scripts are drawn from an alphabet that reaches deep into the interpreter: every opcode,
nested IF/ELSE/ENDIF, numbers at the 4/5-byte edges, a real DER signature with every sighash
byte, public keys of every form, 520/521-byte items, plus P2SH and P2WSH wrappers so that
the redeem-script and witness paths run.  Each test is bounded by ``max_examples`` and a
pytest timeout.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from edu_chain.errors import DecodeError
from edu_chain.hashing import hash160, sha256
from edu_chain.script import (
    SCRIPT_ERRORS,
    Script,
    ScriptError,
    SignatureChecker,
    TransactionSignatureChecker,
    eval_script,
    parse_flags,
    verify_script,
)
from edu_chain.script.checker import SIGVERSION_BASE, SIGVERSION_WITNESS_V0
from edu_chain.script.flags import ALL_FLAGS
from edu_chain.script.opcodes import Opcode
from edu_chain.script.script import push_data
from edu_chain.tx import Transaction

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
BIP143 = json.loads((FIXTURES / "bip143" / "bip143_examples.json").read_text())["examples"]
REAL = json.loads((FIXTURES / "real_transactions.json").read_text())

SEED_TRANSACTIONS = [bytes.fromhex(e["signed_tx"]) for e in BIP143] + [
    bytes.fromhex(e["hex"]) for e in REAL["with_ids"] + REAL["with_weights"]["transactions"]
]
SEED_SCRIPTS = [
    bytes.fromhex(entry[field])
    for example in BIP143
    for entry in example["spent"]
    for field in ("script_pubkey", "redeem_script", "witness_script")
    if entry.get(field, "DERIVED_P2WSH") != "DERIVED_P2WSH"
]
# The transaction whose input 1 the fuzzed scripts "spend" (BIP143's native P2WPKH example).
SPENDING_TX = Transaction.parse(SEED_TRANSACTIONS[0])
SIGNATURE = bytes.fromhex(BIP143[0]["signatures"][0]["signature"])  # DER, without hash type
PUBKEY = bytes.fromhex(BIP143[0]["signatures"][0]["public_key"])

FUZZ = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


# --- parsers --------------------------------------------------------------------------------


@st.composite
def mutated(draw, seeds: list[bytes]) -> bytes:
    """A seed with a few bytes flipped, inserted, deleted, or cut off."""
    data = bytearray(draw(st.sampled_from(seeds)))
    for _ in range(draw(st.integers(1, 4))):
        action = draw(st.sampled_from(["flip", "insert", "delete", "cut", "set"]))
        position = draw(st.integers(0, max(len(data) - 1, 0)))
        if action == "flip" and data:
            data[position] ^= 1 << draw(st.integers(0, 7))
        elif action == "insert":
            data[position:position] = draw(st.binary(min_size=1, max_size=4))
        elif action == "delete" and data:
            del data[position : position + draw(st.integers(1, 4))]
        elif action == "cut":
            del data[position:]
        elif data:  # set a byte to a boundary value: counts and lengths of every width
            data[position] = draw(st.sampled_from([0x00, 0x01, 0xFC, 0xFD, 0xFE, 0xFF]))
    return bytes(data)


@pytest.mark.timeout(120)
@FUZZ
@given(st.one_of(st.binary(max_size=300), mutated(SEED_TRANSACTIONS)))
def test_transaction_parse_gives_a_transaction_or_a_decode_error(raw: bytes) -> None:
    try:
        tx = Transaction.parse(raw)
    except DecodeError as error:
        assert error.code.startswith("decode-") and str(error)
        return
    assert tx.serialize() == raw  # what parses is exactly what was given


@pytest.mark.timeout(120)
@FUZZ
@given(
    st.one_of(st.binary(max_size=200), mutated(SEED_SCRIPTS)),
)
def test_script_parse_gives_a_script_or_a_decode_error(raw: bytes) -> None:
    try:
        script = Script.parse(raw)
    except DecodeError as error:
        assert error.code == "decode-truncated" and str(error)
        return
    assert script.serialize() == raw


# --- the interpreter ------------------------------------------------------------------------

NUMBERS = [b"", b"\x00", b"\x80", b"\x01", b"\x81", b"\xff\xff\xff\x7f", b"\xff\xff\xff\xff"]
NUMBERS += [b"\x00\x00\x00\x80\x00", b"\xff\xff\xff\xff\x00", b"\x01\x00", b"\x10"]
ITEMS = [
    *NUMBERS,
    SIGNATURE + b"\x01",
    SIGNATURE + b"\x83",
    SIGNATURE + b"\x00",
    SIGNATURE[:-1] + b"\x01",  # a DER length that no longer matches
    PUBKEY,
    b"\x04" + bytes(64),  # an uncompressed-looking key that is not on the curve
    b"\x06" + PUBKEY[1:] + bytes(32),  # a hybrid-looking key
    bytes(20),
    bytes(32),
    b"\x42" * 520,
]
# OP_0 .. OP_16 and every instruction; IF/NOTIF/ELSE/ENDIF and the signature/number opcodes
# are listed again so that they come up more often.
INSTRUCTIONS = [0x00, *range(0x4F, 0x100)]
FAVOURED = [0x63, 0x64, 0x67, 0x68, 0x69, 0x75, 0x76, 0x7C, 0x87, 0x93, 0xA9, 0xAC, 0xAE, 0xB1]
FAVOURED += [0xB2, 0x6B, 0x6C, 0x79, 0x7A, 0x82, 0xAB, 0xAD, 0xAF]


@st.composite
def scripts(draw, max_ops: int = 25) -> bytes:
    out = bytearray()
    for _ in range(draw(st.integers(0, max_ops))):
        kind = draw(st.integers(0, 9))
        if kind <= 2:
            out.append(draw(st.sampled_from(INSTRUCTIONS)))
        elif kind <= 5:
            out.append(draw(st.sampled_from(FAVOURED)))
        elif kind <= 7:
            out += push_data(draw(st.sampled_from(ITEMS)))
        elif kind == 8:
            out += push_data(draw(st.binary(max_size=40)))
        else:  # a non-minimal push, an oversized push, or a push cut short
            out += draw(
                st.sampled_from(
                    [
                        b"\x4c\x01\x07",
                        b"\x4d\x09\x02" + bytes(521),
                        b"\x4e\x03\x00\x00\x00abc",
                        b"\x4c\x05ab",
                        b"\x05ab",
                    ]
                )
            )
    return bytes(out)


flag_sets = st.sets(st.sampled_from(sorted(ALL_FLAGS))).map(
    lambda names: parse_flags(names | {"P2SH"} if {"WITNESS", "CLEANSTACK"} & names else names)
)
witnesses = st.lists(st.one_of(st.sampled_from(ITEMS), st.binary(max_size=40)), max_size=5)


@st.composite
def spends(draw) -> tuple[bytes, bytes, list[bytes]]:
    """``(script_sig, script_pubkey, witness)``: bare, P2SH, P2WSH or P2SH-P2WSH."""
    shape = draw(st.sampled_from(["bare", "p2sh", "p2wsh", "p2sh-p2wsh", "p2wpkh"]))
    inner = draw(scripts())
    pushes = b"".join(push_data(item) for item in draw(witnesses))
    witness = draw(witnesses)
    if shape == "bare":
        return draw(scripts(max_ops=8)), inner, witness
    if shape == "p2sh":
        p2sh = bytes([Opcode.OP_HASH160]) + push_data(hash160(inner)) + bytes([Opcode.OP_EQUAL])
        return pushes + push_data(inner), p2sh, witness
    program = b"\x00\x20" + sha256(inner)
    if shape == "p2wpkh":
        program = b"\x00\x14" + hash160(PUBKEY)
        witness = [draw(st.sampled_from(ITEMS)), PUBKEY]
    else:
        witness = [*witness, inner]
    if shape.startswith("p2sh-"):
        p2sh = bytes([Opcode.OP_HASH160]) + push_data(hash160(program)) + bytes([Opcode.OP_EQUAL])
        return push_data(program), p2sh, witness
    return b"", program, witness


def _check_outcome(run) -> None:
    try:
        run()
    except ScriptError as error:
        assert error.code in SCRIPT_ERRORS
        assert error.message
        if error.opcode is not None:
            assert error.opcode in error.message  # the message names the opcode that failed


@pytest.mark.timeout(180)
@settings(FUZZ, max_examples=300)
@given(spends(), flag_sets, st.integers(0, 2**40), st.booleans())
def test_verify_script_ends_in_success_or_script_error(
    spend: tuple[bytes, bytes, list[bytes]], flags: frozenset[str], amount: int, with_tx: bool
) -> None:
    script_sig, script_pubkey, witness = spend
    checker = TransactionSignatureChecker(SPENDING_TX, 1, amount) if with_tx else None
    _check_outcome(lambda: verify_script(script_sig, script_pubkey, witness, flags, checker))


@pytest.mark.timeout(120)
@FUZZ
@given(
    st.binary(max_size=120),
    st.binary(max_size=60),
    st.lists(st.binary(max_size=30), max_size=4),
    flag_sets,
)
def test_verify_script_on_raw_bytes_ends_in_success_or_script_error(
    script_sig: bytes, script_pubkey: bytes, witness: list[bytes], flags: frozenset[str]
) -> None:
    checker = TransactionSignatureChecker(SPENDING_TX, 1, 600_000_000)
    _check_outcome(lambda: verify_script(script_sig, script_pubkey, witness, flags, checker))


@pytest.mark.timeout(120)
@FUZZ
@given(
    scripts(max_ops=40),
    witnesses,
    flag_sets,
    st.sampled_from([SIGVERSION_BASE, SIGVERSION_WITNESS_V0]),
    st.booleans(),
)
def test_eval_script_ends_in_success_or_script_error(
    script: bytes, stack: list[bytes], flags: frozenset[str], sigversion: str, with_tx: bool
) -> None:
    checker = (
        TransactionSignatureChecker(SPENDING_TX, 0, 625_000_000) if with_tx else SignatureChecker()
    )
    _check_outcome(lambda: eval_script(list(stack), script, flags, checker, sigversion))


@pytest.mark.timeout(60)
@settings(FUZZ, max_examples=20)
@given(st.sampled_from([0xA8, 0xAA, 0x76, 0x7E, 0xAC]), flag_sets)
def test_the_limits_bound_the_worst_scripts(opcode: int, flags: frozenset[str]) -> None:
    """The costliest shapes (hashing 520-byte items, duplicating, CHECKSIG) over the
    largest script stop at a limit instead of running long."""
    script = push_data(b"\x42" * 520) + bytes([opcode]) * 9_000
    _check_outcome(lambda: eval_script([PUBKEY], script, flags, SignatureChecker()))
    too_long = bytes([Opcode.OP_NOP]) * 10_001
    with pytest.raises(ScriptError) as failure:
        eval_script([], too_long, flags, SignatureChecker())
    assert failure.value.code == "SCRIPT_SIZE"
