"""Hypothesis state machine: the chain against a model written in a few lines.

The model is a dict of blocks (parent, height, first-seen order, valid or not).  Its fork
choice is the rule itself: among blocks whose whole branch is valid, the most work wins
(all blocks here carry the same bits, so work = height) and the first seen wins a tie.  Its
UTXO set is a replay of the winning branch from genesis into a plain dict.  Hypothesis mines
valid and invalid blocks on arbitrary known blocks (with payments on that branch), restarts
the node from its SQLite file, and after every step the real ChainState must agree.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule

from edu_chain.chain import ChainParams, ChainState
from edu_chain.chain.builder import ChainBuilder
from edu_chain.errors import BlockValidationError
from edu_chain.script.standard import p2wpkh

PARAMS = ChainParams.for_tests()
CAROL = p2wpkh(b"\xca" * 20)


class ModelBlock:
    def __init__(self, block, parent, height, sequence, valid):
        self.block, self.parent, self.height = block, parent, height
        self.sequence, self.valid = sequence, valid


class ChainMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.dir = Path(tempfile.mkdtemp(prefix="chain-model-"))
        self.path = self.dir / "chain.sqlite"
        self.builder = ChainBuilder(chain=ChainState(PARAMS, self.path))
        genesis = PARAMS.genesis_block()
        self.blocks = {genesis.hash(): ModelBlock(genesis, None, 0, 0, True)}
        self.order = [genesis.hash()]
        self.counter = 0

    def teardown(self) -> None:
        self.builder.chain.close()
        shutil.rmtree(self.dir, ignore_errors=True)

    # --- the model ------------------------------------------------------------------------

    def branch_valid(self, block_hash: bytes) -> bool:
        while block_hash is not None:
            node = self.blocks[block_hash]
            if not node.valid:
                return False
            block_hash = node.parent
        return True

    def model_tip(self) -> bytes:
        candidates = [h for h in self.order if self.branch_valid(h)]
        return max(candidates, key=lambda h: (self.blocks[h].height, -self.blocks[h].sequence))

    def replay(self, block_hash: bytes) -> dict:
        path = []
        while block_hash is not None:
            path.append(self.blocks[block_hash])
            block_hash = path[-1].parent
        utxos: dict = {}
        for node in reversed(path[:-1]):  # the genesis coinbase is unspendable
            for tx in node.block.transactions:
                if not tx.is_coinbase():
                    for tx_in in tx.inputs:
                        del utxos[(tx_in.outpoint.txid, tx_in.outpoint.index)]
                for index, out in enumerate(tx.outputs):
                    key = (tx.txid, index)
                    utxos[key] = (out.amount, out.script_pubkey, node.height, tx.is_coinbase())
        return utxos

    # --- rules ----------------------------------------------------------------------------

    def _submit(self, parent_index: int, valid: bool, pay: bool) -> None:
        parent_hash = self.order[parent_index % len(self.order)]
        parent = self.blocks[parent_hash]
        if not self.branch_valid(parent_hash):
            return  # the builder's blocks on invalid parents are covered by bad-prevblk tests
        self.counter += 1
        txs, fees = [], 0
        if pay:
            height = parent.height + 1
            spendable = [
                (key, value)
                for key, value in sorted(self.replay(parent_hash).items())
                if value[1] == self.builder.script_pubkey
                and (not value[3] or height - value[2] >= PARAMS.coinbase_maturity)
            ]
            if spendable:
                from edu_chain.tx import OutPoint, TxOut

                (txid, index), (amount, pkh, _, _) = spendable[0]
                fees = 1_000
                txs = [
                    self.builder.spend(
                        [(OutPoint(txid, index), TxOut(amount, pkh))],
                        [
                            (CAROL, amount // 3),
                            (self.builder.script_pubkey, amount - amount // 3 - fees),
                        ],
                    )
                ]
        subsidy = PARAMS.block_subsidy(parent.height + 1)
        block = self.builder.make_block(
            txs,
            parent=parent_hash,
            fees=fees,
            coinbase_amount=subsidy + fees + (0 if valid else 1),
            extra=self.counter.to_bytes(4, "little"),
        )
        sequence = len(self.order)
        try:
            self.builder.chain.submit_block(block)
        except BlockValidationError as exc:
            assert not valid and exc.code == "bad-cb-amount", exc
        self.blocks[block.hash()] = ModelBlock(
            block, parent_hash, parent.height + 1, sequence, valid
        )
        self.order.append(block.hash())

    @rule(parent=st.integers(min_value=0), pay=st.booleans())
    def mine_valid(self, parent: int, pay: bool) -> None:
        self._submit(parent, True, pay)

    @rule(parent=st.integers(min_value=0))
    def mine_on_tip(self, parent: int) -> None:
        self._submit(self.order.index(self.model_tip()), True, pay=parent % 2 == 0)

    @rule(parent=st.integers(min_value=0))
    def mine_invalid(self, parent: int) -> None:
        self._submit(parent, False, pay=False)

    @rule()
    def restart(self) -> None:
        self.builder.chain.close()
        self.builder.chain = ChainState(PARAMS, self.path)

    # --- invariants -----------------------------------------------------------------------

    @invariant()
    def tip_matches_the_model(self) -> None:
        assert self.builder.chain.tip.hash == self.model_tip()

    @invariant()
    def utxos_match_the_replay(self) -> None:
        actual = {
            (op.txid, op.index): (c.amount, c.output.script_pubkey, c.height, c.is_coinbase)
            for op, c in self.builder.chain.utxos.items()
        }
        assert actual == self.replay(self.model_tip())

    @invariant()
    def store_is_consistent(self) -> None:
        assert self.builder.chain.check_consistency().ok


ChainMachine.TestCase.settings = settings(max_examples=40, stateful_step_count=30, deadline=None)
test_chain_against_model = ChainMachine.TestCase
