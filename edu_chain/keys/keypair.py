"""Private keys, public keys, signatures and addresses: the API the rest of edu_chain uses.

* :class:`PrivateKey` -- a secret integer ``d`` in ``[1, n-1]`` (SEC 1 v2 section 3.2.1).
* :class:`PublicKey` -- the point ``Q = d*G``, written in SEC 1 v2 section 2.3.3 format:
  compressed ``02|03 || x`` (33 bytes; the prefix is the parity of y) or uncompressed
  ``04 || x || y`` (65 bytes).  edu_chain transactions carry the compressed form.
* :class:`Signature` -- ``(r, s)`` with ``s`` in the low half, DER-encoded (``der.py``).
* Addresses -- Base58Check of ``version byte || hash160(compressed SEC)``, with Bitcoin's
  testnet version byte ``0x6f`` (addresses start with ``m`` or ``n``), so they cannot be
  mistaken for real mainnet Bitcoin addresses.

Signing and verifying go through the fast path (``fast.py``) unless ``backend="reference"``
is passed; both give identical results, which the tests check.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from functools import cached_property

from edu_chain.encoding import base58check_decode, base58check_encode
from edu_chain.errors import DecodeError, KeyFormatError
from edu_chain.hashing import hash160
from edu_chain.keys import curve
from edu_chain.keys.der import decode_der_signature, encode_der_signature
from edu_chain.keys.ecdsa import HALF_N
from edu_chain.keys.fast import get_backend
from edu_chain.keys.sec import decode_sec, encode_sec

TESTNET_VERSION = 0x6F
"""Address version byte (Bitcoin testnet's P2PKH prefix)."""
PUBKEY_HASH_SIZE = 20
MAX_ADDRESS_CHARS = 100
"""Longer text is refused before decoding.  Addresses are 34 characters; Base58 decoding
costs time quadratic in the length, so a 2 MB "address" in a request would take minutes."""


def _require_digest(digest: bytes) -> bytes:
    if not isinstance(digest, bytes | bytearray) or len(digest) != 32:
        is_bytes = isinstance(digest, bytes | bytearray)
        got = f"{len(digest)} bytes" if is_bytes else type(digest).__name__
        raise ValueError(f"a digest to sign is 32 bytes, got {got}")
    return bytes(digest)


@dataclass(frozen=True)
class Signature:
    """An ECDSA signature ``(r, s)``; both in ``[1, n-1]``."""

    r: int
    s: int

    def __post_init__(self) -> None:
        for name in ("r", "s"):
            value = getattr(self, name)
            if not isinstance(value, int) or isinstance(value, bool):
                raise TypeError(f"signature {name} must be an int, got {type(value).__name__}")
            if not 1 <= value < curve.N:
                raise KeyFormatError(f"signature {name} must be in [1, n-1], got {value:#x}")

    def is_low_s(self) -> bool:
        """True if ``s <= n/2``, the only form edu_chain (and Bitcoin, BIP 146) accepts."""
        return self.s <= HALF_N

    def normalized(self) -> Signature:
        """The low-s twin of this signature (itself if already low)."""
        return self if self.is_low_s() else Signature(self.r, curve.N - self.s)

    def der(self) -> bytes:
        """Strict DER encoding (8..72 bytes)."""
        return encode_der_signature(self.r, self.s)

    @classmethod
    def from_der(cls, data: bytes, *, allow_high_s: bool = False) -> Signature:
        """Parse strict DER.  High ``s`` is a :class:`KeyFormatError` unless ``allow_high_s``."""
        r, s = decode_der_signature(data)
        signature = cls(r, s)
        if not allow_high_s and not signature.is_low_s():
            raise KeyFormatError(
                f"signature s is high ({s:#x} > n/2); edu_chain accepts only low-s signatures "
                "(replace s with n - s)"
            )
        return signature


@dataclass(frozen=True)
class PublicKey:
    """A point ``(x, y)`` on secp256k1 (never infinity)."""

    x: int
    y: int

    def __post_init__(self) -> None:
        if not curve.is_on_curve((self.x, self.y)):
            raise KeyFormatError(f"({self.x:#x}, {self.y:#x}) is not a point on secp256k1")

    @property
    def point(self) -> tuple[int, int]:
        return (self.x, self.y)

    def sec(self, compressed: bool = True) -> bytes:
        """SEC 1 section 2.3.3 encoding: 33 bytes compressed (default) or 65 uncompressed."""
        return encode_sec(self.point, compressed)

    @classmethod
    def from_sec(cls, data: bytes) -> PublicKey:
        """Parse SEC bytes (SEC 1 section 2.3.4); :class:`KeyFormatError` if malformed."""
        return cls(*decode_sec(data))

    def pubkey_hash(self) -> bytes:
        """hash160 of the compressed SEC encoding: what an output pays to (20 bytes)."""
        return self._pubkey_hash

    @cached_property
    def _pubkey_hash(self) -> bytes:
        return hash160(self.sec(compressed=True))

    def address(self) -> str:
        """The testnet-style Base58Check address of this key."""
        return pubkey_hash_to_address(self.pubkey_hash())

    def verify_digest(
        self, signature: Signature, digest: bytes, *, backend: str | None = None
    ) -> bool:
        """True if ``signature`` is a valid, **low-s** signature of the 32-byte ``digest``.

        A well-formed but wrong (or high-s) signature gives ``False``; it never raises for
        those.  Pass ``backend="reference"`` to run the from-scratch code.
        """
        if not isinstance(signature, Signature):
            return False
        if not isinstance(digest, bytes | bytearray) or len(digest) != 32:
            return False
        return get_backend(backend).verify(self.sec(), bytes(digest), signature.r, signature.s)


@dataclass(frozen=True)
class PrivateKey:
    """A secret integer in ``[1, n-1]``.  Its ``repr`` never shows the secret."""

    secret: int

    def __post_init__(self) -> None:
        if not isinstance(self.secret, int) or isinstance(self.secret, bool):
            raise TypeError(f"a private key is an int, got {type(self.secret).__name__}")
        if not 1 <= self.secret < curve.N:
            # The value itself is not shown: it may be a real secret off by a multiple of n.
            found = "0" if self.secret == 0 else "a negative number" if self.secret < 0 else ">= n"
            raise KeyFormatError(f"a private key must be an integer in [1, n-1], got {found}")

    def __repr__(self) -> str:
        return f"PrivateKey(<secret>, address={self.public_key.address()!r})"

    @classmethod
    def generate(cls) -> PrivateKey:
        """A new key from the operating system's secure random source (``secrets``)."""
        return cls(secrets.randbelow(curve.N - 1) + 1)

    @classmethod
    def from_bytes(cls, data: bytes) -> PrivateKey:
        if not isinstance(data, bytes | bytearray) or len(data) != 32:
            is_bytes = isinstance(data, bytes | bytearray)
            got = f"{len(data)} bytes" if is_bytes else type(data).__name__
            raise KeyFormatError(f"a private key is 32 big-endian bytes, got {got}")
        return cls(int.from_bytes(data, "big"))

    def to_bytes(self) -> bytes:
        return self.secret.to_bytes(32, "big")

    @cached_property
    def public_key(self) -> PublicKey:
        """``Q = d*G``, computed once per key."""
        return PublicKey.from_sec(get_backend().public_key_sec(self.secret))

    def sign_digest(self, digest: bytes, *, backend: str | None = None) -> Signature:
        """Sign a 32-byte digest: RFC 6979 nonce, low-s.  Same result on every backend."""
        r, s = get_backend(backend).sign(self.secret, _require_digest(digest))
        return Signature(r, s)


# --- addresses ----------------------------------------------------------------------------


def pubkey_hash_to_address(pubkey_hash: bytes) -> str:
    """Base58Check(``0x6f || pubkey_hash``).

    >>> pubkey_hash_to_address(bytes(20))
    'mfWxJ45yp2SFn7UciZyNpvDKrzbhyfKrY8'
    """
    if not isinstance(pubkey_hash, bytes | bytearray) or len(pubkey_hash) != PUBKEY_HASH_SIZE:
        is_bytes = isinstance(pubkey_hash, bytes | bytearray)
        got = f"{len(pubkey_hash)} bytes" if is_bytes else type(pubkey_hash).__name__
        raise KeyFormatError(f"a public-key hash is 20 bytes, got {got}")
    return base58check_encode(bytes([TESTNET_VERSION]) + bytes(pubkey_hash))


def address_to_pubkey_hash(address: str) -> bytes:
    """The 20-byte public-key hash inside an address; :class:`KeyFormatError` if malformed."""
    if not isinstance(address, str):
        raise KeyFormatError(f"an address is a string, got {type(address).__name__}")
    if len(address) > MAX_ADDRESS_CHARS:
        raise KeyFormatError(
            f"an address has 34 characters, got {len(address)} characters "
            f"(refused above {MAX_ADDRESS_CHARS} without decoding)"
        )
    try:
        payload = base58check_decode(address.strip())
    except DecodeError as error:
        raise KeyFormatError(f"address {address!r:.60} is malformed: {error.message}") from error
    if len(payload) != 1 + PUBKEY_HASH_SIZE:
        raise KeyFormatError(
            f"address {address!r:.60} holds {len(payload)} bytes; expected 21 "
            "(1 version byte + 20-byte public-key hash)"
        )
    if payload[0] != TESTNET_VERSION:
        hint = " (a mainnet Bitcoin address?)" if payload[0] == 0 else ""
        raise KeyFormatError(
            f"address version byte is 0x{payload[0]:02x}, expected 0x{TESTNET_VERSION:02x}{hint}"
        )
    return payload[1:]


def is_valid_address(address: str) -> bool:
    try:
        address_to_pubkey_hash(address)
    except KeyFormatError:
        return False
    return True
