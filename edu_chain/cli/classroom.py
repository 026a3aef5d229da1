"""``educhain classroom host|join``: a room of laptops on one testnet (edu_chain.classroom).

``host`` runs the instructor's node with the classroom page and API; ``join`` runs a
participant's node that registers a display name with the host and mines to its own wallet.
Both are thin layers over :func:`edu_chain.node.server.run_node`.
"""

from __future__ import annotations

import logging
import secrets
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import click

from edu_chain.cli.errors import CliError
from edu_chain.errors import EduChainError
from edu_chain.node.service import NETWORKS, NodeConfig, host_port
from edu_chain.wallet import WalletError

DEFAULT_MAX_PEERS = 64  # a room of 40 laptops, each one peer of the host


@click.group()
def classroom() -> None:
    """Classroom and hackathon mode: one testnet for the room, a mining race, challenges.

    \b
    Examples:
      educhain classroom host --data-dir class --port 8332 --host 0.0.0.0 --name "Block 101"
      educhain classroom join http://192.168.1.5:8332 --token TOKEN --name alice \\
          --data-dir alice --port 8340 --host 0.0.0.0 --mine
    """


def _logging(verbose: int) -> None:
    logging.basicConfig(
        level=logging.INFO if verbose else logging.WARNING,
        format="%(asctime)s %(name)s %(levelname)s %(message)s",
    )


def _serve(config: NodeConfig, verbose: int, **hooks) -> None:
    from edu_chain.node.server import run_node

    try:
        run_node(config, echo=click.echo, log_level="info" if verbose > 1 else "warning", **hooks)
    except (EduChainError, WalletError) as exc:
        raise CliError(str(exc)) from None
    except SystemExit as exc:
        if exc.code not in (0, None):
            raise CliError(f"could not serve on {config.host}:{config.port}") from None
        raise


_data_dir = click.option(
    "--data-dir",
    type=click.Path(file_okay=False, path_type=Path),
    required=True,
    help="This node's folder (chain.sqlite, wallet.json; classroom.json on the host).",
)
_network = click.option(
    "--network",
    type=click.Choice(sorted(NETWORKS)),
    default="regtest",
    show_default=True,
    help="regtest: the classroom chain; unittest: trivial proof-of-work for tests.",
)
_verbose = click.option("-v", "--verbose", count=True, help="Log node events.")


@classroom.command()
@_data_dir
@click.option("--port", type=click.IntRange(1, 65535), default=8332, show_default=True)
@click.option(
    "--host",
    default="127.0.0.1",
    show_default=True,
    help="Address to bind; 0.0.0.0 to let the room's laptops in.",
)
@click.option("--name", default="classroom", show_default=True, help="Shown on the page.")
@_network
@click.option("--mine", is_flag=True, help="The instructor's node mines too.")
@click.option("--threads", type=click.IntRange(1, 256), help="Miner threads (default: all).")
@click.option(
    "--challenges",
    "challenges_file",
    type=click.Path(dir_okay=False, path_type=Path),
    help="A challenge set (TOML); default: the starter set shipped with edu_chain.",
)
@click.option(
    "--token",
    envvar="EDUCHAIN_TOKEN",
    help="The instructor's token for the controls (default: random, printed).",
)
@click.option("--join-token", help="The token participants join with (default: random).")
@click.option(
    "--max-peers",
    type=click.IntRange(8, 1000),
    default=DEFAULT_MAX_PEERS,
    show_default=True,
    help="Participants' nodes the host keeps as peers.",
)
@click.option("--sync-interval", type=click.FloatRange(0.1, 3600), default=2.0, hidden=True)
@_verbose
def host(
    data_dir: Path,
    port: int,
    host: str,
    name: str,
    network: str,
    mine: bool,
    threads: int | None,
    challenges_file: Path | None,
    token: str | None,
    join_token: str | None,
    max_peers: int,
    sync_interval: float,
    verbose: int,
) -> None:
    """Run the instructor's node with the classroom page at /classroom.

    Prints the join command (with the join token) for the room and the instructor's token
    for the controls; stops on Ctrl+C.

    \b
    Example:
      educhain classroom host --data-dir class --port 8332 --host 0.0.0.0 --name "Block 101"
    """
    from edu_chain.classroom import Classroom, ClassroomError, load_challenges
    from edu_chain.classroom.challenges import ChallengeFileError
    from edu_chain.classroom.routes import install

    _logging(verbose)
    try:
        challenges = load_challenges(challenges_file)
    except ChallengeFileError as exc:
        raise CliError(str(exc)) from None
    for value, option in ((token, "--token"), (join_token, "--join-token")):
        if value is not None and not value.strip():
            raise click.BadParameter("must not be empty", param_hint=option)
    data_dir = data_dir.expanduser()
    try:
        data_dir.mkdir(parents=True, exist_ok=True)
        room = Classroom(data_dir, name=name, join_token=join_token)
    except OSError as exc:
        raise CliError(f"cannot use {data_dir}: {exc}") from None
    except ClassroomError as exc:
        raise CliError(exc.message) from None
    config = NodeConfig(
        data_dir=data_dir,
        network=network,
        host=host,
        port=port,
        name=name,
        token=token or secrets.token_urlsafe(12),
        mine=mine,
        threads=threads,
        sync_interval=sync_interval,
        max_peers=max_peers,
    )

    def started(node) -> None:
        shown = "127.0.0.1" if host in ("0.0.0.0", "::") else host
        click.echo(f"  classroom http://{host_port(shown, node.port)}/classroom")
        click.echo(f"  join     {node.app_classroom.join_command()}")
        click.echo(f"  instructor token {node.token}   (for the page's controls; keep it private)")

    def extend(app, node) -> None:
        install(app, node, room, challenges)
        node.app_classroom = app.state.classroom

    _serve(config, verbose, extend_app=extend, on_started=started)


def _split_url(url: str, token: str | None) -> tuple[str, str | None]:
    """``http://host:port/?token=T`` -> (``http://host:port``, the token or None)."""
    parts = urlsplit(url if "://" in url else f"http://{url}")
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise click.BadParameter(f"{url!r} is not a host URL like http://192.168.1.5:8332")
    from_query = parse_qs(parts.query).get("token", [None])[0]
    return f"{parts.scheme}://{parts.netloc}", token or from_query


@classroom.command()
@click.argument("url")
@click.option("--name", required=True, help="Your display name on the leaderboard.")
@_data_dir
@click.option("--port", type=click.IntRange(1, 65535), required=True, help="Your node's port.")
@click.option(
    "--host",
    default="127.0.0.1",
    show_default=True,
    help="Address your node binds; 0.0.0.0 on a LAN so the host can reach it.",
)
@click.option(
    "--token",
    help="The classroom's join token (or ?token=... in the URL); default: the one the host's "
    "classroom page shows.",
)
@click.option("--mine", is_flag=True, help="Mine to your own wallet.")
@click.option("--threads", type=click.IntRange(1, 256), help="Miner threads (default: all).")
@click.option("--sync-interval", type=click.FloatRange(0.1, 3600), default=2.0, hidden=True)
@click.option("--mine-interval", type=click.FloatRange(0, 3600), hidden=True)
@_verbose
def join(
    url: str,
    name: str,
    data_dir: Path,
    port: int,
    host: str,
    token: str | None,
    mine: bool,
    threads: int | None,
    sync_interval: float,
    mine_interval: float | None,
    verbose: int,
) -> None:
    """Join a classroom: run your node, register NAME, mine to your own wallet.

    \b
    Example:
      educhain classroom join http://192.168.1.5:8332 --token 3f9a1c2e --name alice \\
          --data-dir alice --port 8340 --host 0.0.0.0 --mine
    """
    from edu_chain.classroom import ClassroomError
    from edu_chain.classroom.agent import Agent, classroom_info, register
    from edu_chain.keys import PrivateKey
    from edu_chain.node.server import check_can_listen
    from edu_chain.node.service import WALLET_FILE
    from edu_chain.wallet import Wallet

    _logging(verbose)
    base, token = _split_url(url, token)
    data_dir = data_dir.expanduser()
    wallet_path = data_dir / WALLET_FILE
    try:
        info = classroom_info(base)
        if token is None:  # the room's code, on its projector page: not a secret
            token = str(info.get("join_token") or "")
            click.echo("join token: the one on the host's classroom page")
        check_can_listen(host, port)
        wallet = (
            Wallet.load(wallet_path)
            if wallet_path.exists()
            else Wallet(wallet_path, [PrivateKey.generate()])
        )
        joined = register(
            base, name=name, address=wallet.address, node=host_port(host, port), token=token
        )
    except ClassroomError as exc:
        raise CliError(f"{exc.code}: {exc.message}") from None
    except (EduChainError, WalletError) as exc:
        raise CliError(str(exc)) from None
    if not wallet_path.exists():  # only now: a refused join leaves nothing behind
        data_dir.mkdir(parents=True, exist_ok=True)
        wallet.save()
    click.echo(f"joined {info['name']!r} as {name} (coinbases pay {wallet.address})")
    config = NodeConfig(
        data_dir=data_dir,
        network=info["network_key"] if "network_key" in info else _network_key(info["network"]),
        host=host,
        port=port,
        name=name,
        peers=(joined["host"],),
        mine=mine,
        threads=threads,
        sync_interval=sync_interval,
        mine_interval=mine_interval,
    )

    def started(node) -> None:
        agent = Agent(node, base, name, joined["session"], mine=mine, echo=click.echo)
        agent.start()

    _serve(config, verbose, on_started=started)


def _network_key(chain_name: str) -> str:
    """The host's chain name (``edu-regtest``) -> the --network value (``regtest``)."""
    from edu_chain.node.service import network_params

    for key in NETWORKS:
        if network_params(key).name == chain_name:
            return key
    raise CliError(f"the host runs an unknown network {chain_name!r}")


__all__ = ["classroom"]
