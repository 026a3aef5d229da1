"""Relay policy (edu_chain/policy.py) and signature-operation counts (script/sigops.py).

Oracles: Bitcoin Core's published policy figures (dust thresholds of 546 sat for P2PKH and
294 sat for P2WPKH at the default 3,000 sat/kvB; Core 30.0's 100,000-byte data-carrier budget
shared by any number of OP_RETURN outputs, reason ``datacarrier``; 15 P2SH sigops; 3,600-byte
witness scripts) and the counting rules of BIP16/BIP141, each case worked out in its comment.
"""

from __future__ import annotations

import pytest

from edu_chain.errors import TxValidationError
from edu_chain.hashing import hash160
from edu_chain.keys import PrivateKey
from edu_chain.policy import (
    check_standard,
    check_standard_inputs,
    dust_threshold,
    standard_output_type,
)
from edu_chain.script.script import parse_notation, push_data
from edu_chain.script.sigops import count_sigops, p2sh_sigops, witness_sigops
from edu_chain.script.standard import (
    multisig,
    op_return,
    p2pkh,
    p2sh_for,
    p2wpkh,
    p2wsh_for,
)
from edu_chain.tx import OutPoint, Transaction, TxIn, TxOut

KEYS = [PrivateKey(i).public_key.sec() for i in (1, 2, 3, 4)]
H = hash160(KEYS[0])
PAY = TxOut(1000, p2pkh(H))


def tx_paying(*outputs: TxOut, version: int = 2, script_sig: bytes = b"") -> Transaction:
    return Transaction(version, [TxIn(OutPoint(bytes(32), 1), script_sig)], list(outputs))


def test_dust_thresholds_are_cores() -> None:
    assert dust_threshold(TxOut(0, p2pkh(H))) == 546
    assert dust_threshold(TxOut(0, p2wpkh(H))) == 294
    assert dust_threshold(TxOut(0, op_return(b"certificate"))) == 0


@pytest.mark.parametrize(
    ("script", "kind"),
    [
        (p2pkh(H), "pubkeyhash"),
        (p2wpkh(H), "witness_v0_keyhash"),
        (p2sh_for(multisig(2, KEYS[:3])), "scripthash"),
        (p2wsh_for(multisig(2, KEYS[:3])), "witness_v0_scripthash"),
        (multisig(2, KEYS[:3]), "multisig"),
        (multisig(1, KEYS[:4]), None),  # bare multisig: at most 3 keys relayed
        (op_return(bytes(80)), "nulldata"),  # 1 + 2 + 80 = 83 bytes: the limit before 30.0
        (op_return(bytes(81)), "nulldata"),  # size is a transaction-wide budget since 30.0
        (op_return(b"a") + op_return(b"b"), None),  # OP_RETURN is not a push: not nulldata
        (parse_notation("1 ADD"), None),
    ],
)
def test_standard_output_types(script: bytes, kind: str | None) -> None:
    assert standard_output_type(script) == kind


@pytest.mark.parametrize(
    ("tx", "code"),
    [
        (tx_paying(PAY, version=3), "version"),
        (tx_paying(TxOut(1000, parse_notation("1 ADD"))), "scriptpubkey"),
        (tx_paying(TxOut(545, p2pkh(H))), "dust"),
        (tx_paying(TxOut(293, p2wpkh(H))), "dust"),
        # one output over the budget, 1 + 5 + 99,995 = 100,001 bytes of script: at Core
        # 30.0's default the transaction is already too heavy, weight binds first
        (tx_paying(TxOut(0, op_return(bytes(99_995)))), "tx-size"),
        (
            tx_paying(TxOut(1000, p2pkh(H)), script_sig=parse_notation("1 DUP")),
            "scriptsig-not-pushonly",
        ),
        (tx_paying(PAY, script_sig=push_data(bytes(520)) * 4), "scriptsig-size"),
        (
            tx_paying(*[TxOut(1000, op_return(bytes(80)))] + [TxOut(1000, p2pkh(H))] * 3000),
            "tx-size",
        ),
    ],
)
def test_nonstandard_transactions_are_refused_with_cores_reason(tx: Transaction, code: str) -> None:
    with pytest.raises(TxValidationError) as refused:
        check_standard(tx)
    assert refused.value.code == code


def test_op_return_outputs_share_one_budget() -> None:
    """Core 30.0 (PR #32406): any number of OP_RETURN outputs, their scriptPubKeys adding up
    to at most ``-datacarriersize`` bytes (100,000 by default); the first output that
    overdraws the budget is refused with ``datacarrier``."""
    several = [TxOut(0, op_return(bytes([i]) * 40)) for i in range(5)]
    check_standard(tx_paying(PAY, *several))  # five outputs of 1 + 1 + 40 = 42 bytes
    big = op_return(bytes(90_000))  # 1 + 5 + 90,000 bytes: far above the old 83
    check_standard(tx_paying(TxOut(0, big)))
    # Core's -datacarriersize=83, the old byte limit: 42 + 41 = 83 fits, one byte more not
    check_standard(tx_paying(*several[:1], TxOut(0, op_return(bytes(39)))), 83)
    with pytest.raises(TxValidationError) as refused:
        check_standard(tx_paying(*several[:1], TxOut(0, op_return(bytes(40)))), 83)
    assert refused.value.code == "datacarrier"
    assert "output 1" in refused.value.message and "more than 83 bytes" in refused.value.message
    with pytest.raises(TxValidationError) as refused:
        check_standard(tx_paying(PAY, TxOut(0, op_return(b""))), 0)  # -datacarrier=0
    assert refused.value.code == "datacarrier"


def test_a_standard_payment_passes() -> None:
    check_standard(
        tx_paying(TxOut(546, p2pkh(H)), TxOut(294, p2wpkh(H)), TxOut(0, op_return(b"x")))
    )


def test_inputs_policy() -> None:
    many_sigops = parse_notation("CHECKSIG " * 16 + "1")  # 16 sigops > 15
    spend = Transaction(2, [TxIn(OutPoint(bytes(32), 0), push_data(many_sigops))], [])
    with pytest.raises(TxValidationError, match="16 signature operations") as refused:
        check_standard_inputs(spend, [TxOut(1000, p2sh_for(many_sigops))])
    assert refused.value.code == "bad-txns-nonstandard-inputs"
    with pytest.raises(TxValidationError) as refused:
        check_standard_inputs(spend, [TxOut(1000, parse_notation("1 ADD"))])
    assert refused.value.code == "bad-txns-nonstandard-inputs"
    big_item = TxIn(OutPoint(bytes(32), 0), b"", witness=(bytes(81), parse_notation("DROP 1")))
    spend = Transaction(2, [big_item], [])
    with pytest.raises(TxValidationError) as refused:
        check_standard_inputs(spend, [TxOut(1000, p2wsh_for(parse_notation("DROP 1")))])
    assert refused.value.code == "bad-witness-nonstandard"


def test_sigop_counts() -> None:
    two_of_three = multisig(2, KEYS[:3])
    assert count_sigops(p2pkh(H)) == 1
    assert count_sigops(two_of_three) == 20  # legacy counting: the most keys a multisig has
    assert count_sigops(two_of_three, accurate=True) == 3  # BIP16: the n before it
    assert count_sigops(parse_notation("CHECKSIG 0x4c")) == 1  # stops at an unreadable push
    assert p2sh_sigops(push_data(two_of_three), p2sh_for(two_of_three)) == 3
    assert p2sh_sigops(push_data(two_of_three), p2pkh(H)) == 0
    flags = frozenset({"P2SH", "WITNESS"})
    assert witness_sigops(b"", p2wpkh(H), (b"sig", KEYS[0]), flags) == 1
    assert witness_sigops(b"", p2wsh_for(two_of_three), (b"", two_of_three), flags) == 3
    nested = p2wpkh(H)
    assert witness_sigops(push_data(nested), p2sh_for(nested), (b"s", KEYS[0]), flags) == 1
    assert witness_sigops(b"", p2wpkh(H), (b"s", KEYS[0]), frozenset({"P2SH"})) == 0
