"""``educhain scholarship cancel`` on a real node process: a PSBT whose signers never come back.

The invariant is the issue's: a student is never paid twice.  A waiting PSBT may be signed on
a laptop and broadcast later through any node, so the cancel double-spends its coins.

Oracles: the node's own acceptance or refusal of each transaction (its mempool conflicts and
spent-coin checks), each student's balance as the node reports it (``GET /api/address``),
the inputs of the transactions the node holds (``GET /api/tx``), and the report's two sides.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from edu_chain.node.client import NodeClient, NodeRefusedError
from edu_chain.psbt import Psbt, combine, extract, finalize
from edu_chain.scholarship import Registry, Terms, load_signers, run_payout
from edu_chain.scholarship.treasury import cancel_waiting
from edu_chain.tx import COIN
from edu_chain.wallet import Wallet
from tests.functional.harness import NodeHarness
from tests.functional.test_scholarship_payouts import (
    balance,
    cli,
    funded_treasury,
    register,
    students,
)

pytestmark = pytest.mark.slow


def states(fund) -> list[str]:
    with Registry(fund) as registry:
        return [b.state for b in registry.batches()]


def signed_copies(tmp_path, fund, unsigned, signers=(1, 2)) -> list[str]:
    """The signers sign the PSBT on their laptops (and keep their copies)."""
    copies = []
    for n in signers:
        out = tmp_path / f"pay-{n}.psbt"
        cli("scholarship", "sign", str(unsigned), "--signer", str(fund / f"signer{n}.json"),
            "--out", str(out))  # fmt: skip
        copies.append(str(out))
    return copies


def last_json(out: str) -> dict:
    """The JSON reply: the last line (progress lines go to stderr, which CliRunner mixes in)."""
    return json.loads(out.strip().splitlines()[-1])


def final_tx_hex(copies: list[str]) -> str:
    merged = combine(*[Psbt.load(Path(path).read_bytes()) for path in copies])
    return extract(finalize(merged)).serialize().hex()


def test_a_psbt_never_brought_back_is_cancelled_and_its_students_paid_once(tmp_path):
    fund = tmp_path / "fund"
    class_ = students(3, tmp_path)
    with NodeHarness(tmp_path, nodes=1) as h:
        node = h.nodes[0]
        h.log.info("two coins: a payout free to choose would take the other, confirmed one")
        treasury = funded_treasury(h, fund, node, blocks=2)
        register(fund, class_)
        unsigned = tmp_path / "pay.psbt"
        cli("scholarship", "payout", "--dir", str(fund), "--node", node.url, "--amount", "1",
            "--psbt-out", str(unsigned))  # fmt: skip
        h.log.info("two signers sign on their laptops, then the laptop with both is lost")
        old_copies = signed_copies(tmp_path, fund, unsigned)
        old_hex = final_tx_hex(old_copies)
        assert states(fund) == ["waiting"]

        base = ["scholarship", "cancel", "--dir", str(fund), "--node", node.url]
        signers_13 = f"{fund / 'signer1.json'},{fund / 'signer3.json'}"
        stranger = Wallet.create(tmp_path / "stranger.json")
        h.log.info("refusals: one line, exit 2, nothing sent, registry unchanged")
        refusals = [
            (["--signers", str(fund / "signer1.json")], "needs 2 of 3"),
            (["--signers", f"{fund / 'signer1.json'},{stranger.path}"], "no key of this treasury"),
            (["--signers", signers_13, "--batch", "9"], "there is no batch 9"),
        ]
        for extra, expected in refusals:
            out = cli(*base, *extra, code=2)
            assert expected in out and len(out.strip().splitlines()) == 1, out
        out = cli("scholarship", "cancel", "--dir", str(fund), "--node", "http://127.0.0.1:9",
                  "--signers", signers_13, code=2)  # fmt: skip
        assert "127.0.0.1:9" in out and len(out.strip().splitlines()) == 1
        assert node.mempool_txids() == set() and states(fund) == ["waiting"]
        with Registry(fund) as registry:
            assert registry.cancels() == {} and registry.unpaid() == []

        h.log.info("a cancel interrupted after it was recorded, before the node saw it")
        with Registry(fund) as registry, NodeClient(node.url) as client:
            signers = load_signers([fund / "signer1.json", fund / "signer3.json"],
                                   registry.treasury)  # fmt: skip

            def crash(client, tx):
                raise KeyboardInterrupt

            with pytest.raises(KeyboardInterrupt):
                cancel_waiting(registry, client, signers, broadcast=crash)
            ((recorded_txid, recorded_hex, cancel_fee),) = registry.cancels().values()
            assert registry.unpaid() == []  # held: the old PSBT may still win
        assert states(fund) == ["cancelling"] and node.mempool_txids() == set()
        signers_12 = f"{fund / 'signer1.json'},{fund / 'signer2.json'}"
        out = cli("scholarship", "payout", "--dir", str(fund), "--node", node.url,
                  "--amount", "1", "--signers", signers_12, code=2)  # fmt: skip
        assert "is being cancelled" in out and len(out.strip().splitlines()) == 1
        out = cli("scholarship", "broadcast", "--dir", str(fund), "--node", node.url,
                  *old_copies, code=2)  # fmt: skip
        assert "was cancelled" in out and len(out.strip().splitlines()) == 1
        assert node.mempool_txids() == set() and states(fund) == ["cancelling"]
        out = cli("scholarship", "report", "--dir", str(fund), "--node", node.url, code=1)
        assert f"batch 1: its cancel transaction {recorded_txid} is not on the node" in out

        h.log.info("the rerun sends the same cancel bytes, once")
        reply = json.loads(cli(*base, "--signers", signers_13, "--json"))
        assert reply == {"txid": recorded_txid, "cancelled": [1], "unpaid": 3}
        assert node.mempool_txids() == {recorded_txid}
        with NodeClient(node.url) as client:
            assert client.tx(recorded_txid)["hex"] == recorded_hex
            assert client.tx(recorded_txid)["fee"] == cancel_fee
        assert states(fund) == ["cancelled"]
        report = json.loads(cli("scholarship", "report", "--dir", str(fund), "--node", node.url,
                                "--json"))  # fmt: skip
        assert report["problems"] == [] and report["payments"] == 0
        assert report["totals"]["fees"] == cancel_fee and report["totals"]["difference"] == 0
        out = cli(*base, "--signers", signers_13, code=2)
        assert "no batch waits for signatures" in out and len(out.strip().splitlines()) == 1
        out = cli(*base, "--signers", signers_13, "--batch", "1", code=2)
        assert "batch 1 is cancelled" in out

        h.log.info("the old transaction, signed, reaches the node: it conflicts, refused")
        with pytest.raises(NodeRefusedError) as refused:
            node.submit_tx(old_hex)
        assert refused.value.code == "txn-mempool-conflict"
        out = cli("scholarship", "broadcast", "--dir", str(fund), "--node", node.url,
                  *old_copies, code=2)  # fmt: skip
        assert "was cancelled" in out and "can never be mined" in out
        assert node.mempool_txids() == {recorded_txid} and states(fund) == ["cancelled"]

        h.log.info("a new payout, the cancel still unconfirmed: it spends the cancel's output")
        reply = last_json(cli("scholarship", "payout", "--dir", str(fund), "--node", node.url,
                               "--amount", "1", "--signers", signers_12, "--json"))  # fmt: skip
        assert reply["paid"] == 3 and len(reply["txids"]) == 1
        new_txid = reply["txids"][0]
        with NodeClient(node.url) as client:
            assert {i["txid"] for i in client.tx(new_txid)["vin"]} == {recorded_txid}
        assert states(fund) == ["cancelled", "broadcast"]
        node.mine(1)
        for _, _, address in class_:
            assert balance(node, address) == COIN  # paid exactly once
        with pytest.raises(NodeRefusedError):  # its coin is spent on the chain now
            node.submit_tx(old_hex)
        again = last_json(cli("scholarship", "payout", "--dir", str(fund), "--node", node.url,
                               "--amount", "1", "--signers", signers_12, "--json"))  # fmt: skip
        assert again == {"txids": [], "paid": 0}

        h.log.info("the report balances, the cancel's fee among the fees")
        out = json.loads(cli("scholarship", "report", "--dir", str(fund), "--node", node.url,
                             "--json"))  # fmt: skip
        with NodeClient(node.url) as client:
            new_fee = client.tx(new_txid)["fee"]
        totals = out["totals"]
        assert totals["difference"] == 0 and out["problems"] == [] and out["payments"] == 3
        assert totals["fees"] == new_fee + cancel_fee
        assert totals["funded"] == 100 * COIN and totals["paid"] == 3 * COIN
        assert totals["balance"] == balance(node, treasury)


def test_cancel_refuses_a_psbt_that_reached_the_node_and_records_it_paid(tmp_path):
    fund = tmp_path / "fund"
    class_ = students(2, tmp_path)
    with NodeHarness(tmp_path, nodes=1) as h:
        node = h.nodes[0]
        funded_treasury(h, fund, node, blocks=1)
        register(fund, class_)
        unsigned = tmp_path / "pay.psbt"
        cli("scholarship", "payout", "--dir", str(fund), "--node", node.url, "--amount", "1",
            "--psbt-out", str(unsigned))  # fmt: skip
        h.log.info("a signer broadcasts the signed PSBT through the node, not through us")
        txid = node.submit_tx(final_tx_hex(signed_copies(tmp_path, fund, unsigned))).txid
        signers = f"{fund / 'signer1.json'},{fund / 'signer3.json'}"
        out = cli("scholarship", "cancel", "--dir", str(fund), "--node", node.url,
                  "--signers", signers, code=2)  # fmt: skip
        assert f"batch 1 was broadcast already (transaction {txid} is in the mempool)" in out
        assert "its students are paid" in out and len(out.strip().splitlines()) == 1
        assert node.mempool_txids() == {txid}
        with Registry(fund) as registry:
            (batch,) = registry.batches()
            assert (batch.state, batch.txid, registry.cancels()) == ("broadcast", txid, {})
            assert registry.unpaid() == []
        reply = last_json(cli("scholarship", "payout", "--dir", str(fund), "--node", node.url,
                               "--amount", "1", "--signers", signers, "--json"))  # fmt: skip
        assert reply == {"txids": [], "paid": 0}
        node.mine(1)
        assert [balance(node, a) for _, _, a in class_] == [COIN, COIN]
        out = json.loads(cli("scholarship", "report", "--dir", str(fund), "--node", node.url,
                             "--json"))  # fmt: skip
        assert out["totals"]["difference"] == 0 and out["problems"] == []


def test_cancelling_the_first_of_chained_waiting_batches_takes_down_the_rest(tmp_path):
    """Nine students in batches of 4, 4 and 1 (at most 500 bytes each), all waiting, each
    spending the change of the one before (the treasury holds one coin): batch 2 cannot be
    cancelled alone (its only coin does not exist yet); cancelling batch 1 spends that one
    coin, which takes batches 2 and 3 down with it."""
    fund = tmp_path / "fund"
    class_ = students(9, tmp_path)
    with NodeHarness(tmp_path, nodes=1) as h:
        node = h.nodes[0]
        funded_treasury(h, fund, node, blocks=1)
        with Registry(fund) as registry, NodeClient(node.url) as client:
            registry.register([(s, a) for s, _, a in class_])
            run_payout(registry, client, Terms(COIN), None, max_size=500)
            psbts = [Psbt.from_base64(b.psbt) for b in registry.batches()]
        assert states(fund) == ["waiting"] * 3
        base = ["scholarship", "cancel", "--dir", str(fund), "--node", node.url,
                "--signers", f"{fund / 'signer2.json'},{fund / 'signer3.json'}"]  # fmt: skip
        out = cli(*base, "--batch", "2", code=2)
        assert "batch 2 spends the change of batch 1" in out and len(out.strip().splitlines()) == 1
        assert states(fund) == ["waiting"] * 3 and node.mempool_txids() == set()
        reply = json.loads(cli(*base, "--batch", "1", "--json"))
        assert reply["cancelled"] == [1, 2, 3] and reply["unpaid"] == 9
        assert node.mempool_txids() == {reply["txid"]}
        with NodeClient(node.url) as client:
            spent = {(i["txid"], i["vout"]) for i in client.tx(reply["txid"])["vin"]}
        assert spent == {
            (i.outpoint.txid[::-1].hex(), i.outpoint.index) for i in psbts[0].tx.inputs
        }
        assert states(fund) == ["cancelled"] * 3
        h.log.info("the later batches' PSBTs, signed, are refused too: nothing sent")
        for number, psbt in ((2, psbts[1]), (3, psbts[2])):
            path = tmp_path / f"b{number}.psbt"
            path.write_text(psbt.to_base64())
            out = cli("scholarship", "broadcast", "--dir", str(fund), "--node", node.url,
                      *signed_copies(tmp_path, fund, path), code=2)  # fmt: skip
            assert f"batch {number} was cancelled" in out
        assert node.mempool_txids() == {reply["txid"]}
        reply = last_json(cli("scholarship", "payout", "--dir", str(fund), "--node", node.url,
                               "--amount", "1", "--signers",
                               f"{fund / 'signer1.json'},{fund / 'signer2.json'}",
                               "--json"))  # fmt: skip
        assert reply["paid"] == 9
        node.mine(1)
        assert all(balance(node, a) == COIN for _, _, a in class_)
        out = json.loads(cli("scholarship", "report", "--dir", str(fund), "--node", node.url,
                             "--json"))  # fmt: skip
        assert out["totals"]["difference"] == 0 and out["problems"] == []
