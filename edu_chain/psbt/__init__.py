"""Partially Signed Bitcoin Transactions (PSBT, BIP174 version 0): one file that several
signers pass around, each adding a signature, until the transaction can be completed.

A multisig spend needs signatures from keys on different machines.  BIP174 gives them one
container: the unsigned transaction plus, per input and per output, what a signer needs to
know (the coin being spent, the scripts behind its hash) and what signers have produced so far
(partial signatures).  Layout (all CompactSize lengths; keys unique within a map)::

    psbt        magic "psbt" 0xff | global map | one map per input | one map per output
    map         key-value pair* | 0x00
    pair        <key length> <key type (CompactSize)> <key data> | <value length> <value>

    global                          key data       value
      0x00 UNSIGNED_TX              -              the transaction, no scriptSigs or witnesses
      0x01 XPUB                     78-byte xpub   fingerprint + path (kept opaque here)
      0xFB VERSION                  -              uint32 LE (only version 0 exists)
      0xFC PROPRIETARY              id + subtype   anything
    input
      0x00 NON_WITNESS_UTXO         -              the whole transaction that created the coin
      0x01 WITNESS_UTXO             -              just the output (amount + scriptPubKey)
      0x02 PARTIAL_SIG              pubkey         signature + sighash byte
      0x03 SIGHASH_TYPE             -              uint32 LE
      0x04 REDEEM_SCRIPT            -              the P2SH redeem script
      0x05 WITNESS_SCRIPT           -              the P2WSH witness script
      0x06 BIP32_DERIVATION         pubkey         fingerprint + path (kept opaque here)
      0x07 FINAL_SCRIPTSIG          -              the finished scriptSig
      0x08 FINAL_SCRIPTWITNESS      -              the finished witness stack
      0x09 POR_COMMITMENT           -              BIP127 proof-of-reserves message
      0xFC PROPRIETARY              id + subtype   anything
    output
      0x00 REDEEM_SCRIPT, 0x01 WITNESS_SCRIPT, 0x02 BIP32_DERIVATION (as for inputs)

Any other key is *unknown*: kept and written back unchanged, so newer tools' fields survive a
trip through this code.

The roles (BIP174 "Roles"), each a function returning a new :class:`Psbt`:

    create(tx)              Creator: wraps an unsigned transaction
    update_input/_output    Updater: adds the coins spent and the scripts behind hashes
    sign(psbt, key)         Signer: adds this key's signature to every input it can sign
    combine(a, b, ...)      Combiner: merges the signatures of copies of the same PSBT
    finalize(psbt)          Input Finalizer: builds each input's scriptSig and witness
    extract(psbt)           Transaction Extractor: the signed transaction, verified

Parsing is strict (Bitcoin Core's rules): a malformed PSBT gives a :class:`DecodeError` whose
``code`` is stable and whose message names the map and the key.
"""

from edu_chain.psbt.format import MAGIC as MAGIC
from edu_chain.psbt.format import Psbt as Psbt
from edu_chain.psbt.format import PsbtError as PsbtError
from edu_chain.psbt.format import PsbtInput as PsbtInput
from edu_chain.psbt.format import PsbtOutput as PsbtOutput
from edu_chain.psbt.roles import combine as combine
from edu_chain.psbt.roles import create as create
from edu_chain.psbt.roles import extract as extract
from edu_chain.psbt.roles import finalize as finalize
from edu_chain.psbt.roles import sign as sign
from edu_chain.psbt.roles import update_input as update_input
from edu_chain.psbt.roles import update_output as update_output

__all__ = [
    "MAGIC",
    "Psbt",
    "PsbtError",
    "PsbtInput",
    "PsbtOutput",
    "combine",
    "create",
    "extract",
    "finalize",
    "sign",
    "update_input",
    "update_output",
]
