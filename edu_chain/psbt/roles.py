"""The BIP174 roles, each a function from PSBT(s) to a new PSBT (or, last, a transaction).

    create(tx)              Creator: wraps an unsigned transaction
    update_input/_output    Updater: adds the coins spent and the scripts behind hashes
    sign(psbt, key)         Signer: adds this key's signature to every input it can sign
    combine(a, b, ...)      Combiner: merges the signatures of copies of the same PSBT
    finalize(psbt)          Input Finalizer: builds each input's scriptSig and witness
    extract(psbt)           Transaction Extractor: the signed transaction, verified

Which script an input runs, and so what a signature commits to (BIP174 "Simple Signer
Algorithm"):

    output spent            inner script        script code signed     sighash
    P2PKH / P2PK / bare     the scriptPubKey    the same               legacy
    P2SH                    redeem script       the redeem script      legacy
    P2WPKH (maybe in P2SH)  the program         P2PKH of its hash      BIP143 (commits amount)
    P2WSH (maybe in P2SH)   witness script      the witness script     BIP143
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace

from edu_chain.hashing import hash160, sha256
from edu_chain.keys import PrivateKey
from edu_chain.psbt.format import (
    Psbt,
    PsbtError,
    PsbtInput,
    PsbtOutput,
    check_non_witness_utxo,
    spent_output_of,
)
from edu_chain.script import STANDARD_FLAGS, SighashCache, verify_input
from edu_chain.script.checker import SIGVERSION_BASE, SIGVERSION_WITNESS_V0, verify_ecdsa
from edu_chain.script.script import push_data
from edu_chain.script.sign import create_signature
from edu_chain.script.signature import SIGHASH_ALL, SIGHASH_NAMES
from edu_chain.script.standard import classify, p2pkh
from edu_chain.script.verify import is_p2sh, witness_program
from edu_chain.tx import Transaction, TxOut

# --- Creator and Updater ---------------------------------------------------------------------


def create(tx: Transaction) -> Psbt:
    """Creator: a PSBT for ``tx`` with empty input and output maps.

    ``psbt-not-unsigned`` if an input already carries a scriptSig or witness (signatures are
    collected in the PSBT, not in the transaction).
    """
    for n, tx_input in enumerate(tx.inputs):
        if tx_input.script_sig or tx_input.witness:
            raise PsbtError(
                "psbt-not-unsigned",
                f"input {n} already has a scriptSig or witness; a PSBT wraps an unsigned tx",
            )
    return Psbt(tx, (PsbtInput(),) * len(tx.inputs), (PsbtOutput(),) * len(tx.outputs))


def update_input(psbt: Psbt, index: int, **changes: object) -> Psbt:
    """Updater: a copy with input ``index``'s fields changed (``non_witness_utxo=tx``,
    ``witness_utxo=TxOut(..)``, ``redeem_script=..``, ``witness_script=..``,
    ``sighash_type=..``, ``bip32_derivations={pubkey: origin}``).

    A ``non_witness_utxo`` must be the transaction the input spends from
    (``psbt-utxo-mismatch``): checking that is what keeps a signer from being lied to about
    the amount.
    """
    utxo = changes.get("non_witness_utxo")
    if isinstance(utxo, Transaction):
        check_non_witness_utxo(psbt, index, utxo)
    inputs = list(psbt.inputs)
    inputs[index] = replace(inputs[index], **changes)
    return replace(psbt, inputs=tuple(inputs))


def update_output(psbt: Psbt, index: int, **changes: object) -> Psbt:
    """Updater: a copy with output ``index``'s fields changed (``redeem_script=..``,
    ``witness_script=..``, ``bip32_derivations=..``)."""
    outputs = list(psbt.outputs)
    outputs[index] = replace(outputs[index], **changes)
    return replace(psbt, outputs=tuple(outputs))


# --- what an input needs: the Signer's checks ------------------------------------------------


@dataclass(frozen=True)
class _Spend:
    """How input ``index`` is spent, worked out from its PSBT fields."""

    spent: TxOut  # the output being spent
    script: bytes  # the innermost script: scriptPubKey, redeem script or witness script
    script_code: bytes  # what the signature commits to
    sigversion: str
    wrapper: bytes | None  # the redeem script when P2SH-wrapped
    witness: bool


def _spend(psbt: Psbt, index: int) -> _Spend | None:
    """The BIP's "data signers check for"; None when the input lacks what signing needs.

    Codes: ``psbt-utxo-mismatch``, ``psbt-redeem-script-mismatch``,
    ``psbt-witness-script-mismatch``, ``psbt-witness-utxo-not-witness``.
    """
    i = psbt.inputs[index]
    spent = spent_output_of(psbt, index)
    if spent is None:
        return None
    if i.non_witness_utxo is not None:
        check_non_witness_utxo(psbt, index, i.non_witness_utxo)
        full = i.non_witness_utxo.outputs[psbt.tx.inputs[index].outpoint.index]
        if i.witness_utxo is not None and i.witness_utxo != full:
            # BIP143 signatures commit to the amount given, so a lying witness utxo could
            # trick a signer into paying a huge fee; the full transaction is the proof.
            raise PsbtError(
                "psbt-utxo-mismatch",
                f"input {index}: the witness utxo ({i.witness_utxo.amount} sat) is not the "
                f"output the non-witness utxo holds ({full.amount} sat)",
            )
    script = spent.script_pubkey
    wrapper = None
    if i.redeem_script is not None:
        if not is_p2sh(script) or hash160(i.redeem_script) != script[2:22]:
            raise PsbtError(
                "psbt-redeem-script-mismatch",
                f"input {index}: hash160 of the redeem script is {hash160(i.redeem_script).hex()}"
                f", but the output spent is {script.hex()}",
            )
        script = wrapper = i.redeem_script
    elif is_p2sh(script):
        return None  # the Updater has not given the redeem script yet
    program = witness_program(script)
    if program is not None and program[0] == 0 and len(program[1]) == 20:
        code = p2pkh(program[1])
        return _Spend(spent, script, code, SIGVERSION_WITNESS_V0, wrapper, True)
    if program is not None and program[0] == 0 and len(program[1]) == 32:
        if i.witness_script is None:
            return None
        if sha256(i.witness_script) != program[1]:
            raise PsbtError(
                "psbt-witness-script-mismatch",
                f"input {index}: SHA-256 of the witness script is "
                f"{sha256(i.witness_script).hex()}, but the program is {program[1].hex()}",
            )
        ws = i.witness_script
        return _Spend(spent, ws, ws, SIGVERSION_WITNESS_V0, wrapper, True)
    if i.witness_utxo is not None and i.non_witness_utxo is None:
        raise PsbtError(
            "psbt-witness-utxo-not-witness",
            f"input {index}: only a witness utxo is given, but the output is not segwit "
            "(a legacy signature commits to no amount, so it needs the non-witness utxo)",
        )
    return _Spend(spent, script, script, SIGVERSION_BASE, wrapper, False)


def _keys_needed(script: bytes) -> tuple[str, list[bytes], int]:
    """``(kind, keys or key hashes, signatures required)`` for the templates we sign."""
    kind, solutions = classify(script)
    if kind in ("pubkeyhash", "witness_v0_keyhash", "pubkey"):
        return kind, solutions, 1
    if kind == "multisig":
        return kind, solutions[1:-1], solutions[0][0]
    return kind, [], 0


# --- Signer ----------------------------------------------------------------------------------


def sign(psbt: Psbt, key: PrivateKey) -> Psbt:
    """Signer: add ``key``'s signature to every input it can sign; a copy is returned.

    Signs P2PKH, P2WPKH, P2SH-P2WPKH, and multisig in P2SH, P2WSH and P2SH-P2WSH (also P2PK
    and bare multisig), with the input's sighash type (SIGHASH_ALL when none is given).
    Inputs without their UTXO or scripts, already finalized, or not involving this key are
    left alone.  Inconsistent data raises :class:`PsbtError` (see :func:`_spend`), as does a
    sighash type we do not know (``psbt-sighash-type``).
    """
    compressed = key.public_key.sec()
    forms = {compressed, key.public_key.sec(compressed=False)}
    cache = SighashCache(psbt.tx)
    inputs = list(psbt.inputs)
    for index, psbt_input in enumerate(psbt.inputs):
        if psbt_input.is_final:
            continue
        spend = _spend(psbt, index)
        if spend is None:
            continue
        kind, needed, _ = _keys_needed(spend.script)
        if kind in ("pubkeyhash", "witness_v0_keyhash"):
            pubkey = compressed if hash160(compressed) in needed else None
        else:
            pubkey = next((k for k in needed if k in forms), None)
        if pubkey is None:
            continue
        hash_type = psbt_input.sighash_type
        hash_type = SIGHASH_ALL if hash_type is None else hash_type
        if hash_type not in SIGHASH_NAMES:
            raise PsbtError(
                "psbt-sighash-type", f"input {index}: unknown sighash type 0x{hash_type:x}"
            )
        signature = create_signature(
            key,
            psbt.tx,
            index,
            spend.script_code,
            amount=spend.spent.amount,
            sigversion=spend.sigversion,
            hash_type=hash_type,
            cache=cache,
        )
        sigs = dict(psbt_input.partial_sigs) | {pubkey: signature}
        inputs[index] = replace(psbt_input, partial_sigs=sigs)
    return replace(psbt, inputs=tuple(inputs))


# --- Combiner --------------------------------------------------------------------------------


def combine(first: Psbt, *others: Psbt) -> Psbt:
    """Combiner: one PSBT holding every key-value pair of the given copies.

    All must wrap the same unsigned transaction (``psbt-combine-different-tx``).  Where two
    copies give the same key different values, the first one given wins (BIP174 lets the
    Combiner choose).
    """
    result = first
    for other in others:
        if other.tx.serialize_legacy() != result.tx.serialize_legacy():
            raise PsbtError(
                "psbt-combine-different-tx",
                f"cannot combine PSBTs of different transactions: {result.tx.id} and {other.tx.id}",
            )
        result = Psbt(
            result.tx,
            tuple(
                _only_final_data(merged) if merged.is_final else merged
                for merged in map(_merge, result.inputs, other.inputs)
            ),
            tuple(_merge(a, b) for a, b in zip(result.outputs, other.outputs, strict=True)),
            {**other.xpubs, **result.xpubs},
            _max_version(result.version, other.version),
            {**other.proprietary, **result.proprietary},
            {**other.unknown, **result.unknown},
        )
    return result


def _max_version(a: int | None, b: int | None) -> int | None:
    return b if a is None else a if b is None else max(a, b)


def _merge(a, b):
    """Field by field: a value ``a`` has wins; maps are united (``a``'s entries win)."""
    changes = {}
    for name in a.__dataclass_fields__:
        mine, theirs = getattr(a, name), getattr(b, name)
        if isinstance(mine, Mapping):
            changes[name] = {**theirs, **mine}
        elif mine is None:
            changes[name] = theirs
    return replace(a, **changes)


# --- Input Finalizer -------------------------------------------------------------------------


def finalize(psbt: Psbt) -> Psbt:
    """Input Finalizer: build every input's final scriptSig and witness from its signatures.

    For multisig the signatures go in the order of the keys in the script, after the extra
    ``OP_0`` that CHECKMULTISIG pops (NULLDUMMY: it must be empty).  Finalized inputs keep only
    their UTXOs, proprietary and unknown fields.  :class:`PsbtError` ``psbt-incomplete`` names
    every input that cannot be finalized yet and what it lacks; nothing is returned then.
    """
    inputs, problems = [], []
    cache = SighashCache(psbt.tx)
    for index, psbt_input in enumerate(psbt.inputs):
        if psbt_input.is_final:
            inputs.append(psbt_input)
            continue
        try:
            script_sig, witness = _finalize_input(psbt, index, cache)
        except PsbtError as err:
            if err.code != "psbt-incomplete":
                raise
            problems.append(err.message)
            continue
        final = {"final_script_sig": script_sig or None, "final_script_witness": witness or None}
        inputs.append(_only_final_data(replace(psbt_input, **final)))
    if problems:
        raise PsbtError("psbt-incomplete", "; ".join(problems))
    return replace(psbt, inputs=tuple(inputs))


def _only_final_data(psbt_input: PsbtInput) -> PsbtInput:
    """A finalized input keeps its UTXOs, final fields, proprietary and unknown keys only."""
    return PsbtInput(
        non_witness_utxo=psbt_input.non_witness_utxo,
        witness_utxo=psbt_input.witness_utxo,
        final_script_sig=psbt_input.final_script_sig,
        final_script_witness=psbt_input.final_script_witness,
        proprietary=psbt_input.proprietary,
        unknown=psbt_input.unknown,
    )


def _signature_is_valid(
    spend: _Spend, cache: SighashCache, index: int, pubkey: bytes, sig: bytes
) -> bool:
    """Does ``sig`` (with its sighash byte) verify for ``pubkey`` on this input?"""
    if not sig:
        return False
    if spend.sigversion == SIGVERSION_WITNESS_V0:
        digest = cache.segwit_v0(index, spend.script_code, spend.spent.amount, sig[-1])
    else:
        digest = cache.legacy(index, spend.script_code, sig[-1])
    return verify_ecdsa(sig[:-1], pubkey, digest)


def _finalize_input(psbt: Psbt, index: int, cache: SighashCache) -> tuple[bytes, tuple[bytes, ...]]:
    def incomplete(what: str) -> PsbtError:
        return PsbtError("psbt-incomplete", f"input {index}: {what}{ignored}")

    ignored = ""

    psbt_input = psbt.inputs[index]
    spend = _spend(psbt, index)
    if spend is None:
        raise incomplete("its UTXO, redeem script or witness script is missing (Updater)")
    sigs = {
        pubkey: sig
        for pubkey, sig in psbt_input.partial_sigs.items()
        if _signature_is_valid(spend, cache, index, pubkey, sig)
    }
    bad = [pubkey.hex() for pubkey in psbt_input.partial_sigs if pubkey not in sigs]
    ignored = f" (ignored invalid signatures from {', '.join(bad)})" if bad else ""
    if psbt_input.sighash_type is not None:
        for pubkey, sig in sigs.items():
            if sig[-1] != psbt_input.sighash_type:
                raise PsbtError(
                    "psbt-sighash-type",
                    f"input {index}: the signature of {pubkey.hex()} has sighash type "
                    f"0x{sig[-1]:02x}, the input asks for 0x{psbt_input.sighash_type:02x}",
                )
    kind, needed, required = _keys_needed(spend.script)
    if kind in ("pubkeyhash", "witness_v0_keyhash"):
        found = [(pk, sig) for pk, sig in sigs.items() if hash160(pk) == needed[0]]
        if not found:
            raise incomplete(f"no signature yet from the key with hash {needed[0].hex()}")
        stack = [found[0][1], found[0][0]]
    elif kind == "pubkey":
        if needed[0] not in sigs:
            raise incomplete(f"no signature yet from {needed[0].hex()}")
        stack = [sigs[needed[0]]]
    elif kind == "multisig":
        have = [sigs[k] for k in needed if k in sigs]  # the keys' order, as CHECKMULTISIG needs
        if len(have) < required:
            raise incomplete(
                f"{required}-of-{len(needed)} multisig needs {required} signatures, has "
                f"{len(have)}" + (f" (from {', '.join(k.hex() for k in sigs)})" if sigs else "")
            )
        stack = [b"", *have[:required]]
    else:
        raise PsbtError(
            "psbt-unsupported-script",
            f"input {index}: cannot finalize a {kind} script (P2PK, P2PKH, P2WPKH and "
            "multisig, bare or in P2SH/P2WSH, are supported)",
        )
    return _place(spend, kind, stack)


def _place(spend: _Spend, kind: str, stack: list[bytes]) -> tuple[bytes, tuple[bytes, ...]]:
    """Put the satisfying stack in the scriptSig or the witness, with the scripts needed."""
    wrapper = push_data(spend.wrapper) if spend.wrapper is not None else b""
    if not spend.witness:
        return b"".join(_push(item) for item in stack) + wrapper, ()
    if kind != "witness_v0_keyhash":  # P2WSH: the witness script goes last
        stack = [*stack, spend.script]
    return wrapper, tuple(stack)


def _push(item: bytes) -> bytes:
    return b"\x00" if item == b"" else push_data(item)  # OP_0 for the multisig dummy


# --- Transaction Extractor -------------------------------------------------------------------


def extract(psbt: Psbt, *, verify: bool = True) -> Transaction:
    """Transaction Extractor: the network transaction with every input's final scriptSig and
    witness (``psbt-not-finalized`` if an input has none).

    With ``verify`` (the default) each input is run through :func:`verify_input` with the
    standard flags, using the amounts and scripts of the UTXOs; a failure raises its
    ``ScriptError``, so a broken signature is caught here, not by the network.
    """
    tx = psbt.tx
    for index, psbt_input in enumerate(psbt.inputs):
        if not psbt_input.is_final:
            raise PsbtError(
                "psbt-not-finalized", f"input {index} is not finalized yet (run finalize)"
            )
        tx = tx.with_input(
            index,
            script_sig=psbt_input.final_script_sig or b"",
            witness=psbt_input.final_script_witness or (),
        )
    if verify:
        for index in range(len(tx.inputs)):
            spent = psbt.spent_output(index)
            if spent is None:
                raise PsbtError(
                    "psbt-missing-utxo", f"input {index}: no UTXO to verify the signature against"
                )
            verify_input(tx, index, spent.script_pubkey, spent.amount, STANDARD_FLAGS)
    return tx
