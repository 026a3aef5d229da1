"""``benchmarks/address_index.py`` runs from a checkout and prints the JSON keys its docstring
lists.

A smoke test at a tiny size (2 blocks of 3 transactions, once each way): the figures are for
people; the script itself asserts that the index and the scan of every block find the same
transactions and the same total.
"""

from __future__ import annotations

from tests.functional.bench_runner import run_benchmark

DOCUMENTED_KEYS = {
    "blocks",
    "txs_per_block",
    "connect_with_index_s",
    "connect_without_index_s",
    "index_overhead",
    "history_txs",
    "history_index_ms",
    "history_scan_ms",
    "history_speedup",
}


def test_address_index_benchmark_prints_its_documented_json():
    figures = run_benchmark(
        "address_index", "--blocks", "2", "--txs", "3", "--repeat", "1", timeout=300
    )
    assert set(figures) == DOCUMENTED_KEYS
    assert figures["history_txs"] == 2 * 3  # every measured transaction pays the address
    assert figures["connect_with_index_s"] > 0 and figures["history_scan_ms"] > 0
