"""Classroom mode in process: challenge files, registration, the leaderboard and challenges
scored from a real (unit-test chain) node, the instructor's controls, the CLI's refusals.

Oracles: the node's own blocks read back one by one (``ChainState.block_at``) and the
public ``GET /api/address/{address}`` for balances; transactions built and signed by the
wallet package; refusals change nothing (the state is compared before and after).
"""

from __future__ import annotations

import json
from collections import Counter

import pytest
from click.testing import CliRunner
from fastapi.testclient import TestClient

from edu_chain.chain.builder import ChainBuilder
from edu_chain.classroom import ChallengeFileError, Classroom, load_challenges
from edu_chain.classroom.challenges import parse_challenges
from edu_chain.classroom.routes import install
from edu_chain.cli import main
from edu_chain.keys import PrivateKey
from edu_chain.node.api import create_app
from edu_chain.node.service import Node, NodeConfig
from edu_chain.pow.target import block_work
from edu_chain.script.address import script_pubkey_to_address
from edu_chain.wallet import Wallet

TOKEN = "teacher"
JOIN = "jt"
NAMES = ("ada", "bob", "cy", "dee")

# --- challenge files --------------------------------------------------------------------


def test_starter_set_loads():
    ids = [c.id for c in load_challenges()]
    assert ids == [
        "coinbase-name",
        "three-classmates",
        "reorg-someone",
        "multisig-2-of-3",
        "below-1-sat-vbyte",
        "non-final-then-mined",
    ]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("[[challenge]\nid=", "not valid TOML"),
        ("title = 'x'", "no [[challenge]] tables"),
        ("[[challenge]]\nid='a'\ntitle='t'\ncheck='nope'\npoints=1", "unknown check 'nope'"),
        ("[[challenge]]\nid='a'\ntitle='t'\ncheck='coinbase-name'", "'points' must be a int"),
        ("[[challenge]]\nid='A B'\ntitle='t'\ncheck='coinbase-name'\npoints=1", "lowercase"),
        (
            "[[challenge]]\nid='a'\ntitle='t'\ncheck='coinbase-name'\npoints=1\n" * 2,
            "duplicate id 'a'",
        ),
    ],
)
def test_malformed_challenge_file_is_one_line(text, expected):
    with pytest.raises(ChallengeFileError) as caught:
        parse_challenges(text, "set.toml")
    message = str(caught.value)
    assert expected in message and message.startswith("set.toml") and "\n" not in message


# --- a host in process ------------------------------------------------------------------


@pytest.fixture
def host(tmp_path):
    node = Node(NodeConfig(network="unittest", token=TOKEN, name="ada-host"))
    app = create_app(node)
    install(app, node, Classroom(tmp_path, join_token=JOIN), load_challenges())
    wallets = {n: Wallet(tmp_path / f"{n}.json", [PrivateKey.generate()]) for n in NAMES}
    with TestClient(app, raise_server_exceptions=False) as client:
        client.node, client.wallets, client.data_dir = node, wallets, tmp_path
        yield client
    node.stop()


def join(client, name, address, token=JOIN, node=None):
    node = node or f"127.0.0.2:{9000 + len(name) * 100 + sum(map(ord, name)) % 100}"  # one per name
    body = {"name": name, "address": address, "node": node, "token": token}
    return client.post("/api/classroom/join", json=body)


def board(client):
    return {row["name"]: row for row in client.get("/api/classroom/leaderboard").json()}


def controls(client, action, token=TOKEN, **extra):
    headers = {"X-EduChain-Token": token} if token else {}
    return client.post("/api/classroom/control", json={"action": action, **extra}, headers=headers)


def test_join_refusals_change_nothing(host):
    ada = host.wallets["ada"].address
    assert join(host, "ada", ada).status_code == 200
    assert join(host, "ada", ada).status_code == 200  # a rejoin from the same wallet
    before = host.get("/api/classroom/leaderboard").json()
    cases = [
        (join(host, "eve", host.wallets["bob"].address, token="nope"), 403, "bad-join-token"),
        (join(host, "ada", host.wallets["bob"].address), 409, "name-taken"),
        (join(host, "ada2", ada), 409, "address-taken"),
        (join(host, "", host.wallets["bob"].address), 400, "bad-name"),
        (join(host, "bob", "bcrt1notanaddress"), 400, "bad-address"),
        (join(host, "bob", host.wallets["bob"].address, node="no-port"), 400, "bad-node-address"),
    ]
    for reply, status, code in cases:
        assert reply.status_code == status and reply.json()["error"]["code"] == code
    assert host.get("/api/classroom/leaderboard").json() == before
    assert [r["name"] for r in before] == ["ada"]


def test_leaderboard_and_challenges_from_the_chain(host):
    node, wallets = host.node, host.wallets
    for name in NAMES:
        assert join(host, name, wallets[name].address).status_code == 200
    scripts = {n: wallets[n].script_pubkeys[0] for n in NAMES}
    node.miner.mine_now(3, scripts["ada"])
    node.miner.mine_now(2, scripts["bob"])
    node.miner.mine_now(4)  # the host's own wallet: nobody's
    rows = board(host)

    counted = Counter()
    for height in range(1, node.chain.height + 1):
        for out in node.chain.block_at(height).transactions[0].outputs:
            counted[script_pubkey_to_address(out.script_pubkey)] += 1
    for name in NAMES:
        row = rows[name]
        assert row["blocks"] == counted[wallets[name].address]
        assert row["balance"] == host.get(f"/api/address/{row['address']}").json()["balance"]
        assert row["stale_blocks"] == 0
    assert [r["name"] for r in host.get("/api/classroom/leaderboard").json()][:2] == [
        "ada",
        "bob",
    ]
    bits = node.chain.tip.header.bits  # unit-test chain: one target throughout
    span = node.chain.tip.timestamp - node.chain.active[0].timestamp
    assert rows["ada"]["hash_rate"] == round(3 * block_work(bits) / span, 3)

    scores = host.get("/api/classroom/challenges").json()
    by_id = {c["id"]: c for c in scores["challenges"]}
    # the node's coinbases say "ada-host", which contains "ada": ada's blocks count
    assert by_id["coinbase-name"]["first"] == "ada"
    assert [s["name"] for s in by_id["coinbase-name"]["solvers"]] == ["ada"]
    assert by_id["three-classmates"]["solvers"] == []

    coins = dict(node.chain.utxos_for(scripts["ada"]))
    two = wallets["ada"].build_transaction(
        coins, [(wallets[n].address, 50_000) for n in ("bob", "cy")], fee_rate=2
    )
    node.submit_tx(two)
    node.miner.mine_now(1)
    assert host.get("/api/classroom/challenges").json()["challenges"][1]["solvers"] == []
    coins = dict(node.chain.utxos_for(scripts["ada"]))
    three = wallets["ada"].build_transaction(
        coins, [(wallets[n].address, 50_000) for n in ("bob", "cy", "dee")], fee_rate=2
    )
    node.submit_tx(three)
    node.miner.mine_now(1)
    row = host.get("/api/classroom/challenges").json()["challenges"][1]
    assert row["first"] == "ada"
    assert row["solvers"] == [
        {"name": "ada", "height": node.chain.height, "evidence": three.id, "first": True}
    ]
    points = {
        p["name"]: p["points"] for p in host.get("/api/classroom/challenges").json()["points"]
    }
    assert points == {"ada": 4}


def test_a_reorg_that_removes_someone_elses_block_is_scored(host):
    node, wallets = host.node, host.wallets
    for name in NAMES:
        join(host, name, wallets[name].address)
    scripts = {n: wallets[n].script_pubkeys[0] for n in NAMES}
    node.miner.mine_now(2)
    fork_point = node.chain.tip
    ada_block = node.miner.mine_now(1, scripts["ada"])[0]
    builder = ChainBuilder(chain=node.chain)
    first = builder.make_block(parent=fork_point, script_pubkey=scripts["bob"])
    node.submit_block(first)
    assert node.chain.tip.id == ada_block.id  # a tie: first seen stays
    second = builder.make_block(parent=first, script_pubkey=scripts["cy"])
    assert node.submit_block(second)[0] == "reorg"
    rows = board(host)
    assert rows["ada"]["stale_blocks"] == 1 and rows["ada"]["blocks"] == 0
    row = host.get("/api/classroom/challenges").json()["challenges"][2]
    assert row["id"] == "reorg-someone"
    assert row["solvers"] == [
        {"name": "bob", "height": fork_point.height + 1, "evidence": first.id, "first": True}
    ]
    info = host.get("/api/classroom/info").json()
    assert info["reorgs"][-1]["disconnected"] == [ada_block.id]


def test_controls_need_the_instructor_token_and_reset_starts_afresh(host):
    for name in NAMES:
        join(host, name, host.wallets[name].address)
    host.node.miner.mine_now(2, host.wallets["ada"].script_pubkeys[0])
    assert controls(host, "pause", token=None).status_code == 401
    assert controls(host, "pause", token=JOIN).status_code == 403
    assert host.get("/api/classroom/info").json()["controls"]["mining"] is True
    assert controls(host, "pause").json()["controls"]["mining"] is False
    directives = host.get("/api/classroom/directives", params={"name": "bob"}).json()
    assert directives["mining"] is False and directives["connect"] == ["testserver:80"]

    refused = controls(host, "partition", group_b=["bob", "zed"])
    assert refused.status_code == 400 and refused.json()["error"]["code"] == "bad-control"
    assert host.get("/api/classroom/info").json()["controls"]["partition"] is None
    assert controls(host, "partition", group_b=["cy", "dee"]).status_code == 200
    cy = host.get("/api/classroom/directives", params={"name": "cy"}).json()
    dee = host.get("/api/classroom/directives", params={"name": "dee"}).json()
    assert cy["group"] == "B" and cy["connect"] == [] and "testserver:80" in cy["drop"]
    assert dee["connect"] == [f"127.0.0.2:{9000 + 200 + (ord('c') + ord('y')) % 100}"]  # cy's
    assert controls(host, "heal").json()["controls"]["partition"] is None

    assert controls(host, "pace", interval=5).status_code == 200
    ada = host.get("/api/classroom/directives", params={"name": "ada"}).json()
    assert ada["pace"] == 5 and ada["miners"] == len(NAMES)

    bad = host.post(
        "/api/classroom/challenges", json={"toml": "nope ="}, headers={"X-EduChain-Token": TOKEN}
    )
    assert bad.status_code == 400 and bad.json()["error"]["code"] == "bad-challenge-file"
    assert len(host.get("/api/classroom/challenges").json()["challenges"]) == 6

    assert controls(host, "reset").json()["participants"] == 0
    assert host.get("/api/classroom/leaderboard").json() == []
    gone = host.get("/api/classroom/directives", params={"name": "ada"})
    assert gone.status_code == 404 and gone.json()["error"]["code"] == "not-registered"
    join(host, "ada", host.wallets["ada"].address)
    assert board(host)["ada"]["blocks"] == 0  # blocks before the reset do not count


def test_reset_clears_everything_of_the_last_group(host):
    """After a reset the next group starts from nothing: no participants, no scores, no
    solvers, no partition, no pace, no reorg on the page; only blocks above the height of
    the reset count (the chain itself is never rewound)."""
    node, wallets = host.node, host.wallets
    for name in NAMES:
        join(host, name, wallets[name].address)
    scripts = {n: wallets[n].script_pubkeys[0] for n in NAMES}
    node.miner.mine_now(2, scripts["ada"])
    fork_point = node.chain.tip
    node.miner.mine_now(1, scripts["ada"])
    builder = ChainBuilder(chain=node.chain)
    first = builder.make_block(parent=fork_point, script_pubkey=scripts["bob"])
    node.submit_block(first)
    node.submit_block(builder.make_block(parent=first, script_pubkey=scripts["bob"]))
    assert controls(host, "partition", group_b=["cy"]).status_code == 200
    assert controls(host, "pace", interval=9).status_code == 200
    before = host.get("/api/classroom/challenges").json()
    assert {c["id"]: c["first"] for c in before["challenges"]}["reorg-someone"] == "bob"
    assert host.get("/api/classroom/info").json()["reorgs"]
    session = host.get("/api/classroom/info").json()["session"]

    assert controls(host, "reset").status_code == 200
    info = host.get("/api/classroom/info").json()
    assert info["session"] != session and info["participants"] == 0
    assert info["start_height"] == node.chain.height
    assert info["controls"] == {"mining": True, "interval": None, "partition": None}
    assert info["reorgs"] == [] and info["pace"]["target"] is None
    after = host.get("/api/classroom/challenges").json()
    assert all(c["solvers"] == [] and c["first"] is None for c in after["challenges"])
    assert after["points"] == []
    assert host.get("/api/classroom/leaderboard").json() == []
    stored = json.loads((host.data_dir / "classroom.json").read_text())
    assert stored["participants"] == [] and stored["controls"]["partition"] is None

    # the next group: the same wallets rejoin and only their new blocks count
    for name in NAMES:
        join(host, name, wallets[name].address)
    assert all(row["blocks"] == 0 and row["stale_blocks"] == 0 for row in board(host).values())
    node.miner.mine_now(1, scripts["dee"])
    rows = board(host)
    assert rows["dee"]["blocks"] == 1 and rows["bob"]["blocks"] == 0


def test_a_mining_host_follows_pause_and_resume(tmp_path):
    node = Node(NodeConfig(network="unittest", token=TOKEN, mine=True, mine_interval=60))
    app = create_app(node)
    install(app, node, Classroom(tmp_path, join_token=JOIN), load_challenges())
    node.miner.start(enabled=True)
    try:
        with TestClient(app) as client:
            controls(client, "pause")
            assert node.miner.enabled is False
            controls(client, "resume")
            assert node.miner.enabled is True
            controls(client, "pace", interval=6)  # the host mines at the room's pace too
            assert node.miner.pace == 6
            controls(client, "pace")
            assert node.miner.pace is None
    finally:
        node.stop()


def test_classroom_state_survives_a_restart(tmp_path):
    room = Classroom(tmp_path, join_token=JOIN)
    address = Wallet(tmp_path / "w.json", [PrivateKey(7)]).address
    room.join("ada", address, "127.0.0.2:1", JOIN)
    room.partition(["ada"])
    again = Classroom(tmp_path)
    assert again.join_token == JOIN and again.session == room.session
    assert [p.name for p in again.roster()] == ["ada"] and again.group_b() == ["ada"]


# --- the command line -------------------------------------------------------------------


def run(*args):
    return CliRunner().invoke(main, ["classroom", *args])


def test_help_has_examples():
    for command in ("host", "join"):
        result = run(command, "--help")
        assert result.exit_code == 0 and "Example" in result.output


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("[[challenge]]\nid = 'x'\n", "'title' must be a str"),  # a missing field
        ("[[challenge]\nid = 'x'\n", "not valid TOML"),  # a syntax error
        (
            "[[challenge]]\nid='x'\ntitle='t'\npoints=1\ncheck='mine-a-lot'\n",
            "unknown check 'mine-a-lot'",
        ),
    ],
)
def test_host_refuses_a_malformed_challenge_file(tmp_path, text, expected):
    bad = tmp_path / "bad.toml"
    bad.write_text(text)
    result = run("host", "--data-dir", str(tmp_path / "h"), "--challenges", str(bad))
    assert result.exit_code == 2
    assert result.output.strip().count("\n") == 0 and expected in result.output
    assert str(bad) in result.output
    assert not (tmp_path / "h").exists()


def test_join_needs_a_port_and_a_host(tmp_path):
    result = run("join", "http://127.0.0.1:9", "--name", "ada", "--data-dir", str(tmp_path / "a"))
    assert result.exit_code == 2 and "--port" in result.output
    result = run(
        "join", "http://127.0.0.1:9/?token=x", "--name", "ada", "--data-dir", str(tmp_path / "a"),
        "--port", "18999",
    )  # fmt: skip
    assert result.exit_code == 2 and "not a classroom host" in result.output
    assert result.output.strip().count("\n") == 0
    assert not (tmp_path / "a").exists()
