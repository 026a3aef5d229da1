"""The address index (edu_chain/chain/history.py): what it costs to keep, what it saves to ask.

    python benchmarks/address_index.py [--json] [--blocks N] [--txs M] [--repeat R]

The blocks of ``benchmarks/chain.py`` (N blocks of M two-input P2WPKH transactions, each
paying one shared address) are connected to a fresh file-backed chain, R times each way,
alternating: with the index (as the node runs), and with the index's writes turned off (the
store as it was before schema 3: the competitor).  The best time of each is kept.

Then, on the chain reopened (blocks on disk, as after a restart), the question the explorer
asks, "the newest 100 transactions of that address and its totals", is answered from the
index (``address_history`` + ``address_totals``) and, as the competitor, by reading every
block of the active chain and checking every output, which is what a node without the index
would have to do (its cost grows with the chain; the index's with the page).

JSON keys: ``blocks``, ``txs_per_block``, ``connect_with_index_s``, ``connect_without_index_s``,
``index_overhead`` (with / without), ``history_txs`` (transactions of the address),
``history_index_ms``, ``history_scan_ms``, ``history_speedup`` (scan / index).
"""

from __future__ import annotations

import contextlib
import tempfile
import time
from dataclasses import replace
from pathlib import Path
from unittest import mock

from _common import emit, parser
from chain import build_blocks, cold

from edu_chain.chain import ChainParams, ChainState
from edu_chain.chain import store as store_module
from edu_chain.chain.scripts import serial_script_verifier
from edu_chain.script.standard import p2wpkh

PAYEE = p2wpkh(b"\x42" * 20)  # every measured transaction of chain.py pays it


def connect(params, setup, measured, directory: Path, *, index: bool) -> tuple[float, ChainState]:
    chain = ChainState(
        params, directory / "bench.sqlite", verify_scripts=serial_script_verifier, clock=lambda: 4e9
    )
    for block in setup:
        chain.submit_block(block)
    blocks = cold(measured)
    off = mock.patch.object(store_module, "_write_index", lambda *args: None)
    with contextlib.nullcontext() if index else off:
        start = time.perf_counter()
        for block in blocks:
            chain.submit_block(block)
        elapsed = time.perf_counter() - start
    return elapsed, chain


def scan_history(chain: ChainState, script_pubkey: bytes, limit: int) -> tuple[list, int]:
    """The competitor: every block of the active chain, every output, newest first."""
    found, received = [], 0
    for height in range(chain.height, 0, -1):
        for tx in reversed(chain.block_at(height).transactions):
            paid = sum(o.amount for o in tx.outputs if o.script_pubkey == script_pubkey)
            if paid:
                received += paid
                found.append(tx.txid)
    return found[:limit], received


def best(function, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        function()
        times.append(time.perf_counter() - start)
    return min(times)


def measure(blocks: int, txs: int, repeat: int) -> dict:
    params = replace(ChainParams.for_tests(), max_block_size=10_000_000, max_tx_size=10_000_000)
    setup, measured = build_blocks(params, blocks, txs, 2)
    with_index, without_index = [], []
    for _ in range(repeat):
        for index, times in ((True, with_index), (False, without_index)):
            with tempfile.TemporaryDirectory() as tmp:
                elapsed, chain = connect(params, setup, measured, Path(tmp), index=index)
                times.append(elapsed)
                if index:  # reopened: the blocks are read from disk, as after a restart
                    chain.close()
                    chain = ChainState(params, Path(tmp) / "bench.sqlite", clock=lambda: 4e9)
                    indexed = chain.address_history(PAYEE, limit=100)
                    count, received, _ = chain.address_totals(PAYEE)
                    scanned, scanned_received = scan_history(chain, PAYEE, 100)
                    assert [t.txid for t in indexed] == scanned and received == scanned_received
                    history_index = best(
                        lambda c=chain: (
                            c.address_history(PAYEE, limit=100),
                            c.address_totals(PAYEE),
                        ),
                        repeat,
                    )
                    history_scan = best(lambda c=chain: scan_history(c, PAYEE, 100), repeat)
                chain.close()
    connect_with, connect_without = min(with_index), min(without_index)
    return {
        "blocks": blocks,
        "txs_per_block": txs,
        "connect_with_index_s": round(connect_with, 4),
        "connect_without_index_s": round(connect_without, 4),
        "index_overhead": round(connect_with / connect_without, 3),
        "history_txs": count,
        "history_index_ms": round(history_index * 1000, 3),
        "history_scan_ms": round(history_scan * 1000, 3),
        "history_speedup": round(history_scan / history_index, 1),
    }


def table(result: dict) -> str:
    return "\n".join(
        [
            f"{result['blocks']} blocks x {result['txs_per_block']} transactions, file store",
            f"connect with the index     {result['connect_with_index_s']:>9.4f} s",
            f"connect without the index  {result['connect_without_index_s']:>9.4f} s"
            f"   (index overhead x{result['index_overhead']})",
            f"newest 100 of {result['history_txs']} txs + totals: index "
            f"{result['history_index_ms']:.3f} ms, scan of every block "
            f"{result['history_scan_ms']:.3f} ms   (x{result['history_speedup']})",
        ]
    )


if __name__ == "__main__":
    arguments = parser(__doc__.splitlines()[0])
    arguments.add_argument("--blocks", type=int, default=40)
    arguments.add_argument("--txs", type=int, default=25)
    arguments.add_argument("--repeat", type=int, default=3)
    options = arguments.parse_args()
    emit(measure(options.blocks, options.txs, options.repeat), options.json, table)
