"""Exercise multisig: an m-of-n redeem script, its P2SH and P2WSH outputs, its P2SH address.

Opcodes: OP_1..OP_16 are 0x51..0x60 (0x50 + n); OP_CHECKMULTISIG 0xae; OP_HASH160 0xa9;
OP_EQUAL 0x87; OP_0 0x00. Paste your base58check_encode (exercise base58check) below.
You may use hashlib. Check your work:   educhain check multisig.py
"""

import hashlib


def base58check_encode(payload: bytes) -> str:
    """Paste your solution of the `base58check` exercise here."""
    raise NotImplementedError("paste base58check_encode from the base58check exercise")


# Helpers you will want (README.md, "Step functions"): push_data(data) -> bytes (one length
# byte, then the data) and hash160(data) -> bytes (hashlib.new("ripemd160", sha256 digest)).


def multisig_script(m: int, pubkeys: list[bytes]) -> bytes:
    """OP_m <key_1> .. <key_n> OP_n OP_CHECKMULTISIG; ValueError for a bad m, n or key."""
    # Step 1: n = len(pubkeys); raise ValueError unless 1 <= n <= 16, 1 <= m <= n and every
    #         key is 33 or 65 bytes.
    # Step 2: bytes([0x50 + m]), then each key pushed (its length byte, then the key, in the
    #         order given), then bytes([0x50 + n]) and bytes([0xae]).
    raise NotImplementedError("multisig_script: follow steps 1-2")


def p2sh_script_pubkey(redeem_script: bytes) -> bytes:
    """OP_HASH160 <hash160(redeem_script)> OP_EQUAL."""
    # Step 1: return a9 14 + ripemd160(sha256(redeem_script)) + 87.
    raise NotImplementedError("p2sh_script_pubkey: follow step 1")


def p2wsh_script_pubkey(witness_script: bytes) -> bytes:
    """OP_0 <sha256(witness_script)>."""
    # Step 1: return 00 20 + sha256(witness_script) (a single SHA-256).
    raise NotImplementedError("p2wsh_script_pubkey: follow step 1")


def p2sh_address(redeem_script: bytes, network: str) -> str:
    """The P2SH address of `redeem_script` on "mainnet", "testnet" or "regtest"."""
    # Step 1: version = 0x05 on mainnet, 0xc4 on testnet and regtest.
    # Step 2: return base58check_encode(bytes([version]) + hash160(redeem_script)).
    raise NotImplementedError("p2sh_address: follow steps 1-2")
