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
  writes two numbers instead of eight.
* **Both cores.**  The kernels release the GIL (``nogil=True``); :mod:`edu_chain.pow.mining`
  runs one per core in ordinary Python threads, so no Numba threading layer (TBB, OpenMP) is
  needed.

Numba settings, decided knowingly
---------------------------------
* ``cache=True``: the machine code is stored next to this file (``__pycache__``, or Numba's
  user cache directory when that is read-only) so a second process starts at full speed
  without compiling (~0.6 s from interpreter start to the first search, against ~2.7 s with an
  empty cache).  Numba keys a cached entry on the argument types, the CPU name and features,
  and this file's modification time; *not* on environment flags or on the values of module
  constants.  Everything that shapes the code (``LANES``, ``K``, ``IV``) is therefore written
  in this source file, where editing it invalidates the cache.
* SLP vectorisation (``NUMBA_SLP_VECTORIZE``, off by default in Numba 0.68) is left at
  Numba's default.  The lanes layout is vectorised by the *loop* vectoriser; on the
  development machine (2-core Xeon, Rocket Lake, AVX2 + AVX-512) SLP moved 32 lanes from 19.7
  to 20.0 MH/s, within the noise (it helped 16 lanes more: 16.1 to 17.3).  Since the cache
  ignores the flag, relying on it would make the speed depend on which process compiled first.
* ``LANES = 32``: 16 lanes measured ~16 MH/s per core, 32 and 64 lanes ~20 MH/s (the loop
  vectoriser interleaves four 8-wide vectors); 32 keeps the scratch arrays in L1 cache.
  LLVM uses 256-bit vectors here even on AVX-512 machines (``prefer-256-bit`` in the CPU
  model); allowing 512-bit ones gave ~14% more but only through a process-wide Numba setting.
* SHA-NI (the CPU's SHA-256 instructions, reachable through ``numba.extending.intrinsic``) was
  tried: bit-exact, but ~16 MH/s per core against ~20 MH/s for these lanes on the development
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


@njit(cache=True)
def compress(state, w):
    """One SHA-256 compression, one message at a time: the readable form of the kernel.

    ``state`` holds the 8 hash words and is updated in place; ``w`` has room for 64 words and
    holds the 16 big-endian words of the 64-byte block in ``w[0:16]``.
    """
    for t in range(16, 64):  # the message schedule (section 6.2.2, step 1)
        s0 = _rotr(w[t - 15], 7) ^ _rotr(w[t - 15], 18) ^ (w[t - 15] >> 3)
        s1 = _rotr(w[t - 2], 17) ^ _rotr(w[t - 2], 19) ^ (w[t - 2] >> 10)
        w[t] = np.uint32(w[t - 16] + s0 + w[t - 7] + s1)
    a, b, c, d = state[0], state[1], state[2], state[3]  # step 2: the working variables
    e, f, g, h = state[4], state[5], state[6], state[7]
    for t in range(64):  # 64 rounds (step 3)
        big_s1 = _rotr(e, 6) ^ _rotr(e, 11) ^ _rotr(e, 25)
        choose = (e & f) ^ (~e & g)
        t1 = np.uint32(h + big_s1 + choose + K[t] + w[t])
        big_s0 = _rotr(a, 2) ^ _rotr(a, 13) ^ _rotr(a, 22)
        majority = (a & b) ^ (a & c) ^ (b & c)
        t2 = np.uint32(big_s0 + majority)
        h, g, f, e, d, c, b, a = g, f, e, np.uint32(d + t1), c, b, a, np.uint32(t1 + t2)
    for i, value in enumerate((a, b, c, d, e, f, g, h)):  # step 4
        state[i] = np.uint32(state[i] + value)


@njit(cache=True, inline="always")
def compress_lanes(state, w, a_hist, e_hist):
    """:data:`LANES` compressions side by side; the layout is explained in the module docstring.

    ``state[j * LANES + lane]`` is hash word ``j`` of each lane (updated in place),
    ``w[t * LANES + lane]`` message word ``t`` (``t < 16`` filled by the caller, the rest
    computed here); ``a_hist`` and ``e_hist`` are scratch arrays of ``68 * LANES`` words.
    """
    L = LANES
    for t in range(16, 64):
        for i in range(L):
            w15 = w[(t - 15) * L + i]
            w2 = w[(t - 2) * L + i]
            s0 = _rotr(w15, 7) ^ _rotr(w15, 18) ^ (w15 >> 3)
            s1 = _rotr(w2, 17) ^ _rotr(w2, 19) ^ (w2 >> 10)
            w[t * L + i] = np.uint32(w[(t - 16) * L + i] + s0 + w[(t - 7) * L + i] + s1)
    # Round t reads a = a_hist[t + 3], b = a_hist[t + 2], c = a_hist[t + 1], d = a_hist[t]
    # (and e..h from e_hist the same way) and writes the new a and e at index t + 4.
    for j in range(4):
        for i in range(L):
            a_hist[(3 - j) * L + i] = state[j * L + i]
            e_hist[(3 - j) * L + i] = state[(4 + j) * L + i]
    for t in range(64):
        k = K[t]
        for i in range(L):
            a = a_hist[(t + 3) * L + i]
            b = a_hist[(t + 2) * L + i]
            c = a_hist[(t + 1) * L + i]
            d = a_hist[t * L + i]
            e = e_hist[(t + 3) * L + i]
            f = e_hist[(t + 2) * L + i]
            g = e_hist[(t + 1) * L + i]
            h = e_hist[t * L + i]
            t1 = np.uint32(
                h
                + (_rotr(e, 6) ^ _rotr(e, 11) ^ _rotr(e, 25))
                + ((e & f) ^ (~e & g))
                + k
                + w[t * L + i]
            )
            t2 = np.uint32(
                (_rotr(a, 2) ^ _rotr(a, 13) ^ _rotr(a, 22)) + ((a & b) ^ (a & c) ^ (b & c))
            )
            a_hist[(t + 4) * L + i] = np.uint32(t1 + t2)
            e_hist[(t + 4) * L + i] = np.uint32(d + t1)
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


@njit(cache=True, nogil=True)
def search_nonces(midstate, tail, start, count, target_limbs):
    """Offset of the lowest nonce in ``[start, start + count)`` that meets the target, or -1.

    ``midstate``: the 8 state words after compressing header bytes 0..63; ``tail``: header
    bytes 64..75 as 3 big-endian words; ``target_limbs``: the target as 8 32-bit limbs, most
    significant first.  A hash, read as a little-endian 256-bit number, has as its most
    significant limb the byte-swapped last state word, so the comparison walks the state
    words backwards, byte-swapped, and stops at the first difference (``<=`` wins ties).
    """
    L = LANES
    state = np.empty(8 * L, dtype=np.uint32)
    w = np.empty(64 * L, dtype=np.uint32)
    a_hist = np.empty(68 * L, dtype=np.uint32)
    e_hist = np.empty(68 * L, dtype=np.uint32)
    done = 0
    while done < count:
        base = start + done
        for j in range(8):
            for i in range(L):
                state[j * L + i] = midstate[j]
        for i in range(L):
            w[i] = tail[0]
            w[L + i] = tail[1]
            w[2 * L + i] = tail[2]
            w[3 * L + i] = _bswap32(np.uint32(base + i))  # the nonce is stored little-endian
            w[4 * L + i] = 0x80000000
            for j in range(5, 15):
                w[j * L + i] = 0
            w[15 * L + i] = 640  # the header is 80 bytes = 640 bits
        compress_lanes(state, w, a_hist, e_hist)
        _second_hash(state, w, a_hist, e_hist)
        for i in range(min(L, count - done)):
            for j in range(8):
                limb = _bswap32(state[(7 - j) * L + i])
                if limb != target_limbs[j]:
                    break
            if limb <= target_limbs[j]:
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
