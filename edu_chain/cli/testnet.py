"""``educhain testnet up|status|down``: a classroom testnet of N nodes on this machine.

A thin layer over :mod:`edu_chain.node.testnet`; see that module for how nodes are started,
connected, recorded (``DIR/testnet.json``) and stopped.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

from edu_chain.cli.errors import CliError
from edu_chain.node.service import NETWORKS
from edu_chain.node.testnet import Testnet, TestnetError

DEFAULT_DIR = Path(".educhain-testnet")
F = TypeVar("F", bound=Callable[..., Any])


def _dir_option(function: F) -> F:
    return click.option(
        "--dir",
        "directory",
        type=click.Path(file_okay=False, path_type=Path),
        default=DEFAULT_DIR,
        show_default=True,
        help="Folder holding the nodes' data dirs, logs and the state file (testnet.json).",
    )(function)


def _fail(error: TestnetError) -> CliError:
    if error.code == "no-testnet":  # never started here, or already stopped with `down`
        return CliError(
            f"{error}: nothing runs there. Start one with `educhain testnet up --dir DIR`."
        )
    return CliError(str(error))


@click.group()
def testnet() -> None:
    """Run a local testnet: N connected nodes on 127.0.0.1, each with its own data dir.

    \b
    Example:
      educhain testnet up --nodes 3 --mine     # start; prints the URLs and the explorer
      educhain testnet status                  # tips and peers of every node
      educhain testnet down                    # stop the nodes it started
    """


@testnet.command()
@click.option("--nodes", type=click.IntRange(1, 16), default=3, show_default=True)
@click.option("--mine", is_flag=True, help="Every node mines continuously (1 thread each).")
@click.option(
    "--threads", type=click.IntRange(min=1), default=1, show_default=True, help="With --mine."
)
@click.option(
    "--base-port",
    type=click.IntRange(1024, 65000),
    default=None,
    help="Ports base, base+1, ... (default: free ports chosen by the system).",
)
@click.option(
    "--network",
    type=click.Choice(sorted(NETWORKS)),
    default=None,
    help="Chain to run: regtest (the classroom chain, real work; the default) or unittest "
    "(instant blocks).",
)
@click.option(
    "--timeout", type=float, default=60.0, show_default=True, help="Seconds to wait for nodes."
)
@_dir_option
@click.option("--json", "as_json", is_flag=True, help="Print the state file as JSON.")
def up(
    nodes: int,
    mine: bool,
    threads: int,
    base_port: int | None,
    network: str | None,
    timeout: float,
    directory: Path,
    as_json: bool,
) -> None:
    """Start NODES connected nodes in the background and print their URLs.

    \b
    Example:
      educhain testnet up --nodes 3 --base-port 8400 --dir class-testnet
    """
    say = None if as_json else (lambda message: click.echo(f"  {message}"))
    try:
        started = Testnet.start(
            directory,
            nodes,
            base_port=base_port,
            mine=mine,
            threads=threads,
            network=network,
            timeout=timeout,
            on_progress=say,
        )
    except TestnetError as error:
        raise _fail(error) from None
    if as_json:
        click.echo(started.state.serialize(), nl=False)
        return
    click.secho(f"\nTestnet of {len(started.nodes)} node(s) is up:", bold=True)
    for node in started.nodes:
        click.echo(f"  {node.name}  {node.url}   pid {node.pid}   log {node.log}")
    click.secho(f"\nExplorer: {started.explorer_url}", fg="green", bold=True)
    click.echo(f"API docs: {started.nodes[0].url}/docs")
    click.echo(f"Stop it with: educhain testnet down --dir {directory}")


@testnet.command()
@_dir_option
@click.option("--json", "as_json", is_flag=True, help="One JSON object per node, in a list.")
def status(directory: Path, as_json: bool) -> None:
    """Show every node's tip, peers and whether it is running.

    \b
    Example:
      educhain testnet status --dir class-testnet
    """
    try:
        rows = Testnet.attach(directory).status()
    except TestnetError as error:
        raise _fail(error) from None
    if as_json:
        click.echo(json.dumps(rows, indent=2))
        return
    from rich import box
    from rich.console import Console
    from rich.table import Table

    table = Table(title=f"testnet in {directory}", box=box.SIMPLE_HEAD, show_edge=False)
    for column in ("node", "address", "state", "height", "tip", "peers", "mining"):
        table.add_column(column, no_wrap=True)
    for row in rows:
        state = (
            "[green]up[/]"
            if row["answering"]
            else ("[yellow]not answering[/]" if row["alive"] else "[red]down[/]")
        )
        table.add_row(
            row["name"],
            row["url"].removeprefix("http://"),
            state,
            "" if row["height"] is None else str(row["height"]),
            (row["tip"] or "")[:12],
            "" if row["peers"] is None else str(row["peers"]),
            {True: "on", False: "off"}.get(row["mining"], ""),
        )
    Console().print(table)
    tips = {row["tip"] for row in rows if row["tip"]}
    if len(tips) > 1:
        click.echo("Nodes disagree on the tip: a fork, or a node still syncing.")


@testnet.command()
@_dir_option
@click.option(
    "--grace", type=float, default=10.0, show_default=True, help="Seconds before SIGKILL."
)
def down(directory: Path, grace: float) -> None:
    """Stop the nodes recorded in DIR/testnet.json (and no other process).

    \b
    Example:
      educhain testnet down --dir class-testnet
    """
    try:
        report = Testnet.attach(directory).stop(grace=grace)
    except TestnetError as error:
        raise _fail(error) from None
    for line in report:
        click.echo(line)
    click.echo("Testnet stopped (data dirs kept; delete the folder to start from genesis).")


__all__ = ["testnet"]
