"""Independent oracles shared by several test modules, written directly on hashlib."""

import hashlib

from edu_chain.block import BlockHeader
from edu_chain.hashing import from_display_hex


def header_from_fields(block: dict) -> BlockHeader:
    """A header rebuilt from the displayed fields in ``tests/bitcoin_data.py``."""
    return BlockHeader(
        version=block["version"],
        prev_hash=from_display_hex(block["prev_hash"]),
        merkle_root=from_display_hex(block["merkle_root"]),
        timestamp=block["timestamp"],
        bits=block["bits"],
        nonce=block["nonce"],
    )


def brute_force_nonce(header: BlockHeader, start: int, stop_inclusive: int, target: int):
    """The lowest nonce in ``[start, stop_inclusive]`` whose sha256d meets ``target``, or None."""
    prefix = header.serialize()[:76]
    for nonce in range(start, stop_inclusive + 1):
        raw = prefix + nonce.to_bytes(4, "little")
        digest = hashlib.sha256(hashlib.sha256(raw).digest()).digest()
        if int.from_bytes(digest, "little") <= target:
            return nonce
    return None
