"""The JSON bodies the node's HTTP API accepts (DESIGN.md section 7), as pydantic models.

Every field is *strict* (``"5"`` is not the integer 5, ``1`` is not ``true``) and bounded
(lengths, counts, ranges), so malformed input is refused with a 400 ``invalid-request`` error
before any route runs: nothing changes on the node (see :mod:`edu_chain.node.api_errors`).
Unknown fields are ignored, so a newer client can talk to an older node.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

MAX_MINE_COUNT = 1_000  # blocks per POST /api/mine
MAX_ADDRESS_CHARS = 100  # a Base58Check address is ~34 characters
MAX_PEER_CHARS = 300  # "host:port", hostnames up to 253 characters (also AnnounceBody.sender)


class _Body(BaseModel):
    model_config = ConfigDict(extra="ignore")


class HexBody(_Body):
    """``POST /api/tx`` and ``POST /api/blocks``: raw bytes as hex."""

    hex: Annotated[str, Field(strict=True, min_length=1, description="raw bytes as hex")]


class MineBody(_Body):
    """``POST /api/mine``: how many blocks, and who gets the coinbase (default: node wallet)."""

    count: Annotated[int, Field(strict=True, ge=1, le=MAX_MINE_COUNT)] = 1
    address: Annotated[str | None, Field(strict=True, max_length=MAX_ADDRESS_CHARS)] = None


class FaucetBody(_Body):
    """``POST /api/faucet``: the address to pay and, optionally, how much (base units)."""

    address: Annotated[str, Field(strict=True, max_length=MAX_ADDRESS_CHARS)]
    amount: Annotated[int | None, Field(strict=True, ge=1, description="base units")] = None


class MiningBody(_Body):
    """``POST /api/mining``: change only the fields given."""

    enabled: Annotated[bool | None, Field(strict=True)] = None
    threads: Annotated[int | None, Field(strict=True, ge=1, le=256)] = None
    address: Annotated[str | None, Field(strict=True, max_length=MAX_ADDRESS_CHARS)] = None


class PeerBody(_Body):
    """``POST /api/peers`` and ``POST /p2p/bye``: a peer's ``host:port``."""

    address: Annotated[
        str, Field(strict=True, max_length=MAX_PEER_CHARS, examples=["127.0.0.1:8333"])
    ]


class HelloBody(PeerBody):
    """``POST /p2p/hello``: the sender's address and the chain it is on."""

    network: Annotated[str, Field(strict=True, max_length=100)]


class AnnounceBody(_Body):
    """``POST /p2p/announce``: new blocks and transactions from a peer, as hex."""

    sender: Annotated[str | None, Field(strict=True, max_length=300, alias="from")] = None
    blocks: Annotated[list[Annotated[str, Field(strict=True)]], Field(max_length=5_000)] = []
    txs: Annotated[list[Annotated[str, Field(strict=True)]], Field(max_length=50_000)] = []


class GetBlocksBody(_Body):
    """``POST /p2p/getblocks``: a block locator (displayed hashes) and a batch size."""

    locator: Annotated[list[Annotated[str, Field(strict=True)]], Field(max_length=200)]
    limit: Annotated[int, Field(strict=True, ge=1, le=1_000)] = 250


__all__ = [
    "MAX_MINE_COUNT",
    "AnnounceBody",
    "FaucetBody",
    "GetBlocksBody",
    "HelloBody",
    "HexBody",
    "MineBody",
    "MiningBody",
    "PeerBody",
]
