"""Bitcoin Script: parse, print, run and verify scripts as Bitcoin Core does.

Modules, lowest first:

    opcodes.py      the opcode table, with Core's names
    number.py       script numbers (sign-magnitude, minimal encoding, 4/5-byte operands)
    script.py       reading scripts into operations, Core's asm and test notation
    errors.py       ScriptError and Core's error names
    flags.py        verification flags (P2SH, WITNESS, DERSIG, ...)
    signature.py    signature and key encoding rules; how consensus parses them
    sighash.py      what a signature signs: legacy and BIP143 digests
    checker.py      the signature/timelock checker the interpreter asks
    interpreter.py  eval_script: one function per opcode
    verify.py       verify_script / verify_input: scriptSig + scriptPubKey + P2SH + segwit
    trace.py        a step-by-step record of a verification, as text or HTML
    standard.py     the standard output templates: build and recognise them
    address.py      addresses <-> scriptPubKeys (Base58Check, bech32, bech32m) per network
    sign.py         signatures and the scriptSig/witness that carry them
    sigops.py       counting signature operations (the block's sigop cost)

The script layer sits below ``tx.py`` and never imports it: it reads transactions through a
few attributes (``sighash.TransactionLike``), as Core's interpreter is generic over the
transaction type.
"""

from edu_chain.script.address import MAINNET as MAINNET
from edu_chain.script.address import REGTEST as REGTEST
from edu_chain.script.address import TESTNET as TESTNET
from edu_chain.script.address import Network as Network
from edu_chain.script.address import address_to_script_pubkey as address_to_script_pubkey
from edu_chain.script.address import script_pubkey_to_address as script_pubkey_to_address
from edu_chain.script.checker import SignatureChecker as SignatureChecker
from edu_chain.script.checker import TransactionSignatureChecker as TransactionSignatureChecker
from edu_chain.script.errors import SCRIPT_ERRORS as SCRIPT_ERRORS
from edu_chain.script.errors import ScriptError as ScriptError
from edu_chain.script.flags import CONSENSUS_FLAGS as CONSENSUS_FLAGS
from edu_chain.script.flags import STANDARD_FLAGS as STANDARD_FLAGS
from edu_chain.script.flags import parse_flags as parse_flags
from edu_chain.script.interpreter import eval_script as eval_script
from edu_chain.script.opcodes import Opcode as Opcode
from edu_chain.script.script import Script as Script
from edu_chain.script.script import parse_notation as parse_notation
from edu_chain.script.script import script_asm as script_asm
from edu_chain.script.sighash import SighashCache as SighashCache
from edu_chain.script.trace import Trace as Trace
from edu_chain.script.trace import trace_input as trace_input
from edu_chain.script.trace import trace_script as trace_script
from edu_chain.script.verify import verify_input as verify_input
from edu_chain.script.verify import verify_script as verify_script

__all__ = [
    "CONSENSUS_FLAGS",
    "MAINNET",
    "REGTEST",
    "SCRIPT_ERRORS",
    "STANDARD_FLAGS",
    "TESTNET",
    "Network",
    "Opcode",
    "Script",
    "ScriptError",
    "SighashCache",
    "SignatureChecker",
    "Trace",
    "TransactionSignatureChecker",
    "address_to_script_pubkey",
    "eval_script",
    "parse_flags",
    "parse_notation",
    "script_asm",
    "script_pubkey_to_address",
    "trace_input",
    "trace_script",
    "verify_input",
    "verify_script",
]
