"""Hidden checks for the ``validate_block`` exercise: the first consensus rule a block breaks.

Contract: ``validate_block(header, txs, pow_limit_bits, max_block_size) -> str | None`` checks
a block given as its 80-byte header and its raw transactions against the context-free rules,
in this order, and returns the reason code of the first one broken (``None`` if none is):

1. ``bad-diffbits``    the header's bits do not decode to a target in ``(0, pow limit]``
2. ``high-hash``       ``int.from_bytes(sha256d(header), "little") > target``
3. ``bad-cb-missing``  no transactions
4. ``bad-merkle-root`` the header's Merkle root is not the root of the txids
5. ``bad-txns-duplicate`` two transactions with the same txid
6. ``bad-blk-length``  ``80 + CompactSize(len(txs)) + sum of tx sizes > max_block_size``
7. ``bad-cb-missing``  the first transaction is not a coinbase
8. ``bad-cb-multiple`` a later transaction is a coinbase

Reference: :func:`edu_chain.chain.rules.check_header_pow` then
:func:`edu_chain.chain.rules.check_block` (Bitcoin Core's ``CheckBlockHeader`` and
``CheckBlock``, same reason codes) on the parsed :class:`~edu_chain.block.Block`, with the
unit-test chain parameters and the case's limits.  Every generated transaction passes
``check_transaction`` (at least one input and output, no duplicate inputs, a 2..100 byte
coinbase), so only the eight rules above can fire.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from hypothesis import strategies as st

from edu_chain.block import Block, BlockHeader
from edu_chain.chain.params import ChainParams
from edu_chain.chain.rules import check_block, check_header_pow
from edu_chain.encoding import encode_varint
from edu_chain.errors import ValidationError
from edu_chain.grading.spec import (
    Case,
    CheckGroup,
    Evidence,
    ExerciseSpec,
    Mistake,
    expect,
    random_group,
)
from edu_chain.hashing import sha256d
from edu_chain.merkle import merkle_root
from edu_chain.pow.target import bits_to_target
from edu_chain.teaching_tx import COIN, OutPoint, Transaction, TxIn, TxOut

RULES = (
    "bad-diffbits",
    "high-hash",
    "bad-cb-missing",
    "bad-merkle-root",
    "bad-txns-duplicate",
    "bad-blk-length",
    "bad-cb-multiple",
)
EASY_BITS = 0x207FFFFF  # about one hash in two qualifies: blocks are "mined" in microseconds
MAX_SIZE = 20_000


def ref_validate_block(
    header: bytes, txs: list[bytes], pow_limit_bits: int, max_block_size: int
) -> str | None:
    params = dataclasses.replace(
        ChainParams.for_tests(), pow_limit_bits=pow_limit_bits, max_block_size=max_block_size
    )
    block = Block(BlockHeader.parse(header), tuple(Transaction.parse(t) for t in txs))
    try:
        check_header_pow(block.header, params)
        check_block(block, params)
    except ValidationError as error:
        assert error.code in RULES, f"a case broke a rule outside the exercise: {error.code}"
        return error.code
    return None


# --- building blocks ------------------------------------------------------------------------


def coinbase(height: int, tag: int = 0) -> bytes:
    return Transaction.coinbase(height, sha256d(b"miner")[:20], 50 * COIN, bytes([tag])).serialize()


def payment(seed: int, inputs: int = 1) -> bytes:
    spends = [
        TxIn(OutPoint(sha256d(b"coin %d %d" % (seed, i)), i), b"\x30" * 8, b"\x02" * 33)
        for i in range(inputs)
    ]
    return Transaction(
        1, spends, [TxOut(1000 + seed, sha256d(b"to %d" % seed)[:20])], 0
    ).serialize()


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
        root = merkle_root([sha256d(t) for t in txs]) if txs else bytes(32)
    base = BlockHeader(1, sha256d(b"parent %d" % salt), root, 1_767_225_600 + salt, bits, 0)
    try:
        target = bits_to_target(bits)
    except ValidationError:
        return base.serialize()
    if target == 0:  # nothing can meet it: any nonce will do
        return base.serialize()
    for nonce in range(100_000):
        header = dataclasses.replace(base, nonce=nonce)
        if (header.hash_int() <= target) == valid_pow:
            return header.serialize()
    raise AssertionError("no suitable nonce")  # pragma: no cover - a hit every 2 to 256 nonces


def block_size(txs: list[bytes]) -> int:
    return 80 + len(encode_varint(len(txs))) + sum(len(t) for t in txs)


def _case(
    header: bytes, txs: list[bytes], label: str, limit: int = EASY_BITS, size: int = MAX_SIZE
) -> Case:
    return expect("validate_block", ref_validate_block, [header, txs, limit, size], label)


def _valid() -> list[Case]:
    one = [coinbase(1)]
    three = [coinbase(2), payment(1), payment(2, inputs=2)]
    five = [coinbase(3), *[payment(i) for i in range(3, 7)]]
    return [
        _case(header_for(one), one, "a coinbase alone"),
        _case(header_for(three), three, "three transactions (odd Merkle level)"),
        _case(header_for(five, salt=5), five, "five transactions"),
        _case(header_for(three, bits=0x2000FFFF), three, "a harder target than the limit"),
    ]


def _pow() -> list[Case]:
    txs = [coinbase(4), payment(7)]
    return [
        _case(header_for(txs, bits=0x04923456), txs, "bits with the sign bit: negative target"),
        _case(header_for(txs, bits=0x01003456), txs, "bits that decode to target 0"),
        _case(header_for(txs), txs, "bits easier than the pow limit", limit=0x1F00FFFF),
        _case(header_for(txs, valid_pow=False), txs, "hash above the target"),
        _case(header_for(txs, bits=0x2000FFFF, valid_pow=False), txs, "hash above a harder target"),
    ]


def _structure() -> list[Case]:
    cb, a, b = coinbase(5), payment(8), payment(9)
    wrong_root = merkle_root([sha256d(t) for t in (cb, a)])[::-1]
    return [
        _case(header_for([]), [], "no transactions"),
        _case(header_for([cb, a], root=wrong_root), [cb, a], "Merkle root bytes reversed"),
        _case(header_for([cb, a], root=sha256d(b"other")), [cb, a, b], "Merkle root of other txs"),
        _case(header_for([cb, a, a]), [cb, a, a], "one transaction twice"),
        _case(header_for([a, cb]), [a, cb], "the coinbase is not first"),
        _case(header_for([a, b]), [a, b], "no coinbase at all"),
        _case(header_for([cb, a, coinbase(6)]), [cb, a, coinbase(6)], "a second coinbase"),
    ]


def _size() -> list[Case]:
    txs = [coinbase(7), payment(10), payment(11, inputs=3)]
    header, size = header_for(txs), block_size(txs)
    return [
        _case(header, txs, "exactly the maximum size", size=size),
        _case(header, txs, "one byte too big", size=size - 1),
    ]


@st.composite
def _random_block(draw: Any) -> Case:
    """A random block with zero, one or several planted faults (the first rule must win)."""
    seeds = draw(st.lists(st.integers(0, 10_000), max_size=5, unique=True))
    txs = [coinbase(draw(st.integers(1, 500)))] + [
        payment(s, draw(st.integers(1, 3))) for s in seeds
    ]
    kinds = st.sampled_from(["root", "pow", "dup", "order", "second-cb", "size", "limit"])
    faults = draw(st.sets(kinds, min_size=1, max_size=3)) if draw(st.integers(0, 3)) else set()
    if "dup" in faults and len(txs) > 1:
        txs.append(txs[1])
    if "second-cb" in faults:
        txs.append(coinbase(999, tag=1))
    if "order" in faults and len(txs) > 1:
        txs[0], txs[1] = txs[1], txs[0]
    root = sha256d(b"wrong") if "root" in faults else None
    header = header_for(
        txs, root=root, valid_pow="pow" not in faults, salt=draw(st.integers(0, 99))
    )
    size = block_size(txs) - 1 if "size" in faults else MAX_SIZE
    limit = 0x1F00FFFF if "limit" in faults else EASY_BITS
    return _case(header, txs, "", limit=limit, size=size)


RANDOM = _random_block()


# --- mistakes -------------------------------------------------------------------------------


def _said(code: str, *, unless: str | None = None):
    def matches(case: Case, actual: Any) -> bool:
        return (
            actual == code and case.expected != code and (unless is None or case.expected != unless)
        )

    return matches


def _missed(rule: str):
    """A block breaking only ``rule`` judged valid (the check for ``rule`` is missing)."""

    def matches(case: Case, actual: Any) -> bool:
        return case.expected == rule and actual is None

    return matches


def _checks_every_rule_it_skips(evidence: Evidence) -> bool:
    """Premise of "rule-order": each rule the submission skipped in favour of a later one is
    one it does detect on other blocks (so it has the check, in the wrong place)."""
    skipped = {
        o.case.expected
        for o in evidence.failing("validate_block")
        if o.value in RULES and o.case.expected in RULES
    }
    detected = {o.case.expected for o in evidence.passing("validate_block")}
    return bool(skipped) and skipped <= detected


MISTAKES = (
    Mistake(
        "duplicate-not-detected",
        "A transaction listed twice must be refused (bad-txns-duplicate): compare the txids, "
        "len(set(txids)) != len(txids). Its Merkle root can still match (CVE-2012-2459).",
        matches=_missed("bad-txns-duplicate"),
    ),
    Mistake(
        "second-coinbase-accepted",
        "Only the FIRST transaction may be a coinbase: any other one is bad-cb-multiple.",
        matches=_missed("bad-cb-multiple"),
    ),
    Mistake(
        "coinbase-position-not-checked",
        "The first transaction must be a coinbase (bad-cb-missing), even when a coinbase "
        "appears later in the list or there is none at all.",
        matches=lambda case, actual: (
            case.expected == "bad-cb-missing"
            and actual
            in (
                None,
                "bad-cb-multiple",
            )
            and bool(case.args[1])
        ),
    ),
    Mistake(
        "size-limit-off-by-one",
        "A block of exactly max_block_size bytes is valid: refuse only a size strictly "
        "greater than the limit (>, not >=).",
        matches=lambda case, actual: actual == "bad-blk-length" and case.expected is None,
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
        "merkle-root-order",
        "You reported bad-merkle-root for a block whose root is right: the leaves are "
        "sha256d(raw_tx) as they are (internal order) and header[36:68] is compared as it is; "
        "odd levels duplicate their last hash.",
        matches=lambda case, actual: (
            actual == "bad-merkle-root"
            and case.expected
            in (None, "bad-txns-duplicate", "bad-blk-length", "bad-cb-missing", "bad-cb-multiple")
            and bool(case.args[1])
        ),
    ),
    Mistake(
        "size-without-header",
        "The block's size counts everything serialized: the 80-byte header, the CompactSize "
        "transaction count and every transaction's bytes.",
        matches=lambda case, actual: case.expected == "bad-blk-length" and actual is None,
    ),
    Mistake(
        "rule-order",
        "This block breaks several rules; report the FIRST in the order of the README "
        "(diffbits, high-hash, cb-missing, merkle-root, txns-duplicate, blk-length, "
        "coinbase first, cb-multiple), as nodes do.",
        matches=lambda case, actual: (
            actual in RULES and actual != case.expected and case.expected is not None
        ),
        premise=lambda evidence: _checks_every_rule_it_skips(evidence),
    ),
)

SPEC = ExerciseSpec(
    exercise_id="validate_block",
    version=2,
    groups=(
        CheckGroup("valid", "Valid blocks return None", _valid, public=True),
        CheckGroup("proof-of-work", "bad-diffbits and high-hash", _pow, public=True),
        CheckGroup("structure", "Coinbase, Merkle root, duplicates", _structure),
        CheckGroup("size", "The size limit, at and over", _size),
        random_group(
            "random", "Random blocks with planted faults", RANDOM, count=30, seed_value=10_001
        ),
    ),
    mistakes=MISTAKES,
)
