"""Hidden checks for the ``validate_block`` exercise: the first rule a real-format block breaks.

Contract: ``validate_block(header, txs, pow_limit_bits, max_block_weight) -> str | None``
checks a block given as its 80-byte header and its raw transactions (Bitcoin's format, legacy
or segwit) against the context-free rules, in this order, and returns the reason code of the
first one broken (``None`` if none is):

1. ``bad-diffbits``       the header's bits do not decode to a target in ``(0, pow limit]``
2. ``high-hash``          ``int.from_bytes(sha256d(header), "little") > target``
3. ``bad-cb-missing``     no transactions at all
4. ``bad-merkle-root``    the header's Merkle root is not the root of the txids (no witness)
5. ``bad-txns-duplicate`` two transactions with the same txid
6. ``bad-blk-length``     4 x the size without witnesses > ``max_block_weight``
7. ``bad-cb-missing``     the first transaction is not a coinbase
8. ``bad-cb-multiple``    a later transaction is a coinbase
9. each transaction in order: Bitcoin Core's ``CheckTransaction`` codes
   (``bad-txns-vout-empty``, ``bad-txns-vout-negative``, ``bad-txns-vout-toolarge``,
   ``bad-txns-txouttotal-toolarge``, ``bad-txns-inputs-duplicate``, ``bad-cb-length``,
   ``bad-txns-prevout-null``)
10. ``bad-blk-weight``    the block's weight (BIP141) > ``max_block_weight``

Rules 2 to 9 are Core's ``CheckBlockHeader`` and ``CheckBlock`` (Core calls rule 4
``bad-txnmrklroot``; edu_chain's chain uses ``bad-merkle-root``), rule 10 is from Core's
``ContextualCheckBlock``, which runs after them; rule 1 is the chain's own range check on
``bits`` (Core's ``CheckProofOfWork``).  The witness commitment and sigop limits are left out.

Reference: the library on the parsed block: :class:`edu_chain.block.BlockHeader`,
:func:`edu_chain.merkle.merkle_root` over :attr:`edu_chain.tx.Transaction.txid`,
:func:`edu_chain.tx.check_transaction` for each transaction and the transactions' own
``weight``; it imports nothing from ``edu_chain.chain``.
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Callable
from typing import Any

from hypothesis import strategies as st

from edu_chain.block import BlockHeader
from edu_chain.encoding import bits_to_target, encode_varint
from edu_chain.errors import TxValidationError
from edu_chain.grading.spec import (
    Case,
    CheckGroup,
    Evidence,
    ExerciseSpec,
    Mistake,
    expect,
    random_group,
)
from edu_chain.hashing import hash160, sha256d
from edu_chain.merkle import merkle_root
from edu_chain.script.script import push_int
from edu_chain.script.standard import p2pkh, p2wpkh
from edu_chain.tx import (
    COIN,
    COINBASE_INDEX,
    MAX_MONEY,
    NULL_TXID,
    OutPoint,
    Transaction,
    TxIn,
    TxOut,
    check_transaction,
)

BLOCK_RULES = (
    "bad-diffbits",
    "high-hash",
    "bad-cb-missing",
    "bad-merkle-root",
    "bad-txns-duplicate",
    "bad-blk-length",
    "bad-cb-multiple",
    "bad-blk-weight",
)
TX_RULES = (
    "bad-txns-vout-empty",
    "bad-txns-vout-negative",
    "bad-txns-vout-toolarge",
    "bad-txns-txouttotal-toolarge",
    "bad-txns-inputs-duplicate",
    "bad-cb-length",
    "bad-txns-prevout-null",
)
RULES = BLOCK_RULES + TX_RULES
EASY_BITS = 0x207FFFFF  # about one hash in two qualifies: blocks are "mined" in microseconds
MAX_WEIGHT = 4_000_000  # Bitcoin's MAX_BLOCK_WEIGHT
MAINNET_POW_LIMIT = 0x1D00FFFF

# Block 0 of Bitcoin's mainnet (Bitcoin Core's chainparams.cpp, CreateGenesisBlock): its header
# and its one transaction, the coinbase with The Times headline.
GENESIS_HEADER = bytes.fromhex(
    "0100000000000000000000000000000000000000000000000000000000000000"
    "000000003ba3edfd7a7b12b27ac72c3e67768f617fc81bc3888a51323a9fb8aa"
    "4b1e5e4a29ab5f49ffff001d1dac2b7c"
)
GENESIS_COINBASE = bytes.fromhex(
    "01000000010000000000000000000000000000000000000000000000000000000000000000ffffffff"
    "4d04ffff001d0104455468652054696d65732030332f4a616e2f32303039204368616e63656c6c6f72"
    "206f6e206272696e6b206f66207365636f6e64206261696c6f757420666f722062616e6b73ffffffff"
    "0100f2052a01000000434104678afdb0fe5548271967f1a67130b7105cd6a828e03909a67962e0ea1f"
    "61deb649f6bc3f4cef38c4f35504e51ec112de5c384df7ba0b8d578a4c702b6bf11d5fac00000000"
)


def ref_validate_block(
    header: bytes, txs: list[bytes], pow_limit_bits: int, max_block_weight: int
) -> str | None:
    head = BlockHeader.parse(bytes(header))
    try:
        target = bits_to_target(head.bits)
    except ValueError:
        return "bad-diffbits"
    if target == 0 or target > bits_to_target(pow_limit_bits):
        return "bad-diffbits"
    if head.hash_int() > target:
        return "high-hash"
    if not txs:
        return "bad-cb-missing"
    parsed = [_parse(bytes(raw)) for raw in txs]
    txids = [tx.txid for tx in parsed]
    if merkle_root(txids) != head.merkle_root:
        return "bad-merkle-root"
    if len(set(txids)) != len(txids):
        return "bad-txns-duplicate"
    prefix = 80 + len(encode_varint(len(parsed)))  # header and transaction count
    if (prefix + sum(len(tx.serialize_legacy()) for tx in parsed)) * 4 > max_block_weight:
        return "bad-blk-length"
    if not parsed[0].is_coinbase():
        return "bad-cb-missing"
    if any(tx.is_coinbase() for tx in parsed[1:]):
        return "bad-cb-multiple"
    for tx in parsed:
        try:
            check_transaction(tx)
        except TxValidationError as error:
            assert error.code in TX_RULES, f"a case broke a rule outside the exercise: {error}"
            return error.code
    if 4 * prefix + sum(tx.weight for tx in parsed) > max_block_weight:
        return "bad-blk-weight"
    return None


# --- building blocks ------------------------------------------------------------------------


@functools.lru_cache(maxsize=4096)
def _parse(raw: bytes) -> Transaction:
    """``Transaction.parse``, once per distinct transaction: building a random block, its
    header, its weight and the reference's answer each read every transaction, and shrinking
    a failure builds a hundred blocks."""
    return Transaction.parse(raw)


def _owner(seed: int, segwit: bool) -> bytes:
    key_hash = hash160(b"owner %d" % seed)
    return p2wpkh(key_hash) if segwit else p2pkh(key_hash)


def coinbase(height: int, *, segwit: bool = False, data: bytes | None = None) -> bytes:
    """A coinbase: one input spending the null outpoint, the height first in its data (BIP34);
    a segwit one carries the 32-byte witness reserved value (BIP141)."""
    script_sig = push_int(height) + b"\x08edu" if data is None else data
    tx_in = TxIn(OutPoint(NULL_TXID, COINBASE_INDEX), script_sig, 0xFFFFFFFF)
    if segwit:
        tx_in = dataclasses.replace(tx_in, witness=(bytes(32),))
    return Transaction(2, [tx_in], [TxOut(50 * COIN, _owner(height, segwit))], 0).serialize()


def payment(
    seed: int,
    inputs: int = 1,
    *,
    segwit: bool = False,
    amounts: tuple[int, ...] | None = None,
    spends: list[OutPoint] | None = None,
) -> bytes:
    """A payment spending ``inputs`` made-up coins (scripts are not run by these rules)."""
    if spends is None:
        spends = [OutPoint(sha256d(b"coin %d %d" % (seed, i)), i) for i in range(inputs)]
    tx_inputs = [
        TxIn(op, b"" if segwit else b"\x47" + b"\x30" * 71 + b"\x21" + b"\x02" * 33, 0xFFFFFFFD)
        for op in spends
    ]
    if segwit:
        tx_inputs = [
            dataclasses.replace(i, witness=(b"\x30" * 71, b"\x02" * 33)) for i in tx_inputs
        ]
    if amounts is None:
        amounts = (1_000 + seed, 2_000 + seed)
    outputs = [TxOut(amount, _owner(seed + n, segwit)) for n, amount in enumerate(amounts)]
    return Transaction(2, tx_inputs, outputs, 0).serialize()


def header_for(
    txs: list[bytes],
    *,
    bits: int = EASY_BITS,
    root: bytes | None = None,
    valid_pow: bool = True,
    salt: int = 0,
) -> bytes:
    """A header committing to ``txs`` (or to ``root``) whose hash meets (or misses) the target."""
    if root is None:
        root = merkle_root([_parse(bytes(t)).txid for t in txs]) if txs else bytes(32)
    base = BlockHeader(
        0x20000000, sha256d(b"parent %d" % salt), root, 1_767_225_600 + salt, bits, 0
    )
    try:
        target = bits_to_target(bits)
    except ValueError:
        return base.serialize()
    if target == 0:  # nothing can meet it: any nonce will do
        return base.serialize()
    for nonce in range(100_000):
        header = dataclasses.replace(base, nonce=nonce)
        if (header.hash_int() <= target) == valid_pow:
            return header.serialize()
    raise AssertionError("no suitable nonce")  # pragma: no cover - a hit every 2 to 256 nonces


def block_weight(txs: list[bytes]) -> int:
    """The weight of a block with these transactions (header and count included)."""
    return 4 * (80 + len(encode_varint(len(txs)))) + sum(_parse(bytes(t)).weight for t in txs)


def _case(
    header: bytes,
    txs: list[bytes],
    label: str,
    limit: int = EASY_BITS,
    weight: int = MAX_WEIGHT,
) -> Case:
    return expect("validate_block", ref_validate_block, [header, txs, limit, weight], label)


def _block(txs: list[bytes], label: str, **header: Any) -> Case:
    return _case(header_for(txs, **header), txs, label)


def _valid() -> list[Case]:
    three = [coinbase(2), payment(1), payment(2, inputs=2)]
    segwit = [
        coinbase(3, segwit=True),
        payment(3, segwit=True),
        payment(4),
        payment(5, segwit=True),
    ]
    five = [coinbase(4), *[payment(i) for i in range(6, 10)]]
    return [
        _case(GENESIS_HEADER, [GENESIS_COINBASE], "Bitcoin's genesis block", MAINNET_POW_LIMIT),
        _block([coinbase(1)], "a coinbase alone"),
        _block(three, "three legacy transactions (odd Merkle level)"),
        _block(segwit, "segwit transactions: the Merkle tree is built from txids, not wtxids"),
        _block(five, "five transactions", salt=5),
        _block(three, "a harder target than the limit", bits=0x2000FFFF),
    ]


def _pow() -> list[Case]:
    txs = [coinbase(5), payment(10)]
    return [
        _block(txs, "bits with the sign bit: negative target", bits=0x04923456),
        _block(txs, "bits that decode to target 0", bits=0x01003456),
        _case(header_for(txs), txs, "bits easier than the pow limit", limit=0x1F00FFFF),
        _block(txs, "hash above the target", valid_pow=False),
        _block(txs, "hash above a harder target", bits=0x2000FFFF, valid_pow=False),
        _case(
            GENESIS_HEADER, [GENESIS_COINBASE], "genesis, judged against a harder limit", 0x1C00FFFF
        ),
    ]


def _structure() -> list[Case]:
    cb, a, b = coinbase(6), payment(11), payment(12, segwit=True)
    root = merkle_root([Transaction.parse(t).txid for t in (cb, a)])
    wtxid_root = merkle_root([sha256d(t) for t in (coinbase(7, segwit=True), b)])
    return [
        _block([], "no transactions"),
        _block([cb, a], "Merkle root bytes reversed", root=root[::-1]),
        _block([cb, a, b], "Merkle root of other transactions", root=root),
        _block(
            [coinbase(7, segwit=True), b],
            "a Merkle root over wtxids (witness included)",
            root=wtxid_root,
        ),
        _block([cb, a, a], "one transaction twice"),
        _block([a, cb], "the coinbase is not first"),
        _block([a, b], "no coinbase at all"),
        _block([cb, a, coinbase(8)], "a second coinbase"),
        _block([coinbase(9, segwit=True), coinbase(10)], "a segwit coinbase and a second one"),
    ]


def _transactions() -> list[Case]:
    cb = coinbase(11)
    spent = OutPoint(sha256d(b"spent twice"), 0)
    null = OutPoint(NULL_TXID, COINBASE_INDEX)
    bad = {
        "no outputs": payment(20, amounts=()),
        "a negative amount": payment(21, amounts=(1_000, -1)),
        "an output above 21 million coins": payment(22, amounts=(MAX_MONEY + 1,)),
        "outputs adding up to over 21 million coins": payment(23, amounts=(MAX_MONEY, 1)),
        "one outpoint spent twice": payment(24, spends=[spent, spent]),
        "the null outpoint in a payment": payment(25, spends=[spent, null]),
    }
    cases = [_block([cb, raw], label) for label, raw in bad.items()]
    cases += [
        _block([coinbase(0, data=b"\x01")], "a coinbase script of 1 byte"),
        _block([coinbase(0, data=b"\x03" * 101)], "a coinbase script of 101 bytes"),
        _block(
            [cb, payment(26), bad["a negative amount"], bad["one outpoint spent twice"]],
            "two bad transactions: the first one's code",
        ),
        _block(
            [cb, bad["one outpoint spent twice"], coinbase(12)],
            "a bad transaction and a second coinbase: bad-cb-multiple comes first",
        ),
        _block([cb, payment(27, amounts=(0,))], "an output of 0 satoshis is valid"),
        _block([cb, payment(28, amounts=(MAX_MONEY,))], "exactly 21 million coins is valid"),
    ]
    return cases


def _weight() -> list[Case]:
    legacy = [coinbase(13), payment(30), payment(31, inputs=3)]
    segwit = [
        coinbase(14, segwit=True),
        payment(32, segwit=True),
        payment(33, inputs=3, segwit=True),
    ]
    heavy, light = block_weight(segwit), block_weight(legacy)
    full = 4 * (80 + 1 + sum(len(t) for t in segwit))  # every byte weighed 4 times: wrong
    bad_tx = [segwit[0], payment(34, spends=[OutPoint(bytes(32), 1)] * 2, segwit=True)]
    return [
        _case(header_for(segwit), segwit, "segwit block, weight exactly the limit", weight=heavy),
        _case(header_for(segwit), segwit, "segwit block, one weight unit over", weight=heavy - 1),
        _case(
            header_for(segwit),
            segwit,
            "a limit between its weight and 4 x its full size: valid (witness bytes weigh 1)",
            weight=heavy + (full - heavy) // 2,
        ),
        _case(header_for(legacy), legacy, "legacy block, weight exactly the limit", weight=light),
        _case(
            header_for(legacy),
            legacy,
            "legacy block, 4 x its size over the limit",
            weight=light - 1,
        ),
        _case(
            header_for(bad_tx),
            bad_tx,
            "over the weight and a bad transaction: the transaction's code first",
            weight=block_weight(bad_tx) - 1,
        ),
    ]


RANDOM_FAULTS = (
    "root",
    "pow",
    "dup",
    "order",
    "second-cb",
    "length",
    "weight",
    "limit",
    "negative",
    "dup-input",
    "total",
)


# Built once, not inside each draw: building a strategy costs Hypothesis more than drawing
# from it, and shrinking a failure draws a hundred times.
SEEDS = st.lists(st.integers(100, 10_000), max_size=4, unique=True)
FAULT_SETS = st.sets(st.sampled_from(RANDOM_FAULTS), min_size=1, max_size=3)


@st.composite
def _random_block(draw: Any) -> Case:
    """A random block with zero, one or several planted faults (the first rule must win)."""
    seeds = draw(SEEDS)
    txs = [coinbase(draw(st.integers(1, 500)), segwit=draw(st.booleans()))]
    txs += [payment(s, draw(st.integers(1, 3)), segwit=draw(st.booleans())) for s in seeds]
    faults = draw(FAULT_SETS)
    if not draw(st.integers(0, 3)):
        faults = set()
    if "negative" in faults:
        txs.append(payment(draw(st.integers(100, 999)), amounts=(5, -draw(st.integers(1, 99)))))
    if "dup-input" in faults:
        twice = OutPoint(sha256d(b"twice"), 0)
        txs.append(payment(77, spends=[twice, twice], segwit=draw(st.booleans())))
    if "total" in faults:
        txs.append(payment(78, amounts=(MAX_MONEY, draw(st.integers(1, 99)))))
    if "dup" in faults and len(txs) > 1:
        txs.append(txs[1])
    if "second-cb" in faults:
        txs.append(coinbase(999))
    if "order" in faults and len(txs) > 1:
        txs[0], txs[1] = txs[1], txs[0]
    root = sha256d(b"wrong") if "root" in faults else None
    header = header_for(
        txs, root=root, valid_pow="pow" not in faults, salt=draw(st.integers(0, 99))
    )
    weight = block_weight(txs)
    stripped = 4 * (80 + len(encode_varint(len(txs))))
    stripped += 4 * sum(len(_parse(bytes(t)).serialize_legacy()) for t in txs)
    if "length" in faults:
        weight = stripped - 1
    elif "weight" in faults:
        weight = draw(st.integers(stripped, weight)) - 1 if weight > stripped else weight - 1
    else:
        weight = max(weight, draw(st.integers(weight, 2 * weight)))
    limit = 0x1F00FFFF if "limit" in faults else EASY_BITS
    return _case(header, txs, "", limit=limit, weight=weight)


RANDOM = _random_block()


# --- steps ----------------------------------------------------------------------------------


def _segwit_sample() -> list[bytes]:
    return [coinbase(40, segwit=True), payment(41, segwit=True), payment(42, inputs=2)]


def _step_txid() -> list[Case]:
    def ref(raw: bytes) -> bytes:
        return Transaction.parse(bytes(raw)).txid

    samples = [GENESIS_COINBASE, *_segwit_sample()]
    return [expect("txid", ref, [raw]) for raw in samples]


def _step_is_coinbase() -> list[Case]:
    def ref(raw: bytes) -> bool:
        return Transaction.parse(bytes(raw)).is_coinbase()

    null = OutPoint(NULL_TXID, COINBASE_INDEX)
    samples = [
        GENESIS_COINBASE,
        *_segwit_sample(),
        payment(43, spends=[null, OutPoint(sha256d(b"x"), 0)]),
        payment(44, spends=[OutPoint(NULL_TXID, 0)]),
    ]
    return [expect("is_coinbase", ref, [raw]) for raw in samples]


def _step_check_transaction() -> list[Case]:
    def ref(raw: bytes) -> str | None:
        try:
            check_transaction(Transaction.parse(bytes(raw)))
        except TxValidationError as error:
            return error.code
        return None

    block = [c.args[1] for c in _transactions()]
    samples = [GENESIS_COINBASE, *_segwit_sample(), *[txs[-1] for txs in block[:8]]]
    return [expect("check_transaction", ref, [raw]) for raw in samples]


def _step_block_weight() -> list[Case]:
    samples = [[GENESIS_COINBASE], _segwit_sample(), [coinbase(45), payment(46)]]
    return [expect("block_weight", block_weight, [txs]) for txs in samples]


def _step_bits_to_target() -> list[Case]:
    samples = [0x1D00FFFF, EASY_BITS, 0x1B04864C, 0x03123456, 0x01003456, 0x04923456, 0xFF123456]
    return [expect("bits_to_target", bits_to_target, [bits]) for bits in samples]


def _step_merkle_root() -> list[Case]:
    leaves = [sha256d(bytes([n])) for n in range(5)]
    return [expect("merkle_root", merkle_root, [leaves[:n]]) for n in (1, 2, 3, 5)]


STEPS: dict[str, Callable[[], list[Case]]] = {
    "bits_to_target": _step_bits_to_target,
    "merkle_root": _step_merkle_root,
    "txid": _step_txid,
    "is_coinbase": _step_is_coinbase,
    "check_transaction": _step_check_transaction,
    "block_weight": _step_block_weight,
}


# --- mistakes -------------------------------------------------------------------------------


def _model(
    header: bytes,
    txs: list[bytes],
    pow_limit_bits: int,
    max_block_weight: int,
    *,
    leaf: Callable[[bytes], bytes] | None = None,
    full_weight: bool = False,
    at_limit_refused: bool = False,
) -> str | None:
    """The rules with one step changed, to recognise a student's version of it: Merkle leaves
    from ``leaf``, witness bytes weighed 4 times, or a block at the limit refused (>=)."""
    header_only = ref_validate_block(header, [], pow_limit_bits, max_block_weight)
    if header_only != "bad-cb-missing" or not txs:
        return header_only
    parsed = [_parse(bytes(raw)) for raw in txs]
    leaves = [leaf(bytes(raw)) for raw in txs] if leaf else [tx.txid for tx in parsed]
    if merkle_root(leaves) != bytes(header)[36:68]:
        return "bad-merkle-root"
    if len(set(leaves)) != len(leaves):
        return "bad-txns-duplicate"

    def over(weight: int) -> bool:
        return weight >= max_block_weight if at_limit_refused else weight > max_block_weight

    prefix = 80 + len(encode_varint(len(parsed)))
    if over((prefix + sum(len(tx.serialize_legacy()) for tx in parsed)) * 4):
        return "bad-blk-length"
    if not parsed[0].is_coinbase():
        return "bad-cb-missing"
    if any(tx.is_coinbase() for tx in parsed[1:]):
        return "bad-cb-multiple"
    for tx in parsed:
        try:
            check_transaction(tx)
        except TxValidationError as error:
            return error.code
    weight = sum(tx.size * 4 if full_weight else tx.weight for tx in parsed)
    return "bad-blk-weight" if over(4 * prefix + weight) else None


def _said(code: str) -> Callable[[Case, Any], bool]:
    def matches(case: Case, actual: Any) -> bool:
        return actual == code and case.expected != code

    return matches


def _missed(rule: str) -> Callable[[Case, Any], bool]:
    """A block breaking ``rule`` judged valid, or judged by a later rule (the check is missing)."""

    def matches(case: Case, actual: Any) -> bool:
        return case.expected == rule and (actual is None or actual in _after(rule))

    return matches


ORDER = (
    "bad-diffbits",
    "high-hash",
    "bad-merkle-root",
    "bad-txns-duplicate",
    "bad-blk-length",
    "bad-cb-missing",
    "bad-cb-multiple",
    *TX_RULES,
    "bad-blk-weight",
)


def _after(rule: str) -> tuple[str, ...]:
    """The rules checked after ``rule`` (for bad-cb-missing: after the coinbase-first check)."""
    return ORDER[ORDER.index(rule) + 1 :]


def _never_detects(rule: str) -> Callable[[Evidence], bool]:
    """Premise: blocks whose answer is ``rule`` exist, and the submission gets none right."""

    def premise(evidence: Evidence) -> bool:
        expected = [o for o in evidence.of("validate_block") if o.case.expected == rule]
        return bool(expected) and not any(o.passed for o in expected)

    return premise


def _checks_every_rule_it_skips(evidence: Evidence) -> bool:
    """Premise of "rule-order": each rule the submission skipped in favour of another one is
    one it does detect on other blocks (so it has the check, in the wrong place)."""
    skipped = {
        o.case.expected
        for o in evidence.failing("validate_block")
        if o.value in RULES and o.case.expected in RULES
    }
    detected = {o.case.expected for o in evidence.passing("validate_block")}
    return bool(skipped) and skipped <= detected


BLOCK = ("validate_block",)

MISTAKES = (
    Mistake(
        "txid-includes-witness",
        "The Merkle tree of a block is built from txids: sha256d of each transaction WITHOUT "
        "the witness (no marker, flag or witness data). sha256d of all the bytes is the "
        "wtxid, which the header does not commit to.",
        variant=lambda h, t, p, w: _model(h, t, p, w, leaf=sha256d),
        functions=BLOCK,
        whole_evidence=True,
    ),
    Mistake(
        "witness-not-discounted",
        "Weight counts each byte outside the witness 4 times and each witness byte once: "
        "weight = 3 x size without witness + full size (BIP141), header and count included.",
        variant=lambda h, t, p, w: _model(h, t, p, w, full_weight=True),
        functions=BLOCK,
        whole_evidence=True,
    ),
    Mistake(
        "size-limit-off-by-one",
        "A block of exactly max_block_weight is valid: refuse only a weight strictly "
        "greater than the limit (>, not >=).",
        variant=lambda h, t, p, w: _model(h, t, p, w, at_limit_refused=True),
        functions=BLOCK,
        whole_evidence=True,
    ),
    Mistake(
        "duplicate-not-detected",
        "A transaction listed twice must be refused (bad-txns-duplicate): compare the txids, "
        "len(set(txids)) != len(txids). Its Merkle root can still match (CVE-2012-2459).",
        matches=_missed("bad-txns-duplicate"),
        premise=_never_detects("bad-txns-duplicate"),
    ),
    Mistake(
        "second-coinbase-accepted",
        "Only the FIRST transaction may be a coinbase: any other one is bad-cb-multiple.",
        matches=_missed("bad-cb-multiple"),
        premise=_never_detects("bad-cb-multiple"),
    ),
    Mistake(
        "coinbase-position-not-checked",
        "The first transaction must be a coinbase (bad-cb-missing), even when a coinbase "
        "appears later in the list or there is none at all.",
        matches=lambda case, actual: (
            case.expected == "bad-cb-missing"
            and bool(case.args[1])
            and (actual is None or actual in _after("bad-cb-missing"))
        ),
    ),
    Mistake(
        "pow-limit-not-checked",
        "Check the target against the chain's limit first: bits that decode to a target above "
        "bits_to_target(pow_limit_bits), to 0, or to a negative number are bad-diffbits, even "
        "if the hash happens to meet them.",
        matches=lambda case, actual: case.expected == "bad-diffbits" and actual != "bad-diffbits",
    ),
    Mistake(
        "hash-read-big-endian",
        "You reported high-hash for a block whose proof-of-work is fine: read the header hash "
        "as a LITTLE-endian integer, int.from_bytes(sha256d(header), 'little'), and compare "
        "with <= target.",
        matches=_said("high-hash"),
    ),
    Mistake(
        "amount-read-unsigned",
        "An amount is a SIGNED 64-bit little-endian integer: int.from_bytes(..., 'little', "
        "signed=True). Read unsigned, -1 becomes 2**64 - 1 and a negative output looks too "
        "large (bad-txns-vout-negative, not bad-txns-vout-toolarge).",
        matches=lambda case, actual: (
            case.expected == "bad-txns-vout-negative" and actual == "bad-txns-vout-toolarge"
        ),
    ),
    Mistake(
        "output-total-not-checked",
        "Each output must be within 0..21,000,000 coins AND so must their running total: "
        "outputs of 21 million and 1 satoshi add up to too much (bad-txns-txouttotal-toolarge).",
        matches=_missed("bad-txns-txouttotal-toolarge"),
        premise=_never_detects("bad-txns-txouttotal-toolarge"),
    ),
    Mistake(
        "input-duplicate-not-detected",
        "A transaction that lists one outpoint twice in its inputs is invalid on its own: "
        "bad-txns-inputs-duplicate (CheckTransaction), before any coin is looked up.",
        matches=_missed("bad-txns-inputs-duplicate"),
        premise=_never_detects("bad-txns-inputs-duplicate"),
    ),
    Mistake(
        "merkle-root-order",
        "You reported bad-merkle-root for a block whose root is right: the leaves are the "
        "txids in internal order and header[36:68] is compared as it is; odd levels duplicate "
        "their last hash.",
        matches=lambda case, actual: (
            actual == "bad-merkle-root"
            and case.expected not in ("bad-diffbits", "high-hash", "bad-merkle-root")
            and bool(case.args[1])
        ),
    ),
    Mistake(
        "rule-order",
        "This block breaks several rules; report the FIRST in the order of the README "
        "(diffbits, high-hash, cb-missing, merkle-root, txns-duplicate, blk-length, "
        "coinbase first, cb-multiple, each transaction's checks, blk-weight), as nodes do.",
        matches=lambda case, actual: (
            actual in RULES and actual != case.expected and case.expected is not None
        ),
        premise=_checks_every_rule_it_skips,
    ),
)

SPEC = ExerciseSpec(
    exercise_id="validate_block",
    version=3,
    groups=(
        CheckGroup("valid", "Valid blocks return None", _valid, public=True),
        CheckGroup("proof-of-work", "bad-diffbits and high-hash", _pow, public=True),
        CheckGroup("structure", "Coinbase, Merkle root, duplicates", _structure),
        CheckGroup("transactions", "Each transaction's own checks", _transactions),
        CheckGroup("weight", "Size and weight limits, at and over", _weight),
        random_group(
            "random", "Random blocks with planted faults", RANDOM, count=30, seed_value=10_002
        ),
    ),
    mistakes=MISTAKES,
    steps=STEPS,
)
