"""Coins and undo data: serialization round trips (Hypothesis), the documented layout
(decoded independently with ``struct``), and strict parsing of malformed bytes."""

from __future__ import annotations

import contextlib
import struct

import pytest
from hypothesis import given
from hypothesis import strategies as st

from edu_chain.chain.coins import COIN_SIZE, Coin, parse_undo, serialize_undo
from edu_chain.encoding import encode_varint
from edu_chain.errors import DecodeError
from edu_chain.tx import TxOut

coins = st.builds(
    Coin,
    st.builds(TxOut, st.integers(-(2**63), 2**63 - 1), st.binary(max_size=300)),
    st.integers(0, 2**32 - 1),
    st.booleans(),
)


@given(coins)
def test_coin_round_trip_and_layout(coin: Coin):
    raw = coin.serialize()
    script = coin.output.script_pubkey
    prefix = encode_varint(len(script))
    assert len(raw) == COIN_SIZE + len(prefix) - 1 + len(script)
    # The layout of the module docstring, decoded independently with struct.
    (amount,) = struct.unpack_from("<q", raw)
    assert raw[8 : 8 + len(prefix) + len(script)] == prefix + script
    height, flag = struct.unpack_from("<IB", raw, 8 + len(prefix) + len(script))
    assert (amount, height, flag) == (coin.amount, coin.height, int(coin.is_coinbase))
    assert Coin.parse(raw) == coin


@given(st.lists(coins, max_size=30))
def test_undo_round_trip(spent: list[Coin]):
    assert parse_undo(serialize_undo(spent)) == spent


def test_is_coinbase_flag_must_be_0_or_1():
    """One coin, one encoding: a flag byte of 2 would parse as 'not a coinbase' and serialize
    back differently, so it is refused (as the varint rules refuse non-canonical sizes)."""
    raw = bytearray(Coin(TxOut(5, bytes(20)), 7, True).serialize())
    raw[-1] = 2
    with pytest.raises(DecodeError) as info:
        Coin.parse(bytes(raw))
    assert info.value.code == "decode-non-canonical"
    assert "expected 0 or 1, got 2" in info.value.message


@given(st.binary(max_size=80))
def test_parsing_arbitrary_bytes_raises_only_decode_errors(raw: bytes):
    for parse in (Coin.parse, parse_undo):
        with contextlib.suppress(DecodeError):  # anything else fails the test
            parse(raw)
