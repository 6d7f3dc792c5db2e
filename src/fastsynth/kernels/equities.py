"""Equity microstructure kernels: NBBO quotes and trade prints of one symbol, block by block.

Contract
--------
One (symbol, session) partition is generated in blocks of seconds ``[sec0, sec1)``. Each block runs
small kernels, in this order (``BlockRunner`` below drives them; each compiles and caches on its own, so
a cold start compiles several small functions instead of one large one), with ``rng.fill_words`` for
the raw Philox words of each stream before the kernel that transforms them:

1. ``arrivals``  (serial, cheap): the times of the block's trade clusters (parent orders; a Hawkes
   process) and quote-only NBBO updates (Poisson), with the efficient price and spread target at each.
   Returns ``(n_clusters, n_quotes)`` or ``(-1, -1)`` when a scratch array would overflow (nothing is
   changed then; the caller retries with larger scratch).
2. ``cluster_draws``, 3. ``quote_draws`` (dense, vectorized): the random attributes the book reads for
   every cluster and quote update, into records ``[field, event]``; ``cluster_draws`` returns the
   number of prints and of lit clusters.
4. ``print_draws`` (dense, vectorized; it calls ``print_fixup``, the rare Pareto-tail sizes): every
   print's draws, straight into the trade columns that need no book state (size, venue, conditions,
   latency).
5. ``book`` (serial): merges clusters and quote updates in time order and runs the NBBO / order-flow
   state through them, writing times, integer prices and sides of the trades and the quote rows (bid
   and ask in ticks); returns ``(n_trades, n_quotes)``. Draws needed only on a rare path (a cluster's
   refresh quote, a new meta-order, a lit print's newly shown level) it reads from the words itself.
6. ``finish`` (dense, called by ``book`` after its serial loop): receive times, sequence numbers, prices
   in USD. (``print_fixup``, ``finish``, ``_recentre`` and ``_disp`` are ``helper_kernel``s: compiled
   once, without Python wrappers, and called; LLVM still inlines them. IR inlining (``inline_kernel``)
   re-types and copies a helper at every call site: it cost ``book`` ~1.2 of its 3.5 compile CPU-s.)

The caller allocates exactly ``n_prints`` trade rows and ``n_quotes + n_clusters + n_lit_clusters`` quote
rows (at most one refresh before each cluster and one update after each lit one), so the book pass cannot
overflow.
``state_i``/``state_f`` carry the partition's state between blocks (counters of every random stream,
the NBBO, the order-flow and Hawkes state) and are updated in place.

Inputs (per second ``k`` of the session, arrays of length ``S``; the path has ``S + 1`` points):
  pt         float64  efficient price in ticks at each second boundary (linear inside a second)
  lam_c      float64  baseline trade-cluster arrivals per second (seasonality x volatility)
  lam_q      float64  quote-only NBBO update arrivals per second
  spr        float64  target spread in ticks (before noise)
  keys       int64    (10,) five Philox keys (k0, k1 pairs), indexed by the ST_* stream ids
  par        float64  model parameters, indices ``P_*`` below
The tables (venue codes by quantile, log-normal and exponential quantiles, lot thresholds) are this
module's constants, frozen into the compiled kernels (see "model tables" below for why).
Units: ``open_ns`` int ns UTC; prices written in USD (lit on the tick grid ``1/tpu``, off-exchange on a
1/100-cent grid); sizes in shares.

Random streams (a draw is a function of (key, event index) only, so bytes never depend on blocking):
cluster ``c`` uses Philox blocks ``2c, 2c+1`` of ST_CLUSTER and words ``2(c&1), 2(c&1)+1`` of block
``(c>>1)+1`` of ST_GAPS; quote update ``g`` (0 = the opening quote) uses block ``g`` of ST_QUOTE and
word ``g&3`` of block ``(g>>2)+1`` of ST_QGAPS; print ``p`` uses block ``p`` of ST_PRINT; block 0 of
ST_GAPS starts the arrival clocks. Choices that need only 10-16 bits (table lookups, probabilities) take
bit fields of one 32-bit word, so a cluster costs two Philox blocks and a print one.

Model (per event, in time order): trade clusters (a parent order: one print, or a sweep of several
prints across venues at one timestamp or milliseconds apart) arrive as a Hawkes process: a baseline
with piecewise-constant intensity per second (exact time change: the unused part of a unit exponential
carries across seconds) plus self-excitation with an exponential kernel, simulated exactly (each
cluster raises the excitation by ``n * beta``; the next excitation-driven arrival is drawn in closed
form). Quote-only updates are a second Poisson process. Before an event, a quote whose bid/ask no longer
brackets the efficient price is refreshed around it (mid moves on the tick grid; a $15 stock sits at one
tick). Aggressor sides follow meta-orders with power-law lengths (order-flow sign memory) mixed with
flow that leans toward the side the efficient price favours; lit prints execute at the touch and walk
the book when they exhaust the displayed size; off-exchange (TRF) prints are at the touch, at the
midpoint, or price-improved by fractions of a cent, and carry side ``N`` as on the real tape.
"""
from __future__ import annotations

import math
import threading
from statistics import NormalDist

import numpy as np

from .. import schemas
from ._jit import helper_kernel, inline_kernel, kernel
from .rng import fill_words

# ---- parameter indices (par) --------------------------------------------------------------------
P_TPU = 0  # ticks per USD (1 / tick), exact integer as float
P_DEPTH = 1  # mean displayed size at the touch, shares
P_OFF_SHARE = 2  # probability a cluster executes off-exchange
P_SWEEP_CONT = 3  # lit: probability a cluster continues with one more print
P_OFF_CONT = 4  # off-exchange: probability of one more print (a block split)
P_SAME_TS = 5  # probability a follow-on print shares the previous print's timestamp
P_GAP_NS = 6  # mean gap between follow-on prints that do not share a timestamp, ns
P_INSIDE = 7  # lit: probability of a print inside a spread of >= 2 ticks
P_ODD = 8  # probability of an odd-lot print
P_ALPHA_LIT = 9  # Pareto tail index of lit print sizes (in round lots)
P_ALPHA_OFF = 10  # Pareto tail index of off-exchange print sizes (heavier: blocks)
P_MIXED = 11  # probability a round-lot print carries an odd remainder (e.g. 137 shares)
P_META_W = 12  # probability a cluster's side follows the current meta-order
P_META_ALPHA = 13  # Pareto tail index of meta-order lengths (in clusters)
P_META_MIN = 14  # minimum meta-order length
P_LEAN = 15  # how strongly non-meta flow leans toward the side the efficient price favours
P_SIZE_ONLY = 16  # probability a quote-only update changes only a size
P_SPREAD_NOISE = 17  # sd of log spread noise at a refresh
P_LAT_LIT_NS = 18  # mean feed latency of lit prints and quotes, ns
P_LAT_OFF_NS = 19  # mean reporting delay of off-exchange prints, ns
P_MID_SHARE = 20  # off-exchange: share of midpoint crosses
P_IMPROVE_SHARE = 21  # off-exchange: share of sub-penny price-improved prints (rest: at the touch)
P_HAWKES_N = 22  # branching ratio of the self-exciting part (mean clusters triggered per cluster)
P_HAWKES_BETA = 23  # decay rate of the excitation, per second
N_PARAMS = 24

# ---- state indices ------------------------------------------------------------------------------
S_TSEQ, S_QSEQ, S_CIDX, S_PIDX, S_QIDX, S_AIDX, S_BIDX = 0, 1, 2, 3, 4, 5, 6
S_BID, S_SPR, S_BSZ, S_ASZ, S_BV, S_AV, S_MSIGN, S_MREM = 7, 8, 9, 10, 11, 12, 13, 14
S_LAST_TTS, S_LAST_QTS, S_INIT = 15, 16, 17
N_STATE_I = 18
F_EC, F_EQ, F_EXC, F_EXC_NEXT = 0, 1, 2, 3   # excitation sx and next-arrival u_x, in decay coordinates
N_STATE_F = 4

COND_REGULAR, COND_ODD, COND_ISO, COND_ISO_ODD, COND_OPEN, COND_CLOSE = 0, 1, 2, 3, 4, 5
SIDE_A, SIDE_B, SIDE_N = 0, 1, 2
MAX_PRINTS = 24      # prints per cluster, at most
HC_PER_USD = 10_000  # off-exchange price grid: 1/100 cent

ST_GAPS, ST_QGAPS, ST_CLUSTER, ST_PRINT, ST_QUOTE = 0, 1, 2, 3, 4
N_STREAMS = 5
QTAB = 1024         # quantile-table resolution (venues, log-normal multipliers, exponential)

# ---- model tables: compile-time constants of the kernels --------------------------------------------
# The draw kernels read these module globals, which Numba freezes into the machine code as constants.
# That is what lets the dense draw loops vectorize: a gather from a table passed as an argument may
# alias the loop's stores as far as LLVM knows, and with an unbounded index it cannot even emit a
# runtime overlap check, so such a loop stays scalar (measured: print_draws 22 -> 9 ns per print).
# They live in this file, not in fastsynth/equities.py (which re-exports them), because Numba's cache
# is keyed on the source file of the kernel: editing a share here recompiles, editing another file
# would not.
# Lit venue shares of lit volume, off-exchange (TRF) shares, and quote-setting venue shares (approximate
# recent US consolidated-tape shares; the TRF total is set per print cluster by the model).
LIT_SHARES = {"XNAS": 0.20, "XNYS": 0.13, "ARCX": 0.09, "BATS": 0.09, "EDGX": 0.10, "BATY": 0.04, "EDGA": 0.03,
              "IEXG": 0.05, "MEMX": 0.07, "EPRL": 0.04, "XBOS": 0.02, "XPSX": 0.01, "XASE": 0.005, "XCIS": 0.02,
              "XCHI": 0.02, "LTSE": 0.005}
OFF_SHARES = {"FINN": 0.70, "FINY": 0.18, "FINC": 0.12}
QUOTE_SHARES = {"XNAS": 0.24, "XNYS": 0.14, "ARCX": 0.12, "BATS": 0.12, "EDGX": 0.12, "BATY": 0.05, "EDGA": 0.04,
                "IEXG": 0.04, "MEMX": 0.08, "EPRL": 0.03, "XBOS": 0.01, "XCIS": 0.01}
DEPTH_SD = 0.9               # log-sd of displayed size around its mean
SPREAD_NOISE = 0.5           # sd of log spread noise at a refresh
ALPHA_LIT, ALPHA_OFF = 1.9, 1.35   # Pareto tail indices of print sizes in round lots (par carries them too)
N_CUT = 8                    # round-lot counts 1..N_CUT by comparison; larger ones by a power (print_fixup)


def _venue_table(shares: dict[str, float]) -> np.ndarray:
    """Venue code of each 1/QTAB quantile (categorical draws by one lookup; shares quantized to 1/1024)."""
    codes = np.array([schemas.VENUES.index(v) for v in shares], dtype=np.int8)
    w = np.array(list(shares.values()), dtype=np.float64)
    cdf = np.cumsum(w / w.sum())
    q = (np.arange(QTAB) + 0.5) / QTAB
    return codes[np.minimum(np.searchsorted(cdf, q, side="right"), len(codes) - 1)]


def _lognormal_quantiles(sd: float, n: int = QTAB) -> np.ndarray:
    """Quantiles at (i + 0.5)/n of a mean-one log-normal multiplier exp(sd Z - sd^2/2), for table lookup
    in the kernel (stdlib inverse normal CDF: exact and platform-independent)."""
    nd = NormalDist()
    return np.array([math.exp(sd * nd.inv_cdf((i + 0.5) / n) - 0.5 * sd * sd) for i in range(n)])


def _lot_cuts(alpha: float, n: int = N_CUT) -> np.ndarray:
    return np.array([(j + 2.0) ** -alpha for j in range(n)])


LIT_TABLE, OFF_TABLE, QUOTE_TABLE = (_venue_table(LIT_SHARES), _venue_table(OFF_SHARES),
                                     _venue_table(QUOTE_SHARES))
# unit exponential at quantiles i/QTAB, i = 0..QTAB (the last point caps the tail at -log(0.5/QTAB))
EXP_TAB = -np.log(np.maximum(1.0 - np.arange(QTAB + 1) / QTAB, 0.5 / QTAB))[::-1].copy()
LN_DEPTH = _lognormal_quantiles(DEPTH_SD)
LN_SPREAD = _lognormal_quantiles(SPREAD_NOISE) * math.exp(0.5 * SPREAD_NOISE ** 2)   # median-one spread noise
LOT_CUT_LIT, LOT_CUT_OFF = _lot_cuts(ALPHA_LIT), _lot_cuts(ALPHA_OFF)
# the kernels' copies: 32-bit venue codes (AVX-512 gathers 32/64-bit elements, not bytes), lit then off
_VEN32 = np.concatenate((LIT_TABLE, OFF_TABLE)).astype(np.int32)
_QV32 = QUOTE_TABLE.astype(np.int32)

# ---- scratch layout: per-event records, [field, event] (one int64 and one float64 array per kind,
# a row per field: the dense loops store with unit stride and vectorize)
# Draws the book needs only on a rare path are not recorded: it reads them from the Philox words when
# the path is taken (a cluster's refresh quote, ~7% of AAPL clusters; a new meta-order's sign and
# length; a lit print's newly shown level). Recording them for every event cost more than reading them.
CI_OFF, CI_NP, CI_META, CI_QD, CI_QR = range(5)
N_CI = 5
CF_US, CF_UNP = range(2)
N_CF = 2
QI_FL, QI_BV, QI_AV, QI_LAT, QI_SP = range(5)      # quote-only updates: the fields of a refresh
N_QI = 5
QF_BM, QF_AM = 0, 1
N_QF = 2
PI_FLG, PI_GAP, PI_KIND = range(3)         # prints (size, venue, conditions, latency: the trade columns)
N_PI = 3
# quote-update flags and print kinds
QFL_SIZE_ONLY, QFL_ASK, QFL_FLICK = 1, 2, 4
PFL_OFF, PFL_FIRST, PFL_MULTI = 1, 2, 4
K_MID, K_IMPROVE, K_TOUCH, K_INSIDE = 0, 1, 2, 3

_MASK = np.uint64(0xFFFFFFFF)
_S32 = np.uint64(32)
_Z = np.uint64(0)
_INV32 = 1.0 / 4294967296.0


# ---- small inline helpers -----------------------------------------------------------------------

@inline_kernel
def _field(w, shift, nbits):
    """Bits ``shift .. shift + nbits - 1`` of word ``w`` as int64."""
    return np.int64((w >> np.uint64(shift)) & np.uint64((1 << nbits) - 1))


@inline_kernel
def _ufld(w, shift, nbits):
    """Bits ``shift .. shift + nbits - 1`` of word ``w`` as uint64 (a table index: no wraparound code)."""
    return (np.uint64(w) >> np.uint64(shift)) & np.uint64((1 << nbits) - 1)


@inline_kernel
def _ufield(w, shift, nbits):
    """A bit field as a uniform in (0, 1) at ``2**-nbits`` resolution (ample for choices and lookups)."""
    return (float((w >> np.uint64(shift)) & np.uint64((1 << nbits) - 1)) + 0.5) / float(1 << nbits)


@inline_kernel
def _expo_x(x):
    """Unit exponential at quantile ``x / QTAB`` (x in [0, QTAB)), linear inside a table bin."""
    i = np.uint64(x)
    return EXP_TAB[i] + (x - float(i)) * (EXP_TAB[i + np.uint64(1)] - EXP_TAB[i])


@inline_kernel
def _expo32(w):
    return _expo_x((float(w) + 0.5) * (QTAB * _INV32))


@inline_kernel
def _expo16(f):
    """Unit exponential from a 16-bit field value ``f`` (table index: top 10 bits; the rest interpolates)."""
    return _expo_x((float(f) + 0.5) * (QTAB / 65536.0))


@helper_kernel
def _disp(lots_x):
    """Displayed size from a mean in lots: whole round lots, at least 1, at most 100,000."""
    lots = math.floor(lots_x + 0.5)
    if lots < 1.0:
        lots = 1.0
    if lots > 100000.0:
        lots = 100000.0
    return np.int64(lots) * 100


@inline_kernel
def _quote_fields(w0, w1, w2, w3, spr_k, lots_mean, lat):
    """The draws of one NBBO update from one Philox block (quote-only update or a cluster's refresh).

    w0: bits 24-31 size-only choice, 23 side, 22 flicker side, 0-15 feed latency; w1: bits 22-31 spread
    noise quantile, 0-21 rounding; w2/w3: bits 22-31 / 12-21 bid / ask display-size quantiles and venues.
    Returns (flags, latency ns, spread ticks, bid lots mean, ask lots mean, bid venue, ask venue)."""
    fl = _field(w0, 23, 1) * QFL_ASK + _field(w0, 22, 1) * QFL_FLICK
    s = math.floor(spr_k * LN_SPREAD[_ufld(w1, 22, 10)] + _ufield(w1, 0, 22))
    s = s if s >= 1.0 else 1.0
    lat_ns = np.int64(lat * (0.5 + 0.5 * _expo16(_field(w0, 0, 16))))
    return (fl, lat_ns, np.int64(s), lots_mean * LN_DEPTH[_ufld(w2, 22, 10)],
            lots_mean * LN_DEPTH[_ufld(w2, 12, 10)], np.int64(_QV32[_ufld(w3, 22, 10)]),
            np.int64(_QV32[_ufld(w3, 12, 10)]))


# ---- 1. arrivals ----------------------------------------------------------------------------------

@kernel
def arrivals(pt, lam_c, lam_q, spr, sec0, sec1, open_ns, par, gw, gb0, hw, hb0, state_i, state_f,
             c_ts, c_ps, c_sp, q_ts, q_ps, q_sp, xi):
    """Times (ns), efficient prices (ticks) and spread targets (ticks) of the clusters and quote updates
    of [sec0, sec1).

    Clusters and quote updates are independent processes, each written in time order. On the first
    block the opening quote (at the open) is quote update 0. ``gw``/``hw``: the 32-bit words of the
    ST_GAPS / ST_QGAPS streams from Philox block ``gb0`` / ``hb0`` on (``fill_words``; ``gb0`` is 0 on
    the first block); cluster ``c`` takes words ``2c + 4, 2c + 5`` of its stream, quote update ``g`` word
    ``g + 4``. ``xi``: int64 scratch of at least ``len(c_ts)``. Returns (n_clusters, n_quotes), or
    (-1, -1) when c_*/q_* or the words run out, with the state untouched (the caller retries with more)."""
    cap_c = c_ts.shape[0]
    cap_q = q_ts.shape[0]
    cidx = state_i[S_CIDX]
    qidx = state_i[S_QIDX]
    init = state_i[S_INIT]
    ec = state_f[F_EC]
    eq = state_f[F_EQ]
    sx = state_f[F_EXC]
    ux = state_f[F_EXC_NEXT]
    beta = par[P_HAWKES_BETA]
    h_jump = par[P_HAWKES_N] * beta
    gbase = 4 * gb0 - 4          # word 2c + 4 of the stream sits at gw[2c - gbase]
    hbase = 4 * hb0 - 4
    ngw = gw.shape[0]
    nhw = hw.shape[0]
    nc = 0
    nq = 0
    if init == 0:
        if gb0 != 0 or ngw < 2:
            return -1, -1
        ec = _expo32(gw[0])
        eq = _expo32(gw[1])
        sx = 0.0
        ux = -1.0
        if cap_q < 1:
            return -1, -1
        q_ts[0] = open_ns
        q_ps[0] = pt[sec0]
        q_sp[0] = spr[sec0]
        nq = 1
    # ---- clusters: baseline (time change across seconds) + exact exponential-kernel excitation.
    # The excitation lives in decay coordinates of the current second k: exc(t) = sx u(t) with
    # u(t) = exp(-beta (t - k)) in (exp(-beta), 1]. Each arrival at u adds h / u to sx; the next
    # excitation-driven arrival solves sx (u - u_x) / beta = E, i.e. u_x = u - beta E / sx (never if
    # u_x <= 0): pure arithmetic on the serial chain. Which comes first, the baseline candidate or the
    # excitation arrival, is a coin flip: the loop has no branch on it (a branch mispredicted every
    # other cluster, and resolved only at the end of the division chain): u = max(u_c, u_x) is the
    # arrival, the baseline clock advances by a select, and the candidate's exp is recomputed from the
    # clock every cluster (same value when the clock stood still). The log of an excitation arrival's
    # time only feeds its timestamp: its position is compacted (xi, scratch) and the logs, times and
    # prices are taken after each second's loop. At each second's end: sx *= exp(-beta), u_x *= exp(beta).
    inv_beta = 1.0 / beta
    e_m = math.exp(-beta)
    e_p = math.exp(beta)
    for k in range(sec0, sec1):
        lc = lam_c[k]
        inv_lc = 1.0 / lc if lc > 0.0 else 0.0
        t0 = open_ns + np.int64(k) * 1_000_000_000
        sp_k = spr[k]
        pos_c = ec * inv_lc if lc > 0.0 else 2.0
        uc = math.exp(-beta * pos_c) if pos_c < 1.0 else 0.0
        nc0 = nc
        nx = 0
        while pos_c < 1.0 or ux > e_m:
            c = cidx + nc
            lw = 2 * c - gbase
            if nc >= cap_c or lw + 1 >= ngw:
                return -1, -1
            ea = _expo32(gw[lw])
            eb = _expo32(gw[lw + 1])
            base = uc >= ux             # the baseline candidate comes first (ties: baseline)
            u = max(uc, ux)             # = uc if base else ux, as a select (a coin flip: no branch)
            c_ps[nc] = pos_c if base else -ux      # its time in the second, or -u (log taken below)
            xi[nx] = nc
            nx += 0 if base else 1
            sx = sx + h_jump / u
            pos_c = pos_c + ea * inv_lc if base else pos_c
            uc = math.exp(-beta * pos_c) if pos_c < 1.0 else 0.0
            ux = u - beta * eb / sx
            nc += 1
        # the times of the excitation arrivals (off the serial chain), then times and prices
        for q in range(nx):
            n = xi[q]
            c_ps[n] = -math.log(-c_ps[n]) * inv_beta
        p0 = pt[k]
        dp = pt[k + 1] - pt[k]
        for n in range(nc0, nc):
            frac = c_ps[n]
            c_ts[n] = t0 + np.int64(frac * 1e9)
            c_ps[n] = p0 + dp * frac
            c_sp[n] = sp_k
        sx *= e_m
        ux *= e_p
        # carry the unused exponential mass into the next second
        if lc > 0.0:
            ec = (pos_c - 1.0) * lc
    # ---- quote-only updates: Poisson with the same time change
    for k in range(sec0, sec1):
        lq = lam_q[k]
        if lq <= 0.0:
            continue
        t0 = open_ns + np.int64(k) * 1_000_000_000
        sp_k = spr[k]
        inv_lq = 1.0 / lq
        pos_q = eq * inv_lq
        while pos_q < 1.0:
            g = qidx + nq
            lw = g - hbase
            if nq >= cap_q or lw >= nhw:
                return -1, -1
            q_ts[nq] = t0 + np.int64(pos_q * 1e9)
            q_ps[nq] = pt[k] + (pt[k + 1] - pt[k]) * pos_q
            q_sp[nq] = sp_k
            nq += 1
            pos_q = pos_q + _expo32(hw[lw]) * inv_lq
        eq = (pos_q - 1.0) * lq
    state_i[S_INIT] = 1
    state_f[F_EC] = ec
    state_f[F_EQ] = eq
    state_f[F_EXC] = sx
    state_f[F_EXC_NEXT] = ux
    return nc, nq


# ---- 2.-4. dense draws ------------------------------------------------------------------------------
# Records are [field, event] (struct of arrays: a dense loop stores each field with unit stride, which
# vectorizes; the book pass reads one element of each row per event). Integer records are int32 (every
# field < 2**31; half the traffic of int64), float records float64. Tables are the module's constants.

# print-count comparisons needed with the model's continuation probabilities (0.45 lit, 0.15 off): the
# print-count uniform has 22 bits, u = (f + 0.5) / 2**22 >= 2**-23, and 0.45**20, 0.15**9 are below that
N_CMP_LIT, N_CMP_OFF = 20, 9
_U22_MIN = 0.5 / 4194304.0


@kernel
def cluster_draws(cw, par, nc, ci, cf):
    """The draws of clusters ``cidx0 .. cidx0 + nc - 1`` that the book reads for every cluster, into
    records ci/cf; returns the number of prints and the number of lit clusters. Block 2c: w0 bits 22-31
    off-exchange choice, 11-21 meta-order sign, 0-10 follows-meta; w1 bits 10-31 print count
    (geometric), 0-9 post-trade quote delay; w2 bits 16-31 side, 0-15 post-trade quote latency; w3
    meta-order length. Block 2c+1: the refresh quote (``_quote_fields``). The meta-order sign and length
    and the refresh quote are read by ``book`` from the words, when it needs them."""
    lat = par[P_LAT_LIT_NS]
    p_off = par[P_OFF_SHARE]
    p_meta = par[P_META_W]
    r_off, r_meta, r_qd, r_qr = ci[CI_OFF], ci[CI_META], ci[CI_QD], ci[CI_QR]
    r_us, r_unp = cf[CF_US], cf[CF_UNP]
    for i in range(nc):
        o = 8 * i
        w0, w1, w2 = cw[o], cw[o + 1], cw[o + 2]
        r_off[i] = 1 if _ufield(w0, 22, 10) < p_off else 0
        r_meta[i] = 1 if _ufield(w0, 0, 11) < p_meta else 0
        r_unp[i] = _ufield(w1, 10, 22)
        r_qd[i] = 2000 + np.int64(lat * _ufield(w1, 0, 10))
        r_us[i] = _ufield(w2, 16, 16)
        r_qr[i] = np.int64(lat * (0.5 + 0.5 * _expo16(_field(w2, 0, 16))))
    # print counts: geometric, n - 1 = #{j in 1..MAX_PRINTS-1: u < cont**j} (the powers decrease, so
    # this counts the leading ones, as "one more print while u < cont**n" does); the powers by repeated
    # products as that loop forms them, the counts by branch-free comparisons (a while loop per
    # cluster mispredicts its exit)
    thr_lit = np.empty(MAX_PRINTS)
    thr_off = np.empty(MAX_PRINTS)
    a = par[P_SWEEP_CONT]
    b = par[P_OFF_CONT]
    thr_lit[0] = 2.0            # unused (j = 0)
    thr_off[0] = 2.0
    for j in range(1, MAX_PRINTS):
        thr_lit[j] = a
        thr_off[j] = b
        a *= par[P_SWEEP_CONT]
        b *= par[P_OFF_CONT]
    r_np = ci[CI_NP]
    total = 0
    offs = 0
    if thr_lit[N_CMP_LIT] < _U22_MIN and thr_off[N_CMP_OFF] < _U22_MIN:
        # the usual parameters: u >= 2**-23 never falls below the higher powers (0.45**20, 0.15**9),
        # so those comparisons are always false: 27 comparisons per cluster instead of 46, same counts
        for i in range(nc):
            u = r_unp[i]
            n_lit = 1
            n_off = 1
            for j in range(1, N_CMP_LIT):
                n_lit += np.int64(u < thr_lit[j])
            for j in range(1, N_CMP_OFF):
                n_off += np.int64(u < thr_off[j])
            n = n_off if r_off[i] != 0 else n_lit
            r_np[i] = n
            total += n
            offs += r_off[i]
        return total, nc - offs
    for i in range(nc):
        u = r_unp[i]
        n_lit = 1
        n_off = 1
        for j in range(1, MAX_PRINTS):
            n_lit += np.int64(u < thr_lit[j])
            n_off += np.int64(u < thr_off[j])
        n = n_off if r_off[i] != 0 else n_lit
        r_np[i] = n
        total += n
        offs += r_off[i]
    return total, nc - offs


@kernel
def quote_draws(qw, par, nq, q_sp, qi, qf):
    """Every draw of quote updates ``qidx0 .. qidx0 + nq - 1`` (one Philox block each) into records qi/qf."""
    lat = par[P_LAT_LIT_NS]
    lots_mean = par[P_DEPTH] / 100.0
    p_so = par[P_SIZE_ONLY]
    r_fl, r_lat, r_sp, r_bv, r_av = qi[QI_FL], qi[QI_LAT], qi[QI_SP], qi[QI_BV], qi[QI_AV]
    r_bm, r_am = qf[QF_BM], qf[QF_AM]
    for j in range(nq):
        o = 4 * j
        w0, w1, w2, w3 = qw[o], qw[o + 1], qw[o + 2], qw[o + 3]
        fl, qlat, sp, bm, am, bv, av = _quote_fields(w0, w1, w2, w3, q_sp[j], lots_mean, lat)
        r_fl[j] = fl + (QFL_SIZE_ONLY if _ufield(w0, 24, 8) < p_so else 0)
        r_lat[j] = qlat
        r_sp[j] = sp
        r_bm[j] = bm
        r_am[j] = am
        r_bv[j] = bv
        r_av[j] = av


@kernel
def print_draws(pw, par, nc, ci, pi, t_recv, t_sz, t_venue, t_cond):
    """Every draw of the prints of the block's ``nc`` clusters (prints ``pidx0 ..``; one Philox block
    each); returns the number of prints. Into records ``pi`` (rows PI_FLG, PI_GAP, PI_KIND), and
    straight into the trade columns that need no book state: ``t_recv`` (the feed latency; the book adds
    the print time), ``t_sz`` (0xFFFFFFFF marks a Pareto-tail size: ``print_fixup``), ``t_venue``,
    ``t_cond``.

    w0 bits 16-31 same-timestamp choice (rescaled: feed latency), 0-15 gap to the previous print;
    w1 tail uniform of the size; w2 bits 20-31 odd-lot choice, 10-19 venue of a newly shown level,
    0-9 odd remainder; w3 bits 22-31 venue, 11-21 price kind, 1-10 improvement / new level's size (the
    book reads those two from the words: ``_print_improve``, ``_new_level``)."""
    r_flg, r_gap, r_kind = pi[PI_FLG], pi[PI_GAP], pi[PI_KIND]
    # which cluster each print belongs to: off-exchange, first of its cluster, part of a sweep
    r_off, r_np = ci[CI_OFF], ci[CI_NP]
    # (branch-free: a loop over each cluster's prints mispredicts its exit; instead the first print of
    # each cluster is marked, and a forward fill copies the cluster's flags to the others)
    n = 0
    for i in range(nc):
        n += r_np[i]
    flg = r_flg[:n]
    flg[:] = 0
    s0 = _Z
    for i in range(nc):
        m = r_np[i]
        flg[s0] = PFL_OFF * np.int64(r_off[i] != 0) + PFL_MULTI * np.int64(m > 1) + PFL_FIRST
        s0 += np.uint64(m)
    cur = 0
    for q in range(n):
        x = flg[q]
        cur = x - PFL_FIRST if x != 0 else cur
        flg[q] = cur + PFL_FIRST if x != 0 else cur
    psame = par[P_SAME_TS]
    gap_ns = par[P_GAP_NS]
    lat_lit = par[P_LAT_LIT_NS]
    lat_off = par[P_LAT_OFF_NS]
    p_odd = par[P_ODD]
    p_mixed = par[P_MIXED]
    p_mid = par[P_MID_SHARE]
    p_imp = p_mid + par[P_IMPROVE_SHARE]
    p_inside = par[P_INSIDE]
    # branch-free and vectorized: every choice is a select (the choices are coin flips, so branches
    # would mispredict several times per print); the float operations are those of the branchy form
    for q in range(n):
        o = 4 * q
        w0, w1, w2, w3 = pw[o], pw[o + 1], pw[o + 2], pw[o + 3]
        flg = r_flg[q]
        off = (flg & PFL_OFF) != 0
        us = _ufield(w0, 16, 16)
        same = us < psame
        ulat = (us - (0.0 if same else psame)) / (psame if same else 1.0 - psame)
        e_lat = _expo_x(ulat * QTAB)
        lat_x = lat_off if off else lat_lit
        lat_a = 0.2 if off else 0.5
        lat_b = 0.8 if off else 0.5
        t_recv[q] = np.int64(lat_x * (lat_a + lat_b * e_lat))
        gap = 1000 + np.int64(gap_ns * _expo16(_field(w0, 0, 16)))
        r_gap[q] = 0 if same or (flg & PFL_FIRST) != 0 else gap
        # size: odd lot (1-99), or round lots floor(u ** (-1/alpha)) (small counts by comparison with
        # lot_cut[j] = (j + 2) ** -alpha; the tail is fixed by print_fixup) + odd remainder
        ut = (float(w1) + 0.5) * _INV32
        lots = 1
        for j in range(N_CUT):
            lots += np.int64(ut <= (LOT_CUT_OFF[j] if off else LOT_CUT_LIT[j]))
        ur = _ufield(w2, 0, 10)
        rem = (1 + np.int64(math.floor(99.0 * ur / p_mixed))) if ur < p_mixed else 0
        rl = lots * 100 + rem if lots <= N_CUT else 0xFFFFFFFF
        odd = _ufield(w2, 20, 12) < p_odd
        oddsz = 1 + np.int64(math.floor(99.0 * ut * ut))
        size = oddsz if odd else rl
        t_sz[q] = size
        t_venue[q] = _VEN32[_ufld(w3, 22, 10) + (np.uint64(QTAB) if off else np.uint64(0))]
        uk = _ufield(w3, 11, 11)
        k_off = K_MID + np.int64(uk >= p_mid) + np.int64(uk >= p_imp)       # K_MID < K_IMPROVE < K_TOUCH
        k_lit = K_TOUCH + np.int64(uk < p_inside)                           # K_INSIDE = K_TOUCH + 1
        r_kind[q] = k_off if off else k_lit
        small = odd or size < 100
        # COND_REGULAR / COND_ODD, or COND_ISO / COND_ISO_ODD for the prints of a lit sweep
        t_cond[q] = (1 if small else 0) + (0 if off else 2 * ((flg & PFL_MULTI) >> 2))
    print_fixup(pw, par, n, pi, t_sz, t_cond)
    return n


@helper_kernel
def print_fixup(pw, par, n, pi, t_sz, t_cond):
    """The rare part of the print draws, outside the dense loop: round-lot counts in the Pareto tail
    beyond the comparison table (a power; ~2% of prints), marked 0xFFFFFFFF by ``print_draws``."""
    a_lit = par[P_ALPHA_LIT]
    a_off = par[P_ALPHA_OFF]
    p_mixed = par[P_MIXED]
    r_flg = pi[PI_FLG]
    for q in range(n):
        if t_sz[q] == 0xFFFFFFFF:
            flg = r_flg[q]
            off = (flg & PFL_OFF) != 0
            w1, w2 = pw[4 * q + 1], pw[4 * q + 2]
            ut = (float(w1) + 0.5) * _INV32
            lots = math.floor(math.pow(ut, -1.0 / (a_off if off else a_lit)))
            if lots > 20000.0:
                lots = 20000.0
            ur = _ufield(w2, 0, 10)
            rem = 1 + np.int64(math.floor(99.0 * ur / p_mixed)) if ur < p_mixed else 0
            t_sz[q] = np.int64(lots) * 100 + rem
            t_cond[q] = COND_ISO if (flg & PFL_MULTI) != 0 and not off else COND_REGULAR


# ---- 5. the serial book pass --------------------------------------------------------------------

@helper_kernel
def _recentre(ps, bid, sprd, bsz, asz, bv, av, sp_new, bm, am, nbv, nav, flick):
    """Re-centre the NBBO on the efficient price with a new spread. A side whose level changed shows a
    new size and venue, else one side flickers; sizes thin on the side the price is moving toward."""
    old_ask = bid + sprd
    nb = np.int64(math.floor(ps - 0.5 * sp_new + 0.5))
    pos = (ps - nb) / sp_new
    # both sides' new sizes, then selects: which side changes is a coin flip (a branch mispredicts)
    nbsz = _disp(bm * (0.4 + 1.2 * pos))
    nasz = _disp(am * (1.6 - 1.2 * pos))
    new_b = (nb != bid) | (not flick)
    new_a = (nb + sp_new != old_ask) | flick
    return (nb, sp_new, nbsz if new_b else bsz, nasz if new_a else asz, nbv if new_b else bv,
            nav if new_a else av)


_U1 = np.uint64(1)
_TMAX = np.iinfo(np.int64).max


@helper_kernel
def finish(tpu, tseq, qseq, nt, nq, t_ts, t_recv, t_px, t_side, t_seq, o_bid, o_ask, o_seq):
    """The columns that are plain functions of the row, in dense loops after the book: receive times
    (the feed latency ``print_draws`` left in ``t_recv`` plus the print time), sequence numbers, and
    prices in USD from the book's integer ticks (1/100 cents for off-exchange prints, side N): the
    same IEEE division as in the serial pass, vectorized and off its critical path."""
    for r in range(nt):
        t_recv[r] += t_ts[r]
        t_seq[r] = tseq + r
        t_px[r] = t_px[r] / (HC_PER_USD if t_side[r] == SIDE_N else tpu)
    for r in range(nq):
        o_seq[r] = qseq + r
        o_bid[r] = o_bid[r] / tpu
        o_ask[r] = o_ask[r] / tpu


@kernel
def book(open_ns, par, state_i, nc, nq, c_ts, c_ps, c_sp, ci, cf, cw, q_ts, q_ps, qi, qf, pi, pw,
         t_ts, t_px, t_sz, t_side, t_recv, t_seq, o_ts, o_recv, o_bid, o_ask, o_bsz, o_asz, o_bv, o_av, o_seq):
    """Run the NBBO and order flow through the block's events in time order; write trades and quotes.
    Returns (n_trades, n_quotes). A cluster and a quote update at the same nanosecond: the cluster first.

    ``print_draws`` has written the trade columns that need no book state (size, venue, conditions, and
    the feed latency into ``t_recv``); this pass writes time, price and side, then adds the time to
    ``t_recv`` and numbers the prints in a dense loop. Every position is an unsigned counter: indexing
    is then a plain address with no negative-index wraparound code.

    Draws needed only on a rare path come from the Philox words (``cw``: the block's cluster words, 8
    per cluster; ``pw``: 4 per print), with the same arithmetic as the draw kernels: a cluster's
    refresh quote (block 2c+1, ``_quote_fields``), a new meta-order's sign (w0 bits 11-21) and length
    (w3), an off-exchange print's price improvement and a lit print's newly shown level (w3 bits 1-10:
    improvement share / size quantile; w2 bits 10-19: its venue)."""
    tpu = par[P_TPU]
    lat = par[P_LAT_LIT_NS]
    lots_mean = par[P_DEPTH] / 100.0
    hc_per_tick = np.int64(HC_PER_USD / tpu + 0.5)
    lean_k = par[P_LEAN]
    meta_min = par[P_META_MIN]
    inv_meta_alpha = -1.0 / par[P_META_ALPHA]
    tseq = state_i[S_TSEQ]
    qseq = state_i[S_QSEQ]
    bid = state_i[S_BID]
    sprd = state_i[S_SPR]
    bsz = state_i[S_BSZ]
    asz = state_i[S_ASZ]
    bv = state_i[S_BV]
    av = state_i[S_AV]
    msign = state_i[S_MSIGN]
    mrem = state_i[S_MREM]
    last_tts = state_i[S_LAST_TTS]
    last_qts = state_i[S_LAST_QTS]
    c_off, c_np, c_meta, c_qd, c_qr = ci[CI_OFF], ci[CI_NP], ci[CI_META], ci[CI_QD], ci[CI_QR]
    c_us = cf[CF_US]
    q_fl, q_bv, q_av, q_lat, q_sp = qi[QI_FL], qi[QI_BV], qi[QI_AV], qi[QI_LAT], qi[QI_SP]
    q_bm, q_am = qf[QF_BM], qf[QF_AM]
    p_gap, p_kind = pi[PI_GAP], pi[PI_KIND]
    unc = np.uint64(nc)
    unq = np.uint64(nq)
    no = _Z
    i = _Z
    j = _Z
    p = _Z
    # Events in time order: the quote-only updates before each cluster in an inner loop, then the
    # cluster (at the same nanosecond the cluster comes first). A quote-only update re-centres the
    # NBBO, or changes one side's size when the NBBO still brackets the efficient price; a cluster
    # first refreshes a quote that no longer brackets it. The opening quote (quote update 0, at the
    # open, state all zero) is a re-centring like any other. Two specialised paths instead of one
    # shared site: the serial loop keeps fewer values live (it was spilling its state to the stack).
    while True:
        tc = c_ts[i] if i < unc else _TMAX
        while j < unq and q_ts[j] < tc:
            ts = q_ts[j]
            ps = q_ps[j]
            fl = q_fl[j]
            if (fl & QFL_SIZE_ONLY) and not (ps < bid or ps > bid + sprd):
                # one side's displayed size (and venue) changes; prices stay (selects: a coin flip)
                pos = (ps - bid) / sprd
                ask = (fl & QFL_ASK) != 0
                nasz = _disp(q_am[j] * (1.6 - 1.2 * pos))
                nbsz = _disp(q_bm[j] * (0.4 + 1.2 * pos))
                asz = nasz if ask else asz
                av = q_av[j] if ask else av
                bsz = bsz if ask else nbsz
                bv = bv if ask else q_bv[j]
            else:
                bid, sprd, bsz, asz, bv, av = _recentre(ps, bid, sprd, bsz, asz, bv, av, q_sp[j], q_bm[j],
                                                        q_am[j], q_bv[j], q_av[j], (fl & QFL_FLICK) != 0)
            qt = ts if ts > last_qts else last_qts
            o_ts[no] = qt
            o_recv[no] = qt + q_lat[j]
            o_bid[no] = bid                  # ticks; finish divides (vectorized)
            o_ask[no] = bid + sprd
            o_bsz[no] = bsz
            o_asz[no] = asz
            o_bv[no] = bv
            o_av[no] = av
            no += _U1
            last_qts = qt
            j += _U1
        if i >= unc:
            break
        ts = tc
        ps = c_ps[i]
        if ps < bid or ps > bid + sprd:
            o = np.uint64(8) * i + np.uint64(4)
            rfl, rlat, rsp, rbm, ram, rbv, rav = _quote_fields(cw[o], cw[o + _U1], cw[o + np.uint64(2)],
                                                               cw[o + np.uint64(3)], c_sp[i], lots_mean, lat)
            bid, sprd, bsz, asz, bv, av = _recentre(ps, bid, sprd, bsz, asz, bv, av, rsp, rbm, ram, rbv, rav,
                                                    (rfl & QFL_FLICK) != 0)
            qt = ts if ts > last_qts else last_qts
            o_ts[no] = qt
            o_recv[no] = qt + rlat
            o_bid[no] = bid
            o_ask[no] = bid + sprd
            o_bsz[no] = bsz
            o_asz[no] = asz
            o_bv[no] = bv
            o_av[no] = av
            no += _U1
            last_qts = qt
        # side: the current meta-order, or flow leaning toward where the efficient price sits
        pbuy = 0.5 + lean_k * ((ps - bid) / sprd - 0.5)
        if mrem <= 0:
            o = np.uint64(8) * i
            msign = 1 if _ufield(cw[o], 11, 11) < pbuy else -1
            mrem = np.int64(meta_min * math.pow((float(cw[o + np.uint64(3)]) + 0.5) * _INV32, inv_meta_alpha))
            if mrem > 5000:
                mrem = 5000
        meta = c_meta[i]                 # selects, not a branch: following the meta-order is a coin flip
        s_flow = 1 if c_us[i] < pbuy else -1
        sign = msign if meta != 0 else s_flow
        mrem -= meta
        tcur = ts if ts > last_tts else last_tts
        touched = False
        pe = p + np.uint64(c_np[i])
        if c_off[i]:
            # off-exchange (TRF): at the midpoint, price-improved by a fraction of the spread, or at the
            # touch, on the 1/100-cent grid
            bid_hc = bid * hc_per_tick
            ask_hc = (bid + sprd) * hc_per_tick
            touch_hc = ask_hc if sign > 0 else bid_hc
            mid_hc = (bid_hc + ask_hc) >> 1          # prices are positive: floor halving
            spr_hc = ask_hc - bid_hc
            while p < pe:
                tcur += p_gap[p]
                kind = p_kind[p]
                imp = 1 + np.int64(0.45 * ((float(_ufld(pw[np.uint64(4) * p + np.uint64(3)], 1, 10)) + 0.5)
                                           / 1024.0) * spr_hc)
                imp_hc = ask_hc - imp if sign > 0 else bid_hc + imp
                px_hc = mid_hc if kind == K_MID else (imp_hc if kind == K_IMPROVE else touch_hc)
                t_ts[p] = tcur
                t_px[p] = px_hc                 # 1/100 cents; finish divides (side N: off-exchange)
                t_side[p] = SIDE_N
                p += _U1
        else:
            side = SIDE_A if sign > 0 else SIDE_B
            while p < pe:
                tcur += p_gap[p]
                size = np.int64(t_sz[p])
                if sprd >= 2 and p_kind[p] == K_INSIDE:
                    # hidden / midpoint liquidity on an exchange: inside the spread, on the tick grid
                    ptk = bid + ((sprd + 1) >> 1) if sign > 0 else bid + (sprd >> 1)
                elif sign > 0:
                    ptk = bid + sprd
                    if size >= asz:       # the print takes the whole displayed ask: the ask steps up
                        sprd += 1
                        o = np.uint64(4) * p
                        asz = _disp(lots_mean * LN_DEPTH[_ufld(pw[o + np.uint64(3)], 1, 10)])
                        av = _QV32[_ufld(pw[o + np.uint64(2)], 10, 10)]
                    else:                 # whole lots leave the display (an odd lot takes nothing)
                        asz -= size - size % 100
                    touched = True
                else:
                    ptk = bid
                    if size >= bsz:
                        bid -= 1
                        sprd += 1
                        o = np.uint64(4) * p
                        bsz = _disp(lots_mean * LN_DEPTH[_ufld(pw[o + np.uint64(3)], 1, 10)])
                        bv = _QV32[_ufld(pw[o + np.uint64(2)], 10, 10)]
                    else:
                        bsz -= size - size % 100
                    touched = True
                t_ts[p] = tcur
                t_px[p] = ptk                   # ticks; finish divides
                t_side[p] = side
                p += _U1
        last_tts = tcur
        if touched:
            # the NBBO after the parent order (sizes consumed, or a level taken), microseconds later
            qt = tcur + c_qd[i]
            if qt < last_qts:
                qt = last_qts
            o_ts[no] = qt
            o_recv[no] = qt + c_qr[i]
            o_bid[no] = bid                  # ticks; finish divides (vectorized)
            o_ask[no] = bid + sprd
            o_bsz[no] = bsz
            o_asz[no] = asz
            o_bv[no] = bv
            o_av[no] = av
            no += _U1
            last_qts = qt
        i += _U1
    ntr = np.int64(p)            # one trade row per print
    nqo = np.int64(no)
    state_i[S_TSEQ] = tseq + ntr
    state_i[S_QSEQ] = qseq + nqo
    state_i[S_CIDX] += nc
    state_i[S_PIDX] += np.int64(p)
    state_i[S_QIDX] += nq
    state_i[S_BID] = bid
    state_i[S_SPR] = sprd
    state_i[S_BSZ] = bsz
    state_i[S_ASZ] = asz
    state_i[S_BV] = bv
    state_i[S_AV] = av
    state_i[S_MSIGN] = msign
    state_i[S_MREM] = mrem
    state_i[S_LAST_TTS] = last_tts
    state_i[S_LAST_QTS] = last_qts
    finish(tpu, tseq, qseq, ntr, nqo, t_ts, t_recv, t_px, t_side, t_seq, o_bid, o_ask, o_seq)
    return ntr, nqo


# ---- the driver (plain Python: scratch management and the order of the passes) -------------------

_TLS = threading.local()


def _scratch(key: str, n: int, dtype) -> np.ndarray:
    """``n`` elements of this thread's reusable scratch buffer ``key``. Scratch outlives the partition:
    fresh arrays per partition cost ~2,700 page faults (~5 ms of system time) per AAPL session. Only
    the block between ``prepare`` and ``fill`` uses it (nothing of it survives to the next block), so
    partitions interleaved on one thread (streams merged in time order) share it safely."""
    bufs = getattr(_TLS, "bufs", None)
    if bufs is None:
        bufs = _TLS.bufs = {}
    a = bufs.get(key)
    if a is None or a.shape[0] < n:
        a = bufs[key] = np.empty(max(n, 2 * a.shape[0]) if a is not None else n, dtype)
    return a[:n]


class BlockRunner:
    """Runs the kernels over one partition, block after block.

    ``prepare(s0, s1)`` times and draws every cluster and quote update of the block and returns
    ``(n_trades, quote_rows)``: the exact trade count and a bound on the quote count, so the caller
    allocates output columns once; ``fill(*trade_cols, *quote_cols)`` then draws the prints straight
    into the trade columns, runs the book and returns ``(n_trades, n_quotes)``. Call ``fill`` right
    after ``prepare`` (the scratch in between is the thread's, see ``_scratch``).
    ``state_i`` (``S_*``) and ``state_f`` carry the partition's state from block to block."""

    def __init__(self, pt, lam_c, lam_q, spr, open_ns, keys, par):
        f8 = np.float64
        self.pt, self.lam_c, self.lam_q = np.asarray(pt, f8), np.asarray(lam_c, f8), np.asarray(lam_q, f8)
        self.spr, self.open_ns, self.keys, self.par = np.asarray(spr, f8), int(open_ns), keys, par
        if not np.all(par[[P_TPU, P_DEPTH, P_HAWKES_BETA]] > 0):
            raise ValueError("inconsistent equity kernel inputs")
        self.state_i = np.zeros(N_STATE_I, np.int64)
        self.state_f = np.zeros(N_STATE_F, np.float64)
        self._n = (0, 0, 0)
        self._cw = None         # the block's cluster words, from prepare to fill (book reads rare draws)
        # expected events up to each second: clusters (baseline / (1 - n)) and quote-only updates
        self._cum_c = np.concatenate(([0.0], np.cumsum(self.lam_c))) / (1.0 - par[P_HAWKES_N])
        self._cum_q = np.concatenate(([0.0], np.cumsum(self.lam_q)))
        self._cap_c = self._cap_q = 4096

    def _events(self, cap_c: int, cap_q: int) -> None:
        """Event scratch for ``cap_c`` clusters and ``cap_q`` quote updates (views of thread scratch)."""
        self._cap_c, self._cap_q = cap_c, cap_q
        i8, f8 = np.int64, np.float64
        self.c_ts, self.c_ps, self.c_sp = _scratch("c_ts", cap_c, i8), _scratch("c_ps", cap_c, f8), \
            _scratch("c_sp", cap_c, f8)
        self.xi = _scratch("xi", cap_c, i8)        # arrivals: positions of the excitation-driven clusters
        # integer records as int32 (every field < 2**31: flags, counts, venues, ticks, ns latencies):
        # half the record traffic of int64 between the draw kernels and the book
        self.ci = _scratch("ci", N_CI * cap_c, np.int32).reshape(N_CI, cap_c)
        self.cf = _scratch("cf", N_CF * cap_c, f8).reshape(N_CF, cap_c)
        self.q_ts, self.q_ps, self.q_sp = _scratch("q_ts", cap_q, i8), _scratch("q_ps", cap_q, f8), \
            _scratch("q_sp", cap_q, f8)
        self.qi = _scratch("qi", N_QI * cap_q, np.int32).reshape(N_QI, cap_q)
        self.qf = _scratch("qf", N_QF * cap_q, f8).reshape(N_QF, cap_q)

    def prepare(self, s0: int, s1: int) -> tuple[int, int]:
        si, par, keys = self.state_i, self.par, self.keys
        # gap words for a bound on the block's events (doubled and retried in the rare block that
        # needs more: arrivals leaves the state untouched then). Measured over 936 blocks (AAPL, IBM,
        # SPY, TSLA, F, GS, 3 sessions, seeds 0 and 7): (n - expected) / sqrt(expected) at most 6.4 for
        # clusters (Hawkes: overdispersed) and 4.2 for quote updates. The words cost ~2 ns a block each:
        # the earlier 1.5x / 1.2x bounds drew ~0.25 ms of unused words per AAPL session.
        est_c = self._cum_c[s1] - self._cum_c[s0]
        est_q = self._cum_q[s1] - self._cum_q[s0]
        slack = 1.0
        while True:
            need_c = int(slack * (1.05 * est_c + 12.0 * math.sqrt(est_c) + 64.0))
            need_q = int(slack * (1.02 * est_q + 8.0 * math.sqrt(est_q) + 64.0))
            self._events(max(need_c, self._cap_c), max(need_q, self._cap_q))
            cidx, qidx = int(si[S_CIDX]), int(si[S_QIDX])
            gb0 = (cidx >> 1) + 1 if si[S_INIT] else 0
            hb0 = (qidx >> 2) + 1
            gw = _scratch("gw", 4 * ((2 * (cidx + need_c) + 8) // 4 + 1 - gb0), np.uint32)
            hw = _scratch("hw", 4 * ((qidx + need_q + 8) // 4 + 1 - hb0), np.uint32)
            fill_words(keys[2 * ST_GAPS], keys[2 * ST_GAPS + 1], gb0, gw)
            fill_words(keys[2 * ST_QGAPS], keys[2 * ST_QGAPS + 1], hb0, hw)
            nc, nq = arrivals(self.pt, self.lam_c, self.lam_q, self.spr, s0, s1, self.open_ns, self.par,
                              gw, gb0, hw, hb0, self.state_i, self.state_f,
                              self.c_ts[:need_c], self.c_ps, self.c_sp, self.q_ts[:need_q], self.q_ps, self.q_sp,
                              self.xi)
            if nc >= 0:
                break
            slack *= 2.0
        cw, qw = _scratch("cw", 8 * nc, np.uint32), _scratch("qw", 4 * nq, np.uint32)
        fill_words(keys[2 * ST_CLUSTER], keys[2 * ST_CLUSTER + 1], 2 * si[S_CIDX], cw)
        fill_words(keys[2 * ST_QUOTE], keys[2 * ST_QUOTE + 1], si[S_QIDX], qw)
        npr, n_lit = cluster_draws(cw, par, nc, self.ci, self.cf)
        self._cw = cw
        quote_draws(qw, par, nq, self.q_sp, self.qi, self.qf)
        self._n = (nc, nq, npr)
        # quote rows: one per quote-only update, at most one refresh per cluster and one post-trade
        # update per lit cluster (off-exchange prints leave the NBBO alone)
        return npr, nq + nc + n_lit

    def fill(self, t_ts, t_recv, t_px, t_sz, t_side, t_venue, t_cond, t_seq, *quote_cols) -> tuple[int, int]:
        nc, nq, npr = self._n
        self._n = (0, 0, 0)
        si, par, keys = self.state_i, self.par, self.keys
        pw = _scratch("pw", 4 * npr, np.uint32)
        pi = _scratch("pi", N_PI * npr, np.int32).reshape(N_PI, npr)
        fill_words(keys[2 * ST_PRINT], keys[2 * ST_PRINT + 1], si[S_PIDX], pw)
        print_draws(pw, par, nc, self.ci, pi, t_recv, t_sz, t_venue, t_cond)
        nt, nq = book(self.open_ns, par, si, nc, nq, self.c_ts, self.c_ps, self.c_sp, self.ci, self.cf,
                      self._cw, self.q_ts, self.q_ps, self.qi, self.qf, pi, pw, t_ts, t_px, t_sz, t_side,
                      t_recv, t_seq, *quote_cols)
        self._cw = None
        return nt, nq
