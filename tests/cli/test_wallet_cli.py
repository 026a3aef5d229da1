"""``educhain wallet``: every command's --help, success and failures, against a fake node.

The node is an ``httpx.MockTransport`` speaking the fixed API of
docs/architecture.md#node-and-testnet (``GET /api/address/{addr}``, ``POST /api/tx``);
no socket is opened.  It accepts a transaction only if every input passes ``verify_input``
(standard flags) against the coin it spends: the script interpreter is the oracle.
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
from edu_chain.script import STANDARD_FLAGS, ScriptError, script_pubkey_to_address, verify_input
from edu_chain.tx import COIN, OutPoint, Transaction, TxIn, TxOut
from edu_chain.wallet import Wallet

BOB = PrivateKey(0xB0B)
ALICE = PrivateKey(0xA11CE)
ALICE_SCRIPT = Wallet("a", [ALICE]).script_pubkeys[0]  # P2WPKH
BOB_SCRIPT = Wallet("b", [BOB]).script_pubkeys[0]
BOB_ADDRESS = Wallet("b", [BOB]).address
ALICE_ADDRESS = Wallet("a", [ALICE]).address


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
            mine = [
                (op, out)
                for op, out in self.utxos.items()
                if script_pubkey_to_address(out.script_pubkey, "regtest") == address
            ]
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
            tx = Transaction.parse(bytes.fromhex(json.loads(request.content)["hex"]))
            for index, tx_input in enumerate(tx.inputs):
                spent = self.utxos.get(tx_input.outpoint)
                try:
                    if spent is None:
                        raise ScriptError("missing", f"input {index} spends nothing known")
                    verify_input(tx, index, spent.script_pubkey, spent.amount, STANDARD_FLAGS)
                except ScriptError as error:
                    return httpx.Response(
                        400,
                        json={"error": {"code": "bad-signature", "message": str(error)}},
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
            OutPoint(bytes([1]) * 32, 0): TxOut(3 * COIN, ALICE_SCRIPT),
            OutPoint(bytes([2]) * 32, 1): TxOut(2 * COIN, ALICE_SCRIPT),
            OutPoint(bytes([3]) * 32, 0): TxOut(9 * COIN, BOB_SCRIPT),
        }
    )
    monkeypatch.setattr(wallet_cli, "_TRANSPORT", httpx.MockTransport(node.handler))
    return node


def run(*args: str):
    return CliRunner().invoke(main, ["wallet", *args])


@pytest.mark.parametrize(
    "command",
    [
        [],
        ["new"],
        ["address"],
        ["pubkey"],
        ["balance"],
        ["send"],
        ["broadcast"],
        ["multisig"],
        ["multisig", "create"],
        ["multisig", "balance"],
        ["psbt"],
        ["psbt", "create"],
        ["psbt", "sign"],
        ["psbt", "combine"],
        ["psbt", "finalize"],
        ["psbt", "decode"],
    ],
)
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
    assert address.startswith("bcrt1q")


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
    assert result.output.split() == [ALICE_ADDRESS]
    result = run("address", "--wallet", str(keystore), "--new", "--json")
    addresses = json.loads(result.output)["addresses"]
    assert len(addresses) == 2 and addresses == Wallet.load(keystore).addresses


def test_missing_wallet_is_a_clear_error(tmp_path):
    result = run("address", "--wallet", str(tmp_path / "none.json"))
    assert result.exit_code == 2
    assert "educhain wallet new" in result.output and "--wallet FILE" in result.output


def test_balance(keystore, fake_node):
    result = run("balance", "--wallet", str(keystore), "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.output) == {
        "total": 5 * COIN,
        "addresses": {ALICE_ADDRESS: 5 * COIN},
    }
    human = run("balance", "--wallet", str(keystore))
    assert "total  5.00000000 coins" in human.output
    assert fake_node.requests[0] == f"GET /api/address/{ALICE_ADDRESS}"


def test_send_builds_signs_and_submits(keystore, fake_node):
    bob = BOB_ADDRESS
    result = run("send", bob, "3.5", "--fee", "0.001", "--wallet", str(keystore), "--json")
    assert result.exit_code == 0, result.output
    (tx,) = fake_node.accepted
    reply = json.loads(result.output)
    assert reply["txid"] == tx.id and reply["fee"] == 100_000 and reply["vsize"] == tx.vsize
    assert tx.outputs == (
        TxOut(350_000_000, BOB_SCRIPT),
        TxOut(5 * COIN - 350_000_000 - 100_000, ALICE_SCRIPT),
    )
    human = run("send", bob, "0.1", "--wallet", str(keystore))
    assert human.exit_code == 0 and "txid" in human.output


def test_send_insufficient_funds_shows_amounts(keystore, fake_node):
    result = run("send", BOB_ADDRESS, "5", "--fee", "0.00001", "--wallet", str(keystore))
    assert result.exit_code == 2
    assert "insufficient funds" in result.output
    assert "5.00001000" in result.output and "5.00000000" in result.output
    assert fake_node.accepted == []


def test_send_skips_unspendable_coins(keystore, fake_node):
    fake_node.spendable = False
    result = run("send", BOB_ADDRESS, "1", "--wallet", str(keystore))
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
    result = run("send", BOB_ADDRESS, "1", "--wallet", str(keystore))
    assert result.exit_code == 2
    assert "insufficient funds" in result.output and "mempool" in result.output
    assert not any(r.startswith("POST") for r in requests)


@pytest.mark.parametrize(
    "args, message",
    [
        (["not-an-address", "1"], "bad address: decode-"),
        (["bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4", "1"], "decode-wrong-network"),
        ([BOB_ADDRESS, "1", "--fee", "0.1", "--fee-rate", "2"], "not both"),
        ([BOB_ADDRESS, "1", "--data", "x" * 99_995], "at most 99994"),  # Core 30.0 budget
        ([BOB_ADDRESS, "1.000000001"], "8 decimal"),
        ([BOB_ADDRESS, "lots"], "not an amount"),
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
    result = run("send", BOB_ADDRESS, "0.5", "--wallet", str(keystore))
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
    for command in (["balance"], ["send", BOB_ADDRESS, "1"]):
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
        tx = Transaction.parse(bytes.fromhex(json.loads(request.content)["hex"]))
        assert tx.inputs[0].outpoint == outpoint
        verify_input(tx, 0, ALICE_SCRIPT, 2 * COIN, STANDARD_FLAGS)
        return httpx.Response(200, json={"txid": tx.id})

    monkeypatch.setattr(wallet_cli, "_TRANSPORT", httpx.MockTransport(node))
    balance = run("balance", "--wallet", str(keystore), "--json")
    assert json.loads(balance.output)["total"] == 2 * COIN
    sent = run("send", BOB_ADDRESS, "1", "--wallet", str(keystore))
    assert sent.exit_code == 0, sent.output


# --- address types and public keys -----------------------------------------------------------


def test_address_types(keystore):
    added = run("address", "--wallet", str(keystore), "--new", "--type", "p2pkh", "--json")
    assert added.exit_code == 0, added.output
    first, legacy = json.loads(added.output)["addresses"]
    assert first == ALICE_ADDRESS and legacy[0] in "mn"
    assert run("address", "--wallet", str(keystore), "--type", "p2pkh").output.split() == [legacy]
    assert run("address", "--wallet", str(keystore), "--type", "p2wpkh").output.split() == [first]
    bad = run("address", "--wallet", str(keystore), "--new", "--type", "p2tr")
    assert bad.exit_code == 2 and len(Wallet.load(keystore).keys) == 2


def test_new_with_a_p2pkh_address(tmp_path):
    result = run("new", "--wallet", str(tmp_path / "w.json"), "--type", "p2pkh", "--json")
    assert json.loads(result.output)["address"][0] in "mn"


def test_pubkey(keystore):
    result = run("pubkey", "--wallet", str(keystore))
    assert result.output.split() == [ALICE.public_key.sec().hex()]


# --- multisig and PSBT, three wallets on three "laptops" -----------------------------------

CAROL = PrivateKey(0xCA401)


@pytest.fixture
def signers(tmp_path):
    """Three keystores and the 2-of-3 description file built from their public keys."""
    paths = {}
    for name, key in (("alice", ALICE), ("bob", BOB), ("carol", CAROL)):
        paths[name] = tmp_path / f"{name}.json"
        Wallet.create(paths[name], keys=[key])
    return paths


def make_multisig(tmp_path, signers, kind="p2wsh"):
    keys = [run("pubkey", "--wallet", str(path)).output.strip() for path in signers.values()]
    out = tmp_path / f"team-{kind}.json"
    result = run("multisig", "create", "2", *keys, "--type", kind, "--out", str(out))
    assert result.exit_code == 0, result.output
    return out, json.loads(out.read_text())


def test_multisig_create_prints_the_address_and_scripts(tmp_path, signers):
    _, description = make_multisig(tmp_path, signers)
    assert description["address"].startswith("bcrt1q") and description["required"] == 2
    shown = run("multisig", "create", "2", *description["pubkeys"])
    assert f"address: {description['address']}" in shown.output
    assert f"witness script: {description['script']}" in shown.output
    p2sh = run("multisig", "create", "2", *description["pubkeys"], "--type", "p2sh", "--json")
    assert json.loads(p2sh.output)["address"][0] == "2"
    assert "redeem_script" in json.loads(p2sh.output)


@pytest.mark.parametrize(
    "args, message",
    [
        (["3", "02" + "11" * 32], "required signatures must be 1..1"),
        (["1", "zz"], "not hex"),
        (["1", "02" + "00" * 32], "not on the curve"),
        (["two", "02" + "11" * 32], "not a valid integer"),
    ],
)
def test_multisig_create_bad_input_writes_nothing(tmp_path, args, message):
    out = tmp_path / "team.json"
    result = run("multisig", "create", *args, "--out", str(out))
    assert result.exit_code == 2 and message in result.output
    assert "Traceback" not in result.output
    assert not out.exists()


def fund_multisig(node: FakeNode, script_pubkey: bytes, amounts) -> Transaction:
    """A transaction paying ``amounts`` to the multisig, its outputs now coins of the node."""
    funding = Transaction(
        2, [TxIn(OutPoint(bytes([8]) * 32, 0), b"\x51")], [TxOut(a, script_pubkey) for a in amounts]
    )
    for n, output in enumerate(funding.outputs):
        node.utxos[OutPoint(funding.txid, n)] = output
    return funding


def test_two_of_three_p2wsh_from_a_node_signed_on_two_laptops(tmp_path, signers, fake_node):
    team, description = make_multisig(tmp_path, signers)
    fund_multisig(fake_node, bytes.fromhex(description["script_pubkey"]), [2 * COIN, COIN])
    held = json.loads(run("multisig", "balance", str(team), "--json").output)
    assert held["address"] == description["address"] and held["balance"] == 3 * COIN
    assert len(held["utxos"]) == 2
    unsigned = tmp_path / "pay.psbt"
    created = run("psbt", "create", str(team), BOB_ADDRESS, "2.5", "--out", str(unsigned))
    assert created.exit_code == 0, created.output
    assert fake_node.requests[-1] == f"GET /api/address/{description['address']}"
    decoded = run("psbt", "decode", str(unsigned), "--json")
    report = json.loads(decoded.output)
    assert [i["status"] for i in report["inputs"]] == ["0 of 2 signatures"] * 2
    assert report["outputs"][0] == {
        "address": BOB_ADDRESS,
        "type": "witness_v0_keyhash",
        "amount": 250_000_000,
        "change": False,
    }
    assert report["outputs"][1]["change"] is True
    assert report["complete"] is False and report["fee"] > 0
    copies = []
    for name in ("alice", "carol"):
        copy = tmp_path / f"pay-{name}.psbt"
        signed = run(
            "psbt", "sign", str(unsigned), "--wallet", str(signers[name]), "--out", str(copy)
        )
        assert signed.exit_code == 0 and "2 signature(s) added" in signed.output, signed.output
        copies.append(str(copy))
    alone = run("psbt", "finalize", copies[0])
    assert alone.exit_code == 2
    assert "psbt-incomplete" in alone.output and "needs 2 signatures, has 1" in alone.output
    merged = tmp_path / "pay-signed.psbt"
    assert run("psbt", "combine", *copies, "--out", str(merged)).exit_code == 0
    assert "complete: run psbt finalize" in run("psbt", "decode", str(merged)).output
    sent = run("psbt", "finalize", str(merged), "--broadcast", "--json")
    assert sent.exit_code == 0, sent.output
    (tx,) = fake_node.accepted  # the fake node ran verify_input on every input
    assert json.loads(sent.output)["txid"] == tx.id
    assert tx.outputs[0] == TxOut(250_000_000, BOB_SCRIPT)


def test_p2sh_offline_with_utxo_and_prev_tx(tmp_path, signers):
    team, description = make_multisig(tmp_path, signers, "p2sh")
    script = bytes.fromhex(description["script_pubkey"])
    funding = Transaction(2, [TxIn(OutPoint(bytes([8]) * 32, 0), b"\x51")], [TxOut(COIN, script)])
    utxo = f"{funding.id}:0:1"
    unsigned = tmp_path / "pay.psbt"
    missing = run(
        "psbt", "create", str(team), BOB_ADDRESS, "0.5", "--utxo", utxo, "--out", str(unsigned)
    )
    assert missing.exit_code == 2 and "--prev-tx" in missing.output and not unsigned.exists()
    prev = tmp_path / "funding.hex"
    prev.write_text(funding.serialize().hex())
    created = run(
        "psbt",
        "create",
        str(team),
        BOB_ADDRESS,
        "0.5",
        "--utxo",
        utxo,
        "--prev-tx",
        str(prev),
        "--fee-rate",
        "1",
        "--out",
        str(unsigned),
    )
    assert created.exit_code == 0, created.output
    for name in ("bob", "alice"):  # one file passed along
        signed = run(
            "psbt", "sign", str(unsigned), "--wallet", str(signers[name]), "--out", str(unsigned)
        )
        assert signed.exit_code == 0, signed.output
    final = run("psbt", "finalize", str(unsigned))
    assert final.exit_code == 0, final.output
    tx = Transaction.parse(bytes.fromhex(final.stdout.strip()))
    written = tmp_path / "tx.hex"
    as_json = run("psbt", "finalize", str(unsigned), "--out", str(written), "--json")
    assert json.loads(as_json.output)["hex"] == written.read_text().strip() == tx.serialize().hex()
    verify_input(tx, 0, script, COIN, STANDARD_FLAGS)
    assert tx.inputs[0].script_sig and not tx.inputs[0].witness  # legacy P2SH


def test_a_wallet_with_nothing_to_sign_is_told_so(tmp_path, signers):
    team, _ = make_multisig(tmp_path, signers)
    utxo = f"{'ab' * 32}:0:1"
    unsigned = tmp_path / "pay.psbt"
    run("psbt", "create", str(team), BOB_ADDRESS, "0.5", "--utxo", utxo, "--out", str(unsigned))
    stranger = tmp_path / "dave.json"
    Wallet.create(stranger, keys=[PrivateKey(0xDA7E)])
    out = tmp_path / "out.psbt"
    result = run("psbt", "sign", str(unsigned), "--wallet", str(stranger), "--out", str(out))
    assert result.exit_code == 2 and "no input needs a signature" in result.output
    assert not out.exists()


@pytest.mark.parametrize(
    "content, message",
    [
        ("this is not base64!", "decode-bad-base64"),
        ("aGVsbG8=", "decode-psbt-magic"),
        ("cHNidP8AAAA=", "decode-"),  # the magic, then garbage
    ],
)
def test_malformed_psbt_files_are_one_line_errors(tmp_path, keystore, content, message):
    bad = tmp_path / "bad.psbt"
    bad.write_text(content)
    out = tmp_path / "out.psbt"
    for command in (
        ["psbt", "decode", str(bad)],
        ["psbt", "sign", str(bad), "--wallet", str(keystore), "--out", str(out)],
        ["psbt", "combine", str(bad), str(bad), "--out", str(out)],
        ["psbt", "finalize", str(bad), "--out", str(out)],
    ):
        result = run(*command)
        assert result.exit_code == 2, (command, result.output)
        assert message in result.output and "Traceback" not in result.output
        assert len(result.output.strip().splitlines()) == 1
    assert not out.exists()


@pytest.mark.parametrize(
    "extra, message",
    [
        (["--utxo", "nothex:0:1"], "expected TXID:VOUT:AMOUNT"),
        (["--utxo", f"{'ab' * 32}:0"], "expected TXID:VOUT:AMOUNT"),
        (["--utxo", f"{'ab' * 32}:0:lots"], "not an amount"),
        (["--utxo", f"{'ab' * 32}:0:1", "--change", "nope"], "bad address"),
        (["--utxo", f"{'ab' * 32}:0:0.1"], "insufficient funds"),
    ],
)
def test_psbt_create_bad_input(tmp_path, signers, extra, message):
    team, _ = make_multisig(tmp_path, signers)
    out = tmp_path / "pay.psbt"
    result = run("psbt", "create", str(team), BOB_ADDRESS, "0.5", *extra, "--out", str(out))
    assert result.exit_code == 2 and message in result.output, result.output
    assert not out.exists()


def test_psbt_create_bad_prev_tx_and_multisig_file(tmp_path, signers):
    team, _ = make_multisig(tmp_path, signers)
    junk = tmp_path / "junk.hex"
    junk.write_text("zz")
    result = run("psbt", "create", str(team), BOB_ADDRESS, "0.5", "--prev-tx", str(junk))
    assert result.exit_code == 2 and "decode-bad-hex" in result.output
    not_multisig = tmp_path / "alice.json"  # a keystore, not a description
    result = run("psbt", "create", str(not_multisig), BOB_ADDRESS, "0.5")
    assert result.exit_code == 2 and "not an edu_chain multisig" in result.output


def test_combining_psbts_of_different_payments_is_refused(tmp_path, signers):
    team, _ = make_multisig(tmp_path, signers)
    files = []
    for amount in ("0.5", "0.6"):
        path = tmp_path / f"pay-{amount}.psbt"
        utxo = f"{'ab' * 32}:0:1"
        run("psbt", "create", str(team), BOB_ADDRESS, amount, "--utxo", utxo, "--out", str(path))
        files.append(str(path))
    out = tmp_path / "both.psbt"
    result = run("psbt", "combine", *files, "--out", str(out))
    assert result.exit_code == 2 and "psbt-combine-different-tx" in result.output
    assert not out.exists()


def test_send_with_data_records_it_in_an_op_return_output(keystore, fake_node):
    result = run("send", BOB_ADDRESS, "1", "--data", "lunch money", "--wallet", str(keystore))
    assert result.exit_code == 0, result.output
    (tx,) = fake_node.accepted
    assert tx.outputs[1].script_pubkey == b"\x6a\x0b" + b"lunch money"  # OP_RETURN <11 bytes>
    assert tx.outputs[1].amount == 0
