"""Crafted bytes against the parsers: they answer, or they raise edu_chain's own error.

Random bytes rarely get past a transaction's first length field, so these tests start from
*valid* encodings (a coinbase, a signed P2WPKH payment, a signed P2PKH payment, a block
holding them, an address) and apply a few byte edits, as someone handcrafting a bad
transaction for a node would.  Oracles:

* a parser either refuses with the documented error class (``DecodeError`` for transactions,
  blocks and hex, ``KeyFormatError`` for addresses) or accepts, and then the encoding is
  canonical: serializing what was parsed gives back exactly the same bytes (the property
  that makes txids unmalleable);
* edits inside a payment's scriptSig or witness either fail to parse, or make
  ``verify_input`` raise a ``ScriptError`` with one of Core's error names; under the standard
  flags only the untouched input verifies;
* anything else (IndexError, KeyError, struct.error, OverflowError...) fails the test.

The strict-DER and SEC parsers are fuzzed the same way against libsecp256k1 in
``test_ecdsa_props.py``; scripts and the interpreter in ``test_script_fuzz.py``.
"""

from hypothesis import given, settings
from hypothesis import strategies as st

from edu_chain.block import Block, BlockHeader, parse_block
from edu_chain.chain.coinbase import coinbase_transaction
from edu_chain.encoding import parse_hex
from edu_chain.errors import DecodeError, KeyFormatError
from edu_chain.hashing import hash160
from edu_chain.keys import PrivateKey, address_to_pubkey_hash, pubkey_hash_to_address
from edu_chain.script import SCRIPT_ERRORS, STANDARD_FLAGS, ScriptError, verify_input
from edu_chain.script.standard import p2pkh, p2wpkh
from edu_chain.tx import COIN, OutPoint, Transaction, TxIn, TxOut

ALICE = PrivateKey(0xA11CE)
BOB = PrivateKey(0xB0B)
ALICE_HASH = hash160(ALICE.public_key.sec())
BOB_HASH = hash160(BOB.public_key.sec())


def _payment(funding: Transaction, change_script: bytes) -> Transaction:
    spent = funding.outputs[0]
    unsigned = Transaction(
        2,
        [TxIn(OutPoint(funding.txid, 0))],
        [TxOut(10 * COIN, p2wpkh(BOB_HASH)), TxOut(39 * COIN, change_script)],
    )
    return unsigned.sign_input(0, ALICE, spent.script_pubkey, spent.amount)


SEGWIT_FUNDING = coinbase_transaction(7, p2wpkh(ALICE_HASH), 50 * COIN, b"fuzz")
LEGACY_FUNDING = coinbase_transaction(8, p2pkh(ALICE_HASH), 50 * COIN, b"fuzz")
SEGWIT_PAYMENT = _payment(SEGWIT_FUNDING, p2wpkh(ALICE_HASH))
LEGACY_PAYMENT = _payment(LEGACY_FUNDING, p2pkh(ALICE_HASH))
PAYMENTS = (SEGWIT_PAYMENT, LEGACY_PAYMENT)
COINBASE = coinbase_transaction(9, p2wpkh(BOB_HASH), 50 * COIN, b"block", PAYMENTS)
BLOCK = Block.build(
    BlockHeader(0x20000000, bytes(32), bytes(32), 1_700_000_000, 0x207FFFFF, 0),
    (COINBASE, *PAYMENTS),
)

edits = st.lists(
    st.tuples(
        st.sampled_from(["set", "delete", "insert", "flip", "truncate"]),
        st.integers(min_value=0),
        st.integers(min_value=0, max_value=255),
    ),
    min_size=1,
    max_size=4,
)


def mutate(data: bytes, operations: list[tuple[str, int, int]]) -> bytes:
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


def test_the_starting_points_are_valid() -> None:
    """The fixtures the edits start from verify, so a refusal below is the edit's doing."""
    for funding, payment in ((SEGWIT_FUNDING, SEGWIT_PAYMENT), (LEGACY_FUNDING, LEGACY_PAYMENT)):
        spent = funding.outputs[0]
        verify_input(payment, 0, spent.script_pubkey, spent.amount, STANDARD_FLAGS)
    assert SEGWIT_PAYMENT.has_witness and not LEGACY_PAYMENT.has_witness
    assert COINBASE.has_witness  # the witness commitment's reserved value
    assert parse_block(BLOCK.serialize()) == BLOCK
    assert BLOCK.compute_merkle_root() == BLOCK.header.merkle_root


@settings(max_examples=300)
@given(st.sampled_from([SEGWIT_FUNDING, COINBASE, SEGWIT_PAYMENT, LEGACY_PAYMENT]), edits)
def test_edited_transactions_parse_canonically_or_raise_decode_error(tx, operations):
    raw = mutate(tx.serialize(), operations)
    try:
        parsed = Transaction.parse(raw)
    except DecodeError:
        return
    assert parsed.serialize() == raw


@settings(max_examples=200)
@given(edits)
def test_edited_blocks_parse_canonically_or_raise_decode_error(operations):
    raw = mutate(BLOCK.serialize(), operations)
    try:
        parsed = parse_block(raw)
    except DecodeError:
        return
    assert parsed.serialize() == raw


def _unlocking_region(payment: Transaction) -> tuple[int, int]:
    """Where input 0's unlocking data sits in the serialization: the witness (between the
    outputs and the locktime) for a segwit payment, else the scriptSig with its length."""
    raw = payment.serialize()
    if payment.has_witness:
        return len(payment.serialize_legacy()) - 4 + 2, len(raw) - 4  # +2: marker and flag
    start = 4 + 1 + 32 + 4  # version, input count, outpoint: the scriptSig length is next
    return start, start + 1 + len(payment.inputs[0].script_sig)


@settings(max_examples=300)
@given(st.sampled_from([(SEGWIT_FUNDING, SEGWIT_PAYMENT), (LEGACY_FUNDING, LEGACY_PAYMENT)]), edits)
def test_edited_unlocking_data_fails_to_parse_or_to_verify(pair, operations):
    """Edits inside the scriptSig or the witness of a signed payment: a DecodeError, or a
    ScriptError with one of Core's names; under the standard flags (push-only, minimal
    pushes, strict DER, low s, clean stack) only the untouched input verifies."""
    funding, payment = pair
    raw = payment.serialize()
    start, end = _unlocking_region(payment)
    edited = raw[:start] + mutate(raw[start:end], operations) + raw[end:]
    try:
        tx = Transaction.parse(edited)
    except DecodeError:
        return
    spent = funding.outputs[0]
    try:
        verify_input(tx, 0, spent.script_pubkey, spent.amount, STANDARD_FLAGS)
    except ScriptError as error:
        assert error.code in SCRIPT_ERRORS
        assert str(error)
        return
    assert tx == payment


@given(st.binary(max_size=200))
def test_arbitrary_hex_text_is_a_transaction_or_a_decode_error(data):
    for text in (data.hex(), data.hex() + "0", data.hex()[:-1] + "g", data.decode("latin-1")):
        try:
            raw = parse_hex(text, what="raw transaction")
            tx = Transaction.parse(raw)
        except DecodeError:
            continue
        assert tx.serialize() == raw


@given(st.binary(max_size=100))
def test_arbitrary_header_hex_is_a_header_or_a_decode_error(data):
    try:
        header = BlockHeader.from_hex(data.hex())
    except DecodeError:
        return
    assert header.serialize() == data


@settings(max_examples=300)
@given(edits)
def test_edited_addresses_decode_canonically_or_raise_key_format_error(operations):
    address = ALICE.public_key.address().encode()
    text = mutate(address, operations).decode("latin-1")
    try:
        pubkey_hash = address_to_pubkey_hash(text)
    except KeyFormatError:
        return
    assert pubkey_hash_to_address(pubkey_hash) == text.strip()
