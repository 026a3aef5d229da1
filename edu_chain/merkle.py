"""Merkle trees: the root that commits a block header to its transactions, and proofs.

Bitcoin's rule (``ComputeMerkleRoot`` in Bitcoin Core's ``consensus/merkle.cpp``):

1. The leaves are the transaction ids in **internal byte order** (see :mod:`edu_chain.hashing`).
2. A level with an odd number of hashes duplicates its last hash.
3. Each parent is ``sha256d(left + right)``; repeat until one hash is left: the root.
4. A single leaf is its own root.  An empty list has no root: that is an error.

A Merkle *proof* for leaf ``index`` is the list of sibling hashes from the leaf up to the root.
Whoever holds the root (for example in a block header) can check that a transaction is in the
block from ``log2(n)`` hashes instead of all ``n`` transactions.  At each level, the position's
lowest bit says whether the sibling sits on the left (bit 1) or on the right (bit 0).

    >>> a, b, c = (bytes([i]) * 32 for i in (1, 2, 3))
    >>> root = merkle_root([a, b, c])
    >>> proof = merkle_proof([a, b, c], 2)
    >>> verify_merkle_proof(c, 2, proof, root)
    True
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from edu_chain.errors import ValidationError
from edu_chain.hashing import HASH_SIZE, display_hex, sha256d


class MerkleError(ValidationError):
    """An input to a Merkle computation is malformed (empty list, a hash not 32 bytes...)."""


def _check_leaves(txids: Sequence[bytes]) -> list[bytes]:
    if isinstance(txids, bytes | bytearray | str):
        raise TypeError("merkle functions take a list of 32-byte hashes, not a single value")
    leaves = list(txids)
    if not leaves:
        raise MerkleError("merkle-empty", "cannot compute a Merkle root of an empty list")
    for position, leaf in enumerate(leaves):
        if not isinstance(leaf, bytes | bytearray) or len(leaf) != HASH_SIZE:
            found = f"{len(leaf)} bytes" if isinstance(leaf, bytes | bytearray) else repr(leaf)
            raise MerkleError(
                "merkle-bad-leaf",
                f"leaf {position} must be a 32-byte hash in internal order, got {found}",
            )
    return [bytes(leaf) for leaf in leaves]


def merkle_parent_level(level: list[bytes]) -> list[bytes]:
    """One step up the tree: pair neighbours (duplicating an odd last one) and hash each pair."""
    if len(level) % 2 == 1:
        level = [*level, level[-1]]
    return [sha256d(level[i] + level[i + 1]) for i in range(0, len(level), 2)]


def merkle_levels(txids: Sequence[bytes]) -> list[list[bytes]]:
    """Every level of the tree, leaves first and the root (a one-element list) last."""
    levels = [_check_leaves(txids)]
    while len(levels[-1]) > 1:
        levels.append(merkle_parent_level(levels[-1]))
    return levels


def merkle_root(txids: Sequence[bytes]) -> bytes:
    """The Merkle root of ``txids`` (internal byte order in, internal byte order out).

    Raises :class:`MerkleError` (a ``ValueError``) on an empty list or a leaf that is not
    32 bytes.  Trees of :data:`BATCH_THRESHOLD` leaves or more are hashed by the Numba batch
    kernel (:func:`edu_chain.sha256_kernels.merkle_root_batch`), same rule, same root; the loop
    below is the specification it is tested against.
    """
    if isinstance(txids, list | tuple) and len(txids) >= BATCH_THRESHOLD:
        root = _batch_merkle_root(txids)
        if root is not None:
            return root
    level = _check_leaves(txids)
    while len(level) > 1:
        level = merkle_parent_level(level)
    return level[0]


# Above this many leaves, merkle_root uses the Numba kernels (~4x a hashlib loop).  The first
# use in a process costs ~0.5 s (importing Numba, loading the cached machine code), which is
# why small trees, the common case, never touch it.
BATCH_THRESHOLD = 1 << 15


def _batch_merkle_root(txids: Sequence[bytes]) -> bytes | None:
    """The root from the batch kernel, or None (no Numba, or leaves the readable path rejects)."""
    try:
        from edu_chain.sha256_kernels import merkle_root_batch
    except ImportError:
        return None
    return merkle_root_batch(txids)


def merkle_proof(txids: Sequence[bytes], index: int) -> list[bytes]:
    """The sibling hashes from leaf ``index`` up to (not including) the root."""
    levels = merkle_levels(txids)
    if not isinstance(index, int) or not 0 <= index < len(levels[0]):
        raise MerkleError(
            "merkle-bad-index", f"leaf index must be in [0, {len(levels[0]) - 1}], got {index!r}"
        )
    proof = []
    position = index
    for level in levels[:-1]:
        sibling = position ^ 1
        proof.append(level[sibling] if sibling < len(level) else level[position])
        position //= 2
    return proof


def verify_merkle_proof(leaf: bytes, index: int, proof: Sequence[bytes], root: bytes) -> bool:
    """True when hashing ``leaf`` up through ``proof`` at position ``index`` gives ``root``.

    A yes/no question: malformed arguments give ``False``, never an exception.
    """
    if not (isinstance(index, int) and 0 <= index < 2 ** len(proof)):
        return False
    hashes = (leaf, root, *proof)
    if any(not isinstance(h, bytes | bytearray) or len(h) != HASH_SIZE for h in hashes):
        return False
    current = bytes(leaf)
    position = index
    for sibling in proof:
        if position & 1:
            current = sha256d(bytes(sibling) + current)
        else:
            current = sha256d(current + bytes(sibling))
        position >>= 1
    return current == bytes(root)


@dataclass(frozen=True)
class MerkleProof:
    """A leaf, its position, the sibling path and the root it proves membership in."""

    leaf: bytes  # 32 bytes, internal order
    index: int  # position of the leaf among the block's transactions
    siblings: tuple[bytes, ...]  # 32-byte hashes, leaf level first
    root: bytes  # 32 bytes, internal order

    @classmethod
    def build(cls, txids: Sequence[bytes], index: int) -> MerkleProof:
        siblings = tuple(merkle_proof(txids, index))  # validates the leaves and the index
        return cls(bytes(txids[index]), index, siblings, merkle_root(txids))

    def verify(self) -> bool:
        return verify_merkle_proof(self.leaf, self.index, list(self.siblings), self.root)

    def __str__(self) -> str:
        lines = [f"leaf  #{self.index}: {display_hex(self.leaf)}"]
        position = self.index
        for depth, sibling in enumerate(self.siblings):
            side = "left " if position & 1 else "right"
            lines.append(f"  level {depth}: sibling on the {side} {display_hex(sibling)}")
            position >>= 1
        lines.append(f"root     : {display_hex(self.root)}")
        return "\n".join(lines)

    def _repr_html_(self) -> str:  # Jupyter's rich display; the drawing lives in display.py
        from edu_chain.display import merkle_proof_html

        return merkle_proof_html(self)


@dataclass(frozen=True)
class MerkleTree:
    """A view of the whole tree over ``txids``: its levels, root, proofs and a drawing.

    ``str(tree)`` is the text drawing; in Jupyter the tree is drawn as SVG, and
    ``tree.show_proof(i)`` colours the proof of leaf ``i``.
    """

    txids: tuple[bytes, ...]  # the leaves, 32 bytes each, internal order

    def __post_init__(self) -> None:
        object.__setattr__(self, "txids", tuple(_check_leaves(self.txids)))

    @property
    def levels(self) -> list[list[bytes]]:
        return merkle_levels(self.txids)

    @property
    def root(self) -> bytes:
        return merkle_root(self.txids)

    def proof(self, index: int) -> MerkleProof:
        return MerkleProof.build(self.txids, index)

    def show_proof(self, index: int) -> _Html:
        """The drawing with the proof of leaf ``index`` coloured (display it in Jupyter)."""
        from edu_chain.display import merkle_tree_html

        return _Html(merkle_tree_html(self.levels, proof_index=index))

    def __str__(self) -> str:
        return render_merkle_tree(self.txids)

    def _repr_html_(self) -> str:
        from edu_chain.display import merkle_tree_html

        return merkle_tree_html(self.levels)


class _Html(str):
    """HTML text that Jupyter displays as HTML (and a terminal prints as text)."""

    def _repr_html_(self) -> str:
        return str(self)


def render_merkle_tree(txids: Sequence[bytes], *, width: int = 8) -> str:
    """A text drawing of the tree, root at the top, each node shown by its first hex digits.

    Duplicated nodes (the odd-level rule) are marked with ``*``.

    >>> print(render_merkle_tree([bytes([i]) * 32 for i in range(3)], width=4))
    root   2d55
    1      6db7 1d29
    leaves 0000 0101 0202 0202*
    """
    levels = merkle_levels(txids)
    rows = []
    for depth, level in enumerate(levels):
        cells = [display_hex(h)[:width] for h in level]
        if len(level) > 1 and len(level) % 2 == 1:
            cells.append(display_hex(level[-1])[:width] + "*")
        if depth == 0:
            label = "leaves"
        elif depth == len(levels) - 1:
            label = "root"
        else:
            label = str(depth)
        rows.append(f"{label:<6} " + " ".join(cells))
    return "\n".join(reversed(rows))
