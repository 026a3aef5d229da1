"""The catalogue of invalid blocks and transactions (issue 5, docs/architecture.md#chain-rules).

Each case builds one thing that breaks exactly one rule on top of a small valid chain, and
names the reason code Bitcoin Core would give (or our own code where Core has none).  Every
case runs through the block path (``ChainState.submit_block``); cases that are transactions
also run through the mempool path (``Mempool.accept``).  Both must refuse with the exact code,
leave the tip, the UTXO set and the pool unchanged, and keep the database consistent.

Oracle: the reason codes and rules of Bitcoin Core (``validation.cpp``,
``consensus/tx_check.cpp``, ``consensus/tx_verify.cpp``); each case states the rule it breaks.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace

import pytest
from edu_chain.chain.signatures import parallel_signature_verifier, serial_signature_verifier

from edu_chain.block import Block
from edu_chain.chain.builder import ChainBuilder
from edu_chain.chain.coins import Coin
from edu_chain.chain.params import ChainParams
from edu_chain.chain.rules import check_tx_inputs
from edu_chain.errors import BlockValidationError, TxValidationError, ValidationError
from edu_chain.keys import N, PrivateKey, Signature
from edu_chain.mempool import Mempool
from edu_chain.teaching_tx import (
    COINBASE_INDEX,
    MAX_MONEY,
    NULL_TXID,
    OutPoint,
    Transaction,
    TxIn,
    TxOut,
)

OTHER = PrivateKey(0xB0B)


class Lab:
    """A chain of 5 blocks with mature coins for the builder's key, and a mempool."""

    def __init__(self) -> None:
        self.builder = ChainBuilder(ChainParams.for_tests())
        self.chain = self.builder.chain
        self.params = self.chain.params
        self.pool = Mempool(self.chain, min_fee_rate=1.0)
        self.builder.mine_blocks(5)

    @property
    def pkh(self) -> bytes:
        return self.builder.pubkey_hash

    def coin(self, number: int = 0):
        """The ``number``-th mature coin of the builder's key."""
        return self.builder.spendable_coins()[number]

    def immature_coin(self):
        tip_coinbase = self.chain.block_at(self.chain.height).transactions[0]
        outpoint = OutPoint(tip_coinbase.txid(), 0)
        return outpoint, self.chain.get_coin(outpoint)

    def tx(self, amount: int | None = None, fee: int = 1_000, **kwargs) -> Transaction:
        outpoint, coin = self.coin()
        amount = coin.amount - fee if amount is None else amount
        return self.builder.spend(
            [(outpoint, coin)], [(OTHER.public_key.pubkey_hash(), amount)], **kwargs
        )

    def block(self, txs=(), **kwargs) -> Block:
        return self.builder.make_block(list(txs), **kwargs)


def resign(lab: Lab, tx: Transaction) -> Transaction:
    """Sign every input of ``tx`` again (after a test changed it)."""
    for index, tx_in in enumerate(tx.inputs):
        coin = lab.chain.get_coin(tx_in.outpoint)
        if coin is not None:
            tx = tx.sign_input(index, lab.builder.key, coin.output)
    return tx


def with_input_field(tx: Transaction, index: int, **changes) -> Transaction:
    inputs = list(tx.inputs)
    inputs[index] = replace(inputs[index], **changes)
    return replace(tx, inputs=tuple(inputs))


def replace_coinbase(block: Block, coinbase: Transaction) -> Block:
    return Block.build(block.header, [coinbase, *block.transactions[1:]])


# --- the catalogue ------------------------------------------------------------------------


@dataclass(frozen=True)
class Case:
    name: str
    code: str
    rule: str
    block: Callable[[Lab], Block] | None = None  # a block that must be refused
    tx: Callable[[Lab], Transaction] | None = None  # a tx refused by block AND mempool


def tx_case(name: str, code: str, rule: str, make: Callable[[Lab], Transaction]) -> Case:
    return Case(name, code, rule, tx=make)


def _high_s(lab: Lab) -> Transaction:
    tx = lab.tx()
    signature = Signature.from_der(tx.inputs[0].signature)
    high = Signature(signature.r, N - signature.s)
    return with_input_field(tx, 0, signature=high.der())


def _oversize(lab: Lab) -> Transaction:
    outpoint, coin = lab.coin()
    count = lab.params.max_tx_size // 28 + 1
    outputs = [(lab.pkh, 1_000)] * count
    return lab.builder.spend([(outpoint, coin)], outputs)


def _big_coinbase_block(lab: Lab) -> Block:
    height = lab.chain.height + 1
    outputs = tuple(TxOut(1, lab.pkh) for _ in range(lab.params.max_block_size // 28 + 1))
    coinbase = replace(Transaction.coinbase(height, lab.pkh, 1), outputs=outputs)
    return lab.block(mutate=lambda b: replace_coinbase(b, coinbase))


def _two_spends_in_block(lab: Lab) -> Block:
    outpoint, coin = lab.coin()
    first = lab.builder.spend([(outpoint, coin)], [(lab.pkh, coin.amount - 1_000)])
    second = lab.builder.spend([(outpoint, coin)], [(lab.pkh, coin.amount - 2_000)])
    return lab.block([first, second])


def _child_of_invalid(lab: Lab) -> Block:
    bad = lab.block(coinbase_amount=lab.params.block_subsidy(lab.chain.height + 1) + 1)
    with pytest.raises(BlockValidationError):
        lab.chain.submit_block(bad)
    return lab.block(parent=bad.hash(), fees=0)


def _orphan_refused(lab: Lab) -> Block:
    parent = lab.block()  # never submitted
    return lab.block(mutate=lambda b: replace(b, header=replace(b.header, prev_hash=parent.hash())))


CATALOGUE: list[Case] = [
    # --- headers ---
    Case(
        "hash above target",
        "high-hash",
        "sha256d(header) <= target",
        block=lambda lab: lab.builder.unsolve(lab.block(solve=False)),
    ),
    Case(
        "bits not from the retarget rule",
        "bad-diffbits",
        "bits == expected bits",
        block=lambda lab: lab.block(
            mutate=lambda b: replace(b, header=replace(b.header, bits=0x2000FFFF))
        ),
    ),
    Case(
        "bits easier than the pow limit",
        "bad-diffbits",
        "target <= pow limit",
        block=lambda lab: lab.block(
            mutate=lambda b: replace(b, header=replace(b.header, bits=0x2100FFFF))
        ),
    ),
    Case(
        "timestamp at median time past",
        "time-too-old",
        "timestamp > MTP",
        block=lambda lab: lab.block(timestamp=lab.chain.median_time_past(lab.chain.tip)),
    ),
    Case(
        "timestamp far in the future",
        "time-too-new",
        "timestamp <= now + drift",
        block=lambda lab: lab.block(
            timestamp=int(lab.chain.clock()) + lab.params.max_future_drift + 1
        ),
    ),
    Case(
        "unknown parent, orphans refused",
        "prev-blk-not-found",
        "parent must be known",
        block=_orphan_refused,
    ),
    Case(
        "parent is invalid",
        "bad-prevblk",
        "no block builds on an invalid one",
        block=_child_of_invalid,
    ),
    Case(
        "block already known",
        "duplicate",
        "each block is accepted once",
        block=lambda lab: lab.chain.block_at(lab.chain.height),
    ),
    # --- block structure ---
    Case(
        "merkle root does not match",
        "bad-merkle-root",
        "merkle_root == root(txids)",
        block=lambda lab: lab.block(
            mutate=lambda b: replace(b, header=replace(b.header, merkle_root=bytes(32)))
        ),
    ),
    Case("block too large", "bad-blk-length", "size <= max_block_size", block=_big_coinbase_block),
    Case(
        "first transaction not a coinbase",
        "bad-cb-missing",
        "tx 0 is the coinbase",
        block=lambda lab: lab.block(mutate=lambda b: Block.build(b.header, [lab.tx()])),
    ),
    Case(
        "two coinbases",
        "bad-cb-multiple",
        "exactly one coinbase",
        block=lambda lab: lab.block(
            mutate=lambda b: Block.build(
                b.header, [*b.transactions, Transaction.coinbase(99, lab.pkh, 1)]
            )
        ),
    ),
    Case(
        "coinbase pays too much",
        "bad-cb-amount",
        "coinbase <= subsidy + fees",
        block=lambda lab: lab.block(
            coinbase_amount=lab.params.block_subsidy(lab.chain.height + 1) + 1
        ),
    ),
    Case(
        "coinbase pays more than its fees",
        "bad-cb-amount",
        "fees are inputs - outputs",
        block=lambda lab: lab.block([lab.tx(fee=1_000)], fees=1_001),
    ),
    Case(
        "coinbase commits to the wrong height",
        "bad-cb-height",
        "coinbase starts with height",
        block=lambda lab: lab.block(
            mutate=lambda b: replace_coinbase(
                b, Transaction.coinbase(lab.chain.height + 7, lab.pkh, 1)
            )
        ),
    ),
    Case(
        "coinbase data too short",
        "bad-cb-length",
        "2 <= len(coinbase data) <= 100",
        block=lambda lab: lab.block(
            mutate=lambda b: replace_coinbase(
                b,
                Transaction(
                    1, (TxIn(OutPoint(NULL_TXID, COINBASE_INDEX), b"\x01"),), (TxOut(1, lab.pkh),)
                ),
            )
        ),
    ),
    Case(
        "coinbase data too long",
        "bad-cb-length",
        "2 <= len(coinbase data) <= 100",
        block=lambda lab: lab.block(
            mutate=lambda b: replace_coinbase(
                b,
                Transaction(  # Transaction.coinbase refuses this; built by hand
                    1,
                    (TxIn(OutPoint(NULL_TXID, COINBASE_INDEX), bytes(101)),),
                    (TxOut(1, lab.pkh),),
                ),
            )
        ),
    ),
    Case(
        "same transaction twice",
        "bad-txns-duplicate",
        "no duplicate txids",
        block=lambda lab: (lambda tx: lab.block([tx, tx]))(lab.tx()),
    ),
    Case(
        "same coin spent by two transactions",
        "bad-txns-inputs-missingorspent",
        "no double spend inside a block",
        block=_two_spends_in_block,
    ),
    # --- transactions (block path and mempool path) ---
    tx_case(
        "no inputs",
        "bad-txns-vin-empty",
        "at least one input",
        lambda lab: Transaction(1, (), (TxOut(1, lab.pkh),)),
    ),
    tx_case(
        "no outputs",
        "bad-txns-vout-empty",
        "at least one output",
        lambda lab: lab.builder.spend([lab.coin()], []),
    ),
    tx_case("transaction too large", "bad-txns-oversize", "size <= max_tx_size", _oversize),
    tx_case(
        "output above MAX_MONEY",
        "bad-txns-vout-toolarge",
        "amount <= MAX_MONEY",
        lambda lab: lab.tx(amount=MAX_MONEY + 1),
    ),
    tx_case(
        "outputs add up above MAX_MONEY",
        "bad-txns-txouttotal-toolarge",
        "sum(outputs) <= MAX_MONEY",
        lambda lab: lab.builder.spend([lab.coin()], [(lab.pkh, MAX_MONEY)] * 2),
    ),
    tx_case(
        "same input twice",
        "bad-txns-inputs-duplicate",
        "inputs are distinct",
        lambda lab: lab.builder.spend([lab.coin(), lab.coin()], [(lab.pkh, 1_000)]),
    ),
    tx_case(
        "null outpoint outside a coinbase",
        "bad-txns-prevout-null",
        "only a coinbase spends the null outpoint",
        lambda lab: resign(
            lab,
            Transaction(
                1,
                (TxIn(lab.coin()[0]), TxIn(OutPoint(NULL_TXID, COINBASE_INDEX), b"\x00\x00")),
                (TxOut(1_000, lab.pkh),),
            ),
        ),
    ),
    tx_case(
        "spends an output that never existed",
        "bad-txns-inputs-missingorspent",
        "inputs are in the UTXO set",
        lambda lab: lab.builder.spend(
            [(OutPoint(bytes(range(32)), 0), TxOut(10**9, lab.pkh))], [(lab.pkh, 1_000)]
        ),
    ),
    tx_case(
        "spends a coinbase too early",
        "bad-txns-premature-spend-of-coinbase",
        "coinbase outputs mature after coinbase_maturity blocks",
        lambda lab: lab.builder.spend([lab.immature_coin()], [(lab.pkh, 1_000)]),
    ),
    tx_case(
        "outputs exceed inputs",
        "bad-txns-in-belowout",
        "inputs >= outputs",
        lambda lab: lab.tx(amount=lab.coin()[1].amount + 1),
    ),
    tx_case(
        "key does not match the output",
        "bad-txns-pubkey-mismatch",
        "hash160(pubkey) == spent pubkey_hash",
        lambda lab: with_input_field(lab.tx(), 0, pubkey=OTHER.public_key.sec()),
    ),
    tx_case(
        "signature over other data",
        "bad-signature",
        "the signature verifies",
        lambda lab: replace(lab.tx(), outputs=(TxOut(5_000, OTHER.public_key.pubkey_hash()),)),
    ),
    tx_case(
        "signature not DER",
        "bad-signature-encoding",
        "strict DER",
        lambda lab: with_input_field(lab.tx(), 0, signature=b"\x30\x00garbage"),
    ),
    tx_case("signature with high s", "bad-signature-high-s", "s <= n/2", _high_s),
    tx_case(
        "locktime in the future",
        "bad-txns-nonfinal",
        "locktime passed or final",
        lambda lab: resign(
            lab, with_input_field(replace(lab.tx(), locktime=lab.chain.height + 10), 0, sequence=0)
        ),
    ),
]


# Mempool-only policy cases: (name, code, setup returning the tx to submit).
def _conflict(lab: Lab) -> Transaction:
    lab.pool.accept(lab.tx(fee=1_000))
    return lab.tx(fee=2_000)


def _already_in_pool(lab: Lab) -> Transaction:
    tx = lab.tx()
    lab.pool.accept(tx)
    return tx


def _already_known(lab: Lab) -> Transaction:
    tx = lab.tx()
    lab.builder.mine_block([tx])
    return tx


def _full(lab: Lab) -> Transaction:
    lab.pool.max_bytes = 100
    return lab.tx()


MEMPOOL_ONLY = [
    ("coinbase submitted alone", "coinbase", lambda lab: Transaction.coinbase(9, lab.pkh, 1)),
    ("second spend of a pool input", "txn-mempool-conflict", _conflict),
    ("submitted twice", "txn-already-in-mempool", _already_in_pool),
    ("already confirmed", "txn-already-known", _already_known),
    ("zero fee", "min-relay-fee-not-met", lambda lab: lab.tx(fee=0)),
    ("fee below 1 per byte", "min-relay-fee-not-met", lambda lab: lab.tx(fee=50)),
    ("pool full", "mempool-full", _full),
]


def _case_id(case: Case) -> str:
    return f"{case.code}:{case.name}"


def test_catalogue_has_at_least_25_distinct_codes():
    codes = {c.code for c in CATALOGUE} | {code for _, code, _ in MEMPOOL_ONLY}
    assert len(codes) >= 25, sorted(codes)
    assert len({c.code for c in CATALOGUE}) >= 25


@pytest.mark.parametrize("case", CATALOGUE, ids=_case_id)
def test_block_path_refuses_with_exact_code(case: Case):
    lab = Lab()
    if case.block is not None:
        block = case.block(lab)
    else:
        block = lab.block([case.tx(lab)])
    tip, utxos = lab.chain.tip, dict(lab.chain.utxos)
    with pytest.raises(ValidationError) as info:
        lab.chain.submit_block(block, allow_orphan=False)
    assert info.value.code == case.code, info.value
    assert isinstance(info.value, BlockValidationError)
    assert lab.chain.tip is tip
    assert lab.chain.utxos == utxos
    assert lab.chain.check_consistency().ok


@pytest.mark.parametrize("case", [c for c in CATALOGUE if c.tx is not None], ids=_case_id)
def test_mempool_path_refuses_with_exact_code(case: Case):
    lab = Lab()
    tx = case.tx(lab)
    with pytest.raises(TxValidationError) as info:
        lab.pool.accept(tx)
    assert info.value.code == case.code, info.value
    assert len(lab.pool) == 0


@pytest.mark.parametrize("name,code,make", MEMPOOL_ONLY, ids=[m[0] for m in MEMPOOL_ONLY])
def test_mempool_policy_refuses_with_exact_code(name, code, make):
    lab = Lab()
    tx = make(lab)
    before = set(lab.pool.entries)
    with pytest.raises(TxValidationError) as info:
        lab.pool.accept(tx)
    assert info.value.code == code, info.value
    assert set(lab.pool.entries) == before


# Refusals with nothing to compare: the block is known, its parent failed, or the signature
# checks of ``Transaction.input_check`` (which name the key, the hash or s instead).
NOTHING_TO_COMPARE = {
    "duplicate",
    "bad-prevblk",
    "bad-signature",
    "bad-signature-encoding",
    "bad-signature-high-s",
    "bad-txns-pubkey-mismatch",
}


@pytest.mark.parametrize("case", CATALOGUE, ids=_case_id)
def test_messages_teach(case: Case):
    """Every refusal explains itself: the message names a field or a number, not just a code,
    and says what was expected (docs/architecture.md#chain-rules: which field, expected vs
    actual)."""
    lab = Lab()
    block = case.block(lab) if case.block else lab.block([case.tx(lab)])
    with pytest.raises(ValidationError) as info:
        lab.chain.submit_block(block, allow_orphan=False)
    messages = [info.value.message]
    if case.tx is not None:
        lab = Lab()
        with pytest.raises(ValidationError) as info:
            lab.pool.accept(case.tx(lab))
        messages.append(info.value.message)
    for message in messages:
        assert len(message) > 30
        assert any(ch.isdigit() for ch in message)
        if case.code not in NOTHING_TO_COMPARE:
            assert "expected" in message, message


@pytest.mark.parametrize("name,code,make", MEMPOOL_ONLY, ids=[m[0] for m in MEMPOOL_ONLY])
def test_policy_messages_teach(name, code, make):
    lab = Lab()
    tx = make(lab)
    with pytest.raises(TxValidationError) as info:
        lab.pool.accept(tx)
    message = info.value.message
    assert tx.id in message  # which transaction
    if code in {"min-relay-fee-not-met", "mempool-full"}:
        assert "expected" in message, message


def test_valid_spend_is_accepted_by_both_paths():
    """The control case: the same construction without the defect is valid."""
    lab = Lab()
    tx = lab.tx()
    lab.pool.accept(tx)
    block = lab.block([tx])
    result = lab.chain.submit_block(block)
    assert result.status == "active"
    assert len(lab.pool) == 0


SIGNATURE_CODES = {
    "bad-signature",
    "bad-signature-encoding",
    "bad-signature-high-s",
    "bad-txns-pubkey-mismatch",
}


@pytest.mark.parametrize("case", [c for c in CATALOGUE if c.code in SIGNATURE_CODES], ids=_case_id)
def test_parallel_verifier_gives_the_same_codes(case: Case):
    """verify_batch on worker threads finds the same faults; the code comes from input_check."""
    lab = Lab()
    lab.chain.verify_signatures = parallel_signature_verifier(2, executor="thread")
    with pytest.raises(BlockValidationError) as info:
        lab.chain.submit_block(lab.block([case.tx(lab)]))
    assert info.value.code == case.code


def test_parallel_and_serial_verifiers_agree_on_a_mixed_batch():
    lab = Lab()
    good = lab.tx()
    coin = lab.chain.get_coin(good.inputs[0].outpoint)
    bad = [c.tx(lab) for c in CATALOGUE if c.code in SIGNATURE_CODES]
    jobs = [(tx, 0, coin) for tx in [good, *bad] * 20]  # 100 jobs: above the batch threshold
    serial = serial_signature_verifier(jobs)
    assert serial == parallel_signature_verifier(2, executor="thread")(jobs)
    assert serial.count(True) == 20


def test_input_values_out_of_range():
    """``bad-txns-inputvalues-outofrange``: no chain holds coins above MAX_MONEY, so the rule
    is checked on hand-made coins (Bitcoin Core keeps the same belt-and-braces check)."""
    lab = Lab()
    tx = lab.tx()
    huge = Coin(TxOut(MAX_MONEY + 1, lab.pkh), 1, False)
    with pytest.raises(TxValidationError) as info:
        check_tx_inputs(tx, [huge], lab.chain.height + 1, lab.params)
    assert info.value.code == "bad-txns-inputvalues-outofrange"
    assert "expected <= MAX_MONEY" in info.value.message


def test_every_code_of_the_rules_docstring_is_in_the_catalogue():
    """The table in ``edu_chain/chain/rules.py`` and this catalogue list the same codes."""
    import re

    from edu_chain.chain import rules

    documented = set(re.findall(r"``([a-z][a-z0-9]*(?:-[a-z0-9]+)*)``", rules.__doc__))
    documented.discard("code")  # the attribute, named in the prose
    covered = {case.code for case in CATALOGUE} | {"bad-txns-inputvalues-outofrange"}
    # Unreachable from bytes: TxOut refuses negative amounts when it is built.
    unreachable = {"bad-txns-vout-negative"}
    assert documented - unreachable == covered


def test_every_policy_code_of_the_mempool_docstring_is_in_the_catalogue():
    import re

    from edu_chain import mempool

    table = mempool.__doc__.split("plus every consensus code")[0]
    documented = set(re.findall(r"^``([a-z][a-z-]*)``", table, flags=re.M))
    assert documented == {code for _, code, _ in MEMPOOL_ONLY}
