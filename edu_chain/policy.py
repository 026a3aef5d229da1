"""Relay policy: which valid transactions a node agrees to relay and keep in its mempool.

Consensus says what a *block* may contain.  Policy is stricter, and only about what a node
passes on: it keeps the network's traffic to shapes everyone understands and leaves room for
soft forks (an upgradable opcode or witness version that is *valid* is still not *relayed*).
A miner may include a non-standard transaction; a node will not forward it.  The rules here
follow the defaults of Bitcoin Core 30.0 (October 2025), ``policy/policy.cpp``, and use its
reject reasons:

    reason                       rule
    version                      transaction version 1 or 2
    tx-size                      weight at most 400,000 (a tenth of a block)
    scriptsig-size               each scriptSig at most 1,650 bytes
    scriptsig-not-pushonly       scriptSigs only push data
    scriptpubkey                 every output is a standard template (script/standard.py);
                                 bare multisig at most 3 keys
    datacarrier                  the OP_RETURN outputs' scripts, all added up, at most
                                 100,000 bytes (any number of OP_RETURN outputs)
    dust                         no output worth less than spending it would cost
    bad-txns-nonstandard-inputs  the outputs spent are standard, a P2SH redeem script has at
                                 most 15 signature operations
    bad-witness-nonstandard      a P2WSH witness script at most 3,600 bytes, at most 100
                                 items of at most 80 bytes each

Script checks at relay also use the stricter ``STANDARD_FLAGS`` (script/flags.py).

Before 30.0, Core relayed one OP_RETURN output of at most 83 bytes (``-datacarriersize=83``);
30.0 made the default 100,000 bytes, counted over the whole transaction (every OP_RETURN
scriptPubKey, opcode and pushes included), and dropped the one-output rule (Core PR #32406,
release notes of 30.0).  At that default the weight limit (``tx-size``) binds first: 100,000
bytes of outputs already weigh 400,000.  ``datacarrier`` refusals come from a node that sets
a smaller budget (``Mempool(max_datacarrier_bytes=...)``, Core's ``-datacarriersize``).
"""

from __future__ import annotations

from collections.abc import Sequence

from edu_chain.errors import TxValidationError
from edu_chain.script import ScriptError, SignatureChecker, eval_script
from edu_chain.script.script import is_push_only
from edu_chain.script.sigops import count_sigops
from edu_chain.script.standard import MAX_OP_RETURN_RELAY as MAX_OP_RETURN_RELAY
from edu_chain.script.standard import classify
from edu_chain.script.verify import witness_program
from edu_chain.tx import Transaction, TxOut

MAX_STANDARD_VERSION = 2
MAX_STANDARD_TX_WEIGHT = 400_000
MAX_STANDARD_SCRIPTSIG_SIZE = 1_650
MAX_BARE_MULTISIG_KEYS = 3
MAX_P2SH_SIGOPS = 15
MAX_STANDARD_P2WSH_SCRIPT_SIZE = 3_600
MAX_STANDARD_P2WSH_STACK_ITEMS = 100
MAX_STANDARD_P2WSH_STACK_ITEM_SIZE = 80
DUST_RELAY_FEE = 3_000
"""Satoshis per 1,000 virtual bytes: Core's default ``-dustrelayfee``."""


def _refuse(code: str, message: str) -> TxValidationError:
    return TxValidationError(code, message)


def dust_threshold(output: TxOut, dust_relay_fee: int = DUST_RELAY_FEE) -> int:
    """The smallest amount worth relaying for this output: the fee, at ``dust_relay_fee``, of
    the output plus the input that would spend it (148 bytes for a legacy input, 67 virtual
    bytes for a segwit one).  Unspendable OP_RETURN outputs have no threshold."""
    script = output.script_pubkey
    if script[:1] == b"\x6a" or len(script) > 10_000:
        return 0
    size = len(output.serialize())
    size += 32 + 4 + 1 + 107 // 4 + 4 if witness_program(script) else 32 + 4 + 1 + 107 + 4
    return dust_relay_fee * size // 1000


def standard_output_type(script_pubkey: bytes) -> str | None:
    """The template name if relay policy accepts this output script, else None."""
    kind, solutions = classify(script_pubkey)
    if kind == "nonstandard":
        return None
    if kind == "multisig":
        required, count = solutions[0][0], solutions[-1][0]
        if not 1 <= required <= count <= MAX_BARE_MULTISIG_KEYS:
            return None
    return kind


def check_standard(tx: Transaction, max_datacarrier_bytes: int = MAX_OP_RETURN_RELAY) -> None:
    """Everything policy checks on the transaction alone (Core's ``IsStandardTx``);
    ``max_datacarrier_bytes`` is Core's ``-datacarriersize`` (83 gives the byte limit of
    the versions before 30.0, spread over any number of outputs as 30.0 does)."""
    if not 1 <= tx.version <= MAX_STANDARD_VERSION:
        raise _refuse("version", f"version {tx.version} is not relayed (1 or 2 are)")
    if tx.weight > MAX_STANDARD_TX_WEIGHT:
        raise _refuse("tx-size", f"weight {tx.weight} is above {MAX_STANDARD_TX_WEIGHT}")
    for index, tx_input in enumerate(tx.inputs):
        if len(tx_input.script_sig) > MAX_STANDARD_SCRIPTSIG_SIZE:
            raise _refuse(
                "scriptsig-size",
                f"input {index}: scriptSig is {len(tx_input.script_sig)} bytes, "
                f"at most {MAX_STANDARD_SCRIPTSIG_SIZE} are relayed",
            )
        if not is_push_only(tx_input.script_sig):
            raise _refuse(
                "scriptsig-not-pushonly", f"input {index}: the scriptSig runs opcodes, not pushes"
            )
    data_bytes_left = max_datacarrier_bytes
    for index, output in enumerate(tx.outputs):
        kind = standard_output_type(output.script_pubkey)
        if kind is None:
            raise _refuse(
                "scriptpubkey",
                f"output {index}: {classify(output.script_pubkey)[0]} script "
                f"{output.script_pubkey.hex()[:40]} is not a standard template",
            )
        if kind == "nulldata":
            size = len(output.script_pubkey)
            if size > data_bytes_left:
                raise _refuse(
                    "datacarrier",
                    f"output {index}: the OP_RETURN outputs' scripts add up to more than "
                    f"{max_datacarrier_bytes} bytes (this one is {size} bytes, "
                    f"{data_bytes_left} were left)",
                )
            data_bytes_left -= size
        elif output.amount < dust_threshold(output):
            raise _refuse(
                "dust",
                f"output {index} pays {output.amount} sat; spending it would cost more than "
                f"it is worth (the threshold for this output type is {dust_threshold(output)})",
            )


def check_standard_inputs(tx: Transaction, spent: Sequence[TxOut]) -> None:
    """Policy on what is spent (Core's ``AreInputsStandard`` and ``IsWitnessStandard``):
    ``spent[i]`` is the output that input ``i`` spends."""
    for index, (tx_input, output) in enumerate(zip(tx.inputs, spent, strict=True)):
        kind = standard_output_type(output.script_pubkey)
        if kind is None or kind == "witness_unknown":
            raise _refuse(
                "bad-txns-nonstandard-inputs",
                f"input {index} spends a non-standard output ({kind or 'nonstandard'})",
            )
        redeem_script = None
        if kind == "scripthash":
            redeem_script = _redeem_script(tx_input.script_sig)
            if redeem_script is None:
                raise _refuse(
                    "bad-txns-nonstandard-inputs",
                    f"input {index}: the P2SH scriptSig does not push a redeem script",
                )
            sigops = count_sigops(redeem_script, accurate=True)
            if sigops > MAX_P2SH_SIGOPS:
                raise _refuse(
                    "bad-txns-nonstandard-inputs",
                    f"input {index}: the redeem script has {sigops} signature operations, "
                    f"at most {MAX_P2SH_SIGOPS} are relayed",
                )
        _check_witness_standard(index, tx_input.witness, output.script_pubkey, redeem_script)


def _check_witness_standard(
    index: int, witness: Sequence[bytes], script_pubkey: bytes, redeem_script: bytes | None
) -> None:
    if not witness:
        return
    program = witness_program(redeem_script if redeem_script is not None else script_pubkey)
    if program is None:
        raise _refuse("bad-witness-nonstandard", f"input {index} has a witness it does not use")
    version, data = program
    if version != 0 or len(data) != 32:
        return
    if len(witness[-1]) > MAX_STANDARD_P2WSH_SCRIPT_SIZE:
        raise _refuse(
            "bad-witness-nonstandard",
            f"input {index}: witness script is {len(witness[-1])} bytes, "
            f"at most {MAX_STANDARD_P2WSH_SCRIPT_SIZE} are relayed",
        )
    items = witness[:-1]
    if len(items) > MAX_STANDARD_P2WSH_STACK_ITEMS:
        raise _refuse("bad-witness-nonstandard", f"input {index}: {len(items)} witness items")
    for item in items:
        if len(item) > MAX_STANDARD_P2WSH_STACK_ITEM_SIZE:
            raise _refuse(
                "bad-witness-nonstandard",
                f"input {index}: a witness item is {len(item)} bytes, at most 80 are relayed",
            )


def _redeem_script(script_sig: bytes) -> bytes | None:
    """What the scriptSig leaves on top: the redeem script (Core runs it with no flags)."""
    stack: list[bytes] = []
    try:
        eval_script(stack, script_sig, frozenset(), SignatureChecker())
    except ScriptError:
        return None
    return stack[-1] if stack else None
