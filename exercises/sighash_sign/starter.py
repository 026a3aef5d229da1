"""Exercise sighash_sign: the digest an input signs, then the signature that goes in the input.

A transaction is given as plain data (the tx_serialize exercise):
    tx = [version, inputs, outputs, locktime]
    inputs  = [[prev_txid, prev_index, signature, pubkey, sequence], ...]
    outputs = [[amount, pubkey_hash], ...];  spent_output = [amount, pubkey_hash]
Paste your serialize_tx (tx_serialize) and point_add / scalar_mult / sign (ecdsa) below.
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


def sha256d(data: bytes) -> bytes:
    """Double SHA-256, Bitcoin's hash."""
    return hashlib.sha256(hashlib.sha256(data).digest()).digest()


def serialize_tx(version: int, inputs: list[list], outputs: list[list], locktime: int) -> bytes:
    """Paste your solution of the `tx_serialize` exercise here (and its encode_varint)."""
    raise NotImplementedError("paste serialize_tx from the tx_serialize exercise")


def sign(private_key: int, z: int, k: int) -> tuple[int, int]:
    """Paste your sign (with point_add and scalar_mult) from the `ecdsa` exercise here."""
    raise NotImplementedError("paste sign from the ecdsa exercise")


def sighash(tx: list, index: int, spent_output: list) -> bytes:
    """The 32-byte digest that input `index` signs."""
    # Step 1: version, inputs, outputs, locktime = tx.
    # Step 2: unsigned inputs: a copy of every input with signature = b"" and pubkey = b""
    #         (ALL inputs, not only input `index`).
    # Step 3: data = serialize_tx(version, unsigned_inputs, outputs, locktime)
    #         + index as 4 little-endian bytes
    #         + spent amount as 8 little-endian bytes + spent pubkey_hash (20 bytes).
    # Step 4: return sha256d(data).
    raise NotImplementedError("sighash: follow steps 1-4")


def der_encode(r: int, s: int) -> bytes:
    """(r, s) as strict DER: 0x30 len (0x02 len r) (0x02 len s)."""
    # Step 1: an INTEGER: the value's big-endian bytes in as few bytes as possible
    #         (value.to_bytes((value.bit_length() + 7) // 8, "big")); if the first byte is
    #         0x80 or more, prepend b"\x00" (DER integers are signed).
    #         Then b"\x02" + one length byte + those bytes.
    # Step 2: body = INTEGER(r) + INTEGER(s); return b"\x30" + one length byte + body.
    raise NotImplementedError("der_encode: follow steps 1-2")


def sign_input(tx: list, index: int, spent_output: list, private_key: int, k: int) -> bytes:
    """The DER signature (low s) of input `index`, made with `private_key` and nonce `k`."""
    # Step 1: z = int.from_bytes(sighash(tx, index, spent_output), "big").
    # Step 2: r, s = sign(private_key, z, k)   (your sign already returns the low s).
    # Step 3: return der_encode(r, s).
    raise NotImplementedError("sign_input: follow steps 1-3")
