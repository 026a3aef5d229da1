"""Scholarships on real node processes: a 2-of-3 treasury pays 50 students in one batch.

Oracles: the node's own view of each address (``GET /api/address``) for every student's
balance, the node's acceptance or refusal of each transaction (its mempool and locktime
rules), and the report's two sides, computed from different records.
"""

from __future__ import annotations

import csv
import json

import pytest
from click.testing import CliRunner

from edu_chain.cli import main
from edu_chain.keys import PrivateKey
from edu_chain.node.client import NodeClient, NodeRefusedError
from edu_chain.scholarship import Registry, Terms, Tranche, load_signers, run_payout
from edu_chain.scholarship.treasury import send, sign, treasury_coins
from edu_chain.tx import COIN, OutPoint
from edu_chain.wallet import Wallet, create_psbt, decode_address
from tests.functional.harness import NodeHarness

pytestmark = pytest.mark.slow


def cli(*args: str, code: int = 0) -> str:
    result = CliRunner().invoke(main, list(args))
    assert result.exit_code == code, result.output
    return result.output


def students(count: int, tmp_path) -> list[tuple[str, PrivateKey, str]]:
    made = []
    for number in range(count):
        key = PrivateKey(0x5C0_0000 + number)
        made.append((f"s{number:03d}", key, Wallet(tmp_path / "x.json", [key]).address))
    return made


def register(fund, class_: list[tuple[str, PrivateKey, str]]) -> None:
    """``educhain scholarship register`` for each (student, key, address) of ``class_``."""
    for s, _, a in class_:
        cli("scholarship", "register", "--dir", str(fund), "--student", s, "--address", a)


def funded_treasury(h: NodeHarness, fund, node, blocks: int = 2) -> str:
    address = json.loads(
        cli("scholarship", "init", "--dir", str(fund), "--node", node.url, "--json")
    )["address"]
    assert decode_address(address)[:2] == b"\x00\x20"  # P2WSH: OP_0 <32-byte program>
    h.log.info("the donor's coins: %d blocks mined to the treasury, then matured", blocks)
    node.mine(blocks, address=address)
    node.mine(3)
    return address


def balance(node, address: str) -> int:
    # NodeProcess.address is the node's own host:port; ask through a plain client
    with NodeClient(node.url) as client:
        return client.address(address)["balance"]


def test_fifty_students_one_batch_two_of_three(tmp_path):
    fund = tmp_path / "fund"
    class_ = students(50, tmp_path)
    roster = tmp_path / "class.csv"
    roster.write_text("student,address\n" + "".join(f"{s},{a}\n" for s, _, a in class_))
    with NodeHarness(tmp_path, nodes=1) as h:
        node = h.nodes[0]
        treasury = funded_treasury(h, fund, node)
        cli("scholarship", "register", "--dir", str(fund), "--roster", str(roster))

        h.log.info("one signer is below the threshold: refused, nothing sent")
        out = cli(
            "scholarship", "payout", "--dir", str(fund), "--node", node.url,
            "--amount", "0.5", "--signers", str(fund / "signer1.json"), code=2,
        )  # fmt: skip
        assert "needs 2 of 3" in out
        assert node.mempool_txids() == set()

        h.log.info("a key file that is not a signer's: refused, nothing sent")
        stranger = Wallet.create(tmp_path / "stranger.json")
        out = cli(
            "scholarship", "payout", "--dir", str(fund), "--node", node.url, "--amount", "0.5",
            "--signers", f"{fund / 'signer1.json'},{stranger.path}", code=2,
        )  # fmt: skip
        assert "no key of this treasury" in out
        assert node.mempool_txids() == set()

        h.log.info("two of three signers: one batch pays all 50")
        out = cli(
            "scholarship", "payout", "--dir", str(fund), "--node", node.url, "--amount", "0.5",
            "--signers", f"{fund / 'signer1.json'},{fund / 'signer3.json'}", "--json",
        )  # fmt: skip
        reply = json.loads(out.strip().splitlines()[-1])
        assert reply["paid"] == 50 and len(reply["txids"]) == 1
        node.mine(1)
        for _, _, address in class_:
            assert balance(node, address) == COIN // 2
        assert node.tx(reply["txids"][0])["confirmations"] == 1

        h.log.info("a second run pays nobody twice")
        out = cli(
            "scholarship", "payout", "--dir", str(fund), "--node", node.url, "--amount", "0.5",
            "--signers", f"{fund / 'signer2.json'},{fund / 'signer3.json'}", "--json",
        )  # fmt: skip
        assert json.loads(out.strip().splitlines()[-1]) == {"txids": [], "paid": 0}

        h.log.info("the report balances to the base unit")
        report_csv = tmp_path / "report.csv"
        out = cli("scholarship", "report", "--dir", str(fund), "--node", node.url,
                  "--csv", str(report_csv), "--json")  # fmt: skip
        totals = json.loads(out)["totals"]
        assert totals["funded"] == 2 * 50 * COIN  # two coinbases of the unit-test chain
        assert totals["paid"] == 50 * COIN // 2
        assert totals["balance"] == balance(node, treasury)
        assert totals["difference"] == 0
        rows = list(csv.DictReader(report_csv.open()))
        assert [(r["student"], r["address"]) for r in rows] == [(s, a) for s, _, a in class_]
        assert {(r["amount"], r["tranche"], r["status"]) for r in rows} == {
            (str(COIN // 2), "0", "confirmed")
        }
        assert {(r["txid"], r["confirmations"]) for r in rows} == {(reply["txids"][0], "1")}

        h.log.info("bad input: unknown student, duplicate, malformed address, poor treasury")
        cli("scholarship", "register", "--dir", str(fund), "--student", "s000",
            "--address", Wallet.create(tmp_path / "n.json").address, code=2)  # fmt: skip
        cli("scholarship", "register", "--dir", str(fund), "--student", "new",
            "--address", class_[0][2], code=2)  # fmt: skip
        out = cli("scholarship", "register", "--dir", str(fund), "--student", "new",
                  "--address", "bcrt1qnotanaddress", code=2)  # fmt: skip
        assert len(out.strip().splitlines()) == 1
        cli("scholarship", "payout", "--dir", str(fund), "--node", node.url, "--amount", "1",
            "--student", "nobody", "--signers",
            f"{fund / 'signer1.json'},{fund / 'signer2.json'}", code=2)  # fmt: skip
        rich = Wallet.create(tmp_path / "r.json").address
        cli("scholarship", "register", "--dir", str(fund), "--student", "rich",
            "--address", rich)  # fmt: skip
        signers_12 = f"{fund / 'signer1.json'},{fund / 'signer2.json'}"
        for amount, expected in (("500", "insufficient funds"), ("0.00000293", "is dust")):
            out = cli("scholarship", "payout", "--dir", str(fund), "--node", node.url,
                      "--amount", amount, "--signers", signers_12, code=2)  # fmt: skip
            assert expected in out and len(out.strip().splitlines()) == 1
            assert node.mempool_txids() == set()
            with Registry(fund) as registry:
                assert len(registry.batches()) == 1 and registry.unpaid() == [("rich", rich)]
        out = cli("scholarship", "payout", "--dir", str(fund), "--node", "http://127.0.0.1:9",
                  "--amount", "1", "--signers", signers_12, code=2)  # fmt: skip
        assert len(out.strip().splitlines()) == 1 and "127.0.0.1:9" in out
        with Registry(fund) as registry:
            assert len(registry.batches()) == 1 and registry.unpaid() == [("rich", rich)]

        h.log.info("the node refuses what was just signed (no fee): the batch is abandoned")
        out = cli("scholarship", "payout", "--dir", str(fund), "--node", node.url,
                  "--amount", "1", "--fee-rate", "0", "--signers", signers_12, code=2)  # fmt: skip
        assert "fee" in out and len(out.strip().splitlines()) == 1
        assert node.mempool_txids() == set()
        with Registry(fund) as registry:
            assert [b.state for b in registry.batches()] == ["broadcast", "abandoned"]
            assert registry.unpaid() == [("rich", rich)]
        cli("scholarship", "payout", "--dir", str(fund), "--node", node.url,
            "--amount", "1", "--signers", signers_12)  # fmt: skip
        node.mine(1)
        assert balance(node, rich) == COIN


def test_interrupted_payout_is_finished_without_paying_twice(tmp_path):
    fund = tmp_path / "fund"
    class_ = students(6, tmp_path)
    with NodeHarness(tmp_path, nodes=1) as h:
        node = h.nodes[0]
        funded_treasury(h, fund, node)
        with Registry(fund) as registry, NodeClient(node.url) as client:
            registry.register([(s, a) for s, _, a in class_])
            signers = load_signers(
                [fund / "signer1.json", fund / "signer2.json"], registry.treasury
            )

            h.log.info("interrupted after the node accepted, before the registry heard")

            def accepted_then_crash(client, tx):
                send(client, tx)
                raise KeyboardInterrupt

            with pytest.raises(KeyboardInterrupt):
                run_payout(registry, client, Terms(COIN), signers, broadcast=accepted_then_crash)
            assert len(node.mempool_txids()) == 1

            h.log.info("the rerun resends the same transaction and plans nobody again")
            txids, paid, plans = run_payout(registry, client, Terms(COIN), signers)
            assert paid == 0 and plans == [] and len(txids) == 1
            assert node.mempool_txids() == set(txids)

            h.log.info("interrupted before signing: the rerun plans those students afresh")
            registry.register([("late", Wallet.create(tmp_path / "late.json").address)])

            def crash_before(client, tx):
                raise KeyboardInterrupt

            with pytest.raises(KeyboardInterrupt):
                run_payout(registry, client, Terms(COIN), signers, broadcast=crash_before)
            txids2, paid2, _ = run_payout(registry, client, Terms(COIN), signers)
            assert paid2 == 0 and len(txids2) == 1  # the recorded tx, sent now
            node.mine(1)
        for _, _, address in class_:
            assert balance(node, address) == COIN
        assert balance(node, Wallet.load(tmp_path / "late.json").address) == COIN
        out = cli("scholarship", "report", "--dir", str(fund), "--node", node.url, "--json")
        assert json.loads(out)["totals"]["difference"] == 0

        h.log.info("two signers spend behind the registry's back: the report says so, exit 1")
        with Registry(fund) as registry, NodeClient(node.url) as client:
            treasury = registry.treasury
            coins = treasury_coins(client, treasury)
        outsider = Wallet.create(tmp_path / "outsider.json").address
        psbt = create_psbt(treasury, coins, [(outsider, COIN)])
        node.submit_tx(sign(psbt, signers).serialize().hex())
        node.mine(1)
        out = cli("scholarship", "report", "--dir", str(fund), "--node", node.url, code=1)
        assert f"transaction {psbt.tx.id} spends treasury coins but is not in the registry" in out
        assert "the totals differ by" in out


def test_a_payout_of_several_batches_interrupted_at_each_point(tmp_path, monkeypatch):
    """Nine students, at most 500 bytes a transaction: batches of 4, 4 and 1, each spending
    the change of the one before.  Interrupted after batch 2 was signed and recorded but
    before the node saw it, then (later students) after planning, before signing."""
    from edu_chain.scholarship import treasury as treasury_module

    fund = tmp_path / "fund"
    class_ = students(9, tmp_path)
    with NodeHarness(tmp_path, nodes=1) as h:
        node = h.nodes[0]
        funded_treasury(h, fund, node, blocks=1)  # one coin: each batch needs the last change
        with Registry(fund) as registry, NodeClient(node.url) as client:
            registry.register([(s, a) for s, _, a in class_])
            signers = load_signers(
                [fund / "signer1.json", fund / "signer3.json"], registry.treasury
            )
            sent = []

            def second_never_arrives(client, tx):
                sent.append(tx.id)
                if len(sent) == 2:
                    raise KeyboardInterrupt  # recorded as signed, not sent
                send(client, tx)

            with pytest.raises(KeyboardInterrupt):
                run_payout(registry, client, Terms(COIN), signers, max_size=500,
                           broadcast=second_never_arrives)  # fmt: skip
            assert [b.state for b in registry.batches()] == ["broadcast", "signed"]
            assert node.mempool_txids() == {sent[0]}

            h.log.info("the report meanwhile: batch 2 is not on the node, exit 1 saying so")
            out = cli("scholarship", "report", "--dir", str(fund), "--node", node.url, code=1)
            assert f"batch 2: transaction {sent[1]} is not on the node" in out

            h.log.info("the rerun sends batch 2 and pays the last student from its change")
            txids, paid, plans = run_payout(registry, client, Terms(COIN), signers, max_size=500)
            assert txids[0] == sent[1] and paid == 1 and len(plans) == 1
            assert node.mempool_txids() == {sent[0], sent[1], txids[1]}

            h.log.info("interrupted after planning, before signing: planned again, once")
            late = [(f"late{i}", Wallet.create(tmp_path / f"late{i}.json").address) for i in (1, 2)]
            registry.register(late)

            def crash(psbt, wallets):
                raise KeyboardInterrupt

            with monkeypatch.context() as patched:
                patched.setattr(treasury_module, "sign", crash)
                with pytest.raises(KeyboardInterrupt):
                    run_payout(registry, client, Terms(COIN), signers, max_size=500)
            assert registry.batches()[-1].state == "planned"
            assert len(node.mempool_txids()) == 3
            txids, paid, _ = run_payout(registry, client, Terms(COIN), signers, max_size=500)
            assert paid == 2 and registry.batches()[-2].state == "abandoned"
        node.mine(1)
        for address in [a for _, _, a in class_] + [a for _, a in late]:
            assert balance(node, address) == COIN
        out = cli("scholarship", "report", "--dir", str(fund), "--node", node.url, "--json")
        report = json.loads(out)
        assert report["totals"]["difference"] == 0 and report["payments"] == 11


def test_psbt_passed_between_signers(tmp_path):
    fund = tmp_path / "fund"
    class_ = students(3, tmp_path)
    with NodeHarness(tmp_path, nodes=1) as h:
        node = h.nodes[0]
        funded_treasury(h, fund, node, blocks=1)
        register(fund, class_)
        h.log.info("only students whose grades pass are paid (s001 scored 0.4)")
        grades = tmp_path / "grades.csv"
        grades.write_text("student,score\ns000,0.9\ns001,0.4\ns002,0.6\n")
        h.log.info("a PSBT the node will refuse (no fee): signed, refused, abandoned")
        free = tmp_path / "free.psbt"
        cli("scholarship", "payout", "--dir", str(fund), "--node", node.url, "--amount", "1",
            "--fee-rate", "0", "--psbt-out", str(free))  # fmt: skip
        for n in (1, 2):
            cli("scholarship", "sign", str(free), "--signer", str(fund / f"signer{n}.json"),
                "--out", str(tmp_path / f"free-{n}.psbt"))  # fmt: skip
        free_copies = [str(tmp_path / f"free-{n}.psbt") for n in (1, 2)]
        out = cli("scholarship", "broadcast", "--dir", str(fund), "--node", node.url,
                  *free_copies, code=2)  # fmt: skip
        assert "fee" in out and len(out.strip().splitlines()) == 1
        assert node.mempool_txids() == set()
        with Registry(fund) as registry:
            assert [b.state for b in registry.batches()] == ["abandoned"]
            assert len(registry.unpaid()) == 3
        out = cli("scholarship", "broadcast", "--dir", str(fund), "--node", node.url,
                  *free_copies, code=2)  # fmt: skip
        assert "not a payout waiting for signatures" in out
        unsigned = tmp_path / "pay.psbt"
        cli("scholarship", "payout", "--dir", str(fund), "--node", node.url, "--amount", "1",
            "--gradebook", str(grades), "--min-score", "0.6",
            "--psbt-out", str(unsigned))  # fmt: skip
        h.log.info("a new payout waits while a PSBT is with the signers")
        out = cli("scholarship", "payout", "--dir", str(fund), "--node", node.url,
                  "--amount", "1", "--signers",
                  f"{fund / 'signer1.json'},{fund / 'signer2.json'}", code=2)  # fmt: skip
        assert "waits for signatures" in out
        h.log.info("lost the file? --psbt-out writes the same PSBT again")
        again = tmp_path / "again.psbt"
        cli("scholarship", "payout", "--dir", str(fund), "--node", node.url, "--amount", "1",
            "--psbt-out", str(again))  # fmt: skip
        assert again.read_text() == unsigned.read_text()
        assert node.mempool_txids() == set()
        one, two = tmp_path / "pay-1.psbt", tmp_path / "pay-2.psbt"
        cli("scholarship", "sign", str(unsigned), "--signer", str(fund / "signer1.json"),
            "--out", str(one))  # fmt: skip
        stranger = Wallet.create(tmp_path / "stranger.json")
        out = cli("scholarship", "sign", str(unsigned), "--signer", str(stranger.path),
                  "--out", str(two), code=2)  # fmt: skip
        assert "wrong signer file" in out
        h.log.info("one signature is not enough to broadcast")
        out = cli("scholarship", "broadcast", "--dir", str(fund), "--node", node.url, str(one),
                  code=2)  # fmt: skip
        assert node.mempool_txids() == set()
        with Registry(fund) as registry:
            assert [b.state for b in registry.batches()] == ["abandoned", "waiting"]
        cli("scholarship", "sign", str(unsigned), "--signer", str(fund / "signer3.json"),
            "--out", str(two))  # fmt: skip
        h.log.info("an unreachable node: refused before the batch is marked signed")
        out = cli("scholarship", "broadcast", "--dir", str(fund), "--node",
                  "http://127.0.0.1:9", str(one), str(two), code=2)  # fmt: skip
        assert len(out.strip().splitlines()) == 1
        with Registry(fund) as registry:
            assert [b.state for b in registry.batches()] == ["abandoned", "waiting"]
        out = cli("scholarship", "broadcast", "--dir", str(fund), "--node", node.url,
                  str(one), str(two), "--json")  # fmt: skip
        reply = json.loads(out)
        assert reply["paid"] == 2
        node.mine(1)
        assert [balance(node, address) for _, _, address in class_] == [COIN, 0, COIN]


def test_vesting_tranches_cltv_and_clawback_csv(tmp_path):
    fund = tmp_path / "fund"
    class_ = students(2, tmp_path)
    with NodeHarness(tmp_path, nodes=1) as h:
        node = h.nodes[0]
        funded_treasury(h, fund, node, blocks=1)
        register(fund, class_)
        start = node.tip()["height"]
        out = cli(
            "scholarship", "payout", "--dir", str(fund), "--node", node.url, "--amount", "2",
            "--tranches", "2", "--every", "5", "--expiry", "4", "--json",
            "--signers", f"{fund / 'signer2.json'},{fund / 'signer3.json'}",
        )  # fmt: skip
        assert json.loads(out.strip().splitlines()[-1])["paid"] == 2
        node.mine(1)
        with Registry(fund) as registry:
            treasury = registry.treasury
            payments = {(p.student, p.tranche): p for p in registry.payments()}
        signer_keys = [Wallet.load(fund / f"signer{i}.json").keys[0] for i in (1, 2)]

        first = payments[("s000", 1)]
        assert first.unlock_height == start + 5
        tranche = Tranche.for_address(
            class_[0][2], first.unlock_height, first.expiry_blocks, treasury
        )
        assert tranche.script == first.script
        outpoint = OutPoint(bytes.fromhex(first.txid)[::-1], first.vout)
        claim = tranche.claim(outpoint, first.amount, class_[0][1], class_[0][2], 500)

        h.log.info("tranche 1 spent before its height: refused")
        assert node.tip()["height"] < first.unlock_height
        with pytest.raises(NodeRefusedError) as refused:
            node.submit_tx(claim.serialize().hex())
        assert "final" in refused.value.code
        h.log.info("the student's own laptop: a tranches file and a wallet, nothing to claim yet")
        mine_file = tmp_path / "s000-tranches.json"
        cli("scholarship", "tranches", "--dir", str(fund), "--student", "s000",
            "--out", str(mine_file))  # fmt: skip
        student_wallet = Wallet.create(tmp_path / "s000.json", keys=[class_[0][1]])
        claim_args = ["scholarship", "claim", str(mine_file), "--wallet",
                      str(student_wallet.path), "--node", node.url]  # fmt: skip
        out = cli(*claim_args, code=2)
        assert "nothing to claim yet" in out and "tranche 1 unlocks after height" in out
        h.log.info("another student's wallet: one line, exit 2, nothing sent")
        other = Wallet.create(tmp_path / "s001.json", keys=[class_[1][1]])
        out = cli("scholarship", "claim", str(mine_file), "--wallet", str(other.path),
                  "--node", node.url, code=2)  # fmt: skip
        assert "is not for a key of" in out and len(out.strip().splitlines()) == 1
        assert node.mempool_txids() == set()
        node.mine(first.unlock_height - 1 - node.tip()["height"])
        with pytest.raises(NodeRefusedError):  # the next block is at the height: still locked
            node.submit_tx(claim.serialize().hex())
        node.mine(1)
        h.log.info("the block after its height: accepted (locktime < height, as in Bitcoin)")
        out = cli(*claim_args, "--json")
        reply = json.loads(out)
        assert len(reply["txids"]) == 1 and "tranche 2 unlocks" in reply["waiting"][0]
        node.mine(1)
        fee = node.tx(reply["txids"][0])["fee"]
        assert 0 < fee < 1000
        assert balance(node, class_[0][2]) == first.amount - fee
        assert json.loads(cli(*claim_args, "--json"))["txids"] == []  # spent already

        h.log.info("clawback of s001's tranche 2 before its expiry: refused")
        second = payments[("s001", 2)]
        tranche2 = Tranche.for_address(
            class_[1][2], second.unlock_height, second.expiry_blocks, treasury
        )
        donor = Wallet.create(tmp_path / "donor.json").address
        outpoint2 = OutPoint(bytes.fromhex(second.txid)[::-1], second.vout)
        back = tranche2.clawback(outpoint2, second.amount, signer_keys, donor, 600)
        with pytest.raises(NodeRefusedError) as refused:
            node.submit_tx(back.serialize().hex())
        assert "bip68" in refused.value.code.lower() or "final" in refused.value.code
        confirmed_at = node.tx(second.txid)["block_height"]
        node.mine(confirmed_at + second.expiry_blocks - 1 - node.tip()["height"])
        h.log.info("after its expiry: the treasury takes back every unclaimed tranche")
        out = cli(
            "scholarship", "clawback", "--dir", str(fund), "--node", node.url, "--to", donor,
            "--signers", f"{fund / 'signer1.json'},{fund / 'signer3.json'}", "--json",
        )  # fmt: skip
        assert json.loads(out)["clawed_back"] == 3  # all but s000's claimed tranche 1
        node.mine(1)
        with Registry(fund) as registry:
            clawed = registry.clawbacks().values()
        assert balance(node, donor) == sum(amount - fee for _, _, amount, fee, _ in clawed)
        again = cli("scholarship", "clawback", "--dir", str(fund), "--node", node.url,
                    "--to", donor, "--signers",
                    f"{fund / 'signer1.json'},{fund / 'signer3.json'}", "--json")  # fmt: skip
        assert json.loads(again)["clawed_back"] == 0

        h.log.info("the report: claimed, clawed back, and totals that balance")
        report_csv = tmp_path / "report.csv"
        out = cli("scholarship", "report", "--dir", str(fund), "--node", node.url,
                  "--csv", str(report_csv), "--json")  # fmt: skip
        totals = json.loads(out)["totals"]
        assert totals["difference"] == 0
        assert totals["clawed_back"] == balance(node, donor)
        assert totals["paid"] == first.amount
        statuses = {
            (r["student"], r["tranche"]): r["status"] for r in csv.DictReader(report_csv.open())
        }
        assert statuses == {
            ("s000", "1"): "claimed",
            ("s000", "2"): "clawed-back",
            ("s001", "1"): "clawed-back",
            ("s001", "2"): "clawed-back",
        }


def test_payout_over_the_size_limit_goes_in_several_chained_transactions(tmp_path):
    """The unit-test chain takes transactions of at most 5,000 bytes: 40 students with three
    tranches each (120 P2WSH outputs) need several; each later one spends the change of the
    one before while it is still in the mempool."""
    fund = tmp_path / "fund"
    class_ = students(40, tmp_path)
    with NodeHarness(tmp_path, nodes=1) as h:
        node = h.nodes[0]
        funded_treasury(h, fund, node, blocks=1)
        with Registry(fund) as registry:
            registry.register([(s, a) for s, _, a in class_])
        out = cli(
            "scholarship", "payout", "--dir", str(fund), "--node", node.url, "--amount", "0.3",
            "--tranches", "3", "--every", "5", "--json",
            "--signers", f"{fund / 'signer1.json'},{fund / 'signer2.json'}",
        )  # fmt: skip
        reply = json.loads(out.strip().splitlines()[-1])
        assert reply["paid"] == 40 and len(reply["txids"]) >= 2
        assert node.mempool_txids() == set(reply["txids"])
        node.mine(1)
        with Registry(fund) as registry:
            payments = registry.payments()
        assert len(payments) == 120
        for payment in payments[::17]:
            assert balance(node, payment.address) == payment.amount == COIN // 10
        with NodeClient(node.url) as client:
            sizes = [client.tx(txid)["size"] for txid in reply["txids"]]
        assert max(sizes) <= 5_000
        out = cli("scholarship", "report", "--dir", str(fund), "--node", node.url, "--json")
        assert json.loads(out)["totals"]["difference"] == 0
