"""Multisig addresses and their spend through PSBT, signed by different Wallet objects.

Oracles: BIP67's first test vector (sorted keys, script and mainnet P2SH address, from
bip-0067.mediawiki); ``verify_input`` with the standard flags on every input of every
extracted transaction; fee = inputs - outputs against ``Transaction.vsize``; relay policy.
Each signer only sees a base64 copy of the PSBT, as if on another laptop.
"""

import math

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from edu_chain.errors import DecodeError
from edu_chain.keys import PrivateKey
from edu_chain.policy import check_standard, check_standard_inputs
from edu_chain.psbt import Psbt, PsbtError, combine, extract, finalize
from edu_chain.script import MAINNET, STANDARD_FLAGS, script_pubkey_to_address, verify_input
from edu_chain.script.standard import classify
from edu_chain.tx import COIN, OutPoint, Transaction, TxIn, TxOut
from edu_chain.wallet import (
    Multisig,
    Wallet,
    WalletError,
    create_psbt,
    multisig_coins,
)

ALICE = Wallet("alice.json", [PrivateKey(0xA11CE)])
BOB = Wallet("bob.json", [PrivateKey(0xB0B), PrivateKey(0xB0B2)], ["p2wpkh", "p2pkh"])
CAROL = Wallet("carol.json", [PrivateKey(0xCA401)])
DAVE = Wallet("dave.json", [PrivateKey(0xDA7E)])  # not a signer
SIGNERS = [ALICE, BOB, CAROL]


def two_of_three(address_type: str) -> Multisig:
    return Multisig.create(2, [w.public_keys[0] for w in SIGNERS], address_type)


def funding(ms: Multisig, amounts: list[int]) -> Transaction:
    """A transaction (from nowhere in particular) paying ``amounts`` to the multisig."""
    source = TxIn(OutPoint(bytes([9]) * 32, 0), b"\x51")
    return Transaction(2, [source], [TxOut(a, ms.script_pubkey) for a in amounts])


def coins_of(tx: Transaction) -> dict[OutPoint, TxOut]:
    return {OutPoint(tx.txid, n): out for n, out in enumerate(tx.outputs)}


def on_another_laptop(psbt: Psbt) -> Psbt:
    """What a signer receives: the file's base64 text, parsed again."""
    return Psbt.from_base64(psbt.to_base64())


def check_spend(tx: Transaction, utxos: dict[OutPoint, TxOut]) -> int:
    for index, tx_input in enumerate(tx.inputs):
        spent = utxos[tx_input.outpoint]
        verify_input(tx, index, spent.script_pubkey, spent.amount, STANDARD_FLAGS)
    check_standard(tx)
    check_standard_inputs(tx, [utxos[i.outpoint] for i in tx.inputs])
    return sum(utxos[i.outpoint].amount for i in tx.inputs) - sum(o.amount for o in tx.outputs)


# --- addresses -------------------------------------------------------------------------------


def test_bip67_vector_1():
    """bip-0067.mediawiki, vector 1: the two keys sorted, the script and the P2SH address."""
    keys = [
        "02ff12471208c14bd580709cb2358d98975247d8765f92bc25eab3b2763ed605f8",
        "02fe6f0a5a297eb38c391581c4413e084773ea23954d93f7753db7dc0adc188b2f",
    ]
    ms = Multisig.create(2, keys, "p2sh")
    assert ms.script.hex() == (
        "522102fe6f0a5a297eb38c391581c4413e084773ea23954d93f7753db7dc0adc188b2f"
        "2102ff12471208c14bd580709cb2358d98975247d8765f92bc25eab3b2763ed605f852ae"
    )
    address = script_pubkey_to_address(ms.script_pubkey, MAINNET)
    assert address == "39bgKC7RFbpoCRbtD5KEdkYKtNyhpsNa3Z"
    unsorted = Multisig.create(2, keys, "p2sh", sort=False)
    assert unsorted.pubkeys == tuple(bytes.fromhex(k) for k in keys)
    assert unsorted.address != ms.address


@pytest.mark.parametrize(
    "address_type, kind, prefix",
    [
        ("p2wsh", "witness_v0_scripthash", "bcrt1q"),
        ("p2sh", "scripthash", "2"),
        ("p2sh-p2wsh", "scripthash", "2"),
    ],
)
def test_addresses_of_each_type(address_type, kind, prefix):
    ms = two_of_three(address_type)
    assert classify(ms.script_pubkey)[0] == kind
    assert ms.address.startswith(prefix)
    assert classify(ms.script)[0] == "multisig"
    # Any order of the keys gives the same address (BIP67), and the description round-trips.
    reordered = Multisig.create(2, [w.public_keys[0] for w in reversed(SIGNERS)], address_type)
    assert reordered == ms
    assert Multisig.from_dict(ms.to_dict()) == ms


@pytest.mark.parametrize(
    "args, message",
    [
        ((0, [ALICE.public_keys[0]]), "required signatures must be 1..1"),
        ((3, [ALICE.public_keys[0], BOB.public_keys[0]]), "1..2"),
        ((1, []), "1 to 15 public keys"),
        ((1, ["zz"]), "not hex"),
        ((1, ["02" + "00" * 32]), "not on the curve"),
        ((1, [ALICE.keys[0].public_key.sec(compressed=False)]), "33-byte compressed"),
        ((1, [ALICE.public_keys[0]] * 2), "twice"),
        ((1, [ALICE.public_keys[0]], "p2tr"), "unknown multisig type"),
    ],
)
def test_bad_multisig_definitions(args, message):
    with pytest.raises(WalletError, match=message):
        Multisig.create(*args)


def test_a_description_that_lies_about_its_address_is_refused():
    data = two_of_three("p2wsh").to_dict() | {"address": two_of_three("p2sh").address}
    with pytest.raises(WalletError, match="its keys make"):
        Multisig.from_dict(data)
    with pytest.raises(WalletError, match="not an edu_chain multisig"):
        Multisig.from_dict({"format": "other"})


# --- spending through PSBT -------------------------------------------------------------------


@pytest.mark.parametrize("address_type", ["p2wsh", "p2sh", "p2sh-p2wsh"])
def test_two_of_three_signed_by_two_wallets_on_two_laptops(address_type):
    ms = two_of_three(address_type)
    fund = funding(ms, [3 * COIN, 2 * COIN, COIN // 2])
    utxos = coins_of(fund)
    pay_to = DAVE.address
    psbt = create_psbt(ms, utxos, [(pay_to, 4 * COIN)], fee_rate=3, previous_txs=[fund])
    assert len(psbt.tx.inputs) == 2  # 3 + 2 coins, largest first
    assert psbt.fee() is not None
    alice_copy = ALICE.sign_psbt(on_another_laptop(psbt))
    carol_copy = CAROL.sign_psbt(on_another_laptop(psbt))
    assert DAVE.sign_psbt(psbt) == psbt  # a stranger adds nothing
    combined = combine(on_another_laptop(alice_copy), on_another_laptop(carol_copy))
    tx = extract(finalize(combined))
    fee = check_spend(tx, utxos)
    assert fee == psbt.fee()
    assert tx.outputs[0] == TxOut(4 * COIN, Wallet("x", DAVE.keys).script_pubkeys[0])
    assert tx.outputs[1].script_pubkey == ms.script_pubkey  # change back to the multisig
    # The rate is paid, and at most what 72-byte signatures would have needed.
    assert math.ceil(3 * tx.vsize) <= fee <= math.ceil(3 * (tx.vsize + 4 * len(tx.inputs)))


def test_the_signers_own_copies_in_any_order_and_the_other_two():
    ms = two_of_three("p2wsh")
    utxos = coins_of(funding(ms, [COIN]))
    psbt = create_psbt(ms, utxos, [(DAVE.address, COIN // 2)])
    bob_then_alice = ALICE.sign_psbt(BOB.sign_psbt(psbt))  # one file passed along
    carol_bob = combine(CAROL.sign_psbt(psbt), BOB.sign_psbt(psbt))
    for signed in (bob_then_alice, carol_bob):
        check_spend(extract(finalize(signed)), utxos)


def test_one_signature_is_not_enough():
    ms = two_of_three("p2wsh")
    utxos = coins_of(funding(ms, [COIN]))
    psbt = ALICE.sign_psbt(create_psbt(ms, utxos, [(DAVE.address, COIN // 2)]))
    with pytest.raises(PsbtError, match="2-of-3 multisig needs 2 signatures, has 1") as excinfo:
        finalize(psbt)
    assert excinfo.value.code == "psbt-incomplete" and "\n" not in str(excinfo.value)
    with pytest.raises(PsbtError, match="not finalized"):
        extract(psbt)


def test_legacy_p2sh_needs_the_previous_transaction():
    ms = two_of_three("p2sh")
    fund = funding(ms, [COIN])
    with pytest.raises(WalletError, match="signers need the transaction that created it"):
        create_psbt(ms, coins_of(fund), [(DAVE.address, COIN // 2)])
    wrong = funding(ms, [COIN + 1])  # another transaction: its txid is not the outpoint's
    with pytest.raises(WalletError, match="signers need"):
        create_psbt(ms, coins_of(fund), [(DAVE.address, COIN // 2)], previous_txs=[wrong])


def test_op_return_and_only_the_multisig_coins_are_used():
    ms = two_of_three("p2wsh")
    utxos = coins_of(funding(ms, [COIN]))
    utxos[OutPoint(bytes([1]) * 32, 0)] = TxOut(50 * COIN, ALICE.script_pubkeys[0])  # not ms
    assert [c.amount for c in multisig_coins(ms, utxos)] == [COIN]
    psbt = create_psbt(ms, utxos, [], data=b"scholarship round 1", fee=1_000)
    tx = extract(finalize(combine(ALICE.sign_psbt(psbt), BOB.sign_psbt(psbt))))
    assert classify(tx.outputs[0].script_pubkey)[0] == "nulldata"
    assert check_spend(tx, utxos) == 1_000


def test_insufficient_multisig_funds_and_bad_inputs():
    ms = two_of_three("p2wsh")
    utxos = coins_of(funding(ms, [COIN]))
    with pytest.raises(WalletError, match="insufficient funds"):
        create_psbt(ms, utxos, [(DAVE.address, COIN)])
    with pytest.raises(WalletError, match="bad address: decode-"):
        create_psbt(ms, utxos, [("bcrt1qnope", 1_000)])


@pytest.mark.parametrize(
    "text, code",
    [
        ("not base64!", "decode-bad-base64"),
        ("aGVsbG8=", "decode-psbt-magic"),  # "hello"
    ],
)
def test_malformed_psbt_text_is_a_decode_error_with_a_code(text, code):
    with pytest.raises(DecodeError) as excinfo:
        Psbt.from_base64(text)
    assert excinfo.value.code == code


# --- a property: any m-of-n, any set of signers ----------------------------------------------

POOL = [Wallet(f"w{n}.json", [PrivateKey(1000 + n)]) for n in range(5)]


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    data=st.data(),
    address_type=st.sampled_from(["p2wsh", "p2sh", "p2sh-p2wsh"]),
    count=st.integers(1, 5),
)
def test_m_of_n_completes_exactly_when_m_wallets_sign(data, address_type, count):
    required = data.draw(st.integers(1, count), label="required")
    members = POOL[:count]
    ms = Multisig.create(required, [w.public_keys[0] for w in members], address_type)
    amounts = data.draw(st.lists(st.integers(20_000, COIN), min_size=1, max_size=3))
    fund = funding(ms, amounts)
    utxos = coins_of(fund)
    psbt = create_psbt(ms, utxos, [(DAVE.address, 10_000)], fee_rate=1, previous_txs=[fund])
    signers = data.draw(st.lists(st.sampled_from(members), unique=True), label="signers")
    copies = [w.sign_psbt(on_another_laptop(psbt)) for w in signers] or [psbt]
    combined = combine(*copies)
    if len(signers) < required:
        with pytest.raises(PsbtError, match=f"needs {required} signatures, has {len(signers)}"):
            finalize(combined)
        return
    tx = extract(finalize(combined))
    fee = check_spend(tx, utxos)
    assert math.ceil(tx.vsize) <= fee <= tx.vsize + 4 * required * len(tx.inputs)
