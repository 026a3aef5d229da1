"""Hidden checks for the ``sighash_sign`` exercise: what a signature commits to, and signing.

Contract (transactions in the plain form of :mod:`edu_chain.grading.specs._tx_plain`):

- ``sighash(tx, index, spent_output) -> bytes``: sha256d of the serialization with every
  input's signature and pubkey emptied, then ``index`` as uint32 LE, then the spent output
  (amount uint64 LE, pubkey_hash);
- ``der_encode(r, s) -> bytes``: strict DER (BIP 66);
- ``sign_input(tx, index, spent_output, private_key, k) -> bytes``: the DER signature, low s,
  of ``z = int.from_bytes(sighash(...), "big")`` with nonce ``k``.

Reference: :meth:`edu_chain.teaching_tx.Transaction.sighash`,
:func:`edu_chain.keys.der.encode_der_signature` and :func:`edu_chain.keys.ecdsa.sign`.  Known
vectors: a payment signed by ``Transaction.sign_input`` (RFC 6979 nonce) must verify with
``Transaction.verify_input``, and the DER example ``(1, 255) -> 3007020101020200ff`` of
``der.py``'s docstring.
"""

from __future__ import annotations

import dataclasses
import hashlib
from typing import Any

from hypothesis import strategies as st

from edu_chain.grading.spec import (
    Case,
    CheckGroup,
    ExerciseSpec,
    Mistake,
    expect,
    random_group,
)
from edu_chain.grading.specs._tx_plain import (
    PLAIN_OUTPUT,
    PLAIN_TX,
    from_plain,
    output_from_plain,
    to_plain,
)
from edu_chain.hashing import sha256d
from edu_chain.keys import PrivateKey
from edu_chain.keys.curve import N
from edu_chain.keys.der import encode_der_signature
from edu_chain.keys.ecdsa import sign
from edu_chain.keys.rfc6979 import deterministic_k
from edu_chain.teaching_tx import COIN, OutPoint, Transaction, TxIn, TxOut

SCALARS = st.integers(1, N - 1)


def ref_sighash(tx: Any, index: int, spent_output: Any) -> bytes:
    return from_plain(*tx).sighash(index, output_from_plain(spent_output))


def ref_der(r: int, s: int) -> bytes:
    return encode_der_signature(r, s)


def ref_sign_input(tx: Any, index: int, spent_output: Any, private_key: int, k: int) -> bytes:
    z = int.from_bytes(ref_sighash(tx, index, spent_output), "big")
    return encode_der_signature(*sign(private_key, z, k))


ALICE = 0xA11CE


def payment() -> tuple[Transaction, TxOut]:
    """Alice spends two outputs to pay Bob; input 1 is the one signed in the known vectors."""
    alice = PrivateKey(ALICE).public_key.pubkey_hash()
    tx = Transaction(
        1,
        [
            TxIn(OutPoint(sha256d(b"coin one"), 0), b"\x30\x01", b"\x02" * 33),
            TxIn(OutPoint(sha256d(b"coin two"), 3)),
        ],
        [TxOut(7 * COIN, PrivateKey(0xB0B).public_key.pubkey_hash()), TxOut(COIN, alice)],
        0,
    )
    return tx, TxOut(5 * COIN, alice)


def _sighash_known() -> list[Case]:
    tx, spent = payment()
    plain, out = to_plain(tx), [spent.amount, spent.pubkey_hash]
    return [
        Case("sighash", (plain, 1, out), tx.sighash(1, spent), "a payment, input 1"),
        Case("sighash", (plain, 0, out), tx.sighash(0, spent), "the same payment, input 0"),
        expect("sighash", ref_sighash, [plain, 1, [out[0] + 1, out[1]]], "another amount"),
    ]


@st.composite
def _sighash_args(draw: Any) -> list[Any]:
    tx = draw(PLAIN_TX.filter(lambda t: t[1]))
    return [tx, draw(st.integers(0, len(tx[1]) - 1)), draw(PLAIN_OUTPUT)]


RANDOM_SIGHASH = _sighash_args().map(lambda args: expect("sighash", ref_sighash, args))


def _der_known() -> list[Case]:
    return [
        Case("der_encode", (1, 255), bytes.fromhex("3007020101020200ff"), "der.py: (1, 255)"),
        expect("der_encode", ref_der, [0x7F, 0x80], "0x7f needs no padding, 0x80 does"),
        expect("der_encode", ref_der, [N - 1, N // 2], "the largest r, the largest low s"),
        expect("der_encode", ref_der, [2**255, 2**248 - 1], "a top bit set, then not"),
    ]


RANDOM_DER = st.tuples(SCALARS, st.integers(1, N // 2)).map(
    lambda pair: expect("der_encode", ref_der, list(pair))
)


def _sign_known() -> list[Case]:
    tx, spent = payment()
    signed = tx.sign_input(1, PrivateKey(ALICE), spent)
    assert signed.verify_input(1, spent)
    k = deterministic_k(ALICE, tx.sighash(1, spent))
    plain, out = to_plain(tx), [spent.amount, spent.pubkey_hash]
    return [
        Case(
            "sign_input",
            (plain, 1, out, ALICE, k),
            signed.inputs[1].signature,
            "the signature Transaction.sign_input makes (RFC 6979 k); it verifies",
        ),
        expect("sign_input", ref_sign_input, [plain, 0, out, ALICE, 12345], "input 0, k = 12345"),
        *(
            expect("sign_input", ref_sign_input, [plain, 1, out, ALICE, k], "raw s is high")
            for k in _high_s_nonces(plain, out)
        ),
    ]


def _high_s_nonces(plain: Any, out: Any) -> list[int]:
    z = int.from_bytes(ref_sighash(plain, 1, out), "big")
    found = []
    for k in range(2, 60):
        r = sign(1, 0, k)[0]  # r depends on k only
        if pow(k, -1, N) * (z + r * ALICE) % N > N // 2:
            found.append(k)
        if len(found) == 2:
            break
    return found


@st.composite
def _sign_args(draw: Any) -> list[Any]:
    tx, index, spent = draw(_sighash_args())
    return [tx, index, spent, draw(SCALARS), draw(SCALARS)]


RANDOM_SIGN = _sign_args().map(lambda args: expect("sign_input", ref_sign_input, args))


# --- mistakes -------------------------------------------------------------------------------


def _sighash_signatures_kept(tx: Any, index: int, spent_output: Any) -> bytes:
    full = from_plain(*tx).serialize()
    return sha256d(full + index.to_bytes(4, "little") + output_from_plain(spent_output).serialize())


def _unsigned(tx: Any) -> bytes:
    transaction = from_plain(*tx)
    inputs = [dataclasses.replace(i, signature=b"", pubkey=b"") for i in transaction.inputs]
    return dataclasses.replace(transaction, inputs=tuple(inputs)).serialize()


def _sighash_no_index(tx: Any, index: int, spent_output: Any) -> bytes:
    return sha256d(_unsigned(tx) + output_from_plain(spent_output).serialize())


def _sighash_no_output(tx: Any, index: int, spent_output: Any) -> bytes:
    return sha256d(_unsigned(tx) + index.to_bytes(4, "little"))


def _sighash_single(tx: Any, index: int, spent_output: Any) -> bytes:
    data = _unsigned(tx) + index.to_bytes(4, "little") + output_from_plain(spent_output).serialize()
    return hashlib.sha256(data).digest()


def _der_unpadded(r: int, s: int) -> bytes:
    def integer(value: int) -> bytes:
        body = value.to_bytes((value.bit_length() + 7) // 8 or 1, "big")
        return b"\x02" + bytes([len(body)]) + body

    body = integer(r) + integer(s)
    return b"\x30" + bytes([len(body)]) + body


def _der_fixed(r: int, s: int) -> bytes:
    body = b"\x02\x20" + r.to_bytes(32, "big") + b"\x02\x20" + s.to_bytes(32, "big")
    return b"\x30" + bytes([len(body)]) + body


def _sign_high_s(tx: Any, index: int, spent_output: Any, private_key: int, k: int) -> bytes:
    z = int.from_bytes(ref_sighash(tx, index, spent_output), "big")
    r, s = sign(private_key, z, k)
    return encode_der_signature(r, N - s)


def _sign_z_little(tx: Any, index: int, spent_output: Any, private_key: int, k: int) -> bytes:
    z = int.from_bytes(ref_sighash(tx, index, spent_output), "little")
    return encode_der_signature(*sign(private_key, z, k))


def _sign_raw(tx: Any, index: int, spent_output: Any, private_key: int, k: int) -> bytes:
    z = int.from_bytes(ref_sighash(tx, index, spent_output), "big")
    r, s = sign(private_key, z, k)
    return r.to_bytes(32, "big") + s.to_bytes(32, "big")


MISTAKES = (
    Mistake(
        "signatures-not-emptied",
        "Empty EVERY input's signature and pubkey (length 0) before hashing: a signature cannot "
        "sign itself, and the signer does not know the other inputs' signatures yet.",
        variant=_sighash_signatures_kept,
        functions=("sighash",),
    ),
    Mistake(
        "index-not-committed",
        "Append the input's index as 4 little-endian bytes after the unsigned transaction: "
        "without it one signature would fit every input spending the same kind of output.",
        variant=_sighash_no_index,
        functions=("sighash",),
    ),
    Mistake(
        "spent-output-not-committed",
        "Append the spent output (amount as 8 little-endian bytes, then its 20-byte "
        "pubkey_hash): the signer commits to how much it spends and whose it was.",
        variant=_sighash_no_output,
        functions=("sighash",),
    ),
    Mistake(
        "single-sha256",
        "The sighash is sha256d (SHA-256 twice) of the data.",
        variant=_sighash_single,
        functions=("sighash",),
    ),
    Mistake(
        "sighash-reversed",
        "Return the digest in the order sha256d gives it (internal order), not reversed.",
        variant=lambda tx, index, out: ref_sighash(tx, index, out)[::-1],
        functions=("sighash",),
    ),
    Mistake(
        "der-no-padding",
        "A DER INTEGER is signed: when its first byte is 0x80 or more, prepend 0x00, or it "
        "would read as negative.",
        variant=_der_unpadded,
        functions=("der_encode",),
    ),
    Mistake(
        "der-fixed-width",
        "DER integers use the FEWEST bytes (plus one 0x00 when the top bit is set): no fixed "
        "32-byte width, no other leading zeros.",
        variant=_der_fixed,
        functions=("der_encode",),
    ),
    Mistake(
        "high-s-not-normalised",
        "Transactions only accept low s: when s > n // 2 sign with n - s.",
        variant=_sign_high_s,
        functions=("sign_input",),
    ),
    Mistake(
        "z-little-endian",
        "ECDSA reads the digest as a BIG-endian integer: z = int.from_bytes(sighash, 'big').",
        variant=_sign_z_little,
        functions=("sign_input",),
    ),
    Mistake(
        "signature-not-der",
        "Return the signature DER-encoded (der_encode(r, s)), not r and s as raw 32-byte values.",
        variant=_sign_raw,
        functions=("sign_input",),
    ),
)

SPEC = ExerciseSpec(
    exercise_id="sighash_sign",
    version=2,
    groups=(
        CheckGroup("sighash-known", "A payment's two inputs", _sighash_known, public=True),
        random_group(
            "sighash-random", "Random transactions", RANDOM_SIGHASH, count=20, seed_value=9_001
        ),
        CheckGroup("der-known", "Padding and lengths", _der_known, public=True),
        random_group("der-random", "Random (r, s)", RANDOM_DER, count=20, seed_value=9_002),
        CheckGroup("sign-known", "A signature that verifies; high raw s", _sign_known, public=True),
        random_group(
            "sign-random",
            "Random keys, nonces, transactions",
            RANDOM_SIGN,
            count=8,
            seed_value=9_003,
        ),
    ),
    mistakes=MISTAKES,
)
