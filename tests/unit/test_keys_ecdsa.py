"""ECDSA sign/verify and RFC 6979 nonces: published vectors, the ecdsa library, all backends."""

import hashlib

import ecdsa as ecdsa_lib
import pytest

from edu_chain.keys import N, PrivateKey, PublicKey, Signature, available_backends
from edu_chain.keys.curve import G, scalar_mult
from edu_chain.keys.ecdsa import HALF_N, digest_to_z, sign, sign_deterministic, verify
from edu_chain.keys.rfc6979 import deterministic_k, nonce_candidates

# secp256k1 + SHA-256 + RFC 6979 + low-s vectors: (private key, message, nonce k, r||s).
# Source: bitcoinjs-lib test/fixtures/ecdsa.json ("valid" section), the same set used in
# trezor-crypto's tests; RFC 6979 itself has no secp256k1 vectors.  Cross-checked below with
# the independent `ecdsa` library.
SECP256K1_VECTORS = [
    (
        1,
        b"Satoshi Nakamoto",
        0x8F8A276C19F4149656B280621E358CCE24F5F52542772691EE69063B74F15D15,
        "934b1ea10a4b3c1757e2b0c017d0b6143ce3c9a7e6a4a49860d7a6ab210ee3d8"
        "2442ce9d2b916064108014783e923ec36b49743e2ffa1c4496f01a512aafd9e5",
    ),
    (
        1,
        b"All those moments will be lost in time, like tears in rain. Time to die...",
        0x38AA22D72376B4DBC472E06C3BA403EE0A394DA63FC58D88686C611ABA98D6B3,
        "8600dbd41e348fe5c9465ab92d23e3db8b98b873beecd930736488696438cb6b"
        "547fe64427496db33bf66019dacbf0039c04199abb0122918601db38a72cfc21",
    ),
    (
        N - 1,
        b"Satoshi Nakamoto",
        0x33A19B60E25FB6F4435AF53A3D42D493644827367E6453928554F43E49AA6F90,
        "fd567d121db66e382991534ada77a6bd3106f0a1098c231e47993447cd6af2d0"
        "6b39cd0eb1bc8603e159ef5c20a5c8ad685a45b06ce9bebed3f153d10d93bed5",
    ),
    (
        0xF8B8AF8CE3C7CCA5E300D33939540C10D45CE001B8F252BFBC57BA0342904181,
        b"Alan Turing",
        0x525A82B70E67874398067543FD84C83D30C175FDC45FDEEE082FE13B1D7CFDF1,
        "7063ae83e7f62bbb171798131b4a0564b956930092b33b07b395615d9ec7e15c"
        "58dfcc1e00a35e1572f366ffe34ba0fc47db1e7189759b9fb233c5b05ab388ea",
    ),
]

# RFC 6979 appendix A.2.5 (curve P-256, SHA-256): checks rfc6979.py against the RFC itself.
P256_ORDER = 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551
P256_KEY = 0xC9AFA9D845BA75166B5C215767B1D6934E50C3DB36E89B127B8A622B120F6721
P256_NONCES = {
    b"sample": 0xA6E3C57DD01ABE90086538398355DD4C3B17AA873382B0F24D6129493D8AAD60,
    b"test": 0xD16B6AE827F17175E040871A1C7EC3500192C4C92677336EC2537ACAEE0008E0,
}


def ecdsa_library_signature(secret: int, digest: bytes) -> tuple[int, int]:
    """The independent oracle: python-ecdsa's RFC 6979 signing, then low-s normalisation."""
    key = ecdsa_lib.SigningKey.from_secret_exponent(secret, curve=ecdsa_lib.SECP256k1)
    der = key.sign_digest_deterministic(
        digest, hashfunc=hashlib.sha256, sigencode=ecdsa_lib.util.sigencode_der
    )
    r, s = ecdsa_lib.util.sigdecode_der(der, N)
    return r, (N - s if s > HALF_N else s)


@pytest.mark.parametrize("message, expected_k", sorted(P256_NONCES.items()))
def test_rfc6979_appendix_a25_p256_nonces(message, expected_k):
    digest = hashlib.sha256(message).digest()
    assert deterministic_k(P256_KEY, digest, P256_ORDER) == expected_k


@pytest.mark.parametrize("secret, message, expected_k, expected_rs", SECP256K1_VECTORS)
def test_secp256k1_vectors(secret, message, expected_k, expected_rs):
    digest = hashlib.sha256(message).digest()
    assert deterministic_k(secret, digest) == expected_k
    r, s = sign_deterministic(secret, digest)
    assert f"{r:064x}{s:064x}" == expected_rs
    assert (r, s) == ecdsa_library_signature(secret, digest)
    for backend in available_backends():
        signature = PrivateKey(secret).sign_digest(digest, backend=backend)
        assert f"{signature.r:064x}{signature.s:064x}" == expected_rs, backend


def test_sign_with_explicit_nonce_is_the_exercise_reference():
    digest = hashlib.sha256(b"Satoshi Nakamoto").digest()
    r, s = sign(1, digest_to_z(digest), SECP256K1_VECTORS[0][2])
    assert f"{r:064x}{s:064x}" == SECP256K1_VECTORS[0][3]
    assert verify(G, digest_to_z(digest), (r, s))


def test_sign_always_returns_low_s():
    # d = 2, k = 1: r = Gx and the raw s = z + r*d.  Choose z so the raw s is high.
    r_expected = G[0]
    z = (HALF_N + 10 - r_expected * 2) % N
    r, s = sign(2, z, 1)
    assert r == r_expected
    assert s == N - (HALF_N + 10)
    assert s <= HALF_N


@pytest.mark.parametrize("bad", [0, N, -1, N + 5])
def test_sign_rejects_out_of_range_key_and_nonce(bad):
    with pytest.raises(ValueError):
        sign(bad, 1, 1)
    with pytest.raises(ValueError):
        sign(1, 1, bad)
    with pytest.raises(ValueError):
        sign_deterministic(bad, bytes(32))


def test_textbook_verify_accepts_high_s_but_the_key_api_does_not():
    digest = hashlib.sha256(b"low s").digest()
    r, s = sign(7, digest_to_z(digest), 12345)
    public_point = scalar_mult(7, G)
    assert verify(public_point, digest_to_z(digest), (r, N - s))
    public_key = PublicKey(*public_point)
    for backend in available_backends():
        assert public_key.verify_digest(Signature(r, s), digest, backend=backend)
        assert not public_key.verify_digest(Signature(r, N - s), digest, backend=backend)


@pytest.mark.parametrize(
    "public_key, signature",
    [
        (None, (1, 1)),
        ((1, 1), (1, 1)),  # not on the curve
        ("junk", (1, 1)),
        (G, (0, 1)),
        (G, (1, 0)),
        (G, (N, 1)),
        (G, (1, N)),
        (G, (1,)),
        (G, "rs"),
        (G, (1.5, 2)),
    ],
)
def test_textbook_verify_never_raises(public_key, signature):
    assert verify(public_key, 5, signature) is False


def test_nonce_candidates_continue_deterministically():
    digest = hashlib.sha256(b"again").digest()
    first_three = [k for k, _ in zip(nonce_candidates(3, digest), range(3), strict=False)]
    again = [k for k, _ in zip(nonce_candidates(3, digest), range(3), strict=False)]
    assert first_three == again
    assert len(set(first_three)) == 3
    assert all(1 <= k < N for k in first_three)


@pytest.mark.parametrize("secret", [1, 2, 3, 0xA11CE, 2**255, N - 1])
def test_every_backend_derives_the_same_public_key(secret):
    from edu_chain.keys import get_backend

    library = ecdsa_lib.SigningKey.from_secret_exponent(secret, curve=ecdsa_lib.SECP256k1)
    expected = library.get_verifying_key().to_string("compressed")
    for backend in available_backends():
        assert get_backend(backend).public_key_sec(secret) == expected, backend
