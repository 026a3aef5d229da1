"""Node benchmark: a fresh node syncing 1,000 blocks from a peer, and transaction relay.

Two real ``educhain node`` subprocesses on loopback (``--network unittest``: trivial
proof-of-work, so the chain is built in seconds and the measurement is about the node):

* **sync**: node A holds a 1,000-block chain (prepared with ``ChainBuilder``, some blocks
  with transactions); a fresh node B is told ``POST /api/peers`` A; time until B's tip is A's.
  Competitor in the same run: connecting the same blocks in process
  (``ChainState.submit_block`` on a fresh SQLite file): the validation + storage cost with no
  HTTP, no JSON, no second process.  ``sync_overhead`` = sync time / in-process time.
* **relay**: N signed transactions posted one by one to A's ``POST /api/tx``; time until all
  are in B's mempool (and how long after the last post B had them: the relay's own lag).
  Competitor: ``Mempool.accept`` of the same transactions in process.

Every timing is the best of ``--repeats`` runs (a fresh node B for each sync run).

**classroom** (``--classroom``, issue 20): a classroom host under the load of ``--peers``
(default 40) simulated laptops announcing blocks and transactions while the page's JSON is
polled: block propagation and page-JSON latency; see ``benchmarks/classroom_load.py``.

Run from the repository root: ``python benchmarks/node.py [--json] [--blocks N] [--txs N]``
or ``python benchmarks/node.py --classroom [--peers 40] [--json]``.
Figures depend on the machine; the ratios are what to compare.
"""

from __future__ import annotations

import shutil
import tempfile
import time
from pathlib import Path

from _common import emit, parser

from edu_chain.chain import ChainParams, ChainState
from edu_chain.chain.builder import ChainBuilder
from edu_chain.keys import PrivateKey
from edu_chain.mempool import Mempool
from edu_chain.node.service import CHAIN_FILE
from edu_chain.script.standard import p2wpkh
from edu_chain.tx import OutPoint, Transaction
from tests.functional.harness import NodeProcess, wait_until

FANOUT = 100  # outputs per fan-out transaction (stays under the unit-test max_tx_size)


def build_chain(path: Path, blocks: int, txs: int) -> tuple[list[Transaction], list]:
    """A chain of ``blocks`` blocks in ``path``; returns ``txs`` unconfirmed spends of it and
    the blocks (for the in-process competitor)."""
    params = ChainParams.for_tests()
    builder = ChainBuilder(params, chain=ChainState(params, path))
    fanouts_needed = -(-txs // FANOUT)
    made = []
    while builder.chain.height < blocks - 2:
        made.append(builder.mine_block())
    fanouts = []
    coins = builder.spendable_coins()
    for outpoint, coin in coins[:fanouts_needed]:
        fee = 10_000
        share = (coin.amount - fee) // FANOUT
        fanouts.append(builder.spend([(outpoint, coin)], [(builder.script_pubkey, share)] * FANOUT))
    made.append(builder.mine_block(fanouts))
    made.append(builder.mine_block())
    payee = p2wpkh(PrivateKey(0xB0B).public_key.pubkey_hash())
    spends = []
    for fanout in fanouts:
        txid = fanout.txid
        for index, output in enumerate(fanout.outputs):
            if len(spends) == txs:
                break
            spends.append(
                builder.spend([(OutPoint(txid, index), output)], [(payee, output.amount - 1_000)])
            )
    builder.chain.close()
    return spends, made


def in_process_connect(blocks: list, directory: Path, run: int) -> float:
    chain = ChainState(
        ChainParams.for_tests(), directory / f"direct{run}.sqlite", clock=lambda: 4e9
    )
    started = time.perf_counter()
    for block in blocks:
        chain.submit_block(block)
    elapsed = time.perf_counter() - started
    chain.close()
    return elapsed


def in_process_mempool(db: Path, txs: list[Transaction], directory: Path, run: int) -> float:
    copy = directory / f"mempool-copy{run}.sqlite"
    shutil.copy(db, copy)
    chain = ChainState(ChainParams.for_tests(), copy, clock=lambda: 4e9)
    mempool = Mempool(chain)
    started = time.perf_counter()
    for tx in txs:
        mempool.accept(tx)
    elapsed = time.perf_counter() - started
    chain.close()
    return elapsed


def sync_fresh_node(a: NodeProcess, base: Path, run: int) -> float:
    """Start an empty node, connect it to ``a``, time until it has ``a``'s tip."""
    b = NodeProcess(10 + run, base / f"b{run}")
    try:
        b.start()
        started = time.perf_counter()
        b.post("/api/peers", {"address": a.address})
        target = a.tip()["hash"]
        wait_until(lambda: b.tip()["hash"] == target, timeout=600, what="sync")
        return time.perf_counter() - started
    finally:
        b.close()


def measure(blocks: int, txs: int, repeats: int) -> dict:
    """Best of ``repeats`` for every timing (the machine is shared: the minimum is the
    least disturbed run)."""
    with tempfile.TemporaryDirectory(prefix="educhain-bench-") as tmp:
        base = Path(tmp)
        a = NodeProcess(0, base / "a")
        b = NodeProcess(1, base / "b")
        a.data_dir.mkdir(parents=True)
        started = time.perf_counter()
        spends, made = build_chain(a.data_dir / CHAIN_FILE, blocks, txs)
        build_seconds = time.perf_counter() - started
        db = a.data_dir / CHAIN_FILE
        direct_seconds = min(in_process_connect(made, base, run) for run in range(repeats))
        direct_mempool_seconds = min(
            in_process_mempool(db, spends, base, run) for run in range(repeats)
        )
        try:
            a.start()
            height = a.tip()["height"]
            sync_seconds = min(sync_fresh_node(a, base, run) for run in range(repeats))

            b.start(peers=[a])
            wait_until(lambda: a.address in b.peer_addresses(), what="B connected to A")
            wait_until(lambda: b.tip()["hash"] == a.tip()["hash"], timeout=600, what="sync")
            started = time.perf_counter()
            for tx in spends:
                a.post("/api/tx", {"hex": tx.serialize().hex()})
            submit_seconds = time.perf_counter() - started
            wait_until(
                lambda: len(b.get("/api/mempool")["transactions"]) == len(spends),
                timeout=600,
                what="every transaction in B's mempool",
            )
            relay_seconds = time.perf_counter() - started
        finally:
            a.close()
            b.close()
    return {
        "blocks": height,
        "repeats": repeats,
        "build_seconds": round(build_seconds, 3),
        "sync_seconds": round(sync_seconds, 3),
        "sync_blocks_per_s": round(height / sync_seconds, 1),
        "in_process_connect_seconds": round(direct_seconds, 3),
        "sync_overhead": round(sync_seconds / direct_seconds, 2),
        "txs": len(spends),
        "submit_seconds": round(submit_seconds, 3),
        "relay_seconds": round(relay_seconds, 3),
        "relay_lag_seconds": round(relay_seconds - submit_seconds, 3),
        "relay_tx_per_s": round(len(spends) / relay_seconds, 1),
        "in_process_mempool_seconds": round(direct_mempool_seconds, 3),
        "relay_overhead": round(relay_seconds / direct_mempool_seconds, 2),
    }


def table(r: dict) -> str:
    return "\n".join(
        [
            f"sync {r['blocks']} blocks from a peer: {r['sync_seconds']:.2f} s "
            f"({r['sync_blocks_per_s']:.0f} blocks/s)",
            f"  same blocks connected in process:  {r['in_process_connect_seconds']:.2f} s "
            f"-> sync costs {r['sync_overhead']:.2f}x",
            f"relay {r['txs']} transactions A -> B: {r['relay_seconds']:.2f} s "
            f"({r['relay_tx_per_s']:.0f} tx/s; posting them one by one to A took "
            f"{r['submit_seconds']:.2f} s, B had them all {r['relay_lag_seconds']:.2f} s later)",
            f"  same transactions into a mempool in process: "
            f"{r['in_process_mempool_seconds']:.2f} s -> relay costs {r['relay_overhead']:.2f}x",
        ]
    )


def main() -> None:
    args_parser = parser(__doc__.split("\n\n")[0])
    args_parser.add_argument("--blocks", type=int, default=1_000)
    args_parser.add_argument("--txs", type=int, default=500)
    args_parser.add_argument("--repeats", type=int, default=2, help="best of N timings")
    args_parser.add_argument(
        "--classroom", action="store_true", help="measure a classroom host under load instead"
    )
    args_parser.add_argument("--peers", type=int, default=40, help="simulated laptops")
    args = args_parser.parse_args()
    if args.classroom:
        import classroom_load

        result = classroom_load.measure_classroom(args.peers, args.txs, build_chain)
        emit(result, args.json, classroom_load.table)
        return
    emit(measure(args.blocks, args.txs, args.repeats), args.json, table)


if __name__ == "__main__":
    main()
