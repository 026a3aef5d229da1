"""Signature checkers: how the interpreter asks "is this signature right?" without knowing
what a transaction is (Bitcoin Core's ``BaseSignatureChecker``).

The interpreter runs opcodes; three of them need the world outside the script:
OP_CHECKSIG (and MULTISIG) needs the digest the signature signs, OP_CHECKLOCKTIMEVERIFY the
transaction's locktime, OP_CHECKSEQUENCEVERIFY the input's sequence.  It asks a *checker*
object, so the same interpreter runs in a test with no transaction (:class:`SignatureChecker`
answers "no" to everything, like Core's base class) and in a node
(:class:`TransactionSignatureChecker`, which knows the spending transaction, the input and
the amount it spends).

Timelocks, for the last two (BIP65, BIP68/BIP112):

* a locktime below 500,000,000 is a block height, above it a Unix time; the script's and the
  transaction's must be of the same kind, the script's no later, and the input's sequence not
  0xffffffff (which would switch locktime off for the transaction);
* a relative lock in a sequence (transaction version 2 or more, bit 31 clear) counts blocks,
  or units of 512 seconds when bit 22 is set, in its low 16 bits; the script's must be of the
  same kind and no longer than the input's.
"""

from __future__ import annotations

from edu_chain.keys import get_backend
from edu_chain.keys.curve import N
from edu_chain.script.sighash import SighashCache, TransactionLike
from edu_chain.script.signature import HALF_N, parse_der_lax, parse_pubkey

LOCKTIME_THRESHOLD = 500_000_000
SEQUENCE_FINAL = 0xFFFFFFFF
SEQUENCE_LOCKTIME_DISABLE_FLAG = 1 << 31
SEQUENCE_LOCKTIME_TYPE_FLAG = 1 << 22
SEQUENCE_LOCKTIME_MASK = 0x0000FFFF

SIGVERSION_BASE = "base"
SIGVERSION_WITNESS_V0 = "witness_v0"


def verify_ecdsa(signature_der: bytes, pubkey: bytes, digest: bytes) -> bool:
    """Consensus ECDSA: lax DER, high ``s`` normalised, hybrid keys accepted (see signature.py).

    Runs on the fastest backend installed (libsecp256k1 via coincurve, else OpenSSL, else the
    from-scratch code); all give the same answers (tested in tests/unit/test_keys_*.py).
    """
    key = parse_pubkey(pubkey)
    parsed = parse_der_lax(signature_der)
    if key is None or parsed is None:
        return False
    r, s = parsed
    if r == 0 or s == 0:
        return False
    if s > HALF_N:
        s = N - s  # libsecp256k1 verifies only low-s signatures; Core normalises first
    return get_backend().verify(key, digest, r, s)


class SignatureChecker:
    """A checker with no transaction: every signature and timelock check fails."""

    def check_signature(
        self, signature: bytes, pubkey: bytes, script_code: bytes, sigversion: str
    ) -> bool:
        return False

    def check_locktime(self, locktime: int) -> bool:
        return False

    def check_sequence(self, sequence: int) -> bool:
        return False


class TransactionSignatureChecker(SignatureChecker):
    """Checks signatures and timelocks of input ``index`` of ``tx``, which spends ``amount``."""

    def __init__(
        self, tx: TransactionLike, index: int, amount: int, cache: SighashCache | None = None
    ) -> None:
        self.tx = tx
        self.index = index
        self.amount = amount
        self.cache = cache if cache is not None else SighashCache(tx)

    def sighash(self, script_code: bytes, hash_type: int, sigversion: str) -> bytes:
        if sigversion == SIGVERSION_WITNESS_V0:
            return self.cache.segwit_v0(self.index, script_code, self.amount, hash_type)
        return self.cache.legacy(self.index, script_code, hash_type)

    def check_signature(
        self, signature: bytes, pubkey: bytes, script_code: bytes, sigversion: str
    ) -> bool:
        if not signature:
            return False
        digest = self.sighash(script_code, signature[-1], sigversion)
        return verify_ecdsa(signature[:-1], pubkey, digest)

    def check_locktime(self, locktime: int) -> bool:
        tx_locktime = self.tx.locktime
        same_kind = (tx_locktime < LOCKTIME_THRESHOLD) == (locktime < LOCKTIME_THRESHOLD)
        if not same_kind or locktime > tx_locktime:
            return False
        # A final sequence would let the transaction ignore its locktime altogether.
        return self.tx.inputs[self.index].sequence != SEQUENCE_FINAL

    def check_sequence(self, sequence: int) -> bool:
        tx_sequence = self.tx.inputs[self.index].sequence
        if self.tx.version < 2 or tx_sequence & SEQUENCE_LOCKTIME_DISABLE_FLAG:
            return False
        mask = SEQUENCE_LOCKTIME_TYPE_FLAG | SEQUENCE_LOCKTIME_MASK
        tx_masked, script_masked = tx_sequence & mask, sequence & mask
        same_kind = (tx_masked < SEQUENCE_LOCKTIME_TYPE_FLAG) == (
            script_masked < SEQUENCE_LOCKTIME_TYPE_FLAG
        )
        return same_kind and script_masked <= tx_masked
