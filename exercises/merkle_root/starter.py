"""Exercise merkle_root: the Merkle root of a list of transaction ids (Bitcoin's rule).

You may use hashlib. Check your work:   educhain check merkle_root.py
"""

import hashlib


def sha256d(data: bytes) -> bytes:
    """Double SHA-256, Bitcoin's hash."""
    return hashlib.sha256(hashlib.sha256(data).digest()).digest()


def merkle_root(txids: list[bytes]) -> bytes:
    """Return the Merkle root of `txids` (32-byte hashes, internal byte order in and out).

    Raise ValueError if `txids` is empty.
    """
    # Step 1: an empty list has no root: raise ValueError.
    # Step 2: start with level = the list of txids, unchanged (already internal byte order).
    # Step 3: while the level has more than one hash:
    #   3a. if its length is odd, append a copy of its LAST hash;
    #   3b. the next level is sha256d(level[i] + level[i + 1]) for i = 0, 2, 4, ...
    # Step 4: the single hash left is the root (a single txid is its own root).
    raise NotImplementedError("merkle_root: follow steps 1-4")
