"""The node's HTTP API, in process (FastAPI TestClient), on the trivial "unit-test" chain.

Oracles: blocks built independently by :class:`ChainBuilder` (the library's block factory),
``sha256d`` of the returned raw bytes, ``BlockHeader.parse`` / ``Transaction.parse`` of what
the API serves, the chain parameters (subsidy, maturity), and a Hypothesis property: generated
malformed requests to every endpoint get a 4xx JSON error and leave the node unchanged.
"""

from __future__ import annotations

import json
import re
import urllib.parse
from dataclasses import replace

import httpx
import pytest
from click.testing import CliRunner
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import TypeAdapter

from edu_chain.block import BlockHeader, parse_block
from edu_chain.chain import ChainParams
from edu_chain.chain.builder import ChainBuilder
from edu_chain.cli import main as cli_main
from edu_chain.cli import wallet as wallet_cli
from edu_chain.errors import EduChainError
from edu_chain.hashing import display_hex, sha256d
from edu_chain.keys import PrivateKey
from edu_chain.merkle import merkle_root
from edu_chain.node import Node, NodeConfig
from edu_chain.node.api import create_app
from edu_chain.node.p2p import PeerError, parse_peer_address
from edu_chain.node.server import node_urls
from edu_chain.node.service import is_loopback
from edu_chain.pow.target import block_work
from edu_chain.tx import Transaction
from edu_chain.wallet import Wallet

PARAMS = ChainParams.for_tests()


def make_node(**overrides) -> Node:
    return Node(NodeConfig(network="unittest", **overrides))


@pytest.fixture
def node():
    node = make_node()
    yield node
    node.stop()


@pytest.fixture
def client(node):
    with TestClient(create_app(node), raise_server_exceptions=False) as test_client:
        yield test_client


def error_code(response: httpx.Response) -> str:
    body = response.json()
    assert set(body) == {"error"}, body
    assert isinstance(body["error"]["message"], str) and body["error"]["message"]
    return body["error"]["code"]


# --- fixed endpoints --------------------------------------------------------------------------


def test_tip_of_a_fresh_node_is_the_genesis(client):
    tip = client.get("/api/tip").json()
    assert tip == {
        "height": 0,
        "hash": display_hex(PARAMS.genesis_hash),
        "chainwork": f"{block_work(PARAMS.genesis_bits):x}",
    }


def test_mine_then_read_blocks_back(client, node):
    reply = client.post("/api/mine", json={"count": 3}).json()
    assert reply["count"] == 3 and reply["tip"]["height"] == 3
    assert reply["address"] == node.wallet.address
    for height, block_id in enumerate(reply["blocks"], start=1):
        block = client.get(f"/api/blocks/{block_id}").json()
        raw = bytes.fromhex(client.get(f"/api/blocks/{block_id}/raw").json()["hex"])
        header = BlockHeader.parse(raw[:80])
        assert display_hex(sha256d(raw[:80])) == block_id == block["hash"]
        assert block["height"] == height and block["prev_hash"] == display_hex(header.prev_hash)
        assert block["merkle_root"] == display_hex(
            merkle_root([bytes.fromhex(t)[::-1] for t in block["txids"]])
        )
        assert block["confirmations"] == 3 - height + 1
        coinbase = block["transactions"][0]
        assert coinbase["coinbase"] and coinbase["vout"][0]["address"] == node.wallet.address
        assert coinbase["vout"][0]["amount"] == PARAMS.block_subsidy(height)
        assert coinbase["vout"][0]["scriptPubKey"]["type"] == "witness_v0_keyhash"
        assert Transaction.parse(bytes.fromhex(coinbase["hex"])).id == coinbase["txid"]
        assert client.get(f"/api/height/{height}").json() == {"height": height, "hash": block_id}
    recent = client.get("/api/blocks", params={"limit": 2}).json()["blocks"]
    assert [b["height"] for b in recent] == [3, 2] and recent[0]["tx_count"] == 1
    older = client.get("/api/blocks", params={"limit": 5, "before_height": 2}).json()["blocks"]
    assert [b["height"] for b in older] == [1, 0]


def test_mine_to_another_address(client):
    address = PrivateKey(12345).public_key.address()
    client.post("/api/mine", json={"count": 1, "address": address})
    info = client.get(f"/api/address/{address}").json()
    assert info["balance"] == PARAMS.block_subsidy(1)
    assert info["utxos"][0]["coinbase"] and info["utxos"][0]["spendable"] is False


def test_mine_with_transactions_holds_exactly_those_and_claims_their_fees(client, node):
    """Core's generateblock: the given transactions, not the mempool's; relay policy waived."""
    client.post("/api/mine", json={"count": PARAMS.coinbase_maturity + 2})
    wallet, payee = node.wallet, PrivateKey(4242).public_key.address()
    waiting = wallet.build_payment(node.chain, payee, 10_000, fee_rate=3)
    client.post("/api/tx", json={"hex": waiting.serialize().hex()})
    spent = {i.outpoint for i in waiting.inputs}
    others = {
        op: c
        for op, c in node.chain.utxos_for(wallet.script_pubkeys[0])
        if op not in spent and node.chain.height + 1 - c.height >= PARAMS.coinbase_maturity
    }
    free = wallet.build_payment(others, payee, 10_000, fee=50)  # ~0.35 sat/vB
    refused = client.post("/api/tx", json={"hex": free.serialize().hex()})
    assert error_code(refused) == "min-relay-fee-not-met"
    reply = client.post("/api/mine", json={"transactions": [free.serialize().hex()]}).json()
    block = node.chain.get_block(node.chain.tip.hash)
    assert reply["blocks"] == [block.id] and [tx.id for tx in block.transactions[1:]] == [free.id]
    assert block.transactions[0].outputs[0].amount == PARAMS.block_subsidy(node.chain.height) + 50
    assert waiting.txid in node.mempool  # left for a later block
    again = client.post("/api/mine", json={"transactions": [free.serialize().hex()]})
    assert error_code(again) == "bad-txns-inputs-missingorspent"  # already confirmed
    assert client.get("/api/tip").json()["hash"] == block.id


def test_refusal_listeners_hear_each_refusal_once_with_its_origin(client, node):
    heard = []
    node.on_tx_refused(lambda tx, error, origin: heard.append((tx.id, error.code, origin)))
    node.on_tx_refused(lambda tx, error, origin: 1 / 0)  # a broken listener changes nothing
    client.post("/api/mine", json={"count": PARAMS.coinbase_maturity + 1})
    tx = node.wallet.build_payment(node.chain, node.wallet.address, 10_000, fee=0)
    assert error_code(client.post("/api/tx", json={"hex": tx.serialize().hex()})) == (
        "min-relay-fee-not-met"
    )
    paid = node.wallet.build_payment(node.chain, node.wallet.address, 10_000)
    assert client.post("/api/tx", json={"hex": paid.serialize().hex()}).status_code == 200
    with pytest.raises(EduChainError):
        node.submit_tx(tx, source="127.0.0.9:8333")
    assert heard == [
        (tx.id, "min-relay-fee-not-met", "testclient"),
        (tx.id, "txn-mempool-conflict", "127.0.0.9:8333"),  # paid spends the same coin now
    ]


def test_address_shows_balance_and_maturity(client, node):
    client.post("/api/mine", json={"count": PARAMS.coinbase_maturity + 1})
    info = client.get(f"/api/address/{node.wallet.address}").json()
    heights = [u["height"] for u in info["utxos"] if u["spendable"]]
    # a coinbase at height h may be spent by a block at height >= h + maturity
    assert heights == [h for h in range(1, node.chain.height + 2 - PARAMS.coinbase_maturity)]
    assert info["balance"] == sum(PARAMS.block_subsidy(h) for h in range(1, node.chain.height + 1))


def test_submit_transaction_mempool_and_confirmation(client, node):
    client.post("/api/mine", json={"count": PARAMS.coinbase_maturity + 1})
    payee = PrivateKey(777).public_key.address()
    tx = node.wallet.build_payment(node.chain, payee, 12_345, 1_000)
    reply = client.post("/api/tx", json={"hex": tx.serialize().hex()})
    assert reply.status_code == 200 and reply.json()["txid"] == tx.id
    assert reply.json()["fee"] == 1_000
    assert client.get("/api/mempool").json()["transactions"][0]["txid"] == tx.id
    shown = client.get(f"/api/tx/{tx.id}").json()
    assert shown["status"] == "mempool" and shown["fee"] == 1_000
    assert Transaction.parse(bytes.fromhex(tx.serialize().hex())).id == shown["txid"]
    again = client.post("/api/tx", json={"hex": tx.serialize().hex()})
    assert again.status_code == 400 and error_code(again) == "txn-already-in-mempool"
    client.post("/api/mine", json={"count": 1})
    shown = client.get(f"/api/tx/{tx.id}").json()
    assert shown["status"] == "confirmed" and shown["block_height"] == node.chain.height
    assert client.get("/api/mempool").json()["count"] == 0


def test_anchors_filter_by_prefix_and_contained_bytes(client, node):
    """``GET /api/anchors``: OP_RETURN data on the active chain by prefix, and with
    ``contains`` only the records holding those bytes after the prefix (a revocation batch
    listing a certificate's hash, edu_chain/certificates/anchor.py)."""
    client.post("/api/mine", json={"count": PARAMS.coinbase_maturity + 1})
    first, second, absent = (sha256d(bytes([n])) for n in (1, 2, 3))
    record = b"EDUR" + bytes([4]) + b"copy" + first + second
    tx = node.wallet.build_transaction(node.chain, [], 1_000, data=record)
    assert client.post("/api/tx", json={"hex": tx.serialize().hex()}).status_code == 200
    client.post("/api/mine", json={"count": 1})

    def listed(**query) -> list[tuple[str, str]]:
        reply = client.get("/api/anchors", params=query)
        assert reply.status_code == 200, reply.text
        return [(entry["txid"], entry["data"]) for entry in reply.json()["anchors"]]

    found = [(tx.id, record.hex())]
    assert listed(prefix="45445552") == found
    assert listed(prefix="45445552", contains=second.hex()) == found
    assert listed(prefix="45445552", contains=first.hex()[:8]) == found
    assert listed(prefix="45445552", contains=absent.hex()) == []
    assert listed(prefix="45445552", contains="45445552") == []  # only after the prefix
    assert listed(prefix="45445543") == []
    bad = client.get("/api/anchors", params={"prefix": "45445552", "contains": "zz"})
    assert bad.status_code == 400 and error_code(bad) == "invalid-request"


def test_transaction_with_a_broken_signature_gets_the_rule_code(client, node):
    client.post("/api/mine", json={"count": PARAMS.coinbase_maturity + 1})
    tx = node.wallet.build_payment(node.chain, node.wallet.address, 5_000, 1_000)
    raw = bytearray(tx.serialize())
    signature = tx.inputs[0].witness[0]  # P2WPKH: <signature> <pubkey>
    at = bytes(raw).index(signature) + len(signature) - 2
    raw[at] ^= 1  # flip a bit of s (the last byte is the sighash type)
    reply = client.post("/api/tx", json={"hex": raw.hex()})
    assert reply.status_code == 400
    # Core: a signature that does not verify fails NULLFAIL under policy, and the consensus
    # re-check says the script ended false: the mandatory code wins.
    assert error_code(reply) == (
        "mandatory-script-verify-flag-failed (the script ended with an empty stack or false on top)"
    )
    assert client.get("/api/mempool").json()["count"] == 0


def test_submit_blocks_accepted_orphan_duplicate_reorg(client, node):
    builder = ChainBuilder(PARAMS)
    first, second, third = builder.mine_blocks(3)

    def submit(block):
        return client.post("/api/blocks", json={"hex": block.serialize().hex()})

    assert submit(first).json()["result"] == "accepted"
    assert submit(first).json()["result"] == "duplicate"
    orphan = submit(third).json()
    assert orphan["result"] == "orphan" and node.chain.height == 1
    assert submit(second).json()["tip"]["height"] == 3  # the orphan connects after its parent

    assert client.post("/api/mine", json={"count": 0}).status_code == 400
    rival = ChainBuilder(PARAMS)
    blocks = rival.mine_blocks(4, extra=b"rival")
    results = [submit(b).json()["result"] for b in blocks]
    assert results == ["accepted", "accepted", "accepted", "reorg"]
    assert client.get("/api/tip").json()["hash"] == blocks[-1].id
    forks = client.get("/api/forks").json()
    assert third.id in forks["stale_tips"]
    stale = {b["hash"]: b for b in forks["blocks"]}[third.id]
    assert stale["active"] is False and stale["invalid"] is False


def test_invalid_block_gets_its_reject_code(client):
    builder = ChainBuilder(PARAMS)
    bad_root = builder.make_block(
        mutate=lambda b: replace(b, header=replace(b.header, merkle_root=bytes(32)))
    )
    reply = client.post("/api/blocks", json={"hex": bad_root.serialize().hex()})
    assert reply.status_code == 400 and error_code(reply) == "bad-merkle-root"
    high = builder.unsolve(builder.make_block())
    reply = client.post("/api/blocks", json={"hex": high.serialize().hex()})
    assert reply.status_code == 400 and error_code(reply) == "high-hash"
    assert client.get("/api/tip").json()["height"] == 0


def test_stats_series(client):
    client.post("/api/mine", json={"count": 12})
    stats = client.get("/api/stats", params={"window": 5}).json()
    assert [b["height"] for b in stats["blocks"]] == [8, 9, 10, 11, 12]
    # unittest timestamps are simulated: exactly target_spacing apart
    assert {b["interval"] for b in stats["blocks"]} == {PARAMS.target_spacing}
    assert stats["blocks"][-1]["hash_rate"] == pytest.approx(
        block_work(PARAMS.genesis_bits) / PARAMS.target_spacing
    )


def test_headers_and_getblocks_follow_the_locator(client, node):
    mined = client.post("/api/mine", json={"count": 4}).json()["blocks"]
    genesis = display_hex(PARAMS.genesis_hash)
    hashes = client.get("/api/headers", params={"locator": genesis}).json()["hashes"]
    assert hashes == mined
    after_two = client.get("/api/headers", params={"locator": f"{mined[1]},{genesis}"}).json()
    assert after_two["hashes"] == mined[2:]
    reply = client.post("/p2p/getblocks", json={"locator": [mined[0]], "limit": 2}).json()
    assert [parse_block(bytes.fromhex(h)).id for h in reply["blocks"]] == mined[1:3]


def test_info_and_mining_control(client, node):
    info = client.get("/api/info").json()
    assert info["network"]["name"] == "unit-test" and info["mining"]["enabled"] is False
    status = client.post("/api/mining", json={"enabled": True, "threads": 1}).json()
    assert status["enabled"] is True and status["threads"] == 1
    assert client.post("/api/mining", json={"enabled": False}).json()["enabled"] is False


# --- faucet, peers, security --------------------------------------------------------------------


def test_faucet_empty_then_pays_then_rate_limits(client, node):
    address = PrivateKey(4242).public_key.address()
    empty = client.post("/api/faucet", json={"address": address})
    assert empty.status_code == 409 and error_code(empty) == "faucet-empty"
    client.post("/api/mine", json={"count": PARAMS.coinbase_maturity + 1})
    paid = client.post("/api/faucet", json={"address": address, "amount": 1_000})
    assert paid.status_code == 200 and paid.json()["amount"] == 1_000
    assert paid.json()["txid"] in {
        t["txid"] for t in client.get("/api/mempool").json()["transactions"]
    }
    limited = client.post("/api/faucet", json={"address": address, "amount": 1_000})
    assert limited.status_code == 429 and error_code(limited) == "faucet-rate-limited"
    assert int(limited.headers["retry-after"]) >= 1
    other = PrivateKey(4243).public_key.address()  # the per-address limit is per address
    assert client.post("/api/faucet", json={"address": other, "amount": 1_000}).status_code == 200
    too_much = client.post("/api/faucet", json={"address": other, "amount": 10**12})
    assert too_much.status_code == 400 and error_code(too_much) == "faucet-amount"


def test_faucet_limits_each_client_ip_across_addresses():
    node = make_node(faucet_per_address=(100, 60.0), faucet_per_ip=(2, 60.0))
    try:
        client = TestClient(create_app(node), raise_server_exceptions=False)
        client.post("/api/mine", json={"count": PARAMS.coinbase_maturity + 1})
        payees = [PrivateKey(7000 + i).public_key.address() for i in range(3)]
        replies = [client.post("/api/faucet", json={"address": a, "amount": 1_000}) for a in payees]
        assert [r.status_code for r in replies] == [200, 200, 429]
        assert error_code(replies[2]) == "faucet-rate-limited"
        assert "client testclient" in replies[2].json()["error"]["message"]  # the IP, named
        assert client.get("/api/mempool").json()["count"] == 2  # the refused one paid nothing
    finally:
        node.stop()


def test_faucet_spends_change_of_its_own_unconfirmed_payments(client, node):
    node.faucet.per_address.limit = node.faucet.per_ip.limit = 100
    client.post("/api/mine", json={"count": PARAMS.coinbase_maturity})  # one mature coinbase
    for seed in range(3):  # each payment spends the change of the previous one
        address = PrivateKey(9000 + seed).public_key.address()
        assert client.post("/api/faucet", json={"address": address}).status_code == 200
    assert client.get("/api/mempool").json()["count"] == 3
    client.post("/api/mine", json={"count": 1})
    assert client.get("/api/mempool").json()["count"] == 0


def test_peer_addresses_are_checked(client, node):
    reply = client.post("/api/peers", json={"address": "not an address"})
    assert reply.status_code == 400 and error_code(reply) == "bad-peer-address"
    reply = client.post("/api/peers", json={"address": node.self_address})
    assert reply.status_code == 400 and error_code(reply) == "peer-is-self"
    assert client.delete("/api/peers/127.0.0.1:1").status_code == 404
    added = client.post("/api/peers", json={"address": "127.0.0.1:1"}).json()["peer"]
    assert added["direction"] == "outbound"
    assert [p["address"] for p in client.get("/api/peers").json()["peers"]] == ["127.0.0.1:1"]
    assert client.delete("/api/peers/127.0.0.1:1").json() == {"removed": "127.0.0.1:1"}


def test_hello_from_another_network_is_refused(client):
    reply = client.post("/p2p/hello", json={"address": "127.0.0.1:9", "network": "edu-regtest"})
    assert reply.status_code == 400 and error_code(reply) == "wrong-network"


@pytest.mark.parametrize(
    ("text", "expected"),
    [("127.0.0.1:8333", "127.0.0.1:8333"), ("http://Node-A:80/", "node-a:80")],
)
def test_parse_peer_address(text, expected):
    assert parse_peer_address(text) == expected


@pytest.mark.parametrize("text", ["", "host", "host:0", "host:65536", "a b:1", ":80", 5])
def test_parse_peer_address_refuses(text):
    with pytest.raises(PeerError):
        parse_peer_address(text)


def test_token_needed_off_loopback():
    node = make_node(host="0.0.0.0")
    try:
        client = TestClient(create_app(node), raise_server_exceptions=False)
        assert node.token
        assert client.get("/api/tip").status_code == 200  # reading needs no token
        missing = client.post("/api/mine", json={"count": 1})
        assert missing.status_code == 401 and error_code(missing) == "token-required"
        wrong = client.post("/api/mine", json={"count": 1}, headers={"X-EduChain-Token": "x"})
        assert wrong.status_code == 403 and error_code(wrong) == "bad-token"
        for path in ("/api/faucet", "/api/mining", "/api/peers"):
            assert client.post(path, json={}).status_code == 401
        assert client.delete("/api/peers/127.0.0.1:8333").status_code == 401
        good = {"Authorization": f"Bearer {node.token}"}
        assert client.post("/api/mine", json={"count": 1}, headers=good).status_code == 200
        assert client.get("/api/tip").json()["height"] == 1
    finally:
        node.stop()


def test_loopback_needs_no_token(node):
    assert node.token is None


def test_an_ipv6_node_gives_peers_a_bracketed_address():
    node = make_node(host="::1", port=8333)
    try:
        assert node.self_address == "[::1]:8333"
        assert parse_peer_address(node.self_address) == "[::1]:8333"
        assert node_urls(node)["url"] == "http://[::1]:8333"
    finally:
        node.stop()


@pytest.mark.parametrize(
    ("host", "loopback"),
    [
        ("127.0.0.1", True),
        ("127.0.0.2", True),  # all of 127.0.0.0/8 is loopback (RFC 1122)
        ("::1", True),
        ("localhost", True),
        ("0.0.0.0", False),
        ("::", False),
        ("192.168.1.10", False),
        ("127.example.com", False),  # a host name that merely starts with "127."
    ],
)
def test_which_hosts_count_as_loopback(host, loopback):
    assert is_loopback(host) is loopback


def test_a_body_that_is_not_a_json_object_is_explained(client, node):
    tip = node.tip_info()
    for content, content_type, expected in [
        (b'{"hex": 00', "application/json", "not valid JSON"),
        (b"hex=00", "text/plain", "JSON object"),
        (b'["00"]', "application/json", "JSON object"),
    ]:
        for path in ("/api/tx", "/api/mine"):
            reply = client.post(path, content=content, headers={"content-type": content_type})
            assert reply.status_code == 400 and error_code(reply) == "invalid-request"
            assert expected in reply.json()["error"]["message"], (path, reply.text)
    assert node.tip_info() == tip


def test_body_size_limit(client):
    huge = b'{"hex": "' + b"00" * 1_100_000 + b'"}'
    reply = client.post("/api/tx", content=huge, headers={"content-type": "application/json"})
    assert reply.status_code == 413 and error_code(reply) == "request-too-large"


def test_body_size_limit_without_content_length(client, node):
    def chunks():  # a streamed body: no Content-Length header, counted as it arrives
        yield b'{"hex": "'
        for _ in range(30):
            yield b"00" * 50_000
        yield b'"}'

    before = node.tip_info()
    reply = client.post(
        "/api/blocks", content=chunks(), headers={"content-type": "application/json"}
    )
    assert reply.status_code == 413 and error_code(reply) == "request-too-large"
    assert node.tip_info() == before


def test_unknown_route_and_method_are_json_errors(client):
    assert error_code(client.get("/api/nope")) == "not-found"
    reply = client.put("/api/tip")
    assert reply.status_code == 405 and error_code(reply) == "method-not-allowed"


def test_openapi_lists_the_fixed_endpoints(client):
    paths = client.get("/openapi.json").json()["paths"]
    for path in (
        "/api/tip",
        "/api/blocks/{block_hash}",
        "/api/mine",
        "/api/tx",
        "/api/mempool",
        "/api/address/{address}",
        "/api/faucet",
    ):
        assert path in paths
    page = client.get("/docs")
    assert page.status_code == 200 and "/openapi.json" in page.text
    # Every script and stylesheet the page loads is served by the node itself (no CDN).
    for url in re.findall(r'(?:src|href)="([^"]+)"', page.text):
        assert url.startswith("/"), url
        assert client.get(url).status_code == 200, url


def test_docs_without_swagger_ui_lists_endpoints_offline(node, monkeypatch):
    from edu_chain.node import api

    monkeypatch.setattr(api, "_swagger_ui_dir", lambda: None)
    page = TestClient(api.create_app(node)).get("/docs")
    assert page.status_code == 200
    assert 'fetch("/openapi.json")' in page.text and "http" not in page.text


# --- the wallet CLI against the real API --------------------------------------------------------


def test_wallet_cli_balance_and_send_against_the_node(client, node, tmp_path, monkeypatch):
    keystore = tmp_path / "w.json"
    Wallet.create(keystore, keys=[node.wallet.keys[0]])
    client.post("/api/mine", json={"count": PARAMS.coinbase_maturity + 1})
    monkeypatch.setattr(wallet_cli, "_TRANSPORT", client._transport)
    runner = CliRunner()
    common = ["--wallet", str(keystore), "--node", "http://testserver", "--json"]
    balance = runner.invoke(cli_main, ["wallet", "balance", *common])
    assert balance.exit_code == 0, balance.output
    assert json.loads(balance.output)["total"] == node.chain.balance(node.wallet.script_pubkeys[0])
    payee = PrivateKey(31337).public_key.address()
    sent = runner.invoke(cli_main, ["wallet", "send", payee, "1.5", *common])
    assert sent.exit_code == 0, sent.output
    txid = json.loads(sent.output)["txid"]
    assert client.get(f"/api/tx/{txid}").json()["status"] == "mempool"


# --- malformed input: never a 500, never a state change -----------------------------------------

_NODE: Node | None = None


def shared_node() -> tuple[Node, TestClient]:
    """One node with blocks and a mempool transaction, reused by every Hypothesis example."""
    global _NODE
    if _NODE is None:
        _NODE = make_node()
        client = TestClient(create_app(_NODE), raise_server_exceptions=False)
        client.post("/api/mine", json={"count": PARAMS.coinbase_maturity + 2})
        tx = _NODE.wallet.build_payment(_NODE.chain, _NODE.wallet.address, 5_000, 1_000)
        assert client.post("/api/tx", json={"hex": tx.serialize().hex()}).status_code == 200
        _NODE.valid_tx_hex = tx.serialize().hex()  # type: ignore[attr-defined]
        _NODE.valid_block_hex = client.get(  # type: ignore[attr-defined]
            f"/api/blocks/{_NODE.chain.tip.id}/raw"
        ).json()["hex"]
    return _NODE, TestClient(create_app(_NODE), raise_server_exceptions=False)


def snapshot(node: Node) -> tuple:
    return (
        node.chain.tip.hash,
        len(node.chain.index),
        len(node.chain.orphans),
        tuple(sorted(e.txid for e in node.mempool)),
        tuple(node.peers.addresses()),
        node.miner.enabled,
        node.miner.threads,
        node.mining_address,
    )


_INT = TypeAdapter(int)


def _parses_as_int(text: str) -> bool:
    """True if FastAPI (pydantic, lax mode) reads ``text`` as an integer ("+0", " 7 ", "1.0")."""
    try:
        _INT.validate_python(text)
    except ValueError:
        return False
    return True


def _is_hex(text: str) -> bool:
    try:
        bytes.fromhex(text)
    except ValueError:
        return False
    return True


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=10,
)
not_a_string = (
    st.none() | st.booleans() | st.integers() | st.floats() | st.lists(st.integers(), max_size=3)
)
bad_hex_text = st.text(max_size=100).filter(lambda t: not t or not _is_hex(t))


@st.composite
def truncated_or_padded(draw, hex_text: str) -> str:
    raw = bytes.fromhex(hex_text)
    if draw(st.booleans()):
        return raw[: draw(st.integers(0, len(raw) - 1))].hex()
    return (raw + draw(st.binary(min_size=1, max_size=8))).hex()


def bad_raw_hex(kind: str) -> st.SearchStrategy:
    node, _ = shared_node()
    valid = node.valid_tx_hex if kind == "tx" else node.valid_block_hex  # type: ignore[attr-defined]
    return st.one_of(
        bad_hex_text,
        not_a_string,
        truncated_or_padded(valid),
        st.binary(max_size=120).map(bytes.hex),  # random bytes: never a valid tx/block here
    )


bad_count = st.one_of(
    st.integers(max_value=0),
    st.integers(min_value=1001),
    # 5.0 is an integer to JSON Schema and so to the node (api_models.Count): not a bad count
    st.floats().filter(lambda f: not (f.is_integer() and 1 <= f <= 1000)),
    st.text(max_size=5),
    st.booleans(),
    st.lists(st.integers(), max_size=2),
)


def _valid_query_count(value: object) -> bool:
    """True if ``value``, sent as a query string, is a count the API accepts (1..1000)."""
    text = str(value)
    return _parses_as_int(text) and 1 <= _INT.validate_python(text) <= 1000


# In a URL every value is text, and 1.0 or "7" are valid counts there (not in a JSON body).
bad_query_count = bad_count.filter(lambda value: not _valid_query_count(value))


def bad_amount(max_amount: int):
    """Faucet amounts outside [1, max_amount], or not integers at all."""
    return st.one_of(
        st.integers(max_value=0),
        st.integers(min_value=max_amount + 1),
        st.floats(),
        st.text(max_size=5),
        st.booleans(),
        st.lists(st.integers(), max_size=2),
    )


bad_address = st.one_of(not_a_string, st.text(max_size=60).filter(lambda t: not _valid_address(t)))
bad_optional_address = bad_address.filter(lambda a: a is not None)
bad_peer = st.one_of(not_a_string, st.text(max_size=40).filter(lambda t: not _valid_peer(t)))
bad_hash = st.one_of(
    st.text(min_size=1, max_size=70).filter(lambda t: not (len(t) == 64 and _is_hex(t))),
    st.binary(min_size=32, max_size=32).map(lambda b: b.hex()),  # well-formed, unknown
)


def _valid_address(text: str) -> bool:
    """What the node accepts: a regtest address, bech32 (bcrt1...) or Base58Check."""
    from edu_chain.node.state import parse_address

    try:
        parse_address(text)
    except EduChainError:
        return False
    return True


def _valid_peer(text: str) -> bool:
    try:
        parse_peer_address(text)
    except PeerError:
        return False
    return True


def _object_with(key: str, value: st.SearchStrategy, **others: st.SearchStrategy):
    extra = st.fixed_dictionaries({}, optional=others)
    return st.builds(lambda v, e: {**e, key: v}, value, extra)


raw_bodies = st.one_of(
    st.binary(max_size=40).filter(lambda b: not _json_object(b)),
    json_values.filter(lambda v: not isinstance(v, dict)).map(lambda v: json.dumps(v).encode()),
)


def _json_object(data: bytes) -> bool:
    try:
        return isinstance(json.loads(data), dict)
    except (ValueError, UnicodeDecodeError, RecursionError):
        return False


@st.composite
def malformed_post(draw) -> tuple[str, object]:
    """(path, body): bodies are raw bytes (not a JSON object) or a dict with a bad field."""
    node, _ = shared_node()
    path = draw(
        st.sampled_from(
            [
                "/api/tx",
                "/api/blocks",
                "/api/mine",
                "/api/faucet",
                "/api/mining",
                "/api/peers",
                "/p2p/hello",
                "/p2p/bye",
                "/p2p/announce",
                "/p2p/getblocks",
            ]
        )
    )
    if path != "/api/mine" and draw(st.integers(0, 4)) == 0:
        return path, draw(raw_bodies.filter(lambda b: b not in (b"null", b"")))
    if path == "/api/tx":
        return path, draw(_object_with("hex", bad_raw_hex("tx")))
    if path == "/api/blocks":
        return path, draw(_object_with("hex", bad_raw_hex("block")))
    if path == "/api/mine":
        return path, draw(
            st.one_of(
                _object_with("count", bad_count, address=st.just(node.wallet.address)),
                _object_with("address", bad_optional_address, count=st.just(1)),
            )
        )
    if path == "/api/faucet":
        return path, draw(
            st.one_of(
                _object_with("address", bad_address, amount=st.integers(1, 100)),
                _object_with(
                    "amount",
                    bad_amount(node.faucet.max_amount),
                    address=st.just(node.wallet.address),
                ),
            )
        )
    if path == "/api/mining":
        return path, draw(
            st.one_of(
                _object_with("enabled", st.one_of(st.integers(), st.text(max_size=3), st.floats())),
                _object_with("threads", bad_count, enabled=st.just(True)),
                _object_with("address", bad_optional_address, enabled=st.just(True)),
            )
        )
    if path in ("/api/peers", "/p2p/bye"):
        return path, draw(_object_with("address", bad_peer))
    if path == "/p2p/hello":
        return path, draw(
            st.one_of(
                _object_with("address", bad_peer, network=st.just("unit-test")),
                _object_with(
                    "network",
                    st.text(max_size=12).filter(lambda t: t != "unit-test"),
                    address=st.just("127.0.0.1:9"),
                ),
            )
        )
    if path == "/p2p/announce":
        return path, draw(
            st.one_of(
                _object_with("blocks", st.lists(bad_raw_hex("block"), min_size=1, max_size=2)),
                _object_with("txs", st.lists(bad_raw_hex("tx"), min_size=1, max_size=2)),
            )
        )
    return path, draw(
        st.one_of(
            _object_with(
                "locator",
                st.lists(
                    bad_hash.filter(lambda h: not _is_hex(h) or len(h) != 64),
                    min_size=1,
                    max_size=3,
                ),
            ),
            _object_with("limit", bad_count, locator=st.just([])),
        )
    )


@st.composite
def malformed_get(draw) -> str:
    """GET/DELETE paths with a bad or unknown parameter."""
    quote = lambda t: urllib.parse.quote(str(t), safe="")  # noqa: E731
    choice = draw(st.integers(0, 10))
    if choice == 0:
        return f"/api/blocks/{quote(draw(bad_hash))}"
    if choice == 1:
        return f"/api/blocks/{quote(draw(bad_hash))}/raw"
    if choice == 2:
        return f"/api/tx/{quote(draw(bad_hash))}"
    if choice == 3:
        return (
            f"/api/address/{quote(draw(bad_address.filter(lambda a: a != '' and a is not None)))}"
        )
    if choice == 4:
        h = draw(
            st.one_of(
                st.integers(min_value=10**6),
                st.integers(max_value=-1),
                st.text(max_size=5).filter(lambda t: not _parses_as_int(t)),
            )
        )
        return f"/api/height/{quote(h)}"
    if choice == 5:
        return f"/api/blocks?limit={quote(draw(bad_query_count))}"
    if choice == 6:
        return f"/api/stats?window={quote(draw(bad_query_count))}"
    if choice == 7:
        locator = draw(bad_hash.filter(lambda h: len(h) != 64 or not _is_hex(h)))
        return f"/api/headers?locator={quote(locator)}"
    if choice == 8:
        address = quote(draw(bad_address.filter(lambda a: a != "" and a is not None)))
        return f"/api/address/{address}/history"
    if choice == 9:
        good = PrivateKey(5).public_key.address()
        return f"/api/address/{good}/history?limit={quote(draw(bad_query_count))}"
    not_a_height = st.one_of(
        st.integers(max_value=-1),
        st.text(min_size=1, max_size=4).filter(lambda t: not _parses_as_int(t)),
    )
    return f"/api/blocks?before_height={quote(draw(not_a_height))}"


FUZZ = settings(deadline=None, suppress_health_check=[HealthCheck.too_slow], max_examples=120)


@FUZZ
@given(malformed_post())
def test_malformed_posts_get_4xx_json_and_change_nothing(request_case):
    node, client = shared_node()
    path, body = request_case
    before = snapshot(node)
    if not isinstance(body, bytes):
        body = json.dumps(body).encode()  # NaN/Infinity stay in: Python's json writes them
    reply = client.post(path, content=body, headers={"content-type": "application/json"})
    if path == "/p2p/announce" and reply.status_code == 200:  # per-item results
        results = reply.json()["blocks"] + reply.json()["txs"]
        assert all(r["result"] in ("rejected", "duplicate") for r in results), reply.json()
    else:
        assert 400 <= reply.status_code < 500, (path, body, reply.status_code, reply.text)
        error_code(reply)
    assert snapshot(node) == before


@FUZZ
@given(malformed_get(), st.sampled_from(["GET", "DELETE"]))
def test_malformed_gets_get_4xx_json_and_change_nothing(path, method):
    node, client = shared_node()
    if method == "DELETE":
        path = "/api/peers/" + path.rsplit("/", 1)[-1]
    before = snapshot(node)
    reply = client.request(method, path)
    assert 400 <= reply.status_code < 500, (method, path, reply.status_code, reply.text)
    error_code(reply)
    assert snapshot(node) == before


@settings(FUZZ, max_examples=40)
@given(st.binary(max_size=300))
def test_random_bodies_to_every_post_endpoint(body):
    node, client = shared_node()
    before = snapshot(node)
    for path in (
        "/api/tx",
        "/api/blocks",
        "/api/faucet",
        "/api/mining",
        "/api/peers",
        "/p2p/hello",
        "/p2p/bye",
        "/p2p/announce",
        "/p2p/getblocks",
    ):
        if _json_object(body):
            continue
        reply = client.post(path, content=body, headers={"content-type": "application/json"})
        assert 400 <= reply.status_code < 500, (path, body, reply.status_code, reply.text)
        error_code(reply)
    assert snapshot(node) == before


def test_step_through_a_confirmed_segwit_input(client, node):
    """GET /api/tx/{txid}/inputs/{i}/trace replays the input's scripts: the oracle is
    trace_input run here on the same transaction and spent output, and verify_input."""
    from edu_chain.script.flags import CONSENSUS_FLAGS
    from edu_chain.script.trace import trace_input
    from edu_chain.script.verify import verify_input

    client.post("/api/mine", json={"count": PARAMS.coinbase_maturity + 1})
    payee = Wallet("payee.json", [PrivateKey(4711)]).address
    tx = node.wallet.build_payment(node.chain, payee, 12_345, 1_000)
    assert client.post("/api/tx", json={"hex": tx.serialize().hex()}).status_code == 200
    client.post("/api/mine", json={"count": 1})
    reply = client.get(f"/api/tx/{tx.id}/inputs/0/trace")
    assert reply.status_code == 200, reply.text
    shown = reply.json()
    spent = node.chain.find_tx(tx.inputs[0].outpoint.txid)[0].outputs[tx.inputs[0].outpoint.index]
    verify_input(tx, 0, spent.script_pubkey, spent.amount, CONSENSUS_FLAGS)  # really valid
    expected = trace_input(tx, 0, spent.script_pubkey, spent.amount, CONSENSUS_FLAGS)
    assert shown["ok"] is True and shown["error"] is None
    assert shown["spent"]["type"] == "witness_v0_keyhash"
    assert shown["witness"] == [item.hex() for item in tx.inputs[0].witness]
    assert [s["operation"] for s in shown["steps"]] == [s.operation for s in expected.steps]
    assert shown["steps"][-1]["stack_after"] == ["01"]  # OP_CHECKSIG left true
    assert "OP_CHECKSIG" in shown["text"]
    for path, code in [
        (f"/api/tx/{tx.id}/inputs/5/trace", "input-not-found"),
        (f"/api/tx/{'ab' * 32}/inputs/0/trace", "tx-not-found"),
        (f"/api/tx/{tx.id}/inputs/-1/trace", None),
    ]:
        refused = client.get(path)
        assert 400 <= refused.status_code < 500
        if code:
            assert error_code(refused) == code
    coinbase = node.chain.block_at(1).transactions[0]
    assert error_code(client.get(f"/api/tx/{coinbase.id}/inputs/0/trace")) == "input-not-found"
