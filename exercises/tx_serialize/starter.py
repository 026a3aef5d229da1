"""Exercise tx_serialize: Bitcoin's transaction format (legacy and segwit), both ways.

A transaction is given as plain data:
    inputs  = [[prev_txid, prev_index, script_sig, sequence, witness], ...]   witness: list[bytes]
    outputs = [[amount, script_pubkey], ...]
The layout is in README.md (and in the module docstring of edu_chain/tx.py).
You may use hashlib. Check your work:   educhain check tx_serialize.py
"""

import hashlib


def sha256d(data: bytes) -> bytes:
    """Double SHA-256, Bitcoin's hash."""
    return hashlib.sha256(hashlib.sha256(data).digest()).digest()


# Helpers you will want (README.md, "Step functions"): encode_varint(value) -> bytes,
# read_varint(raw, offset) -> (value, offset after it), serialize_witness(items) -> bytes.


def serialize_tx(version: int, inputs: list[list], outputs: list[list], locktime: int) -> bytes:
    """The transaction's bytes: BIP144's (marker, flag, witnesses) when a witness is present."""
    # Step 1: segwit = some input's witness is not [].
    # Step 2: version as 4 little-endian bytes; if segwit, then b"\x00\x01".
    # Step 3: CompactSize(len(inputs)); each input: prev_txid (as given), prev_index (4 LE),
    #         CompactSize(len(script_sig)) + script_sig, sequence (4 LE).
    # Step 4: CompactSize(len(outputs)); each output: amount (8 LE),
    #         CompactSize(len(script_pubkey)) + script_pubkey.
    # Step 5: if segwit, each input's witness: CompactSize(item count), then each item
    #         as CompactSize(len(item)) + item.
    # Step 6: locktime (4 LE).
    raise NotImplementedError("serialize_tx: follow steps 1-6")


def parse_tx(raw: bytes) -> tuple[int, list[list], list[list], int]:
    """Read exactly one transaction; ValueError for anything else."""
    # Step 1: a reader that raises ValueError instead of reading past the end, and a
    #         read_varint that raises ValueError for a CompactSize not in its shortest form.
    # Step 2: version; read the input count. If it is 0, that was the segwit marker: the next
    #         byte (the flag) must be 1; then read the real input count.
    # Step 3: refuse a count larger than the remaining bytes could hold (an input is at
    #         least 41 bytes, an output 9); read the inputs (witness = []) and outputs.
    # Step 4: with the marker, read one witness per input; raise ValueError if all are empty.
    # Step 5: locktime; raise ValueError if any byte is left.
    raise NotImplementedError("parse_tx: follow steps 1-5")


def txid(raw: bytes) -> bytes:
    """sha256d of the transaction WITHOUT marker, flag and witnesses (internal order)."""
    # Step 1: parse, serialize again with every witness = [], and return sha256d of that.
    raise NotImplementedError("txid: follow step 1")


def wtxid(raw: bytes) -> bytes:
    """sha256d of the full serialization (equals txid for a legacy transaction)."""
    # Step 1: return sha256d(raw) (after checking that raw parses).
    raise NotImplementedError("wtxid: follow step 1")
