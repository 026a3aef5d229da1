"""The elliptic curve secp256k1, written out from scratch.

Domain parameters from SEC 2 v2 ("Recommended Elliptic Curve Domain Parameters", Certicom
Research, 2010), section 2.4.1::

    curve    y**2 = x**3 + a*x + b  over F_p, with a = 0 and b = 7
    p        2**256 - 2**32 - 977                     (the field, see field.py)
    G        the base point (Gx, Gy) below
    n        the order of G: n*G is the point at infinity; n is prime
    h        the cofactor, 1: every point on the curve is a multiple of G

A **point** is a tuple ``(x, y)`` of integers in ``[0, p)``, or ``None`` for the point at
infinity, the group's neutral element ("zero").  This is the representation the ``ecdsa``
exercise uses, and the functions below are the reference its grader compares against:

* :func:`point_add` -- the chord-and-tangent group law (SEC 1 v2, section 2.2.1);
* :func:`scalar_mult` -- ``k * P`` by double-and-add (SEC 1 v2, section 3.2.1 uses it to
  make a public key ``Q = d*G`` from a private key ``d``).

Everything here is affine and uses one field inversion per addition: correct and readable,
not fast and not constant-time.  Never use it for real money; the library's fast path
(``edu_chain.keys.fast``) uses libsecp256k1 or OpenSSL and is tested to agree bit for bit.
"""

from __future__ import annotations

from edu_chain.keys.field import P, field_inv

Point = tuple[int, int] | None
"""An affine point ``(x, y)``, or ``None`` for the point at infinity."""

A = 0
B = 7
GX = 0x79BE667EF9DCBBAC55A06295CE870B07029BFCDB2DCE28D959F2815B16F81798
GY = 0x483ADA7726A3C4655DA4FBFC0E1108A8FD17B448A68554199C47D08FFB10D4B8
G: tuple[int, int] = (GX, GY)
"""The base point (SEC 2, section 2.4.1, uncompressed form ``04 || Gx || Gy``)."""
N = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141
"""The order of G: the number of points in the group.  Private keys live in ``[1, n-1]``."""
H = 1
"""The cofactor: the curve's point count divided by n."""

INFINITY: Point = None


def is_on_curve(point: Point) -> bool:
    """True if ``point`` is infinity or satisfies ``y**2 == x**3 + 7 (mod p)`` with x, y < p.

    >>> is_on_curve(G), is_on_curve((1, 1))
    (True, False)
    """
    if point is None:
        return True
    x, y = point
    if not (0 <= x < P and 0 <= y < P):
        return False
    return (y * y - (x * x * x + A * x + B)) % P == 0


def point_neg(point: Point) -> Point:
    """``-P``: the reflection over the x axis (infinity is its own negative)."""
    if point is None:
        return None
    x, y = point
    return (x, (-y) % P)


def point_add(p: Point, q: Point) -> Point:
    """``p + q`` under the elliptic-curve group law (SEC 1 v2, section 2.2.1).

    Four cases:

    1. one of them is infinity: the other one is the answer (infinity is "zero");
    2. ``q == -p`` (same x, opposite y, which includes a point with y = 0 doubled):
       the vertical line meets the curve at infinity;
    3. ``p == q``: use the tangent, slope ``(3*x**2 + a) / (2*y)``;
    4. otherwise use the chord through them, slope ``(y2 - y1) / (x2 - x1)``.

    The third intersection of the line with the curve, reflected over the x axis, is the sum:
    ``x3 = slope**2 - x1 - x2`` and ``y3 = slope * (x1 - x3) - y1``.

    >>> point_add(G, None) == G, point_add(G, point_neg(G))
    (True, None)
    """
    if p is None:
        return q
    if q is None:
        return p
    x1, y1 = p
    x2, y2 = q
    if x1 == x2 and (y1 + y2) % P == 0:
        return None
    if x1 == x2:
        slope = (3 * x1 * x1 + A) * field_inv(2 * y1) % P
    else:
        slope = (y2 - y1) * field_inv(x2 - x1) % P
    x3 = (slope * slope - x1 - x2) % P
    y3 = (slope * (x1 - x3) - y1) % P
    return (x3, y3)


def scalar_mult(k: int, point: Point) -> Point:
    """``k * point`` by double-and-add, reading the bits of ``k`` from the lowest up.

    ``k`` may be any integer: multiples of n give infinity and a negative ``k`` multiplies
    ``-point``.  Cost: about 256 doublings and 128 additions for a 256-bit ``k``.

    >>> scalar_mult(2, G) == point_add(G, G), scalar_mult(N, G)
    (True, None)
    """
    if k < 0:
        return scalar_mult(-k, point_neg(point))
    result: Point = None
    addend = point
    while k:
        if k & 1:
            result = point_add(result, addend)
        addend = point_add(addend, addend)
        k >>= 1
    return result
