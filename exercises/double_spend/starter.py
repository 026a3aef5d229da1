"""Exercise double_spend: apply real transactions to a UTXO set, catch the first bad one.

    utxos = [[txid, index, amount, script_pubkey], ...]   the unspent outputs before the first tx
    txs   = [raw_tx, ...]                                 raw transactions (legacy or segwit)
Return [position, reason] for the first transaction that cannot be applied, or None.
parse_tx and txid below are given (exercise tx_serialize is where you write your own).
Scripts are NOT run here: only the coins and their amounts matter.
Check your work:   educhain check double_spend.py
"""

import hashlib

DUPLICATE = "bad-txns-inputs-duplicate"  # one transaction spends the same outpoint twice
MISSING = "bad-txns-inputs-missingorspent"  # the outpoint is not (or no longer) unspent
BELOWOUT = "bad-txns-in-belowout"  # the outputs pay more than the inputs hold


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


def txid(raw: bytes) -> bytes:
    """sha256d of the transaction WITHOUT its witness (internal byte order)."""
    legacy = serialize_legacy(parse_tx(raw))
    return hashlib.sha256(hashlib.sha256(legacy).digest()).digest()


# --- your part ---------------------------------------------------------------------------


def find_double_spend(utxos: list[list], txs: list[bytes]) -> list | None:
    """[position, reason] of the first transaction that cannot be applied, or None."""
    # Step 1: unspent = a dict {(txid, index): amount} built from utxos (tuples as keys:
    #         lists cannot be dict keys; the script_pubkey is not needed here).
    # Step 2: for position, raw in enumerate(txs):
    #   2a. tx = parse_tx(raw); outpoints = [(prev_txid, prev_index) for each input].
    #       If two of them are equal: return [position, DUPLICATE].
    #   2b. If any outpoint is not in unspent: return [position, MISSING]
    #       (it never existed, or an earlier transaction already spent it).
    #   2c. value_in = the sum of the amounts of the outpoints spent; value_out = the sum of
    #       the output amounts. If value_in < value_out: return [position, BELOWOUT]
    #       (equal is fine: a transaction may pay no fee).
    #   2d. Remove every outpoint it spends from unspent.
    #   2e. Add its new outputs: (txid(raw), n) -> amount for each output n.
    # Step 3: every transaction applied: return None.
    raise NotImplementedError("find_double_spend: follow steps 1-3")
