"""Hidden checks for the ``tx_serialize`` exercise: Bitcoin's transaction format, both ways.

Contract, with transactions as plain data (``PLAIN_TX`` below; the same form serves
``sighash_sign``)::

    tx     = [version, inputs, outputs, locktime]
    input  = [prev_txid (32 bytes, internal order), prev_index, script_sig, sequence, witness]
    output = [amount, script_pubkey]          witness = [item, ...] (bytes; [] for none)

- ``serialize_tx(version, inputs, outputs, locktime) -> bytes``: the legacy serialization, or
  BIP144's (marker ``00``, flag ``01``, one witness per input before the locktime) when some
  input's witness is not empty;
- ``parse_tx(raw) -> [version, inputs, outputs, locktime]``: ``ValueError`` for truncated data,
  trailing bytes, a CompactSize not in its shortest form, a count the remaining bytes cannot
  hold, an unknown flag, or a marker whose witnesses are all empty;
- ``txid(raw)`` (sha256d without marker, flag and witnesses) and ``wtxid(raw)`` (sha256d of
  the full serialization), internal byte order.

Reference: :class:`edu_chain.tx.Transaction` (``serialize``, ``parse``, ``txid``, ``wtxid``),
whose module docstring is the format's specification.  Known vectors: Bitcoin's genesis
coinbase (txid 4a5e1e4b...), and real transactions from rust-bitcoin's unit tests
(``bitcoin/src/blockdata/transaction.rs``; also in ``tests/fixtures/real_transactions.json``):
a legacy P2PKH spend with an OP_RETURN output, a P2WPKH spend and a P2WSH 2-of-3 spend.
"""

from __future__ import annotations

import hashlib
from typing import Any

from hypothesis import strategies as st

from edu_chain.encoding import ByteReader, encode_varint
from edu_chain.grading.spec import (
    Case,
    CheckGroup,
    ExerciseSpec,
    Mistake,
    Raises,
    expect,
    random_group,
)
from edu_chain.hashing import sha256d
from edu_chain.tx import MAX_MONEY, OutPoint, Transaction, TxIn, TxOut

SERIALIZE, PARSE, TXID, WTXID = "serialize_tx", "parse_tx", "txid", "wtxid"
INVALID = Raises("ValueError")


# --- the plain form ---------------------------------------------------------------------


def to_plain(tx: Transaction) -> list[Any]:
    """A transaction as the plain lists the exercise uses."""
    return [
        tx.version,
        [
            [i.outpoint.txid, i.outpoint.index, i.script_sig, i.sequence, list(i.witness)]
            for i in tx.inputs
        ],
        [[o.amount, o.script_pubkey] for o in tx.outputs],
        tx.locktime,
    ]


def from_plain(version: int, inputs: Any, outputs: Any, locktime: int) -> Transaction:
    return Transaction(
        version,
        [TxIn(OutPoint(t, i), sig, seq, tuple(w)) for t, i, sig, seq, w in inputs],
        [TxOut(amount, script) for amount, script in outputs],
        locktime,
    )


UINT32 = st.integers(0, 2**32 - 1)
SCRIPTS = st.binary(max_size=40)
PLAIN_INPUT = st.tuples(
    st.binary(min_size=32, max_size=32),
    st.one_of(st.integers(0, 3), UINT32),
    SCRIPTS,
    st.one_of(st.just(0xFFFFFFFF), UINT32),
    st.one_of(st.just([]), st.lists(st.binary(max_size=40), max_size=3)),
).map(list)
PLAIN_OUTPUT = st.tuples(st.integers(0, MAX_MONEY), SCRIPTS).map(list)
# At least one input: without inputs, Bitcoin's format cannot tell a transaction from the
# segwit marker (see edu_chain/tx.py).
PLAIN_TX = st.tuples(
    st.one_of(st.sampled_from([1, 2]), UINT32),
    st.lists(PLAIN_INPUT, min_size=1, max_size=4),
    st.lists(PLAIN_OUTPUT, max_size=4),
    st.one_of(st.just(0), UINT32),
).map(list)


def ref_serialize(version: int, inputs: Any, outputs: Any, locktime: int) -> bytes:
    return from_plain(version, inputs, outputs, locktime).serialize()


def ref_parse(raw: bytes) -> list[Any]:
    return to_plain(Transaction.parse(raw))


def ref_txid(raw: bytes) -> bytes:
    return Transaction.parse(raw).txid


def ref_wtxid(raw: bytes) -> bytes:
    return Transaction.parse(raw).wtxid


# --- known vectors ----------------------------------------------------------------------

GENESIS_COINBASE = (
    "01000000010000000000000000000000000000000000000000000000000000000000000000ffffffff"
    "4d04ffff001d0104455468652054696d65732030332f4a616e2f32303039204368616e63656c6c6f72"
    "206f6e206272696e6b206f66207365636f6e64206261696c6f757420666f722062616e6b73ffffffff"
    "0100f2052a01000000434104678afdb0fe5548271967f1a67130b7105cd6a828e03909a67962e0ea1f"
    "61deb649f6bc3f4cef38c4f35504e51ec112de5c384df7ba0b8d578a4c702b6bf11d5fac00000000"
)
# rust-bitcoin test_txid, "non-segwit tx from my mempool": txid 971ed48a...
LEGACY_P2PKH = (
    "01000000010c7196428403d8b0c88fcb3ee8d64f56f55c8973c9ab7dd106bb4f3527f5888d000000006a"
    "4730440220503a696f55f2c00eee2ac5e65b17767cd88ed04866b5637d3c1d5d996a70656d02202c9aff"
    "698f343abb6d176704beda63fcdec503133ea4f6a5216b7f925fa9910c0121024d89b5a13d6521388969"
    "209df27a8469bd565aff10e8d42cef931fad5121bfb8ffffffff02b825b404000000001976a914ef79e7"
    "ee9fff98bcfd08473d2b76b02a48f8c69088ac0000000000000000296a27323630303934383639373137"
    "32333132373633313032313332353630353838373931323132373000000000"
)
# rust-bitcoin txin_txout_weight: "one P2WPKH input" and "one P2WSH 2-of-3 input".
P2WPKH_SPEND = (
    "020000000001018a763b78d3e17acea0625bf9e52b0dc1beb2241b2502185348ba8ff4a253176e010000"
    "0000ffffffff0280d725000000000017a914c07ed639bd46bf7087f2ae1dfde63b815a5f8b488767fda2"
    "0300000000160014869ec8520fa2801c8a01bfdd2e82b19833cd0daf02473044022016243edad96b18c7"
    "8b545325aaff80131689f681079fb107a67018cb7fb7830e02205520dae761d89728f73f1a7182157f6b"
    "5aecf653525855adb7ccb998c8e6143b012103b9489bde92afbcfa85129a82ffa512897105d1a27ad980"
    "6bded27e0532fc84e700000000"
)
P2WSH_SPEND = (
    "01000000000101a3ccad197118a2d4975fadc47b90eacfdeaf8268adfdf10ed3b4c3b7e1ad1453030000"
    "0000ffffffff0200cc5501000000001976a91428ec6f21f4727bff84bb844e9697366feeb69f4d88aca2"
    "a5100d00000000220020701a8d401c84fb13e6baf169d59684e17abd9fa216c8cc5b9fc63d622ff8c58d"
    "04004730440220548f11130353b3a8f943d2f14260345fc7c20bde91704c9f1cbb5456355078cd022038"
    "3ed4ed39b079b618bcb279bbc1f2ca18cb028c4641cb522c9c5868c52a0dc20147304402203c332ecccb"
    "3181ca82c0600520ee51fee80d3b4a6ab110945e59475ec71e44ac0220679a11f3ca9993b04ccebda3c8"
    "34876f353b065bb08f50076b25f5bb93c72ae1016952210375e00eb72e29da82b89367947f29ef34afb7"
    "5e8654f6ea368e0acdfd92976b7c2103a1b26313f430c4b15bb1fdce663207659d8cac749a0e53d70eff"
    "01874496feff2103c96d495bfdd5ba4145e3e046fee45e84a8a48ad05bd8dbb395c011a32cf9f88053ae"
    "00000000"
)
KNOWN = {
    "Bitcoin's genesis coinbase": GENESIS_COINBASE,
    "a legacy P2PKH spend with an OP_RETURN output (rust-bitcoin)": LEGACY_P2PKH,
    "a segwit P2WPKH spend (rust-bitcoin)": P2WPKH_SPEND,
    "a segwit P2WSH 2-of-3 multisig spend (rust-bitcoin)": P2WSH_SPEND,
}
# Display-order ids printed by Bitcoin Core / asserted by rust-bitcoin.
GENESIS_TXID = "4a5e1e4baab89f3a32518a88c31bc87f618f76673e2cc77ab2127b7afdeda33b"
LEGACY_TXID = "971ed48a62c143bbd9c87f4bafa2ef213cfa106c6e140f111931d0be307468dd"


def known() -> list[tuple[str, bytes]]:
    return [(label, bytes.fromhex(raw)) for label, raw in KNOWN.items()]


def _serialize_known() -> list[Case]:
    return [Case(SERIALIZE, tuple(ref_parse(raw)), raw, label) for label, raw in known()]


def _long_fields() -> list[Transaction]:
    """Lengths and counts that need the 3-byte CompactSize form (253 and above)."""
    outpoint = OutPoint(sha256d(b"long"), 0)
    return [
        Transaction(1, [TxIn(outpoint, bytes(range(252)))], [TxOut(1, b"")], 0),
        Transaction(1, [TxIn(outpoint, bytes(253))], [TxOut(2, b"\x51")], 7),
        Transaction(1, [TxIn(outpoint, b"\x30" * 300)], [TxOut(3, b"\x6a" * 300)], 0),
        Transaction(
            2, [TxIn(outpoint, b"", witness=(b"\x30" * 300, b"\x02" * 33))], [TxOut(4, b"")], 0
        ),
        Transaction(2, [TxIn(outpoint)], [TxOut(i, bytes([i % 256])) for i in range(253)], 0),
    ]


def _serialize_varint() -> list[Case]:
    return [
        Case(SERIALIZE, tuple(to_plain(tx)), tx.serialize(), "a length or count >= 253")
        for tx in _long_fields()
    ]


def _parse_known() -> list[Case]:
    cases = [Case(PARSE, (raw,), ref_parse(raw), label) for label, raw in known()]
    cases += [
        Case(PARSE, (tx.serialize(),), to_plain(tx), "a length or count >= 253")
        for tx in _long_fields()
    ]
    return cases


def _parse_invalid() -> list[Case]:
    legacy, segwit = bytes.fromhex(LEGACY_P2PKH), bytes.fromhex(P2WPKH_SPEND)
    # version | n_inputs = 0xfd 0x01 0x00 (1 in 3 bytes: not the shortest form) | ...
    non_canonical = legacy[:4] + b"\xfd\x01\x00" + legacy[5:]
    huge_count = legacy[:4] + b"\xfe\xff\xff\xff\x0f" + legacy[5:]
    unknown_flag = segwit[:5] + b"\x02" + segwit[6:]
    spend = from_plain(*ref_parse(segwit))
    bare = Transaction(spend.version, [TxIn(spend.inputs[0].outpoint)], spend.outputs, 0)
    legacy_bare = bare.serialize()
    # The marker, and then one witness with 0 items: the witness record says nothing.
    superfluous = legacy_bare[:4] + b"\x00\x01" + legacy_bare[4:-4] + b"\x00" + legacy_bare[-4:]
    return [
        Case(PARSE, (b"",), INVALID, "empty: truncated"),
        Case(PARSE, (legacy[:3],), INVALID, "truncated inside the version"),
        Case(PARSE, (legacy[:60],), INVALID, "truncated inside the first input"),
        Case(PARSE, (legacy[:-1],), INVALID, "truncated locktime"),
        Case(PARSE, (segwit[:-40],), INVALID, "truncated inside the witness"),
        Case(PARSE, (legacy + b"\x00",), INVALID, "one trailing byte"),
        Case(PARSE, (segwit + segwit,), INVALID, "two transactions: trailing bytes"),
        Case(PARSE, (non_canonical,), INVALID, "non-canonical CompactSize"),
        Case(PARSE, (huge_count,), INVALID, "a count the data cannot hold"),
        Case(PARSE, (unknown_flag,), INVALID, "segwit flag 02: unknown flag"),
        Case(PARSE, (superfluous,), INVALID, "superfluous witness: marker, every witness empty"),
    ]


def _ids() -> list[Case]:
    genesis, legacy = bytes.fromhex(GENESIS_COINBASE), bytes.fromhex(LEGACY_P2PKH)
    cases = [
        Case(TXID, (genesis,), bytes.fromhex(GENESIS_TXID)[::-1], "genesis coinbase"),
        Case(TXID, (legacy,), bytes.fromhex(LEGACY_TXID)[::-1], "legacy: txid = wtxid"),
        Case(WTXID, (legacy,), bytes.fromhex(LEGACY_TXID)[::-1], "legacy: txid = wtxid"),
    ]
    for label, raw in known()[2:]:
        cases += [expect(TXID, ref_txid, [raw], label), expect(WTXID, ref_wtxid, [raw], label)]
    return cases


RANDOM_SERIALIZE = PLAIN_TX.map(lambda tx: expect(SERIALIZE, ref_serialize, tx))
RANDOM_PARSE = PLAIN_TX.map(lambda tx: expect(PARSE, ref_parse, [ref_serialize(*tx)]))


# --- steps ------------------------------------------------------------------------------


def _read_varint(raw: bytes, offset: int) -> list[int]:
    reader = ByteReader(raw[offset:])
    value = reader.varint()
    return [value, len(raw) - reader.remaining()]


def _serialize_witness(items: list[bytes]) -> bytes:
    return encode_varint(len(items)) + b"".join(encode_varint(len(i)) + i for i in items)


def _encode_varint_cases() -> list[Case]:
    values = (0, 0xFC, 0xFD, 0xFFFF, 0x10000, 0xFFFFFFFF, 0x100000000)
    return [expect("encode_varint", encode_varint, [v]) for v in values]


def _read_varint_cases() -> list[Case]:
    good = [(b"\x05", 0), (b"\x00\xfd\xfd\x00", 1), (b"\xfe\x00\x00\x01\x00", 0)]
    bad = [(b"\xfd\x05\x00", 0), (b"\xfd\x05", 0), (b"", 0)]
    return [expect("read_varint", _read_varint, list(args)) for args in good + bad]


def _serialize_witness_cases() -> list[Case]:
    witnesses = ([], [b""], [b"\x30" * 3, b"\x02" * 2], [bytes(253)])
    return [expect("serialize_witness", _serialize_witness, [w]) for w in witnesses]


# --- mistakes -------------------------------------------------------------------------------


def _serialize_with(
    version: int,
    inputs: Any,
    outputs: Any,
    locktime: int,
    *,
    order: str = "little",
    reverse_txid: bool = False,
    lengths: bool = True,
    varint: Any = encode_varint,
    marker: str = "when-witness",  # "when-witness", "never", "always"
    witness_counts: bool = True,
) -> bytes:
    def uint(value: int, size: int) -> bytes:
        return value.to_bytes(size, order)

    def var(data: bytes) -> bytes:
        return (varint(len(data)) if lengths else b"") + data

    out = uint(version, 4)
    has_witness = any(tx_input[4] for tx_input in inputs)
    if marker == "always" or (marker == "when-witness" and has_witness):
        out += b"\x00\x01"
    out += varint(len(inputs))
    for txid, index, script_sig, sequence, _ in inputs:
        out += (txid[::-1] if reverse_txid else txid) + uint(index, 4)
        out += var(script_sig) + uint(sequence, 4)
    out += varint(len(outputs))
    for amount, script_pubkey in outputs:
        out += uint(amount, 8) + var(script_pubkey)
    if has_witness or marker == "always":
        for *_, witness in inputs:
            out += (varint(len(witness)) if witness_counts else b"") + b"".join(map(var, witness))
    return out + uint(locktime, 4)


def _swap(value: int, size: int) -> int:
    return int.from_bytes(value.to_bytes(size, "little"), "big")


def _parse_big_endian(raw: bytes) -> list[Any]:
    """What a parser reading every fixed-size integer big-endian returns."""
    version, inputs, outputs, locktime = ref_parse(raw)
    return [
        _swap(version, 4),
        [[t, _swap(i, 4), sig, _swap(seq, 4), w] for t, i, sig, seq, w in inputs],
        [[_swap(amount, 8), script] for amount, script in outputs],
        _swap(locktime, 4),
    ]


def _one_byte_varint(value: int) -> bytes:
    return bytes([value % 256])


def _is_value(actual: Any) -> bool:
    return isinstance(actual, list)


MISTAKES = (
    Mistake(
        "big-endian-integers",
        "Every integer field (version, prev_index, sequence, amount, locktime) is LITTLE-endian: "
        "value.to_bytes(size, 'little').",
        variant=lambda *tx: _serialize_with(*tx, order="big"),
        functions=(SERIALIZE,),
    ),
    Mistake(
        "big-endian-integers",
        "Every integer field (version, prev_index, sequence, amount, locktime) is LITTLE-endian: "
        "int.from_bytes(field, 'little').",
        variant=_parse_big_endian,
        functions=(PARSE,),
    ),
    Mistake(
        "prev-txid-reversed",
        "prev_txid is already in internal byte order: write its 32 bytes as they are (only the "
        "displayed hex is reversed).",
        variant=lambda *tx: _serialize_with(*tx, reverse_txid=True),
        functions=(SERIALIZE,),
    ),
    Mistake(
        "script-length-missing",
        "script_sig, script_pubkey and every witness item are variable-length: write "
        "CompactSize(len(field)) before each one, or a parser cannot know where they end.",
        variant=lambda *tx: _serialize_with(*tx, lengths=False),
        functions=(SERIALIZE,),
    ),
    Mistake(
        "varint-one-byte",
        "A CompactSize below 253 is one byte; 253 to 0xffff is 0xfd + 2 little-endian bytes; "
        "then 0xfe + 4 bytes, 0xff + 8 bytes.",
        variant=lambda *tx: _serialize_with(*tx, varint=_one_byte_varint),
        functions=(SERIALIZE,),
    ),
    Mistake(
        "segwit-marker-missing",
        "With witnesses, write the marker 00 and the flag 01 right after the version (BIP144): "
        "an old parser reads 00 as 'no inputs' and stops, a new one knows witnesses follow.",
        variant=lambda *tx: _serialize_with(*tx, marker="never"),
        functions=(SERIALIZE,),
    ),
    Mistake(
        "segwit-marker-always",
        "Write the marker 00 01 and the witnesses ONLY when some input has a witness: a "
        "transaction without witnesses keeps the legacy serialization.",
        variant=lambda *tx: _serialize_with(*tx, marker="always"),
        functions=(SERIALIZE,),
    ),
    Mistake(
        "witness-count-missing",
        "Each input's witness starts with its number of items as a CompactSize (0 for an input "
        "without witness), then each item with its length.",
        variant=lambda *tx: _serialize_with(*tx, witness_counts=False),
        functions=(SERIALIZE,),
    ),
    Mistake(
        "txid-includes-witness",
        "The txid hashes the serialization WITHOUT marker, flag and witnesses (that is what "
        "fixed malleability); only the wtxid hashes the full bytes.",
        variant=lambda raw: sha256d(raw),
        functions=(TXID,),
    ),
    Mistake(
        "wtxid-without-witness",
        "The wtxid hashes the FULL serialization, marker, flag and witnesses included.",
        variant=ref_txid,
        functions=(WTXID,),
    ),
    Mistake(
        "txid-reversed",
        "Return ids in internal byte order, as sha256d returns them; explorers show them "
        "reversed, but you should not.",
        variant=lambda raw: ref_txid(raw)[::-1],
        functions=(TXID,),
    ),
    Mistake(
        "txid-reversed",
        "Return ids in internal byte order, as sha256d returns them; explorers show them "
        "reversed, but you should not.",
        variant=lambda raw: ref_wtxid(raw)[::-1],
        functions=(WTXID,),
    ),
    Mistake(
        "txid-single-sha256",
        "A txid is sha256d: SHA-256 applied twice.",
        variant=lambda raw: hashlib.sha256(Transaction.parse(raw).serialize_legacy()).digest(),
        functions=(TXID,),
    ),
    Mistake(
        "trailing-bytes-accepted",
        "After the locktime the data must end: raise ValueError if bytes are left over (one "
        "transaction, exactly).",
        matches=lambda case, actual: "trailing" in case.label and _is_value(actual),
    ),
    Mistake(
        "truncation-not-detected",
        "Slicing past the end of bytes silently returns fewer bytes: check that enough bytes "
        "remain before every read and raise ValueError when they do not.",
        matches=lambda case, actual: "truncated" in case.label and _is_value(actual),
    ),
    Mistake(
        "non-canonical-varint-accepted",
        "A CompactSize must use its shortest form: 0xfd followed by a value below 253 is "
        "invalid (otherwise one transaction would have several serializations and txids).",
        matches=lambda case, actual: "non-canonical" in case.label and _is_value(actual),
    ),
    Mistake(
        "superfluous-witness-accepted",
        "After the marker, at least one witness must hold an item, and the flag must be 01: "
        "raise ValueError otherwise (Core: superfluous witness record, unknown optional data).",
        matches=lambda case, actual: (
            ("superfluous" in case.label or "unknown flag" in case.label) and _is_value(actual)
        ),
    ),
)

SPEC = ExerciseSpec(
    exercise_id="tx_serialize",
    version=3,
    groups=(
        CheckGroup(
            "serialize-known",
            "Real transactions: the genesis coinbase, legacy and segwit spends",
            _serialize_known,
            public=True,
        ),
        CheckGroup("serialize-varint", "Lengths and counts of 253 and more", _serialize_varint),
        random_group(
            "serialize-random",
            "Random transactions, with and without witnesses",
            RANDOM_SERIALIZE,
            count=25,
            seed_value=8_101,
        ),
        CheckGroup("parse-known", "The same transactions parsed", _parse_known, public=True),
        random_group(
            "parse-random",
            "Random transactions parsed",
            RANDOM_PARSE,
            count=25,
            seed_value=8_102,
        ),
        CheckGroup("parse-invalid", "Truncated, trailing, non-canonical data", _parse_invalid),
        CheckGroup("ids", "txid and wtxid of the known transactions", _ids, public=True),
    ),
    mistakes=MISTAKES,
    steps={
        "encode_varint": _encode_varint_cases,
        "read_varint": _read_varint_cases,
        "serialize_witness": _serialize_witness_cases,
    },
    builds_on={TXID: (PARSE, SERIALIZE), WTXID: (PARSE, SERIALIZE)},
)
