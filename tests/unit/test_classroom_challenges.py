"""The classroom's transaction challenges, scored from chains built in process.

* ``multisig-spend``: a 2-of-3 multisig (P2WSH, P2SH, P2SH-P2WSH) built by three wallets and
  spent through a PSBT; a 1-of-1 and a 2-of-2 multisig spent the same way do not count;
* ``low-fee``: a transaction the mempool refuses (``min-relay-fee-not-met``) mined by its
  owner through ``POST /api/mine {"transactions": [...]}``; one at exactly 1 sat/vB does not
  count;
* ``refused-then-mined``: a transaction ``POST /api/tx`` refuses as ``non-final`` (recorded
  by the host), resubmitted and mined once its locktime passed; a refused transaction never
  mined, and a mined one never refused, do not count.

Oracles: the mempool's own fee and vsize for a transaction (``MempoolEntry``) against the
fee rebuilt from the block's undo data; the wallet's multisig script (``Multisig.script``);
the mempool's refusal codes; the chain height for the locktime (``locktime < height``).
"""

from __future__ import annotations

import json

import pytest
from fastapi.testclient import TestClient

from edu_chain.chain.builder import ChainBuilder
from edu_chain.classroom import ChallengeFileError, Classroom, load_challenges
from edu_chain.classroom.challenges import parse_challenges
from edu_chain.classroom.registry import MAX_REFUSALS, MAX_REFUSALS_PER_ORIGIN
from edu_chain.classroom.routes import install
from edu_chain.classroom.txfacts import block_facts
from edu_chain.errors import TxValidationError
from edu_chain.keys import PrivateKey
from edu_chain.node.api import create_app
from edu_chain.node.service import Node, NodeConfig
from edu_chain.psbt import combine, extract, finalize
from edu_chain.tx import Transaction
from edu_chain.wallet import Multisig, Wallet, create_psbt

TOKEN = "teacher"
JOIN = "jt"
NAMES = ("ada", "bob", "cy", "dee")
AUTH = {"X-EduChain-Token": TOKEN}


@pytest.fixture
def host(tmp_path):
    node = Node(NodeConfig(network="unittest", token=TOKEN, name="host"))
    app = create_app(node)
    install(app, node, Classroom(tmp_path, join_token=JOIN), load_challenges())
    wallets = {n: Wallet(tmp_path / f"{n}.json", [PrivateKey.generate()]) for n in NAMES}
    with TestClient(app, raise_server_exceptions=False) as client:
        client.node, client.wallets = node, wallets
        client.classroom = app.state.classroom.classroom
        for number, name in enumerate(NAMES, start=2):
            body = {
                "name": name,
                "address": wallets[name].address,
                "node": f"127.0.0.{number}:9000",
                "token": JOIN,
            }
            assert client.post("/api/classroom/join", json=body).status_code == 200
        yield client
    node.stop()


def fund(client, *names):
    """Mine enough blocks to each name that it owns a mature coin."""
    for name in names:
        client.node.miner.mine_now(1, client.wallets[name].script_pubkeys[0])
    maturity = client.node.params.coinbase_maturity
    client.node.miner.mine_now(maturity)


def coins(client, name):
    return dict(client.node.chain.utxos_for(client.wallets[name].script_pubkeys[0]))


def solvers(client, challenge_id):
    rows = {c["id"]: c for c in client.get("/api/classroom/challenges").json()["challenges"]}
    return rows[challenge_id]["solvers"]


def mine_own(client, tx):
    return client.post("/api/mine", json={"transactions": [tx.serialize().hex()]}, headers=AUTH)


# --- fees rebuilt from the undo data ---------------------------------------------------


def test_block_facts_give_the_fee_the_mempool_computed(host):
    fund(host, "ada")
    wallets = host.wallets
    tx = wallets["ada"].build_payment(coins(host, "ada"), wallets["bob"].address, 70_000)
    entry = host.node.submit_tx(tx)
    block = host.node.miner.mine_now(1)[0]
    (facts,) = block_facts(host.node.chain, block.hash())
    assert (facts.txid, facts.fee, facts.vsize) == (tx.id, entry.fee, entry.vsize)
    assert facts.spends_from == wallets["ada"].script_pubkeys[0]
    assert facts.outputs == tuple(out.script_pubkey for out in tx.outputs)
    assert facts.multisig == ()


# --- multisig ------------------------------------------------------------------------------


def spend_multisig(client, ms: Multisig, signers, pay_to: str):
    """Fund ``ms`` from ada's coins, then spend it through a PSBT signed by ``signers``."""
    wallets = client.wallets
    funding = wallets["ada"].build_payment(coins(client, "ada"), ms.address, 300_000)
    client.node.submit_tx(funding)
    client.node.miner.mine_now(1)
    utxos = dict(client.node.chain.utxos_for(ms.script_pubkey))
    psbt = create_psbt(ms, utxos, [(pay_to, 100_000)], previous_txs=[funding])
    signed = combine(*(wallets[name].sign_psbt(psbt) for name in signers))
    tx = extract(finalize(signed))
    client.node.submit_tx(tx)
    client.node.miner.mine_now(1)
    return tx


@pytest.mark.parametrize("address_type", ["p2wsh", "p2sh", "p2sh-p2wsh"])
def test_a_2_of_3_multisig_spend_is_credited_to_the_participant_it_pays(host, address_type):
    fund(host, "ada", "ada")
    keys = [host.wallets[n].public_keys[0] for n in ("ada", "bob", "cy")]
    ms = Multisig.create(2, keys, address_type)
    spent = spend_multisig(host, ms, ("bob", "cy"), host.wallets["dee"].address)
    (facts,) = block_facts(host.node.chain, host.node.chain.tip.hash)
    assert [(m.required, m.keys, m.wrapping) for m in facts.multisig] == [(2, 3, address_type)]
    assert solvers(host, "multisig-2-of-3") == [
        {"name": "dee", "height": host.node.chain.height, "evidence": spent.id, "first": True}
    ]


def test_other_multisig_shapes_do_not_count(host):
    fund(host, "ada", "ada", "ada")
    one_of_one = Multisig.create(1, [host.wallets["bob"].public_keys[0]], "p2wsh")
    spend_multisig(host, one_of_one, ("bob",), host.wallets["bob"].address)
    two_of_two = Multisig.create(2, [host.wallets[n].public_keys[0] for n in ("bob", "cy")])
    spend_multisig(host, two_of_two, ("bob", "cy"), host.wallets["cy"].address)
    shapes = [
        (m.required, m.keys)
        for entry in host.node.chain.active[1:]
        for facts in block_facts(host.node.chain, entry.hash)
        for m in facts.multisig
    ]
    assert shapes == [(1, 1), (2, 2)]  # both spends were seen, and they are not 2-of-3
    assert solvers(host, "multisig-2-of-3") == []


# --- a fee below 1 sat/vB -----------------------------------------------------------------------


def test_a_low_fee_transaction_mined_by_its_owner_counts(host):
    fund(host, "ada")
    wallets = host.wallets
    cheap = wallets["ada"].build_payment(
        coins(host, "ada"), wallets["bob"].address, 50_000, fee_rate=0.5
    )
    with pytest.raises(TxValidationError) as refused:
        host.node.submit_tx(cheap)
    assert refused.value.code == "min-relay-fee-not-met"
    height = host.node.chain.height
    reply = mine_own(host, cheap)
    assert reply.status_code == 200, reply.text
    assert host.node.chain.height == height + 1
    (facts,) = block_facts(host.node.chain, host.node.chain.tip.hash)
    assert facts.txid == cheap.id and facts.fee_rate < 1
    assert solvers(host, "below-1-sat-vbyte") == [
        {"name": "ada", "height": height + 1, "evidence": cheap.id, "first": True}
    ]


def test_exactly_one_sat_per_vbyte_does_not_count(host):
    fund(host, "bob")
    wallet, utxos = host.wallets["bob"], coins(host, "bob")
    fee = 1
    for _ in range(5):  # the fee changes the change output, maybe the signature's length
        tx = wallet.build_payment(utxos, host.wallets["cy"].address, 50_000, fee=fee)
        if fee == tx.vsize:
            break
        fee = tx.vsize
    assert fee == tx.vsize
    entry = host.node.submit_tx(tx)  # the relay minimum is met: the mempool takes it
    assert entry.fee_rate == 1.0
    host.node.miner.mine_now(1)
    assert solvers(host, "below-1-sat-vbyte") == []


def test_mining_an_invalid_transaction_is_refused_and_mines_nothing(host):
    fund(host, "ada")
    wallets = host.wallets
    height = host.node.chain.height
    locked = wallets["ada"].build_payment(
        coins(host, "ada"), wallets["bob"].address, 50_000, locktime=height + 5
    )
    reply = mine_own(host, locked)
    assert reply.status_code == 400 and reply.json()["error"]["code"] == "bad-txns-nonfinal"
    reply = host.post("/api/mine", json={"transactions": ["00"]}, headers=AUTH)
    assert reply.status_code == 400 and reply.json()["error"]["code"].startswith("decode-")
    unauthorized = host.post("/api/mine", json={"transactions": [locked.serialize().hex()]})
    assert unauthorized.status_code == 401
    assert host.node.chain.height == height


# --- refused as non-final, then mined -------------------------------------------------------


def submit(client, tx):
    return client.post("/api/tx", json={"hex": tx.serialize().hex()})


def test_refused_as_non_final_then_mined_counts(host):
    fund(host, "ada", "bob")
    wallets, node = host.wallets, host.node
    height = node.chain.height
    locked = wallets["ada"].build_payment(
        coins(host, "ada"), wallets["cy"].address, 50_000, locktime=height + 3
    )
    never = wallets["bob"].build_payment(
        coins(host, "bob"), wallets["cy"].address, 50_000, locktime=height + 1_000
    )
    for tx in (locked, never):
        reply = submit(host, tx)
        assert reply.status_code == 400 and reply.json()["error"]["code"] == "non-final"
    recorded = host.classroom.refused("non-final")
    assert set(recorded) == {locked.id, never.id}
    assert recorded[locked.id].height == height and recorded[locked.id].origin == "testclient"
    assert solvers(host, "non-final-then-mined") == []

    node.miner.mine_now(3)  # the next block's height passes the locktime: final now
    assert submit(host, locked).status_code == 200
    unlocked = wallets["bob"].build_payment(coins(host, "bob"), wallets["dee"].address, 50_000)
    assert submit(host, unlocked).status_code == 200  # mined too, but never refused
    node.miner.mine_now(1)
    assert {f.txid for f in block_facts(node.chain, node.chain.tip.hash)} == {
        locked.id,
        unlocked.id,
    }
    assert solvers(host, "non-final-then-mined") == [
        {"name": "ada", "height": node.chain.height, "evidence": locked.id, "first": True}
    ]


def test_only_refusals_a_challenge_asks_about_are_recorded_and_mined_alone_is_not_enough(host):
    fund(host, "ada", "bob")
    wallets = host.wallets
    cheap = wallets["ada"].build_payment(
        coins(host, "ada"), wallets["cy"].address, 50_000, fee_rate=0.5
    )
    assert submit(host, cheap).json()["error"]["code"] == "min-relay-fee-not-met"
    normal = wallets["bob"].build_payment(coins(host, "bob"), wallets["cy"].address, 50_000)
    assert submit(host, normal).status_code == 200
    host.node.miner.mine_now(1)
    assert host.classroom.refusals == {}
    assert solvers(host, "non-final-then-mined") == []
    # a refusal at or above the height where the transaction was mined is not "then mined"
    host.classroom.record_refusal(normal.id, "non-final", None, host.node.chain.height)
    assert solvers(host, "non-final-then-mined") == []
    host.classroom.record_refusal(cheap.id, "non-final", None, 0)  # not mined: no effect
    assert solvers(host, "non-final-then-mined") == []


def test_a_refused_transaction_of_nobodys_coins_goes_to_the_node_that_sent_it(host):
    """The host wallet's coins belong to no participant: the sender's address decides."""
    node = host.node
    body = {"name": "eve", "address": Wallet("w.json", [PrivateKey(0xE7E)]).address,
            "node": "testclient:9100", "token": JOIN}  # fmt: skip
    assert host.post("/api/classroom/join", json=body).status_code == 200
    node.miner.mine_now(1 + node.params.coinbase_maturity)  # to the host's own wallet
    next_height, maturity = node.chain.height + 1, node.params.coinbase_maturity
    utxos = {
        outpoint: coin
        for outpoint, coin in node.chain.utxos_for(node.wallet.script_pubkeys[0])
        if next_height - coin.height >= maturity
    }
    locked = node.wallet.build_payment(
        utxos, host.wallets["cy"].address, 50_000, locktime=node.chain.height + 1
    )
    assert submit(host, locked).json()["error"]["code"] == "non-final"
    node.miner.mine_now(1)
    reply = submit(host, locked)
    assert reply.status_code == 200, reply.text
    node.miner.mine_now(1)
    assert [s["name"] for s in solvers(host, "non-final-then-mined")] == ["eve"]


# --- the refusal record ---------------------------------------------------------------------


def test_the_refusal_record_is_bounded_per_sender_and_in_total():
    room = Classroom(None)
    for n in range(MAX_REFUSALS_PER_ORIGIN + 5):
        room.record_refusal(f"{n:064x}", "non-final", "10.0.0.9", 1)
    flood = [r for r in room.refusals.values() if r.origin == "10.0.0.9"]
    assert len(flood) == MAX_REFUSALS_PER_ORIGIN
    assert flood[0].txid == f"{5:064x}"  # the oldest went first
    assert room.record_refusal(f"{6:064x}", "non-final", "10.0.0.9", 1) is False  # known
    for n in range(MAX_REFUSALS):
        room.record_refusal(f"{n:032x}" * 2, "non-final", f"10.1.{n // 250}.{n % 250}", 1)
    assert len(room.refusals) == MAX_REFUSALS


def test_refusals_survive_a_restart_and_a_reset_clears_them(tmp_path):
    room = Classroom(tmp_path, join_token=JOIN)
    room.record_refusal("ab" * 32, "non-final", "127.0.0.5", 7)
    again = Classroom(tmp_path)
    assert again.refused("non-final")["ab" * 32].height == 7
    again.reset(10)
    assert Classroom(tmp_path).refusals == {}


def test_participant_at_matches_the_registered_node_host_only_when_unambiguous(tmp_path):
    room = Classroom(None, join_token=JOIN)
    for number, name in enumerate(("ada", "bob", "cy")):
        address = Wallet("w.json", [PrivateKey(100 + number)]).address
        node = "127.0.0.2:9001" if name == "cy" else f"127.0.0.{3 + number}:9000"
        room.join(name, address, node, JOIN)
    assert room.participant_at("127.0.0.4") == "bob"
    assert room.participant_at("127.0.0.4:9000") == "bob"
    assert room.participant_at("127.0.0.9") is None and room.participant_at(None) is None
    room.join("dee", Wallet("w.json", [PrivateKey(200)]).address, "127.0.0.4:9005", JOIN)
    assert room.participant_at("127.0.0.4") is None  # two participants on that machine


# --- the challenge file's options -----------------------------------------------------------


@pytest.mark.parametrize(
    ("options", "expected"),
    [
        ("check='multisig-spend'\nrequired=3\nkeys=2", "cannot exceed 'keys'"),
        ("check='multisig-spend'\nkeys=16", "option 'keys' must be 1..15"),
        ("check='low-fee'\nbelow=0", "option 'below' must be above 0"),
        ("check='low-fee'\nbelow='1'", "option 'below' must be above 0"),
        ("check='refused-then-mined'\nreason='Non Final'", "option 'reason' must be"),
        ("check='pay-classmates'\nclassmates=true", "option 'classmates' must be 1..100"),
    ],
)
def test_bad_checker_options_are_one_line(options, expected):
    text = f"[[challenge]]\nid='a'\ntitle='t'\npoints=1\n{options}\n"
    with pytest.raises(ChallengeFileError) as caught:
        parse_challenges(text, "set.toml")
    assert expected in str(caught.value) and "\n" not in str(caught.value)


# --- the participant's tools: the wallet command line against the host ----------------------


def wallet_cli(client, monkeypatch, name, *args):
    from click.testing import CliRunner

    from edu_chain.cli import main
    from edu_chain.cli import wallet as wallet_module

    monkeypatch.setattr(wallet_module, "_TRANSPORT", client._transport)
    keystore = client.wallets[name]
    if not keystore.path.exists():
        keystore.save()
    common = ["--node", "http://testserver"]
    if args[0] != "broadcast":  # it needs no keys
        common += ["--wallet", str(keystore.path)]
    return CliRunner().invoke(main, ["wallet", *args, *common])


def test_send_mine_puts_a_low_fee_payment_in_a_block_of_ones_own(host, monkeypatch):
    fund(host, "ada")
    bob = host.wallets["bob"].address
    refused = wallet_cli(host, monkeypatch, "ada", "send", bob, "0.001", "--fee-rate", "0.5")
    assert refused.exit_code != 0 and "min-relay-fee-not-met" in refused.output
    no_token = wallet_cli(host, monkeypatch, "ada", "send", bob, "0.001", "--fee-rate", "0.5",
                          "--mine")  # fmt: skip
    assert no_token.exit_code != 0 and "token" in no_token.output
    mined = wallet_cli(host, monkeypatch, "ada", "send", bob, "0.001", "--fee-rate", "0.5",
                       "--mine", "--token", TOKEN, "--json")  # fmt: skip
    assert mined.exit_code == 0, mined.output
    reply = json.loads(mined.output)
    assert reply["block"] == host.node.chain.tip.id and reply["fee"] < reply["vsize"]
    assert solvers(host, "below-1-sat-vbyte")[0]["evidence"] == reply["txid"]


def test_send_locktime_no_submit_then_broadcast_twice(host, monkeypatch):
    fund(host, "ada")
    node, cy = host.node, host.wallets["cy"].address
    locktime = str(node.chain.height + 2)
    built = wallet_cli(host, monkeypatch, "ada", "send", cy, "0.001", "--locktime", locktime,
                       "--no-submit")  # fmt: skip
    assert built.exit_code == 0, built.output
    raw = built.output.strip()
    tx = Transaction.parse(bytes.fromhex(raw))
    assert tx.locktime == int(locktime) and {i.sequence for i in tx.inputs} == {0xFFFFFFFE}
    assert tx.txid not in node.mempool  # nothing was submitted
    early = wallet_cli(host, monkeypatch, "ada", "broadcast", raw)
    assert early.exit_code != 0 and "non-final" in early.output
    node.miner.mine_now(2)
    later = wallet_cli(host, monkeypatch, "ada", "broadcast", raw)
    assert later.exit_code == 0 and tx.id in later.output
    node.miner.mine_now(1)
    assert [s["name"] for s in solvers(host, "non-final-then-mined")] == ["ada"]
    bad = wallet_cli(host, monkeypatch, "ada", "broadcast", "zz")
    assert bad.exit_code == 2 and "not a raw transaction" in bad.output


# --- the pace: the instructor's target beside the chain's own timestamps ------------------


def test_the_page_shows_the_pace_and_the_interval_measured_from_timestamps(host):
    node = host.node
    assert host.get("/api/classroom/info").json()["pace"] == {
        "target": None,
        "measured": None,
        "arrived": None,
        "blocks": 0,
        "since_height": 0,
        "consensus_spacing": node.params.target_spacing,
    }
    node.miner.mine_now(3)
    assert host.post("/api/classroom/control", json={"action": "pace", "interval": 7},
                     headers=AUTH).status_code == 200  # fmt: skip
    pace = host.get("/api/classroom/info").json()["pace"]
    assert pace["target"] == 7 and pace["blocks"] == 0 and pace["since_height"] == 3
    node.miner.mine_now(25)
    builder_time = node.chain.tip.timestamp + 40  # one slow block (timestamps are the miner's)
    node.submit_block(ChainBuilder(chain=node.chain).make_block(timestamp=builder_time))
    pace = host.get("/api/classroom/info").json()["pace"]
    stamps = [node.chain.block_at(h).header.timestamp for h in range(node.chain.height + 1)]
    assert pace["target"] == 7 and pace["blocks"] == 20 and pace["since_height"] == 3
    assert pace["measured"] == round((stamps[-1] - stamps[-21]) / 20, 2)
    assert pace["measured"] > node.params.target_spacing  # the slow block shows
    assert pace["arrived"] is not None and pace["arrived"] >= 0  # all seen by this host
