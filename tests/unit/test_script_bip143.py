"""BIP143's own worked examples, run through edu_chain.tx and edu_chain.script.

Oracle: ``tests/fixtures/bip143/bip143_examples.json``, the hex values of BIP143's "Example"
section copied unchanged (repository, path, commit and URL are named in the file).  For every
example: our BIP143 digests equal the BIP's (the intermediate hashPrevouts / hashSequence /
hashOutputs too), the BIP's private keys give the BIP's public keys and signatures (RFC 6979),
the signed transaction parses, round-trips byte for byte and verifies input by input, and a
changed amount makes the segwit input fail.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from edu_chain.hashing import sha256, sha256d
from edu_chain.keys import PrivateKey
from edu_chain.script import (
    CONSENSUS_FLAGS,
    STANDARD_FLAGS,
    ScriptError,
    SighashCache,
    verify_input,
)
from edu_chain.tx import Transaction

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "bip143" / "bip143_examples.json"
EXAMPLES = json.loads(FIXTURE.read_text())["examples"]


def _spent(example: dict) -> list[tuple[bytes, int]]:
    """``(script_pubkey, amount)`` of each output the example's inputs spend."""
    spent = []
    for entry in example["spent"]:
        if entry["script_pubkey"] == "DERIVED_P2WSH":
            script_pubkey = b"\x00\x20" + sha256(bytes.fromhex(entry["witness_script"]))
        else:
            script_pubkey = bytes.fromhex(entry["script_pubkey"])
        spent.append((script_pubkey, entry["amount"]))
    return spent


def _script_code(example: dict, signature: dict) -> bytes:
    if signature["script_code"] == "WITNESS_SCRIPT":
        return bytes.fromhex(example["spent"][signature["input"]]["witness_script"])
    return bytes.fromhex(signature["script_code"])


def _signature_cases() -> list:
    return [
        pytest.param(example, signature, id=f"{example['name'][:40]}/{n}")
        for example in EXAMPLES
        for n, signature in enumerate(example["signatures"])
    ]


def _ids(example: dict) -> str:
    return example["name"][:50]


def test_the_fixture_is_the_bips_seven_examples() -> None:
    assert len(EXAMPLES) == 7
    assert sum(len(example["signatures"]) for example in EXAMPLES) == 14
    # The six sighash types of the P2SH-P2WSH example.
    multisig = next(e for e in EXAMPLES if e["name"].startswith("P2SH-P2WSH"))
    assert [s["hash_type"] for s in multisig["signatures"]] == [1, 2, 3, 0x81, 0x82, 0x83]


@pytest.mark.parametrize(("example", "signature"), _signature_cases())
def test_bip143_digest_matches_the_bip(example: dict, signature: dict) -> None:
    if "preimage" in signature:  # the fixture is self-consistent: the BIP's preimage hashes to it
        assert sha256d(bytes.fromhex(signature["preimage"])).hex() == signature["sighash"]
    tx = Transaction.parse(bytes.fromhex(example["signed_tx"]))
    index, hash_type = signature["input"], signature["hash_type"]
    amount = _spent(example)[index][1]
    code = _script_code(example, signature)
    expected = signature["sighash"]
    assert SighashCache(tx).segwit_v0(index, code, amount, hash_type).hex() == expected
    assert tx.sighash(index, code, hash_type, amount=amount).hex() == expected
    if "unsigned_tx" in example:  # signatures do not sign themselves: same digest unsigned
        unsigned = Transaction.parse(bytes.fromhex(example["unsigned_tx"]))
        assert unsigned.sighash(index, code, hash_type, amount=amount).hex() == expected
    # One satoshi more and the digest changes: BIP143 commits to the amount.
    assert tx.sighash(index, code, hash_type, amount=amount + 1).hex() != expected


@pytest.mark.parametrize("example", [e for e in EXAMPLES if "hash_prevouts" in e], ids=_ids)
def test_bip143_intermediate_hashes_match_the_bip(example: dict) -> None:
    tx = Transaction.parse(bytes.fromhex(example["signed_tx"]))
    hash_prevouts, hash_sequence, hash_outputs = SighashCache(tx).bip143_digests()
    assert hash_prevouts.hex() == example["hash_prevouts"]
    if "hash_sequence" in example:
        assert hash_sequence.hex() == example["hash_sequence"]
    if "hash_outputs" in example:
        assert hash_outputs.hex() == example["hash_outputs"]


@pytest.mark.parametrize(
    ("example", "signature"),
    [case for case in _signature_cases() if "private_key" in case.values[1]],
)
def test_the_bips_keys_reproduce_its_public_keys_and_signatures(
    example: dict, signature: dict
) -> None:
    key = PrivateKey.from_bytes(bytes.fromhex(signature["private_key"]))
    assert key.public_key.sec().hex() == signature["public_key"]
    # Core signed the examples with RFC 6979 nonces and low s, as edu_chain does.
    produced = key.sign_digest(bytes.fromhex(signature["sighash"]))
    assert produced.der().hex() == signature["signature"]
    assert key.public_key.verify_digest(produced, bytes.fromhex(signature["sighash"]))


def _flag_sets(example: dict) -> list[frozenset[str]]:
    return [CONSENSUS_FLAGS, STANDARD_FLAGS] if example["standard"] else [CONSENSUS_FLAGS]


@pytest.mark.parametrize("example", EXAMPLES, ids=_ids)
def test_signed_transaction_round_trips_and_verifies(example: dict) -> None:
    raw = bytes.fromhex(example["signed_tx"])
    tx = Transaction.parse(raw)
    assert tx.serialize() == raw
    assert tx.has_witness
    assert tx.wtxid == sha256d(raw)
    assert tx.txid == sha256d(tx.serialize_legacy()) != tx.wtxid
    assert tx.weight == 3 * len(tx.serialize_legacy()) + len(raw)
    if "unsigned_tx" in example:
        unsigned = Transaction.parse(bytes.fromhex(example["unsigned_tx"]))
        assert unsigned.serialize().hex() == example["unsigned_tx"]
        if not any(tx_input.script_sig for tx_input in tx.inputs):
            # Only witnesses were added: the txid is the unsigned transaction's.
            assert tx.txid == unsigned.txid
    spent = _spent(example)
    assert len(spent) == len(tx.inputs)
    for flags in _flag_sets(example):
        cache = SighashCache(tx)
        for index, (script_pubkey, amount) in enumerate(spent):
            verify_input(tx, index, script_pubkey, amount, flags, cache=cache)


@pytest.mark.parametrize("example", [e for e in EXAMPLES if not e["standard"]], ids=_ids)
def test_no_findanddelete_examples_are_not_standard_for_their_high_s(example: dict) -> None:
    tx = Transaction.parse(bytes.fromhex(example["signed_tx"]))
    ((script_pubkey, amount),) = _spent(example)
    with pytest.raises(ScriptError) as failure:
        verify_input(tx, 0, script_pubkey, amount, STANDARD_FLAGS)
    assert failure.value.code == "SIG_HIGH_S"


@pytest.mark.parametrize("example", EXAMPLES, ids=_ids)
def test_a_changed_amount_breaks_every_segwit_input(example: dict) -> None:
    tx = Transaction.parse(bytes.fromhex(example["signed_tx"]))
    for index, (script_pubkey, amount) in enumerate(_spent(example)):
        if not tx.inputs[index].witness:
            # A legacy input does not sign its amount: another amount changes nothing.
            verify_input(tx, index, script_pubkey, amount + 1, CONSENSUS_FLAGS)
            continue
        with pytest.raises(ScriptError) as failure:
            verify_input(tx, index, script_pubkey, amount + 1, CONSENSUS_FLAGS)
        assert failure.value.code in {"EVAL_FALSE", "CHECKSIGVERIFY", "CHECKMULTISIGVERIFY"}


def test_single_anyonecanpay_survives_swapping_the_input_output_pairs() -> None:
    example = next(e for e in EXAMPLES if "swapped_tx" in e)
    raw = bytes.fromhex(example["swapped_tx"])
    swapped = Transaction.parse(raw)
    assert swapped.serialize() == raw
    spent = _spent(example)[::-1]  # the inputs swapped places
    for flags in (CONSENSUS_FLAGS, STANDARD_FLAGS):
        for index, (script_pubkey, amount) in enumerate(spent):
            verify_input(swapped, index, script_pubkey, amount, flags)
