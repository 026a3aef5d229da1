"""Spending an output: scriptSig, scriptPubKey, P2SH and segwit together (Core's ``VerifyScript``).

An input may spend an output when, in this order:

1. the **scriptSig** runs (under SIGPUSHONLY it may only push), then the output's
   **scriptPubKey** runs on the stack it left, and ends with true on top;
2. if the scriptPubKey is a **witness program** (``OP_n <2..40 bytes>``, BIP141) the scriptSig
   must be empty and the *witness* must satisfy the program:
   version 0 with 20 bytes (P2WPKH): the witness is ``<sig> <pubkey>``, run as P2PKH;
   version 0 with 32 bytes (P2WSH): the last witness item is a script whose SHA-256 is the
   program, run on the other items; either way exactly one true item must remain;
   other versions are left to future soft forks (they pass);
3. if the scriptPubKey is **P2SH** (``OP_HASH160 <20 bytes> OP_EQUAL``, BIP16) and step 1
   passed, the scriptSig's last push is a *redeem script*, run on the rest of what the
   scriptSig pushed; a redeem script that is itself a witness program is P2SH-wrapped segwit,
   and the scriptSig must then be exactly that one push;
4. CLEANSTACK (policy): exactly one item left; and a witness nobody used is refused.

:func:`verify_input` is the one call a node or a notebook needs; :func:`verify_script` is the
same with the pieces given separately (how Core's test vectors are run).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from edu_chain.hashing import sha256
from edu_chain.script.checker import (
    SIGVERSION_BASE,
    SIGVERSION_WITNESS_V0,
    SignatureChecker,
    TransactionSignatureChecker,
)
from edu_chain.script.errors import ScriptError
from edu_chain.script.flags import parse_flags
from edu_chain.script.interpreter import eval_script
from edu_chain.script.number import cast_to_bool
from edu_chain.script.opcodes import Opcode
from edu_chain.script.script import MAX_ELEMENT_SIZE, is_push_only, push_data
from edu_chain.script.sighash import SighashCache, TransactionLike


def is_p2sh(script_pubkey: bytes) -> bool:
    """``OP_HASH160 <20 bytes> OP_EQUAL``, byte for byte."""
    return (
        len(script_pubkey) == 23
        and script_pubkey[0] == Opcode.OP_HASH160
        and script_pubkey[1] == 20
        and script_pubkey[22] == Opcode.OP_EQUAL
    )


def witness_program(script_pubkey: bytes) -> tuple[int, bytes] | None:
    """``(version, program)`` when the script is a witness program (BIP141), else None."""
    if not 4 <= len(script_pubkey) <= 42:
        return None
    first = script_pubkey[0]
    if first != Opcode.OP_0 and not Opcode.OP_1 <= first <= Opcode.OP_16:
        return None
    if script_pubkey[1] + 2 != len(script_pubkey):
        return None
    version = 0 if first == Opcode.OP_0 else first - Opcode.OP_1 + 1
    return version, script_pubkey[2:]


def _fail(code: str, message: str) -> ScriptError:
    return ScriptError(code, message)


def _require_true(stack: list[bytes], what: str) -> None:
    if not stack:
        raise _fail("EVAL_FALSE", f"{what} left the stack empty; it must end with true on top")
    if not cast_to_bool(stack[-1]):
        top = f"0x{stack[-1].hex()}" if stack[-1] else "an empty item"
        raise _fail("EVAL_FALSE", f"{what} ended with false ({top}) on top")


def _run(stack, script, flags, checker, sigversion, tracer, phase) -> None:
    if tracer is not None:
        tracer.begin(phase, script, stack)
    eval_script(stack, script, flags, checker, sigversion, tracer)


def _verify_witness_program(
    witness: Sequence[bytes],
    version: int,
    program: bytes,
    flags: frozenset[str],
    checker: SignatureChecker,
    tracer: Any,
) -> None:
    if version != 0:
        if "DISCOURAGE_UPGRADABLE_WITNESS_PROGRAM" in flags:
            raise _fail(
                "DISCOURAGE_UPGRADABLE_WITNESS_PROGRAM",
                f"witness version {version} is reserved for future soft forks",
            )
        return  # anyone can spend it, until a soft fork gives the version a meaning
    stack = list(witness)
    if len(program) == 32:  # P2WSH
        if not stack:
            raise _fail("WITNESS_PROGRAM_WITNESS_EMPTY", "a P2WSH spend needs a witness script")
        witness_script = stack.pop()
        if sha256(witness_script) != program:
            raise _fail(
                "WITNESS_PROGRAM_MISMATCH",
                f"SHA-256 of the witness script is {sha256(witness_script).hex()}, "
                f"the output commits to {program.hex()}",
            )
        phase = "witnessScript"
    elif len(program) == 20:  # P2WPKH
        if len(stack) != 2:
            raise _fail(
                "WITNESS_PROGRAM_MISMATCH",
                f"a P2WPKH witness is <signature> <pubkey>: 2 items, got {len(stack)}",
            )
        witness_script = (
            bytes([Opcode.OP_DUP, Opcode.OP_HASH160])
            + push_data(program)
            + bytes([Opcode.OP_EQUALVERIFY, Opcode.OP_CHECKSIG])
        )
        phase = "P2WPKH script"
    else:
        raise _fail(
            "WITNESS_PROGRAM_WRONG_LENGTH",
            f"a version 0 witness program is 20 or 32 bytes, this one is {len(program)}",
        )
    for item in stack:
        if len(item) > MAX_ELEMENT_SIZE:
            raise _fail("PUSH_SIZE", f"a witness item is {len(item)} bytes, the limit is 520")
    _run(stack, witness_script, flags, checker, SIGVERSION_WITNESS_V0, tracer, phase)
    if len(stack) != 1:
        # Segwit scripts must leave exactly one item.  Core reported this as EVAL_FALSE until
        # 0.21 (CLEANSTACK since Taproot); the vectors this project follows expect EVAL_FALSE.
        raise _fail(
            "EVAL_FALSE", f"a segwit script must leave exactly 1 item, it left {len(stack)}"
        )
    _require_true(stack, phase)


def verify_script(
    script_sig: bytes,
    script_pubkey: bytes,
    witness: Sequence[bytes] = (),
    flags: frozenset[str] | str = frozenset(),
    checker: SignatureChecker | None = None,
    *,
    tracer: Any = None,
) -> None:
    """Check that ``script_sig`` (and ``witness``) unlock ``script_pubkey`` under ``flags``;
    :class:`ScriptError` with Core's error name when not.  See the module docstring."""
    flags = parse_flags(flags)
    checker = checker if checker is not None else SignatureChecker()
    if "SIGPUSHONLY" in flags and not is_push_only(script_sig):
        raise _fail("SIG_PUSHONLY", "the scriptSig may only push data (SIGPUSHONLY)")
    stack: list[bytes] = []
    _run(stack, script_sig, flags, checker, SIGVERSION_BASE, tracer, "scriptSig")
    stack_after_sig = list(stack)
    _run(stack, script_pubkey, flags, checker, SIGVERSION_BASE, tracer, "scriptPubKey")
    _require_true(stack, "the scriptPubKey")

    had_witness = False
    program = witness_program(script_pubkey) if "WITNESS" in flags else None
    if program is not None:
        had_witness = True
        if script_sig:
            raise _fail("WITNESS_MALLEATED", "a native segwit output needs an empty scriptSig")
        _verify_witness_program(witness, *program, flags, checker, tracer)
        stack = stack[:1]

    if "P2SH" in flags and is_p2sh(script_pubkey):
        if not is_push_only(script_sig):
            raise _fail("SIG_PUSHONLY", "a P2SH scriptSig may only push data")
        stack = stack_after_sig
        redeem_script = stack.pop()  # not empty: HASH160 would have failed on an empty stack
        _run(stack, redeem_script, flags, checker, SIGVERSION_BASE, tracer, "redeemScript")
        _require_true(stack, "the redeem script")
        program = witness_program(redeem_script) if "WITNESS" in flags else None
        if program is not None:
            had_witness = True
            if script_sig != push_data(redeem_script):
                raise _fail(
                    "WITNESS_MALLEATED_P2SH",
                    "a P2SH-wrapped segwit scriptSig must be exactly one push of the program",
                )
            _verify_witness_program(witness, *program, flags, checker, tracer)
            stack = stack[:1]

    if "CLEANSTACK" in flags and len(stack) != 1:
        raise _fail("CLEANSTACK", f"the stack must end with exactly 1 item, it has {len(stack)}")
    if "WITNESS" in flags and not had_witness and len(witness) > 0:
        raise _fail("WITNESS_UNEXPECTED", "this input has a witness but spends no segwit output")


def verify_input(
    tx: TransactionLike,
    index: int,
    script_pubkey: bytes,
    amount: int,
    flags: frozenset[str],
    *,
    cache: SighashCache | None = None,
    tracer: Any = None,
) -> None:
    """Check that input ``index`` of ``tx`` may spend an output holding ``amount`` base units
    locked by ``script_pubkey``; :class:`ScriptError` (``.code``: Core's name) when not.

    Pass one ``cache`` (``SighashCache(tx)``) for all inputs of a transaction so BIP143's
    digests are computed once.
    """
    if not 0 <= index < len(tx.inputs):
        raise IndexError(f"input {index} does not exist; the transaction has {len(tx.inputs)}")
    tx_input = tx.inputs[index]
    checker = TransactionSignatureChecker(tx, index, amount, cache)
    verify_script(
        tx_input.script_sig,  # type: ignore[attr-defined]
        script_pubkey,
        tx_input.witness,  # type: ignore[attr-defined]
        flags,
        checker,
        tracer=tracer,
    )
