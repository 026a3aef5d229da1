"""Crafted bytes against the parsers: they answer, or they raise edu_chain's own error.

Random bytes rarely get past a transaction's first length field, so these tests start from
*valid* encodings (a signed payment, a coinbase, a block holding both, an address) and apply
a few byte edits, as someone handcrafting a bad transaction for a node would.  Oracles:

* a parser either refuses with the documented error class (``DecodeError`` for transactions
  and blocks, ``KeyFormatError`` for addresses, ``TxValidationError`` for an input check) or
  accepts, and then the encoding is canonical: serializing what was parsed gives back
  exactly the same bytes (the property that makes txids unmalleable);
* anything else (IndexError, KeyError, struct.error, OverflowError...) fails the test.

The strict-DER and SEC parsers are fuzzed the same way against libsecp256k1 in
``test_ecdsa_props.py``.
"""

from hypothesis import given, settings
from hypothesis import strategies as st

from edu_chain.block import Block, BlockHeader
from edu_chain.errors import DecodeError, KeyFormatError, TxValidationError
from edu_chain.keys import PrivateKey, address_to_pubkey_hash, pubkey_hash_to_address
from edu_chain.teaching_tx import COIN, OutPoint, Transaction, TxIn, TxOut

ALICE = PrivateKey(0xA11CE)
BOB = PrivateKey(0xB0B)
FUNDING = Transaction.coinbase(7, ALICE.public_key.pubkey_hash(), 50 * COIN, b"fuzz")
PAYMENT = Transaction(
    1,
    (TxIn(OutPoint(FUNDING.txid(), 0)),),
    (TxOut(10 * COIN, BOB.public_key.pubkey_hash()), TxOut(39 * COIN, bytes(20))),
).sign_input(0, ALICE, FUNDING.outputs[0])
BLOCK = Block.build(
    BlockHeader(1, bytes(32), bytes(32), 1_700_000_000, 0x207FFFFF, 0), (FUNDING, PAYMENT)
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


@settings(max_examples=300)
@given(st.sampled_from([FUNDING, PAYMENT]), edits)
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
        parsed = Block.parse(raw, Transaction.read)
    except DecodeError:
        return
    assert parsed.serialize() == raw


@settings(max_examples=200)
@given(edits)
def test_edited_inputs_fail_the_input_check_only_with_a_tx_validation_error(operations):
    """Edits inside the signature or the public key of a parseable payment: the input check
    says yes (only if the bytes are untouched) or raises a TxValidationError with a code."""
    raw = PAYMENT.serialize()
    start = 4 + 1 + 32 + 4  # version, input count, outpoint: the signature length is next
    edited = raw[:start] + mutate(raw[start:-40], operations) + raw[-40:]
    try:
        tx = Transaction.parse(edited)
    except DecodeError:
        return
    try:
        tx.input_check(0, FUNDING.outputs[0])
    except TxValidationError as error:
        assert error.code.startswith("bad-")
        assert tx.verify_input(0, FUNDING.outputs[0]) is False
        return
    assert tx.inputs[0] == PAYMENT.inputs[0]


@given(st.binary(max_size=200))
def test_arbitrary_hex_text_is_a_transaction_or_a_decode_error(data):
    for text in (data.hex(), data.hex() + "0", data.hex()[:-1] + "g", data.decode("latin-1")):
        try:
            Transaction.from_hex(text)
        except DecodeError:
            continue


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
