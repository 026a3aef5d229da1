"""The fast path: the same ECDSA, computed by a C library.

The from-scratch code in ``curve.py``/``ecdsa.py`` is the specification; this module gives
the *same signatures* roughly 100 times faster, which is what a node validating blocks needs
(docs/architecture.md#signatures).  Two backends, chosen once at import:

``coincurve``
    Bindings to libsecp256k1, the library Bitcoin Core uses (optional dependency:
    ``pip install 'edu-chain[fast]'``).  Signs with RFC 6979 nonces and always returns low-s
    signatures; its verify rejects high-s signatures.
``cryptography``
    OpenSSL's generic curve code, always installed.  Deterministic signing
    (``ECDSA(..., deterministic_signing=True)``, RFC 6979) needs cryptography >= 43 with
    OpenSSL >= 3.2; we normalise its ``s`` to the low half.

Every backend offers ``public_key_sec(secret) -> bytes`` (33-byte compressed SEC),
``sign(secret, digest32) -> (r, s)`` (RFC 6979, low-s) and
``verify(sec, digest32, r, s) -> bool`` (False for high-s, never raises on bad input).
``reference`` wraps the from-scratch code in the same shape so tests and benchmarks can
compare all of them.  Set ``EDU_CHAIN_ECDSA_BACKEND`` to force a backend.
"""

from __future__ import annotations

import os
from functools import cache, lru_cache
from typing import Protocol

from edu_chain.errors import KeyFormatError
from edu_chain.keys import curve, ecdsa
from edu_chain.keys.der import decode_der_signature, encode_der_signature
from edu_chain.keys.ecdsa import HALF_N
from edu_chain.keys.sec import decode_sec, encode_sec


class Backend(Protocol):
    name: str

    def public_key_sec(self, secret: int) -> bytes: ...

    def sign(self, secret: int, digest: bytes) -> tuple[int, int]: ...

    def verify(self, sec: bytes, digest: bytes, r: int, s: int) -> bool: ...


class ReferenceBackend:
    """The from-scratch code of this package, in the backend shape."""

    name = "reference"

    def public_key_sec(self, secret: int) -> bytes:
        point = curve.scalar_mult(secret, curve.G)
        assert point is not None
        return encode_sec(point)

    def sign(self, secret: int, digest: bytes) -> tuple[int, int]:
        return ecdsa.sign_deterministic(secret, digest)

    def verify(self, sec: bytes, digest: bytes, r: int, s: int) -> bool:
        if not 1 <= s <= HALF_N or len(digest) != 32:
            return False
        try:
            point = decode_sec(sec)
        except KeyFormatError:
            return False
        return ecdsa.verify(point, ecdsa.digest_to_z(digest), (r, s))


class CoincurveBackend:
    """libsecp256k1 through coincurve (cffi releases the GIL during each C call)."""

    name = "coincurve"

    def __init__(self) -> None:
        import coincurve

        self._coincurve = coincurve
        self._private = lru_cache(maxsize=1024)(
            lambda secret: coincurve.PrivateKey(secret.to_bytes(32, "big"))
        )
        self._public = lru_cache(maxsize=8192)(coincurve.PublicKey)

    def public_key_sec(self, secret: int) -> bytes:
        return self._private(secret).public_key.format(compressed=True)

    def sign(self, secret: int, digest: bytes) -> tuple[int, int]:
        der = self._private(secret).sign(digest, hasher=None)
        return decode_der_signature(der)

    def verify(self, sec: bytes, digest: bytes, r: int, s: int) -> bool:
        if not (1 <= r < curve.N and 1 <= s <= HALF_N) or len(digest) != 32:
            return False
        try:
            public_key = self._public(bytes(sec))
            return bool(public_key.verify(encode_der_signature(r, s), digest, hasher=None))
        except (ValueError, TypeError):  # coincurve raises ValueError for malformed keys
            return False


class CryptographyBackend:
    """OpenSSL through ``cryptography``, with RFC 6979 deterministic signing."""

    name = "cryptography"

    def __init__(self) -> None:
        from cryptography.exceptions import InvalidSignature
        from cryptography.hazmat.primitives import hashes, serialization
        from cryptography.hazmat.primitives.asymmetric import ec, utils

        self._invalid = InvalidSignature
        self._curve = ec.SECP256K1()
        try:
            self._sign_algorithm = ec.ECDSA(
                utils.Prehashed(hashes.SHA256()), deterministic_signing=True
            )
        except Exception as error:  # cryptography < 43 or OpenSSL < 3.2: no RFC 6979 here
            raise ImportError(f"cryptography cannot sign deterministically: {error}") from error
        self._verify_algorithm = ec.ECDSA(utils.Prehashed(hashes.SHA256()))
        self._encode = utils.encode_dss_signature
        self._decode = utils.decode_dss_signature
        self._x962 = serialization.Encoding.X962
        self._compressed = serialization.PublicFormat.CompressedPoint
        self._private = lru_cache(maxsize=1024)(
            lambda secret: ec.derive_private_key(secret, self._curve)
        )
        self._public = lru_cache(maxsize=8192)(
            lambda sec: ec.EllipticCurvePublicKey.from_encoded_point(self._curve, sec)
        )

    def public_key_sec(self, secret: int) -> bytes:
        return self._private(secret).public_key().public_bytes(self._x962, self._compressed)

    def sign(self, secret: int, digest: bytes) -> tuple[int, int]:
        der = self._private(secret).sign(digest, self._sign_algorithm)
        r, s = self._decode(der)
        return r, (curve.N - s if s > HALF_N else s)

    def verify(self, sec: bytes, digest: bytes, r: int, s: int) -> bool:
        if not (1 <= r < curve.N and 1 <= s <= HALF_N) or len(digest) != 32:
            return False
        try:
            public_key = self._public(bytes(sec))
            public_key.verify(self._encode(r, s), digest, self._verify_algorithm)
        except (self._invalid, ValueError, TypeError):
            return False
        return True


_FACTORIES = {
    "coincurve": CoincurveBackend,
    "cryptography": CryptographyBackend,
    "reference": ReferenceBackend,
}


@cache
def get_backend(name: str | None = None) -> Backend:
    """The backend called ``name``, or the fastest one installed when ``name`` is None.

    Raises ``ValueError`` for an unknown name and ``ImportError`` if its library is missing.
    """
    if name is None:
        name = os.environ.get("EDU_CHAIN_ECDSA_BACKEND") or None
    if name is None:
        for candidate in ("coincurve", "cryptography"):
            try:
                return _FACTORIES[candidate]()
            except ImportError:
                continue
        return ReferenceBackend()
    if name not in _FACTORIES:
        raise ValueError(f"unknown ECDSA backend {name!r}; choose from {sorted(_FACTORIES)}")
    return _FACTORIES[name]()


def available_backends() -> list[str]:
    """Names of the backends that can be loaded here (the reference always can)."""
    names = []
    for name in _FACTORIES:
        try:
            get_backend(name)
        except ImportError:
            continue
        names.append(name)
    return names
