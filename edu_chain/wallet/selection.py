"""Coin selection and fees: which coins pay, how much fee, whether there is change.

The rule, simple enough to follow by hand:

1. *Largest first*: take the coins from the biggest down until they cover the payments plus
   the fee of a transaction with that many inputs (few inputs keep the transaction small).
2. *Fee by size*: ``fee_rate`` satoshis per virtual byte (``vsize``, BIP141: witness bytes
   count a quarter) of the signed transaction.  The size is measured, not computed by
   formula: a copy whose inputs carry placeholder signatures of the largest size a signature
   can have (72 bytes) is serialized, so ``Transaction.vsize`` stays the one definition of
   size and the real transaction never pays less than the rate.  An explicit ``fee``
   (satoshis) replaces the computation.
3. *Change*: what is left (inputs - payments - fee) goes back to the wallet, unless it is
   *dust* (worth less than spending it would cost, ``policy.dust_threshold``): then it is
   left to the miner with the fee, as nodes would not relay a dust output.

The fee is what inputs minus outputs leave; nothing in the transaction states it.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Generic, Protocol, TypeVar

from edu_chain.keys import PrivateKey
from edu_chain.policy import MAX_STANDARD_TX_WEIGHT, dust_threshold
from edu_chain.script.script import push_data
from edu_chain.script.sighash import SighashCache
from edu_chain.script.sign import sign_single_key
from edu_chain.script.standard import MAX_OP_RETURN_RELAY, op_return
from edu_chain.tx import OutPoint, Transaction, TxIn, TxOut
from edu_chain.wallet.addresses import decode_address
from edu_chain.wallet.amounts import (
    InsufficientFundsError,
    WalletError,
    check_amount,
    check_fee_rate,
)

TX_VERSION = 2
SEQUENCE_FINAL = 0xFFFFFFFF
SEQUENCE_LOCKTIME = 0xFFFFFFFE
"""An input sequence that lets the locktime bind, as Bitcoin Core's wallet writes (no BIP125
replacement, no BIP68 relative lock)."""
"""Version 2, as Bitcoin Core's wallet writes: it allows BIP68 relative locktimes."""
DEFAULT_FEE_RATE = 2
"""Satoshis per virtual byte when no fee is given (the mempool asks at least 1)."""
MAX_SIGNATURE_SIZE = 72
"""The largest standard signature: DER with a 33-byte ``r`` and a low 32-byte ``s`` (71 bytes)
plus the sighash byte."""
PUBKEY_SIZE = 33
MAX_DATA_SIZE = MAX_OP_RETURN_RELAY - 6
"""The largest OP_RETURN payload relay policy accepts in one output: 99,994 bytes, as
OP_RETURN, OP_PUSHDATA4 and its 4-byte length take 6 of the 100,000-byte data-carrier budget
(Bitcoin Core 30.0's default; it was 80 bytes before).  The transaction's weight limit binds
a little earlier: :func:`sign_coins` refuses a transaction too heavy to relay."""


class Spendable(Protocol):
    """A coin the selection can use: where it is, what it holds, how big its unlock is."""

    outpoint: OutPoint
    output: TxOut

    @property
    def amount(self) -> int: ...

    def placeholder_unlock(self) -> tuple[bytes, tuple[bytes, ...]]:
        """A scriptSig and witness at least as large as the real ones will be."""
        ...


@dataclass(frozen=True)
class OwnedCoin:
    """An unspent output of one of the wallet's keys (P2WPKH or P2PKH), and that key."""

    outpoint: OutPoint
    output: TxOut
    key: PrivateKey

    @property
    def amount(self) -> int:
        return self.output.amount

    def placeholder_unlock(self) -> tuple[bytes, tuple[bytes, ...]]:
        signature, pubkey = bytes(MAX_SIGNATURE_SIZE), bytes(PUBKEY_SIZE)
        if self.output.script_pubkey[:1] == b"\x00":  # P2WPKH: both items in the witness
            return b"", (signature, pubkey)
        return push_data(signature) + push_data(pubkey), ()


C = TypeVar("C", bound=Spendable)


def as_txout(value: Any) -> TxOut:
    """The TxOut of a UTXO view's value: a TxOut, or a coin holding one in ``.output``."""
    if isinstance(value, TxOut):
        return value
    output = getattr(value, "output", None)
    if isinstance(output, TxOut):
        return output
    raise TypeError(
        f"a UTXO view maps OutPoint to edu_chain.tx.TxOut or a Coin holding one, "
        f"got {type(value).__module__}.{type(value).__name__}"
    )


def largest_first(coins: Iterable[C]) -> list[C]:
    """Biggest amount first; ties broken by outpoint so the order is deterministic."""
    return sorted(coins, key=lambda c: (-c.amount, c.outpoint.txid, c.outpoint.index))


def estimate_vsize(coins: Sequence[Spendable], outputs: Sequence[TxOut]) -> int:
    """The most vsize the signed transaction spending ``coins`` to ``outputs`` can have."""
    inputs = []
    for coin in coins:
        script_sig, witness = coin.placeholder_unlock()
        inputs.append(TxIn(coin.outpoint, script_sig, witness=witness))
    tx = Transaction(TX_VERSION, inputs, outputs)
    if tx.weight > MAX_STANDARD_TX_WEIGHT:
        raise WalletError(
            f"the transaction weighs {tx.weight}, more than the {MAX_STANDARD_TX_WEIGHT} relay "
            "policy accepts (tx-size): record less data, or spend fewer coins at once"
        )
    return tx.vsize


def fee_for(vsize: int, fee_rate: float) -> int:
    """``fee_rate`` sat/vB times ``vsize``, rounded up to a whole satoshi.

    >>> fee_for(141, 2), fee_for(141, 1.5)
    (282, 212)
    """
    return math.ceil(vsize * fee_rate)


def select_coins(coins: Iterable[C], target: int) -> list[C]:
    """The largest coins first, until their sum reaches ``target`` (no fee counted).

    Raises :class:`InsufficientFundsError` (with both amounts) if all coins together are
    not enough.
    """
    ordered = largest_first(coins)
    chosen: list[C] = []
    total = 0
    for coin in ordered:
        if total >= target:
            break
        chosen.append(coin)
        total += coin.amount
    if total < target:
        raise InsufficientFundsError(target, total, len(ordered))
    return chosen


@dataclass(frozen=True)
class Plan(Generic[C]):
    """What :func:`plan_payment` decided: the coins to spend, every output, the fee."""

    coins: list[C]
    outputs: list[TxOut]  # the payments, then the change output if there is one
    fee: int


def plan_payment(
    coins: Iterable[C],
    outputs: Sequence[TxOut],
    change_script: bytes,
    *,
    fee: int | None = None,
    fee_rate: float = DEFAULT_FEE_RATE,
) -> Plan[C]:
    """Choose coins for ``outputs`` (steps 1-3 of the module docstring); change pays
    ``change_script``.  :class:`InsufficientFundsError` when all coins are not enough."""
    ordered = largest_first(coins)
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
            return Plan(chosen, [*outputs, change], change_fee)
        return Plan(chosen, list(outputs), total - paying)  # no change: the rest is fee
    if fee is None:
        fee = fee_for(estimate_vsize(ordered, outputs), fee_rate)
    raise InsufficientFundsError(paying + fee, total, len(ordered))


def payment_outputs(payments: Sequence[tuple[str, int]], data: bytes | None = None) -> list[TxOut]:
    """One output per ``(address, amount)``, then an OP_RETURN output for ``data``.

    :class:`WalletError` for a bad address, an amount out of range or below the dust
    threshold of its output type, too much data, or nothing to do at all.
    """
    outputs = []
    for address, amount in payments:
        check_amount("amount", amount, low=1)
        output = TxOut(amount, decode_address(address))
        threshold = dust_threshold(output)
        if amount < threshold:
            raise WalletError(
                f"amount {amount} is dust: an output to {address} must be at least "
                f"{threshold} base units, or nodes do not relay it (it would cost more to "
                "spend than it holds)"
            )
        outputs.append(output)
    if data is not None:
        outputs.append(TxOut(0, data_script(data)))
    if not outputs:
        raise WalletError("a transaction needs a payment or data to record")
    check_amount("total payment", sum(output.amount for output in outputs), low=0)
    return outputs


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


def fee_arguments(fee: int | None, fee_rate: float | None) -> tuple[int | None, float]:
    """Check ``fee`` (satoshis) and ``fee_rate`` (sat/vB; default :data:`DEFAULT_FEE_RATE`),
    of which at most one may be given."""
    if fee is not None:
        if fee_rate is not None:
            raise WalletError("give a fee or a fee rate, not both")
        check_amount("fee", fee, low=0)
    return fee, check_fee_rate(DEFAULT_FEE_RATE if fee_rate is None else fee_rate)


def unsigned_transaction(
    coins: Sequence[Spendable], outputs: Sequence[TxOut], locktime: int = 0
) -> Transaction:
    """The transaction spending ``coins`` (in order) to ``outputs``, nothing signed yet.

    A ``locktime`` (a block height below 500,000,000, a Unix time above) only binds when an
    input's sequence is below 0xffffffff, so its inputs get :data:`SEQUENCE_LOCKTIME`."""
    check_locktime(locktime)
    sequence = SEQUENCE_LOCKTIME if locktime else SEQUENCE_FINAL
    inputs = [TxIn(coin.outpoint, sequence=sequence) for coin in coins]
    return Transaction(TX_VERSION, inputs, outputs, locktime)


def check_locktime(locktime: object) -> int:
    """``locktime`` as a transaction carries it (0..0xffffffff); :class:`WalletError` if not."""
    if (
        isinstance(locktime, bool)
        or not isinstance(locktime, int)
        or not 0 <= locktime <= 2**32 - 1
    ):
        raise WalletError(
            f"locktime must be a block height (below 500000000) or a Unix time, got {locktime!r}"
        )
    return locktime


def sign_coins(
    coins: Sequence[OwnedCoin], outputs: Sequence[TxOut], locktime: int = 0
) -> Transaction:
    """The transaction spending ``coins`` to ``outputs``, every input signed (SIGHASH_ALL)
    by the key owning its coin (``script/sign.py`` puts the signature in the scriptSig or
    the witness, as the coin's type asks)."""
    unsigned = unsigned_transaction(coins, outputs, locktime)
    cache = SighashCache(unsigned)  # BIP143's shared hashes computed once for all inputs
    inputs = []
    for index, coin in enumerate(coins):
        script_sig, witness = sign_single_key(
            unsigned, index, coin.key, coin.output.script_pubkey, coin.amount, cache=cache
        )
        original = unsigned.inputs[index]
        inputs.append(TxIn(coin.outpoint, script_sig, original.sequence, witness))
    tx = Transaction(TX_VERSION, inputs, outputs, locktime)
    if tx.weight > MAX_STANDARD_TX_WEIGHT:
        raise WalletError(
            f"the transaction weighs {tx.weight}, more than the {MAX_STANDARD_TX_WEIGHT} relay "
            "policy accepts (tx-size): record less data, or spend fewer coins at once"
        )
    return tx
