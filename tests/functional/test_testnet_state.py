"""``testnet.json`` records the chain its nodes really run, also when none was asked for.

Oracle: the nodes' own ``GET /api/info`` (the chain's name) against the state file.
"""

from __future__ import annotations

import json

import httpx
import pytest
from click.testing import CliRunner

from edu_chain.cli import main
from edu_chain.node.service import network_params
from edu_chain.node.testnet import STATE_FILE, TestnetState

pytestmark = [pytest.mark.slow, pytest.mark.timeout(180)]


def test_up_without_network_records_the_chain_the_nodes_run(tmp_path):
    up = CliRunner().invoke(main, ["testnet", "up", "--nodes", "1", "--dir", str(tmp_path)])
    try:
        assert up.exit_code == 0, up.output
        recorded = json.loads((tmp_path / STATE_FILE).read_text(encoding="utf-8"))["network"]
        assert recorded is not None
        node = TestnetState.load(tmp_path).nodes[0]
        info = httpx.get(f"http://127.0.0.1:{node.port}/api/info", timeout=10).json()
        assert info["network"]["name"] == network_params(recorded).name
    finally:
        down = CliRunner().invoke(main, ["testnet", "down", "--dir", str(tmp_path)])
        assert down.exit_code == 0, down.output
