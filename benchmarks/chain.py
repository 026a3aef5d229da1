"""Block connection speed: N blocks of segwit (P2WPKH) inputs, serial vs parallel script checks.

    python benchmarks/chain.py [--json] [--blocks N] [--txs M] [--inputs-per-tx K]
                               [--workers W] [--store file|memory]

The blocks are built once (a fan-out transaction gives N*M*K test keys one P2WPKH coin each,
then every block holds M transactions spending K of those coins each).  The same blocks are
then connected to fresh chains, timed: with the serial script check (``verify_input`` for each
input in order, one ``SighashCache`` per transaction), with ``parallel_script_verifier`` on
one worker (the same chunks, in this process: the cost of chunking alone), and on W worker
processes.  Every input runs its witness program with the consensus flags: a BIP143 sighash
and one ECDSA verification each.  Building the blocks and the setup blocks are not timed.

JSON keys: ``blocks``, ``txs_per_block``, ``inputs_per_tx``, ``inputs`` (all measured
inputs), ``store``, ``workers``, ``signature_backend``, ``serial_s`` / ``chunked_1w_s`` /
``parallel_s`` (seconds to connect the N blocks), ``serial_inputs_per_s``,
``parallel_inputs_per_s``, ``serial_blocks_per_s``, ``parallel_blocks_per_s``,
``parallel_speedup`` (serial_s / parallel_s) and ``worker_speedup`` (chunked_1w_s /
parallel_s: what the extra workers alone bring).
"""

from __future__ import annotations

import os
import tempfile
import time
from dataclasses import replace
from pathlib import Path

from _common import emit, parser

from edu_chain.block import Block, parse_block
from edu_chain.chain import ChainParams, ChainState
from edu_chain.chain.builder import ChainBuilder
from edu_chain.chain.scripts import Verifier, parallel_script_verifier, serial_script_verifier
from edu_chain.keys import PrivateKey, get_backend
from edu_chain.script.standard import p2wpkh
from edu_chain.tx import OutPoint


def build_blocks(
    params: ChainParams, blocks: int, txs: int, inputs: int
) -> tuple[list[Block], list[Block]]:
    """(setup blocks, measured blocks), all valid in sequence on ``params``' genesis.

    Every measured input is signed by a different key, so no cache flatters a verifier.
    """
    builder = ChainBuilder(params)
    setup = builder.mine_blocks(params.coinbase_maturity + 1)
    count = blocks * txs * inputs
    keys = [PrivateKey(1_000_003 + i) for i in range(count)]
    outpoint, coin = builder.spendable_coins()[0]
    piece = (coin.amount - 100_000) // count
    fan_out = builder.spend(
        [(outpoint, coin)], [(p2wpkh(key.public_key.pubkey_hash()), piece) for key in keys]
    )
    setup.append(builder.mine_block([fan_out]))
    measured = []
    for b in range(blocks):
        spends = []
        for t in range(txs):
            first = (b * txs + t) * inputs
            tx = builder.spend(
                [
                    (OutPoint(fan_out.txid, i), fan_out.outputs[i])
                    for i in range(first, first + inputs)
                ],
                [(p2wpkh(b"\x42" * 20), piece * inputs - 500)],
                sign=False,
            )
            for n in range(inputs):
                output = fan_out.outputs[first + n]
                tx = tx.sign_input(n, keys[first + n], output.script_pubkey, output.amount)
            spends.append(tx)
        measured.append(builder.mine_block(spends))
    return setup, measured


def cold(blocks: list[Block]) -> list[Block]:
    """Fresh objects parsed from bytes and empty key caches, so no run inherits another's
    cached ids, sighashes or parsed public keys (parsing is not timed)."""
    public_cache = getattr(get_backend(), "_public", None)
    if hasattr(public_cache, "cache_clear"):
        public_cache.cache_clear()
    return [parse_block(block.serialize()) for block in blocks]


def connect(
    params: ChainParams,
    setup: list[Block],
    measured: list[Block],
    verifier: Verifier,
    store: str,
) -> float:
    """Seconds to submit ``measured`` to a fresh chain that already holds ``setup``."""
    measured = cold(measured)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "bench.sqlite" if store == "file" else None
        chain = ChainState(params, path, verify_scripts=verifier, clock=lambda: 4e9)
        for block in setup:
            chain.submit_block(block)
        start = time.perf_counter()
        for block in measured:
            chain.submit_block(block)
        elapsed = time.perf_counter() - start
        assert chain.tip.hash == measured[-1].hash()
        chain.close()
    return elapsed


def measure(blocks: int, txs: int, inputs: int, workers: int, store: str) -> dict:
    params = replace(ChainParams.for_tests(), max_block_size=10_000_000, max_tx_size=10_000_000)
    setup, measured = build_blocks(params, blocks, txs, inputs)
    connect(params, setup, measured[:1], serial_script_verifier, store)  # warm-up, untimed
    serial = connect(params, setup, measured, serial_script_verifier, store)
    chunked = connect(
        params, setup, measured, parallel_script_verifier(1, executor="serial"), store
    )
    parallel = connect(
        params, setup, measured, parallel_script_verifier(workers, executor="process"), store
    )
    total = blocks * txs * inputs
    return {
        "blocks": blocks,
        "txs_per_block": txs,
        "inputs_per_tx": inputs,
        "inputs": total,
        "store": store,
        "workers": workers,
        "signature_backend": get_backend().name,
        "serial_s": round(serial, 4),
        "chunked_1w_s": round(chunked, 4),
        "parallel_s": round(parallel, 4),
        "serial_inputs_per_s": round(total / serial, 1),
        "parallel_inputs_per_s": round(total / parallel, 1),
        "serial_blocks_per_s": round(blocks / serial, 2),
        "parallel_blocks_per_s": round(blocks / parallel, 2),
        "parallel_speedup": round(serial / parallel, 3),
        "worker_speedup": round(chunked / parallel, 3),
    }


def table(result: dict) -> str:
    return "\n".join(
        [
            f"connect {result['blocks']} blocks x {result['txs_per_block']} txs x "
            f"{result['inputs_per_tx']} P2WPKH inputs = {result['inputs']} script checks "
            f"({result['store']} store, signatures via {result['signature_backend']})",
            f"{'verifier':<30}{'seconds':>10}{'blocks/s':>12}{'inputs/s':>12}",
            f"{'serial (verify_input)':<30}{result['serial_s']:>10.3f}"
            f"{result['serial_blocks_per_s']:>12.2f}{result['serial_inputs_per_s']:>12.1f}",
            f"{'chunked (1 worker)':<30}{result['chunked_1w_s']:>10.3f}"
            f"{result['blocks'] / result['chunked_1w_s']:>12.2f}"
            f"{result['inputs'] / result['chunked_1w_s']:>12.1f}",
            f"{'parallel (' + str(result['workers']) + ' processes)':<30}"
            f"{result['parallel_s']:>10.3f}"
            f"{result['parallel_blocks_per_s']:>12.2f}{result['parallel_inputs_per_s']:>12.1f}",
            f"parallel vs serial: {result['parallel_speedup']:.2f}x; "
            f"of which workers (parallel vs chunked on 1 worker): {result['worker_speedup']:.2f}x",
        ]
    )


def main() -> None:
    arguments = parser(__doc__.splitlines()[0])
    arguments.add_argument("--blocks", type=int, default=10)
    arguments.add_argument("--txs", type=int, default=100)
    arguments.add_argument("--inputs-per-tx", type=int, default=2)
    arguments.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    arguments.add_argument("--store", choices=("file", "memory"), default="file")
    options = arguments.parse_args()
    result = measure(
        options.blocks, options.txs, options.inputs_per_tx, options.workers, options.store
    )
    emit(result, options.json, table)


if __name__ == "__main__":
    main()
