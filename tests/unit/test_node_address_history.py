"""``GET /api/address/{address}/history``, in process (FastAPI TestClient), unit-test chain.

Oracle: the blocks themselves, read back as raw hex from ``GET /api/blocks/{hash}/raw`` and
parsed with ``parse_block``: every txid, amount received and sent, fee and spender the route
reports is recomputed here from them (and from the mempool's transactions, parsed from
``GET /api/tx``).  Bad input gets the API's 400 with its reason code.
"""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from edu_chain.block import parse_block
from edu_chain.chain import ChainParams
from edu_chain.hashing import display_hex
from edu_chain.keys import PrivateKey
from edu_chain.node import Node, NodeConfig
from edu_chain.node.api import create_app
from edu_chain.node.api_models import AddressHistory
from edu_chain.tx import OutPoint, Transaction
from edu_chain.wallet import Wallet

PARAMS = ChainParams.for_tests()


@pytest.fixture
def node():
    node = Node(NodeConfig(network="unittest"))
    yield node
    node.stop()


@pytest.fixture
def client(node):
    with TestClient(create_app(node), raise_server_exceptions=False) as test_client:
        yield test_client


def blocks_from_api(client) -> list:
    tip = client.get("/api/tip").json()["height"]
    hashes = [client.get(f"/api/height/{h}").json()["hash"] for h in range(tip + 1)]
    return [
        parse_block(bytes.fromhex(client.get(f"/api/blocks/{h}/raw").json()["hex"])) for h in hashes
    ]


def expected_history(client, script_pubkey: bytes) -> dict:
    """Everything the route should say about ``script_pubkey``, from the raw blocks."""
    outputs, spender, rows = {}, {}, []
    for height, block in enumerate(blocks_from_api(client)):
        for position, tx in enumerate(block.transactions):
            received = sum(o.amount for o in tx.outputs if o.script_pubkey == script_pubkey)
            sent = 0
            if height > 0 and not tx.is_coinbase():
                for vin, tx_in in enumerate(tx.inputs):
                    spent = outputs[tx_in.outpoint]
                    sent += spent.amount if spent.script_pubkey == script_pubkey else 0
                    spender[tx_in.outpoint] = (tx.id, vin, height)
            for index, output in enumerate(tx.outputs):
                outputs[OutPoint(tx.txid, index)] = output
            touched = any(o.script_pubkey == script_pubkey for o in tx.outputs) or sent
            if height > 0 and touched:
                fee = None
                if not tx.is_coinbase():
                    total_in = sum(outputs[i.outpoint].amount for i in tx.inputs)
                    fee = total_in - sum(o.amount for o in tx.outputs)
                rows.append((height, position, tx, received, sent, fee))
    return {"rows": rows, "spender": spender}


def test_history_agrees_with_the_blocks(client, node, tmp_path):
    client.post("/api/mine", json={"count": PARAMS.coinbase_maturity + 1})
    alice_key = PrivateKey(0xA11CE)
    alice = Wallet(tmp_path / "alice.json", [alice_key])
    bob = PrivateKey(0xB0B).public_key.address()
    for amount in (70_000, 20_000):
        tx = node.wallet.build_payment(node.chain, alice.address, amount, 1_000)
        assert client.post("/api/tx", json={"hex": tx.serialize().hex()}).status_code == 200
        client.post("/api/mine", json={"count": 1})
    onward = alice.build_payment(node.chain, bob, 50_000, 700)
    assert client.post("/api/tx", json={"hex": onward.serialize().hex()}).status_code == 200
    client.post("/api/mine", json={"count": 2})
    pending = node.wallet.build_payment(node.chain, alice.address, 5_000, 1_000)
    assert client.post("/api/tx", json={"hex": pending.serialize().hex()}).status_code == 200

    reply = client.get(f"/api/address/{alice.address}/history?order=asc&limit=100")
    assert reply.status_code == 200
    shown = AddressHistory.model_validate(reply.json())
    oracle = expected_history(client, alice.script_pubkeys[0])
    tip = node.chain.height
    assert [t.txid for t in shown.transactions] == [row[2].id for row in oracle["rows"]]
    for entry, (height, position, tx, received, sent, fee) in zip(
        shown.transactions, oracle["rows"], strict=True
    ):
        assert (entry.height, entry.position, entry.received, entry.sent, entry.fee) == (
            height,
            position,
            received,
            sent,
            fee,
        )
        assert entry.status == "confirmed" and entry.confirmations == tip - height + 1
        for output in entry.outputs:
            who = oracle["spender"].get(OutPoint(tx.txid, output.index))
            assert output.amount == tx.outputs[output.index].amount
            if who is None:
                spent_in_pool = OutPoint(tx.txid, output.index) in node.mempool.spenders
                assert output.status == ("spent-in-mempool" if spent_in_pool else "unspent")
            else:
                assert output.status == "spent"
                assert (output.spent_by.txid, output.spent_by.vin, output.spent_by.height) == who
                spender_tx = next(r[2] for r in oracle["rows"] if r[2].id == who[0])
                assert output.spent_by.witness == [
                    item.hex() for item in spender_tx.inputs[who[1]].witness
                ]
    total_received = sum(row[3] for row in oracle["rows"])
    total_sent = sum(row[4] for row in oracle["rows"])
    change = sum(o.amount for o in onward.outputs if o.script_pubkey == alice.script_pubkeys[0])
    assert (shown.total_received, shown.total_sent) == (total_received, total_sent)
    assert (total_received, total_sent) == (90_000 + change, onward_spent(onward, oracle))
    assert shown.balance == node.chain.balance(alice.script_pubkeys[0])
    assert shown.balance == total_received - total_sent
    assert shown.tx_count == 3 and shown.tip_height == tip

    # The mempool: the pending payment, its fee as the pool computed it.
    assert shown.mempool_count == 1
    (waiting,) = shown.mempool
    assert waiting.txid == pending.id and waiting.status == "pending"
    assert waiting.confirmations == 0 and waiting.height is None
    assert waiting.received == 5_000 and waiting.fee == 1_000

    # Newest first, a page at a time.
    newest = client.get(f"/api/address/{alice.address}/history?limit=2").json()
    assert [t["txid"] for t in newest["transactions"]] == [
        row[2].id for row in reversed(oracle["rows"])
    ][:2]
    second_page = client.get(f"/api/address/{alice.address}/history?limit=2&offset=2").json()
    assert [t["txid"] for t in second_page["transactions"]] == [oracle["rows"][0][2].id]


def onward_spent(onward: Transaction, oracle: dict) -> int:
    """What Alice's own payment spent: the outputs it consumed, read from the blocks."""
    by_id = {row[2].id: row[2] for row in oracle["rows"]}
    total = 0
    for tx_in in onward.inputs:
        parent = by_id[display_hex(tx_in.outpoint.txid)]
        total += parent.outputs[tx_in.outpoint.index].amount
    return total


def test_an_output_spent_in_the_mempool_names_its_spender(client, node, tmp_path):
    client.post("/api/mine", json={"count": PARAMS.coinbase_maturity + 1})
    alice = Wallet(tmp_path / "alice.json", [PrivateKey(0xA11CE)])
    paid = node.wallet.build_payment(node.chain, alice.address, 30_000, 1_000)
    client.post("/api/tx", json={"hex": paid.serialize().hex()})
    client.post("/api/mine", json={"count": 1})
    onward = alice.build_payment(node.chain, PrivateKey(7).public_key.address(), 20_000, 500)
    assert client.post("/api/tx", json={"hex": onward.serialize().hex()}).status_code == 200
    shown = client.get(f"/api/address/{alice.address}/history").json()
    (confirmed,) = shown["transactions"]
    output = next(o for o in confirmed["outputs"] if o["mine"])
    assert output["status"] == "spent-in-mempool"
    assert output["spent_by"]["txid"] == onward.id and output["spent_by"]["height"] is None
    (pending,) = shown["mempool"]
    assert pending["sent"] == 30_000 and [i["mine"] for i in pending["inputs"]] == [True]


def test_a_fresh_address_has_an_empty_history(client):
    address = PrivateKey(99).public_key.address()
    shown = client.get(f"/api/address/{address}/history").json()
    assert shown["transactions"] == [] and shown["mempool"] == []
    assert (shown["tx_count"], shown["balance"], shown["offset"], shown["limit"]) == (0, 0, 0, 25)


@pytest.mark.parametrize(
    ("query", "code"),
    [
        ("?limit=0", "invalid-request"),
        ("?limit=101", "invalid-request"),
        ("?offset=-1", "invalid-request"),
        ("?order=sideways", "invalid-request"),
        ("?limit=ten", "invalid-request"),
    ],
)
def test_bad_paging_is_a_400(client, query, code):
    address = PrivateKey(99).public_key.address()
    reply = client.get(f"/api/address/{address}/history{query}")
    assert reply.status_code == 400 and reply.json()["error"]["code"] == code


def test_a_bad_address_is_a_400_that_says_why(client):
    good = PrivateKey(99).public_key.address()
    broken = good[:-1] + ("q" if good[-1] != "q" else "p")  # a bech32 checksum error
    for address, words in [(broken, "not a valid address"), ("hello", "regtest address")]:
        reply = client.get(f"/api/address/{address}/history")
        assert reply.status_code == 400
        assert reply.json()["error"]["code"] == "bad-address"
        assert words in reply.json()["error"]["message"]
