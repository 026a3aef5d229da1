"""Signature checks of a block's inputs: one by one, or in a batch on every core.

Connecting a block collects one *job* per input: ``(transaction, input index, spent coin)``.
A verifier returns one bool per job.  :func:`serial_signature_verifier` is the readable
reference (``Transaction.verify_input`` for each input).  :func:`parallel_signature_verifier`
does the cheap, ordered work itself (does the public key hash to the spent output's
``pubkey_hash``? what is the input's sighash?) and hands only the elliptic-curve
verifications to ``keys.verify_batch``, which spreads them over threads or processes.
When a job fails, the chain asks ``Transaction.input_check`` which rule broke, so both
verifiers give the same reason codes.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from edu_chain.chain.coins import Coin

if TYPE_CHECKING:  # pragma: no cover
    from edu_chain.teaching_tx import Transaction

SignatureJob = tuple["Transaction", int, Coin]
Verifier = Callable[[Sequence[SignatureJob]], list[bool]]


def serial_signature_verifier(jobs: Sequence[SignatureJob]) -> list[bool]:
    """Check signatures one at a time, in order (the readable reference)."""
    return [tx.verify_input(index, coin.output) for tx, index, coin in jobs]


@functools.lru_cache(maxsize=65_536)
def _cached_hash160(pubkey: bytes) -> bytes:
    """hash160 of a public key; keys repeat across inputs (addresses are reused), and the
    reference RIPEMD-160 is pure Python, so remembering recent ones pays."""
    from edu_chain.hashing import hash160

    return hash160(pubkey)


def parallel_signature_verifier(workers: int | None = None, *, executor: str = "auto") -> Verifier:
    """A verifier that checks a block's signatures on every core (``keys.verify_batch``).

    The cheap parts stay here, in order: the public key must hash to the spent output's
    ``pubkey_hash`` and each input's sighash is computed.  Only the expensive elliptic-curve
    verifications go to the batch.  Same answers as :func:`serial_signature_verifier`.
    """
    from edu_chain.keys import verify_batch

    def verify(jobs: Sequence[SignatureJob]) -> list[bool]:
        owner_ok = []
        items = []
        for tx, index, coin in jobs:
            tx_in = tx.inputs[index]
            owner_ok.append(
                len(tx_in.pubkey) == 33 and _cached_hash160(tx_in.pubkey) == coin.output.pubkey_hash
            )
            items.append((tx_in.pubkey, tx.sighash(index, coin.output), tx_in.signature))
        verified = verify_batch(items, workers, executor=executor)
        return [a and b for a, b in zip(owner_ok, verified, strict=True)]

    return verify
