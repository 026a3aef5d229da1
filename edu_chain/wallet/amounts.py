"""Amounts, and the wallet's errors (which speak of amounts).

Amounts are integers in base units (satoshis), ``COIN = 100_000_000`` per coin; people type
and read coins with up to 8 decimals.  :func:`parse_coins` turns text into base units exactly
(never rounding a fraction of a base unit away), :func:`format_coins` the other way.

Errors, all :class:`WalletError`::

    WalletError                  the wallet cannot do what was asked (bad keystore, amount,
     |                           fee, address, multisig, PSBT input)
     +-- KeystoreExistsError     a keystore is already at that path (never overwritten silently)
     +-- InsufficientFundsError  the coins do not cover amount + fee (says both)
"""

from __future__ import annotations

from decimal import Decimal, Inexact, InvalidOperation, localcontext

from edu_chain.errors import EduChainError
from edu_chain.tx import COIN, MAX_MONEY


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


def check_amount(name: str, value: object, *, low: int) -> None:
    """:class:`WalletError` unless ``value`` is an int in ``low..MAX_MONEY`` (bools refused)."""
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= MAX_MONEY:
        raise WalletError(f"{name} must be {low}..{MAX_MONEY} base units, got {value!r}")


def check_fee_rate(fee_rate: object) -> float:
    """``fee_rate`` in sat/vB, a finite number in 0..1,000,000; :class:`WalletError` if not."""
    if (
        isinstance(fee_rate, bool)
        or not isinstance(fee_rate, int | float)
        or not 0 <= fee_rate <= 1_000_000  # also refuses NaN, for which every comparison fails
    ):
        raise WalletError(f"fee rate must be 0..1000000 sat/vB, got {fee_rate!r}")
    return fee_rate
