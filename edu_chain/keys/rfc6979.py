"""Deterministic ECDSA nonces: RFC 6979, section 3.2, with HMAC-SHA256.

Why: ECDSA needs a fresh secret number ``k`` for every signature, and a repeated or biased
``k`` leaks the private key (the 2010 PlayStation 3 break, many drained Bitcoin wallets).
RFC 6979 derives ``k`` from the private key and the message digest with HMAC, so signing
needs no randomness at all and the same (key, digest) always gives the same signature --
which is also what lets us check the from-scratch code against libsecp256k1 and OpenSSL bit
for bit.

The algorithm (RFC 6979, section 3.2; ``x`` = private key, ``h1`` = message digest,
``q`` = the group order, ``qlen`` its bit length)::

    V = 0x01 0x01 ... (32 bytes)          K = 0x00 0x00 ... (32 bytes)
    K = HMAC_K(V || 0x00 || int2octets(x) || bits2octets(h1));  V = HMAC_K(V)
    K = HMAC_K(V || 0x01 || int2octets(x) || bits2octets(h1));  V = HMAC_K(V)
    repeat:
        T = empty;  while len(T) < qlen bits:  V = HMAC_K(V);  T = T || V
        k = bits2int(T);  if 1 <= k < q: use k  (if the signature then fails, continue:)
        K = HMAC_K(V || 0x00);  V = HMAC_K(V)

The functions are generic in ``q`` so the RFC's own test vectors (appendix A.2.5, curve P-256
with SHA-256) can check this file; secp256k1 vectors are in the tests.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterator

from edu_chain.keys.curve import N


def bits2int(data: bytes, qlen: int) -> int:
    """RFC 6979 section 2.3.2: the leftmost ``qlen`` bits of ``data`` as an integer."""
    value = int.from_bytes(data, "big")
    excess = 8 * len(data) - qlen
    return value >> excess if excess > 0 else value


def int2octets(value: int, rlen: int) -> bytes:
    """RFC 6979 section 2.3.3: ``value`` as ``rlen`` big-endian bytes."""
    return value.to_bytes(rlen, "big")


def bits2octets(data: bytes, q: int) -> bytes:
    """RFC 6979 section 2.3.4: ``bits2int(data) mod q`` as ``rlen`` bytes."""
    qlen = q.bit_length()
    return int2octets(bits2int(data, qlen) % q, (qlen + 7) // 8)


def _hmac(key: bytes, data: bytes) -> bytes:
    return hmac.new(key, data, hashlib.sha256).digest()


def nonce_candidates(secret: int, digest: bytes, q: int = N) -> Iterator[int]:
    """Yield the RFC 6979 nonces for ``secret`` and ``digest``, first one first.

    Almost always the first candidate is used; the caller takes the next only if the
    signature made with it has ``r == 0`` or ``s == 0`` (probability about 2**-256).
    """
    qlen = q.bit_length()
    rlen = (qlen + 7) // 8
    key_material = int2octets(secret, rlen) + bits2octets(digest, q)
    v = b"\x01" * 32
    k = b"\x00" * 32
    k = _hmac(k, v + b"\x00" + key_material)
    v = _hmac(k, v)
    k = _hmac(k, v + b"\x01" + key_material)
    v = _hmac(k, v)
    while True:
        t = b""
        while 8 * len(t) < qlen:
            v = _hmac(k, v)
            t += v
        candidate = bits2int(t, qlen)
        if 1 <= candidate < q:
            yield candidate
        k = _hmac(k, v + b"\x00")
        v = _hmac(k, v)


def deterministic_k(secret: int, digest: bytes, q: int = N) -> int:
    """The first RFC 6979 nonce for ``secret`` and the 32-byte ``digest``."""
    return next(nonce_candidates(secret, digest, q))
