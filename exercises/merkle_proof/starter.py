"""Exercise merkle_proof: build and verify a Merkle inclusion proof.

You may use hashlib. Check your work:   educhain check merkle_proof.py
"""

import hashlib


def sha256d(data: bytes) -> bytes:
    """Double SHA-256, Bitcoin's hash."""
    return hashlib.sha256(hashlib.sha256(data).digest()).digest()


def merkle_proof(txids: list[bytes], index: int) -> list[bytes]:
    """The sibling hashes from leaf `index` up to (not including) the root."""
    # Step 1: level = list(txids); position = index; proof = [].
    # Step 2: while the level has more than one hash:
    #   2a. if the level is odd, append a copy of its last hash (as for the root);
    #   2b. the sibling of `position` is at position ^ 1: append level[position ^ 1] to proof;
    #   2c. compute the next level (sha256d of pairs) and set position //= 2.
    # Step 3: return proof (leaf level first). A single leaf has an empty proof.
    raise NotImplementedError("merkle_proof: follow steps 1-3")


def verify_merkle_proof(leaf: bytes, index: int, proof: list[bytes], root: bytes) -> bool:
    """True when hashing `leaf` up through `proof` at position `index` gives `root`."""
    # Step 1: current = leaf; position = index.
    # Step 2: for each sibling in proof (leaf level first):
    #   if position is odd (position & 1), the sibling is on the LEFT: sha256d(sibling + current);
    #   otherwise it is on the right: sha256d(current + sibling); then position >>= 1.
    # Step 3: the proof is valid when current == root AND position == 0 at the end
    #   (an index too large for the proof's length is not a valid position).
    raise NotImplementedError("verify_merkle_proof: follow steps 1-3")
