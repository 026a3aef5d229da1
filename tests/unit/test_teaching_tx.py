"""Transactions: the documented byte layout, ids, sighash, signing and input checks."""

import hashlib
from dataclasses import replace

import pytest

from edu_chain.block import Block, BlockHeader
from edu_chain.encoding import ByteReader
from edu_chain.errors import DecodeError, TxValidationError
from edu_chain.hashing import display_hex, hash160, sha256d
from edu_chain.keys import N, PrivateKey, Signature
from edu_chain.teaching_tx import (
    COIN,
    COINBASE_INDEX,
    MAX_MONEY,
    OutPoint,
    Transaction,
    TxIn,
    TxOut,
)

ALICE = PrivateKey(0xA11CE)
BOB = PrivateKey(0xB0B)


def funding() -> Transaction:
    return Transaction.coinbase(1, ALICE.public_key.pubkey_hash(), 50 * COIN)


def payment(spent: Transaction | None = None) -> Transaction:
    spent = spent or funding()
    unsigned = Transaction(
        version=1,
        inputs=(TxIn(OutPoint(spent.txid(), 0)),),
        outputs=(
            TxOut(10 * COIN, BOB.public_key.pubkey_hash()),
            TxOut(39 * COIN, ALICE.public_key.pubkey_hash()),
        ),
    )
    return unsigned.sign_input(0, ALICE, spent.outputs[0])


def test_constants():
    assert COIN == 100_000_000
    assert MAX_MONEY == 21_000_000 * COIN
    assert COINBASE_INDEX == 0xFFFFFFFF


def test_serialization_follows_the_documented_layout_byte_by_byte():
    tx = Transaction(
        version=2,
        inputs=(TxIn(OutPoint(bytes(range(32)), 7), b"\xaa\xbb", b"\xcc", 0x01020304),),
        outputs=(TxOut(0x0102030405060708, bytes([0x11] * 20)),),
        locktime=0x0A0B0C0D,
    )
    expected = (
        bytes.fromhex("02000000")  # version uint32 LE
        + b"\x01"  # n_inputs
        + bytes(range(32))  # prev_txid (internal order)
        + bytes.fromhex("07000000")  # prev_index
        + b"\x02\xaa\xbb"  # signature with its length
        + b"\x01\xcc"  # pubkey with its length
        + bytes.fromhex("04030201")  # sequence
        + b"\x01"  # n_outputs
        + bytes.fromhex("0807060504030201")  # amount uint64 LE
        + bytes([0x11] * 20)  # pubkey_hash
        + bytes.fromhex("0d0c0b0a")  # locktime
    )
    assert tx.serialize() == expected
    assert Transaction.parse(expected) == tx
    assert tx.txid() == hashlib.sha256(hashlib.sha256(expected).digest()).digest()
    assert tx.id == tx.txid()[::-1].hex()
    assert tx.size() == len(expected)


def test_module_docstring_worked_example_is_exact():
    """The annotated coinbase in tx.py's docstring is what students check their parser with."""
    import edu_chain.teaching_tx

    raw = bytes.fromhex(
        "01000000" "01" + "00" * 32 + "ffffffff" "0401000000" "00" "ffffffff"
        "01" "00f2052a01000000" "000102030405060708090a0b0c0d0e0f10111213" "00000000"
    )  # fmt: skip
    tx = Transaction.coinbase(1, bytes(range(20)), 50 * COIN)
    assert tx.serialize() == raw and Transaction.parse(raw) == tx and len(raw) == 84
    displayed = hashlib.sha256(hashlib.sha256(raw).digest()).digest()[::-1].hex()
    assert tx.id == displayed
    assert f"txid (displayed) {displayed}" in edu_chain.teaching_tx.__doc__


def test_coinbase():
    cb = Transaction.coinbase(513, bytes(20), 50 * COIN, extra=b"hello")
    assert cb.is_coinbase()
    assert cb.inputs[0].outpoint.is_null()
    assert cb.inputs[0].signature == (513).to_bytes(4, "little") + b"hello"
    assert cb.inputs[0].pubkey == b""
    assert cb.outputs == (TxOut(50 * COIN, bytes(20)),)
    assert (
        Transaction.coinbase(1, bytes(20), 1).txid() != Transaction.coinbase(2, bytes(20), 1).txid()
    )
    with pytest.raises(TxValidationError, match="at most 100 bytes") as excinfo:
        Transaction.coinbase(1, bytes(20), 1, extra=bytes(97))
    assert excinfo.value.code == "bad-cb-length"  # the code block validation uses too
    assert not payment().is_coinbase()


def test_sign_and_verify_input():
    spent = funding()
    tx = payment(spent)
    assert tx.verify_input(0, spent.outputs[0])
    tx.input_check(0, spent.outputs[0])  # does not raise
    tx_input = tx.inputs[0]
    assert tx_input.pubkey == ALICE.public_key.sec()
    assert hash160(tx_input.pubkey) == spent.outputs[0].pubkey_hash
    assert Signature.from_der(tx_input.signature).is_low_s()
    # Deterministic signing: signing again gives the same bytes, hence the same txid.
    assert payment(spent) == tx


def test_sighash_commits_to_everything_but_the_signatures():
    spent = funding()
    tx = payment(spent)
    output = spent.outputs[0]
    base = tx.sighash(0, output)
    stripped = replace(tx, inputs=(replace(tx.inputs[0], signature=b"", pubkey=b""),))
    assert base == sha256d(stripped.serialize() + (0).to_bytes(4, "little") + output.serialize())
    assert stripped.sighash(0, output) == base  # signatures are not signed
    changes = [
        replace(tx, version=2),
        replace(tx, locktime=1),
        replace(tx, outputs=tx.outputs[:1]),
        replace(tx, outputs=(replace(tx.outputs[0], amount=11 * COIN), tx.outputs[1])),
        replace(tx, inputs=(replace(tx.inputs[0], sequence=0),)),
    ]
    for changed in changes:
        assert changed.sighash(0, output) != base
        assert not changed.verify_input(0, output)
    assert tx.sighash(0, replace(output, amount=output.amount + 1)) != base


def test_input_check_reason_codes():
    spent = funding()
    output = spent.outputs[0]
    tx = payment(spent)
    signature = Signature.from_der(tx.inputs[0].signature)

    def with_input(**fields):
        return replace(tx, inputs=(replace(tx.inputs[0], **fields),))

    cases = {
        "bad-txns-pubkey-mismatch": with_input(pubkey=BOB.public_key.sec()),
        "bad-signature-encoding": with_input(signature=tx.inputs[0].signature + b"\x00"),
        "bad-signature-high-s": with_input(signature=Signature(signature.r, N - signature.s).der()),
        "bad-signature": with_input(signature=Signature(signature.r, signature.s - 1).der()),
    }
    for code, bad in cases.items():
        with pytest.raises(TxValidationError) as excinfo:
            bad.input_check(0, output)
        assert excinfo.value.code == code
        assert not bad.verify_input(0, output)
    for pubkey in (b"", b"\x02" + bytes(32), ALICE.public_key.sec(compressed=False)):
        with pytest.raises(TxValidationError) as excinfo:
            with_input(pubkey=pubkey).input_check(0, output)
        assert excinfo.value.code == "bad-signature-encoding"
    # Signing with the wrong key for the output is refused up front.
    with pytest.raises(TxValidationError, match="cannot spend") as excinfo:
        tx.sign_input(0, BOB, output)
    assert excinfo.value.code == "bad-txns-pubkey-mismatch"


def test_signature_for_one_input_does_not_fit_another():
    coin_a, coin_b = funding(), Transaction.coinbase(2, ALICE.public_key.pubkey_hash(), 50 * COIN)
    tx = Transaction(
        1,
        (TxIn(OutPoint(coin_a.txid(), 0)), TxIn(OutPoint(coin_b.txid(), 0))),
        (TxOut(99 * COIN, BOB.public_key.pubkey_hash()),),
    )
    tx = tx.sign_input(0, ALICE, coin_a.outputs[0]).sign_input(1, ALICE, coin_b.outputs[0])
    assert tx.verify_input(0, coin_a.outputs[0]) and tx.verify_input(1, coin_b.outputs[0])
    swapped = replace(
        tx, inputs=(replace(tx.inputs[0], signature=tx.inputs[1].signature), tx.inputs[1])
    )
    assert not swapped.verify_input(0, coin_a.outputs[0])


def test_bad_input_index():
    tx = payment()
    with pytest.raises(IndexError):
        tx.sighash(1, tx.outputs[0])
    with pytest.raises(IndexError):
        tx.verify_input(-1, tx.outputs[0])


def test_read_from_a_stream_and_inside_a_block():
    tx1, tx2 = funding(), payment()
    reader = ByteReader(tx1.serialize() + tx2.serialize())
    assert Transaction.read(reader) == tx1
    assert Transaction.read(reader) == tx2
    assert reader.at_end()
    header = BlockHeader(1, bytes(32), bytes(32), 1_700_000_000, 0x207FFFFF, 0)
    block = Block.build(header, [tx1, tx2])
    parsed = Block.parse(block.serialize(), Transaction.read)
    assert parsed.transactions == (tx1, tx2)
    assert parsed.compute_merkle_root() == block.header.merkle_root


def test_hex_and_dict():
    tx = payment()
    assert Transaction.from_hex(tx.hex()) == tx
    data = tx.to_dict()
    assert data["txid"] == tx.id
    assert data["inputs"][0]["prev_txid"] == display_hex(tx.inputs[0].outpoint.txid)
    assert data["outputs"][0] == {
        "amount": 10 * COIN,
        "pubkey_hash": BOB.public_key.pubkey_hash().hex(),
        "address": BOB.public_key.address(),
    }
    assert str(tx.inputs[0].outpoint).endswith(":0")


# --- malformed bytes ----------------------------------------------------------------------


def test_truncated_transactions_are_decode_errors():
    raw = payment().serialize()
    for cut in range(len(raw)):
        with pytest.raises(DecodeError) as excinfo:
            Transaction.parse(raw[:cut])
        assert excinfo.value.code in {"decode-truncated", "decode-too-large"}


def test_trailing_bytes_are_a_decode_error():
    with pytest.raises(DecodeError) as excinfo:
        Transaction.parse(payment().serialize() + b"\x00")
    assert excinfo.value.code == "decode-trailing-bytes"


@pytest.mark.parametrize(
    "raw",
    [
        # 2**64 - 1 inputs claimed by a 14-byte message
        bytes.fromhex("01000000") + b"\xff" + b"\xff" * 8 + b"\x00",
        # one input whose signature claims 2**32 - 1 bytes
        bytes.fromhex("01000000") + b"\x01" + bytes(36) + b"\xfe\xff\xff\xff\xff" + bytes(10),
        # a million outputs
        bytes.fromhex("01000000") + b"\x00" + b"\xfe\x40\x42\x0f\x00" + bytes(40),
    ],
)
def test_huge_lengths_are_refused_without_allocating(raw):
    with pytest.raises(DecodeError) as excinfo:
        Transaction.parse(raw)
    assert excinfo.value.code in {"decode-too-large", "decode-truncated"}


def test_non_canonical_varint_is_refused():
    raw = bytearray(funding().serialize())
    raw[4:5] = b"\xfd\x01\x00"  # input count 1 written in 3 bytes
    with pytest.raises(DecodeError) as excinfo:
        Transaction.parse(bytes(raw))
    assert excinfo.value.code == "decode-non-canonical"


def test_bad_hex():
    with pytest.raises(DecodeError):
        Transaction.from_hex("zz")


def test_field_validation():
    with pytest.raises(ValueError):
        OutPoint(bytes(31), 0)
    with pytest.raises(ValueError):
        OutPoint(bytes(32), 2**32)
    with pytest.raises(ValueError):
        TxOut(-1, bytes(20))
    with pytest.raises(ValueError):
        TxOut(2**64, bytes(20))
    with pytest.raises(ValueError):
        TxOut(1, bytes(19))
    with pytest.raises(TypeError):
        TxIn(OutPoint(bytes(32), 0), signature="00")
    with pytest.raises(TypeError):
        Transaction(1, ("not an input",), ())
    tx = Transaction(1, [TxIn(OutPoint(bytes(32), 0))], [])
    assert isinstance(tx.inputs, tuple) and hash(tx)
