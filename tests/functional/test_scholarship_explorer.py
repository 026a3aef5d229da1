"""The explorer's treasury view, in headless chromium (as tests/functional/test_explorer_browser.py:
Debian's chromium, Playwright, skipped without).

A 2-of-3 treasury on a real node pays two students outright, two more in two vesting
tranches each; one tranche is claimed by its student, the other three are clawed back after
their expiry; a last payout, in two tranches, waits in the mempool.  The page at
``#/treasury/<address>`` must show what the chain says.  Oracles: the node's API (the
treasury's balance, each payout's outputs and fee from ``GET /api/tx``, the coinbase that
funded it) and the scholarship registry with its report (who was paid by which transaction,
which tranche was claimed, which clawed back), computed by ``educhain scholarship`` from
its own records.
"""

from __future__ import annotations

import csv
import json

import pytest

from edu_chain.scholarship import Registry
from edu_chain.wallet import Wallet
from tests.functional.harness import NodeHarness
from tests.functional.test_explorer_browser import browser_page, screenshot  # noqa: F401
from tests.functional.test_scholarship_payouts import cli, funded_treasury, register, students

pytestmark = pytest.mark.slow


def signers(fund, *numbers: int) -> str:
    return ",".join(str(fund / f"signer{n}.json") for n in numbers)


def mine_until(node, height: int) -> None:
    if node.tip()["height"] < height:
        node.mine(height - node.tip()["height"])


@pytest.mark.timeout(240)
def test_treasury_view_shows_funding_payouts_and_tranches(tmp_path, browser_page):  # noqa: F811
    page = browser_page
    fund = tmp_path / "fund"
    class_ = students(5, tmp_path)
    with NodeHarness(tmp_path / "nodes", nodes=1) as h:
        (node,) = h.nodes
        treasury = funded_treasury(h, fund, node, blocks=1)
        funding_block = node.get(f"/api/height/{node.tip()['height'] - 3}")["hash"]
        funding_txid = node.get(f"/api/blocks/{funding_block}")["txids"][0]

        h.log.info("two students paid outright by signers 1 and 3")
        register(fund, class_[:2])
        out = cli("scholarship", "payout", "--dir", str(fund), "--node", node.url,
                  "--amount", "0.5", "--signers", signers(fund, 1, 3), "--json")  # fmt: skip
        outright = json.loads(out.strip().splitlines()[-1])["txids"]
        node.mine(1)

        h.log.info("two more in two tranches each, by signers 2 and 3")
        register(fund, class_[2:4])
        out = cli("scholarship", "payout", "--dir", str(fund), "--node", node.url,
                  "--amount", "2", "--tranches", "2", "--every", "3", "--expiry", "2",
                  "--signers", signers(fund, 2, 3), "--json")  # fmt: skip
        vesting = json.loads(out.strip().splitlines()[-1])["txids"]
        node.mine(1)

        h.log.info("student s002 claims tranche 1 once it unlocks")
        with Registry(fund) as registry:
            first = next(p for p in registry.payments() if (p.student, p.tranche) == ("s002", 1))
        mine_until(node, first.unlock_height)
        mine_file = tmp_path / "s002.json"
        cli("scholarship", "tranches", "--dir", str(fund), "--student", "s002",
            "--out", str(mine_file))  # fmt: skip
        wallet = Wallet.create(tmp_path / "s002-wallet.json", keys=[class_[2][1]])
        cli("scholarship", "claim", str(mine_file), "--wallet", str(wallet.path),
            "--node", node.url)  # fmt: skip
        node.mine(1)

        h.log.info("after the expiry the treasury takes the other three back")
        confirmed_at = node.tx(vesting[0])["block_height"]
        mine_until(node, confirmed_at + 2 * 3 + 2)
        donor = Wallet.create(tmp_path / "donor.json").address
        out = cli("scholarship", "clawback", "--dir", str(fund), "--node", node.url,
                  "--to", donor, "--signers", signers(fund, 1, 2), "--json")  # fmt: skip
        assert json.loads(out)["clawed_back"] == 3
        node.mine(1)

        h.log.info("a last payout, in two tranches, waits in the mempool")
        cli("scholarship", "register", "--dir", str(fund), "--student", class_[4][0],
            "--address", class_[4][2])  # fmt: skip
        out = cli("scholarship", "payout", "--dir", str(fund), "--node", node.url,
                  "--amount", "0.1", "--tranches", "2", "--every", "3",
                  "--signers", signers(fund, 1, 2), "--json")  # fmt: skip
        pending = json.loads(out.strip().splitlines()[-1])["txids"]

        report_csv = tmp_path / "report.csv"
        out = cli("scholarship", "report", "--dir", str(fund), "--node", node.url,
                  "--csv", str(report_csv))  # fmt: skip
        view_url = f"{node.url}/#/treasury/{treasury}"
        assert f"explorer: {view_url}" in out
        with Registry(fund) as registry:
            tranche_of = {
                f"{p.txid}:{p.vout}": (p.student, p.tranche)
                for p in registry.payments()
                if p.tranche
            }
        report_status = {
            (r["student"], int(r["tranche"])): r["status"]
            for r in csv.DictReader(report_csv.open())
        }

        page.goto(view_url)
        page.wait_for_selector("#treasury-payouts tbody tr[data-txid]")
        assert page.inner_text("#treasury-address") == treasury
        address_view = node.get(f"/api/address/{treasury}")
        assert page.get_attribute("#treasury-balance", "data-units") == str(address_view["balance"])
        counts = node.get(f"/api/address/{treasury}/history?limit=1")
        assert counts["mempool_count"] == 1  # the last payout
        assert page.inner_text("#treasury-history") == (
            f"{counts['tx_count']} confirmed transaction(s), 1 pending"
        )

        funding = page.locator("#treasury-funding a.tx-link")
        assert [funding.nth(i).get_attribute("title") for i in range(funding.count())] == [
            funding_txid
        ]

        rows = page.locator("#treasury-payouts tbody tr")
        shown = {
            rows.nth(i).get_attribute("data-txid"): (
                rows.nth(i).get_attribute("data-status"),
                int(rows.nth(i).get_attribute("data-payments")),
                int(rows.nth(i).get_attribute("data-students")),
                int(rows.nth(i).get_attribute("data-fee")),
            )
            for i in range(rows.count())
        }
        with Registry(fund) as registry:
            students_of = {}
            for payment in registry.payments():
                students_of.setdefault(payment.txid, set()).add(payment.student)
        expected = {}
        for txid in outright + vesting + pending:
            tx = node.tx(txid)
            payments = [o for o in tx["vout"] if o["address"] != treasury]
            status = "pending" if txid in pending else "confirmed"
            # an unspent tranche names its student only once spent: the pending one names none
            named = 0 if txid in pending else len(students_of[txid])
            expected[txid] = (status, len(payments), named, tx["fee"])
        assert shown == expected
        assert [expected[t][1:3] for t in vesting] == [(4, 2)]  # 2 students x 2 tranches

        tranches = page.locator("#treasury-tranches tbody tr")
        on_page = {
            tranches.nth(i).get_attribute("data-outpoint"): tranches.nth(i).get_attribute(
                "data-status"
            )
            for i in range(tranches.count())
        }
        assert set(on_page) == set(tranche_of)
        for outpoint, kind in on_page.items():
            said = report_status[tranche_of[outpoint]]
            assert kind == (said if said in ("claimed", "clawed-back") else "unknown"), said
        assert sorted(on_page.values()) == ["claimed"] + ["clawed-back"] * 3 + ["unknown"] * 2
        counts = page.inner_text("#treasury-tranche-counts")
        assert counts == "1 claimed, 3 clawed back, 2 unspent"
        screenshot(page, tmp_path, "treasury")

        h.log.info("the address view links to the treasury view")
        page.goto(f"{node.url}/#/address/{treasury}")
        page.wait_for_selector("#address-history tbody tr")
        assert page.locator("#address-history a.tx-link").count() == 3 + 1  # + the pending one
        page.click("#treasury-link")
        page.wait_for_selector("#treasury-payouts tbody tr[data-txid]")
    assert page.errors == []


@pytest.mark.timeout(240)
def test_treasury_view_reads_the_whole_history_past_two_thousand(tmp_path, browser_page):  # noqa: F811
    """2,050 blocks pay their reward to the treasury, then one payout spends from it: 2,051
    transactions, 21 pages of the history route, the payout on the last one.  Oracles: the
    node's own count (``tx_count``), its history read page by page here, and the txid the
    payout printed."""
    page = browser_page
    fund = tmp_path / "fund"
    class_ = students(2, tmp_path)
    with NodeHarness(tmp_path / "nodes", nodes=1) as h:
        (node,) = h.nodes
        treasury = funded_treasury(h, fund, node, blocks=1000)
        node.mine(1000, address=treasury)
        node.mine(50, address=treasury)
        node.mine(3)  # the last rewards mature
        register(fund, class_)
        out = cli("scholarship", "payout", "--dir", str(fund), "--node", node.url,
                  "--amount", "1", "--signers", signers(fund, 1, 2), "--json")  # fmt: skip
        (payout,) = json.loads(out.strip().splitlines()[-1])["txids"]
        node.mine(1)
        history = f"/api/address/{treasury}/history?order=asc&limit=100"
        count = node.get(history)["tx_count"]
        assert count == 2_050 + 1
        paying = sum(  # after 33 halvings (50 blocks each here) a block's reward is 0
            tx["received"] > 0 and tx["sent"] == 0
            for offset in range(0, count, 100)
            for tx in node.get(f"{history}&offset={offset}")["transactions"]
        )
        assert 1_500 < paying < count - 1

        page.goto(f"{node.url}/#/treasury/{treasury}")
        page.wait_for_selector("#treasury-payouts tbody tr[data-txid]", timeout=60_000)
        assert page.get_attribute("#treasury-history", "data-read") == str(count)
        assert page.get_attribute("#treasury-history", "data-complete") == "true"
        assert page.inner_text("#treasury-history") == f"{count} confirmed transaction(s)"
        assert page.locator("#treasury-funding tbody tr").count() == paying
        payouts = page.locator("#treasury-payouts tbody tr")
        assert [payouts.nth(i).get_attribute("data-txid") for i in range(payouts.count())] == [
            payout
        ]
    assert page.errors == []


@pytest.mark.timeout(240)
def test_a_cancel_is_shown_as_returned_not_as_a_payout(tmp_path, browser_page):  # noqa: F811
    """A PSBT the signers never bring back is cancelled (its coins spent back to the
    treasury), then a new payout pays the students.  The page lists the cancel apart, as
    coins returned to the treasury, and counts its fee.  Oracles: the txids the commands
    printed and each transaction's fee from ``GET /api/tx``."""
    page = browser_page
    fund = tmp_path / "fund"
    class_ = students(2, tmp_path)
    with NodeHarness(tmp_path / "nodes", nodes=1) as h:
        (node,) = h.nodes
        treasury = funded_treasury(h, fund, node, blocks=1)
        register(fund, class_)
        cli("scholarship", "payout", "--dir", str(fund), "--node", node.url, "--amount", "1",
            "--psbt-out", str(tmp_path / "pay.psbt"))  # fmt: skip
        out = cli("scholarship", "cancel", "--dir", str(fund), "--node", node.url,
                  "--signers", signers(fund, 1, 3), "--json")  # fmt: skip
        cancel = json.loads(out.strip().splitlines()[-1])["txid"]
        node.mine(1)
        out = cli("scholarship", "payout", "--dir", str(fund), "--node", node.url,
                  "--amount", "1", "--signers", signers(fund, 2, 3), "--json")  # fmt: skip
        (payout,) = json.loads(out.strip().splitlines()[-1])["txids"]
        node.mine(1)

        page.goto(f"{node.url}/#/treasury/{treasury}")
        page.wait_for_selector("#treasury-returned tbody tr[data-txid]")
        returned = page.locator("#treasury-returned tbody tr")
        assert [returned.nth(i).get_attribute("data-txid") for i in range(returned.count())] == [
            cancel
        ]
        payouts = page.locator("#treasury-payouts tbody tr")
        assert [payouts.nth(i).get_attribute("data-txid") for i in range(payouts.count())] == [
            payout
        ]
        fees = node.tx(cancel)["fee"] + node.tx(payout)["fee"]
        assert page.get_attribute("#treasury-fees", "data-units") == str(fees)
        screenshot(page, tmp_path, "treasury-returned")
    assert page.errors == []
