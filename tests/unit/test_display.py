"""display.py: well-formed, escaped HTML/SVG whose content matches the data it draws.

Oracles: real Bitcoin headers (tests/bitcoin_data.py), ``merkle_levels`` for the shape of the
tree, ``MerkleProof`` for which nodes a proof uses, and an XML parser for well-formedness.
"""

import xml.etree.ElementTree as ET
from dataclasses import dataclass, replace

import pytest

from edu_chain.block import Block, BlockHeader
from edu_chain.display import (
    Progress,
    chain_html,
    fork_tree_svg,
    header_html,
    merkle_proof_html,
    merkle_tree_svg,
    record_html,
    short_hex,
    table_html,
    track,
    transaction_html,
)
from edu_chain.hashing import sha256d
from edu_chain.merkle import MerkleProof, MerkleTree, merkle_levels
from edu_chain.pow import bits_to_target
from tests.bitcoin_data import BLOCK_100000, GENESIS, GENESIS_HEADER_HEX
from tests.oracles import header_from_fields

SVG = "{http://www.w3.org/2000/svg}"


def _parse(markup: str) -> ET.Element:
    """Parse HTML produced here as XML: it must be well-formed (no stray '<' from data)."""
    return ET.fromstring(f"<root>{markup.replace('&nbsp;', '&#160;')}</root>")


@pytest.mark.parametrize("block", [GENESIS, BLOCK_100000], ids=["genesis", "block-100000"])
def test_header_view_shows_real_id_and_valid_pow(block):
    markup = header_from_fields(block)._repr_html_()
    _parse(markup)
    assert block["id"] in markup
    assert block["merkle_root"] in markup
    assert f"0x{block['bits']:08x}" in markup
    assert ">yes<" in markup  # real headers meet their target


def test_header_view_flags_a_header_that_fails_pow():
    tampered = BlockHeader.from_hex(GENESIS_HEADER_HEX).with_nonce(0)
    assert ">no<" in tampered._repr_html_()
    assert ">no<" in header_html(tampered, target=bits_to_target(tampered.bits))


@dataclass(frozen=True)
class FakeTx:
    """Just enough of a transaction for Block and transaction_html (ids from sha256d)."""

    payload: bytes
    inputs: tuple = ()
    outputs: tuple = ()

    def txid(self) -> bytes:
        return sha256d(self.payload)

    def serialize(self) -> bytes:
        return self.payload


def test_block_view_lists_txids_and_checks_the_merkle_root():
    txs = [FakeTx(bytes([i])) for i in range(3)]
    genesis = BlockHeader.from_hex(GENESIS_HEADER_HEX)
    block = Block.build(genesis, txs)
    markup = block._repr_html_()
    _parse(markup)
    for tx in txs:
        assert tx.txid()[::-1].hex() in markup
    assert "coinbase" in markup and ">yes<" in markup
    wrong = Block(genesis, tuple(txs))  # the genesis root does not commit to these txs
    assert ">no<" in wrong._repr_html_()


@pytest.mark.parametrize("size", [1, 2, 3, 5, 8, 11])
def test_merkle_svg_draws_every_node_and_marks_duplicates(size):
    leaves = [sha256d(bytes([size, i])) for i in range(size)]
    levels = merkle_levels(leaves)
    root = _parse(merkle_tree_svg(merkle_levels(leaves), width=8))
    labels = [t.text for t in root.iter(f"{SVG}text")]
    expected = []
    for level in levels:
        expected += [short_hex(h, 8) for h in level]
        if len(level) > 1 and len(level) % 2:
            expected.append(short_hex(level[-1], 8) + "*")
    assert sorted(labels) == sorted(expected)
    dashed = [r for r in root.iter(f"{SVG}rect") if r.get("stroke-dasharray")]
    assert len(dashed) == sum(1 for lv in levels if len(lv) > 1 and len(lv) % 2)
    assert len(list(root.iter(f"{SVG}line"))) == len(expected) - 1  # a tree: edges = nodes - 1


@pytest.mark.parametrize(("size", "index"), [(4, 2), (5, 4), (11, 10), (1, 0)])
def test_merkle_svg_colours_exactly_the_proof(size, index):
    leaves = [sha256d(bytes([i])) for i in range(size)]
    proof = MerkleProof.build(leaves, index)
    root = _parse(merkle_tree_svg(merkle_levels(leaves), proof_index=index))
    by_fill: dict[str, list[str]] = {}
    rects = list(root.iter(f"{SVG}rect"))
    texts = [t.text.rstrip("*") for t in root.iter(f"{SVG}text")]
    for rect, label in zip(rects, texts, strict=True):
        by_fill.setdefault(rect.get("fill"), []).append(label)
    assert by_fill["#ffd54f"] == [short_hex(leaves[index])]
    assert sorted(by_fill.get("#81d4fa", [])) == sorted(short_hex(s) for s in proof.siblings)
    path = by_fill.get("#c5e1a5", [])
    assert len(path) == len(proof.siblings)  # every level above the leaf, root included
    if proof.siblings:
        assert short_hex(proof.root) in path


def test_merkle_tree_view_and_proof_table():
    leaves = [sha256d(bytes([i])) for i in range(5)]
    tree = MerkleTree(leaves)
    assert tree.root == merkle_levels(leaves)[-1][0]
    assert tree.proof(3) == MerkleProof.build(leaves, 3)
    _parse(tree._repr_html_())
    _parse(tree.show_proof(3)._repr_html_())
    markup = merkle_proof_html(tree.proof(3))
    _parse(markup)
    assert "verifies" in markup and "NOT" not in markup
    forged = replace(tree.proof(3), leaf=leaves[0])
    assert "does NOT verify" in forged._repr_html_()
    assert str(tree).startswith("root")


def test_untrusted_text_is_escaped():
    evil = "<script>alert('x')</script>"
    for markup in (
        table_html([(evil, evil)], header=(evil,), title=evil),
        record_html({"student": evil, "passed": False}, title=evil),
    ):
        assert "<script>" not in markup
        assert "&lt;script&gt;" in markup
        _parse(markup)


def test_record_view_reads_dataclasses_and_colours_passed():
    @dataclass
    class Result:
        exercise_id: str
        passed: bool
        digest: bytes

    markup = record_html(Result("sha256", True, sha256d(b"")))
    assert "Result" in markup and "sha256" in markup and ">yes<" in markup
    assert sha256d(b"")[::-1].hex() in markup


def test_transaction_view_duck_types_inputs_and_outputs():
    @dataclass(frozen=True)
    class OutPoint:
        txid: bytes
        index: int

    @dataclass(frozen=True)
    class TxIn:
        outpoint: OutPoint

    @dataclass(frozen=True)
    class TxOut:
        amount: int
        pubkey_hash: bytes

    spent = sha256d(b"previous")
    tx = FakeTx(b"tx", (TxIn(OutPoint(spent, 1)),), (TxOut(5_000, bytes(range(20))),))
    markup = transaction_html(tx)
    _parse(markup)
    assert f"{spent[::-1].hex()}:1" in markup
    assert bytes(range(20)).hex() in markup and "5,000" in markup
    assert tx.txid()[::-1].hex() in markup


def _chain(parent: BlockHeader, length: int, salt: int) -> list[BlockHeader]:
    headers = []
    for i in range(length):
        child = replace(parent, prev_hash=parent.hash(), nonce=salt * 1000 + i)
        headers.append(child)
        parent = child
    return headers


def test_chain_view_checks_links():
    genesis = BlockHeader.from_hex(GENESIS_HEADER_HEX)
    headers = [genesis, *_chain(genesis, 3, 1)]
    markup = chain_html(headers)
    assert markup.count("BROKEN LINK") == 0 and markup.count(">linked<") == 4
    assert "BROKEN LINK" in chain_html([genesis, headers[2]])


def test_fork_tree_colours_the_active_branch():
    genesis = BlockHeader.from_hex(GENESIS_HEADER_HEX)
    main = _chain(genesis, 4, 1)
    stale = _chain(main[0], 2, 2)  # forks off after block 1
    root = _parse(fork_tree_svg([genesis, *main, *stale], active_tip=main[-1].hash()))
    fills = [r.get("fill") for r in root.iter(f"{SVG}rect")]
    assert fills.count("#a5d6a7") == 5 and fills.count("#e0e0e0") == 2
    assert len(list(root.iter(f"{SVG}line"))) == 6  # 7 blocks, one root
    lanes = {r.get("y") for r in root.iter(f"{SVG}rect")}
    assert len(lanes) == 2


def test_progress_counts_without_a_display():
    with Progress(total=4, description="x", enabled=False) as bar:
        for _ in range(4):
            bar.advance()
    assert bar.done == 4
    assert list(track(range(5), description="t")) == list(range(5))


def test_real_transactions_and_utxo_set_from_a_test_chain():
    from edu_chain.chain.builder import ChainBuilder
    from edu_chain.display import utxo_set_html
    from edu_chain.script.standard import p2wpkh

    builder = ChainBuilder()
    builder.mine_to_maturity()
    tx = builder.pay(p2wpkh(bytes(20)), 5_000)
    markup = transaction_html(tx)
    _parse(markup)
    assert tx.id in markup and ">signed<" in markup
    for output in tx.outputs:
        assert output.address in markup and f"{output.amount:,}" in markup
    coinbase = builder.chain.block_at(1).transactions[0]
    assert "coinbase" in transaction_html(coinbase)
    unsigned = builder.spend(builder.spendable_coins()[:1], [(p2wpkh(bytes(20)), 1)], sign=False)
    assert "NOT signed" in transaction_html(unsigned)

    coins = builder.chain.utxos_for(builder.script_pubkey)
    table = utxo_set_html(coins)
    _parse(table)
    assert f"{builder.chain.balance(builder.script_pubkey):,}" in table  # the total row
    for outpoint, _ in coins:
        assert str(outpoint) in table


def test_block_tree_of_a_real_chain_state_after_a_reorg():
    from edu_chain.chain.builder import ChainBuilder
    from edu_chain.display import block_tree_html

    builder = ChainBuilder()
    builder.mine_blocks(2)
    fork_point = builder.chain.tip
    stale = builder.mine_block()
    first = builder.mine_block(parent=fork_point, extra=b"other miner")
    second = builder.mine_block(parent=first)  # more work: the node reorganises
    assert builder.chain.tip.hash == second.hash()
    root = _parse(block_tree_html(builder.chain))
    fills = {
        text.text: rect.get("fill")
        for rect, text in zip(root.iter(f"{SVG}rect"), root.iter(f"{SVG}text"), strict=True)
    }
    assert fills[short_hex(stale.hash(), 6)] == "#e0e0e0"
    assert fills[short_hex(second.hash(), 6)] == "#a5d6a7"
    assert list(fills.values()).count("#a5d6a7") == builder.chain.height + 1


def test_fork_tree_marks_invalid_blocks_red():
    genesis = BlockHeader.from_hex(GENESIS_HEADER_HEX)
    main = _chain(genesis, 2, 1)
    bad = _chain(genesis, 1, 3)
    root = _parse(
        fork_tree_svg([genesis, *main, *bad], active_tip=main[-1].hash(), invalid=[bad[0].hash()])
    )
    fills = [r.get("fill") for r in root.iter(f"{SVG}rect")]
    assert fills.count("#ef9a9a") == 1 and fills.count("#a5d6a7") == 3


def test_fork_tree_from_node_json_matches_the_chains_active_flags():
    from edu_chain.chain.builder import ChainBuilder
    from edu_chain.display import fork_tree_json_html

    builder = ChainBuilder()
    builder.mine_blocks(2)
    fork_point = builder.chain.tip
    builder.mine_block()
    builder.mine_block(parent=builder.mine_block(parent=fork_point, extra=b"b"))
    blocks = builder.chain.fork_tree()  # the same dicts GET /api/forks serves
    root = _parse(fork_tree_json_html(blocks, tip=builder.chain.tip.id))
    fills = [r.get("fill") for r in root.iter(f"{SVG}rect")]
    assert fills.count("#a5d6a7") == sum(b["active"] for b in blocks)
    assert fills.count("#e0e0e0") == sum(not b["active"] for b in blocks)


def test_tree_of_a_long_chain_needs_no_recursion():
    from edu_chain.display import tree_svg

    hashes = [sha256d(i.to_bytes(4, "little")) for i in range(3000)]
    parents = {h: (hashes[i - 1] if i else bytes(32)) for i, h in enumerate(hashes)}
    root = _parse(tree_svg(parents, active_tip=hashes[-1]))
    assert len(list(root.iter(f"{SVG}rect"))) == 3000


def test_jupyter_hooks_delegate_to_the_display_functions():
    from edu_chain.chain import ChainParams
    from edu_chain.chain.builder import ChainBuilder
    from edu_chain.display import block_tree_html, record_html, transaction_html
    from edu_chain.grading.runner import ExerciseResult

    builder = ChainBuilder(ChainParams.for_tests())
    builder.mine_blocks(2)
    coinbase = builder.chain.block_at(1).transactions[0]
    assert coinbase._repr_html_() == transaction_html(coinbase)
    assert builder.chain._repr_html_() == block_tree_html(builder.chain)
    result = ExerciseResult("merkle_root", 10.0, 10.0, "graded", "all checks passed")
    assert result._repr_html_() == record_html(result)
    ET.fromstring(result._repr_html_())  # well-formed markup


def test_header_view_of_bits_that_encode_no_target_says_so():
    """0x1d800001 has the sign bit set: bits_to_target refuses it (bits-negative), so the
    view shows the fields and says the bits encode no valid target instead of failing."""
    header = replace(BlockHeader.from_hex(GENESIS_HEADER_HEX), bits=0x1D800001)
    with pytest.raises(ValueError, match="bits-negative"):
        bits_to_target(header.bits)
    markup = header._repr_html_()
    _parse(markup)
    assert "0x1d800001" in markup and "bits encode no valid target" in markup
    assert "hash &lt;= target" not in markup and "hash <= target" not in markup
