"""``benchmarks/chain.py`` runs from a checkout and prints the JSON keys its docstring lists.

A smoke test at a tiny size (2 blocks of 5 transactions of 2 segwit inputs): the figures are
for people, the script's own assertion checks that every verifier connected the same blocks to
the same tip.
"""

from __future__ import annotations

from tests.functional.bench_runner import run_benchmark

DOCUMENTED_KEYS = {
    "blocks",
    "txs_per_block",
    "inputs_per_tx",
    "inputs",
    "store",
    "workers",
    "signature_backend",
    "serial_s",
    "chunked_1w_s",
    "parallel_s",
    "serial_inputs_per_s",
    "parallel_inputs_per_s",
    "serial_blocks_per_s",
    "parallel_blocks_per_s",
    "parallel_speedup",
    "worker_speedup",
}


def test_chain_benchmark_prints_its_documented_json():
    report = run_benchmark("chain", "--blocks", "2", "--txs", "5", "--workers", "2", timeout=120)
    assert set(report) == DOCUMENTED_KEYS
    assert report["inputs"] == 20 and report["store"] == "file"
    assert all(report[key] > 0 for key in ("serial_s", "parallel_s", "parallel_speedup"))
