"""Hypothesis properties of scripts, script numbers, transactions and signature hashes.

Oracles:

* round-trip laws: ``Script.parse(raw).serialize() == raw`` for every readable ``raw``;
  ``Transaction.parse(tx.serialize()) == tx`` with and without witnesses;
* script numbers against a sign-magnitude reader written here, and Core's size and
  minimal-encoding rules;
* the legacy sighash against an independent, straightforward implementation written here the
  way Bitcoin Core's original ``SignatureHash`` (and every textbook) describes it: copy the
  transaction with Transaction/TxIn/TxOut objects, blank the other inputs' scripts, put the
  script code (without OP_CODESEPARATOR) in the signed input, apply the hash type's changes,
  serialize, append the 4-byte hash type, double SHA-256;
* the BIP143 sighash against an implementation written from the BIP's text with hashlib
  (no edu_chain serializer or hash helper involved).
"""

from __future__ import annotations

import hashlib

from hypothesis import assume, given, settings
from hypothesis import strategies as st

from edu_chain.encoding import ByteReader
from edu_chain.errors import DecodeError
from edu_chain.script import Script, SighashCache
from edu_chain.script.number import (
    ScriptNumberError,
    cast_to_bool,
    decode_num,
    encode_num,
    is_minimal,
)
from edu_chain.script.script import is_readable
from edu_chain.tx import OutPoint, Transaction, TxIn, TxOut

OP_CODESEPARATOR = 0xAB
SIGHASH_ALL, SIGHASH_NONE, SIGHASH_SINGLE, ANYONECANPAY = 1, 2, 3, 0x80
ONE = (1).to_bytes(32, "little")  # Core's "1" returned for the SINGLE bug


def sha256d(data: bytes) -> bytes:
    return hashlib.sha256(hashlib.sha256(data).digest()).digest()


def compact_size(n: int) -> bytes:
    if n < 0xFD:
        return bytes([n])
    if n <= 0xFFFF:
        return b"\xfd" + n.to_bytes(2, "little")
    if n <= 0xFFFFFFFF:
        return b"\xfe" + n.to_bytes(4, "little")
    return b"\xff" + n.to_bytes(8, "little")


# --- strategies ---------------------------------------------------------------------------

uint32 = st.integers(0, 2**32 - 1)
PUSH_WIDTH = {0x4C: 1, 0x4D: 2, 0x4E: 4}


@st.composite
def script_ops(draw, max_ops: int = 12) -> bytes:
    """Readable script bytes: opcodes (OP_CODESEPARATOR often) and pushes of every form,
    including non-minimal PUSHDATA1/2/4."""
    out = bytearray()
    for _ in range(draw(st.integers(0, max_ops))):
        kind = draw(st.sampled_from(["opcode", "codesep", "direct", "pushdata"]))
        if kind == "opcode":
            out.append(draw(st.integers(0x4F, 0xFF)))
        elif kind == "codesep":
            out.append(OP_CODESEPARATOR)
        elif kind == "direct":
            data = draw(st.binary(max_size=0x4B))
            out += bytes([len(data)]) + data
        else:
            opcode = draw(st.sampled_from(sorted(PUSH_WIDTH)))
            data = draw(st.binary(max_size=80))
            out += bytes([opcode]) + len(data).to_bytes(PUSH_WIDTH[opcode], "little") + data
    return bytes(out)


witness_items = st.lists(st.binary(max_size=80), max_size=4).map(tuple)


@st.composite
def transactions(draw, witness: bool | None = None, max_inputs: int = 4) -> Transaction:
    """Random transactions with at least one input; ``witness`` True forces at least one
    non-empty witness, False forbids witnesses, None lets Hypothesis choose."""
    n_inputs = draw(st.integers(1, max_inputs))
    inputs = []
    for _ in range(n_inputs):
        items = draw(witness_items) if witness is not False else ()
        inputs.append(
            TxIn(
                OutPoint(draw(st.binary(min_size=32, max_size=32)), draw(uint32)),
                draw(st.binary(max_size=60)),
                draw(uint32),
                items,
            )
        )
    if witness and not any(i.witness for i in inputs):
        position = draw(st.integers(0, n_inputs - 1))
        old = inputs[position]
        item = draw(st.binary(max_size=40))
        inputs[position] = TxIn(old.outpoint, old.script_sig, old.sequence, (item,))
    outputs = draw(
        st.lists(
            st.builds(TxOut, st.integers(-(2**63), 2**63 - 1), st.binary(max_size=40)),
            max_size=4,
        )
    )
    return Transaction(draw(uint32), inputs, outputs, draw(uint32))


hash_types = st.one_of(
    st.sampled_from([1, 2, 3, 0x81, 0x82, 0x83]),  # the defined ones
    st.integers(0, 255),  # anything a signature's last byte can say (legacy: & 0x1f)
)


# --- scripts --------------------------------------------------------------------------------


@given(script_ops())
def test_readable_script_round_trips(raw: bytes) -> None:
    assert is_readable(raw)
    script = Script.parse(raw)
    assert script.serialize() == raw
    assert Script.parse(script.serialize()) == script


@given(st.binary(max_size=120))
def test_any_bytes_either_parse_and_round_trip_or_give_decode_error(raw: bytes) -> None:
    try:
        script = Script.parse(raw)
    except DecodeError as error:
        assert not is_readable(raw)
        assert error.code == "decode-truncated"
        return
    assert is_readable(raw)
    assert script.serialize() == raw


@given(script_ops(), st.sampled_from([1, 0x4B, 0x4C, 0x4D, 0x4E]), st.binary(max_size=4))
def test_a_push_cut_short_is_a_decode_error(prefix: bytes, opcode: int, tail: bytes) -> None:
    """A push that announces more bytes than remain (or whose length field is cut)."""
    width = PUSH_WIDTH.get(opcode, 0)
    announced = opcode if not width else 5
    length = announced.to_bytes(width, "little") if width else b""
    cut = bytes([opcode]) + (length + tail)[: width + min(len(tail), announced - 1)]
    if width:  # sometimes cut inside the length field itself
        cut = cut[: 1 + len(tail) % (width + 1)] if len(tail) % 2 else cut
    raw = prefix + cut
    try:
        Script.parse(raw)
    except DecodeError:
        return
    raise AssertionError(f"{raw.hex()} parsed although its last push is cut short")


# --- script numbers ---------------------------------------------------------------------


def reference_decode(data: bytes) -> int:
    """Sign-magnitude, little-endian: the top bit of the last byte is the sign."""
    if not data:
        return 0
    magnitude = bytearray(data)
    negative = bool(magnitude[-1] & 0x80)
    magnitude[-1] &= 0x7F
    value = int.from_bytes(magnitude, "little")
    return -value if negative else value


@given(st.integers(-(2**39) + 1, 2**39 - 1))
def test_script_numbers_round_trip_minimally(value: int) -> None:
    encoded = encode_num(value)
    assert reference_decode(encoded) == value
    assert is_minimal(encoded)
    assert decode_num(encoded, max_size=len(encoded), require_minimal=True) == value
    # The shortest encoding: k bytes hold magnitudes below 2**(8k - 1) (one bit is the sign).
    shortest = 0 if value == 0 else next(k for k in range(1, 9) if abs(value) < 2 ** (8 * k - 1))
    assert len(encoded) == shortest
    # Operand sizes: 4 bytes for arithmetic (|n| < 2**31), 5 for the timelock opcodes.
    assert (len(encoded) <= 4) == (abs(value) < 2**31)
    if len(encoded) > 4:
        try:
            decode_num(encoded)
        except ScriptNumberError:
            pass
        else:
            raise AssertionError("a 5-byte operand was accepted where 4 is the limit")
    if abs(value) < 2**39:
        assert decode_num(encoded, max_size=5) == value


@given(st.integers(-(2**31) + 1, 2**31 - 1), st.integers(1, 3))
def test_padded_numbers_decode_but_are_not_minimal(value: int, padding: int) -> None:
    body = bytearray(encode_num(abs(value)) + bytes(padding))
    if value < 0:
        body[-1] |= 0x80
    padded = bytes(body)
    assume(len(padded) <= 4)
    assert decode_num(padded) == value
    assert not is_minimal(padded)
    try:
        decode_num(padded, require_minimal=True)
    except ScriptNumberError:
        pass
    else:
        raise AssertionError(f"non-minimal 0x{padded.hex()} accepted under MINIMALDATA")


@given(st.binary(max_size=8))
def test_truth_is_being_a_nonzero_number(data: bytes) -> None:
    # Any byte string is true exactly when, read as a (long) script number, it is not zero
    # ("negative zero" 0x..80 is false).
    assert cast_to_bool(data) == (reference_decode(data) != 0)
    assert is_minimal(data) == (data == encode_num(reference_decode(data)))


# --- transactions -----------------------------------------------------------------------


@given(transactions(witness=False))
def test_legacy_transaction_round_trips(tx: Transaction) -> None:
    raw = tx.serialize()
    assert raw == tx.serialize_legacy()
    parsed = Transaction.parse(raw)
    assert parsed == tx
    assert parsed.txid == parsed.wtxid == sha256d(raw)
    assert parsed.weight == 4 * len(raw)


@given(transactions(witness=True))
def test_segwit_transaction_round_trips(tx: Transaction) -> None:
    raw = tx.serialize()
    assert raw[4:6] == b"\x00\x01"  # BIP144 marker and flag
    parsed = Transaction.parse(raw)
    assert parsed == tx
    assert parsed.serialize() == raw
    assert parsed.txid == sha256d(tx.serialize_legacy())
    assert parsed.wtxid == sha256d(raw)
    # Stripping the witnesses keeps the txid.
    stripped = Transaction(
        tx.version,
        [TxIn(i.outpoint, i.script_sig, i.sequence) for i in tx.inputs],
        tx.outputs,
        tx.locktime,
    )
    assert stripped.txid == parsed.txid
    assert parsed.weight == 3 * len(stripped.serialize()) + len(raw)


@given(transactions(), transactions())
def test_transactions_read_one_after_another_from_a_stream(first: Transaction, second) -> None:
    """As inside a block: each read stops exactly where its transaction ends."""
    reader = ByteReader(first.serialize() + second.serialize())
    assert Transaction.read(reader) == first
    assert Transaction.read(reader) == second
    assert reader.at_end()


@given(transactions(), st.data())
def test_truncated_or_extended_transactions_are_decode_errors(tx: Transaction, data) -> None:
    raw = tx.serialize()
    cut = data.draw(st.integers(min_value=0, max_value=len(raw) - 1))
    for bad in (raw[:cut], raw + data.draw(st.binary(min_size=1, max_size=5))):
        try:
            Transaction.parse(bad)
        except DecodeError:
            continue
        raise AssertionError(f"parsed malformed bytes {bad.hex()}")


# --- legacy sighash against an independent implementation --------------------------------


def without_codeseparators(script: bytes) -> bytes:
    """Drop every OP_CODESEPARATOR *opcode* (not 0xab bytes inside pushes); readable
    scripts only (see test_legacy_sighash_matches_a_straightforward_implementation)."""
    out, i = bytearray(), 0
    while i < len(script):
        opcode, start = script[i], i
        i += 1
        if opcode < 0x4C:
            i += opcode
        elif opcode in PUSH_WIDTH:
            width = PUSH_WIDTH[opcode]
            i += width + int.from_bytes(script[i : i + width], "little")
        if opcode != OP_CODESEPARATOR:
            out += script[start:i]
    return bytes(out)


def reference_legacy_sighash(tx: Transaction, index: int, script_code: bytes, hash_type: int):
    if index >= len(tx.inputs):
        return ONE
    base = hash_type & 0x1F
    if base == SIGHASH_SINGLE and index >= len(tx.outputs):
        return ONE
    inputs = [TxIn(i.outpoint, b"", i.sequence) for i in tx.inputs]
    signed = tx.inputs[index]
    inputs[index] = TxIn(signed.outpoint, without_codeseparators(script_code), signed.sequence)
    outputs = list(tx.outputs)
    if base in (SIGHASH_NONE, SIGHASH_SINGLE):
        inputs = [
            tx_in if n == index else TxIn(tx_in.outpoint, b"", 0) for n, tx_in in enumerate(inputs)
        ]
        if base == SIGHASH_NONE:
            outputs = []
        else:
            outputs = [TxOut(-1, b"")] * index + [outputs[index]]
    if hash_type & ANYONECANPAY:
        inputs = [inputs[index]]
    copy = Transaction(tx.version, inputs, outputs, tx.locktime)
    return sha256d(copy.serialize() + hash_type.to_bytes(4, "little"))


@settings(max_examples=200)
@given(transactions(), st.data(), script_ops(), hash_types)
def test_legacy_sighash_matches_a_straightforward_implementation(
    tx: Transaction, data, script_code: bytes, hash_type: int
) -> None:
    # Only readable script codes: for a script code ending in a cut-short push, Core's
    # serializer writes the declared length but stops at the broken push; no consensus
    # outcome depends on it (running such a script always ends in BAD_OPCODE).
    index = data.draw(st.integers(0, len(tx.inputs)), label="index")  # one past the end too
    expected = reference_legacy_sighash(tx, index, script_code, hash_type)
    assert SighashCache(tx).legacy(index, script_code, hash_type) == expected
    if index < len(tx.inputs):
        assert tx.sighash(index, script_code, hash_type) == expected


@given(transactions(max_inputs=3), script_ops())
def test_single_out_of_range_signs_the_number_one(tx: Transaction, script_code: bytes) -> None:
    assume(len(tx.outputs) < len(tx.inputs))
    index = len(tx.inputs) - 1
    for hash_type in (SIGHASH_SINGLE, SIGHASH_SINGLE | ANYONECANPAY):
        assert tx.sighash(index, script_code, hash_type) == ONE


# --- BIP143 against an implementation written from the BIP --------------------------------


def reference_bip143(tx: Transaction, index: int, script_code: bytes, amount: int, hash_type):
    def outpoint(tx_in: TxIn) -> bytes:
        return tx_in.outpoint.txid + tx_in.outpoint.index.to_bytes(4, "little")

    def output(tx_out: TxOut) -> bytes:
        script = tx_out.script_pubkey
        return tx_out.amount.to_bytes(8, "little", signed=True) + compact_size(len(script)) + script

    base, anyone_can_pay = hash_type & 0x1F, bool(hash_type & ANYONECANPAY)
    zero = bytes(32)
    hash_prevouts = zero if anyone_can_pay else sha256d(b"".join(map(outpoint, tx.inputs)))
    hash_sequence = zero
    if not anyone_can_pay and base not in (SIGHASH_SINGLE, SIGHASH_NONE):
        hash_sequence = sha256d(b"".join(i.sequence.to_bytes(4, "little") for i in tx.inputs))
    hash_outputs = zero
    if base not in (SIGHASH_SINGLE, SIGHASH_NONE):
        hash_outputs = sha256d(b"".join(map(output, tx.outputs)))
    elif base == SIGHASH_SINGLE and index < len(tx.outputs):
        hash_outputs = sha256d(output(tx.outputs[index]))
    signed = tx.inputs[index]
    preimage = (
        tx.version.to_bytes(4, "little")
        + hash_prevouts
        + hash_sequence
        + outpoint(signed)
        + compact_size(len(script_code))
        + script_code
        + amount.to_bytes(8, "little", signed=True)
        + signed.sequence.to_bytes(4, "little")
        + hash_outputs
        + tx.locktime.to_bytes(4, "little")
        + hash_type.to_bytes(4, "little")
    )
    return sha256d(preimage)


@settings(max_examples=200)
@given(
    transactions(),
    st.data(),
    st.one_of(script_ops(), st.binary(max_size=60)),  # BIP143 does not parse the script code
    st.integers(0, 21_000_000 * 10**8),
    hash_types,
)
def test_bip143_sighash_matches_an_implementation_from_the_bip(
    tx: Transaction, data, script_code: bytes, amount: int, hash_type: int
) -> None:
    index = data.draw(st.integers(0, len(tx.inputs) - 1), label="index")
    expected = reference_bip143(tx, index, script_code, amount, hash_type)
    assert SighashCache(tx).segwit_v0(index, script_code, amount, hash_type) == expected
    assert tx.sighash(index, script_code, hash_type, amount=amount) == expected


@given(transactions(), st.lists(st.tuples(script_ops(max_ops=4), hash_types), max_size=6))
def test_one_cache_for_many_digests_gives_what_fresh_caches_give(tx: Transaction, calls) -> None:
    """A shared SighashCache (as verify_input uses across inputs) never mixes answers."""
    cache = SighashCache(tx)
    for n, (script_code, hash_type) in enumerate(calls):
        index = n % len(tx.inputs)
        assert cache.legacy(index, script_code, hash_type) == SighashCache(tx).legacy(
            index, script_code, hash_type
        )
        amount = 1000 * n
        assert cache.segwit_v0(index, script_code, amount, hash_type) == SighashCache(tx).segwit_v0(
            index, script_code, amount, hash_type
        )
