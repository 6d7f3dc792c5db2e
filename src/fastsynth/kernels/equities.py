"""Equity microstructure kernels: NBBO quotes and trade prints of one symbol, block by block.

Contract
--------
One (symbol, session) partition is generated in blocks of seconds ``[sec0, sec1)``. Each block runs
five small kernels, in this order (``BlockRunner`` below drives them; each compiles and caches on its
own, so a cold start compiles several small functions instead of one large one):

1. ``arrivals``  (serial, cheap): the times of the block's trade clusters (parent orders; a Hawkes
   process) and quote-only NBBO updates (Poisson), with the efficient price at each. Returns
   ``(n_clusters, n_quotes)`` or ``(-1, -1)`` when a scratch array would overflow (nothing is changed
   then; the caller retries with larger scratch).
2. ``cluster_draws``, 3. ``quote_draws``, 4. ``print_draws`` (dense, vectorizable): every random
   attribute of every cluster, quote update and print of the block, drawn and transformed in flat loops
   (Philox inlined, table lookups, no branches); ``cluster_draws`` returns the number of prints.
5. ``book`` (serial): merges clusters and quote updates in time order and runs the NBBO / order-flow
   state through them, writing the output columns; returns ``(n_trades, n_quotes)``.

The caller allocates exactly ``n_prints`` trade rows and ``n_quotes + 2 n_clusters`` quote rows (at most
one refresh before and one update after each cluster), so the book pass cannot overflow.
``state_i``/``state_f`` carry the partition's state between blocks (counters of every random stream,
the NBBO, the order-flow and Hawkes state) and are updated in place.

Inputs (per second ``k`` of the session, arrays of length ``S``; the path has ``S + 1`` points):
  pt         float64  efficient price in ticks at each second boundary (linear inside a second)
  lam_c      float64  baseline trade-cluster arrivals per second (seasonality x volatility)
  lam_q      float64  quote-only NBBO update arrivals per second
  spr        float64  target spread in ticks (before noise)
  keys       int64    (10,) five Philox keys (k0, k1 pairs), indexed by the ST_* stream ids
  par        float64  model parameters, indices ``P_*`` below
  lit_tab, off_tab, qv_tab  int8 (QTAB,) venue codes by quantile (categorical draws by lookup)
  ln_depth, ln_spread, exp_tab  float64 quantile tables (QTAB,/QTAB+1,) of the log-normal multipliers
             and of the unit exponential; lot_cut_lit/lot_cut_off: Pareto lot thresholds
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

import numpy as np

from ._jit import inline_kernel, kernel
from .rng import fill_words, philox4x32

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

# ---- scratch layout: per-event records, [event, field] (one int64 and one float64 array per kind;
# few distinct arrays keep the dense loops vectorizable and give the serial pass one line per event)
CI_OFF, CI_NP, CI_META, CI_RFL, CI_RBV, CI_RAV, CI_QD, CI_QR, CI_RLAT, CI_RSP = range(10)
N_CI = 10
CF_URS, CF_US, CF_UL, CF_RBM, CF_RAM, CF_UNP = range(6)
N_CF = 6
QI_FL, QI_BV, QI_AV, QI_LAT, QI_SP = range(5)      # quote-only updates: the fields of a refresh
N_QI = 5
QF_BM, QF_AM = 0, 1
N_QF = 2
PI_FLG, PI_VEN, PI_KIND, PI_NV, PI_COND, PI_GAP, PI_LAT, PI_SZ = range(8)
N_PI = 8
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
def _block(k0, k1, b):
    """Philox block ``b`` (int64) of stream (k0, k1): four 32-bit words held in uint64."""
    bu = np.uint64(b)
    return philox4x32(bu & _MASK, bu >> _S32, _Z, _Z, np.uint64(k0), np.uint64(k1))


@inline_kernel
def _field(w, shift, nbits):
    """Bits ``shift .. shift + nbits - 1`` of word ``w`` as int64."""
    return np.int64((w >> np.uint64(shift)) & np.uint64((1 << nbits) - 1))


@inline_kernel
def _ufield(w, shift, nbits):
    """A bit field as a uniform in (0, 1) at ``2**-nbits`` resolution (ample for choices and lookups)."""
    return (float((w >> np.uint64(shift)) & np.uint64((1 << nbits) - 1)) + 0.5) / float(1 << nbits)


@inline_kernel
def _expo_x(x, exp_tab):
    """Unit exponential at quantile ``x / QTAB`` (x in [0, QTAB)), linear inside a table bin."""
    i = np.int64(x)
    return exp_tab[i] + (x - i) * (exp_tab[i + 1] - exp_tab[i])


@inline_kernel
def _expo32(w, exp_tab):
    return _expo_x((float(w) + 0.5) * (QTAB * _INV32), exp_tab)


@inline_kernel
def _expo16(f, exp_tab):
    """Unit exponential from a 16-bit field value ``f`` (table index: top 10 bits; the rest interpolates)."""
    return _expo_x((float(f) + 0.5) * (QTAB / 65536.0), exp_tab)


@inline_kernel
def _disp(lots_x):
    """Displayed size from a mean in lots: whole round lots, at least 1, at most 100,000."""
    lots = math.floor(lots_x + 0.5)
    if lots < 1.0:
        lots = 1.0
    if lots > 100000.0:
        lots = 100000.0
    return np.int64(lots) * 100


@inline_kernel
def _quote_fields(w0, w1, w2, w3, spr_k, lots_mean, lat, ln_spread, ln_depth, exp_tab, qv_tab):
    """The draws of one NBBO update from one Philox block (quote-only update or a cluster's refresh).

    w0: bits 24-31 size-only choice, 23 side, 22 flicker side, 0-15 feed latency; w1: bits 22-31 spread
    noise quantile, 0-21 rounding; w2/w3: bits 22-31 / 12-21 bid / ask display-size quantiles and venues.
    Returns (flags, latency ns, spread ticks, bid lots mean, ask lots mean, bid venue, ask venue)."""
    fl = _field(w0, 23, 1) * QFL_ASK + _field(w0, 22, 1) * QFL_FLICK
    s = math.floor(spr_k * ln_spread[_field(w1, 22, 10)] + _ufield(w1, 0, 22))
    if s < 1.0:
        s = 1.0
    lat_ns = np.int64(lat * (0.5 + 0.5 * _expo16(_field(w0, 0, 16), exp_tab)))
    return (fl, lat_ns, np.int64(s), lots_mean * ln_depth[_field(w2, 22, 10)],
            lots_mean * ln_depth[_field(w2, 12, 10)], qv_tab[_field(w3, 22, 10)], qv_tab[_field(w3, 12, 10)])


# ---- 1. arrivals ----------------------------------------------------------------------------------

@kernel
def arrivals(pt, lam_c, lam_q, sec0, sec1, open_ns, par, exp_tab, gw, gb0, hw, hb0, state_i, state_f,
             c_ts, c_ps, c_k, q_ts, q_ps, q_k):
    """Times (ns), efficient prices (ticks) and seconds of the clusters and quote updates of [sec0, sec1).

    Clusters and quote updates are independent processes, each written in time order. On the first
    block the opening quote (at the open) is quote update 0. ``gw``/``hw``: the 32-bit words of the
    ST_GAPS / ST_QGAPS streams from Philox block ``gb0`` / ``hb0`` on (``fill_words``; ``gb0`` is 0 on
    the first block); cluster ``c`` takes words ``2c + 4, 2c + 5`` of its stream, quote update ``g`` word
    ``g + 4``. Returns (n_clusters, n_quotes), or (-1, -1) when c_*/q_* or the words run out, with the
    state untouched (the caller retries with more)."""
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
        ec = _expo32(gw[0], exp_tab)
        eq = _expo32(gw[1], exp_tab)
        sx = 0.0
        ux = -1.0
        if cap_q < 1:
            return -1, -1
        q_ts[0] = open_ns
        q_ps[0] = pt[sec0]
        q_k[0] = sec0
        nq = 1
    # ---- clusters: baseline (time change across seconds) + exact exponential-kernel excitation.
    # The excitation lives in decay coordinates of the current second k: exc(t) = sx u(t) with
    # u(t) = exp(-beta (t - k)) in (exp(-beta), 1]. Each arrival at u adds h / u to sx; the next
    # excitation-driven arrival solves sx (u - u_x) / beta = E, i.e. u_x = u - beta E / sx (never if
    # u_x <= 0): pure arithmetic on the serial chain. The exp of a baseline candidate depends only on
    # the baseline clock and the log of an excitation arrival's time only feeds its timestamp, so both
    # run off the chain. At each second's end: sx *= exp(-beta), u_x *= exp(beta).
    inv_beta = 1.0 / beta
    e_m = math.exp(-beta)
    e_p = math.exp(beta)
    for k in range(sec0, sec1):
        lc = lam_c[k]
        inv_lc = 1.0 / lc if lc > 0.0 else 0.0
        t0 = open_ns + np.int64(k) * 1_000_000_000
        pos_c = ec * inv_lc if lc > 0.0 else 2.0
        uc = math.exp(-beta * pos_c) if pos_c < 1.0 else 0.0
        while pos_c < 1.0 or ux > e_m:
            c = cidx + nc
            lw = 2 * c - gbase
            if nc >= cap_c or lw + 1 >= ngw:
                return -1, -1
            ea = _expo32(gw[lw], exp_tab)
            eb = _expo32(gw[lw + 1], exp_tab)
            if uc >= ux:            # the baseline candidate comes first (ties: baseline)
                frac = pos_c
                u = uc
                pos_c = pos_c + ea * inv_lc
                uc = math.exp(-beta * pos_c) if pos_c < 1.0 else 0.0
            else:
                u = ux
                frac = -math.log(ux) * inv_beta
            sx = sx + h_jump / u
            ux = u - beta * eb / sx
            c_ts[nc] = t0 + np.int64(frac * 1e9)
            c_ps[nc] = pt[k] + (pt[k + 1] - pt[k]) * frac
            c_k[nc] = k
            nc += 1
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
        inv_lq = 1.0 / lq
        pos_q = eq * inv_lq
        while pos_q < 1.0:
            g = qidx + nq
            lw = g - hbase
            if nq >= cap_q or lw >= nhw:
                return -1, -1
            q_ts[nq] = t0 + np.int64(pos_q * 1e9)
            q_ps[nq] = pt[k] + (pt[k + 1] - pt[k]) * pos_q
            q_k[nq] = k
            nq += 1
            pos_q = pos_q + _expo32(hw[lw], exp_tab) * inv_lq
        eq = (pos_q - 1.0) * lq
    state_i[S_INIT] = 1
    state_f[F_EC] = ec
    state_f[F_EQ] = eq
    state_f[F_EXC] = sx
    state_f[F_EXC_NEXT] = ux
    return nc, nq


# ---- 2.-4. dense draws ------------------------------------------------------------------------------

@kernel
def cluster_draws(cw, par, nc, c_k, spr, ln_spread, ln_depth, exp_tab, qv_tab, ci, cf):
    """Every draw of clusters ``cidx0 .. cidx0 + nc - 1`` into records ci/cf; returns the number of
    prints. Block 2c: w0 bits 22-31 off-exchange choice, 11-21 meta-order sign, 0-10 follows-meta;
    w1 bits 10-31 print count (geometric), 0-9 post-trade quote delay; w2 bits 16-31 side, 0-15
    post-trade quote latency; w3 meta-order length. Block 2c+1: the refresh quote (``_quote_fields``)."""
    lat = par[P_LAT_LIT_NS]
    lots_mean = par[P_DEPTH] / 100.0
    p_off = par[P_OFF_SHARE]
    p_meta = par[P_META_W]
    for i in range(nc):
        o = 8 * i
        w0, w1, w2, w3 = cw[o], cw[o + 1], cw[o + 2], cw[o + 3]
        ci[i, CI_OFF] = 1 if _ufield(w0, 22, 10) < p_off else 0
        cf[i, CF_URS] = _ufield(w0, 11, 11)
        ci[i, CI_META] = 1 if _ufield(w0, 0, 11) < p_meta else 0
        cf[i, CF_UNP] = _ufield(w1, 10, 22)
        ci[i, CI_QD] = 2000 + np.int64(lat * _ufield(w1, 0, 10))
        cf[i, CF_US] = _ufield(w2, 16, 16)
        ci[i, CI_QR] = np.int64(lat * (0.5 + 0.5 * _expo16(_field(w2, 0, 16), exp_tab)))
        cf[i, CF_UL] = (float(w3) + 0.5) * _INV32
        v0, v1, v2, v3 = cw[o + 4], cw[o + 5], cw[o + 6], cw[o + 7]
        fl, rlat, rsp, rbm, ram, rbv, rav = _quote_fields(v0, v1, v2, v3, spr[c_k[i]], lots_mean, lat,
                                                          ln_spread, ln_depth, exp_tab, qv_tab)
        ci[i, CI_RFL] = fl
        ci[i, CI_RLAT] = rlat
        ci[i, CI_RSP] = rsp
        cf[i, CF_RBM] = rbm
        cf[i, CF_RAM] = ram
        ci[i, CI_RBV] = rbv
        ci[i, CI_RAV] = rav
    # print counts: geometric (one more print while u < cont**n), by comparisons; a short serial loop
    c_lit = par[P_SWEEP_CONT]
    c_off = par[P_OFF_CONT]
    total = 0
    for i in range(nc):
        cont = c_off if ci[i, CI_OFF] else c_lit
        u = cf[i, CF_UNP]
        n = 1
        thr = cont
        while u < thr and n < MAX_PRINTS:
            n += 1
            thr *= cont
        ci[i, CI_NP] = n
        total += n
    return total


@kernel
def quote_draws(qw, par, nq, q_k, spr, ln_spread, ln_depth, exp_tab, qv_tab, qi, qf):
    """Every draw of quote updates ``qidx0 .. qidx0 + nq - 1`` (one Philox block each) into records qi/qf."""
    lat = par[P_LAT_LIT_NS]
    lots_mean = par[P_DEPTH] / 100.0
    p_so = par[P_SIZE_ONLY]
    for j in range(nq):
        o = 4 * j
        w0, w1, w2, w3 = qw[o], qw[o + 1], qw[o + 2], qw[o + 3]
        fl, qlat, sp, bm, am, bv, av = _quote_fields(w0, w1, w2, w3, spr[q_k[j]], lots_mean, lat,
                                                     ln_spread, ln_depth, exp_tab, qv_tab)
        qi[j, QI_FL] = fl + (QFL_SIZE_ONLY if _ufield(w0, 24, 8) < p_so else 0)
        qi[j, QI_LAT] = qlat
        qi[j, QI_SP] = sp
        qf[j, QF_BM] = bm
        qf[j, QF_AM] = am
        qi[j, QI_BV] = bv
        qi[j, QI_AV] = av


@kernel
def print_draws(pw, par, nc, ci, exp_tab, ln_depth, lot_cut_lit, lot_cut_off, lit_tab, off_tab, qv_tab,
                pi, pf):
    """Every draw of the prints of the block's ``nc`` clusters (prints ``pidx0 ..``; one Philox block
    each) into records pi and the column pf; returns the number of prints.

    w0 bits 16-31 same-timestamp choice (rescaled: feed latency), 0-15 gap to the previous print;
    w1 tail uniform of the size; w2 bits 20-31 odd-lot choice, 10-19 venue of a newly shown level,
    0-9 odd remainder; w3 bits 22-31 venue, 11-21 price kind, 1-10 improvement / new level's size."""
    # which cluster each print belongs to: off-exchange, first of its cluster, part of a sweep
    n = 0
    for i in range(nc):
        m = ci[i, CI_NP]
        f = PFL_OFF if ci[i, CI_OFF] else 0
        if m > 1:
            f += PFL_MULTI
        pi[n, PI_FLG] = f + PFL_FIRST
        for j in range(1, m):
            pi[n + j, PI_FLG] = f
        n += m
    psame = par[P_SAME_TS]
    gap_ns = par[P_GAP_NS]
    lat_lit = par[P_LAT_LIT_NS]
    lat_off = par[P_LAT_OFF_NS]
    p_odd = par[P_ODD]
    p_mixed = par[P_MIXED]
    p_mid = par[P_MID_SHARE]
    p_imp = p_mid + par[P_IMPROVE_SHARE]
    p_inside = par[P_INSIDE]
    lots_mean = par[P_DEPTH] / 100.0
    ncut = lot_cut_lit.shape[0]
    # branch-free: every choice is a select or 0/1 arithmetic (the choices are coin flips, so branches
    # would mispredict several times per print); the float operations are those of the branchy form
    for q in range(n):
        o = 4 * q
        w0, w1, w2, w3 = pw[o], pw[o + 1], pw[o + 2], pw[o + 3]
        flg = pi[q, PI_FLG]
        off = flg & PFL_OFF                      # 0/1
        lit = 1 - off
        us = _ufield(w0, 16, 16)
        same = np.int64(us < psame)
        ulat = (us - psame * (1 - same)) / (psame if same else 1.0 - psame)
        e_lat = _expo_x(ulat * QTAB, exp_tab)
        lat_x = lat_off if off else lat_lit
        lat_a = 0.2 if off else 0.5
        lat_b = 0.8 if off else 0.5
        pi[q, PI_LAT] = np.int64(lat_x * (lat_a + lat_b * e_lat))
        gap = 1000 + np.int64(gap_ns * _expo16(_field(w0, 0, 16), exp_tab))
        pi[q, PI_GAP] = gap * (1 - (same | ((flg & PFL_FIRST) >> 1)))
        # size: odd lot (1-99), or round lots floor(u ** (-1/alpha)) (small counts by comparison with
        # lot_cut[j] = (j + 2) ** -alpha; the tail, marked -1, is fixed by print_fixup) + odd remainder
        ut = (float(w1) + 0.5) * _INV32
        lots = 1
        for j in range(ncut):
            lots += np.int64(ut <= lot_cut_off[j]) * off + np.int64(ut <= lot_cut_lit[j]) * lit
        ur = _ufield(w2, 0, 10)
        rem = (1 + np.int64(math.floor(99.0 * ur / p_mixed))) * np.int64(ur < p_mixed)
        rl = lots * 100 + rem if lots <= ncut else -1
        odd = np.int64(_ufield(w2, 20, 12) < p_odd)
        oddsz = 1 + np.int64(math.floor(99.0 * ut * ut))
        size = oddsz if odd else rl
        pi[q, PI_SZ] = size
        vi = _field(w3, 22, 10)
        v_off = off_tab[vi]
        v_lit = lit_tab[vi]
        pi[q, PI_VEN] = v_off if off else v_lit
        uk = _ufield(w3, 11, 11)
        k_off = K_MID + np.int64(uk >= p_mid) + np.int64(uk >= p_imp)       # K_MID < K_IMPROVE < K_TOUCH
        k_lit = K_TOUCH + np.int64(uk < p_inside)                           # K_INSIDE = K_TOUCH + 1
        pi[q, PI_KIND] = k_off if off else k_lit
        f_off = 0.45 * _ufield(w3, 1, 10)                  # improvement, share of the spread
        f_lit = lots_mean * ln_depth[_field(w3, 1, 10)]    # a newly shown level's mean, in lots
        pf[q] = f_off if off else f_lit
        pi[q, PI_NV] = qv_tab[_field(w2, 10, 10)]
        small = odd | np.int64(size < 100)
        # COND_REGULAR / COND_ODD, or COND_ISO / COND_ISO_ODD for the prints of a lit sweep
        pi[q, PI_COND] = small + 2 * lit * ((flg & PFL_MULTI) >> 2)
    return n


@kernel
def print_fixup(pw, par, n, pi):
    """The rare part of the print draws, outside the dense loop: round-lot counts in the Pareto tail
    beyond the comparison table (a power; ~2% of prints), marked -1 by ``print_draws``."""
    a_lit = par[P_ALPHA_LIT]
    a_off = par[P_ALPHA_OFF]
    p_mixed = par[P_MIXED]
    for q in range(n):
        if pi[q, PI_SZ] < 0:
            flg = pi[q, PI_FLG]
            off = (flg & PFL_OFF) != 0
            w1, w2 = pw[4 * q + 1], pw[4 * q + 2]
            ut = (float(w1) + 0.5) * _INV32
            lots = math.floor(math.pow(ut, -1.0 / (a_off if off else a_lit)))
            if lots > 20000.0:
                lots = 20000.0
            ur = _ufield(w2, 0, 10)
            rem = 1 + np.int64(math.floor(99.0 * ur / p_mixed)) if ur < p_mixed else 0
            pi[q, PI_SZ] = np.int64(lots) * 100 + rem
            pi[q, PI_COND] = COND_ISO if (flg & PFL_MULTI) != 0 and not off else COND_REGULAR


# ---- 5. the serial book pass --------------------------------------------------------------------

@inline_kernel
def _recentre(ps, bid, sprd, bsz, asz, bv, av, sp_new, bm, am, nbv, nav, flick):
    """Re-centre the NBBO on the efficient price with a new spread. A side whose level changed shows a
    new size and venue, else one side flickers; sizes thin on the side the price is moving toward."""
    old_ask = bid + sprd
    nb = np.int64(math.floor(ps - 0.5 * sp_new + 0.5))
    pos = (ps - nb) / sp_new
    if nb != bid or not flick:
        bsz = _disp(bm * (0.4 + 1.2 * pos))
        bv = nbv
    if nb + sp_new != old_ask or flick:
        asz = _disp(am * (1.6 - 1.2 * pos))
        av = nav
    return nb, sp_new, bsz, asz, bv, av


_U1 = np.uint64(1)
_UCI, _UCF, _UQI, _UQF, _UPI = np.uint64(N_CI), np.uint64(N_CF), np.uint64(N_QI), np.uint64(N_QF), np.uint64(N_PI)


@kernel
def book(open_ns, par, state_i, nc, nq, c_ts, c_ps, ci, cf, q_ts, q_ps, qi, qf, pi, pf,
         t_ts, t_recv, t_px, t_sz, t_side, t_venue, t_cond, t_seq,
         o_ts, o_recv, o_bid, o_ask, o_bsz, o_asz, o_bv, o_av, o_seq):
    """Run the NBBO and order flow through the block's events in time order; write trades and quotes.
    Returns (n_trades, n_quotes). A cluster and a quote update at the same nanosecond: the cluster first.

    The records ``ci``/``cf``/``qi``/``qf``/``pi`` come flat (row-major, ``N_CI``... fields per event),
    and every position is an unsigned counter: indexing is then a constant-stride address with no
    negative-index wraparound code (the serial pass was register-starved on strides and wraparound)."""
    tpu = par[P_TPU]
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
    unc = np.uint64(nc)
    unq = np.uint64(nq)
    nt = _Z
    no = _Z
    i = _Z
    j = _Z
    p = _Z
    # One pass over both event kinds in time order, with one NBBO-update site and one quote-row site
    # (a small function compiles quickly). A quote-only update re-centres the NBBO, or changes one
    # side's size when the NBBO still brackets the efficient price; a cluster first refreshes a quote
    # that no longer brackets it. The opening quote (quote update 0, at the open, state all zero) is a
    # re-centring like any other.
    while i < unc or j < unq:
        is_c = i < unc and (j >= unq or c_ts[i] <= q_ts[j])
        if is_c:
            ts = c_ts[i]
            ps = c_ps[i]
            r = i * _UCI
            rf = i * _UCF
            fl = ci[r + CI_RFL]
            n_sp, n_bm, n_am = ci[r + CI_RSP], cf[rf + CF_RBM], cf[rf + CF_RAM]
            n_bv, n_av, lat = ci[r + CI_RBV], ci[r + CI_RAV], ci[r + CI_RLAT]
        else:
            ts = q_ts[j]
            ps = q_ps[j]
            r = j * _UQI
            rf = j * _UQF
            fl = qi[r + QI_FL]
            n_sp, n_bm, n_am = qi[r + QI_SP], qf[rf + QF_BM], qf[rf + QF_AM]
            n_bv, n_av, lat = qi[r + QI_BV], qi[r + QI_AV], qi[r + QI_LAT]
        outside = ps < bid or ps > bid + sprd
        if outside or not is_c:
            if not outside and (fl & QFL_SIZE_ONLY):
                # one side's displayed size (and venue) changes; prices stay
                pos = (ps - bid) / sprd
                if fl & QFL_ASK:
                    asz = _disp(n_am * (1.6 - 1.2 * pos))
                    av = n_av
                else:
                    bsz = _disp(n_bm * (0.4 + 1.2 * pos))
                    bv = n_bv
            else:
                bid, sprd, bsz, asz, bv, av = _recentre(ps, bid, sprd, bsz, asz, bv, av, n_sp, n_bm, n_am,
                                                        n_bv, n_av, (fl & QFL_FLICK) != 0)
            qt = ts if ts > last_qts else last_qts
            o_ts[no] = qt
            o_recv[no] = qt + lat
            o_bid[no] = bid / tpu
            o_ask[no] = (bid + sprd) / tpu
            o_bsz[no] = bsz
            o_asz[no] = asz
            o_bv[no] = bv
            o_av[no] = av
            o_seq[no] = qseq
            qseq += 1
            no += _U1
            last_qts = qt
        if not is_c:
            j += _U1
            continue
        # side: the current meta-order, or flow leaning toward where the efficient price sits
        pbuy = 0.5 + lean_k * ((ps - bid) / sprd - 0.5)
        if mrem <= 0:
            msign = 1 if cf[rf + CF_URS] < pbuy else -1
            mrem = np.int64(meta_min * math.pow(cf[rf + CF_UL], inv_meta_alpha))
            if mrem > 5000:
                mrem = 5000
        if ci[r + CI_META]:
            sign = msign
            mrem -= 1
        else:
            sign = 1 if cf[rf + CF_US] < pbuy else -1
        tcur = ts if ts > last_tts else last_tts
        touched = False
        pe = p + np.uint64(ci[r + CI_NP])
        if ci[r + CI_OFF]:
            # off-exchange (TRF): at the midpoint, price-improved by a fraction of the spread, or at the
            # touch, on the 1/100-cent grid
            bid_hc = bid * hc_per_tick
            ask_hc = (bid + sprd) * hc_per_tick
            touch_hc = ask_hc if sign > 0 else bid_hc
            mid_hc = (bid_hc + ask_hc) >> 1          # prices are positive: floor halving
            spr_hc = ask_hc - bid_hc
            while p < pe:
                rp = p * _UPI
                tcur += pi[rp + PI_GAP]
                kind = pi[rp + PI_KIND]
                imp = 1 + np.int64(pf[p] * spr_hc)
                imp_hc = ask_hc - imp if sign > 0 else bid_hc + imp
                px_hc = mid_hc if kind == K_MID else (imp_hc if kind == K_IMPROVE else touch_hc)
                t_ts[nt] = tcur
                t_recv[nt] = tcur + pi[rp + PI_LAT]
                t_px[nt] = px_hc / HC_PER_USD
                t_sz[nt] = pi[rp + PI_SZ]
                t_side[nt] = SIDE_N
                t_venue[nt] = pi[rp + PI_VEN]
                t_cond[nt] = pi[rp + PI_COND]
                t_seq[nt] = tseq
                tseq += 1
                nt += _U1
                p += _U1
        else:
            side = SIDE_A if sign > 0 else SIDE_B
            while p < pe:
                rp = p * _UPI
                tcur += pi[rp + PI_GAP]
                size = pi[rp + PI_SZ]
                if sprd >= 2 and pi[rp + PI_KIND] == K_INSIDE:
                    # hidden / midpoint liquidity on an exchange: inside the spread, on the tick grid
                    ptk = bid + ((sprd + 1) >> 1) if sign > 0 else bid + (sprd >> 1)
                elif sign > 0:
                    ptk = bid + sprd
                    if size >= asz:       # the print takes the whole displayed ask: the ask steps up
                        sprd += 1
                        asz = _disp(pf[p])
                        av = pi[rp + PI_NV]
                    elif size >= 100:
                        asz -= size - size % 100
                    touched = True
                else:
                    ptk = bid
                    if size >= bsz:
                        bid -= 1
                        sprd += 1
                        bsz = _disp(pf[p])
                        bv = pi[rp + PI_NV]
                    elif size >= 100:
                        bsz -= size - size % 100
                    touched = True
                t_ts[nt] = tcur
                t_recv[nt] = tcur + pi[rp + PI_LAT]
                t_px[nt] = ptk / tpu
                t_sz[nt] = size
                t_side[nt] = side
                t_venue[nt] = pi[rp + PI_VEN]
                t_cond[nt] = pi[rp + PI_COND]
                t_seq[nt] = tseq
                tseq += 1
                nt += _U1
                p += _U1
        last_tts = tcur
        if touched:
            # the NBBO after the parent order (sizes consumed, or a level taken), microseconds later
            qt = tcur + ci[r + CI_QD]
            if qt < last_qts:
                qt = last_qts
            o_ts[no] = qt
            o_recv[no] = qt + ci[r + CI_QR]
            o_bid[no] = bid / tpu
            o_ask[no] = (bid + sprd) / tpu
            o_bsz[no] = bsz
            o_asz[no] = asz
            o_bv[no] = bv
            o_av[no] = av
            o_seq[no] = qseq
            qseq += 1
            no += _U1
            last_qts = qt
        i += _U1
    state_i[S_TSEQ] = tseq
    state_i[S_QSEQ] = qseq
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
    return np.int64(nt), np.int64(no)


# ---- the driver (plain Python: scratch management and the order of the passes) -------------------

class BlockRunner:
    """Runs the five kernels over one partition, block after block.

    ``prepare(s0, s1)`` times and draws every event of the block and returns ``(n_trades, quote_rows)``:
    the exact trade count and a bound on the quote count, so the caller allocates output columns once;
    ``fill(*trade_cols, *quote_cols)`` then writes them and returns ``(n_trades, n_quotes)``.
    ``state_i`` (``S_*``) and ``state_f`` carry the partition's state; scratch grows on demand and is
    reused from block to block."""

    def __init__(self, pt, lam_c, lam_q, spr, open_ns, keys, par, ln_depth, ln_spread, exp_tab,
                 lot_cut_lit, lot_cut_off, lit_tab, off_tab, qv_tab):
        f8 = np.float64
        self.pt, self.lam_c, self.lam_q = np.asarray(pt, f8), np.asarray(lam_c, f8), np.asarray(lam_q, f8)
        self.spr, self.open_ns, self.keys, self.par = np.asarray(spr, f8), int(open_ns), keys, par
        self.ln_depth, self.ln_spread, self.exp_tab = ln_depth, ln_spread, exp_tab
        self.lot_cut_lit, self.lot_cut_off = lot_cut_lit, lot_cut_off
        self.lit_tab, self.off_tab, self.qv_tab = lit_tab, off_tab, qv_tab
        if not (lot_cut_lit.shape == lot_cut_off.shape and np.all(par[[P_TPU, P_DEPTH, P_HAWKES_BETA]] > 0)):
            raise ValueError("inconsistent equity kernel inputs")
        self.state_i = np.zeros(N_STATE_I, np.int64)
        self.state_f = np.zeros(N_STATE_F, np.float64)
        self._grow_events(4096, 4096)
        self._grow_prints(8192)
        self._n = (0, 0, 0)
        self._gap_words = [np.empty(0, np.uint32), np.empty(0, np.uint32)]
        # expected events up to each second: clusters (baseline / (1 - n)) and quote-only updates
        self._cum_c = np.concatenate(([0.0], np.cumsum(self.lam_c))) / (1.0 - par[P_HAWKES_N])
        self._cum_q = np.concatenate(([0.0], np.cumsum(self.lam_q)))

    def _words(self, which: int, n_blocks: int) -> np.ndarray:
        w = self._gap_words[which]
        if w.shape[0] < 4 * n_blocks:
            w = self._gap_words[which] = np.empty(max(4 * n_blocks, 2 * w.shape[0]), np.uint32)
        return w[:4 * n_blocks]

    def _grow_events(self, cap_c: int, cap_q: int) -> None:
        self.c_ts, self.c_ps, self.c_k = np.empty(cap_c, np.int64), np.empty(cap_c), np.empty(cap_c, np.int64)
        self.ci, self.cf = np.empty((cap_c, N_CI), np.int64), np.empty((cap_c, N_CF))
        self.q_ts, self.q_ps, self.q_k = np.empty(cap_q, np.int64), np.empty(cap_q), np.empty(cap_q, np.int64)
        self.qi, self.qf = np.empty((cap_q, N_QI), np.int64), np.empty((cap_q, N_QF))
        self.cw, self.qw = np.empty(8 * cap_c, np.uint32), np.empty(4 * cap_q, np.uint32)

    def _grow_prints(self, cap_p: int) -> None:
        self.pi, self.pf = np.empty((cap_p, N_PI), np.int64), np.empty(cap_p)
        self.pw = np.empty(4 * cap_p, np.uint32)

    def prepare(self, s0: int, s1: int) -> tuple[int, int]:
        si, par, keys = self.state_i, self.par, self.keys
        # gap words for a generous bound on the block's events (expected count x 1.5 + slack; doubled
        # and retried in the rare block that needs more: arrivals leaves the state untouched then)
        est_c = self._cum_c[s1] - self._cum_c[s0]
        est_q = self._cum_q[s1] - self._cum_q[s0]
        slack = 1.0
        while True:
            need_c = int(slack * (1.5 * est_c + 8.0 * math.sqrt(est_c) + 64.0))
            need_q = int(slack * (1.2 * est_q + 8.0 * math.sqrt(est_q) + 64.0))
            if self.c_ts.shape[0] < need_c or self.q_ts.shape[0] < need_q:
                self._grow_events(max(need_c, self.c_ts.shape[0]), max(need_q, self.q_ts.shape[0]))
            cidx, qidx = int(si[S_CIDX]), int(si[S_QIDX])
            gb0 = (cidx >> 1) + 1 if si[S_INIT] else 0
            hb0 = (qidx >> 2) + 1
            gw = self._words(0, (2 * (cidx + need_c) + 8) // 4 + 1 - gb0)
            hw = self._words(1, (qidx + need_q + 8) // 4 + 1 - hb0)
            fill_words(keys[2 * ST_GAPS], keys[2 * ST_GAPS + 1], gb0, gw)
            fill_words(keys[2 * ST_QGAPS], keys[2 * ST_QGAPS + 1], hb0, hw)
            nc, nq = arrivals(self.pt, self.lam_c, self.lam_q, s0, s1, self.open_ns, self.par, self.exp_tab,
                              gw, gb0, hw, hb0, self.state_i, self.state_f,
                              self.c_ts[:need_c], self.c_ps, self.c_k, self.q_ts[:need_q], self.q_ps, self.q_k)
            if nc >= 0:
                break
            slack *= 2.0
        if self.cw.shape[0] < 8 * nc or self.qw.shape[0] < 4 * nq:
            self.cw = np.empty(max(8 * nc, self.cw.shape[0]), np.uint32)
            self.qw = np.empty(max(4 * nq, self.qw.shape[0]), np.uint32)
        cw, qw = self.cw[:8 * nc], self.qw[:4 * nq]
        fill_words(keys[2 * ST_CLUSTER], keys[2 * ST_CLUSTER + 1], 2 * si[S_CIDX], cw)
        fill_words(keys[2 * ST_QUOTE], keys[2 * ST_QUOTE + 1], si[S_QIDX], qw)
        npr = cluster_draws(cw, par, nc, self.c_k, self.spr, self.ln_spread, self.ln_depth,
                            self.exp_tab, self.qv_tab, self.ci, self.cf)
        quote_draws(qw, par, nq, self.q_k, self.spr, self.ln_spread, self.ln_depth,
                    self.exp_tab, self.qv_tab, self.qi, self.qf)
        if self.pi.shape[0] < npr:
            self._grow_prints(max(npr, 2 * self.pi.shape[0]))
        pw = self.pw[:4 * npr]
        fill_words(keys[2 * ST_PRINT], keys[2 * ST_PRINT + 1], si[S_PIDX], pw)
        print_draws(pw, par, nc, self.ci, self.exp_tab, self.ln_depth, self.lot_cut_lit,
                    self.lot_cut_off, self.lit_tab, self.off_tab, self.qv_tab, self.pi, self.pf)
        print_fixup(pw, par, npr, self.pi)
        self._n = (nc, nq, npr)
        return npr, nq + 2 * nc

    def fill(self, *cols) -> tuple[int, int]:
        nc, nq, _ = self._n
        self._n = (0, 0, 0)
        return book(self.open_ns, self.par, self.state_i, nc, nq, self.c_ts, self.c_ps, self.ci.reshape(-1),
                    self.cf.reshape(-1), self.q_ts, self.q_ps, self.qi.reshape(-1), self.qf.reshape(-1),
                    self.pi.reshape(-1), self.pf, *cols)
