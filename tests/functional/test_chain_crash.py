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

# The child reports each block with ONE write(2) of a whole line (shorter than PIPE_BUF, so
# the pipe delivers it whole): print() writes its arguments and the newline separately when
# PYTHONUNBUFFERED=1, and a SIGKILL between two of them would leave half a line.  The parent
# still only counts lines that end with a newline.
CHILD = r"""
import os
import sys
from edu_chain.chain import ChainParams, ChainState
from edu_chain.chain.builder import ChainBuilder
from edu_chain.script.standard import p2wpkh

params = ChainParams.for_tests()
builder = ChainBuilder(chain=ChainState(params, sys.argv[1]))
while True:
    txs = []
    coins = builder.spendable_coins()
    if coins:
        outpoint, coin = coins[0]
        half = coin.amount // 2
        txs = [builder.spend([(outpoint, coin)], [(builder.script_pubkey, half),
                                                 (p2wpkh(b"\x55" * 20), half - 1_000)])]
    block = builder.mine_block(txs)
    os.write(1, f"connected {builder.chain.height} {block.id}\n".encode())
"""


def _complete_lines(text: str) -> list[tuple[int, str]]:
    """``(height, block id)`` of every whole report line; a cut-off last line is dropped."""
    lines = text.splitlines(keepends=True)
    return [(int(line.split()[1]), line.split()[2]) for line in lines if line.endswith("\n")]


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
                assert line.endswith("\n"), f"child exited early in round {round_number}"
                reported.extend(_complete_lines(line))
            time.sleep(delay + 0.007 * round_number)
            os.kill(child.pid, signal.SIGKILL)
            rest, _ = child.communicate(timeout=30)
        finally:
            if child.poll() is None:
                child.kill()
                child.wait()
        reported.extend(_complete_lines(rest))  # written before the kill landed: reported too
        assert child.returncode == -signal.SIGKILL

        chain = ChainState(ChainParams.for_tests(), path)
        report = chain.check_consistency()
        assert report.ok, report.problems
        active_ids = {entry.id for entry in chain.active}
        for height, block_id in reported:
            assert block_id in active_ids, f"block {height} was reported connected but is lost"
        assert chain.height >= reported[-1][0]
        chain.close()
