"""The explorer's "verify a certificate" page, in headless chromium (as
tests/functional/test_explorer_browser.py: Debian's chromium, Playwright, skipped without).

Oracle: ``educhain certificates verify`` on the same certificates.  A certificate issued on
a real node is VALID on the page; the same file with the student's name changed fails at
step ``hash``; after one ``revoke`` of two of them both fail at step ``revocation`` and a
batch-mate stays VALID; a record of the first ``revoke``'s format (one hash) revokes a third;
the anchoring and the revocation transactions' pages say what they record.
"""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from edu_chain.certificates import issue as issuing
from edu_chain.cli import main
from edu_chain.node.client import NodeClient
from edu_chain.wallet import Wallet
from tests.certificates_data import write_gradebook
from tests.functional.harness import NodeHarness
from tests.functional.test_explorer_browser import browser_page  # noqa: F401 (a fixture)


def cli(*args: str):
    return CliRunner().invoke(main, ["certificates", *args])


def check_on_page(page, url: str, text: str) -> tuple[str, str | None]:
    page.goto(url + "/#/certificate")
    page.wait_for_selector("#cert-json")
    page.fill("#cert-json", text)
    # the same route may keep the previous verdict on screen: clear it, then wait for the new
    page.eval_on_selector("#cert-result", "element => { element.innerHTML = ''; }")
    page.click("#cert-verify")
    page.wait_for_selector("#cert-verdict")
    step = page.locator("#cert-step")
    return page.inner_text("#cert-verdict"), step.inner_text() if step.count() else None


@pytest.mark.slow
@pytest.mark.timeout(180)
def test_verify_page_agrees_with_the_command_line(tmp_path, browser_page):  # noqa: F811
    page = browser_page
    book = write_gradebook(tmp_path / "gradebook.sqlite")
    with NodeHarness(tmp_path / "nodes", nodes=1) as h:
        (node,) = h.nodes
        wallet = Wallet.create(tmp_path / "issuer.json")
        node.mine(5, wallet.address)
        issued = cli(
            "issue", str(book), "--node", node.url, "--wallet", str(wallet.path),
            "--course", "Blockchain 101", "--min-score", "0.6", "--out", str(tmp_path / "c"),
            "--mine",
        )  # fmt: skip
        assert issued.exit_code == 0, issued.output
        ada = (tmp_path / "c" / "ada.json").read_text()

        verdict, step = check_on_page(page, node.url, ada)
        assert verdict.startswith("VALID") and "ada completed" in verdict, verdict
        assert step is None

        tampered = json.loads(ada)
        tampered["certificate"]["student"] = "mallory"
        verdict, step = check_on_page(page, node.url, json.dumps(tampered))
        assert step == "hash" and "hash mismatch" in verdict

        verdict, _ = check_on_page(page, node.url, "not json")
        assert "not a certificate" in verdict

        txid = json.loads(ada)["anchor"]["txid"]
        page.goto(node.url + f"/#/tx/{txid}")
        page.wait_for_selector("#anchor-kind")
        assert page.inner_text("#anchor-kind") == "certificate batch"

        revoked = cli(
            "revoke", str(tmp_path / "c" / "ada.json"), str(tmp_path / "c" / "bob.json"),
            "--node", node.url, "--wallet", str(wallet.path), "--reason", "plagiarism", "--mine",
        )  # fmt: skip
        assert revoked.exit_code == 0, revoked.output
        for name in ("ada", "bob"):
            text = (tmp_path / "c" / f"{name}.json").read_text()
            verdict, step = check_on_page(page, node.url, text)
            assert step == "revocation" and "revoked: plagiarism" in verdict, verdict
            assert "revoking 2 certificate(s)" in verdict
        verdict, step = check_on_page(page, node.url, (tmp_path / "c" / "dee.json").read_text())
        assert verdict.startswith("VALID") and step is None, verdict

        revocation_txid = revoked.output.split("in one transaction ")[1].split(":")[0]
        page.goto(node.url + f"/#/tx/{revocation_txid}")
        page.wait_for_selector("#anchor-kind")
        assert page.inner_text("#anchor-kind") == "certificate revocation"
        assert page.inner_text("#revoked-count") == "2"

        # a record of the first revoke's format (EDUR + one hash + the reason) revokes dee
        dee = (tmp_path / "c" / "dee.json").read_text()
        issuer = issuing.issuer_wallet(wallet)
        with NodeClient(node.url) as client:
            coins = issuing.issuer_coins(client, issuer)
        data = b"EDUR" + bytes.fromhex(json.loads(dee)["hash"]) + b"lost the exam"
        old, _ = issuing.anchor_transaction(issuer, coins, data)
        node.submit_tx(old.serialize().hex())
        node.mine(1)
        verdict, step = check_on_page(page, node.url, dee)
        assert step == "revocation" and "revoked: lost the exam" in verdict, verdict
        verdict, step = check_on_page(page, node.url, (tmp_path / "c" / "eve.json").read_text())
        assert verdict.startswith("VALID") and step is None, verdict
        page.goto(node.url + f"/#/tx/{old.id}")
        page.wait_for_selector("#anchor-kind")
        assert page.inner_text("#anchor-kind") == "certificate revocation"
        assert page.inner_text("#revoked-count") == "1"
        assert page.errors == []
