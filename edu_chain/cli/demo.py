"""``educhain demo``: a short guided tour that runs on its own and exits."""

from __future__ import annotations

import time

import click

from edu_chain.block import BlockHeader
from edu_chain.hashing import sha256d
from edu_chain.merkle import MerkleProof, render_merkle_tree
from edu_chain.pow import bits_to_target, mine

# An easy target (about one hash in 65,536 wins) so the readable Python miner finishes fast.
DEMO_BITS = 0x1F00FFFF


def _step(title: str) -> None:
    click.secho(f"\n== {title}", bold=True)


@click.command()
@click.option("--backend", default="auto", show_default=True, help="Miner backend to use.")
def demo(backend: str) -> None:
    """Walk through hashing, a Merkle proof and mining a block, then exit.

    \b
    Example:
      educhain demo
    """
    _step("1. Double SHA-256, Bitcoin's hash")
    message = b"hello, edu_chain"
    click.echo(f"sha256d({message!r}) = {sha256d(message).hex()}")

    _step("2. A Merkle tree over five transaction ids, and a proof for #3")
    txids = [sha256d(f"tx {i}".encode()) for i in range(5)]
    click.echo(render_merkle_tree(txids))
    proof = MerkleProof.build(txids, 3)
    click.echo(str(proof))
    click.echo(f"proof verifies: {proof.verify()}")

    _step(f"3. Mining a block at bits 0x{DEMO_BITS:08x}")
    header = BlockHeader(
        version=1,
        prev_hash=bytes(32),
        merkle_root=proof.root,
        timestamp=int(time.time()),
        bits=DEMO_BITS,
        nonce=0,
    )
    click.echo(f"target = {bits_to_target(DEMO_BITS):#066x}")
    started = time.perf_counter()
    found = mine(header, backend=backend)
    elapsed = time.perf_counter() - started
    if found is None:
        raise click.ClickException("no nonce in the whole 32-bit range meets the target")
    click.echo(f"nonce {found.nonce} found in {elapsed:.2f} s ({found.nonce + 1:,} hashes tried)")
    click.echo(f"block id {found.id}")
    click.echo(f"hash as number <= target: {found.hash_int() <= bits_to_target(found.bits)}")
    click.secho("\nDemo finished.", fg="green")
