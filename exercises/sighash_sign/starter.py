"""Exercise sighash_sign: the digest an input signs (legacy and BIP143), then its signature.

A transaction is given as plain data (the tx_serialize exercise):
    tx = [version, inputs, outputs, locktime]
    inputs  = [[prev_txid, prev_index, script_sig, sequence, witness], ...]
    outputs = [[amount, script_pubkey], ...]
Hash types: ALL = 1, NONE = 2, SINGLE = 3, each possibly | ANYONECANPAY (0x80).
Paste your point_add / scalar_mult / sign (exercise ecdsa) below.
You may use hashlib; ready-made curve libraries are banned.
Check your work:   educhain check sighash_sign.py
"""

import hashlib

P = 2**256 - 2**32 - 977
N = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141
G = (
    0x79BE667EF9DCBBAC55A06295CE870B07029BFCDB2DCE28D959F2815B16F81798,
    0x483ADA7726A3C4655DA4FBFC0E1108A8FD17B448A68554199C47D08FFB10D4B8,
)
ALL, NONE, SINGLE, ANYONECANPAY = 1, 2, 3, 0x80


def sha256d(data: bytes) -> bytes:
    """Double SHA-256, Bitcoin's hash."""
    return hashlib.sha256(hashlib.sha256(data).digest()).digest()


# Helpers you will want (README.md, "Step functions"): serialize_output(amount, script_pubkey)
# -> bytes (amount as 8 SIGNED little-endian bytes, then the script with its length) and
# der_integer(value) -> bytes (one DER INTEGER).


def sign(private_key: int, z: int, k: int) -> tuple[int, int]:
    """Paste your sign (with point_add and scalar_mult) from the `ecdsa` exercise here."""
    raise NotImplementedError("paste sign from the ecdsa exercise")


def sighash_legacy(tx: list, index: int, script_code: bytes, hash_type: int) -> bytes:
    """The pre-segwit digest that input `index` signs (Core's SignatureHash)."""
    # Step 1: base = hash_type & 0x1f. If base == SINGLE and index >= len(outputs): return
    #         (1).to_bytes(32, "little") (Core's bug: nothing is hashed).
    # Step 2: the inputs to serialize: input `index` with script_sig = script_code; with
    #         ANYONECANPAY only that one, otherwise also every other input with script_sig = b""
    #         and, for NONE and SINGLE, sequence = 0.
    # Step 3: the outputs: ALL: all of them; NONE: none; SINGLE: `index` blanked outputs
    #         (amount -1, script b"") followed by outputs[index].
    # Step 4: serialize version, inputs, outputs, locktime WITHOUT witnesses (tx_serialize's
    #         legacy layout; amounts as signed 8-byte little-endian), append hash_type as 4
    #         little-endian bytes, and return sha256d of it all.
    raise NotImplementedError("sighash_legacy: follow steps 1-4")


def sighash_segwit(tx: list, index: int, script_code: bytes, amount: int, hash_type: int) -> bytes:
    """BIP143's digest for input `index`, which spends `amount` satoshis."""
    # Step 1: hash_prevouts = sha256d(every outpoint: txid + index as 4 LE), or 32 zero bytes
    #         with ANYONECANPAY.
    # Step 2: hash_sequence = sha256d(every sequence as 4 LE) for ALL without ANYONECANPAY,
    #         else 32 zero bytes.
    # Step 3: hash_outputs = sha256d(every output) for ALL; for SINGLE sha256d(outputs[index])
    #         when it exists; else 32 zero bytes.
    # Step 4: preimage = version (4 LE) | hash_prevouts | hash_sequence | the input's outpoint
    #         | CompactSize(len(script_code)) + script_code | amount (8 LE) | the input's sequence
    #         | hash_outputs | locktime (4 LE) | hash_type (4 LE); return sha256d(preimage).
    raise NotImplementedError("sighash_segwit: follow steps 1-4")


def der_encode(r: int, s: int) -> bytes:
    """(r, s) as strict DER: 0x30 len (0x02 len r) (0x02 len s)."""
    # Step 1: an INTEGER: the value's big-endian bytes in as few bytes as possible; if the
    #         first byte is 0x80 or more, prepend b"\x00" (DER integers are signed).
    #         Then b"\x02" + one length byte + those bytes.
    # Step 2: body = INTEGER(r) + INTEGER(s); return b"\x30" + one length byte + body.
    raise NotImplementedError("der_encode: follow steps 1-2")


def sign_input(
    tx: list, index: int, script_pubkey: bytes, amount: int, private_key: int, k: int
) -> bytes:
    """The signature (DER, low s, then the SIGHASH_ALL byte) of input `index`, which spends
    an output of `amount` satoshis locked by a P2PKH or P2WPKH `script_pubkey`."""
    # Step 1: P2WPKH (22 bytes: 00 14 <20-byte program>): script code = 76 a9 14 <program> 88 ac
    #         and the digest is sighash_segwit(tx, index, script code, amount, ALL).
    #         P2PKH: the digest is sighash_legacy(tx, index, script_pubkey, ALL).
    # Step 2: z = int.from_bytes(digest, "big"); r, s = sign(private_key, z, k) (low s).
    # Step 3: return der_encode(r, s) + bytes([ALL]).
    raise NotImplementedError("sign_input: follow steps 1-3")
