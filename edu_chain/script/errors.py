"""Why a script failed: Bitcoin Core's script error names, each with a sentence.

Bitcoin Core reports every script failure with one name from ``ScriptError_t``
(``src/script/script_error.h``), and its test vectors (``script_tests.json``) say which name
each failing case must give.  :class:`ScriptError` carries the same name in ``.code`` so tests,
the node and instructors' scripts can match on it, and a message that says *which opcode*,
*where* and *which stack item* was involved.

>>> error = ScriptError("EVAL_FALSE", "the script ended with false on top of the stack")
>>> error.code
'EVAL_FALSE'
"""

from __future__ import annotations

from edu_chain.errors import ValidationError

SCRIPT_ERRORS: dict[str, str] = {
    "UNKNOWN_ERROR": "an operand was not a valid script number (too long or not minimal)",
    "EVAL_FALSE": "the script ended with an empty stack or false on top",
    "OP_RETURN": "OP_RETURN was executed: this output can never be spent",
    "SCRIPT_SIZE": "the script is longer than 10,000 bytes",
    "PUSH_SIZE": "a pushed item is longer than 520 bytes",
    "OP_COUNT": "more than 201 non-push opcodes were counted",
    "STACK_SIZE": "the stack and alt-stack together hold more than 1,000 items",
    "SIG_COUNT": "OP_CHECKMULTISIG: the signature count is negative or above the key count",
    "PUBKEY_COUNT": "OP_CHECKMULTISIG: the key count is negative or above 20",
    "VERIFY": "OP_VERIFY found false on top of the stack",
    "EQUALVERIFY": "OP_EQUALVERIFY found two different items",
    "CHECKMULTISIGVERIFY": "OP_CHECKMULTISIGVERIFY: the signatures did not verify",
    "CHECKSIGVERIFY": "OP_CHECKSIGVERIFY: the signature did not verify",
    "NUMEQUALVERIFY": "OP_NUMEQUALVERIFY found two different numbers",
    "BAD_OPCODE": "an opcode that does not exist (or a push that runs past the end) was met",
    "DISABLED_OPCODE": "a disabled opcode (OP_CAT, OP_MUL, ...) appears in the script",
    "INVALID_STACK_OPERATION": "an opcode needed more stack items than there were",
    "INVALID_ALTSTACK_OPERATION": "OP_FROMALTSTACK found the alt-stack empty",
    "UNBALANCED_CONDITIONAL": "OP_IF/OP_NOTIF/OP_ELSE/OP_ENDIF do not pair up",
    "NEGATIVE_LOCKTIME": "OP_CHECKLOCKTIMEVERIFY/OP_CHECKSEQUENCEVERIFY got a negative number",
    "UNSATISFIED_LOCKTIME": "the transaction's locktime or sequence does not meet the script's",
    "SIG_HASHTYPE": "the signature's sighash type byte is not one of the defined types",
    "SIG_DER": "the signature is not strict DER (BIP66)",
    "MINIMALDATA": "a push or a number is not in its shortest encoding",
    "SIG_PUSHONLY": "the scriptSig contains an opcode that is not a push",
    "SIG_HIGH_S": "the signature's s is above n/2 (BIP62 low-s rule)",
    "SIG_NULLDUMMY": "OP_CHECKMULTISIG's extra (dummy) item is not empty (BIP147)",
    "PUBKEYTYPE": "a public key is neither a 33-byte compressed nor 65-byte uncompressed key",
    "CLEANSTACK": "the stack should hold exactly one item at the end",
    "MINIMALIF": "OP_IF/OP_NOTIF's argument in segwit must be empty or exactly 0x01",
    "NULLFAIL": "a signature that failed to verify is not empty (BIP146)",
    "DISCOURAGE_UPGRADABLE_NOPS": "an OP_NOPn reserved for future soft forks was executed",
    "DISCOURAGE_UPGRADABLE_WITNESS_PROGRAM": "a witness program of an unknown version is spent",
    "WITNESS_PROGRAM_WRONG_LENGTH": "a version-0 witness program is neither 20 nor 32 bytes",
    "WITNESS_PROGRAM_WITNESS_EMPTY": "a P2WSH output is spent with an empty witness",
    "WITNESS_PROGRAM_MISMATCH": "the witness does not match the witness program",
    "WITNESS_MALLEATED": "a native witness output is spent with a non-empty scriptSig",
    "WITNESS_MALLEATED_P2SH": "the scriptSig of a P2SH-wrapped witness spend is not one push",
    "WITNESS_UNEXPECTED": "an input carries a witness but spends no witness program",
    "WITNESS_PUBKEYTYPE": "a segwit public key is not compressed (BIP143 policy)",
    "OP_CODESEPARATOR": "OP_CODESEPARATOR in a non-segwit script (CONST_SCRIPTCODE)",
    "SIG_FINDANDDELETE": "the signature also appears in the script code (CONST_SCRIPTCODE)",
}
"""Every code :class:`ScriptError` may carry, with what it means."""


class ScriptError(ValidationError):
    """A script did not verify; ``code`` is Bitcoin Core's error name (see SCRIPT_ERRORS).

    ``opcode`` names the opcode that failed (``None`` for checks outside the interpreter,
    such as CLEANSTACK) and ``position`` is its byte offset in the script being run.
    """

    def __init__(
        self, code: str, message: str, *, opcode: str | None = None, position: int | None = None
    ) -> None:
        if code not in SCRIPT_ERRORS:
            raise ValueError(f"unknown script error code {code!r}")
        super().__init__(code, message)
        self.opcode = opcode
        self.position = position
