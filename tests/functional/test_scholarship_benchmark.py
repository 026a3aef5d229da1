"""``benchmarks/scholarship.py`` runs from a checkout and prints the JSON keys it documents.

The fees are computed in the script from the transactions themselves (inputs minus outputs);
paying 20 students in one transaction must take fewer vbytes and less fee than 20.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

SCRIPT = Path(__file__).resolve().parents[2] / "benchmarks" / "scholarship.py"
KEYS = {
    "students", "batched_txs", "batched_vbytes", "batched_fee", "batched_seconds",
    "single_txs", "single_vbytes", "single_fee", "single_seconds", "fee_ratio", "time_ratio",
}  # fmt: skip


def test_scholarship_benchmark_prints_its_documented_json():
    result = subprocess.run(
        [sys.executable, str(SCRIPT), "--json", "--students", "20"],
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert result.returncode == 0, result.stderr
    figures = json.loads(result.stdout)
    assert set(figures) == KEYS
    assert figures["batched_txs"] == 1 and figures["single_txs"] == 20
    assert figures["batched_vbytes"] < figures["single_vbytes"]
    assert figures["batched_fee"] < figures["single_fee"]
    assert figures["fee_ratio"] > 1
