"""Hypothesis properties of keys and signatures (transactions: test_script_props.py).

Oracles: the round-trip laws themselves, the from-scratch reference vs the fast backends,
and the independent `ecdsa` library (python-ecdsa's RFC 6979 signing, low-s normalised).
"""

import contextlib
import hashlib
import importlib.util

import ecdsa as ecdsa_lib
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from edu_chain.errors import DecodeError, KeyFormatError
from edu_chain.keys import (
    N,
    PrivateKey,
    PublicKey,
    Signature,
    address_to_pubkey_hash,
    available_backends,
    pubkey_hash_to_address,
    verify_batch,
)
from edu_chain.keys.ecdsa import HALF_N
from edu_chain.tx import Transaction

secrets_st = st.integers(min_value=1, max_value=N - 1)
digests = st.binary(min_size=32, max_size=32)
scalars = st.integers(min_value=1, max_value=N - 1)
FAST = [name for name in available_backends() if name != "reference"]


def flip_bit(data: bytes, bit: int) -> bytes:
    bit %= 8 * len(data)
    flipped = bytearray(data)
    flipped[bit // 8] ^= 1 << (bit % 8)
    return bytes(flipped)


@given(secrets_st, digests)
def test_sign_verify_round_trip_fast(secret, digest):
    key = PrivateKey(secret)
    signature = key.sign_digest(digest)
    assert signature.is_low_s()
    assert key.public_key.verify_digest(signature, digest)


@settings(max_examples=15)
@given(secrets_st, digests)
def test_reference_equals_fast_paths_equals_ecdsa_library(secret, digest):
    reference = PrivateKey(secret).sign_digest(digest, backend="reference")
    for backend in FAST:
        assert PrivateKey(secret).sign_digest(digest, backend=backend) == reference
    library_key = ecdsa_lib.SigningKey.from_secret_exponent(secret, curve=ecdsa_lib.SECP256k1)
    r, s = ecdsa_lib.util.sigdecode_string(
        library_key.sign_digest_deterministic(
            digest, hashfunc=hashlib.sha256, sigencode=ecdsa_lib.util.sigencode_string
        ),
        N,
    )
    assert (reference.r, reference.s) == (r, N - s if s > HALF_N else s)
    public_key = PrivateKey(secret).public_key
    assert public_key.verify_digest(reference, digest, backend="reference")
    assert public_key.sec() == library_key.get_verifying_key().to_string("compressed")


@given(secrets_st, digests, st.integers(min_value=0, max_value=255))
def test_flipped_bit_in_digest_fails(secret, digest, bit):
    key = PrivateKey(secret)
    signature = key.sign_digest(digest)
    assert not key.public_key.verify_digest(signature, flip_bit(digest, bit))


@given(secrets_st, digests, st.integers(min_value=0))
def test_flipped_bit_in_signature_fails(secret, digest, bit):
    key = PrivateKey(secret)
    der = flip_bit(key.sign_digest(digest).der(), bit)
    try:
        signature = Signature.from_der(der, allow_high_s=True)
    except KeyFormatError:
        return  # the flip broke the encoding: refused with the documented error
    for backend in FAST:
        assert not key.public_key.verify_digest(signature, digest, backend=backend)


@settings(max_examples=10)
@given(secrets_st, digests, st.integers(min_value=0))
def test_flipped_bit_fails_in_the_reference_too(secret, digest, bit):
    key = PrivateKey(secret)
    signature = key.sign_digest(digest)
    assert not key.public_key.verify_digest(signature, flip_bit(digest, bit), backend="reference")


@given(scalars, scalars)
def test_der_round_trip(r, s):
    signature = Signature(r, s)
    der = signature.der()
    assert 8 <= len(der) <= 72
    assert Signature.from_der(der, allow_high_s=True) == signature


@given(secrets_st)
def test_sec_round_trip(secret):
    public_key = PrivateKey(secret).public_key
    assert PublicKey.from_sec(public_key.sec()) == public_key
    assert PublicKey.from_sec(public_key.sec(compressed=False)) == public_key
    assert address_to_pubkey_hash(public_key.address()) == public_key.pubkey_hash()


@given(st.binary(max_size=80))
def test_arbitrary_bytes_never_crash_the_parsers(data):
    with contextlib.suppress(KeyFormatError):
        Signature.from_der(data, allow_high_s=True)
    with contextlib.suppress(KeyFormatError):
        PublicKey.from_sec(data)
    with contextlib.suppress(DecodeError):
        Transaction.parse(data)
    assert verify_batch([(data, data[:32], data)]) in ([False], [True])


@given(st.text(max_size=40))
def test_arbitrary_text_is_an_address_or_a_key_format_error(text):
    try:
        pubkey_hash = address_to_pubkey_hash(text)
    except KeyFormatError:
        return
    assert pubkey_hash_to_address(pubkey_hash) == text.strip()


@settings(max_examples=25)
@given(st.lists(st.tuples(secrets_st, digests, st.booleans()), max_size=6))
def test_verify_batch_matches_one_by_one(entries):
    items, expected = [], []
    for secret, digest, corrupt in entries:
        key = PrivateKey(secret)
        der = key.sign_digest(digest).der()
        items.append((key.public_key.sec(), flip_bit(digest, 3) if corrupt else digest, der))
        expected.append(not corrupt)
    assert verify_batch(items) == expected
    assert verify_batch(items, executor="serial", backend="reference") == expected


@settings(max_examples=20)
@given(secrets_st, scalars, scalars, digests)
def test_random_well_formed_signatures_are_false_on_every_backend(secret, r, s, digest):
    public_key = PrivateKey(secret).public_key
    signature = Signature(r, s)
    for backend in available_backends():
        assert public_key.verify_digest(signature, digest, backend=backend) is False


# --- the group law (the ecdsa exercise's reference functions) ----------------------------


@settings(max_examples=20)
@given(scalars, scalars)
def test_scalar_mult_distributes_over_point_add(a, b):
    from edu_chain.keys.curve import G, point_add, scalar_mult

    a_g, b_g = scalar_mult(a, G), scalar_mult(b, G)
    assert point_add(a_g, b_g) == point_add(b_g, a_g) == scalar_mult(a + b, G)
    library_point = ecdsa_lib.SECP256k1.generator * a
    assert a_g == (library_point.x(), library_point.y())


@settings(max_examples=10)
@given(scalars, scalars, scalars)
def test_point_add_is_associative(a, b, c):
    from edu_chain.keys.curve import G, point_add, scalar_mult

    p, q, r = (scalar_mult(k, G) for k in (a, b, c))
    assert point_add(point_add(p, q), r) == point_add(p, point_add(q, r))


# --- strict DER: our parser accepts exactly what libsecp256k1's parser accepts -----------


def _libsecp256k1_parse_der(data: bytes) -> tuple[int, int] | None:
    """libsecp256k1's own strict-DER parser (via coincurve's cffi module), with the range
    check it leaves to verification (it maps out-of-range r or s to zero)."""
    from coincurve._libsecp256k1 import ffi, lib
    from coincurve.context import GLOBAL_CONTEXT

    signature = ffi.new("secp256k1_ecdsa_signature *")
    if not lib.secp256k1_ecdsa_signature_parse_der(GLOBAL_CONTEXT.ctx, signature, data, len(data)):
        return None
    compact = ffi.new("unsigned char[64]")
    lib.secp256k1_ecdsa_signature_serialize_compact(GLOBAL_CONTEXT.ctx, compact, signature)
    raw = bytes(ffi.buffer(compact, 64))
    r, s = int.from_bytes(raw[:32], "big"), int.from_bytes(raw[32:], "big")
    return (r, s) if 1 <= r < N and 1 <= s < N else None


mutations = st.lists(
    st.tuples(
        st.sampled_from(["set", "delete", "insert", "flip"]),
        st.integers(min_value=0),
        st.integers(min_value=0, max_value=255),
    ),
    min_size=1,
    max_size=3,
)


@pytest.mark.skipif(importlib.util.find_spec("coincurve") is None, reason="needs coincurve")
@settings(max_examples=300)
@given(secrets_st, digests, mutations)
def test_der_parser_agrees_with_libsecp256k1(secret, digest, edits):
    data = bytearray(PrivateKey(secret).sign_digest(digest).der())
    for operation, position, value in edits:
        if operation == "insert":
            data.insert(position % (len(data) + 1), value)
        elif data and operation == "set":
            data[position % len(data)] = value
        elif data and operation == "delete":
            del data[position % len(data)]
        elif data:
            data[position % len(data)] ^= 1 << (value % 8)
    data = bytes(data)
    try:
        ours = Signature.from_der(data, allow_high_s=True)
    except KeyFormatError:
        ours = None
    expected = _libsecp256k1_parse_der(data)
    assert (None if ours is None else (ours.r, ours.s)) == expected


sec_edits = st.tuples(
    st.sampled_from(["set", "delete", "flip"]),
    st.integers(min_value=0),
    st.integers(min_value=0, max_value=255),
)


@pytest.mark.skipif(importlib.util.find_spec("coincurve") is None, reason="needs coincurve")
@settings(max_examples=300)
@given(secrets_st, st.booleans(), sec_edits)
def test_sec_parser_agrees_with_libsecp256k1(secret, compressed, edit):
    """Same accept/reject and same point as libsecp256k1's ec_pubkey_parse, except the
    'hybrid' prefixes 0x06/0x07 (X9.62) it still accepts and edu_chain refuses."""
    import coincurve

    data = bytearray(PrivateKey(secret).public_key.sec(compressed))
    operation, position, value = edit
    if operation == "set":
        data[position % len(data)] = value
    elif operation == "delete":
        del data[position % len(data)]
    else:
        data[position % len(data)] ^= 1 << (value % 8)
    data = bytes(data)
    try:
        ours = PublicKey.from_sec(data).sec(compressed=False)
    except KeyFormatError:
        ours = None
    try:
        theirs = coincurve.PublicKey(data).format(compressed=False)
    except ValueError:
        theirs = None
    if data and data[0] in (6, 7):
        assert ours is None
    else:
        assert ours == theirs
