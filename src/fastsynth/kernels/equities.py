"""Equity microstructure kernel: NBBO quotes and trade prints of one symbol over a block of seconds.

Contract
--------
``simulate_block`` advances one (symbol, session) partition through seconds ``[sec0, sec1)`` and writes
the quotes and prints of that span into caller-allocated columns; it returns ``(n_trades, n_quotes)``,
or ``(-1, -1)`` when an output column would overflow (the caller then retries with larger buffers from
a copy of the state it passed). ``state_i``/``state_f`` carry the partition's state between blocks
(counters of every random stream, the NBBO, the order-flow state) and are updated in place.

Inputs (per second ``k`` of the session, arrays of length ``S``; the path has ``S + 1`` points):
  pt         float64  efficient price in ticks at each second boundary (linear inside a second)
  lam_c      float64  trade-cluster arrivals per second (doubly stochastic: seasonality x volatility)
  lam_q      float64  quote-only NBBO update arrivals per second
  spr        float64  target spread in ticks (before noise)
  keys       int64    (10,) five Philox keys (k0, k1 pairs), indexed by the ST_* stream ids
  par        float64  model parameters, indices ``P_*`` below
  lit_tab, off_tab, qv_tab  int8 (QTAB,) venue codes by quantile (categorical draws by lookup)
  ln_depth, ln_spread, exp_tab  float64 quantile tables (QTAB,/QTAB+1,) of the log-normal multipliers
             and of the unit exponential; lot_cut_lit/lot_cut_off: Pareto lot thresholds
Units: ``open_ns`` int ns UTC; prices written in USD (lit on the tick grid ``1/tpu``, off-exchange on a
1/100-cent grid); sizes in shares.

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
from .rng import uniforms4

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
F_EC, F_EQ, F_EXC, F_EXC_T, F_EXC_NEXT = 0, 1, 2, 3, 4
N_STATE_F = 5

COND_REGULAR, COND_ODD, COND_ISO, COND_ISO_ODD, COND_OPEN, COND_CLOSE = 0, 1, 2, 3, 4, 5
SIDE_A, SIDE_B, SIDE_N = 0, 1, 2
MAX_PRINTS = 24      # prints per cluster, at most
HC_PER_USD = 10_000  # off-exchange price grid: 1/100 cent


NB = 256            # Philox blocks buffered per stream (4 uniforms each); refilled in one vectorizable loop
ST_GAPS, ST_QGAPS, ST_CLUSTER, ST_PRINT, ST_QUOTE = 0, 1, 2, 3, 4
N_STREAMS = 5
QTAB = 1024         # quantile-table resolution for log-normal multipliers


@kernel
def _refill(keys, buf, base, s, blk):
    """Compute blocks ``blk .. blk + NB - 1`` of stream ``s`` into ``buf[s]`` (one vectorizable loop)."""
    k0 = keys[2 * s]
    k1 = keys[2 * s + 1]
    row = buf[s]
    for j in range(NB):
        a, b, c, d = uniforms4(k0, k1, blk + j)
        row[4 * j] = a
        row[4 * j + 1] = b
        row[4 * j + 2] = c
        row[4 * j + 3] = d
    base[s] = blk


@inline_kernel
def _draw4(keys, buf, base, s, blk):
    """``uniforms4`` of stream ``s`` at block ``blk``, served from a buffer refilled NB blocks at a time.

    Bit-identical to ``uniforms4(keys[2s], keys[2s+1], blk)``: buffering only changes when blocks are
    computed (in bulk, which vectorizes), never which block a draw comes from.
    """
    off = blk - base[s]
    if off < 0 or off >= NB:
        _refill(keys, buf, base, s, blk)
        off = 0
    i = 4 * off
    return buf[s, i], buf[s, i + 1], buf[s, i + 2], buf[s, i + 3]


@inline_kernel
def _pick(table, u):
    """Categorical draw by lookup: ``table`` (QTAB,) holds the category of each 1/QTAB quantile."""
    return table[np.int64(u * QTAB)]


@inline_kernel
def _expo(u, exp_tab):
    """Unit-mean exponential draw by its quantile table, interpolated linearly inside a bin (for
    latencies and gaps where a 1/QTAB-quantized tail is ample; arrival times use the exact log)."""
    x = u * QTAB
    i = np.int64(x)
    return exp_tab[i] + (x - i) * (exp_tab[i + 1] - exp_tab[i])


@inline_kernel
def _display_size(depth, u, ln_tab):
    """Displayed size at the touch: log-normal around ``depth`` (``ln_tab`` holds the quantiles of the
    unit-mean multiplier), whole round lots, at least 100.

    Callers scale ``depth`` by where the efficient price sits: the side it is moving toward thins out,
    so top-of-book imbalance predicts the next mid move, as in real books.
    """
    lots = math.floor(depth * ln_tab[np.int64(u * QTAB)] / 100.0 + 0.5)
    if lots < 1.0:
        lots = 1.0
    if lots > 100000.0:
        lots = 100000.0
    return np.int64(lots) * 100


@inline_kernel
def _print_size(u_kind, u_tail, u_rem, p_odd, alpha, p_mixed, lot_cut):
    """Shares in one print: odd lot (1-99), or round lots with a Pareto tail, sometimes with a remainder.

    Lots are floor(u ** (-1/alpha)); ``lot_cut[j] = (j + 2) ** -alpha`` resolves the common small lot
    counts by comparison, so the power is evaluated only in the tail.
    """
    if u_kind < p_odd:
        return np.int64(1.0 + math.floor(99.0 * u_tail * u_tail))
    lots = 0.0
    for j in range(lot_cut.shape[0]):
        if u_tail > lot_cut[j]:
            lots = j + 1.0
            break
    if lots == 0.0:
        lots = math.floor(math.pow(u_tail, -1.0 / alpha))
    if lots > 20000.0:
        lots = 20000.0
    size = np.int64(lots) * 100
    if u_rem < p_mixed:
        size += np.int64(1.0 + math.floor(99.0 * u_rem / p_mixed))
    return size


@inline_kernel
def _next_excited(t, lam_e, beta, u):
    """Time of the next excitation-driven arrival after ``t`` (excitation ``lam_e`` at t, decay ``beta``):
    solves lam_e * (1 - exp(-beta s)) / beta = -log(u); never when the excitation cannot reach it."""
    d = 1.0 + beta * math.log(u) / lam_e if lam_e > 0.0 else -1.0
    if d <= 0.0:
        return 1e300
    return t - math.log(d) / beta


@inline_kernel
def _pstar(pt, k, frac):
    """Efficient price in ticks at fraction ``frac`` of second ``k`` (linear inside the second)."""
    return pt[k] + (pt[k + 1] - pt[k]) * frac


@inline_kernel
def _write_quote(i, ts, recv, bid, sprd, tpu, bsz, asz, bv, av, seq,
                 q_ts, q_recv, q_bid, q_ask, q_bsz, q_asz, q_bv, q_av, q_seq):
    """Write NBBO row ``i``: prices from integer ticks (``ticks / tpu`` keeps decimal text clean)."""
    q_ts[i] = ts
    q_recv[i] = recv
    q_bid[i] = bid / tpu
    q_ask[i] = (bid + sprd) / tpu
    q_bsz[i] = bsz
    q_asz[i] = asz
    q_bv[i] = bv
    q_av[i] = av
    q_seq[i] = seq


@kernel
def simulate_block(pt, lam_c, lam_q, spr, sec0, sec1, open_ns, keys, par, ln_depth, ln_spread, exp_tab,
                   lot_cut_lit, lot_cut_off, lit_tab, off_tab, qv_tab,
                   state_i, state_f, rbuf, rbase,
                   t_ts, t_recv, t_px, t_sz, t_side, t_venue, t_cond, t_seq,
                   q_ts, q_recv, q_bid, q_ask, q_bsz, q_asz, q_bv, q_av, q_seq):
    """Simulate seconds [sec0, sec1); see the module docstring. Returns (n_trades, n_quotes) or (-1, -1).

    pt: (S+1,) efficient price in ticks at second boundaries. ln_depth/ln_spread: (QTAB,) quantiles of
    the log-normal multipliers of displayed size (mean 1) and spread noise. rbuf (N_STREAMS, 4*NB) and
    rbase (N_STREAMS,) are the random-stream buffers (scratch; set rbase to -NB before the first block).
    """
    tpu = par[P_TPU]
    hc_per_tick = np.int64(HC_PER_USD / tpu + 0.5)
    depth = par[P_DEPTH]
    lat = par[P_LAT_LIT_NS]
    cap_t = t_ts.shape[0]
    cap_q = q_ts.shape[0]
    nt = 0
    nq = 0
    tseq = state_i[S_TSEQ]
    qseq = state_i[S_QSEQ]
    cidx = state_i[S_CIDX]
    pidx = state_i[S_PIDX]
    qidx = state_i[S_QIDX]
    aidx = state_i[S_AIDX]
    bidx = state_i[S_BIDX]
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
    ec = state_f[F_EC]
    eq = state_f[F_EQ]
    exc = state_f[F_EXC]
    exc_t = state_f[F_EXC_T]
    exc_next = state_f[F_EXC_NEXT]
    beta = par[P_HAWKES_BETA]
    h_jump = par[P_HAWKES_N] * beta
    if state_i[S_INIT] == 0:
        # the opening quote: centred on the efficient price at the open
        a0, a1, a2, a3 = _draw4(keys, rbuf, rbase, ST_QUOTE, qidx)
        b0, b1, b2, b3 = _draw4(keys, rbuf, rbase, ST_QUOTE, qidx + 1)
        qidx += 2
        ps = pt[sec0]
        s = math.floor(spr[sec0] * ln_spread[np.int64(a0 * QTAB)] + a1)
        sprd = np.int64(s) if s >= 1.0 else np.int64(1)
        bid = np.int64(math.floor(ps - 0.5 * sprd + 0.5))
        bsz = _display_size(depth, a2, ln_depth)
        asz = _display_size(depth, a3, ln_depth)
        bv = _pick(qv_tab, b0)
        av = _pick(qv_tab, b1)
        ts = open_ns + np.int64(b2 * 1e6)
        _write_quote(nq, ts, ts + np.int64(lat * (0.5 + 0.5 * _expo(b3, exp_tab))), bid, sprd, tpu,
                     bsz, asz, bv, av, qseq, q_ts, q_recv, q_bid, q_ask, q_bsz, q_asz, q_bv, q_av, q_seq)
        qseq += 1
        nq += 1
        last_qts = ts
        ec = -math.log(_draw4(keys, rbuf, rbase, ST_GAPS, aidx)[0])
        aidx += 1
        eq = -math.log(_draw4(keys, rbuf, rbase, ST_QGAPS, bidx)[0])
        bidx += 1
        exc = 0.0
        exc_t = float(sec0)
        exc_next = 1e300
        state_i[S_INIT] = 1
    for k in range(sec0, sec1):
        lc = lam_c[k]
        lq = lam_q[k]
        t0 = open_ns + np.int64(k) * 1_000_000_000
        pos_c = ec / lc if lc > 0.0 else 2.0
        pos_q = eq / lq if lq > 0.0 else 2.0
        pos_x = exc_next - k
        while pos_c < 1.0 or pos_q < 1.0 or pos_x < 1.0:
            if nt + MAX_PRINTS + 2 > cap_t or nq + 4 > cap_q:
                return -1, -1
            pos_cl = pos_c if pos_c < pos_x else pos_x
            is_cluster = pos_cl <= pos_q
            frac = pos_cl if is_cluster else pos_q
            ts = t0 + np.int64(frac * 1e9)
            ps = _pstar(pt, k, frac)
            # refresh a quote that no longer brackets the efficient price; quote-only events also flicker
            refresh = ps < bid or ps > bid + sprd
            if refresh or not is_cluster:
                c0, c1, c2, c3 = _draw4(keys, rbuf, rbase, ST_QUOTE, qidx)
                d0, d1, d2, d3 = _draw4(keys, rbuf, rbase, ST_QUOTE, qidx + 1)
                qidx += 2
                if not refresh and c0 < par[P_SIZE_ONLY]:
                    # one side's displayed size (and venue) changes; prices stay
                    pos = (ps - bid) / sprd
                    if c1 < 0.5:
                        bsz = _display_size(depth * (0.4 + 1.2 * pos), c3, ln_depth)
                        bv = _pick(qv_tab, d1)
                    else:
                        asz = _display_size(depth * (1.6 - 1.2 * pos), d2, ln_depth)
                        av = _pick(qv_tab, d3)
                else:
                    old_ask = bid + sprd
                    s = math.floor(spr[k] * ln_spread[np.int64(c1 * QTAB)] + c2)
                    sprd = np.int64(s) if s >= 1.0 else np.int64(1)
                    nb = np.int64(math.floor(ps - 0.5 * sprd + 0.5))
                    # a side whose level changed shows a new size and venue; else one side flickers
                    pos = (ps - nb) / sprd
                    if nb != bid or d0 < 0.5:
                        bsz = _display_size(depth * (0.4 + 1.2 * pos), c3, ln_depth)
                        bv = _pick(qv_tab, d1)
                    if nb + sprd != old_ask or d0 >= 0.5:
                        asz = _display_size(depth * (1.6 - 1.2 * pos), d2, ln_depth)
                        av = _pick(qv_tab, d3)
                    bid = nb
                qt = ts if ts > last_qts else last_qts
                _write_quote(nq, qt, qt + np.int64(lat * (0.5 + 0.5 * _expo(c0, exp_tab))), bid, sprd, tpu,
                             bsz, asz, bv, av, qseq, q_ts, q_recv, q_bid, q_ask, q_bsz, q_asz, q_bv, q_av, q_seq)
                qseq += 1
                nq += 1
                last_qts = qt
            if is_cluster:
                # ---- one parent order: its side, its prints and the NBBO change it causes

                u0, u1, u2, u3 = _draw4(keys, rbuf, rbase, ST_CLUSTER, 2 * cidx)
                u4, u5, u6, u7 = _draw4(keys, rbuf, rbase, ST_CLUSTER, 2 * cidx + 1)
                cidx += 1
                # side: the current meta-order, or flow leaning toward where the efficient price sits in the spread
                lean = (ps - bid) / sprd - 0.5
                pbuy = 0.5 + par[P_LEAN] * lean
                if mrem <= 0:
                    msign = 1 if u3 < pbuy else -1
                    mrem = np.int64(par[P_META_MIN] * math.pow(u4, -1.0 / par[P_META_ALPHA]))
                    if mrem > 5000:
                        mrem = 5000
                if u1 < par[P_META_W]:
                    sign = msign
                    mrem -= 1
                else:
                    sign = 1 if u5 < pbuy else -1
                off = u0 < par[P_OFF_SHARE]
                cont = par[P_OFF_CONT] if off else par[P_SWEEP_CONT]
                nprint = 1
                if cont > 0.0:
                    # geometric: one more print while u2 < cont**nprint (comparisons, no log)
                    thr = cont
                    while u2 < thr and nprint < MAX_PRINTS:
                        nprint += 1
                        thr *= cont
                if nprint > MAX_PRINTS:
                    nprint = MAX_PRINTS
                alpha = par[P_ALPHA_OFF] if off else par[P_ALPHA_LIT]
                tcur = ts if ts > last_tts else last_tts
                touched = False
                for j in range(nprint):
                    v0, v1, v2, v3 = _draw4(keys, rbuf, rbase, ST_PRINT, 2 * pidx)
                    w0, w1, w2, w3 = _draw4(keys, rbuf, rbase, ST_PRINT, 2 * pidx + 1)
                    pidx += 1
                    # v0 decides "same timestamp"; rescaled within its branch it is a fresh uniform for latency
                    psame = par[P_SAME_TS]
                    ulat = v0 / psame if v0 < psame else (v0 - psame) / (1.0 - psame)
                    if j > 0 and v0 >= psame:
                        tcur += 1000 + np.int64(par[P_GAP_NS] * _expo(w3, exp_tab))
                    size = _print_size(v1, v2, v3, par[P_ODD], alpha, par[P_MIXED], lot_cut_off if off else lot_cut_lit)
                    odd = size < 100
                    if off:
                        venue = _pick(off_tab, w0)
                        bid_hc = bid * hc_per_tick
                        ask_hc = (bid + sprd) * hc_per_tick
                        if w1 < par[P_MID_SHARE]:
                            px_hc = (bid_hc + ask_hc) // 2
                        elif w1 < par[P_MID_SHARE] + par[P_IMPROVE_SHARE]:
                            imp = 1 + np.int64(math.floor(w2 * 0.45 * (ask_hc - bid_hc)))
                            px_hc = ask_hc - imp if sign > 0 else bid_hc + imp
                        else:
                            px_hc = ask_hc if sign > 0 else bid_hc
                        price = px_hc / HC_PER_USD
                        side = SIDE_N
                        cond = COND_ODD if odd else COND_REGULAR
                        recv = tcur + np.int64(par[P_LAT_OFF_NS] * (0.2 + 0.8 * _expo(ulat, exp_tab)))
                    else:
                        venue = _pick(lit_tab, w0)
                        if sprd >= 2 and w1 < par[P_INSIDE]:
                            # hidden / midpoint liquidity on an exchange: inside the spread, on the tick grid
                            ptk = bid + (sprd + 1) // 2 if sign > 0 else bid + sprd // 2
                        elif sign > 0:
                            ptk = bid + sprd
                            if size >= asz:       # the print takes the whole displayed ask: the ask steps up
                                sprd += 1
                                asz = _display_size(depth, w2, ln_depth)
                                av = _pick(qv_tab, w3)
                            elif size >= 100:
                                asz -= size - size % 100
                            touched = True
                        else:
                            ptk = bid
                            if size >= bsz:
                                bid -= 1
                                sprd += 1
                                bsz = _display_size(depth, w2, ln_depth)
                                bv = _pick(qv_tab, w3)
                            elif size >= 100:
                                bsz -= size - size % 100
                            touched = True
                        price = ptk / tpu
                        side = SIDE_A if sign > 0 else SIDE_B
                        if nprint > 1:
                            cond = COND_ISO_ODD if odd else COND_ISO
                        else:
                            cond = COND_ODD if odd else COND_REGULAR
                        recv = tcur + np.int64(lat * (0.5 + 0.5 * _expo(ulat, exp_tab)))
                    t_ts[nt] = tcur
                    t_recv[nt] = recv
                    t_px[nt] = price
                    t_sz[nt] = size
                    t_side[nt] = side
                    t_venue[nt] = venue
                    t_cond[nt] = cond
                    t_seq[nt] = tseq
                    tseq += 1
                    nt += 1
                last_tts = tcur
                if touched:
                    # the NBBO after the parent order (sizes consumed, or a level taken), microseconds later
                    qt = tcur + 2000 + np.int64(lat * u6)
                    if qt < last_qts:
                        qt = last_qts
                    _write_quote(nq, qt, qt + np.int64(lat * (0.5 + 0.5 * _expo(u7, exp_tab))), bid, sprd, tpu,
                                 bsz, asz, bv, av, qseq, q_ts, q_recv, q_bid, q_ask, q_bsz, q_asz, q_bv, q_av, q_seq)
                    qseq += 1
                    nq += 1
                    last_qts = qt
                ea, eb, _, _ = _draw4(keys, rbuf, rbase, ST_GAPS, aidx)
                aidx += 1
                if pos_c <= pos_x:      # a baseline arrival: draw the baseline's next gap
                    pos_c = pos_c + _expo(ea, exp_tab) / lc
                # every arrival excites: decay to now, jump, and redraw the next excited arrival
                now = k + frac
                exc = exc * math.exp(-beta * (now - exc_t)) + h_jump
                exc_t = now
                exc_next = _next_excited(now, exc, beta, eb)
                pos_x = exc_next - k
            else:
                e = _expo(_draw4(keys, rbuf, rbase, ST_QGAPS, bidx)[0], exp_tab)
                bidx += 1
                pos_q = pos_q + e / lq
        # carry the unused exponential mass into the next second
        ec = (pos_c - 1.0) * lc if lc > 0.0 else ec
        eq = (pos_q - 1.0) * lq if lq > 0.0 else eq
    state_i[S_TSEQ] = tseq
    state_i[S_QSEQ] = qseq
    state_i[S_CIDX] = cidx
    state_i[S_PIDX] = pidx
    state_i[S_QIDX] = qidx
    state_i[S_AIDX] = aidx
    state_i[S_BIDX] = bidx
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
    state_f[F_EC] = ec
    state_f[F_EQ] = eq
    state_f[F_EXC] = exc
    state_f[F_EXC_T] = exc_t
    state_f[F_EXC_NEXT] = exc_next
    return nt, nq
