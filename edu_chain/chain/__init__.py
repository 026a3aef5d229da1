"""Consensus and chain state: parameters, validation rules, fork choice, the SQLite store.

Modules, lowest first:

    params.py     ChainParams: every consensus constant, the deterministic genesis block
    retarget.py   the difficulty retarget rule (factor-4 clamp)
    coins.py      Coin (an unspent output and its origin), undo data
    segwit.py     BIP141: witness commitment, block weight, sigop cost
    coinbase.py   the coinbase transaction (BIP34 height, witness commitment)
    rules.py      header / block / transaction checks with stable reason codes
    scripts.py    every input's scripts, one by one or in parallel (consensus flags)
    history.py    the address index: transactions touching a script, who spent each output
    store.py      ChainStore: SQLite (WAL), one transaction per connected block
    connect.py    how one block changes the UTXO set (spent, created, fees) and back
    index.py      BlockIndexEntry (height, chainwork, status), ChainEvent, SubmitResult
    state.py      ChainState: most-work fork choice, orphans, reorgs, events
    forktree.py   render_fork_tree: the active chain and stale branches as text
    builder.py    ChainBuilder: mine valid (or deliberately broken) blocks for tests and labs

>>> from edu_chain.chain import ChainParams, ChainState
>>> chain = ChainState(ChainParams.for_tests())
>>> chain.height
0
"""

from edu_chain.chain.coins import Coin as Coin
from edu_chain.chain.index import BlockIndexEntry as BlockIndexEntry
from edu_chain.chain.index import ChainEvent as ChainEvent
from edu_chain.chain.index import SubmitResult as SubmitResult
from edu_chain.chain.params import ChainParams as ChainParams
from edu_chain.chain.scripts import parallel_script_verifier as parallel_script_verifier
from edu_chain.chain.scripts import serial_script_verifier as serial_script_verifier
from edu_chain.chain.state import ChainState as ChainState
from edu_chain.chain.store import ChainStore as ChainStore
from edu_chain.chain.store import ConsistencyReport as ConsistencyReport

__all__ = [
    "BlockIndexEntry",
    "ChainEvent",
    "ChainParams",
    "ChainState",
    "ChainStore",
    "Coin",
    "ConsistencyReport",
    "SubmitResult",
    "parallel_script_verifier",
    "serial_script_verifier",
]
