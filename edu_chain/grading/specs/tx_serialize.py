"""Hidden checks for the ``tx_serialize`` exercise: edu_chain's transaction format, both ways.

Contract: ``serialize_tx(version, inputs, outputs, locktime) -> bytes``,
``parse_tx(raw) -> (version, inputs, outputs, locktime)`` (``ValueError`` for truncated data,
trailing bytes, a CompactSize not in its shortest form or a count the remaining bytes cannot
hold) and ``txid(raw) -> bytes`` (sha256d, internal byte order), with transactions in the plain
form of :mod:`edu_chain.grading.specs._tx_plain`.

Reference: :class:`edu_chain.teaching_tx.Transaction` (``serialize``, ``parse``, ``txid``),
whose module docstring is the format's specification.  Known vectors: the edu-regtest
genesis coinbase, whose txid is the genesis block's Merkle root (one transaction: the root
is its txid), and a transaction signed with a fixed key.
"""

from __future__ import annotations

import hashlib
from typing import Any

from edu_chain.chain.params import ChainParams
from edu_chain.encoding import encode_varint
from edu_chain.grading.spec import (
    Case,
    CheckGroup,
    ExerciseSpec,
    Mistake,
    Raises,
    expect,
    random_group,
)
from edu_chain.grading.specs._tx_plain import PLAIN_TX, from_plain, to_plain
from edu_chain.hashing import hash160, sha256d
from edu_chain.keys import PrivateKey
from edu_chain.teaching_tx import COIN, OutPoint, Transaction, TxIn, TxOut

SERIALIZE, PARSE, TXID = "serialize_tx", "parse_tx", "txid"
INVALID = Raises("ValueError")


def ref_serialize(version: int, inputs: Any, outputs: Any, locktime: int) -> bytes:
    return from_plain(version, inputs, outputs, locktime).serialize()


def ref_parse(raw: bytes) -> list[Any]:
    return to_plain(Transaction.parse(raw))


def ref_txid(raw: bytes) -> bytes:
    return Transaction.parse(raw).txid()


def genesis_coinbase() -> Transaction:
    return ChainParams.edu_regtest().genesis_coinbase()


def signed_example() -> Transaction:
    """Alice (key 0xA11CE) pays 1.5 coins to Bob (key 0xB0B) with change, signed."""
    alice, bob = PrivateKey(0xA11CE), PrivateKey(0xB0B)
    spent = TxOut(5 * COIN, alice.public_key.pubkey_hash())
    unsigned = Transaction(
        1,
        [TxIn(OutPoint(sha256d(b"an earlier transaction"), 1))],
        [
            TxOut(150_000_000, bob.public_key.pubkey_hash()),
            TxOut(349_990_000, alice.public_key.pubkey_hash()),
        ],
        0,
    )
    return unsigned.sign_input(0, alice, spent)


def _serialize_known() -> list[Case]:
    genesis, signed = genesis_coinbase(), signed_example()
    return [
        Case(
            SERIALIZE, tuple(to_plain(genesis)), genesis.serialize(), "edu-regtest genesis coinbase"
        ),
        Case(SERIALIZE, tuple(to_plain(signed)), signed.serialize(), "a signed payment"),
        expect(SERIALIZE, ref_serialize, [2, [], [], 0], "no inputs, no outputs"),
    ]


def _long_fields() -> list[Transaction]:
    """Lengths and counts that need the 3-byte CompactSize form (253 and above)."""
    outpoint = OutPoint(sha256d(b"long"), 0)
    return [
        Transaction(1, [TxIn(outpoint, bytes(range(252)), b"\x02" * 33)], [], 0),
        Transaction(1, [TxIn(outpoint, bytes(253), b"")], [], 7),
        Transaction(1, [TxIn(outpoint, b"\x30" * 300, b"\x03" * 300)], [], 0),
        Transaction(1, [], [TxOut(i, hash160(bytes([i % 256]))) for i in range(253)], 0),
    ]


def _serialize_varint() -> list[Case]:
    return [
        Case(SERIALIZE, tuple(to_plain(tx)), tx.serialize(), "a length or count >= 253")
        for tx in _long_fields()
    ]


def _parse_known() -> list[Case]:
    genesis, signed = genesis_coinbase(), signed_example()
    cases = [
        Case(PARSE, (genesis.serialize(),), to_plain(genesis), "edu-regtest genesis coinbase"),
        Case(PARSE, (signed.serialize(),), to_plain(signed), "a signed payment"),
    ]
    cases += [
        Case(PARSE, (tx.serialize(),), to_plain(tx), "a length or count >= 253")
        for tx in _long_fields()
    ]
    return cases


def _parse_invalid() -> list[Case]:
    raw = signed_example().serialize()
    # version | n_inputs = 0xfd 0x01 0x00 (1 in 3 bytes: not the shortest form) | ...
    non_canonical = raw[:4] + b"\xfd\x01\x00" + raw[5:]
    huge_count = raw[:4] + b"\xfe\xff\xff\xff\x0f" + raw[5:]
    return [
        Case(PARSE, (b"",), INVALID, "empty: truncated"),
        Case(PARSE, (raw[:3],), INVALID, "truncated inside the version"),
        Case(PARSE, (raw[:60],), INVALID, "truncated inside the first input"),
        Case(PARSE, (raw[:-1],), INVALID, "truncated locktime"),
        Case(PARSE, (raw + b"\x00",), INVALID, "one trailing byte"),
        Case(PARSE, (raw + raw,), INVALID, "two transactions: trailing bytes"),
        Case(PARSE, (non_canonical,), INVALID, "non-canonical CompactSize"),
        Case(PARSE, (huge_count,), INVALID, "a count the data cannot hold"),
    ]


def _txid() -> list[Case]:
    genesis, signed = genesis_coinbase(), signed_example()
    root = ChainParams.edu_regtest().genesis_block().header.merkle_root
    cases = [
        Case(TXID, (genesis.serialize(),), root, "genesis coinbase: the genesis Merkle root"),
        Case(TXID, (signed.serialize(),), signed.txid(), "a signed payment"),
    ]
    cases += [expect(TXID, ref_txid, [tx.serialize()]) for tx in _long_fields()[:2]]
    return cases


RANDOM_SERIALIZE = PLAIN_TX.map(lambda tx: expect(SERIALIZE, ref_serialize, tx))
RANDOM_PARSE = PLAIN_TX.map(lambda tx: expect(PARSE, ref_parse, [ref_serialize(*tx)]))


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
) -> bytes:
    def uint(value: int, size: int) -> bytes:
        return value.to_bytes(size, order)

    def var(data: bytes) -> bytes:
        return (varint(len(data)) if lengths else b"") + data

    out = uint(version, 4) + varint(len(inputs))
    for txid, index, signature, pubkey, sequence in inputs:
        out += (txid[::-1] if reverse_txid else txid) + uint(index, 4)
        out += var(signature) + var(pubkey) + uint(sequence, 4)
    out += varint(len(outputs))
    for amount, pubkey_hash in outputs:
        out += uint(amount, 8) + pubkey_hash
    return out + uint(locktime, 4)


def _swap(value: int, size: int) -> int:
    return int.from_bytes(value.to_bytes(size, "little"), "big")


def _parse_big_endian(raw: bytes) -> list[Any]:
    """What a parser reading every fixed-size integer big-endian returns."""
    version, inputs, outputs, locktime = ref_parse(raw)
    return [
        _swap(version, 4),
        [[t, _swap(i, 4), sig, pub, _swap(seq, 4)] for t, i, sig, pub, seq in inputs],
        [[_swap(amount, 8), pkh] for amount, pkh in outputs],
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
        "length-prefix-missing",
        "signature and pubkey are variable-length: write CompactSize(len(field)) before each one, "
        "or a parser cannot know where they end.",
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
        "txid-reversed",
        "Return the txid in internal byte order, as sha256d returns it; explorers show it "
        "reversed, but you should not.",
        variant=lambda raw: ref_txid(raw)[::-1],
        functions=(TXID,),
    ),
    Mistake(
        "txid-single-sha256",
        "A txid is sha256d: SHA-256 applied twice.",
        variant=lambda raw: hashlib.sha256(raw).digest(),
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
)

SPEC = ExerciseSpec(
    exercise_id="tx_serialize",
    version=2,
    groups=(
        CheckGroup(
            "serialize-known",
            "Genesis coinbase, a signed payment",
            _serialize_known,
            public=True,
        ),
        CheckGroup("serialize-varint", "Lengths and counts of 253 and more", _serialize_varint),
        random_group(
            "serialize-random",
            "Random transactions",
            RANDOM_SERIALIZE,
            count=25,
            seed_value=8_001,
        ),
        CheckGroup("parse-known", "The same transactions parsed", _parse_known, public=True),
        random_group(
            "parse-random",
            "Random transactions parsed",
            RANDOM_PARSE,
            count=25,
            seed_value=8_002,
        ),
        CheckGroup("parse-invalid", "Truncated, trailing, non-canonical data", _parse_invalid),
        CheckGroup("txid", "sha256d of the serialization, internal order", _txid, public=True),
    ),
    mistakes=MISTAKES,
)
