"""The JSON bodies the node's HTTP API accepts (docs/architecture.md#node-and-testnet), as pydantic
models, and the answers whose shape the OpenAPI document publishes.

Every field is *strict* (``"5"`` is not the integer 5, ``1`` is not ``true``) and bounded
(lengths, counts, ranges), so malformed input is refused with a 400 ``invalid-request`` error
before any route runs: nothing changes on the node (see :mod:`edu_chain.node.api_errors`).
Unknown fields are ignored, so a newer client can talk to an older node.
"""

from __future__ import annotations

import re
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field
from pydantic_core import PydanticCustomError

MAX_MINE_COUNT = 1_000  # blocks per POST /api/mine
MAX_MINE_TRANSACTIONS = 100  # transactions a POST /api/mine may put in its block
MAX_ADDRESS_CHARS = 100  # Base58Check ~34 characters, bech32 (bcrt1...) 44 or 64
MAX_PEER_CHARS = 300  # "host:port", hostnames up to 253 characters (also AnnounceBody.sender)

# The patterns the OpenAPI document publishes, checked with the same regular expressions.
HEX_PATTERN = r"^(?:[0-9a-fA-F]{2})+$"  # raw bytes: an even number of hex digits, at least 2
HASH_PATTERN = r"^[0-9a-fA-F]{64}$"  # a displayed block hash or txid
ADDRESS_PATTERN = (
    r"^(?:[1-9A-HJ-NP-Za-km-z]{25,35}"  # Base58 (no 0, O, I, l): P2PKH m/n..., P2SH 2...
    r"|bcrt1[02-9ac-hj-np-z]{8,87}|BCRT1[02-9AC-HJ-NP-Z]{8,87})$"  # bech32, one case
)  # checksums are checked by the route (400 bad-address): a JSON schema cannot say them
_PORT = r"(?:6553[0-5]|655[0-2][0-9]|65[0-4][0-9]{2}|6[0-4][0-9]{3}|[1-5][0-9]{4}|[1-9][0-9]{0,3})"
PEER_PATTERN = r"^(?:http://)?(?:[A-Za-z0-9.\-]{1,253}|\[[0-9A-Fa-f:.]{2,45}\]):" + _PORT + r"/?$"
PEER_PATH_PATTERN = r"^(?:[A-Za-z0-9.\-]{1,253}|\[[0-9A-Fa-f:.]{2,45}\]):" + _PORT + "$"
NETWORK_PATTERN = r"^[a-z0-9][a-z0-9-]{0,99}$"


def constrained(
    pattern: str, code: str, what: str, example: str | None = None, *, in_path: bool = False
) -> Any:
    """A string field (or, ``in_path``, a path parameter) that must match ``pattern``: the
    pattern is published in the OpenAPI document, and a mismatch is refused with the stable
    reason ``code`` (400, see :mod:`edu_chain.node.api_errors`)."""
    compiled = re.compile(pattern)

    def check(value: str) -> str:
        if not compiled.fullmatch(value):
            shown = value if len(value) <= 80 else value[:77] + "..."
            raise PydanticCustomError(code, f"{what}, got {shown!r}")  # type: ignore[arg-type]
        return value

    schema: dict[str, Any] = {"pattern": pattern}
    if example is not None:
        schema["examples"] = [example]
    if in_path:
        from fastapi import Path

        return Path(json_schema_extra=schema), AfterValidator(check)
    return Field(strict=True, json_schema_extra=schema), AfterValidator(check)


_hex = constrained(HEX_PATTERN, "decode-bad-hex", "expected raw bytes as hex (pairs of 0-9a-f)")
_hash = constrained(HASH_PATTERN, "decode-bad-hex", "expected a hash: 64 hex digits")
_address = constrained(
    ADDRESS_PATTERN, "bad-address", "expected a regtest address (bcrt1... bech32, or Base58Check)"
)
_peer = constrained(
    PEER_PATTERN,
    "bad-peer-address",
    "expected 'host:port' (example: 127.0.0.1:8333)",
    "127.0.0.1:8333",
)

RawHex = Annotated[str, *_hex]
HashHex = Annotated[str, *_hash]
Address = Annotated[str, *_address]
PeerAddress = Annotated[str, Field(max_length=MAX_PEER_CHARS), *_peer]


def _whole_float_to_int(value: object) -> object:
    """JSON Schema counts ``5.0`` as an integer, so the node does too; strict validation
    still refuses ``"5"``, ``true`` and ``5.5``."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def Count(low: int, high: int | None = None) -> Any:
    """A strict JSON integer in ``[low, high]`` (``5.0`` allowed, see above)."""
    # The before-validator goes last: it then runs first, ahead of the strict check.
    return Annotated[int, Field(strict=True, ge=low, le=high), BeforeValidator(_whole_float_to_int)]


# Path parameters: the same checks, published as the parameter's schema.
HashPath = Annotated[
    str, *constrained(HASH_PATTERN, "decode-bad-hex", "expected 64 hex digits", in_path=True)
]
AddressPath = Annotated[
    str,
    *constrained(
        ADDRESS_PATTERN,
        "bad-address",
        "expected a regtest address (bcrt1... or Base58Check)",
        in_path=True,
    ),
]
PeerPath = Annotated[
    str,
    *constrained(
        PEER_PATH_PATTERN,
        "bad-peer-address",
        "expected 'host:port'",
        "127.0.0.1:8333",
        in_path=True,
    ),
]


class ErrorDetail(BaseModel):
    """A refusal: a stable, kebab-case reason code and a sentence for people."""

    code: Annotated[str, Field(examples=["bad-txns-inputs-missingorspent"])]
    message: str


class ErrorBody(BaseModel):
    """Every error the API returns: ``{"error": {"code": ..., "message": ...}}``."""

    error: ErrorDetail


# What each error status means on this API (the OpenAPI document's descriptions).
ERROR_STATUSES = {
    400: "Malformed input (`invalid-request`, `decode-*`, `bad-address`...) or a request "
    "the node's rules refuse (the rule's reason code)",
    401: "A control call without the token of a node reachable from the network (`token-required`)",
    403: "A wrong token (`bad-token`)",
    404: "No such block, transaction, height or peer",
    409: "The faucet's wallet has no coins to pay with (`faucet-empty`)",
    413: "The request body is over the node's size limit (`request-too-large`)",
    429: "The faucet's rate limit (`faucet-rate-limited`; see the Retry-After header)",
}


def error_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """The ``responses`` of a route that can fail with ``statuses``: each with the error
    model, so the OpenAPI document lists every error the operation returns."""
    return {
        status: {"model": ErrorBody, "description": ERROR_STATUSES[status]} for status in statuses
    }


class _Body(BaseModel):
    model_config = ConfigDict(extra="ignore")


class HexBody(_Body):
    """``POST /api/tx`` and ``POST /api/blocks``: raw bytes as hex."""

    hex: Annotated[RawHex, Field(description="raw bytes as hex")]


class MineBody(_Body):
    """``POST /api/mine``: how many blocks, who gets the coinbase (default: node wallet) and,
    optionally, raw transactions the first block must hold (consensus-checked, not policy)."""

    count: Count(1, MAX_MINE_COUNT) = 1
    address: Address | None = None
    transactions: Annotated[
        list[RawHex] | None,
        Field(
            max_length=MAX_MINE_TRANSACTIONS,
            description="raw transactions (hex) for the first block, in order: Core's "
            "generateblock; a fee below the relay minimum is fine, an invalid one is refused",
        ),
    ] = None


class FaucetBody(_Body):
    """``POST /api/faucet``: the address to pay and, optionally, how much (base units)."""

    address: Address
    amount: Annotated[Count(1) | None, Field(description="base units")] = None


class MiningBody(_Body):
    """``POST /api/mining``: change only the fields given."""

    enabled: Annotated[bool | None, Field(strict=True)] = None
    threads: Count(1, 256) | None = None
    address: Address | None = None


class PeerBody(_Body):
    """``POST /api/peers`` and ``POST /p2p/bye``: a peer's ``host:port``."""

    address: PeerAddress


class HelloBody(PeerBody):
    """``POST /p2p/hello``: the sender's address and the chain it is on."""

    network: Annotated[
        str,
        Field(strict=True, max_length=100, json_schema_extra={"pattern": NETWORK_PATTERN}),
    ]


class AnnounceBody(_Body):
    """``POST /p2p/announce``: new blocks and transactions from a peer, as hex."""

    sender: Annotated[PeerAddress | None, Field(alias="from")] = None
    blocks: Annotated[list[RawHex], Field(max_length=5_000)] = []
    txs: Annotated[list[RawHex], Field(max_length=50_000)] = []


class GetBlocksBody(_Body):
    """``POST /p2p/getblocks``: a block locator (displayed hashes) and a batch size."""

    locator: Annotated[list[HashHex], Field(max_length=200)]
    limit: Count(1, 1_000) = 250


# --- answers -------------------------------------------------------------------------------

MAX_HISTORY_PAGE = 100  # transactions per GET /api/address/{address}/history page
MAX_HISTORY_MEMPOOL = 100  # pending transactions listed with it


class SpentBy(BaseModel):
    """The input that spent an output: on the active chain (``height``) or in the mempool
    (``height`` null).  ``witness`` is that input's witness stack (hex); for a P2WSH output
    its last item is the witness script, shown as ``witness_script_asm``."""

    txid: str
    vin: int
    height: int | None
    witness: list[str]
    witness_script_asm: str | None


class HistoryInput(BaseModel):
    """One input of a transaction in an address's history (``outpoint`` null: a coinbase)."""

    vin: int
    outpoint: str | None
    amount: int | None  # null when this node does not know the output it spends
    address: str | None
    mine: bool  # it spends a coin of the address asked about


class HistoryOutput(BaseModel):
    """One output, and whether it is still unspent (``spent_by`` says who spent it)."""

    index: int
    amount: int
    address: str | None
    type: str
    mine: bool  # locked by the address asked about
    status: Annotated[str, Field(examples=["unspent", "spent", "spent-in-mempool"])]
    spent_by: SpentBy | None


class HistoryTx(BaseModel):
    """One transaction that paid the address or spent from it."""

    txid: str
    status: Annotated[str, Field(examples=["confirmed", "pending"])]
    height: int | None
    block_hash: str | None
    position: int | None  # in its block
    confirmations: int
    received: int  # base units paid to the address
    sent: int  # base units spent from the address
    fee: int | None  # null for a coinbase, or when an input is unknown
    coinbase: bool
    inputs: list[HistoryInput]
    outputs: list[HistoryOutput]


class AddressHistory(BaseModel):
    """``GET /api/address/{address}/history``: totals over the active chain, one page of its
    confirmed transactions (chain order, newest first unless ``order=asc``), and the
    mempool's transactions touching it."""

    address: str
    script_pubkey: str
    type: str
    tip_height: int
    balance: int  # confirmed: total_received - total_sent
    total_received: int
    total_sent: int
    tx_count: int  # confirmed transactions touching the address
    offset: int
    limit: int
    order: str
    transactions: list[HistoryTx]
    mempool_count: int
    mempool: list[HistoryTx]  # at most MAX_HISTORY_MEMPOOL


__all__ = [
    "ERROR_STATUSES",
    "MAX_HISTORY_MEMPOOL",
    "MAX_HISTORY_PAGE",
    "MAX_MINE_COUNT",
    "Address",
    "AddressHistory",
    "AddressPath",
    "AnnounceBody",
    "ErrorBody",
    "FaucetBody",
    "GetBlocksBody",
    "HashHex",
    "HashPath",
    "HelloBody",
    "HexBody",
    "HistoryInput",
    "HistoryOutput",
    "HistoryTx",
    "MineBody",
    "MiningBody",
    "PeerAddress",
    "PeerBody",
    "PeerPath",
    "RawHex",
    "SpentBy",
    "error_responses",
]
