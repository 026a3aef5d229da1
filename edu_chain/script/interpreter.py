"""The Script interpreter: runs one script on a stack (Bitcoin Core's ``EvalScript``).

Script is a stack machine with no loops.  Each operation pushes data or pops its operands and
pushes its result; a script *succeeds* when it runs to the end without an error (whether the
final stack means "spendable" is decided by ``verify.py``).  One function per opcode or family
below, found through one table (``OPERATIONS``), in the order of ``opcodes.py``.

What Core checks for every operation, in this order, and so do we:

1. the operation can be read (a push must not run past the end)          BAD_OPCODE
2. a push is at most 520 bytes                                            PUSH_SIZE
3. at most 201 non-push opcodes in the script                             OP_COUNT
4. no disabled opcode, *even in a branch not taken*                       DISABLED_OPCODE
5. then, if the current branch runs: a push goes on the stack (in its
   shortest form under MINIMALDATA); an opcode runs.  IF/NOTIF/ELSE/ENDIF
   run even in a branch not taken, to keep track of the nesting.
6. stack + alt-stack hold at most 1,000 items                             STACK_SIZE

and at the end every IF must have its ENDIF (UNBALANCED_CONDITIONAL).

The interpreter never sees a transaction: signature and timelock questions go to the
``checker`` (see checker.py), as in Core.  A ``tracer`` (see trace.py) may watch every step.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import Any

from edu_chain.hashing import hash160, ripemd160, sha256, sha256d
from edu_chain.script.checker import SIGVERSION_BASE, SIGVERSION_WITNESS_V0, SignatureChecker
from edu_chain.script.errors import ScriptError
from edu_chain.script.number import (
    LOCKTIME_MAX_SIZE,
    ScriptNumberError,
    cast_to_bool,
    decode_num,
    encode_num,
)
from edu_chain.script.opcodes import DISABLED_OPCODES, UPGRADABLE_NOPS, Opcode, opcode_name
from edu_chain.script.script import (
    MAX_ELEMENT_SIZE,
    MAX_SCRIPT_SIZE,
    is_minimal_push,
    push_data,
    read_op,
)
from edu_chain.script.signature import (
    is_compressed_or_uncompressed_pubkey,
    is_compressed_pubkey,
    is_defined_hashtype,
    is_low_s_signature,
    is_valid_signature_encoding,
)

MAX_OPS_PER_SCRIPT = 201
MAX_STACK_SIZE = 1000
MAX_PUBKEYS_PER_MULTISIG = 20
TRUE, FALSE = b"\x01", b""


class Machine:
    """The state of one running script: stacks, branch conditions, where we are."""

    def __init__(
        self,
        script: bytes,
        stack: list[bytes],
        flags: frozenset[str],
        checker: SignatureChecker,
        sigversion: str,
    ) -> None:
        self.script = script
        self.stack = stack
        self.altstack: list[bytes] = []
        self.flags = flags
        self.checker = checker
        self.sigversion = sigversion
        self.conditions: list[bool] = []  # one entry per open IF: is its branch running?
        self.false_conditions = 0  # how many entries are False (the branch runs if 0)
        self.code_start = 0  # where the script code starts: after the last OP_CODESEPARATOR
        self.op_count = 0
        self.position = 0  # byte offset of the operation running now
        self.next_position = 0
        self.opcode = 0
        self.require_minimal = "MINIMALDATA" in flags

    # --- errors and stack access -------------------------------------------------------

    def fail(self, code: str, detail: str) -> ScriptError:
        """An error naming the opcode and its byte offset; ``raise m.fail(...)``."""
        name = opcode_name(self.opcode)
        return ScriptError(
            code,
            f"{name} at byte {self.position}: {detail}",
            opcode=name,
            position=self.position,
        )

    def need(self, count: int) -> None:
        if len(self.stack) < count:
            raise self.fail(
                "INVALID_STACK_OPERATION",
                f"needs {count} stack item{'s' * (count != 1)}, the stack has {len(self.stack)}",
            )

    def pop(self) -> bytes:
        return self.stack.pop()

    def number(self, item: bytes, max_size: int = 4) -> int:
        try:
            return decode_num(item, max_size=max_size, require_minimal=self.require_minimal)
        except ScriptNumberError as error:
            raise self.fail("UNKNOWN_ERROR", str(error)) from None

    def push_bool(self, value: bool) -> None:
        self.stack.append(TRUE if value else FALSE)


# --- running a script -----------------------------------------------------------------


def eval_script(
    stack: list[bytes],
    script: bytes,
    flags: frozenset[str],
    checker: SignatureChecker,
    sigversion: str = SIGVERSION_BASE,
    tracer: Any = None,
) -> None:
    """Run ``script`` on ``stack`` (changed in place); raise :class:`ScriptError` on failure."""
    if len(script) > MAX_SCRIPT_SIZE:
        raise ScriptError(
            "SCRIPT_SIZE", f"the script is {len(script)} bytes, the limit is {MAX_SCRIPT_SIZE}"
        )
    m = Machine(script, stack, flags, checker, sigversion)
    while m.next_position < len(script):
        m.position = m.next_position
        before = tracer.snapshot(m) if tracer is not None else None
        try:
            executed = _step(m)
        except ScriptError as error:
            if tracer is not None:
                tracer.record(m, before, executed=True, error=error)
            raise
        if tracer is not None:
            tracer.record(m, before, executed=executed)
    if m.conditions:
        m.opcode = Opcode.OP_ENDIF
        raise ScriptError(
            "UNBALANCED_CONDITIONAL",
            f"the script ended with {len(m.conditions)} OP_IF/OP_NOTIF without OP_ENDIF",
        )


def _step(m: Machine) -> bool:
    """Read and run the operation at ``m.position``; return whether it ran (its branch runs)."""
    op = read_op(m.script, m.position)
    m.opcode = m.script[m.position]
    if op is None:
        raise m.fail("BAD_OPCODE", "this push runs past the end of the script")
    opcode, data, m.next_position = op
    running = m.false_conditions == 0
    if data is not None and len(data) > MAX_ELEMENT_SIZE:
        raise m.fail("PUSH_SIZE", f"pushes {len(data)} bytes, the limit is {MAX_ELEMENT_SIZE}")
    if opcode > Opcode.OP_16:
        m.op_count += 1
        if m.op_count > MAX_OPS_PER_SCRIPT:
            raise m.fail("OP_COUNT", f"more than {MAX_OPS_PER_SCRIPT} opcodes in one script")
    if opcode in DISABLED_OPCODES:
        raise m.fail("DISABLED_OPCODE", "this opcode is disabled, even in a branch not taken")
    if (
        opcode == Opcode.OP_CODESEPARATOR
        and m.sigversion == SIGVERSION_BASE
        and "CONST_SCRIPTCODE" in m.flags
    ):
        raise m.fail("OP_CODESEPARATOR", "not allowed in non-segwit scripts (CONST_SCRIPTCODE)")
    if data is not None:
        if running:
            if m.require_minimal and not is_minimal_push(opcode, data):
                raise m.fail("MINIMALDATA", f"0x{data.hex()} is not pushed in its shortest form")
            m.stack.append(data)
    elif running or Opcode.OP_IF <= opcode <= Opcode.OP_ENDIF:
        OPERATIONS.get(opcode, _op_bad)(m)
    else:
        return False
    if len(m.stack) + len(m.altstack) > MAX_STACK_SIZE:
        raise m.fail("STACK_SIZE", f"stack and alt-stack hold more than {MAX_STACK_SIZE} items")
    return running


# --- constants and flow control ---------------------------------------------------------


def _op_small_number(m: Machine) -> None:  # OP_1NEGATE, OP_1 .. OP_16
    m.stack.append(encode_num(m.opcode - Opcode.OP_1 + 1))


def _op_nop(m: Machine) -> None:
    pass


def _op_upgradable_nop(m: Machine) -> None:  # OP_NOP1, OP_NOP4 .. OP_NOP10
    if "DISCOURAGE_UPGRADABLE_NOPS" in m.flags:
        raise m.fail("DISCOURAGE_UPGRADABLE_NOPS", "reserved for a future soft fork")


def _op_bad(m: Machine) -> None:  # OP_VER, OP_RESERVED..., unassigned bytes; OP_VERIF always
    raise m.fail("BAD_OPCODE", f"0x{m.opcode:02x} is not an opcode that can run")


def _op_if(m: Machine) -> None:  # OP_IF, OP_NOTIF
    value = False
    if m.false_conditions == 0:
        if not m.stack:
            raise m.fail("UNBALANCED_CONDITIONAL", "needs a condition on the stack, it is empty")
        top = m.stack[-1]
        minimal_if = m.sigversion == SIGVERSION_WITNESS_V0 and "MINIMALIF" in m.flags
        if minimal_if and top not in (b"", b"\x01"):
            raise m.fail("MINIMALIF", f"the condition must be empty or 0x01, got 0x{top.hex()}")
        value = cast_to_bool(top) != (m.opcode == Opcode.OP_NOTIF)
        m.pop()
    m.conditions.append(value)
    m.false_conditions += not value


def _op_else(m: Machine) -> None:
    if not m.conditions:
        raise m.fail("UNBALANCED_CONDITIONAL", "OP_ELSE without OP_IF")
    m.false_conditions += 1 if m.conditions[-1] else -1
    m.conditions[-1] = not m.conditions[-1]


def _op_endif(m: Machine) -> None:
    if not m.conditions:
        raise m.fail("UNBALANCED_CONDITIONAL", "OP_ENDIF without OP_IF")
    m.false_conditions -= not m.conditions.pop()


def _op_verify(m: Machine) -> None:
    m.need(1)
    if not cast_to_bool(m.stack[-1]):
        raise m.fail("VERIFY", "the top item is false")
    m.pop()


def _op_return(m: Machine) -> None:
    raise m.fail("OP_RETURN", "OP_RETURN ends the script in failure (an unspendable output)")


# --- timelocks (BIP65, BIP112) -----------------------------------------------------------


def _op_checklocktimeverify(m: Machine) -> None:
    if "CHECKLOCKTIMEVERIFY" not in m.flags:
        return _op_upgradable_nop(m)  # before BIP65 this byte was OP_NOP2
    m.need(1)
    locktime = m.number(m.stack[-1], LOCKTIME_MAX_SIZE)
    if locktime < 0:
        raise m.fail("NEGATIVE_LOCKTIME", f"the locktime {locktime} is negative")
    if not m.checker.check_locktime(locktime):
        raise m.fail(
            "UNSATISFIED_LOCKTIME",
            f"the script needs locktime {locktime}; the transaction's locktime is earlier, "
            "of the other kind (height vs time), or its input's sequence is final",
        )


def _op_checksequenceverify(m: Machine) -> None:
    if "CHECKSEQUENCEVERIFY" not in m.flags:
        return _op_upgradable_nop(m)  # before BIP112 this byte was OP_NOP3
    m.need(1)
    sequence = m.number(m.stack[-1], LOCKTIME_MAX_SIZE)
    if sequence < 0:
        raise m.fail("NEGATIVE_LOCKTIME", f"the relative locktime {sequence} is negative")
    if sequence & (1 << 31):  # the disable flag: passes, as an upgradable no-op
        return
    if not m.checker.check_sequence(sequence):
        raise m.fail(
            "UNSATISFIED_LOCKTIME",
            f"the script needs relative locktime {sequence:#x}; the input's sequence is "
            "shorter, of the other kind, disabled, or the transaction version is below 2",
        )


# --- stack operations -------------------------------------------------------------------


def _op_toaltstack(m: Machine) -> None:
    m.need(1)
    m.altstack.append(m.pop())


def _op_fromaltstack(m: Machine) -> None:
    if not m.altstack:
        raise m.fail("INVALID_ALTSTACK_OPERATION", "the alt-stack is empty")
    m.stack.append(m.altstack.pop())


def _stack_op(count: int, rearrange: Callable[[list[bytes]], list[bytes]]) -> Callable:
    """An opcode that replaces the top ``count`` items by ``rearrange(those items)``."""

    def operation(m: Machine) -> None:
        m.need(count)
        top = m.stack[-count:]
        del m.stack[-count:]
        m.stack.extend(rearrange(top))

    return operation


def _op_ifdup(m: Machine) -> None:
    m.need(1)
    if cast_to_bool(m.stack[-1]):
        m.stack.append(m.stack[-1])


def _op_depth(m: Machine) -> None:
    m.stack.append(encode_num(len(m.stack)))


def _op_pick_roll(m: Machine) -> None:  # OP_PICK copies item n down, OP_ROLL moves it
    m.need(2)
    n = m.number(m.pop())
    if not 0 <= n < len(m.stack):
        raise m.fail(
            "INVALID_STACK_OPERATION", f"item {n} does not exist in a stack of {len(m.stack)}"
        )
    item = m.stack[-n - 1]
    if m.opcode == Opcode.OP_ROLL:
        del m.stack[-n - 1]
    m.stack.append(item)


def _op_size(m: Machine) -> None:
    m.need(1)
    m.stack.append(encode_num(len(m.stack[-1])))


# --- comparison and arithmetic ----------------------------------------------------------


def _op_equal(m: Machine) -> None:  # OP_EQUAL, OP_EQUALVERIFY
    m.need(2)
    b, a = m.pop(), m.pop()
    if m.opcode == Opcode.OP_EQUALVERIFY:
        if a != b:
            raise m.fail("EQUALVERIFY", f"0x{a.hex()} != 0x{b.hex()}")
        return
    m.push_bool(a == b)


_UNARY: dict[int, Callable[[int], int]] = {
    Opcode.OP_1ADD: lambda a: a + 1,
    Opcode.OP_1SUB: lambda a: a - 1,
    Opcode.OP_NEGATE: lambda a: -a,
    Opcode.OP_ABS: abs,
    Opcode.OP_NOT: lambda a: int(a == 0),
    Opcode.OP_0NOTEQUAL: lambda a: int(a != 0),
}

_BINARY: dict[int, Callable[[int, int], int]] = {
    Opcode.OP_ADD: lambda a, b: a + b,
    Opcode.OP_SUB: lambda a, b: a - b,
    Opcode.OP_BOOLAND: lambda a, b: int(a != 0 and b != 0),
    Opcode.OP_BOOLOR: lambda a, b: int(a != 0 or b != 0),
    Opcode.OP_NUMEQUAL: lambda a, b: int(a == b),
    Opcode.OP_NUMEQUALVERIFY: lambda a, b: int(a == b),
    Opcode.OP_NUMNOTEQUAL: lambda a, b: int(a != b),
    Opcode.OP_LESSTHAN: lambda a, b: int(a < b),
    Opcode.OP_GREATERTHAN: lambda a, b: int(a > b),
    Opcode.OP_LESSTHANOREQUAL: lambda a, b: int(a <= b),
    Opcode.OP_GREATERTHANOREQUAL: lambda a, b: int(a >= b),
    Opcode.OP_MIN: min,
    Opcode.OP_MAX: max,
}


def _op_unary(m: Machine) -> None:
    m.need(1)
    m.stack.append(encode_num(_UNARY[m.opcode](m.number(m.pop()))))


def _op_binary(m: Machine) -> None:
    m.need(2)
    b = m.number(m.stack[-1])
    a = m.number(m.stack[-2])
    del m.stack[-2:]
    result = _BINARY[m.opcode](a, b)
    if m.opcode == Opcode.OP_NUMEQUALVERIFY:
        if not result:
            raise m.fail("NUMEQUALVERIFY", f"{a} != {b}")
        return
    m.stack.append(encode_num(result))


def _op_within(m: Machine) -> None:  # x min max -> min <= x < max
    m.need(3)
    x, low, high = (m.number(item) for item in m.stack[-3:])
    del m.stack[-3:]
    m.push_bool(low <= x < high)


# --- crypto -----------------------------------------------------------------------------

_HASHES: dict[int, Callable[[bytes], bytes]] = {
    Opcode.OP_RIPEMD160: ripemd160,
    Opcode.OP_SHA1: lambda data: hashlib.sha1(data).digest(),
    Opcode.OP_SHA256: sha256,
    Opcode.OP_HASH160: hash160,
    Opcode.OP_HASH256: sha256d,
}


def _op_hash(m: Machine) -> None:
    m.need(1)
    m.stack.append(_HASHES[m.opcode](m.pop()))


def _op_codeseparator(m: Machine) -> None:
    m.code_start = m.next_position  # signatures now sign the script from here on


def find_and_delete(script: bytes, pattern: bytes) -> tuple[bytes, int]:
    """Remove every occurrence of ``pattern`` that starts at an operation boundary (Core's
    ``FindAndDelete``, which legacy signature checks apply to the script code so that a
    signature never signs itself); return the new script and the number removed."""
    if not pattern:
        return script, 0
    found, out, position, kept_from = 0, bytearray(), 0, 0
    while True:
        out += script[kept_from:position]
        while script.startswith(pattern, position):
            position += len(pattern)
            found += 1
        kept_from = position
        if position >= len(script):
            break
        op = read_op(script, position)
        if op is None:
            break
        position = op[2]
    if not found:
        return script, 0
    out += script[kept_from:]
    return bytes(out), found


def _check_signature_encoding(m: Machine, sig: bytes) -> None:
    """The encoding rules the flags ask for (an empty signature is always allowed)."""
    if not sig:
        return
    flags = m.flags
    if {"DERSIG", "LOW_S", "STRICTENC"} & flags and not is_valid_signature_encoding(sig):
        raise m.fail("SIG_DER", f"signature 0x{sig.hex()} is not strict DER + sighash byte")
    if "LOW_S" in flags and not is_low_s_signature(sig):
        raise m.fail("SIG_HIGH_S", "the signature's s is above n/2; use n - s")
    if "STRICTENC" in flags and not is_defined_hashtype(sig):
        raise m.fail("SIG_HASHTYPE", f"sighash type 0x{sig[-1]:02x} is not defined")


def _check_pubkey_encoding(m: Machine, pubkey: bytes) -> None:
    if "STRICTENC" in m.flags and not is_compressed_or_uncompressed_pubkey(pubkey):
        raise m.fail("PUBKEYTYPE", f"public key 0x{pubkey.hex()} is not 33 or 65 SEC bytes")
    if (
        "WITNESS_PUBKEYTYPE" in m.flags
        and m.sigversion == SIGVERSION_WITNESS_V0
        and not is_compressed_pubkey(pubkey)
    ):
        raise m.fail("WITNESS_PUBKEYTYPE", "segwit public keys must be compressed (33 bytes)")


def _script_code(m: Machine, signatures: list[bytes]) -> bytes:
    """What the signatures sign: the script from the last OP_CODESEPARATOR, and in legacy
    scripts without the signatures themselves."""
    code = m.script[m.code_start :]
    if m.sigversion == SIGVERSION_BASE:
        for sig in signatures:
            code, found = find_and_delete(code, push_data(sig))
            if found and "CONST_SCRIPTCODE" in m.flags:
                raise m.fail("SIG_FINDANDDELETE", "the signature also appears in the script")
    return code


def _op_checksig(m: Machine) -> None:  # OP_CHECKSIG, OP_CHECKSIGVERIFY
    m.need(2)
    sig, pubkey = m.stack[-2], m.stack[-1]
    code = _script_code(m, [sig])
    _check_signature_encoding(m, sig)
    _check_pubkey_encoding(m, pubkey)
    ok = m.checker.check_signature(sig, pubkey, code, m.sigversion)
    if not ok and sig and "NULLFAIL" in m.flags:
        raise m.fail("NULLFAIL", "a signature that fails must be empty")
    del m.stack[-2:]
    if m.opcode == Opcode.OP_CHECKSIGVERIFY:
        if not ok:
            raise m.fail("CHECKSIGVERIFY", f"the signature does not verify for 0x{pubkey.hex()}")
        return
    m.push_bool(ok)


def _op_checkmultisig(m: Machine) -> None:  # OP_CHECKMULTISIG, OP_CHECKMULTISIGVERIFY
    """Stack (top last): dummy sig_1 .. sig_m m key_1 .. key_n n.  Signatures must match keys
    in order; walking down from the top, each key is tried once, so a signature whose key was
    passed over can no longer match."""
    m.need(1)
    key_count = m.number(m.stack[-1])
    if not 0 <= key_count <= MAX_PUBKEYS_PER_MULTISIG:
        raise m.fail("PUBKEY_COUNT", f"{key_count} keys; 0 to 20 allowed")
    m.op_count += key_count
    if m.op_count > MAX_OPS_PER_SCRIPT:
        raise m.fail("OP_COUNT", f"more than {MAX_OPS_PER_SCRIPT} opcodes counting its keys")
    m.need(key_count + 2)
    keys = m.stack[-1 - key_count : -1][::-1]  # Core walks from the top: key_n first
    sig_count = m.number(m.stack[-2 - key_count])
    if not 0 <= sig_count <= key_count:
        raise m.fail("SIG_COUNT", f"{sig_count} signatures for {key_count} keys")
    items = key_count + sig_count + 2  # n, the keys, m, the signatures
    m.need(items + 1)  # ... and the dummy below them
    sigs = m.stack[-items : -2 - key_count][::-1]  # sig_m first
    code = _script_code(m, sigs)

    ok, sig_index, key_index = True, 0, 0
    while ok and sig_count - sig_index > 0:
        sig, pubkey = sigs[sig_index], keys[key_index]
        _check_signature_encoding(m, sig)
        _check_pubkey_encoding(m, pubkey)
        if m.checker.check_signature(sig, pubkey, code, m.sigversion):
            sig_index += 1
        key_index += 1
        if sig_count - sig_index > key_count - key_index:  # not enough keys left
            ok = False

    if not ok and "NULLFAIL" in m.flags and any(sigs):
        raise m.fail("NULLFAIL", "a signature that fails must be empty")
    del m.stack[-items:]
    # The original implementation pops one item too many (the "dummy"); it is consensus now.
    if "NULLDUMMY" in m.flags and m.stack[-1]:
        raise m.fail("SIG_NULLDUMMY", f"the dummy item must be empty, got 0x{m.stack[-1].hex()}")
    m.pop()
    if m.opcode == Opcode.OP_CHECKMULTISIGVERIFY:
        if not ok:
            raise m.fail("CHECKMULTISIGVERIFY", "the signatures do not verify")
        return
    m.push_bool(ok)


def _table() -> dict[int, Callable[[Machine], None]]:
    O = Opcode
    table: dict[int, Callable[[Machine], None]] = {
        O.OP_NOP: _op_nop,
        O.OP_IF: _op_if,
        O.OP_NOTIF: _op_if,
        O.OP_ELSE: _op_else,
        O.OP_ENDIF: _op_endif,
        O.OP_VERIFY: _op_verify,
        O.OP_RETURN: _op_return,
        O.OP_CHECKLOCKTIMEVERIFY: _op_checklocktimeverify,
        O.OP_CHECKSEQUENCEVERIFY: _op_checksequenceverify,
        O.OP_TOALTSTACK: _op_toaltstack,
        O.OP_FROMALTSTACK: _op_fromaltstack,
        O.OP_2DROP: _stack_op(2, lambda s: []),
        O.OP_2DUP: _stack_op(2, lambda s: s + s),
        O.OP_3DUP: _stack_op(3, lambda s: s + s),
        O.OP_2OVER: _stack_op(4, lambda s: [*s, s[0], s[1]]),
        O.OP_2ROT: _stack_op(6, lambda s: [*s[2:], s[0], s[1]]),
        O.OP_2SWAP: _stack_op(4, lambda s: [s[2], s[3], s[0], s[1]]),
        O.OP_IFDUP: _op_ifdup,
        O.OP_DEPTH: _op_depth,
        O.OP_DROP: _stack_op(1, lambda s: []),
        O.OP_DUP: _stack_op(1, lambda s: s + s),
        O.OP_NIP: _stack_op(2, lambda s: [s[1]]),
        O.OP_OVER: _stack_op(2, lambda s: [s[0], s[1], s[0]]),
        O.OP_PICK: _op_pick_roll,
        O.OP_ROLL: _op_pick_roll,
        O.OP_ROT: _stack_op(3, lambda s: [s[1], s[2], s[0]]),
        O.OP_SWAP: _stack_op(2, lambda s: [s[1], s[0]]),
        O.OP_TUCK: _stack_op(2, lambda s: [s[1], s[0], s[1]]),
        O.OP_SIZE: _op_size,
        O.OP_EQUAL: _op_equal,
        O.OP_EQUALVERIFY: _op_equal,
        O.OP_WITHIN: _op_within,
        O.OP_CODESEPARATOR: _op_codeseparator,
        O.OP_CHECKSIG: _op_checksig,
        O.OP_CHECKSIGVERIFY: _op_checksig,
        O.OP_CHECKMULTISIG: _op_checkmultisig,
        O.OP_CHECKMULTISIGVERIFY: _op_checkmultisig,
    }
    table[O.OP_1NEGATE] = _op_small_number
    for value in range(O.OP_1, O.OP_16 + 1):
        table[value] = _op_small_number
    for value in UPGRADABLE_NOPS:
        table[value] = _op_upgradable_nop
    table.update(dict.fromkeys(_UNARY, _op_unary))
    table.update(dict.fromkeys(_BINARY, _op_binary))
    table.update(dict.fromkeys(_HASHES, _op_hash))
    return table


OPERATIONS: dict[int, Callable[[Machine], None]] = _table()
"""Opcode -> the function that runs it.  Anything missing is BAD_OPCODE when it runs."""
