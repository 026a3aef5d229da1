"""Blocks arriving in any order end in the same place: a property test of orphan handling.

Hypothesis draws a block tree (each new block picks a parent among the earlier ones) and an
arbitrary delivery order.  A fresh node receiving the blocks in that order (children before
parents become orphans) must end on a block with the most chainwork of the whole tree: the
unique one if there is a single heaviest block.  Oracle: the tree's heights computed in the
test (all blocks carry the same bits, so work is proportional to height) and the independent
UTXO replay of ``check_consistency``.
"""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from edu_chain.chain import ChainParams, ChainState
from edu_chain.chain.builder import ChainBuilder

PARAMS = ChainParams.for_tests()


@st.composite
def trees_and_orders(draw):
    size = draw(st.integers(min_value=1, max_value=12))
    parents = [draw(st.integers(min_value=-1, max_value=i - 1)) for i in range(size)]
    order = draw(st.permutations(range(size)))
    return parents, order


@settings(max_examples=60, deadline=None)
@given(trees_and_orders())
def test_any_delivery_order_ends_on_the_heaviest_block(tree):
    parents, order = tree
    builder = ChainBuilder(PARAMS)
    blocks, heights = [], []
    for number, parent in enumerate(parents):
        parent_block = None if parent == -1 else blocks[parent]
        parent_hash = PARAMS.genesis_hash if parent_block is None else parent_block.hash()
        block = builder.make_block(parent=parent_hash, extra=number.to_bytes(2, "little"), fees=0)
        builder.chain.submit_block(block)
        blocks.append(block)
        heights.append(1 if parent == -1 else heights[parent] + 1)

    node = ChainState(PARAMS, max_orphans=len(blocks))
    for index in order:
        node.submit_block(blocks[index])
    best = max(heights)
    assert node.height == best
    heaviest = [blocks[i].hash() for i, h in enumerate(heights) if h == best]
    assert node.tip.hash in heaviest
    if len(heaviest) == 1:
        assert node.tip.hash == builder.chain.tip.hash
    assert node.orphans == {}
    assert len(node.index) == len(blocks) + 1
    assert node.check_consistency().ok
