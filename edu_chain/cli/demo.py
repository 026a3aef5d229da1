"""``educhain demo``: the whole project in a few minutes, ending by itself.

The tour, step by step (each prints what it did and what to notice):

1. Double SHA-256, a Merkle tree and proof, one block mined (``--quick`` stops here).
2. A local testnet of three nodes on free loopback ports, each its own process and data dir
   (:mod:`edu_chain.node.testnet`, what ``educhain testnet up`` runs).
3. Mining with the nodes' Numba miner (``POST /api/mine``) until Alice's first coinbase is
   mature; every node follows the same tip.
4. A transaction: Alice's wallet signs a payment to Bob, one node relays it, another mines it.
5. A fork: node2 is cut off (``DELETE /api/peers``), both sides mine, the network heals
   (``POST /api/peers``), node2 reorganises to the branch with more work and the transaction
   it had mined on the losing branch goes back to its mempool, then into a block again.
6. Grading a tiny class (three students, two exercises) with :mod:`edu_chain.grading`.

Everything it starts is stopped in a ``finally`` block, by pid; if the demo is killed so
hard that no ``finally`` runs (``kill -9``), its nodes notice that their parent is gone and
stop by themselves (``educhain node --exit-with-parent``).  ``--keep-running`` leaves the
testnet up for the explorer and prints how to stop it.
"""

from __future__ import annotations

import signal
import tempfile
import textwrap
import threading
import time
from pathlib import Path
from typing import Any

import click
import httpx

from edu_chain.block import BlockHeader
from edu_chain.cli.testnet import TestnetCliError
from edu_chain.hashing import sha256d
from edu_chain.merkle import MerkleProof, render_merkle_tree
from edu_chain.node.testnet import TestnetError
from edu_chain.pow import bits_to_target, mine
from edu_chain.pow.mining import BACKENDS

# An easy target (about one hash in 65,536 wins) so even the readable Python miner is fast.
DEMO_BITS = 0x1F00FFFF
HTTP_TIMEOUT = 300.0  # seconds: mining a block on a busy laptop may take a while
WAIT_SECONDS = 90.0


class Narrator:
    """Prints the tour with rich: a rule per step, then short lines and tables."""

    def __init__(self) -> None:
        from rich.console import Console

        self.console = Console(highlight=False)
        self.started = time.perf_counter()

    def step(self, title: str) -> None:
        elapsed = time.perf_counter() - self.started
        self.console.rule(f"[bold]{title}[/] [dim]({elapsed:.0f} s)[/]", align="left")

    def say(self, text: str) -> None:
        self.console.print(text)

    def note(self, text: str) -> None:
        self.console.print(f"[dim]  → {text}[/]")

    def ok(self, text: str) -> None:
        self.console.print(f"[green]✔[/] {text}")

    def table(self, title: str, columns: list[str], rows: list[list[str]]) -> None:
        from rich.table import Table

        table = Table(title=title, title_justify="left")
        for column in columns:
            table.add_column(column)
        for row in rows:
            table.add_row(*row)
        self.console.print(table)


# --- step 1: the short tour ----------------------------------------------------------------


def tour(say: Narrator, backend: str) -> None:
    say.step("1. Double SHA-256, a Merkle proof, one block")
    message = b"hello, edu_chain"
    say.say(f"sha256d({message!r}) = [cyan]{sha256d(message).hex()}[/]")
    txids = [sha256d(f"tx {i}".encode()) for i in range(5)]
    say.say("A Merkle tree over five transaction ids, and a proof that #3 is in it:")
    say.console.print(render_merkle_tree(txids), markup=False)
    proof = MerkleProof.build(txids, 3)
    say.console.print(str(proof), markup=False)
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
        raise click.ClickException("no nonce in the whole 32-bit range meets the target")
    say.ok(f"nonce {found.nonce:,} found in {elapsed:.3f} s ({found.nonce + 1:,} hashes tried)")
    say.say(f"block id [cyan]{found.id}[/]")
    say.ok(f"hash as a number <= target: {found.hash_int() <= bits_to_target(found.bits)}")


# --- talking to the nodes ------------------------------------------------------------------


def api(url: str, method: str, path: str, body: dict | None = None) -> Any:
    """One call to a node's JSON API; a 4xx/5xx becomes a ClickException with its code."""
    response = httpx.request(method, url + path, json=body, timeout=HTTP_TIMEOUT)
    if response.status_code >= 400:
        try:
            error = response.json()["error"]
            reason = f"{error['code']}: {error['message']}"
        except (ValueError, KeyError, TypeError):
            reason = response.text[:300]
        raise click.ClickException(f"{method} {url}{path} -> {response.status_code} {reason}")
    return response.json()


def tips(testnet: Any) -> list[dict]:
    return [api(node.url, "GET", "/api/tip") for node in testnet.nodes]


def wait_same_tip(testnet: Any, nodes: Any = None) -> dict:
    from edu_chain.node.testnet import wait_until

    nodes = list(nodes or testnet.nodes)

    def agreed() -> dict | None:
        seen = [api(node.url, "GET", "/api/tip") for node in nodes]
        return seen[0] if all(tip["hash"] == seen[0]["hash"] for tip in seen) else None

    names = ", ".join(node.name for node in nodes)
    return wait_until(agreed, timeout=WAIT_SECONDS, what=f"{names} to agree on the tip")


def peer_addresses(url: str) -> list[str]:
    return [peer["address"] for peer in api(url, "GET", "/api/peers")["peers"]]


def mine_blocks(say: Narrator, url: str, count: int, address: str, label: str) -> list[str]:
    """Mine ``count`` blocks one request at a time, so the progress shows."""
    hashes = []
    started = time.perf_counter()
    for i in range(count):
        reply = api(url, "POST", "/api/mine", {"count": 1, "address": address})
        hashes.extend(reply["blocks"])
        tip = reply["tip"]
        say.note(f"{label}: block #{tip['height']} {tip['hash'][:16]}… ({i + 1}/{count})")
    elapsed = time.perf_counter() - started
    # Expected hashes per block = its work (2**256 / (target + 1)), summed from the node's stats.
    window = api(url, "GET", f"/api/stats?window={count}")["blocks"]
    work = sum(int(b.get("work") or 0) for b in window if b.get("hash") in hashes)
    rate = ""
    if work and elapsed > 0.5 and count >= 5:  # fewer blocks: luck dominates the estimate
        rate = f" (expected work / time: about {work / elapsed / 1e6:.0f} MH/s)"
    say.ok(f"{label} mined {count} block(s) in {elapsed:.1f} s{rate}")
    return hashes


def pay(say: Narrator, wallet: Any, url: str, to_address: str, amount: int) -> str:
    """Alice's wallet builds and signs a payment from her coins as ``url`` sees them."""
    from edu_chain.cli.wallet import _address_info
    from edu_chain.wallet import format_coins

    _, utxos = _address_info(url, wallet.address)
    tx = wallet.build_payment(utxos, to_address, amount, fee=10_000)
    reply = api(url, "POST", "/api/tx", {"hex": tx.hex()})
    say.ok(
        f"signed and sent {format_coins(amount)} coins to {to_address[:12]}…: "
        f"txid [cyan]{reply['txid']}[/] ({len(tx.inputs)} input(s), fee {reply.get('fee')})"
    )
    return reply["txid"]


def in_mempool(url: str, txid: str) -> bool:
    return any(t.get("txid") == txid for t in api(url, "GET", "/api/mempool")["transactions"])


# --- steps 2-5: the testnet ----------------------------------------------------------------


def network_tour(say: Narrator, root: Path, network: str, keep_running: bool) -> None:
    from edu_chain.node.testnet import Testnet, wait_until
    from edu_chain.wallet import Wallet

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
            say.say(
                f"  {node.name}: {node.url}  (pid {node.pid}, peers {peer_addresses(node.url)})"
            )
        say.say(
            f"Explorer: [bold]{testnet.explorer_url}[/] [dim](while the demo runs; "
            "--keep-running --dir DIR keeps it up)[/]"
        )
        info = api(testnet.nodes[0].url, "GET", "/api/info")
        maturity = int(info["network"]["coinbase_maturity"])

        miner = "the Numba miner" if network == "regtest" else "instant unittest blocks"
        say.step(f"3. Mining ({miner}) until Alice's first coinbase is mature")
        alice = Wallet.create(root / "alice.json")
        bob = Wallet.create(root / "bob.json")
        carol = Wallet.create(root / "carol.json")
        say.say(f"Alice {alice.address}   Bob {bob.address}   Carol {carol.address}")
        say.note(f"a coinbase output can be spent after {maturity} confirmations")
        node0, node1, node2 = testnet.nodes
        mine_blocks(say, node0.url, maturity + 1, alice.address, "node0")
        tip = wait_same_tip(testnet)
        say.ok(f"all three nodes follow the same tip: #{tip['height']} {tip['hash'][:16]}…")
        stats = api(node0.url, "GET", "/api/stats?window=20")["blocks"]
        last = stats[-1]
        say.note(
            f"difficulty {last['difficulty']:.2f}, bits {last['bits']}; "
            f"Alice's balance {api(node0.url, 'GET', f'/api/address/{alice.address}')['balance']:,}"
            " base units"
        )

        say.step("4. A transaction: Alice pays Bob; node1 relays it, node2 mines it")
        txid = pay(say, alice, node1.url, bob.address, 5 * 100_000_000)
        wait_until(
            lambda: all(in_mempool(n.url, txid) for n in testnet.nodes),
            timeout=WAIT_SECONDS,
            what="the transaction to reach every mempool",
        )
        say.ok("it reached all three mempools (gossip)")
        mine_blocks(say, node2.url, 1, carol.address, "node2")
        wait_same_tip(testnet)
        tx = api(node0.url, "GET", f"/api/tx/{txid}")
        say.ok(
            f"node0 sees it confirmed in block #{tx['block_height']} "
            f"({tx['confirmations']} confirmation(s)); Bob's balance "
            f"{api(node0.url, 'GET', f'/api/address/{bob.address}')['balance']:,}"
        )

        fork_tour(say, testnet, alice, carol)
        if keep_running:
            say.step("Left running (--keep-running)")
            say.say(f"Explorer: [bold]{testnet.explorer_url}[/]")
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


def fork_tour(say: Narrator, testnet: Any, alice: Any, carol: Any) -> None:
    from edu_chain.node.testnet import wait_until

    node0, node1, node2 = testnet.nodes
    say.step("5. A fork: cut node2 off, mine on both sides, heal, watch the reorg")
    for other in (node0, node1):
        api(node2.url, "DELETE", f"/api/peers/{other.address}")
    wait_until(
        lambda: (
            not peer_addresses(node2.url)
            and all(node2.address not in peer_addresses(n.url) for n in (node0, node1))
        ),
        timeout=WAIT_SECONDS,
        what="node2 to be cut off",
    )
    say.ok("node2 has no peers: the network is partitioned (node0+node1 | node2)")
    fork_height = api(node2.url, "GET", "/api/tip")["height"]

    txid = pay(say, alice, node2.url, carol.address, 1 * 100_000_000)
    losing = mine_blocks(say, node2.url, 1, carol.address, "node2 (alone)")
    tx = api(node2.url, "GET", f"/api/tx/{txid}")
    say.note(f"on node2 the payment to Carol is confirmed in #{tx['block_height']}")
    mine_blocks(say, node0.url, 2, alice.address, "node0 (with node1)")
    wait_same_tip(testnet, [node0, node1])
    rows = [
        [n.name, str(t["height"]), t["hash"][:20] + "…"]
        for n, t in zip(testnet.nodes, tips(testnet), strict=True)
    ]
    say.table(f"Two chains since height {fork_height}", ["node", "height", "tip"], rows)

    say.step("Healing the partition: node2 connects to node0 again")
    api(node2.url, "POST", "/api/peers", {"address": node0.address})
    tip = wait_same_tip(testnet)
    say.ok(f"all nodes agree again on #{tip['height']} {tip['hash'][:16]}… (most work wins)")
    forks = api(node2.url, "GET", "/api/forks")
    stale = [b for b in forks["blocks"] if not b["active"]]
    say.ok(
        f"node2 reorganised: its block {losing[0][:16]}… is now stale "
        f"({len(stale)} stale block(s) in its fork tree)"
    )
    wait_until(lambda: in_mempool(node2.url, txid), timeout=WAIT_SECONDS, what="the tx to return")
    say.ok(f"the payment to Carol ({txid[:16]}…) is back in node2's mempool, not lost")
    mine_blocks(say, node2.url, 1, carol.address, "node2")
    tip = wait_same_tip(testnet)
    tx = api(node0.url, "GET", f"/api/tx/{txid}")
    say.ok(f"mined again on the winning chain: block #{tx['block_height']}, seen by every node")


# --- step 6: grading ------------------------------------------------------------------------

SUBMISSIONS = {
    # A correct student.
    ("alice", "merkle_root"): """
import hashlib

def sha256d(data):
    return hashlib.sha256(hashlib.sha256(data).digest()).digest()

def merkle_root(txids):
    if not txids:
        raise ValueError("no txids")
    level = list(txids)
    while len(level) > 1:
        if len(level) % 2:
            level.append(level[-1])
        level = [sha256d(level[i] + level[i + 1]) for i in range(0, len(level), 2)]
    return level[0]
""",
    ("alice", "target"): """
def bits_to_target(bits):
    exponent, mantissa = bits >> 24, bits & 0x007FFFFF
    if exponent <= 3:
        mantissa >>= 8 * (3 - exponent)
    if mantissa and bits & 0x00800000:
        raise ValueError("negative target")
    if mantissa and (exponent > 34 or (mantissa > 0xFF and exponent > 33)
                     or (mantissa > 0xFFFF and exponent > 32)):
        raise ValueError("target overflows 256 bits")
    return mantissa if exponent <= 3 else mantissa << (8 * (exponent - 3))

def target_to_bits(target):
    size = (target.bit_length() + 7) // 8
    mantissa = target << (8 * (3 - size)) if size <= 3 else target >> (8 * (size - 3))
    if mantissa & 0x00800000:
        mantissa >>= 8
        size += 1
    return (size << 24) | mantissa
""",
    # Typical mistakes: an odd level is carried up instead of duplicated; the sign bit ignored.
    ("bob", "merkle_root"): """
import hashlib

def sha256d(data):
    return hashlib.sha256(hashlib.sha256(data).digest()).digest()

def merkle_root(txids):
    if not txids:
        raise ValueError("no txids")
    level = list(txids)
    while len(level) > 1:
        carried = [level.pop()] if len(level) % 2 else []
        level = [sha256d(level[i] + level[i + 1]) for i in range(0, len(level), 2)] + carried
    return level[0]
""",
    ("bob", "target"): """
def bits_to_target(bits):
    exponent, mantissa = bits >> 24, bits & 0x007FFFFF
    if exponent <= 3:
        mantissa >>= 8 * (3 - exponent)
    if mantissa and bits & 0x00800000:
        raise ValueError("negative target")
    if mantissa and (exponent > 34 or (mantissa > 0xFF and exponent > 33)
                     or (mantissa > 0xFFFF and exponent > 32)):
        raise ValueError("target overflows 256 bits")
    return mantissa if exponent <= 3 else mantissa << (8 * (exponent - 3))

def target_to_bits(target):
    size = (target.bit_length() + 7) // 8
    mantissa = target << (8 * (3 - size)) if size <= 3 else target >> (8 * (size - 3))
    return (size << 24) | mantissa
""",
    # A broken submission (does not even parse), and a missing one (no target.py).
    ("carol", "merkle_root"): """
def merkle_root(txids)
    return txids[0]
""",
}


def grading_tour(say: Narrator, root: Path, *, kept: bool = False) -> None:
    from edu_chain.grading import find_exercises_dir, grade_cohort, load_exercises

    say.step("6. Grading a tiny class: three students, two exercises")
    submissions = root / "submissions"
    for (student, exercise_id), source in SUBMISSIONS.items():
        folder = submissions / student
        folder.mkdir(parents=True, exist_ok=True)
        (folder / f"{exercise_id}.py").write_text(source.lstrip(), encoding="utf-8")
    say.note("alice: correct; bob: two classic mistakes; carol: a syntax error, target missing")
    folder = find_exercises_dir()
    if folder is None:
        raise click.ClickException("the exercises were not found (edu_chain/_exercises)")
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
    rows = []
    for student in sorted({s for s, _ in results}):
        for exercise in exercises:
            result = results.get((student, exercise.exercise_id))
            if result is None:
                continue
            why = result.message
            for group in result.groups:
                failure = group.failure
                if failure is not None:
                    why = f"{group.name}: " + (
                        failure.hint or f"{failure.call} gave {failure.actual}"
                    )
                    break
            rows.append(
                [
                    student,
                    exercise.exercise_id,
                    f"{result.points:g}/{result.max_points:g}",
                    result.status,
                    textwrap.shorten(why or "all checks passed", 90, placeholder=" …"),
                ]
            )
    say.table("Gradebook", ["student", "exercise", "points", "status", "first feedback"], rows)
    where = f"in {root / 'grades'}" if kept else "written too (keep them with --dir DIR)"
    say.ok(
        f"graded {summary.graded} submissions in {summary.seconds:.1f} s, each in its own "
        f"sandboxed process; exports (CSV, feedback, Gradescope, JUnit) {where}"
    )


# --- the command -------------------------------------------------------------------------


def _exit_on_sigterm(signum: int, _frame: object) -> None:
    raise SystemExit(128 + signum)


@click.command()
@click.option("--quick", is_flag=True, help="Only step 1 (hashing, Merkle proof, one block).")
@click.option(
    "--backend",
    type=click.Choice(BACKENDS),
    default="auto",
    show_default=True,
    help="Miner backend for step 1.",
)
@click.option(
    "--network",
    type=click.Choice(["regtest", "unittest"]),
    default="regtest",
    show_default=True,
    help="regtest: the classroom chain (real work, Numba miner); unittest: instant blocks.",
)
@click.option("--no-grading", is_flag=True, help="Skip step 6 (grading a sample class).")
@click.option(
    "--keep-running",
    is_flag=True,
    help="Leave the testnet up at the end (to open the explorer); stop it with testnet down.",
)
@click.option(
    "--dir",
    "directory",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Keep the demo's files here (default: a temporary folder, deleted at the end).",
)
def demo(
    quick: bool,
    backend: str,
    network: str,
    no_grading: bool,
    keep_running: bool,
    directory: Path | None,
) -> None:
    """A guided tour that ends by itself: hashing, mining, a 3-node testnet, a transaction,
    a fork and its reorg, then grading a sample class.

    \b
    Example:
      educhain demo                  # the whole tour (a minute or two)
      educhain demo --quick          # hashing, a Merkle proof, one block (seconds)
      educhain demo --keep-running --dir demo-net   # then open the explorer it prints
    """
    if keep_running and directory is None and not quick:
        raise click.UsageError("--keep-running needs --dir (a temporary folder would vanish)")
    say = Narrator()
    tour(say, backend)
    if quick:
        say.console.print("\n[green bold]Demo finished.[/]")
        return
    # A polite kill (SIGTERM, e.g. a CI timeout) must still run the finally blocks that stop
    # the nodes: turn it into SystemExit.  (Ctrl-C already raises KeyboardInterrupt.)
    in_main_thread = threading.current_thread() is threading.main_thread()
    previous = signal.signal(signal.SIGTERM, _exit_on_sigterm) if in_main_thread else None
    try:
        with tempfile.TemporaryDirectory(prefix="educhain-demo-") as scratch:
            root = Path(directory).resolve() if directory else Path(scratch)
            root.mkdir(parents=True, exist_ok=True)
            try:
                network_tour(say, root, network, keep_running)
            except TestnetError as error:  # e.g. --dir of a demo still kept running
                raise TestnetCliError(str(error)) from None
            if not no_grading:
                grading_tour(say, root, kept=directory is not None)
    finally:
        if in_main_thread:
            signal.signal(signal.SIGTERM, previous)
    total = time.perf_counter() - say.started
    say.console.print(f"\n[green bold]Demo finished in {total:.0f} s.[/]")
