"""Exercise ecdsa: secp256k1 point arithmetic, then ECDSA signing (low s) and verification.

Points are (x, y) tuples of ints, and None is the point at infinity. The grader sends points
as lists [x, y] (JSON has no tuples): unpack them with `x, y = p` and you will not notice.
Ready-made curve libraries (ecdsa, coincurve, cryptography) are banned: write it yourself.
Check your work:   educhain check ecdsa.py
"""

# secp256k1's domain parameters (SEC 2, section 2.4.1): y**2 = x**3 + 7 over the integers mod P.
P = 2**256 - 2**32 - 977  # the field size: coordinates live modulo P
N = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141  # order of G
G = (
    0x79BE667EF9DCBBAC55A06295CE870B07029BFCDB2DCE28D959F2815B16F81798,
    0x483ADA7726A3C4655DA4FBFC0E1108A8FD17B448A68554199C47D08FFB10D4B8,
)

Point = tuple[int, int] | None


def point_add(p: Point, q: Point) -> Point:
    """p + q on the curve (None is the point at infinity, the "zero")."""
    # Step 1: if p is None, return q; if q is None, return p.
    # Step 2: x1, y1 = p and x2, y2 = q. If x1 == x2 and (y1 + y2) % P == 0, the points are
    #         opposite (or a point with y = 0 is doubled): return None.
    # Step 3: the slope: if x1 == x2 (so p == q), the tangent (3 * x1**2) / (2 * y1);
    #         otherwise the chord (y2 - y1) / (x2 - x1). Divide by multiplying with the
    #         inverse modulo P: pow(value, -1, P).
    # Step 4: x3 = (slope**2 - x1 - x2) % P;  y3 = (slope * (x1 - x3) - y1) % P.
    # Step 5: return (x3, y3).
    raise NotImplementedError("point_add: follow steps 1-5")


def scalar_mult(k: int, p: Point) -> Point:
    """k * p by double-and-add (k >= 0; 0 * p and k * None are None)."""
    # Step 1: result = None (infinity), addend = p.
    # Step 2: while k > 0: if the lowest bit of k is 1 (k & 1), result = result + addend;
    #         then addend = addend + addend (doubling) and k >>= 1.
    # Step 3: return result.
    raise NotImplementedError("scalar_mult: follow steps 1-3")


def sign(private_key: int, z: int, k: int) -> tuple[int, int]:
    """The ECDSA signature (r, s) of the digest integer z, with nonce k, and s <= N // 2."""
    # Step 1: if private_key or k is not in [1, N - 1], raise ValueError.
    # Step 2: R = k * G;  r = R's x coordinate mod N.
    # Step 3: s = k^-1 * (z + r * private_key) mod N   (the inverse modulo N: pow(k, -1, N)).
    # Step 4: if r == 0 or s == 0, raise ValueError (another k is needed).
    # Step 5: low s: if s > N // 2, use N - s instead.
    # Step 6: return (r, s).
    raise NotImplementedError("sign: follow steps 1-6")


def verify(public_key: Point, z: int, signature: tuple[int, int]) -> bool:
    """True if signature = (r, s) is a valid signature of z by public_key (high s accepted)."""
    # Step 1: r, s = signature. Return False unless 1 <= r < N and 1 <= s < N.
    # Step 2: return False if public_key is None or not on the curve
    #         ((y**2 - x**3 - 7) % P != 0).
    # Step 3: w = s^-1 mod N;  u1 = z * w mod N;  u2 = r * w mod N.
    # Step 4: X = u1 * G + u2 * public_key  (two scalar_mult, one point_add).
    # Step 5: return X is not None and X's x coordinate mod N == r.
    raise NotImplementedError("verify: follow steps 1-5")
