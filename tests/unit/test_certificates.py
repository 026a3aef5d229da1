"""Certificates without a node: canonical hashing, the batch tree and paths, the anchor
records, the issuer's signature, the header chain, and every failing step of verification.

Oracles: hashlib directly (the certificate hash, an independent Merkle tree and proofs),
Hypothesis properties, the wallet's real signed transactions, and hand-broken header chains.
"""

from __future__ import annotations

import copy
import hashlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from edu_chain.block import BlockHeader
from edu_chain.certificates import (
    BatchTree,
    Certificate,
    canonical_json,
    certificate_hash,
    path_length,
    verify_certificate,
    verify_path,
)
from edu_chain.certificates.anchor import (
    MAX_REASON_BYTES,
    MAX_REVOKED_PER_TX,
    batch_data,
    hashes_per_transaction,
    op_return_data,
    parse_legacy_revocation,
    parse_revocation,
    read_revocation,
    revocation_data,
    revocation_records,
    signed_by,
)
from edu_chain.certificates.document import CertificateError, make_body
from edu_chain.certificates.headers import (
    HeaderChainError,
    best_chain,
    check_header_chain,
)
from edu_chain.certificates.issue import (
    Grades,
    IssueError,
    anchor_chain,
    build_batch,
    certificates_for,
    read_gradebook,
    select_passing,
)
from edu_chain.certificates.verify import Anchor, HeaderSource, StepFailed
from edu_chain.chain.params import ChainParams
from edu_chain.keys import PrivateKey
from edu_chain.policy import check_standard
from edu_chain.pow.target import bits_to_target
from edu_chain.tx import OutPoint, Transaction, TxOut
from edu_chain.wallet import InsufficientFundsError, Wallet, data_script
from tests.certificates_data import PASSING_AT_60, write_gradebook


def sha256d(data: bytes) -> bytes:
    return hashlib.sha256(hashlib.sha256(data).digest()).digest()


def oracle_levels(leaves: list[bytes]) -> list[list[bytes]]:
    """Bitcoin's Merkle rule written again on hashlib, independent of edu_chain.merkle."""
    levels = [list(leaves)]
    while len(levels[-1]) > 1:
        level = levels[-1] + ([levels[-1][-1]] if len(levels[-1]) % 2 else [])
        levels.append([sha256d(level[i] + level[i + 1]) for i in range(0, len(level), 2)])
    return levels


def oracle_proof(levels: list[list[bytes]], index: int) -> list[bytes]:
    proof = []
    for level in levels[:-1]:
        sibling = index ^ 1
        proof.append(level[sibling] if sibling < len(level) else level[index])
        index //= 2
    return proof


# --- canonical JSON and the hash ------------------------------------------------------------


def body(**changes):
    fields = make_body(
        student="ada",
        course="Blockchain 101 — Nairobi",
        exercises={"sha256": (10.0, 10.0), "target": (9.5, 10.0)},
        date="2026-12-07",
        issuer_public_key=bytes.fromhex("02" + "11" * 32),
        min_score=0.6,
    )
    fields.update(changes)
    return fields


def test_canonical_json_is_sorted_compact_utf8_and_hashed_with_sha256d():
    fields = body()
    raw = canonical_json(fields)
    assert raw.startswith(b'{"course":"Blockchain 101 \xe2\x80\x94 Nairobi","date":"2026-12-07"')
    assert b" " not in raw.replace(b"Blockchain 101 ", b"").replace(b" Nairobi", b"")
    assert b'"points":10}' in raw and b'"points":9.5' in raw and b'"total":19.5' in raw
    assert certificate_hash(fields) == sha256d(raw)
    shuffled = dict(reversed(list(fields.items())))
    assert certificate_hash(shuffled) == certificate_hash(fields)


@pytest.mark.parametrize(
    "field, value",
    [
        ("student", "adb"),
        ("course", "Blockchain 102"),
        ("date", "2026-12-08"),
        ("total", 20),
        ("max_total", 19.5),
        ("min_score", 0.5),
        ("issuer_public_key", "03" + "11" * 32),
    ],
)
def test_every_readable_field_is_covered_by_the_hash(field, value):
    assert certificate_hash(body(**{field: value})) != certificate_hash(body())


def test_a_score_change_changes_the_hash():
    changed = body()
    changed["exercises"][1]["points"] = 10
    assert certificate_hash(changed) != certificate_hash(body())


def test_certificate_file_errors(tmp_path):
    junk = tmp_path / "junk.json"
    junk.write_text("{not json")
    with pytest.raises(CertificateError, match="is not JSON") as error:
        Certificate.load(junk)
    assert error.value.code == "cert-not-json"
    junk.write_text('{"format": "edu_chain-certificate", "version": 1}')
    with pytest.raises(CertificateError, match="field 'certificate'"):
        Certificate.load(junk)
    with pytest.raises(CertificateError, match="cannot read"):
        Certificate.load(tmp_path / "missing.json")


# --- the batch tree ------------------------------------------------------------------------


@settings(max_examples=60, deadline=None)
@given(size=st.integers(1, 70), data=st.data())
def test_batch_tree_matches_the_hashlib_oracle(size, data):
    leaves = [sha256d(i.to_bytes(4, "little")) for i in range(size)]
    tree, levels = BatchTree(leaves), oracle_levels(leaves)
    assert tree.root == levels[-1][0]
    index = data.draw(st.integers(0, size - 1))
    path = tree.path(index)
    assert path == oracle_proof(levels, index)
    assert len(path) == path_length(size)
    assert verify_path(leaves[index], index, size, path, tree.root)
    if size > 1:
        assert not verify_path(leaves[index], index, size, path[:-1], tree.root)
        assert not verify_path(leaves[index], (index + 1) % size, size, path, tree.root) or (
            path[0] == leaves[index]  # a duplicated last leaf is its own sibling
        )


def test_80000_certificates_have_proofs_of_17_hashes():
    leaves = [sha256d(i.to_bytes(4, "little")) for i in range(80_000)]
    tree = BatchTree(leaves)
    assert tree.root == oracle_levels(leaves)[-1][0]
    for index in (0, 1, 40_000, 79_999):
        path = tree.path(index)
        assert len(path) == 17
        assert verify_path(leaves[index], index, 80_000, path, tree.root)
    assert not verify_path(leaves[5], 5, 80_000, tree.path(5), sha256d(b"another root"))


# --- the gradebook -------------------------------------------------------------------------


def test_gradebook_selection(tmp_path):
    grades = read_gradebook(write_gradebook(tmp_path / "book.sqlite"))
    assert grades.max_total == 30
    passing, failing = select_passing(grades, 0.6)
    assert passing == PASSING_AT_60 and failing == ["cyd"]
    assert select_passing(grades, 0.99) == (["dee"], ["ada", "bob", "cyd", "eve"])
    with pytest.raises(IssueError, match="fraction"):
        select_passing(grades, 60)
    with pytest.raises(IssueError, match="no gradebook"):
        read_gradebook(tmp_path / "missing.sqlite")
    (tmp_path / "text.sqlite").write_text("not a database")
    with pytest.raises(IssueError, match="is not a gradebook"):
        read_gradebook(tmp_path / "text.sqlite")


def test_unsafe_student_ids_are_refused():
    grades = Grades({"sha256": 10.0}, {"../evil": {"sha256": 10.0}})
    with pytest.raises(IssueError, match="cannot be a file name"):
        select_passing(grades, 0.5)


# --- anchor records and the issuer's signature ----------------------------------------------


@pytest.mark.parametrize("size", [36, 75, 76, 80, 255, 256, 65_535, 65_536])
def test_op_return_data_reads_what_the_wallet_writes(size):
    data = bytes(i % 251 for i in range(size))
    assert op_return_data(data_script(data)) == data
    assert op_return_data(b"\x00\x14" + bytes(20)) is None


def test_revocation_batch_record_layout():
    leaves = [sha256d(bytes([i])) for i in range(3)]
    data = revocation_data(leaves, "plagiarism")
    # by hand: tag, the reason's length in one byte, the reason, the hashes back to back
    assert data == b"EDUR" + bytes([10]) + b"plagiarism" + b"".join(leaves)
    assert parse_revocation(data) == ("plagiarism", leaves)
    reason = "é" * (MAX_REASON_BYTES // 2)  # 2 bytes of UTF-8 each
    assert parse_revocation(revocation_data(leaves[:1], reason)) == (reason, leaves[:1])
    for broken in (
        data[:-1],  # a hash cut short
        data + bytes(32) + b"x",
        b"EDUC" + data[4:],  # another tag
        b"EDUR" + bytes([0]) + leaves[0],  # no reason
        b"EDUR" + bytes([2]) + b"\xff\xfe" + leaves[0],  # not UTF-8
        b"EDUR" + bytes([10]) + b"plagiarism",  # no hash
        b"EDUR" + bytes(32) + b"a 44-byte reason of the one-per-certificate records",
    ):
        assert parse_revocation(broken) is None, broken


@pytest.mark.parametrize(
    ("leaves", "reason", "message"),
    [
        ([bytes(32)], "x" * (MAX_REASON_BYTES + 1), "at most 255"),
        ([bytes(32)], "  ", "needs a reason"),
        ([], "plagiarism", "at least one certificate"),
        ([bytes(32)] * (MAX_REVOKED_PER_TX + 1), "plagiarism", "at most 3000"),
        ([bytes(31)], "plagiarism", "32 bytes"),
    ],
)
def test_revocation_data_refuses(leaves, reason, message):
    with pytest.raises(ValueError, match=message):
        revocation_data(leaves, reason)


def test_the_largest_revocation_batch_is_one_standard_transaction(tmp_path):
    """3,000 hashes and the longest reason: under Core 30.0's data-carrier budget and, paid
    from two coins of the issuer, under the weight limit (relay policy, edu_chain/policy.py)."""
    leaves = [sha256d(i.to_bytes(2, "big")) for i in range(MAX_REVOKED_PER_TX)]
    data = revocation_data(leaves, "x" * MAX_REASON_BYTES)
    issuer = Wallet(tmp_path / "i.json", [PrivateKey(0x1550E4)])
    coins = {
        OutPoint(sha256d(bytes([n])), 0): TxOut(150_000, issuer.script_pubkeys[0]) for n in (1, 2)
    }
    tx = issuer.build_transaction(coins, [], data=data)
    assert len(tx.inputs) == 2 and len(tx.outputs[0].script_pubkey) == 1 + 5 + 96_260
    check_standard(tx)
    assert parse_revocation(op_return_data(tx.outputs[0].script_pubkey)) == ("x" * 255, leaves)


@pytest.mark.parametrize("count", [1, MAX_REVOKED_PER_TX, MAX_REVOKED_PER_TX + 1, 6_001])
def test_revoking_more_than_one_transaction_holds_splits_the_hashes(count):
    """Oracle: the decoder gives back every hash, in order, each once; ceil(count / 3,000)
    records, each within one transaction's data budget (revocation_data's own limit)."""
    leaves = [sha256d(i.to_bytes(4, "big")) for i in range(count)]
    records = revocation_records(leaves, "plagiarism")
    assert len(records) == -(-count // MAX_REVOKED_PER_TX)
    decoded = [parse_revocation(record) for record in records]
    assert all(reason == "plagiarism" for reason, _ in decoded)
    assert [leaf for _, hashes in decoded for leaf in hashes] == leaves
    assert all(len(hashes) <= MAX_REVOKED_PER_TX for _, hashes in decoded)
    with pytest.raises(ValueError, match="at least one certificate"):
        revocation_records([], "plagiarism")
    with pytest.raises(ValueError, match="at most 255"):
        revocation_records(leaves, "x" * 256)


@pytest.mark.parametrize("params", [ChainParams.edu_regtest(), ChainParams.for_tests()])
def test_a_full_revocation_transaction_fits_the_chains_size_limit(tmp_path, params):
    """As many hashes as hashes_per_transaction allows, the longest reason, paid from 40 coins:
    within the chain's max_tx_size (consensus, counted without witnesses as rules.py does)
    and standard; the classroom chain takes the policy's 3,000."""
    reason = "x" * MAX_REASON_BYTES
    per_tx = hashes_per_transaction(params.max_tx_size, reason)
    assert per_tx == (MAX_REVOKED_PER_TX if params.name == "edu-regtest" else 85)
    issuer = Wallet(tmp_path / "i.json", [PrivateKey(0x1550E4)])
    coins = {
        OutPoint(sha256d(n.to_bytes(2, "big")), 0): TxOut(500, issuer.script_pubkeys[0])
        for n in range(40)
    }
    leaves = [sha256d(i.to_bytes(2, "big")) for i in range(per_tx)]
    tx = issuer.build_transaction(coins, [], data=revocation_data(leaves, reason), fee=19_990)
    assert len(tx.inputs) == 40 and len(tx.serialize_legacy()) <= params.max_tx_size
    check_standard(tx)


def test_a_split_revocation_is_a_chain_of_standard_transactions_built_before_any_is_sent(
    tmp_path,
):
    """3,001 hashes: two standard transactions signed by the issuer, the second paying with
    the first one's change; a coin that pays the first but not the second: no transaction."""
    issuer = Wallet(tmp_path / "i.json", [PrivateKey(0x1550E4)])
    leaves = [sha256d(i.to_bytes(4, "big")) for i in range(MAX_REVOKED_PER_TX + 1)]
    records = revocation_records(leaves, "x" * MAX_REASON_BYTES)
    coins = funded(issuer, 1_000_000)
    first, second = anchor_chain(issuer, coins, records)
    assert [op_return_data(tx.outputs[0].script_pubkey) for tx in (first, second)] == records
    assert [i.outpoint for i in first.inputs] == list(coins)
    assert [i.outpoint for i in second.inputs] == [OutPoint(first.txid, 1)]
    (spent,) = coins.values()
    for tx, paid_by in ((first, spent), (second, first.outputs[1])):
        check_standard(tx)
        assert signed_by(tx, issuer.public_keys[0], paid_by.script_pubkey, paid_by.amount)[0]

    fee_of_first = spent.amount - first.outputs[1].amount
    assert first.outputs[1].amount - second.outputs[1].amount > 500  # the second's fee
    with pytest.raises(InsufficientFundsError):
        anchor_chain(issuer, funded(issuer, fee_of_first + 500), records)
    assert len(anchor_chain(issuer, funded(issuer, fee_of_first + 500), records[:1])) == 1


def test_records_of_the_first_revoke_are_still_read():
    """``EDUR`` + hash + reason (at most 44 bytes: one 80-byte output), built by hand."""
    leaf = sha256d(b"bob")
    old = b"EDUR" + leaf + b"plagiarism in exercise 3"
    assert parse_legacy_revocation(old) == ("plagiarism in exercise 3", [leaf])
    assert ("plagiarism in exercise 3", [leaf]) in read_revocation(old)
    longest = b"EDUR" + leaf + b"x" * 44
    assert read_revocation(longest) == [("x" * 44, [leaf])]
    for not_old in (b"EDUR" + leaf, longest + b"x", b"EDUC" + old[4:], old[:36] + b"\xff"):
        assert parse_legacy_revocation(not_old) is None, not_old
    batch = revocation_data([leaf], "plagiarism")
    assert read_revocation(batch)[0] == ("plagiarism", [leaf])


def funded(wallet: Wallet, amount: int = 100_000) -> dict[OutPoint, TxOut]:
    return {OutPoint(sha256d(wallet.address.encode()), 0): TxOut(amount, wallet.script_pubkeys[0])}


@pytest.mark.parametrize("address_type", ["p2wpkh", "p2pkh"])
def test_signed_by_checks_the_key_and_the_signature(tmp_path, address_type):
    issuer = Wallet(tmp_path / "i.json", [PrivateKey(0xC0FFEE)], [address_type])
    other = Wallet(tmp_path / "o.json", [PrivateKey(0xBAD)], [address_type])
    coins = funded(issuer)
    (spent,) = coins.values()
    tx = issuer.build_transaction(coins, [], data=batch_data(bytes(32)))
    assert signed_by(tx, issuer.public_keys[0], spent.script_pubkey, spent.amount) == (True, "")
    ok, why = signed_by(tx, other.public_keys[0], spent.script_pubkey, spent.amount)
    assert not ok and "not the issuer's" in why
    if address_type == "p2wpkh":  # BIP143 signs the amount: another amount breaks it
        ok, why = signed_by(tx, issuer.public_keys[0], spent.script_pubkey, spent.amount + 1)
        assert not ok and "does not verify" in why


# --- the header chain ----------------------------------------------------------------------

PARAMS = ChainParams.for_tests()


def mine_header(prev: BlockHeader, timestamp: int, bits: int | None = None) -> BlockHeader:
    bits = prev.bits if bits is None else bits
    for nonce in range(1_000_000):
        header = BlockHeader(1, prev.hash(), sha256d(bytes([nonce % 256])), timestamp, bits, nonce)
        if int.from_bytes(header.hash(), "little") <= bits_to_target(bits):
            return header
    raise AssertionError("no nonce")


def header_chain(length: int) -> list[BlockHeader]:
    headers = [PARAMS.genesis_block().header]
    for height in range(1, length):
        headers.append(mine_header(headers[-1], headers[0].timestamp + 10 * height))
    return headers


def test_header_chain_checks():
    headers = header_chain(25)  # crosses two retarget heights
    chain = check_header_chain(PARAMS.name, headers)
    assert chain.tip_height == 24 and chain.heights[headers[7].hash()] == 7
    longer = check_header_chain(PARAMS.name, [*headers, mine_header(headers[-1], 2**31)])
    assert best_chain([chain, longer]) is longer

    with pytest.raises(HeaderChainError, match="not the unit-test genesis"):
        check_header_chain(PARAMS.name, headers[1:])
    with pytest.raises(HeaderChainError, match="header 5 does not link"):
        check_header_chain(PARAMS.name, headers[:5] + headers[6:])
    cheap = [*headers[:4], mine_header(headers[3], headers[3].timestamp + 10, 0x2100FFFF)]
    with pytest.raises(HeaderChainError, match="retarget rule demands 207fffff"):
        check_header_chain(PARAMS.name, cheap)
    unmined = headers[:3]
    nonce = 0
    while True:  # a header whose hash misses the target (half of all hashes do)
        bad = BlockHeader(1, unmined[-1].hash(), bytes(32), unmined[-1].timestamp + 10,
                          0x207FFFFF, nonce)  # fmt: skip
        if int.from_bytes(bad.hash(), "little") > bits_to_target(0x207FFFFF):
            break
        nonce += 1
    with pytest.raises(HeaderChainError, match="does not meet its target"):
        check_header_chain(PARAMS.name, [*unmined, bad])


# --- every failing step of verify, against an in-memory source -------------------------------


class MemorySource:
    """A chain of one anchoring transaction (and maybe revocations), held in memory."""

    name = "memory"

    def __init__(self, tx, spent, confirmations=1, revocations=()):
        self.tx, self.spent = tx, spent
        self.confirmations = confirmations
        self.revoked = list(revocations)  # (tx, data, spent)

    def anchor(self, cert):
        if cert.anchor["txid"] != self.tx.id:
            raise StepFailed("anchor", "anchoring transaction unknown")
        return Anchor(self.tx, "00" * 32, 7, self.confirmations)

    def spent_output(self, cert, tx):
        spent = self.spent
        for revocation, _, output in self.revoked:
            if revocation.txid == tx.txid:
                spent = output
        return spent.script_pubkey, spent.amount

    def revocations(self, leaf):
        return [(tx, data) for tx, data, _ in self.revoked]  # the verifier looks for the leaf


@pytest.fixture
def issued(tmp_path):
    grades = read_gradebook(write_gradebook(tmp_path / "book.sqlite"))
    issuer = Wallet(tmp_path / "i.json", [PrivateKey(0x1550E4)])
    passing, _ = select_passing(grades, 0.6)
    bodies, tree = build_batch(
        grades, passing, course="C", date="2026-12-07",
        issuer_public_key=issuer.public_keys[0], min_score=0.6,
    )  # fmt: skip
    coins = funded(issuer)
    tx = issuer.build_transaction(coins, [], data=batch_data(tree.root))
    (spent,) = coins.values()
    return issuer, certificates_for(bodies, tree, tx, spent), tx, spent


def failed_step(cert, source, **options):
    verdict = verify_certificate(cert, source, **options)
    return verdict.failed.step if verdict.failed else None


def test_every_certificate_of_the_batch_verifies(issued):
    _, certs, tx, spent = issued
    for cert in certs:
        assert failed_step(cert, MemorySource(tx, spent)) is None


def test_each_step_fails_on_its_own_tampering(issued, tmp_path):
    issuer, certs, tx, spent = issued
    cert = certs[1]
    source = MemorySource(tx, spent)

    changed = copy.deepcopy(cert)
    changed.body["exercises"][0]["points"] = 10
    assert failed_step(changed, source) == "hash"

    changed = copy.deepcopy(cert)
    changed.batch["merkle_path"][0] = "00" * 32
    assert failed_step(changed, source) == "merkle-path"
    changed = copy.deepcopy(cert)
    changed.batch["size"] = 1000  # a longer path would be needed
    assert failed_step(changed, source) == "merkle-path"

    changed = copy.deepcopy(cert)
    changed.anchor["txid"] = "11" * 32
    assert failed_step(changed, source) == "anchor"
    other_root = issuer.build_transaction(funded(issuer), [], data=batch_data(bytes(32)))
    assert failed_step(cert, MemorySource(other_root, spent)) == "anchor"

    assert failed_step(cert, MemorySource(tx, spent, confirmations=0)) == "confirmations"
    assert failed_step(cert, MemorySource(tx, spent, 5), min_confirmations=6) == "confirmations"

    stranger = Wallet(tmp_path / "s.json", [PrivateKey(0x57)])
    coins = funded(stranger)
    forged = stranger.build_transaction(coins, [], data=tx.outputs[0].script_pubkey[2:])
    changed = copy.deepcopy(cert)
    changed.anchor["txid"] = forged.id
    verdict = verify_certificate(changed, MemorySource(forged, *coins.values()))
    assert verdict.failed.step == "issuer-signature"
    assert "not signed by the issuer's key" in verdict.failed.message


def test_a_revocation_batch_by_the_issuer_fails_only_its_certificates(issued, tmp_path):
    issuer, certs, tx, spent = issued
    leaves = [bytes.fromhex(cert.hash) for cert in (certs[1], certs[3])]
    coins = funded(issuer, 50_000)
    data = revocation_data(leaves, "plagiarism")
    revocation = issuer.build_transaction(coins, [], data=data)
    source = MemorySource(tx, spent, revocations=[(revocation, data, *coins.values())])
    for cert in (certs[1], certs[3]):
        verdict = verify_certificate(cert, source)
        assert verdict.failed.step == "revocation"
        assert verdict.failed.message.startswith("revoked: plagiarism (transaction ")
        assert "revoking 2 certificate(s)" in verdict.failed.message
    for other in (certs[0], certs[2]):
        assert failed_step(other, source) is None

    stranger = Wallet(tmp_path / "s.json", [PrivateKey(0x57)])
    coins = funded(stranger)
    fake = stranger.build_transaction(coins, [], data=data)
    source = MemorySource(tx, spent, revocations=[(fake, data, *coins.values())])
    verdict = verify_certificate(certs[1], source)
    assert verdict.valid and any("not signed by the issuer" in n for n in verdict.notes)


def test_a_revocation_of_the_first_format_by_the_issuer_fails_its_certificate(issued):
    issuer, certs, tx, spent = issued
    coins = funded(issuer, 50_000)
    data = b"EDUR" + bytes.fromhex(certs[2].hash) + b"cheating"
    revocation = issuer.build_transaction(coins, [], data=data)
    source = MemorySource(tx, spent, revocations=[(revocation, data, *coins.values())])
    verdict = verify_certificate(certs[2], source)
    assert verdict.failed.step == "revocation"
    assert verdict.failed.message.startswith(f"revoked: cheating (transaction {revocation.id}")
    for other in (certs[0], certs[1], certs[3]):
        assert failed_step(other, source) is None


def test_offline_verification_says_revocations_were_not_checked(issued):
    _, certs, tx, spent = issued

    class Offline(MemorySource):  # the header file's own answer about revocations
        name = "a header file"
        revocations = HeaderSource.revocations

    verdict = verify_certificate(certs[0], Offline(tx, spent))
    assert verdict.valid and "revocation" not in verdict.passed
    assert verdict.notes == [
        "revocations not checked: a header file cannot show them (this is not a failure; "
        "verify with --node URL to see whether the issuer revoked it)"
    ]


def test_transactions_round_trip_through_the_certificate(issued):
    _, certs, tx, spent = issued
    assert Transaction.parse(bytes.fromhex(certs[0].anchor["tx_hex"])).id == tx.id
    assert certs[0].anchor["spent_output"]["amount"] == spent.amount
