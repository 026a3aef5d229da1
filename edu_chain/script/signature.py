"""Signatures and public keys as Script sees them: encoding rules and how consensus reads them.

In a script, a signature is DER followed by one **sighash type** byte that says which parts of
the transaction it signs (see sighash.py); a public key is SEC bytes.  Two layers of rules:

* **Encoding rules**, checked by the interpreter *before* any cryptography, only when a flag
  asks: strict DER with the hash-type byte (BIP66: DERSIG, also implied by STRICTENC and
  LOW_S), low ``s`` (LOW_S), a defined hash type (STRICTENC), a 33- or 65-byte key
  (STRICTENC), a compressed key in segwit (WITNESS_PUBKEYTYPE).
* **How consensus reads them** when no flag forbids odd encodings: Bitcoin Core parses the
  signature *laxly* (``ecdsa_signature_parse_der_lax`` in ``pubkey.cpp``: long-form lengths,
  padded integers and trailing bytes are tolerated, an ``r`` or ``s`` of ``n`` or more makes
  the signature simply invalid), turns a high ``s`` into ``n - s`` before verifying, and
  accepts "hybrid" keys (prefix 06/07, uncompressed with the parity of ``y`` in the prefix).
  :func:`parse_der_lax` and :func:`parse_pubkey` reproduce exactly that, because old
  signatures in the chain rely on it.
"""

from __future__ import annotations

from edu_chain.keys.curve import N, is_on_curve

SIGHASH_ALL = 0x01
SIGHASH_NONE = 0x02
SIGHASH_SINGLE = 0x03
SIGHASH_ANYONECANPAY = 0x80

SIGHASH_NAMES = {
    SIGHASH_ALL: "ALL",
    SIGHASH_NONE: "NONE",
    SIGHASH_SINGLE: "SINGLE",
    SIGHASH_ALL | SIGHASH_ANYONECANPAY: "ALL|ANYONECANPAY",
    SIGHASH_NONE | SIGHASH_ANYONECANPAY: "NONE|ANYONECANPAY",
    SIGHASH_SINGLE | SIGHASH_ANYONECANPAY: "SINGLE|ANYONECANPAY",
}
HALF_N = N // 2


def is_valid_signature_encoding(sig: bytes) -> bool:
    """BIP66 strict DER, with the sighash byte at the end (Core's ``IsValidSignatureEncoding``).

    Layout: ``30 len 02 lenR R 02 lenS S hashtype``; integers positive, no needless zero byte.
    """
    size = len(sig)
    if not 9 <= size <= 73 or sig[0] != 0x30 or sig[1] != size - 3:
        return False
    len_r = sig[3]
    if 5 + len_r >= size:
        return False
    len_s = sig[5 + len_r]
    if len_r + len_s + 7 != size:
        return False
    for tag_at, length in ((2, len_r), (len_r + 4, len_s)):
        body = tag_at + 2
        if sig[tag_at] != 0x02 or length == 0 or sig[body] & 0x80:
            return False
        if length > 1 and sig[body] == 0 and not sig[body + 1] & 0x80:
            return False
    return True


def parse_der_lax(der: bytes) -> tuple[int, int] | None:
    """``(r, s)`` as Bitcoin Core's lax parser reads it, or ``None`` when it cannot be read.

    An ``r`` or ``s`` of ``n`` or more reads as ``(0, 0)``, a signature no key satisfies.
    """
    size, position = len(der), 0
    if position == size or der[position] != 0x30:
        return None
    position += 1
    if position == size:
        return None
    length_byte = der[position]
    position += 1
    if length_byte & 0x80:  # a long-form sequence length: skipped, not checked
        length_byte -= 0x80
        if length_byte > size - position:
            return None
        position += length_byte
    integers = []
    for _ in range(2):
        if position == size or der[position] != 0x02:
            return None
        position += 1
        if position == size:
            return None
        length_byte = der[position]
        position += 1
        if length_byte & 0x80:
            length_byte -= 0x80
            if length_byte > size - position:
                return None
            while length_byte > 0 and der[position] == 0:
                position += 1
                length_byte -= 1
            if length_byte >= 4:
                return None
            length = int.from_bytes(der[position : position + length_byte], "big")
            position += length_byte
        else:
            length = length_byte
        if length > size - position:
            return None
        integers.append(der[position : position + length].lstrip(b"\x00"))
        position += length
    r_bytes, s_bytes = integers
    if len(r_bytes) > 32 or len(s_bytes) > 32:
        return 0, 0
    r, s = int.from_bytes(r_bytes, "big"), int.from_bytes(s_bytes, "big")
    if r >= N or s >= N:
        return 0, 0
    return r, s


def is_low_s_signature(sig: bytes) -> bool:
    """True unless the signature (with its hash-type byte) has ``s`` above ``n/2``."""
    parsed = parse_der_lax(sig[:-1])
    return parsed is None or parsed[1] <= HALF_N


def is_defined_hashtype(sig: bytes) -> bool:
    """STRICTENC: the last byte, ANYONECANPAY aside, is ALL, NONE or SINGLE."""
    return bool(sig) and SIGHASH_ALL <= (sig[-1] & ~SIGHASH_ANYONECANPAY) <= SIGHASH_SINGLE


def is_compressed_or_uncompressed_pubkey(pubkey: bytes) -> bool:
    """STRICTENC's key rule: ``02``/``03`` + 32 bytes or ``04`` + 64 bytes (no curve check)."""
    if len(pubkey) == 33:
        return pubkey[0] in (0x02, 0x03)
    return len(pubkey) == 65 and pubkey[0] == 0x04


def is_compressed_pubkey(pubkey: bytes) -> bool:
    """WITNESS_PUBKEYTYPE's rule: a 33-byte ``02``/``03`` key."""
    return len(pubkey) == 33 and pubkey[0] in (0x02, 0x03)


def parse_pubkey(pubkey: bytes) -> bytes | None:
    """SEC bytes to hand to the verifier (hybrid ``06``/``07`` keys rewritten as ``04``), or
    None when consensus reads the key as invalid: a size that does not match its prefix, or a
    hybrid key whose prefix lies about ``y``.  A point off the curve fails in the verifier."""
    if len(pubkey) == 65 and pubkey[0] in (0x06, 0x07):
        x, y = int.from_bytes(pubkey[1:33], "big"), int.from_bytes(pubkey[33:], "big")
        if y & 1 != pubkey[0] & 1 or not is_on_curve((x, y)):
            return None
        return b"\x04" + pubkey[1:]
    if len(pubkey) == 33 and pubkey[0] in (0x02, 0x03):
        return bytes(pubkey)
    if len(pubkey) == 65 and pubkey[0] == 0x04:
        return bytes(pubkey)  # whether it is on the curve, the verifier finds out
    return None
