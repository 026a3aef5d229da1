"""The mining race, scored from the chain itself (never from what participants claim).

For each registered participant, over the blocks above the session's start height:

``blocks``
    best-chain blocks whose coinbase has an output paying the participant's address
    (the **fixed** field of ``GET /api/classroom/leaderboard``);
``stale_blocks``
    blocks the host knows that pay the participant but are *not* on the best chain
    (they lost a race, or a reorg removed them);
``hash_rate``
    an estimate: the work of the participant's best-chain blocks (``block_work(bits)``, the
    expected number of hashes per block at that target) divided by the time the session's
    chain spans (tip timestamp minus the start block's).  Like any estimate from few
    blocks it is noisy; it converges as blocks accumulate;
``balance``
    what the address holds now on the best chain (the chain's UTXO owner index), in
    satoshis, coinbases not yet mature included.

:class:`Scanner` caches, per block hash, which scripts a coinbase pays (and, for the
challenges, what its transactions spent: :mod:`.txfacts`), so a request only reads the
blocks that arrived since the last one.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

from edu_chain.classroom.registry import Classroom
from edu_chain.classroom.txfacts import TxFacts, block_facts
from edu_chain.pow.target import block_work

PACE_WINDOW = 20  # blocks the measured interval is averaged over


@dataclass(frozen=True)
class CoinbaseFacts:
    payees: frozenset[bytes]  # the scriptPubKeys its coinbase outputs pay
    text: bytes  # the coinbase data (scriptSig), where miners write a tag
    bits: int
    timestamp: int


class Scanner:
    """Coinbase facts per block of one chain, cached (blocks never change)."""

    def __init__(self, chain) -> None:  # chain: ChainState
        self.chain = chain
        self._facts: dict[bytes, CoinbaseFacts] = {}
        self._txs: dict[bytes, tuple[TxFacts, ...]] = {}
        self._lock = threading.Lock()

    def facts(self, block_hash: bytes) -> CoinbaseFacts | None:
        with self._lock:
            known = self._facts.get(block_hash)
        if known is not None:
            return known
        block = self.chain.get_block(block_hash)
        if block is None:
            return None
        coinbase = block.transactions[0]
        facts = CoinbaseFacts(
            payees=frozenset(out.script_pubkey for out in coinbase.outputs),
            text=coinbase.inputs[0].script_sig,
            bits=block.header.bits,
            timestamp=block.header.timestamp,
        )
        with self._lock:
            self._facts[block_hash] = facts
        return facts

    def transactions(self, block_hash: bytes) -> tuple[TxFacts, ...]:
        """What a connected block's transactions spent and paid (:mod:`.txfacts`), cached."""
        with self._lock:
            known = self._txs.get(block_hash)
        if known is not None:
            return known
        found = block_facts(self.chain, block_hash)
        with self._lock:
            self._txs[block_hash] = found
        return found


def leaderboard(classroom: Classroom, chain, scanner: Scanner | None = None) -> list[dict]:
    """The leaderboard rows, most blocks first (call under the chain's lock)."""
    scanner = scanner or Scanner(chain)
    owners = classroom.by_script()
    start = min(classroom.start_height, chain.height)
    counts: dict[str, int] = {name: 0 for name in owners.values()}
    work: dict[str, int] = dict.fromkeys(counts, 0)
    stale: dict[str, int] = dict.fromkeys(counts, 0)
    last_height: dict[str, int | None] = dict.fromkeys(counts)
    for entry in chain.active[start + 1 :]:
        facts = scanner.facts(entry.hash)
        if facts is None:  # pragma: no cover - active blocks are stored
            continue
        for script in facts.payees:
            name = owners.get(script)
            if name is not None:
                counts[name] += 1
                work[name] += block_work(facts.bits)
                last_height[name] = entry.height
    for entry in chain.index.values():
        if entry.height <= start or chain.contains(entry) or entry.status == "invalid":
            continue
        facts = scanner.facts(entry.hash)
        if facts is None:
            continue
        for script in facts.payees:
            name = owners.get(script)
            if name is not None:
                stale[name] += 1
    span = chain.tip.timestamp - chain.active[start].timestamp
    rows = []
    for participant in classroom.roster():
        name = participant.name
        rows.append(
            {
                "name": name,
                "address": participant.address,
                "blocks": counts.get(name, 0),
                "stale_blocks": stale.get(name, 0),
                "hash_rate": round(work.get(name, 0) / span, 3) if span > 0 else 0.0,
                "balance": chain.balance(participant.script_pubkey),
                "last_block_height": last_height.get(name),
                "node": participant.node,
                "online": classroom.online(name),
            }
        )
    rows.sort(key=lambda row: (-row["blocks"], row["stale_blocks"], row["name"]))
    return rows


def block_pace(
    chain, start_height: int, arrivals: dict[bytes, float] | None = None, window: int = PACE_WINDOW
) -> dict:
    """The measured time between blocks over the last ``window`` best-chain blocks above
    ``start_height`` (the session's start, or the height when the pace last changed), two
    ways, (newest - oldest) / intervals:

    ``measured``
        from the blocks' header timestamps: the chain's own account (what the miners wrote;
        the rules allow some drift; on the ``unittest`` network they are simulated, 10 s
        apart, so only ``arrived`` means anything there);
    ``arrived``
        from when this node first saw each block (``arrivals``: block hash -> unix time),
        what the room watches; None when it did not see them all (it restarted).

    With ``blocks`` (the intervals they span) and ``consensus_spacing`` (what the difficulty
    rule aims for).  Call under the chain's lock."""
    start = min(start_height, chain.height)
    first = max(start, chain.height - window)
    blocks = chain.height - first
    span = chain.tip.timestamp - chain.active[first].timestamp
    arrived = None
    if blocks and arrivals is not None:
        ends = (arrivals.get(chain.active[first].hash), arrivals.get(chain.tip.hash))
        if None not in ends:
            arrived = round((ends[1] - ends[0]) / blocks, 2)
    return {
        "measured": round(span / blocks, 2) if blocks else None,
        "arrived": arrived,
        "blocks": blocks,
        "since_height": start,
        "consensus_spacing": chain.params.target_spacing,
    }


__all__ = ["CoinbaseFacts", "Scanner", "block_pace", "leaderboard"]
