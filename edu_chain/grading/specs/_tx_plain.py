"""Transactions as plain data, the form in which they cross the sandbox boundary.

The exercises ``tx_serialize``, ``sighash_sign`` and ``double_spend`` pass transactions to the
student's code as JSON-able lists (the grading protocol has no dicts or classes)::

    tx     = [version, inputs, outputs, locktime]
    input  = [prev_txid (32 bytes, internal order), prev_index, signature, pubkey, sequence]
    output = [amount, pubkey_hash (20 bytes)]

These helpers convert between that form and :class:`edu_chain.teaching_tx.Transaction` (the
reference), and hold the Hypothesis strategies that generate random transactions.
"""

from __future__ import annotations

from typing import Any

from hypothesis import strategies as st

from edu_chain.teaching_tx import OutPoint, Transaction, TxIn, TxOut

UINT32 = st.integers(0, 2**32 - 1)
UINT64 = st.integers(0, 2**64 - 1)


def to_plain(tx: Transaction) -> list[Any]:
    """A :class:`Transaction` as ``[version, inputs, outputs, locktime]`` lists."""
    return [
        tx.version,
        [[i.outpoint.txid, i.outpoint.index, i.signature, i.pubkey, i.sequence] for i in tx.inputs],
        [[o.amount, o.pubkey_hash] for o in tx.outputs],
        tx.locktime,
    ]


def output_from_plain(output: Any) -> TxOut:
    amount, pubkey_hash = output
    return TxOut(amount, bytes(pubkey_hash))


def from_plain(version: int, inputs: Any, outputs: Any, locktime: int) -> Transaction:
    """The inverse of :func:`to_plain` (arguments spread as the student's functions get them)."""
    return Transaction(
        version,
        tuple(
            TxIn(OutPoint(bytes(txid), index), bytes(signature), bytes(pubkey), sequence)
            for txid, index, signature, pubkey, sequence in inputs
        ),
        tuple(output_from_plain(o) for o in outputs),
        locktime,
    )


PLAIN_INPUT = st.tuples(
    st.binary(min_size=32, max_size=32),
    UINT32,
    st.binary(max_size=72),
    st.binary(max_size=33),
    UINT32,
).map(list)
PLAIN_OUTPUT = st.tuples(UINT64, st.binary(min_size=20, max_size=20)).map(list)
PLAIN_TX = st.tuples(
    UINT32,
    st.lists(PLAIN_INPUT, max_size=3),
    st.lists(PLAIN_OUTPUT, max_size=3),
    UINT32,
).map(list)
"""Random well-formed transactions in plain form (any bytes in the signature fields)."""
