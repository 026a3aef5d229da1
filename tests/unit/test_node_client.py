"""NodeClient against the real API in process, and against broken or absent nodes.

Oracles: the node object itself (its chain, mempool, wallet and peers, read directly) for
what the client returns; for failures, the exception type and code the module docstring of
:mod:`edu_chain.node.client` promises for each way a call can fail.
"""

from __future__ import annotations

import httpx
import pytest
from fastapi.testclient import TestClient

from edu_chain.chain import ChainParams
from edu_chain.hashing import display_hex
from edu_chain.keys import PrivateKey
from edu_chain.node import Node, NodeConfig
from edu_chain.node.api import create_app
from edu_chain.node.client import (
    NodeClient,
    NodeClientError,
    NodeRefusedError,
    NodeReplyError,
    NodeUnreachableError,
)
from edu_chain.script.standard import p2pkh

PARAMS = ChainParams.for_tests()


@pytest.fixture
def node():
    node = Node(NodeConfig(network="unittest", port=18100))
    yield node
    node.stop()


@pytest.fixture
def client(node):
    transport = TestClient(create_app(node), raise_server_exceptions=False)._transport
    with NodeClient("http://testserver", transport=transport) as client:
        yield client


def test_chain_calls_return_what_the_node_holds(client, node):
    mined = client.mine(3)
    tip = client.tip()
    assert tip.height == node.chain.height == 3
    assert tip.hash == node.chain.tip.id and tip.chainwork == node.chain.tip.chainwork
    assert mined.blocks == [node.chain.active[h].id for h in (1, 2, 3)]
    assert mined.tip == tip and mined.address == node.wallet.address
    assert tip.to_dict() == node.tip_info()
    assert client.hash_at(2) == node.chain.active[2].id
    raw = client.block_raw(tip.hash)
    assert raw == node.chain.get_block(node.chain.tip.hash).serialize()
    assert client.block(tip.hash)["confirmations"] == 1
    assert [b["hash"] for b in client.blocks(limit=2)] == mined.blocks[::-1][:2]
    assert len(client.stats(window=3)) == 3
    assert client.forks()["tip"] == tip.hash
    locator = [display_hex(node.chain.active[1].hash)]
    assert client.headers(locator) == mined.blocks[1:]
    assert client.info()["network"]["name"] == PARAMS.name


def test_payments_faucet_mempool_and_coins(client, node):
    client.mine(PARAMS.coinbase_maturity + 1)
    payee = PrivateKey(4242).public_key
    paid = client.faucet(payee.address(), 5_000)
    assert paid.amount == 5_000 and client.mempool_txids() == {paid.txid}
    assert client.tx(paid.txid)["status"] == "mempool"
    client.mine(1)
    script = p2pkh(payee.pubkey_hash())  # a Base58 (P2PKH) address
    coins = client.coins(payee.address(), script)
    assert coins.balance == node.chain.balance(script) == 5_000
    ((outpoint, output),) = coins.spendable.items()
    assert display_hex(outpoint.txid) == paid.txid and output.amount == 5_000
    spend = node.wallet.build_payment(node.chain, payee.address(), 1_000, 1_000)
    accepted = client.submit_tx(spend.serialize().hex())
    assert accepted.txid == spend.id and accepted.fee == 1_000
    with pytest.raises(NodeRefusedError) as refused:
        client.submit_tx(spend.serialize().hex())  # the same transaction again
    assert refused.value.status == 400 and refused.value.code == "txn-already-in-mempool"


def test_peers_and_mining_switch(client, node):
    client.add_peer("127.0.0.1:1")
    assert client.peer_addresses() == ["127.0.0.1:1"] == node.peers.addresses()
    client.remove_peer("127.0.0.1:1")
    assert client.peers() == []
    with pytest.raises(NodeRefusedError) as missing:
        client.remove_peer("127.0.0.1:1")
    assert missing.value.status == 404 and missing.value.code == "peer-not-found"
    assert client.set_mining(threads=2)["threads"] == 2 == node.miner.threads


def _answering(respond) -> NodeClient:
    return NodeClient("http://node", transport=httpx.MockTransport(respond))


@pytest.mark.parametrize(
    ("respond", "error", "code"),
    [
        (lambda r: httpx.Response(200, content=b"<html>"), NodeReplyError, "bad-node-reply"),
        (lambda r: httpx.Response(200, json=[1, 2]), NodeReplyError, "bad-node-reply"),
        (lambda r: httpx.Response(500, text="boom"), NodeRefusedError, "http-error"),
        (
            lambda r: httpx.Response(429, json={"error": {"code": "slow-down", "message": "m"}}),
            NodeRefusedError,
            "slow-down",
        ),
        (
            lambda r: httpx.Response(200, json={"height": 1, "hash": "zz", "chainwork": "1"}),
            NodeReplyError,
            "bad-node-reply",
        ),
        (
            lambda r: httpx.Response(
                200, json={"height": "1", "hash": "00" * 32, "chainwork": "1"}
            ),
            NodeReplyError,
            "bad-node-reply",
        ),
        (
            lambda r: httpx.Response(200, json={"height": 1, "hash": "00" * 32, "chainwork": "x"}),
            NodeReplyError,
            "bad-node-reply",
        ),
    ],
    ids=["html", "not-an-object", "server-error", "refusal", "bad-hash", "height-str", "work"],
)
def test_every_failure_is_one_exception_tree(respond, error, code):
    with pytest.raises(error) as caught:
        _answering(respond).tip()
    assert isinstance(caught.value, NodeClientError) and caught.value.code == code


def test_no_node_answering_is_unreachable():
    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused", request=request)

    with pytest.raises(NodeUnreachableError) as caught:
        _answering(refuse).tip()
    assert caught.value.code == "node-unreachable" and caught.value.status is None
    assert "no node answered at http://node" in caught.value.message


def test_the_token_is_sent():
    seen = []

    def record(request: httpx.Request) -> httpx.Response:
        seen.append(request.headers.get("x-educhain-token"))
        return httpx.Response(200, json={"peers": []})

    NodeClient("http://node", token="s3cret", transport=httpx.MockTransport(record)).peers()
    assert seen == ["s3cret"]
