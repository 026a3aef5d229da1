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

from __future__ import annotations

import base64
import binascii
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field, replace

from edu_chain.encoding import ByteReader, encode_varint
from edu_chain.errors import DecodeError, ValidationError
from edu_chain.hashing import hash160, sha256
from edu_chain.keys import PrivateKey
from edu_chain.keys.sec import decode_sec
from edu_chain.script import STANDARD_FLAGS, SighashCache, verify_input
from edu_chain.script.checker import SIGVERSION_BASE, SIGVERSION_WITNESS_V0
from edu_chain.script.script import push_data
from edu_chain.script.sign import create_signature
from edu_chain.script.signature import (
    SIGHASH_ALL,
    SIGHASH_NAMES,
    is_valid_signature_encoding,
)
from edu_chain.script.standard import classify, p2pkh
from edu_chain.script.verify import is_p2sh, witness_program
from edu_chain.tx import Transaction, TxIn, TxOut

MAGIC = b"psbt\xff"

GLOBAL_UNSIGNED_TX = 0x00
GLOBAL_XPUB = 0x01
GLOBAL_VERSION = 0xFB
PROPRIETARY = 0xFC  # in every map

IN_NON_WITNESS_UTXO = 0x00
IN_WITNESS_UTXO = 0x01
IN_PARTIAL_SIG = 0x02
IN_SIGHASH_TYPE = 0x03
IN_REDEEM_SCRIPT = 0x04
IN_WITNESS_SCRIPT = 0x05
IN_BIP32_DERIVATION = 0x06
IN_FINAL_SCRIPTSIG = 0x07
IN_FINAL_SCRIPTWITNESS = 0x08
IN_POR_COMMITMENT = 0x09

OUT_REDEEM_SCRIPT = 0x00
OUT_WITNESS_SCRIPT = 0x01
OUT_BIP32_DERIVATION = 0x02

XPUB_SIZE = 78


class PsbtError(ValidationError):
    """A PSBT role cannot do what was asked (codes ``psbt-...``, listed where raised):
    the data is inconsistent (a UTXO that is not the one spent, a script that does not hash to
    the output), signatures are missing, or two PSBTs are for different transactions."""


# --- the data model --------------------------------------------------------------------------


@dataclass(frozen=True)
class PsbtInput:
    """What is known about one input; every field is optional."""

    non_witness_utxo: Transaction | None = None  # the transaction whose output is spent
    witness_utxo: TxOut | None = None  # only the output spent (enough for segwit)
    partial_sigs: Mapping[bytes, bytes] = field(default_factory=dict)  # pubkey -> signature
    sighash_type: int | None = None
    redeem_script: bytes | None = None
    witness_script: bytes | None = None
    bip32_derivations: Mapping[bytes, bytes] = field(default_factory=dict)  # pubkey -> origin
    final_script_sig: bytes | None = None
    final_script_witness: tuple[bytes, ...] | None = None
    por_commitment: bytes | None = None
    proprietary: Mapping[bytes, bytes] = field(default_factory=dict)  # whole key -> value
    unknown: Mapping[bytes, bytes] = field(default_factory=dict)  # whole key -> value

    @property
    def is_final(self) -> bool:
        return self.final_script_sig is not None or self.final_script_witness is not None


@dataclass(frozen=True)
class PsbtOutput:
    """What is known about one output (lets a signer recognise its own change)."""

    redeem_script: bytes | None = None
    witness_script: bytes | None = None
    bip32_derivations: Mapping[bytes, bytes] = field(default_factory=dict)
    proprietary: Mapping[bytes, bytes] = field(default_factory=dict)
    unknown: Mapping[bytes, bytes] = field(default_factory=dict)


@dataclass(frozen=True)
class Psbt:
    """A PSBT version 0: the unsigned transaction and one map per input and per output."""

    tx: Transaction  # no scriptSigs, no witnesses
    inputs: tuple[PsbtInput, ...]
    outputs: tuple[PsbtOutput, ...]
    xpubs: Mapping[bytes, bytes] = field(default_factory=dict)  # 78-byte xpub -> origin
    version: int | None = None  # PSBT_GLOBAL_VERSION when present (always 0)
    proprietary: Mapping[bytes, bytes] = field(default_factory=dict)
    unknown: Mapping[bytes, bytes] = field(default_factory=dict)

    def __post_init__(self) -> None:
        object.__setattr__(self, "inputs", tuple(self.inputs))
        object.__setattr__(self, "outputs", tuple(self.outputs))
        if len(self.inputs) != len(self.tx.inputs) or len(self.outputs) != len(self.tx.outputs):
            raise ValueError(
                f"a PSBT has one map per input and per output: the transaction has "
                f"{len(self.tx.inputs)} inputs and {len(self.tx.outputs)} outputs, "
                f"got {len(self.inputs)} and {len(self.outputs)} maps"
            )

    # --- bytes and text ------------------------------------------------------------------

    def serialize(self) -> bytes:
        """The binary form (what a ``.psbt`` file holds), fields in Bitcoin Core's order."""
        out = [MAGIC]
        pairs = [(bytes([GLOBAL_UNSIGNED_TX]), self.tx.serialize_legacy())]
        pairs += [(bytes([GLOBAL_XPUB]) + xpub, origin) for xpub, origin in self.xpubs.items()]
        if self.version is not None:
            pairs.append((bytes([GLOBAL_VERSION]), self.version.to_bytes(4, "little")))
        out.append(_write_map(pairs, self.proprietary, self.unknown))
        out += [_write_map(_input_pairs(i), i.proprietary, i.unknown) for i in self.inputs]
        out += [_write_map(_output_pairs(o), o.proprietary, o.unknown) for o in self.outputs]
        return b"".join(out)

    def to_base64(self) -> str:
        """The text form (RFC 4648 base64), what ``bitcoin-cli`` prints and takes."""
        return base64.b64encode(self.serialize()).decode("ascii")

    @classmethod
    def parse(cls, raw: bytes) -> Psbt:
        """Parse the binary form; :class:`DecodeError` for anything malformed."""
        return _parse(raw)

    @classmethod
    def from_base64(cls, text: str) -> Psbt:
        """Parse the base64 form (surrounding whitespace allowed)."""
        if not isinstance(text, str):
            raise DecodeError("decode-bad-base64", f"base64 PSBT must be str, got {type(text)}")
        try:
            raw = base64.b64decode(text.strip(), validate=True)
        except (binascii.Error, ValueError):
            raise DecodeError(
                "decode-bad-base64", f"the PSBT is not valid base64: {text[:60]!r}"
            ) from None
        return _parse(raw)

    @classmethod
    def load(cls, data: bytes | str) -> Psbt:
        """A PSBT from a file's contents: binary (starts with the magic) or base64 text."""
        if isinstance(data, bytes | bytearray) and not bytes(data).startswith(MAGIC):
            try:
                data = bytes(data).decode("ascii")
            except UnicodeDecodeError:
                raise DecodeError(
                    "decode-psbt-magic", "not a PSBT: neither binary (psbt\\xff) nor base64"
                ) from None
        if isinstance(data, str):
            return cls.from_base64(data)
        return cls.parse(bytes(data))

    # --- convenience ---------------------------------------------------------------------

    def spent_output(self, index: int) -> TxOut | None:
        """The output input ``index`` spends, from its UTXO fields (None if not known)."""
        return _spent_output(self, index)

    def fee(self) -> int | None:
        """Inputs minus outputs in satoshis, when every spent output is known."""
        spent = [self.spent_output(n) for n in range(len(self.inputs))]
        if any(output is None for output in spent):
            return None
        total_in = sum(output.amount for output in spent if output is not None)
        return total_in - sum(output.amount for output in self.tx.outputs)


def _input_pairs(psbt_input: PsbtInput) -> list[tuple[bytes, bytes]]:
    """Core's order: UTXOs, the signing data, then the final fields (the Finalizer and the
    Combiner clear the signing data of a finalized input, as BIP174 asks)."""
    i = psbt_input
    pairs = []
    if i.non_witness_utxo is not None:
        pairs.append((bytes([IN_NON_WITNESS_UTXO]), i.non_witness_utxo.serialize()))
    if i.witness_utxo is not None:
        pairs.append((bytes([IN_WITNESS_UTXO]), i.witness_utxo.serialize()))
    # Core keeps partial signatures by key id (hash160 of the key); the BIP's vectors follow
    # that order, so we do too.
    for pubkey in sorted(i.partial_sigs, key=hash160):
        pairs.append((bytes([IN_PARTIAL_SIG]) + pubkey, i.partial_sigs[pubkey]))
    if i.sighash_type is not None:
        pairs.append((bytes([IN_SIGHASH_TYPE]), i.sighash_type.to_bytes(4, "little")))
    if i.redeem_script is not None:
        pairs.append((bytes([IN_REDEEM_SCRIPT]), i.redeem_script))
    if i.witness_script is not None:
        pairs.append((bytes([IN_WITNESS_SCRIPT]), i.witness_script))
    for pubkey in sorted(i.bip32_derivations):
        pairs.append((bytes([IN_BIP32_DERIVATION]) + pubkey, i.bip32_derivations[pubkey]))
    if i.final_script_sig is not None:
        pairs.append((bytes([IN_FINAL_SCRIPTSIG]), i.final_script_sig))
    if i.final_script_witness is not None:
        pairs.append((bytes([IN_FINAL_SCRIPTWITNESS]), _witness_bytes(i.final_script_witness)))
    if i.por_commitment is not None:
        pairs.append((bytes([IN_POR_COMMITMENT]), i.por_commitment))
    return pairs


def _output_pairs(psbt_output: PsbtOutput) -> list[tuple[bytes, bytes]]:
    o = psbt_output
    pairs = []
    if o.redeem_script is not None:
        pairs.append((bytes([OUT_REDEEM_SCRIPT]), o.redeem_script))
    if o.witness_script is not None:
        pairs.append((bytes([OUT_WITNESS_SCRIPT]), o.witness_script))
    for pubkey in sorted(o.bip32_derivations):
        pairs.append((bytes([OUT_BIP32_DERIVATION]) + pubkey, o.bip32_derivations[pubkey]))
    return pairs


def _witness_bytes(stack: tuple[bytes, ...]) -> bytes:
    return encode_varint(len(stack)) + b"".join(encode_varint(len(x)) + x for x in stack)


def _write_map(
    pairs: list[tuple[bytes, bytes]], proprietary: Mapping[bytes, bytes], unknown: Mapping
) -> bytes:
    pairs = pairs + sorted(proprietary.items()) + sorted(unknown.items())
    body = b"".join(
        encode_varint(len(key)) + key + encode_varint(len(value)) + value for key, value in pairs
    )
    return body + b"\x00"


# --- parsing ---------------------------------------------------------------------------------

_GLOBAL_NAMES = {GLOBAL_UNSIGNED_TX: "unsigned tx", GLOBAL_XPUB: "xpub", GLOBAL_VERSION: "version"}
_INPUT_NAMES = {
    IN_NON_WITNESS_UTXO: "non-witness utxo",
    IN_WITNESS_UTXO: "witness utxo",
    IN_PARTIAL_SIG: "partial sig",
    IN_SIGHASH_TYPE: "sighash type",
    IN_REDEEM_SCRIPT: "redeem script",
    IN_WITNESS_SCRIPT: "witness script",
    IN_BIP32_DERIVATION: "bip32 derivation",
    IN_FINAL_SCRIPTSIG: "final scriptSig",
    IN_FINAL_SCRIPTWITNESS: "final scriptWitness",
    IN_POR_COMMITMENT: "por commitment",
}
_OUTPUT_NAMES = {
    OUT_REDEEM_SCRIPT: "redeem script",
    OUT_WITNESS_SCRIPT: "witness script",
    OUT_BIP32_DERIVATION: "bip32 derivation",
}


@dataclass
class _Pair:
    """One key-value pair as read, with where it was, for error messages."""

    where: str  # "global map", "input 0 map", ...
    key_type: int
    key_data: bytes
    key: bytes  # the whole key: type + data
    value: bytes
    names: Mapping[int, str]

    @property
    def label(self) -> str:
        name = self.names.get(self.key_type, "proprietary" if self.key_type == PROPRIETARY else "")
        name = name or "unknown type"
        return f"{self.where}, key type 0x{self.key_type:02x} ({name})"

    def fail(self, code: str, problem: str) -> DecodeError:
        return DecodeError(code, f"{self.label}: {problem}")

    def no_key_data(self) -> None:
        if self.key_data:
            raise self.fail(
                "decode-psbt-key-size",
                f"this key is the type byte alone, but has {len(self.key_data)} bytes of key data",
            )

    def pubkey_key(self) -> bytes:
        if len(self.key_data) not in (33, 65):
            raise self.fail(
                "decode-psbt-key-size",
                f"the key data is a public key of 33 or 65 bytes, got {len(self.key_data)}",
            )
        try:
            decode_sec(self.key_data)
        except ValueError as err:
            raise self.fail("decode-psbt-bad-pubkey", f"invalid public key: {err}") from None
        return self.key_data

    def value_reader(self) -> ByteReader:
        return ByteReader(self.value, what=self.label)

    @contextmanager
    def context(self) -> Iterator[None]:
        """Name this map and key in any DecodeError raised while reading the pair."""
        try:
            yield
        except DecodeError as err:
            if err.message.startswith(self.label):
                raise
            raise self.fail(err.code, err.message) from None


def _read_maps(reader: ByteReader, where: str, names: Mapping[int, str]) -> Iterator[_Pair]:
    """The pairs of one map, up to its 0x00 separator; duplicate keys are refused."""
    seen: set[bytes] = set()
    while True:
        key = reader.var_bytes(f"{where} key")
        if not key:
            return
        key_reader = ByteReader(key, what=f"{where} key")
        try:
            key_type = key_reader.varint(f"{where} key type")
        except DecodeError as err:
            raise DecodeError(err.code, f"{where}, key {key.hex()}: {err.message}") from None
        value = reader.var_bytes(f"{where} value")
        if key in seen:
            pair = _Pair(where, key_type, b"", key, value, names)
            raise pair.fail("decode-psbt-duplicate-key", f"the key {key.hex()} appears twice")
        seen.add(key)
        yield _Pair(where, key_type, key[key_reader.offset :], key, value, names)


def _proprietary(pair: _Pair) -> None:
    """Check a 0xFC key: identifier length, identifier, subtype (all CompactSize-framed)."""
    with pair.context():
        reader = ByteReader(pair.key_data, what=pair.label)
        reader.var_bytes("proprietary identifier")
        reader.varint("proprietary subtype")


def _parse(raw: bytes) -> Psbt:
    if not isinstance(raw, bytes | bytearray | memoryview):
        raise DecodeError("decode-psbt-magic", f"a PSBT is bytes, got {type(raw).__name__}")
    reader = ByteReader(bytes(raw), what="PSBT")
    if not reader.data.startswith(MAGIC):
        raise DecodeError(
            "decode-psbt-magic",
            f"a PSBT starts with 70736274ff ('psbt' 0xff), found {reader.data[:5].hex()!r}",
        )
    reader.read(len(MAGIC), "magic")
    tx, xpubs, version, proprietary, unknown = _parse_global(reader)
    inputs = tuple(_parse_input(reader, n) for n in range(len(tx.inputs)))
    outputs = tuple(_parse_output(reader, n) for n in range(len(tx.outputs)))
    reader.expect_end()
    return Psbt(tx, inputs, outputs, xpubs, version, proprietary, unknown)


def _parse_global(reader: ByteReader):
    tx = None
    xpubs: dict[bytes, bytes] = {}
    version = None
    proprietary: dict[bytes, bytes] = {}
    unknown: dict[bytes, bytes] = {}
    for pair in _read_maps(reader, "global map", _GLOBAL_NAMES):
        if pair.key_type == GLOBAL_UNSIGNED_TX:
            pair.no_key_data()
            with pair.context():
                tx = _unsigned_tx(pair)
        elif pair.key_type == GLOBAL_XPUB:
            if len(pair.key_data) != XPUB_SIZE:
                raise pair.fail(
                    "decode-psbt-key-size",
                    f"an xpub key holds a {XPUB_SIZE}-byte extended key, got {len(pair.key_data)}",
                )
            xpubs[pair.key_data] = _key_origin(pair)
        elif pair.key_type == GLOBAL_VERSION:
            pair.no_key_data()
            value = _fixed(pair, 4)
            version = int.from_bytes(value, "little")
            if version != 0:
                raise pair.fail(
                    "decode-psbt-version", f"PSBT version {version} is not supported (only 0)"
                )
        elif pair.key_type == PROPRIETARY:
            _proprietary(pair)
            proprietary[pair.key] = pair.value
        else:
            unknown[pair.key] = pair.value
    if tx is None:
        raise DecodeError(
            "decode-psbt-missing-tx", "global map: a version 0 PSBT needs the unsigned tx (0x00)"
        )
    return tx, xpubs, version, proprietary, unknown


def _unsigned_tx(pair: _Pair) -> Transaction:
    """The global transaction, read without the segwit marker as Core does (TX_NO_WITNESS)."""
    reader = pair.value_reader()
    version = reader.uint32("version")
    inputs = [TxIn.read(reader) for _ in range(reader.count("n_inputs", 41))]
    outputs = [TxOut.read(reader) for _ in range(reader.count("n_outputs", 9))]
    locktime = reader.uint32("locktime")
    reader.expect_end()
    for n, tx_input in enumerate(inputs):
        if tx_input.script_sig:
            raise pair.fail(
                "decode-psbt-unsigned-tx-signed",
                f"input {n} of the unsigned transaction has a scriptSig; it must be empty",
            )
    return Transaction(version, inputs, outputs, locktime)


def _fixed(pair: _Pair, size: int) -> bytes:
    if len(pair.value) != size:
        raise pair.fail(
            "decode-psbt-bad-value", f"the value is {size} bytes, got {len(pair.value)}"
        )
    return pair.value


def _key_origin(pair: _Pair) -> bytes:
    """A BIP32 origin: 4-byte fingerprint then 4 bytes per path step (kept as bytes)."""
    if not pair.value or len(pair.value) % 4:
        raise pair.fail(
            "decode-psbt-bad-value",
            f"a key origin is a 4-byte fingerprint and 4 bytes per step, got {len(pair.value)}",
        )
    return pair.value


def _parse_input(reader: ByteReader, index: int) -> PsbtInput:
    fields: dict = {"partial_sigs": {}, "bip32_derivations": {}, "proprietary": {}, "unknown": {}}
    for pair in _read_maps(reader, f"input {index} map", _INPUT_NAMES):
        kind = pair.key_type
        if kind == PROPRIETARY:
            _proprietary(pair)
            fields["proprietary"][pair.key] = pair.value
        elif kind == IN_PARTIAL_SIG:
            pubkey = pair.pubkey_key()
            if not is_valid_signature_encoding(pair.value):
                raise pair.fail(
                    "decode-psbt-bad-value",
                    "the value is not a strict-DER signature followed by a sighash byte",
                )
            fields["partial_sigs"][pubkey] = pair.value
        elif kind == IN_BIP32_DERIVATION:
            fields["bip32_derivations"][pair.pubkey_key()] = _key_origin(pair)
        elif kind in _INPUT_NAMES:
            pair.no_key_data()
            with pair.context():
                name, value = _input_value(pair)
            fields[name] = value
        else:
            fields["unknown"][pair.key] = pair.value
    return PsbtInput(**fields)


def _input_value(pair: _Pair) -> tuple[str, object]:
    kind = pair.key_type
    if kind == IN_NON_WITNESS_UTXO:
        return "non_witness_utxo", Transaction.parse(pair.value)
    if kind == IN_WITNESS_UTXO:
        reader = pair.value_reader()
        output = TxOut.read(reader)
        reader.expect_end()
        return "witness_utxo", output
    if kind == IN_SIGHASH_TYPE:
        return "sighash_type", int.from_bytes(_fixed(pair, 4), "little")
    if kind == IN_FINAL_SCRIPTWITNESS:
        reader = pair.value_reader()
        stack = tuple(reader.var_bytes("witness item") for _ in range(reader.count("items", 1)))
        reader.expect_end()
        return "final_script_witness", stack
    names = {
        IN_REDEEM_SCRIPT: "redeem_script",
        IN_WITNESS_SCRIPT: "witness_script",
        IN_FINAL_SCRIPTSIG: "final_script_sig",
        IN_POR_COMMITMENT: "por_commitment",
    }
    return names[kind], pair.value


def _parse_output(reader: ByteReader, index: int) -> PsbtOutput:
    fields: dict = {"bip32_derivations": {}, "proprietary": {}, "unknown": {}}
    for pair in _read_maps(reader, f"output {index} map", _OUTPUT_NAMES):
        kind = pair.key_type
        if kind == PROPRIETARY:
            _proprietary(pair)
            fields["proprietary"][pair.key] = pair.value
        elif kind == OUT_BIP32_DERIVATION:
            fields["bip32_derivations"][pair.pubkey_key()] = _key_origin(pair)
        elif kind in (OUT_REDEEM_SCRIPT, OUT_WITNESS_SCRIPT):
            pair.no_key_data()
            name = "redeem_script" if kind == OUT_REDEEM_SCRIPT else "witness_script"
            fields[name] = pair.value
        else:
            fields["unknown"][pair.key] = pair.value
    return PsbtOutput(**fields)


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
        _check_non_witness_utxo(psbt, index, utxo)
    inputs = list(psbt.inputs)
    inputs[index] = replace(inputs[index], **changes)
    return replace(psbt, inputs=tuple(inputs))


def update_output(psbt: Psbt, index: int, **changes: object) -> Psbt:
    """Updater: a copy with output ``index``'s fields changed (``redeem_script=..``,
    ``witness_script=..``, ``bip32_derivations=..``)."""
    outputs = list(psbt.outputs)
    outputs[index] = replace(outputs[index], **changes)
    return replace(psbt, outputs=tuple(outputs))


def _check_non_witness_utxo(psbt: Psbt, index: int, utxo: Transaction) -> None:
    outpoint = psbt.tx.inputs[index].outpoint
    if utxo.txid != outpoint.txid:
        raise PsbtError(
            "psbt-utxo-mismatch",
            f"input {index}: the non-witness utxo has txid {utxo.id}, but the input spends "
            f"{outpoint}",
        )
    if outpoint.index >= len(utxo.outputs):
        raise PsbtError(
            "psbt-utxo-mismatch",
            f"input {index} spends output {outpoint.index}, the utxo has {len(utxo.outputs)}",
        )


def _spent_output(psbt: Psbt, index: int) -> TxOut | None:
    psbt_input = psbt.inputs[index]
    if psbt_input.witness_utxo is not None:
        return psbt_input.witness_utxo
    if psbt_input.non_witness_utxo is not None:
        _check_non_witness_utxo(psbt, index, psbt_input.non_witness_utxo)
        return psbt_input.non_witness_utxo.outputs[psbt.tx.inputs[index].outpoint.index]
    return None


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
    spent = _spent_output(psbt, index)
    if spent is None:
        return None
    if i.non_witness_utxo is not None:
        _check_non_witness_utxo(psbt, index, i.non_witness_utxo)
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
    for index, psbt_input in enumerate(psbt.inputs):
        if psbt_input.is_final:
            inputs.append(psbt_input)
            continue
        try:
            script_sig, witness = _finalize_input(psbt, index)
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


def _finalize_input(psbt: Psbt, index: int) -> tuple[bytes, tuple[bytes, ...]]:
    def incomplete(what: str) -> PsbtError:
        return PsbtError("psbt-incomplete", f"input {index}: {what}")

    psbt_input = psbt.inputs[index]
    spend = _spend(psbt, index)
    if spend is None:
        raise incomplete("its UTXO, redeem script or witness script is missing (Updater)")
    sigs = psbt_input.partial_sigs
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
