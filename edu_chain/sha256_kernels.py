"""SHA-256 for Numba: the compression function, batch double-SHA-256 and the nonce search.

This is the fast path beside :mod:`edu_chain.hashing` (which uses ``hashlib``) and beside the
readable miner :func:`edu_chain.pow.mining.mine_reference`.  It follows FIPS 180-4, section 6.2
(SHA-256 hash computation), and every function here is tested bit for bit against ``hashlib``.

How a proof-of-work hash is computed (Bitcoin's 80-byte header, see :mod:`edu_chain.block`)::

    block 1 = header[0:64]                      -> the same for every nonce: the "midstate",
                                                   compressed once per job
    block 2 = header[64:76] + nonce + padding   -> compression 1 per nonce
    block 3 = first digest (32 bytes) + padding -> compression 2 per nonce (the second SHA-256)
    hash as a little-endian number <= target    -> found

Why it is fast
--------------
* **Lanes.**  :data:`LANES` nonces (or messages) are hashed side by side.  Every working
  variable lives in a flat scratch array indexed ``[round * LANES + lane]`` and the innermost
  loop always runs over the lanes, so it has no branches and no dependencies between
  iterations: LLVM's *loop* vectoriser turns it into AVX2 (8 x 32-bit) or AVX-512 instructions,
  the same 8-way layout as C CPU miners.  On a machine without AVX2 the same code compiles to
  SSE or scalar instructions and gives the same results, only slower.
* **No register shuffle.**  A SHA-256 round shifts ``a..h`` down by one and computes only two
  new values, the new ``a`` and the new ``e``.  So ``b, c, d`` are just the ``a`` values of the
  three previous rounds and ``f, g, h`` the previous ``e`` values: we keep the histories
  ``a_hist`` and ``e_hist`` (68 entries per lane: 4 initial values and 64 rounds) and each round
  writes two numbers instead of eight.  Four rounds are done per pass over the lanes, in
  registers (:func:`_rounds`).
* **Only what changes with the nonce** (the nonce search; the C miners' tricks).  Rounds 0..2
  of block 2 and most of its message schedule do not depend on the nonce: they are computed
  once per job.  Padding words that are zero are left out of both schedules.  Of the final
  hash only the word holding its top 32 bits is computed for every nonce (block 3 stops after
  round 60); the rare nonce whose top 32 bits tie with or beat the target's is hashed again in
  full and compared on all 256 bits, so the rule stays exactly ``hash <= target``.
* **Both cores.**  The kernels release the GIL (``nogil=True``); :mod:`edu_chain.pow.mining`
  runs one per core in ordinary Python threads, so no Numba threading layer (TBB, OpenMP) is
  needed.

Measured on the development machine (a shared 2-core Xeon, Rocket Lake, AVX2 + AVX-512), best
of several runs, each change against the kernel without it in the same process: the nonce
search went from 19.9 to 28.7 MH/s per core (x1.44; ``benchmarks/mining.py``: 15.6 to 21.7
times the hashlib midstate loop).  Four rounds per pass gave x1.10 (eight: no more), rounds
0..3 once per job x1.06, block 2's schedule x1.07, block 3's schedule x1.07, the early
rejection x1.06.

Numba settings, decided knowingly
---------------------------------
* ``cache=True``: the machine code is stored next to this file (``__pycache__``, or Numba's
  user cache directory when that is read-only) so a second process starts at full speed
  without compiling (~0.65 s from interpreter start to the first search, against ~8 s with an
  empty cache: the unrolled rounds take Numba a while to type).  Numba keys a cached entry on
  the argument types, the CPU name and features, and this file's modification time; *not* on
  environment flags or on the values of module constants.  Everything that shapes the code
  (``LANES``, ``K``, ``IV``, the padding words) is therefore written in this source file,
  where editing it invalidates the cache.  It is also why the nonce search, the batch hash
  and the rounds they share stay in this one file rather than a module each: Numba checks
  only the file that *defines* a cached function, not the files of the functions it inlines
  (numba/numba#8396 would add that; it was not merged), so a search kernel living elsewhere
  would keep running stale machine code after an edit to ``_round`` here.
* ``inline="always"`` on the small helpers (``_rotr``, the sigmas, ``_round``): left to LLVM,
  calls inside the lane loops stopped them from being vectorised (x0.59).  The kernels are
  split into a few functions (``_block2``, ``_block3``...) called once per ``LANES`` nonces.
* SLP vectorisation (``NUMBA_SLP_VECTORIZE``, off by default in Numba 0.68) is left at
  Numba's default.  The lanes layout is vectorised by the *loop* vectoriser; with SLP on, the
  nonce search measured the same within the noise (28.5 against 28.3 MH/s, best of three
  processes each).  Since the cache ignores the flag, relying on it would make the speed
  depend on which process compiled first.
* ``LANES = 32``: 16 lanes measured 5% slower, 64 lanes the same within the noise (the loop
  vectoriser interleaves four 8-wide vectors); 32 keeps the scratch arrays half the size.
  ``error_model="numpy"`` and ``boundscheck=False`` changed nothing (no division; bounds are
  not checked by default).  LLVM uses 256-bit vectors here even on AVX-512 machines
  (``prefer-256-bit`` in the CPU model); allowing 512-bit ones gave ~14% more on the previous
  kernel, but only through a process-wide Numba setting.
* SHA-NI (the CPU's SHA-256 instructions, reachable through ``numba.extending.intrinsic``) was
  tried: bit-exact, but ~16 MH/s per core against ~28 MH/s for these lanes on the development
  machine, so it is not used.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor

import numpy as np
from numba import njit

LANES = 32  # messages or nonces per vector step; see the module docstring
PARALLEL_MIN_ROWS = 1 << 14  # below this, starting threads costs more than it saves

# FIPS 180-4, section 4.2.2: the first 32 bits of the fractional parts of the cube roots of
# the first 64 primes.
K = np.array(
    [
        0x428A2F98, 0x71374491, 0xB5C0FBCF, 0xE9B5DBA5, 0x3956C25B, 0x59F111F1, 0x923F82A4,
        0xAB1C5ED5, 0xD807AA98, 0x12835B01, 0x243185BE, 0x550C7DC3, 0x72BE5D74, 0x80DEB1FE,
        0x9BDC06A7, 0xC19BF174, 0xE49B69C1, 0xEFBE4786, 0x0FC19DC6, 0x240CA1CC, 0x2DE92C6F,
        0x4A7484AA, 0x5CB0A9DC, 0x76F988DA, 0x983E5152, 0xA831C66D, 0xB00327C8, 0xBF597FC7,
        0xC6E00BF3, 0xD5A79147, 0x06CA6351, 0x14292967, 0x27B70A85, 0x2E1B2138, 0x4D2C6DFC,
        0x53380D13, 0x650A7354, 0x766A0ABB, 0x81C2C92E, 0x92722C85, 0xA2BFE8A1, 0xA81A664B,
        0xC24B8B70, 0xC76C51A3, 0xD192E819, 0xD6990624, 0xF40E3585, 0x106AA070, 0x19A4C116,
        0x1E376C08, 0x2748774C, 0x34B0BCB5, 0x391C0CB3, 0x4ED8AA4A, 0x5B9CCA4F, 0x682E6FF3,
        0x748F82EE, 0x78A5636F, 0x84C87814, 0x8CC70208, 0x90BEFFFA, 0xA4506CEB, 0xBEF9A3F7,
        0xC67178F2,
    ],
    dtype=np.uint32,
)  # fmt: skip

# FIPS 180-4, section 5.3.3: the initial hash value (square roots of the first 8 primes).
IV = np.array(
    [
        0x6A09E667,
        0xBB67AE85,
        0x3C6EF372,
        0xA54FF53A,
        0x510E527F,
        0x9B05688C,
        0x1F83D9AB,
        0x5BE0CD19,
    ],
    dtype=np.uint32,
)


# The padded message words of the two blocks hashed for every nonce (section 5.1.1: a 1 bit,
# zeros, and the length in bits): block 2 holds header bytes 64..79 (words 0..3), block 3 the
# 32-byte first digest (words 0..7).  Only the padding words are filled in here.
_PADDING_HEADER = np.zeros(16, dtype=np.uint32)
_PADDING_HEADER[4], _PADDING_HEADER[15] = 0x80000000, 80 * 8
_PADDING_DIGEST = np.zeros(16, dtype=np.uint32)
_PADDING_DIGEST[8], _PADDING_DIGEST[15] = 0x80000000, 32 * 8


# --- the SHA-256 functions of FIPS 180-4, section 4.1.2 ---------------------------------
# Numba widens uint32 arithmetic to 64 bits; casting back with np.uint32 after every
# operation keeps the wrap-around of 32-bit words, and LLVM narrows it to 32-bit instructions.


@njit(inline="always")
def _rotr(x, n):
    return np.uint32((x >> n) | (x << (32 - n)))


@njit(inline="always")
def _bswap32(x):
    """Reverse the byte order of a 32-bit word (big-endian words <-> little-endian bytes)."""
    return np.uint32(((x & 0xFF) << 24) | ((x & 0xFF00) << 8) | ((x >> 8) & 0xFF00) | (x >> 24))


@njit(inline="always")
def _big_sigma0(a):  # the capital sigmas (4.4, 4.5): the rounds
    return _rotr(a, 2) ^ _rotr(a, 13) ^ _rotr(a, 22)


@njit(inline="always")
def _big_sigma1(e):
    return _rotr(e, 6) ^ _rotr(e, 11) ^ _rotr(e, 25)


@njit(inline="always")
def _small_sigma0(x):  # the lower-case sigmas (4.6, 4.7): message schedule
    return np.uint32(_rotr(x, 7) ^ _rotr(x, 18) ^ (x >> 3))


@njit(inline="always")
def _small_sigma1(x):
    return np.uint32(_rotr(x, 17) ^ _rotr(x, 19) ^ (x >> 10))


@njit(inline="always")
def _choose(e, f, g):  # Ch (4.2): bits of f where e is 1, of g where e is 0
    return (e & f) ^ (~e & g)


@njit(inline="always")
def _majority(a, b, c):  # Maj (4.3): each bit is the majority of the three
    return (a & b) ^ (a & c) ^ (b & c)


@njit(cache=True)
def compress(state, w):
    """One SHA-256 compression, one message at a time: the readable form of the kernel.

    ``state`` holds the 8 hash words and is updated in place; ``w`` has room for 64 words and
    holds the 16 big-endian words of the 64-byte block in ``w[0:16]``.
    """
    for t in range(16, 64):  # the message schedule (section 6.2.2, step 1)
        w[t] = np.uint32(w[t - 16] + _small_sigma0(w[t - 15]) + w[t - 7] + _small_sigma1(w[t - 2]))
    a, b, c, d = state[0], state[1], state[2], state[3]  # step 2: the working variables
    e, f, g, h = state[4], state[5], state[6], state[7]
    for t in range(64):  # 64 rounds (step 3)
        t1 = np.uint32(h + _big_sigma1(e) + _choose(e, f, g) + K[t] + w[t])
        t2 = np.uint32(_big_sigma0(a) + _majority(a, b, c))
        h, g, f, e, d, c, b, a = g, f, e, np.uint32(d + t1), c, b, a, np.uint32(t1 + t2)
    for i, value in enumerate((a, b, c, d, e, f, g, h)):  # step 4
        state[i] = np.uint32(state[i] + value)


@njit(inline="always")
def _round(a, b, c, d, e, f, g, h, k_plus_w):
    """One SHA-256 round (section 6.2.2, step 3): returns the new ``a`` and the new ``e``.

    The other six words only move down one place (``b`` = old ``a``, ...), so the caller
    renames its variables instead of copying them.
    """
    t1 = np.uint32(h + _big_sigma1(e) + _choose(e, f, g) + k_plus_w)
    return np.uint32(t1 + _big_sigma0(a) + _majority(a, b, c)), np.uint32(d + t1)


@njit(inline="always")
def _schedule(w, first, stop):
    """Message schedule words ``first .. stop - 1`` of every lane (section 6.2.2, step 1)."""
    L = LANES
    for t in range(first, stop):
        for i in range(L):
            w[t * L + i] = np.uint32(
                w[(t - 16) * L + i]
                + _small_sigma0(w[(t - 15) * L + i])
                + w[(t - 7) * L + i]
                + _small_sigma1(w[(t - 2) * L + i])
            )


@njit(inline="always")
def _rounds(a_hist, e_hist, w, first, stop):
    """Rounds ``first .. stop - 1`` of every lane; ``stop - first`` is a multiple of 4.

    Round ``t`` reads ``a = a_hist[t + 3]``, ``b = a_hist[t + 2]``, ``c = a_hist[t + 1]``,
    ``d = a_hist[t]`` (and ``e..h`` from ``e_hist`` the same way) and writes its new ``a``
    and ``e`` at index ``t + 4``.  Four rounds are done per pass over the lanes: their
    inputs and results stay in (vector) registers, so memory is read and written once per
    four rounds rather than every round (measured x1.10 on the nonce search; eight rounds
    per pass gained nothing more).
    """
    L = LANES
    for t in range(first, stop, 4):
        for i in range(L):
            d, c = a_hist[t * L + i], a_hist[(t + 1) * L + i]
            b, a = a_hist[(t + 2) * L + i], a_hist[(t + 3) * L + i]
            h, g = e_hist[t * L + i], e_hist[(t + 1) * L + i]
            f, e = e_hist[(t + 2) * L + i], e_hist[(t + 3) * L + i]
            a4, e4 = _round(a, b, c, d, e, f, g, h, K[t] + w[t * L + i])
            a5, e5 = _round(a4, a, b, c, e4, e, f, g, K[t + 1] + w[(t + 1) * L + i])
            a6, e6 = _round(a5, a4, a, b, e5, e4, e, f, K[t + 2] + w[(t + 2) * L + i])
            a7, e7 = _round(a6, a5, a4, a, e6, e5, e4, e, K[t + 3] + w[(t + 3) * L + i])
            a_hist[(t + 4) * L + i], e_hist[(t + 4) * L + i] = a4, e4
            a_hist[(t + 5) * L + i], e_hist[(t + 5) * L + i] = a5, e5
            a_hist[(t + 6) * L + i], e_hist[(t + 6) * L + i] = a6, e6
            a_hist[(t + 7) * L + i], e_hist[(t + 7) * L + i] = a7, e7


@njit(cache=True, inline="always")
def compress_lanes(state, w, a_hist, e_hist):
    """:data:`LANES` compressions side by side; the layout is explained in the module docstring.

    ``state[j * LANES + lane]`` is hash word ``j`` of each lane (updated in place),
    ``w[t * LANES + lane]`` message word ``t`` (``t < 16`` filled by the caller, the rest
    computed here); ``a_hist`` and ``e_hist`` are scratch arrays of ``68 * LANES`` words.
    """
    L = LANES
    _schedule(w, 16, 64)
    for j in range(4):  # the initial a, b, c, d are "rounds -1, -2, -3, -4" of the history
        for i in range(L):
            a_hist[(3 - j) * L + i] = state[j * L + i]
            e_hist[(3 - j) * L + i] = state[(4 + j) * L + i]
    _rounds(a_hist, e_hist, w, 0, 64)
    for j in range(4):
        for i in range(L):
            state[j * L + i] = np.uint32(state[j * L + i] + a_hist[(67 - j) * L + i])
            state[(4 + j) * L + i] = np.uint32(state[(4 + j) * L + i] + e_hist[(67 - j) * L + i])


@njit(cache=True, inline="always")
def _second_hash(state, w, a_hist, e_hist):
    """Replace each lane's digest in ``state`` by the SHA-256 of that 32-byte digest."""
    L = LANES
    for i in range(L):
        for j in range(8):
            w[j * L + i] = state[j * L + i]
        w[8 * L + i] = 0x80000000  # padding: a 1 bit, zeros, then the length, 256 bits
        for j in range(9, 15):
            w[j * L + i] = 0
        w[15 * L + i] = 256
    for j in range(8):
        for i in range(L):
            state[j * L + i] = IV[j]
    compress_lanes(state, w, a_hist, e_hist)


# --- batch double SHA-256 ----------------------------------------------------------------


@njit(cache=True, inline="always")
def _padded_word(message, size, blocks, position):
    """Big-endian word at byte ``position`` of ``message`` after SHA-256 padding (5.1.1)."""
    if position == blocks * 64 - 8:
        return np.uint32((size * 8) >> 32)
    if position == blocks * 64 - 4:
        return np.uint32((size * 8) & 0xFFFFFFFF)
    if position + 4 <= size:  # the common case: four message bytes
        return np.uint32(
            (np.uint32(message[position]) << 24)
            | (np.uint32(message[position + 1]) << 16)
            | (np.uint32(message[position + 2]) << 8)
            | np.uint32(message[position + 3])
        )
    if position > size:  # only zero padding left before the length
        return np.uint32(0)
    word = np.uint32(0)  # the word that holds the end of the message and the 0x80 byte
    for k in range(4):
        p = position + k
        byte = 0
        if p < size:
            byte = message[p]
        elif p == size:
            byte = 0x80
        word = np.uint32((word << 8) | byte)
    return word


@njit(cache=True, nogil=True)
def sha256d_batch(messages):
    """Double SHA-256 of every row of a ``(n, size)`` uint8 array; returns ``(n, 32)`` uint8."""
    count, size = messages.shape
    blocks = (size + 9 + 63) // 64
    L = LANES
    out = np.empty((count, 32), dtype=np.uint8)
    state = np.empty(8 * L, dtype=np.uint32)
    w = np.empty(64 * L, dtype=np.uint32)
    a_hist = np.empty(68 * L, dtype=np.uint32)
    e_hist = np.empty(68 * L, dtype=np.uint32)
    for first in range(0, count, L):
        for j in range(8):
            for i in range(L):
                state[j * L + i] = IV[j]
        for block in range(blocks):
            for i in range(L):
                row = min(first + i, count - 1)  # spare lanes repeat the last message
                for j in range(16):
                    w[j * L + i] = _padded_word(messages[row], size, blocks, block * 64 + 4 * j)
            compress_lanes(state, w, a_hist, e_hist)
        _second_hash(state, w, a_hist, e_hist)
        for i in range(min(L, count - first)):
            for j in range(8):
                word = state[j * L + i]
                for k in range(4):
                    out[first + i, 4 * j + k] = (word >> (24 - 8 * k)) & 0xFF
    return out


def sha256d_many(messages: Sequence[bytes]) -> list[bytes]:
    """``[sha256d(m) for m in messages]`` for messages that all have the same length."""
    if not messages:
        return []
    size = len(messages[0])
    if any(len(m) != size for m in messages):
        raise ValueError("sha256d_many hashes messages of one length; got several lengths")
    rows = _rows(messages, size)
    return [bytes(row) for row in sha256d_parallel(rows)]


def _rows(messages: Sequence[bytes], size: int) -> np.ndarray:
    # bytearray().join makes one writable buffer without a second copy.  (Numba compiles and
    # caches one version per array type, and np.frombuffer over bytes is read-only: a second.)
    data = bytearray().join(messages)
    return np.frombuffer(data, dtype=np.uint8).reshape(len(messages), size)


def sha256d_parallel(rows: np.ndarray, threads: int | None = None) -> np.ndarray:
    """:func:`sha256d_batch` with the rows split across ``threads`` (default: all cores)."""
    threads = default_threads() if threads is None else threads
    if threads <= 1 or rows.shape[0] < PARALLEL_MIN_ROWS:
        return sha256d_batch(rows)
    bounds = np.linspace(0, rows.shape[0], threads + 1).astype(int)
    with ThreadPoolExecutor(threads) as pool:
        parts = pool.map(lambda i: sha256d_batch(rows[bounds[i] : bounds[i + 1]]), range(threads))
        return np.concatenate(list(parts))


def default_threads() -> int:
    """The number of cores this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # macOS and Windows have no sched_getaffinity
        return os.cpu_count() or 1


def merkle_root_batch(txids: Sequence[bytes]) -> bytes | None:
    """Bitcoin's Merkle root computed level by level with :func:`sha256d_batch`.

    Returns ``None`` when the input is not a non-empty list of 32-byte ``bytes``, so the caller
    (:func:`edu_chain.merkle.merkle_root`) can fall back to its readable path and its errors.
    """
    if not isinstance(txids, list | tuple) or not txids:
        return None
    # Checks done by C loops (map) rather than a Python loop: they cost less than the hashing.
    if set(map(type, txids)) != {bytes} or set(map(len, txids)) != {32}:
        return None
    level = _rows(txids, 32)
    while level.shape[0] > 1:
        if level.shape[0] % 2 == 1:  # an odd level duplicates its last hash
            level = np.concatenate((level, level[-1:]))
        level = sha256d_parallel(level.reshape(level.shape[0] // 2, 64))
    return bytes(level[0])


# --- the nonce search ----------------------------------------------------------------------
# Compared with hashing 80 bytes twice, a miner skips the work that gives the same result for
# every nonce (the tricks of the C CPU miners, e.g. cpuminer's sha256d_ms).
#
# Block 2 is header bytes 64..79: words W0..W2 (end of the Merkle root, time, bits), W3 the
# nonce, then padding: W4 = 0x80000000, W5..W14 = 0, W15 = 640 (the length in bits).
# Block 3 is the 32-byte first digest D0..D7, then W8 = 0x80000000, W9..W14 = 0, W15 = 256.
# The search is split into a few compiled functions, one call each per LANES nonces: the
# calls cost nothing next to the hashing, and each step can be read on its own.


@njit(cache=True)
def _prepare_block2(midstate, tail, w, a_hist, e_hist):
    """Once per job: the part of block 2 that is the same for every nonce.

    Rounds 0..2 read only W0..W2, so every lane has the same results: they are stored once
    as history rows 4..6.  Round 3 adds the nonce word to ``t1`` and nothing else, so its new
    ``a`` and ``e`` are "a constant + nonce word".  The padding words W4..W15 and the
    schedule words W16, W17 (which do not depend on the nonce) are stored once too.
    Returns the constants that :func:`_block2` adds the nonce to.
    """
    L = LANES
    a, b, c, d = midstate[0], midstate[1], midstate[2], midstate[3]
    e, f, g, h = midstate[4], midstate[5], midstate[6], midstate[7]
    for t in range(3):
        new_a, new_e = _round(a, b, c, d, e, f, g, h, K[t] + tail[t])
        a, b, c, d, e, f, g, h = new_a, a, b, c, new_e, e, f, g
        for i in range(L):
            a_hist[(t + 4) * L + i], e_hist[(t + 4) * L + i] = a, e
    a3, e3 = _round(a, b, c, d, e, f, g, h, K[3])  # without the nonce word
    w16 = np.uint32(tail[0] + _small_sigma0(tail[1]))
    w17 = np.uint32(tail[1] + _small_sigma0(tail[2]) + _small_sigma1(np.uint32(640)))
    for t in range(4, 16):
        for i in range(L):
            w[t * L + i] = _PADDING_HEADER[t]
    for i in range(L):
        w[16 * L + i], w[17 * L + i] = w16, w17
    # W18..W32 without their zero terms; cNN is the part of W_NN that is the same for every
    # nonce, for example W18 = W2 + s0(W3) + W11 + s1(W16) = c18 + s0(nonce word).
    c18 = np.uint32(tail[2] + _small_sigma1(w16))
    c19 = np.uint32(_small_sigma0(np.uint32(0x80000000)) + _small_sigma1(w17))
    c31 = np.uint32(640 + _small_sigma0(w16))
    c32 = np.uint32(w16 + _small_sigma0(w17))
    return a3, e3, w16, w17, c18, c19, c31, c32


@njit(cache=True)
def _block2(base, job, w, a_hist, e_hist):
    """The first SHA-256 of nonces ``base .. base + LANES - 1``, from round 4 on."""
    L = LANES
    a3, e3, w16, w17, c18, c19, c31, c32 = job
    c30 = _small_sigma0(np.uint32(640))
    for i in range(L):
        nonce_word = _bswap32(np.uint32(base + i))  # the nonce is stored little-endian
        a_hist[7 * L + i] = np.uint32(a3 + nonce_word)
        e_hist[7 * L + i] = np.uint32(e3 + nonce_word)
        # W(t) = W(t-16) + s0(W(t-15)) + W(t-7) + s1(W(t-2)) less the terms known to be 0,
        # e.g. W20 = W4 + s0(W5) + W13 + s1(W18) = 0x80000000 + 0 + 0 + s1(W18)
        w18 = np.uint32(c18 + _small_sigma0(nonce_word))
        w19 = np.uint32(nonce_word + c19)
        w20 = np.uint32(0x80000000 + _small_sigma1(w18))
        w21 = _small_sigma1(w19)
        w22 = np.uint32(640 + _small_sigma1(w20))
        w23 = np.uint32(w16 + _small_sigma1(w21))
        w24 = np.uint32(w17 + _small_sigma1(w22))
        w25 = np.uint32(w18 + _small_sigma1(w23))
        w26 = np.uint32(w19 + _small_sigma1(w24))
        w27 = np.uint32(w20 + _small_sigma1(w25))
        w28 = np.uint32(w21 + _small_sigma1(w26))
        w29 = np.uint32(w22 + _small_sigma1(w27))
        w30 = np.uint32(c30 + w23 + _small_sigma1(w28))
        w31 = np.uint32(c31 + w24 + _small_sigma1(w29))
        w32 = np.uint32(c32 + w25 + _small_sigma1(w30))
        w[18 * L + i], w[19 * L + i], w[20 * L + i] = w18, w19, w20
        w[21 * L + i], w[22 * L + i], w[23 * L + i] = w21, w22, w23
        w[24 * L + i], w[25 * L + i], w[26 * L + i] = w24, w25, w26
        w[27 * L + i], w[28 * L + i], w[29 * L + i] = w27, w28, w29
        w[30 * L + i], w[31 * L + i], w[32 * L + i] = w30, w31, w32
    _schedule(w, 33, 64)
    _rounds(a_hist, e_hist, w, 4, 64)


@njit(cache=True)
def _prepare_block3(w2, a2_hist, e2_hist):
    """Once per call: block 3's padding words and initial state (the IV), and the constant
    part of its round 0 (which starts from the IV and reads only D0)."""
    L = LANES
    for j in range(4):
        for i in range(L):
            a2_hist[(3 - j) * L + i], e2_hist[(3 - j) * L + i] = IV[j], IV[4 + j]
    for t in range(8, 16):
        for i in range(L):
            w2[t * L + i] = _PADDING_DIGEST[t]
    return _round(IV[0], IV[1], IV[2], IV[3], IV[4], IV[5], IV[6], IV[7], K[0])


@njit(cache=True)
def _block3(midstate, job3, a_hist, e_hist, w2, a2_hist, e2_hist):
    """The second SHA-256 of the lanes' first digests, up to round 60 (early rejection):
    ``H7 = IV[7] + e2_hist[64]``, the ``e`` of round 60 (it becomes ``h`` after rounds
    61..63, which add nothing to it).  Rounds 57..60 skip the new ``a``: only rounds 61..63
    would read it."""
    L = LANES
    a0, e0 = job3
    c17 = _small_sigma1(np.uint32(256))
    c23 = _small_sigma0(np.uint32(0x80000000))
    c30 = _small_sigma0(np.uint32(256))
    for i in range(L):
        d0 = np.uint32(midstate[0] + a_hist[67 * L + i])  # the first digest, D0..D7
        d1 = np.uint32(midstate[1] + a_hist[66 * L + i])
        d2 = np.uint32(midstate[2] + a_hist[65 * L + i])
        d3 = np.uint32(midstate[3] + a_hist[64 * L + i])
        d4 = np.uint32(midstate[4] + e_hist[67 * L + i])
        d5 = np.uint32(midstate[5] + e_hist[66 * L + i])
        d6 = np.uint32(midstate[6] + e_hist[65 * L + i])
        d7 = np.uint32(midstate[7] + e_hist[64 * L + i])
        a2_hist[4 * L + i], e2_hist[4 * L + i] = np.uint32(a0 + d0), np.uint32(e0 + d0)
        # the schedule less its zero terms (W9..W14 = 0)
        v16 = np.uint32(d0 + _small_sigma0(d1))
        v17 = np.uint32(d1 + _small_sigma0(d2) + c17)
        v18 = np.uint32(d2 + _small_sigma0(d3) + _small_sigma1(v16))
        v19 = np.uint32(d3 + _small_sigma0(d4) + _small_sigma1(v17))
        v20 = np.uint32(d4 + _small_sigma0(d5) + _small_sigma1(v18))
        v21 = np.uint32(d5 + _small_sigma0(d6) + _small_sigma1(v19))
        v22 = np.uint32(d6 + _small_sigma0(d7) + 256 + _small_sigma1(v20))
        v23 = np.uint32(d7 + c23 + v16 + _small_sigma1(v21))
        v24 = np.uint32(0x80000000 + v17 + _small_sigma1(v22))
        v25 = np.uint32(v18 + _small_sigma1(v23))
        v26 = np.uint32(v19 + _small_sigma1(v24))
        v27 = np.uint32(v20 + _small_sigma1(v25))
        v28 = np.uint32(v21 + _small_sigma1(v26))
        v29 = np.uint32(v22 + _small_sigma1(v27))
        v30 = np.uint32(c30 + v23 + _small_sigma1(v28))
        v31 = np.uint32(256 + _small_sigma0(v16) + v24 + _small_sigma1(v29))
        w2[1 * L + i], w2[2 * L + i], w2[3 * L + i], w2[4 * L + i] = d1, d2, d3, d4
        w2[5 * L + i], w2[6 * L + i], w2[7 * L + i] = d5, d6, d7
        w2[16 * L + i], w2[17 * L + i], w2[18 * L + i], w2[19 * L + i] = v16, v17, v18, v19
        w2[20 * L + i], w2[21 * L + i], w2[22 * L + i], w2[23 * L + i] = v20, v21, v22, v23
        w2[24 * L + i], w2[25 * L + i], w2[26 * L + i], w2[27 * L + i] = v24, v25, v26, v27
        w2[28 * L + i], w2[29 * L + i], w2[30 * L + i], w2[31 * L + i] = v28, v29, v30, v31
    _schedule(w2, 32, 61)
    _rounds(a2_hist, e2_hist, w2, 1, 57)
    _rounds_e_only(a2_hist, e2_hist, w2, 57, 61)


@njit(inline="always")
def _rounds_e_only(a_hist, e_hist, w, first, stop):
    """Rounds that compute only the new ``e``: the caller never reads their new ``a``."""
    L = LANES
    for t in range(first, stop):
        for i in range(L):
            e = e_hist[(t + 3) * L + i]
            f, g, h = e_hist[(t + 2) * L + i], e_hist[(t + 1) * L + i], e_hist[t * L + i]
            t1 = np.uint32(h + _big_sigma1(e) + _choose(e, f, g) + K[t] + w[t * L + i])
            e_hist[(t + 4) * L + i] = np.uint32(a_hist[t * L + i] + t1)


@njit(cache=True)
def _hash_meets_target(midstate, tail, nonce, target_limbs):
    """The whole double SHA-256 of one header, compared with all 8 target limbs (``<=``).

    The slow, exact check for the rare nonce whose top 32 bits tie with or beat the target's.
    """
    state = midstate.copy()
    w = np.zeros(64, dtype=np.uint32)
    w[0], w[1], w[2], w[3] = tail[0], tail[1], tail[2], _bswap32(np.uint32(nonce))
    w[4], w[15] = 0x80000000, 640
    compress(state, w)
    w[:] = 0
    w[:8] = state
    w[8], w[15] = 0x80000000, 256
    state[:] = IV
    compress(state, w)
    for j in range(8):  # the hash as a little-endian number: state word 7 is the top limb
        limb = _bswap32(state[7 - j])
        if limb != target_limbs[j]:
            return limb < target_limbs[j]
    return True  # equal to the target: "<=" accepts it


@njit(cache=True, nogil=True)
def search_nonces(midstate, tail, start, count, target_limbs):
    """Offset of the lowest nonce in ``[start, start + count)`` that meets the target, or -1.

    ``midstate``: the 8 state words after compressing header bytes 0..63; ``tail``: header
    bytes 64..75 as 3 big-endian words; ``target_limbs``: the target as 8 32-bit limbs, most
    significant first.  A hash, read as a little-endian 256-bit number, has as its most
    significant limb the byte-swapped last state word ``H7``.  Only that word is computed for
    every nonce; a nonce whose top limb is ``<=`` the target's is then hashed again in full
    and compared on all 8 limbs (:func:`_hash_meets_target`), so the answer is exactly
    ``hash <= target``.
    """
    L = LANES
    w = np.empty(64 * L, dtype=np.uint32)  # block 2 (the header's last 16 bytes)
    a_hist = np.empty(68 * L, dtype=np.uint32)
    e_hist = np.empty(68 * L, dtype=np.uint32)
    w2 = np.empty(64 * L, dtype=np.uint32)  # block 3 (the first digest)
    a2_hist = np.empty(68 * L, dtype=np.uint32)
    e2_hist = np.empty(68 * L, dtype=np.uint32)
    job2 = _prepare_block2(midstate, tail, w, a_hist, e_hist)
    job3 = _prepare_block3(w2, a2_hist, e2_hist)
    top_limb = target_limbs[0]
    done = 0
    while done < count:
        base = start + done
        _block2(base, job2, w, a_hist, e_hist)
        _block3(midstate, job3, a_hist, e_hist, w2, a2_hist, e2_hist)
        # A branch-free count over the lanes (vectorised) first; the lane loop with its
        # early return only runs when some lane's top limb is small enough.
        candidates = 0
        for i in range(L):
            candidates += _bswap32(np.uint32(IV[7] + e2_hist[64 * L + i])) <= top_limb
        if candidates:
            for i in range(min(L, count - done)):  # spare lanes past the range are ignored
                top = _bswap32(np.uint32(IV[7] + e2_hist[64 * L + i]))
                if top <= top_limb and _hash_meets_target(midstate, tail, base + i, target_limbs):
                    return done + i
        done += L
    return -1


# --- helpers that prepare a job in Python ------------------------------------------------


def midstate_and_tail(header76: bytes) -> tuple[np.ndarray, np.ndarray]:
    """The state after compressing header bytes 0..63, and bytes 64..75 as 3 words."""
    if len(header76) < 76:
        raise ValueError(
            f"a mining job needs the 76 header bytes before the nonce, got {len(header76)}"
        )
    words = np.frombuffer(header76[:76], dtype=">u4").astype(np.uint32)
    state = IV.copy()
    w = np.zeros(64, dtype=np.uint32)
    w[:16] = words[:16]
    compress(state, w)
    return state, words[16:19].copy()


def target_limbs(target: int) -> np.ndarray:
    """A 256-bit target as 8 uint32 limbs, most significant first."""
    return np.array([(target >> (224 - 32 * j)) & 0xFFFFFFFF for j in range(8)], dtype=np.uint32)
