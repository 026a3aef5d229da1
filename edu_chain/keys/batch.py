"""Verify many signatures at once, on every core: what block validation needs.

A block with a thousand inputs means a thousand independent signature checks, so they can
run in parallel.  :func:`verify_batch` splits the work into chunks and

* uses **threads** with the ``coincurve`` backend: cffi releases the GIL while libsecp256k1
  runs, so threads scale without copying data to other processes;
* uses **processes** otherwise (the pure-Python reference and ``cryptography`` hold the GIL).

Each item is ``(sec_public_key, digest32, der_signature)`` as raw bytes, exactly what a
transaction input and its sighash provide.  The result is one ``bool`` per item, in order;
a malformed key or signature (or high-s) is simply ``False``.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor

from edu_chain.errors import KeyFormatError
from edu_chain.keys.der import decode_der_signature
from edu_chain.keys.fast import get_backend

VerifyItem = tuple[bytes, bytes, bytes]
"""``(sec_public_key, digest32, der_signature)``."""

_MIN_PARALLEL = 64  # below this, starting workers costs more than it saves
_EXECUTORS = ("auto", "thread", "process", "serial")


def verify_one(item: VerifyItem, backend: str | None = None) -> bool:
    """Check one ``(sec, digest, der)`` triple; ``False`` for anything malformed."""
    try:
        sec, digest, der = item
        r, s = decode_der_signature(der)
    except (KeyFormatError, TypeError, ValueError):
        return False
    return get_backend(backend).verify(sec, digest, r, s)


def _verify_chunk(chunk: Sequence[VerifyItem], backend: str | None) -> list[bool]:
    return [verify_one(item, backend) for item in chunk]


def verify_batch(
    items: Sequence[VerifyItem],
    workers: int | None = None,
    *,
    backend: str | None = None,
    executor: str = "auto",
) -> list[bool]:
    """Verify every item; ``workers`` defaults to the number of CPUs.

    ``executor`` is ``"auto"`` (threads for coincurve, processes otherwise), ``"thread"``,
    ``"process"`` or ``"serial"``.  The answer never depends on these choices.

    >>> verify_batch([(b"", bytes(32), b"")])
    [False]
    """
    if executor not in _EXECUTORS:
        raise ValueError(f"executor must be one of {', '.join(_EXECUTORS)}, got {executor!r}")
    items = list(items)
    workers = workers or os.cpu_count() or 1
    name = get_backend(backend).name
    if executor == "auto":
        executor = "thread" if name == "coincurve" else "process"
    if executor == "serial" or workers <= 1 or len(items) < _MIN_PARALLEL:
        return _verify_chunk(items, name)
    chunk_size = -(-len(items) // (workers * 4))
    chunks = [items[i : i + chunk_size] for i in range(0, len(items), chunk_size)]
    pool_class = ThreadPoolExecutor if executor == "thread" else ProcessPoolExecutor
    with pool_class(max_workers=workers) as pool:
        results = pool.map(_verify_chunk, chunks, [name] * len(chunks))
        return [ok for chunk_result in results for ok in chunk_result]
