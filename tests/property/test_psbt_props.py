"""Properties of edu_chain/psbt.py: fuzzed input, round trips, and BIP174's combiner law.

Oracles:

* any bytes or text handed to the parser give a PSBT or a ``DecodeError`` (never another
  exception); a PSBT that parses re-serializes to bytes that parse to the same PSBT;
* generated PSBTs (random fields, unknown and proprietary keys) survive serialize/parse;
* BIP174 "Combiner": ``combine(fA(psbt), fB(psbt)) == fA(fB(psbt))`` for two signers A, B;
  and whichever two of three keys sign a 2-of-3, the finalized spend passes ``verify_input``.
"""

import base64
import contextlib
import json
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from edu_chain.errors import DecodeError
from edu_chain.keys import PrivateKey
from edu_chain.psbt import (
    MAGIC,
    Psbt,
    PsbtInput,
    PsbtOutput,
    combine,
    create,
    extract,
    finalize,
    sign,
    update_input,
)
from edu_chain.script import STANDARD_FLAGS, verify_input
from edu_chain.script.standard import multisig, p2sh_for, p2wsh_for
from edu_chain.tx import OutPoint, Transaction, TxIn, TxOut

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "bip174"
VALID = json.loads((FIXTURES / "valid.json").read_text())
WORKFLOW = json.loads((FIXTURES / "workflow.json").read_text())
SEEDS = [base64.b64decode(case["base64"]) for case in VALID["valid"]] + [
    base64.b64decode(WORKFLOW["combiner"]["expected"]),
    base64.b64decode(WORKFLOW["finalizer"]["expected"]),
]

edits = st.lists(
    st.tuples(
        st.sampled_from(["set", "delete", "insert", "flip", "truncate"]),
        st.integers(min_value=0),
        st.integers(min_value=0, max_value=255),
    ),
    min_size=1,
    max_size=4,
)


def mutate(data: bytes, operations) -> bytes:
    out = bytearray(data)
    for operation, position, value in operations:
        if operation == "insert":
            out.insert(position % (len(out) + 1), value)
        elif not out:
            continue
        elif operation == "set":
            out[position % len(out)] = value
        elif operation == "delete":
            del out[position % len(out)]
        elif operation == "flip":
            out[position % len(out)] ^= 1 << (value % 8)
        else:
            del out[position % len(out) :]
    return bytes(out)


def parses_or_refuses(raw: bytes) -> None:
    try:
        psbt = Psbt.parse(raw)
    except DecodeError as err:
        assert err.code and err.message
        return
    assert Psbt.parse(psbt.serialize()) == psbt


@given(st.binary(max_size=300))
def test_random_bytes(raw):
    parses_or_refuses(raw)
    parses_or_refuses(MAGIC + raw)


@given(st.sampled_from(SEEDS), edits)
@settings(max_examples=300)
def test_edited_vectors(seed, operations):
    parses_or_refuses(mutate(seed, operations))


@given(st.one_of(st.text(max_size=200), st.binary(max_size=200)))
def test_any_text_or_file_contents(data):
    with contextlib.suppress(DecodeError):
        Psbt.load(data)


@given(st.sampled_from(SEEDS), edits)
def test_edited_vectors_as_base64(seed, operations):
    text = base64.b64encode(mutate(seed, operations)).decode()
    with contextlib.suppress(DecodeError):
        Psbt.from_base64(text)


# --- generated PSBTs round-trip --------------------------------------------------------------

KEYS = [PrivateKey(secret) for secret in (0xA11CE, 0xB0B, 0xC4A5)]
PUBKEYS = [key.public_key.sec() for key in KEYS]
SIGNATURE = bytes.fromhex(  # a strict-DER signature + SIGHASH_ALL, from BIP174's vectors
    "3044022074018ad4180097b873323c0015720b3684cc8123891048e7dbcd9b55ad679c99"
    "022073d369b740e3eb53dcefa33823c8070514ca55a7dd9544f157c167913261118c01"
)
scripts = st.binary(max_size=40)
unknown_keys = st.dictionaries(
    st.builds(lambda t, d: bytes([t]) + d, st.integers(0x10, 0xFA), st.binary(max_size=8)),
    st.binary(max_size=16),
    max_size=2,
)
proprietary_keys = st.dictionaries(
    st.builds(
        lambda ident, sub: b"\xfc" + bytes([len(ident)]) + ident + bytes([sub]),
        st.binary(max_size=5),
        st.integers(0, 0xFC),
    ),
    st.binary(max_size=8),
    max_size=2,
)
origins = st.builds(lambda n: bytes.fromhex("d90c6a4f") + bytes(4 * n), st.integers(0, 3))
psbt_inputs = st.builds(
    PsbtInput,
    witness_utxo=st.none() | st.builds(TxOut, st.integers(0, 2**40), scripts),
    partial_sigs=st.dictionaries(st.sampled_from(PUBKEYS), st.just(SIGNATURE), max_size=3),
    sighash_type=st.none() | st.integers(0, 2**32 - 1),
    redeem_script=st.none() | scripts,
    witness_script=st.none() | scripts,
    bip32_derivations=st.dictionaries(st.sampled_from(PUBKEYS), origins, max_size=2),
    final_script_witness=st.none() | st.lists(scripts, max_size=3).map(tuple),
    por_commitment=st.none() | st.binary(max_size=10),
    proprietary=proprietary_keys,
    unknown=unknown_keys,
)
psbt_outputs = st.builds(
    PsbtOutput,
    redeem_script=st.none() | scripts,
    witness_script=st.none() | scripts,
    bip32_derivations=st.dictionaries(st.sampled_from(PUBKEYS), origins, max_size=2),
    unknown=unknown_keys,
)


@st.composite
def psbts(draw):
    n_in, n_out = draw(st.integers(0, 3)), draw(st.integers(0, 3))
    tx = Transaction(
        draw(st.integers(0, 2**32 - 1)),
        [
            TxIn(OutPoint(bytes([n]) * 32, n), sequence=draw(st.integers(0, 2**32 - 1)))
            for n in range(n_in)
        ],
        [TxOut(draw(st.integers(0, 2**40)), draw(scripts)) for _ in range(n_out)],
        draw(st.integers(0, 2**32 - 1)),
    )
    return Psbt(
        tx,
        tuple(draw(psbt_inputs) for _ in range(n_in)),
        tuple(draw(psbt_outputs) for _ in range(n_out)),
        version=draw(st.sampled_from([None, 0])),
        unknown=draw(unknown_keys),
        proprietary=draw(proprietary_keys),
    )


@given(psbts())
def test_generated_psbts_round_trip(psbt):
    raw = psbt.serialize()
    assert Psbt.parse(raw) == psbt
    assert Psbt.parse(raw).serialize() == raw
    assert Psbt.from_base64(psbt.to_base64()) == psbt


# --- the roles -------------------------------------------------------------------------------

SCRIPT = multisig(2, PUBKEYS)
WRAPPINGS = ["p2wsh", "p2sh", "p2sh-p2wsh"]


def _unsigned(wrapping: str) -> tuple[Psbt, TxOut]:
    if wrapping == "p2wsh":
        spent = TxOut(80_000, p2wsh_for(SCRIPT))
        fields = {"witness_utxo": spent, "witness_script": SCRIPT}
    elif wrapping == "p2sh-p2wsh":
        spent = TxOut(80_000, p2sh_for(p2wsh_for(SCRIPT)))
        fields = {
            "witness_utxo": spent,
            "witness_script": SCRIPT,
            "redeem_script": p2wsh_for(SCRIPT),
        }
    else:
        spent = TxOut(80_000, p2sh_for(SCRIPT))
    funding = Transaction(2, [TxIn(OutPoint(bytes(32), 7), b"\x51")], [spent])
    if wrapping == "p2sh":
        fields = {"non_witness_utxo": funding, "redeem_script": SCRIPT}
    tx = Transaction(2, [TxIn(OutPoint(funding.txid, 0))], [TxOut(79_000, b"\x6a")])
    return update_input(create(tx), 0, **fields), spent


@given(st.sampled_from(WRAPPINGS), st.permutations(range(3)))
@settings(max_examples=20)
def test_combine_equals_signing_in_sequence_and_any_two_keys_spend(wrapping, order):
    psbt, spent = _unsigned(wrapping)
    a, b = KEYS[order[0]], KEYS[order[1]]
    combined = combine(sign(psbt, a), sign(psbt, b))
    assert combined == sign(sign(psbt, a), b) == sign(sign(psbt, b), a)
    tx = extract(finalize(combined))
    verify_input(tx, 0, spent.script_pubkey, spent.amount, STANDARD_FLAGS)
