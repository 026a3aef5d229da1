"""One block's UTXO bookkeeping (``edu_chain.chain.connect``) on plain dicts.

Oracles: the chain itself (applying ``connect_changes`` to a dict gives the UTXO set the chain
has after ``submit_block``), and the round trip (disconnecting with the undo data gives back
the UTXO set from before the block).
"""

from __future__ import annotations

import pytest

from edu_chain.chain.builder import ChainBuilder
from edu_chain.chain.connect import connect_changes, disconnect_changes
from edu_chain.chain.params import ChainParams
from edu_chain.chain.scripts import serial_script_verifier
from edu_chain.chain.store import StoreError
from edu_chain.errors import BlockValidationError
from edu_chain.script.standard import p2wpkh
from edu_chain.tx import OutPoint

PARAMS = ChainParams.for_tests()


def apply(utxos: dict, spent, created) -> dict:
    after = dict(utxos)
    for outpoint, _ in spent:
        del after[outpoint]
    after.update(created)
    return after


@pytest.fixture
def builder() -> ChainBuilder:
    builder = ChainBuilder(PARAMS)
    builder.mine_blocks(5)
    return builder


def _block_with_a_chain_of_spends(builder: ChainBuilder):
    """A payment, and a second transaction spending the payment's change in the same block."""
    first = builder.pay(p2wpkh(b"\x22" * 20), 5_000)
    change = first.outputs[1]
    second = builder.spend(
        [(OutPoint(first.txid, 1), change)], [(p2wpkh(b"\x33" * 20), change.amount - 1_000)]
    )
    return builder.make_block([first, second]), first, second


def test_connect_matches_the_chain_and_disconnect_restores(builder: ChainBuilder):
    chain = builder.chain
    before = dict(chain.utxos)
    block, first, _ = _block_with_a_chain_of_spends(builder)
    height = chain.height + 1
    changes = connect_changes(block, height, before, PARAMS, serial_script_verifier)
    assert changes.fees == 1_000 + 1_000
    # The change output is created and spent inside the block: in neither list.
    inner = OutPoint(first.txid, 1)
    assert inner not in dict(changes.created) and inner not in dict(changes.spent)
    assert [op for op, _ in changes.spent] == [first.inputs[0].outpoint]
    after = apply(before, changes.spent, changes.created)

    chain.submit_block(block)
    assert chain.utxos == after

    undo = [coin for _, coin in changes.spent]
    restored, removed = disconnect_changes(block, height, undo, after)
    rewound = {op: coin for op, coin in after.items() if op not in set(removed)}
    rewound.update(restored)
    assert rewound == before


def test_connect_changes_nothing_it_is_given(builder: ChainBuilder):
    before = dict(builder.chain.utxos)
    block, _, _ = _block_with_a_chain_of_spends(builder)
    view = dict(before)
    connect_changes(block, builder.chain.height + 1, view, PARAMS, serial_script_verifier)
    assert view == before


def test_spending_an_output_of_a_later_transaction_is_missing(builder: ChainBuilder):
    """Order matters inside a block: an input may spend only outputs created *before* it."""
    _, first, second = _block_with_a_chain_of_spends(builder)
    swapped = builder.make_block([second, first])
    chain = builder.chain
    with pytest.raises(BlockValidationError) as info:
        connect_changes(swapped, chain.height + 1, chain.utxos, PARAMS, serial_script_verifier)
    assert info.value.code == "bad-txns-inputs-missingorspent"
    assert "transaction 1" in info.value.message


def test_undo_data_of_the_wrong_length_is_a_store_error(builder: ChainBuilder):
    block, _, _ = _block_with_a_chain_of_spends(builder)
    with pytest.raises(StoreError, match="has 0 coins, expected 1"):
        disconnect_changes(block, builder.chain.height + 1, [], builder.chain.utxos)
