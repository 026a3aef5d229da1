"""Segwit's block rules (edu_chain/chain/segwit.py): commitment, weight, sigop cost.

Oracles: BIP141's definitions (the commitment is sha256d of the wtxid Merkle root and the
reserved value; weight = 3 x stripped size + full size, which must equal the sum of the
transactions' own weights plus four times the header and count), Core's reject reasons, and
the sigop counts worked out in the comments.
"""

from __future__ import annotations

import pytest

from edu_chain.chain.segwit import (
    block_weight,
    check_block_sigops,
    check_block_weight,
    check_witness_commitment,
    commitment_output,
    transaction_sigop_cost,
    witness_root,
)
from edu_chain.errors import BlockValidationError
from edu_chain.hashing import hash160, sha256d
from edu_chain.keys import PrivateKey
from edu_chain.merkle import merkle_root
from edu_chain.script.standard import p2pkh, p2wpkh
from edu_chain.tx import OutPoint, Transaction, TxIn, TxOut

KEY = PrivateKey(7)
H = hash160(KEY.public_key.sec())
FLAGS = frozenset({"P2SH", "WITNESS"})
RESERVED = bytes(32)


def segwit_payment() -> Transaction:
    unsigned = Transaction(2, [TxIn(OutPoint(b"\x01" * 32, 0))], [TxOut(9_000, p2pkh(H))])
    return unsigned.sign_input(0, KEY, p2wpkh(H), 10_000)


def block_with(spends: list[Transaction], *, commit: bool = True) -> list[Transaction]:
    coinbase_input = TxIn(OutPoint(bytes(32), 0xFFFFFFFF), b"\x01\x02", witness=(RESERVED,))
    coinbase = Transaction(2, [coinbase_input], [TxOut(50 * 10**8, p2wpkh(H))])
    if commit:
        output = commitment_output([coinbase, *spends], RESERVED)
        coinbase = Transaction(2, coinbase.inputs, [*coinbase.outputs, output])
    return [coinbase, *spends]


def test_the_commitment_is_sha256d_of_the_wtxid_root_and_the_reserved_value() -> None:
    spend = segwit_payment()
    block = block_with([spend])
    assert witness_root(block) == merkle_root([bytes(32), spend.wtxid])
    assert block[0].outputs[-1].script_pubkey[6:] == sha256d(witness_root(block) + RESERVED)
    check_witness_commitment(block)


def test_commitment_failures_give_cores_reasons() -> None:
    spend = segwit_payment()
    block = block_with([spend])
    signature, pubkey = spend.inputs[0].witness
    altered = spend.with_input(0, witness=(signature[:-1] + b"\x02", pubkey))  # hash type
    with pytest.raises(BlockValidationError) as error:
        check_witness_commitment([block[0], altered])
    assert error.value.code == "bad-witness-merkle-match"
    no_nonce = block[0].with_input(0, witness=())
    with pytest.raises(BlockValidationError) as error:
        check_witness_commitment([no_nonce, spend])
    assert error.value.code == "bad-witness-nonce-size"
    uncommitted = block_with([spend], commit=False)
    with pytest.raises(BlockValidationError) as error:
        check_witness_commitment(uncommitted)
    assert error.value.code == "unexpected-witness"


def test_block_weight_is_the_sum_of_its_parts() -> None:
    block = block_with([segwit_payment()])
    assert block_weight(block) == 4 * (80 + 1) + sum(tx.weight for tx in block)
    check_block_weight(block)
    heavy = Transaction(1, [TxIn(OutPoint(b"\x02" * 32, 0), bytes(1_000_000))], [])
    with pytest.raises(BlockValidationError) as error:
        check_block_weight([heavy])
    assert error.value.code == "bad-blk-weight"


def test_sigop_cost() -> None:
    spend = segwit_payment()
    # P2PKH output: 1 legacy sigop x 4; spending P2WPKH: 1 witness sigop x 1
    assert transaction_sigop_cost(spend, [TxOut(10_000, p2wpkh(H))], FLAGS) == 5
    assert transaction_sigop_cost(spend, [TxOut(10_000, p2wpkh(H))], frozenset()) == 4
    check_block_sigops(80_000)
    with pytest.raises(BlockValidationError) as error:
        check_block_sigops(80_001)
    assert error.value.code == "bad-blk-sigops"
