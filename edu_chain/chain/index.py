"""The block index: what a node remembers about every block it accepted.

Bitcoin Core keeps one ``CBlockIndex`` per block header it knows, linked to its parent, with
the block's height, the *chainwork* (total proof-of-work of the chain ending there) and a
validation status.  Following ``parent`` links from any entry walks its branch back to the
genesis; the entries together form a tree whose best branch is the active chain.

Also here: the event type that :class:`~edu_chain.chain.state.ChainState` sends its
listeners, and the result of submitting a block.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from edu_chain.block import Block, BlockHeader
from edu_chain.errors import ValidationError
from edu_chain.hashing import display_hex

# Block statuses, as stored in the database.
STORED = "stored"  # header and block checked on their own, never connected yet
VALID = "valid"  # connected at least once: fully validated
INVALID = "invalid"  # broke a rule (or descends from a block that did)


@dataclass(eq=False)
class BlockIndexEntry:
    """What the node knows about one block (``CBlockIndex`` in Bitcoin Core)."""

    hash: bytes  # internal order
    header: BlockHeader
    height: int
    chainwork: int  # total work of the chain ending here
    parent: BlockIndexEntry | None
    sequence: int  # first-seen order: the fork-choice tie-break
    status: str = STORED
    reason: str | None = None  # reject code when invalid
    received_at: int = 0
    children: list[BlockIndexEntry] = field(default_factory=list, repr=False)

    @property
    def id(self) -> str:
        return display_hex(self.hash)

    @property
    def timestamp(self) -> int:
        return self.header.timestamp

    def ancestor(self, height: int) -> BlockIndexEntry:
        """The block at ``height`` on the chain ending here (walks parent links)."""
        if not 0 <= height <= self.height:
            raise ValueError(f"height {height} is not in [0, {self.height}]")
        entry = self
        while entry.height > height:
            assert entry.parent is not None  # heights only decrease to 0 (genesis)
            entry = entry.parent
        return entry

    def to_dict(self) -> dict:
        return {
            "hash": self.id,
            "prev_hash": display_hex(self.header.prev_hash),
            "height": self.height,
            "chainwork": f"{self.chainwork:x}",
            "bits": f"{self.header.bits:08x}",
            "timestamp": self.header.timestamp,
            "status": self.status,
            "reason": self.reason,
            "received_at": self.received_at,
        }


@dataclass(frozen=True)
class ChainEvent:
    """Something happened to the chain.

    ``kind`` is one of ``"block_accepted"`` (stored; maybe on a side branch),
    ``"block_connected"``, ``"block_disconnected"``, ``"block_invalid"``, ``"tip_changed"``.
    ``block`` is None for ``tip_changed`` and ``block_invalid``.
    """

    kind: str
    entry: BlockIndexEntry
    block: Block | None = None
    error: ValidationError | None = None


@dataclass(frozen=True)
class SubmitResult:
    """What :meth:`ChainState.submit_block` did with a block.

    ``status``: ``"active"`` (the block is now on the active chain), ``"side-chain"`` (stored
    on a branch with no more work than the tip), ``"orphan"`` (parent unknown: kept until it
    arrives).  ``connected``/``disconnected`` list the blocks that joined or left the active
    chain (more than one during a reorg or when orphans were resolved).
    """

    status: str
    hash: bytes
    height: int | None
    connected: tuple[bytes, ...] = ()
    disconnected: tuple[bytes, ...] = ()

    @property
    def id(self) -> str:
        return display_hex(self.hash)

    @property
    def reorg(self) -> bool:
        return bool(self.disconnected)


Listener = Callable[[ChainEvent], None]
