"""Exercise validate_block: name the first consensus rule a block breaks, or None.

A block is given as its 80-byte header and its raw transactions (Bitcoin's format, legacy or
segwit). parse_tx, compact_size and serialize_legacy are given below; paste your merkle_root
and bits_to_target from earlier exercises, then write the steps. You may use hashlib.
Check your work:   educhain check validate_block.py
"""

import hashlib

MAX_MONEY = 21_000_000 * 100_000_000  # satoshis
NULL_TXID = bytes(32)
COINBASE_INDEX = 0xFFFFFFFF


def sha256d(data: bytes) -> bytes:
    """Double SHA-256, Bitcoin's hash."""
    return hashlib.sha256(hashlib.sha256(data).digest()).digest()


# --- given: reading a raw transaction ---------------------------------------------------


def read_compact_size(raw: bytes, at: int) -> tuple[int, int]:
    """The CompactSize at raw[at]: (its value, the position after it)."""
    first = raw[at]
    if first < 0xFD:
        return first, at + 1
    size = {0xFD: 2, 0xFE: 4, 0xFF: 8}[first]
    return int.from_bytes(raw[at + 1 : at + 1 + size], "little"), at + 1 + size


def parse_tx(raw: bytes) -> dict:
    """The fields of a raw transaction, legacy or segwit (BIP144), integers little-endian."""
    segwit = raw[4] == 0 and raw[5] == 1  # the marker 00 and flag 01 after the version
    at = 6 if segwit else 4
    n_inputs, at = read_compact_size(raw, at)
    inputs = []  # [prev_txid, prev_index, script_sig, sequence]
    for _ in range(n_inputs):
        prev_txid, prev_index = raw[at : at + 32], int.from_bytes(raw[at + 32 : at + 36], "little")
        length, at = read_compact_size(raw, at + 36)
        script_sig, at = raw[at : at + length], at + length
        inputs.append([prev_txid, prev_index, script_sig, int.from_bytes(raw[at : at + 4], "little")])
        at += 4
    n_outputs, at = read_compact_size(raw, at)
    outputs = []  # [amount (signed!), script_pubkey]
    for _ in range(n_outputs):
        amount = int.from_bytes(raw[at : at + 8], "little", signed=True)
        length, at = read_compact_size(raw, at + 8)
        outputs.append([amount, raw[at : at + length]])
        at += length
    witnesses = []  # one list of byte strings per input
    for _ in range(n_inputs if segwit else 0):
        count, at = read_compact_size(raw, at)
        items = []
        for _ in range(count):
            length, at = read_compact_size(raw, at)
            items.append(raw[at : at + length])
            at += length
        witnesses.append(items)
    locktime = int.from_bytes(raw[at : at + 4], "little")
    return {
        "version": int.from_bytes(raw[:4], "little"),
        "inputs": inputs,
        "outputs": outputs,
        "witnesses": witnesses,
        "locktime": locktime,
        "segwit": segwit,
    }


def compact_size(n: int) -> bytes:
    """n as a CompactSize (the shortest form)."""
    if n < 0xFD:
        return bytes([n])
    if n <= 0xFFFF:
        return b"\xfd" + n.to_bytes(2, "little")
    if n <= 0xFFFFFFFF:
        return b"\xfe" + n.to_bytes(4, "little")
    return b"\xff" + n.to_bytes(8, "little")


def serialize_legacy(tx: dict) -> bytes:
    """The transaction without marker, flag and witnesses: the bytes its txid hashes."""
    parts = [tx["version"].to_bytes(4, "little"), compact_size(len(tx["inputs"]))]
    for prev_txid, prev_index, script_sig, sequence in tx["inputs"]:
        parts += [prev_txid, prev_index.to_bytes(4, "little"), compact_size(len(script_sig))]
        parts += [script_sig, sequence.to_bytes(4, "little")]
    parts.append(compact_size(len(tx["outputs"])))
    for amount, script_pubkey in tx["outputs"]:
        parts += [amount.to_bytes(8, "little", signed=True), compact_size(len(script_pubkey))]
        parts.append(script_pubkey)
    parts.append(tx["locktime"].to_bytes(4, "little"))
    return b"".join(parts)


# --- paste from earlier exercises ------------------------------------------------------


def bits_to_target(bits: int) -> int:
    """Paste your solution of the `target` exercise here (ValueError for negative/overflow)."""
    raise NotImplementedError("paste bits_to_target from the target exercise")


def merkle_root(txids: list[bytes]) -> bytes:
    """Paste your solution of the `merkle_root` exercise here."""
    raise NotImplementedError("paste merkle_root from the merkle_root exercise")


# --- your part: the steps, then the block -------------------------------------------------


def txid(raw: bytes) -> bytes:
    """The transaction id: sha256d of the transaction WITHOUT its witness (internal order)."""
    # Step T: sha256d(serialize_legacy(parse_tx(raw))). For a legacy transaction that is
    #         sha256d(raw); for a segwit one it is not (sha256d(raw) is its wtxid).
    raise NotImplementedError("txid: step T")


def is_coinbase(raw: bytes) -> bool:
    """Exactly one input, spending the null outpoint (32 zero bytes, index 0xFFFFFFFF)."""
    # Step C: parse_tx(raw); one input whose prev_txid == NULL_TXID and prev_index ==
    #         COINBASE_INDEX. (Read the fields: a segwit coinbase has its marker at byte 4.)
    raise NotImplementedError("is_coinbase: step C")


def check_transaction(raw: bytes) -> str | None:
    """Bitcoin Core's CheckTransaction: the first code that applies, or None."""
    # Step X, in this order:
    #   "bad-txns-vout-empty"          no outputs
    #   for each output, keeping a running total of the amounts:
    #     "bad-txns-vout-negative"       amount < 0  (amounts are SIGNED 64-bit)
    #     "bad-txns-vout-toolarge"       amount > MAX_MONEY
    #     "bad-txns-txouttotal-toolarge" running total > MAX_MONEY
    #   "bad-txns-inputs-duplicate"    two inputs spend the same (prev_txid, prev_index)
    #   if is_coinbase(raw): "bad-cb-length" unless 2 <= len(script_sig) <= 100
    #   else: "bad-txns-prevout-null" if any input spends the null outpoint
    raise NotImplementedError("check_transaction: step X")


def block_weight(txs: list[bytes]) -> int:
    """BIP141 weight of a block with these transactions, header and count included."""
    # Step W: stripped = 80 + len(compact_size(len(txs))) + sum of len(serialize_legacy(...));
    #         full = 80 + len(compact_size(len(txs))) + sum of len(raw);
    #         weight = 3 * stripped + full (a witness byte weighs 1, any other byte 4).
    raise NotImplementedError("block_weight: step W")


def validate_block(
    header: bytes, txs: list[bytes], pow_limit_bits: int, max_block_weight: int
) -> str | None:
    """The reason code of the first rule the block breaks, or None if it breaks none."""
    # Header fields (little-endian): version 0..4, prev_hash 4..36, merkle_root 36..68,
    # timestamp 68..72, bits 72..76, nonce 76..80.
    # Step 1: bits = int.from_bytes(header[72:76], "little"). "bad-diffbits" if bits_to_target
    #         raises ValueError, or the target is 0, or it is above bits_to_target(pow_limit_bits).
    # Step 2: "high-hash" if int.from_bytes(sha256d(header), "little") > target.
    # Step 3: "bad-cb-missing" if txs is empty.
    # Step 4: txids = [txid(tx) for tx in txs]; "bad-merkle-root" if merkle_root(txids) !=
    #         header[36:68] (both internal byte order: compare the bytes as they are).
    # Step 5: "bad-txns-duplicate" if two txids are equal.
    # Step 6: "bad-blk-length" if 4 x (the block's size without witnesses) > max_block_weight.
    # Step 7: "bad-cb-missing" if txs[0] is not a coinbase.
    # Step 8: "bad-cb-multiple" if any later transaction is a coinbase.
    # Step 9: for each transaction in order: its check_transaction code, if any.
    # Step 10: "bad-blk-weight" if block_weight(txs) > max_block_weight.
    # Step 11: return None.
    raise NotImplementedError("validate_block: follow steps 1-11")
