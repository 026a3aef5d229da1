"""A wallet: keys in a keystore file, coins found in a UTXO view, payments built and signed.

The transactions are Bitcoin's (``edu_chain/tx.py``) and the addresses are Bitcoin Core's
regtest ones (``edu_chain/script/address.py``), so any Bitcoin tool in regtest mode reads them.

**Addresses.**  Each key in the wallet receives at one address of a chosen type:

    type      address                  scriptPubKey                        spent with
    p2wpkh    bcrt1q... (bech32)       OP_0 <hash160(pubkey)>              witness <sig> <pubkey>
    p2pkh     m... or n... (Base58)    OP_DUP OP_HASH160 <hash160(pubkey)>  scriptSig <sig> <pubkey>
                                       OP_EQUALVERIFY OP_CHECKSIG

P2WPKH (segwit, BIP141/BIP173) is the default: its signature sits in the witness, which
costs a quarter per byte, so spending it is cheaper.  ``new_key(address_type="p2pkh")`` adds
a key with a legacy address.  The key is always the compressed public key.

**Keystore.**  A JSON file holding private keys *in plain text* -- fine for the local teaching
testnet, never for real money.  It is created with permissions ``0600`` (only you can read
it) and is never replaced unless you say so (``overwrite=True``, ``educhain wallet new
--force``): losing a keystore loses its coins.  Shape (version 2)::

    {"format": "edu_chain-wallet", "version": 2, "network": "regtest",
     "keys": [{"secret": "<64 hex chars>", "type": "p2wpkh", "address": "bcrt1q..."}]}

A version 1 keystore (written before the wallet spoke Bitcoin's format) still loads: its
keys keep the Base58 address it recorded, which is their P2PKH address; saving writes
version 2.

**UTXO view.**  The wallet does not know the chain; it reads coins from any object that
maps ``OutPoint -> TxOut`` (a plain ``dict`` works) or ``OutPoint -> Coin`` (anything with
an ``.output`` TxOut, like the chain's UTXO set).  If the view also has
``utxos_for(script_pubkey)``, the wallet asks it for the coins of each of its scriptPubKeys
(:attr:`Wallet.script_pubkeys`) instead of scanning them all.

**Building a payment** (:meth:`Wallet.build_payment`, or :meth:`Wallet.build_transaction`
for several outputs):

1. *Coin selection*, largest first: take the wallet's coins from the biggest down until
   they cover the amount plus the fee of a transaction with that many inputs (few inputs
   keep the transaction small; the rule is simple enough to predict by hand).
2. *Fee by size*: ``fee_rate`` satoshis per virtual byte (``vsize``, BIP141: witness bytes
   count a quarter) of the signed transaction, measured on a copy carrying signatures of the
   largest size a signature can have, so the real one never pays less.  An explicit ``fee``
   (satoshis) replaces the computation.
3. Outputs: the payments first, then an OP_RETURN data output if asked, then the *change*
   (inputs - payments - fee) back to the wallet.  Change worth less than spending it would
   cost (*dust*, see ``policy.dust_threshold``) is not made: it goes to the miner with the fee.
4. Sign every input with the key that owns the coin (``script/sign.py``).

The fee is what inputs minus outputs leave; nothing in the transaction states it.
"""

from __future__ import annotations

import json
import math
import os
import tempfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal, Inexact, InvalidOperation, localcontext
from pathlib import Path
from typing import Any, Protocol

from edu_chain.errors import DecodeError, EduChainError, KeyFormatError
from edu_chain.keys import PrivateKey
from edu_chain.policy import dust_threshold
from edu_chain.script import REGTEST, address_to_script_pubkey, script_pubkey_to_address
from edu_chain.script.script import push_data
from edu_chain.script.sighash import SighashCache
from edu_chain.script.sign import sign_single_key
from edu_chain.script.standard import op_return, p2pkh, p2wpkh
from edu_chain.tx import COIN, MAX_MONEY, OutPoint, Transaction, TxIn, TxOut

KEYSTORE_FORMAT = "edu_chain-wallet"
KEYSTORE_VERSION = 2
KEYSTORE_MODE = 0o600
NETWORK = REGTEST
"""The network of every address the wallet writes and reads (``bcrt1...``, ``m``/``n``, ``2``)."""
ADDRESS_TYPES = ("p2wpkh", "p2pkh")
DEFAULT_ADDRESS_TYPE = "p2wpkh"
TX_VERSION = 2
"""Version 2, as Bitcoin Core's wallet writes: it allows BIP68 relative locktimes."""
DEFAULT_FEE_RATE = 2
"""Satoshis per virtual byte when no fee is given (the mempool asks at least 1)."""
MAX_DATA_SIZE = 80
"""The largest OP_RETURN payload relay policy accepts (Core's 83-byte script limit)."""
MAX_SIGNATURE_SIZE = 72
"""A DER signature with a low ``s`` and its sighash byte is at most 72 bytes."""


class WalletError(EduChainError):
    """The wallet cannot do what was asked: a bad keystore, amount, fee or address."""


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
    """A UTXO set indexed by scriptPubKey, like the chain state: only our coins are fetched."""

    def utxos_for(self, script_pubkey: bytes) -> Iterable[tuple[OutPoint, Any]]: ...


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
    raise TypeError(
        f"a UTXO view maps OutPoint to edu_chain.tx.TxOut or a Coin holding one, "
        f"got {type(value).__module__}.{type(value).__name__}"
    )


# --- amounts and addresses -----------------------------------------------------------------


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


def decode_address(address: str) -> bytes:
    """The scriptPubKey a regtest ``address`` pays to; :class:`WalletError` (one line, with
    the decoder's stable code) if it is malformed or of another network.

    >>> decode_address("bcrt1qw508d6qejxtdg4y5r3zarvary0c5xw7kygt080").hex()
    '0014751e76e8199196d454941c45d1b3a323f1433bd6'
    """
    try:
        return address_to_script_pubkey(address, NETWORK)
    except DecodeError as error:
        raise WalletError(f"bad address: {error}") from None


def script_for_key(key: PrivateKey, address_type: str) -> bytes:
    """The scriptPubKey of ``key``'s address of ``address_type`` (``p2wpkh`` or ``p2pkh``)."""
    key_hash = key.public_key.pubkey_hash()  # hash160 of the compressed key
    if address_type == "p2wpkh":
        return p2wpkh(key_hash)
    if address_type == "p2pkh":
        return p2pkh(key_hash)
    raise WalletError(
        f"unknown address type {address_type!r}; choose one of {', '.join(ADDRESS_TYPES)}"
    )


def _address_of(script_pubkey: bytes) -> str:
    address = script_pubkey_to_address(script_pubkey, NETWORK)
    assert address is not None, "the wallet only makes scripts that have an address"
    return address


# --- coin selection and fees --------------------------------------------------------------


def _placeholder_unlock(script_pubkey: bytes) -> tuple[bytes, tuple[bytes, ...]]:
    """A scriptSig and witness as large as the real ones can be (largest signature)."""
    signature, pubkey = bytes(MAX_SIGNATURE_SIZE), bytes(33)
    if script_pubkey[:1] == b"\x00":  # P2WPKH: both items in the witness
        return b"", (signature, pubkey)
    return push_data(signature) + push_data(pubkey), ()


def estimate_vsize(coins: Sequence[OwnedCoin], outputs: Sequence[TxOut]) -> int:
    """The vsize the signed transaction spending ``coins`` to ``outputs`` has at most.

    Measured, not computed by formula: a copy with placeholder signatures of the largest
    size is serialized, so ``Transaction.vsize`` is the one definition of size.
    """
    inputs = []
    for coin in coins:
        script_sig, witness = _placeholder_unlock(coin.output.script_pubkey)
        inputs.append(TxIn(coin.outpoint, script_sig, witness=witness))
    return Transaction(TX_VERSION, inputs, outputs).vsize


def fee_for(vsize: int, fee_rate: float) -> int:
    """``fee_rate`` sat/vB times ``vsize``, rounded up to a whole satoshi.

    >>> fee_for(141, 2), fee_for(141, 1.5)
    (282, 212)
    """
    return math.ceil(vsize * fee_rate)


def select_coins(coins: Iterable[OwnedCoin], target: int) -> list[OwnedCoin]:
    """The largest coins first, until their sum reaches ``target``.

    Raises :class:`InsufficientFundsError` (with both amounts) if all coins together are
    not enough.  Ties are broken by outpoint so the choice is deterministic.
    """
    ordered = _largest_first(coins)
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


def _largest_first(coins: Iterable[OwnedCoin]) -> list[OwnedCoin]:
    return sorted(coins, key=lambda c: (-c.amount, c.outpoint.txid, c.outpoint.index))


@dataclass(frozen=True)
class _Plan:
    coins: list[OwnedCoin]
    outputs: list[TxOut]  # with the change output, if any
    fee: int


def _plan(
    coins: list[OwnedCoin],
    outputs: list[TxOut],
    change_script: bytes,
    fee: int | None,
    fee_rate: float,
) -> _Plan:
    """Largest coins first until they pay ``outputs`` and the fee (see the module docstring)."""
    ordered = _largest_first(coins)
    paying = sum(output.amount for output in outputs)
    total = 0
    for count, coin in enumerate(ordered, start=1):
        total += coin.amount
        if total < paying + (fee or 0):
            continue
        chosen = ordered[:count]
        with_change = [*outputs, TxOut(0, change_script)]
        if fee is None:
            bare_fee = fee_for(estimate_vsize(chosen, outputs), fee_rate)
            change_fee = fee_for(estimate_vsize(chosen, with_change), fee_rate)
        else:
            bare_fee = change_fee = fee
        if total < paying + bare_fee:
            continue
        change = TxOut(total - paying - change_fee, change_script)
        if change.amount > 0 and change.amount >= dust_threshold(change):
            return _Plan(chosen, [*outputs, change], change_fee)
        return _Plan(chosen, outputs, total - paying)  # no change: the rest is fee
    if fee is None:
        fee = fee_for(estimate_vsize(ordered, outputs), fee_rate)
    needed = paying + fee
    raise InsufficientFundsError(needed, total, len(ordered))


# --- the wallet --------------------------------------------------------------------------


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
        for address_type in types:
            if address_type not in ADDRESS_TYPES:
                raise WalletError(
                    f"unknown address type {address_type!r}; choose one of "
                    f"{', '.join(ADDRESS_TYPES)}"
                )
        self.address_types: list[str] = types

    # --- the keystore file ----------------------------------------------------------------

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
        wallet._write(exclusive=not overwrite)
        return wallet

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> Wallet:
        """Read a keystore (version 2, or 1: see the module docstring); :class:`WalletError`
        if it is missing or malformed."""
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
        version = data.get("version")
        if version not in (1, KEYSTORE_VERSION):
            raise WalletError(
                f"{path}: keystore version {version!r} is not supported "
                f"(expected 1 or {KEYSTORE_VERSION})"
            )
        if version == KEYSTORE_VERSION and data.get("network", NETWORK.name) != NETWORK.name:
            raise WalletError(
                f"{path}: a keystore for network {data.get('network')!r}; "
                f"this wallet uses {NETWORK.name}"
            )
        entries = data.get("keys") or []
        if not isinstance(entries, list):
            raise WalletError(
                f"{path}: field keys must be a list of keys, got {type(entries).__name__}"
            )
        keys, types = [], []
        for position, entry in enumerate(entries):
            key, address_type = _read_key(path, position, entry, version)
            keys.append(key)
            types.append(address_type)
        if not keys:
            raise WalletError(f"{path}: a wallet holds at least one key, this keystore has none")
        return cls(path, keys, types)

    def save(self) -> None:
        """Rewrite this wallet's own keystore (after adding a key), atomically, mode 0600."""
        self._write(exclusive=False)

    def _write(self, *, exclusive: bool) -> None:
        payload = json.dumps(
            {
                "format": KEYSTORE_FORMAT,
                "version": KEYSTORE_VERSION,
                "network": NETWORK.name,
                "warning": "private keys in plain text: for the local teaching testnet only",
                "keys": [
                    {"secret": key.to_bytes().hex(), "type": kind, "address": address}
                    for key, kind, address in zip(
                        self.keys, self.address_types, self.addresses, strict=True
                    )
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

    def new_key(self, address_type: str = DEFAULT_ADDRESS_TYPE) -> PrivateKey:
        """Add a fresh key receiving at an ``address_type`` address, save; returns the key."""
        script_for_key(self.keys[0], address_type)  # refuses an unknown type before changing
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
        return [_address_of(script) for script in self.script_pubkeys]

    @property
    def address(self) -> str:
        """The first (default) address: where mined coins and change go."""
        return _address_of(script_for_key(self.keys[0], self.address_types[0]))

    @property
    def public_keys(self) -> list[bytes]:
        """Each key's compressed public key (33 bytes, SEC 1), to share for multisig."""
        return [key.public_key.sec() for key in self.keys]

    def _keys_by_script(self) -> dict[bytes, PrivateKey]:
        return dict(zip(self.script_pubkeys, self.keys, strict=True))

    # --- coins ----------------------------------------------------------------------------

    def coins(self, utxos: UtxoView, *, spendable_only: bool = False) -> list[OwnedCoin]:
        """The wallet's unspent outputs in ``utxos``, largest first.

        With ``spendable_only``, coinbase outputs that are not yet mature are left out.  That
        needs to know the coin's ``height`` and ``is_coinbase`` (the chain's ``Coin`` has both)
        and the view's ``height`` and ``params.coinbase_maturity`` (the chain state has both);
        a view without them (a plain dict of TxOut) is taken as all spendable.
        """
        by_script = self._keys_by_script()
        utxos_for = getattr(utxos, "utxos_for", None)
        if callable(utxos_for):
            pairs: Iterable[tuple[OutPoint, Any]] = [
                pair for script in by_script for pair in utxos_for(script)
            ]
        else:
            pairs = utxos.items()  # type: ignore[union-attr]
        tip_height = getattr(utxos, "height", None)
        maturity = getattr(getattr(utxos, "params", None), "coinbase_maturity", None)
        found: list[OwnedCoin] = []
        for outpoint, value in pairs:
            output = _as_txout(value)
            key = by_script.get(output.script_pubkey)
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
        return _largest_first(found)

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
    ) -> Transaction:
        """A signed transaction paying ``amount`` satoshis to ``to_address``.

        ``fee`` in satoshis, or ``fee_rate`` in sat/vB (default :data:`DEFAULT_FEE_RATE`);
        change to ``change_address`` (default: :attr:`address`); ``data`` (at most 80 bytes)
        adds an OP_RETURN output recording it.  See the module docstring for the steps.
        """
        _check_amount("amount", amount, low=1)
        return self.build_transaction(
            utxos,
            [(to_address, amount)],
            fee,
            fee_rate=fee_rate,
            change_address=change_address,
            data=data,
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
    ) -> Transaction:
        """A signed transaction making every ``(address, amount)`` payment (maybe none, when
        it only records ``data``); the other arguments as in :meth:`build_payment`."""
        if fee is not None:
            if fee_rate is not None:
                raise WalletError("give a fee or a fee rate, not both")
            _check_amount("fee", fee, low=0)
        rate = DEFAULT_FEE_RATE if fee_rate is None else fee_rate
        if isinstance(rate, bool) or not isinstance(rate, int | float) or not 0 <= rate < 1e6:
            raise WalletError(f"fee rate must be 0..1000000 sat/vB, got {rate!r}")
        outputs = [self._payment_output(address, amount) for address, amount in payments]
        if data is not None:
            outputs.append(TxOut(0, data_script(data)))
        if not outputs:
            raise WalletError("a transaction needs a payment or data to record")
        _check_amount("total payment", sum(o.amount for o in outputs), low=0)
        change_script = decode_address(change_address) if change_address else None
        change_script = change_script or script_for_key(self.keys[0], self.address_types[0])
        plan = _plan(self.coins(utxos, spendable_only=True), outputs, change_script, fee, rate)
        return sign_coins(plan.coins, plan.outputs)

    def _payment_output(self, address: str, amount: int) -> TxOut:
        _check_amount("amount", amount, low=1)
        output = TxOut(amount, decode_address(address))
        threshold = dust_threshold(output)
        if amount < threshold:
            raise WalletError(
                f"amount {amount} is dust: an output to {address} must be at least {threshold} "
                "base units, or nodes do not relay it (it would cost more to spend than it holds)"
            )
        return output


def sign_coins(coins: Sequence[OwnedCoin], outputs: Sequence[TxOut]) -> Transaction:
    """The transaction spending ``coins`` (in order) to ``outputs``, every input signed
    (SIGHASH_ALL) by the key owning its coin."""
    unsigned = Transaction(TX_VERSION, [TxIn(coin.outpoint) for coin in coins], outputs)
    cache = SighashCache(unsigned)  # BIP143's shared hashes computed once for all inputs
    inputs = []
    for index, coin in enumerate(coins):
        script_sig, witness = sign_single_key(
            unsigned, index, coin.key, coin.output.script_pubkey, coin.amount, cache=cache
        )
        inputs.append(TxIn(coin.outpoint, script_sig, witness=witness))
    return Transaction(TX_VERSION, inputs, outputs)


def data_script(data: bytes) -> bytes:
    """The OP_RETURN scriptPubKey recording ``data`` (at most :data:`MAX_DATA_SIZE` bytes)."""
    if not isinstance(data, bytes | bytearray):
        raise WalletError(f"data must be bytes, got {type(data).__name__}")
    if len(data) > MAX_DATA_SIZE:
        raise WalletError(
            f"data is {len(data)} bytes; an OP_RETURN output holds at most {MAX_DATA_SIZE} "
            "(relay policy)"
        )
    return op_return(bytes(data))


def _check_amount(name: str, value: object, *, low: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= MAX_MONEY:
        raise WalletError(f"{name} must be {low}..{MAX_MONEY} base units, got {value!r}")


def _read_key(path: Path, position: int, entry: object, version: int) -> tuple[PrivateKey, str]:
    """One keystore entry: the key and its address type, checked against its address."""
    try:
        key = PrivateKey.from_bytes(bytes.fromhex(entry["secret"]))  # type: ignore[index]
    except (KeyError, TypeError, ValueError, KeyFormatError):
        # Never echo the secret itself into an error message.
        raise WalletError(f"{path}: key #{position} is malformed") from None
    assert isinstance(entry, dict)
    # Version 1 recorded a Base58 address of the compressed key: its P2PKH address.
    address_type = entry.get("type", "p2pkh" if version == 1 else DEFAULT_ADDRESS_TYPE)
    if address_type not in ADDRESS_TYPES:
        raise WalletError(
            f"{path}: key #{position} has address type {address_type!r}; "
            f"known: {', '.join(ADDRESS_TYPES)}"
        )
    recorded = entry.get("address")
    expected = _address_of(script_for_key(key, address_type))
    if recorded is not None and recorded != expected:
        raise WalletError(
            f"{path}: key #{position} records address {recorded!r}, but its {address_type} "
            f"address is {expected} (was the file edited by hand?)"
        )
    return key, address_type
