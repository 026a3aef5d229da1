"""Exercise validate_block: name the first consensus rule a block breaks, or None.

A block is given as its 80-byte header and its raw transactions (the tx_serialize format).
You need your merkle_root and bits_to_target from earlier exercises: paste them below.
You may use hashlib. Check your work:   educhain check validate_block.py
"""

import hashlib


def sha256d(data: bytes) -> bytes:
    """Double SHA-256, Bitcoin's hash."""
    return hashlib.sha256(hashlib.sha256(data).digest()).digest()


def bits_to_target(bits: int) -> int:
    """Paste your solution of the `target` exercise here (ValueError for negative/overflow)."""
    raise NotImplementedError("paste bits_to_target from the target exercise")


def merkle_root(txids: list[bytes]) -> bytes:
    """Paste your solution of the `merkle_root` exercise here."""
    raise NotImplementedError("paste merkle_root from the merkle_root exercise")


def is_coinbase(raw_tx: bytes) -> bool:
    """Exactly one input, spending the null outpoint (32 zero bytes, index 0xFFFFFFFF)."""
    # Step C1: after the 4-byte version comes the input count (byte 4: 0x01 for one input),
    #          then the first input's prev_txid (bytes 5..36) and prev_index (bytes 37..40).
    # Step C2: return raw_tx[4] == 1 and prev_txid == bytes(32) and prev_index bytes == b"\xff" * 4.
    raise NotImplementedError("is_coinbase: follow steps C1-C2")


def validate_block(
    header: bytes, txs: list[bytes], pow_limit_bits: int, max_block_size: int
) -> str | None:
    """The reason code of the first rule the block breaks, or None if it breaks none."""
    # Header fields (little-endian): version 0..4, prev_hash 4..36, merkle_root 36..68,
    # timestamp 68..72, bits 72..76, nonce 76..80.
    # Step 1: bits = int.from_bytes(header[72:76], "little"). "bad-diffbits" if bits_to_target
    #         raises ValueError, or the target is 0, or it is above bits_to_target(pow_limit_bits).
    # Step 2: "high-hash" if int.from_bytes(sha256d(header), "little") > target.
    # Step 3: "bad-cb-missing" if txs is empty.
    # Step 4: txids = [sha256d(tx) for tx in txs]; "bad-merkle-root" if merkle_root(txids) !=
    #         header[36:68] (both internal byte order: compare the bytes as they are).
    # Step 5: "bad-txns-duplicate" if two txids are equal.
    # Step 6: size = 80 + (1 if len(txs) < 253 else 3) + sum of len(tx); "bad-blk-length" if
    #         size > max_block_size.
    # Step 7: "bad-cb-missing" if txs[0] is not a coinbase.
    # Step 8: "bad-cb-multiple" if any later transaction is a coinbase.
    # Step 9: return None.
    raise NotImplementedError("validate_block: follow steps 1-9")
