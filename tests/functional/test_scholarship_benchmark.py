"""``benchmarks/scholarship.py`` runs from a checkout and prints the JSON keys it documents.

The fees are computed in the script from the transactions themselves (inputs minus outputs);
paying 20 students in one transaction must take fewer vbytes and less fee than 20.
"""

from __future__ import annotations

from tests.functional.bench_runner import run_benchmark

KEYS = {
    "students", "batched_txs", "batched_vbytes", "batched_fee", "batched_seconds",
    "single_txs", "single_vbytes", "single_fee", "single_seconds", "fee_ratio", "time_ratio",
}  # fmt: skip


def test_scholarship_benchmark_prints_its_documented_json():
    figures = run_benchmark("scholarship", "--students", "20")
    assert set(figures) == KEYS
    assert figures["batched_txs"] == 1 and figures["single_txs"] == 20
    assert figures["batched_vbytes"] < figures["single_vbytes"]
    assert figures["batched_fee"] < figures["single_fee"]
    assert figures["fee_ratio"] > 1
