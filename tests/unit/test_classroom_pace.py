"""The classroom's block interval target (the miner's pace), tested with an injected clock.

The pace is not a consensus rule: each miner starts on a tip only ``pace`` seconds after the
tip's block was made (:func:`edu_chain.node.miner.paced_start`), with a random offset
centred so the room's earliest start is ``pace`` after the tip on average.  Oracles: the
rule's own definition for one miner (a fake clock, a real unit-test chain), and for a room a
seeded discrete-event simulation of miners with exponential search times (what proof-of-work
gives) whose blocks' header timestamps and arrival times must average the target, and follow
it when it changes.  No real time is measured.
"""

from __future__ import annotations

import random
from statistics import mean

import pytest

from edu_chain.classroom.agent import Agent
from edu_chain.classroom.leaderboard import block_pace
from edu_chain.node.miner import CLOCK_TRUST, PACE_JITTER, Miner, pace_offset, paced_start
from edu_chain.node.service import Node, NodeConfig


def test_paced_start_counts_from_the_block_or_from_when_it_arrived_if_earlier():
    # a header timestamp (whole seconds) stands for the middle of its second
    assert paced_start(1000, 1003.2, 10) == 1010.5
    # a block stamped ahead of our clock (another laptop's clock runs fast): from arrival
    assert paced_start(1500, 1003.2, 10, offset=-0.5) == pytest.approx(1012.7)
    # stamped long before it arrived (a slow clock, simulated time): from arrival too
    assert paced_start(1000, 1000.5 + CLOCK_TRUST + 1, 10) == 1011.5 + CLOCK_TRUST
    assert paced_start(1000, 1000.5 + CLOCK_TRUST, 10) == 1010.5  # within: the timestamp


def test_the_offsets_are_spread_and_their_earliest_is_centred_on_zero():
    rng = random.Random(7)
    spread = PACE_JITTER * 8
    offsets = [pace_offset(8, 6, rng) for _ in range(6000)]
    assert min(offsets) >= -spread / 7 and max(offsets) <= spread - spread / 7
    earliest = [min(offsets[i : i + 6]) for i in range(0, 6000, 6)]
    assert abs(mean(earliest)) < 0.05 * 8


class FakeClock:
    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def test_a_paced_miner_waits_until_pace_after_the_tip():
    node = Node(NodeConfig(network="unittest"))
    try:
        node.miner.mine_now(1)
        tip = node.chain.tip
        clock = FakeClock(tip.timestamp - 100.0)  # simulated timestamps run ahead: arrival counts
        miner = Miner(
            node.state, submit_block=node.submit_block, script_pubkey=b"\x51", clock=clock
        )
        assert miner.pace_wait() == 0.0  # no pace: at once
        miner.set_pace(10, miners=1)
        offset = miner.pace_wait() - 10  # this tip's own random offset, drawn once
        assert -PACE_JITTER * 10 / 2 <= offset <= PACE_JITTER * 10 / 2
        clock.now += 4
        assert miner.pace_wait() == pytest.approx(6 + offset)
        clock.now += 20
        assert miner.pace_wait() == 0.0
        miner.tip_changed()  # a new tip arrives now: wait again, with a new offset
        assert 10 - PACE_JITTER * 5 <= miner.pace_wait() <= 10 + PACE_JITTER * 5
        miner.set_pace(None)
        assert miner.pace_wait() == 0.0 and miner.status()["pace"] is None
    finally:
        node.stop()


def simulate(schedule, miners=6, search_mean=0.4, seed=1):
    """Blocks of a room of paced miners: (pace, header timestamp, arrival time) each.

    Every miner starts at its paced start (or when the tip arrived, if later), builds its
    template then (its timestamp: that moment, whole seconds) and searches for an exponential
    time (mean ``search_mean`` for the room); the first to finish wins, every node sees the
    block at once."""
    rng = random.Random(seed)
    timestamp, arrived = 1_000_000, 1_000_000.0
    blocks = []
    for pace, count in schedule:
        for _ in range(count):
            found = []
            for _ in range(miners):
                paced = paced_start(timestamp, arrived, pace, pace_offset(pace, miners, rng))
                start = max(arrived, paced)  # nobody mines on a block before it arrives
                found.append((start + rng.expovariate(1 / (search_mean * miners)), start))
            arrived, start = min(found)
            timestamp = int(start)
            blocks.append((pace, timestamp, arrived))
    return blocks


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_the_room_averages_the_target_and_follows_a_change(seed):
    blocks = simulate([(5, 60), (20, 60), (3, 60)], seed=seed)
    for target in (5, 20, 3):
        run = [b for b in blocks if b[0] == target]
        stamps = [b[1] for b in run[1:]]  # from the first block made at the new pace
        arrivals = [b[2] for b in run[1:]]
        by_timestamp = (stamps[-1] - stamps[0]) / (len(stamps) - 1)
        by_arrival = (arrivals[-1] - arrivals[0]) / (len(arrivals) - 1)
        assert target * 0.9 <= by_timestamp <= target * 1.1, (target, by_timestamp)
        assert target * 0.9 <= by_arrival <= target * 1.1, (target, by_arrival)


def test_without_a_pace_the_room_goes_as_fast_as_its_searches():
    # the same room, a pace far below the search time: the pace cannot speed it up
    blocks = simulate([(0.01, 200)], search_mean=2.0)
    arrivals = [b[2] for b in blocks]
    assert (arrivals[-1] - arrivals[0]) / 199 > 1.5


def test_the_measured_interval_reads_arrivals_and_timestamps():
    node = Node(NodeConfig(network="unittest"))
    try:
        node.miner.mine_now(6)
        chain = node.chain
        arrivals = {chain.active[h].hash: 100.0 + 3 * h for h in range(chain.height + 1)}
        pace = block_pace(chain, 2, arrivals)
        stamps = [chain.active[h].timestamp for h in range(chain.height + 1)]
        assert pace["blocks"] == 4 and pace["since_height"] == 2
        assert pace["arrived"] == 3.0
        assert pace["measured"] == round((stamps[6] - stamps[2]) / 4, 2)
        del arrivals[chain.active[2].hash]  # not seen by this node (it restarted)
        assert block_pace(chain, 2, arrivals)["arrived"] is None
    finally:
        node.stop()


def test_the_agent_applies_the_rooms_pace_to_its_miner():
    node = Node(NodeConfig(network="unittest"))
    agent = Agent(node, "http://127.0.0.1:9", "ada", "s1", mine=True, echo=lambda _: None)
    base = {"mining": True, "connect": [], "drop": [], "partitioned": False, "group": "A"}
    try:
        agent.apply({**base, "pace": 12, "miners": 5})
        assert (node.miner.pace, node.miner.pace_miners) == (12.0, 5)
        agent.apply({**base, "pace": None, "miners": 5})
        assert node.miner.pace is None and node.miner.pace_wait() == 0.0
    finally:
        agent.client.close()
        node.stop()
