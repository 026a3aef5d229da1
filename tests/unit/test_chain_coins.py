"""Coins and undo data: serialization round trips (Hypothesis) and the documented layout."""

from __future__ import annotations

import struct

from hypothesis import given
from hypothesis import strategies as st

from edu_chain.chain.coins import COIN_SIZE, Coin, parse_undo, serialize_undo
from edu_chain.tx import TxOut

coins = st.builds(
    Coin,
    st.builds(TxOut, st.integers(0, 2**64 - 1), st.binary(min_size=20, max_size=20)),
    st.integers(0, 2**32 - 1),
    st.booleans(),
)


@given(coins)
def test_coin_round_trip_and_layout(coin: Coin):
    raw = coin.serialize()
    assert len(raw) == COIN_SIZE
    # The layout of the module docstring, decoded independently with struct.
    amount, pubkey_hash, height, flag = struct.unpack("<Q20sIB", raw)
    assert (amount, pubkey_hash, height, flag) == (
        coin.amount,
        coin.output.pubkey_hash,
        coin.height,
        int(coin.is_coinbase),
    )
    assert Coin.parse(raw) == coin


@given(st.lists(coins, max_size=30))
def test_undo_round_trip(spent: list[Coin]):
    assert parse_undo(serialize_undo(spent)) == spent
