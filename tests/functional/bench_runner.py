"""Run a script of ``benchmarks/`` as a user would, from the checkout, and read its JSON.

The benchmark smoke tests (``test_*_benchmark.py``) check that each script runs at a tiny size
and prints the keys it documents; the figures themselves are for people, never asserted.
"""

from __future__ import annotations

import json
import subprocess
import sys
from typing import Any

from tests.functional.harness import REPO_ROOT

BENCHMARKS = REPO_ROOT / "benchmarks"


def run_benchmark(name: str, *args: str, timeout: float = 180) -> dict[str, Any]:
    """``python benchmarks/NAME.py --json ARGS``: its JSON report (the last one it prints: a
    script may print progress lines before), after checking that it exited 0."""
    result = subprocess.run(
        [sys.executable, str(BENCHMARKS / f"{name}.py"), "--json", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=REPO_ROOT,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    lines = result.stdout.splitlines()
    start = max(i for i, line in enumerate(lines) if line.startswith("{"))
    return json.loads("\n".join(lines[start:]))
