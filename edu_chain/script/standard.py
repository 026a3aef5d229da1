"""The standard output scripts: building them, and recognising them (Core's ``Solver``).

    type                    scriptPubKey                                   spent with
    pubkey                  <pubkey> OP_CHECKSIG                           scriptSig <sig>
    pubkeyhash   (P2PKH)    OP_DUP OP_HASH160 <20> OP_EQUALVERIFY          scriptSig <sig> <pubkey>
                            OP_CHECKSIG
    scripthash   (P2SH)     OP_HASH160 <20: hash160(redeem)> OP_EQUAL      scriptSig <...> <redeem>
    multisig                OP_m <pubkey>... OP_n OP_CHECKMULTISIG         scriptSig 0 <sig>...
    nulldata                OP_RETURN <data pushes>                        never: it burns, and
                                                                           records data
    witness_v0_keyhash      OP_0 <20: hash160(pubkey)>                     witness <sig> <pubkey>
      (P2WPKH)
    witness_v0_scripthash   OP_0 <32: sha256(witness script)>              witness <...> <script>
      (P2WSH)
    witness_unknown         OP_1..OP_16 <2..40 bytes>                      (future soft forks)

Note the two hashes: P2SH commits to ``hash160(script)`` (20 bytes), P2WSH to
``sha256(script)`` (32 bytes, for collision resistance).

>>> p2wpkh(bytes(20)).hex()
'00140000000000000000000000000000000000000000'
>>> classify(p2wpkh(bytes(20)))[0]
'witness_v0_keyhash'
"""

from __future__ import annotations

from collections.abc import Sequence

from edu_chain.hashing import hash160, sha256
from edu_chain.script.opcodes import Opcode
from edu_chain.script.script import is_push_only, is_readable, iter_ops, push_data, push_int
from edu_chain.script.verify import is_p2sh, witness_program

MAX_OP_RETURN_RELAY = 100_000
"""Bitcoin Core 30.0's default ``-datacarriersize``: the bytes of OP_RETURN scripts one
standard transaction may hold, all its OP_RETURN outputs together (``MAX_STANDARD_TX_WEIGHT``
/ 4; before 30.0 it was 83 bytes and one output)."""
MAX_MULTISIG_KEYS = 20


def p2pk(pubkey: bytes) -> bytes:
    return push_data(pubkey) + bytes([Opcode.OP_CHECKSIG])


def p2pkh(pubkey_hash: bytes) -> bytes:
    _require_size("public-key hash", pubkey_hash, 20)
    return (
        bytes([Opcode.OP_DUP, Opcode.OP_HASH160])
        + push_data(pubkey_hash)
        + bytes([Opcode.OP_EQUALVERIFY, Opcode.OP_CHECKSIG])
    )


def p2sh(script_hash: bytes) -> bytes:
    """Pay to the redeem script whose hash160 is ``script_hash``."""
    _require_size("script hash", script_hash, 20)
    return bytes([Opcode.OP_HASH160]) + push_data(script_hash) + bytes([Opcode.OP_EQUAL])


def p2wpkh(pubkey_hash: bytes) -> bytes:
    _require_size("public-key hash", pubkey_hash, 20)
    return bytes([Opcode.OP_0]) + push_data(pubkey_hash)


def p2wsh(witness_script_hash: bytes) -> bytes:
    """Pay to the witness script whose SHA-256 is ``witness_script_hash``."""
    _require_size("witness script hash", witness_script_hash, 32)
    return bytes([Opcode.OP_0]) + push_data(witness_script_hash)


def p2sh_for(redeem_script: bytes) -> bytes:
    """The P2SH scriptPubKey that a ``redeem_script`` unlocks."""
    return p2sh(hash160(redeem_script))


def p2wsh_for(witness_script: bytes) -> bytes:
    """The P2WSH scriptPubKey that a ``witness_script`` unlocks."""
    return p2wsh(sha256(witness_script))


def multisig(required: int, pubkeys: Sequence[bytes]) -> bytes:
    """``OP_m <key_1> .. <key_n> OP_n OP_CHECKMULTISIG``: any ``required`` of the keys, whose
    signatures must come in the keys' order."""
    if not 1 <= len(pubkeys) <= 16:
        raise ValueError(f"a standard multisig has 1 to 16 keys, got {len(pubkeys)}")
    if not 1 <= required <= len(pubkeys):
        raise ValueError(f"required signatures must be 1..{len(pubkeys)}, got {required}")
    for key in pubkeys:
        if len(key) not in (33, 65):
            raise ValueError(f"a public key is 33 or 65 bytes, got {len(key)}")
    body = b"".join(push_data(key) for key in pubkeys)
    return push_int(required) + body + push_int(len(pubkeys)) + bytes([Opcode.OP_CHECKMULTISIG])


def op_return(data: bytes) -> bytes:
    """An unspendable output that records ``data`` on the chain."""
    return bytes([Opcode.OP_RETURN]) + push_data(data)


def classify(script_pubkey: bytes) -> tuple[str, list[bytes]]:
    """``(type, solutions)`` as Core's ``Solver``: the hash, keys or program the template holds.

    For multisig the solutions are ``[m, key_1, .., key_n, n]`` with m and n as one byte each.
    """
    s = script_pubkey
    if is_p2sh(s):
        return "scripthash", [s[2:22]]
    program = witness_program(s)
    if program is not None:
        version, data = program
        if version == 0 and len(data) == 20:
            return "witness_v0_keyhash", [data]
        if version == 0 and len(data) == 32:
            return "witness_v0_scripthash", [data]
        if version != 0:
            return "witness_unknown", [bytes([version]), data]
        return "nonstandard", []
    if s[:1] == bytes([Opcode.OP_RETURN]) and is_push_only(s[1:]):
        return "nulldata", []
    if len(s) in (35, 67) and s[0] == len(s) - 2 and s[-1] == Opcode.OP_CHECKSIG:
        return "pubkey", [s[1:-1]]
    if len(s) == 25 and s[:3] == b"\x76\xa9\x14" and s[23:] == b"\x88\xac":
        return "pubkeyhash", [s[3:23]]
    keys = _match_multisig(s)
    if keys is not None:
        return "multisig", keys
    return "nonstandard", []


def _match_multisig(s: bytes) -> list[bytes] | None:
    if not is_readable(s):
        return None
    ops = list(iter_ops(s))
    if len(ops) < 4 or ops[-1][0] != Opcode.OP_CHECKMULTISIG:
        return None
    first, count_op = ops[0][0], ops[-2][0]
    if not (Opcode.OP_1 <= first <= Opcode.OP_16 and Opcode.OP_1 <= count_op <= Opcode.OP_16):
        return None
    keys = [data for _, data, _ in ops[1:-2]]
    required, count = first - Opcode.OP_1 + 1, count_op - Opcode.OP_1 + 1
    if count != len(keys) or required > count:
        return None
    if any(key is None or len(key) not in (33, 65) for key in keys):
        return None
    return [bytes([required]), *keys, bytes([count])]  # type: ignore[list-item]


def _require_size(name: str, value: bytes, size: int) -> None:
    if not isinstance(value, bytes) or len(value) != size:
        length = len(value) if isinstance(value, bytes) else type(value).__name__
        raise ValueError(f"a {name} is {size} bytes, got {length}")
