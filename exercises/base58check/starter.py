"""Exercise base58check: the text form of addresses, with a checksum that catches typos.

You may use hashlib. Check your work:   educhain check base58check.py
"""

import hashlib

# Base58: the 58 digits, without 0 (zero), O (capital o), I (capital i) and l (lower-case L).
ALPHABET = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"


def sha256d(data: bytes) -> bytes:
    """Double SHA-256, Bitcoin's hash."""
    return hashlib.sha256(hashlib.sha256(data).digest()).digest()


def base58check_encode(payload: bytes) -> str:
    """Base58 of payload + sha256d(payload)[:4], one leading '1' per leading zero byte."""
    # Step 1: data = payload + the first 4 bytes of sha256d(payload) (the checksum).
    # Step 2: count the leading zero bytes of data (they vanish when data becomes a number).
    # Step 3: number = int.from_bytes(data, "big"); while number > 0:
    #         number, digit = divmod(number, 58) and collect ALPHABET[digit].
    # Step 4: the digits came out least significant first: reverse them.
    # Step 5: return "1" * (number of leading zero bytes) + the digits.
    raise NotImplementedError("base58check_encode: follow steps 1-5")


def base58check_decode(text: str) -> bytes:
    """The payload inside a Base58Check string; ValueError if it is malformed or mistyped."""
    # Step 1: number = 0; for each character: raise ValueError if it is not in ALPHABET,
    #         else number = number * 58 + ALPHABET.index(character).
    # Step 2: count the leading "1" characters: each one is a leading zero byte.
    # Step 3: data = that many zero bytes + the number as big-endian bytes
    #         (number.to_bytes((number.bit_length() + 7) // 8, "big"); zero bytes if number is 0).
    # Step 4: if data is shorter than 4 bytes, raise ValueError.
    # Step 5: payload, checksum = data[:-4], data[-4:]; if checksum != sha256d(payload)[:4],
    #         raise ValueError (a typo, or not an address at all).
    # Step 6: return payload.
    raise NotImplementedError("base58check_decode: follow steps 1-6")
