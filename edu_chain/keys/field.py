"""Arithmetic in the finite field F_p that secp256k1 lives in.

SEC 2 v2 (Standards for Efficient Cryptography, "Recommended Elliptic Curve Domain
Parameters", 2010), section 2.4.1, defines secp256k1 over the prime field F_p with

    p = 2**256 - 2**32 - 977
      = FFFFFFFF FFFFFFFF FFFFFFFF FFFFFFFF FFFFFFFF FFFFFFFF FFFFFFFE FFFFFC2F

Elements of F_p are the integers 0 .. p-1; adding, subtracting and multiplying are the usual
operations followed by ``% p``.  Division is multiplication by the *inverse*: because p is
prime, Fermat's little theorem gives ``a**(p-1) == 1``, hence ``a**(p-2)`` is ``1/a``.
(Python's ``pow(a, -1, p)`` computes the same inverse with the extended Euclidean algorithm,
which is faster; both are shown below.)

We keep field elements as plain ``int`` so the curve code reads like the formulas in the
textbooks; every function here takes and returns integers in ``[0, p)``.
"""

from __future__ import annotations

P = 2**256 - 2**32 - 977
"""The field prime of secp256k1 (SEC 2, section 2.4.1)."""


def field_add(a: int, b: int) -> int:
    return (a + b) % P


def field_sub(a: int, b: int) -> int:
    return (a - b) % P


def field_mul(a: int, b: int) -> int:
    return (a * b) % P


def field_inv(a: int) -> int:
    """The multiplicative inverse ``1/a`` in F_p; ``a`` must not be 0 mod p.

    >>> field_mul(7, field_inv(7))
    1
    """
    if a % P == 0:
        raise ZeroDivisionError("0 has no inverse in F_p")
    return pow(a, -1, P)


def field_inv_fermat(a: int) -> int:
    """The same inverse via Fermat's little theorem: ``a**(p-2) mod p`` (slower, easier to see)."""
    if a % P == 0:
        raise ZeroDivisionError("0 has no inverse in F_p")
    return pow(a, P - 2, P)


def field_div(a: int, b: int) -> int:
    return (a * field_inv(b)) % P


def field_sqrt(a: int) -> int | None:
    """A square root of ``a`` in F_p, or ``None`` if ``a`` is not a square.

    secp256k1's p is 3 mod 4, so ``a**((p+1)/4)`` is a root whenever one exists; we check by
    squaring.  This is how a compressed public key (x and the parity of y) is decompressed.
    """
    root = pow(a, (P + 1) // 4, P)
    return root if (root * root - a) % P == 0 else None
