"""The command line: --help, --version and the demo."""

import click
import pytest
from click.testing import CliRunner

from edu_chain import __version__
from edu_chain.cli import main


def test_help_lists_commands_with_an_example():
    result = CliRunner().invoke(main, ["--help"])
    assert result.exit_code == 0
    assert "demo" in result.output
    assert "Examples" in result.output


def _every_command(command: click.Command, path: tuple[str, ...] = ()):
    yield path
    if isinstance(command, click.Group):
        for name, sub in sorted(command.commands.items()):
            yield from _every_command(sub, (*path, name))


@pytest.mark.parametrize("path", list(_every_command(main))[1:], ids=" ".join)
def test_every_command_has_help_with_an_example(path):
    result = CliRunner().invoke(main, [*path, "--help"])
    assert result.exit_code == 0, result.output
    assert "Example" in result.output, f"`educhain {' '.join(path)} --help` shows no example"


def test_version():
    result = CliRunner().invoke(main, ["--version"])
    assert result.exit_code == 0
    assert __version__ in result.output


def test_unknown_command_is_a_usage_error():
    result = CliRunner().invoke(main, ["no-such-command"])
    assert result.exit_code == 2


def test_one_error_type_carries_the_exit_status():
    """Read from the source (ast): no cli module defines its own ClickException subclass or
    raises a bare ClickException; they all raise CliError, whose exit status is 2 unless the
    work itself failed."""
    import ast
    from pathlib import Path

    from edu_chain.cli.errors import CliError

    cli_dir = Path(__file__).resolve().parents[2] / "edu_chain" / "cli"
    for path in sorted(cli_dir.glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ClassDef) and path.name != "errors.py":
                bases = [ast.unparse(base) for base in node.bases]
                assert "click.ClickException" not in bases, f"{path.name}: {node.name}"
            if isinstance(node, ast.Raise) and node.exc is not None:
                raised = ast.unparse(node.exc)
                assert not raised.startswith("click.ClickException("), f"{path.name}: {raised}"
    assert CliError("x").exit_code == 2
    assert CliError("x", exit_code=1).exit_code == 1
    result = CliRunner().invoke(main, ["wallet", "address", "--wallet", "/nonexistent/w.json"])
    assert result.exit_code == 2 and "Traceback" not in result.output


def test_no_long_function_without_a_reason():
    """cli/, demo/ and grading/ stay readable: a function longer than 80 lines (from ``def`` to its
    last line; a command's click option decorators above it are declarations, not counted) must
    say why in its docstring, in a sentence starting "Long because"."""
    import ast
    from pathlib import Path

    package = Path(__file__).resolve().parents[2] / "edu_chain"
    long = []
    folders = ("cli/*.py", "demo/*.py", "grading/*.py", "grading/specs/*.py")
    for path in sorted(path for folder in folders for path in package.glob(folder)):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                length = node.end_lineno - node.lineno + 1
                reason = "Long because" in (ast.get_docstring(node) or "")
                if length > 80 and not reason:
                    long.append(f"{path.name}:{node.name} ({length} lines)")
    assert long == []
