"""ChainState: block index, most-work fork choice, first-seen ties, orphans, reorgs, events.

Oracles: the chainwork arithmetic (``block_work`` summed by hand), a plain replay of the
active chain's transactions into a dict (``check_consistency``), and the fork-choice rule as
stated in docs/architecture.md#chain-rules (most work; first seen on a tie).
"""

from __future__ import annotations

import statistics
from dataclasses import replace

import pytest

from edu_chain.chain import ChainEvent
from edu_chain.chain.builder import ChainBuilder
from edu_chain.chain.params import ChainParams
from edu_chain.errors import BlockValidationError
from edu_chain.pow import mine
from edu_chain.pow.target import block_work
from edu_chain.script.standard import p2wpkh
from edu_chain.tx import OutPoint

HARDER = replace(ChainParams.for_tests(), genesis_bits=0x1F7FFFFF, genesis_nonce=0)


@pytest.fixture
def builder() -> ChainBuilder:
    return ChainBuilder(ChainParams.for_tests())


def test_starts_at_genesis_with_an_empty_utxo_set(builder: ChainBuilder):
    chain = builder.chain
    assert chain.height == 0
    assert chain.tip.hash == chain.params.genesis_hash
    assert chain.utxos == {}  # the genesis coinbase is unspendable, as in Bitcoin
    assert chain.tip.chainwork == block_work(chain.params.genesis_bits)


def test_connecting_blocks_updates_tip_work_and_utxos(builder: ChainBuilder):
    blocks = builder.mine_blocks(3)
    chain = builder.chain
    assert chain.height == 3
    assert chain.tip.hash == blocks[-1].hash()
    assert chain.tip.chainwork == sum(block_work(b.header.bits) for b in blocks) + block_work(
        chain.params.genesis_bits
    )
    assert chain.balance(builder.script_pubkey) == 3 * chain.params.block_subsidy(1)
    for height, block in enumerate(blocks, start=1):
        coin = chain.get_coin(OutPoint(block.transactions[0].txid, 0))
        assert coin is not None and coin.height == height and coin.is_coinbase
    assert chain.block_at(2) == blocks[1]
    assert chain.check_consistency().ok


def test_most_work_wins_not_most_blocks():
    builder = ChainBuilder(HARDER)
    chain = builder.chain
    genesis = chain.tip
    # Branch B: 12 blocks on schedule (genesis difficulty throughout).
    for _ in range(12):
        builder.mine_block(timestamp=chain.tip.timestamp + HARDER.target_spacing)
    long_tip = chain.tip
    # Branch A: 11 blocks mined fast, so blocks 10 and 11 are 4x harder.
    parent = genesis
    for _ in range(11):
        block = builder.make_block(
            parent=parent, timestamp=parent.timestamp + 1, extra=b"A", fees=0
        )
        chain.submit_block(block)
        parent = chain.get_entry(block.hash())
    assert parent.height == 11 < long_tip.height == 12
    assert parent.chainwork > long_tip.chainwork
    assert chain.tip is parent
    assert chain.check_consistency().ok


def test_equal_work_keeps_the_first_seen_tip(builder: ChainBuilder):
    builder.mine_blocks(2)
    chain = builder.chain
    parent = chain.tip
    first = builder.mine_block(extra=b"first")
    second = builder.make_block(parent=parent, extra=b"second")
    result = chain.submit_block(second)
    assert result.status == "side-chain"
    assert chain.tip.hash == first.hash()
    assert chain.get_entry(second.hash()).chainwork == chain.tip.chainwork
    # One more block on the second branch gives it more work: reorg.
    third = builder.make_block(parent=second, extra=b"second")
    result = chain.submit_block(third)
    assert result.status == "active" and result.reorg
    assert result.disconnected == (first.hash(),)
    assert result.connected == (second.hash(), third.hash())
    assert chain.check_consistency().ok


def test_orphans_wait_for_their_parent(builder: ChainBuilder):
    chain = builder.chain
    elsewhere = ChainBuilder(chain.params)  # another node mines 3 blocks
    parent, child, grandchild = elsewhere.mine_blocks(3)
    assert chain.submit_block(grandchild).status == "orphan"
    assert chain.submit_block(child).status == "orphan"
    assert len(chain.orphans) == 2
    result = chain.submit_block(parent)
    assert chain.height == 3 and chain.tip.hash == grandchild.hash()
    assert result.connected == (parent.hash(), child.hash(), grandchild.hash())
    assert chain.orphans == {}
    assert chain.check_consistency().ok


def test_orphan_pool_is_bounded(builder: ChainBuilder):
    builder.chain.max_orphans = 3
    for i in range(5):
        block = builder.make_block(
            mutate=lambda b, i=i: replace(
                b, header=replace(b.header, prev_hash=bytes([i + 1]) * 32)
            )
        )
        assert builder.chain.submit_block(block).status == "orphan"
    assert len(builder.chain.orphans) == 3


def test_duplicate_orphan_is_refused(builder: ChainBuilder):
    block = builder.make_block(
        mutate=lambda b: replace(b, header=replace(b.header, prev_hash=bytes([7]) * 32))
    )
    builder.chain.submit_block(block)
    with pytest.raises(BlockValidationError) as info:
        builder.chain.submit_block(block)
    assert info.value.code == "duplicate"


def test_heavier_branch_with_an_invalid_block_is_refused(builder: ChainBuilder):
    """Bitcoin Core feature_block.py style: the longer chain has an invalid block in it."""
    builder.mine_blocks(3)
    chain = builder.chain
    fork = chain.tip
    main = builder.mine_blocks(2)
    # Side branch: its first block over-pays the coinbase (only visible when connecting).
    bad = builder.make_block(
        parent=fork, coinbase_amount=chain.params.block_subsidy(fork.height + 1) + 1
    )
    assert chain.submit_block(bad).status == "side-chain"  # less work: stored, not validated
    child = builder.make_block(parent=bad, fees=0)
    assert chain.submit_block(child).status == "side-chain"  # equal work: first seen stays
    grandchild = builder.make_block(parent=child, fees=0)
    with pytest.raises(BlockValidationError) as info:
        chain.submit_block(grandchild)  # more work: reorg attempted, bad block found
    assert info.value.code == "bad-cb-amount"
    assert chain.tip.hash == main[-1].hash()
    assert chain.get_entry(bad.hash()).status == "invalid"
    assert chain.get_entry(grandchild.hash()).reason == "bad-prevblk"
    assert chain.check_consistency().ok
    # Building on the invalid branch is refused at once.
    with pytest.raises(BlockValidationError) as info:
        chain.submit_block(builder.make_block(parent=grandchild, fees=0))
    assert info.value.code == "bad-prevblk"


def test_events_tell_the_story_of_a_reorg(builder: ChainBuilder):
    builder.mine_blocks(2)
    chain = builder.chain
    fork = chain.tip
    old = builder.mine_block()
    events: list[ChainEvent] = []
    chain.subscribe(events.append)
    a = builder.make_block(parent=fork, extra=b"alt")
    chain.submit_block(a)
    b = builder.make_block(parent=a, extra=b"alt")
    chain.submit_block(b)
    story = [(e.kind, e.entry.hash) for e in events]
    assert story == [
        ("block_accepted", a.hash()),
        ("block_accepted", b.hash()),
        ("block_disconnected", old.hash()),
        ("block_connected", a.hash()),
        ("block_connected", b.hash()),
        ("tip_changed", b.hash()),
    ]
    chain.unsubscribe(events.append)


def test_a_failing_listener_does_not_break_the_chain(builder: ChainBuilder):
    def broken(event):
        raise RuntimeError("listener bug")

    builder.chain.subscribe(broken)
    builder.mine_blocks(2)
    assert builder.chain.height == 2


def test_fork_tree_records_stale_branches(builder: ChainBuilder):
    builder.mine_blocks(2)
    chain = builder.chain
    fork = chain.tip
    builder.mine_blocks(2)
    stale = builder.make_block(parent=fork, extra=b"stale")
    chain.submit_block(stale)
    tree = chain.fork_tree()
    assert len(tree) == 6
    by_hash = {row["hash"]: row for row in tree}
    assert by_hash[stale.id]["active"] is False
    assert by_hash[stale.id]["prev_hash"] == fork.id
    assert sum(row["active"] for row in tree) == 5
    assert [e.hash for e in chain.stale_tips()] == [stale.hash()]


def test_median_time_past_is_the_median_of_eleven(builder: ChainBuilder):
    chain = builder.chain
    for offset in [5, 3, 9, 1, 7, 20, 2, 8, 4, 6, 30, 11]:
        parent = chain.tip
        when = max(parent.timestamp, chain.median_time_past(parent)) + offset
        builder.mine_block(timestamp=when)
    last = [chain.active[h].timestamp for h in range(chain.height - 10, chain.height + 1)]
    assert chain.median_time_past(chain.tip) == statistics.median(last)


def test_block_template_mines_into_a_valid_block(builder: ChainBuilder):
    builder.mine_blocks(1)
    chain = builder.chain
    template = chain.block_template(builder.script_pubkey, extra=b"template")
    assert template.header.prev_hash == chain.tip.hash
    assert template.header.bits == chain.next_bits(chain.tip)
    assert template.header.timestamp > chain.median_time_past(chain.tip)
    header = mine(template.header, backend="python")
    result = chain.submit_block(replace(template, header=header))
    assert result.status == "active" and chain.height == 2


def test_find_tx_and_address_index(builder: ChainBuilder):
    builder.mine_blocks(4)
    tx = builder.pay(p2wpkh(b"\x11" * 20), 12_345)
    block = builder.mine_block([tx])
    found, entry = builder.chain.find_tx(tx.txid)
    assert found == tx and entry.hash == block.hash()
    assert builder.chain.balance(p2wpkh(b"\x11" * 20)) == 12_345
    assert builder.chain.find_tx(bytes(32)) is None


def test_sync_helpers_let_a_peer_catch_up(builder: ChainBuilder):
    """Two nodes: the behind one sends its locator, the ahead one answers with what follows."""
    ahead = builder.chain
    behind = ChainBuilder(ahead.params)
    shared = builder.mine_blocks(3)
    for block in shared:
        behind.chain.submit_block(block)
    behind.mine_blocks(1, extra=b"stale")  # the behind node has a private block
    new = builder.mine_blocks(25)
    locator = behind.chain.block_locator()
    assert locator[0] == behind.chain.tip.hash and locator[-1] == ahead.params.genesis_hash
    wanted = ahead.hashes_after(locator)
    assert wanted == [b.hash() for b in new]  # resumes after the last shared block (b3)
    assert ahead.hashes_after(locator, limit=5) == wanted[:5]
    # Delivered newest-first, they wait as orphans until the gap closes.
    for block_hash in reversed(wanted[1:]):
        behind.chain.submit_block(ahead.get_block(block_hash))
    assert behind.chain.orphan_parents() == [wanted[0]]
    behind.chain.submit_block(ahead.get_block(wanted[0]))
    assert behind.chain.tip.hash == ahead.tip.hash
    assert behind.chain.orphan_parents() == []
    assert len(ahead.block_locator()) < 20  # logarithmic, not one hash per block


def test_tip_info_has_the_fixed_api_shape(builder: ChainBuilder):
    builder.mine_blocks(2)
    info = builder.chain.tip_info()
    assert info == {
        "height": 2,
        "hash": builder.chain.tip.id,
        "chainwork": f"{builder.chain.tip.chainwork:x}",
    }
    assert int(info["chainwork"], 16) == 3 * block_work(builder.params.genesis_bits)


def test_render_fork_tree_draws_the_active_chain_and_branches(builder: ChainBuilder):
    from edu_chain.chain.forktree import branches, render_fork_tree

    builder.mine_blocks(3)
    chain = builder.chain
    fork = chain.tip
    main = builder.mine_blocks(2)
    side = builder.make_block(parent=fork, extra=b"side")
    chain.submit_block(side)
    columns = branches(chain)
    assert [e.hash for e in columns[0]] == [e.hash for e in chain.active]
    assert [e.hash for e in columns[1]] == [side.hash()]
    text = render_fork_tree(chain)
    lines = text.splitlines()
    assert lines[0].split() == ["height", "active", "branch", "1"]
    row4 = next(line for line in lines if line.split()[0] == "4")
    assert row4.split() == ["4", main[0].id[:8], side.id[:8], "?"]
    assert lines[-1].split() == ["5", main[1].id[:8], "*"]
    assert len(render_fork_tree(chain, last=2).splitlines()) == 3


def test_readers_and_a_writer_in_threads(builder: ChainBuilder):
    """A node reads (API threads) while it connects blocks (sync thread): no errors, and the
    chain is consistent afterwards."""
    import threading

    from edu_chain.chain.forktree import render_fork_tree
    from edu_chain.mempool import Mempool

    chain = builder.chain
    pool = Mempool(chain)
    errors: list[BaseException] = []
    done = threading.Event()

    def read() -> None:
        try:
            while not done.is_set():
                chain.block_at(chain.height)  # may be None if a reorg shortened the chain
                assert chain.block_at(0) is not None
                chain.tip_info()
                chain.fork_tree()
                chain.stale_tips()
                render_fork_tree(chain)
                pool.block_template(builder.script_pubkey)
                chain.utxos_for(builder.script_pubkey)
        except BaseException as exc:  # reported to the main thread
            errors.append(exc)

    readers = [threading.Thread(target=read) for _ in range(2)]
    for thread in readers:
        thread.start()
    try:
        for _ in range(8):
            builder.mine_blocks(2)
            fork = chain.active[-2]
            side = builder.make_block(parent=fork, extra=b"side", fees=0)
            chain.submit_block(side)
            chain.submit_block(builder.make_block(parent=side, extra=b"side", fees=0))
    finally:
        done.set()
        for thread in readers:
            thread.join()
    assert errors == []
    assert chain.check_consistency().ok


def test_wallet_spends_from_the_real_chain_state():
    """The wallet plugged into the chain's UTXO set (owner index by script_pubkey): immature
    coinbases are skipped, and its segwit payment is accepted into a block (the consensus
    rules, scripts included, are the oracle)."""
    from edu_chain.keys import PrivateKey
    from edu_chain.wallet import InsufficientFundsError, Wallet

    alice, bob = PrivateKey(0xA11CE), PrivateKey(0xB0B)
    wallet = Wallet("unused.json", [alice])
    builder = ChainBuilder(ChainParams.for_tests(), key=alice)
    assert builder.script_pubkey == wallet.script_pubkeys[0]  # both P2WPKH of Alice's key
    params = builder.params
    builder.mine_blocks(params.coinbase_maturity + 2)  # some coinbases mature, some not
    chain = builder.chain
    every = wallet.coins(chain)
    spendable = wallet.coins(chain, spendable_only=True)
    assert len(every) == chain.height  # one coinbase per block after genesis
    assert len(spendable) == chain.height + 1 - params.coinbase_maturity
    assert (
        wallet.balance(chain)
        == sum(c.amount for c in every)
        == chain.balance(builder.script_pubkey)
    )
    amount = sum(c.amount for c in spendable) - 5_000  # needs every mature coin
    bob_wallet = Wallet("unused-too.json", [bob])
    tx = wallet.build_payment(chain, bob_wallet.address, amount, fee=5_000)
    assert {i.outpoint for i in tx.inputs} == {c.outpoint for c in spendable}
    assert all(len(i.witness) == 2 for i in tx.inputs)  # P2WPKH: signature, public key
    block = builder.mine_block([tx])
    assert chain.tip.hash == block.hash()
    assert bob_wallet.balance(chain) == amount
    with pytest.raises(InsufficientFundsError):
        wallet.build_payment(chain, bob_wallet.address, every[0].amount * chain.height)
