"""``educhain mine``: mine a block header (given, or a demo block) with a live progress bar."""

from __future__ import annotations

import json
import math
import time

import click
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

from edu_chain.block import BlockHeader
from edu_chain.cli.errors import CliError
from edu_chain.encoding import UINT32_MAX
from edu_chain.errors import DecodeError, MiningError, ValidationError
from edu_chain.hashing import display_hex, sha256d
from edu_chain.pow.mining import BACKENDS, MiningResult, MiningStats, mine_with_stats
from edu_chain.pow.target import bits_to_target, block_work

# About 2**24 (17 million) hashes expected: well under a second with the Numba miner.
DEFAULT_BITS = 0x1E00FFFF
# Only a hash of 256 zero bits meets target 0: the search would try every nonce in vain.
_ZERO_TARGET = "bits {bits:08x} encodes target 0, which no hash meets; try 1e00ffff"


def _parse_bits(ctx: click.Context, param: click.Parameter, value: str) -> int:
    try:
        bits = int(value, 16)
        target = bits_to_target(bits)
    except ValueError as exc:  # int() or a ValidationError (also a ValueError)
        raise click.BadParameter(f"{value!r} is not a valid compact target: {exc}") from None
    if target == 0:
        raise click.BadParameter(_ZERO_TARGET.format(bits=bits))
    return bits


def _parse_header(
    ctx: click.Context, param: click.Parameter, value: str | None
) -> BlockHeader | None:
    if value is None:
        return None
    try:
        return BlockHeader.from_hex(value)
    except (DecodeError, ValueError) as exc:
        raise click.BadParameter(str(exc)) from None


def _rate(hashes_per_second: float) -> str:
    for unit, scale in (("GH/s", 1e9), ("MH/s", 1e6), ("kH/s", 1e3)):
        if hashes_per_second >= scale:
            return f"{hashes_per_second / scale:.2f} {unit}"
    return f"{hashes_per_second:.0f} H/s"


def _duration(seconds: float) -> str:
    if seconds < 120:
        return f"{seconds:.1f} s"
    if seconds < 7200:
        return f"{seconds / 60:.1f} min"
    if seconds < 2 * 86400:
        return f"{seconds / 3600:.1f} h"
    return f"{seconds / 86400:.1f} days"


@click.command()
@click.option(
    "--header",
    "header",
    callback=_parse_header,
    metavar="HEX",
    help="An 80-byte block header (hex) to mine; its nonce is ignored. Default: a demo block.",
)
@click.option(
    "--bits",
    default=f"{DEFAULT_BITS:08x}",
    show_default=True,
    callback=_parse_bits,
    help="Compact target (hex) of the demo block. One less in the first byte (1e -> 1d) "
    "makes it 256 times harder.",
)
@click.option("--message", default="edu_chain demo block", show_default=True,
              help="Text whose sha256d becomes the demo block's Merkle root.")  # fmt: skip
@click.option("--start-nonce", type=click.IntRange(0, UINT32_MAX), default=0, show_default=True)
@click.option(
    "--max-nonce", type=click.IntRange(0, UINT32_MAX), default=UINT32_MAX, show_default=True
)
@click.option("--backend", type=click.Choice(BACKENDS), default="auto", show_default=True)
@click.option("--threads", type=click.IntRange(min=1), help="Threads (default: every core).")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object instead of text.")
def mine(
    header: BlockHeader | None,
    bits: int,
    message: str,
    start_nonce: int,
    max_nonce: int,
    backend: str,
    threads: int | None,
    as_json: bool,
) -> None:
    """Search for the lowest nonce that makes a block header's hash meet its target.

    Shows the hash rate, the nonces tried and the expected time while it runs.  Exits with
    status 1 when no nonce in the range meets the target.

    \b
    Examples:
      educhain mine                          # a demo block at bits 1e00ffff (~17M hashes)
      educhain mine --bits 1d00ffff          # Bitcoin's easiest target (~4G hashes)
      educhain mine --header 0100...7c --start-nonce 2083000000 --json
    """
    if header is None:
        header = BlockHeader(
            version=1,
            prev_hash=bytes(32),
            merkle_root=sha256d(message.encode()),
            timestamp=int(time.time()),
            bits=bits,
            nonce=0,
        )
    if start_nonce > max_nonce:
        raise click.UsageError(
            f"--start-nonce {start_nonce} is above --max-nonce {max_nonce}: the range is empty"
        )
    try:
        target = bits_to_target(header.bits)
    except ValidationError as exc:
        raise click.BadParameter(str(exc), param_hint="--header") from None
    if target == 0:
        raise click.BadParameter(_ZERO_TARGET.format(bits=header.bits), param_hint="--header")
    expected = block_work(header.bits)  # expected hashes to find one
    warning = range_warning(expected, max_nonce - start_nonce + 1)
    if not as_json:
        click.echo(f"target  {target:064x}")
        click.echo(f"expect  about {expected:,} hashes")
        if warning:
            click.echo(f"warning {warning}", err=True)
    result = _search(header, expected, start_nonce, max_nonce, backend, threads, as_json)
    found, stats = result.header, result.stats
    if as_json:
        report = {
            "found": found is not None,
            "header": None if found is None else found.to_dict(),
            "header_hex": None if found is None else found.serialize().hex(),
            "target": f"{target:064x}",
            "stats": stats.to_dict(),
            "warning": warning,
        }
        click.echo(json.dumps(report))
    else:
        click.echo(f"tried   {stats.hashes:,} hashes in {stats.elapsed:.2f} s")
        click.echo(f"rate    {_rate(stats.hash_rate)} ({stats.backend}, {stats.threads} thread(s))")
        if found is not None:
            click.echo(f"nonce   {found.nonce}")
            click.echo(f"block   {display_hex(found.hash())}")
            click.echo(f"header  {found.serialize().hex()}")
    if found is None:
        raise CliError(
            f"no nonce in [{start_nonce}, {max_nonce}] gives a hash at or below the target",
            exit_code=1,
        )


def range_warning(expected: int, range_size: int) -> str | None:
    """A sentence when the nonce range is too small for the target, else None.

    Each nonce wins with probability ``1 / expected``, so a range of ``n`` nonces holds a
    winner with probability ``1 - (1 - 1/expected)**n``, about ``1 - exp(-n / expected)``.
    Below one half the user should know before waiting for the whole range.
    """
    chance = -math.expm1(-range_size / expected)
    if chance >= 0.5:
        return None
    return (
        f"the target needs about {expected:,} hashes on average, but the nonce range holds "
        f"{range_size:,}: the chance that any nonce in it works is about {chance * 100:.2g}%. "
        "Real miners then change the header (timestamp, or the Merkle root "
        "through an extra nonce in the coinbase) and search the nonces again; here: "
        "--message TEXT or an easier --bits."
    )


def _search(
    header: BlockHeader,
    expected: int,
    start_nonce: int,
    max_nonce: int,
    backend: str,
    threads: int | None,
    as_json: bool,
) -> MiningResult:
    """Run the search with a live progress bar (in a terminal).  On Ctrl-C, say how far it
    got (nonces tried, time, rate) and exit with status 130, as shells expect after SIGINT."""
    console = Console(stderr=True)
    show_bar = console.is_terminal and not as_json
    started = time.perf_counter()
    latest: list[MiningStats] = []
    with Progress(
        TextColumn("[bold]mining"),
        BarColumn(),
        TextColumn("{task.fields[tried]} tried"),
        TextColumn("{task.fields[rate]}"),
        TextColumn("expected {task.fields[eta]}"),
        TimeElapsedColumn(),
        console=console,
        disable=not show_bar,
        transient=True,
    ) as bar:
        task = bar.add_task("mining", total=expected, tried="0", rate="-", eta="-")

        def progress(stats: MiningStats) -> None:
            latest[:] = [stats]
            eta = _duration(expected / stats.hash_rate) if stats.hash_rate else "-"
            bar.update(
                task,
                completed=min(stats.hashes, expected),
                tried=f"{stats.hashes:,}",
                rate=_rate(stats.hash_rate),
                eta=eta,
            )

        try:
            return mine_with_stats(
                header,
                start_nonce=start_nonce,
                max_nonce=max_nonce,
                backend=backend,
                threads=threads,
                progress=progress,
            )
        except MiningError as exc:
            raise click.UsageError(str(exc)) from None
        except KeyboardInterrupt:
            bar.stop()
            click.echo(_interrupted(latest, start_nonce, time.perf_counter() - started), err=True)
            raise click.exceptions.Exit(130) from None


def _interrupted(latest: list[MiningStats], start_nonce: int, elapsed: float) -> str:
    """What an interrupted search had done, from its last progress report."""
    if not latest:
        return f"interrupted after {elapsed:.1f} s, before the first progress report"
    stats = latest[0]
    searched = (
        f"nonces {start_nonce:,} to {start_nonce + stats.searched - 1:,} fail (the same "
        f"--header resumes with --start-nonce {start_nonce + stats.searched})"
        if stats.searched
        else "no nonce checked yet"
    )
    return (
        f"interrupted after {elapsed:.1f} s: {stats.hashes:,} hashes tried at "
        f"{_rate(stats.hash_rate)} ({stats.backend}, {stats.threads} thread(s)); {searched}"
    )
