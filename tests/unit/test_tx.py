"""edu_chain.tx on hand-built transactions: the documented byte layout, signing, malformed bytes.

Oracles: the layout written out field by field from the module docstring (and BIP144 for the
segwit marker, flag and witnesses), hashlib for the ids, and script verification for the
signatures ``sign_input`` makes.  Published transactions are in test_real_transactions.py,
Core's vectors in test_script_vectors.py, round-trip properties in test_script_props.py.
"""

import hashlib

import pytest

from edu_chain.block import Block, BlockHeader, parse_block
from edu_chain.chain.coinbase import coinbase_transaction
from edu_chain.errors import DecodeError
from edu_chain.hashing import display_hex, hash160
from edu_chain.keys import PrivateKey
from edu_chain.script import CONSENSUS_FLAGS, ScriptError, verify_input
from edu_chain.script.standard import p2pkh, p2wpkh
from edu_chain.tx import COIN, COINBASE_INDEX, MAX_MONEY, OutPoint, Transaction, TxIn, TxOut

ALICE = PrivateKey(0xA11CE)
BOB = PrivateKey(0xB0B)
ALICE_HASH = hash160(ALICE.public_key.sec())


def sha256d(data: bytes) -> bytes:
    return hashlib.sha256(hashlib.sha256(data).digest()).digest()


def test_constants():
    assert COIN == 100_000_000
    assert MAX_MONEY == 21_000_000 * COIN
    assert COINBASE_INDEX == 0xFFFFFFFF


def test_serialization_follows_the_documented_layout_byte_by_byte():
    tx_input = TxIn(OutPoint(bytes(range(32)), 7), b"\xaa\xbb", 0x01020304)
    tx = Transaction(2, [tx_input], [TxOut(0x0102030405060708, b"\x51")], 0x0A0B0C0D)
    legacy = (
        bytes.fromhex("02000000")  # version uint32 LE
        + b"\x01"  # n_inputs
        + bytes(range(32))  # prev_txid (internal order)
        + bytes.fromhex("07000000")  # prev_index
        + b"\x02\xaa\xbb"  # script_sig with its length
        + bytes.fromhex("04030201")  # sequence
        + b"\x01"  # n_outputs
        + bytes.fromhex("0807060504030201")  # amount int64 LE
        + b"\x01\x51"  # script_pubkey with its length
        + bytes.fromhex("0d0c0b0a")  # locktime
    )
    assert tx.serialize() == legacy and Transaction.parse(legacy) == tx
    assert tx.txid == tx.wtxid == sha256d(legacy)
    assert tx.id == display_hex(tx.txid) == sha256d(legacy)[::-1].hex()
    assert tx.size == len(legacy) and tx.weight == 4 * len(legacy)

    segwit = tx.with_input(0, witness=(b"\x01\x02", b""))
    full = (
        legacy[:4] + b"\x00\x01" + legacy[4:-4] + b"\x02" + b"\x02\x01\x02" + b"\x00" + legacy[-4:]
    )
    assert segwit.serialize() == full and Transaction.parse(full) == segwit
    assert segwit.txid == tx.txid and segwit.wtxid == sha256d(full)
    assert segwit.weight == 3 * len(legacy) + len(full)
    assert segwit.vsize == -(-segwit.weight // 4)


def _spend(funding: Transaction, key: PrivateKey = ALICE) -> Transaction:
    spent = funding.outputs[0]
    unsigned = Transaction(
        2, [TxIn(OutPoint(funding.txid, 0))], [TxOut(49 * COIN, p2wpkh(bytes(20)))]
    )
    return unsigned.sign_input(0, key, spent.script_pubkey, spent.amount)


@pytest.mark.parametrize("lock", [p2wpkh, p2pkh], ids=["P2WPKH", "P2PKH"])
def test_sign_input_makes_a_spend_that_verifies_and_is_deterministic(lock):
    funding = coinbase_transaction(1, lock(ALICE_HASH), 50 * COIN)
    spent = funding.outputs[0]
    tx = _spend(funding)
    verify_input(tx, 0, spent.script_pubkey, spent.amount, CONSENSUS_FLAGS)
    assert _spend(funding) == tx  # RFC 6979: same bytes, same txid
    assert tx.has_witness == (lock is p2wpkh)
    with pytest.raises(ScriptError):  # the amount is signed (segwit) / the outputs are
        changed = Transaction(tx.version, tx.inputs, [TxOut(48 * COIN, p2wpkh(bytes(20)))])
        verify_input(changed, 0, spent.script_pubkey, spent.amount, CONSENSUS_FLAGS)
    with pytest.raises(ValueError, match="cannot sign"):
        _spend(funding, BOB)
    with pytest.raises(IndexError):
        verify_input(tx, 1, spent.script_pubkey, spent.amount, CONSENSUS_FLAGS)


def test_a_signature_for_one_input_does_not_fit_another():
    coins = [coinbase_transaction(h, p2pkh(ALICE_HASH), 50 * COIN) for h in (1, 2)]
    tx = Transaction(
        2, [TxIn(OutPoint(c.txid, 0)) for c in coins], [TxOut(99 * COIN, p2wpkh(bytes(20)))]
    )
    for n, coin in enumerate(coins):
        tx = tx.sign_input(n, ALICE, coin.outputs[0].script_pubkey, coin.outputs[0].amount)
        verify_input(tx, n, coin.outputs[0].script_pubkey, coin.outputs[0].amount, CONSENSUS_FLAGS)
    swapped = tx.with_input(0, script_sig=tx.inputs[1].script_sig)
    with pytest.raises(ScriptError):
        verify_input(swapped, 0, coins[0].outputs[0].script_pubkey, 50 * COIN, CONSENSUS_FLAGS)


def test_transactions_inside_a_block():
    funding = coinbase_transaction(1, p2wpkh(ALICE_HASH), 50 * COIN)
    spend = _spend(funding)
    coinbase = coinbase_transaction(2, p2wpkh(ALICE_HASH), 50 * COIN, transactions=[spend])
    header = BlockHeader(0x20000000, bytes(32), bytes(32), 1_700_000_000, 0x207FFFFF, 0)
    block = Block.build(header, [coinbase, spend])
    parsed = parse_block(block.serialize())
    assert parsed.transactions == (coinbase, spend)
    assert parsed.compute_merkle_root() == block.header.merkle_root
    assert block.txids() == [coinbase.txid, spend.txid]  # txids, not wtxids


# --- malformed bytes ----------------------------------------------------------------------


def test_truncated_transactions_are_decode_errors():
    raw = _spend(coinbase_transaction(1, p2wpkh(ALICE_HASH), 50 * COIN)).serialize()
    for cut in range(len(raw)):
        with pytest.raises(DecodeError):
            Transaction.parse(raw[:cut])


def test_trailing_bytes_are_a_decode_error():
    raw = coinbase_transaction(1, p2wpkh(ALICE_HASH), 50 * COIN).serialize()
    with pytest.raises(DecodeError) as excinfo:
        Transaction.parse(raw + b"\x00")
    assert excinfo.value.code == "decode-trailing-bytes"


@pytest.mark.parametrize(
    "raw",
    [
        # 2**64 - 1 inputs claimed by a 14-byte message
        bytes.fromhex("01000000") + b"\xff" + b"\xff" * 8 + b"\x00",
        # one input whose scriptSig claims 2**32 - 1 bytes
        bytes.fromhex("01000000") + b"\x01" + bytes(36) + b"\xfe\xff\xff\xff\xff" + bytes(10),
        # a segwit marker, one input, then a million outputs
        bytes.fromhex("01000000")
        + b"\x00\x01\x01"
        + bytes(41)
        + b"\xfe\x40\x42\x0f\x00"
        + bytes(40),
    ],
)
def test_huge_lengths_are_refused_without_allocating(raw):
    with pytest.raises(DecodeError) as excinfo:
        Transaction.parse(raw)
    assert excinfo.value.code in {"decode-too-large", "decode-truncated"}


def test_non_canonical_compact_size_is_refused():
    raw = bytearray(coinbase_transaction(1, p2wpkh(ALICE_HASH), 50 * COIN).serialize())
    raw[4:5] = b"\xfd\x01\x00"  # input count 1 written in 3 bytes
    with pytest.raises(DecodeError) as excinfo:
        Transaction.parse(bytes(raw))
    assert excinfo.value.code == "decode-non-canonical"


def test_field_validation():
    with pytest.raises(ValueError):
        OutPoint(bytes(31), 0)
    with pytest.raises(ValueError):
        OutPoint(bytes(32), 2**32)
    with pytest.raises(ValueError):
        TxOut(2**63, b"")
    with pytest.raises(TypeError):
        TxIn(OutPoint(bytes(32), 0), script_sig="00")
    with pytest.raises(TypeError):
        Transaction(1, ("not an input",), ())
    tx = Transaction(1, [TxIn(OutPoint(bytes(32), 0))], [])
    assert isinstance(tx.inputs, tuple) and hash(tx)
