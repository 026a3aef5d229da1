"""The PSBT data model and its bytes: BIP174 key-value maps, parsed strictly, written in
Bitcoin Core's field order (see the table in ``edu_chain/psbt/__init__.py``).

Every key type BIP174 defines for version 0 has a field; ``xpub`` and BIP32 derivations are
kept as opaque bytes (no BIP32 here).  Keys we do not know go to ``unknown`` and come back
out unchanged, sorted by key as Core writes them.  A malformed PSBT raises
:class:`~edu_chain.errors.DecodeError` whose message names the map and the key type.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field

from edu_chain.encoding import ByteReader, encode_varint
from edu_chain.errors import DecodeError, ValidationError
from edu_chain.hashing import hash160
from edu_chain.keys.sec import decode_sec
from edu_chain.script.signature import is_valid_signature_encoding
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

    def __post_init__(self) -> None:
        _check_fields(self, _INPUT_NAMES)
        if self.final_script_witness is not None:
            object.__setattr__(self, "final_script_witness", tuple(self.final_script_witness))
            _require_bytes("final_script_witness item", *self.final_script_witness)

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

    def __post_init__(self) -> None:
        _check_fields(self, _OUTPUT_NAMES)


_BYTES_FIELDS = ("redeem_script", "witness_script", "final_script_sig", "por_commitment")
_MAP_FIELDS = ("partial_sigs", "bip32_derivations", "xpubs", "proprietary", "unknown")


def _require_bytes(name: str, *values: object) -> None:
    for value in values:
        if not isinstance(value, bytes):
            raise TypeError(f"{name} must be bytes, got {type(value).__name__}")


def _check_fields(fields: object, known: Mapping[int, str]) -> None:
    """Types, and keys that would collide with known fields once serialized: a value set by
    hand must write out to a PSBT that parses back to it."""
    for name in _BYTES_FIELDS:
        value = getattr(fields, name, None)
        if value is not None:
            _require_bytes(name, value)
    for name in _MAP_FIELDS:
        if hasattr(fields, name):
            mapping = dict(getattr(fields, name))
            _require_bytes(f"{name} key or value", *mapping, *mapping.values())
            object.__setattr__(fields, name, mapping)  # a copy: the caller's dict may change
    for key in fields.proprietary:
        if key[:1] != bytes([PROPRIETARY]):
            raise ValueError(f"a proprietary key starts with 0xfc, got {key.hex()!r}")
    for key in fields.unknown:
        if not key or key[0] in known or key[0] == PROPRIETARY:
            raise ValueError(f"{key.hex()!r} is not an unknown key: its type has a field")


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
        _check_fields(self, _GLOBAL_NAMES)
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
        """Parse the base64 form (whitespace, such as a file's line breaks, is ignored)."""
        if not isinstance(text, str):
            got = type(text).__name__
            raise DecodeError("decode-bad-base64", f"base64 PSBT must be str, got {got}")
        try:
            raw = base64.b64decode("".join(text.split()), validate=True)
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
        return spent_output_of(self, index)

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


def check_non_witness_utxo(psbt: Psbt, index: int, utxo: Transaction) -> None:
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


def spent_output_of(psbt: Psbt, index: int) -> TxOut | None:
    psbt_input = psbt.inputs[index]
    if psbt_input.witness_utxo is not None:
        return psbt_input.witness_utxo
    if psbt_input.non_witness_utxo is not None:
        check_non_witness_utxo(psbt, index, psbt_input.non_witness_utxo)
        return psbt_input.non_witness_utxo.outputs[psbt.tx.inputs[index].outpoint.index]
    return None
