"""The wallet: keystore safety, coin selection, payments that the transaction rules accept."""

import json
import stat
from dataclasses import dataclass

import pytest

from edu_chain.keys import PrivateKey
from edu_chain.teaching_tx import COIN, OutPoint, Transaction, TxOut
from edu_chain.wallet import (
    DEFAULT_FEE,
    InsufficientFundsError,
    KeystoreExistsError,
    Wallet,
    WalletError,
    format_coins,
    parse_coins,
    select_coins,
)

ALICE = PrivateKey(0xA11CE)
ALICE2 = PrivateKey(0xA11CE2)
BOB = PrivateKey(0xB0B)


def outpoint(n: int) -> OutPoint:
    return OutPoint(bytes([n]) * 32, n)


def alice_utxos() -> dict[OutPoint, TxOut]:
    return {
        outpoint(1): TxOut(5 * COIN, ALICE.public_key.pubkey_hash()),
        outpoint(2): TxOut(3 * COIN, ALICE2.public_key.pubkey_hash()),
        outpoint(3): TxOut(1 * COIN, ALICE.public_key.pubkey_hash()),
        outpoint(4): TxOut(100 * COIN, BOB.public_key.pubkey_hash()),  # not ours
    }


def test_create_writes_a_private_keystore_and_loads_back(tmp_path):
    path = tmp_path / "sub" / "wallet.json"
    wallet = Wallet.create(path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    data = json.loads(path.read_text())
    assert data["format"] == "edu_chain-wallet" and len(data["keys"]) == 1
    loaded = Wallet.load(path)
    assert loaded.keys == wallet.keys
    assert loaded.address == wallet.address == data["keys"][0]["address"]


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
    assert wallet.addresses() == [ALICE.public_key.address(), key.public_key.address()]
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert [p.name for p in tmp_path.iterdir()] == ["wallet.json"]  # no temp files left


@pytest.mark.parametrize(
    "content, message",
    [
        ("not json", "cannot read"),
        ('{"format": "other"}', "not an edu_chain wallet"),
        ('{"format": "edu_chain-wallet", "version": 9, "keys": []}', "version"),
        ('{"format": "edu_chain-wallet", "version": 1, "keys": []}', "wallet.json: a wallet"),
        ('{"format": "edu_chain-wallet", "version": 1, "keys": [{"secret": "00"}]}', "#0"),
        ('{"format": "edu_chain-wallet", "version": 1, "keys": 5}', "list of keys"),
        ('{"format": "edu_chain-wallet", "version": 1, "keys": true}', "list of keys"),
        ('{"format": "edu_chain-wallet", "version": 1, "keys": {"a": 1}}', "list of keys"),
    ],
)
def test_malformed_keystores(tmp_path, content, message):
    path = tmp_path / "wallet.json"
    path.write_text(content)
    with pytest.raises(WalletError, match=message):
        Wallet.load(path)


def test_missing_keystore(tmp_path):
    with pytest.raises(WalletError, match="educhain wallet new"):
        Wallet.load(tmp_path / "nope.json")


def test_balance_and_coins_from_a_plain_dict():
    wallet = Wallet("unused.json", [ALICE, ALICE2])
    assert wallet.balance(alice_utxos()) == 9 * COIN
    assert [c.amount for c in wallet.coins(alice_utxos())] == [5 * COIN, 3 * COIN, 1 * COIN]


@dataclass(frozen=True)
class FakeCoin:
    """Shaped like the chain's Coin: the TxOut is in ``.output``."""

    output: TxOut
    height: int = 1


class ChainLikeView:
    """A UTXO set offering ``utxos_for``, as the chain state does."""

    def __init__(self, utxos):
        self.utxos = {op: FakeCoin(out) for op, out in utxos.items()}
        self.asked = []

    def items(self):
        raise AssertionError("the wallet should use utxos_for when it exists")

    def utxos_for(self, pubkey_hash):
        self.asked.append(pubkey_hash)
        return [(op, c) for op, c in self.utxos.items() if c.output.pubkey_hash == pubkey_hash]


def test_chain_like_view_with_coins_and_utxos_for():
    view = ChainLikeView(alice_utxos())
    wallet = Wallet("unused.json", [ALICE, ALICE2])
    assert wallet.balance(view) == 9 * COIN
    assert len(view.asked) == 2


def test_select_coins_largest_first():
    coins = Wallet("unused.json", [ALICE, ALICE2]).coins(alice_utxos())
    assert [c.amount for c in select_coins(coins, 5 * COIN)] == [5 * COIN]
    assert [c.amount for c in select_coins(coins, 6 * COIN)] == [5 * COIN, 3 * COIN]
    assert len(select_coins(coins, 9 * COIN)) == 3
    with pytest.raises(InsufficientFundsError) as excinfo:
        select_coins(coins, 9 * COIN + 1)
    assert excinfo.value.needed == 9 * COIN + 1
    assert excinfo.value.available == 9 * COIN
    assert "9.00000001" in str(excinfo.value) and "9.00000000" in str(excinfo.value)


def test_build_payment_with_change_and_fee_verifies():
    utxos = alice_utxos()
    wallet = Wallet("unused.json", [ALICE, ALICE2])
    tx = wallet.build_payment(utxos, BOB.public_key.address(), 7 * COIN, fee=DEFAULT_FEE)
    assert [i.outpoint for i in tx.inputs] == [outpoint(1), outpoint(2)]
    assert tx.outputs == (
        TxOut(7 * COIN, BOB.public_key.pubkey_hash()),
        TxOut(1 * COIN - DEFAULT_FEE, ALICE.public_key.pubkey_hash()),
    )
    spent_total = sum(utxos[i.outpoint].amount for i in tx.inputs)
    assert spent_total - sum(o.amount for o in tx.outputs) == DEFAULT_FEE
    for index, tx_input in enumerate(tx.inputs):
        assert tx.verify_input(index, utxos[tx_input.outpoint])
    assert Transaction.parse(tx.serialize()) == tx


def test_exact_amount_has_no_change_output():
    wallet = Wallet("unused.json", [ALICE, ALICE2])
    tx = wallet.build_payment(alice_utxos(), BOB.public_key.address(), 5 * COIN - 10, fee=10)
    assert tx.outputs == (TxOut(5 * COIN - 10, BOB.public_key.pubkey_hash()),)


def test_payment_errors():
    wallet = Wallet("unused.json", [ALICE])
    bob = BOB.public_key.address()
    with pytest.raises(InsufficientFundsError, match="insufficient funds"):
        wallet.build_payment(alice_utxos(), bob, 6 * COIN)
    with pytest.raises(WalletError, match="amount"):
        wallet.build_payment(alice_utxos(), bob, 0)
    with pytest.raises(WalletError, match="fee"):
        wallet.build_payment(alice_utxos(), bob, 1, fee=-1)
    with pytest.raises(ValueError, match="checksum"):
        wallet.build_payment(alice_utxos(), bob[:-1] + ("2" if bob[-1] != "2" else "3"), 1)


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


def test_wallet_spends_from_the_real_chain_state():
    """Plugged into the chain engineer's UTXO set: immature coinbases are skipped and the
    payment is accepted into a block (the consensus rules are the oracle)."""
    chain_builder = pytest.importorskip("edu_chain.chain.builder")
    builder = chain_builder.ChainBuilder(key=ALICE)
    params = builder.params
    builder.mine_blocks(params.coinbase_maturity + 2)  # some coinbases mature, some not
    wallet = Wallet("unused.json", [ALICE])
    chain = builder.chain
    every = wallet.coins(chain)
    spendable = wallet.coins(chain, spendable_only=True)
    assert len(every) == chain.height  # one coinbase per block after genesis
    assert len(spendable) == chain.height + 1 - params.coinbase_maturity
    assert wallet.balance(chain) == sum(c.amount for c in every)
    amount = sum(c.amount for c in spendable) - 5_000  # needs every mature coin
    tx = wallet.build_payment(chain, BOB.public_key.address(), amount, fee=5_000)
    assert {i.outpoint for i in tx.inputs} == {c.outpoint for c in spendable}
    block = builder.mine_block([tx])
    assert chain.tip.hash == block.hash()
    assert Wallet("unused.json", [BOB]).balance(chain) == amount
    with pytest.raises(InsufficientFundsError):
        wallet.build_payment(chain, BOB.public_key.address(), every[0].amount * chain.height)
