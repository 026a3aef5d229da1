"""Exercise sha256: SHA-256 from scratch (FIPS 180-4).

Write `sha256(data)` using only integers and bytes. `hashlib`, `_sha256`, `hmac` and
`edu_chain` are banned in this exercise: the grader scores 0 if they are imported.
Check your work:   educhain check sha256.py
"""

MASK32 = 0xFFFFFFFF

# Round constants: the first 32 bits of the fractional parts of the cube roots of the
# first 64 primes (FIPS 180-4, section 4.2.2).
K = [
    0x428A2F98, 0x71374491, 0xB5C0FBCF, 0xE9B5DBA5, 0x3956C25B, 0x59F111F1, 0x923F82A4, 0xAB1C5ED5,
    0xD807AA98, 0x12835B01, 0x243185BE, 0x550C7DC3, 0x72BE5D74, 0x80DEB1FE, 0x9BDC06A7, 0xC19BF174,
    0xE49B69C1, 0xEFBE4786, 0x0FC19DC6, 0x240CA1CC, 0x2DE92C6F, 0x4A7484AA, 0x5CB0A9DC, 0x76F988DA,
    0x983E5152, 0xA831C66D, 0xB00327C8, 0xBF597FC7, 0xC6E00BF3, 0xD5A79147, 0x06CA6351, 0x14292967,
    0x27B70A85, 0x2E1B2138, 0x4D2C6DFC, 0x53380D13, 0x650A7354, 0x766A0ABB, 0x81C2C92E, 0x92722C85,
    0xA2BFE8A1, 0xA81A664B, 0xC24B8B70, 0xC76C51A3, 0xD192E819, 0xD6990624, 0xF40E3585, 0x106AA070,
    0x19A4C116, 0x1E376C08, 0x2748774C, 0x34B0BCB5, 0x391C0CB3, 0x4ED8AA4A, 0x5B9CCA4F, 0x682E6FF3,
    0x748F82EE, 0x78A5636F, 0x84C87814, 0x8CC70208, 0x90BEFFFA, 0xA4506CEB, 0xBEF9A3F7, 0xC67178F2,
]

# Initial hash value: the first 32 bits of the fractional parts of the square roots of the
# first 8 primes (FIPS 180-4, section 5.3.3).
H0 = [0x6A09E667, 0xBB67AE85, 0x3C6EF372, 0xA54FF53A, 0x510E527F, 0x9B05688C, 0x1F83D9AB, 0x5BE0CD19]


def rotr(x: int, n: int) -> int:
    """Rotate a 32-bit word right by n bits."""
    return ((x >> n) | (x << (32 - n))) & MASK32


def sha256(data: bytes) -> bytes:
    """Return the 32-byte SHA-256 digest of `data`.

    >>> sha256(b"abc").hex()
    'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad'
    """
    # Step 1 (padding): append 0x80, then zero bytes until the length is 56 mod 64, then the
    #   message length in BITS as an 8-byte BIG-endian integer. The result is a multiple of 64.
    # Step 2: split the padded message into 64-byte blocks; start from state = list(H0).
    # Step 3 (message schedule): for each block, 16 big-endian 32-bit words w[0..15], then
    #   for t in 16..63: s0 = rotr(w[t-15], 7) ^ rotr(w[t-15], 18) ^ (w[t-15] >> 3)
    #                    s1 = rotr(w[t-2], 17) ^ rotr(w[t-2], 19) ^ (w[t-2] >> 10)
    #                    w[t] = (w[t-16] + s0 + w[t-7] + s1) & MASK32
    # Step 4 (64 rounds): a..h = state; for each round t:
    #   S1 = rotr(e, 6) ^ rotr(e, 11) ^ rotr(e, 25);  ch = (e & f) ^ (~e & g)
    #   temp1 = h + S1 + ch + K[t] + w[t];  S0 = rotr(a, 2) ^ rotr(a, 13) ^ rotr(a, 22)
    #   maj = (a & b) ^ (a & c) ^ (b & c);  temp2 = S0 + maj
    #   h, g, f, e, d, c, b, a = g, f, e, d + temp1, c, b, a, temp1 + temp2  (all & MASK32)
    # Step 5: add a..h into state (mod 2**32).
    # Step 6: the digest is the 8 state words, each as 4 BIG-endian bytes, in order.
    raise NotImplementedError("sha256: follow steps 1-6")
