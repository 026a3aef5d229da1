"""The steps of the guided tour, each telling a :class:`Reporter` what it did.

The scenario knows nothing about terminals: it reports steps, lines, notes, successes and
tables, and the caller decides how to show them (``educhain demo`` prints them with rich).
A step that does not happen as announced (no common tip, no reorg, the payment not back in
the mempool) raises :class:`~edu_chain.demo.nodes.DemoError` or ``TestnetError`` with code
``node-timeout``.
"""

from __future__ import annotations

import textwrap
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Protocol

from edu_chain.block import BlockHeader
from edu_chain.demo.nodes import DemoError, NodeApi
from edu_chain.hashing import sha256d
from edu_chain.merkle import MerkleProof, render_merkle_tree
from edu_chain.pow import bits_to_target, mine

# An easy target (about one hash in 65,536 wins) so even the readable Python miner is fast.
DEMO_BITS = 0x1F00FFFF
WAIT_SECONDS = 90.0
COIN = 100_000_000  # base units per coin
SUBMISSIONS = Path(__file__).parent / "submissions"  # the sample class of step 6


class Reporter(Protocol):
    """Where the tour's story goes (``educhain demo`` prints it with rich)."""

    def step(self, title: str) -> None: ...  # a new step starts
    def say(self, text: str) -> None: ...  # a plain line
    def show(self, text: str) -> None: ...  # preformatted text (a drawing), kept as is
    def note(self, text: str) -> None: ...  # a detail, shown dimmed
    def ok(self, text: str) -> None: ...  # a check that passed
    def table(self, title: str, columns: list[str], rows: list[list[str]]) -> None: ...


# --- step 1: the short tour ----------------------------------------------------------------


def hashing_tour(say: Reporter, backend: str) -> None:
    """Step 1: double SHA-256, a Merkle tree and proof, one block mined with ``backend``."""
    say.step("1. Double SHA-256, a Merkle proof, one block")
    message = b"hello, edu_chain"
    say.say(f"sha256d({message!r}) = {sha256d(message).hex()}")
    txids = [sha256d(f"tx {i}".encode()) for i in range(5)]
    say.say("A Merkle tree over five transaction ids, and a proof that #3 is in it:")
    say.show(render_merkle_tree(txids))
    proof = MerkleProof.build(txids, 3)
    say.show(str(proof))
    say.ok(f"proof verifies: {proof.verify()}")
    header = BlockHeader(
        version=1,
        prev_hash=bytes(32),
        merkle_root=proof.root,
        timestamp=int(time.time()),
        bits=DEMO_BITS,
        nonce=0,
    )
    say.say(f"Mining a block at bits 0x{DEMO_BITS:08x}: target = {bits_to_target(DEMO_BITS):#066x}")
    started = time.perf_counter()
    mine(header, max_nonce=0, backend=backend)  # load (or, once per machine, compile) the miner
    loading = time.perf_counter() - started
    if loading > 0.5:
        say.note(f"miner ready in {loading:.1f} s (Numba compiles once per machine, then loads)")
    started = time.perf_counter()
    found = mine(header, backend=backend)
    elapsed = time.perf_counter() - started
    if found is None:
        raise DemoError("no nonce in the whole 32-bit range meets the target")
    say.ok(f"nonce {found.nonce:,} found in {elapsed:.3f} s ({found.nonce + 1:,} hashes tried)")
    say.say(f"block id {found.id}")
    say.ok(f"hash as a number <= target: {found.hash_int() <= bits_to_target(found.bits)}")


# --- helpers over the nodes ------------------------------------------------------------------


def _wait_until(predicate: Any, what: str) -> Any:
    from edu_chain.node.testnet import wait_until

    return wait_until(predicate, timeout=WAIT_SECONDS, what=what)


def wait_same_tip(nodes: Sequence[Any]) -> dict:
    """Wait until every node in ``nodes`` (testnet node records) has the same tip; return it."""

    def agreed() -> dict | None:
        seen = [NodeApi(node.url).tip() for node in nodes]
        return seen[0] if all(tip["hash"] == seen[0]["hash"] for tip in seen) else None

    return _wait_until(agreed, ", ".join(node.name for node in nodes) + " to agree on the tip")


def mine_blocks(say: Reporter, node: NodeApi, count: int, address: str, label: str) -> list[str]:
    """Mine ``count`` blocks one request at a time, so the progress shows."""
    hashes = []
    started = time.perf_counter()
    for i in range(count):
        reply = node.mine(1, address)
        hashes.extend(reply["blocks"])
        tip = reply["tip"]
        say.note(f"{label}: block #{tip['height']} {tip['hash'][:16]}… ({i + 1}/{count})")
    elapsed = time.perf_counter() - started
    # Expected hashes per block = its work (2**256 / (target + 1)), summed from the node's stats.
    work = sum(int(b.get("work") or 0) for b in node.recent_blocks(count) if b["hash"] in hashes)
    rate = ""
    if work and elapsed > 0.5 and count >= 5:  # fewer blocks: luck dominates the estimate
        rate = f" (expected work / time: about {work / elapsed / 1e6:.0f} MH/s)"
    say.ok(f"{label} mined {count} block(s) in {elapsed:.1f} s{rate}")
    return hashes


def pay(say: Reporter, wallet: Any, node: NodeApi, to_address: str, amount: int) -> str:
    """``wallet`` builds and signs a payment from its coins as ``node`` sees them."""
    from edu_chain.wallet import format_coins

    tx = wallet.build_payment(node.spendable_coins(wallet.address), to_address, amount, fee=10_000)
    reply = node.send_transaction(tx.serialize().hex())
    say.ok(
        f"signed and sent {format_coins(amount)} coins to {to_address[:12]}…: "
        f"txid {reply['txid']} ({len(tx.inputs)} segwit input(s), {tx.vsize} vbytes, "
        f"fee {reply.get('fee')})"
    )
    return reply["txid"]


# --- steps 2-5: the testnet ----------------------------------------------------------------


def network_tour(say: Reporter, root: Path, network: str, keep_running: bool) -> None:
    """Steps 2 to 5 on a testnet of three node processes under ``root / "testnet"``.

    The nodes are stopped at the end (also on any error or interrupt) unless ``keep_running``,
    which hands them over to ``educhain testnet down``.
    """
    from edu_chain.node.testnet import Testnet

    say.step("2. A local testnet: three nodes, three processes, three data dirs")
    say.note(f"network {network}; data under {root}")
    testnet = Testnet.start(
        root / "testnet",
        3,
        network=network,
        exit_with_parent=not keep_running,  # even a kill -9 of the demo ends its nodes
        on_progress=say.note,
    )
    try:
        for node in testnet.nodes:
            peers = NodeApi(node.url).peer_addresses()
            say.say(f"  {node.name}: {node.url}  (pid {node.pid}, peers {peers})")
        say.say(
            f"Explorer: {testnet.explorer_url} (while the demo runs; "
            "--keep-running --dir DIR keeps it up)"
        )
        mining_and_payment(say, root, testnet, network)
        if keep_running:
            say.step("Left running (--keep-running)")
            say.say(f"Explorer: {testnet.explorer_url}")
            say.say(f"Stop it with: educhain testnet down --dir {testnet.state.directory}")
            testnet.processes.clear()  # hand them over: the state file lets `down` stop them
    except BaseException:
        keep_running = False
        raise
    finally:
        if not keep_running:
            say.step("Stopping the testnet")
            for line in testnet.stop():
                say.note(line)


def mining_and_payment(say: Reporter, root: Path, testnet: Any, network: str) -> None:
    """Steps 3 to 5: mine to maturity, Alice pays Bob, then the fork and its reorg."""
    from edu_chain.wallet import Wallet

    node0, node1, node2 = (NodeApi(node.url) for node in testnet.nodes)
    maturity = int(node0.info()["network"]["coinbase_maturity"])

    miner = "the Numba miner" if network == "regtest" else "instant unittest blocks"
    say.step(f"3. Mining ({miner}) until Alice's first coinbase is mature")
    alice = Wallet.create(root / "alice.json")
    bob = Wallet.create(root / "bob.json")
    carol = Wallet.create(root / "carol.json")
    say.say(f"Alice {alice.address}")
    say.say(f"Bob   {bob.address}")
    say.say(f"Carol {carol.address}")
    say.note(f"a coinbase output can be spent after {maturity} confirmations")
    mine_blocks(say, node0, maturity + 1, alice.address, "node0")
    tip = wait_same_tip(testnet.nodes)
    say.ok(f"all three nodes follow the same tip: #{tip['height']} {tip['hash'][:16]}…")
    last = node0.recent_blocks(20)[-1]
    say.note(
        f"difficulty {last['difficulty']:.2f}, bits {last['bits']}; "
        f"Alice's balance {node0.balance(alice.address):,} base units"
    )

    say.step("4. A transaction: Alice pays Bob; node1 relays it, node2 mines it")
    txid = pay(say, alice, node1, bob.address, 5 * COIN)
    _wait_until(
        lambda: all(txid in node.mempool_txids() for node in (node0, node1, node2)),
        "the transaction to reach every mempool",
    )
    say.ok("it reached all three mempools (gossip)")
    mine_blocks(say, node2, 1, carol.address, "node2")
    wait_same_tip(testnet.nodes)
    tx = node0.transaction(txid)
    say.ok(
        f"node0 sees it confirmed in block #{tx['block_height']} "
        f"({tx['confirmations']} confirmation(s)); Bob's balance "
        f"{node0.balance(bob.address):,}"
    )
    fork_tour(say, testnet, alice, carol)


def fork_tour(say: Reporter, testnet: Any, alice: Any, carol: Any) -> None:
    """Step 5: partition node2, mine on both sides, heal, check the reorg and the mempool."""
    records = testnet.nodes
    node0, node1, node2 = (NodeApi(node.url) for node in records)
    address0, address1, address2 = (node.address for node in records)
    say.step("5. A fork: cut node2 off, mine on both sides, heal, watch the reorg")
    for other in (address0, address1):
        node2.disconnect(other)
    _wait_until(
        lambda: (
            not node2.peer_addresses()
            and all(address2 not in node.peer_addresses() for node in (node0, node1))
        ),
        "node2 to be cut off",
    )
    say.ok("node2 has no peers: the network is partitioned (node0+node1 | node2)")
    fork_height = node2.tip()["height"]

    txid = pay(say, alice, node2, carol.address, 1 * COIN)
    losing = mine_blocks(say, node2, 1, carol.address, "node2 (alone)")
    height = node2.transaction(txid)["block_height"]
    say.note(f"on node2 the payment to Carol is confirmed in #{height}")
    mine_blocks(say, node0, 2, alice.address, "node0 (with node1)")
    wait_same_tip(records[:2])
    rows = [
        [record.name, str(tip["height"]), tip["hash"][:20] + "…"]
        for record, tip in zip(records, (n.tip() for n in (node0, node1, node2)), strict=True)
    ]
    say.table(f"Two chains since height {fork_height}", ["node", "height", "tip"], rows)

    say.step("Healing the partition: node2 connects to node0 again")
    node2.connect(address0)
    tip = wait_same_tip(records)
    say.ok(f"all nodes agree again on #{tip['height']} {tip['hash'][:16]}… (most work wins)")
    stale = [block for block in node2.fork_tree() if not block["active"]]
    say.ok(
        f"node2 reorganised: its block {losing[0][:16]}… is now stale "
        f"({len(stale)} stale block(s) in its fork tree)"
    )
    _wait_until(lambda: txid in node2.mempool_txids(), "the tx to return")
    say.ok(f"the payment to Carol ({txid[:16]}…) is back in node2's mempool, not lost")
    mine_blocks(say, node2, 1, carol.address, "node2")
    wait_same_tip(records)
    tx = node0.transaction(txid)
    say.ok(f"mined again on the winning chain: block #{tx['block_height']}, seen by every node")


# --- step 6: grading ------------------------------------------------------------------------


def grading_tour(say: Reporter, root: Path, *, kept: bool = False) -> None:
    """Step 6: grade the sample class of :data:`SUBMISSIONS` (copied under ``root``)."""
    import shutil

    from edu_chain.grading import find_exercises_dir, grade_cohort, load_exercises

    say.step("6. Grading a tiny class: three students, two exercises")
    submissions = root / "submissions"
    shutil.copytree(SUBMISSIONS, submissions, dirs_exist_ok=True)
    say.note("alice: correct; bob: two classic mistakes; carol: a syntax error, target missing")
    folder = find_exercises_dir()
    if folder is None:
        raise DemoError("the exercises were not found (edu_chain/_exercises)")
    exercises = load_exercises(folder, ["merkle_root", "target"])
    results: dict[tuple[str, str], Any] = {}
    summary = grade_cohort(
        submissions,
        root / "grades",
        exercises,
        workers=2,
        on_done=lambda student, result, _skipped: results.__setitem__(
            (student, result.exercise_id), result
        ),
    )
    rows = [
        [
            student,
            exercise.exercise_id,
            f"{result.points:g}/{result.max_points:g}",
            result.status,
            textwrap.shorten(_first_feedback(result), 90, placeholder=" …"),
        ]
        for student in sorted({s for s, _ in results})
        for exercise in exercises
        if (result := results.get((student, exercise.exercise_id))) is not None
    ]
    say.table("Gradebook", ["student", "exercise", "points", "status", "first feedback"], rows)
    where = f"in {root / 'grades'}" if kept else "written too (keep them with --dir DIR)"
    say.ok(
        f"graded {summary.graded} submissions in {summary.seconds:.1f} s, each in its own "
        f"sandboxed process; exports (CSV, feedback, Gradescope, JUnit) {where}"
    )


def _first_feedback(result: Any) -> str:
    """The first failed check's hint (or what it gave), else the result's own message."""
    for group in result.groups:
        failure = group.failure
        if failure is not None:
            return f"{group.name}: " + (failure.hint or f"{failure.call} gave {failure.actual}")
    return result.message or "all checks passed"
