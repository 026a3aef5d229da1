"""Hash functions: SHA-256, double SHA-256, RIPEMD-160 and HASH160 — and the byte-order policy.

Bitcoin uses SHA-256 (FIPS 180-4) twice, ``sha256d(x) = sha256(sha256(x))``, for block ids,
transaction ids and Merkle trees, and ``hash160(x) = ripemd160(sha256(x))`` for addresses.

Byte order, decided once for the whole library
----------------------------------------------
A hash is 32 bytes.  edu_chain always stores and passes hashes in **internal order**: the bytes
exactly as ``sha256d`` returns them, which is also how they sit inside serialized headers and
transactions.  Bitcoin *displays* ids reversed (so that the leading zeros of a proof-of-work
hash come first), and so do we, only at the edges:

    internal bytes  --display_hex()-->  "000000000019d6689c08..."  (reversed, as in explorers)
    "000000...e26f"  --from_display_hex()-->  internal bytes

Comparing a hash with a target reads the internal bytes as a *little-endian* integer, which is
the same number as reading the displayed hex as big-endian.

``hashlib`` builds on OpenSSL 3 may not offer RIPEMD-160, so :func:`ripemd160` here is a
readable pure-Python implementation of the original specification (Dobbertin, Bosselaers and
Preneel, 1996), checked in the tests against its published test vectors.  It costs ~85 µs per
call, more than verifying a signature with libsecp256k1, so :func:`hash160` uses OpenSSL's
RIPEMD-160 when this Python has it and the readable one otherwise (same bytes: tested).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable

from edu_chain.errors import DecodeError

HASH_SIZE = 32
_HEX_DIGITS = frozenset("0123456789abcdefABCDEF")


def sha256(data: bytes) -> bytes:
    """SHA-256 of ``data`` (32 bytes)."""
    return hashlib.sha256(data).digest()


def sha256d(data: bytes) -> bytes:
    """Double SHA-256, Bitcoin's hash for blocks, transactions and Merkle nodes.

    >>> sha256d(b"").hex()
    '5df6e0e2761359d30a8275058e299fcc0381534545f55cf43e41983f5d4c9456'
    """
    return hashlib.sha256(hashlib.sha256(data).digest()).digest()


def hash160(data: bytes) -> bytes:
    """RIPEMD-160 of SHA-256: the 20-byte public-key hash inside an address."""
    return _fast_ripemd160(sha256(data))


def _openssl_ripemd160(data: bytes) -> bytes:
    return hashlib.new("ripemd160", data).digest()


def _pick_ripemd160() -> Callable[[bytes], bytes]:
    try:
        hashlib.new("ripemd160", b"")
    except ValueError:  # OpenSSL 3 without the legacy provider
        return ripemd160
    return _openssl_ripemd160


def display_hex(internal: bytes) -> str:
    """Internal-order hash -> the reversed hex string explorers show."""
    return bytes(internal)[::-1].hex()


def from_display_hex(text: str) -> bytes:
    """A displayed (reversed) 64-character hex id -> internal-order bytes."""
    if not isinstance(text, str) or len(text) != 2 * HASH_SIZE:
        raise DecodeError(
            "decode-bad-length",
            f"a hash id must be {2 * HASH_SIZE} hex characters, got {text!r:.80}",
        )
    # Checked character by character because bytes.fromhex skips whitespace: "00 00 ..."
    # would otherwise decode to fewer than 32 bytes.
    if any(char not in _HEX_DIGITS for char in text):
        raise DecodeError("decode-bad-hex", f"a hash id has only hex digits 0-9a-f, got {text!r}")
    return bytes.fromhex(text)[::-1]


def hash_to_int(internal: bytes) -> int:
    """The number a hash stands for when compared with a proof-of-work target."""
    return int.from_bytes(internal, "little")


# --- RIPEMD-160 -------------------------------------------------------------------------
# Two parallel lines ("left" and "right") of 80 steps each over a 512-bit block.  Tables
# below are from the specification: which message word each step reads (R), how far it
# rotates (S), and the round constants (K).

_R_LEFT = (
    *range(16),
    7, 4, 13, 1, 10, 6, 15, 3, 12, 0, 9, 5, 2, 14, 11, 8,
    3, 10, 14, 4, 9, 15, 8, 1, 2, 7, 0, 6, 13, 11, 5, 12,
    1, 9, 11, 10, 0, 8, 12, 4, 13, 3, 7, 15, 14, 5, 6, 2,
    4, 0, 5, 9, 7, 12, 2, 10, 14, 1, 3, 8, 11, 6, 15, 13,
)  # fmt: skip
_R_RIGHT = (
    5, 14, 7, 0, 9, 2, 11, 4, 13, 6, 15, 8, 1, 10, 3, 12,
    6, 11, 3, 7, 0, 13, 5, 10, 14, 15, 8, 12, 4, 9, 1, 2,
    15, 5, 1, 3, 7, 14, 6, 9, 11, 8, 12, 2, 10, 0, 4, 13,
    8, 6, 4, 1, 3, 11, 15, 0, 5, 12, 2, 13, 9, 7, 10, 14,
    12, 15, 10, 4, 1, 5, 8, 7, 6, 2, 13, 14, 0, 3, 9, 11,
)  # fmt: skip
_S_LEFT = (
    11, 14, 15, 12, 5, 8, 7, 9, 11, 13, 14, 15, 6, 7, 9, 8,
    7, 6, 8, 13, 11, 9, 7, 15, 7, 12, 15, 9, 11, 7, 13, 12,
    11, 13, 6, 7, 14, 9, 13, 15, 14, 8, 13, 6, 5, 12, 7, 5,
    11, 12, 14, 15, 14, 15, 9, 8, 9, 14, 5, 6, 8, 6, 5, 12,
    9, 15, 5, 11, 6, 8, 13, 12, 5, 12, 13, 14, 11, 8, 5, 6,
)  # fmt: skip
_S_RIGHT = (
    8, 9, 9, 11, 13, 15, 15, 5, 7, 7, 8, 11, 14, 14, 12, 6,
    9, 13, 15, 7, 12, 8, 9, 11, 7, 7, 12, 7, 6, 15, 13, 11,
    9, 7, 15, 11, 8, 6, 6, 14, 12, 13, 5, 14, 13, 13, 7, 5,
    15, 5, 8, 11, 14, 14, 6, 14, 6, 9, 12, 9, 12, 5, 15, 8,
    8, 5, 12, 9, 12, 5, 14, 6, 8, 13, 6, 5, 15, 13, 11, 11,
)  # fmt: skip
_K_LEFT = (0x00000000, 0x5A827999, 0x6ED9EBA1, 0x8F1BBCDC, 0xA953FD4E)
_K_RIGHT = (0x50A28BE6, 0x5C4DD124, 0x6D703EF3, 0x7A6D76E9, 0x00000000)
_MASK32 = 0xFFFFFFFF


def _rotl(x: int, n: int) -> int:
    return ((x << n) | (x >> (32 - n))) & _MASK32


def _f(round_index: int, x: int, y: int, z: int) -> int:
    """The five boolean functions, one per round of 16 steps."""
    if round_index == 0:
        return x ^ y ^ z
    if round_index == 1:
        return (x & y) | (~x & z)
    if round_index == 2:
        return (x | ~y) ^ z
    if round_index == 3:
        return (x & z) | (y & ~z)
    return x ^ (y | ~z)


def ripemd160(data: bytes) -> bytes:
    """RIPEMD-160 of ``data`` (20 bytes), pure Python.

    >>> ripemd160(b"abc").hex()
    '8eb208f7e05d987a9b044a8e98c6b087f15a0bfc'
    """
    state = [0x67452301, 0xEFCDAB89, 0x98BADCFE, 0x10325476, 0xC3D2E1F0]
    # MD4-style padding: 0x80, zeros, then the bit length as a little-endian uint64.
    padded = bytes(data) + b"\x80" + b"\x00" * ((55 - len(data)) % 64)
    padded += (8 * len(data) & 0xFFFFFFFFFFFFFFFF).to_bytes(8, "little")
    for block_start in range(0, len(padded), 64):
        words = [
            int.from_bytes(padded[block_start + 4 * i : block_start + 4 * i + 4], "little")
            for i in range(16)
        ]
        al, bl, cl, dl, el = state
        ar, br, cr, dr, er = state
        for step in range(80):
            rnd = step // 16
            t = (al + _f(rnd, bl, cl, dl) + words[_R_LEFT[step]] + _K_LEFT[rnd]) & _MASK32
            t = (_rotl(t, _S_LEFT[step]) + el) & _MASK32
            al, el, dl, cl, bl = el, dl, _rotl(cl, 10), bl, t
            t = (ar + _f(4 - rnd, br, cr, dr) + words[_R_RIGHT[step]] + _K_RIGHT[rnd]) & _MASK32
            t = (_rotl(t, _S_RIGHT[step]) + er) & _MASK32
            ar, er, dr, cr, br = er, dr, _rotl(cr, 10), br, t
        h0, h1, h2, h3, h4 = state
        state = [
            (h1 + cl + dr) & _MASK32,
            (h2 + dl + er) & _MASK32,
            (h3 + el + ar) & _MASK32,
            (h4 + al + br) & _MASK32,
            (h0 + bl + cr) & _MASK32,
        ]
    return b"".join(word.to_bytes(4, "little") for word in state)


_fast_ripemd160 = _pick_ripemd160()
