"""What a signature signs: the legacy sighash and BIP143's (segwit v0).

A signature in an input commits to a digest of the spending transaction, the *sighash*.
Which parts go in is chosen by the **hash type**, the byte after the DER signature:

    type            inputs committed to                 outputs committed to
    ALL       (1)   all                                  all
    NONE      (2)   all (others' sequences zeroed)       none
    SINGLE    (3)   all (others' sequences zeroed)       only the one at the input's index
    |ANYONECANPAY   (0x80 added) only this input         as above

**Legacy** (``SignatureHash`` in Bitcoin Core's ``interpreter.cpp``): serialize a copy of the
transaction in which every scriptSig is empty except this input's, which holds the *script
code* (the script being run, from its last executed OP_CODESEPARATOR on, with any
OP_CODESEPARATOR removed); apply the hash type; append the hash type as 4 bytes;
``sha256d`` it.  Two quirks are consensus and reproduced here: SINGLE with no output at the
input's index signs the number 1 instead of a digest, and so does an input index past the
end.  Hashing the whole transaction once per input makes legacy verification quadratic.

**BIP143** (segwit v0) fixes that: three digests of the whole transaction
(``hash_prevouts``, ``hash_sequence``, ``hash_outputs``) are computed once per transaction
(:class:`SighashCache`) and each input's preimage is a fixed-size record that also commits to
the amount being spent::

    version | hash_prevouts | hash_sequence | outpoint | script_code | amount | sequence
            | hash_outputs | locktime | hash_type

This module sits in the script layer, as in Core, and reads the transaction through the few
attributes below (``TransactionLike``), so ``script/`` never imports ``tx.py``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from edu_chain.encoding import encode_varint
from edu_chain.hashing import sha256d
from edu_chain.script.opcodes import Opcode
from edu_chain.script.script import read_op
from edu_chain.script.signature import SIGHASH_ANYONECANPAY, SIGHASH_NONE, SIGHASH_SINGLE

SIGHASH_ONE = (1).to_bytes(32, "little")
"""What legacy SINGLE signs when its output does not exist (Core's ``uint256::ONE``)."""
_NULL_OUTPUT = b"\xff" * 8 + b"\x00"  # amount -1, empty script: a blanked output in SINGLE


class OutPointLike(Protocol):
    txid: bytes
    index: int


class TxInLike(Protocol):
    outpoint: OutPointLike
    sequence: int


class TxOutLike(Protocol):
    amount: int
    script_pubkey: bytes


class TransactionLike(Protocol):
    version: int
    inputs: Sequence[TxInLike]
    outputs: Sequence[TxOutLike]
    locktime: int


def _outpoint_bytes(tx_input: TxInLike) -> bytes:
    return tx_input.outpoint.txid + tx_input.outpoint.index.to_bytes(4, "little")


def _output_bytes(output: TxOutLike) -> bytes:
    return (
        output.amount.to_bytes(8, "little", signed=True)
        + encode_varint(len(output.script_pubkey))
        + output.script_pubkey
    )


def _failed_read_end(script: bytes, position: int) -> int:
    """Where Core's ``GetOp`` stops when the push at ``position`` runs past the end: after
    the opcode byte, and after its length field if that field is complete."""
    width = {Opcode.OP_PUSHDATA1: 1, Opcode.OP_PUSHDATA2: 2, Opcode.OP_PUSHDATA4: 4}
    stop = position + 1 + width.get(script[position], 0)
    return stop if stop <= len(script) else position + 1


def serialize_script_code(script_code: bytes) -> bytes:
    """The script code as the legacy sighash writes it: length, then the bytes without any
    OP_CODESEPARATOR (Core's ``SerializeScriptCode``).

    Reproduced down to a quirk: when a push runs past the end, the length still counts every
    byte but the bytes stop where the unreadable push was read up to.  (Such a script always
    fails later with BAD_OPCODE; the digest only matters for which error comes first.)
    """
    out = bytearray()
    separators = start = position = 0
    while position < len(script_code):
        op = read_op(script_code, position)
        if op is None:
            position = _failed_read_end(script_code, position)
            break
        if op[0] == Opcode.OP_CODESEPARATOR:
            separators += 1
            out += script_code[start:position]
            start = op[2]
        position = op[2]
    out += script_code[start:position]
    return encode_varint(len(script_code) - separators) + bytes(out)


def legacy_sighash(tx: TransactionLike, index: int, script_code: bytes, hash_type: int) -> bytes:
    """The pre-segwit digest signed by input ``index`` (32 bytes, as ECDSA reads it)."""
    if index >= len(tx.inputs):
        return SIGHASH_ONE
    base_type = hash_type & 0x1F
    if base_type == SIGHASH_SINGLE and index >= len(tx.outputs):
        return SIGHASH_ONE
    anyone_can_pay = bool(hash_type & SIGHASH_ANYONECANPAY)
    parts = [tx.version.to_bytes(4, "little")]

    signed_inputs = [index] if anyone_can_pay else range(len(tx.inputs))
    parts.append(encode_varint(len(signed_inputs)))
    code = serialize_script_code(script_code)
    for position in signed_inputs:
        tx_input = tx.inputs[position]
        parts.append(_outpoint_bytes(tx_input))
        if position == index:
            parts.append(code)
            sequence = tx_input.sequence
        else:
            parts.append(b"\x00")
            zero = base_type in (SIGHASH_NONE, SIGHASH_SINGLE)
            sequence = 0 if zero else tx_input.sequence
        parts.append(sequence.to_bytes(4, "little"))

    if base_type == SIGHASH_NONE:
        parts.append(encode_varint(0))
    elif base_type == SIGHASH_SINGLE:
        parts.append(encode_varint(index + 1))
        parts += [_NULL_OUTPUT] * index
        parts.append(_output_bytes(tx.outputs[index]))
    else:
        parts.append(encode_varint(len(tx.outputs)))
        parts += [_output_bytes(output) for output in tx.outputs]
    parts.append(tx.locktime.to_bytes(4, "little"))
    parts.append((hash_type & 0xFFFFFFFF).to_bytes(4, "little"))
    return sha256d(b"".join(parts))


class SighashCache:
    """The per-transaction digests BIP143 reuses for every input (Core's
    ``PrecomputedTransactionData``), plus a memo of legacy digests already computed, so that
    OP_CHECKMULTISIG trying one signature against several keys hashes once."""

    def __init__(self, tx: TransactionLike) -> None:
        self.tx = tx
        self._bip143: tuple[bytes, bytes, bytes] | None = None
        self._legacy: dict[tuple[int, bytes, int], bytes] = {}

    def bip143_digests(self) -> tuple[bytes, bytes, bytes]:
        """``(hash_prevouts, hash_sequence, hash_outputs)`` over the whole transaction."""
        if self._bip143 is None:
            tx = self.tx
            self._bip143 = (
                sha256d(b"".join(_outpoint_bytes(i) for i in tx.inputs)),
                sha256d(b"".join(i.sequence.to_bytes(4, "little") for i in tx.inputs)),
                sha256d(b"".join(_output_bytes(o) for o in tx.outputs)),
            )
        return self._bip143

    def legacy(self, index: int, script_code: bytes, hash_type: int) -> bytes:
        key = (index, script_code, hash_type)
        digest = self._legacy.get(key)
        if digest is None:
            digest = self._legacy[key] = legacy_sighash(self.tx, index, script_code, hash_type)
        return digest

    def segwit_v0(self, index: int, script_code: bytes, amount: int, hash_type: int) -> bytes:
        """BIP143's digest for input ``index`` spending ``amount`` base units."""
        tx = self.tx
        base_type = hash_type & 0x1F
        anyone_can_pay = bool(hash_type & SIGHASH_ANYONECANPAY)
        hash_prevouts, hash_sequence, hash_outputs = self.bip143_digests()
        zero = bytes(32)
        if anyone_can_pay:
            hash_prevouts = zero
        if anyone_can_pay or base_type in (SIGHASH_NONE, SIGHASH_SINGLE):
            hash_sequence = zero
        if base_type == SIGHASH_SINGLE:
            in_range = index < len(tx.outputs)
            hash_outputs = sha256d(_output_bytes(tx.outputs[index])) if in_range else zero
        elif base_type == SIGHASH_NONE:
            hash_outputs = zero
        tx_input = tx.inputs[index]
        preimage = b"".join(
            (
                tx.version.to_bytes(4, "little"),
                hash_prevouts,
                hash_sequence,
                _outpoint_bytes(tx_input),
                encode_varint(len(script_code)),
                script_code,
                amount.to_bytes(8, "little", signed=True),
                tx_input.sequence.to_bytes(4, "little"),
                hash_outputs,
                tx.locktime.to_bytes(4, "little"),
                (hash_type & 0xFFFFFFFF).to_bytes(4, "little"),
            )
        )
        return sha256d(preimage)
