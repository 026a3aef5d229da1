"""Hidden checks for the ``multisig`` exercise: an m-of-n redeem script, its P2SH/P2WSH outputs
and its P2SH address.

Contract:

- ``multisig_script(m, pubkeys) -> bytes``: ``OP_m <key_1> .. <key_n> OP_n OP_CHECKMULTISIG``,
  the keys in the order given; ``ValueError`` unless ``1 <= m <= n <= 16`` and every key is
  33 or 65 bytes;
- ``p2sh_script_pubkey(redeem_script)``: ``OP_HASH160 <hash160(script)> OP_EQUAL`` (BIP16);
- ``p2wsh_script_pubkey(witness_script)``: ``OP_0 <sha256(script)>`` (BIP141);
- ``p2sh_address(redeem_script, network) -> str``: Base58Check of the version byte (``05`` on
  mainnet, ``c4`` on testnet and regtest) and the script hash.

Reference: :func:`edu_chain.script.standard.multisig`, ``p2sh_for``, ``p2wsh_for`` and
:func:`edu_chain.script.address.script_pubkey_to_address`.  Known vectors: *Programming
Bitcoin* chapter 8 (jimmysong/programmingbitcoin, ``code-ch08``): the 2-of-2 redeem script
``5221022626e9...52ae`` has the mainnet address ``3CLoMMyuoDQTPRD3XYZtCvgvkadrAdvdXh``; BIP143's
P2SH-P2WSH example: its 6-of-6 witness script, the P2WSH program ``0020a16b5755...`` that is its
redeem script, and that script's P2SH scriptPubKey ``a9149993a429...87``.
"""

from __future__ import annotations

import hashlib
from typing import Any

from hypothesis import strategies as st

from edu_chain.encoding import base58_encode, base58check_encode
from edu_chain.grading.spec import (
    Case,
    CheckGroup,
    ExerciseSpec,
    Mistake,
    Raises,
    expect,
    random_group,
)
from edu_chain.hashing import hash160, sha256, sha256d
from edu_chain.script.address import NETWORKS, script_pubkey_to_address
from edu_chain.script.script import push_data
from edu_chain.script.standard import multisig, p2sh_for, p2wsh_for

SCRIPT, P2SH, P2WSH, ADDRESS = (
    "multisig_script",
    "p2sh_script_pubkey",
    "p2wsh_script_pubkey",
    "p2sh_address",
)
INVALID = Raises("ValueError")


def ref_multisig_script(m: int, pubkeys: Any) -> bytes:
    return multisig(m, [bytes(key) for key in pubkeys])


def ref_p2sh_address(redeem_script: bytes, network: str) -> str:
    address = script_pubkey_to_address(p2sh_for(redeem_script), network)
    assert address is not None
    return address


# Programming Bitcoin, chapter 8: a 2-of-2 redeem script and its mainnet P2SH address.
PB_KEYS = (
    "022626e955ea6ea6d98850c994f9107b036b1334f18ca8830bfff1295d21cfdb70",
    "03b287eaf122eea69030a0e9feed096bed8045c8b98bec453e1ffac7fbdbd4bb71",
)
PB_REDEEM = "5221" + PB_KEYS[0] + "21" + PB_KEYS[1] + "52ae"
PB_ADDRESS = "3CLoMMyuoDQTPRD3XYZtCvgvkadrAdvdXh"
# BIP143's P2SH-P2WSH example: the 6-of-6 witness script, its P2WSH program (the redeem
# script) and that redeem script's P2SH scriptPubKey.
BIP143_KEYS = (
    "0307b8ae49ac90a048e9b53357a2354b3334e9c8bee813ecb98e99a7e07e8c3ba3",
    "03b28f0c28bfab54554ae8c658ac5c3e0ce6e79ad336331f78c428dd43eea8449b",
    "034b8113d703413d57761b8b9781957b8c0ac1dfe69f492580ca4195f50376ba4a",
    "033400f6afecb833092a9a21cfdf1ed1376e58c5d1f47de74683123987e967a8f4",
    "03a6d48b1131e94ba04d9737d61acdaa1322008af9602b3b14862c07a1789aac16",
    "02d8b661b0b3302ee2f162b09e07a55ad5dfbe673a9f01d9f0c19617681024306b",
)
BIP143_WITNESS_SCRIPT = "56" + "".join("21" + key for key in BIP143_KEYS) + "56ae"
BIP143_P2WSH = "0020a16b5755f7f6f96dbd65f5f0d6ab9418b89af4b1f14a1bb8a09062c35f0dcb54"
BIP143_P2SH = "a9149993a429037b5d912407a71c252019287b8d27a587"


def _keys(count: int, seed: int, size: int = 33) -> list[bytes]:
    """Deterministic key-shaped bytes (the script does not check that they are on the curve)."""
    first = b"\x04" if size == 65 else b"\x02"
    return [first + (sha256d(bytes([seed, i])) * 2)[: size - 1] for i in range(count)]


def _script_known() -> list[Case]:
    pb = [bytes.fromhex(key) for key in PB_KEYS]
    bip143 = [bytes.fromhex(key) for key in BIP143_KEYS]
    return [
        Case(SCRIPT, (2, pb), bytes.fromhex(PB_REDEEM), "Programming Bitcoin's 2-of-2"),
        Case(SCRIPT, (6, bip143), bytes.fromhex(BIP143_WITNESS_SCRIPT), "BIP143's 6-of-6"),
        expect(SCRIPT, ref_multisig_script, [1, _keys(1, 1)], "1-of-1"),
        expect(SCRIPT, ref_multisig_script, [2, _keys(3, 2)], "2-of-3"),
        expect(SCRIPT, ref_multisig_script, [16, _keys(16, 3)], "16-of-16: OP_16"),
        expect(SCRIPT, ref_multisig_script, [1, _keys(2, 4, 65)], "uncompressed keys: 0x41"),
        expect(SCRIPT, ref_multisig_script, [2, [*_keys(1, 5), *_keys(1, 6, 65)]], "mixed keys"),
    ]


def _script_invalid() -> list[Case]:
    keys = _keys(3, 9)
    return [
        Case(SCRIPT, (0, keys), INVALID, "m = 0: bad m"),
        Case(SCRIPT, (4, keys), INVALID, "m = 4 > n = 3: bad m"),
        Case(SCRIPT, (1, []), INVALID, "no keys: bad n"),
        Case(SCRIPT, (2, _keys(17, 10)), INVALID, "17 keys: bad n"),
        Case(SCRIPT, (1, [keys[0][:32]]), INVALID, "a 32-byte key: bad key"),
        Case(SCRIPT, (1, [keys[0] + b"\x00"]), INVALID, "a 34-byte key: bad key"),
    ]


@st.composite
def _multisig_args(draw: Any) -> list[Any]:
    keys = draw(
        st.lists(
            st.one_of(
                st.binary(min_size=32, max_size=32).map(lambda b: b"\x02" + b),
                st.binary(min_size=32, max_size=32).map(lambda b: b"\x03" + b),
                st.binary(min_size=64, max_size=64).map(lambda b: b"\x04" + b),
            ),
            min_size=1,
            max_size=16,
        )
    )
    return [draw(st.integers(1, len(keys))), keys]


RANDOM_SCRIPT = _multisig_args().map(lambda args: expect(SCRIPT, ref_multisig_script, args))


def _hashes_known() -> list[Case]:
    pb = bytes.fromhex(PB_REDEEM)
    witness_script = bytes.fromhex(BIP143_WITNESS_SCRIPT)
    redeem = bytes.fromhex(BIP143_P2WSH)
    return [
        Case(P2WSH, (witness_script,), redeem, "BIP143's 6-of-6 as P2WSH"),
        Case(P2SH, (redeem,), bytes.fromhex(BIP143_P2SH), "BIP143's P2SH-P2WSH"),
        expect(P2SH, p2sh_for, [pb], "Programming Bitcoin's 2-of-2"),
        expect(P2WSH, p2wsh_for, [pb], "Programming Bitcoin's 2-of-2"),
    ]


REDEEM_SCRIPTS = st.one_of(_multisig_args().map(lambda a: ref_multisig_script(*a)), st.binary())
RANDOM_HASHES = st.tuples(
    st.sampled_from([(P2SH, p2sh_for), (P2WSH, p2wsh_for)]), REDEEM_SCRIPTS
).map(lambda pair: expect(pair[0][0], pair[0][1], [pair[1]]))


def _address_known() -> list[Case]:
    pb = bytes.fromhex(PB_REDEEM)
    redeem = bytes.fromhex(BIP143_P2WSH)
    return [
        Case(ADDRESS, (pb, "mainnet"), PB_ADDRESS, "Programming Bitcoin's 2-of-2, mainnet"),
        expect(ADDRESS, ref_p2sh_address, [pb, "testnet"], "the same on testnet: 2..."),
        expect(ADDRESS, ref_p2sh_address, [pb, "regtest"], "the same on regtest: 2..."),
        expect(ADDRESS, ref_p2sh_address, [redeem, "mainnet"], "BIP143's P2SH-P2WSH, mainnet"),
        expect(ADDRESS, ref_p2sh_address, [b"", "mainnet"], "the empty script"),
    ]


RANDOM_ADDRESS = st.tuples(REDEEM_SCRIPTS, st.sampled_from(sorted(NETWORKS))).map(
    lambda pair: expect(ADDRESS, ref_p2sh_address, list(pair))
)


# --- steps ---------------------------------------------------------------------------------


def _push_cases() -> list[Case]:
    return [expect("push_data", push_data, [bytes(n)]) for n in (1, 33, 65, 75)]


def _hash160_cases() -> list[Case]:
    return [expect("hash160", hash160, [data]) for data in (b"", b"abc", bytes(33))]


# --- mistakes ------------------------------------------------------------------------------


def _script_with(
    m: int,
    pubkeys: Any,
    *,
    numbers_as_data: bool = False,
    swapped: bool = False,
    key_pushes: bool = True,
    sort_keys: bool = False,
) -> bytes:
    def number(value: int) -> bytes:
        return push_data(bytes([value])) if numbers_as_data else bytes([0x50 + value])

    keys = sorted(pubkeys) if sort_keys else list(pubkeys)
    body = b"".join(push_data(key) if key_pushes else key for key in keys)
    first, last = (len(keys), m) if swapped else (m, len(keys))
    return number(first) + body + number(last) + b"\xae"


def _accepted(word: str) -> Any:
    def matches(case: Case, actual: Any) -> bool:
        return word in case.label and isinstance(actual, bytes)

    return matches


def _address_with(redeem_script: bytes, network: str, *, version: int | None = None) -> str:
    default = 0x05 if network == "mainnet" else 0xC4
    return base58check_encode(
        bytes([default if version is None else version]) + hash160(redeem_script)
    )


def _p2pkh_version(redeem_script: bytes, network: str) -> str:
    return _address_with(redeem_script, network, version=0x00 if network == "mainnet" else 0x6F)


MISTAKES = (
    # Invalid arguments first: a variant may coincide with the value returned for them.
    Mistake(
        "bad-m-accepted",
        "Raise ValueError unless 1 <= m <= n: a script needing more signatures than it has "
        "keys (or none) can never be spent as intended.",
        matches=_accepted("bad m"),
        functions=(SCRIPT,),
    ),
    Mistake(
        "bad-n-accepted",
        "Raise ValueError unless 1 <= n <= 16 (OP_1..OP_16; more keys is not a standard "
        "multisig) and every key is 33 or 65 bytes.",
        matches=lambda case, actual: (
            ("bad n" in case.label or "bad key" in case.label) and isinstance(actual, bytes)
        ),
        functions=(SCRIPT,),
    ),
    Mistake(
        "number-pushed-as-data",
        "m and n are written as the small-number OPCODES OP_1..OP_16 (0x51..0x60: 0x50 + n), "
        "not pushed as data bytes.",
        variant=lambda m, keys: _script_with(m, keys, numbers_as_data=True),
        functions=(SCRIPT,),
    ),
    Mistake(
        "m-and-n-swapped",
        "The script starts with m (the signatures REQUIRED) and ends with n (the number of keys) "
        "just before OP_CHECKMULTISIG.",
        variant=lambda m, keys: _script_with(m, keys, swapped=True),
        functions=(SCRIPT,),
    ),
    Mistake(
        "key-push-missing",
        "Each key is PUSHED: its length byte (0x21 for 33 bytes, 0x41 for 65) before its bytes.",
        variant=lambda m, keys: _script_with(m, keys, key_pushes=False),
        functions=(SCRIPT,),
    ),
    Mistake(
        "keys-reordered",
        "Keep the keys in the order given: OP_CHECKMULTISIG matches signatures to keys in "
        "order, and another order is another script and another address.",
        variant=lambda m, keys: _script_with(m, keys, sort_keys=True),
        functions=(SCRIPT,),
    ),
    Mistake(
        "p2sh-not-hash160",
        "P2SH commits to HASH160 of the script: RIPEMD-160 of SHA-256, 20 bytes "
        "(a9 14 <20 bytes> 87).",
        variant=lambda script: b"\xa9\x20" + sha256(script) + b"\x87",
        functions=(P2SH,),
    ),
    Mistake(
        "p2wsh-not-sha256",
        "P2WSH commits to a single SHA-256 of the witness script, 32 bytes (00 20 <32 bytes>), "
        "not HASH160 and not SHA-256 twice.",
        variant=lambda script: b"\x00\x14" + hash160(script),
        functions=(P2WSH,),
    ),
    Mistake(
        "p2wsh-not-sha256",
        "P2WSH commits to a single SHA-256 of the witness script, 32 bytes (00 20 <32 bytes>), "
        "not HASH160 and not SHA-256 twice.",
        variant=lambda script: b"\x00\x20" + sha256d(script),
        functions=(P2WSH,),
    ),
    Mistake(
        "p2pkh-version-byte",
        "A P2SH address has its own version byte: 0x05 on mainnet (addresses start with 3), "
        "0xc4 on testnet and regtest (they start with 2); 0x00 and 0x6f are for P2PKH.",
        variant=_p2pkh_version,
        functions=(ADDRESS,),
    ),
    Mistake(
        "network-ignored",
        "The version byte depends on the network: 0x05 on mainnet, 0xc4 on testnet and regtest.",
        variant=lambda script, network: _address_with(script, network, version=0x05),
        functions=(ADDRESS,),
    ),
    Mistake(
        "address-hashes-script-pubkey",
        "The address holds hash160 of the REDEEM script itself, not of the P2SH scriptPubKey "
        "built from it.",
        variant=lambda script, network: _address_with(p2sh_for(script), network),
        functions=(ADDRESS,),
    ),
    Mistake(
        "single-sha256-checksum",
        "Base58Check's checksum is the first 4 bytes of sha256d (SHA-256 twice) of the payload.",
        variant=lambda script, network: _single_sha_address(script, network),
        functions=(ADDRESS,),
    ),
)


def _single_sha_address(redeem_script: bytes, network: str) -> str:
    payload = bytes([0x05 if network == "mainnet" else 0xC4]) + hash160(redeem_script)
    return base58_encode(payload + hashlib.sha256(payload).digest()[:4])


SPEC = ExerciseSpec(
    exercise_id="multisig",
    version=1,
    groups=(
        CheckGroup(
            "script-known", "Known redeem scripts; 1-of-1 to 16-of-16", _script_known, public=True
        ),
        CheckGroup(
            "script-invalid", "m = 0, m > n, 0 or 17 keys, keys of a wrong size", _script_invalid
        ),
        random_group("script-random", "Random m-of-n", RANDOM_SCRIPT, count=20, seed_value=13_001),
        CheckGroup(
            "hashes-known", "BIP143's P2WSH and P2SH; the 2-of-2", _hashes_known, public=True
        ),
        random_group("hashes-random", "Random scripts", RANDOM_HASHES, count=20, seed_value=13_002),
        CheckGroup(
            "address-known", "3CLoMM...: the 2-of-2 on every network", _address_known, public=True
        ),
        random_group(
            "address-random",
            "Random scripts and networks",
            RANDOM_ADDRESS,
            count=20,
            seed_value=13_003,
        ),
    ),
    mistakes=MISTAKES,
    steps={"push_data": _push_cases, "hash160": _hash160_cases},
)
