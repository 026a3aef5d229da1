"""``educhain bench``: measure the miners and the Merkle kernel side by side on this machine."""

from __future__ import annotations

import json

import click

from edu_chain.pow import bench as measurements


def _mh(hashes_per_second: float) -> str:
    return f"{hashes_per_second / 1e6:8.2f} MH/s"


def mining_table(result: dict) -> str:
    """The mining figures as a small text table (also used by ``benchmarks/mining.py``)."""
    threads = result["threads"]
    lines = [
        f"hashlib midstate loop       {_mh(result['hashlib_hps'])}   1.0x",
        f"numba, 1 thread             {_mh(result['numba_1t_hps'])}  {result['ratio_1t']:5.1f}x",
        f"numba, {threads} threads{' ' * (13 - len(str(threads)))}"
        f"{_mh(result['numba_hps'])}  {result['ratio_all']:5.1f}x"
        f"   ({result['thread_scaling']:.2f}x one thread, "
        f"{result['cores_used_all_threads']:.2f} cores obtained)",
    ]
    if "compile_s" in result:
        lines.append(f"compile (empty cache)       {result['compile_s']:8.2f} s")
        lines.append(f"fresh process, cached       {result['cached_start_s']:8.2f} s")
    machine = result["machine"]
    load = machine["load_average_1min"]
    lines.append(
        f"machine: {machine['cores']} cores, avx2={machine['avx2']}, sha_ni={machine['sha_ni']}, "
        f"lanes={machine['lanes']}, load average {'?' if load is None else f'{load:.2f}'}"
    )
    return "\n".join(lines)


def merkle_table(result: dict) -> str:
    return "\n".join(
        [
            f"Merkle root of {result['leaves']:,} leaves (best of {result['repeats']})",
            f"hashlib loop (merkle_parent_level)   {result['hashlib_s']:7.3f} s   1.0x",
            f"merkle_root (Numba batch kernel)     {result['merkle_root_s']:7.3f} s"
            f"  {result['ratio']:5.1f}x",
        ]
    )


@click.group()
def bench() -> None:
    """Measure edu_chain's fast paths against a hashlib loop, in the same run.

    Ratios matter more than absolute rates: other programs on the machine slow everything
    down.  Compilation is measured separately, in fresh processes.

    \b
    Examples:
      educhain bench mining --seconds 2
      educhain bench merkle --json
    """


@bench.command()
@click.option("--seconds", type=click.FloatRange(min=0.05), default=2.0, show_default=True,
              help="Time spent on each of the three measurements.")  # fmt: skip
@click.option("--no-start-up", is_flag=True, help="Skip the compile / cached-start timings.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
def mining(seconds: float, no_start_up: bool, as_json: bool) -> None:
    """Hash rate: hashlib midstate loop vs the Numba miner on 1 thread and on all cores.

    \b
    Example:
      educhain bench mining --seconds 1 --json
    """
    result = measurements.measure_mining(seconds, start_up=not no_start_up)
    click.echo(json.dumps(result) if as_json else mining_table(result))


@bench.command()
@click.option("--leaves", type=click.IntRange(min=1), default=1 << 20, show_default=True)
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
def merkle(leaves: int, as_json: bool) -> None:
    """Merkle root of many leaves: the readable hashlib loop vs merkle_root.

    \b
    Example:
      educhain bench merkle --leaves 65536
    """
    result = measurements.measure_merkle(leaves)
    click.echo(json.dumps(result) if as_json else merkle_table(result))
