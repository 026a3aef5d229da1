"""The scholarship package without a node: vesting scripts, the registry, payout planning.

Oracles: the script interpreter (``edu_chain.script.verify_input``, itself checked against
Bitcoin Core's vectors) judges every spend; the PSBT finalizer/extractor checks that a
planned batch really is signable by the threshold and within the size the plan promised.
"""

from __future__ import annotations

import pytest

from edu_chain.keys import PrivateKey
from edu_chain.psbt import Psbt
from edu_chain.scholarship import Registry, RegistryError, Terms, Tranche, plan_batches
from edu_chain.scholarship.treasury import init_treasury, load_signers, resume, sign
from edu_chain.script import STANDARD_FLAGS, ScriptError, script_asm, verify_input
from edu_chain.tx import OutPoint, TxOut
from edu_chain.wallet import Multisig, Wallet, WalletError

COIN = 100_000_000
SIGNER_KEYS = [PrivateKey(0x51_6E_00 + i) for i in range(3)]
TREASURY = Multisig.create(2, [k.public_key.sec() for k in SIGNER_KEYS])
STUDENT = PrivateKey(0x57_0D_E7)
STUDENT_ADDRESS = Wallet("s.json", [STUDENT]).address
COIN_OUT = OutPoint(bytes(range(32)), 1)


def tranche(unlock: int = 120, expiry: int = 30) -> Tranche:
    return Tranche.for_address(STUDENT_ADDRESS, unlock, expiry, TREASURY)


# --- vesting ------------------------------------------------------------------------------


def test_tranche_script_reads_as_the_docstring_draws_it():
    asm = script_asm(tranche().script)
    assert asm.startswith("OP_IF 120 OP_CHECKLOCKTIMEVERIFY OP_DROP OP_DUP OP_HASH160")
    assert "OP_ELSE 30 OP_CHECKSEQUENCEVERIFY OP_DROP 2 " in asm
    assert asm.endswith("3 OP_CHECKMULTISIG OP_ENDIF")
    assert tranche().address.startswith("bcrt1q")


def test_student_claims_at_unlock_height_and_interpreter_agrees():
    made = tranche()
    tx = made.claim(COIN_OUT, COIN, STUDENT, STUDENT_ADDRESS, 1000)
    assert tx.locktime == 120 and tx.inputs[0].sequence < 0xFFFFFFFF
    verify_input(tx, 0, made.script_pubkey, COIN, STANDARD_FLAGS)  # the oracle
    assert tx.outputs[0].amount == COIN - 1000


def test_student_claim_with_an_earlier_locktime_fails_in_the_interpreter():
    with pytest.raises(ScriptError) as failed:
        tranche().claim(COIN_OUT, COIN, STUDENT, STUDENT_ADDRESS, 1000, locktime=119)
    assert failed.value.code == "UNSATISFIED_LOCKTIME"


def test_someone_else_cannot_claim_the_students_tranche():
    with pytest.raises(WalletError):
        tranche().claim(COIN_OUT, COIN, PrivateKey(99), STUDENT_ADDRESS, 1000)
    made = tranche()
    honest = made.claim(COIN_OUT, COIN, STUDENT, STUDENT_ADDRESS, 1000)
    thief = PrivateKey(99)
    forged_witness = (
        honest.inputs[0].witness[0],
        thief.public_key.sec(),
        *honest.inputs[0].witness[2:],
    )
    forged = honest.with_input(0, witness=forged_witness)
    with pytest.raises(ScriptError) as failed:
        verify_input(forged, 0, made.script_pubkey, COIN, STANDARD_FLAGS)
    assert failed.value.code == "EQUALVERIFY"


def test_treasury_clawback_needs_the_expiry_and_the_threshold():
    made = tranche()
    tx = made.clawback(COIN_OUT, COIN, SIGNER_KEYS[1:], STUDENT_ADDRESS, 2000)
    assert tx.version == 2 and tx.inputs[0].sequence == 30
    verify_input(tx, 0, made.script_pubkey, COIN, STANDARD_FLAGS)
    with pytest.raises(ScriptError) as early:
        made.clawback(COIN_OUT, COIN, SIGNER_KEYS[1:], STUDENT_ADDRESS, 2000, sequence=29)
    assert early.value.code == "UNSATISFIED_LOCKTIME"
    with pytest.raises(WalletError, match="2 signatures are needed"):
        made.clawback(COIN_OUT, COIN, SIGNER_KEYS[:1], STUDENT_ADDRESS, 2000)


def test_vesting_needs_a_single_key_address():
    with pytest.raises(WalletError, match="single-key"):
        Tranche.for_address(TREASURY.address, 10, 10, TREASURY)


@pytest.mark.parametrize("unlock,expiry", [(1, 1), (16, 17), (120, 30), (500_000, 65_535)])
def test_a_tranche_script_parses_back_to_its_terms(unlock, expiry):
    made = tranche(unlock, expiry)
    assert Tranche.parse(made.script) == made
    with pytest.raises(WalletError, match="not a tranche script"):
        Tranche.parse(made.script[:-1])
    with pytest.raises(WalletError, match="not a tranche script"):
        Tranche.parse(TREASURY.script)


# --- the registry --------------------------------------------------------------------------


def test_register_refuses_duplicates_all_or_none(tmp_path):
    with Registry(tmp_path, create=True) as registry:
        registry.register([("ana", "addr-a")])
        with pytest.raises(RegistryError, match="student 'ana' is registered already"):
            registry.register([("ben", "addr-b"), ("ana", "addr-x")])
        with pytest.raises(RegistryError, match="address addr-a is registered already"):
            registry.register([("cy", "addr-a")])
        with pytest.raises(RegistryError, match="student 'dee' is given twice"):
            registry.register([("dee", "addr-d"), ("dee", "addr-e")])
        assert registry.students() == [("ana", "addr-a")]  # ben was rolled back with ana
        with pytest.raises(RegistryError, match="unknown student"):
            registry.address_of("zed")


def test_a_batch_never_signed_is_abandoned_and_its_students_planned_again(tmp_path):
    with Registry(tmp_path, create=True) as registry:
        registry.register([("ana", "addr-a"), ("ben", "addr-b")])
        row = {"student": "ana", "address": "addr-a", "amount": 5, "tranche": 0, "vout": 0}
        batch = registry.add_batch("cHNidP8=", [row])
        assert registry.unpaid() == [("ben", "addr-b")]
        assert resume(registry, node=None) == []  # type: ignore[arg-type]
        assert registry.batches()[0].state == "abandoned"
        assert registry.unpaid() == [("ana", "addr-a"), ("ben", "addr-b")]
        registry.set_batch(batch, state="broadcast")
        assert registry.unpaid() == [("ben", "addr-b")]


def test_not_a_scholarship_folder(tmp_path):
    with pytest.raises(RegistryError, match="not a scholarship folder"):
        Registry(tmp_path / "nothing")


# --- signers and planning ------------------------------------------------------------------


def test_init_writes_separate_signer_files_and_refuses_a_second_time(tmp_path):
    made = init_treasury(tmp_path, 3, 2)
    wallets = [Wallet.load(tmp_path / f"signer{i}.json") for i in (1, 2, 3)]
    assert sorted(w.public_keys[0] for w in wallets) == list(made.pubkeys)
    with Registry(tmp_path) as registry:
        assert registry.treasury == made
    with pytest.raises(RegistryError, match="already"):
        init_treasury(tmp_path, 3, 2)
    with pytest.raises(WalletError, match="needs 2 of 3"):
        load_signers([tmp_path / "signer1.json"], made)
    with pytest.raises(WalletError, match="given twice"):
        load_signers([tmp_path / "signer1.json"] * 2, made)


def students(count: int) -> list[tuple[str, str]]:
    return [(f"s{i:03d}", Wallet("x", [PrivateKey(1000 + i)]).address) for i in range(count)]


def test_batches_stay_under_the_size_and_pay_each_student_once():
    coins = {
        OutPoint(bytes([i]) * 32, 0): TxOut(50 * COIN, TREASURY.script_pubkey) for i in range(3)
    }
    coins_before = dict(coins)
    class_ = students(120)
    plans = plan_batches(TREASURY, coins, class_, Terms(COIN // 10), max_size=1500)
    assert len(plans) > 1
    paid = [row["student"] for plan in plans for row in plan.payments]
    assert sorted(paid) == sorted(s for s, _ in class_)
    signers = [Wallet("a", [SIGNER_KEYS[0]]), Wallet("c", [SIGNER_KEYS[2]])]
    available = set(coins_before)
    for plan in plans:
        tx = sign(Psbt.from_base64(plan.psbt.to_base64()), signers)  # extract verifies inputs
        assert tx.size <= 1500
        for row in plan.payments:
            assert tx.outputs[row["vout"]].amount == row["amount"] == COIN // 10
        spent = {i.outpoint for i in tx.inputs}
        assert spent <= available  # a coin of the treasury, or change of an earlier batch
        available -= spent
        available |= {
            OutPoint(tx.txid, n)
            for n, out in enumerate(tx.outputs)
            if out.script_pubkey == TREASURY.script_pubkey
        }


def test_tranches_split_the_amount_to_the_base_unit():
    rows = Terms(1_000_001, tranches=3, every=10, expiry=5, start_height=100).outputs_for(
        "ana", STUDENT_ADDRESS, TREASURY
    )
    assert [r["amount"] for r in rows] == [333_333, 333_333, 333_335]
    assert [r["unlock_height"] for r in rows] == [110, 120, 130]
    assert [r["expiry_blocks"] for r in rows] == [15, 25, 35]
    assert rows[0]["script"] == tranche(110, 15).script.hex()


def test_dust_payments_are_refused_before_anything_is_planned():
    """A payment the node would not relay (policy ``dust``) is refused at planning, not
    signed and then stuck.  Oracle: the node's own policy check at the threshold."""
    from edu_chain.policy import check_standard

    coins = {COIN_OUT: TxOut(COIN, TREASURY.script_pubkey)}
    signers = [Wallet("a", [SIGNER_KEYS[0]]), Wallet("b", [SIGNER_KEYS[1]])]
    for terms in (Terms(294), Terms(3 * 330, tranches=3, every=1, expiry=1)):  # P2WPKH, P2WSH
        plans = plan_batches(TREASURY, dict(coins), students(2), terms)
        check_standard(sign(plans[0].psbt, signers))
    for terms in (Terms(293), Terms(3 * 330 - 1, tranches=3, every=1, expiry=1)):
        with pytest.raises(WalletError, match="is dust"):
            plan_batches(TREASURY, coins, students(2), terms)
        assert list(coins) == [COIN_OUT]


def test_a_treasury_too_poor_plans_nothing():
    coins = {COIN_OUT: TxOut(COIN, TREASURY.script_pubkey)}
    with pytest.raises(WalletError):
        plan_batches(TREASURY, coins, students(3), Terms(COIN))
    assert list(coins) == [COIN_OUT]


# --- grades --------------------------------------------------------------------------------


def test_scores_from_the_graders_gradebook_and_a_csv(tmp_path):
    from edu_chain.grading.gradebook import Gradebook
    from edu_chain.grading.runner import ExerciseResult
    from edu_chain.scholarship.grades import passing, scores

    book = Gradebook(tmp_path / "gradebook.sqlite")  # the grader's own writer is the oracle
    for student, exercise, points in [("ana", "e1", 3), ("ana", "e2", 4), ("ben", "e1", 1)]:
        book.record(student, "h", "f", ExerciseResult(exercise, points, 5.0, "graded"))
    book.record("ben", "h", "f", ExerciseResult("e2", 0.0, 5.0, "missing"))
    book.close()
    assert scores(tmp_path / "gradebook.sqlite") == {"ana": 0.7, "ben": 0.1}
    assert passing(tmp_path / "gradebook.sqlite", 0.6) == {"ana"}
    (tmp_path / "g.csv").write_text("student,score\nana,0.9\nben,0.59\n")
    assert passing(tmp_path / "g.csv", 0.6) == {"ana"}
    (tmp_path / "bad.csv").write_text("student,score\nana,90\n")
    with pytest.raises(RegistryError, match="not between 0 and 1"):
        scores(tmp_path / "bad.csv")
    (tmp_path / "junk.sqlite").write_bytes(b"not a database at all" * 100)
    with pytest.raises(RegistryError, match="not a gradebook"):
        scores(tmp_path / "junk.sqlite")


def test_one_payout_at_a_time_per_folder(tmp_path):
    from edu_chain.scholarship import run_payout

    init_treasury(tmp_path, 3, 2)
    with (
        Registry(tmp_path) as holder,
        holder.exclusive(),
        Registry(tmp_path) as other,
        pytest.raises(RegistryError, match="another payout"),
    ):
        run_payout(other, None, Terms(COIN), None)  # type: ignore[arg-type]
    with Registry(tmp_path) as registry, registry.exclusive():
        pass  # released when the holder closed it


# --- cancelling a PSBT the signers never brought back ---------------------------------------


def test_a_cancel_holds_its_students_until_the_node_took_it(tmp_path):
    """``waiting`` and ``cancelling`` hold the batch's students (the old PSBT may still be
    mined); ``cancelled`` releases them, and its payments are no longer payments."""
    with Registry(tmp_path, create=True) as registry:
        registry.register([("ana", "addr-a"), ("ben", "addr-b")])
        row = {"student": "ana", "address": "addr-a", "amount": 5, "tranche": 0, "vout": 0}
        batch = registry.add_batch("cHNidP8=", [row], state="waiting")
        assert registry.unpaid() == [("ben", "addr-b")]
        registry.add_cancel([batch], "ab" * 32, "00", 150)
        assert registry.batch(batch).state == "cancelling"
        assert registry.cancels() == {batch: ("ab" * 32, "00", 150)}
        assert registry.unpaid() == [("ben", "addr-b")]
        assert [p.student for p in registry.payments()] == ["ana"]
        registry.set_batch(batch, state="cancelled")
        assert registry.unpaid() == [("ana", "addr-a"), ("ben", "addr-b")]
        assert registry.payments() == []
        assert [p.state for p in registry.payments(include_abandoned=True)] == ["cancelled"]
        with pytest.raises(RegistryError, match="there is no batch 7"):
            registry.batch(7)


class _NodeWithoutTheBatch:
    """A node that has never seen a transaction (``GET /api/tx`` answers 404)."""

    def tx(self, txid: str) -> dict:
        from edu_chain.node.client import NodeRefusedError

        raise NodeRefusedError("not-found", f"no transaction {txid}", status=404)


def _waiting_batches(tmp_path, count: int, max_size: int = 1500):
    """A scholarship folder whose payout of ``count`` students waits for signatures, from
    two coins: (registry, signers, plans)."""
    from edu_chain.scholarship.treasury import init_treasury as init

    treasury = init(tmp_path, 3, 2)
    registry = Registry(tmp_path)
    signers = load_signers([tmp_path / "signer1.json", tmp_path / "signer3.json"], treasury)
    coins = {OutPoint(bytes([i]) * 32, 0): TxOut(5 * COIN, treasury.script_pubkey) for i in (1, 2)}
    class_ = students(count)
    registry.register(class_)
    plans = plan_batches(treasury, coins, class_, Terms(COIN // 10), max_size=max_size)
    for plan in plans:
        registry.add_batch(plan.psbt.to_base64(), plan.payments, state="waiting")
    return registry, signers, plans


def test_nothing_to_cancel_is_refused_before_any_node_is_asked(tmp_path):
    from edu_chain.scholarship.treasury import batches_to_cancel, cancel_waiting

    init_treasury(tmp_path, 3, 2)
    with Registry(tmp_path) as registry:
        with pytest.raises(RegistryError, match="no batch waits for signatures"):
            cancel_waiting(registry, None, [])  # type: ignore[arg-type]
        with pytest.raises(RegistryError, match="there is no batch 3"):
            batches_to_cancel(registry, 3)
        batch = registry.add_batch("cHNidP8=", [], state="broadcast")
        with pytest.raises(RegistryError, match=f"batch {batch} is broadcast, not waiting"):
            batches_to_cancel(registry, batch)
        registry.set_batch(batch, state="cancelling")
        registry.add_cancel([batch], "cd" * 32, "00", 1)
        other = registry.add_batch("cHNidP8=", [], state="waiting")
        with pytest.raises(RegistryError, match=f"the cancel of batch {batch} is unfinished"):
            batches_to_cancel(registry, other)
        with pytest.raises(RegistryError, match=f"batch {batch} is being cancelled"):
            from edu_chain.scholarship import run_payout

            registry.set_batch(other, state="abandoned")
            run_payout(registry, None, Terms(COIN), None)  # type: ignore[arg-type]


def test_the_cancel_spends_every_coin_of_the_chained_batches_back_to_the_treasury(tmp_path):
    """Batches chained by their change: the cancel spends the coins none of them created,
    all of them, to the treasury alone, less a fee at the default rate for its size; the
    finalizer's extract runs the script interpreter on every input."""
    from edu_chain.scholarship.treasury import cancel_waiting
    from edu_chain.tx import Transaction
    from edu_chain.wallet import DEFAULT_FEE_RATE, fee_for

    registry, signers, plans = _waiting_batches(tmp_path, 60)
    assert len(plans) >= 2
    created = {plan.psbt.tx.txid for plan in plans}
    outside = {
        i.outpoint for plan in plans for i in plan.psbt.tx.inputs if i.outpoint.txid not in created
    }
    sent = []
    done = cancel_waiting(
        registry, _NodeWithoutTheBatch(), signers, broadcast=lambda node, tx: sent.append(tx)
    )  # type: ignore[arg-type]
    (tx,) = sent
    assert {i.outpoint for i in tx.inputs} == outside
    assert [o.script_pubkey for o in tx.outputs] == [registry.treasury.script_pubkey]
    total = 5 * COIN * len(outside)
    fee = total - tx.outputs[0].amount
    assert fee_for(tx.vsize, DEFAULT_FEE_RATE) <= fee <= fee_for(tx.vsize + 2, DEFAULT_FEE_RATE)
    assert done.batches == list(range(1, len(plans) + 1)) and done.students == 60
    assert [b.state for b in registry.batches()] == ["cancelled"] * len(plans)
    recorded = {c[0]: Transaction.parse(bytes.fromhex(c[1])) for c in registry.cancels().values()}
    assert list(recorded) == [tx.id] and recorded[tx.id].serialize() == tx.serialize()
    assert len(registry.unpaid()) == 60
    registry.close()


def test_a_refused_cancel_stays_recorded_and_is_resent_unchanged(tmp_path):
    """The node refuses the cancel (say, it is down mid-send): the batch stays ``cancelling``
    with the same transaction, and the next run sends the same bytes, never a second one."""
    from edu_chain.node.client import NodeRefusedError
    from edu_chain.scholarship.treasury import cancel_waiting

    registry, signers, _ = _waiting_batches(tmp_path, 3)
    tries = []

    def refuse(node, tx):
        tries.append(tx.serialize())
        raise NodeRefusedError("bad-txns-inputs-missingorspent", "no such coin")

    with pytest.raises(NodeRefusedError):
        cancel_waiting(registry, _NodeWithoutTheBatch(), signers, broadcast=refuse)  # type: ignore[arg-type]
    assert [b.state for b in registry.batches()] == ["cancelling"]
    sent = []
    cancel_waiting(
        registry, _NodeWithoutTheBatch(), signers, broadcast=lambda n, tx: sent.append(tx)
    )  # type: ignore[arg-type]
    assert [tx.serialize() for tx in sent] == tries
    assert [b.state for b in registry.batches()] == ["cancelled"]
    registry.close()
