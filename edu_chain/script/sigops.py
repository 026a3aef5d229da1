"""Counting signature operations (Core's ``GetSigOpCount`` and the block's *sigop cost*).

Checking a signature is the expensive part of validating a block, so consensus limits how
many a block may ask for: 80,000 *sigop cost* per block (BIP141).  The count is read from
the scripts without running them:

* **legacy count** (``accurate=False``): every OP_CHECKSIG(VERIFY) counts 1, every
  OP_CHECKMULTISIG(VERIFY) counts 20 (the most keys it can have), in scriptSigs and
  scriptPubKeys; each counts 4 towards the cost (a witness byte is cheaper than a base byte
  by the same factor);
* **P2SH count** (``accurate=True``, BIP16): inside a redeem script, a multisig preceded by
  OP_1..OP_16 counts that number; also times 4;
* **witness count**: a P2WPKH spend costs 1, a P2WSH spend its witness script's accurate
  count, times 1.
"""

from __future__ import annotations

from collections.abc import Sequence

from edu_chain.script.interpreter import MAX_PUBKEYS_PER_MULTISIG
from edu_chain.script.opcodes import Opcode
from edu_chain.script.script import read_op
from edu_chain.script.verify import is_p2sh, witness_program

WITNESS_SCALE_FACTOR = 4
MAX_BLOCK_SIGOPS_COST = 80_000


def count_sigops(script: bytes, *, accurate: bool = False) -> int:
    """Signature operations written in ``script`` (up to the first unreadable push)."""
    count, last, position = 0, None, 0
    while position < len(script):
        op = read_op(script, position)
        if op is None:
            break
        opcode, _, position = op
        if opcode in (Opcode.OP_CHECKSIG, Opcode.OP_CHECKSIGVERIFY):
            count += 1
        elif opcode in (Opcode.OP_CHECKMULTISIG, Opcode.OP_CHECKMULTISIGVERIFY):
            if accurate and last is not None and Opcode.OP_1 <= last <= Opcode.OP_16:
                count += last - Opcode.OP_1 + 1
            else:
                count += MAX_PUBKEYS_PER_MULTISIG
        last = opcode
    return count


def last_push(script_sig: bytes) -> bytes | None:
    """The last item a push-only scriptSig pushes (a P2SH redeem script), else None."""
    data, position = None, 0
    while position < len(script_sig):
        op = read_op(script_sig, position)
        if op is None or op[0] > Opcode.OP_16:
            return None
        data, position = op[1], op[2]
    return data


def p2sh_sigops(script_sig: bytes, script_pubkey: bytes) -> int:
    """The accurate count of the redeem script a P2SH spend reveals (0 for other outputs)."""
    if not is_p2sh(script_pubkey):
        return 0
    redeem_script = last_push(script_sig)
    return count_sigops(redeem_script, accurate=True) if redeem_script else 0


def witness_sigops(
    script_sig: bytes, script_pubkey: bytes, witness: Sequence[bytes], flags: frozenset[str]
) -> int:
    """Signature operations of a segwit spend, native or wrapped in P2SH (Core's
    ``CountWitnessSigOps``)."""
    if "WITNESS" not in flags:
        return 0
    program = witness_program(script_pubkey)
    if program is None and "P2SH" in flags and is_p2sh(script_pubkey):
        redeem_script = last_push(script_sig)
        program = witness_program(redeem_script) if redeem_script else None
    if program is None or program[0] != 0:
        return 0
    if len(program[1]) == 20:
        return 1
    if len(program[1]) == 32 and witness:
        return count_sigops(witness[-1], accurate=True)
    return 0
