"""``educhain wallet``: every command's --help, success and failures, against a fake node.

The node is an ``httpx.MockTransport`` speaking the fixed API of
docs/architecture.md#node-and-testnet (``GET /api/address/{addr}``, ``POST /api/tx``);
no socket is opened.
"""

import json
import stat

import httpx
import pytest
from click.testing import CliRunner

from edu_chain.cli import main
from edu_chain.cli import wallet as wallet_cli
from edu_chain.hashing import display_hex
from edu_chain.keys import PrivateKey
from edu_chain.teaching_tx import COIN, OutPoint, Transaction, TxOut
from edu_chain.wallet import Wallet

BOB = PrivateKey(0xB0B)
ALICE = PrivateKey(0xA11CE)


class FakeNode:
    """Just enough of a node: balances from a UTXO dict, and a list of accepted transactions."""

    def __init__(self, utxos: dict[OutPoint, TxOut], spendable: bool = True):
        self.utxos = utxos
        self.spendable = spendable
        self.accepted: list[Transaction] = []
        self.requests: list[str] = []

    def handler(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(f"{request.method} {request.url.path}")
        if request.method == "GET" and request.url.path.startswith("/api/address/"):
            address = request.url.path.rsplit("/", 1)[1]
            mine = [(op, out) for op, out in self.utxos.items() if out.address == address]
            return httpx.Response(
                200,
                json={
                    "address": address,
                    "balance": sum(out.amount for _, out in mine),
                    "utxos": [
                        {
                            "txid": display_hex(op.txid),
                            "index": op.index,
                            "amount": out.amount,
                            "spendable": self.spendable,
                        }
                        for op, out in mine
                    ],
                },
            )
        if request.method == "POST" and request.url.path == "/api/tx":
            tx = Transaction.from_hex(json.loads(request.content)["hex"])
            for index, tx_input in enumerate(tx.inputs):
                spent = self.utxos.get(tx_input.outpoint)
                if spent is None or not tx.verify_input(index, spent):
                    return httpx.Response(
                        400,
                        json={"error": {"code": "bad-signature", "message": f"input {index}"}},
                    )
            self.accepted.append(tx)
            return httpx.Response(200, json={"txid": tx.id})
        return httpx.Response(404, json={"error": {"code": "not-found", "message": "no route"}})


@pytest.fixture
def keystore(tmp_path):
    path = tmp_path / "alice.json"
    Wallet.create(path, keys=[ALICE])
    return path


@pytest.fixture
def fake_node(monkeypatch):
    node = FakeNode(
        {
            OutPoint(bytes([1]) * 32, 0): TxOut(3 * COIN, ALICE.public_key.pubkey_hash()),
            OutPoint(bytes([2]) * 32, 1): TxOut(2 * COIN, ALICE.public_key.pubkey_hash()),
            OutPoint(bytes([3]) * 32, 0): TxOut(9 * COIN, BOB.public_key.pubkey_hash()),
        }
    )
    monkeypatch.setattr(wallet_cli, "_TRANSPORT", httpx.MockTransport(node.handler))
    return node


def run(*args: str):
    return CliRunner().invoke(main, ["wallet", *args])


@pytest.mark.parametrize("command", [[], ["new"], ["address"], ["balance"], ["send"]])
def test_help_has_an_example(command):
    result = run(*command, "--help")
    assert result.exit_code == 0
    assert "Example" in result.output


def test_new_creates_a_0600_keystore_and_refuses_to_overwrite(tmp_path):
    path = tmp_path / "w.json"
    result = run("new", "--wallet", str(path))
    assert result.exit_code == 0, result.output
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    address = Wallet.load(path).address
    assert address in result.output
    before = path.read_bytes()
    refused = run("new", "--wallet", str(path))
    assert refused.exit_code == 2
    assert "refusing to overwrite" in refused.output
    assert path.read_bytes() == before
    forced = run("new", "--wallet", str(path), "--force", "--json")
    assert forced.exit_code == 0
    assert json.loads(forced.output)["address"] == Wallet.load(path).address != address


def test_wallet_path_from_the_environment(tmp_path, monkeypatch):
    path = tmp_path / "env.json"
    monkeypatch.setenv("EDUCHAIN_WALLET", str(path))
    assert run("new").exit_code == 0
    assert path.exists()


def test_node_url_default_and_environment(keystore, monkeypatch):
    """--node defaults to http://127.0.0.1:8332 and reads EDUCHAIN_NODE (as the README says)."""
    hosts: list[str] = []

    def record(request: httpx.Request) -> httpx.Response:
        hosts.append(f"{request.url.host}:{request.url.port}")
        return httpx.Response(200, json={"balance": 0, "utxos": []})

    monkeypatch.setattr(wallet_cli, "_TRANSPORT", httpx.MockTransport(record))
    monkeypatch.delenv("EDUCHAIN_NODE", raising=False)
    assert run("balance", "--wallet", str(keystore)).exit_code == 0
    monkeypatch.setenv("EDUCHAIN_NODE", "http://127.0.0.1:8400")
    assert run("balance", "--wallet", str(keystore)).exit_code == 0
    assert hosts == ["127.0.0.1:8332", "127.0.0.1:8400"]


def test_address_lists_and_adds(keystore):
    result = run("address", "--wallet", str(keystore))
    assert result.output.split() == [ALICE.public_key.address()]
    result = run("address", "--wallet", str(keystore), "--new", "--json")
    addresses = json.loads(result.output)["addresses"]
    assert len(addresses) == 2 and addresses == Wallet.load(keystore).addresses()


def test_missing_wallet_is_a_clear_error(tmp_path):
    result = run("address", "--wallet", str(tmp_path / "none.json"))
    assert result.exit_code == 2
    assert "educhain wallet new" in result.output and "--wallet FILE" in result.output


def test_balance(keystore, fake_node):
    result = run("balance", "--wallet", str(keystore), "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.output) == {
        "total": 5 * COIN,
        "addresses": {ALICE.public_key.address(): 5 * COIN},
    }
    human = run("balance", "--wallet", str(keystore))
    assert "total  5.00000000 coins" in human.output
    assert fake_node.requests[0] == f"GET /api/address/{ALICE.public_key.address()}"


def test_send_builds_signs_and_submits(keystore, fake_node):
    bob = BOB.public_key.address()
    result = run("send", bob, "3.5", "--fee", "0.001", "--wallet", str(keystore), "--json")
    assert result.exit_code == 0, result.output
    (tx,) = fake_node.accepted
    assert json.loads(result.output)["txid"] == tx.id
    assert tx.outputs == (
        TxOut(350_000_000, BOB.public_key.pubkey_hash()),
        TxOut(5 * COIN - 350_000_000 - 100_000, ALICE.public_key.pubkey_hash()),
    )
    human = run("send", bob, "0.1", "--wallet", str(keystore))
    assert human.exit_code == 0 and "txid" in human.output


def test_send_insufficient_funds_shows_amounts(keystore, fake_node):
    result = run("send", BOB.public_key.address(), "5", "--wallet", str(keystore))
    assert result.exit_code == 2
    assert "insufficient funds" in result.output
    assert "5.00001000" in result.output and "5.00000000" in result.output
    assert fake_node.accepted == []


def test_send_skips_unspendable_coins(keystore, fake_node):
    fake_node.spendable = False
    result = run("send", BOB.public_key.address(), "1", "--wallet", str(keystore))
    assert result.exit_code == 2 and "insufficient funds" in result.output


def test_send_skips_coins_already_spent_in_the_mempool(keystore, monkeypatch):
    """Sending again before a block confirms the first payment must not re-spend its inputs
    (the node would refuse txn-already-in-mempool or txn-mempool-conflict)."""
    pending = {
        "txid": "11" * 32,
        "index": 0,
        "amount": 3 * COIN,
        "spendable": True,
        "spent_in_mempool": "22" * 32,
    }
    reply = {"balance": 3 * COIN, "unconfirmed_delta": -3 * COIN, "utxos": [pending]}
    requests: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        requests.append(f"{request.method} {request.url.path}")
        return httpx.Response(200, json=reply)

    monkeypatch.setattr(wallet_cli, "_TRANSPORT", httpx.MockTransport(handler))
    result = run("send", BOB.public_key.address(), "1", "--wallet", str(keystore))
    assert result.exit_code == 2
    assert "insufficient funds" in result.output and "mempool" in result.output
    assert not any(r.startswith("POST") for r in requests)


@pytest.mark.parametrize(
    "args, message",
    [
        (["not-an-address", "1"], "malformed"),
        ([BOB.public_key.address(), "1.000000001"], "8 decimal"),
        ([BOB.public_key.address(), "lots"], "not an amount"),
    ],
)
def test_send_bad_arguments(keystore, fake_node, args, message):
    result = run("send", *args, "--wallet", str(keystore))
    assert result.exit_code == 2
    assert message in result.output
    assert fake_node.requests == []


def test_node_rejection_is_reported(keystore, monkeypatch):
    def refuse(request: httpx.Request) -> httpx.Response:
        if request.method == "GET":
            utxo = {"txid": "11" * 32, "index": 0, "amount": COIN}
            return httpx.Response(200, json={"balance": COIN, "utxos": [utxo]})
        return httpx.Response(
            400, json={"error": {"code": "bad-txns-inputs-missingorspent", "message": "gone"}}
        )

    monkeypatch.setattr(wallet_cli, "_TRANSPORT", httpx.MockTransport(refuse))
    result = run("send", BOB.public_key.address(), "0.5", "--wallet", str(keystore))
    assert result.exit_code == 2
    assert "bad-txns-inputs-missingorspent: gone" in result.output


@pytest.mark.parametrize(
    "reply",
    [
        {"utxos": [{"txid": "zz"}]},
        {"utxos": [5]},  # entries that are not objects
        {"utxos": {"txid": "00" * 32}},  # an object where a list belongs
        {"utxos": "nope"},
        {"utxos": [{"outpoint": 7, "amount": 1}]},
    ],
)
def test_malformed_node_reply(keystore, monkeypatch, reply):
    def junk(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json=reply)

    monkeypatch.setattr(wallet_cli, "_TRANSPORT", httpx.MockTransport(junk))
    result = run("balance", "--wallet", str(keystore))
    assert result.exit_code == 2 and "malformed" in result.output, result.output


def test_no_node_answering(keystore, monkeypatch):
    def down(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused", request=request)

    monkeypatch.setattr(wallet_cli, "_TRANSPORT", httpx.MockTransport(down))
    for command in (["balance"], ["send", BOB.public_key.address(), "1"]):
        result = run(*command, "--wallet", str(keystore), "--node", "http://127.0.0.1:9")
        assert result.exit_code == 2
        assert "no node answered at http://127.0.0.1:9" in result.output


def test_no_node_answering_on_a_real_closed_port(keystore):
    import socket

    with socket.socket() as probe:  # find a free loopback port, then leave it closed
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    result = run("balance", "--wallet", str(keystore), "--node", f"http://127.0.0.1:{port}")
    assert result.exit_code == 2
    assert f"no node answered at http://127.0.0.1:{port}" in result.output


def test_utxos_may_be_given_as_outpoint_strings(keystore, monkeypatch):
    outpoint = OutPoint(bytes([7]) * 32, 3)

    def node(request: httpx.Request) -> httpx.Response:
        if request.method == "GET":
            utxo = {"outpoint": str(outpoint), "amount": 2 * COIN}
            return httpx.Response(200, json={"utxos": [utxo]})
        tx = Transaction.from_hex(json.loads(request.content)["hex"])
        assert tx.inputs[0].outpoint == outpoint
        return httpx.Response(200, json={"txid": tx.id})

    monkeypatch.setattr(wallet_cli, "_TRANSPORT", httpx.MockTransport(node))
    balance = run("balance", "--wallet", str(keystore), "--json")
    assert json.loads(balance.output)["total"] == 2 * COIN
    sent = run("send", BOB.public_key.address(), "1", "--wallet", str(keystore))
    assert sent.exit_code == 0, sent.output
