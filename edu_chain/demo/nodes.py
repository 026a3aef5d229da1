"""The demo's only HTTP code: a few calls to a node's JSON API.

Every request the tour makes goes through :class:`NodeApi`, so switching the demo to another
client means changing this one file.  The endpoints are the node's fixed API
(``docs/architecture.md``, "Fixed interfaces"): ``GET /api/tip``, ``POST /api/mine``,
``POST /api/tx``, ``GET /api/address/{address}``, ``GET /api/mempool`` and the peer calls.
"""

from __future__ import annotations

from typing import Any

import httpx

from edu_chain.errors import EduChainError
from edu_chain.hashing import from_display_hex
from edu_chain.keys import address_to_pubkey_hash
from edu_chain.teaching_tx import OutPoint, TxOut

HTTP_TIMEOUT = 300.0  # seconds: mining a block on a busy laptop may take a while


class DemoError(EduChainError):
    """A step of the demo did not happen: a node refused a call or never did what was asked."""


class NodeApi:
    """One node of the demo's testnet, seen through its HTTP API."""

    def __init__(self, url: str) -> None:
        self.url = url

    def _call(self, method: str, path: str, body: dict | None = None) -> Any:
        """One call; a 4xx/5xx or an unreachable node becomes a :class:`DemoError`."""
        try:
            response = httpx.request(method, self.url + path, json=body, timeout=HTTP_TIMEOUT)
        except httpx.TransportError as error:
            raise DemoError(f"{method} {self.url}{path}: no answer ({error})") from None
        if response.status_code >= 400:
            try:
                error = response.json()["error"]
                reason = f"{error['code']}: {error['message']}"
            except (ValueError, KeyError, TypeError):
                reason = response.text[:300]
            raise DemoError(f"{method} {self.url}{path} -> {response.status_code} {reason}")
        return response.json()

    # --- reading -----------------------------------------------------------------------------

    def info(self) -> dict:
        return self._call("GET", "/api/info")

    def tip(self) -> dict:
        """``{"height": int, "hash": displayed hex, ...}``"""
        return self._call("GET", "/api/tip")

    def balance(self, address: str) -> int:
        return int(self._call("GET", f"/api/address/{address}")["balance"])

    def spendable_coins(self, address: str) -> dict[OutPoint, TxOut]:
        """The address's unspent outputs a new payment may spend (mature, not already spent
        by a transaction waiting in the mempool)."""
        body = self._call("GET", f"/api/address/{address}")
        pubkey_hash = address_to_pubkey_hash(address)
        return {
            OutPoint(from_display_hex(entry["txid"]), int(entry["index"])): TxOut(
                int(entry["amount"]), pubkey_hash
            )
            for entry in body["utxos"]
            if entry.get("spendable", True) and not entry.get("spent_in_mempool")
        }

    def transaction(self, txid: str) -> dict:
        return self._call("GET", f"/api/tx/{txid}")

    def mempool_txids(self) -> set[str]:
        return {t["txid"] for t in self._call("GET", "/api/mempool")["transactions"]}

    def recent_blocks(self, window: int) -> list[dict]:
        """The last ``window`` blocks' statistics (``hash``, ``work``, ``difficulty``...)."""
        return self._call("GET", f"/api/stats?window={window}")["blocks"]

    def fork_tree(self) -> list[dict]:
        """Every block the node knows, each with ``active`` telling if it is on the best chain."""
        return self._call("GET", "/api/forks")["blocks"]

    def peer_addresses(self) -> list[str]:
        return [peer["address"] for peer in self._call("GET", "/api/peers")["peers"]]

    # --- acting ------------------------------------------------------------------------------

    def mine(self, count: int, address: str) -> dict:
        """Mine ``count`` blocks now; ``{"blocks": [hash...], "tip": {...}}``."""
        return self._call("POST", "/api/mine", {"count": count, "address": address})

    def send_transaction(self, raw_hex: str) -> dict:
        """``{"txid": ..., "fee": ...}`` once the node accepted it into its mempool."""
        return self._call("POST", "/api/tx", {"hex": raw_hex})

    def connect(self, address: str) -> None:
        self._call("POST", "/api/peers", {"address": address})

    def disconnect(self, address: str) -> None:
        self._call("DELETE", f"/api/peers/{address}")
