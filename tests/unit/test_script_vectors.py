"""Bitcoin Core's consensus test vectors, run through edu_chain.script and edu_chain.tx.

Oracle: ``tests/fixtures/bitcoin_core/`` (Bitcoin Core's ``script_tests.json``,
``tx_valid.json`` and ``tx_invalid.json``; source and commit in the README there).
Every script case must end with exactly the error name Core expects (or succeed when it
expects ``OK``); every valid transaction must verify and every invalid one must fail.
No case is skipped or expected to fail.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from edu_chain.errors import ValidationError
from edu_chain.hashing import from_display_hex
from edu_chain.keys import available_backends, get_backend
from edu_chain.script import (
    ScriptError,
    SighashCache,
    checker,
    parse_flags,
    parse_notation,
    verify_input,
)
from edu_chain.tx import OutPoint, Transaction, TxIn, TxOut, check_transaction

VECTORS = Path(__file__).resolve().parents[1] / "fixtures" / "bitcoin_core"


def _cases(name: str) -> list[list]:
    """The test cases of one file; one-string rows are comments."""
    return [case for case in json.loads((VECTORS / name).read_text()) if len(case) > 1]


def _script_case_id(case: list) -> str:
    body = case[1:] if isinstance(case[0], list) else case
    comment = body[4] if len(body) > 4 else ""
    return f"{body[3]}:{comment or body[1]}"[:90]


SCRIPT_CASES = [case for case in _cases("script_tests.json") if len(case) >= 4]


def spending_transaction(
    script_sig: bytes, script_pubkey: bytes, witness: list[bytes], amount: int
) -> Transaction:
    """Core's test setup: a crediting coinbase paying ``amount`` to ``script_pubkey``, spent by
    a one-input transaction with ``script_sig`` and ``witness`` (``script_tests.cpp``)."""
    coinbase_input = TxIn(OutPoint(bytes(32), 0xFFFFFFFF), b"\x00\x00")
    credit = Transaction(1, [coinbase_input], [TxOut(amount, script_pubkey)])
    spend_input = TxIn(OutPoint(credit.txid, 0), script_sig, 0xFFFFFFFF, tuple(witness))
    return Transaction(1, [spend_input], [TxOut(amount, b"")])


def test_the_vector_files_hold_what_their_readme_says() -> None:
    assert len(SCRIPT_CASES) == 1191
    assert sum(isinstance(case[0], list) for case in SCRIPT_CASES) == 103
    assert len(_cases("tx_valid.json")) == 35
    assert len(_cases("tx_invalid.json")) == 15


@pytest.mark.parametrize("case", SCRIPT_CASES, ids=_script_case_id)
def test_script_case_gives_cores_result(case: list) -> None:
    witness: list[bytes] = []
    amount = 0
    if isinstance(case[0], list):
        witness = [bytes.fromhex(item) for item in case[0][:-1]]
        amount = round(case[0][-1] * 100_000_000)
        case = case[1:]
    script_sig, script_pubkey = parse_notation(case[0]), parse_notation(case[1])
    flags, expected = parse_flags(case[2]), case[3]
    tx = spending_transaction(script_sig, script_pubkey, witness, amount)
    if expected == "OK":
        verify_input(tx, 0, script_pubkey, amount, flags)
        return
    with pytest.raises(ScriptError) as failure:
        verify_input(tx, 0, script_pubkey, amount, flags)
    assert failure.value.code == expected, str(failure.value)
    assert failure.value.message  # every error explains itself


def _check_transaction_case(case: list) -> None:
    """Parse, CheckTransaction, then verify every input (flags: P2SH when the case says so)."""
    spent = {
        (from_display_hex(txid), index & 0xFFFFFFFF): parse_notation(script)
        for txid, index, script in case[0]
    }
    flags = frozenset({"P2SH"}) if case[2] else frozenset()
    tx = Transaction.parse(bytes.fromhex(case[1]))
    check_transaction(tx)
    cache = SighashCache(tx)
    for index, tx_input in enumerate(tx.inputs):
        script_pubkey = spent[(tx_input.outpoint.txid, tx_input.outpoint.index)]
        verify_input(tx, index, script_pubkey, 0, flags, cache=cache)


@pytest.mark.parametrize("case", _cases("tx_valid.json"), ids=lambda case: case[1][:16])
def test_valid_transaction_verifies(case: list) -> None:
    _check_transaction_case(case)
    tx = Transaction.parse(bytes.fromhex(case[1]))
    assert tx.serialize().hex() == case[1].lower()  # and round-trips byte for byte


@pytest.mark.parametrize("case", _cases("tx_invalid.json"), ids=lambda case: case[1][:16])
def test_invalid_transaction_fails(case: list) -> None:
    with pytest.raises(ValidationError):
        _check_transaction_case(case)


REAL_TXIDS = {
    # txids named in tx_valid.json's comments: real mainnet transactions
    "23b397edccd3740a74adb603c9756370fafcde9bcc4483eb271ecad09a94dd63",
    "c99c49da4c38af669dea436d3e73780dfdb6c1ecf9958baa52960e8baee30e73",
    "f7fdd091fa6d8f5e7a8c2458f5c38faffff2d3f1406b6e4fe2c99dcc0d2d1cbb",
    "afd9c17f8913577ec3509520bd6e5d63e9c0fd2a5f70c787993b097ba6ca9fae",
    "ddc454a1c0c35c188c98976b17670f69e586d9c0f3593ea879928332f0a069e7",
    "cc60b1f899ec0a69b7c3f25ddf32c4524096a9c5b01cbd84c6d0312a0c478984",
}


def test_real_mainnet_transactions_give_their_real_txids() -> None:
    found = {Transaction.parse(bytes.fromhex(case[1])).id for case in _cases("tx_valid.json")}
    assert found >= REAL_TXIDS


SIGNATURE_CASES = [
    case for case in SCRIPT_CASES if "CHECKSIG" in str(case) or "CHECKMULTISIG" in str(case)
]


@pytest.mark.parametrize("backend", available_backends())
def test_every_ecdsa_backend_gives_cores_results(backend: str, monkeypatch) -> None:
    """libsecp256k1, OpenSSL and the from-scratch code answer every signature case alike."""
    monkeypatch.setattr(checker, "get_backend", lambda: get_backend(backend))
    assert len(SIGNATURE_CASES) > 150
    for case in SIGNATURE_CASES:
        test_script_case_gives_cores_result(case)
