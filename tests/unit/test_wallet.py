"""The wallet: keystore safety, addresses, coin selection, fees by vsize, signed payments.

Oracles: every signed input is run through ``verify_input`` with the standard flags against
the output it spends; the fee is inputs minus outputs; sizes are ``Transaction.vsize``;
relay policy (``policy.check_standard``) must accept every transaction built; addresses are
checked against BIP173's published regtest vector.
"""

import json
import math
import stat
from dataclasses import dataclass

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from edu_chain.keys import PrivateKey
from edu_chain.policy import check_standard, dust_threshold
from edu_chain.script import STANDARD_FLAGS, verify_input
from edu_chain.script.standard import classify, op_return, p2pkh, p2wpkh
from edu_chain.tx import COIN, OutPoint, Transaction, TxOut
from edu_chain.wallet import (
    DEFAULT_FEE_RATE,
    MAX_DATA_SIZE,
    InsufficientFundsError,
    KeystoreExistsError,
    Wallet,
    WalletError,
    decode_address,
    estimate_vsize,
    format_coins,
    parse_coins,
    select_coins,
)

ALICE = PrivateKey(0xA11CE)
ALICE2 = PrivateKey(0xA11CE2)
BOB = PrivateKey(0xB0B)


def outpoint(n: int) -> OutPoint:
    return OutPoint(bytes([n]) * 32, n)


def wpkh(key: PrivateKey) -> bytes:
    return p2wpkh(key.public_key.pubkey_hash())


def pkh(key: PrivateKey) -> bytes:
    return p2pkh(key.public_key.pubkey_hash())


def alice_wallet() -> Wallet:
    """ALICE receives at P2WPKH, ALICE2 at P2PKH."""
    return Wallet("unused.json", [ALICE, ALICE2], ["p2wpkh", "p2pkh"])


def alice_utxos() -> dict[OutPoint, TxOut]:
    return {
        outpoint(1): TxOut(5 * COIN, wpkh(ALICE)),
        outpoint(2): TxOut(3 * COIN, pkh(ALICE2)),
        outpoint(3): TxOut(1 * COIN, wpkh(ALICE)),
        outpoint(4): TxOut(100 * COIN, wpkh(BOB)),  # not ours
        outpoint(5): TxOut(7 * COIN, pkh(ALICE)),  # ALICE's key, but not an address we use
    }


BOB_ADDRESS = Wallet("unused.json", [BOB]).address


def assert_valid_payment(tx: Transaction, spent: dict[OutPoint, TxOut]) -> int:
    """Every input verifies (standard flags) against its coin; relay policy accepts the
    transaction; it survives a serialization round trip.  Returns the fee."""
    for index, tx_input in enumerate(tx.inputs):
        coin = spent[tx_input.outpoint]
        verify_input(tx, index, coin.script_pubkey, coin.amount, STANDARD_FLAGS)
    check_standard(tx)
    assert Transaction.parse(tx.serialize()) == tx
    fee = sum(spent[i.outpoint].amount for i in tx.inputs) - sum(o.amount for o in tx.outputs)
    assert fee >= 0
    return fee


# --- keystore --------------------------------------------------------------------------------


def test_create_writes_a_private_keystore_and_loads_back(tmp_path):
    path = tmp_path / "sub" / "wallet.json"
    wallet = Wallet.create(path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    data = json.loads(path.read_text())
    assert data["format"] == "edu_chain-wallet" and data["version"] == 2
    assert data["network"] == "regtest" and len(data["keys"]) == 1
    assert data["keys"][0]["type"] == "p2wpkh"
    loaded = Wallet.load(path)
    assert loaded.keys == wallet.keys
    assert loaded.address == wallet.address == data["keys"][0]["address"]
    assert loaded.address.startswith("bcrt1q")


def test_default_address_is_p2wpkh_and_p2pkh_is_an_option(tmp_path):
    wallet = Wallet.create(tmp_path / "w.json", keys=[ALICE])
    assert wallet.script_pubkeys == [wpkh(ALICE)]
    assert decode_address(wallet.address) == wpkh(ALICE)
    key = wallet.new_key(address_type="p2pkh")
    assert wallet.script_pubkeys == [wpkh(ALICE), pkh(key)]
    legacy = wallet.addresses[1]
    assert legacy[0] in "mn" and decode_address(legacy) == pkh(key)
    # keys' own PublicKey.address() is this same P2PKH Base58Check string.
    assert legacy == key.public_key.address()
    reloaded = Wallet.load(tmp_path / "w.json")
    assert reloaded.address_types == ["p2wpkh", "p2pkh"]
    assert reloaded.addresses == wallet.addresses
    with pytest.raises(WalletError, match="unknown address type 'p2tr'"):
        wallet.new_key(address_type="p2tr")
    assert len(Wallet.load(tmp_path / "w.json").keys) == 2  # nothing saved


def test_bip173_regtest_vector():
    """BIP173's regtest example: the P2WPKH of hash 751e76e8...433bd6."""
    script = bytes.fromhex("0014751e76e8199196d454941c45d1b3a323f1433bd6")
    assert decode_address("bcrt1qw508d6qejxtdg4y5r3zarvary0c5xw7kygt080") == script


def test_a_version_1_keystore_still_loads_with_its_p2pkh_address(tmp_path):
    path = tmp_path / "old.json"
    old = {
        "format": "edu_chain-wallet",
        "version": 1,
        "keys": [{"secret": ALICE.to_bytes().hex(), "address": ALICE.public_key.address()}],
    }
    path.write_text(json.dumps(old))
    wallet = Wallet.load(path)
    assert wallet.keys == [ALICE] and wallet.address_types == ["p2pkh"]
    assert wallet.address == ALICE.public_key.address()
    wallet.new_key()
    data = json.loads(path.read_text())
    assert data["version"] == 2
    assert [k["type"] for k in data["keys"]] == ["p2pkh", "p2wpkh"]


def test_create_never_overwrites_without_asking(tmp_path):
    path = tmp_path / "wallet.json"
    first = Wallet.create(path)
    before = path.read_bytes()
    with pytest.raises(KeystoreExistsError, match="refusing to overwrite"):
        Wallet.create(path)
    assert path.read_bytes() == before
    second = Wallet.create(path, overwrite=True)
    assert second.keys != first.keys
    assert Wallet.load(path).keys == second.keys
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_new_key_is_saved_with_mode_0600(tmp_path):
    path = tmp_path / "wallet.json"
    wallet = Wallet.create(path, keys=[ALICE])
    key = wallet.new_key()
    assert Wallet.load(path).keys == [ALICE, key]
    assert wallet.script_pubkeys == [wpkh(ALICE), wpkh(key)]
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert [p.name for p in tmp_path.iterdir()] == ["wallet.json"]  # no temp files left


SECRET = ALICE.to_bytes().hex()
BIP173_REGTEST = "bcrt1qw508d6qejxtdg4y5r3zarvary0c5xw7kygt080"


def keystore(*keys: dict) -> str:
    return json.dumps({"format": "edu_chain-wallet", "version": 2, "keys": list(keys)})


@pytest.mark.parametrize(
    "content, message",
    [
        ("not json", "cannot read"),
        ('{"format": "other"}', "not an edu_chain wallet"),
        ('{"format": "edu_chain-wallet", "version": 9, "keys": []}', "version"),
        ('{"format": "edu_chain-wallet", "version": 2, "keys": []}', "wallet.json: a wallet"),
        ('{"format": "edu_chain-wallet", "version": 2, "keys": [{"secret": "00"}]}', "#0"),
        ('{"format": "edu_chain-wallet", "version": 1, "keys": [{"secret": 5}]}', "#0"),
        ('{"format": "edu_chain-wallet", "version": 2, "keys": [7]}', "#0"),
        ('{"format": "edu_chain-wallet", "version": 2, "keys": 5}', "list of keys"),
        ('{"format": "edu_chain-wallet", "version": 1, "keys": true}', "list of keys"),
        ('{"format": "edu_chain-wallet", "version": 2, "keys": {"a": 1}}', "list of keys"),
        ('{"format": "edu_chain-wallet", "version": 2, "network": "mainnet"}', "network"),
        (keystore({"secret": SECRET, "type": "p2tr"}), "address type 'p2tr'"),
        (
            keystore({"secret": SECRET, "type": "p2pkh", "address": BIP173_REGTEST}),
            "edited by hand",
        ),
    ],
)
def test_malformed_keystores(tmp_path, content, message):
    path = tmp_path / "wallet.json"
    path.write_text(content)
    with pytest.raises(WalletError, match=message) as excinfo:
        Wallet.load(path)
    assert SECRET not in str(excinfo.value)  # a secret is never echoed
    assert "\n" not in str(excinfo.value)


def test_missing_keystore(tmp_path):
    with pytest.raises(WalletError, match="educhain wallet new"):
        Wallet.load(tmp_path / "nope.json")


# --- finding coins ---------------------------------------------------------------------------


def test_balance_and_coins_from_a_plain_dict():
    wallet = alice_wallet()
    assert wallet.balance(alice_utxos()) == 9 * COIN
    assert [c.amount for c in wallet.coins(alice_utxos())] == [5 * COIN, 3 * COIN, 1 * COIN]


def test_a_view_of_teaching_format_outputs_is_refused_clearly():
    with pytest.raises(TypeError, match=r"edu_chain\.tx\.TxOut"):
        alice_wallet().coins({outpoint(1): ("not", "a txout")})


@dataclass(frozen=True)
class FakeCoin:
    """Shaped like the chain's Coin: the TxOut is in ``.output``."""

    output: TxOut
    height: int = 1
    is_coinbase: bool = False


@dataclass(frozen=True)
class FakeParams:
    coinbase_maturity: int = 10


class ChainLikeView:
    """A UTXO set offering ``utxos_for(script_pubkey)``, a height and params, as the chain
    state does."""

    def __init__(self, coins, height=0):
        self.utxos = coins
        self.height = height
        self.params = FakeParams()
        self.asked = []

    def items(self):
        raise AssertionError("the wallet should use utxos_for when it exists")

    def utxos_for(self, script_pubkey):
        self.asked.append(script_pubkey)
        return [(op, c) for op, c in self.utxos.items() if c.output.script_pubkey == script_pubkey]


def test_chain_like_view_is_asked_by_script_pubkey():
    view = ChainLikeView({op: FakeCoin(out) for op, out in alice_utxos().items()})
    wallet = alice_wallet()
    assert wallet.balance(view) == 9 * COIN
    assert view.asked == wallet.script_pubkeys == [wpkh(ALICE), pkh(ALICE2)]


def test_immature_coinbases_are_not_spendable():
    """Maturity 10 at tip height 20: a coinbase of height 11 may be spent in block 21, one
    of height 12 not yet (21 - 12 = 9 confirmations)."""
    coins = {
        outpoint(1): FakeCoin(TxOut(50 * COIN, wpkh(ALICE)), height=11, is_coinbase=True),
        outpoint(2): FakeCoin(TxOut(50 * COIN, wpkh(ALICE)), height=12, is_coinbase=True),
        outpoint(3): FakeCoin(TxOut(1 * COIN, wpkh(ALICE)), height=20),
    }
    view = ChainLikeView(coins, height=20)
    wallet = Wallet("unused.json", [ALICE])
    assert len(wallet.coins(view)) == 3
    spendable = wallet.coins(view, spendable_only=True)
    assert {c.outpoint for c in spendable} == {outpoint(1), outpoint(3)}
    tx = wallet.build_payment(view, BOB_ADDRESS, 50 * COIN)
    assert {i.outpoint for i in tx.inputs} == {outpoint(1), outpoint(3)}
    with pytest.raises(InsufficientFundsError):
        wallet.build_payment(view, BOB_ADDRESS, 52 * COIN)


def test_select_coins_largest_first():
    coins = alice_wallet().coins(alice_utxos())
    assert [c.amount for c in select_coins(coins, 5 * COIN)] == [5 * COIN]
    assert [c.amount for c in select_coins(coins, 6 * COIN)] == [5 * COIN, 3 * COIN]
    assert len(select_coins(coins, 9 * COIN)) == 3
    with pytest.raises(InsufficientFundsError) as excinfo:
        select_coins(coins, 9 * COIN + 1)
    assert excinfo.value.needed == 9 * COIN + 1
    assert excinfo.value.available == 9 * COIN
    assert "9.00000001" in str(excinfo.value) and "9.00000000" in str(excinfo.value)


# --- payments --------------------------------------------------------------------------------


def test_payment_with_explicit_fee_and_change_verifies():
    utxos = alice_utxos()
    tx = alice_wallet().build_payment(utxos, BOB_ADDRESS, 7 * COIN, fee=10_000)
    assert [i.outpoint for i in tx.inputs] == [outpoint(1), outpoint(2)]
    assert tx.outputs == (
        TxOut(7 * COIN, wpkh(BOB)),
        TxOut(1 * COIN - 10_000, wpkh(ALICE)),  # change to the first address
    )
    assert assert_valid_payment(tx, utxos) == 10_000
    # One segwit input (witness) and one legacy input (scriptSig) in the same transaction.
    assert tx.inputs[0].witness and not tx.inputs[0].script_sig
    assert tx.inputs[1].script_sig and not tx.inputs[1].witness
    assert tx.txid != tx.wtxid


def test_default_fee_is_by_vsize():
    utxos = alice_utxos()
    tx = alice_wallet().build_payment(utxos, BOB_ADDRESS, 7 * COIN)
    fee = assert_valid_payment(tx, utxos)
    assert fee >= DEFAULT_FEE_RATE * tx.vsize  # pays at least the rate
    # ... and at most what signatures of the largest size would have needed: a DER
    # signature is 1-2 bytes shorter than the 72 assumed, per input.
    assert fee <= DEFAULT_FEE_RATE * (tx.vsize + 2 * len(tx.inputs))
    assert fee == math.ceil(DEFAULT_FEE_RATE * estimate_vsize_of(tx, utxos))


def estimate_vsize_of(tx, utxos):
    wallet = alice_wallet()
    coins = {c.outpoint: c for c in wallet.coins(utxos)}
    return estimate_vsize([coins[i.outpoint] for i in tx.inputs], tx.outputs)


@pytest.mark.parametrize("rate", [1, 2.5, 25])
def test_fee_rate_is_satoshis_per_virtual_byte(rate):
    utxos = alice_utxos()
    tx = alice_wallet().build_payment(utxos, BOB_ADDRESS, 2 * COIN, fee_rate=rate)
    fee = assert_valid_payment(tx, utxos)
    assert math.ceil(rate * tx.vsize) <= fee <= math.ceil(rate * (tx.vsize + 2 * len(tx.inputs)))


def test_segwit_inputs_are_cheaper_than_legacy_ones():
    """The same payment from a P2WPKH coin and from a P2PKH coin: the witness discount."""
    segwit = Wallet("unused.json", [ALICE], ["p2wpkh"])
    legacy = Wallet("unused.json", [ALICE], ["p2pkh"])
    coins = {outpoint(1): TxOut(COIN, wpkh(ALICE)), outpoint(2): TxOut(COIN, pkh(ALICE))}
    a = segwit.build_payment(coins, BOB_ADDRESS, COIN // 2, fee_rate=10)
    b = legacy.build_payment(coins, BOB_ADDRESS, COIN // 2, fee_rate=10)
    assert a.vsize < b.vsize and a.size > a.vsize and b.size == b.vsize
    assert assert_valid_payment(a, coins) < assert_valid_payment(b, coins)


def test_dust_change_goes_to_the_fee():
    utxos = {outpoint(1): TxOut(100_000, wpkh(ALICE))}
    wallet = Wallet("unused.json", [ALICE])
    tx = wallet.build_payment(utxos, BOB_ADDRESS, 100_000 - 300, fee_rate=1)
    (payment,) = tx.outputs  # 300 - fee (about 110) would be dust as change
    assert payment == TxOut(100_000 - 300, wpkh(BOB))
    assert assert_valid_payment(tx, utxos) == 300
    with_change = wallet.build_payment(utxos, BOB_ADDRESS, 100_000 - 1_000, fee_rate=1)
    assert len(with_change.outputs) == 2
    assert with_change.outputs[1].amount >= dust_threshold(with_change.outputs[1])


def test_exact_amount_has_no_change_output():
    wallet = alice_wallet()
    tx = wallet.build_payment(alice_utxos(), BOB_ADDRESS, 5 * COIN - 10, fee=10)
    assert tx.outputs == (TxOut(5 * COIN - 10, wpkh(BOB)),)


def test_change_address_and_p2pkh_recipient():
    utxos = alice_utxos()
    to = Wallet("unused.json", [BOB], ["p2pkh"]).address
    tx = alice_wallet().build_payment(
        utxos, to, COIN, fee=1_000, change_address=alice_wallet().addresses[1]
    )
    assert tx.outputs == (TxOut(COIN, pkh(BOB)), TxOut(4 * COIN - 1_000, pkh(ALICE2)))
    assert_valid_payment(tx, utxos)


def test_op_return_data_output():
    utxos = alice_utxos()
    wallet = alice_wallet()
    tx = wallet.build_payment(utxos, BOB_ADDRESS, COIN, data=b"certificate root")
    assert classify(tx.outputs[1].script_pubkey)[0] == "nulldata"
    assert tx.outputs[1].amount == 0 and b"certificate root" in tx.outputs[1].script_pubkey
    assert_valid_payment(tx, utxos)
    # Core 30.0's data-carrier budget: 100,000 bytes of OP_RETURN script, 6 of them the
    # opcode, OP_PUSHDATA4 and the length; the weight limit (400,000) binds a little earlier.
    assert len(op_return(bytes(MAX_DATA_SIZE))) == 100_000
    only_data = wallet.build_transaction(utxos, [], data=bytes(90_000))
    assert [classify(o.script_pubkey)[0] for o in only_data.outputs] == [
        "nulldata",
        "witness_v0_keyhash",
    ]
    assert_valid_payment(only_data, utxos)
    with pytest.raises(WalletError, match=r"weighs \d+, more than the 400000 .* \(tx-size\)"):
        wallet.build_transaction(utxos, [], data=bytes(MAX_DATA_SIZE))
    with pytest.raises(WalletError, match="at most 99994"):
        wallet.build_payment(utxos, BOB_ADDRESS, COIN, data=bytes(MAX_DATA_SIZE + 1))


def test_several_payments_in_one_transaction():
    utxos = alice_utxos()
    carol = Wallet("unused.json", [PrivateKey(0xCA401)]).address
    tx = alice_wallet().build_transaction(utxos, [(BOB_ADDRESS, 2 * COIN), (carol, 4 * COIN)])
    assert [o.amount for o in tx.outputs[:2]] == [2 * COIN, 4 * COIN]
    assert_valid_payment(tx, utxos)


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"amount": 0}, "amount must be 1"),
        ({"amount": True}, "amount must be 1"),
        ({"amount": 1.5}, "amount must be 1"),
        ({"amount": 100}, "dust"),
        ({"amount": 1, "fee": -1}, "fee must be 0"),
        ({"amount": COIN, "fee": 10, "fee_rate": 1}, "not both"),
        ({"amount": COIN, "fee_rate": -1}, "fee rate"),
        ({"amount": COIN, "fee_rate": float("nan")}, "fee rate"),
        ({"amount": COIN, "data": "text"}, "data must be bytes"),
        ({"amount": COIN, "change_address": "nope"}, "bad address"),
    ],
)
def test_payment_errors(kwargs, message):
    with pytest.raises(WalletError, match=message):
        alice_wallet().build_payment(alice_utxos(), BOB_ADDRESS, **kwargs)


def test_insufficient_funds_counts_the_fee():
    wallet = Wallet("unused.json", [ALICE])
    utxos = alice_utxos()
    with pytest.raises(InsufficientFundsError, match="insufficient funds") as excinfo:
        wallet.build_payment(utxos, BOB_ADDRESS, 6 * COIN, fee=1_000)
    assert (excinfo.value.needed, excinfo.value.available) == (6 * COIN + 1_000, 6 * COIN)
    with pytest.raises(InsufficientFundsError) as excinfo:
        wallet.build_payment(utxos, BOB_ADDRESS, 6 * COIN)  # every coin, but not the fee
    assert excinfo.value.needed > 6 * COIN


@pytest.mark.parametrize(
    "address, code",
    [
        (BOB_ADDRESS[:-1] + ("q" if BOB_ADDRESS[-1] != "q" else "p"), "decode-bad-checksum"),
        ("bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4", "decode-wrong-network"),
        ("1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN2", "decode-wrong-network"),
        ("not-an-address", "decode-"),
    ],
)
def test_bad_addresses_are_one_line_wallet_errors(address, code):
    with pytest.raises(WalletError, match=code) as excinfo:
        alice_wallet().build_payment(alice_utxos(), address, COIN)
    assert "\n" not in str(excinfo.value)


# --- a property over random coin sets --------------------------------------------------------

KEYS = [(ALICE, "p2wpkh"), (ALICE2, "p2pkh")]


@st.composite
def coin_sets(draw):
    amounts = draw(st.lists(st.integers(1_000, 3 * COIN), min_size=0, max_size=6))
    owners = draw(st.lists(st.sampled_from(KEYS), min_size=len(amounts), max_size=len(amounts)))
    utxos = {}
    for n, (amount, (key, kind)) in enumerate(zip(amounts, owners, strict=True)):
        script = wpkh(key) if kind == "p2wpkh" else pkh(key)
        utxos[OutPoint(bytes([n + 1]) * 32, n)] = TxOut(amount, script)
    utxos[OutPoint(bytes(32), 0)] = TxOut(5 * COIN, wpkh(BOB))  # someone else's
    return utxos


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    utxos=coin_sets(),
    amount=st.integers(1_000, 8 * COIN),
    fee_rate=st.sampled_from([0, 1, 2, 3.5, 20]),
)
def test_any_coin_set_gives_a_valid_payment_or_a_clear_refusal(utxos, amount, fee_rate):
    wallet = Wallet("unused.json", [k for k, _ in KEYS], [t for _, t in KEYS])
    ours = {op: out for op, out in utxos.items() if out.script_pubkey != wpkh(BOB)}
    try:
        tx = wallet.build_payment(utxos, BOB_ADDRESS, amount, fee_rate=fee_rate)
    except InsufficientFundsError as error:
        assert error.available == sum(o.amount for o in ours.values())
        assert error.needed > error.available
        return
    fee = assert_valid_payment(tx, utxos)
    assert all(i.outpoint in ours for i in tx.inputs)
    assert tx.outputs[0] == TxOut(amount, wpkh(BOB))
    assert math.ceil(fee_rate * tx.vsize) <= fee
    if len(tx.outputs) == 2:  # with change: the fee is the rate's, up to signature sizes
        assert tx.outputs[1].script_pubkey == wpkh(ALICE)
        assert fee <= math.ceil(fee_rate * (tx.vsize + 2 * len(tx.inputs)))
    else:  # no change: what was left would have been dust (or nothing) as change
        change = TxOut(0, wpkh(ALICE))
        coins = {c.outpoint: c for c in wallet.coins(utxos)}
        chosen = [coins[i.outpoint] for i in tx.inputs]
        change_fee = math.ceil(fee_rate * estimate_vsize(chosen, [*tx.outputs, change]))
        assert fee - change_fee < dust_threshold(change)
    # Largest first, and no more coins than needed: without the last (smallest) input, the
    # others would not pay the amount and the fee of a transaction without it.
    coins = {c.outpoint: c for c in wallet.coins(utxos)}
    chosen = [coins[i.outpoint] for i in tx.inputs]
    amounts = [c.amount for c in chosen]
    assert amounts == sorted(amounts, reverse=True)
    spent = {i.outpoint for i in tx.inputs}
    assert all(out.amount <= amounts[-1] for op, out in ours.items() if op not in spent)
    fewer = chosen[:-1]
    fewer_fee = math.ceil(fee_rate * estimate_vsize(fewer, tx.outputs[:1])) if fewer else 0
    assert sum(c.amount for c in fewer) < amount + fewer_fee


# --- amounts ---------------------------------------------------------------------------------


def test_amount_helpers():
    assert parse_coins("1.5") == 150_000_000
    assert parse_coins("0.00000001") == 1
    assert parse_coins("21000000") == 21_000_000 * COIN
    assert format_coins(parse_coins("12.345")) == "12.34500000"
    for bad in ("abc", "0.000000001", "-1", "21000000.00000001", "nan", "inf"):
        with pytest.raises(WalletError):
            parse_coins(bad)


@pytest.mark.parametrize(
    "text, message",
    [
        ("1e999999", "between 0 and 21000000"),  # used to leak decimal.Overflow
        ("sNaN", "not an amount"),  # used to leak decimal.InvalidOperation
        ("Infinity", "not an amount"),
        ("1e-1000030", "at most 8 decimal places"),  # used to underflow to 0 and be accepted
        ("1." + "0" * 60 + "1", "at most 8 decimal places"),
    ],
)
def test_amounts_that_decimal_finds_hard_are_refused_with_a_wallet_error(text, message):
    with pytest.raises(WalletError, match=message):
        parse_coins(text)
