"""Counter-based random numbers: Philox4x32-10 keyed by (seed, table, instrument, purpose).

Contract
--------
A draw is a pure function of ``(key, index)``: ``uniform(k0, k1, i)`` is the i-th uniform of the stream
with key ``(k0, k1)``, whatever chunk it is computed in. Block ``b = i >> 1`` of the stream is the Philox
output for counter ``(b & 0xffffffff, b >> 32, 0, 0)``; its four 32-bit words give two 53-bit uniforms
(words 0,1 for even ``i``, words 2,3 for odd ``i``). Uniforms lie in the open interval (0, 1):
``((a >> 6) * 2**26 + (b >> 6) + 0.5) / 2**52`` (52 random bits; exact, never 0 or 1).

Normals are the AS241 (PPND16) inverse CDF of the uniform with the same index, so they are exact
functions of (key, index) too, bit-identical on every machine with IEEE doubles and the same libm log/sqrt
(the central |p - 0.5| <= 0.425 region — 85% of draws — is pure arithmetic).

Keys: ``fastsynth.rng.derive_key(seed, *parts)`` hashes the seed and any strings/ints (table,
instrument, purpose) with BLAKE2b into ``(k0, k1)``, each a 32-bit value held in a Python int.

Kernels: ``philox4x32`` (one block), ``uniform``/``normal`` (one draw), ``fill_uniform``/``fill_normal``
(write ``out[j]`` = draw ``start + j``; ``out`` is written, nothing is returned), ``fill_words`` (raw
32-bit words of consecutive blocks, for kernels that take bit fields).
"""
from __future__ import annotations

import math

import numpy as np

from ._jit import helper_kernel, inline_kernel, kernel

_M0 = np.uint64(0xD2511F53)
_M1 = np.uint64(0xCD9E8D57)
_W0 = np.uint64(0x9E3779B9)
_W1 = np.uint64(0xBB67AE85)
_MASK = np.uint64(0xFFFFFFFF)
_S32 = np.uint64(32)
_S6 = np.uint64(6)
_TWO26 = 67108864.0
_INV52 = 1.0 / 4503599627370496.0


@inline_kernel
def philox4x32(c0, c1, c2, c3, k0, k1):
    """Philox4x32-10 of counter (c0..c3) under key (k0, k1); all values uint64 holding 32 bits. The ten
    rounds written out in the source (not ten inlined calls of a round helper: Numba's IR inlining copies
    and retypes the callee at every site, which cost cold-start compile time at every Philox user)."""
    p0 = _M0 * c0
    p1 = _M1 * c2
    c0, c1, c2, c3 = (p1 >> _S32) ^ c1 ^ k0, p1 & _MASK, (p0 >> _S32) ^ c3 ^ k1, p0 & _MASK
    k0 = (k0 + _W0) & _MASK
    k1 = (k1 + _W1) & _MASK
    p0 = _M0 * c0
    p1 = _M1 * c2
    c0, c1, c2, c3 = (p1 >> _S32) ^ c1 ^ k0, p1 & _MASK, (p0 >> _S32) ^ c3 ^ k1, p0 & _MASK
    k0 = (k0 + _W0) & _MASK
    k1 = (k1 + _W1) & _MASK
    p0 = _M0 * c0
    p1 = _M1 * c2
    c0, c1, c2, c3 = (p1 >> _S32) ^ c1 ^ k0, p1 & _MASK, (p0 >> _S32) ^ c3 ^ k1, p0 & _MASK
    k0 = (k0 + _W0) & _MASK
    k1 = (k1 + _W1) & _MASK
    p0 = _M0 * c0
    p1 = _M1 * c2
    c0, c1, c2, c3 = (p1 >> _S32) ^ c1 ^ k0, p1 & _MASK, (p0 >> _S32) ^ c3 ^ k1, p0 & _MASK
    k0 = (k0 + _W0) & _MASK
    k1 = (k1 + _W1) & _MASK
    p0 = _M0 * c0
    p1 = _M1 * c2
    c0, c1, c2, c3 = (p1 >> _S32) ^ c1 ^ k0, p1 & _MASK, (p0 >> _S32) ^ c3 ^ k1, p0 & _MASK
    k0 = (k0 + _W0) & _MASK
    k1 = (k1 + _W1) & _MASK
    p0 = _M0 * c0
    p1 = _M1 * c2
    c0, c1, c2, c3 = (p1 >> _S32) ^ c1 ^ k0, p1 & _MASK, (p0 >> _S32) ^ c3 ^ k1, p0 & _MASK
    k0 = (k0 + _W0) & _MASK
    k1 = (k1 + _W1) & _MASK
    p0 = _M0 * c0
    p1 = _M1 * c2
    c0, c1, c2, c3 = (p1 >> _S32) ^ c1 ^ k0, p1 & _MASK, (p0 >> _S32) ^ c3 ^ k1, p0 & _MASK
    k0 = (k0 + _W0) & _MASK
    k1 = (k1 + _W1) & _MASK
    p0 = _M0 * c0
    p1 = _M1 * c2
    c0, c1, c2, c3 = (p1 >> _S32) ^ c1 ^ k0, p1 & _MASK, (p0 >> _S32) ^ c3 ^ k1, p0 & _MASK
    k0 = (k0 + _W0) & _MASK
    k1 = (k1 + _W1) & _MASK
    p0 = _M0 * c0
    p1 = _M1 * c2
    c0, c1, c2, c3 = (p1 >> _S32) ^ c1 ^ k0, p1 & _MASK, (p0 >> _S32) ^ c3 ^ k1, p0 & _MASK
    k0 = (k0 + _W0) & _MASK
    k1 = (k1 + _W1) & _MASK
    p0 = _M0 * c0
    p1 = _M1 * c2
    c0, c1, c2, c3 = (p1 >> _S32) ^ c1 ^ k0, p1 & _MASK, (p0 >> _S32) ^ c3 ^ k1, p0 & _MASK
    return c0, c1, c2, c3


@inline_kernel
def _to_unit(a, b):
    # 52 random bits plus one half: (x + 0.5) / 2**52 is exact for every x < 2**52, so the result lies
    # strictly inside (0, 1) (with 53 bits, x = 2**53 - 1 would round up to exactly 1.0)
    return (float(a >> _S6) * _TWO26 + float(b >> _S6) + 0.5) * _INV52


@kernel
def uniform(k0, k1, i):
    """The i-th uniform in (0, 1) of stream (k0, k1); ``i`` is a non-negative int64."""
    blk = np.uint64(i >> 1)
    w0, w1, w2, w3 = philox4x32(blk & _MASK, blk >> _S32, np.uint64(0), np.uint64(0),
                                np.uint64(k0), np.uint64(k1))
    if i & 1:
        return _to_unit(w2, w3)
    return _to_unit(w0, w1)


_INV32 = 1.0 / 4294967296.0


@inline_kernel
def uniforms4(k0, k1, blk):
    """Four 32-bit-resolution uniforms in (0, 1) from Philox block ``blk`` of stream (k0, k1).

    For per-event draws where 2**-32 resolution is ample (choices, sizes, delays): one block gives four
    draws, twice the yield of ``uniform``. Block ``blk`` is the same block ``uniform`` uses for draws
    ``2*blk`` and ``2*blk + 1``, so a kernel must not mix both accessors on one stream.
    """
    b = np.uint64(blk)
    w0, w1, w2, w3 = philox4x32(b & _MASK, b >> _S32, np.uint64(0), np.uint64(0), np.uint64(k0), np.uint64(k1))
    return ((float(w0) + 0.5) * _INV32, (float(w1) + 0.5) * _INV32,
            (float(w2) + 0.5) * _INV32, (float(w3) + 0.5) * _INV32)


@inline_kernel
def _ndtri_central(q):
    """AS241 central region, |q| = |p - 0.5| <= 0.425: a rational function of q (pure arithmetic)."""
    r = 0.180625 - q * q
    return q * (((((((r * 2509.0809287301226727 + 33430.575583588128105) * r
                     + 67265.770927008700853) * r + 45921.953931549871457) * r
                   + 13731.693765509461125) * r + 1971.5909503065514427) * r
                 + 133.14166789178437745) * r + 3.387132872796366608) / \
        (((((((r * 5226.495278852545925 + 28729.085735721942674) * r
              + 39307.89580009271061) * r + 21213.794301586595867) * r
            + 5394.1960214247511077) * r + 687.1870074920579083) * r
          + 42.313330701600911252) * r + 1.0)


@inline_kernel
def _ndtri_tail(p):
    """AS241 tails, |p - 0.5| > 0.425 (log and sqrt)."""
    q = p - 0.5
    r = p if q < 0.0 else 1.0 - p
    r = math.sqrt(-math.log(r))
    if r <= 5.0:
        r = r - 1.6
        val = (((((((r * 7.7454501427834140764e-4 + 0.0227238449892691845833) * r
                    + 0.24178072517745061177) * r + 1.27045825245236838258) * r
                  + 3.64784832476320460504) * r + 5.7694972214606914055) * r
                + 4.6303378461565452959) * r + 1.42343711074968357734) / \
            (((((((r * 1.05075007164441684324e-9 + 5.475938084995344946e-4) * r
                  + 0.0151986665636164571966) * r + 0.14810397642748007459) * r
                + 0.68976733498510000455) * r + 1.6763848301838038494) * r
              + 2.05319162663775882187) * r + 1.0)
    else:
        r = r - 5.0
        val = (((((((r * 2.01033439929228813265e-7 + 2.71155556874348757815e-5) * r
                    + 0.0012426609473880784386) * r + 0.026532189526576123093) * r
                  + 0.29656057182850489123) * r + 1.7848265399172913358) * r
                + 5.4637849111641143699) * r + 6.6579046435011037772) / \
            (((((((r * 2.04426310338993978564e-15 + 1.4215117583164458887e-7) * r
                  + 1.8463183175100546818e-5) * r + 7.868691311456132591e-4) * r
                + 0.0148753612908506148525) * r + 0.13692988092273580531) * r
              + 0.59983220655588793769) * r + 1.0)
    if q < 0.0:
        return -val
    return val


@inline_kernel
def ndtri(p):
    """Inverse standard normal CDF (Wichura 1988, AS241 PPND16; ~1e-16 relative) for p in (0, 1)."""
    q = p - 0.5
    if math.fabs(q) <= 0.425:
        return _ndtri_central(q)
    return _ndtri_tail(p)


@kernel
def normal(k0, k1, i):
    """The i-th standard normal of stream (k0, k1): ``ndtri(uniform(k0, k1, i))``."""
    return ndtri(uniform(k0, k1, i))


@inline_kernel
def fill_uniform(k0, k1, start, out):
    """Write ``out[j] = uniform(k0, k1, start + j)`` for every j, one Philox block per two draws (the
    pairs in a counted loop over a slice indexed from 0: it vectorizes)."""
    n = out.shape[0]
    ku0 = np.uint64(k0)
    ku1 = np.uint64(k1)
    j0 = 0
    if n > 0 and (start & 1):
        out[0] = uniform(k0, k1, start)
        j0 = 1
    body = out[j0:]
    b0 = (start + j0) >> 1
    npair = body.shape[0] >> 1
    for b in range(npair):
        blk = np.uint64(b0 + b)
        w0, w1, w2, w3 = philox4x32(blk & _MASK, blk >> _S32, np.uint64(0), np.uint64(0), ku0, ku1)
        body[2 * b] = _to_unit(w0, w1)
        body[2 * b + 1] = _to_unit(w2, w3)
    if body.shape[0] & 1:
        out[n - 1] = uniform(k0, k1, start + n - 1)


NCHUNK = 2048   # normals per chunk in fill_normal (scratch stays in L1)


@inline_kernel
def _ndtri_blocked(out):
    """``out[j] = ndtri(out[j])`` in place, blocked: per chunk, the tail indices compacted without a
    branch, the central rational function on every element in a dense loop (vectorizes: no branch, no
    call), then the ~15% tail draws fixed up from their saved uniforms."""
    n = out.shape[0]
    tidx = np.empty(NCHUNK, np.int64)
    tu = np.empty(NCHUNK)
    for c0 in range(0, n, NCHUNK):
        buf = out[c0:min(n, c0 + NCHUNK)]
        m = buf.shape[0]
        nt = 0
        for j in range(m):
            tidx[nt] = j
            nt += 1 if math.fabs(buf[j] - 0.5) > 0.425 else 0
        for t in range(nt):
            tu[t] = buf[tidx[t]]
        for j in range(m):
            buf[j] = _ndtri_central(buf[j] - 0.5)
        for t in range(nt):
            buf[tidx[t]] = _ndtri_tail(tu[t])


@helper_kernel
def ndtri_blocked(out):
    """``_ndtri_blocked`` compiled once and called (by ``normals`` and ``market.sv_returns``): its loops
    vectorize inside it whoever calls it, and one compile serves every caller (cold start)."""
    _ndtri_blocked(out)


@inline_kernel
def fill_normal(k0, k1, start, out):
    """Write ``out[j] = normal(k0, k1, start + j)``, blocked (bit-identical to ``ndtri`` per element):
    per chunk, the uniforms (vectorized Philox), the tail indices compacted without a branch, the
    central rational function on every element in a dense loop (vectorizes: no branch, no call), then
    the ~15% tail draws fixed up from their saved uniforms. A per-element branch to the log/sqrt tail
    mispredicts and keeps the loop scalar (~2x slower)."""
    fill_uniform(k0, k1, start, out)
    _ndtri_blocked(out)


@kernel
def fill_words(k0, k1, blk0, out):
    """``out[4j + w]`` = 32-bit word ``w`` of Philox block ``blk0 + j`` of stream (k0, k1), for
    ``j < len(out) // 4`` (``out`` uint32). One compiled, vectorized Philox loop that generator kernels
    share: their own loops then only transform words (small and quick to compile)."""
    ku0 = np.uint64(k0)
    ku1 = np.uint64(k1)
    for j in range(out.shape[0] >> 2):
        b = np.uint64(blk0 + j)
        w0, w1, w2, w3 = philox4x32(b & _MASK, b >> _S32, np.uint64(0), np.uint64(0), ku0, ku1)
        out[4 * j] = w0
        out[4 * j + 1] = w1
        out[4 * j + 2] = w2
        out[4 * j + 3] = w3


@kernel
def philox_block(c0, c1, c2, c3, k0, k1):
    """One Philox4x32-10 block as a tuple of four ints (for known-answer tests)."""
    return philox4x32(np.uint64(c0), np.uint64(c1), np.uint64(c2), np.uint64(c3),
                      np.uint64(k0), np.uint64(k1))


@helper_kernel
def _uniforms_from_words(k0, k1, start, out):
    """``uniforms`` via the shared ``fill_words`` kernel (called, not inlined: the Philox rounds compile
    once per process rather than once per caller), then the 52-bit conversion; bit-identical. Only
    kernels call it (``uniforms``, ``normals``): no Python wrappers to compile."""
    n = out.shape[0]
    if n == 0:
        return
    b0 = start >> 1
    w = np.empty(4 * (((start + n + 1) >> 1) - b0), np.uint32)
    fill_words(k0, k1, b0, w)
    ws = w[2 * (start & 1):]
    for j in range(n):
        out[j] = _to_unit(np.uint64(ws[2 * j]), np.uint64(ws[2 * j + 1]))


@kernel
def uniforms(k0, k1, start, out):
    """Fill ``out`` (float64) with uniforms ``start .. start + len(out) - 1`` of stream (k0, k1)."""
    _uniforms_from_words(k0, k1, start, out)


@kernel
def normals(k0, k1, start, out):
    """Fill ``out`` (float64) with standard normals ``start .. start + len(out) - 1`` of stream (k0, k1):
    ``fill_normal``'s blocked inverse CDF over the uniforms of ``fill_words`` (quick to compile)."""
    _uniforms_from_words(k0, k1, start, out)
    ndtri_blocked(out)
