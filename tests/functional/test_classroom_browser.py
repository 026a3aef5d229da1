"""The classroom page in a real headless browser (Debian's chromium, driven by Playwright).

A real ``educhain classroom host`` process; two participants register through the API; the
host mines a block paying ``ada``, while a second node, cut off, mines two paying ``bob``;
when the second node connects the host reorganises.  The page must then show what the API
says: the join token and command, one leaderboard row per participant with the chain's
block counts (``ada``'s block now stale), the challenge titles, and the reorg.  The
instructor controls refuse a wrong token (the error code appears on the page, nothing
changes) and pause mining with the right one.

The browser is never downloaded (see tests/functional/test_explorer_browser.py); without
chromium or playwright the browser test is skipped with the reason.  The checks that need no
browser (assets served same-origin, no external URLs) always run.
"""

from __future__ import annotations

import re

import pytest

from edu_chain.classroom.routes import STATIC_FILES
from edu_chain.keys import PrivateKey
from edu_chain.node import testnet
from edu_chain.node.explorer import static_text
from edu_chain.script.address import script_pubkey_to_address
from edu_chain.script.standard import p2wpkh
from tests.functional.harness import NodeProcess, wait_until
from tests.functional.test_classroom import ClassroomNode
from tests.functional.test_explorer_browser import browser_page, screenshot  # noqa: F401

TOKEN = "teacher-token"
JOIN_TOKEN = "projector7"


def test_no_external_assets():
    """No CDN, no web font, no absolute URL: the page works in a room without internet."""
    for name in ("classroom.html", *STATIC_FILES):
        text = static_text(name, "edu_chain.classroom")
        assert not re.search(r"https?://|//[a-z0-9.-]+\.[a-z]{2,}/", text, re.IGNORECASE), name
        assert "@import" not in text and "url(" not in text, name


def address_for(secret: int) -> str:
    return script_pubkey_to_address(p2wpkh(PrivateKey(secret).public_key.pubkey_hash()))


@pytest.mark.slow
@pytest.mark.timeout(180)
def test_classroom_page_leaderboard_reorg_and_controls(tmp_path, browser_page):  # noqa: F811
    page = browser_page
    side = NodeProcess(1, tmp_path / "side")
    port = testnet.free_ports(1)[0]
    host = ClassroomNode(
        "host",
        tmp_path / "host",
        "127.0.0.1",
        port,
        [
            "host", "--data-dir", str(tmp_path / "host"), "--port", str(port),
            "--name", "Block 101", "--network", "unittest", "--token", TOKEN,
            "--join-token", JOIN_TOKEN, "--sync-interval", "0.5",
        ],
    )  # fmt: skip
    host.token = TOKEN
    try:
        host.start()
        host.wait_ready()
        side.start()
        ada, bob = address_for(0xADA), address_for(0xB0B)
        for name, address in (("ada", ada), ("bob", bob)):
            host.post(
                "/api/classroom/join",
                {"name": name, "address": address, "node": "127.0.0.1:1", "token": JOIN_TOKEN},
            )
        losing = host.mine(1, ada).blocks[0]
        side.mine(2, bob)
        side.add_peer(host.peer)
        wait_until(lambda: host.tip().hash == side.tip()["hash"], what="the host to reorg")

        page.goto(f"{host.url}/classroom")
        page.wait_for_selector("body[data-loaded='1']")
        wait_until(
            lambda: not page.locator("#reorg").is_hidden(), what="the page to show the reorg"
        )
        assert page.text_content("#join-token") == JOIN_TOKEN
        command = page.text_content("#join-command")
        assert command.startswith(f"educhain classroom join {host.url}")
        assert f"--token {JOIN_TOKEN}" in command
        assert losing[:12] in page.text_content("#reorg-text")

        rows = host._http.get(host.url + "/api/classroom/leaderboard").json()
        assert [(r["name"], r["blocks"], r["stale_blocks"]) for r in rows] == [
            ("bob", 2, 0),
            ("ada", 0, 1),
        ]
        shown = page.locator("#leaderboard tbody tr")
        assert shown.count() == 2
        for i, row in enumerate(rows):
            assert shown.nth(i).locator(".name").text_content() == row["name"]
            assert shown.nth(i).locator(".blocks").text_content() == str(row["blocks"])
            assert shown.nth(i).locator(".stale").text_content() == str(row["stale_blocks"])
        titles = page.locator("#challenges tbody tr").all_text_contents()
        assert any("three classmates" in t for t in titles)
        screenshot(page, tmp_path, "classroom")

        page.fill("#token", "not-the-token")
        page.click("button[data-action='pause']")
        wait_until(
            lambda: "bad-token" in page.text_content("#control-result"),
            what="the page to show the refusal",
        )
        assert host.get("/api/classroom/info")["controls"]["mining"] is True
        page.fill("#token", TOKEN)
        page.click("button[data-action='pause']")
        wait_until(
            lambda: page.text_content("#control-result") == "pause: done",
            what="the page to confirm the pause",
        )
        assert host.get("/api/classroom/info")["controls"]["mining"] is False
        page.fill("#interval", "30")
        page.click("button[data-action='pace']")
        wait_until(lambda: "target: 30 s/block" in page.text_content("#pace"), what="the pace")
        pace = host.get("/api/classroom/info")["pace"]
        assert pace["target"] == 30 and pace["blocks"] == 0  # measured from the change on
        assert "last 0 blocks since it was set: — as they arrived" in page.text_content("#pace")
        rows_before = page.locator("#leaderboard tbody tr").count()
        session = host.get("/api/classroom/info")["session"]
        page.once("dialog", lambda dialog: dialog.dismiss())  # the instructor thinks again
        page.click("button[data-action='reset']")
        wait_until(
            lambda: page.text_content("#control-result") == "reset: cancelled",
            what="the page to say the reset was cancelled",
        )
        info = host.get("/api/classroom/info")  # nothing was reset
        assert info["participants"] == rows_before == 2 and info["session"] == session
        page.once("dialog", lambda dialog: dialog.accept())
        page.click("button[data-action='reset']")
        wait_until(lambda: page.locator("#reorg").is_hidden(), what="the reset to clear the reorg")
        assert page.locator("#leaderboard tbody tr").count() == 0
        assert "no target" in page.text_content("#pace")
        # the only console error is chromium logging the refused control call (the 403)
        assert [e for e in page.errors if "status of 403" not in e] == []
    finally:
        side.close()
        host.stop()
