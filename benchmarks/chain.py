"""Block connection speed: N blocks of M signed transactions, serial vs parallel signatures.

    python benchmarks/chain.py [--json] [--blocks N] [--txs M] [--workers W] [--store file|memory]

The blocks are built once (a fan-out transaction gives the test key N*M coins, then every
block spends M of them in M one-input transactions).  The same blocks are then connected to
fresh chains, timed: with the serial signature check (``Transaction.verify_input`` one by
one), with ``parallel_signature_verifier`` on one worker, and on W workers
(``keys.verify_batch``).
Building the blocks and the setup blocks are not timed.

JSON keys: ``blocks``, ``txs_per_block``, ``inputs``, ``store``, ``workers``,
``serial_s``/``parallel_s`` (seconds to connect the N blocks), ``serial_blocks_per_s``,
``serial_tx_per_s``, ``parallel_blocks_per_s``, ``parallel_tx_per_s``,
``batch_1w_s`` (the batch path on one worker: separates the cheaper check from the
parallelism), ``parallel_speedup`` (serial_s / parallel_s), ``thread_speedup``
(batch_1w_s / parallel_s), ``signature_backend``.
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
from edu_chain.chain.signatures import (
    Verifier,
    _cached_hash160,
    parallel_signature_verifier,
    serial_signature_verifier,
)
from edu_chain.keys import PrivateKey, get_backend
from edu_chain.teaching_tx import OutPoint


def build_blocks(params: ChainParams, blocks: int, txs: int) -> tuple[list[Block], list[Block]]:
    """(setup blocks, measured blocks), all valid in sequence on ``params``' genesis.

    Every measured input is signed by a different key, so no cache flatters a verifier.
    """
    builder = ChainBuilder(params)
    setup = builder.mine_blocks(params.coinbase_maturity + 1)
    count = blocks * txs
    keys = [PrivateKey(1_000_003 + i) for i in range(count)]
    outpoint, coin = builder.spendable_coins()[0]
    piece = (coin.amount - 100_000) // count
    fan_out = builder.spend(
        [(outpoint, coin)], [(key.public_key.pubkey_hash(), piece) for key in keys]
    )
    setup.append(builder.mine_block([fan_out]))
    fan_id = fan_out.txid()
    measured = []
    for b in range(blocks):
        spends = []
        for t in range(txs):
            index = b * txs + t
            spends.append(
                builder.spend(
                    [(OutPoint(fan_id, index), fan_out.outputs[index])],
                    [(b"\x42" * 20, piece - 500)],
                    key=keys[index],
                )
            )
        measured.append(builder.mine_block(spends))
    return setup, measured


def cold(blocks: list[Block]) -> list[Block]:
    """Fresh objects parsed from bytes and empty key caches, so no run inherits another's
    cached sighashes, parsed public keys or hash160s (parsing is not timed)."""
    _cached_hash160.cache_clear()
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
        chain = ChainState(params, path, verify_signatures=verifier, clock=lambda: 4e9)
        for block in setup:
            chain.submit_block(block)
        start = time.perf_counter()
        for block in measured:
            chain.submit_block(block)
        elapsed = time.perf_counter() - start
        assert chain.tip.hash == measured[-1].hash()
        chain.close()
    return elapsed


def measure(blocks: int, txs: int, workers: int, store: str) -> dict:
    params = replace(ChainParams.for_tests(), max_block_size=10_000_000, max_tx_size=10_000_000)
    setup, measured = build_blocks(params, blocks, txs)
    connect(params, setup, measured[:1], serial_signature_verifier, store)  # warm-up, untimed
    serial = connect(params, setup, measured, serial_signature_verifier, store)
    batch_1 = connect(
        params, setup, measured, parallel_signature_verifier(1, executor="serial"), store
    )
    parallel = connect(params, setup, measured, parallel_signature_verifier(workers), store)
    total = blocks * txs
    return {
        "blocks": blocks,
        "txs_per_block": txs,
        "inputs": total,
        "store": store,
        "workers": workers,
        "signature_backend": get_backend().name,
        "serial_s": round(serial, 4),
        "batch_1w_s": round(batch_1, 4),
        "parallel_s": round(parallel, 4),
        "serial_blocks_per_s": round(blocks / serial, 2),
        "serial_tx_per_s": round(total / serial, 1),
        "parallel_blocks_per_s": round(blocks / parallel, 2),
        "parallel_tx_per_s": round(total / parallel, 1),
        "parallel_speedup": round(serial / parallel, 3),
        "thread_speedup": round(batch_1 / parallel, 3),
    }


def table(result: dict) -> str:
    return "\n".join(
        [
            f"connect {result['blocks']} blocks x {result['txs_per_block']} signed txs "
            f"({result['store']} store, signatures via {result['signature_backend']})",
            f"{'verifier':<28}{'seconds':>10}{'blocks/s':>12}{'tx/s':>12}",
            f"{'serial (verify_input)':<28}{result['serial_s']:>10.3f}"
            f"{result['serial_blocks_per_s']:>12.2f}{result['serial_tx_per_s']:>12.1f}",
            f"{'batch (1 worker)':<28}{result['batch_1w_s']:>10.3f}"
            f"{result['blocks'] / result['batch_1w_s']:>12.2f}"
            f"{result['inputs'] / result['batch_1w_s']:>12.1f}",
            f"{'parallel (' + str(result['workers']) + ' workers)':<28}"
            f"{result['parallel_s']:>10.3f}"
            f"{result['parallel_blocks_per_s']:>12.2f}{result['parallel_tx_per_s']:>12.1f}",
            f"parallel vs serial: {result['parallel_speedup']:.2f}x; "
            f"of which workers (parallel vs batch on 1 worker): {result['thread_speedup']:.2f}x",
        ]
    )


def main() -> None:
    arguments = parser(__doc__.splitlines()[0])
    arguments.add_argument("--blocks", type=int, default=20)
    arguments.add_argument("--txs", type=int, default=200)
    arguments.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    arguments.add_argument("--store", choices=("file", "memory"), default="file")
    options = arguments.parse_args()
    emit(measure(options.blocks, options.txs, options.workers, options.store), options.json, table)


if __name__ == "__main__":
    main()
