"""Segwit's block rules (BIP141): the witness commitment, block weight and sigop cost.

A block's Merkle root covers txids, which leave witnesses out.  So that a block still commits
to every witness, the coinbase carries a **witness commitment** in an OP_RETURN output::

    OP_RETURN  0x24  aa21a9ed  <32 bytes: sha256d(witness_root || reserved_value)>

where ``witness_root`` is the Merkle root of the wtxids (the coinbase's counted as 32 zero
bytes) and ``reserved_value`` is the coinbase input's single 32-byte witness item.  A block
without any witness data needs no commitment.  Reject reasons are Bitcoin Core's:
``bad-witness-nonce-size``, ``bad-witness-merkle-match``, ``unexpected-witness``,
``bad-blk-weight``, ``bad-blk-sigops``.

Block **weight** is ``3 x size without witnesses + full size``, at most 4,000,000; the block's
**sigop cost** (script/sigops.py) at most 80,000.
"""

from __future__ import annotations

from collections.abc import Sequence

from edu_chain.encoding import encode_varint
from edu_chain.errors import BlockValidationError
from edu_chain.hashing import sha256d
from edu_chain.merkle import merkle_root
from edu_chain.script.sigops import (
    MAX_BLOCK_SIGOPS_COST,
    WITNESS_SCALE_FACTOR,
    count_sigops,
    p2sh_sigops,
    witness_sigops,
)
from edu_chain.tx import MAX_BLOCK_WEIGHT, Transaction, TxOut

COMMITMENT_HEADER = bytes.fromhex("6a24aa21a9ed")
HEADER_SIZE = 80


def _refuse(code: str, message: str) -> BlockValidationError:
    return BlockValidationError(code, message)


def witness_root(transactions: Sequence[Transaction]) -> bytes:
    """Merkle root of the wtxids, the coinbase's replaced by 32 zero bytes."""
    return merkle_root([bytes(32)] + [tx.wtxid for tx in transactions[1:]])


def witness_commitment(transactions: Sequence[Transaction], reserved_value: bytes) -> bytes:
    """The 32 bytes the coinbase commits to."""
    return sha256d(witness_root(transactions) + reserved_value)


def commitment_output(transactions: Sequence[Transaction], reserved_value: bytes) -> TxOut:
    """The coinbase output that carries the commitment (0 satoshis)."""
    return TxOut(0, COMMITMENT_HEADER + witness_commitment(transactions, reserved_value))


def find_commitment(coinbase: Transaction) -> bytes | None:
    """The commitment in the coinbase's *last* matching output, as Core reads it."""
    found = None
    for output in coinbase.outputs:
        script = output.script_pubkey
        if len(script) >= 38 and script.startswith(COMMITMENT_HEADER):
            found = script[6:38]
    return found


def check_witness_commitment(transactions: Sequence[Transaction]) -> None:
    """Core's ``CheckWitnessMalleation`` for a block whose first transaction is the coinbase."""
    coinbase = transactions[0]
    committed = find_commitment(coinbase)
    if committed is None:
        for tx in transactions:
            if tx.has_witness:
                raise _refuse(
                    "unexpected-witness",
                    f"transaction {tx.id} has witness data but the coinbase commits to none",
                )
        return
    reserved = coinbase.inputs[0].witness
    if len(reserved) != 1 or len(reserved[0]) != 32:
        sizes = [len(item) for item in reserved]
        raise _refuse(
            "bad-witness-nonce-size",
            f"the coinbase witness must be one 32-byte reserved value, found items of {sizes}",
        )
    expected = witness_commitment(transactions, reserved[0])
    if committed != expected:
        raise _refuse(
            "bad-witness-merkle-match",
            f"the coinbase commits to {committed.hex()}, the witnesses give {expected.hex()}",
        )


def block_weight(transactions: Sequence[Transaction]) -> int:
    """``3 x`` the block's size without witnesses ``+`` its full size."""
    count = len(encode_varint(len(transactions)))
    stripped = HEADER_SIZE + count + sum(len(tx.serialize_legacy()) for tx in transactions)
    full = HEADER_SIZE + count + sum(len(tx.serialize()) for tx in transactions)
    return 3 * stripped + full


def check_block_weight(transactions: Sequence[Transaction]) -> None:
    weight = block_weight(transactions)
    if weight > MAX_BLOCK_WEIGHT:
        raise _refuse("bad-blk-weight", f"block weight {weight} is above {MAX_BLOCK_WEIGHT}")


def transaction_sigop_cost(tx: Transaction, spent: Sequence[TxOut], flags: frozenset[str]) -> int:
    """Core's ``GetTransactionSigOpCost``: legacy and P2SH sigops x 4, witness sigops x 1.
    ``spent[i]`` is the output input ``i`` spends (ignored for a coinbase)."""
    legacy = sum(count_sigops(i.script_sig) for i in tx.inputs)
    legacy += sum(count_sigops(o.script_pubkey) for o in tx.outputs)
    cost = legacy * WITNESS_SCALE_FACTOR
    if tx.is_coinbase():
        return cost
    for tx_input, output in zip(tx.inputs, spent, strict=True):
        if "P2SH" in flags:
            cost += p2sh_sigops(tx_input.script_sig, output.script_pubkey) * WITNESS_SCALE_FACTOR
        cost += witness_sigops(tx_input.script_sig, output.script_pubkey, tx_input.witness, flags)
    return cost


def check_block_sigops(total_cost: int) -> None:
    if total_cost > MAX_BLOCK_SIGOPS_COST:
        raise _refuse("bad-blk-sigops", f"sigop cost {total_cost} is above {MAX_BLOCK_SIGOPS_COST}")
