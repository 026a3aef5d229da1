"""Hidden checks for the ``ecdsa`` exercise: secp256k1 point arithmetic, signing, verifying.

Contract (docs/architecture.md#grading-and-the-trust-model): points are ``(x, y)`` tuples and
``None`` is the point at infinity; ``point_add(p, q)``, ``scalar_mult(k, p)``, ``sign(private_key,
z, k) -> (r, s)`` with low ``s`` (``s <= n // 2``), ``verify(public_key, z, (r, s)) -> bool``.

Reference: :func:`edu_chain.keys.curve.point_add`, :func:`edu_chain.keys.curve.scalar_mult`,
:func:`edu_chain.keys.ecdsa.sign`, :func:`edu_chain.keys.ecdsa.verify` (SEC 1 v2 sections
2.2.1, 3.2.1, 4.1.3, 4.1.4).  Known vectors: 2G and 3G from the SEC 2 base point (the values
every secp256k1 library's tests use), d = 1 whose public key is G itself, and the fact that
n*G is infinity.

Points are sent to the worker as lists ``[x, y]`` (JSON has no tuples), and the expected
values are lists too so that feedback shows expected and actual the same way, in hex.
"""

from __future__ import annotations

import itertools
from typing import Any

from hypothesis import strategies as st

from edu_chain.grading.spec import (
    Case,
    CheckGroup,
    Evidence,
    ExerciseSpec,
    Mistake,
    expect,
    random_group,
)
from edu_chain.keys.curve import G, N, point_add, point_neg, scalar_mult
from edu_chain.keys.ecdsa import HALF_N, sign, verify
from edu_chain.keys.field import P

TWO_G = (
    0xC6047F9441ED7D6D3045406E95C07CD85C778E4B8CEF3CA7ABAC09B95C709EE5,
    0x1AE168FEA63DC339A3C58419466CEAEEF7F632653266D0E1236431A950CFE52A,
)
THREE_G = (
    0xF9308A019258C31049344F85F89D5229B531C845836F99B08601F113BCE036F9,
    0x388F7B0F632DE8140FE337E62A37F3566500A99934C2231B6CB9FD7584B8E672,
)


def as_list(point: Any) -> list[int] | None:
    """A point as the JSON-friendly list the worker receives (``None`` stays ``None``)."""
    return None if point is None else [int(point[0]), int(point[1])]


def _tuple(point: Any) -> tuple[int, int] | None:
    return None if point is None else (int(point[0]), int(point[1]))


def ref_point_add(p: Any, q: Any) -> list[int] | None:
    return as_list(point_add(_tuple(p), _tuple(q)))


def ref_scalar_mult(k: int, p: Any) -> list[int] | None:
    return as_list(scalar_mult(k, _tuple(p)))


def ref_sign(private_key: int, z: int, k: int) -> list[int]:
    return list(sign(private_key, z, k))


def ref_verify(public_key: Any, z: int, signature: Any) -> bool:
    return verify(_tuple(public_key), z, tuple(signature))


def multiple(k: int) -> list[int] | None:
    return as_list(scalar_mult(k, G))


# --- check groups -----------------------------------------------------------------------


def _add_known() -> list[Case]:
    g = as_list(G)
    return [
        Case("point_add", (g, g), as_list(TWO_G), "SEC 2 base point: G + G = 2G"),
        Case("point_add", (g, as_list(TWO_G)), as_list(THREE_G), "G + 2G = 3G"),
        Case("point_add", (as_list(TWO_G), g), as_list(THREE_G), "2G + G = 3G"),
    ]


def _add_edges() -> list[Case]:
    g = as_list(G)
    minus_g = as_list(point_neg(G))
    five = multiple(5)
    return [
        Case("point_add", (g, None), g, "P + infinity = P"),
        Case("point_add", (None, g), g, "infinity + P = P"),
        Case("point_add", (None, None), None, "infinity + infinity = infinity"),
        Case("point_add", (g, minus_g), None, "P + (-P) = infinity"),
        Case("point_add", (five, as_list(point_neg(_tuple(five)))), None, "5G + (-5G)"),
        expect("point_add", ref_point_add, [five, five], "doubling 5G"),
        expect("point_add", ref_point_add, [five, multiple(7)], "5G + 7G"),
    ]


def _mult_known() -> list[Case]:
    g = as_list(G)
    return [
        Case("scalar_mult", (1, g), g, "1 * G = G (the public key of private key 1)"),
        Case("scalar_mult", (2, g), as_list(TWO_G), "2 * G"),
        Case("scalar_mult", (3, g), as_list(THREE_G), "3 * G"),
        Case("scalar_mult", (0, g), None, "0 * G = infinity"),
        Case("scalar_mult", (N, g), None, "n * G = infinity (n is G's order)"),
        Case("scalar_mult", (5, None), None, "k * infinity = infinity"),
        expect("scalar_mult", ref_scalar_mult, [0xB, multiple(0x1234)], "11 * (0x1234 * G)"),
    ]


SCALARS = st.integers(1, N - 1)

RANDOM_MULT = st.tuples(st.integers(0, 2**256 - 1), st.integers(1, 2**32)).map(
    lambda pair: expect("scalar_mult", ref_scalar_mult, [pair[0], multiple(pair[1])])
)

RANDOM_ADD = st.tuples(st.integers(1, 2**16), st.integers(1, 2**16)).map(
    lambda pair: expect("point_add", ref_point_add, [multiple(pair[0]), multiple(pair[1])])
)


def _raw_s(private_key: int, z: int, k: int) -> int:
    """``s`` before low-s normalisation (what a textbook ``sign`` returns)."""
    r = scalar_mult(k, G)[0] % N
    return pow(k, -1, N) * (z + r * private_key) % N


def _high_s_triples() -> list[tuple[int, int, int]]:
    """Inputs whose raw ``s`` is high, so only a normalising ``sign`` gets them right."""
    found = []
    for seed in range(1, 40):
        d, z, k = 0xC0FFEE + seed, 0xABCDEF * seed**7, 0x5EED + 3 * seed
        if _raw_s(d, z, k) > HALF_N:
            found.append((d, z, k))
        if len(found) == 3:
            break
    return found


def _sign_known() -> list[Case]:
    cases = [
        expect("sign", ref_sign, [1, 0, 1], "d = 1, z = 0, k = 1: r is G's x coordinate"),
        expect("sign", ref_sign, [0x12345, 2**255 + 1, 0x777], "a z above n"),
    ]
    cases += [
        expect("sign", ref_sign, list(t), "raw s is high: normalise") for t in _high_s_triples()
    ]
    return cases


def _sign_invalid() -> list[Case]:
    return [
        expect("sign", ref_sign, [0, 1, 1], "private key 0 is not a key"),
        expect("sign", ref_sign, [N, 1, 1], "private key n is not a key"),
        expect("sign", ref_sign, [1, 1, 0], "nonce k = 0"),
    ]


# Nonces below 2**32: signing costs one multiplication by k, and every mistake in sign is in
# the arithmetic of s, whatever the size of k (sign-known and verify-known hold full-size r and
# s; mult-known and mult-random multiply by scalars up to n).
NONCES = st.integers(1, 2**32)

RANDOM_SIGN = st.tuples(SCALARS, st.integers(0, 2**256 - 1), NONCES).map(
    lambda t: expect("sign", ref_sign, list(t))
)

TAMPERINGS = ("valid", "high-s", "other z", "other key", "other r", "other s", "r=0", "s=n")

# Verifying costs two scalar multiplications by u1 = z/s and u2 = r/s (mod n).  For a random
# signature both are 256-bit numbers, and a student's pure-Python verify spends ~25 ms on it;
# a grader running thousands of students cannot afford dozens of those per student (and
# mult-known's n * G already checks a full-size multiplication).  So the verify checks hold
# one signature made by sign with a digest chosen to keep u1 and u2 small (_cheaply_signed),
# and build the others backwards from small even u1 = 2a, u2 = 2b: R = u1*G + u2*Q,
# r = R.x mod n, s = r/u2, z = u1*s (mod n).
# That is a valid signature like any other (verify recomputes exactly u1 and u2), just cheap
# to check.  Each tampering keeps the numbers small for a verify that works: another z is
# z + s (u1 + 1), another r is r + s (u2 + 1), another s is 2s (u1/2 and u2/2, hence even
# u1 and u2), another key is Q + G.
SMALL = st.integers(1, 2**14)


def _cheap_signature(
    d: int, a: int, b: int, *, high_s: bool
) -> tuple[list[int], int, int, int, int]:
    """(public key, z, r, s, b) of a valid signature whose verify multiplies by 2a and 2b
    (``b`` may have moved up until ``s`` is high or low as asked)."""
    public_key = scalar_mult(d, G)
    while True:
        u1, u2 = 2 * a, 2 * b
        point = point_add(scalar_mult(u1, G), scalar_mult(u2, public_key))
        r = point[0] % N if point is not None else 0
        s = r * pow(u2, -1, N) % N
        if r and s and (s > HALF_N) == high_s:
            return [public_key[0], public_key[1]], u1 * s % N, r, s, b
        b += 1  # the other half of the s values: the next b gives a fresh coin toss


def _verify_case(d: int, a: int, b: int, how: str) -> Case:
    public_key, z, r, s, b = _cheap_signature(d, a, b, high_s=how == "high-s")
    if how == "other z":
        z = (z + s) % N
    elif how == "other key":
        public_key = multiple(d + 1) if (d + 1) % N else multiple(1)
    elif how == "other r":
        r = (r + s) % N or 1
    elif how == "other s":
        s = 2 * s % N
    elif how == "r=0":
        r = 0
    elif how == "s=n":
        s = N
    return expect("verify", ref_verify, [public_key, z, [r, s]], how)


def _cheaply_signed(d: int, u2: int) -> tuple[int, int]:
    """(z, k) such that ``sign(d, z, k)`` verifies with u2 = ``u2`` and a small u1.

    With k = d*u2 + c and z = r*c/u2 (mod n): s = (z + r*d)/k = r/u2, so verify computes
    u2 = r/s and u1 = z/s = c.  The next c is tried until s is low (sign would flip a high s,
    and with it the signs of u1 and u2)."""
    for c in itertools.count(1):
        k = d * u2 + c
        r = scalar_mult(k, G)[0] % N
        if r and r * pow(u2, -1, N) % N <= HALF_N:
            return r * c * pow(u2, -1, N) % N, k
    raise AssertionError("unreachable")  # pragma: no cover


def _verify_known() -> list[Case]:
    d = 0xA11CE
    z, k = _cheaply_signed(d, 0x1D)
    r, s = sign(d, z, k)
    cases = [expect("verify", ref_verify, [multiple(d), z, [r, s]], "a signature made by sign")]
    cases += [_verify_case(d, 0x5A5, 0x3C3, how) for how in TAMPERINGS]
    _, z, r, s, _ = _cheap_signature(d, 0x5A5, 0x3C3, high_s=False)
    cases.append(expect("verify", ref_verify, [None, z, [r, s]], "public key at infinity"))
    cases.append(expect("verify", ref_verify, [[1, 1], z, [r, s]], "public key off the curve"))
    return cases


RANDOM_VERIFY = st.builds(_verify_case, SCALARS, SMALL, SMALL, st.sampled_from(TAMPERINGS))


# --- mistakes -------------------------------------------------------------------------------


def _sign_not_normalised(private_key: int, z: int, k: int) -> list[int]:
    r = scalar_mult(k, G)[0] % N
    return [r, _raw_s(private_key, z, k)]


def _sign_mod_p(private_key: int, z: int, k: int) -> list[int]:
    r = scalar_mult(k, G)[0] % P
    s = pow(k, -1, P) * (z + r * private_key) % P
    return [r, min(s, P - s)]


def _sign_s_unreduced(private_key: int, z: int, k: int) -> list[int]:
    r = scalar_mult(k, G)[0] % N
    return [r, pow(k, -1, N) * (z + r * private_key)]


def _chord_when_doubling(p: Any, q: Any) -> Any:
    """point_add with the chord formula always, and 1/0 computed as 0 (Fermat's pow(0, p-2))."""
    (x1, y1), (x2, y2) = p, q
    slope = (y2 - y1) * pow(x2 - x1, P - 2, P) % P
    x3 = (slope * slope - x1 - x2) % P
    return [x3, (slope * (x1 - x3) - y1) % P]


def _is_negation(p: Any, q: Any) -> bool:
    return p is not None and q is not None and p[0] == q[0] and (p[1] + q[1]) % P == 0


def _scalar_bits_reversed(k: int, p: Any) -> Any:
    return ref_scalar_mult(int(bin(k)[:1:-1], 2), p) if k > 0 else None


def _sign_inverse_mod_p(private_key: int, z: int, k: int) -> list[int]:
    r = scalar_mult(k, G)[0] % N
    s = pow(k, -1, P) * (z + r * private_key) % N
    return [r, min(s, N - s)]


def _verify_rejects_all_valid(evidence: Evidence) -> bool:
    """Premise of "verify-arithmetic": the point arithmetic is right, verify refuses every
    valid signature (low and high s alike)."""
    valid = [o for o in evidence.of("verify") if o.case.expected is True]
    arithmetic = evidence.of("point_add", "scalar_mult")
    return (
        bool(valid)
        and not any(o.passed for o in valid)
        and bool(arithmetic)
        and all(o.passed for o in arithmetic)
    )


def _accepts_every_low_s(evidence: Evidence) -> bool:
    """Premise of "verify-rejects-high-s": every valid low-s signature is accepted."""
    low = [
        o for o in evidence.of("verify") if o.case.expected is True and o.case.args[2][1] <= HALF_N
    ]
    return bool(low) and all(o.passed for o in low)


def ref_point_double(p: Any) -> list[int] | None:
    return ref_point_add(p, p)


def ref_inverse_mod(a: int, m: int) -> int:
    return pow(a, -1, m)


def _point_double_cases() -> list[Case]:
    return [
        expect("point_double", ref_point_double, [as_list(G)], "2G"),
        expect("point_double", ref_point_double, [None], "2 * infinity"),
        expect("point_double", ref_point_double, [multiple(5)], "2 * 5G"),
    ]


def _inverse_mod_cases() -> list[Case]:
    return [
        expect("inverse_mod", ref_inverse_mod, [3, 7]),
        expect("inverse_mod", ref_inverse_mod, [2, P]),
        expect("inverse_mod", ref_inverse_mod, [0x1234, N]),
    ]


MISTAKES = (
    Mistake(
        "inverse-mod-p",
        "k^-1 must be the inverse modulo n, the order of G: pow(k, -1, n). You took it modulo "
        "p (the field size); everything in a signature after R.x is mod n.",
        variant=_sign_inverse_mod_p,
        functions=("sign",),
    ),
    Mistake(
        "verify-arithmetic",
        "Your point arithmetic is right but verify refuses every valid signature: check "
        "verify's own steps, all mod n: w = pow(s, -1, n), u1 = z*w mod n, u2 = r*w mod n, "
        "R = u1*G + u2*Q, and accept when R.x mod n == r.",
        matches=lambda case, actual: actual is False and case.expected is True,
        premise=_verify_rejects_all_valid,
        functions=("verify",),
    ),
    Mistake(
        "high-s-not-normalised",
        "Your s is the 'high' one: when s > n // 2 return n - s instead. (r, s) and (r, n - s) "
        "are both valid, so Bitcoin only accepts the low one to stop anyone flipping a "
        "signature (malleability).",
        variant=_sign_not_normalised,
        functions=("sign",),
    ),
    Mistake(
        "mod-p-instead-of-n",
        "Signatures live modulo n, the order of G (the number of points), not modulo p "
        "(the field size): r = R.x mod n, s = k^-1 (z + r*d) mod n.",
        variant=_sign_mod_p,
        functions=("sign",),
    ),
    Mistake(
        "s-not-reduced",
        "Reduce s modulo n: s = pow(k, -1, n) * (z + r * d) % n.",
        variant=_sign_s_unreduced,
        functions=("sign",),
    ),
    Mistake(
        "doubling-uses-chord",
        "Adding a point to itself needs the tangent: slope = (3*x1**2 + a) / (2*y1). The chord "
        "slope (y2 - y1) / (x2 - x1) divides by zero when the points are equal.",
        matches=lambda case, actual: (
            case.function == "point_add"
            and case.args[0] is not None
            and case.args[0] == case.args[1]
            and actual == _chord_when_doubling(*case.args)
        ),
    ),
    Mistake(
        "opposite-points-not-infinity",
        "P + (-P) is the point at infinity (None): check for x1 == x2 with y1 == -y2 (mod p) "
        "before using the tangent or the chord.",
        matches=lambda case, actual: (
            case.function == "point_add" and _is_negation(*case.args) and actual is not None
        ),
    ),
    Mistake(
        "infinity-not-neutral",
        "The point at infinity (None) is the neutral element, like 0: None + Q = Q and "
        "P + None = P; test for None before unpacking coordinates.",
        matches=lambda case, actual: (
            case.function == "point_add" and None in case.args and actual != case.expected
        ),
    ),
    Mistake(
        "scalar-bits-reversed",
        "Double-and-add must read k's bits in a consistent order: from the lowest bit up while "
        "doubling the addend, or from the highest bit down while doubling the result.",
        variant=_scalar_bits_reversed,
        functions=("scalar_mult",),
    ),
    Mistake(
        "verify-rejects-high-s",
        "This valid signature has a high s (s > n // 2) and your verify refuses it, while it "
        "accepts valid low-s ones: verify is the textbook ECDSA check and must accept both "
        "(the low-s rule is a transaction policy).",
        matches=lambda case, actual: (
            case.function == "verify"
            and case.expected is True
            and actual is False
            and case.args[2][1] > HALF_N
        ),
        premise=lambda evidence: _accepts_every_low_s(evidence),
    ),
)

SPEC = ExerciseSpec(
    exercise_id="ecdsa",
    version=3,
    groups=(
        CheckGroup("add-known", "G + G and G + 2G (SEC 2 values)", _add_known, public=True),
        CheckGroup("add-edges", "Infinity, P + (-P), doubling", _add_edges),
        random_group(
            "add-random", "Random multiples of G added", RANDOM_ADD, count=10, seed_value=6_001
        ),
        CheckGroup("mult-known", "k = 0, 1, 2, 3, n", _mult_known, public=True),
        random_group(
            "mult-random",
            "Random 256-bit scalars times random points",
            RANDOM_MULT,
            count=8,
            seed_value=6_002,
        ),
        CheckGroup(
            "sign-known", "Fixed signatures, including high raw s", _sign_known, public=True
        ),
        CheckGroup(
            "sign-invalid", "A key or nonce outside [1, n-1] raises ValueError", _sign_invalid
        ),
        random_group(
            "sign-random",
            "Random keys and digests, nonces below 2**32",
            RANDOM_SIGN,
            count=10,
            seed_value=6_003,
        ),
        CheckGroup(
            "verify-known",
            "A signature made by sign; cheap valid and tampered ones",
            _verify_known,
            public=True,
        ),
        random_group(
            "verify-random",
            "Random signatures, valid or tampered",
            RANDOM_VERIFY,
            count=12,
            seed_value=6_004,
        ),
    ),
    mistakes=MISTAKES,
    steps={"point_double": _point_double_cases, "inverse_mod": _inverse_mod_cases},
    builds_on={
        "scalar_mult": ("point_add",),
        "sign": ("scalar_mult", "point_add"),
        "verify": ("scalar_mult", "point_add"),
    },
)
