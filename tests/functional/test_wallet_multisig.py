"""Multi-node: a 2-of-3 P2WSH multisig receives coins, two signers on two different wallets
sign one PSBT each, a third party combines and broadcasts it on another node, and it confirms;
a CLTV-locked output is refused before its height and accepted after.

Everything a class would type: ``educhain wallet`` commands (run in-process with click's
runner, talking HTTP to real ``educhain node`` subprocesses, tests/functional/harness.py).
Oracles: the nodes themselves (the mempool and block validation run every input's scripts
with Core's flags) and the balances they report afterwards.
"""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from edu_chain.cli import main
from edu_chain.cli.wallet import address_coins
from edu_chain.keys import PrivateKey
from edu_chain.node.client import NodeRefusedError
from edu_chain.script.checker import SIGVERSION_WITNESS_V0
from edu_chain.script.opcodes import Opcode
from edu_chain.script.script import push_data, push_int
from edu_chain.script.sign import create_signature
from edu_chain.script.standard import p2wsh_for
from edu_chain.tx import COIN, OutPoint, Transaction, TxIn, TxOut
from edu_chain.wallet import Wallet
from edu_chain.wallet.addresses import address_of
from tests.functional.harness import NodeHarness, wait_until

pytestmark = [pytest.mark.slow, pytest.mark.timeout(180)]


def wallet_cli(*args: str) -> str:
    result = CliRunner().invoke(main, ["wallet", *args])
    assert result.exit_code == 0, f"educhain wallet {' '.join(args)}:\n{result.output}"
    return result.stdout


def refused(*args: str) -> str:
    result = CliRunner().invoke(main, ["wallet", *args])
    assert result.exit_code == 2, result.output
    return result.output


@pytest.mark.parametrize("kind", ["p2wsh", "p2sh"])
def test_two_of_three_signed_on_two_laptops_confirms(tmp_path, kind):
    """P2WSH is the issue's case; legacy P2SH also makes ``psbt create`` fetch the funding
    transaction from the node (``GET /api/tx/{txid}``), as its signers need it."""
    with NodeHarness(tmp_path / "nodes", nodes=2) as h:
        node0, node1 = h.nodes
        h.connect(node1, node0)
        url0, url1 = node0.url, node1.url
        miner_wallet = str(node0.data_dir / "wallet.json")

        h.log.info("three people make wallets and share their public keys")
        people = {}
        for name in ("alice", "bob", "carol", "dave"):
            people[name] = str(tmp_path / f"{name}.json")
            wallet_cli("new", "--wallet", people[name])
        keys = [
            wallet_cli("pubkey", "--wallet", people[n]).strip() for n in ("alice", "bob", "carol")
        ]
        team = str(tmp_path / "team.json")
        wallet_cli("multisig", "create", "2", *keys, "--type", kind, "--out", team)
        address = json.loads((tmp_path / "team.json").read_text())["address"]
        if kind == "p2wsh":
            assert address.startswith("bcrt1q") and len(address) == 64  # 32-byte program
        else:
            assert address.startswith("2")
        dave = wallet_cli("address", "--wallet", people["dave"]).strip()

        h.log.info("node0 mines to its wallet, then pays 20 coins to the multisig")
        node0.mine(5)
        wallet_cli("send", address, "20", "--wallet", miner_wallet, "--node", url0)
        node0.mine(1)
        h.sync_blocks()
        held = json.loads(wallet_cli("multisig", "balance", team, "--node", url1, "--json"))
        assert held["balance"] == 20 * COIN

        h.log.info("anyone creates the PSBT; alice and carol each sign their own copy")
        unsigned = str(tmp_path / "pay.psbt")
        wallet_cli("psbt", "create", team, dave, "7.5", "--node", url0, "--out", unsigned)
        copies = []
        for name in ("alice", "carol"):
            copies.append(str(tmp_path / f"pay-{name}.psbt"))
            wallet_cli("psbt", "sign", unsigned, "--wallet", people[name], "--out", copies[-1])

        h.log.info("one signature is not enough: finalize refuses, nothing reaches a node")
        assert "needs 2 signatures, has 1" in refused("psbt", "finalize", copies[0])
        assert node0.mempool_txids() == node1.mempool_txids() == set()

        h.log.info("a third party combines both copies and broadcasts on node1")
        signed = str(tmp_path / "pay-signed.psbt")
        wallet_cli("psbt", "combine", *copies, "--out", signed)
        sent = json.loads(
            wallet_cli("psbt", "finalize", signed, "--broadcast", "--node", url1, "--json")
        )
        txid = sent["txid"]
        wait_until(
            lambda: all(txid in n.mempool_txids() for n in h.nodes),
            what="the multisig spend in both mempools",
        )

        h.log.info("node0 mines it; both nodes see it confirmed and the new balances")
        node0.mine(1)
        h.sync_blocks()
        for node in h.nodes:
            assert node.get(f"/api/tx/{txid}")["status"] == "confirmed"
        paid = node1.get(f"/api/address/{dave}")
        assert paid["balance"] == 750_000_000
        left = json.loads(wallet_cli("multisig", "balance", team, "--node", url0, "--json"))
        fee = 20 * COIN - 750_000_000 - left["balance"]
        assert 0 < fee < 10_000  # the change came back to the multisig, a fee by vsize paid


def cltv_script(height: int, key: PrivateKey) -> bytes:
    """``<height> OP_CHECKLOCKTIMEVERIFY OP_DROP <pubkey> OP_CHECKSIG``: key's, from height on."""
    return (
        push_int(height)
        + bytes([Opcode.OP_CHECKLOCKTIMEVERIFY, Opcode.OP_DROP])
        + push_data(key.public_key.sec())
        + bytes([Opcode.OP_CHECKSIG])
    )


def test_a_cltv_locked_output_is_refused_before_its_height_and_accepted_after(tmp_path):
    with NodeHarness(tmp_path / "nodes", nodes=1) as h:
        (node,) = h.nodes
        miner = Wallet.load(node.data_dir / "wallet.json")
        node.mine(5)
        key = PrivateKey(0xC17)
        unlock = node.tip()["height"] + 4
        script = cltv_script(unlock, key)
        h.log.info("the node's wallet pays 1 coin to a P2WSH output locked until height %d", unlock)
        coins = address_coins(node.url, miner.address)[1]
        funding = miner.build_payment(coins, address_of(p2wsh_for(script)), COIN)
        node.submit_tx(funding.serialize().hex())
        node.mine(1)
        locked = OutPoint(funding.txid, 0)

        def spend(locktime: int) -> str:
            # A sequence below 0xffffffff, or the locktime (and so CLTV) would be ignored.
            unsigned = Transaction(
                2,
                [TxIn(locked, sequence=0xFFFFFFFE)],
                [TxOut(COIN - 1_000, miner.script_pubkeys[0])],
                locktime,
            )
            signature = create_signature(
                key, unsigned, 0, script, amount=COIN, sigversion=SIGVERSION_WITNESS_V0
            )
            return unsigned.with_input(0, witness=(signature, script)).serialize().hex()

        h.log.info("at height %d: a spend with locktime %d is not final yet", unlock - 3, unlock)
        with pytest.raises(NodeRefusedError) as refused_early:
            node.submit_tx(spend(unlock))
        assert refused_early.value.code == "non-final"
        h.log.info("a final spend whose locktime is below the script's height fails the script")
        with pytest.raises(NodeRefusedError) as refused_script:
            node.submit_tx(spend(node.tip()["height"]))  # final in the next block
        assert "script-verify-flag" in refused_script.value.code
        assert "locktime" in str(refused_script.value).lower()
        assert node.mempool_txids() == set()

        # Final means locktime < the block's height, so block unlock + 1 is the first.
        h.log.info("mine to height %d: now the next block may hold it", unlock)
        node.mine(unlock - node.tip()["height"])
        txid = node.submit_tx(spend(unlock)).txid
        node.mine(1)
        assert node.get(f"/api/tx/{txid}")["status"] == "confirmed"
