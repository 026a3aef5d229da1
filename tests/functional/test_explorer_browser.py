"""The web explorer, in a real headless browser (Debian's chromium, driven by Playwright).

Two real nodes (``tests/functional/harness.py``) make a fork: node1 is cut off, mines one
block of its own, node0 mines two, the link heals and node1 reorganises.  Then the browser,
pointed at node1, must: load every view without a JavaScript error, navigate from the recent
blocks to a block page showing that block's hash, and draw the fork tree with node1's losing
block as a *stale* branch beside the active chain.  The oracle is the node's JSON API (the
tip, ``/api/forks``): the page must show what the API says.

The browser is never downloaded: ``executable_path`` points at the system's chromium
(``.ci/run`` installs Debian's); without it, or without the ``playwright`` package, the
browser test is skipped with the reason.  The checks that need no browser (assets, headers,
no external URLs) always run.

Set ``EDUCHAIN_SCREENSHOTS=DIR`` to keep the screenshots the test takes.
"""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

import pytest

from edu_chain.node.explorer import CONTENT_SECURITY_POLICY, STATIC_FILES, mount, static_text
from tests.functional.harness import NodeHarness, wait_until

CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def chromium_path() -> str | None:
    for candidate in (
        "/usr/bin/chromium",
        shutil.which("chromium"),
        shutil.which("chromium-browser"),
    ):
        if candidate and os.access(candidate, os.X_OK):
            return candidate
    return None


# --- without a browser ---------------------------------------------------------------------


@pytest.fixture
def client():
    from fastapi import FastAPI
    from fastapi.testclient import TestClient

    app = FastAPI()
    mount(app)
    with TestClient(app) as test_client:
        yield test_client


def test_page_and_assets_are_served_with_a_same_origin_policy(client):
    page = client.get("/")
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assert page.headers["content-security-policy"] == CONTENT_SECURITY_POLICY
    assert "default-src 'self'" in CONTENT_SECURITY_POLICY
    for name, media_type in STATIC_FILES.items():
        assert f"/explorer/static/{name}" in page.text
        asset = client.get(f"/explorer/static/{name}")
        assert asset.status_code == 200
        assert asset.headers["content-type"] == media_type
        assert asset.text == static_text(name)


def test_only_the_listed_assets_are_served(client):
    reply = client.get("/explorer/static/nope.js")
    assert reply.status_code == 404
    assert reply.json()["error"]["code"] == "not-found"
    for path in ("/explorer/static/..%2F__init__.py", "/explorer/static/../__init__.py"):
        assert client.get(path).status_code == 404


def test_no_external_assets():
    """No CDN, no web font, no absolute URL: the page works in a classroom without internet."""
    for name in ("index.html", *STATIC_FILES):
        text = static_text(name)
        text = text.replace('xmlns="http://www.w3.org/2000/svg"', "")  # a namespace, not a fetch
        assert not re.search(r"https?://|//[a-z0-9.-]+\.[a-z]{2,}/", text, re.IGNORECASE), name
        assert "@import" not in text and "url(" not in text, name


# --- in chromium ---------------------------------------------------------------------------


@pytest.fixture
def browser_page(tmp_path):
    executable = chromium_path()
    if executable is None:
        pytest.skip("no chromium on this machine (Debian: apt-get install chromium)")
    sync_api = pytest.importorskip(
        "playwright.sync_api", reason="the playwright package is not installed (dev extra)"
    )
    with sync_api.sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            str(tmp_path / "chromium-profile"),  # a fresh profile every run
            executable_path=executable,
            headless=True,
            args=CHROMIUM_FLAGS,
            viewport={"width": 1280, "height": 900},
        )
        try:
            page = context.new_page()
            page.set_default_timeout(20_000)
            page.errors = []
            page.on("pageerror", lambda error: page.errors.append(str(error)))
            page.on(
                "console",
                lambda message: (
                    page.errors.append(message.text) if message.type == "error" else None
                ),
            )
            yield page
        finally:
            context.close()


def screenshot(page, tmp_path: Path, name: str) -> Path:
    path = tmp_path / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    keep = os.environ.get("EDUCHAIN_SCREENSHOTS")
    if keep:
        Path(keep).mkdir(parents=True, exist_ok=True)
        shutil.copy(path, Path(keep) / path.name)
    return path


@pytest.mark.slow
@pytest.mark.timeout(180)
def test_explorer_pages_navigation_and_stale_branch(tmp_path, browser_page):
    page = browser_page
    with NodeHarness(tmp_path / "nodes", nodes=2) as h:
        node0, node1 = h.nodes
        h.connect(node0, node1)
        node1.mine(4)  # node1's wallet gets coinbases (mature after 3 on unittest)
        h.sync_blocks()
        h.log.info("fork: node1 alone mines 1 block, node0 mines 2, then heal")
        h.disconnect(node0, node1)
        faucet_tx = node1.post("/api/faucet", {"address": node0.info()["wallet_address"]})["txid"]
        stale_hash = node1.mine(1)[0]
        node0.mine(2)
        h.connect(node0, node1)
        tip = h.sync_blocks()
        forks = node1.get("/api/forks")["blocks"]
        assert [b["hash"] for b in forks if not b["active"]] == [stale_hash]

        # Overview: the tip and the recent blocks, as the API reports them.
        page.goto(node1.url + "/")
        page.wait_for_selector("#recent-blocks tbody tr a.block-link")
        assert tip["hash"] in page.inner_text(".card.tip")
        rows = page.locator("#recent-blocks tbody tr")
        assert rows.count() == tip["height"] + 1
        assert "node1" in page.inner_text("#status")
        screenshot(page, tmp_path, "overview")

        # A block link navigates to that block's page.
        first = page.locator("#recent-blocks a.block-link").first
        target = first.get_attribute("title")
        first.click()
        page.wait_for_selector("#block-hash")
        assert page.url.endswith(f"#/block/{target}")
        assert page.inner_text("#block-hash") == target == tip["hash"]
        assert "active chain" in page.inner_text("main")

        # From the block to its coinbase transaction, and to the address it pays.
        page.locator("#block-txs a.tx-link").first.click()
        page.wait_for_selector("#tx-id")
        assert "coinbase" in page.inner_text("main")
        page.locator("main a.address-link").first.click()
        page.wait_for_selector("#utxos")
        assert page.inner_text("#address") == node0.info()["wallet_address"]

        # The faucet payment of the losing branch is back in node1's mempool, on the page too.
        wait_until(lambda: faucet_tx in node1.mempool_txids(), what="the tx back in the mempool")
        page.goto(node1.url + "/#/mempool")
        page.wait_for_selector(f"#mempool a[title='{faucet_tx}']")

        # The faucet's segwit payment: scripts in asm, its witness, and "step through" an
        # input, which replays its scripts (GET /api/tx/{txid}/inputs/0/trace) step by step.
        page.goto(node1.url + f"/#/tx/{faucet_tx}")
        page.wait_for_selector("#tx-id")
        witness = node1.get(f"/api/tx/{faucet_tx}")["vin"][0]["txinwitness"]
        assert witness[1] in page.inner_text("main")  # the public key, as hex
        page.locator("main a:has-text('step through')").first.click()
        page.wait_for_selector("#trace-steps")
        expected = node1.get(f"/api/tx/{faucet_tx}/inputs/0/trace")
        assert expected["ok"] and page.locator("#trace-steps tbody tr").count() == len(
            expected["steps"]
        )
        assert "OP_CHECKSIG" in page.inner_text("#trace-steps")
        screenshot(page, tmp_path, "trace")

        # Charts draw from /api/stats.
        page.goto(node1.url + "/#/stats")
        # (attached, not "visible": a constant difficulty is a flat line with no height)
        page.wait_for_selector("svg.chart[data-series='difficulty'] path.line", state="attached")
        assert page.locator("svg.chart").count() == 3

        # The fork tree: the active chain in green, node1's own block as a stale branch.
        page.goto(node1.url + "/#/forks")
        page.wait_for_selector("#fork-tree g.block")
        stale = page.locator("#fork-tree g.block.stale")
        assert stale.count() == 1
        assert stale.first.get_attribute("data-hash") == stale_hash
        assert page.locator("#fork-tree g.block.active").count() == tip["height"] + 1
        assert stale_hash in page.inner_text("#stale-blocks")
        screenshot(page, tmp_path, "fork-tree")

        # A stale block's page says so.
        page.locator(f"#fork-tree g.block[data-hash='{stale_hash}']").click()
        page.wait_for_selector("#block-hash")
        assert page.inner_text("#block-hash") == stale_hash
        assert "stale branch" in page.inner_text("main")

        # Older blocks, a page at a time: heights below 3, newest first, as the API says.
        page.goto(node1.url + "/#/blocks/3")
        page.wait_for_selector("h1:has-text('below height 3')")
        links = page.locator("#recent-blocks a.block-link")
        expected = [node1.get(f"/api/height/{height}")["hash"] for height in (2, 1, 0)]
        assert [links.nth(i).get_attribute("title") for i in range(links.count())] == expected

        # The search box: a height goes to the block at that height.
        page.fill("#search-input", "0")
        page.press("#search-input", "Enter")
        page.wait_for_url(re.compile(r"#/block/[0-9a-f]{64}$"))
        page.wait_for_selector("#block-hash")
        assert page.inner_text("#block-hash") == node1.get("/api/height/0")["hash"]
        # ... a 64-hex id that is not a block is a transaction; anything else an address.
        for query, route, shown in [
            (faucet_tx, f"#/tx/{faucet_tx}", "#tx-id"),
            (node0.info()["wallet_address"], "#/address/", "#address"),
        ]:
            page.fill("#search-input", query)
            page.press("#search-input", "Enter")
            page.wait_for_url(re.compile(re.escape(route)))
            page.wait_for_selector(shown)
            assert query in page.inner_text(shown)

        # A bad hash shows the API's error instead of breaking the page.
        page.goto(node1.url + "/#/block/" + "ab" * 32)
        page.wait_for_selector("#view-error")
        assert "404" in page.inner_text("#view-error")

    unexpected = [e for e in page.errors if "404" not in e and "Failed to load resource" not in e]
    assert unexpected == []
