"""The node package's shape, read from its source with ``ast``.

* No import circles inside ``edu_chain.node``, counting every import (also those inside
  functions and under ``TYPE_CHECKING``): the parts (miner, faucet, peers) get the node's
  state passed in, they do not import the node that owns them.
* No function in ``edu_chain/node/`` longer than ``MAX_LINES`` lines unless its docstring
  says why (a line starting ``Long because``).
"""

import ast
from pathlib import Path

import pytest

NODE = Path(__file__).resolve().parents[2] / "edu_chain" / "node"
MAX_LINES = 80


def _module_name(path: Path) -> str:
    parts = path.relative_to(NODE.parent.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _node_files() -> list[Path]:
    return sorted(NODE.rglob("*.py"))


def _imports(path: Path, known: set[str]) -> set[str]:
    """The edu_chain.node modules ``path`` imports (a package import counts as its __init__)."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module:
            names = [node.module] + [f"{node.module}.{alias.name}" for alias in node.names]
        elif isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        else:
            continue
        found.update(name for name in names if name in known)
    return found


def test_the_node_package_has_no_import_circles():
    files = {_module_name(p): p for p in _node_files()}
    graph = {name: _imports(path, set(files)) - {name} for name, path in files.items()}
    # A package's __init__ importing its own submodules is not a circle.
    for name in graph:
        graph[name] = {m for m in graph[name] if not m.startswith(name + ".")}
    state: dict[str, str] = {}

    def visit(name: str, stack: list[str]) -> None:
        state[name] = "open"
        for imported in sorted(graph[name]):
            if state.get(imported) == "open":
                circle = [*stack[stack.index(imported) :], imported]
                pytest.fail("import circle: " + " -> ".join(circle))
            if imported not in state:
                visit(imported, [*stack, imported])
        state[name] = "done"

    for name in sorted(graph):
        if name not in state:
            visit(name, [name])


@pytest.mark.parametrize("path", _node_files(), ids=lambda p: str(p.relative_to(NODE)))
def test_no_long_function_without_a_reason(path):
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            length = node.end_lineno - node.lineno + 1
            doc = ast.get_docstring(node) or ""
            if length > MAX_LINES:
                assert "Long because" in doc, f"{node.name} is {length} lines: split it"
