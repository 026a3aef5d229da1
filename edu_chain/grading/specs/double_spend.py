"""Hidden checks for the ``double_spend`` exercise: real transactions against a UTXO set.

Contract: ``find_double_spend(utxos, txs)`` applies the raw transactions ``txs`` (Bitcoin's
format, legacy or segwit) in order to the set of unspent outputs ``utxos`` (each
``[txid, index, amount, script_pubkey]``) and returns ``[position, reason]`` for the first
transaction that cannot be applied, or ``None`` when all can.  A transaction's outputs become
the outpoints ``[txid, 0]``, ``[txid, 1]``, ... (``txid`` without the witness), spendable by
later transactions in the list.  Reasons, checked in Bitcoin Core's order:

1. ``bad-txns-inputs-duplicate``: the transaction spends one outpoint twice (Core's
   ``CheckTransaction``, which needs nothing but the transaction);
2. ``bad-txns-inputs-missingorspent``: it spends an outpoint that is not in the set: it never
   existed, or it was spent already, earlier in the list (``Consensus::CheckTxInputs``);
3. ``bad-txns-in-belowout``: its outputs pay more than its inputs hold (same function).
   Paying no fee at all is valid.

Scripts are not run: this exercise is about the coins, not about who may spend them
(notebooks 07 and 12 run the scripts).  No transaction of a case is a coinbase.

Reference: the library's real transactions (:class:`edu_chain.tx.Transaction` parses each raw
transaction, :func:`edu_chain.tx.check_transaction` gives Core's duplicate-input code) over a
spec-local UTXO dict ``{OutPoint: TxOut}``, spent and extended as connecting a block does.
Generated transactions are otherwise valid for ``check_transaction`` (inputs, outputs and
amounts in range), so only the three reasons above can occur.
"""

from __future__ import annotations

import functools
from typing import Any

from hypothesis import strategies as st

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
from edu_chain.script.standard import p2pkh, p2wpkh
from edu_chain.tx import OutPoint, Transaction, TxIn, TxOut, check_transaction

DUPLICATE = "bad-txns-inputs-duplicate"  # one transaction spends the same outpoint twice
MISSING = "bad-txns-inputs-missingorspent"  # the outpoint is not (or no longer) unspent
BELOWOUT = "bad-txns-in-belowout"  # the outputs pay more than the inputs hold
REASONS = (DUPLICATE, MISSING, BELOWOUT)

# What unlocks an input does not matter here (scripts are not run), but real-looking bytes
# make the raw transactions read like the ones in notebook 07.
_SCRIPT_SIG = bytes([0x47]) + b"\x30" * 71 + bytes([0x21]) + b"\x02" * 33
_WITNESS = (b"\x30" * 71, b"\x02" * 33)


def ref_find_double_spend(utxos: list[Any], txs: list[Any]) -> list[Any] | None:
    unspent = {
        OutPoint(bytes(txid), index): TxOut(amount, bytes(script))
        for txid, index, amount, script in utxos
    }
    for position, raw in enumerate(txs):
        tx = Transaction.parse(bytes(raw))
        try:
            check_transaction(tx)
        except TxValidationError as error:
            assert error.code == DUPLICATE, f"a case broke a rule outside the exercise: {error}"
            return [position, error.code]
        if any(tx_in.outpoint not in unspent for tx_in in tx.inputs):
            return [position, MISSING]
        value_in = sum(unspent[tx_in.outpoint].amount for tx_in in tx.inputs)
        if value_in < sum(output.amount for output in tx.outputs):
            return [position, BELOWOUT]
        for tx_in in tx.inputs:
            del unspent[tx_in.outpoint]
        for index, output in enumerate(tx.outputs):
            unspent[OutPoint(tx.txid, index)] = output
    return None


# --- building cases -------------------------------------------------------------------------


@functools.cache
def _owner(name: str, segwit: bool) -> bytes:
    key_hash = hash160(name.encode())
    return p2wpkh(key_hash) if segwit else p2pkh(key_hash)


def build_tx(spends: list[Any], amounts: list[int], *, segwit: bool = False) -> bytes:
    """A raw transaction spending ``spends`` (``[txid, index]``) into outputs of ``amounts``.

    Segwit transactions carry their unlocking data in the witness, so their txid (what later
    transactions name) differs from ``sha256d`` of their bytes."""
    return _transaction(spends, amounts, segwit).serialize()


def _transaction(spends: list[Any], amounts: list[int], segwit: bool) -> Transaction:
    inputs = [
        TxIn(
            OutPoint(bytes(txid), index),
            b"" if segwit else _SCRIPT_SIG,
            0xFFFFFFFD,
            _WITNESS if segwit else (),
        )
        for txid, index in spends
    ]
    outputs = [TxOut(amount, _owner(f"owner {n}", segwit)) for n, amount in enumerate(amounts)]
    return Transaction(2, inputs, outputs, 0)


def txid_of(raw: bytes) -> bytes:
    return Transaction.parse(raw).txid


def _coin(name: str, amount: int, index: int = 0) -> list[Any]:
    return [sha256d(name.encode()), index, amount, _owner(name, False)]


COINS = [_coin("coin a", 50_000), _coin("coin b", 30_000), _coin("coin c", 20_000, index=1)]


def _op(coin: list[Any]) -> list[Any]:
    return coin[:2]


def _scenarios() -> dict[str, list[tuple[list[bytes], str]]]:
    a, b, c = (_op(coin) for coin in COINS)
    pay = build_tx([a], [30_000, 19_000], segwit=True)  # fee 1,000; a segwit parent
    change = build_tx([[txid_of(pay), 1]], [18_500])
    return {
        "valid": [
            (
                [build_tx([a], [49_000]), build_tx([b, c], [25_000, 24_000], segwit=True)],
                "two independent spends",
            ),
            ([pay, change], "spending an output created earlier in the list (by its txid)"),
            (
                [legacy := build_tx([b], [29_000]), build_tx([[txid_of(legacy), 0]], [28_000])],
                "spending the output of a legacy transaction created earlier in the list",
            ),
            ([build_tx([b], [30_000])], "a transaction that pays no fee (inputs = outputs)"),
            ([], "no transactions"),
        ],
        "conflicts": [
            ([build_tx([a], [49_000]), build_tx([b, a], [70_000])], "a spent by two transactions"),
            ([build_tx([b, b], [29_000])], "b spent twice inside one transaction"),
            (
                [
                    pay,
                    build_tx([c, [txid_of(pay), 0]], [49_000]),
                    build_tx([[txid_of(pay), 0]], [1]),
                ],
                "a new coin spent twice",
            ),
            (
                [build_tx([_op(_coin("gone", 1)), _op(_coin("gone", 1))], [1])],
                "a missing coin listed twice: the duplicate check comes first",
            ),
        ],
        "missing": [
            ([build_tx([_op(_coin("never existed", 1))], [1])], "an outpoint that never existed"),
            ([build_tx([[a[0], 5]], [1_000])], "the right txid, an index it does not have"),
            ([change, pay], "spending an output before it is created"),
            (
                [pay, build_tx([[sha256d(pay), 1]], [18_500])],
                "naming a segwit parent by sha256d of all its bytes (its wtxid), not its txid",
            ),
        ],
        "overspend": [
            ([build_tx([a], [50_001])], "outputs one satoshi above the input"),
            ([build_tx([a, b], [40_000, 40_001])], "two inputs, outputs above their sum"),
            ([pay, build_tx([[txid_of(pay), 0], c], [50_001])], "a chained spend above its inputs"),
            (
                [build_tx([a], [1_000]), build_tx([a], [10**8])],
                "a spent coin, paying more than it held: missing comes first",
            ),
            (
                [build_tx([c, c], [10**8])],
                "one coin twice, paying more than it held: the duplicate comes first",
            ),
        ],
    }


def _group(name: str) -> list[Case]:
    return [
        expect("find_double_spend", ref_find_double_spend, [COINS, txs], label)
        for txs, label in _scenarios()[name]
    ]


FAULTS = ["none", "respend", "duplicate", "missing", "early", "overspend"]
# Built once, not inside each draw: building a strategy costs Hypothesis more than drawing
# from it, and shrinking a failure draws a hundred times.
FAULT = st.sampled_from(FAULTS)
TXIDS = st.binary(min_size=32, max_size=32)


@st.composite
def _scenario(draw: Any) -> Case:
    """A random UTXO set and a list of spends, with at most one planted fault."""
    count = draw(st.integers(1, 6))
    utxos: dict[tuple[bytes, int], list[Any]] = {}
    for _ in range(count):
        txid, index = draw(TXIDS), draw(st.integers(0, 3))
        amount = draw(st.integers(1, 10**8))
        utxos[(txid, index)] = [txid, index, amount, _owner("random", False)]
    coins = list(utxos.values())
    available = {(c[0], c[1]): c[2] for c in coins}  # outpoint -> amount
    spent: list[tuple[bytes, int]] = []
    txs: list[bytes] = []
    length = draw(st.integers(1, 5))
    fault_at = draw(st.integers(0, length - 1))
    fault = draw(FAULT)
    for position in range(length):
        if not available:
            break
        chosen = draw(
            st.lists(st.sampled_from(sorted(available)), min_size=1, max_size=3, unique=True)
        )
        value_in = sum(available[o] for o in chosen)
        if position == fault_at and fault == "respend" and spent:
            chosen.append(draw(st.sampled_from(spent)))
        elif position == fault_at and fault == "duplicate":
            chosen.append(chosen[0])
        elif position == fault_at and fault == "missing":
            chosen.append((draw(TXIDS), 0))
        fee = draw(st.integers(0, min(value_in - 1, 5_000))) if value_in > 1 else 0
        total = value_in - fee
        if position == fault_at and fault == "overspend":
            total = value_in + draw(st.integers(1, 1_000))
        n_outputs = min(draw(st.integers(1, 3)), total)
        amounts = [total // n_outputs] * (n_outputs - 1)
        amounts.append(total - sum(amounts))
        for outpoint in chosen:
            if outpoint in available:
                del available[outpoint]
                spent.append(outpoint)
        tx = _transaction([list(o) for o in chosen], amounts, draw(st.booleans()))
        txs.append(tx.serialize())
        available |= {(tx.txid, n): amount for n, amount in enumerate(amounts)}
    if fault == "early" and len(txs) >= 2:  # swap: a child before its parent
        txs[0], txs[-1] = txs[-1], txs[0]
    return expect("find_double_spend", ref_find_double_spend, [coins, txs])


RANDOM = _scenario()


# --- mistakes -------------------------------------------------------------------------------


def _variant(
    utxos: list[Any],
    txs: list[Any],
    *,
    remove: bool = True,
    add: bool = True,
    duplicates: bool = True,
    missing_first: bool = False,
    amounts: str = "<",
    full_hash: bool = False,
    base: int = 0,
) -> list[Any] | None:
    """The walk with one step changed (to recognise what a student got wrong)."""
    unspent = {(bytes(t), i): amount for t, i, amount, _ in utxos}
    for position, raw in enumerate(txs):
        tx = Transaction.parse(bytes(raw))
        keys = [(i.outpoint.txid, i.outpoint.index) for i in tx.inputs]
        value_out = sum(o.amount for o in tx.outputs)
        if missing_first and any(k not in unspent for k in keys):
            return [position + base, MISSING]
        if duplicates and len(set(keys)) != len(keys):
            return [position + base, DUPLICATE]
        if any(k not in unspent for k in keys):
            return [position + base, MISSING]
        value_in = sum(unspent[k] for k in (set(keys) if not duplicates else keys))
        if (amounts == "<" and value_in < value_out) or (amounts == "<=" and value_in <= value_out):
            return [position + base, BELOWOUT]
        if remove:
            for key in keys:
                unspent.pop(key, None)
        if add:
            txid = sha256d(bytes(raw)) if full_hash else tx.txid
            unspent |= {(txid, n): o.amount for n, o in enumerate(tx.outputs)}
    return None


def _never_passes(reason: str):
    """Premise: cases whose answer is ``reason`` exist, and the submission gets none right."""

    def premise(evidence: Evidence) -> bool:
        expected = [
            o
            for o in evidence.of("find_double_spend")
            if isinstance(o.case.expected, list) and o.case.expected[1] == reason
        ]
        return bool(expected) and not any(o.passed for o in expected)

    return premise


def _other_reason(case: Case, actual: Any) -> bool:
    expected = case.expected
    return (
        isinstance(expected, list)
        and isinstance(actual, list)
        and len(actual) == 2
        and actual[0] == expected[0]
        and actual[1] not in REASONS
    )


MISTAKES = (
    Mistake(
        "spent-not-removed",
        "Remove each outpoint from the set once a transaction spends it: otherwise a second "
        "transaction can spend the same coin again (the double spend you are hunting).",
        variant=lambda u, t: _variant(u, t, remove=False),
    ),
    Mistake(
        "txid-includes-witness",
        "A transaction's new outputs are named by its txid, the hash WITHOUT the witness "
        "(marker, flag and witness data removed): sha256d of all the bytes is the wtxid, and "
        "no outpoint refers to that.",
        variant=lambda u, t: _variant(u, t, full_hash=True),
        whole_evidence=True,  # right on legacy parents, whose txid is sha256d of their bytes
    ),
    Mistake(
        "created-outputs-not-added",
        "A valid transaction's outputs ([txid, 0], [txid, 1], ...) become unspent outputs at "
        "once: a later transaction in the list may spend them.",
        variant=lambda u, t: _variant(u, t, add=False),
    ),
    Mistake(
        "duplicate-not-detected",
        "Check each transaction for an outpoint listed twice in its own inputs FIRST, and "
        "report it as bad-txns-inputs-duplicate.",
        variant=lambda u, t: _variant(u, t, duplicates=False),
        premise=_never_passes(DUPLICATE),
    ),
    Mistake(
        "checks-in-wrong-order",
        "Check for an outpoint listed twice in the same transaction BEFORE looking the "
        "outpoints up: a missing coin listed twice is bad-txns-inputs-duplicate.",
        variant=lambda u, t: _variant(u, t, missing_first=True),
        whole_evidence=True,
    ),
    Mistake(
        "overspend-not-checked",
        "Add up the amounts of the coins a transaction spends: when its outputs pay more than "
        "that, it creates money from nothing (bad-txns-in-belowout).",
        variant=lambda u, t: _variant(u, t, amounts="none"),
        premise=_never_passes(BELOWOUT),
    ),
    Mistake(
        "zero-fee-refused",
        "A transaction may pay no fee: refuse it only when inputs < outputs (strictly less), "
        "not when they are equal.",
        variant=lambda u, t: _variant(u, t, amounts="<="),
        whole_evidence=True,
    ),
    Mistake(
        "position-off-by-one",
        "Positions count from 0: the first transaction of the list is position 0.",
        variant=lambda u, t: _variant(u, t, base=1),
        whole_evidence=True,
    ),
    Mistake(
        "reason-code",
        "Report Bitcoin Core's reason codes exactly: 'bad-txns-inputs-duplicate', "
        "'bad-txns-inputs-missingorspent' or 'bad-txns-in-belowout'.",
        matches=_other_reason,
    ),
)

SPEC = ExerciseSpec(
    exercise_id="double_spend",
    version=3,
    groups=(
        CheckGroup("valid", "Valid lists, chained spends", lambda: _group("valid"), public=True),
        CheckGroup("conflicts", "One coin spent twice", lambda: _group("conflicts"), public=True),
        CheckGroup("missing", "Coins that are not there", lambda: _group("missing")),
        CheckGroup("overspend", "Outputs above inputs", lambda: _group("overspend")),
        random_group("random", "Random UTXO sets and spends", RANDOM, count=40, seed_value=11_002),
    ),
    mistakes=MISTAKES,
)
