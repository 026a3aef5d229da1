"""Transactions in edu_chain's earlier teaching format, being retired.

Bitcoin's real transaction format lives in :mod:`edu_chain.tx` and Script in
:mod:`edu_chain.script`.  The chain, mempool, wallet, node and two exercises still run on
this simpler format until they move onto the real one; then this module goes away.

A transaction spends earlier outputs (its **inputs** name them by *outpoint*: the id of the
transaction that created the output and the output's position in it) and creates new
**outputs**, each an amount of base units locked to a 20-byte public-key hash.  To spend an
output you show a public key that hashes to that hash and a signature by its private key.
There is no script language: every output is "pay to public-key hash".

Amounts are integers: ``COIN = 100_000_000`` base units make one coin, as with satoshis.

Serialization (all integers little-endian; hashes in internal byte order)::

    transaction
        version        uint32           4 bytes
        n_inputs       CompactSize      1, 3, 5 or 9 bytes (see encoding.py)
        inputs         n_inputs x input
        n_outputs      CompactSize
        outputs        n_outputs x output
        locktime       uint32           4 bytes

    input
        prev_txid      32 bytes         txid of the transaction being spent (internal order)
        prev_index     uint32           which of its outputs (0-based)
        sig_len        CompactSize      then sig_len bytes of signature:
                                          a strict-DER, low-s ECDSA signature (8..72 bytes);
                                          for a coinbase: the coinbase data instead
                                          (2..100 bytes, starting with the block height
                                          as 4 little-endian bytes)
        pubkey_len     CompactSize      then pubkey_len bytes of public key:
                                          33-byte compressed SEC key; empty for a coinbase
        sequence       uint32           0xFFFFFFFF unless you have a reason

    output
        amount         uint64           8 bytes, base units
        pubkey_hash    20 bytes         hash160 of the recipient's compressed SEC public key

A **coinbase** (the first transaction of each block, which creates the block reward) has
exactly one input whose outpoint is "null": 32 zero bytes and index ``0xFFFFFFFF``.

Worked example: the coinbase of block 1 paying 50 coins to the pubkey hash ``00 01 .. 13``
(``Transaction.coinbase(1, bytes(range(20)), 50 * COIN)``), 84 bytes::

    01000000                              version 1
    01                                    n_inputs 1
      0000000000000000000000000000000000000000000000000000000000000000
                                          prev_txid: null (coinbase)
      ffffffff                            prev_index 0xFFFFFFFF (coinbase)
      04 01000000                         sig_len 4, coinbase data: height 1
      00                                  pubkey_len 0
      ffffffff                            sequence
    01                                    n_outputs 1
      00f2052a01000000                    amount 5_000_000_000 (50 coins)
      000102030405060708090a0b0c0d0e0f10111213
                                          pubkey_hash
    00000000                              locktime 0

    txid (displayed) 2b38da1f1978f480f94c4ebfdc3b490e368c46e18893515dd3f46fb5320327bd

Parsing is exact: truncated input, trailing bytes after the locktime, a CompactSize not in
its shortest form, or a count/length larger than the remaining bytes could hold (so nine
bytes cannot make us allocate 2**64 inputs) are all :class:`~edu_chain.errors.DecodeError`
with a stable code.  Whether the *contents* make sense (no inputs, amounts above MAX_MONEY,
a malformed signature) is for validation, not for the parser, so any well-formed bytes
round-trip: ``Transaction.parse(tx.serialize()) == tx``.

Ids.  ``txid = sha256d(serialization)``, in internal order; the displayed id (``tx.id``) is
its reverse, as in Bitcoin explorers (see hashing.py).

What a signature signs (the "sighash")::

    sighash(index, spent_output) = sha256d(
        serialization of the transaction with EVERY input's signature and pubkey emptied
            (each input keeps its outpoint and sequence; sig_len and pubkey_len are 00)
        || index as uint32 LE
        || spent_output serialized (amount uint64 LE || pubkey_hash, 28 bytes)
    )

The digest is signed as it is: ECDSA reads it as a big-endian number ``z``
(:func:`edu_chain.keys.ecdsa.digest_to_z`); it is not hashed again.

Emptying the signatures is necessary (a signature cannot sign itself); everything else --
all inputs, all outputs, version, locktime -- is committed to, as is the amount and owner of
the output being spent, so a signature cannot be reused for another input or transaction.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from functools import cached_property
from typing import Any

from edu_chain.encoding import (
    UINT32_MAX,
    UINT64_MAX,
    ByteReader,
    encode_varint,
    parse_hex,
    require_int,
    uint32_le,
    uint64_le,
)
from edu_chain.errors import KeyFormatError, TxValidationError
from edu_chain.hashing import HASH_SIZE, display_hex, hash160, sha256d
from edu_chain.keys import PrivateKey, PublicKey, Signature, pubkey_hash_to_address

COIN = 100_000_000
"""Base units per coin."""
MAX_MONEY = 21_000_000 * COIN
"""No amount (and no sum of amounts) may exceed this; consensus checks it."""
COINBASE_INDEX = 0xFFFFFFFF
"""``prev_index`` of a coinbase input (its ``prev_txid`` is 32 zero bytes)."""
NULL_TXID = bytes(HASH_SIZE)
PUBKEY_HASH_SIZE = 20
DEFAULT_SEQUENCE = 0xFFFFFFFF
MIN_INPUT_SIZE = HASH_SIZE + 4 + 1 + 1 + 4  # empty signature and pubkey
OUTPUT_SIZE = 8 + PUBKEY_HASH_SIZE
COINBASE_DATA_MIN, COINBASE_DATA_MAX = 2, 100


def _require_bytes(name: str, value: object, size: int | None = None) -> None:
    if not isinstance(value, bytes):
        raise TypeError(f"{name} must be bytes, got {type(value).__name__}")
    if size is not None and len(value) != size:
        raise ValueError(f"{name} must be {size} bytes, got {len(value)} bytes")


@dataclass(frozen=True)
class OutPoint:
    """A reference to one output of an earlier transaction."""

    txid: bytes  # 32 bytes, internal order
    index: int  # uint32 LE, position in that transaction's outputs

    def __post_init__(self) -> None:
        _require_bytes("outpoint txid", self.txid, HASH_SIZE)
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
    """An input: which output it spends, and the proof that we may."""

    outpoint: OutPoint
    signature: bytes = b""  # DER, low-s; for a coinbase: the coinbase data
    pubkey: bytes = b""  # 33-byte compressed SEC; empty for a coinbase
    sequence: int = DEFAULT_SEQUENCE  # uint32 LE

    def __post_init__(self) -> None:
        if not isinstance(self.outpoint, OutPoint):
            raise TypeError(f"outpoint must be an OutPoint, got {type(self.outpoint).__name__}")
        _require_bytes("input signature", self.signature)
        _require_bytes("input pubkey", self.pubkey)
        require_int("input sequence", self.sequence, 0, UINT32_MAX)

    def serialize(self) -> bytes:
        return (
            self.outpoint.serialize()
            + encode_varint(len(self.signature))
            + self.signature
            + encode_varint(len(self.pubkey))
            + self.pubkey
            + uint32_le(self.sequence)
        )

    @classmethod
    def read(cls, reader: ByteReader) -> TxIn:
        return cls(
            outpoint=OutPoint.read(reader),
            signature=reader.var_bytes("signature"),
            pubkey=reader.var_bytes("pubkey"),
            sequence=reader.uint32("sequence"),
        )


@dataclass(frozen=True)
class TxOut:
    """An output: an amount locked to the hash of a public key."""

    amount: int  # uint64 LE, base units
    pubkey_hash: bytes  # 20 bytes, hash160(compressed SEC public key)

    def __post_init__(self) -> None:
        require_int("output amount", self.amount, 0, UINT64_MAX)
        _require_bytes("output pubkey_hash", self.pubkey_hash, PUBKEY_HASH_SIZE)

    def serialize(self) -> bytes:
        return uint64_le(self.amount) + self.pubkey_hash

    @classmethod
    def read(cls, reader: ByteReader) -> TxOut:
        return cls(reader.uint64("amount"), reader.read(PUBKEY_HASH_SIZE, "pubkey_hash"))

    @classmethod
    def parse(cls, raw: bytes) -> TxOut:
        reader = ByteReader(raw, what="transaction output")
        out = cls.read(reader)
        reader.expect_end()
        return out

    @property
    def address(self) -> str:
        return pubkey_hash_to_address(self.pubkey_hash)

    def to_dict(self) -> dict[str, Any]:
        return {
            "amount": self.amount,
            "pubkey_hash": self.pubkey_hash.hex(),
            "address": self.address,
        }


@dataclass(frozen=True)
class Transaction:
    """A transaction: version, inputs, outputs, locktime (see the module docstring)."""

    version: int  # uint32 LE
    inputs: tuple[TxIn, ...]
    outputs: tuple[TxOut, ...]
    locktime: int = 0  # uint32 LE

    def _repr_html_(self) -> str:  # Jupyter's rich display; the drawing lives in display.py
        from edu_chain.display import transaction_html

        return transaction_html(self)

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

    # --- bytes -----------------------------------------------------------------------------

    def serialize(self) -> bytes:
        return self._serialized

    @cached_property
    def _serialized(self) -> bytes:
        # A frozen transaction never changes, so its bytes (and txid) are computed once:
        # validating, storing and relaying a block would otherwise re-serialize each
        # transaction about eight times (measured with benchmarks/chain.py).
        return (
            uint32_le(self.version)
            + encode_varint(len(self.inputs))
            + b"".join(tx_input.serialize() for tx_input in self.inputs)
            + encode_varint(len(self.outputs))
            + b"".join(output.serialize() for output in self.outputs)
            + uint32_le(self.locktime)
        )

    @classmethod
    def read(cls, reader: ByteReader) -> Transaction:
        """Read one transaction from ``reader`` (used by ``Block.parse``)."""
        version = reader.uint32("version")
        inputs = tuple(
            TxIn.read(reader) for _ in range(reader.count("input count", MIN_INPUT_SIZE))
        )
        outputs = tuple(
            TxOut.read(reader) for _ in range(reader.count("output count", OUTPUT_SIZE))
        )
        return cls(version, inputs, outputs, reader.uint32("locktime"))

    @classmethod
    def parse(cls, raw: bytes) -> Transaction:
        """Parse exactly one transaction; truncated or trailing bytes are a ``DecodeError``."""
        reader = ByteReader(raw, what="transaction")
        tx = cls.read(reader)
        reader.expect_end()
        return tx

    def hex(self) -> str:
        return self.serialize().hex()

    @classmethod
    def from_hex(cls, text: str) -> Transaction:
        return cls.parse(parse_hex(text, what="transaction hex"))

    def size(self) -> int:
        """Serialized size in bytes."""
        return len(self.serialize())

    # --- identity --------------------------------------------------------------------------

    def txid(self) -> bytes:
        """sha256d of the serialization, internal byte order."""
        return self._txid

    @cached_property
    def _txid(self) -> bytes:
        return sha256d(self.serialize())

    @property
    def id(self) -> str:
        """The displayed (reversed hex) transaction id."""
        return display_hex(self.txid())

    def is_coinbase(self) -> bool:
        """Exactly one input, and it spends the null outpoint."""
        return len(self.inputs) == 1 and self.inputs[0].outpoint.is_null()

    @classmethod
    def coinbase(
        cls, height: int, pubkey_hash: bytes, amount: int, extra: bytes = b""
    ) -> Transaction:
        """The block reward transaction for block ``height``, paying ``amount`` to one key.

        The coinbase data starts with the height (4 bytes, little-endian) so that coinbases
        of different blocks never share a txid (Bitcoin's BIP 34 does the same).
        """
        require_int("height", height, 0, UINT32_MAX)
        data = uint32_le(height) + bytes(extra)
        if len(data) > COINBASE_DATA_MAX:
            raise TxValidationError(
                "bad-cb-length",
                f"coinbase data is at most {COINBASE_DATA_MAX} bytes, got {len(data)} "
                f"(4 for the height + {len(extra)} extra)",
            )
        coinbase_input = TxIn(OutPoint(NULL_TXID, COINBASE_INDEX), signature=data)
        return cls(1, (coinbase_input,), (TxOut(amount, pubkey_hash),))

    # --- signatures ------------------------------------------------------------------------

    def _check_index(self, index: int) -> None:
        if not isinstance(index, int) or not 0 <= index < len(self.inputs):
            raise IndexError(
                f"input index {index} out of range: the transaction has {len(self.inputs)} inputs"
            )

    def sighash(self, index: int, spent_output: TxOut) -> bytes:
        """The 32-byte digest input ``index`` signs (see the module docstring)."""
        self._check_index(index)
        return sha256d(self._unsigned_bytes + uint32_le(index) + spent_output.serialize())

    @cached_property
    def _unsigned_bytes(self) -> bytes:
        """The serialization with every signature and pubkey emptied (computed once per tx)."""
        unsigned_inputs = tuple(
            replace(tx_input, signature=b"", pubkey=b"") for tx_input in self.inputs
        )
        return replace(self, inputs=unsigned_inputs).serialize()

    def sign_input(self, index: int, private_key: PrivateKey, spent_output: TxOut) -> Transaction:
        """A copy of this transaction with input ``index`` signed by ``private_key``.

        Raises :class:`TxValidationError` (``bad-txns-pubkey-mismatch``) if the key does not
        own ``spent_output``: such a signature could never pass :meth:`input_check`.
        """
        self._check_index(index)
        public_key = private_key.public_key
        if public_key.pubkey_hash() != spent_output.pubkey_hash:
            raise TxValidationError(
                "bad-txns-pubkey-mismatch",
                f"input {index}: this key ({public_key.address()}) cannot spend an output "
                f"locked to {spent_output.address}",
            )
        signature = private_key.sign_digest(self.sighash(index, spent_output))
        signed = replace(
            self.inputs[index], signature=signature.der(), pubkey=public_key.sec(compressed=True)
        )
        inputs = (*self.inputs[:index], signed, *self.inputs[index + 1 :])
        return replace(self, inputs=inputs)

    def input_check(self, index: int, spent_output: TxOut) -> None:
        """Raise :class:`TxValidationError` unless input ``index`` may spend ``spent_output``.

        Codes: ``bad-signature-encoding`` (public key not a 33-byte compressed SEC point, or
        signature not strict DER with r, s in [1, n-1]), ``bad-txns-pubkey-mismatch`` (the
        key does not hash to the output's pubkey_hash), ``bad-signature-high-s``,
        ``bad-signature`` (well-formed but not a valid signature of this input's sighash).
        """
        self._check_index(index)
        tx_input = self.inputs[index]
        where = f"input {index} of transaction {self.id}"
        if len(tx_input.pubkey) != 33:
            raise TxValidationError(
                "bad-signature-encoding",
                f"{where}: public key must be 33 bytes (compressed SEC), "
                f"got {len(tx_input.pubkey)}",
            )
        try:
            public_key = PublicKey.from_sec(tx_input.pubkey)
        except KeyFormatError as error:
            raise TxValidationError("bad-signature-encoding", f"{where}: {error}") from error
        actual_hash = hash160(tx_input.pubkey)
        if actual_hash != spent_output.pubkey_hash:
            raise TxValidationError(
                "bad-txns-pubkey-mismatch",
                f"{where}: public key hashes to {actual_hash.hex()}, but the spent output "
                f"is locked to {spent_output.pubkey_hash.hex()}",
            )
        try:
            signature = Signature.from_der(tx_input.signature, allow_high_s=True)
        except KeyFormatError as error:
            raise TxValidationError("bad-signature-encoding", f"{where}: {error}") from error
        if not signature.is_low_s():
            raise TxValidationError(
                "bad-signature-high-s",
                f"{where}: signature s is in the high half; only low-s signatures are "
                "accepted (s must be <= n/2; use n - s)",
            )
        if not public_key.verify_digest(signature, self.sighash(index, spent_output)):
            raise TxValidationError(
                "bad-signature",
                f"{where}: the signature does not match this transaction and the spent output "
                f"(amount {spent_output.amount}, owner {spent_output.address})",
            )

    def verify_input(self, index: int, spent_output: TxOut) -> bool:
        """True if input ``index`` validly spends ``spent_output`` (see :meth:`input_check`)."""
        try:
            self.input_check(index, spent_output)
        except TxValidationError:
            return False
        return True

    # --- display ---------------------------------------------------------------------------

    def to_dict(self) -> dict[str, Any]:
        """JSON-friendly fields; ids in displayed order, bytes as hex."""
        return {
            "txid": self.id,
            "version": self.version,
            "coinbase": self.is_coinbase(),
            "inputs": [
                {
                    "prev_txid": display_hex(tx_input.outpoint.txid),
                    "prev_index": tx_input.outpoint.index,
                    "signature": tx_input.signature.hex(),
                    "pubkey": tx_input.pubkey.hex(),
                    "sequence": tx_input.sequence,
                }
                for tx_input in self.inputs
            ],
            "outputs": [output.to_dict() for output in self.outputs],
            "locktime": self.locktime,
            "size": self.size(),
        }
