"""verify_batch: the same answers whatever the executor, backend or worker count."""

import hashlib

import pytest

from edu_chain.keys import PrivateKey, available_backends, verify_batch
from edu_chain.keys.batch import verify_one
from edu_chain.keys.fast import get_backend


def make_items(count: int) -> tuple[list, list[bool]]:
    """Signed (sec, digest, der) triples; every third one is corrupted in some way."""
    items, expected = [], []
    keys = [PrivateKey(1000 + i) for i in range(5)]
    for i in range(count):
        key = keys[i % len(keys)]
        digest = hashlib.sha256(i.to_bytes(4, "little")).digest()
        der = key.sign_digest(digest).der()
        sec = key.public_key.sec()
        if i % 3 == 1:
            digest = hashlib.sha256(b"other").digest()  # wrong message
        elif i % 3 == 2 and i % 2:
            der = der[:-1]  # malformed DER
        elif i % 3 == 2:
            sec = b"\x02" + bytes(32)  # x = 0 is not on the curve
        items.append((sec, digest, der))
        expected.append(i % 3 == 0)
    return items, expected


def test_verify_one():
    (good, bad_digest, bad_der), expected = make_items(3)
    assert [verify_one(good), verify_one(bad_digest), verify_one(bad_der)] == expected
    assert verify_one(("not", "a", "triple")) is False
    assert verify_one(b"xyz") is False  # type: ignore[arg-type]


@pytest.mark.parametrize("executor", ["serial", "thread", "auto"])
def test_executors_agree(executor):
    items, expected = make_items(150)
    assert verify_batch(items, workers=2, executor=executor) == expected


@pytest.mark.slow
def test_process_pool_agrees():
    items, expected = make_items(150)
    assert verify_batch(items, workers=2, executor="process") == expected


@pytest.mark.parametrize("backend", [b for b in available_backends() if b != "reference"])
def test_backends_agree(backend):
    items, expected = make_items(90)
    assert verify_batch(items, backend=backend, executor="thread", workers=2) == expected


def test_small_batches_and_bad_executor():
    items, expected = make_items(4)
    assert verify_batch(items, workers=8) == expected
    assert verify_batch([]) == []
    many, _ = make_items(70)
    with pytest.raises(ValueError, match="executor"):
        verify_batch(many, workers=2, executor="gpu")
    # A typo is refused whatever the batch size: small batches must not hide it.
    with pytest.raises(ValueError, match="executor"):
        verify_batch(items, executor="proces")


def test_unknown_backend():
    with pytest.raises(ValueError, match="unknown ECDSA backend"):
        get_backend("nope")
