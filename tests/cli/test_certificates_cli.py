"""``educhain certificates`` without a node: help with examples, usage errors (exit 2, one
line), nothing contacted before the arguments are known to be good."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from edu_chain.certificates.issue import build_batch, certificates_for, read_gradebook
from edu_chain.cli import main
from edu_chain.keys import PrivateKey
from edu_chain.tx import OutPoint, TxOut
from edu_chain.wallet import Wallet
from tests.certificates_data import write_gradebook

UNREACHABLE = "http://127.0.0.1:9"


def run(*args: str):
    return CliRunner().invoke(main, ["certificates", *args])


@pytest.mark.parametrize("command", ["issue", "verify", "revoke", "export-headers", "confirm"])
def test_help_has_an_example(command):
    result = run(command, "--help")
    assert result.exit_code == 0 and "Example" in result.output


def one_line_usage_error(result, text):
    assert result.exit_code == 2, result.output
    assert text in result.output
    assert len(result.output.strip().splitlines()) == 1, result.output


@pytest.fixture
def issued(tmp_path):
    grades = read_gradebook(write_gradebook(tmp_path / "book.sqlite"))
    wallet = Wallet.create(tmp_path / "issuer.json", keys=[PrivateKey(0x1550E4)])
    bodies, tree = build_batch(
        grades, ["ada", "bob"], course="C", date="2026-12-07",
        issuer_public_key=wallet.public_keys[0], min_score=0.6,
    )  # fmt: skip
    coins = {OutPoint(bytes(32), 0): TxOut(100_000, wallet.script_pubkeys[0])}
    tx = wallet.build_transaction(coins, [], data=b"EDUC" + tree.root)
    cert = certificates_for(bodies, tree, tx, coins[OutPoint(bytes(32), 0)])[0]
    cert.write(tmp_path / "ada.json")
    return tmp_path, wallet


def test_usage_errors_before_any_node_is_asked(issued):
    tmp_path, wallet = issued
    book = str(tmp_path / "book.sqlite")
    common = ["--node", UNREACHABLE, "--wallet", str(wallet.path), "--course", "C"]
    one_line_usage_error(
        run("issue", book, *common, "--min-score", "60", "--out", str(tmp_path / "o")),
        "fraction",
    )
    one_line_usage_error(
        run(
            "revoke",
            str(tmp_path / "ada.json"),
            "--node",
            UNREACHABLE,
            "--wallet",
            str(wallet.path),
            "--reason",
            "x" * 256,
        ),
        "at most 255",
    )
    other = Wallet.create(tmp_path / "other.json")
    one_line_usage_error(
        run(
            "revoke",
            str(tmp_path / "ada.json"),
            "--node",
            UNREACHABLE,
            "--wallet",
            str(other.path),
            "--reason",
            "x",
        ),
        "was not issued by this wallet",
    )
    one_line_usage_error(run("verify", str(tmp_path / "nope.json")), "cannot read")
    missing_dir = run("confirm", str(tmp_path / "o2"))  # click's own usage error format
    assert missing_dir.exit_code == 2 and "does not exist" in missing_dir.output
    one_line_usage_error(
        run("verify", str(tmp_path / "ada.json"), "--node", UNREACHABLE), "no node"
    )
    bad = tmp_path / "headers.json"
    bad.write_text(
        json.dumps({"format": "edu_chain-headers", "network": "unit-test", "headers": []})
    )
    one_line_usage_error(
        run("verify", str(tmp_path / "ada.json"), "--headers", str(bad)), "holds no header"
    )
