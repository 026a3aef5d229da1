"""``educhain node``: help, argument errors and start-up failures exit 2 with one clear line.

(Serving, syncing and shutdown are covered by tests/functional/test_node_*.py, which run the
command as a subprocess.)
"""

from __future__ import annotations

import socket

from click.testing import CliRunner

from edu_chain.chain import ChainParams, ChainState
from edu_chain.cli import main


def run(*args: str):
    return CliRunner().invoke(main, ["node", *args])


def test_help_has_examples():
    result = run("--help")
    assert result.exit_code == 0
    assert "Examples:" in result.output and "--peer" in result.output
    assert "--network" in result.output


def test_bad_peer_address():
    result = run("--peer", "not-an-address")
    assert result.exit_code == 2 and "host:port" in result.output


def test_bad_payout_address(tmp_path):
    result = run("--data-dir", str(tmp_path), "--address", "xyz")
    assert result.exit_code == 2 and "not a valid address" in result.output


def test_data_dir_of_another_chain_is_refused(tmp_path):
    ChainState(ChainParams.for_tests(), tmp_path / "chain.sqlite").close()
    result = run("--data-dir", str(tmp_path), "--network", "regtest", "--port", "0")
    assert result.exit_code == 2
    assert "unit-test" in result.output and "edu-regtest" in result.output


def test_port_in_use(tmp_path):
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        result = run("--data-dir", str(tmp_path), "--network", "unittest", "--port", str(port))
    assert result.exit_code == 2 and f"127.0.0.1:{port}" in result.output


def test_data_dir_that_cannot_be_created(tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a directory")
    result = run("--data-dir", str(blocker / "node"), "--network", "unittest", "--port", "0")
    assert result.exit_code == 2, result.output
    assert str(blocker / "node") in result.output and "Traceback" not in result.output


def test_database_that_cannot_be_opened(tmp_path):
    (tmp_path / "chain.sqlite").mkdir()  # a directory where the database file should be
    result = run("--data-dir", str(tmp_path), "--network", "unittest", "--port", "0")
    assert result.exit_code == 2, result.output
    assert "chain.sqlite" in result.output


def test_port_in_use_is_named_as_such(tmp_path):
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        result = run("--data-dir", str(tmp_path), "--network", "unittest", "--port", str(port))
    assert result.exit_code == 2
    assert "already in use" in result.output and "--port" in result.output


def test_host_that_is_not_an_address_of_this_machine(tmp_path):
    # 192.0.2.0/24 is TEST-NET-1 (RFC 5737): never assigned to a real interface.
    result = run("--data-dir", str(tmp_path), "--network", "unittest", "--host", "192.0.2.1")
    assert result.exit_code == 2
    assert "192.0.2.1" in result.output and "in use" not in result.output


def test_an_empty_token_is_refused(tmp_path):
    result = run("--data-dir", str(tmp_path), "--network", "unittest", "--token", " ")
    assert result.exit_code == 2 and "empty token" in result.output
