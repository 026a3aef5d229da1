"""Coins: the entries of the UTXO set, and views over it.

A *coin* is an unspent transaction output plus the two facts consensus needs about where it
came from (Bitcoin Core's ``Coin`` in ``src/coins.h``): the height of the block that created
it (for coinbase maturity) and whether it was a coinbase output.  The UTXO set maps an
:class:`~edu_chain.tx.OutPoint` (txid, output index) to its coin.

Undo data is the list of coins a block spent, in the order its inputs spend them.  Removing
the block from the chain ("disconnecting") deletes the coins it created and puts these back,
which is how a reorg rewinds the UTXO set without replaying the chain from genesis.

Serialization of one coin (used for undo data and the SQLite store)::

    amount         int64 LE      satoshis (as in the output)
    script_pubkey  CompactSize length + bytes: the output's locking script
    height         uint32 LE     height of the block that created the output
    is_coinbase    uint8         1 for a coinbase output, else 0 (any other value is refused)

The first two fields are exactly the output's own serialization (``TxOut.serialize``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from edu_chain.encoding import ByteReader, encode_varint, uint32_le
from edu_chain.errors import DecodeError
from edu_chain.tx import OutPoint, TxOut

if TYPE_CHECKING:  # pragma: no cover
    from edu_chain.tx import Transaction

COIN_SIZE = 8 + 1 + 4 + 1  # the smallest coin: an empty script_pubkey


@dataclass(frozen=True)
class Coin:
    """An unspent output and where it was created."""

    output: TxOut  # amount and the script_pubkey that locks it
    height: int  # height of the block that created it
    is_coinbase: bool  # coinbase outputs must mature before they can be spent

    @property
    def amount(self) -> int:
        return self.output.amount

    def serialize(self) -> bytes:
        return (
            self.output.serialize() + uint32_le(self.height) + bytes([1 if self.is_coinbase else 0])
        )

    @classmethod
    def read(cls, reader: ByteReader) -> Coin:
        output = TxOut.read(reader)
        height = reader.uint32("height")
        flag = reader.read(1, "is_coinbase")[0]
        if flag > 1:  # one coin, one encoding: 2..255 would not serialize back the same
            raise DecodeError(
                "decode-non-canonical",
                f"coin field is_coinbase at offset {reader.offset - 1}: expected 0 or 1, "
                f"got {flag}",
            )
        return cls(output, height, flag == 1)

    @classmethod
    def parse(cls, raw: bytes) -> Coin:
        reader = ByteReader(raw, what="coin")
        coin = cls.read(reader)
        reader.expect_end()
        return coin


class CoinView(Protocol):
    """Anything that can look up an unspent output (the UTXO set, or it plus the mempool)."""

    def get_coin(self, outpoint: OutPoint) -> Coin | None: ...


class DictCoinView:
    """A :class:`CoinView` over a plain dict (tests and the consistency check use it)."""

    def __init__(self, coins: Mapping[OutPoint, Coin] | None = None) -> None:
        self.coins: dict[OutPoint, Coin] = dict(coins or {})

    def get_coin(self, outpoint: OutPoint) -> Coin | None:
        return self.coins.get(outpoint)


def coins_created(tx: Transaction, height: int) -> Iterable[tuple[OutPoint, Coin]]:
    """The (outpoint, coin) pairs a confirmed transaction adds to the UTXO set."""
    txid = tx.txid
    coinbase = tx.is_coinbase()
    for index, output in enumerate(tx.outputs):
        yield OutPoint(txid, index), Coin(output, height, coinbase)


def serialize_undo(spent: list[Coin]) -> bytes:
    """Undo data of one block: a count then the spent coins, in input order."""
    return encode_varint(len(spent)) + b"".join(coin.serialize() for coin in spent)


def parse_undo(raw: bytes) -> list[Coin]:
    reader = ByteReader(raw, what="undo data")
    count = reader.count("spent coin count", COIN_SIZE)
    coins = [Coin.read(reader) for _ in range(count)]
    reader.expect_end()
    return coins
