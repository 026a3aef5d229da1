"""ChainBuilder: mine valid (or deliberately broken) blocks, for tests, notebooks and labs.

Building a correct block by hand takes a dozen steps (coinbase with the height, subsidy plus
fees, Merkle root, expected bits, a timestamp above the median time past, proof-of-work...).
The builder does them all, so a test or a lab can focus on the one thing it breaks:

>>> from edu_chain.chain import ChainParams
>>> from edu_chain.chain.builder import ChainBuilder
>>> builder = ChainBuilder(ChainParams.for_tests())
>>> blocks = builder.mine_blocks(4)           # 4 blocks paying the builder's key (P2WPKH)
>>> builder.chain.height
4
>>> tx = builder.pay(builder.script_pubkey, 10_000, fee=1_000)   # spends a mature coinbase
>>> builder.mine_block([tx]).transactions[1] == tx
True
>>> tx.inputs[0].witness[1] == builder.key.public_key.sec()   # a segwit spend: <sig> <pubkey>
True

Coins are paid to the key's P2WPKH script (``builder.script_pubkey``) unless a test asks
for another script; spends are signed with ``Transaction.sign_input`` (script/sign.py).

Timestamps are deterministic (parent timestamp + ``target_spacing``), so difficulty stays at
the genesis level unless a test passes its own timestamps.  The key is a fixed, well-known
test key: never use it for anything of value.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import replace

from edu_chain.block import Block, BlockHeader
from edu_chain.chain.coinbase import coinbase_transaction
from edu_chain.chain.coins import Coin
from edu_chain.chain.params import ChainParams
from edu_chain.chain.state import BlockIndexEntry, ChainState
from edu_chain.errors import MiningError
from edu_chain.keys import PrivateKey
from edu_chain.pow import mine
from edu_chain.pow.target import bits_to_target
from edu_chain.script.checker import SEQUENCE_FINAL
from edu_chain.script.standard import p2wpkh
from edu_chain.tx import OutPoint, Transaction, TxIn, TxOut

TEST_KEY_SECRET = 0xED0C4A1  # a public, well-known secret: test coins only


class ChainBuilder:
    """Mines blocks onto a :class:`ChainState` with a funded test key."""

    def __init__(
        self,
        params: ChainParams | None = None,
        *,
        chain: ChainState | None = None,
        key: PrivateKey | None = None,
        backend: str | None = None,
    ) -> None:
        self.params = chain.params if chain is not None else params or ChainParams.for_tests()
        self.chain = chain or ChainState(self.params, clock=self._clock)
        self.key = key or PrivateKey(TEST_KEY_SECRET)
        self.pubkey_hash = self.key.public_key.pubkey_hash()
        self.script_pubkey = p2wpkh(self.pubkey_hash)
        self.backend = backend or ("python" if self.params.name == "unit-test" else "auto")

    def _clock(self) -> float:
        """The chain's clock: the real time, or just after the newest block if that is later
        (a test that mines far ahead of today never meets ``time-too-new`` by accident)."""
        chain = getattr(self, "chain", None)  # None while the chain loads its genesis
        entries = chain.index.values() if chain is not None else ()
        newest = max((e.timestamp for e in entries), default=0)
        newest = max(newest, self.params.genesis_timestamp) + self.params.target_spacing
        return max(float(newest), time.time())

    # --- blocks ---------------------------------------------------------------------------

    def _parent(self, parent: BlockIndexEntry | Block | bytes | None) -> BlockIndexEntry:
        if parent is None:
            return self.chain.tip
        if isinstance(parent, BlockIndexEntry):
            return parent
        block_hash = parent.hash() if isinstance(parent, Block) else parent
        entry = self.chain.get_entry(block_hash)
        if entry is None:
            raise ValueError("the parent block is unknown to the chain")
        return entry

    def make_block(
        self,
        transactions: Sequence[Transaction] = (),
        *,
        parent: BlockIndexEntry | Block | bytes | None = None,
        timestamp: int | None = None,
        fees: int | None = None,
        coinbase_amount: int | None = None,
        script_pubkey: bytes | None = None,
        extra: bytes = b"",
        mutate: Callable[[Block], Block] | None = None,
        solve: bool = True,
    ) -> Block:
        """A block on ``parent`` (default: the tip), mined unless ``solve=False``.

        ``fees`` defaults to what ``transactions`` pay when their inputs are in the chain's
        UTXO set (or created earlier in the block); pass it when building on a side branch.
        ``mutate`` edits the block after it is assembled and before it is mined: the hook
        for breaking one rule on purpose.
        """
        entry = self._parent(parent)
        height = entry.height + 1
        if fees is None:
            fees = self._fees(transactions)
        amount = (
            self.params.block_subsidy(height) + fees if coinbase_amount is None else coinbase_amount
        )
        payee = self.script_pubkey if script_pubkey is None else script_pubkey
        coinbase = coinbase_transaction(height, payee, amount, extra, transactions)
        header = BlockHeader(
            version=1,
            prev_hash=entry.hash,
            merkle_root=bytes(32),  # Block.build fills it in
            timestamp=entry.timestamp + self.params.target_spacing
            if timestamp is None
            else timestamp,
            bits=self.chain.next_bits(entry),
            nonce=0,
        )
        block = Block.build(header, [coinbase, *transactions])
        if mutate is not None:
            block = mutate(block)
        return self.solve(block) if solve else block

    def solve(self, block: Block) -> Block:
        """Find the lowest nonce meeting the header's bits."""
        solved = mine(block.header, backend=self.backend)
        if solved is None:  # pragma: no cover - 2**32 nonces and none works
            raise MiningError("no nonce meets the target; change the timestamp and retry")
        return replace(block, header=solved)

    def unsolve(self, block: Block) -> Block:
        """The same block with a nonce whose hash is *above* the target (for ``high-hash``)."""
        target = bits_to_target(block.header.bits)
        for nonce in range(2**32):
            header = block.header.with_nonce(nonce)
            if header.hash_int() > target:
                return replace(block, header=header)
        raise MiningError("every nonce meets this target")  # pragma: no cover

    def mine_block(self, transactions: Sequence[Transaction] = (), **kwargs) -> Block:
        """Make a valid block (see :meth:`make_block`) and submit it to the chain."""
        block = self.make_block(transactions, **kwargs)
        self.chain.submit_block(block)
        return block

    def mine_blocks(self, count: int, **kwargs) -> list[Block]:
        return [self.mine_block(**kwargs) for _ in range(count)]

    def mine_to_maturity(self) -> list[Block]:
        """Mine until the key owns at least one spendable (mature) coinbase output."""
        blocks = []
        while not self.spendable_coins():
            blocks.append(self.mine_block())
        return blocks

    def _fees(self, transactions: Sequence[Transaction]) -> int:
        created: dict[OutPoint, int] = {}
        fees = 0
        for tx in transactions:
            total_in = 0
            for tx_in in tx.inputs:
                coin = self.chain.get_coin(tx_in.outpoint)
                if coin is not None:
                    total_in += coin.amount
                elif tx_in.outpoint in created:
                    total_in += created[tx_in.outpoint]
                else:
                    return 0  # not computable here: the block will say what is wrong
            fees += max(0, total_in - sum(out.amount for out in tx.outputs))
            txid = tx.txid
            for index, output in enumerate(tx.outputs):
                created[OutPoint(txid, index)] = output.amount
        return fees

    # --- transactions ---------------------------------------------------------------------

    def spendable_coins(self, key: PrivateKey | None = None) -> list[tuple[OutPoint, Coin]]:
        """Coins of ``key`` (default: the builder's) that a block at tip + 1 may spend."""
        key = key or self.key
        spend_height = self.chain.height + 1
        return [
            (outpoint, coin)
            for outpoint, coin in self.chain.utxos_for(p2wpkh(key.public_key.pubkey_hash()))
            if not coin.is_coinbase or spend_height - coin.height >= self.params.coinbase_maturity
        ]

    def spend(
        self,
        coins: Sequence[tuple[OutPoint, Coin | TxOut]],
        outputs: Sequence[tuple[bytes, int]],
        *,
        key: PrivateKey | None = None,
        locktime: int = 0,
        sequence: int = SEQUENCE_FINAL,
        version: int = 2,
        sign: bool = True,
    ) -> Transaction:
        """A transaction spending ``coins`` to ``outputs`` = [(script_pubkey, amount)], each
        input signed by ``key`` (which must own the coin: P2WPKH, P2PKH, P2PK or P2SH-P2WPKH)."""
        key = key or self.key
        tx = Transaction(
            version,
            tuple(TxIn(outpoint, sequence=sequence) for outpoint, _ in coins),
            tuple(TxOut(amount, script) for script, amount in outputs),
            locktime,
        )
        if sign:
            for index, (_, coin) in enumerate(coins):
                output = coin.output if isinstance(coin, Coin) else coin
                tx = tx.sign_input(index, key, output.script_pubkey, output.amount)
        return tx

    def pay(
        self,
        script_pubkey: bytes,
        amount: int,
        *,
        fee: int = 1_000,
        key: PrivateKey | None = None,
        exclude: set[OutPoint] | None = None,
    ) -> Transaction:
        """Pay ``amount`` to ``script_pubkey`` from ``key``'s mature coins, change back to its
        P2WPKH script."""
        key = key or self.key
        chosen, total = [], 0
        for outpoint, coin in self.spendable_coins(key):
            if exclude and outpoint in exclude:
                continue
            chosen.append((outpoint, coin))
            total += coin.amount
            if total >= amount + fee:
                break
        if total < amount + fee:
            raise ValueError(f"the key owns {total} spendable base units, needs {amount + fee}")
        outputs = [(script_pubkey, amount)]
        if total > amount + fee:
            outputs.append((p2wpkh(key.public_key.pubkey_hash()), total - amount - fee))
        return self.spend(chosen, outputs, key=key)
