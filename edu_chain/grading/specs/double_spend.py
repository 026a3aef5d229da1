"""Hidden checks for the ``double_spend`` exercise: spending against a UTXO set.

Contract: ``find_double_spend(utxos, txs)`` walks ``txs`` in order against the set of unspent
outputs ``utxos`` (each ``[txid, index]``) and returns ``[position, reason]`` for the first
transaction that cannot be applied, or ``None`` when all can.  A transaction is
``[txid, spends, n_outputs]``: the outpoints it spends and how many outputs it creates (the
outpoints ``[txid, 0]`` ... ``[txid, n_outputs - 1]``).  Reasons, as in Bitcoin Core:

- ``bad-txns-inputs-duplicate``: the transaction spends one outpoint twice;
- ``bad-txns-inputs-missingorspent``: it spends an outpoint that is not in the set (it never
  existed, or it was spent already, earlier in the list).

Reference: the library's own rules on real transactions.  Every transaction in a case is a
:class:`edu_chain.teaching_tx.Transaction` with those inputs and ``n_outputs`` outputs, and
the ``txid``
shown to the student is its real id; the reference rebuilds it and runs
:func:`edu_chain.chain.rules.check_transaction` (duplicate inputs),
:func:`edu_chain.chain.rules.spent_coins` over a :class:`~edu_chain.chain.coins.DictCoinView`
(missing or spent), then spends the coins and adds :func:`~edu_chain.chain.coins.coins_created`,
as connecting a block does.
"""

from __future__ import annotations

from typing import Any

from hypothesis import strategies as st

from edu_chain.chain.coins import Coin, DictCoinView, coins_created
from edu_chain.chain.params import ChainParams
from edu_chain.chain.rules import check_transaction, spent_coins
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
from edu_chain.hashing import sha256d
from edu_chain.teaching_tx import OutPoint, Transaction, TxIn, TxOut

DUPLICATE = "bad-txns-inputs-duplicate"
MISSING = "bad-txns-inputs-missingorspent"
PARAMS = ChainParams.for_tests()
OWNER = bytes(20)


def build_tx(spends: list[Any], n_outputs: int) -> Transaction:
    """The real transaction behind ``[txid, spends, n_outputs]``."""
    return Transaction(
        1,
        [TxIn(OutPoint(bytes(txid), index)) for txid, index in spends],
        [TxOut(1_000 + i, OWNER) for i in range(n_outputs)],
        0,
    )


def plain_tx(spends: list[Any], n_outputs: int) -> list[Any]:
    spends = [[bytes(txid), index] for txid, index in spends]
    return [build_tx(spends, n_outputs).txid(), spends, n_outputs]


def ref_find_double_spend(utxos: list[Any], txs: list[Any]) -> list[Any] | None:
    view = DictCoinView(
        {OutPoint(bytes(t), i): Coin(TxOut(1_000, OWNER), 1, False) for t, i in utxos}
    )
    for position, (txid, spends, n_outputs) in enumerate(txs):
        tx = build_tx(spends, n_outputs)
        assert tx.txid() == bytes(txid), "a case's txid must be its transaction's real id"
        try:
            check_transaction(tx, PARAMS)
            spent_coins(tx, view)
        except TxValidationError as error:
            return [position, error.code]
        for tx_in in tx.inputs:
            del view.coins[tx_in.outpoint]
        view.coins.update(coins_created(tx, 2))
    return None


def _outpoint(name: str, index: int = 0) -> list[Any]:
    return [sha256d(name.encode()), index]


def _scenarios() -> dict[str, list[tuple[list[Any], str]]]:
    a, b, c = _outpoint("coin a"), _outpoint("coin b"), _outpoint("coin c", 1)
    pay = plain_tx([a], 2)
    spend_change = plain_tx([[pay[0], 1]], 1)
    return {
        "valid": [
            ([plain_tx([a], 1), plain_tx([b, c], 1)], "two independent spends"),
            ([pay, spend_change], "spending an output created earlier in the list"),
            ([], "no transactions"),
        ],
        "conflicts": [
            ([plain_tx([a], 1), plain_tx([b, a], 1)], "a spent twice, by two transactions"),
            ([plain_tx([b, b], 1)], "b spent twice inside one transaction"),
            (
                [pay, plain_tx([c, [pay[0], 0]], 1), plain_tx([[pay[0], 0]], 1)],
                "a new coin spent twice",
            ),
            (
                [plain_tx([_outpoint("gone"), _outpoint("gone")], 1)],
                "a missing coin listed twice: the duplicate check comes first",
            ),
        ],
        "missing": [
            ([plain_tx([_outpoint("never existed")], 1)], "an outpoint that never existed"),
            ([plain_tx([[a[0], 5]], 1)], "the right txid, an index it does not have"),
            ([spend_change, pay], "spending an output before it is created"),
        ],
    }


def _group(name: str) -> list[Case]:
    utxos = [_outpoint("coin a"), _outpoint("coin b"), _outpoint("coin c", 1)]
    return [
        expect("find_double_spend", ref_find_double_spend, [utxos, txs], label)
        for txs, label in _scenarios()[name]
    ]


@st.composite
def _scenario(draw: Any) -> Case:
    """A random UTXO set and a list of spends, with at most one planted fault."""
    count = draw(st.integers(1, 6))
    utxos = [
        [draw(st.binary(min_size=32, max_size=32)), draw(st.integers(0, 3))] for _ in range(count)
    ]
    utxos = [list(u) for u in {(bytes(t), i): None for t, i in utxos}]
    available = [list(u) for u in utxos]
    spent: list[list[Any]] = []
    txs = []
    length = draw(st.integers(1, 5))
    fault_at = draw(st.integers(0, length - 1))
    fault = draw(st.sampled_from(["none", "respend", "duplicate", "missing", "early"]))
    for position in range(length):
        if not available:
            break
        chosen = draw(
            st.lists(
                st.sampled_from(available),
                min_size=1,
                max_size=3,
                unique_by=lambda o: (bytes(o[0]), o[1]),
            )
        )
        if position == fault_at and fault == "respend" and spent:
            chosen.append(draw(st.sampled_from(spent)))
        elif position == fault_at and fault == "duplicate":
            chosen.append(chosen[0])
        elif position == fault_at and fault == "missing":
            chosen.append([draw(st.binary(min_size=32, max_size=32)), 0])
        for outpoint in chosen:
            if outpoint in available:
                available.remove(outpoint)
                spent.append(outpoint)
        tx = plain_tx(chosen, draw(st.integers(1, 3)))
        txs.append(tx)
        available += [[tx[0], i] for i in range(tx[2])]
    if fault == "early" and len(txs) >= 2:  # swap: a child before its parent
        txs[0], txs[-1] = txs[-1], txs[0]
    return expect("find_double_spend", ref_find_double_spend, [utxos, txs])


RANDOM = _scenario()


# --- mistakes -------------------------------------------------------------------------------


def _variant(
    utxos: list[Any],
    txs: list[Any],
    *,
    remove: bool = True,
    add: bool = True,
    duplicates: bool = True,
    check_first: bool = False,
    missing_first: bool = False,
    base: int = 0,
) -> list[Any] | None:
    """The walk with one step left out (to recognise what a student forgot)."""
    unspent = {(bytes(t), i) for t, i in utxos}
    for position, (txid, spends, n_outputs) in enumerate(txs):
        keys = [(bytes(t), i) for t, i in spends]
        if missing_first and any(k not in unspent for k in keys):
            return [position + base, MISSING]
        if duplicates and len(set(keys)) != len(keys):
            return [position + base, DUPLICATE]
        if check_first and any(k not in unspent for k in keys):
            return [position + base, MISSING]
        for key in keys:
            if key not in unspent and not check_first:
                return [position + base, MISSING]
            if remove:
                unspent.discard(key)
        if add:
            unspent |= {(bytes(txid), i) for i in range(n_outputs)}
    return None


MISTAKES = (
    Mistake(
        "spent-not-removed",
        "Remove each outpoint from the set once a transaction spends it: otherwise a second "
        "transaction can spend the same coin again (the double spend you are hunting).",
        variant=lambda u, t: _variant(u, t, remove=False),
    ),
    Mistake(
        "created-outputs-not-added",
        "A valid transaction's outputs ([txid, 0] ... [txid, n_outputs - 1]) become unspent "
        "outputs at once: a later transaction in the list may spend them.",
        variant=lambda u, t: _variant(u, t, add=False),
    ),
    Mistake(
        "duplicate-not-detected",
        "Check each transaction for an outpoint listed twice in its own inputs FIRST, and "
        "report it as bad-txns-inputs-duplicate.",
        variant=lambda u, t: _variant(u, t, duplicates=False),
        premise=lambda evidence: _no_duplicate_found(evidence),
    ),
    Mistake(
        "duplicate-not-detected",
        "Check each transaction for an outpoint listed twice in its own inputs FIRST, and "
        "report it as bad-txns-inputs-duplicate (your set of outpoints hides the second copy).",
        variant=lambda u, t: _variant(u, t, duplicates=False, check_first=True),
        premise=lambda evidence: _no_duplicate_found(evidence),
    ),
)


def _no_duplicate_found(evidence: Evidence) -> bool:
    """Premise of "duplicate-not-detected": no expected duplicate is ever reported."""
    duplicates = [
        o
        for o in evidence.of("find_double_spend")
        if isinstance(o.case.expected, list) and o.case.expected[1] == DUPLICATE
    ]
    return bool(duplicates) and not any(o.passed for o in duplicates)


def _other_reason(case: Case, actual: Any) -> bool:
    expected = case.expected
    return (
        isinstance(expected, list)
        and isinstance(actual, list)
        and len(actual) == 2
        and actual[0] == expected[0]
        and actual[1] not in (DUPLICATE, MISSING)
    )


MISTAKES = (
    *MISTAKES,
    Mistake(
        "checks-in-wrong-order",
        "Check for an outpoint listed twice in the same transaction BEFORE looking the "
        "outpoints up: a missing coin listed twice is bad-txns-inputs-duplicate.",
        variant=lambda u, t: _variant(u, t, missing_first=True),
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
        "Report Bitcoin Core's reason codes exactly: 'bad-txns-inputs-duplicate' or "
        "'bad-txns-inputs-missingorspent'.",
        matches=_other_reason,
    ),
)

SPEC = ExerciseSpec(
    exercise_id="double_spend",
    version=2,
    groups=(
        CheckGroup("valid", "Valid lists, chained spends", lambda: _group("valid"), public=True),
        CheckGroup("conflicts", "One coin spent twice", lambda: _group("conflicts"), public=True),
        CheckGroup("missing", "Coins that are not there", lambda: _group("missing")),
        random_group("random", "Random UTXO sets and spends", RANDOM, count=60, seed_value=11_001),
    ),
    mistakes=MISTAKES,
)
