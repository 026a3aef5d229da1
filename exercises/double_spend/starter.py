"""Exercise double_spend: apply transactions to a UTXO set and catch the first bad one.

    utxos = [[txid, index], ...]                    the unspent outputs before the first tx
    txs   = [[txid, spends, n_outputs], ...]        spends = [[txid, index], ...]
Return [position, reason] for the first transaction that cannot be applied, or None.
Check your work:   educhain check double_spend.py
"""

DUPLICATE = "bad-txns-inputs-duplicate"  # one transaction spends the same outpoint twice
MISSING = "bad-txns-inputs-missingorspent"  # the outpoint is not (or no longer) unspent


def find_double_spend(utxos: list[list], txs: list[list]) -> list | None:
    """[position, reason] of the first transaction that cannot be applied, or None."""
    # Step 1: unspent = a set of (txid, index) TUPLES built from utxos (lists cannot go in a
    #         set; bytes and ints can).
    # Step 2: for position, (txid, spends, n_outputs) in enumerate(txs):
    #   2a. outpoints = [(t, i) for t, i in spends]; if two of them are equal,
    #       return [position, DUPLICATE].
    #   2b. if any outpoint is not in unspent, return [position, MISSING]
    #       (it never existed, or an earlier transaction already spent it).
    #   2c. remove every outpoint it spends from unspent;
    #   2d. add its new outputs (txid, 0), ..., (txid, n_outputs - 1) to unspent.
    # Step 3: every transaction applied: return None.
    raise NotImplementedError("find_double_spend: follow steps 1-3")
