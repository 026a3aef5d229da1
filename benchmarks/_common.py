"""Small helpers shared by the scripts in ``benchmarks/``: one argument parser, one output.

Every script measures its competitor in the same run and prints either a table for people or,
with ``--json``, one JSON object for machines (docs/architecture.md#measuring-speed).
Run them from the repository root, for example ``python benchmarks/mining.py --json``.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

# Make `import edu_chain` work from a fresh clone without installing the package.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def parser(description: str) -> argparse.ArgumentParser:
    """An argument parser that already has ``--json``."""
    result = argparse.ArgumentParser(description=description)
    result.add_argument("--json", action="store_true", help="print one JSON object")
    return result


def emit(result: dict[str, Any], as_json: bool, table: Callable[[dict[str, Any]], str]) -> None:
    """Print ``result`` as JSON or through ``table``."""
    print(json.dumps(result, indent=None) if as_json else table(result))
