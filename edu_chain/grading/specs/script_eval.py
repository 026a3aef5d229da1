"""Hidden checks for the ``script_eval`` exercise: a Script interpreter for a P2PKH subset.

Contract:

- ``run_script(script, stack, valid_signatures) -> list[bytes]``: run ``script`` on ``stack``
  (bottom first) as Bitcoin Core's ``EvalScript`` does with no flags, and return the final
  stack; raise ``ValueError`` when the script fails.  OP_CHECKSIG's answer comes from
  ``valid_signatures``, a list of ``[signature, pubkey]`` pairs that "verify" (no real ECDSA);
- ``verify_spend(script_sig, script_pubkey, valid_signatures) -> bool``: run the scriptSig on
  an empty stack, then the scriptPubKey on the stack it leaves (two separate runs), and say
  whether both succeed and the final stack's top item is true (Core's ``VerifyScript`` with
  no flags).

Reference: :func:`edu_chain.script.eval_script` and :func:`edu_chain.script.verify_script`
with a checker that answers from ``valid_signatures``.  The graded scripts use only the
opcodes in ``SUBSET``; the mistakes are modelled by :func:`_model`, a small interpreter of
that subset with switches (it equals the reference with every switch off: see
``tests/functional/test_exercises_grading.py``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from hypothesis import strategies as st

from edu_chain.grading.spec import (
    Case,
    CheckGroup,
    Evidence,
    ExerciseSpec,
    Mistake,
    Raises,
    expect,
    random_group,
)
from edu_chain.hashing import hash160, sha256
from edu_chain.script import ScriptError, SignatureChecker, eval_script, verify_script
from edu_chain.script.number import cast_to_bool, decode_num, encode_num
from edu_chain.script.opcodes import Opcode as Op
from edu_chain.script.script import push_data, push_int
from edu_chain.script.standard import p2pkh

RUN, SPEND = "run_script", "verify_spend"
INVALID = Raises("ValueError")

SUBSET = (
    Op.OP_0,
    Op.OP_PUSHDATA1,
    Op.OP_1NEGATE,
    *range(Op.OP_1, Op.OP_16 + 1),
    Op.OP_NOP,
    Op.OP_IF,
    Op.OP_NOTIF,
    Op.OP_ELSE,
    Op.OP_ENDIF,
    Op.OP_VERIFY,
    Op.OP_RETURN,
    Op.OP_DROP,
    Op.OP_DUP,
    Op.OP_SWAP,
    Op.OP_EQUAL,
    Op.OP_EQUALVERIFY,
    Op.OP_1ADD,
    Op.OP_1SUB,
    Op.OP_NOT,
    Op.OP_ADD,
    Op.OP_SUB,
    Op.OP_SHA256,
    Op.OP_HASH160,
    Op.OP_CHECKSIG,
    Op.OP_CHECKSIGVERIFY,
)  # plus direct pushes of 1 to 75 bytes


class ListChecker(SignatureChecker):
    """A signature "verifies" when ``[signature, pubkey]`` is one of the given pairs."""

    def __init__(self, valid_signatures: Any) -> None:
        self.valid = {(bytes(sig), bytes(pubkey)) for sig, pubkey in valid_signatures}

    def check_signature(
        self, signature: bytes, pubkey: bytes, script_code: bytes, sigversion: str
    ) -> bool:
        return (signature, pubkey) in self.valid


def ref_run_script(script: bytes, stack: Any, valid_signatures: Any) -> list[bytes]:
    stack = [bytes(item) for item in stack]
    try:
        eval_script(stack, script, frozenset(), ListChecker(valid_signatures))
    except ScriptError as error:
        raise ValueError(error.code) from None
    return stack


def ref_verify_spend(script_sig: bytes, script_pubkey: bytes, valid_signatures: Any) -> bool:
    try:
        verify_script(script_sig, script_pubkey, (), frozenset(), ListChecker(valid_signatures))
    except ScriptError:
        return False
    return True


# --- the subset, modelled (with the typical mistakes as switches) ---------------------------


@dataclass(frozen=True)
class Misreading:
    """Which typical mistakes the model makes (all off: the reference's behaviour)."""

    sub_swapped: bool = False
    twos_complement: bool = False
    negative_zero_true: bool = False
    false_branch_pushes: bool = False
    unbalanced_ok: bool = False
    equalverify_keeps: bool = False


def _model(script: bytes, stack: Any, valid_signatures: Any, **mistakes: bool) -> list[bytes]:
    """The subset's interpreter (raises ValueError on failure), or a typical misreading."""
    how = Misreading(**mistakes)
    stack = [bytes(item) for item in stack]
    valid = {(bytes(sig), bytes(pubkey)) for sig, pubkey in valid_signatures}
    conditions: list[bool] = []
    position = 0
    while position < len(script):
        opcode, data, position = _read(script, position)
        running = all(conditions)
        if data is not None:
            if running or how.false_branch_pushes:
                stack.append(data)
        elif opcode in (Op.OP_IF, Op.OP_NOTIF, Op.OP_ELSE, Op.OP_ENDIF):
            _branch(opcode, stack, conditions, running, how)
        elif running:
            _operate(opcode, stack, valid, how)
    if conditions and not how.unbalanced_ok:
        raise ValueError("OP_IF without OP_ENDIF")
    return stack


def _read(script: bytes, position: int) -> tuple[int, bytes | None, int]:
    """(opcode, pushed data or None, position after it)."""
    opcode = script[position]
    position += 1
    if opcode > Op.OP_PUSHDATA1:
        return opcode, None, position
    size = opcode
    if opcode == Op.OP_PUSHDATA1:
        if position >= len(script):
            raise ValueError("push past the end")
        size = script[position]
        position += 1
    if position + size > len(script):
        raise ValueError("push past the end")
    return opcode, script[position : position + size], position + size


def _pop(stack: list[bytes]) -> bytes:
    if not stack:
        raise ValueError("stack underflow")
    return stack.pop()


def _truth(item: bytes, how: Misreading) -> bool:
    return any(item) if how.negative_zero_true else cast_to_bool(item)


def _number(item: bytes, how: Misreading) -> int:
    if len(item) > 4:
        raise ValueError("number operand longer than 4 bytes")
    return int.from_bytes(item, "little", signed=True) if how.twos_complement else decode_num(item)


def _encode(value: int, how: Misreading) -> bytes:
    if how.twos_complement and value < 0:
        size = 1
        while value < -(2 ** (8 * size - 1)):
            size += 1
        return value.to_bytes(size, "little", signed=True)
    return encode_num(value)


def _branch(
    opcode: int, stack: list[bytes], conditions: list[bool], running: bool, how: Misreading
) -> None:
    if opcode in (Op.OP_IF, Op.OP_NOTIF):
        value = running and _truth(_pop(stack), how) != (opcode == Op.OP_NOTIF)
        conditions.append(value)
    elif not conditions:
        if not how.unbalanced_ok:
            raise ValueError("OP_ELSE or OP_ENDIF without OP_IF")
    elif opcode == Op.OP_ELSE:
        conditions[-1] = not conditions[-1]
    else:
        conditions.pop()


def _operate(opcode: int, stack: list[bytes], valid: set[Any], how: Misreading) -> None:
    """Run one operation other than a push or a branch."""
    if opcode == Op.OP_1NEGATE or Op.OP_1 <= opcode <= Op.OP_16:
        stack.append(_encode(opcode - Op.OP_1 + 1, how))
    elif opcode == Op.OP_VERIFY:
        if not _truth(_pop(stack), how):
            raise ValueError("OP_VERIFY: false")
    elif opcode == Op.OP_RETURN:
        raise ValueError("OP_RETURN")
    elif opcode == Op.OP_DROP:
        _pop(stack)
    elif opcode == Op.OP_DUP:
        stack += [_pop(stack)] * 2
    elif opcode == Op.OP_SWAP:
        b, a = _pop(stack), _pop(stack)
        stack += [b, a]
    elif opcode in (Op.OP_EQUAL, Op.OP_EQUALVERIFY):
        b, a = _pop(stack), _pop(stack)
        if opcode == Op.OP_EQUAL or how.equalverify_keeps:
            stack.append(b"\x01" if a == b else b"")
        if opcode == Op.OP_EQUALVERIFY and a != b:
            raise ValueError("OP_EQUALVERIFY: not equal")
    elif opcode in (Op.OP_1ADD, Op.OP_1SUB, Op.OP_NOT):
        a = _number(_pop(stack), how)
        result = {Op.OP_1ADD: a + 1, Op.OP_1SUB: a - 1, Op.OP_NOT: int(a == 0)}[opcode]
        stack.append(_encode(result, how))
    elif opcode in (Op.OP_ADD, Op.OP_SUB):
        b, a = _number(_pop(stack), how), _number(_pop(stack), how)
        if opcode == Op.OP_ADD:
            stack.append(_encode(a + b, how))
        else:
            stack.append(_encode(b - a if how.sub_swapped else a - b, how))
    elif opcode in (Op.OP_SHA256, Op.OP_HASH160):
        stack.append((sha256 if opcode == Op.OP_SHA256 else hash160)(_pop(stack)))
    elif opcode in (Op.OP_CHECKSIG, Op.OP_CHECKSIGVERIFY):
        pubkey, sig = _pop(stack), _pop(stack)
        ok = (sig, pubkey) in valid
        if opcode == Op.OP_CHECKSIG:
            stack.append(b"\x01" if ok else b"")
        elif not ok:
            raise ValueError("OP_CHECKSIGVERIFY: invalid signature")
    elif opcode != Op.OP_NOP:
        raise ValueError(f"opcode 0x{opcode:02x} is outside the subset")


def _spend_model(
    script_sig: bytes,
    script_pubkey: bytes,
    valid_signatures: Any,
    *,
    concatenated: bool = False,
    empty_is_true: bool = False,
) -> bool:
    try:
        if concatenated:
            stack = _model(script_sig + script_pubkey, [], valid_signatures)
        else:
            stack = _model(script_sig, [], valid_signatures)
            stack = _model(script_pubkey, stack, valid_signatures)
    except ValueError:
        return False
    if not stack:
        return empty_is_true
    return empty_is_true or cast_to_bool(stack[-1])


# --- cases ------------------------------------------------------------------------------

ALICE_PUBKEY = bytes.fromhex("02" + "a1" * 32)
ALICE_SIG = bytes.fromhex("3006020101020101") + b"\x01"
MALLORY_PUBKEY = bytes.fromhex("03" + "66" * 32)
VALID = [[ALICE_SIG, ALICE_PUBKEY]]


def s(*parts: int | bytes) -> bytes:
    """A script from opcodes (ints) and data to push (bytes)."""
    return b"".join(bytes([p]) if isinstance(p, int) else push_data(p) for p in parts)


def _run(script: bytes, stack: list[bytes], label: str, valid: Any = ()) -> Case:
    return expect(RUN, ref_run_script, [script, stack, [list(v) for v in valid]], label)


def _known() -> list[Case]:
    p2pkh_script = p2pkh(hash160(ALICE_PUBKEY))
    return [
        _run(s(Op.OP_2, Op.OP_3, Op.OP_ADD), [], "2 3 ADD"),
        _run(s(Op.OP_2, Op.OP_3, Op.OP_ADD, Op.OP_5, Op.OP_EQUAL), [], "2 3 ADD 5 EQUAL"),
        _run(s(Op.OP_5, Op.OP_3, Op.OP_SUB), [], "5 3 SUB: 5 - 3"),
        _run(s(Op.OP_0, Op.OP_1NEGATE, Op.OP_16), [], "0, -1, 16"),
        _run(s(b"abc", Op.OP_DUP, Op.OP_SHA256, Op.OP_SWAP), [], "push, DUP, SHA256, SWAP"),
        _run(p2pkh_script, [ALICE_SIG, ALICE_PUBKEY], "P2PKH, Alice's signature", VALID),
        _run(p2pkh_script, [ALICE_SIG, MALLORY_PUBKEY], "P2PKH, another key: EQUALVERIFY", VALID),
        _run(s(Op.OP_1, Op.OP_IF, Op.OP_2, Op.OP_ELSE, Op.OP_3, Op.OP_ENDIF), [], "IF taken"),
        _run(s(Op.OP_0, Op.OP_IF, Op.OP_2, Op.OP_ELSE, Op.OP_3, Op.OP_ENDIF), [], "ELSE taken"),
        _run(s(Op.OP_1, Op.OP_VERIFY), [], "1 VERIFY: empty stack, success"),
        _run(s(Op.OP_ADD), [b"\x01"], "ADD with one item: underflow"),
        _run(s(Op.OP_RETURN), [], "OP_RETURN fails"),
    ]


def _arithmetic() -> list[Case]:
    cases = [
        _run(s(Op.OP_1NEGATE, Op.OP_1SUB), [], "-1 - 1 = -2 (0x82)"),
        _run(s(Op.OP_2, Op.OP_5, Op.OP_SUB), [], "2 - 5 = -3 (0x83): a b SUB is a - b"),
        _run(s(Op.OP_1, Op.OP_1SUB), [], "1 - 1 = 0: the empty item"),
        _run(s(Op.OP_1NEGATE, Op.OP_1ADD), [], "-1 + 1 = 0"),
        _run(s(b"\x7f", Op.OP_1ADD), [], "127 + 1 = 128 (0x8000)"),
        _run(s(b"\xff", Op.OP_1ADD), [], "0xff is -127: -127 + 1 = -126"),
        _run(s(b"\x80\x00", Op.OP_1SUB), [], "128 - 1 = 127"),
        _run(s(b"\xff\xff\xff\x7f", Op.OP_1ADD), [], "2**31 - 1 + 1: results may be 5 bytes"),
        _run(s(b"\x00\x00\x00\x00\x01", Op.OP_1ADD), [], "a 5-byte operand fails"),
        _run(s(Op.OP_0, Op.OP_NOT, Op.OP_5, Op.OP_NOT), [], "NOT 0 = 1, NOT 5 = 0"),
        _run(s(b"\x80", Op.OP_NOT), [], "0x80 is negative zero: NOT gives 1"),
        _run(s(b"\x00\x00", Op.OP_1ADD), [], "0x0000 is zero, not minimal: accepted"),
        _run(s(Op.OP_16, Op.OP_16, Op.OP_ADD, Op.OP_NOT), [], "16 + 16 = 32, NOT = 0"),
        _run(s(Op.OP_3, Op.OP_1NEGATE, Op.OP_SUB), [], "3 - (-1) = 4"),
        _run(s(Op.OP_1NEGATE, Op.OP_3, Op.OP_SUB), [], "-1 - 3 = -4"),
    ]
    return cases


def _flow() -> list[Case]:
    return [
        _run(s(b"\x80", Op.OP_IF, Op.OP_2, Op.OP_ELSE, Op.OP_3, Op.OP_ENDIF), [], "0x80 is false"),
        _run(s(b"\x00\x80", Op.OP_VERIFY), [], "0x0080 is negative zero: VERIFY fails"),
        _run(s(b"\x00\x01", Op.OP_VERIFY), [], "0x0001 is true"),
        _run(s(Op.OP_0, Op.OP_NOTIF, Op.OP_7, Op.OP_ENDIF), [], "NOTIF 0 runs"),
        _run(s(Op.OP_0, Op.OP_IF, b"skip", Op.OP_ENDIF), [], "a push in a branch not taken"),
        _run(s(Op.OP_0, Op.OP_IF, Op.OP_RETURN, Op.OP_ENDIF, Op.OP_1), [], "RETURN not taken"),
        _run(
            s(
                Op.OP_0,
                Op.OP_IF,
                Op.OP_1,
                Op.OP_IF,
                Op.OP_2,
                Op.OP_ENDIF,
                Op.OP_ELSE,
                Op.OP_3,
                Op.OP_ENDIF,
            ),
            [],
            "nested IF inside a branch not taken",
        ),
        _run(s(Op.OP_1, Op.OP_IF, Op.OP_2), [], "IF without ENDIF fails"),
        _run(s(Op.OP_1, Op.OP_ENDIF), [], "ENDIF without IF fails"),
        _run(s(Op.OP_1, Op.OP_ELSE, Op.OP_ENDIF), [], "ELSE without IF fails"),
        _run(s(Op.OP_IF, Op.OP_ENDIF), [], "IF on an empty stack fails"),
        _run(s(Op.OP_1, Op.OP_ELSE, Op.OP_1, Op.OP_ELSE), [b"\x01"], "stray ELSE"),
        _run(s(b"ab", b"ab", Op.OP_EQUALVERIFY), [], "EQUALVERIFY leaves nothing"),
        _run(s(b"ab", b"ab", Op.OP_EQUAL), [], "EQUAL leaves 0x01"),
        _run(s(b"ab", b"ba", Op.OP_EQUAL), [], "EQUAL leaves the empty item"),
        _run(b"\x05ab", [], "a push past the end fails"),
        _run(b"\x4c\x03abc\x4c", [], "PUSHDATA1, then one without its length"),
        _run(s(ALICE_SIG, ALICE_PUBKEY, Op.OP_CHECKSIG), [], "CHECKSIG: pubkey on top", VALID),
        _run(s(ALICE_PUBKEY, ALICE_SIG, Op.OP_CHECKSIG), [], "CHECKSIG, swapped: false", VALID),
        _run(s(ALICE_SIG, MALLORY_PUBKEY, Op.OP_CHECKSIGVERIFY), [], "CHECKSIGVERIFY fails", VALID),
    ]


def _spend_known() -> list[Case]:
    lock = p2pkh(hash160(ALICE_PUBKEY))
    unlock = s(ALICE_SIG, ALICE_PUBKEY)
    valid = [list(v) for v in VALID]

    def spend(sig: bytes, pub: bytes, label: str) -> Case:
        return expect(SPEND, ref_verify_spend, [sig, pub, valid], label)

    return [
        spend(unlock, lock, "Alice spends her P2PKH output"),
        spend(s(ALICE_SIG, MALLORY_PUBKEY), lock, "another key"),
        spend(s(b"\x30\x01", ALICE_PUBKEY), lock, "an invalid signature"),
        spend(s(Op.OP_2, Op.OP_3), s(Op.OP_ADD, Op.OP_5, Op.OP_EQUAL), "2 3 | ADD 5 EQUAL"),
        spend(s(Op.OP_2, Op.OP_2), s(Op.OP_ADD, Op.OP_5, Op.OP_EQUAL), "2 2 | ADD 5 EQUAL"),
        spend(b"", s(Op.OP_1, Op.OP_DROP), "an empty final stack is false"),
        spend(s(b"\x80"), b"", "negative zero on top is false"),
        spend(s(Op.OP_1, Op.OP_IF), s(Op.OP_ENDIF, Op.OP_1), "an IF cannot span the two scripts"),
        spend(b"\x4c\x04", s(Op.OP_1, Op.OP_1, Op.OP_1, Op.OP_1), "a push cannot swallow the lock"),
        spend(s(Op.OP_0), s(Op.OP_1), "OP_1 on top: true, whatever is below"),
    ]


# --- random scripts ------------------------------------------------------------------------

SMALL_ITEMS = st.one_of(
    st.sampled_from([b"", b"\x01", b"\x02", b"\x81", b"\x80", b"\x05", b"\xff", b"\x00\x80"]),
    st.binary(max_size=5),
)
OPS = st.sampled_from(
    [
        Op.OP_0, Op.OP_1NEGATE, Op.OP_1, Op.OP_2, Op.OP_3, Op.OP_16, Op.OP_NOP, Op.OP_IF,
        Op.OP_NOTIF, Op.OP_ELSE, Op.OP_ENDIF, Op.OP_VERIFY, Op.OP_DROP, Op.OP_DUP, Op.OP_SWAP,
        Op.OP_EQUAL, Op.OP_EQUALVERIFY, Op.OP_1ADD, Op.OP_1SUB, Op.OP_NOT, Op.OP_ADD,
        Op.OP_SUB, Op.OP_SHA256, Op.OP_HASH160, Op.OP_CHECKSIG, Op.OP_CHECKSIGVERIFY,
        Op.OP_RETURN,
    ]
)  # fmt: skip
TOKENS = st.one_of(OPS, OPS, SMALL_ITEMS, st.sampled_from([ALICE_SIG, ALICE_PUBKEY]))


def _script(tokens: list[int | bytes]) -> bytes:
    return s(*tokens)


SCRIPTS = st.lists(TOKENS, min_size=1, max_size=10).map(_script)
STACKS = st.lists(SMALL_ITEMS, max_size=3)
RANDOM_RUN = st.tuples(SCRIPTS, STACKS).map(
    lambda args: expect(RUN, ref_run_script, [args[0], args[1], [list(v) for v in VALID]])
)


@st.composite
def _spend_args(draw: Any) -> list[Any]:
    if draw(st.booleans()):  # a P2PKH spend, right or wrong
        pubkey = draw(st.sampled_from([ALICE_PUBKEY, MALLORY_PUBKEY]))
        sig = draw(st.sampled_from([ALICE_SIG, b"\x30\x01"]))
        lock = p2pkh(hash160(draw(st.sampled_from([ALICE_PUBKEY, MALLORY_PUBKEY]))))
        return [s(sig, pubkey), lock, [list(v) for v in VALID]]
    numbers = draw(st.lists(st.integers(-3, 16), max_size=3))
    unlock = b"".join(push_int(n) for n in numbers)
    return [unlock, draw(SCRIPTS), [list(v) for v in VALID]]


RANDOM_SPEND = _spend_args().map(lambda args: expect(SPEND, ref_verify_spend, args))


# --- steps ---------------------------------------------------------------------------------


def _step_cases() -> dict[str, Any]:
    items = [b"", b"\x01", b"\x81", b"\x7f", b"\x80\x00", b"\xff\x00", b"\x80", b"\x00\x80"]
    numbers = [0, 1, -1, 127, 128, -128, 255, -255, 2**31 - 1]
    return {
        "decode_num": lambda: [expect("decode_num", decode_num, [i]) for i in items],
        "encode_num": lambda: [expect("encode_num", encode_num, [n]) for n in numbers],
        "cast_to_bool": lambda: [
            expect("cast_to_bool", cast_to_bool, [i]) for i in [*items, b"\x00\x00", b"\x00\x01"]
        ],
    }


# --- mistakes ------------------------------------------------------------------------------


def _run_mistake(code: str, hint: str, **switch: bool) -> Mistake:
    return Mistake(
        code,
        hint,
        variant=lambda script, stack, valid: _model(script, stack, valid, **switch),
        functions=(RUN,),
    )


def _spend_failures_only(evidence: Evidence) -> bool:
    """run_script is right on every input: the mistake is in verify_spend itself."""
    return not evidence.failing(RUN)


MISTAKES = (
    _run_mistake(
        "sub-operands-swapped",
        "`a b OP_SUB` pushes a - b: b is the TOP item (popped first), a the one below it.",
        sub_swapped=True,
    ),
    _run_mistake(
        "numbers-twos-complement",
        "Script numbers are little-endian SIGN-MAGNITUDE, not two's complement: the top bit of "
        "the last byte is the sign, so -1 is 0x81 and 0xff is -127.",
        twos_complement=True,
    ),
    _run_mistake(
        "negative-zero-true",
        "An item is false when every byte is 0x00, and also when the last byte is 0x80 and the "
        "rest are 0x00: that is 'negative zero' (cast_to_bool in Core).",
        negative_zero_true=True,
    ),
    _run_mistake(
        "false-branch-pushes",
        "Inside a branch that is not taken, nothing runs: data pushes are skipped too; only "
        "IF/NOTIF/ELSE/ENDIF are looked at, to keep track of the nesting.",
        false_branch_pushes=True,
    ),
    _run_mistake(
        "unbalanced-conditional-accepted",
        "Every OP_IF/OP_NOTIF needs its OP_ENDIF, and an OP_ELSE or OP_ENDIF with no open IF "
        "fails the script (UNBALANCED_CONDITIONAL).",
        unbalanced_ok=True,
    ),
    _run_mistake(
        "equalverify-keeps-result",
        "OP_EQUALVERIFY is OP_EQUAL then OP_VERIFY: when the items are equal it leaves NOTHING "
        "on the stack (VERIFY pops the true it checks).",
        equalverify_keeps=True,
    ),
    Mistake(
        "scripts-concatenated",
        "Run the scriptSig and the scriptPubKey SEPARATELY, the second on the stack the first "
        "leaves: concatenated, a scriptSig could open an IF or start a push that swallows the "
        "lock (Core separated them in 2010 for that reason).",
        variant=lambda sig, pub, valid: _spend_model(sig, pub, valid, concatenated=True),
        functions=(SPEND,),
        premise=_spend_failures_only,
    ),
    Mistake(
        "final-stack-not-checked",
        "A spend is valid only when both scripts succeed AND the final stack is not empty and "
        "its top item is true (not 0, not negative zero).",
        variant=lambda sig, pub, valid: _spend_model(sig, pub, valid, empty_is_true=True),
        functions=(SPEND,),
        premise=_spend_failures_only,
    ),
)

SPEC = ExerciseSpec(
    exercise_id="script_eval",
    version=1,
    groups=(
        CheckGroup("run-known", "Arithmetic, hashing, P2PKH, IF/ELSE", _known, public=True),
        CheckGroup("numbers", "Script numbers: sign-magnitude, zero, 4-byte operands", _arithmetic),
        CheckGroup("flow", "Branches, truth, EQUALVERIFY, pushes, CHECKSIG's order", _flow),
        random_group("run-random", "Random scripts", RANDOM_RUN, count=40, seed_value=12_001),
        CheckGroup("spend-known", "P2PKH spends; two runs, not one", _spend_known, public=True),
        random_group("spend-random", "Random spends", RANDOM_SPEND, count=20, seed_value=12_002),
    ),
    mistakes=MISTAKES,
    steps=_step_cases(),
    builds_on={SPEND: (RUN,)},
)
