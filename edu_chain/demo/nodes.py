"""The demo's view of a node: a few calls through :class:`~edu_chain.node.client.NodeClient`.

The tour's steps read plain dictionaries (as the node sends them), so :class:`NodeApi` keeps
that shape and turns every :class:`NodeClientError` into a :class:`DemoError` that names the
call.  The endpoints are the node's fixed API (``docs/architecture.md``, "Fixed interfaces").
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from edu_chain.errors import EduChainError
from edu_chain.node.client import NodeClient, NodeClientError
from edu_chain.script.address import REGTEST, address_to_script_pubkey
from edu_chain.tx import OutPoint, TxOut

HTTP_TIMEOUT = 300.0  # seconds: mining a block on a busy laptop may take a while
T = TypeVar("T")


class DemoError(EduChainError):
    """A step of the demo did not happen: a node refused a call or never did what was asked."""


class NodeApi:
    """One node of the demo's testnet, seen through its HTTP API."""

    def __init__(self, url: str) -> None:
        self.url = url

    def _call(self, what: str, call: Callable[[NodeClient], T]) -> T:
        """Run ``call`` on a client of this node; a refusal or no answer is a DemoError."""
        try:
            with NodeClient(self.url, timeout=HTTP_TIMEOUT) as client:
                return call(client)
        except NodeClientError as error:
            raise DemoError(f"{what} at {self.url}: {error.message}") from None

    # --- reading -----------------------------------------------------------------------------

    def info(self) -> dict:
        return self._call("GET /api/info", NodeClient.info)

    def tip(self) -> dict:
        """``{"height": int, "hash": displayed hex, "chainwork": hex}``"""
        return self._call("GET /api/tip", NodeClient.tip).to_dict()

    def balance(self, address: str) -> int:
        return int(self._call("GET /api/address", lambda c: c.address(address))["balance"])

    def spendable_coins(self, address: str) -> dict[OutPoint, TxOut]:
        """The address's unspent outputs a new payment may spend (mature, not already spent
        by a transaction waiting in the mempool)."""
        script = address_to_script_pubkey(address, REGTEST)
        return self._call("GET /api/address", lambda c: c.coins(address, script)).spendable

    def transaction(self, txid: str) -> dict:
        return self._call("GET /api/tx", lambda c: c.tx(txid))

    def mempool_txids(self) -> set[str]:
        return self._call("GET /api/mempool", NodeClient.mempool_txids)

    def recent_blocks(self, window: int) -> list[dict]:
        """The last ``window`` blocks' statistics (``hash``, ``work``, ``difficulty``...)."""
        return self._call("GET /api/stats", lambda c: c.stats(window))

    def fork_tree(self) -> list[dict]:
        """Every block the node knows, each with ``active`` telling if it is on the best chain."""
        return self._call("GET /api/forks", NodeClient.forks)["blocks"]

    def peer_addresses(self) -> list[str]:
        return self._call("GET /api/peers", NodeClient.peer_addresses)

    # --- acting ------------------------------------------------------------------------------

    def mine(self, count: int, address: str) -> dict:
        """Mine ``count`` blocks now; ``{"blocks": [hash...], "tip": {...}}``."""
        mined = self._call("POST /api/mine", lambda c: c.mine(count, address))
        return {"blocks": mined.blocks, "address": mined.address, "tip": mined.tip.to_dict()}

    def send_transaction(self, raw_hex: str) -> dict:
        """``{"txid": ..., "fee": ...}`` once the node accepted it into its mempool."""
        accepted = self._call("POST /api/tx", lambda c: c.submit_tx(raw_hex))
        return {"txid": accepted.txid, "fee": accepted.fee}

    def connect(self, address: str) -> None:
        self._call("POST /api/peers", lambda c: c.add_peer(address))

    def disconnect(self, address: str) -> None:
        self._call("DELETE /api/peers", lambda c: c.remove_peer(address))
