"""Backend choice: coincurve when importable, else cryptography, else the reference."""

import hashlib

import pytest

from edu_chain.keys import PrivateKey, fast


@pytest.fixture
def fresh_backend_cache():
    fast.get_backend.cache_clear()
    yield
    fast.get_backend.cache_clear()


def _missing():
    raise ImportError("pretend this library is not installed")


def test_default_prefers_coincurve(fresh_backend_cache, monkeypatch):
    pytest.importorskip("coincurve")
    monkeypatch.delenv("EDU_CHAIN_ECDSA_BACKEND", raising=False)
    assert fast.get_backend().name == "coincurve"


def test_falls_back_to_cryptography_then_reference(fresh_backend_cache, monkeypatch):
    monkeypatch.delenv("EDU_CHAIN_ECDSA_BACKEND", raising=False)
    monkeypatch.setitem(fast._FACTORIES, "coincurve", _missing)
    assert fast.get_backend().name == "cryptography"
    fast.get_backend.cache_clear()
    monkeypatch.setitem(fast._FACTORIES, "cryptography", _missing)
    assert fast.get_backend().name == "reference"
    assert fast.available_backends() == ["reference"]
    # The API still works, just slowly, and gives the same signature.
    digest = hashlib.sha256(b"fallback").digest()
    key = PrivateKey(42)
    assert key.sign_digest(digest) == key.sign_digest(digest, backend="reference")


def test_environment_variable_forces_a_backend(fresh_backend_cache, monkeypatch):
    monkeypatch.setenv("EDU_CHAIN_ECDSA_BACKEND", "reference")
    assert fast.get_backend().name == "reference"


def test_unknown_backend_name(fresh_backend_cache):
    with pytest.raises(ValueError, match="choose from"):
        fast.get_backend("openssl-please")
