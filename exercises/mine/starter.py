"""Exercise mine: proof-of-work, the lowest nonce whose header hash meets the target.

You may use hashlib. Check your work:   educhain check mine.py
"""

import hashlib


def sha256d(data: bytes) -> bytes:
    """Double SHA-256, Bitcoin's hash."""
    return hashlib.sha256(hashlib.sha256(data).digest()).digest()


def mine(header76: bytes, target: int, start: int = 0, stop: int = 2**32) -> int | None:
    """The lowest nonce in [start, stop) whose header hash is <= target, or None."""
    # Step 1: for each nonce in range(start, stop), in increasing order:
    #   1a. header = header76 + nonce as 4 LITTLE-endian bytes (nonce.to_bytes(4, "little"));
    #   1b. value = int.from_bytes(sha256d(header), "little");
    #   1c. if value <= target: return nonce  (a hash EQUAL to the target is valid).
    # Step 2: no nonce in the range works: return None.
    raise NotImplementedError("mine: follow steps 1-2")
