"""The core's import layering (README "Layers", DESIGN.md section 2), read from the source.

Oracle: the ``import`` statements themselves, found with ``ast``.  A core module imports at
module level only from its own layer or a lower one, and never imports ``chain``,
``mempool``, ``wallet``, ``node``, ``cli`` or ``grading``, not even inside a function.
``display`` (HTML for Jupyter) is imported late by the value types' ``_repr_html_`` and
depends on nothing above ``hashing`` at module level, so it is left out of the ranking.
"""

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "edu_chain"

RANK = {
    "errors": 0,
    "encoding": 0,
    "hashing": 0,
    "sha256_kernels": 0,
    "merkle": 1,
    "keys": 1,
    "script": 1.5,
    "block": 2,
    "tx": 2,
    "teaching_tx": 2,
    "psbt": 2.5,
    "pow": 3,
    "chain": 4,
    "mempool": 5,
    "wallet": 5,
    "node": 6,
    "cli": 7,
    "grading": 8,
}
CORE = [name for name, rank in RANK.items() if rank <= RANK["pow"]]


def _core_files() -> list[Path]:
    files = []
    for name in CORE:
        path = PACKAGE / name
        files.extend(sorted(path.glob("*.py")) if path.is_dir() else [path.with_suffix(".py")])
    return files


def _imports(tree: ast.Module) -> list[tuple[str, bool]]:
    """``(top-level edu_chain part, at module level?)`` for every import in the file."""
    module_level = {id(node) for node in tree.body}
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module:
            names = [node.module]
        elif isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        else:
            continue
        for name in names:
            parts = name.split(".")
            if parts[0] == "edu_chain" and len(parts) > 1:
                found.append((parts[1], id(node) in module_level))
    return found


@pytest.mark.parametrize("path", _core_files(), ids=lambda p: str(p.relative_to(PACKAGE)))
def test_core_module_imports_only_lower_layers(path):
    own = path.parent.name if path.parent != PACKAGE else path.stem
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for imported, at_module_level in _imports(tree):
        if imported == "display":
            continue
        assert imported in RANK, f"{path.name} imports edu_chain.{imported}, not in the map"
        if at_module_level:
            assert RANK[imported] <= RANK[own], f"{path.name} imports higher edu_chain.{imported}"
        assert RANK[imported] <= RANK["pow"], f"{path.name} reaches up to edu_chain.{imported}"
