"""``benchmarks/certificates.py`` runs from a checkout and prints the JSON keys it documents.

A smoke test at a tiny size (300 certificates): the figures are for people; the script itself
checks every naive proof against the fast one and against the root.
"""

from __future__ import annotations

import pytest

from tests.functional.bench_runner import run_benchmark

DOCUMENTED_KEYS = {
    "certificates", "path_hashes", "hash_s", "tree_s", "paths_s", "anchor_s", "files_s",
    "issue_s", "naive_sample", "naive_path_s", "naive_paths_s", "naive_issue_s",
    "ratio_paths", "ratio_issue", "under_10s", "without_files_s", "issue_cpu_s",
}  # fmt: skip


@pytest.mark.slow
def test_certificates_benchmark_prints_its_documented_json(tmp_path):
    figures = run_benchmark(
        "certificates", "--certificates", "300", "--dir", str(tmp_path), timeout=120
    )
    assert set(figures) >= DOCUMENTED_KEYS
    assert figures["certificates"] == 300 and figures["path_hashes"] == 9
    assert list(tmp_path.iterdir()) == []  # the files were removed
