"""Classroom load (``python benchmarks/node.py --classroom``): a host and 40 simulated laptops.

A real ``educhain classroom host`` process (``--network unittest``) and one real participant
node peered with it (the *receiver*); ``--peers`` lightweight simulated participants (threads
in this process, not nodes) register with the host and then, all at once:

* announce blocks (``POST /p2p/announce``), one after another, each paying the simulated
  participant that announces it (built in advance with ``ChainBuilder`` on a copy of the
  host's chain);
* announce transactions (spends of coins in the host's chain), each peer its share;
* and a projector polls the page's JSON (``GET /api/classroom/leaderboard`` and
  ``/api/classroom/challenges``) in a loop.

Reported: **block propagation** (from the announce to the host until the receiver's tip is
that block: two hops of gossip and validation), median and max; **page-JSON latency** under
that load, median / p95 / max, with the latency of ``GET /api/tip`` (the node's cheapest
call) measured in the same run as the yardstick; transactions accepted per second.
The leaderboard is then checked against the announced blocks (every simulated participant
has exactly the blocks it announced), so the figure is for correct answers.
"""

from __future__ import annotations

import shutil
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx

from edu_chain.chain import ChainParams, ChainState
from edu_chain.chain.builder import ChainBuilder
from edu_chain.keys import PrivateKey
from edu_chain.node import testnet
from edu_chain.node.service import CHAIN_FILE
from edu_chain.script.address import script_pubkey_to_address
from edu_chain.script.standard import p2wpkh
from tests.functional.harness import REPO_ROOT, NodeProcess, wait_until

JOIN_TOKEN = "bench"


def _host_process(data_dir: Path, port: int, peers: int) -> subprocess.Popen:
    command = [
        sys.executable, "-m", "edu_chain", "classroom", "host", "--data-dir", str(data_dir),
        "--port", str(port), "--network", "unittest", "--join-token", JOIN_TOKEN,
        "--token", "instructor", "--max-peers", str(peers + 8), "--sync-interval", "0.5",
    ]  # fmt: skip
    return testnet.spawn_node(
        command, data_dir / "host.log", env={"PYTHONPATH": str(REPO_ROOT)}, cwd=data_dir
    )


def _percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def _load_blocks(db: Path, copy: Path, scripts: list[bytes], names: list[str]) -> list:
    """One block per simulated participant on top of the host's chain, paying it."""
    shutil.copy(db, copy)
    params = ChainParams.for_tests()
    builder = ChainBuilder(params, chain=ChainState(params, copy, clock=lambda: 4e9))
    blocks = [
        builder.mine_block(script_pubkey=script, extra=name.encode())
        for script, name in zip(scripts, names, strict=True)
    ]
    builder.chain.close()
    return blocks


def measure_classroom(peers: int, txs: int, build_chain) -> dict:
    """See the module docstring; ``build_chain`` is benchmarks/node.py's chain builder."""
    import tempfile

    with tempfile.TemporaryDirectory(prefix="educhain-class-") as tmp:
        base = Path(tmp)
        host_dir = base / "host"
        host_dir.mkdir()
        spends, _ = build_chain(host_dir / CHAIN_FILE, 60, txs)
        keys = [PrivateKey(0x5EED + i) for i in range(peers)]
        scripts = [p2wpkh(k.public_key.pubkey_hash()) for k in keys]
        names = [f"laptop{i:02d}" for i in range(peers)]
        blocks = _load_blocks(host_dir / CHAIN_FILE, base / "copy.sqlite", scripts, names)
        port = testnet.free_ports(1)[0]
        url = f"http://127.0.0.1:{port}"
        process = _host_process(host_dir, port, peers)
        receiver = NodeProcess(1, base / "receiver")
        try:
            testnet.wait_node_ready(
                url,
                host_dir,
                alive=lambda: process.poll() is None,
                name="host",
                log=host_dir / "host.log",
            )
            receiver.start("--peer", f"127.0.0.1:{port}")
            wait_until(
                lambda: f"127.0.0.1:{port}" in receiver.peer_addresses(), what="receiver peered"
            )
            return _run_load(url, receiver, names, scripts, blocks, spends)
        finally:
            receiver.close()
            if process.poll() is None:
                process.terminate()
                try:
                    process.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait(timeout=10)


def _register(url: str, names: list[str], scripts: list[bytes]) -> None:
    with httpx.Client(timeout=30) as http:
        for i, (name, script) in enumerate(zip(names, scripts, strict=True)):
            address = script_pubkey_to_address(script)
            node = f"127.0.1.{i + 1}:9"  # simulated laptops: nobody listens there
            http.post(
                f"{url}/api/classroom/join",
                json={"name": name, "address": address, "node": node, "token": JOIN_TOKEN},
            ).raise_for_status()


def _run_load(url, receiver, names, scripts, blocks, spends) -> dict:
    """Register the laptops, then announce blocks and transactions while polling the page."""
    peers = len(names)
    _register(url, names, scripts)
    stop = threading.Event()
    page_latency: list[float] = []
    tip_latency: list[float] = []

    def projector() -> None:
        with httpx.Client(timeout=30) as http:
            while not stop.is_set():
                for path, into in (
                    ("/api/classroom/leaderboard", page_latency),
                    ("/api/classroom/challenges", page_latency),
                    ("/api/tip", tip_latency),
                ):
                    started = time.perf_counter()
                    http.get(url + path).raise_for_status()
                    into.append(time.perf_counter() - started)

    accepted = [0] * peers
    hexes = [tx.serialize().hex() for tx in spends]

    def tx_peer(index: int) -> None:
        with httpx.Client(timeout=30) as http:
            for tx_hex in hexes[index::peers]:
                reply = http.post(
                    f"{url}/p2p/announce",
                    json={"from": f"127.0.1.{index + 1}:9", "blocks": [], "txs": [tx_hex]},
                )
                if reply.is_success and reply.json()["txs"][0]["result"] == "accepted":
                    accepted[index] += 1

    threads = [threading.Thread(target=projector, daemon=True)]
    threads += [threading.Thread(target=tx_peer, args=(i,), daemon=True) for i in range(peers)]
    propagation: list[float] = []
    started_all = time.perf_counter()
    for thread in threads:
        thread.start()
    with httpx.Client(timeout=30) as http:
        for i, block in enumerate(blocks):
            target = block.id
            started = time.perf_counter()
            http.post(
                f"{url}/p2p/announce",
                json={
                    "from": f"127.0.1.{i % peers + 1}:9",
                    "blocks": [block.serialize().hex()],
                    "txs": [],
                },
            ).raise_for_status()
            wait_until(
                lambda t=target: receiver.tip()["hash"] == t,
                timeout=60,
                what="the receiver to have the block",
            )
            propagation.append(time.perf_counter() - started)
    for thread in threads[1:]:
        thread.join(timeout=300)
    tx_seconds = time.perf_counter() - started_all
    stop.set()
    threads[0].join(timeout=30)
    with httpx.Client(timeout=30) as http:
        board = {r["name"]: r for r in http.get(url + "/api/classroom/leaderboard").json()}
    wrong = [n for n in names if board[n]["blocks"] != 1]
    assert not wrong, f"leaderboard disagrees with the announced blocks for {wrong}"
    return {
        "peers": peers,
        "blocks_announced": len(blocks),
        "block_propagation_median_ms": round(statistics.median(propagation) * 1000, 1),
        "block_propagation_max_ms": round(max(propagation) * 1000, 1),
        "txs_announced": len(spends),
        "txs_accepted": sum(accepted),
        "txs_per_s": round(sum(accepted) / tx_seconds, 1),
        "page_json_requests": len(page_latency),
        "page_json_median_ms": round(statistics.median(page_latency) * 1000, 1),
        "page_json_p95_ms": round(_percentile(page_latency, 0.95) * 1000, 1),
        "page_json_max_ms": round(max(page_latency) * 1000, 1),
        "tip_median_ms": round(statistics.median(tip_latency) * 1000, 1),
        "page_json_vs_tip": round(
            statistics.median(page_latency) / statistics.median(tip_latency), 2
        ),
    }


def table(r: dict) -> str:
    return "\n".join(
        [
            f"classroom host under load: {r['peers']} simulated laptops",
            f"  block propagation announce -> host -> receiver: median "
            f"{r['block_propagation_median_ms']:.0f} ms, "
            f"max {r['block_propagation_max_ms']:.0f} ms ({r['blocks_announced']} blocks)",
            f"  transactions: {r['txs_accepted']}/{r['txs_announced']} accepted, "
            f"{r['txs_per_s']:.0f} tx/s",
            f"  page JSON (leaderboard, challenges): median {r['page_json_median_ms']:.1f} ms, "
            f"p95 {r['page_json_p95_ms']:.1f} ms, max {r['page_json_max_ms']:.1f} ms "
            f"({r['page_json_requests']} requests); GET /api/tip median "
            f"{r['tip_median_ms']:.1f} ms -> {r['page_json_vs_tip']:.2f}x",
        ]
    )
