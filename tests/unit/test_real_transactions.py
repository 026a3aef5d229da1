"""Real Bitcoin transactions, segwit and legacy: parse, round trip, ids, weight, verification.

Oracle: ``tests/fixtures/real_transactions.json``, hex copied from rust-bitcoin's unit tests
(repository, path and test names in the file) with the txid / wtxid / weight those tests
assert.  The mainnet segwit spend comes with the three transactions it spends: their txids,
computed here, must be the outpoints the network recorded in the spend, and every input must
verify against the outputs it spends (P2PKH and P2SH-P2WPKH), as libbitcoinconsensus does
in rust-bitcoin's test.  The legacy mainnet transactions of ``tx_valid.json`` are covered in
test_script_vectors.py.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from edu_chain.errors import DecodeError
from edu_chain.hashing import display_hex, sha256d
from edu_chain.script import (
    CONSENSUS_FLAGS,
    STANDARD_FLAGS,
    ScriptError,
    SighashCache,
    verify_input,
)
from edu_chain.tx import Transaction, check_transaction

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "real_transactions.json"
DATA = json.loads(FIXTURE.read_text())


def _all_transactions() -> list:
    spend = DATA["mainnet_spend"]
    rows = [(entry["name"], entry["hex"]) for entry in DATA["with_ids"]]
    rows += [("mainnet spend", spend["spending"])]
    rows += [(f"spent {n}", raw) for n, raw in enumerate(spend["spent"])]
    rows += [(entry["name"], entry["hex"]) for entry in DATA["with_weights"]["transactions"]]
    return [pytest.param(raw, id=name) for name, raw in rows]


@pytest.mark.parametrize("raw_hex", _all_transactions())
def test_parses_and_round_trips_byte_for_byte(raw_hex: str) -> None:
    raw = bytes.fromhex(raw_hex)
    tx = Transaction.parse(raw)
    assert tx.serialize() == raw
    assert tx.wtxid == sha256d(raw)
    check_transaction(tx)
    # Every strict prefix is refused with a DecodeError (no partial transaction).
    for cut in (1, len(raw) // 2, len(raw) - 1):
        with pytest.raises(DecodeError):
            Transaction.parse(raw[:cut])


@pytest.mark.parametrize("entry", DATA["with_ids"], ids=lambda entry: entry["name"])
def test_txid_and_wtxid_are_the_published_ones(entry: dict) -> None:
    tx = Transaction.parse(bytes.fromhex(entry["hex"]))
    assert tx.id == entry["txid"]
    assert display_hex(tx.wtxid) == entry["wtxid"]
    assert tx.to_dict()["txid"] == entry["txid"]
    assert tx.to_dict()["hash"] == entry["wtxid"]
    if "weight" in entry:
        assert tx.weight == entry["weight"]
        assert tx.vsize == -(-entry["weight"] // 4)


@pytest.mark.parametrize(
    "entry", DATA["with_weights"]["transactions"], ids=lambda entry: entry["name"]
)
def test_weight_is_the_published_one(entry: dict) -> None:
    tx = Transaction.parse(bytes.fromhex(entry["hex"]))
    assert tx.weight == entry["weight"]
    if not tx.has_witness:
        assert tx.weight == 4 * tx.size
        assert tx.txid == tx.wtxid


def _mainnet_spend() -> tuple[Transaction, list[tuple[bytes, int]]]:
    spend = DATA["mainnet_spend"]
    tx = Transaction.parse(bytes.fromhex(spend["spending"]))
    parents = {p.txid: p for p in (Transaction.parse(bytes.fromhex(r)) for r in spend["spent"])}
    spent = []
    for tx_input in tx.inputs:
        output = parents[tx_input.outpoint.txid].outputs[tx_input.outpoint.index]
        spent.append((output.script_pubkey, output.amount))
    return tx, spent


def test_the_parents_txids_are_the_outpoints_the_network_recorded() -> None:
    tx, spent = _mainnet_spend()  # a KeyError above would mean a wrong parent txid
    assert len(spent) == 3
    parents = [Transaction.parse(bytes.fromhex(r)) for r in DATA["mainnet_spend"]["spent"]]
    assert [p.has_witness for p in parents] == [True, True, False]
    assert {i.outpoint.txid for i in tx.inputs} == {p.txid for p in parents}
    # Two of the parents are segwit: their txid ignores the witness, their wtxid does not.
    for parent in parents[:2]:
        assert parent.txid != parent.wtxid


@pytest.mark.parametrize("flags", [CONSENSUS_FLAGS, STANDARD_FLAGS], ids=["consensus", "standard"])
def test_every_input_of_the_mainnet_spend_verifies(flags: frozenset[str]) -> None:
    tx, spent = _mainnet_spend()
    kinds = ["P2SH-P2WPKH" if tx_input.witness else "P2PKH" for tx_input in tx.inputs]
    assert kinds == ["P2PKH", "P2SH-P2WPKH", "P2SH-P2WPKH"]
    cache = SighashCache(tx)
    for index, (script_pubkey, amount) in enumerate(spent):
        verify_input(tx, index, script_pubkey, amount, flags, cache=cache)


def test_a_corrupted_witness_signature_fails_as_in_rust_bitcoins_test() -> None:
    tx, spent = _mainnet_spend()
    witness = list(tx.inputs[1].witness)
    signature = bytearray(witness[0])
    signature[10] = 42  # what rust-bitcoin's test does
    witness[0] = bytes(signature)
    broken = tx.with_input(1, witness=tuple(witness))
    with pytest.raises(ScriptError) as failure:
        verify_input(broken, 1, *spent[1], CONSENSUS_FLAGS)
    assert failure.value.code == "EVAL_FALSE"
    # The txid does not cover the witness; the wtxid does.
    assert broken.txid == tx.txid and broken.wtxid != tx.wtxid


def test_a_segwit_amount_that_is_one_satoshi_off_fails() -> None:
    tx, spent = _mainnet_spend()
    script_pubkey, amount = spent[2]
    with pytest.raises(ScriptError):
        verify_input(tx, 2, script_pubkey, amount - 1, CONSENSUS_FLAGS)
