"""Peer-to-peer sync in process: node B talks to node A's app through A's TestClient transport.

Oracles: after a sync B's tip (hash, chainwork) equals A's and B's UTXO set passes
``check_consistency`` (an independent replay); a lying or broken peer (not JSON, HTTP 500,
bad hex, blocks that fail proof-of-work) raises :class:`PeerError` inside the worker, which
backs off and keeps running, and B's chain does not move.
"""

from __future__ import annotations

import json

import httpx
import pytest
from fastapi.testclient import TestClient

from edu_chain.chain import ChainParams
from edu_chain.chain.builder import ChainBuilder
from edu_chain.node import Node, NodeConfig
from edu_chain.node.api import create_app
from edu_chain.node.p2p import PeerError
from tests.functional.harness import wait_until

PARAMS = ChainParams.for_tests()


@pytest.fixture
def node_a():
    node = Node(NodeConfig(network="unittest", port=18001))
    yield node
    node.stop()


@pytest.fixture
def node_b():
    node = Node(NodeConfig(network="unittest", port=18002))
    yield node
    node.stop()


def connect_in_process(node_b: Node, node_a: Node) -> TestClient:
    """Point B's peer manager at A's ASGI app (no sockets, no threads)."""
    client = TestClient(create_app(node_a), raise_server_exceptions=False)
    node_b.peers = node_b.peer_manager(transport=client._transport, sync_interval=3600)
    return client


def test_fresh_node_syncs_in_batches_and_matches_the_peer(node_a, node_b, monkeypatch):
    monkeypatch.setattr("edu_chain.node.p2p.SYNC_BATCH", 7)  # several getblocks rounds
    node_a.miner.mine_now(30)
    connect_in_process(node_b, node_a)
    peer = node_b.peers.add(node_a.self_address)
    assert node_b.peers.sync_with(peer) == 30
    assert node_b.tip_info() == node_a.tip_info()
    assert node_b.chain.check_consistency().ok
    assert node_b.peers.sync_with(peer) == 0  # nothing more to fetch


def test_sync_switches_to_the_peers_heavier_branch(node_a, node_b):
    node_b.miner.mine_now(3)  # B's own, lighter branch
    node_a.miner.mine_now(5)
    connect_in_process(node_b, node_a)
    peer = node_b.peers.add(node_a.self_address)
    node_b.peers.sync_with(peer)
    assert node_b.tip_info() == node_a.tip_info()
    assert len(node_b.chain.stale_tips()) == 1  # B's old branch is kept, off the active chain


def test_announce_from_a_peer_relays_to_others_and_orphans_ask_for_sync(node_a, node_b):
    client = connect_in_process(node_b, node_a)
    other = node_a.peers.add("127.0.0.1:18003")  # queues only: A's peer threads are not running
    builder = ChainBuilder(PARAMS)
    first, _second = builder.mine_blocks(2)
    reply = client.post(
        "/p2p/announce", json={"from": "127.0.0.1:18004", "blocks": [first.serialize().hex()]}
    ).json()
    assert reply["blocks"] == [{"hash": first.id, "result": "accepted"}]
    assert ("block", first.serialize().hex()) in other.queue  # gossip onwards
    sender = node_a.peers.add("127.0.0.1:18004", inbound=True)
    sender.sync_requested = False
    orphan = builder.mine_block()
    reply = client.post(
        "/p2p/announce", json={"from": "127.0.0.1:18004", "blocks": [orphan.serialize().hex()]}
    ).json()
    assert reply["blocks"][0]["result"] == "orphan"
    assert sender.sync_requested  # A will fetch the missing parent from the sender
    assert node_a.chain.height == 1


def _bad_peer(handler) -> httpx.MockTransport:
    return httpx.MockTransport(handler)


def _tip_reply(request: httpx.Request) -> httpx.Response | None:
    if request.url.path == "/api/tip":
        return httpx.Response(200, json={"height": 99, "hash": "11" * 32, "chainwork": "ff" * 8})
    return None


# What the peer worker catches (PeerManager._worker): anything else would be a node bug.
CAUGHT_BY_WORKER = (httpx.HTTPError, PeerError, ValueError, KeyError, TypeError)


@pytest.mark.parametrize(
    ("respond", "outcome"),
    [
        (lambda r: httpx.Response(200, content=b"<html>"), "refused"),
        (lambda r: httpx.Response(500, json={"error": "boom"}), "refused"),
        (lambda r: _tip_reply(r) or httpx.Response(200, json={"blocks": ["zz"]}), "refused"),
        (lambda r: _tip_reply(r) or httpx.Response(200, json={"blocks": 5}), "nothing"),
        (lambda r: httpx.Response(200, json={"hash": 1, "chainwork": "x"}), "refused"),
    ],
    ids=["not-json", "server-error", "bad-hex", "blocks-not-a-list", "tip-garbage"],
)
def test_broken_peer_is_refused_and_changes_nothing(node_b, respond, outcome):
    node_b.peers = node_b.peer_manager(transport=_bad_peer(respond))
    peer = node_b.peers.add("127.0.0.1:18005")
    before = node_b.tip_info()
    try:
        node_b.peers.sync_with(peer)
        result = "nothing"
    except CAUGHT_BY_WORKER:
        result = "refused"
    assert result == outcome
    assert node_b.tip_info() == before


def test_peer_serving_invalid_blocks_is_refused(node_b):
    builder = ChainBuilder(PARAMS)
    bad = builder.unsolve(builder.make_block())  # fails proof-of-work: high-hash

    def respond(request: httpx.Request) -> httpx.Response:
        return _tip_reply(request) or httpx.Response(200, json={"blocks": [bad.serialize().hex()]})

    node_b.peers = node_b.peer_manager(transport=_bad_peer(respond))
    peer = node_b.peers.add("127.0.0.1:18006")
    with pytest.raises(PeerError) as caught:
        node_b.peers.sync_with(peer)
    assert caught.value.code == "bad-peer-block" and "high-hash" in caught.value.message
    assert node_b.chain.height == 0


def test_worker_survives_a_dead_peer_and_backs_off(node_b):
    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused", request=request)

    node_b.peers = node_b.peer_manager(transport=_bad_peer(refuse), sync_interval=0.1)
    node_b.peers.start()
    peer = node_b.peers.add("127.0.0.1:18007")
    wait_until(lambda: peer.failures >= 2, timeout=10, what="two failed attempts")
    assert peer.thread is not None and peer.thread.is_alive()
    assert "ConnectError" in peer.last_error
    node_b.peers.stop()
    assert not peer.thread.is_alive()


def test_hello_adds_an_inbound_peer(node_a):
    client = TestClient(create_app(node_a))
    reply = client.post("/p2p/hello", json={"address": "127.0.0.1:18008", "network": "unit-test"})
    assert reply.json()["network"] == "unit-test"
    (peer,) = client.get("/api/peers").json()["peers"]
    assert peer["address"] == "127.0.0.1:18008" and peer["direction"] == "inbound"
    assert client.post("/p2p/bye", json={"address": "127.0.0.1:18008"}).json()["removed"]
    assert client.get("/api/peers").json()["peers"] == []


def test_announcements_are_batched_under_the_size_limit(node_b, monkeypatch):
    monkeypatch.setattr("edu_chain.node.p2p.BATCH_BYTES", 1_000)
    sent = []

    def capture(request: httpx.Request) -> httpx.Response:
        sent.append(json.loads(request.content))
        return httpx.Response(200, json={"blocks": [], "txs": []})

    node_b.peers = node_b.peer_manager(transport=httpx.MockTransport(capture))
    peer = node_b.peers.add("127.0.0.1:18009")
    for _ in range(10):
        peer.queue.append(("tx", "ab" * 150))  # 300 hex characters each
    peer.queue.append(("block", "cd" * 1_000))  # alone over the limit: sent on its own
    node_b.peers._send_queue(peer)
    assert [(len(b["txs"]), len(b["blocks"])) for b in sent] == [
        (3, 0),
        (3, 0),
        (3, 0),
        (1, 0),
        (0, 1),
    ]
    assert all(b["from"] == node_b.self_address for b in sent) and peer.sent == 11
