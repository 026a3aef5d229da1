"""Exercise script_eval: a Bitcoin Script interpreter for the P2PKH/arithmetic subset.

The stack is a list of bytes, bottom first, top last. The operations, numbers (sign-magnitude)
and truth rules are in README.md. OP_CHECKSIG: pop the pubkey (top), then the signature; it is
valid when [signature, pubkey] is in valid_signatures.
You may use hashlib. Check your work:   educhain check script_eval.py
"""

import hashlib

OP_0, OP_PUSHDATA1, OP_1NEGATE, OP_1, OP_16 = 0x00, 0x4C, 0x4F, 0x51, 0x60
OP_NOP, OP_IF, OP_NOTIF, OP_ELSE, OP_ENDIF, OP_VERIFY, OP_RETURN = (
    0x61, 0x63, 0x64, 0x67, 0x68, 0x69, 0x6A,
)  # fmt: skip
OP_DROP, OP_DUP, OP_SWAP, OP_EQUAL, OP_EQUALVERIFY = 0x75, 0x76, 0x7C, 0x87, 0x88
OP_1ADD, OP_1SUB, OP_NOT, OP_ADD, OP_SUB = 0x8B, 0x8C, 0x91, 0x93, 0x94
OP_SHA256, OP_HASH160, OP_CHECKSIG, OP_CHECKSIGVERIFY = 0xA8, 0xA9, 0xAC, 0xAD


def hash160(data: bytes) -> bytes:
    """RIPEMD-160 of SHA-256: what OP_HASH160 pushes."""
    return hashlib.new("ripemd160", hashlib.sha256(data).digest()).digest()


# Helpers you will want (README.md, "Step functions"): decode_num(item) -> int,
# encode_num(value) -> bytes, cast_to_bool(item) -> bool.


def run_script(
    script: bytes, stack: list[bytes], valid_signatures: list[list[bytes]]
) -> list[bytes]:
    """Run `script` on `stack`; return the final stack, raise ValueError if the script fails."""
    # Step 1: position = 0; branches = [] (one bool per open IF: does its branch run?).
    # Step 2: while position < len(script): read the opcode. If it is a push (0x00..0x4c),
    #         read its data (PUSHDATA1: the length is the next byte); past the end: ValueError.
    # Step 3: running = all(branches). Pushes go on the stack only when running.
    #         IF/NOTIF (pop the condition only when running; push False otherwise), ELSE and
    #         ENDIF are handled even when not running; any other operation only when running.
    # Step 4: one block per operation of README.md's table; popping an empty stack, VERIFY on
    #         false, OP_RETURN, a number operand of more than 4 bytes: raise ValueError.
    # Step 5: at the end, an IF still open: ValueError. Return the stack.
    raise NotImplementedError("run_script: follow steps 1-5")


def verify_spend(
    script_sig: bytes, script_pubkey: bytes, valid_signatures: list[list[bytes]]
) -> bool:
    """Does `script_sig` unlock `script_pubkey`?"""
    # Step 1: stack = run_script(script_sig, [], valid_signatures); then
    #         stack = run_script(script_pubkey, stack, valid_signatures) (two runs, not one).
    # Step 2: a ValueError in either run: False.
    # Step 3: True only if the stack is not empty and its top item is true (cast_to_bool).
    raise NotImplementedError("verify_spend: follow steps 1-3")
