"""Absolute locktime (finality, BIP113) and BIP68 relative locks (edu_chain/locktime.py).

Oracle: the rules as BIP65/BIP68/BIP113 state them: a height locktime L lets a transaction into
blocks of height > L; a sequence of n blocks on a coin confirmed at height c lets it into
blocks of height >= c + n; a time lock of n units counts 512-second units from the median
time past of the block before the coin's.  Hypothesis checks the height rule on random cases.
"""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from edu_chain.errors import TxValidationError
from edu_chain.locktime import (
    SEQUENCE_LOCKTIME_DISABLE_FLAG,
    SEQUENCE_LOCKTIME_TYPE_FLAG,
    check_final,
    check_sequence_locks,
    is_final,
    sequence_locks,
)
from edu_chain.tx import OutPoint, Transaction, TxIn


def tx_with(locktime: int = 0, sequence: int = 0xFFFFFFFE, version: int = 2) -> Transaction:
    return Transaction(version, [TxIn(OutPoint(bytes(32), 0), b"", sequence)], [], locktime)


def test_absolute_locktime_by_height_and_time() -> None:
    assert is_final(tx_with(0), 0, 0)
    assert not is_final(tx_with(100), 100, 0)  # height 100 is not above 100
    assert is_final(tx_with(100), 101, 0)
    assert not is_final(tx_with(1_600_000_000), 10**6, 1_600_000_000)
    assert is_final(tx_with(1_600_000_000), 0, 1_600_000_001)
    assert is_final(tx_with(100, sequence=0xFFFFFFFF), 1, 0)  # final sequences: ignored
    with pytest.raises(TxValidationError, match="waits for a block above height 100") as error:
        check_final(tx_with(100), 50, 0)
    assert error.value.code == "bad-txns-nonfinal"


@given(
    coin_height=st.integers(0, 10**6),
    blocks=st.integers(0, 0xFFFF),
    height=st.integers(0, 10**6 + 0x10000),
)
def test_a_height_lock_opens_at_coin_height_plus_n(coin_height, blocks, height) -> None:
    locks = sequence_locks(tx_with(sequence=blocks), [coin_height], lambda h: 0)
    opens = height >= coin_height + blocks
    if opens:
        check_sequence_locks(tx_with(sequence=blocks), locks, height, 10**9)
    else:
        with pytest.raises(TxValidationError):
            check_sequence_locks(tx_with(sequence=blocks), locks, height, 10**9)


def test_time_locks_count_512_second_units_from_the_coins_parent() -> None:
    times = {99: 1_000_000}  # median-time-past of the block before the coin's (height 100)
    tx = tx_with(sequence=SEQUENCE_LOCKTIME_TYPE_FLAG | 3)  # 3 x 512 s
    locks = sequence_locks(tx, [100], times.__getitem__)
    assert locks == (-1, 1_000_000 + 3 * 512 - 1)
    with pytest.raises(TxValidationError, match="relative time lock"):
        check_sequence_locks(tx, locks, 200, 1_000_000 + 3 * 512 - 1)
    check_sequence_locks(tx, locks, 200, 1_000_000 + 3 * 512)


def test_version_1_and_the_disable_flag_switch_bip68_off() -> None:
    assert sequence_locks(tx_with(sequence=10, version=1), [100], lambda h: 0) == (-1, -1)
    disabled = tx_with(sequence=SEQUENCE_LOCKTIME_DISABLE_FLAG | 10)
    assert sequence_locks(disabled, [100], lambda h: 0) == (-1, -1)
