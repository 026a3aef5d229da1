"""``benchmarks/node.py --classroom`` runs from a checkout and prints its JSON keys.

A smoke test at a tiny size (4 simulated laptops, 8 transactions): the figures are for
people; the script itself checks that the leaderboard gives every simulated laptop exactly
the block it announced, and that every transaction was accepted is checked here.
"""

from __future__ import annotations

import pytest

from tests.functional.bench_runner import run_benchmark

KEYS = {
    "peers",
    "blocks_announced",
    "block_propagation_median_ms",
    "block_propagation_max_ms",
    "txs_announced",
    "txs_accepted",
    "txs_per_s",
    "page_json_requests",
    "page_json_median_ms",
    "page_json_p95_ms",
    "page_json_max_ms",
    "tip_median_ms",
    "page_json_vs_tip",
}


@pytest.mark.slow
@pytest.mark.timeout(300)
def test_classroom_load_benchmark_smoke():
    result = run_benchmark("node", "--classroom", "--peers", "4", "--txs", "8", timeout=280)
    assert set(result) == KEYS
    assert result["peers"] == 4 and result["blocks_announced"] == 4
    assert result["txs_accepted"] == result["txs_announced"] == 8
