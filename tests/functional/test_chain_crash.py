"""Crash safety: ``kill -9`` while blocks are being connected loses nothing reported.

A child process mines and connects blocks (with transactions, so the UTXO set churns) into
an SQLite file and prints each block *after* ``submit_block`` returned.  The parent kills it
with SIGKILL at an arbitrary moment, reopens the database and checks, with the independent
replay of ``check_consistency`` as the oracle, that the UTXO set matches the chain and that
every block the child reported is on the reopened active chain.  Three rounds on one file.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import pytest

from edu_chain.chain import ChainParams, ChainState

CHILD = r"""
import sys
from edu_chain.chain import ChainParams, ChainState
from edu_chain.chain.builder import ChainBuilder

params = ChainParams.for_tests()
builder = ChainBuilder(chain=ChainState(params, sys.argv[1]))
while True:
    txs = []
    coins = builder.spendable_coins()
    if coins:
        outpoint, coin = coins[0]
        half = coin.amount // 2
        txs = [builder.spend([(outpoint, coin)], [(builder.pubkey_hash, half),
                                                 (b"\x55" * 20, half - 1_000)])]
    block = builder.mine_block(txs)
    print("connected", builder.chain.height, block.id, flush=True)
"""


@pytest.mark.slow
@pytest.mark.parametrize("delay", [0.0, 0.013, 0.031])
def test_sigkill_while_connecting_leaves_a_consistent_database(tmp_path, delay):
    path = tmp_path / "chain.sqlite"
    reported: list[tuple[int, str]] = []
    for round_number in range(3):
        child = subprocess.Popen(
            [sys.executable, "-c", CHILD, str(path)],
            stdout=subprocess.PIPE,
            text=True,
        )
        try:
            target = len(reported) + 10
            while len(reported) < target:
                line = child.stdout.readline()
                assert line, f"child exited early in round {round_number}"
                _, height, block_id = line.split()
                reported.append((int(height), block_id))
            time.sleep(delay + 0.007 * round_number)
            os.kill(child.pid, signal.SIGKILL)
            rest, _ = child.communicate(timeout=30)
        finally:
            if child.poll() is None:
                child.kill()
                child.wait()
        for line in rest.splitlines():  # printed before the kill landed: also reported
            _, height, block_id = line.split()
            reported.append((int(height), block_id))
        assert child.returncode == -signal.SIGKILL

        chain = ChainState(ChainParams.for_tests(), path)
        report = chain.check_consistency()
        assert report.ok, report.problems
        active_ids = {entry.id for entry in chain.active}
        for height, block_id in reported:
            assert block_id in active_ids, f"block {height} was reported connected but is lost"
        assert chain.height >= reported[-1][0]
        chain.close()
