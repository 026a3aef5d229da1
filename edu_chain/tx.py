"""Bitcoin transactions in their real format: legacy and segwit (BIP144), ids, weight.

A transaction spends earlier outputs and creates new ones.  Each **input** names the output
it spends by *outpoint* (the id of the transaction that created it and its position there)
and carries what unlocks it: a **scriptSig** and, since segwit, a **witness** (a list of byte
strings kept outside the part that the transaction id covers).  Each **output** holds an
amount in satoshis and a **scriptPubKey**, the condition for spending it (see
``edu_chain/script/``).  Serialization, all integers little-endian::

    transaction
        version          4 bytes
        [marker 00, flag 01]        only when some input has a witness (BIP144)
        n_inputs         CompactSize
        inputs           n_inputs x input
        n_outputs        CompactSize
        outputs          n_outputs x output
        [witnesses]      one per input: CompactSize item count, then each item as
                         CompactSize length + bytes           (only with the marker)
        locktime         4 bytes

    input                           output
        prev_txid    32 bytes           amount         8 bytes (signed; satoshis)
        prev_index   4 bytes            script_pubkey  CompactSize length + bytes
        script_sig   CompactSize length + bytes
        sequence     4 bytes

Ids.  ``txid = sha256d(serialization without marker, flag and witnesses)``, so a witness
cannot change the id (that is what fixed third-party malleability); ``wtxid`` hashes the full
serialization.  Both are kept in internal byte order; ``tx.id`` is the displayed (reversed)
hex you would paste into a block explorer (see hashing.py).

Size.  ``weight = 3 * size_without_witness + full_size`` (BIP141); ``vsize`` is weight / 4
rounded up: witness bytes cost a quarter of the others.  A block holds at most 4,000,000 weight.

Parsing follows Bitcoin Core (``UnserializeTransaction``): exact, every length bounded by the
bytes that remain, shortest CompactSize only, no trailing bytes; a marker whose witnesses are
all empty ("superfluous witness record") and unknown flag bits are refused.  A transaction with
no inputs serializes like a segwit marker, so only transactions with inputs round-trip (a
transaction needs inputs to be valid anyway).  Contents are judged by :func:`check_transaction`
and by script verification, not by the parser.

>>> raw = bytes.fromhex(
...     "01000000010000000000000000000000000000000000000000000000000000000000000000ffffffff"
...     "4d04ffff001d0104455468652054696d65732030332f4a616e2f32303039204368616e63656c6c6f72"
...     "206f6e206272696e6b206f66207365636f6e64206261696c6f757420666f722062616e6b73ffffffff"
...     "0100f2052a01000000434104678afdb0fe5548271967f1a67130b7105cd6a828e03909a67962e0ea1f"
...     "61deb649f6bc3f4cef38c4f35504e51ec112de5c384df7ba0b8d578a4c702b6bf11d5fac00000000")
>>> genesis_coinbase = Transaction.parse(raw)
>>> genesis_coinbase.id
'4a5e1e4baab89f3a32518a88c31bc87f618f76673e2cc77ab2127b7afdeda33b'
>>> genesis_coinbase.outputs[0].amount / COIN
50.0
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import Any

from edu_chain.encoding import UINT32_MAX, ByteReader, encode_varint, require_int, uint32_le
from edu_chain.errors import DecodeError, TxValidationError
from edu_chain.hashing import HASH_SIZE, display_hex, sha256d
from edu_chain.keys import PrivateKey
from edu_chain.script.checker import SEQUENCE_FINAL
from edu_chain.script.script import script_asm
from edu_chain.script.sighash import SighashCache
from edu_chain.script.sign import sign_single_key
from edu_chain.script.signature import SIGHASH_ALL
from edu_chain.script.sigops import WITNESS_SCALE_FACTOR
from edu_chain.script.standard import classify

COIN = 100_000_000
"""Satoshis per coin."""
MAX_MONEY = 21_000_000 * COIN
"""No amount (and no sum of amounts) may exceed this; consensus checks it."""
COINBASE_INDEX = 0xFFFFFFFF
"""``prev_index`` of a coinbase input (its ``prev_txid`` is 32 zero bytes)."""
NULL_TXID = bytes(HASH_SIZE)
MAX_BLOCK_WEIGHT = 4_000_000
MIN_INPUT_SIZE = HASH_SIZE + 4 + 1 + 4  # empty scriptSig
MIN_OUTPUT_SIZE = 8 + 1  # empty scriptPubKey
INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1


def _require_bytes(name: str, value: object) -> bytes:
    if not isinstance(value, bytes):
        raise TypeError(f"{name} must be bytes, got {type(value).__name__}")
    return value


@dataclass(frozen=True)
class OutPoint:
    """A reference to one output of an earlier transaction."""

    txid: bytes  # 32 bytes, internal order
    index: int  # uint32 LE, position in that transaction's outputs

    def __post_init__(self) -> None:
        if len(_require_bytes("outpoint txid", self.txid)) != HASH_SIZE:
            raise ValueError(f"outpoint txid must be 32 bytes, got {len(self.txid)}")
        require_int("outpoint index", self.index, 0, UINT32_MAX)

    def is_null(self) -> bool:
        """True for the coinbase's outpoint (zero txid, index 0xFFFFFFFF)."""
        return self.txid == NULL_TXID and self.index == COINBASE_INDEX

    def serialize(self) -> bytes:
        return self.txid + uint32_le(self.index)

    @classmethod
    def read(cls, reader: ByteReader) -> OutPoint:
        return cls(reader.read(HASH_SIZE, "prev_txid"), reader.uint32("prev_index"))

    def __str__(self) -> str:
        return f"{display_hex(self.txid)}:{self.index}"


@dataclass(frozen=True)
class TxIn:
    """An input: which output it spends, and what unlocks it."""

    outpoint: OutPoint
    script_sig: bytes = b""  # for a coinbase: the coinbase data (2..100 bytes)
    sequence: int = SEQUENCE_FINAL  # uint32 LE; relative locktime (BIP68) when below 2**31
    witness: tuple[bytes, ...] = ()  # segwit: stack items, outside the txid

    def __post_init__(self) -> None:
        if not isinstance(self.outpoint, OutPoint):
            raise TypeError(f"outpoint must be an OutPoint, got {type(self.outpoint).__name__}")
        _require_bytes("script_sig", self.script_sig)
        require_int("sequence", self.sequence, 0, UINT32_MAX)
        object.__setattr__(self, "witness", tuple(self.witness))
        for item in self.witness:
            _require_bytes("witness item", item)

    def serialize(self) -> bytes:
        """The input as it sits in the transaction (its witness is serialized separately)."""
        return (
            self.outpoint.serialize()
            + encode_varint(len(self.script_sig))
            + self.script_sig
            + uint32_le(self.sequence)
        )

    @classmethod
    def read(cls, reader: ByteReader) -> TxIn:
        return cls(
            outpoint=OutPoint.read(reader),
            script_sig=reader.var_bytes("script_sig"),
            sequence=reader.uint32("sequence"),
        )


@dataclass(frozen=True)
class TxOut:
    """An output: an amount in satoshis and the script that locks it."""

    amount: int  # int64 LE (signed on the wire: consensus rejects negative amounts)
    script_pubkey: bytes

    def __post_init__(self) -> None:
        require_int("output amount", self.amount, INT64_MIN, INT64_MAX)
        _require_bytes("script_pubkey", self.script_pubkey)

    def serialize(self) -> bytes:
        return (
            self.amount.to_bytes(8, "little", signed=True)
            + encode_varint(len(self.script_pubkey))
            + self.script_pubkey
        )

    @classmethod
    def read(cls, reader: ByteReader) -> TxOut:
        amount = int.from_bytes(reader.read(8, "amount"), "little", signed=True)
        return cls(amount, reader.var_bytes("script_pubkey"))

    @property
    def address(self) -> str | None:
        """The classroom (regtest) address of the script, None when it has none (OP_RETURN,
        bare multisig, non-standard scripts): see script/address.py."""
        from edu_chain.script.address import REGTEST, script_pubkey_to_address

        return script_pubkey_to_address(self.script_pubkey, REGTEST)

    def to_dict(self) -> dict[str, Any]:
        return {
            "value": self.amount / COIN,
            "amount": self.amount,
            "scriptPubKey": {
                "asm": script_asm(self.script_pubkey),
                "hex": self.script_pubkey.hex(),
                "type": classify(self.script_pubkey)[0],
            },
        }


@dataclass(frozen=True)
class Transaction:
    """A transaction: version, inputs, outputs, locktime (see the module docstring)."""

    version: int  # uint32 LE (2 or more switches on BIP68 relative locktimes)
    inputs: tuple[TxIn, ...]
    outputs: tuple[TxOut, ...]
    locktime: int = 0  # uint32 LE: a height below 500,000,000, a Unix time above

    def __post_init__(self) -> None:
        # Accept lists for convenience but store tuples, so transactions stay hashable.
        object.__setattr__(self, "inputs", tuple(self.inputs))
        object.__setattr__(self, "outputs", tuple(self.outputs))
        require_int("version", self.version, 0, UINT32_MAX)
        require_int("locktime", self.locktime, 0, UINT32_MAX)
        for tx_input in self.inputs:
            if not isinstance(tx_input, TxIn):
                raise TypeError(f"inputs must be TxIn, got {type(tx_input).__name__}")
        for output in self.outputs:
            if not isinstance(output, TxOut):
                raise TypeError(f"outputs must be TxOut, got {type(output).__name__}")

    def _repr_html_(self) -> str:  # Jupyter's rich display; the drawing lives in display.py
        from edu_chain.display import transaction_html

        return transaction_html(self)

    # --- bytes -----------------------------------------------------------------------------

    @property
    def has_witness(self) -> bool:
        return any(tx_input.witness for tx_input in self.inputs)

    def serialize(self) -> bytes:
        """The full serialization: with the segwit marker and witnesses if there are any."""
        return self._full if self.has_witness else self._legacy

    def serialize_legacy(self) -> bytes:
        """Without marker, flag and witnesses: what the txid hashes."""
        return self._legacy

    @cached_property
    def _legacy(self) -> bytes:
        # A frozen transaction never changes, so its bytes (and ids) are computed once.
        return b"".join(
            [
                uint32_le(self.version),
                encode_varint(len(self.inputs)),
                *(tx_input.serialize() for tx_input in self.inputs),
                encode_varint(len(self.outputs)),
                *(output.serialize() for output in self.outputs),
                uint32_le(self.locktime),
            ]
        )

    @cached_property
    def _full(self) -> bytes:
        witnesses = []
        for tx_input in self.inputs:
            witnesses.append(encode_varint(len(tx_input.witness)))
            for item in tx_input.witness:
                witnesses += [encode_varint(len(item)), item]
        legacy = self._legacy
        return legacy[:4] + b"\x00\x01" + legacy[4:-4] + b"".join(witnesses) + legacy[-4:]

    @classmethod
    def parse(cls, raw: bytes) -> Transaction:
        """Parse exactly one transaction; :class:`DecodeError` for anything else."""
        reader = ByteReader(raw, what="transaction")
        tx = cls.read(reader)
        reader.expect_end()
        return tx

    @classmethod
    def read(cls, reader: ByteReader) -> Transaction:
        """Read one transaction from ``reader`` (as inside a block), Core's way."""
        version = reader.uint32("version")
        inputs = _read_inputs(reader)
        flags = 0
        if not inputs:  # either no inputs, or the segwit marker 00 followed by the flag
            flags = reader.read(1, "segwit flag")[0]
            if flags:
                inputs = _read_inputs(reader)
                outputs = _read_outputs(reader)
            else:
                outputs = ()
        else:
            outputs = _read_outputs(reader)
        if flags & 1:
            flags ^= 1
            witnesses = [
                tuple(reader.var_bytes("witness item") for _ in range(reader.count("witness", 1)))
                for _ in inputs
            ]
            if not any(witnesses):
                raise DecodeError(
                    "decode-superfluous-witness",
                    "the transaction has the segwit marker but every witness is empty",
                )
            inputs = [
                TxIn(i.outpoint, i.script_sig, i.sequence, w)
                for i, w in zip(inputs, witnesses, strict=True)
            ]
        if flags:
            raise DecodeError(
                "decode-unknown-flag", f"unknown segwit flag bits 0x{flags:02x} (only 01 exists)"
            )
        return cls(version, tuple(inputs), tuple(outputs), reader.uint32("locktime"))

    # --- ids and size ---------------------------------------------------------------------

    @cached_property
    def txid(self) -> bytes:
        """sha256d of the serialization without witnesses, internal byte order."""
        return sha256d(self._legacy)

    @cached_property
    def wtxid(self) -> bytes:
        """sha256d of the full serialization (equals txid when there is no witness)."""
        return sha256d(self.serialize())

    @property
    def id(self) -> str:
        """The txid as displayed by explorers and bitcoin-cli (reversed hex)."""
        return display_hex(self.txid)

    @property
    def size(self) -> int:
        return len(self.serialize())

    @property
    def weight(self) -> int:
        return 3 * len(self._legacy) + len(self.serialize())

    @property
    def vsize(self) -> int:
        return -(-self.weight // WITNESS_SCALE_FACTOR)

    def is_coinbase(self) -> bool:
        return len(self.inputs) == 1 and self.inputs[0].outpoint.is_null()

    # --- signing support ------------------------------------------------------------------

    def sighash(
        self, index: int, script_code: bytes, hash_type: int, *, amount: int | None = None
    ) -> bytes:
        """The digest input ``index`` signs: BIP143's when ``amount`` (of the output spent) is
        given, i.e. for a segwit input, the legacy one otherwise.  See script/sighash.py."""
        cache = SighashCache(self)
        if amount is None:
            return cache.legacy(index, script_code, hash_type)
        return cache.segwit_v0(index, script_code, amount, hash_type)

    def sign_input(
        self,
        index: int,
        key: PrivateKey,
        script_pubkey: bytes,
        amount: int,
        *,
        hash_type: int = SIGHASH_ALL,
    ) -> Transaction:
        """A copy with input ``index`` signed by ``key``, which owns the output it spends
        (``amount`` satoshis locked by ``script_pubkey``: P2PK, P2PKH, P2WPKH or P2SH-P2WPKH;
        see script/sign.py)."""
        script_sig, witness = sign_single_key(
            self, index, key, script_pubkey, amount, hash_type=hash_type
        )
        return self.with_input(index, script_sig=script_sig, witness=witness)

    def with_input(self, index: int, **changes: Any) -> Transaction:
        """A copy with input ``index`` changed (``script_sig=...``, ``witness=...``)."""
        old = self.inputs[index]
        fields = {"outpoint": old.outpoint, "script_sig": old.script_sig}
        fields |= {"sequence": old.sequence, "witness": old.witness} | changes
        inputs = list(self.inputs)
        inputs[index] = TxIn(**fields)
        return Transaction(self.version, inputs, self.outputs, self.locktime)

    # --- display ---------------------------------------------------------------------------

    def to_dict(self) -> dict[str, Any]:
        """The shape of ``bitcoin-cli decoderawtransaction`` (amounts also in satoshis)."""
        vin = []
        for tx_input in self.inputs:
            if self.is_coinbase():
                entry: dict[str, Any] = {"coinbase": tx_input.script_sig.hex()}
            else:
                entry = {
                    "txid": display_hex(tx_input.outpoint.txid),
                    "vout": tx_input.outpoint.index,
                    "scriptSig": {
                        "asm": script_asm(tx_input.script_sig),
                        "hex": tx_input.script_sig.hex(),
                    },
                }
            if tx_input.witness:
                entry["txinwitness"] = [item.hex() for item in tx_input.witness]
            entry["sequence"] = tx_input.sequence
            vin.append(entry)
        return {
            "txid": self.id,
            "hash": display_hex(self.wtxid),
            "version": self.version,
            "size": self.size,
            "vsize": self.vsize,
            "weight": self.weight,
            "locktime": self.locktime,
            "vin": vin,
            "vout": [output.to_dict() | {"n": n} for n, output in enumerate(self.outputs)],
        }


def _read_inputs(reader: ByteReader) -> list[TxIn]:
    return [TxIn.read(reader) for _ in range(reader.count("n_inputs", MIN_INPUT_SIZE))]


def _read_outputs(reader: ByteReader) -> tuple[TxOut, ...]:
    return tuple(TxOut.read(reader) for _ in range(reader.count("n_outputs", MIN_OUTPUT_SIZE)))


def check_transaction(tx: Transaction) -> None:
    """The checks that need nothing but the transaction (Core's ``CheckTransaction``), raising
    :class:`TxValidationError` with Core's reject reason."""

    def fail(code: str, message: str) -> TxValidationError:
        return TxValidationError(code, message)

    if not tx.inputs:
        raise fail("bad-txns-vin-empty", "a transaction needs at least one input")
    if not tx.outputs:
        raise fail("bad-txns-vout-empty", "a transaction needs at least one output")
    if len(tx.serialize_legacy()) * WITNESS_SCALE_FACTOR > MAX_BLOCK_WEIGHT:
        raise fail("bad-txns-oversize", "the transaction alone would not fit in a block")
    total = 0
    for n, output in enumerate(tx.outputs):
        if output.amount < 0:
            raise fail("bad-txns-vout-negative", f"output {n} has a negative amount")
        if output.amount > MAX_MONEY:
            raise fail("bad-txns-vout-toolarge", f"output {n} pays more than MAX_MONEY")
        total += output.amount
        if total > MAX_MONEY:
            raise fail("bad-txns-txouttotal-toolarge", "the outputs add up to over MAX_MONEY")
    seen: set[OutPoint] = set()
    for tx_input in tx.inputs:
        if tx_input.outpoint in seen:
            raise fail("bad-txns-inputs-duplicate", f"{tx_input.outpoint} is spent twice")
        seen.add(tx_input.outpoint)
    if tx.is_coinbase():
        size = len(tx.inputs[0].script_sig)
        if not 2 <= size <= 100:
            raise fail("bad-cb-length", f"coinbase scriptSig is {size} bytes; 2..100 allowed")
    elif any(tx_input.outpoint.is_null() for tx_input in tx.inputs):
        raise fail("bad-txns-prevout-null", "only a coinbase may spend the null outpoint")
