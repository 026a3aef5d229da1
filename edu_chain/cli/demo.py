"""``educhain demo``: parse the options, run :mod:`edu_chain.demo`'s tour, print its story.

The tour itself (the steps, the nodes it talks to, the sample class it grades) lives in
:mod:`edu_chain.demo`; this module only decides how it looks in a terminal (:class:`Narrator`,
with rich) and turns its errors into exit statuses.  A polite kill (SIGTERM, e.g. a CI
timeout) becomes ``SystemExit`` so the tour's ``finally`` blocks still stop the nodes.
"""

from __future__ import annotations

import signal
import threading
import time
from pathlib import Path

import click

from edu_chain.cli.errors import CliError
from edu_chain.demo import DemoError, run_tour
from edu_chain.node.testnet import TestnetError
from edu_chain.pow.mining import BACKENDS

# Width of the step rules when the output is not a terminal (a file, a pipe, CI's log).
LOG_RULE_WIDTH = 80


class Narrator:
    """Prints the tour with rich: a rule per step, then short lines and tables.

    Hex strings (hashes, txids) are highlighted; the scenario's text is printed as text,
    never read as rich markup.  In a terminal, long lines wrap at its width (between words).
    Redirected to a file or a pipe, nothing is wrapped: each line stays whole, so a hash or
    an address is never split and a log can be searched for it; tables keep single-word
    cells (hashes, addresses, numbers) on one line.
    """

    def __init__(self) -> None:
        from rich.console import Console
        from rich.highlighter import RegexHighlighter
        from rich.theme import Theme

        class HexHighlighter(RegexHighlighter):
            highlights = (r"(?P<hex>\b(0x)?[0-9a-f]{16,}\b)",)

        self.console = Console(
            highlight=True,
            highlighter=HexHighlighter(),
            theme=Theme({"hex": "cyan"}),
        )
        self.terminal = self.console.is_terminal
        self.console.soft_wrap = not self.terminal
        self.started = time.perf_counter()

    def step(self, title: str) -> None:
        elapsed = time.perf_counter() - self.started
        if self.terminal:
            self.console.rule(f"[bold]{title}[/] [dim]({elapsed:.0f} s)[/]", align="left")
        else:
            text = f"── {title} ({elapsed:.0f} s) "
            self.console.print(text + "─" * max(3, LOG_RULE_WIDTH - len(text)), markup=False)

    def say(self, text: str) -> None:
        self.console.print(text, markup=False)

    def show(self, text: str) -> None:
        self.console.print(text, markup=False, highlight=False)

    def note(self, text: str) -> None:
        self.console.print(f"  → {text}", markup=False, highlight=False, style="dim")

    def ok(self, text: str) -> None:
        self.console.print("[green]✔[/] ", end="")
        self.console.print(text, markup=False)

    def table(self, title: str, columns: list[str], rows: list[list[str]]) -> None:
        from rich.table import Table

        table = Table(title=title, title_justify="left")
        for index, column in enumerate(columns):
            single_words = all(" " not in row[index] for row in rows)
            table.add_column(column, no_wrap=single_words)
        for row in rows:
            table.add_row(*row)
        self.console.print(table)


def _exit_on_sigterm(signum: int, _frame: object) -> None:
    raise SystemExit(128 + signum)


@click.command()
@click.option("--quick", is_flag=True, help="Only step 1 (hashing, Merkle proof, one block).")
@click.option(
    "--backend",
    type=click.Choice(BACKENDS),
    default="auto",
    show_default=True,
    help="Miner backend for step 1.",
)
@click.option(
    "--network",
    type=click.Choice(["regtest", "unittest"]),
    default="regtest",
    show_default=True,
    help="regtest: the classroom chain (real work, Numba miner); unittest: instant blocks.",
)
@click.option("--no-grading", is_flag=True, help="Skip step 6 (grading a sample class).")
@click.option(
    "--keep-running",
    is_flag=True,
    help="Leave the testnet up at the end (to open the explorer); stop it with testnet down.",
)
@click.option(
    "--dir",
    "directory",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Keep the demo's files here (default: a temporary folder, deleted at the end).",
)
def demo(
    quick: bool,
    backend: str,
    network: str,
    no_grading: bool,
    keep_running: bool,
    directory: Path | None,
) -> None:
    """A guided tour that ends by itself: hashing, mining, a 3-node testnet, a transaction,
    a fork and its reorg, then grading a sample class.

    \b
    Example:
      educhain demo                  # the whole tour (a minute or two)
      educhain demo --quick          # hashing, a Merkle proof, one block (seconds)
      educhain demo --keep-running --dir demo-net   # then open the explorer it prints
    """
    if keep_running and directory is None and not quick:
        raise click.UsageError("--keep-running needs --dir (a temporary folder would vanish)")
    say = Narrator()
    in_main_thread = threading.current_thread() is threading.main_thread()
    previous = signal.signal(signal.SIGTERM, _exit_on_sigterm) if in_main_thread else None
    try:
        run_tour(
            say,
            backend=backend,
            quick=quick,
            network=network,
            grading=not no_grading,
            keep_running=keep_running,
            directory=directory,
        )
    except TestnetError as error:  # e.g. --dir of a demo still kept running
        raise CliError(str(error)) from None
    except DemoError as error:
        raise CliError(str(error), exit_code=1) from None
    finally:
        if in_main_thread:
            signal.signal(signal.SIGTERM, previous)
    total = time.perf_counter() - say.started
    say.console.print(f"\n[green bold]Demo finished in {total:.0f} s.[/]")
