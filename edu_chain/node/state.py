"""What the node's parts share: the chain, the mempool on top of it, and their one lock.

:class:`~edu_chain.node.service.Node` builds a :class:`NodeState` and hands it to its parts
(the miner, the faucet, the peers) together with the few actions each needs (``submit_block``,
``submit_tx``...), so no part imports the node that owns it: the package's imports run one
way, ``state`` -> ``miner``/``faucet``/``p2p`` -> ``service`` -> the routes -> ``api``.

Every change of the chain or the mempool happens while holding ``lock`` (the chain's own
re-entrant lock, which the mempool shares), and so does every read that walks the block index.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field

from edu_chain.chain import ChainParams, ChainState
from edu_chain.errors import DecodeError, KeyFormatError, NodeError
from edu_chain.mempool import Mempool
from edu_chain.script.address import REGTEST, address_to_script_pubkey


@dataclass(frozen=True)
class NodeState:
    """The chain state, its parameters and the mempool, behind one lock."""

    params: ChainParams
    chain: ChainState
    mempool: Mempool
    lock: threading.RLock = field(init=False, repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "lock", self.chain.lock)

    def tip_info(self) -> dict:
        """``GET /api/tip``: the active tip's height, displayed hash and chainwork (hex)."""
        with self.lock:
            tip = self.chain.tip
            return {"height": tip.height, "hash": tip.id, "chainwork": f"{tip.chainwork:x}"}


def parse_address(address: object) -> bytes:
    """A classroom (regtest) address -> the script_pubkey it stands for: bech32 ``bcrt1...``
    (P2WPKH, P2WSH) or Base58Check (P2PKH, P2SH); KeyFormatError (``bad-address``) if bad."""
    if not isinstance(address, str):
        raise NodeError("an address must be a string")
    try:
        return address_to_script_pubkey(address, REGTEST)
    except (DecodeError, KeyFormatError, ValueError) as exc:
        raise KeyFormatError(f"{address[:80]!r} is not a valid address: {exc}") from None


__all__ = ["NodeState", "parse_address"]
