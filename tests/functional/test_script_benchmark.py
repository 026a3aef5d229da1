"""``benchmarks/script.py`` runs from a checkout and prints the JSON keys its docstring lists.

A smoke test at a tiny size: the figures are for people; the script itself first checks that
every implementation accepts the same signed spends and rejects tampered copies.  The peers
(the ``bench`` extra) may be absent; edu_chain's own rows are always there.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tests.functional.bench_runner import run_benchmark

SCRIPT = Path(__file__).resolve().parents[2] / "benchmarks" / "script.py"


def test_script_benchmark_prints_its_documented_json():
    figures = run_benchmark("script", "--pool", "25", "--seconds", "0.05")
    assert {"cpus", "threads", "fast_path", "pool", "implementations"} <= set(figures)
    assert figures["threads"] == 1 and figures["pool"] == 25
    assert figures["edu_chain_p2pkh_per_s"] > 0 and figures["edu_chain_p2wpkh_per_s"] > 0
    peers = set(figures["implementations"].split(",")) - {"edu_chain"}
    for peer in peers:
        assert figures[f"ratio_p2pkh_vs_{peer}"] > 0
    if "bitcointx" in peers:
        assert figures["ratio_p2wpkh_vs_bitcointx"] > 0


def test_script_benchmark_table_names_the_rows():
    result = subprocess.run(
        [sys.executable, str(SCRIPT), "--pool", "10", "--seconds", "0.02", "--rounds", "1"],
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert result.returncode == 0, result.stderr
    assert "inputs verified per second" in result.stdout
    assert "edu_chain" in result.stdout
