"""The batch: one Merkle tree over every certificate of an issuing run, and each one's path.

The tree follows Bitcoin's rule (:mod:`edu_chain.merkle`): leaves are the certificates'
hashes (:func:`~edu_chain.certificates.document.certificate_hash`), parents are
``sha256d(left + right)``, an odd level duplicates its last hash.  A certificate carries its
*path* (the sibling hashes from its leaf up to the root) and its index; its position's bits
say, level by level, whether the sibling is on the left (bit 1) or on the right (bit 0).

The tree is built once, level by level, and every path is read from the stored levels: 80,000
certificates cost 80,000 leaf hashes plus ~80,000 parent hashes, and each path is
``ceil(log2(80,000)) = 17`` hashes.  (Rebuilding the tree for every path, as
:func:`edu_chain.merkle.merkle_proof` does for one proof, is quadratic:
``benchmarks/certificates.py`` measures both.)

A verifier also checks the path's *length* against the batch size written in the
certificate, so a path cannot claim a shallower or deeper tree than the one anchored.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TypeVar

from edu_chain.merkle import merkle_levels, verify_merkle_proof

T = TypeVar("T")  # a node: bytes, or its hex


def path_length(size: int) -> int:
    """Hashes in a path of a tree over ``size`` leaves: ``ceil(log2(size))`` (0 for one)."""
    return (size - 1).bit_length() if size > 0 else 0


class BatchTree:
    """The Merkle tree over ``leaves`` (32-byte hashes), built once; paths read from it."""

    def __init__(self, leaves: Sequence[bytes]) -> None:
        self.levels = merkle_levels(leaves)  # validates: non-empty, 32 bytes each
        self._hex: list[list[str]] | None = None

    @property
    def root(self) -> bytes:
        return self.levels[-1][0]

    @property
    def size(self) -> int:
        return len(self.levels[0])

    def path_hex(self, index: int) -> list[str]:
        """:meth:`path` as hex strings (each node's hex computed once for the whole batch)."""
        if self._hex is None:
            self._hex = [[node.hex() for node in level] for level in self.levels]
        return _siblings(self._hex, index)

    def path(self, index: int) -> list[bytes]:
        """The sibling hashes of leaf ``index``, leaf level first."""
        return _siblings(self.levels, index)


def verify_path(leaf: bytes, index: int, size: int, path: Sequence[bytes], root: bytes) -> bool:
    """True when ``path`` leads from ``leaf`` at ``index`` of a ``size``-leaf tree to ``root``."""
    if not (isinstance(size, int) and isinstance(index, int) and 0 <= index < size):
        return False
    if len(path) != path_length(size):
        return False
    return verify_merkle_proof(leaf, index, list(path), root)


def _siblings(levels: list[list[T]], index: int) -> list[T]:
    """Leaf ``index``'s sibling at each level below the root (an odd level's last node is its
    own sibling, as Bitcoin duplicates it)."""
    siblings = []
    position = index
    for level in levels[:-1]:
        sibling = position ^ 1
        siblings.append(level[sibling] if sibling < len(level) else level[position])
        position >>= 1
    return siblings
