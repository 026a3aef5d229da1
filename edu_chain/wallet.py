"""A wallet: keys in a keystore file, coins found in a UTXO view, payments built and signed.

**Keystore.**  A JSON file holding private keys *in plain text* -- fine for the local teaching
testnet, never for real money.  It is created with permissions ``0600`` (only you can read
it) and is never replaced unless you say so (``overwrite=True``, ``educhain wallet new
--force``): losing a keystore loses its coins.  Shape::

    {"format": "edu_chain-wallet", "version": 1,
     "keys": [{"secret": "<64 hex chars>", "address": "m..."}]}

**UTXO view.**  The wallet does not know the chain; it reads coins from any object that
maps ``OutPoint -> TxOut`` (a plain ``dict`` works) or ``OutPoint -> Coin`` (anything with
an ``.output`` TxOut, like the chain's UTXO set).  If the view also has
``utxos_for(pubkey_hash)``, the wallet asks it for its own coins instead of scanning all.

**Building a payment.**

1. *Coin selection*, largest first: take the wallet's coins from the biggest down until
   they cover ``amount + fee`` (few inputs keep the transaction small; the rule is simple
   enough to predict by hand).
2. Outputs: the payment first, then the *change* (inputs - amount - fee) back to the
   wallet, if there is any.  The fee is whatever inputs minus outputs leave; the miner takes it.
3. Sign every input with the key that owns the coin (``Transaction.sign_input``).
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal, Inexact, InvalidOperation, localcontext
from pathlib import Path
from typing import Any, Protocol

from edu_chain.errors import EduChainError, KeyFormatError
from edu_chain.keys import PrivateKey, address_to_pubkey_hash
from edu_chain.teaching_tx import COIN, MAX_MONEY, OutPoint, Transaction, TxIn, TxOut

KEYSTORE_FORMAT = "edu_chain-wallet"
KEYSTORE_VERSION = 1
KEYSTORE_MODE = 0o600
DEFAULT_FEE = 1_000
"""Default fee in base units (0.00001 coin)."""


class WalletError(EduChainError):
    """The wallet cannot do what was asked (bad keystore, no funds, bad amount...)."""


class KeystoreExistsError(WalletError, FileExistsError):
    """A keystore is already at that path and overwriting was not requested."""


class InsufficientFundsError(WalletError, ValueError):
    """The wallet's coins do not cover amount + fee.  ``needed`` and ``available`` in base units."""

    def __init__(self, needed: int, available: int, coin_count: int) -> None:
        self.needed = needed
        self.available = available
        super().__init__(
            f"insufficient funds: need {format_coins(needed)} coins ({needed} base units, "
            f"amount + fee) but the wallet has {format_coins(available)} coins "
            f"({available} base units) in {coin_count} unspent outputs"
        )


class ScannableUtxos(Protocol):
    """A UTXO set the wallet scans: ``items()`` gives ``(outpoint, TxOut or Coin)`` pairs."""

    def items(self) -> Iterable[tuple[OutPoint, Any]]: ...


class OwnerIndexedUtxos(Protocol):
    """A UTXO set indexed by owner, like the chain state: only our own coins are fetched."""

    def utxos_for(self, pubkey_hash: bytes) -> Iterable[tuple[OutPoint, Any]]: ...


UtxoView = ScannableUtxos | OwnerIndexedUtxos
"""Anything the wallet can find its coins in (a plain ``dict[OutPoint, TxOut]`` works)."""


@dataclass(frozen=True)
class OwnedCoin:
    """An unspent output the wallet can spend, and the key that owns it."""

    outpoint: OutPoint
    output: TxOut
    key: PrivateKey

    @property
    def amount(self) -> int:
        return self.output.amount


def _as_txout(value: Any) -> TxOut:
    if isinstance(value, TxOut):
        return value
    output = getattr(value, "output", None)
    if isinstance(output, TxOut):
        return output
    raise TypeError(f"a UTXO view maps OutPoint to TxOut or Coin, got {type(value).__name__}")


# --- amounts -----------------------------------------------------------------------------


def format_coins(amount: int) -> str:
    """Base units -> coins with 8 decimals.

    >>> format_coins(150_000_000), format_coins(1)
    ('1.50000000', '0.00000001')
    """
    sign = "-" if amount < 0 else ""
    whole, fraction = divmod(abs(amount), COIN)
    return f"{sign}{whole}.{fraction:08d}"


def parse_coins(text: str) -> int:
    """``"1.5"`` coins -> 150000000 base units; at most 8 decimals, positive, <= MAX_MONEY.

    >>> parse_coins("1.5"), parse_coins("0.00000001")
    (150000000, 1)
    """
    try:
        value = Decimal(str(text).strip())
    except InvalidOperation:
        raise WalletError(f"{text!r} is not an amount of coins (example: 1.5)") from None
    if not value.is_finite():  # NaN, sNaN, Infinity: Decimal parses them, money is not one
        raise WalletError(f"{text!r} is not an amount of coins (example: 1.5)")
    if not 0 <= value <= Decimal(MAX_MONEY) / COIN:  # before scaling, which could overflow
        raise WalletError(f"{text!r}: an amount must be between 0 and 21000000 coins")
    # Scale exactly: a result Decimal would round (more digits than its precision, or an
    # underflow to 0) is a fraction of a base unit, not an amount to round silently.
    with localcontext() as context:
        context.traps[Inexact] = True
        try:
            units = value * COIN
        except Inexact:
            units = None
    if units is None or units != units.to_integral_value():
        raise WalletError(f"{text!r}: amounts have at most 8 decimal places")
    return int(units)


# --- coin selection ----------------------------------------------------------------------


def select_coins(coins: Iterable[OwnedCoin], target: int) -> list[OwnedCoin]:
    """The largest coins first, until their sum reaches ``target``.

    Raises :class:`InsufficientFundsError` (with both amounts) if all coins together are
    not enough.  Ties are broken by outpoint so the choice is deterministic.
    """
    ordered = sorted(coins, key=lambda c: (-c.amount, c.outpoint.txid, c.outpoint.index))
    chosen: list[OwnedCoin] = []
    total = 0
    for coin in ordered:
        if total >= target:
            break
        chosen.append(coin)
        total += coin.amount
    if total < target:
        raise InsufficientFundsError(target, total, len(ordered))
    return chosen


# --- the wallet --------------------------------------------------------------------------


class Wallet:
    """Keys loaded from (and saved to) a keystore file."""

    def __init__(self, path: str | os.PathLike[str], keys: Iterable[PrivateKey]) -> None:
        self.path = Path(path)
        self.keys: list[PrivateKey] = list(keys)
        if not self.keys:
            raise WalletError("a wallet holds at least one key")

    # --- the keystore file ----------------------------------------------------------------

    @classmethod
    def create(
        cls,
        path: str | os.PathLike[str],
        *,
        overwrite: bool = False,
        keys: Iterable[PrivateKey] | None = None,
    ) -> Wallet:
        """Write a new keystore with one fresh key (or ``keys``); mode 0600.

        Refuses with :class:`KeystoreExistsError` if the file exists, unless ``overwrite``.
        """
        wallet = cls(path, keys if keys is not None else [PrivateKey.generate()])
        wallet._write(exclusive=not overwrite)
        return wallet

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> Wallet:
        """Read a keystore; :class:`WalletError` if it is missing or malformed."""
        path = Path(path)
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise WalletError(
                f"no wallet at {path}; create one with `educhain wallet new`"
            ) from None
        except (OSError, ValueError) as error:
            raise WalletError(f"cannot read the wallet at {path}: {error}") from None
        if not isinstance(data, dict) or data.get("format") != KEYSTORE_FORMAT:
            raise WalletError(f"{path} is not an edu_chain wallet (no format {KEYSTORE_FORMAT!r})")
        if data.get("version") != KEYSTORE_VERSION:
            raise WalletError(
                f"{path}: keystore version {data.get('version')!r} is not supported "
                f"(expected {KEYSTORE_VERSION})"
            )
        entries = data.get("keys") or []
        if not isinstance(entries, list):
            raise WalletError(
                f"{path}: field keys must be a list of keys, got {type(entries).__name__}"
            )
        keys = []
        for position, entry in enumerate(entries):
            try:
                keys.append(PrivateKey.from_bytes(bytes.fromhex(entry["secret"])))
            except (KeyError, TypeError, ValueError, KeyFormatError):
                # Never echo the secret itself into an error message.
                raise WalletError(f"{path}: key #{position} is malformed") from None
        if not keys:
            raise WalletError(f"{path}: a wallet holds at least one key, this keystore has none")
        return cls(path, keys)

    def save(self) -> None:
        """Rewrite this wallet's own keystore (after adding a key), atomically, mode 0600."""
        self._write(exclusive=False)

    def _write(self, *, exclusive: bool) -> None:
        payload = json.dumps(
            {
                "format": KEYSTORE_FORMAT,
                "version": KEYSTORE_VERSION,
                "warning": "private keys in plain text: for the local teaching testnet only",
                "keys": [
                    {"secret": key.to_bytes().hex(), "address": key.public_key.address()}
                    for key in self.keys
                ],
            },
            indent=2,
        )
        self.path.parent.mkdir(parents=True, exist_ok=True)
        if exclusive:
            try:
                fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, KEYSTORE_MODE)
            except FileExistsError:
                raise KeystoreExistsError(
                    f"a wallet already exists at {self.path}; refusing to overwrite it "
                    "(its keys would be lost). Use --force / overwrite=True if you mean it."
                ) from None
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                handle.write(payload)
            return
        # Write a private temporary file next to the target, then rename over it: a crash
        # leaves either the old keystore or the new one, never half of one.
        fd, temporary = tempfile.mkstemp(dir=self.path.parent, prefix=".wallet-", suffix=".tmp")
        try:
            os.fchmod(fd, KEYSTORE_MODE)
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                handle.write(payload)
            os.replace(temporary, self.path)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise

    # --- keys and addresses ---------------------------------------------------------------

    def new_key(self) -> PrivateKey:
        """Add a fresh key and save the keystore; returns the key."""
        key = PrivateKey.generate()
        self.keys.append(key)
        self.save()
        return key

    @property
    def address(self) -> str:
        """The first (default) address: where change goes."""
        return self.keys[0].public_key.address()

    def addresses(self) -> list[str]:
        return [key.public_key.address() for key in self.keys]

    def _keys_by_hash(self) -> dict[bytes, PrivateKey]:
        return {key.public_key.pubkey_hash(): key for key in self.keys}

    # --- coins ----------------------------------------------------------------------------

    def coins(self, utxos: UtxoView, *, spendable_only: bool = False) -> list[OwnedCoin]:
        """The wallet's unspent outputs in ``utxos``, largest first.

        With ``spendable_only``, coinbase outputs that are not yet mature are left out.  That
        needs to know the coin's ``height`` and ``is_coinbase`` (the chain's ``Coin`` has both)
        and the view's ``height`` and ``params.coinbase_maturity`` (the chain state has both);
        a view without them (a plain dict of TxOut) is taken as all spendable.
        """
        by_hash = self._keys_by_hash()
        found: list[OwnedCoin] = []
        utxos_for = getattr(utxos, "utxos_for", None)
        if callable(utxos_for):
            pairs: Iterable[tuple[OutPoint, Any]] = [
                pair for pubkey_hash in by_hash for pair in utxos_for(pubkey_hash)
            ]
        else:
            pairs = utxos.items()  # type: ignore[union-attr]
        tip_height = getattr(utxos, "height", None)
        maturity = getattr(getattr(utxos, "params", None), "coinbase_maturity", None)
        for outpoint, value in pairs:
            output = _as_txout(value)
            key = by_hash.get(output.pubkey_hash)
            if key is None:
                continue
            if (
                spendable_only
                and isinstance(tip_height, int)
                and isinstance(maturity, int)
                and getattr(value, "is_coinbase", False)
                # the chain's rule: a block at tip + 1 may spend it after `maturity` blocks
                and tip_height + 1 - value.height < maturity
            ):
                continue
            found.append(OwnedCoin(outpoint, output, key))
        found.sort(key=lambda c: (-c.amount, c.outpoint.txid, c.outpoint.index))
        return found

    def balance(self, utxos: UtxoView, *, spendable_only: bool = False) -> int:
        """Sum of the wallet's coins in ``utxos``, in base units (see :meth:`coins`)."""
        return sum(coin.amount for coin in self.coins(utxos, spendable_only=spendable_only))

    def build_payment(
        self,
        utxos: UtxoView,
        to_address: str,
        amount: int,
        fee: int = DEFAULT_FEE,
        *,
        change_address: str | None = None,
    ) -> Transaction:
        """A signed transaction paying ``amount`` to ``to_address``, change to ourselves."""
        if not isinstance(amount, int) or not 0 < amount <= MAX_MONEY:
            raise WalletError(f"amount must be 1..{MAX_MONEY} base units, got {amount!r}")
        if not isinstance(fee, int) or not 0 <= fee <= MAX_MONEY:
            raise WalletError(f"fee must be 0..{MAX_MONEY} base units, got {fee!r}")
        recipient = address_to_pubkey_hash(to_address)
        change_to = address_to_pubkey_hash(change_address or self.address)
        chosen = select_coins(self.coins(utxos, spendable_only=True), amount + fee)
        change = sum(coin.amount for coin in chosen) - amount - fee
        outputs = [TxOut(amount, recipient)]
        if change > 0:
            outputs.append(TxOut(change, change_to))
        tx = Transaction(
            version=1,
            inputs=tuple(TxIn(coin.outpoint) for coin in chosen),
            outputs=tuple(outputs),
        )
        for index, coin in enumerate(chosen):
            tx = tx.sign_input(index, coin.key, coin.output)
        return tx
