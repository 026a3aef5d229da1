"""Hidden checks for the ``sighash_sign`` exercise: what a Bitcoin signature commits to.

Contract (transactions in the plain form of :mod:`edu_chain.grading.specs.tx_serialize`):

- ``sighash_legacy(tx, index, script_code, hash_type) -> bytes``: Bitcoin's original digest
  (Core's ``SignatureHash`` for ``SigVersion::BASE``): ALL, NONE, SINGLE, each with or without
  ANYONECANPAY, and SINGLE's out-of-range "1".  Script codes never contain OP_CODESEPARATOR;
- ``sighash_segwit(tx, index, script_code, amount, hash_type) -> bytes``: BIP143's digest;
- ``der_encode(r, s) -> bytes``: strict DER (BIP 66);
- ``sign_input(tx, index, script_pubkey, amount, private_key, k) -> bytes``: the DER signature
  (low s) plus the SIGHASH_ALL byte, for an output locked by P2PKH (legacy digest, script code =
  the scriptPubKey) or P2WPKH (BIP143, script code = the P2PKH script of the 20-byte program).

Reference: :func:`edu_chain.script.sighash.legacy_sighash`, :class:`~edu_chain.script.sighash.
SighashCache` (``segwit_v0``), :func:`edu_chain.keys.der.encode_der_signature` and
:func:`edu_chain.keys.ecdsa.sign`.  Known vectors: BIP143's "Example" section (the native
P2WPKH digest ``c37af311...`` and its RFC 6979 signature; the six sighash types of the
P2SH-P2WSH 6-of-6 example), and the legacy digest of that example's P2PK input, which the
BIP's own signature must verify.  Pure-Python ECDSA dominates grading time, so signing has few
cases; digests have many.
"""

from __future__ import annotations

from typing import Any

from hypothesis import strategies as st

from edu_chain.encoding import encode_varint
from edu_chain.grading.spec import (
    Case,
    CheckGroup,
    Evidence,
    ExerciseSpec,
    Mistake,
    expect,
    random_group,
)
from edu_chain.grading.specs.tx_serialize import PLAIN_TX, from_plain, to_plain
from edu_chain.hashing import hash160, sha256d
from edu_chain.keys import PrivateKey
from edu_chain.keys.curve import N
from edu_chain.keys.der import encode_der_signature
from edu_chain.keys.ecdsa import HALF_N, sign
from edu_chain.keys.fast import get_backend
from edu_chain.keys.rfc6979 import deterministic_k
from edu_chain.script.checker import verify_ecdsa
from edu_chain.script.sighash import SIGHASH_ONE, SighashCache, legacy_sighash
from edu_chain.script.signature import SIGHASH_ALL
from edu_chain.script.standard import multisig, p2pk, p2pkh, p2wpkh
from edu_chain.tx import MAX_MONEY, Transaction

LEGACY, SEGWIT, DER, SIGN = "sighash_legacy", "sighash_segwit", "der_encode", "sign_input"
HASH_TYPES = (0x01, 0x02, 0x03, 0x81, 0x82, 0x83)


def ref_sighash_legacy(tx: Any, index: int, script_code: bytes, hash_type: int) -> bytes:
    return legacy_sighash(from_plain(*tx), index, script_code, hash_type)


def ref_sighash_segwit(
    tx: Any, index: int, script_code: bytes, amount: int, hash_type: int
) -> bytes:
    return SighashCache(from_plain(*tx)).segwit_v0(index, script_code, amount, hash_type)


def ref_der(r: int, s: int) -> bytes:
    return encode_der_signature(r, s)


def script_code_for(script_pubkey: bytes) -> tuple[bytes, bool]:
    """(script code, segwit?) of a P2PKH or P2WPKH output."""
    if len(script_pubkey) == 22 and script_pubkey[:2] == b"\x00\x14":
        return p2pkh(script_pubkey[2:]), True
    return script_pubkey, False


def ref_digest(tx: Any, index: int, script_pubkey: bytes, amount: int) -> bytes:
    code, segwit = script_code_for(script_pubkey)
    if segwit:
        return ref_sighash_segwit(tx, index, code, amount, SIGHASH_ALL)
    return ref_sighash_legacy(tx, index, code, SIGHASH_ALL)


def fast_sign(private_key: int, z: int, k: int) -> tuple[int, int]:
    """:func:`edu_chain.keys.ecdsa.sign`, with ``k * G`` from the library's C backend
    (:mod:`edu_chain.keys.fast`): the same numbers, a hundred times faster.  The reference
    signs every input Hypothesis tries while it shrinks a failing signature."""
    if not (1 <= private_key < N and 1 <= k < N):
        return sign(private_key, z, k)  # raises sign's own ValueError
    r = int.from_bytes(get_backend().public_key_sec(k)[1:], "big") % N  # x of k * G, mod n
    s = pow(k, -1, N) * (z + r * private_key) % N
    if r == 0 or s == 0:
        return sign(private_key, z, k)  # raises sign's own ValueError
    return r, (N - s if s > HALF_N else s)


def pubkey_hash_of(private_key: int) -> bytes:
    """hash160 of the compressed public key, as ``PrivateKey(d).public_key.pubkey_hash()``
    (without decompressing the point in Python)."""
    return hash160(get_backend().public_key_sec(private_key))


def ref_sign_input(
    tx: Any, index: int, script_pubkey: bytes, amount: int, private_key: int, k: int
) -> bytes:
    z = int.from_bytes(ref_digest(tx, index, script_pubkey, amount), "big")
    return encode_der_signature(*fast_sign(private_key, z, k)) + bytes([SIGHASH_ALL])


# --- BIP143's examples (bitcoin/bips bip-0143.mediawiki, "Example"; copied unchanged) ------

# Native P2WPKH: input 0 spends a P2PK output (legacy), input 1 a P2WPKH output of 6 BTC.
BIP143_P2WPKH_SIGNED = (
    "01000000000102fff7f7881a8099afa6940d42d1e7f6362bec38171ea3edf433541db4e4ad969f00000000"
    "494830450221008b9d1dc26ba6a9cb62127b02742fa9d754cd3bebf337f7a55d114c8e5cdd30be022040529b"
    "194ba3f9281a99f2b1c0a19c0489bc22ede944ccf4ecbab4cc618ef3ed01eeffffffef51e1b804cc89d182d2"
    "79655c3aa89e815b1b309fe287d9b2b55d57b90ec68a0100000000ffffffff02202cb206000000001976a914"
    "8280b37df378db99f66f85c95a783a76ac7a6d5988ac9093510d000000001976a9143bde42dbee7e4dbe6a21"
    "b2d50ce2f0167faa815988ac000247304402203609e17b84f6a7d30c80bfa610b5b4542f32a8a0d5447a12fb"
    "1366d7f01cc44a0220573a954c4518331561406f90300e8f3358f51928d43c212a8caed02de67eebee012102"
    "5476c2e83188368da1ff3e292e7acafcdb3566bb0ad253f62fc70f07aeee635711000000"
)
BIP143_P2PK_SCRIPT = "2103c9f4836b9a4f77fc0d81f7bcb01b7f1b35916864b9476c241ce9fc198bd25432ac"
BIP143_P2WPKH_SCRIPT = "00141d0f172a0ecb48aee1be1f2687d2963ae33f71a1"
BIP143_P2WPKH_AMOUNT = 600_000_000
BIP143_P2WPKH_SIGHASH = "c37af31116d1b27caf68aae9e3ac82f1477929014d5b917657d0eb49478cb670"
BIP143_P2WPKH_KEY = 0x619C335025C7F4012E556C2A58B2506E30B8511B53ADE95EA316FD8C3286FEB9
BIP143_P2WPKH_SIGNATURE = (
    "304402203609e17b84f6a7d30c80bfa610b5b4542f32a8a0d5447a12fb1366d7f01cc44a0220573a954c4518"
    "331561406f90300e8f3358f51928d43c212a8caed02de67eebee"
)
# P2SH-P2WSH 6-of-6 multisig: one input of 9.87654321 BTC, the six sighash types.
BIP143_MULTISIG_UNSIGNED = (
    "010000000136641869ca081e70f394c6948e8af409e18b619df2ed74aa106c1ca29787b96e0100000000ffff"
    "ffff0200e9a435000000001976a914389ffce9cd9ae88dcc0631e88a821ffdbe9bfe2688acc0832f05000000"
    "001976a9147480a33f950689af511e6e84c138dbbd3c3ee41588ac00000000"
)
BIP143_MULTISIG_SCRIPT = (
    "56210307b8ae49ac90a048e9b53357a2354b3334e9c8bee813ecb98e99a7e07e8c3ba32103b28f0c28bfab54"
    "554ae8c658ac5c3e0ce6e79ad336331f78c428dd43eea8449b21034b8113d703413d57761b8b9781957b8c0a"
    "c1dfe69f492580ca4195f50376ba4a21033400f6afecb833092a9a21cfdf1ed1376e58c5d1f47de74683123987"
    "e967a8f42103a6d48b1131e94ba04d9737d61acdaa1322008af9602b3b14862c07a1789aac162102d8b661b0"
    "b3302ee2f162b09e07a55ad5dfbe673a9f01d9f0c19617681024306b56ae"
)
BIP143_MULTISIG_AMOUNT = 987_654_321
BIP143_MULTISIG_SIGHASHES = (
    (0x01, "185c0be5263dce5b4bb50a047973c1b6272bfbd0103a89444597dc40b248ee7c"),
    (0x02, "e9733bc60ea13c95c6527066bb975a2ff29a925e80aa14c213f686cbae5d2f36"),
    (0x03, "1e1f1c303dc025bd664acb72e583e933fae4cff9148bf78c157d1e8f78530aea"),
    (0x81, "2a67f03e63a6a422125878b40b82da593be8d4efaafe88ee528af6e5a9955c6e"),
    (0x82, "781ba15f3779d5542ce8ecb5c18716733a5ee42a6f51488ec96154934e2c890a"),
    (0x83, "511e8e52ed574121fc1b654970395502128263f62662e076dc6baf05c2e6a99b"),
)


def bip143_p2wpkh() -> list[Any]:
    return to_plain(Transaction.parse(bytes.fromhex(BIP143_P2WPKH_SIGNED)))


def _legacy_known() -> list[Case]:
    tx = bip143_p2wpkh()
    code = bytes.fromhex(BIP143_P2PK_SCRIPT)
    expected = ref_sighash_legacy(tx, 0, code, SIGHASH_ALL)
    # The BIP's input 0 carries its signature (DER + 01): it must verify with this digest.
    signature = tx[1][0][2][1:-1]  # one push of 0x48 bytes: drop the push byte and the 01
    assert verify_ecdsa(signature, bytes.fromhex(BIP143_P2PK_SCRIPT)[1:34], expected)
    cases = [Case(LEGACY, (tx, 0, code, SIGHASH_ALL), expected, "BIP143 example, P2PK input 0")]
    cases.append(
        expect(LEGACY, ref_sighash_legacy, [tx, 1, code, SIGHASH_ALL], "ALL, input 1: empty 0's")
    )
    for hash_type, label in ((0x02, "NONE"), (0x03, "SINGLE"), (0x81, "ALL|ANYONECANPAY")):
        cases.append(expect(LEGACY, ref_sighash_legacy, [tx, 0, code, hash_type], label))
    cases.append(
        expect(LEGACY, ref_sighash_legacy, [tx, 1, code, 0x83], "SINGLE|ANYONECANPAY, input 1")
    )
    three = [tx[0], [*tx[1], tx[1][0]], tx[2], tx[3]]
    cases.append(
        Case(LEGACY, (three, 2, code, 0x03), SIGHASH_ONE, "SINGLE out of range: the digest 1")
    )
    return cases


def _segwit_known() -> list[Case]:
    tx = bip143_p2wpkh()
    spent = bytes.fromhex(BIP143_P2WPKH_SCRIPT)
    cases = [
        Case(
            SEGWIT,
            (tx, 1, p2pkh(spent[2:]), BIP143_P2WPKH_AMOUNT, SIGHASH_ALL),
            bytes.fromhex(BIP143_P2WPKH_SIGHASH),
            "BIP143 native P2WPKH",
        )
    ]
    multisig_tx = to_plain(Transaction.parse(bytes.fromhex(BIP143_MULTISIG_UNSIGNED)))
    witness_script = bytes.fromhex(BIP143_MULTISIG_SCRIPT)
    for hash_type, digest in BIP143_MULTISIG_SIGHASHES:
        args = (multisig_tx, 0, witness_script, BIP143_MULTISIG_AMOUNT, hash_type)
        label = f"BIP143 P2SH-P2WSH 6-of-6, hash type 0x{hash_type:02x}"
        cases.append(Case(SEGWIT, args, bytes.fromhex(digest), label))
    return cases


# The strategies a draw uses are built once, here, not inside each draw: building one costs
# Hypothesis more than drawing from it, and shrinking a failure draws a hundred times.
SCRIPT_KINDS = st.sampled_from(["p2pkh", "p2pk", "multisig"])
KEY_BODIES = st.lists(st.binary(min_size=32, max_size=32), min_size=1, max_size=3)
HASH_TYPE = st.sampled_from(HASH_TYPES)
AMOUNTS = st.integers(0, MAX_MONEY)


@st.composite
def _script_codes(draw: Any) -> bytes:
    kind = draw(SCRIPT_KINDS)
    keys = draw(KEY_BODIES)
    pubkeys = [b"\x02" + key for key in keys]
    if kind == "p2pkh":
        return p2pkh(hash160(pubkeys[0]))
    if kind == "p2pk":
        return p2pk(pubkeys[0])
    return multisig(draw(st.integers(1, len(pubkeys))), pubkeys)


SCRIPT_CODES = _script_codes()


@st.composite
def _legacy_args(draw: Any) -> list[Any]:
    tx = draw(PLAIN_TX)
    index = draw(st.integers(0, len(tx[1]) - 1))
    return [tx, index, draw(SCRIPT_CODES), draw(HASH_TYPE)]


LEGACY_ARGS = _legacy_args()


@st.composite
def _segwit_args(draw: Any) -> list[Any]:
    tx, index, code, hash_type = draw(LEGACY_ARGS)
    return [tx, index, code, draw(AMOUNTS), hash_type]


RANDOM_LEGACY = LEGACY_ARGS.map(lambda args: expect(LEGACY, ref_sighash_legacy, args))
RANDOM_SEGWIT = _segwit_args().map(lambda args: expect(SEGWIT, ref_sighash_segwit, args))


def _der_known() -> list[Case]:
    return [
        Case(DER, (1, 255), bytes.fromhex("3007020101020200ff"), "der.py: (1, 255)"),
        expect(DER, ref_der, [0x7F, 0x80], "0x7f needs no padding, 0x80 does"),
        expect(DER, ref_der, [N - 1, N // 2], "the largest r, the largest low s"),
        expect(DER, ref_der, [2**255, 2**248 - 1], "a top bit set, then not"),
        expect(DER, ref_der, [2**240 + 5, 2**16], "short integers"),
    ]


ALICE = 0xA11CE


def payment() -> list[Any]:
    """Alice spends a P2PKH and a P2WPKH output she owns to pay Bob, with change."""
    alice = PrivateKey(ALICE).public_key.pubkey_hash()
    bob = PrivateKey(0xB0B).public_key.pubkey_hash()
    return [
        2,
        [
            [sha256d(b"coin one"), 0, b"", 0xFFFFFFFD, []],
            [sha256d(b"coin two"), 3, b"", 0xFFFFFFFD, []],
        ],
        [[150_000_000, p2wpkh(bob)], [349_990_000, p2wpkh(alice)]],
        0,
    ]


def _high_s_nonce(tx: Any, index: int, script_pubkey: bytes, amount: int) -> int:
    z = int.from_bytes(ref_digest(tx, index, script_pubkey, amount), "big")
    for k in range(2, 60):
        r = sign(1, 0, k)[0]  # r depends on k only
        if pow(k, -1, N) * (z + r * ALICE) % N > N // 2:
            return k
    raise AssertionError("no high-s nonce below 60")  # pragma: no cover


def _sign_known() -> list[Case]:
    tx = bip143_p2wpkh()
    spent = bytes.fromhex(BIP143_P2WPKH_SCRIPT)
    k = deterministic_k(BIP143_P2WPKH_KEY, bytes.fromhex(BIP143_P2WPKH_SIGHASH))
    bip_signature = bytes.fromhex(BIP143_P2WPKH_SIGNATURE) + b"\x01"
    alice_pkh = PrivateKey(ALICE).public_key.pubkey_hash()
    own = payment()
    high_k = _high_s_nonce(own, 0, p2pkh(alice_pkh), 5 * 10**8)
    return [
        Case(
            SIGN,
            (tx, 1, spent, BIP143_P2WPKH_AMOUNT, BIP143_P2WPKH_KEY, k),
            bip_signature,
            "BIP143 native P2WPKH: the BIP's signature (RFC 6979 k)",
        ),
        expect(
            SIGN,
            ref_sign_input,
            [own, 0, p2pkh(alice_pkh), 5 * 10**8, ALICE, high_k],
            "a P2PKH input whose raw s is high",
        ),
        expect(
            SIGN,
            ref_sign_input,
            [own, 1, p2wpkh(alice_pkh), 4 * 10**8, ALICE, 12345],
            "a P2WPKH input, k = 12345",
        ),
    ]


SCALARS = st.integers(1, N - 1)


@st.composite
def _sign_args(draw: Any) -> list[Any]:
    tx = draw(PLAIN_TX)
    key = draw(SCALARS)
    pubkey_hash = pubkey_hash_of(key)
    script_pubkey = draw(st.sampled_from([p2pkh(pubkey_hash), p2wpkh(pubkey_hash)]))
    index = draw(st.integers(0, len(tx[1]) - 1))
    return [tx, index, script_pubkey, draw(AMOUNTS), key, draw(SCALARS)]


RANDOM_SIGN = _sign_args().map(lambda args: expect(SIGN, ref_sign_input, args))


# --- steps ---------------------------------------------------------------------------------


def ref_der_integer(value: int) -> bytes:
    body = value.to_bytes((value.bit_length() + 7) // 8 or 1, "big")
    body = b"\x00" + body if body[0] & 0x80 else body
    return b"\x02" + bytes([len(body)]) + body


def _der_integer_cases() -> list[Case]:
    return [expect("der_integer", ref_der_integer, [v]) for v in (1, 0x7F, 0x80, 0xFF, N - 1)]


def _serialize_output_cases() -> list[Case]:
    outputs = ([0, b""], [-1, b""], [50 * 10**8, p2pkh(bytes(20))], [1, bytes(253)])
    return [expect("serialize_output", lambda *o: _output(o), list(o)) for o in outputs]


# --- mistakes -------------------------------------------------------------------------------


def _legacy_with(
    tx: Any,
    index: int,
    script_code: bytes,
    hash_type: int,
    *,
    append_type: bool = True,
    keep_script_sigs: bool = False,
    insert_code: bool = True,
    anyone_can_pay: bool = True,
    zero_sequences: bool = True,
    null_amount: bytes = b"\xff" * 8,
) -> bytes:
    """Core's legacy digest, or one of its typical misreadings (no OP_CODESEPARATOR here)."""
    version, inputs, outputs, locktime = tx
    base = hash_type & 0x1F
    if base == 3 and index >= len(outputs):
        return SIGHASH_ONE
    acp = anyone_can_pay and hash_type & 0x80
    signed = [index] if acp else range(len(inputs))
    out = version.to_bytes(4, "little") + encode_varint(len(signed))
    for position in signed:
        txid, prev_index, script_sig, sequence, _ = inputs[position]
        out += txid + prev_index.to_bytes(4, "little")
        if position == index:
            code = script_code if insert_code else (script_sig if keep_script_sigs else b"")
        else:
            code = script_sig if keep_script_sigs else b""
            if zero_sequences and base in (2, 3):
                sequence = 0
        out += encode_varint(len(code)) + code + sequence.to_bytes(4, "little")
    if base == 2:
        out += b"\x00"
    elif base == 3:
        out += encode_varint(index + 1) + (null_amount + b"\x00") * index + _output(outputs[index])
    else:
        out += encode_varint(len(outputs)) + b"".join(_output(o) for o in outputs)
    out += locktime.to_bytes(4, "little")
    if append_type:
        out += hash_type.to_bytes(4, "little")
    return sha256d(out)


def _output(output: Any) -> bytes:
    amount, script_pubkey = output
    return (
        amount.to_bytes(8, "little", signed=True)
        + encode_varint(len(script_pubkey))
        + script_pubkey
    )


def _segwit_with(
    tx: Any,
    index: int,
    script_code: bytes,
    amount: int,
    hash_type: int,
    *,
    with_amount: bool = True,
    code_length: bool = True,
) -> bytes:
    """BIP143's preimage rebuilt, or with the amount or the script code's length left out."""
    version, inputs, outputs, locktime = tx
    base, acp = hash_type & 0x1F, hash_type & 0x80
    zero = bytes(32)
    prevouts = b"".join(t + i.to_bytes(4, "little") for t, i, *_ in inputs)
    sequences = b"".join(s.to_bytes(4, "little") for _, _, _, s, _ in inputs)
    hash_prevouts = zero if acp else sha256d(prevouts)
    hash_sequence = zero if acp or base in (2, 3) else sha256d(sequences)
    if base == 3:
        hash_outputs = sha256d(_output(outputs[index])) if index < len(outputs) else zero
    elif base == 2:
        hash_outputs = zero
    else:
        hash_outputs = sha256d(b"".join(_output(o) for o in outputs))
    txid, prev_index, _, sequence, _ = inputs[index]
    preimage = (
        version.to_bytes(4, "little")
        + hash_prevouts
        + hash_sequence
        + txid
        + prev_index.to_bytes(4, "little")
        + (encode_varint(len(script_code)) if code_length else b"")
        + script_code
        + (amount.to_bytes(8, "little") if with_amount else b"")
        + sequence.to_bytes(4, "little")
        + hash_outputs
        + locktime.to_bytes(4, "little")
        + hash_type.to_bytes(4, "little")
    )
    return sha256d(preimage)


def _der_unpadded(r: int, s: int) -> bytes:
    def integer(value: int) -> bytes:
        body = value.to_bytes((value.bit_length() + 7) // 8 or 1, "big")
        return b"\x02" + bytes([len(body)]) + body

    body = integer(r) + integer(s)
    return b"\x30" + bytes([len(body)]) + body


def _der_fixed(r: int, s: int) -> bytes:
    body = b"\x02\x20" + r.to_bytes(32, "big") + b"\x02\x20" + s.to_bytes(32, "big")
    return b"\x30" + bytes([len(body)]) + body


def _sign_with(
    tx: Any,
    index: int,
    script_pubkey: bytes,
    amount: int,
    private_key: int,
    k: int,
    *,
    low_s: bool = True,
    byte_order: str = "big",
    hash_type_byte: bool = True,
    program_as_code: bool = False,
    legacy_for_p2wpkh: bool = False,
) -> bytes:
    code, segwit = script_code_for(script_pubkey)
    if program_as_code and segwit:
        code = script_pubkey
    if segwit and not legacy_for_p2wpkh:
        digest = ref_sighash_segwit(tx, index, code, amount, SIGHASH_ALL)
    else:
        digest = ref_sighash_legacy(tx, index, code, SIGHASH_ALL)
    r, s = fast_sign(private_key, int.from_bytes(digest, byte_order), k)  # type: ignore[arg-type]
    if not low_s:
        s = N - s
    return encode_der_signature(r, s) + (b"\x01" if hash_type_byte else b"")


def _out_of_range(case: Case) -> bool:
    tx, index, _, hash_type = case.args
    return hash_type & 0x1F == 3 and index >= len(tx[2])


def _only_single_out_of_range_fails(evidence: Evidence) -> bool:
    """The premise: SINGLE without a matching output fails, every other legacy digest passes."""
    failing = evidence.failing(LEGACY)
    return bool(failing) and all(_out_of_range(o.case) for o in failing)


MISTAKES = (
    Mistake(
        "hash-type-not-appended",
        "The legacy preimage ends with the hash type as 4 little-endian bytes (01000000 for "
        "SIGHASH_ALL), after the locktime: the signature commits to its own type.",
        variant=lambda *a: _legacy_with(*a, append_type=False),
        functions=(LEGACY,),
    ),
    Mistake(
        "script-sigs-not-emptied",
        "Empty EVERY other input's scriptSig (length 0) and put the script code in the signed "
        "input's place: a signature cannot sign itself or the other inputs' signatures.",
        variant=lambda *a: _legacy_with(*a, keep_script_sigs=True),
        functions=(LEGACY,),
    ),
    Mistake(
        "script-code-not-inserted",
        "The signed input's scriptSig is replaced by the script CODE (the scriptPubKey it "
        "spends), not left empty: that is how a legacy signature commits to the output it spends.",
        variant=lambda *a: _legacy_with(*a, insert_code=False),
        functions=(LEGACY,),
    ),
    Mistake(
        "anyonecanpay-ignored",
        "With ANYONECANPAY (0x80) only the signed input is serialized (input count 1); the "
        "others may be added by anyone later.",
        variant=lambda *a: _legacy_with(*a, anyone_can_pay=False),
        functions=(LEGACY,),
    ),
    Mistake(
        "other-sequences-kept",
        "With NONE or SINGLE, the OTHER inputs' sequences are set to 0 so their owners can "
        "still change them.",
        variant=lambda *a: _legacy_with(*a, zero_sequences=False),
        functions=(LEGACY,),
    ),
    Mistake(
        "single-blanked-outputs",
        "With SINGLE, the outputs before the signed one are blanked as amount -1 (ff x 8) and an "
        "empty script, not amount 0.",
        variant=lambda *a: _legacy_with(*a, null_amount=bytes(8)),
        functions=(LEGACY,),
    ),
    Mistake(
        "single-out-of-range-hashed",
        "SINGLE with no output at the input's index is Core's famous bug: the 'digest' is the "
        "number 1 (01 followed by 31 zero bytes), nothing is hashed.",
        premise=_only_single_out_of_range_fails,
        functions=(LEGACY,),
    ),
    Mistake(
        "sighash-reversed",
        "Return the digest in the order sha256d gives it (internal order), not reversed.",
        variant=lambda *a: ref_sighash_legacy(*a)[::-1],
        functions=(LEGACY,),
    ),
    Mistake(
        "sighash-reversed",
        "Return the digest in the order sha256d gives it (internal order), not reversed.",
        variant=lambda *a: ref_sighash_segwit(*a)[::-1],
        functions=(SEGWIT,),
    ),
    Mistake(
        "amount-not-committed",
        "BIP143 commits to the AMOUNT spent: 8 little-endian bytes right after the script code. "
        "That is what lets a hardware wallet know the fee it signs.",
        variant=lambda *a: _segwit_with(*a, with_amount=False),
        functions=(SEGWIT,),
    ),
    Mistake(
        "script-code-length-missing",
        "In BIP143's preimage the script code is serialized with its CompactSize length first "
        "(19 76a914...88ac for P2WPKH).",
        variant=lambda *a: _segwit_with(*a, code_length=False),
        functions=(SEGWIT,),
    ),
    Mistake(
        "der-no-padding",
        "A DER INTEGER is signed: when its first byte is 0x80 or more, prepend 0x00, or it "
        "would read as negative.",
        variant=_der_unpadded,
        functions=(DER,),
    ),
    Mistake(
        "der-fixed-width",
        "DER integers use the FEWEST bytes (plus one 0x00 when the top bit is set): no fixed "
        "32-byte width, no other leading zeros.",
        variant=_der_fixed,
        functions=(DER,),
    ),
    Mistake(
        "high-s-not-normalised",
        "Transactions only relay with low s: when s > n // 2 sign with n - s.",
        variant=lambda *a: _sign_with(*a, low_s=False),
        functions=(SIGN,),
    ),
    Mistake(
        "z-little-endian",
        "ECDSA reads the digest as a BIG-endian integer: z = int.from_bytes(digest, 'big').",
        variant=lambda *a: _sign_with(*a, byte_order="little"),
        functions=(SIGN,),
    ),
    Mistake(
        "hash-type-byte-missing",
        "The signature in a scriptSig or witness is the DER encoding FOLLOWED by one byte, the "
        "hash type (01 for SIGHASH_ALL).",
        variant=lambda *a: _sign_with(*a, hash_type_byte=False),
        functions=(SIGN,),
    ),
    Mistake(
        "p2wpkh-script-code",
        "For P2WPKH, BIP143's script code is the P2PKH script of the 20-byte program "
        "(76a914 <program> 88ac), not the witness program 0014... itself.",
        variant=lambda *a: _sign_with(*a, program_as_code=True),
        functions=(SIGN,),
    ),
    Mistake(
        "p2wpkh-legacy-digest",
        "A P2WPKH output is spent with BIP143's digest (sighash_segwit, with the amount), not "
        "the legacy one.",
        variant=lambda *a: _sign_with(*a, legacy_for_p2wpkh=True),
        functions=(SIGN,),
    ),
)

SPEC = ExerciseSpec(
    exercise_id="sighash_sign",
    version=3,
    groups=(
        CheckGroup(
            "legacy-known", "BIP143's P2PK input; every hash type", _legacy_known, public=True
        ),
        random_group(
            "legacy-random",
            "Random transactions and hash types",
            RANDOM_LEGACY,
            count=25,
            seed_value=9_101,
        ),
        CheckGroup("segwit-known", "BIP143's worked examples", _segwit_known, public=True),
        random_group(
            "segwit-random",
            "Random transactions and hash types",
            RANDOM_SEGWIT,
            count=25,
            seed_value=9_102,
        ),
        CheckGroup("der-known", "Padding and lengths", _der_known, public=True),
        CheckGroup(
            "sign-known", "BIP143's signature; high raw s; P2WPKH", _sign_known, public=True
        ),
        random_group(
            "sign-random",
            "Random keys, nonces, transactions",
            RANDOM_SIGN,
            count=3,
            seed_value=9_103,
        ),
    ),
    mistakes=MISTAKES,
    steps={"der_integer": _der_integer_cases, "serialize_output": _serialize_output_cases},
    builds_on={SIGN: (LEGACY, SEGWIT, DER)},
)
