"""The guided tour behind ``educhain demo``: the whole project in a few minutes, ending by itself.

The tour, step by step (each reports what it did and what to notice):

1. Double SHA-256, a Merkle tree and proof, one block mined (``quick`` stops here).
2. A local testnet of three nodes on free loopback ports, each its own process and data dir
   (:mod:`edu_chain.node.testnet`, what ``educhain testnet up`` runs).
3. Mining with the nodes' Numba miner (``POST /api/mine``) until Alice's first coinbase is
   mature; every node follows the same tip.
4. A transaction: Alice's wallet signs a payment to Bob, one node relays it, another mines it.
5. A fork: node2 is cut off (``DELETE /api/peers``), both sides mine, the network heals
   (``POST /api/peers``), node2 reorganises to the branch with more work and the transaction
   it had mined on the losing branch goes back to its mempool, then into a block again.
6. Grading a tiny class (three students, two exercises) with :mod:`edu_chain.grading`; the
   students' files are in ``edu_chain/demo/submissions/``.

Modules: :mod:`~edu_chain.demo.scenario` (the steps, reporting to a :class:`Reporter`),
:mod:`~edu_chain.demo.nodes` (the only HTTP code).  Everything the tour starts is stopped
in a ``finally`` block, by pid; if the process is killed so hard that no ``finally`` runs
(``kill -9``), its nodes notice that their parent is gone and stop by themselves
(``educhain node --exit-with-parent``).
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from edu_chain.demo.nodes import DemoError as DemoError
from edu_chain.demo.scenario import Reporter as Reporter
from edu_chain.demo.scenario import grading_tour, hashing_tour, network_tour

__all__ = ["DemoError", "Reporter", "run_tour"]


def run_tour(
    say: Reporter,
    *,
    backend: str = "auto",
    quick: bool = False,
    network: str = "regtest",
    grading: bool = True,
    keep_running: bool = False,
    directory: Path | None = None,
) -> None:
    """Run the tour, reporting to ``say``.

    ``directory`` keeps the testnet, wallets and grades (default: a temporary folder, deleted
    at the end); ``keep_running`` leaves the testnet up and needs ``directory``.  Raises
    :class:`DemoError` when a step does not happen, ``TestnetError`` when the testnet cannot
    start or a wait times out.
    """
    if keep_running and directory is None and not quick:
        raise ValueError("keep_running needs a directory (a temporary folder would vanish)")
    hashing_tour(say, backend)
    if quick:
        return
    with tempfile.TemporaryDirectory(prefix="educhain-demo-") as scratch:
        root = Path(directory).resolve() if directory else Path(scratch)
        root.mkdir(parents=True, exist_ok=True)
        network_tour(say, root, network, keep_running)
        if grading:
            grading_tour(say, root, kept=directory is not None)
