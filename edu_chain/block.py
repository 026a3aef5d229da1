"""Block headers in Bitcoin's exact 80-byte format, and blocks.

Header layout (all integers little-endian; hashes in internal byte order)::

    offset size field        meaning
    0      4    version      int32, block version
    4      32   prev_hash    sha256d of the previous header (all zeros for a genesis block)
    36     32   merkle_root  Merkle root of the block's transaction ids (see merkle.py)
    68     4    timestamp    uint32, seconds since 1970-01-01 UTC
    72     4    bits         uint32, the proof-of-work target in compact form (see pow/)
    76     4    nonce        uint32, the number miners change to search for a valid hash

The header's hash is ``sha256d(serialize())``; its displayed id is that hash reversed, so real
Bitcoin headers parse, hash and show their familiar ids here.  A :class:`Block` is a header
plus its transactions; the first transaction is the coinbase.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import Any, Protocol, runtime_checkable

from edu_chain.encoding import (
    INT32_MAX,
    INT32_MIN,
    UINT32_MAX,
    ByteReader,
    bits_to_target,
    encode_varint,
    int32_le,
    parse_hex,
    require_int,
    uint32_le,
)
from edu_chain.errors import DecodeError, ValidationError
from edu_chain.hashing import HASH_SIZE, display_hex, hash_to_int, sha256d
from edu_chain.merkle import merkle_root

HEADER_SIZE = 80


@dataclass(frozen=True)
class BlockHeader:
    """The 80-byte header that proof-of-work protects."""

    version: int  # int32 LE
    prev_hash: bytes  # 32 bytes, internal order
    merkle_root: bytes  # 32 bytes, internal order
    timestamp: int  # uint32 LE, unix seconds
    bits: int  # uint32 LE, compact target
    nonce: int  # uint32 LE

    def __post_init__(self) -> None:
        for name in ("prev_hash", "merkle_root"):
            value = getattr(self, name)
            if not isinstance(value, bytes) or len(value) != HASH_SIZE:
                size = f"{len(value)} bytes" if isinstance(value, bytes) else type(value).__name__
                raise ValueError(f"{name} must be 32 bytes (internal order), got {size}")
        require_int("version", self.version, INT32_MIN, INT32_MAX)
        for name in ("timestamp", "bits", "nonce"):
            require_int(name, getattr(self, name), 0, UINT32_MAX)

    def serialize(self) -> bytes:
        """The 80 bytes that are hashed and sent over the wire."""
        return (
            int32_le(self.version)
            + self.prev_hash
            + self.merkle_root
            + uint32_le(self.timestamp)
            + uint32_le(self.bits)
            + uint32_le(self.nonce)
        )

    @classmethod
    def parse(cls, raw: bytes) -> BlockHeader:
        """Parse exactly 80 bytes; any other length is a :class:`DecodeError`."""
        if not isinstance(raw, bytes | bytearray | memoryview):
            raise TypeError(f"a header is parsed from bytes, got {type(raw).__name__}")
        if len(raw) != HEADER_SIZE:
            raise DecodeError(
                "decode-bad-length", f"a block header is exactly 80 bytes, got {len(raw)} bytes"
            )
        reader = ByteReader(raw, what="block header")
        return cls(
            version=reader.int32("version"),
            prev_hash=reader.read(32, "prev_hash"),
            merkle_root=reader.read(32, "merkle_root"),
            timestamp=reader.uint32("timestamp"),
            bits=reader.uint32("bits"),
            nonce=reader.uint32("nonce"),
        )

    @classmethod
    def from_hex(cls, text: str) -> BlockHeader:
        """Parse a header from 160 hex characters (the raw bytes, not reversed)."""
        return cls.parse(parse_hex(text, what="block header hex", length=HEADER_SIZE))

    def hash(self) -> bytes:
        """sha256d of the header, internal byte order."""
        return sha256d(self.serialize())

    def hash_int(self) -> int:
        """The hash as the number compared with the target."""
        return hash_to_int(self.hash())

    @property
    def id(self) -> str:
        """The displayed block id (reversed hex), as in block explorers."""
        return display_hex(self.hash())

    def with_nonce(self, nonce: int) -> BlockHeader:
        return replace(self, nonce=nonce)

    def to_dict(self) -> dict[str, Any]:
        """JSON-friendly fields, hashes in displayed order."""
        return {
            "hash": self.id,
            "version": self.version,
            "prev_hash": display_hex(self.prev_hash),
            "merkle_root": display_hex(self.merkle_root),
            "timestamp": self.timestamp,
            "bits": f"{self.bits:08x}",
            "nonce": self.nonce,
        }

    def _repr_html_(self) -> str:  # Jupyter's rich display; the drawing lives in display.py
        from edu_chain.display import header_html

        return header_html(self, target=self._target_or_none())

    def _target_or_none(self) -> int | None:
        """The target ``bits`` encodes, or None when it encodes none (negative, too wide)."""
        try:
            return bits_to_target(self.bits)
        except ValidationError:
            return None


@runtime_checkable
class HasTxid(Protocol):
    """What a block needs of a transaction: an id (``txid``, 32 bytes) and a serialization."""

    txid: bytes

    def serialize(self) -> bytes: ...


def txid_of(tx: HasTxid) -> bytes:
    """``tx.txid``, the 32-byte id a block's Merkle tree commits to (called first when a
    transaction-like object offers it as a method)."""
    txid = tx.txid
    return txid() if callable(txid) else txid


@dataclass(frozen=True)
class Block:
    """A header and its transactions (the first one is the coinbase).

    Serialized as: 80-byte header, CompactSize transaction count, the transactions.
    """

    header: BlockHeader
    transactions: tuple[HasTxid, ...]

    def __post_init__(self) -> None:
        if not isinstance(self.header, BlockHeader):
            raise TypeError(f"header must be a BlockHeader, got {type(self.header).__name__}")
        if not isinstance(self.transactions, tuple):
            object.__setattr__(self, "transactions", tuple(self.transactions))
        for position, tx in enumerate(self.transactions):
            # Duck typing (see HasTxid) keeps block.py below tx.py in the layers.
            if not (hasattr(tx, "txid") and hasattr(tx, "serialize")):
                raise TypeError(
                    f"transaction {position} must have txid and serialize(), "
                    f"got {type(tx).__name__}"
                )

    def hash(self) -> bytes:
        return self.header.hash()

    @property
    def id(self) -> str:
        return self.header.id

    def txids(self) -> list[bytes]:
        return [txid_of(tx) for tx in self.transactions]

    def _repr_html_(self) -> str:  # Jupyter's rich display; the drawing lives in display.py
        from edu_chain.display import block_html

        computed = self.compute_merkle_root() if self.transactions else None
        return block_html(self, target=self.header._target_or_none(), computed_root=computed)

    def compute_merkle_root(self) -> bytes:
        """The Merkle root of this block's transactions (compare with ``header.merkle_root``)."""
        return merkle_root(self.txids())

    def serialize(self) -> bytes:
        return (
            self.header.serialize()
            + encode_varint(len(self.transactions))
            + b"".join(tx.serialize() for tx in self.transactions)
        )

    @classmethod
    def parse(cls, raw: bytes, parse_tx: Callable[[ByteReader], HasTxid]) -> Block:
        """Parse a serialized block; ``parse_tx`` reads one transaction from a reader."""
        reader = ByteReader(raw, what="block")
        header = BlockHeader.parse(reader.read(HEADER_SIZE, "header"))
        count = reader.count("transaction count", 1)
        transactions = tuple(parse_tx(reader) for _ in range(count))
        reader.expect_end()
        return cls(header, transactions)

    @classmethod
    def build(cls, header: BlockHeader, transactions: Sequence[HasTxid]) -> Block:
        """A block whose header commits to ``transactions`` (the Merkle root is filled in)."""
        txs = tuple(transactions)
        return cls(replace(header, merkle_root=merkle_root([txid_of(t) for t in txs])), txs)


def parse_block(raw: bytes) -> Block:
    """Parse a serialized block of real Bitcoin transactions (:class:`edu_chain.tx.Transaction`,
    segwit included)."""
    from edu_chain.tx import Transaction  # tx sits below block; imported here to keep
    # ``import edu_chain.block`` light (headers alone need no keys or scripts)

    return Block.parse(raw, Transaction.read)
