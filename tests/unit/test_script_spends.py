"""Signing round trips: build each standard kind of spend with edu_chain.keys, verify it, then
tamper with it and check the exact error Bitcoin Core would give.

Oracle: the signatures come from ``PrivateKey.sign_digest`` over ``Transaction.sighash``
(itself checked against BIP143's examples and an independent implementation in
tests/property/test_script_props.py); a valid spend must verify under STANDARD_FLAGS (and so
under CONSENSUS_FLAGS), and every tampering must fail with the error name Core's interpreter
returns for it (``script_error.h``), as its script_tests.json cases of the same shape do.
"""

from __future__ import annotations

import pytest

from edu_chain.hashing import hash160, sha256
from edu_chain.keys import N, PrivateKey
from edu_chain.script import CONSENSUS_FLAGS, STANDARD_FLAGS, ScriptError, verify_input
from edu_chain.script.opcodes import Opcode as O
from edu_chain.script.script import push_data, push_int
from edu_chain.tx import OutPoint, Transaction, TxIn, TxOut

KEYS = [PrivateKey(secret) for secret in (0xA11CE, 0xB0B, 0xCA7, 0xD06)]
PUBS = [key.public_key.sec() for key in KEYS]
AMOUNT = 50_000_000
FINAL = 0xFFFFFFFF
ALL = 1


# --- building blocks ------------------------------------------------------------------------


def ops(*parts: int | bytes) -> bytes:
    """A script from opcodes (ints) and pushes (bytes)."""
    return b"".join(bytes([part]) if isinstance(part, int) else push_data(part) for part in parts)


def p2pkh(pub: bytes) -> bytes:
    return ops(O.OP_DUP, O.OP_HASH160, hash160(pub), O.OP_EQUALVERIFY, O.OP_CHECKSIG)


def multisig(m: int, pubs: list[bytes]) -> bytes:
    return ops(O.OP_1 + m - 1, *pubs, O.OP_1 + len(pubs) - 1, O.OP_CHECKMULTISIG)


def p2sh(redeem: bytes) -> bytes:
    return ops(O.OP_HASH160, hash160(redeem), O.OP_EQUAL)


def p2wsh(witness_script: bytes) -> bytes:
    return b"\x00\x20" + sha256(witness_script)


def p2wpkh(pub: bytes) -> bytes:
    return b"\x00\x14" + hash160(pub)


def unsigned(*, version: int = 1, locktime: int = 0, sequence: int = FINAL) -> Transaction:
    """One input spending a made-up outpoint, one output paying to a P2PKH."""
    outpoint = OutPoint(sha256(b"funding transaction"), 1)
    return Transaction(
        version,
        [TxIn(outpoint, b"", sequence)],
        [TxOut(AMOUNT - 10_000, p2pkh(PUBS[3]))],
        locktime,
    )


def sign(
    tx: Transaction,
    key: PrivateKey,
    script_code: bytes,
    *,
    amount: int | None = None,
    hash_type: int = ALL,
    high_s: bool = False,
) -> bytes:
    """DER signature + hash type byte; ``amount`` selects the BIP143 (segwit) digest."""
    signature = key.sign_digest(tx.sighash(0, script_code, hash_type, amount=amount))
    if high_s:
        signature = type(signature)(signature.r, N - signature.s)
    return signature.der() + bytes([hash_type])


def verifies(tx: Transaction, script_pubkey: bytes, *, amount: int = AMOUNT) -> None:
    for flags in (STANDARD_FLAGS, CONSENSUS_FLAGS):
        verify_input(tx, 0, script_pubkey, amount, flags)


def fails(
    code: str,
    tx: Transaction,
    script_pubkey: bytes,
    *,
    flags: frozenset[str] = STANDARD_FLAGS,
    amount: int = AMOUNT,
    opcode: str | None = None,
) -> ScriptError:
    with pytest.raises(ScriptError) as failure:
        verify_input(tx, 0, script_pubkey, amount, flags)
    error = failure.value
    assert error.code == code, str(error)
    assert error.message
    if opcode is not None:  # an interpreter error names the opcode, in .opcode and the text
        assert error.opcode == opcode
        assert opcode in error.message
    return error


# --- P2PK -----------------------------------------------------------------------------------


def test_p2pk() -> None:
    script_pubkey = ops(PUBS[0], O.OP_CHECKSIG)
    tx = unsigned()
    good = tx.with_input(0, script_sig=ops(sign(tx, KEYS[0], script_pubkey)))
    verifies(good, script_pubkey)

    wrong_key = tx.with_input(0, script_sig=ops(sign(tx, KEYS[1], script_pubkey)))
    fails("NULLFAIL", wrong_key, script_pubkey, opcode="OP_CHECKSIG")
    fails("EVAL_FALSE", wrong_key, script_pubkey, flags=CONSENSUS_FLAGS)

    high_s = tx.with_input(0, script_sig=ops(sign(tx, KEYS[0], script_pubkey, high_s=True)))
    fails("SIG_HIGH_S", high_s, script_pubkey, opcode="OP_CHECKSIG")
    verify_input(high_s, 0, script_pubkey, AMOUNT, CONSENSUS_FLAGS)  # consensus allows it

    undefined_type = sign(tx, KEYS[0], script_pubkey, hash_type=0x05)
    weird = tx.with_input(0, script_sig=ops(undefined_type))
    fails("SIG_HASHTYPE", weird, script_pubkey, opcode="OP_CHECKSIG")

    not_der = sign(tx, KEYS[0], script_pubkey)[:-1] + b"\x00\x01"  # a byte after the DER
    fails("SIG_DER", tx.with_input(0, script_sig=ops(not_der)), script_pubkey)

    # The signature covers the outputs: paying someone else breaks it.
    rerouted = Transaction(
        good.version, good.inputs, [TxOut(AMOUNT - 10_000, p2pkh(PUBS[1]))], good.locktime
    )
    fails("NULLFAIL", rerouted, script_pubkey)


# --- P2PKH ------------------------------------------------------------------------------------


def test_p2pkh() -> None:
    script_pubkey = p2pkh(PUBS[0])
    tx = unsigned()
    signature = sign(tx, KEYS[0], script_pubkey)
    good = tx.with_input(0, script_sig=ops(signature, PUBS[0]))
    verifies(good, script_pubkey)

    other_pubkey = tx.with_input(0, script_sig=ops(sign(tx, KEYS[1], script_pubkey), PUBS[1]))
    error = fails("EQUALVERIFY", other_pubkey, script_pubkey, opcode="OP_EQUALVERIFY")
    assert error.position == 23  # byte offset of OP_EQUALVERIFY in the scriptPubKey

    wrong_signer = tx.with_input(0, script_sig=ops(sign(tx, KEYS[1], script_pubkey), PUBS[0]))
    fails("NULLFAIL", wrong_signer, script_pubkey, opcode="OP_CHECKSIG")
    fails("EVAL_FALSE", wrong_signer, script_pubkey, flags=CONSENSUS_FLAGS)

    uncompressed = KEYS[0].public_key.sec(compressed=False)
    wrong_form = tx.with_input(0, script_sig=ops(signature, uncompressed))
    fails("EQUALVERIFY", wrong_form, script_pubkey)  # another key form is another hash

    not_push_only = tx.with_input(0, script_sig=ops(signature, PUBS[0], O.OP_NOP))
    fails("SIG_PUSHONLY", not_push_only, script_pubkey)
    verify_input(not_push_only, 0, script_pubkey, AMOUNT, CONSENSUS_FLAGS)

    padded = bytes([O.OP_PUSHDATA1, len(signature)]) + signature + push_data(PUBS[0])
    non_minimal = tx.with_input(0, script_sig=padded)
    fails("MINIMALDATA", non_minimal, script_pubkey, opcode="OP_PUSHDATA1")
    verify_input(non_minimal, 0, script_pubkey, AMOUNT, CONSENSUS_FLAGS)

    missing = tx.with_input(0, script_sig=ops(PUBS[0]))
    fails("INVALID_STACK_OPERATION", missing, script_pubkey, opcode="OP_CHECKSIG")


# --- bare multisig and P2SH multisig ---------------------------------------------------------


def test_bare_2_of_3_multisig() -> None:
    script_pubkey = multisig(2, PUBS[:3])
    tx = unsigned()
    sig_a, sig_c = sign(tx, KEYS[0], script_pubkey), sign(tx, KEYS[2], script_pubkey)
    good = tx.with_input(0, script_sig=ops(O.OP_0, sig_a, sig_c))
    verifies(good, script_pubkey)

    # Signatures must come in the keys' order.
    swapped = tx.with_input(0, script_sig=ops(O.OP_0, sig_c, sig_a))
    fails("NULLFAIL", swapped, script_pubkey, opcode="OP_CHECKMULTISIG")
    fails("EVAL_FALSE", swapped, script_pubkey, flags=CONSENSUS_FLAGS)

    dummy = tx.with_input(0, script_sig=ops(O.OP_1, sig_a, sig_c))
    fails("SIG_NULLDUMMY", dummy, script_pubkey, opcode="OP_CHECKMULTISIG")
    fails("SIG_NULLDUMMY", dummy, script_pubkey, flags=CONSENSUS_FLAGS)  # BIP147: consensus

    outsider = sign(tx, KEYS[3], script_pubkey)
    fails("NULLFAIL", tx.with_input(0, script_sig=ops(O.OP_0, sig_a, outsider)), script_pubkey)

    one_only = tx.with_input(0, script_sig=ops(O.OP_0, sig_a))
    fails("INVALID_STACK_OPERATION", one_only, script_pubkey, opcode="OP_CHECKMULTISIG")

    twice = tx.with_input(0, script_sig=ops(O.OP_0, sig_a, sig_a))  # one key cannot sign twice
    fails("NULLFAIL", twice, script_pubkey)


def test_p2sh_2_of_3_multisig() -> None:
    redeem = multisig(2, PUBS[:3])
    script_pubkey = p2sh(redeem)
    tx = unsigned()
    sig_a, sig_b = sign(tx, KEYS[0], redeem), sign(tx, KEYS[1], redeem)  # they sign the redeem
    good = tx.with_input(0, script_sig=ops(O.OP_0, sig_a, sig_b, redeem))
    verifies(good, script_pubkey)

    other_redeem = multisig(2, [PUBS[0], PUBS[1], PUBS[3]])
    wrong_script = tx.with_input(0, script_sig=ops(O.OP_0, sig_a, sig_b, other_redeem))
    fails("EVAL_FALSE", wrong_script, script_pubkey)

    # Signed over the P2SH script instead of the redeem script: the digest differs.
    sig_wrong_code = sign(tx, KEYS[0], script_pubkey)
    bad_code = tx.with_input(0, script_sig=ops(O.OP_0, sig_wrong_code, sig_b, redeem))
    fails("NULLFAIL", bad_code, script_pubkey, opcode="OP_CHECKMULTISIG")

    dummy = tx.with_input(0, script_sig=ops(b"\x01", sig_a, sig_b, redeem))
    fails("SIG_NULLDUMMY", dummy, script_pubkey, flags=CONSENSUS_FLAGS)

    not_push_only = tx.with_input(0, script_sig=ops(O.OP_0, sig_a, sig_b, O.OP_NOP, redeem))
    fails("SIG_PUSHONLY", not_push_only, script_pubkey, flags=CONSENSUS_FLAGS)  # BIP16 rule

    # Without the P2SH flag (before BIP16) only the hash is checked: anyone with the script.
    no_sigs = tx.with_input(0, script_sig=ops(redeem))
    verify_input(no_sigs, 0, script_pubkey, AMOUNT, frozenset())
    fails("INVALID_STACK_OPERATION", no_sigs, script_pubkey, flags=CONSENSUS_FLAGS)


# --- segwit v0 ----------------------------------------------------------------------------


def test_p2wpkh() -> None:
    script_pubkey = p2wpkh(PUBS[0])
    script_code = p2pkh(PUBS[0])  # BIP143: a P2WPKH signs the P2PKH script of its key
    tx = unsigned()
    signature = sign(tx, KEYS[0], script_code, amount=AMOUNT)
    good = tx.with_input(0, witness=(signature, PUBS[0]))
    verifies(good, script_pubkey)
    assert good.txid == tx.txid  # the witness is outside the txid

    # BIP143 signs the amount: a different amount spent breaks the signature.
    fails("NULLFAIL", good, script_pubkey, amount=AMOUNT + 1, opcode="OP_CHECKSIG")
    fails("EVAL_FALSE", good, script_pubkey, amount=AMOUNT - 1, flags=CONSENSUS_FLAGS)

    legacy_digest = sign(tx, KEYS[0], script_code)  # signed the pre-segwit way
    fails("NULLFAIL", tx.with_input(0, witness=(legacy_digest, PUBS[0])), script_pubkey)

    malleated = good.with_input(0, script_sig=ops(b"\x01"))
    fails("WITNESS_MALLEATED", malleated, script_pubkey, flags=CONSENSUS_FLAGS)

    fails("WITNESS_PROGRAM_MISMATCH", tx.with_input(0, witness=(signature,)), script_pubkey)
    other = tx.with_input(0, witness=(signature, PUBS[1]))
    fails("EQUALVERIFY", other, script_pubkey, opcode="OP_EQUALVERIFY")

    high_s = sign(tx, KEYS[0], script_code, amount=AMOUNT, high_s=True)
    fails("SIG_HIGH_S", tx.with_input(0, witness=(high_s, PUBS[0])), script_pubkey)


def test_p2wpkh_with_an_uncompressed_key_is_consensus_valid_but_not_standard() -> None:
    uncompressed = KEYS[0].public_key.sec(compressed=False)
    script_pubkey = p2wpkh(uncompressed)
    tx = unsigned()
    signature = sign(tx, KEYS[0], p2pkh(uncompressed), amount=AMOUNT)
    spend = tx.with_input(0, witness=(signature, uncompressed))
    verify_input(spend, 0, script_pubkey, AMOUNT, CONSENSUS_FLAGS)
    fails("WITNESS_PUBKEYTYPE", spend, script_pubkey, opcode="OP_CHECKSIG")


def test_p2sh_p2wpkh() -> None:
    program = p2wpkh(PUBS[1])
    script_pubkey = p2sh(program)
    tx = unsigned()
    signature = sign(tx, KEYS[1], p2pkh(PUBS[1]), amount=AMOUNT)
    good = tx.with_input(0, script_sig=ops(program), witness=(signature, PUBS[1]))
    verifies(good, script_pubkey)

    fails("NULLFAIL", good, script_pubkey, amount=AMOUNT * 2)
    extra_push = good.with_input(0, script_sig=ops(O.OP_0, program))
    fails("WITNESS_MALLEATED_P2SH", extra_push, script_pubkey, flags=CONSENSUS_FLAGS)
    no_witness = good.with_input(0, witness=())
    fails("WITNESS_PROGRAM_MISMATCH", no_witness, script_pubkey, flags=CONSENSUS_FLAGS)


def test_p2wsh_2_of_3_multisig() -> None:
    witness_script = multisig(2, PUBS[:3])
    script_pubkey = p2wsh(witness_script)
    tx = unsigned()
    sig_b = sign(tx, KEYS[1], witness_script, amount=AMOUNT)
    sig_c = sign(tx, KEYS[2], witness_script, amount=AMOUNT)
    good = tx.with_input(0, witness=(b"", sig_b, sig_c, witness_script))
    verifies(good, script_pubkey)

    fails("NULLFAIL", good, script_pubkey, amount=AMOUNT + 1, opcode="OP_CHECKMULTISIG")
    fails("EVAL_FALSE", good, script_pubkey, amount=AMOUNT + 1, flags=CONSENSUS_FLAGS)

    other_script = multisig(2, [PUBS[1], PUBS[2], PUBS[3]])
    swapped_script = tx.with_input(0, witness=(b"", sig_b, sig_c, other_script))
    fails("WITNESS_PROGRAM_MISMATCH", swapped_script, script_pubkey, flags=CONSENSUS_FLAGS)

    fails("WITNESS_PROGRAM_WITNESS_EMPTY", tx.with_input(0, witness=()), script_pubkey)

    dummy = tx.with_input(0, witness=(b"\x00", sig_b, sig_c, witness_script))
    fails("SIG_NULLDUMMY", dummy, script_pubkey, flags=CONSENSUS_FLAGS)

    in_script_sig = tx.with_input(0, script_sig=ops(O.OP_0, sig_b, sig_c, witness_script))
    fails("WITNESS_MALLEATED", in_script_sig, script_pubkey, flags=CONSENSUS_FLAGS)


# --- timelocks ----------------------------------------------------------------------------


def cltv_script(locktime: int) -> bytes:
    return push_int(locktime) + ops(O.OP_CHECKLOCKTIMEVERIFY, O.OP_DROP, PUBS[0], O.OP_CHECKSIG)


def signed_spend(script_pubkey: bytes, **fields: int) -> Transaction:
    tx = unsigned(**fields)
    return tx.with_input(0, script_sig=ops(sign(tx, KEYS[0], script_pubkey)))


@pytest.mark.parametrize("lock", [800_000, 1_700_000_000], ids=["height", "time"])
def test_cltv(lock: int) -> None:
    script_pubkey = cltv_script(lock)
    verifies(signed_spend(script_pubkey, locktime=lock, sequence=FINAL - 1), script_pubkey)
    verifies(signed_spend(script_pubkey, locktime=lock + 10, sequence=0), script_pubkey)

    too_early = signed_spend(script_pubkey, locktime=lock - 1, sequence=FINAL - 1)
    fails("UNSATISFIED_LOCKTIME", too_early, script_pubkey, opcode="OP_CHECKLOCKTIMEVERIFY")
    fails("UNSATISFIED_LOCKTIME", too_early, script_pubkey, flags=CONSENSUS_FLAGS)
    # A final sequence switches the transaction's locktime off, so CLTV refuses it.
    final = signed_spend(script_pubkey, locktime=lock, sequence=FINAL)
    fails("UNSATISFIED_LOCKTIME", final, script_pubkey)
    # A height cannot satisfy a time lock, nor a time a height lock.
    other_kind = 1_700_000_000 if lock < 500_000_000 else 800_000
    mixed = signed_spend(script_pubkey, locktime=other_kind, sequence=0)
    fails("UNSATISFIED_LOCKTIME", mixed, script_pubkey)
    # Before BIP65 the opcode was OP_NOP2: without the flag it does nothing.
    verify_input(too_early, 0, script_pubkey, AMOUNT, frozenset({"P2SH"}))


def test_cltv_operand_errors() -> None:
    negative = cltv_script(-1)
    spend = signed_spend(negative, locktime=10, sequence=0)
    fails("NEGATIVE_LOCKTIME", spend, negative, opcode="OP_CHECKLOCKTIMEVERIFY")
    six_bytes = push_data(b"\x01" * 6) + cltv_script(0)[1:]
    fails("UNKNOWN_ERROR", signed_spend(six_bytes, locktime=10, sequence=0), six_bytes)


def csv_script(relative: int) -> bytes:
    return push_int(relative) + ops(O.OP_CHECKSEQUENCEVERIFY, O.OP_DROP, PUBS[0], O.OP_CHECKSIG)


TYPE_FLAG, DISABLE_FLAG = 1 << 22, 1 << 31


@pytest.mark.parametrize("relative", [144, TYPE_FLAG | 20], ids=["blocks", "512s-units"])
def test_csv(relative: int) -> None:
    script_pubkey = csv_script(relative)
    verifies(signed_spend(script_pubkey, version=2, sequence=relative), script_pubkey)
    verifies(signed_spend(script_pubkey, version=2, sequence=relative + 5), script_pubkey)

    too_soon = signed_spend(script_pubkey, version=2, sequence=relative - 1)
    fails("UNSATISFIED_LOCKTIME", too_soon, script_pubkey, opcode="OP_CHECKSEQUENCEVERIFY")
    fails("UNSATISFIED_LOCKTIME", too_soon, script_pubkey, flags=CONSENSUS_FLAGS)
    # BIP68 applies to version 2 transactions only.
    version_1 = signed_spend(script_pubkey, version=1, sequence=relative)
    fails("UNSATISFIED_LOCKTIME", version_1, script_pubkey)
    # A sequence with the disable bit set carries no relative lock.
    disabled = signed_spend(script_pubkey, version=2, sequence=relative | DISABLE_FLAG)
    fails("UNSATISFIED_LOCKTIME", disabled, script_pubkey)
    # Blocks cannot satisfy a time lock and the other way round.
    other_kind = relative ^ TYPE_FLAG
    fails(
        "UNSATISFIED_LOCKTIME",
        signed_spend(script_pubkey, version=2, sequence=other_kind),
        script_pubkey,
    )
    # Before BIP112 the opcode was OP_NOP3.
    verify_input(too_soon, 0, script_pubkey, AMOUNT, frozenset({"P2SH"}))


def test_csv_with_the_disable_bit_in_the_script_is_a_nop() -> None:
    script_pubkey = csv_script(DISABLE_FLAG | 144)
    verifies(signed_spend(script_pubkey, version=1, sequence=0), script_pubkey)
    negative = csv_script(-144)
    spend = signed_spend(negative, version=2, sequence=144)
    fails("NEGATIVE_LOCKTIME", spend, negative, opcode="OP_CHECKSEQUENCEVERIFY")


def test_csv_inside_p2wsh() -> None:
    witness_script = csv_script(10)
    script_pubkey = p2wsh(witness_script)
    tx = unsigned(version=2, sequence=10)
    signature = sign(tx, KEYS[0], witness_script, amount=AMOUNT)
    good = tx.with_input(0, witness=(signature, witness_script))
    verifies(good, script_pubkey)
    early = unsigned(version=2, sequence=9)
    early_sig = sign(early, KEYS[0], witness_script, amount=AMOUNT)
    early = early.with_input(0, witness=(early_sig, witness_script))
    fails("UNSATISFIED_LOCKTIME", early, script_pubkey, opcode="OP_CHECKSEQUENCEVERIFY")
