"""The mempool: acceptance, conflicts, fee-rate ordering, removal on connect, reorgs, templates.

Oracles: fee arithmetic by hand (inputs - outputs), the chain itself (a template must mine
into a block the chain accepts, paying exactly subsidy + fees), and a brute-force check that
the selected transactions never put a child before its parent.
"""

from __future__ import annotations

from dataclasses import replace

import pytest

from edu_chain.chain.builder import ChainBuilder
from edu_chain.chain.params import ChainParams
from edu_chain.errors import TxValidationError
from edu_chain.keys import PrivateKey
from edu_chain.mempool import Mempool
from edu_chain.pow import mine
from edu_chain.script.standard import op_return, p2wpkh
from edu_chain.tx import OutPoint

BOB = PrivateKey(0xB0B)
BOB_PKH = p2wpkh(BOB.public_key.pubkey_hash())


@pytest.fixture
def lab():
    builder = ChainBuilder(ChainParams.for_tests())
    pool = Mempool(builder.chain)
    builder.mine_blocks(7)  # coinbases of heights 1..5 are mature for a block at height 8
    return builder, pool


def _coin(builder: ChainBuilder, number: int):
    return builder.spendable_coins()[number]


def _spend(builder: ChainBuilder, number: int, fee: int, to: bytes = BOB_PKH):
    outpoint, coin = _coin(builder, number)
    return builder.spend([(outpoint, coin)], [(to, coin.amount - fee)])


def test_accept_records_fee_and_size(lab):
    builder, pool = lab
    tx = _spend(builder, 0, fee=5_000)
    entry = pool.accept(tx)
    assert entry.fee == 5_000
    assert entry.size == len(tx.serialize())
    # BIP141: weight = 3 x size without witness + full size; fee rates are per vbyte.
    vsize = -(-(3 * len(tx.serialize_legacy()) + len(tx.serialize())) // 4)
    assert entry.vsize == vsize < entry.size
    assert entry.fee_rate == pytest.approx(5_000 / vsize)
    assert tx.txid in pool and len(pool) == 1
    assert pool.to_list()[0]["txid"] == tx.id


def test_unconfirmed_chains_are_accepted_and_mined_parent_first(lab):
    builder, pool = lab
    parent = _spend(builder, 0, fee=500, to=builder.script_pubkey)
    pool.accept(parent)
    out = parent.outputs[0]
    child = builder.spend([(OutPoint(parent.txid, 0), out)], [(BOB_PKH, out.amount - 50_000)])
    pool.accept(child)  # spends an output that exists only in the pool
    assert pool.by_fee_rate()[0].tx == child  # the child pays more per byte...
    txs, fees = pool.select_transactions()
    assert txs == [parent, child]  # ...but cannot come before its parent
    assert fees == 50_500


def test_fee_rate_ordering_in_templates(lab):
    builder, pool = lab
    fees = [1_000, 9_000, 4_000]
    txs = [_spend(builder, i, fee=f) for i, f in enumerate(fees)]
    for tx in txs:
        pool.accept(tx)
    selected, total = pool.select_transactions()
    assert selected == [txs[1], txs[2], txs[0]]
    assert total == sum(fees)
    # A block that only fits one transaction takes the best payer.
    one, fee = pool.select_transactions(max_bytes=txs[1].size)
    assert one == [txs[1]] and fee == 9_000
    assert pool.select_transactions(max_bytes=0) == ([], 0)  # 0 means none, not the default


def test_template_mines_into_a_valid_block_paying_the_fees(lab):
    builder, pool = lab
    for i, fee in enumerate([2_000, 3_000]):
        pool.accept(_spend(builder, i, fee))
    template = pool.block_template(builder.script_pubkey)
    height = builder.chain.height + 1
    assert template.transactions[0].outputs[0].amount == (
        builder.params.block_subsidy(height) + 5_000
    )
    block = replace(template, header=mine(template.header, backend="python"))
    assert builder.chain.submit_block(block).status == "active"
    assert len(pool) == 0  # removal on connect
    assert builder.chain.check_consistency().ok


def test_conflict_first_seen_wins(lab):
    builder, pool = lab
    first = _spend(builder, 0, fee=1_000)
    pool.accept(first)
    with pytest.raises(TxValidationError) as info:
        pool.accept(_spend(builder, 0, fee=99_000))
    assert info.value.code == "txn-mempool-conflict"
    assert first.id[:8] in info.value.message or first.txid[::-1].hex() in info.value.message


def test_block_conflict_evicts_pool_tx_and_descendants(lab):
    builder, pool = lab
    parent = _spend(builder, 0, fee=1_000, to=builder.script_pubkey)
    pool.accept(parent)
    out = parent.outputs[0]
    child = builder.spend([(OutPoint(parent.txid, 0), out)], [(BOB_PKH, out.amount - 1_000)])
    pool.accept(child)
    other = _spend(builder, 1, fee=1_000)
    pool.accept(other)
    double_spend = _spend(builder, 0, fee=7_000, to=b"\x33" * 20)  # never seen by the pool
    builder.mine_block([double_spend])
    assert parent.txid not in pool and child.txid not in pool
    assert other.txid in pool


def test_reorg_returns_transactions_to_the_pool(lab):
    builder, pool = lab
    chain = builder.chain
    fork = chain.tip
    tx = _spend(builder, 0, fee=2_000)
    pool.accept(tx)
    builder.mine_block(pool.select_transactions()[0])
    assert len(pool) == 0
    a = builder.make_block(parent=fork, extra=b"B", fees=0)
    chain.submit_block(a)
    b = builder.make_block(parent=a, extra=b"B", fees=0)
    chain.submit_block(b)  # the branch without tx wins
    assert tx.txid in pool
    assert pool.get(tx.txid).fee == 2_000
    assert chain.find_tx(tx.txid) is None  # no longer confirmed on the active chain


def test_reorg_drops_spends_of_outputs_that_vanished(lab):
    """A spend of a coin created only on the reorged-out branch cannot come back."""
    builder, pool = lab
    chain = builder.chain
    fork = chain.tip
    coin = _coin(builder, 0)
    funding = builder.spend([coin], [(builder.script_pubkey, coin[1].amount - 1_000)])
    builder.mine_block([funding])
    out = funding.outputs[0]
    spend = builder.spend([(OutPoint(funding.txid, 0), out)], [(BOB_PKH, out.amount - 1_000)])
    pool.accept(spend)
    # The other branch spends the same coin differently: funding can never come back.
    rival = builder.spend([coin], [(p2wpkh(b"\x44" * 20), coin[1].amount - 3_000)])
    a = builder.make_block([rival], parent=fork, extra=b"B", fees=3_000)
    chain.submit_block(a)
    b = builder.make_block(parent=a, extra=b"B", fees=0)
    chain.submit_block(b)
    assert chain.tip.hash == b.hash()
    assert funding.txid not in pool and spend.txid not in pool
    with pytest.raises(TxValidationError) as info:
        pool.accept(spend)
    assert info.value.code == "bad-txns-inputs-missingorspent"


def test_remove_takes_descendants(lab):
    builder, pool = lab
    parent = _spend(builder, 0, fee=1_000, to=builder.script_pubkey)
    pool.accept(parent)
    out = parent.outputs[0]
    child = builder.spend([(OutPoint(parent.txid, 0), out)], [(BOB_PKH, out.amount - 1_000)])
    pool.accept(child)
    assert pool.remove(parent.txid) == [parent, child]
    assert len(pool) == 0 and pool.spenders == {}


def test_full_pool_evicts_the_cheapest_for_a_better_payer(lab):
    builder, pool = lab
    cheap = _spend(builder, 0, fee=500)
    middle = _spend(builder, 1, fee=2_000)
    pool.accept(cheap)
    pool.accept(middle)
    pool.max_bytes = pool.total_bytes + 5  # full (signatures vary by a byte or two)
    with pytest.raises(TxValidationError) as info:
        pool.accept(_spend(builder, 2, fee=400))  # pays less per byte than anyone
    assert info.value.code == "mempool-full"
    rich = _spend(builder, 2, fee=9_000)
    pool.accept(rich)
    assert cheap.txid not in pool
    assert middle.txid in pool and rich.txid in pool
    assert pool.total_bytes <= pool.max_bytes


def test_eviction_never_removes_the_newcomers_parent(lab):
    builder, pool = lab
    parent = _spend(builder, 0, fee=500, to=builder.script_pubkey)  # the cheapest entry
    pool.accept(parent)
    pool.accept(_spend(builder, 1, fee=800))
    pool.max_bytes = pool.total_bytes + 5
    out = parent.outputs[0]
    child = builder.spend([(OutPoint(parent.txid, 0), out)], [(BOB_PKH, out.amount - 20_000)])
    pool.accept(child)
    assert parent.txid in pool and child.txid in pool
    assert len(pool) == 2  # the 800-fee transaction made room instead


def test_mine_next_block_confirms_the_pool(lab):
    from edu_chain.mempool import mine_next_block

    builder, pool = lab
    tx = _spend(builder, 0, fee=4_000)
    pool.accept(tx)
    block = mine_next_block(pool, BOB_PKH, backend="python")
    assert builder.chain.tip.hash == block.hash()
    assert block.transactions[1] == tx and len(pool) == 0
    height = builder.chain.height
    assert builder.chain.balance(BOB_PKH) == (
        tx.outputs[0].amount + builder.params.block_subsidy(height) + 4_000
    )


def test_reorg_returns_transactions_below_the_relay_fee(lab):
    """A miner may confirm a transaction this pool would not relay (fee 0 here).  When a reorg
    disconnects it, it comes back anyway: the relay fee and the size limit are policy for
    newcomers, not for transactions the chain already held (Bitcoin Core re-adds them with
    ``bypass_limits``).  Consensus still applies: it must be valid on the new tip."""
    builder, pool = lab
    chain = builder.chain
    fork = chain.tip
    free = _spend(builder, 0, fee=0)
    with pytest.raises(TxValidationError):
        pool.accept(free)  # policy: below the relay fee
    builder.mine_block([free])  # ...but a miner took it
    a = builder.make_block(parent=fork, extra=b"B", fees=0)
    chain.submit_block(a)
    chain.submit_block(builder.make_block(parent=a, extra=b"B", fees=0))
    assert chain.find_tx(free.txid) is None
    assert free.txid in pool
    assert pool.get(free.txid).fee == 0


def test_reorg_readds_then_trims_the_pool_to_its_size(lab):
    """Re-added transactions may overfill the pool; the lowest fee rates leave first."""
    builder, pool = lab
    chain = builder.chain
    fork = chain.tip
    cheap, rich = _spend(builder, 0, fee=1_000), _spend(builder, 1, fee=9_000)
    builder.mine_block([cheap, rich])
    pool.max_bytes = rich.size  # room for one of them
    a = builder.make_block(parent=fork, extra=b"B", fees=0)
    chain.submit_block(a)
    chain.submit_block(builder.make_block(parent=a, extra=b"B", fees=0))
    assert [entry.tx for entry in pool] == [rich]


def test_reorg_returns_a_confirmed_parent_before_its_pool_child(lab):
    """The pool held a child spending an output of a confirmed transaction.  A reorg
    disconnects the parent: both end up in the pool, and a template mines parent first."""
    builder, pool = lab
    chain = builder.chain
    fork = chain.tip
    parent = _spend(builder, 0, fee=1_000, to=builder.script_pubkey)
    builder.mine_block([parent])
    out = parent.outputs[0]
    child = builder.spend([(OutPoint(parent.txid, 0), out)], [(BOB_PKH, out.amount - 90_000)])
    pool.accept(child)
    a = builder.make_block(parent=fork, extra=b"B", fees=0)
    chain.submit_block(a)
    chain.submit_block(builder.make_block(parent=a, extra=b"B", fees=0))
    assert parent.txid in pool and child.txid in pool
    assert pool.select_transactions()[0] == [parent, child]
    block = mine_next_block_python(pool, builder)
    assert list(block.transactions[1:]) == [parent, child] and len(pool) == 0
    assert chain.check_consistency().ok


def mine_next_block_python(pool: Mempool, builder: ChainBuilder):
    from edu_chain.mempool import mine_next_block

    return mine_next_block(pool, builder.script_pubkey, backend="python")


def test_op_return_outputs_share_the_pools_data_carrier_budget(lab):
    """Core 30.0's relay policy: several OP_RETURN outputs are standard, their scripts adding
    up to at most ``-datacarriersize`` bytes (here 83, the byte limit before 30.0)."""
    builder, _ = lab
    strict = Mempool(builder.chain, max_datacarrier_bytes=83)
    outpoint, coin = _coin(builder, 0)
    records = [(op_return(b"EDUC" + bytes(32)), 0), (op_return(b"EDUR" + bytes(32)), 0)]
    two = builder.spend([(outpoint, coin)], [(BOB_PKH, coin.amount - 5_000), *records])
    assert sum(len(o.script_pubkey) for o in two.outputs[1:]) == 2 * 38  # fits 83
    strict.accept(two)
    outpoint, coin = _coin(builder, 1)
    records.append((op_return(b"more"), 0))  # 76 + 6 = 82 bytes: still fits
    records.append((op_return(b"x"), 0))  # 82 + 3 = 85 bytes: over
    three = builder.spend([(outpoint, coin)], [(BOB_PKH, coin.amount - 5_000), *records])
    with pytest.raises(TxValidationError) as refused:
        strict.accept(three)
    assert refused.value.code == "datacarrier" and "output 4" in refused.value.message
    assert Mempool(builder.chain).accept(three).fee == 5_000  # the default budget: 100,000
