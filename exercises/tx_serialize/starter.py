"""Exercise tx_serialize: edu_chain's transaction format (see the README for the layout).

A transaction is given as plain data:
    inputs  = [[prev_txid, prev_index, signature, pubkey, sequence], ...]
    outputs = [[amount, pubkey_hash], ...]
You may use hashlib. Check your work:   educhain check tx_serialize.py
"""

import hashlib


def sha256d(data: bytes) -> bytes:
    """Double SHA-256, Bitcoin's hash."""
    return hashlib.sha256(hashlib.sha256(data).digest()).digest()


def encode_varint(value: int) -> bytes:
    """CompactSize: 1 byte below 0xfd, else a marker byte and 2, 4 or 8 little-endian bytes."""
    # Step V1: value < 0xFD: one byte. <= 0xFFFF: b"\xfd" + 2 bytes. <= 0xFFFFFFFF: b"\xfe" +
    #          4 bytes. Otherwise b"\xff" + 8 bytes. All little-endian.
    raise NotImplementedError("encode_varint: follow step V1")


def serialize_tx(version: int, inputs: list[list], outputs: list[list], locktime: int) -> bytes:
    """The transaction's bytes (every integer little-endian, hashes as given)."""
    # Step 1: version as 4 little-endian bytes.
    # Step 2: encode_varint(len(inputs)), then for each input:
    #   2a. prev_txid (32 bytes, unchanged) + prev_index (4 bytes LE);
    #   2b. encode_varint(len(signature)) + signature; encode_varint(len(pubkey)) + pubkey;
    #   2c. sequence (4 bytes LE).
    # Step 3: encode_varint(len(outputs)), then for each output: amount (8 bytes LE) +
    #         pubkey_hash (20 bytes).
    # Step 4: locktime (4 bytes LE).
    raise NotImplementedError("serialize_tx: follow steps 1-4")


def parse_tx(raw: bytes) -> tuple[int, list[list], list[list], int]:
    """(version, inputs, outputs, locktime) from bytes; ValueError if raw is not exactly one tx."""
    # Step 1: keep an offset into raw and write a helper read(n) that returns raw[offset:
    #         offset + n], advances the offset, and raises ValueError if fewer than n bytes
    #         remain (slicing past the end does NOT raise by itself).
    # Step 2: a helper read_varint(): read 1 byte; 0xfd/0xfe/0xff mean 2/4/8 more bytes (LE).
    #         Raise ValueError if the value would fit a shorter form (e.g. 0xfd then 5).
    # Step 3: version = 4 bytes LE; n_inputs = read_varint(); for each input read prev_txid
    #         (32), prev_index (4 LE), signature (varint length + bytes), pubkey (same),
    #         sequence (4 LE). Tip: if a count is larger than the bytes left could hold, raise
    #         ValueError at once instead of looping billions of times.
    # Step 4: n_outputs = read_varint(); each output: amount (8 LE), pubkey_hash (20).
    # Step 5: locktime = 4 bytes LE; raise ValueError if any bytes are left over.
    # Step 6: return (version, inputs, outputs, locktime) with inputs and outputs as lists.
    raise NotImplementedError("parse_tx: follow steps 1-6")


def txid(raw: bytes) -> bytes:
    """The transaction id: sha256d of its bytes, in internal byte order (not reversed)."""
    # Step 1: return sha256d(raw).
    raise NotImplementedError("txid: follow step 1")
