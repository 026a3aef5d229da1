"""Certificates on real node processes: issue from a graded class, verify everywhere, tamper,
revoke, reorg, bad input.

Oracles: the gradebook's scores decide who gets a file (``tests/certificates_data.py``);
every certificate verifies through the issuing node, through a *different* node that synced
the chain, and with only the exported header file; each tampered field fails at its named
step; one revocation transaction for three certificates fails exactly those three (a forged
one, signed by another key, is ignored); a reorg that drops the anchoring block makes
verification fail until the transaction is mined again.  Nodes: tests/functional/harness.py.
"""

from __future__ import annotations

import json
import sqlite3

import pytest
from click.testing import CliRunner

from edu_chain.certificates import issue as issuing
from edu_chain.certificates.anchor import (
    MAX_REVOKED_PER_TX,
    hashes_per_transaction,
    revocation_data,
)
from edu_chain.chain.params import ChainParams
from edu_chain.cli import main
from edu_chain.node.client import NodeClient
from edu_chain.tx import OutPoint, TxOut
from edu_chain.wallet import Wallet
from tests.certificates_data import PASSING_AT_60, write_gradebook
from tests.functional.harness import NodeHarness

pytestmark = [pytest.mark.slow, pytest.mark.timeout(180)]

COURSE = "Blockchain 101"


def cli(*args: str):
    return CliRunner().invoke(main, ["certificates", *args])


def verify(path, *extra: str):
    result = cli("verify", str(path), "--json", *extra)
    verdict = json.loads(result.output.strip().splitlines()[-1])
    assert result.exit_code == (0 if verdict["valid"] else 1), result.output
    return verdict


def issue(tmp_path, node, wallet, out="certs", *extra: str):
    return cli(
        "issue", str(tmp_path / "gradebook.sqlite"), "--node", node.url, "--wallet",
        str(wallet.path), "--course", COURSE, "--min-score", "0.6", "--out",
        str(tmp_path / out), *extra,
    )  # fmt: skip


def funded_issuer(tmp_path, node) -> Wallet:
    tmp_path.mkdir(parents=True, exist_ok=True)
    wallet = Wallet.create(tmp_path / "issuer.json")
    node.mine(5, wallet.address)  # coinbase maturity 3 on the unittest chain
    return wallet


def test_issue_verify_everywhere_tamper_and_revoke(tmp_path):
    write_gradebook(tmp_path / "gradebook.sqlite")
    with NodeHarness(tmp_path / "nodes", nodes=2) as h:
        a, b = h.nodes
        wallet = funded_issuer(tmp_path, a)

        h.log.info("issue from the graded class, mining the anchoring block")
        result = issue(tmp_path, a, wallet, "certs", "--mine")
        assert result.exit_code == 0, result.output
        assert "issued 4 certificate(s) to: ada, bob, dee, eve" in result.output
        assert "below the bar: cyd" in result.output
        files = sorted(p.stem for p in (tmp_path / "certs").glob("*.json"))
        assert files == PASSING_AT_60
        certs = {name: tmp_path / "certs" / f"{name}.json" for name in files}
        first = json.loads(certs["ada"].read_text())
        assert {row["id"]: row["points"] for row in first["certificate"]["exercises"]} == {
            "merkle_root": 10, "sha256": 10, "target": 9.5,
        }  # fmt: skip
        assert first["certificate"]["issuer_public_key"] == wallet.public_keys[0].hex()
        txid = first["anchor"]["txid"]
        assert all(json.loads(p.read_text())["anchor"]["txid"] == txid for p in certs.values())

        h.log.info("verify every certificate through the issuing node")
        for path in certs.values():
            assert verify(path, "--node", a.url)["valid"]
        assert not verify(certs["ada"], "--node", a.url, "--min-confirmations", "2")["valid"]

        h.log.info("a different node syncs the chain and verifies them too")
        h.connect(a, b)
        h.sync_blocks()
        for path in certs.values():
            assert verify(path, "--node", b.url)["valid"]

        h.log.info("offline: the header chain exported from node b")
        headers = tmp_path / "headers.json"
        exported = cli("export-headers", "--node", b.url, "--out", str(headers))
        assert exported.exit_code == 0, exported.output
        for path in certs.values():
            verdict = verify(path, "--headers", str(headers))
            assert verdict["valid"] and "revocation" not in verdict["passed"]
            assert verdict["notes"][0].startswith("revocations not checked: a header file")
        summary = cli("verify", str(certs["ada"]), "--headers", str(headers))
        assert summary.exit_code == 0 and summary.output.startswith("VALID certificate: ada")
        assert "note       revocations not checked: a header file cannot show them (this is " in (
            summary.output
        )

        h.log.info("tampering any single field fails at its step")
        tampered = tmp_path / "tampered.json"
        for mutate, step, extra in TAMPERINGS:
            data = json.loads(certs["bob"].read_text())
            mutate(data)
            tampered.write_text(json.dumps(data))
            for where in (["--node", b.url], ["--headers", str(headers)]):
                verdict = verify(tampered, *where)
                assert verdict["failed_step"] == step, (step, where, verdict)
                assert extra in verdict["message"]

        h.log.info("offline only: the block's proof of the transaction, the block hash")
        for mutate, message in OFFLINE_TAMPERINGS:
            data = json.loads(certs["bob"].read_text())
            mutate(data)
            tampered.write_text(json.dumps(data))
            verdict = verify(tampered, "--headers", str(headers))
            assert verdict["failed_step"] == "anchor" and message in verdict["message"]

        h.log.info("revoke bob, dee and eve in ONE transaction: they fail, ada still passes")
        assert a.mempool_txids() == set()
        revoked = cli(
            "revoke", str(certs["bob"]), str(certs["dee"]), str(certs["eve"]), "--node", a.url,
            "--wallet", str(wallet.path), "--reason", "plagiarism in exercise 3", "--wait", "0",
        )  # fmt: skip
        assert revoked.exit_code == 0, revoked.output
        assert "revoked 3 certificate(s) in one transaction" in revoked.output
        (txid,) = a.mempool_txids()  # exactly one transaction was broadcast
        assert txid in revoked.output
        a.mine(1)
        h.sync_blocks()
        for node in (a, b):
            for name in ("bob", "dee", "eve"):
                verdict = verify(certs[name], "--node", node.url)
                assert verdict["failed_step"] == "revocation"
                assert verdict["message"].startswith(
                    f"revoked: plagiarism in exercise 3 (transaction {txid}, revoking 3"
                )
            assert verify(certs["ada"], "--node", node.url)["valid"]

        h.log.info("a revocation of ada signed by another key is ignored")
        stranger = funded_issuer(tmp_path / "stranger", a)
        with NodeClient(a.url) as node:  # the harness's process object shadows .address
            coins = issuing.issuer_coins(node, stranger)
        ada_hash = bytes.fromhex(json.loads(certs["ada"].read_text())["hash"])
        fake, _ = issuing.anchor_transaction(stranger, coins, revocation_data([ada_hash], "forged"))
        a.submit_tx(fake.serialize().hex())
        a.mine(1)
        h.sync_blocks()
        for node in (a, b):
            verdict = verify(certs["ada"], "--node", node.url)
            assert verdict["valid"], verdict
            assert any(f"not signed by the issuer ({fake.id})" in n for n in verdict["notes"])


def _set(path: tuple, value):
    def mutate(data):
        target = data
        for key in path[:-1]:
            target = target[key]
        target[path[-1]] = value

    return mutate


def _flip_path(data):
    first = data["batch"]["merkle_path"][0]
    data["batch"]["merkle_path"][0] = ("0" if first[0] != "0" else "1") + first[1:]


TAMPERINGS = [
    (_set(("certificate", "student"), "mallory"), "hash", "hash mismatch"),
    (_set(("certificate", "course"), "Advanced Blockchain"), "hash", "hash mismatch"),
    (_set(("certificate", "date"), "2020-01-01"), "hash", "hash mismatch"),
    (_set(("certificate", "total"), 30), "hash", "hash mismatch"),
    (
        lambda d: d["certificate"]["exercises"][2].update(points=10),
        "hash",
        "hash mismatch",
    ),
    (_flip_path, "merkle-path", "bad Merkle path"),
    (_set(("batch", "index"), 2), "merkle-path", "bad Merkle path"),
    (_set(("anchor", "txid"), "ab" * 32), "anchor", "anchoring transaction unknown"),
]


OFFLINE_TAMPERINGS = [
    (_set(("anchor", "tx_merkle_path"), ["00" * 32]), "Merkle proof does not lead"),
    (_set(("anchor", "block_hash"), "00" * 32), "not in the header chain"),
]


def test_reorg_removes_the_anchor_until_it_is_mined_again(tmp_path):
    write_gradebook(tmp_path / "gradebook.sqlite")
    with NodeHarness(tmp_path / "nodes", nodes=2) as h:
        a, b = h.nodes
        wallet = funded_issuer(tmp_path, a)
        h.connect(a, b)
        h.sync_blocks()
        h.log.info("partition; node a anchors a batch in its block, node b mines a longer branch")
        h.disconnect(a, b)
        assert issue(tmp_path, a, wallet, "certs", "--mine").exit_code == 0
        cert = tmp_path / "certs" / "ada.json"
        assert verify(cert, "--node", a.url)["valid"]
        b.mine(3)
        h.log.info("offline, the header file with the most work wins: b's branch")
        stale, best = tmp_path / "stale.json", tmp_path / "best.json"
        assert cli("export-headers", "--node", a.url, "--out", str(stale)).exit_code == 0
        assert cli("export-headers", "--node", b.url, "--out", str(best)).exit_code == 0
        assert verify(cert, "--headers", str(stale))["valid"]  # all this light client knows
        for files in ([stale, best], [best, stale]):
            verdict = verify(cert, *[arg for f in files for arg in ("--headers", str(f))])
            assert verdict["failed_step"] == "anchor", verdict
            assert "not in the header chain" in verdict["message"]
        h.log.info("a header file whose chain is broken is refused, even beside a good one")
        broken = json.loads(best.read_text())
        header = bytearray.fromhex(broken["headers"][-1])
        header[4] ^= 1  # its prev_hash (bytes 4..36): checked before its proof-of-work
        broken["headers"][-1] = header.hex()
        (tmp_path / "broken.json").write_text(json.dumps(broken))
        height = len(broken["headers"]) - 1
        for files in (["broken.json"], ["stale.json", "broken.json"]):
            headers = [arg for f in files for arg in ("--headers", str(tmp_path / f))]
            result = cli("verify", str(cert), *headers)
            assert result.exit_code == 2, result.output
            assert len(result.output.strip().splitlines()) == 1, result.output
            assert f"header {height} does not link" in result.output
        h.connect(a, b)
        h.sync_blocks()
        h.log.info("the anchoring block is stale: the transaction waits in a's mempool")
        verdict = verify(cert, "--node", a.url)
        assert verdict["failed_step"] == "anchor"
        assert "not in the best chain" in verdict["message"]
        h.log.info("mined again: valid again, with a note about the new block")
        a.mine(1)
        h.sync_blocks()
        verdict = verify(cert, "--node", b.url)
        assert verdict["valid"] and any("reorg" in note for note in verdict["notes"])
        assert cli("confirm", str(tmp_path / "certs"), "--node", b.url).exit_code == 0
        headers = tmp_path / "headers.json"
        assert cli("export-headers", "--node", b.url, "--out", str(headers)).exit_code == 0
        assert verify(cert, "--headers", str(headers))["valid"]


def test_revoking_more_than_one_transaction_holds(tmp_path):
    """3,001 of 3,002 certificates revoked in one run: as many transactions as the chain's
    size limit needs (hashes_per_transaction: 93 hashes each on the unit-test chain's
    5,000-byte transactions, 3,000 on the classroom chain), every one found by verify, the
    last certificate still valid; with one bad file among them nothing is sent.  A record
    of the first ``revoke``'s format (one hash) still revokes."""
    reason = "exam leak"
    per_tx = hashes_per_transaction(ChainParams.for_tests().max_tx_size, reason)
    scores = {f"s{i:04d}": {"sha256": 10} for i in range(MAX_REVOKED_PER_TX + 2)}
    write_gradebook(tmp_path / "gradebook.sqlite", scores)
    with NodeHarness(tmp_path / "nodes", nodes=1) as h:
        (a,) = h.nodes
        wallet = funded_issuer(tmp_path, a)
        assert issue(tmp_path, a, wallet, "certs", "--mine").exit_code == 0
        paths = sorted((tmp_path / "certs").glob("*.json"))
        assert len(paths) == MAX_REVOKED_PER_TX + 2
        revoked, kept = [str(path) for path in paths[:-1]], paths[-1]
        revoke = ["--node", a.url, "--wallet", str(wallet.path), "--reason", reason]

        h.log.info("one file that is not a certificate among 3,001: nothing is sent")
        junk = tmp_path / "junk.json"
        junk.write_text("not json {")
        result = cli("revoke", *revoked[:1500], str(junk), *revoked[1500:], *revoke)
        assert result.exit_code == 2 and "is not JSON" in result.output
        assert len(result.output.strip().splitlines()) == 1, result.output
        assert a.mempool_txids() == set()

        h.log.info("3,001 certificates: %d hashes per transaction", per_tx)
        result = cli("revoke", *revoked, *revoke, "--wait", "0")
        assert result.exit_code == 0, result.output
        count = -(-len(revoked) // per_tx)
        sent = a.mempool_txids()
        assert len(sent) == count and all(txid in result.output for txid in sent)
        assert (
            f"revoked 3001 certificate(s) in {count} transactions (at most {per_tx} each)"
            in result.output
        )
        for _ in range(count):  # a block holds a few of them (20,000 bytes on this chain)
            if not a.mempool_txids():
                break
            a.mine(1)
        assert a.mempool_txids() == set()
        last = len(revoked) - (count - 1) * per_tx
        for path, batch in ((revoked[0], per_tx), (revoked[per_tx], per_tx), (revoked[-1], last)):
            verdict = verify(path, "--node", a.url)
            assert verdict["failed_step"] == "revocation", verdict
            assert verdict["message"].startswith(f"revoked: {reason} (transaction ")
            assert f"revoking {batch} certificate(s)" in verdict["message"]
        assert verify(kept, "--node", a.url)["valid"]

        h.log.info("a record of the first revoke's format, signed by the issuer")
        issuer = issuing.issuer_wallet(wallet)
        with NodeClient(a.url) as node:
            coins = issuing.issuer_coins(node, issuer)
        leaf = bytes.fromhex(json.loads(kept.read_text())["hash"])
        old, _ = issuing.anchor_transaction(issuer, coins, b"EDUR" + leaf + b"lost the exam")
        a.submit_tx(old.serialize().hex())
        a.mine(1)
        verdict = verify(kept, "--node", a.url)
        assert verdict["failed_step"] == "revocation"
        assert verdict["message"].startswith(f"revoked: lost the exam (transaction {old.id}")


def test_bad_input_is_one_line_exit_2_and_nothing_broadcast(tmp_path):
    book = write_gradebook(tmp_path / "gradebook.sqlite")
    not_a_book = tmp_path / "notes.sqlite"
    not_a_book.write_text("hello")
    other_db = tmp_path / "other.sqlite"
    with sqlite3.connect(other_db) as db:  # a database, but not the grader's
        db.execute("CREATE TABLE marks (student TEXT, points REAL)")
    with NodeHarness(tmp_path / "nodes", nodes=1) as h:
        (a,) = h.nodes
        broke = Wallet.create(tmp_path / "broke.json")
        h.log.info("issue: no gradebook, not a gradebook, too few coins, no node")
        cases = {
            "no gradebook": (tmp_path / "missing.sqlite", a.url, "no gradebook at"),
            "not a gradebook (text)": (not_a_book, a.url, "is not a gradebook"),
            "not a gradebook (another database)": (other_db, a.url, "is not a gradebook"),
            "too few coins": (book, a.url, "cannot pay the anchor"),
            "unreachable node": (book, "http://127.0.0.1:9", "no node"),
        }
        for name, (gradebook, url, message) in cases.items():
            result = cli(
                "issue", str(gradebook), "--node", url, "--wallet", str(broke.path),
                "--course", COURSE, "--min-score", "0.6", "--out", str(tmp_path / "out"),
            )  # fmt: skip
            assert result.exit_code == 2, (name, result.output)
            assert len(result.output.strip().splitlines()) == 1, (name, result.output)
            assert message in result.output, (name, result.output)
        assert a.mempool_txids() == set()
        assert not (tmp_path / "out").exists()

        h.log.info("revoke and verify: not JSON, too few coins, no node")
        cert = certificate_of(broke, tmp_path)
        junk = tmp_path / "junk.json"
        junk.write_text("not json {")
        revoke = ["--wallet", str(broke.path), "--reason", "plagiarism"]
        cases = {
            "revoke: not JSON": (["revoke", str(junk), "--node", a.url, *revoke], "is not JSON"),
            "revoke: too few coins": (
                ["revoke", str(cert), "--node", a.url, *revoke],
                "cannot pay the revocation",
            ),
            "revoke: unreachable node": (
                ["revoke", str(cert), "--node", "http://127.0.0.1:9", *revoke],
                "no node",
            ),
            "verify: not JSON": (["verify", str(junk), "--node", a.url], "is not JSON"),
        }
        for name, (args, message) in cases.items():
            result = cli(*args)
            assert result.exit_code == 2, (name, result.output)
            assert len(result.output.strip().splitlines()) == 1, (name, result.output)
            assert message in result.output, (name, result.output)
        assert a.mempool_txids() == set()


def certificate_of(issuer: Wallet, tmp_path):
    """A certificate naming ``issuer`` (made offline: revoke reads it before asking a node)."""
    grades = issuing.read_gradebook(tmp_path / "gradebook.sqlite")
    bodies, tree = issuing.build_batch(
        grades, ["ada"], course=COURSE, date="2026-12-07",
        issuer_public_key=issuer.public_keys[0], min_score=0.6,
    )  # fmt: skip
    coins = {OutPoint(bytes(32), 0): TxOut(100_000, issuer.script_pubkeys[0])}
    tx, spent = issuing.anchor_batch(issuer, coins, tree)
    path = tmp_path / "ada.json"
    issuing.certificates_for(bodies, tree, tx, spent)[0].write(path)
    return path
