"""The coinbase: the first transaction of every block, which pays the reward.

It has one input spending the null outpoint (32 zero bytes, index 0xffffffff).  Its scriptSig
is free-form data of 2 to 100 bytes, except that since BIP34 it must *start* with the block's
height pushed as a script number (so two coinbases never share a txid); after it we push the
caller's ``extra`` bytes, or ``OP_0`` as Bitcoin Core's miner does.  When any other transaction
of the block has a witness, the coinbase also carries the BIP141 witness commitment (an
OP_RETURN output, see segwit.py) and, as its input's witness, the 32-byte reserved value.

>>> from edu_chain.script.standard import p2wpkh
>>> tx = coinbase_transaction(5, p2wpkh(bytes(20)), 50 * 10**8)
>>> tx.inputs[0].script_sig.hex()           # push 5 (OP_5), then OP_0
'5500'
"""

from __future__ import annotations

from collections.abc import Sequence

from edu_chain.chain.segwit import COMMITMENT_HEADER
from edu_chain.hashing import sha256d
from edu_chain.merkle import merkle_root
from edu_chain.script.script import push_data, push_int
from edu_chain.tx import COINBASE_INDEX, NULL_TXID, OutPoint, Transaction, TxIn, TxOut

WITNESS_RESERVED_VALUE = bytes(32)


def coinbase_script_sig(height: int, extra: bytes = b"") -> bytes:
    """``<height> <extra>`` (or ``<height> OP_0`` without extra)."""
    return push_int(height) + (push_data(bytes(extra)) if extra else b"\x00")


def coinbase_transaction(
    height: int,
    script_pubkey: bytes,
    amount: int,
    extra: bytes = b"",
    transactions: Sequence[Transaction] = (),
) -> Transaction:
    """The coinbase of a block at ``height`` paying ``amount`` to ``script_pubkey``, with the
    witness commitment to ``transactions`` (the block's others) if any of them has a witness."""
    outputs = [TxOut(amount, script_pubkey)]
    witness: tuple[bytes, ...] = ()
    if any(tx.has_witness for tx in transactions):
        root = merkle_root([bytes(32)] + [tx.wtxid for tx in transactions])
        commitment = sha256d(root + WITNESS_RESERVED_VALUE)
        outputs.append(TxOut(0, COMMITMENT_HEADER + commitment))
        witness = (WITNESS_RESERVED_VALUE,)
    script_sig = coinbase_script_sig(height, extra)
    coinbase_input = TxIn(OutPoint(NULL_TXID, COINBASE_INDEX), script_sig, witness=witness)
    return Transaction(1, [coinbase_input], outputs)
