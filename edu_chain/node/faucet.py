"""The classroom faucet: coins from the node's wallet for anyone who asks, within limits.

A faucet is how a participant without mining power gets coins to send.  It pays from the
node's own wallet (filled by mining: coinbase outputs become spendable after
``coinbase_maturity`` blocks), so it needs a node that has mined.

Limits, so one eager script cannot drain it: at most ``faucet_per_address`` requests per
address and ``faucet_per_ip`` per client IP address, each a ``(count, seconds)`` sliding
window, and at most ``faucet_max`` base units per request.  A refused request gets the code
``faucet-rate-limited`` and the seconds to wait (the HTTP API sends them as ``Retry-After``).

The coins the wallet may spend are the chain's unspent outputs that no mempool transaction
already spends, plus outputs of mempool transactions paid to the wallet (change), so two
faucet payments in the same block interval never try to spend the same coin.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable, Iterable
from typing import Any

from edu_chain.chain.coins import Coin
from edu_chain.errors import NodeError
from edu_chain.node.state import NodeState, parse_address
from edu_chain.tx import OutPoint, Transaction
from edu_chain.wallet import InsufficientFundsError, Wallet, format_coins


class FaucetError(NodeError):
    """The faucet refused: ``code`` is ``faucet-rate-limited``, ``faucet-empty`` or
    ``faucet-amount``; ``retry_after`` is in seconds when waiting helps."""

    def __init__(self, code: str, message: str, retry_after: float | None = None) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message
        self.retry_after = retry_after


class RateLimiter:
    """At most ``limit`` events per ``window`` seconds for each key (a sliding window)."""

    def __init__(
        self, limit: int, window: float, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.limit = limit
        self.window = window
        self.clock = clock
        self._events: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def wait_time(self, key: str) -> float:
        """Seconds until ``key`` may act again (0.0: now)."""
        with self._lock:
            events = self._prune(key)
            if len(events) < self.limit:
                return 0.0
            return max(0.0, events[0] + self.window - self.clock())

    def record(self, key: str) -> None:
        with self._lock:
            self._prune(key).append(self.clock())

    def _prune(self, key: str) -> deque[float]:
        events = self._events.setdefault(key, deque())
        horizon = self.clock() - self.window
        while events and events[0] <= horizon:
            events.popleft()
        if not events and len(self._events) > 10_000:  # forget idle keys, bound memory
            self._events = {k: v for k, v in self._events.items() if v}
            self._events[key] = events
        return events


class SpendableView:
    """The node wallet's coins as :meth:`Wallet.coins` reads them (see the module docstring)."""

    def __init__(self, state: NodeState) -> None:
        self.state = state
        self.params = state.params
        self.height = state.chain.height

    def utxos_for(self, script_pubkey: bytes) -> Iterable[tuple[OutPoint, Any]]:
        mempool = self.state.mempool
        for outpoint, coin in self.state.chain.utxos_for(script_pubkey):
            if outpoint not in mempool.spenders:
                yield outpoint, coin
        for entry in mempool:
            for index, output in enumerate(entry.tx.outputs):
                outpoint = OutPoint(entry.txid, index)
                if output.script_pubkey == script_pubkey and outpoint not in mempool.spenders:
                    yield outpoint, Coin(output, self.height + 1, False)


class Faucet:
    """Rate-limited payments from ``wallet`` (the node's), over the coins of ``state``.

    ``submit_tx`` puts a payment into the mempool and relays it (the node's ``submit_tx``).
    Limits: ``amount`` (default per request), ``max_amount``, and ``(count, seconds)``
    windows ``per_address`` and ``per_ip``.
    """

    def __init__(
        self,
        state: NodeState,
        wallet: Wallet,
        *,
        submit_tx: Callable[[Transaction], object],
        amount: int,
        max_amount: int,
        per_address: tuple[int, float] = (1, 60.0),
        per_ip: tuple[int, float] = (10, 60.0),
    ) -> None:
        self.state = state
        self.wallet = wallet
        self.submit_tx = submit_tx
        self.default_amount = amount
        self.max_amount = max_amount
        self.per_address = RateLimiter(*per_address)
        self.per_ip = RateLimiter(*per_ip)
        self._lock = threading.Lock()  # check-then-record must not interleave

    def request(self, address: str, amount: int | None, client: str) -> Transaction:
        """Pay ``amount`` (default: the faucet's) to ``address``; raises FaucetError."""
        with self._lock:
            return self._request(address, amount, client)

    def _request(self, address: str, amount: int | None, client: str) -> Transaction:
        parse_address(address)  # a KeyFormatError for a bad address
        amount = self.default_amount if amount is None else amount
        if not 1 <= amount <= self.max_amount:
            raise FaucetError(
                "faucet-amount",
                f"the faucet pays 1 to {self.max_amount} base units "
                f"({format_coins(self.max_amount)} coins) per request, {amount} was asked",
            )
        for limiter, key, what in (
            (self.per_address, address, f"address {address}"),
            (self.per_ip, client, f"client {client}"),
        ):
            wait = limiter.wait_time(key)
            if wait > 0:
                raise FaucetError(
                    "faucet-rate-limited",
                    f"{what} reached the faucet's limit of {limiter.limit} request(s) per "
                    f"{limiter.window:g} s; try again in {wait:.0f} s",
                    retry_after=wait,
                )
        try:
            tx = self.pay(address, amount)
        except InsufficientFundsError as exc:
            raise FaucetError(
                "faucet-empty",
                f"the faucet's wallet cannot pay {format_coins(amount)} coins: {exc}. "
                "Mine some blocks to the node's wallet first (POST /api/mine).",
            ) from None
        self.per_address.record(address)
        self.per_ip.record(client)
        return tx

    def pay(self, address: str, amount: int) -> Transaction:
        """Pay from the wallet, without limits: build over the coins no mempool transaction
        spends yet (plus our own pending change), then submit and relay."""
        with self.state.lock:
            tx = self.wallet.build_payment(SpendableView(self.state), address, amount)
            self.submit_tx(tx)
        return tx
