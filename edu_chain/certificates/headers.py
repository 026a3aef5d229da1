"""A header chain in a file: what lets ``verify --headers FILE`` run with no node at all.

``educhain certificates export-headers`` writes every header of a node's active chain::

    {"format": "edu_chain-headers", "version": 1, "network": "edu-regtest",
     "headers": ["<80-byte header as hex>", ...]}          genesis first

Reading the file checks what a Bitcoin light client checks (whitepaper section 8) before
trusting any header in it:

1. the first header is the network's genesis block (:class:`~edu_chain.chain.params.ChainParams`);
2. each header's ``prev_hash`` is the hash of the one before (linkage);
3. each header's hash meets its own target (proof-of-work);
4. each header's ``bits`` is what the retarget rule demands at its height
   (:mod:`edu_chain.chain.retarget`), so nobody can pad the chain with cheap blocks;
5. the chain's total work is the sum of the blocks' work; of several files, the verifier
   keeps the valid chain with the most work (the fork-choice rule).

A transaction is then shown to be in block ``B`` by its Merkle path to ``B``'s merkle_root
(``anchor.py``), and ``B``'s depth under the tip gives its confirmations.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from edu_chain.block import BlockHeader
from edu_chain.chain import retarget
from edu_chain.chain.params import ChainParams
from edu_chain.errors import EduChainError
from edu_chain.hashing import display_hex
from edu_chain.pow.target import bits_to_target, block_work

HEADERS_FORMAT = "edu_chain-headers"
HEADERS_VERSION = 1


class HeaderChainError(EduChainError, ValueError):
    """A header file that is not one, or whose chain breaks a rule (the message says where)."""


@dataclass
class HeaderChain:
    """A checked chain of headers: heights by hash, total work."""

    network: str
    headers: list[BlockHeader]
    heights: dict[bytes, int] = field(default_factory=dict)
    chainwork: int = 0

    @property
    def tip_height(self) -> int:
        return len(self.headers) - 1

    @property
    def tip_hash(self) -> str:
        return self.headers[-1].id


def check_header_chain(network: str, headers: Sequence[BlockHeader]) -> HeaderChain:
    """Check rules 1-4 of the module docstring; :class:`HeaderChainError` names the first
    broken one and the height."""
    try:
        params = ChainParams.by_name(network)
    except ValueError as error:
        raise HeaderChainError(str(error)) from None
    if not headers:
        raise HeaderChainError("the header file holds no header")
    if headers[0].hash() != params.genesis_hash:
        raise HeaderChainError(
            f"header 0 is {headers[0].id}, not the {network} genesis block "
            f"{display_hex(params.genesis_hash)}"
        )
    chain = HeaderChain(network, list(headers))
    for height, header in enumerate(headers):
        block_hash = header.hash()
        if height > 0:
            parent = headers[height - 1]
            if header.prev_hash != parent.hash():
                raise HeaderChainError(
                    f"header {height} does not link: its prev_hash is "
                    f"{display_hex(header.prev_hash)}, header {height - 1} is {parent.id}"
                )
            start = None
            if retarget.is_retarget_height(height, params):
                start = headers[retarget.window_start_height(height, params)].timestamp
            expected = retarget.next_bits(height, parent.bits, parent.timestamp, start, params)
            if header.bits != expected:
                raise HeaderChainError(
                    f"header {height} has bits {header.bits:08x}; the retarget rule demands "
                    f"{expected:08x}"
                )
        if int.from_bytes(block_hash, "little") > bits_to_target(header.bits):
            raise HeaderChainError(f"header {height} ({header.id}) does not meet its target")
        chain.heights[block_hash] = height
        chain.chainwork += block_work(header.bits)
    return chain


def headers_json(network: str, headers: Sequence[bytes]) -> dict:
    """The file's JSON for raw 80-byte headers, genesis first."""
    return {
        "format": HEADERS_FORMAT,
        "version": HEADERS_VERSION,
        "network": network,
        "headers": [raw.hex() for raw in headers],
    }


def load_header_chain(path: Path | str) -> HeaderChain:
    """Read and check a header file (:func:`check_header_chain`)."""
    path = Path(path)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as error:
        raise HeaderChainError(f"cannot read the header file {path}: {error}") from None
    if not isinstance(data, dict) or data.get("format") != HEADERS_FORMAT:
        raise HeaderChainError(f"{path} is not an edu_chain header file (no format field)")
    raw = data.get("headers")
    if not isinstance(raw, list) or not all(isinstance(item, str) for item in raw):
        raise HeaderChainError(f"{path}: field 'headers' must be a list of hex strings")
    try:
        headers = [BlockHeader.parse(bytes.fromhex(item)) for item in raw]
    except (ValueError, EduChainError) as error:
        raise HeaderChainError(f"{path}: a header does not parse ({error})") from None
    return check_header_chain(str(data.get("network")), headers)


def best_chain(chains: Sequence[HeaderChain]) -> HeaderChain:
    """The chain with the most work (first one on a tie, as a node keeps the first seen)."""
    return max(chains, key=lambda chain: chain.chainwork)
