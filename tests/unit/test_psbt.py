"""PSBT (edu_chain/psbt.py) against BIP174's own test vectors, and multisig spends end to end.

Oracles: the vectors in ``tests/fixtures/bip174/`` (copied from bip-0174.mediawiki, whose
PSBTs and final transaction were produced by Bitcoin Core), and the script interpreter's
``verify_input`` for the transactions we finalize ourselves.
"""

import json
from pathlib import Path

import pytest

from edu_chain.encoding import base58check_decode
from edu_chain.errors import DecodeError
from edu_chain.hashing import hash160
from edu_chain.keys import PrivateKey
from edu_chain.psbt import (
    Psbt,
    PsbtError,
    PsbtInput,
    combine,
    create,
    extract,
    finalize,
    sign,
    update_input,
    update_output,
)
from edu_chain.script import STANDARD_FLAGS, ScriptError, verify_input
from edu_chain.script.standard import multisig, p2pkh, p2sh_for, p2wpkh, p2wsh_for
from edu_chain.tx import OutPoint, Transaction, TxIn, TxOut

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "bip174"
INVALID = json.loads((FIXTURES / "invalid.json").read_text())["cases"]
VALID = json.loads((FIXTURES / "valid.json").read_text())
WORKFLOW = json.loads((FIXTURES / "workflow.json").read_text())


def key_from_wif(wif: str) -> PrivateKey:
    """WIF (Base58Check of version byte, 32-byte secret, 0x01 when the key is compressed)."""
    payload = base58check_decode(wif)
    assert payload[0] in (0x80, 0xEF) and len(payload) == 34 and payload[-1] == 0x01
    return PrivateKey(int.from_bytes(payload[1:33], "big"))


# --- the BIP's vectors -----------------------------------------------------------------------


@pytest.mark.parametrize("case", INVALID, ids=[c["case"] for c in INVALID])
def test_invalid_vectors_are_refused_with_their_reason(case):
    with pytest.raises(DecodeError) as caught:
        Psbt.from_base64(case["base64"])
    assert caught.value.code == case["code"]
    if case["code"] != "decode-psbt-magic":
        assert "map" in caught.value.message  # names the map (and the key) at fault


@pytest.mark.parametrize("case", VALID["valid"], ids=[c["case"] for c in VALID["valid"]])
def test_valid_vectors_parse_and_round_trip_byte_for_byte(case):
    psbt = Psbt.from_base64(case["base64"])
    assert psbt.to_base64() == case["base64"]
    assert Psbt.parse(psbt.serialize()) == psbt
    assert Psbt.load(psbt.serialize()) == psbt == Psbt.load(case["base64"].encode())
    wrapped = "\n".join(case["base64"][n : n + 64] for n in range(0, len(case["base64"]), 64))
    assert Psbt.load(wrapped + "\n") == psbt  # a text file with line breaks


def test_valid_vector_fields_are_read_into_the_model():
    unknown = Psbt.from_base64(VALID["valid"][6]["base64"])  # "unknown types in the inputs"
    assert unknown.inputs[0].unknown == {bytes.fromhex("f0010203040506070809"): bytes(range(1, 16))}
    xpub = Psbt.from_base64(VALID["valid"][7]["base64"])
    assert len(xpub.xpubs) == 1 and len(next(iter(xpub.xpubs))) == 78
    signed = Psbt.from_base64(VALID["valid"][4]["base64"])  # P2SH-P2WSH with one signature
    assert list(signed.inputs[0].partial_sigs) == [
        bytes.fromhex("03b1341ccba7683b6af4f1238cd6e97e7167d569fac47f1e48d47541844355bd46")
    ]
    assert signed.inputs[0].witness_utxo.amount == 199_909_013
    assert signed.fee() == 199_909_013 - 199_908_000


@pytest.mark.parametrize(
    "case", VALID["signer_checks"], ids=[c["case"] for c in VALID["signer_checks"]]
)
def test_signer_refuses_inconsistent_inputs(case):
    psbt = Psbt.from_base64(case["base64"])
    key = key_from_wif(WORKFLOW["signers"][0]["wif"][0])
    with pytest.raises(PsbtError) as caught:
        sign(psbt, key)
    assert caught.value.code == case["code"]


def _derivation(path: str) -> bytes:
    fingerprint = bytes.fromhex(WORKFLOW["updater"]["master_fingerprint"])
    steps = [int(step.rstrip("'")) + 0x8000_0000 for step in path.split("/")[1:]]
    return fingerprint + b"".join(step.to_bytes(4, "little") for step in steps)


def _created() -> Psbt:
    spec = WORKFLOW["creator"]
    tx = Transaction(
        version=2,
        inputs=[TxIn(OutPoint(bytes.fromhex(i["txid"])[::-1], i["index"])) for i in spec["inputs"]],
        outputs=[TxOut(o["amount"], bytes.fromhex(o["script_pubkey"])) for o in spec["outputs"]],
    )
    return create(tx)


def _updated(psbt: Psbt) -> Psbt:
    """The BIP's Updater: each piece of data goes where its hash says it belongs."""
    spec = WORKFLOW["updater"]
    previous = [Transaction.parse(bytes.fromhex(raw)) for raw in spec["previous_transactions"]]
    redeem = [bytes.fromhex(s) for s in spec["redeem_scripts"]]
    witness = [bytes.fromhex(s) for s in spec["witness_scripts"]]
    paths = {bytes.fromhex(k["key"]): _derivation(k["path"]) for k in spec["public_keys"]}
    for index, tx_input in enumerate(psbt.tx.inputs):
        utxo = next(tx for tx in previous if tx.txid == tx_input.outpoint.txid)
        spent = utxo.outputs[tx_input.outpoint.index]
        script = next(r for r in redeem if p2sh_for(r) == spent.script_pubkey)
        fields = {"redeem_script": script}
        ws = next((w for w in witness if p2wsh_for(w) == script), None)
        if ws is None:
            fields["non_witness_utxo"] = utxo
        else:
            fields |= {"witness_utxo": spent, "witness_script": ws}
        inner = ws or script
        fields["bip32_derivations"] = {k: v for k, v in paths.items() if k in inner}
        psbt = update_input(psbt, index, **fields)
    for index in range(len(psbt.outputs)):
        key = list(paths)[4 + index]  # m/0'/0'/4' and 5' are the outputs' (change) keys
        psbt = update_output(psbt, index, bip32_derivations={key: paths[key]})
    return psbt


def test_bip174_walk_through_creator_to_extractor():
    created = _created()
    assert created.to_base64() == WORKFLOW["creator"]["expected"]
    updated = _updated(created)
    assert updated.to_base64() == WORKFLOW["updater"]["expected"]
    with_sighash = updated
    for index in range(2):
        with_sighash = update_input(with_sighash, index, sighash_type=1)
    assert with_sighash.to_base64() == WORKFLOW["sighash_updater"]["expected"]

    copies = []
    for signer in WORKFLOW["signers"]:  # each signer signs its own copy of the file
        psbt = Psbt.from_base64(with_sighash.to_base64())
        for wif in signer["wif"]:
            psbt = sign(psbt, key_from_wif(wif))
        assert psbt.to_base64() == signer["expected"]  # RFC 6979: the very same signatures
        copies.append(psbt)

    combined = combine(*copies)
    assert combined.to_base64() == WORKFLOW["combiner"]["expected"]
    finalized = finalize(combined)
    assert finalized.to_base64() == WORKFLOW["finalizer"]["expected"]
    tx = extract(finalized)
    assert tx.serialize().hex() == WORKFLOW["extractor"]["expected_hex"]


def test_combiner_keeps_and_sorts_unknown_keys():
    spec = WORKFLOW["unknown_combiner"]
    first, second = (Psbt.from_base64(text) for text in spec["inputs"])
    assert combine(first, second).to_base64() == spec["expected"]


def test_combine_is_order_independent_for_signatures():
    copies = [Psbt.from_base64(s["expected"]) for s in WORKFLOW["signers"]]
    assert combine(*copies).serialize() == combine(*reversed(copies)).serialize()


def test_combiner_refuses_different_transactions():
    one = Psbt.from_base64(WORKFLOW["creator"]["expected"])
    other = Psbt.from_base64(VALID["valid"][0]["base64"])
    with pytest.raises(PsbtError) as caught:
        combine(one, other)
    assert caught.value.code == "psbt-combine-different-tx"


# --- our own multisig spends -----------------------------------------------------------------

KEYS = [PrivateKey(secret) for secret in (0xA11CE, 0xB0B, 0xC4A5)]
PUBKEYS = [key.public_key.sec() for key in KEYS]
FUNDING_TXID = hash160(b"funding")[:16] * 2


def _funding(script_pubkey: bytes, amount: int = 50_000) -> Transaction:
    source = TxIn(OutPoint(bytes(31) + b"\x01", 0), script_sig=b"\x51")
    return Transaction(2, [source], [TxOut(amount, script_pubkey)])


def _spend_psbt(funding: Transaction, **fields) -> Psbt:
    tx = Transaction(
        2, [TxIn(OutPoint(funding.txid, 0))], [TxOut(49_000, p2wpkh(hash160(PUBKEYS[0])))]
    )
    return update_input(create(tx), 0, **fields)


def _two_signers_then_extract(psbt: Psbt, signers=(0, 2)) -> Transaction:
    text = psbt.to_base64()
    files = [sign(Psbt.from_base64(text), KEYS[n]).to_base64() for n in signers]
    combined = combine(*(Psbt.from_base64(f) for f in files))
    return extract(finalize(combined))


def _check_spend(tx: Transaction, funding: Transaction) -> None:
    spent = funding.outputs[0]
    verify_input(tx, 0, spent.script_pubkey, spent.amount, STANDARD_FLAGS)


def test_two_of_three_p2wsh_two_laptops():
    script = multisig(2, PUBKEYS)
    funding = _funding(p2wsh_for(script))
    psbt = _spend_psbt(funding, witness_utxo=funding.outputs[0], witness_script=script)
    tx = _two_signers_then_extract(psbt)
    _check_spend(tx, funding)
    witness = tx.inputs[0].witness
    assert witness[0] == b"" and witness[-1] == script and len(witness) == 4  # dummy, 2 sigs
    assert tx.inputs[0].script_sig == b""


def test_two_of_three_p2sh_two_laptops():
    script = multisig(2, PUBKEYS)
    funding = _funding(p2sh_for(script))
    psbt = _spend_psbt(funding, non_witness_utxo=funding, redeem_script=script)
    tx = _two_signers_then_extract(psbt, signers=(2, 1))  # signed out of key order
    _check_spend(tx, funding)
    assert tx.inputs[0].script_sig[0] == 0x00 and not tx.inputs[0].witness


def test_two_of_three_p2sh_p2wsh():
    script = multisig(2, PUBKEYS)
    funding = _funding(p2sh_for(p2wsh_for(script)))
    psbt = _spend_psbt(
        funding,
        witness_utxo=funding.outputs[0],
        redeem_script=p2wsh_for(script),
        witness_script=script,
    )
    _check_spend(_two_signers_then_extract(psbt, signers=(1, 0)), funding)


def test_signatures_go_in_key_order_after_the_dummy():
    script = multisig(2, PUBKEYS)
    funding = _funding(p2wsh_for(script))
    psbt = _spend_psbt(funding, witness_utxo=funding.outputs[0], witness_script=script)
    psbt = sign(sign(psbt, KEYS[2]), KEYS[0])
    witness = finalize(psbt).inputs[0].final_script_witness
    assert witness[1] == psbt.inputs[0].partial_sigs[PUBKEYS[0]]
    assert witness[2] == psbt.inputs[0].partial_sigs[PUBKEYS[2]]


@pytest.mark.parametrize("kind", ["p2pkh", "p2wpkh", "p2sh-p2wpkh"])
def test_single_key_templates(kind):
    key, pubkey = KEYS[1], PUBKEYS[1]
    if kind == "p2pkh":
        funding = _funding(p2pkh(hash160(pubkey)))
        fields = {"non_witness_utxo": funding}
    elif kind == "p2wpkh":
        funding = _funding(p2wpkh(hash160(pubkey)))
        fields = {"witness_utxo": funding.outputs[0]}
    else:
        funding = _funding(p2sh_for(p2wpkh(hash160(pubkey))))
        fields = {"witness_utxo": funding.outputs[0], "redeem_script": p2wpkh(hash160(pubkey))}
    psbt = sign(_spend_psbt(funding, **fields), key)
    tx = extract(finalize(psbt))
    _check_spend(tx, funding)
    # The same spend as the single-key signer in tx.py makes (both RFC 6979).
    expected = psbt.tx.sign_input(0, key, funding.outputs[0].script_pubkey, 50_000)
    assert tx.serialize() == expected.serialize()


def test_one_signer_alone_cannot_finalize():
    script = multisig(2, PUBKEYS)
    funding = _funding(p2wsh_for(script))
    psbt = _spend_psbt(funding, witness_utxo=funding.outputs[0], witness_script=script)
    alone = sign(psbt, KEYS[0])
    with pytest.raises(PsbtError) as caught:
        finalize(alone)
    assert caught.value.code == "psbt-incomplete"
    assert "2-of-3 multisig needs 2 signatures, has 1" in caught.value.message
    with pytest.raises(PsbtError) as caught:
        extract(alone)
    assert caught.value.code == "psbt-not-finalized"


def test_a_stranger_key_adds_nothing_and_inputs_without_utxo_are_skipped():
    script = multisig(2, PUBKEYS)
    funding = _funding(p2wsh_for(script))
    psbt = _spend_psbt(funding, witness_utxo=funding.outputs[0], witness_script=script)
    assert sign(psbt, PrivateKey(7)) == psbt
    bare = _spend_psbt(funding)
    assert sign(bare, KEYS[0]) == bare
    with pytest.raises(PsbtError, match="UTXO, redeem script or witness script is missing"):
        finalize(bare)


def test_non_witness_utxo_must_be_the_transaction_spent():
    script = multisig(2, PUBKEYS)
    funding, other = _funding(p2sh_for(script)), _funding(p2sh_for(script), amount=1)
    psbt = _spend_psbt(funding)
    with pytest.raises(PsbtError) as caught:
        update_input(psbt, 0, non_witness_utxo=other)
    assert caught.value.code == "psbt-utxo-mismatch"
    lying = Psbt(psbt.tx, (PsbtInput(non_witness_utxo=other, redeem_script=script),), psbt.outputs)
    with pytest.raises(PsbtError) as caught:
        sign(lying, KEYS[0])
    assert caught.value.code == "psbt-utxo-mismatch"


def test_finalizer_refuses_a_signature_of_the_wrong_sighash_type():
    script = multisig(1, PUBKEYS[:1])
    funding = _funding(p2wsh_for(script))
    psbt = _spend_psbt(funding, witness_utxo=funding.outputs[0], witness_script=script)
    signed = sign(psbt, KEYS[0])  # SIGHASH_ALL
    with pytest.raises(PsbtError) as caught:
        finalize(update_input(signed, 0, sighash_type=0x83))
    assert caught.value.code == "psbt-sighash-type"


def test_signer_uses_the_requested_sighash_type():
    script = multisig(1, PUBKEYS[:1])
    funding = _funding(p2wsh_for(script))
    psbt = _spend_psbt(funding, witness_utxo=funding.outputs[0], witness_script=script)
    psbt = sign(update_input(psbt, 0, sighash_type=0x81), KEYS[0])
    assert psbt.inputs[0].partial_sigs[PUBKEYS[0]][-1] == 0x81
    _check_spend(extract(finalize(psbt)), funding)


def test_extractor_verifies_the_scripts():
    script = multisig(1, PUBKEYS[:1])
    funding = _funding(p2wsh_for(script))
    psbt = _spend_psbt(funding, witness_utxo=funding.outputs[0], witness_script=script)
    final = finalize(sign(psbt, KEYS[0]))
    lie = update_input(final, 0, witness_utxo=TxOut(60_000, funding.outputs[0].script_pubkey))
    with pytest.raises(ScriptError):  # the signature commits to 50,000 satoshis
        extract(lie)
    assert extract(lie, verify=False).txid == extract(final).txid


def test_creator_refuses_a_signed_transaction():
    tx = Transaction(2, [TxIn(OutPoint(bytes(32), 0), script_sig=b"\x51")], [TxOut(1, b"")])
    with pytest.raises(PsbtError) as caught:
        create(tx)
    assert caught.value.code == "psbt-not-unsigned"


def test_bad_base64_and_not_a_psbt():
    for text in ["not base64!", "cHNidP8", "\u00e9"]:
        with pytest.raises(DecodeError) as caught:
            Psbt.from_base64(text)
        assert caught.value.code == "decode-bad-base64"
    with pytest.raises(DecodeError) as caught:
        Psbt.load(b"\xff\xfe binary junk")
    assert caught.value.code == "decode-psbt-magic"


def test_unsupported_version_and_trailing_bytes():
    base = Psbt.from_base64(WORKFLOW["creator"]["expected"])
    raw = base.serialize()
    # The global map is: magic, 01 00 (key), 9a (value length: 154), the tx, then 00.
    terminator = len(b"psbt\xff") + 2 + 1 + len(base.tx.serialize_legacy())
    assert raw[terminator] == 0
    version_pair = b"\x01\xfb\x04" + (1).to_bytes(4, "little")
    with_version = raw[:terminator] + version_pair + raw[terminator:]
    with pytest.raises(DecodeError) as caught:
        Psbt.parse(with_version)
    assert caught.value.code == "decode-psbt-version"
    with pytest.raises(DecodeError) as caught:
        Psbt.parse(raw + b"\x00")
    assert caught.value.code == "decode-trailing-bytes"


def test_proprietary_keys_round_trip_and_survive_finalizing():
    script = multisig(1, PUBKEYS[:1])
    funding = _funding(p2wsh_for(script))
    psbt = _spend_psbt(funding, witness_utxo=funding.outputs[0], witness_script=script)
    key = b"\xfc\x07edu-lab\x01tag"
    psbt = update_input(psbt, 0, proprietary={key: b"value"})
    again = Psbt.parse(psbt.serialize())
    assert again == psbt and again.inputs[0].proprietary == {key: b"value"}
    assert finalize(sign(again, KEYS[0])).inputs[0].proprietary == {key: b"value"}


def test_combining_a_finalized_copy_keeps_only_final_data():
    copies = [Psbt.from_base64(s["expected"]) for s in WORKFLOW["signers"]]
    final = Psbt.from_base64(WORKFLOW["finalizer"]["expected"])
    assert combine(copies[0], final).serialize() == final.serialize()
    assert combine(final, *copies).serialize() == final.serialize()


def _p2wsh_2_of_3() -> tuple[Psbt, Transaction]:
    script = multisig(2, PUBKEYS)
    funding = _funding(p2wsh_for(script))
    return _spend_psbt(funding, witness_utxo=funding.outputs[0], witness_script=script), funding


def _tampered(psbt: Psbt, pubkey: bytes) -> Psbt:
    sigs = dict(psbt.inputs[0].partial_sigs)
    sigs[pubkey] = sigs[pubkey][:-1] + b"\x02"  # SIGHASH_NONE: valid DER, wrong digest
    return update_input(psbt, 0, partial_sigs=sigs)


def test_finalizer_skips_an_invalid_signature_and_says_so():
    psbt, funding = _p2wsh_2_of_3()
    all_three = sign(sign(sign(psbt, KEYS[0]), KEYS[1]), KEYS[2])
    bad_first = _tampered(all_three, PUBKEYS[0])
    _check_spend(extract(finalize(bad_first)), funding)  # keys 1 and 2 carry it
    two = _tampered(sign(sign(psbt, KEYS[0]), KEYS[1]), PUBKEYS[1])
    with pytest.raises(PsbtError) as caught:
        finalize(two)
    assert caught.value.code == "psbt-incomplete"
    assert f"ignored invalid signatures from {PUBKEYS[1].hex()}" in caught.value.message


def test_witness_utxo_must_agree_with_the_non_witness_utxo():
    psbt, funding = _p2wsh_2_of_3()
    psbt = update_input(psbt, 0, non_witness_utxo=funding)
    assert sign(psbt, KEYS[0]).inputs[0].partial_sigs  # consistent: signs
    lying = update_input(psbt, 0, witness_utxo=TxOut(10**8, funding.outputs[0].script_pubkey))
    with pytest.raises(PsbtError) as caught:
        sign(lying, KEYS[0])
    assert caught.value.code == "psbt-utxo-mismatch"


def test_fields_set_by_hand_are_checked():
    psbt, _ = _p2wsh_2_of_3()
    with pytest.raises(TypeError, match="redeem_script must be bytes"):
        update_input(psbt, 0, redeem_script="5221")
    with pytest.raises(ValueError, match="not an unknown key"):
        update_input(psbt, 0, unknown={b"\x04": b"would collide with the redeem script"})
    with pytest.raises(ValueError, match="proprietary key starts with 0xfc"):
        update_output(psbt, 0, proprietary={b"\x01": b""})
