"""ECDSA signing and verification on secp256k1, from scratch.

Follows SEC 1 v2 ("Elliptic Curve Cryptography", Certicom Research, 2009), sections 4.1.3
(signing) and 4.1.4 (verification).  Symbols, each used only inside the math:

    G, n     the base point and its order (curve.py)
    d        the private key, an integer in [1, n-1];  Q = d*G is the public key
    z        the message digest read as a big-endian integer (SHA-256 gives 256 bits = n's
             size, so no truncation is needed)
    k        the per-signature nonce in [1, n-1]; RFC 6979 derives it (rfc6979.py)
    (r, s)   the signature

Signing:   R = k*G;  r = R.x mod n;  s = (z + r*d) / k mod n
Verifying: w = 1/s mod n;  u1 = z*w;  u2 = r*w;  X = u1*G + u2*Q;  valid iff X.x mod n == r

Why verification works: u1*G + u2*Q = (z + r*d)/s * G = k*G = R.

**Low s.**  If (r, s) is valid then so is (r, n - s): anyone can flip a signature without the
key, which changes a transaction's id ("malleability").  Bitcoin (BIP 62/BIP 146) and
edu_chain therefore *produce* only the "low" one, ``s <= n/2``.  :func:`verify` below is the
textbook check and accepts both; rejecting high ``s`` is a policy applied by
``PublicKey.verify_digest`` and by transaction validation.

:func:`sign`, :func:`verify` (and :func:`curve.point_add`, :func:`curve.scalar_mult`) are
the reference the ``ecdsa`` exercise is graded against.
"""

from __future__ import annotations

from edu_chain.keys.curve import G, N, Point, is_on_curve, point_add, scalar_mult
from edu_chain.keys.rfc6979 import nonce_candidates

HALF_N = N // 2
"""``s`` values above this are "high" (BIP 62 "low S")."""


def digest_to_z(digest: bytes) -> int:
    """The integer ECDSA signs: the 32-byte digest read big-endian (SEC 1 section 4.1.3 step 5)."""
    return int.from_bytes(digest, "big")


def sign(private_key: int, z: int, k: int) -> tuple[int, int]:
    """Sign the digest integer ``z`` with the private key ``d`` and nonce ``k``; low-s result.

    Raises ``ValueError`` if ``d`` or ``k`` is outside ``[1, n-1]`` or if ``r`` or ``s`` comes
    out as 0 (then pick another ``k``).

    >>> r, s = sign(1, 0, 1)      # d = 1, z = 0, k = 1: r is G's x coordinate
    >>> hex(r)[:10], s <= HALF_N
    ('0x79be667e', True)
    """
    if not 1 <= private_key < N:
        raise ValueError(f"private key must be in [1, n-1], got {private_key}")
    if not 1 <= k < N:
        raise ValueError(f"nonce k must be in [1, n-1], got {k}")
    nonce_point = scalar_mult(k, G)
    assert nonce_point is not None  # k in [1, n-1] and n is G's order
    r = nonce_point[0] % N
    if r == 0:
        raise ValueError("r is 0 for this nonce; choose another k")
    s = pow(k, -1, N) * (z + r * private_key) % N
    if s == 0:
        raise ValueError("s is 0 for this nonce; choose another k")
    if s > HALF_N:
        s = N - s
    return r, s


def verify(public_key: Point, z: int, signature: tuple[int, int]) -> bool:
    """True if ``signature = (r, s)`` is a valid ECDSA signature of ``z`` by ``public_key``.

    Never raises on well-typed input: a public key off the curve or at infinity, or ``r``/``s``
    outside ``[1, n-1]``, simply gives ``False``.  Accepts high ``s`` (see the module docstring).
    """
    try:
        r, s = signature
    except (TypeError, ValueError):
        return False
    if not all(isinstance(v, int) and not isinstance(v, bool) for v in (r, s, z)):
        return False
    if not _is_affine_point(public_key) or not is_on_curve(public_key):
        return False
    if not (1 <= r < N and 1 <= s < N):
        return False
    w = pow(s, -1, N)
    u1 = z * w % N
    u2 = r * w % N
    point = point_add(scalar_mult(u1, G), scalar_mult(u2, public_key))
    if point is None:
        return False
    return point[0] % N == r


def _is_affine_point(value: object) -> bool:
    return (
        isinstance(value, tuple | list)
        and len(value) == 2
        and all(isinstance(c, int) and not isinstance(c, bool) for c in value)
    )


def sign_deterministic(private_key: int, digest: bytes) -> tuple[int, int]:
    """Sign a 32-byte digest with the RFC 6979 nonce: the signature every backend must match."""
    if not 1 <= private_key < N:
        raise ValueError(f"private key must be in [1, n-1], got {private_key}")
    z = digest_to_z(digest)
    for k in nonce_candidates(private_key, digest):
        try:
            return sign(private_key, z, k)
        except ValueError:  # r or s was 0: RFC 6979 says take the next candidate
            continue
    raise AssertionError("unreachable: nonce_candidates never ends")
