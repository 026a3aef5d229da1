"""The :class:`Wallet`: keys from a keystore, its coins in a UTXO view, signed payments.

**UTXO view.**  The wallet does not know the chain; it reads coins from any object that
maps ``OutPoint -> TxOut`` (a plain ``dict`` works) or ``OutPoint -> Coin`` (anything with
an ``.output`` TxOut, like the chain's UTXO set).  If the view also has
``utxos_for(script_pubkey)``, the wallet asks it for the coins of each of its scriptPubKeys
(:attr:`Wallet.script_pubkeys`) instead of scanning them all.

**Payments.**  :meth:`Wallet.build_payment` chooses coins and the fee (``selection.py``),
adds change, and signs each input with the key owning its coin.  :meth:`Wallet.sign_psbt` is
the same wallet as one signer of a multisig spend (``multisig.py``, ``edu_chain/psbt/``).
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any, Protocol

from edu_chain.keys import PrivateKey
from edu_chain.psbt import Psbt
from edu_chain.psbt import sign as psbt_sign
from edu_chain.tx import OutPoint, Transaction
from edu_chain.wallet.addresses import (
    DEFAULT_ADDRESS_TYPE,
    address_of,
    check_address_type,
    decode_address,
    script_for_key,
)
from edu_chain.wallet.amounts import WalletError, check_amount
from edu_chain.wallet.keystore import read_keystore, write_keystore
from edu_chain.wallet.selection import (
    OwnedCoin,
    as_txout,
    check_locktime,
    fee_arguments,
    largest_first,
    payment_outputs,
    plan_payment,
    sign_coins,
)


class ScannableUtxos(Protocol):
    """A UTXO set the wallet scans: ``items()`` gives ``(outpoint, TxOut or Coin)`` pairs."""

    def items(self) -> Iterable[tuple[OutPoint, Any]]: ...


class OwnerIndexedUtxos(Protocol):
    """A UTXO set indexed by scriptPubKey, like the chain state: only our coins are fetched."""

    def utxos_for(self, script_pubkey: bytes) -> Iterable[tuple[OutPoint, Any]]: ...


UtxoView = ScannableUtxos | OwnerIndexedUtxos
"""Anything the wallet can find its coins in (a plain ``dict[OutPoint, TxOut]`` works)."""


def utxos_paying(utxos: UtxoView, scripts: Iterable[bytes]) -> list[tuple[OutPoint, Any]]:
    """The ``(outpoint, TxOut or Coin)`` pairs of ``utxos`` locked by one of ``scripts``."""
    wanted = list(dict.fromkeys(scripts))
    utxos_for = getattr(utxos, "utxos_for", None)
    if callable(utxos_for):
        return [pair for script in wanted for pair in utxos_for(script)]
    chosen = set(wanted)
    return [pair for pair in utxos.items() if as_txout(pair[1]).script_pubkey in chosen]  # type: ignore[union-attr]


def is_mature(utxos: UtxoView, coin: Any) -> bool:
    """False for a coinbase output a block at the view's tip + 1 may not spend yet.

    Needs the coin's ``height`` and ``is_coinbase`` (the chain's ``Coin`` has both) and the
    view's ``height`` and ``params.coinbase_maturity`` (the chain state has both); without
    them (a plain dict of TxOut) a coin counts as mature.
    """
    tip_height = getattr(utxos, "height", None)
    maturity = getattr(getattr(utxos, "params", None), "coinbase_maturity", None)
    if not (isinstance(tip_height, int) and isinstance(maturity, int)):
        return True
    if not getattr(coin, "is_coinbase", False):
        return True
    return tip_height + 1 - coin.height >= maturity


class Wallet:
    """Keys loaded from (and saved to) a keystore file, each with its address type."""

    def __init__(
        self,
        path: str | os.PathLike[str],
        keys: Iterable[PrivateKey],
        address_types: Iterable[str] | None = None,
    ) -> None:
        self.path = Path(path)
        self.keys: list[PrivateKey] = list(keys)
        if not self.keys:
            raise WalletError("a wallet holds at least one key")
        types = list(address_types) if address_types is not None else []
        types += [DEFAULT_ADDRESS_TYPE] * (len(self.keys) - len(types))
        if len(types) != len(self.keys):
            raise WalletError(f"{len(self.keys)} keys but {len(types)} address types")
        self.address_types: list[str] = [check_address_type(kind) for kind in types]

    def __repr__(self) -> str:
        return f"Wallet({str(self.path)!r}, {len(self.keys)} keys, address={self.address!r})"

    # --- the keystore file (keystore.py) --------------------------------------------------

    @classmethod
    def create(
        cls,
        path: str | os.PathLike[str],
        *,
        overwrite: bool = False,
        keys: Iterable[PrivateKey] | None = None,
        address_type: str = DEFAULT_ADDRESS_TYPE,
    ) -> Wallet:
        """Write a new keystore with one fresh key (or ``keys``), all receiving at
        ``address_type`` addresses; mode 0600.

        Refuses with :class:`KeystoreExistsError` if the file exists, unless ``overwrite``.
        """
        keys = list(keys) if keys is not None else [PrivateKey.generate()]
        wallet = cls(path, keys, [address_type] * len(keys))
        write_keystore(wallet.path, wallet.keys, wallet.address_types, exclusive=not overwrite)
        return wallet

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> Wallet:
        """Read a keystore (version 2, or 1); :class:`WalletError` if missing or malformed."""
        keys, types = read_keystore(Path(path))
        return cls(path, keys, types)

    def save(self) -> None:
        """Rewrite this wallet's own keystore (after adding a key), atomically, mode 0600."""
        write_keystore(self.path, self.keys, self.address_types, exclusive=False)

    # --- keys and addresses (addresses.py) ------------------------------------------------

    def new_key(self, address_type: str = DEFAULT_ADDRESS_TYPE) -> PrivateKey:
        """Add a fresh key receiving at an ``address_type`` address, save; returns the key."""
        check_address_type(address_type)
        key = PrivateKey.generate()
        self.keys.append(key)
        self.address_types.append(address_type)
        self.save()
        return key

    @property
    def script_pubkeys(self) -> list[bytes]:
        """The scriptPubKey of each key's address, in key order: what the wallet owns."""
        return [script_for_key(k, t) for k, t in zip(self.keys, self.address_types, strict=True)]

    @property
    def addresses(self) -> list[str]:
        """Each key's receive address, in key order."""
        return [address_of(script) for script in self.script_pubkeys]

    @property
    def address(self) -> str:
        """The first (default) address: where mined coins and change go."""
        return address_of(script_for_key(self.keys[0], self.address_types[0]))

    @property
    def public_keys(self) -> list[bytes]:
        """Each key's compressed public key (33 bytes, SEC 1), to share for multisig."""
        return [key.public_key.sec() for key in self.keys]

    # --- coins ----------------------------------------------------------------------------

    def coins(self, utxos: UtxoView, *, spendable_only: bool = False) -> list[OwnedCoin]:
        """The wallet's unspent outputs in ``utxos``, largest first.

        With ``spendable_only``, coinbase outputs that are not yet mature are left out (see
        :func:`is_mature` for what that reads from the view).
        """
        by_script = dict(zip(self.script_pubkeys, self.keys, strict=True))
        found = []
        for outpoint, value in utxos_paying(utxos, by_script):
            output = as_txout(value)
            key = by_script.get(output.script_pubkey)  # a view may give more than asked
            if key is None or (spendable_only and not is_mature(utxos, value)):
                continue
            found.append(OwnedCoin(outpoint, output, key))
        return largest_first(found)

    def balance(self, utxos: UtxoView, *, spendable_only: bool = False) -> int:
        """Sum of the wallet's coins in ``utxos``, in base units (see :meth:`coins`)."""
        return sum(coin.amount for coin in self.coins(utxos, spendable_only=spendable_only))

    # --- payments -------------------------------------------------------------------------

    def build_payment(
        self,
        utxos: UtxoView,
        to_address: str,
        amount: int,
        fee: int | None = None,
        *,
        fee_rate: float | None = None,
        change_address: str | None = None,
        data: bytes | None = None,
        locktime: int = 0,
    ) -> Transaction:
        """A signed transaction paying ``amount`` satoshis to ``to_address``.

        ``fee`` in satoshis, or ``fee_rate`` in sat/vB (default ``DEFAULT_FEE_RATE``);
        change to ``change_address`` (default: :attr:`address`); ``data`` (at most
        ``MAX_DATA_SIZE`` bytes) adds an OP_RETURN output recording it; ``locktime`` (a height
        or a Unix time) keeps the transaction out of blocks until then.  See ``selection.py``
        for the rule.
        """
        check_amount("amount", amount, low=1)
        return self.build_transaction(
            utxos,
            [(to_address, amount)],
            fee,
            fee_rate=fee_rate,
            change_address=change_address,
            data=data,
            locktime=locktime,
        )

    def build_transaction(
        self,
        utxos: UtxoView,
        payments: Sequence[tuple[str, int]],
        fee: int | None = None,
        *,
        fee_rate: float | None = None,
        change_address: str | None = None,
        data: bytes | None = None,
        locktime: int = 0,
    ) -> Transaction:
        """A signed transaction making every ``(address, amount)`` payment (maybe none, when
        it only records ``data``); the other arguments as in :meth:`build_payment`.

        Outputs: the payments in order, the data, then the change (if not dust)."""
        fee, rate = fee_arguments(fee, fee_rate)
        check_locktime(locktime)
        outputs = payment_outputs(payments, data)
        change_script = (
            decode_address(change_address)
            if change_address
            else script_for_key(self.keys[0], self.address_types[0])
        )
        coins = self.coins(utxos, spendable_only=True)
        plan = plan_payment(coins, outputs, change_script, fee=fee, fee_rate=rate)
        return sign_coins(plan.coins, plan.outputs, locktime)

    # --- one signer among several (BIP174) ------------------------------------------------

    def sign_psbt(self, psbt: Psbt) -> Psbt:
        """The PSBT with this wallet's signature added to every input one of its keys can
        sign (multisig or single key; see ``edu_chain/psbt/roles.py``).  Inputs that are
        not the wallet's are left as they were."""
        for key in self.keys:
            psbt = psbt_sign(psbt, key)
        return psbt
