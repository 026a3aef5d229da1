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

from edu_chain.block import Block
from edu_chain.chain.builder import ChainBuilder
from edu_chain.chain.coinbase import coinbase_transaction
from edu_chain.chain.coins import Coin
from edu_chain.chain.params import ChainParams
from edu_chain.chain.rules import check_tx_inputs
from edu_chain.chain.scripts import parallel_script_verifier, serial_script_verifier
from edu_chain.errors import BlockValidationError, TxValidationError, ValidationError
from edu_chain.keys import N, PrivateKey, Signature
from edu_chain.mempool import Mempool
from edu_chain.script.errors import SCRIPT_ERRORS
from edu_chain.script.standard import op_return, p2wpkh
from edu_chain.tx import (
    COINBASE_INDEX,
    MAX_MONEY,
    NULL_TXID,
    OutPoint,
    Transaction,
    TxIn,
    TxOut,
)

OTHER = PrivateKey(0xB0B)
OTHER_SCRIPT = p2wpkh(OTHER.public_key.pubkey_hash())


def mandatory(script_error: str) -> str:
    """Core's reject reason for a consensus script failure (``validation.cpp``)."""
    return f"mandatory-script-verify-flag-failed ({SCRIPT_ERRORS[script_error]})"


def non_mandatory(script_error: str) -> str:
    """Core's reject reason when only a policy flag (STANDARD_SCRIPT_VERIFY_FLAGS) fails."""
    return f"non-mandatory-script-verify-flag ({SCRIPT_ERRORS[script_error]})"


class Lab:
    """A chain of 5 blocks with mature coins for the builder's key, and a mempool."""

    def __init__(self, params: ChainParams | None = None) -> None:
        self.builder = ChainBuilder(params or ChainParams.for_tests())
        self.chain = self.builder.chain
        self.params = self.chain.params
        self.pool = Mempool(self.chain, min_fee_rate=1.0)
        self.builder.mine_blocks(5)

    @property
    def spk(self) -> bytes:
        """The builder key's P2WPKH script, where the coinbases pay."""
        return self.builder.script_pubkey

    def coin(self, number: int = 0):
        """The ``number``-th mature coin of the builder's key."""
        return self.builder.spendable_coins()[number]

    def immature_coin(self):
        tip_coinbase = self.chain.block_at(self.chain.height).transactions[0]
        outpoint = OutPoint(tip_coinbase.txid, 0)
        return outpoint, self.chain.get_coin(outpoint)

    def tx(self, amount: int | None = None, fee: int = 1_000, **kwargs) -> Transaction:
        outpoint, coin = self.coin()
        amount = coin.amount - fee if amount is None else amount
        return self.builder.spend([(outpoint, coin)], [(OTHER_SCRIPT, amount)], **kwargs)

    def block(self, txs=(), **kwargs) -> Block:
        return self.builder.make_block(list(txs), **kwargs)


def resign(lab: Lab, tx: Transaction) -> Transaction:
    """Sign every input of ``tx`` again (after a test changed it)."""
    for index, tx_in in enumerate(tx.inputs):
        coin = lab.chain.get_coin(tx_in.outpoint)
        if coin is not None:
            tx = tx.sign_input(index, lab.builder.key, coin.output.script_pubkey, coin.amount)
    return tx


def with_input_field(tx: Transaction, index: int, **changes) -> Transaction:
    return tx.with_input(index, **changes)


def replace_coinbase(block: Block, coinbase: Transaction) -> Block:
    return Block.build(block.header, [coinbase, *block.transactions[1:]])


def hand_coinbase(script_sig: bytes, script_pubkey: bytes, witness=()) -> Transaction:
    return Transaction(
        1,
        (TxIn(OutPoint(NULL_TXID, COINBASE_INDEX), script_sig, witness=witness),),
        (TxOut(1, script_pubkey),),
    )


# --- the catalogue ------------------------------------------------------------------------


@dataclass(frozen=True)
class Case:
    name: str
    code: str
    rule: str
    block: Callable[[Lab], Block] | None = None  # a block that must be refused
    tx: Callable[[Lab], Transaction] | None = None  # a tx refused by block AND mempool
    pool_code: str | None = None  # the mempool's code when Core's differs (non-final...)
    params: dict | None = None  # changes to ChainParams.for_tests() for this case


def tx_case(
    name: str, code: str, rule: str, make: Callable[[Lab], Transaction], pool_code=None
) -> Case:
    return Case(name, code, rule, tx=make, pool_code=pool_code)


def lab_for(case: Case) -> Lab:
    params = ChainParams.for_tests()
    return Lab(replace(params, **case.params) if case.params else None)


def _high_s(lab: Lab) -> Transaction:
    tx = lab.tx()
    signature, pubkey = tx.inputs[0].witness
    parsed = Signature.from_der(signature[:-1])
    high = Signature(parsed.r, N - parsed.s)
    return with_input_field(tx, 0, witness=(high.der() + signature[-1:], pubkey))


def _oversize(lab: Lab) -> Transaction:
    outpoint, coin = lab.coin()
    count = lab.params.max_tx_size // 31 + 1
    outputs = [(lab.spk, 1_000)] * count
    return lab.builder.spend([(outpoint, coin)], outputs)


def _big_coinbase_block(lab: Lab) -> Block:
    height = lab.chain.height + 1
    outputs = tuple(TxOut(1, lab.spk) for _ in range(lab.params.max_block_size // 31 + 1))
    coinbase = replace(coinbase_transaction(height, lab.spk, 1), outputs=outputs)
    return lab.block(mutate=lambda b: replace_coinbase(b, coinbase))


def _two_spends_in_block(lab: Lab) -> Block:
    outpoint, coin = lab.coin()
    first = lab.builder.spend([(outpoint, coin)], [(lab.spk, coin.amount - 1_000)])
    second = lab.builder.spend([(outpoint, coin)], [(lab.spk, coin.amount - 2_000)])
    return lab.block([first, second])


def _child_of_invalid(lab: Lab) -> Block:
    bad = lab.block(coinbase_amount=lab.params.block_subsidy(lab.chain.height + 1) + 1)
    with pytest.raises(BlockValidationError):
        lab.chain.submit_block(bad)
    return lab.block(parent=bad.hash(), fees=0)


def _orphan_refused(lab: Lab) -> Block:
    parent = lab.block()  # never submitted
    return lab.block(mutate=lambda b: replace(b, header=replace(b.header, prev_hash=parent.hash())))


def _without_commitment(lab: Lab) -> Block:
    """A segwit spend, but the coinbase carries no witness commitment (BIP141)."""
    height = lab.chain.height + 1
    plain = coinbase_transaction(height, lab.spk, lab.params.block_subsidy(height))
    return lab.block([lab.tx()], mutate=lambda b: replace_coinbase(b, plain))


def _coinbase_witness(lab: Lab, witness: tuple[bytes, ...]) -> Block:
    def mutate(block: Block) -> Block:
        coinbase = block.transactions[0].with_input(0, witness=witness)
        return replace_coinbase(block, coinbase)

    return lab.block([lab.tx()], mutate=mutate)


def _wrong_commitment(lab: Lab) -> Block:
    """The commitment is to the witnesses before one was changed."""
    tx = lab.tx()
    block = lab.block([tx], solve=False)
    signature, pubkey = tx.inputs[0].witness
    other = tx.with_input(0, witness=(signature, pubkey + b"\x00"))
    return lab.builder.solve(Block.build(block.header, [block.transactions[0], other]))


def _heavy(lab: Lab) -> Block:
    """4 MB of witness: small without witnesses, but above 4,000,000 weight units."""
    return lab.block([with_input_field(lab.tx(), 0, witness=(bytes(4_000_000),))])


def _many_sigops(lab: Lab) -> Block:
    """1,001 OP_CHECKMULTISIG in an output count 20 legacy sigops each, x4 = 80,080 > 80,000."""
    outpoint, coin = lab.coin()
    tx = lab.builder.spend([(outpoint, coin)], [(b"\xae" * 1_001, coin.amount - 1_000)])
    return lab.block([tx])


def _relative_lock(lab: Lab) -> Transaction:
    """BIP68: version 2, sequence 100 = "100 blocks after the coin's block"."""
    return lab.tx(sequence=100)


def _equalverify(lab: Lab) -> Transaction:
    """Another key in the witness: its hash is not the one the P2WPKH output commits to."""
    signature, _ = lab.tx().inputs[0].witness
    return with_input_field(lab.tx(), 0, witness=(signature, OTHER.public_key.sec()))


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
        # 10 minutes beyond the allowed drift: the clock goes on while the block is mined
        # (one second past it was flaky on a loaded machine)
        block=lambda lab: lab.block(
            timestamp=int(lab.chain.clock()) + lab.params.max_future_drift + 600
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
    Case(
        "block too large",
        "bad-blk-length",
        "size without witnesses <= max_block_size",
        block=_big_coinbase_block,
    ),
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
                b.header, [*b.transactions, coinbase_transaction(99, lab.spk, 1)]
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
        "coinbase scriptSig starts with the height push (BIP34)",
        block=lambda lab: lab.block(
            mutate=lambda b: replace_coinbase(
                b, coinbase_transaction(lab.chain.height + 7, lab.spk, 1)
            )
        ),
    ),
    Case(
        "coinbase data too short",
        "bad-cb-length",
        "2 <= len(coinbase scriptSig) <= 100",
        block=lambda lab: lab.block(
            mutate=lambda b: replace_coinbase(b, hand_coinbase(b"\x56", lab.spk))
        ),
    ),
    Case(
        "coinbase data too long",
        "bad-cb-length",
        "2 <= len(coinbase scriptSig) <= 100",
        block=lambda lab: lab.block(
            mutate=lambda b: replace_coinbase(b, hand_coinbase(b"\x56" + bytes(100), lab.spk))
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
    # --- segwit (BIP141) and block limits ---
    Case(
        "witness data without a commitment",
        "unexpected-witness",
        "a block with witnesses commits to them in the coinbase",
        block=_without_commitment,
    ),
    Case(
        "coinbase witness reserved value of 31 bytes",
        "bad-witness-nonce-size",
        "the coinbase witness is one 32-byte item",
        block=lambda lab: _coinbase_witness(lab, (bytes(31),)),
    ),
    Case(
        "coinbase commits to other witnesses",
        "bad-witness-merkle-match",
        "commitment == sha256d(witness root || reserved value)",
        block=_wrong_commitment,
    ),
    Case(
        "block above 4,000,000 weight units",
        "bad-blk-weight",
        "3 x stripped size + full size <= 4,000,000",
        block=_heavy,
    ),
    Case(
        "block above 80,000 sigop cost",
        "bad-blk-sigops",
        "sigop cost <= 80,000",
        block=_many_sigops,
        params={"max_tx_size": 10_000},
    ),
    # --- transactions (block path and mempool path) ---
    tx_case(
        "no inputs",
        "bad-txns-vin-empty",
        "at least one input",
        lambda lab: Transaction(1, (), (TxOut(1, lab.spk),)),
    ),
    tx_case(
        "no outputs",
        "bad-txns-vout-empty",
        "at least one output",
        lambda lab: lab.builder.spend([lab.coin()], []),
    ),
    tx_case(
        "transaction too large",
        "bad-txns-oversize",
        "size without witnesses <= max_tx_size",
        _oversize,
    ),
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
        lambda lab: lab.builder.spend([lab.coin()], [(lab.spk, MAX_MONEY)] * 2),
    ),
    tx_case(
        "same input twice",
        "bad-txns-inputs-duplicate",
        "inputs are distinct",
        lambda lab: lab.builder.spend([lab.coin(), lab.coin()], [(lab.spk, 1_000)]),
    ),
    tx_case(
        "null outpoint outside a coinbase",
        "bad-txns-prevout-null",
        "only a coinbase spends the null outpoint",
        lambda lab: resign(
            lab,
            Transaction(
                2,
                (TxIn(lab.coin()[0]), TxIn(OutPoint(NULL_TXID, COINBASE_INDEX), b"\x00\x00")),
                (TxOut(1_000, lab.spk),),
            ),
        ),
    ),
    tx_case(
        "spends an output that never existed",
        "bad-txns-inputs-missingorspent",
        "inputs are in the UTXO set",
        lambda lab: lab.builder.spend(
            [(OutPoint(bytes(range(32)), 0), TxOut(10**9, lab.spk))], [(lab.spk, 1_000)]
        ),
    ),
    tx_case(
        "spends a coinbase too early",
        "bad-txns-premature-spend-of-coinbase",
        "coinbase outputs mature after coinbase_maturity blocks",
        lambda lab: lab.builder.spend([lab.immature_coin()], [(lab.spk, 1_000)]),
    ),
    tx_case(
        "outputs exceed inputs",
        "bad-txns-in-belowout",
        "inputs >= outputs",
        lambda lab: lab.tx(amount=lab.coin()[1].amount + 1),
    ),
    tx_case(
        "locktime in the future",
        "bad-txns-nonfinal",
        "locktime passed or final",
        lambda lab: lab.tx(locktime=lab.chain.height + 10, sequence=0),
        pool_code="non-final",
    ),
    tx_case(
        "relative lock (BIP68) not expired",
        "bad-txns-nonfinal",
        "coin height + (sequence & 0xffff) <= block height",
        _relative_lock,
        pool_code="non-BIP68-final",
    ),
    # --- scripts, with the consensus flags ---
    tx_case(
        "key does not match the output",
        mandatory("EQUALVERIFY"),
        "P2WPKH: hash160(witness pubkey) == the output's 20 bytes",
        _equalverify,
    ),
    tx_case(
        "signature over other data",
        mandatory("EVAL_FALSE"),
        "the signature verifies (OP_CHECKSIG leaves true)",
        lambda lab: replace(lab.tx(), outputs=(TxOut(5_000, OTHER_SCRIPT),)),
    ),
    tx_case(
        "signature not DER",
        mandatory("SIG_DER"),
        "strict DER (BIP66)",
        lambda lab: with_input_field(
            lab.tx(), 0, witness=(b"\x30\x00garbage\x01", lab.builder.key.public_key.sec())
        ),
    ),
    tx_case(
        "witness on a legacy output",
        mandatory("WITNESS_UNEXPECTED"),
        "only segwit outputs are spent with a witness",
        lambda lab: _witness_on_p2pkh(lab),
        pool_code="bad-witness-nonstandard",  # relay policy looks at witnesses first, as Core
    ),
]


def _witness_on_p2pkh(lab: Lab) -> Transaction:
    """A P2PKH coin, correctly signed in the scriptSig, with a stray witness item."""
    from edu_chain.script.standard import p2pkh

    script = p2pkh(lab.builder.pubkey_hash)
    outpoint, coin = lab.coin()
    funding = lab.builder.spend([(outpoint, coin)], [(script, coin.amount - 1_000)])
    lab.builder.mine_block([funding])
    spend = lab.builder.spend(
        [(OutPoint(funding.txid, 0), TxOut(coin.amount - 1_000, script))],
        [(lab.spk, coin.amount - 2_000)],
    )
    return spend.with_input(0, witness=(b"\x01",))


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


def _spends_nonstandard(lab: Lab) -> Transaction:
    """A coin locked by bare ``OP_1`` (valid in a block, not a standard template)."""
    outpoint, coin = lab.coin()
    funding = lab.builder.spend([(outpoint, coin)], [(b"\x51", coin.amount - 1_000)])
    lab.builder.mine_block([funding])
    return Transaction(2, [TxIn(OutPoint(funding.txid, 0))], [TxOut(coin.amount - 2_000, lab.spk)])


def _over_datacarrier(lab: Lab) -> Transaction:
    """Two OP_RETURN outputs (standard since Core 30.0) whose scripts add up to 2 x 52 bytes,
    on a pool that sets Core's ``-datacarriersize=83``."""
    lab.pool.max_datacarrier_bytes = 83
    outpoint, coin = lab.coin()
    records = [(op_return(bytes(50)), 0), (op_return(bytes(50)), 0)]
    return lab.builder.spend([(outpoint, coin)], [(lab.spk, coin.amount - 2_000), *records])


def _not_push_only(lab: Lab) -> Transaction:
    return with_input_field(lab.tx(), 0, script_sig=b"\x61")  # OP_NOP


MEMPOOL_ONLY = [
    (
        "coinbase submitted alone",
        "coinbase",
        lambda lab: coinbase_transaction(9, lab.spk, 1),
    ),
    ("second spend of a pool input", "txn-mempool-conflict", _conflict),
    ("submitted twice", "txn-already-in-mempool", _already_in_pool),
    ("already confirmed", "txn-already-known", _already_known),
    ("zero fee", "min-relay-fee-not-met", lambda lab: lab.tx(fee=0)),
    ("fee below 1 per vbyte", "min-relay-fee-not-met", lambda lab: lab.tx(fee=50)),
    ("pool full", "mempool-full", _full),
    (
        "output to a non-standard script",
        "scriptpubkey",
        lambda lab: lab.builder.spend([lab.coin()], [(b"\x22" * 20, 10_000)]),
    ),
    ("dust output", "dust", lambda lab: lab.builder.spend([lab.coin()], [(OTHER_SCRIPT, 100)])),
    ("OP_RETURN outputs over the data budget", "datacarrier", _over_datacarrier),
    ("scriptSig runs an opcode", "scriptsig-not-pushonly", _not_push_only),
    ("spends a non-standard output", "bad-txns-nonstandard-inputs", _spends_nonstandard),
    ("signature with high s (LOW_S is policy)", non_mandatory("SIG_HIGH_S"), _high_s),
    (
        "locktime in the future",
        "non-final",
        lambda lab: lab.tx(locktime=lab.chain.height + 10, sequence=0),
    ),
    ("relative lock not expired", "non-BIP68-final", _relative_lock),
]


def _case_id(case: Case) -> str:
    return f"{case.code}:{case.name}"


def test_catalogue_has_at_least_25_distinct_codes():
    codes = {c.code for c in CATALOGUE} | {code for _, code, _ in MEMPOOL_ONLY}
    assert len(codes) >= 25, sorted(codes)
    assert len({c.code for c in CATALOGUE}) >= 25


@pytest.mark.parametrize("case", CATALOGUE, ids=_case_id)
def test_block_path_refuses_with_exact_code(case: Case):
    lab = lab_for(case)
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
    lab = lab_for(case)
    tx = case.tx(lab)
    with pytest.raises(TxValidationError) as info:
        lab.pool.accept(tx)
    assert info.value.code == (case.pool_code or case.code), info.value
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


# Refusals with nothing to compare: the block is known, its parent failed, a script failed
# (the message names the input and the script error instead), or the segwit checks (which
# name the sizes and the two commitments).
NOTHING_TO_COMPARE = {
    "duplicate",
    "bad-prevblk",
    "unexpected-witness",
    "bad-witness-nonce-size",
    "bad-witness-merkle-match",
    "bad-blk-weight",
    "bad-blk-sigops",
    *(c.code for c in CATALOGUE if "script-verify-flag" in c.code),
}


@pytest.mark.parametrize("case", CATALOGUE, ids=_case_id)
def test_messages_teach(case: Case):
    """Every refusal explains itself: the message names a field or a number, not just a code,
    and says what was expected (docs/architecture.md#chain-rules: which field, expected vs
    actual)."""
    lab = lab_for(case)
    block = case.block(lab) if case.block else lab.block([case.tx(lab)])
    with pytest.raises(ValidationError) as info:
        lab.chain.submit_block(block, allow_orphan=False)
    messages = [info.value.message]
    if case.tx is not None:
        lab = lab_for(case)
        with pytest.raises(ValidationError) as info:
            lab.pool.accept(case.tx(lab))
        messages.append(info.value.message)
    for message in messages:
        assert len(message) > 30
        assert any(ch.isdigit() for ch in message)
        if case.code not in NOTHING_TO_COMPARE and "BIP68" not in message:
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


SCRIPT_CASES = [c for c in CATALOGUE if "script-verify-flag" in c.code]


@pytest.mark.parametrize("executor", ["thread", "process"])
@pytest.mark.parametrize("case", SCRIPT_CASES, ids=_case_id)
def test_parallel_verifier_gives_the_same_codes(case: Case, executor: str):
    """The script checks spread over workers find the same faults, with the same codes."""
    lab = lab_for(case)
    lab.chain.verify_scripts = parallel_script_verifier(2, executor=executor, min_jobs=1)
    with pytest.raises(BlockValidationError) as info:
        lab.chain.submit_block(lab.block([case.tx(lab)]))
    assert info.value.code == case.code


def test_parallel_and_serial_verifiers_agree_on_a_mixed_batch():
    lab = Lab()
    good = lab.tx()
    coin = lab.chain.get_coin(good.inputs[0].outpoint)
    bad = [c.tx(lab) for c in SCRIPT_CASES if c.name != "witness on a legacy output"]
    jobs = [(tx, 0, coin) for tx in [good, *bad] * 20]  # 80 jobs: above the parallel threshold
    serial = serial_script_verifier(jobs)
    for executor in ("thread", "process", "serial"):
        assert serial == parallel_script_verifier(2, executor=executor)(jobs)
    assert serial.count(None) == 20
    assert {failure.code for failure in serial if failure} == {
        "EQUALVERIFY",
        "EVAL_FALSE",
        "SIG_DER",
    }


def test_input_values_out_of_range():
    """``bad-txns-inputvalues-outofrange``: no chain holds coins above MAX_MONEY, so the rule
    is checked on hand-made coins (Bitcoin Core keeps the same belt-and-braces check)."""
    lab = Lab()
    tx = lab.tx()
    huge = Coin(TxOut(MAX_MONEY + 1, lab.spk), 1, False)
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
    documented.discard("non-final")  # the mempool's code for bad-txns-nonfinal, in prose
    covered = {case.code for case in CATALOGUE} | {"bad-txns-inputvalues-outofrange"}
    covered = {code for code in covered if "script-verify-flag" not in code}
    # Unreachable from bytes: TxOut refuses negative amounts when it is built.
    unreachable = {"bad-txns-vout-negative"}
    assert documented - unreachable == covered


def test_every_policy_code_of_the_mempool_docstring_is_in_the_catalogue():
    import re

    from edu_chain import mempool

    table = mempool.__doc__.split("plus every consensus code")[0]
    documented = set(re.findall(r"^``([a-zA-Z][a-zA-Z0-9-]*)``", table, flags=re.M))
    covered = {code for _, code, _ in MEMPOOL_ONLY}
    assert documented == {code for code in covered if "script-verify-flag" not in code}
    assert any(code.startswith("non-mandatory-script-verify-flag (") for code in covered)
