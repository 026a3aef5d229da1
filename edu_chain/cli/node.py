"""``educhain node``: run a full node (HTTP API, explorer, peers, miner) in the foreground.

A thin layer over :func:`edu_chain.node.server.run_node`; the node and its API are
documented in :mod:`edu_chain.node`.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

import click

from edu_chain.cli.errors import CliError
from edu_chain.errors import EduChainError
from edu_chain.node.p2p import PeerError, parse_peer_address
from edu_chain.node.service import NETWORKS, NodeConfig, is_loopback
from edu_chain.pow.mining import BACKENDS
from edu_chain.wallet import WalletError


def _peer(ctx: click.Context, param: click.Parameter, values: tuple[str, ...]) -> tuple[str, ...]:
    try:
        return tuple(parse_peer_address(v) for v in values)
    except PeerError as exc:
        raise click.BadParameter(exc.message) from None


@click.command()
@click.option(
    "--data-dir",
    type=click.Path(file_okay=False, path_type=Path),
    default="~/.educhain/node",
    show_default=True,
    help="Where the chain database (chain.sqlite) and the node wallet (wallet.json) live.",
)
@click.option("--port", type=click.IntRange(0, 65535), default=8332, show_default=True)
@click.option(
    "--host",
    default="127.0.0.1",
    show_default=True,
    help="Address to bind. Anything but loopback makes control calls need a token.",
)
@click.option(
    "--peer",
    "peers",
    multiple=True,
    callback=_peer,
    help="Another node, HOST:PORT (repeat for several).",
)
@click.option("--mine", is_flag=True, help="Start mining continuously at once.")
@click.option("--address", help="Pay mined coins to this address (default: the node wallet).")
@click.option("--threads", type=click.IntRange(1, 256), help="Miner threads (default: all cores).")
@click.option(
    "--network",
    type=click.Choice(sorted(NETWORKS)),
    default="regtest",
    show_default=True,
    help="regtest: the classroom chain; unittest: trivial proof-of-work for tests.",
)
@click.option("--name", help="Name shown in the explorer (default: node-PORT).")
@click.option(
    "--token", envvar="EDUCHAIN_TOKEN", help="Access token (default: random off-loopback)."
)
@click.option("--backend", type=click.Choice(BACKENDS), help="Miner backend (default: auto).")
@click.option(
    "--mine-interval",
    type=click.FloatRange(0, 3600),
    help="Seconds to rest between continuously mined blocks (unittest default 0.5).",
)
@click.option(
    "--sync-interval",
    type=click.FloatRange(0.1, 3600),
    default=2.0,
    show_default=True,
    help="Seconds between checks of each peer's tip.",
)
@click.option(
    "--exit-with-parent",
    is_flag=True,
    help="Stop cleanly (as on SIGTERM) when the process that started this node dies, even "
    "if it was killed with SIGKILL (used by educhain demo and scripts that own the node).",
)
@click.option(
    "--parent-pid",
    type=click.IntRange(1),
    hidden=True,
    help="With --exit-with-parent: the pid of the parent, as the parent knows it (closes "
    "the window in which the parent dies before the node has looked).",
)
@click.option("-v", "--verbose", count=True, help="Log node events (-vv: every request).")
def node(
    data_dir: Path,
    port: int,
    host: str,
    peers: tuple[str, ...],
    mine: bool,
    address: str | None,
    threads: int | None,
    network: str,
    name: str | None,
    token: str | None,
    backend: str | None,
    mine_interval: float | None,
    sync_interval: float,
    exit_with_parent: bool,
    parent_pid: int | None,
    verbose: int,
) -> None:
    """Run a node: HTTP API, web explorer, peers and an optional miner.

    Stops cleanly on Ctrl+C (SIGINT) or SIGTERM, and with --exit-with-parent also when
    its parent process dies.

    \b
    Examples:
      educhain node --data-dir alice --port 8332 --mine
      educhain node --data-dir bob --port 8333 --peer 127.0.0.1:8332
      educhain node --host 0.0.0.0 --port 8332      # classroom LAN: prints a token
    """
    # Read first: a parent that died before this line would go unnoticed (we would record
    # the adoptive parent instead), unless it told us its pid with --parent-pid.
    watched = (parent_pid or os.getppid()) if exit_with_parent else None
    from edu_chain.node.server import run_node

    logging.basicConfig(
        level=logging.INFO if verbose else logging.WARNING,
        format="%(asctime)s %(name)s %(levelname)s %(message)s",
    )
    _check_address_and_token(address, token, host)
    config = NodeConfig(
        data_dir=data_dir.expanduser(),
        network=network,
        host=host,
        port=port,
        name=name,
        token=token,
        peers=peers,
        mine=mine,
        mining_address=address,
        threads=threads,
        backend=backend,
        mine_interval=mine_interval,
        sync_interval=sync_interval,
    )
    try:
        run_node(
            config,
            echo=click.echo,
            log_level="info" if verbose > 1 else "warning",
            parent_pid=watched,
        )
    except (EduChainError, WalletError) as exc:
        raise CliError(str(exc)) from None
    except SystemExit as exc:  # uvicorn exits 1 when it cannot bind the port
        if exc.code not in (0, None):
            # check_can_listen passed, then the bind failed: another program took the port
            # in between (uvicorn printed its reason just above).
            raise CliError(f"could not serve on {host}:{port} (see the error above)") from None
        raise


def _check_address_and_token(address: str | None, token: str | None, host: str) -> None:
    """Usage errors for a malformed --address or an empty --token; a note for a token on
    loopback (where none is needed)."""
    if address is not None:
        from edu_chain.keys import is_valid_address

        if not is_valid_address(address):
            raise click.BadParameter(f"{address!r} is not a valid address", param_hint="--address")
    if token is not None and not token.strip():
        raise click.BadParameter(
            "an empty token would lock every control call", param_hint="--token"
        )
    if token is not None and is_loopback(host):
        click.echo("note: a token is set, so control calls need it even on loopback", err=True)


__all__ = ["node"]
