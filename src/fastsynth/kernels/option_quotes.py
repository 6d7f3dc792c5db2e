"""Option NBBO kernel: one underlying's chain quoted second by second, block by block.

Contract
--------
``quote_block(...)`` simulates seconds ``[s0, s1)`` of a session and writes the quote updates of that
block (rows in non-decreasing ``ts``) into ``o_ts, o_recv, o_c, o_bid, o_ask, o_bsz, o_asz``; it returns the
row count, or -1 if the output would overflow (the caller then retries from a COPY of the state with
larger buffers: on -1 the state arrays are partly advanced and must be discarded).

Inputs
  strike, log_k, sgn f64 (N,), expiry i32 (N,)   the chain (``options.chain.Chain``; grouped by expiry),
                        its log strikes and +1 call / -1 put;  elo i64 (E+1,): contracts of expiry e are
                        ``elo[e] <= c < elo[e+1]``
  sz_base f64 (N,)      mean displayed size, contracts;  wopt f64 (N,): optional-refresh weight
  cumw f64 (N,), guide  cumulative spontaneous-update weights (sum = 1); ``guide`` (uint, any length) is
                        written: the block's guide table of the contract choice
  atm_var, tau f64 (S+1, E)   the surface (``options.surface.Surface``) second-major: ATM total variance,
                        trading years to expiry
  und_mid f64 (S,)      underlying NBBO mid at the END of second s;  und_off i64 (S,): ns offset of its
                        change within second s, -1 = unchanged
  spont, h_opt f64 (S,) spontaneous updates per second (all contracts; mode x regime quote_mult x season);
                        hazard per second of an off-centre quote's optional refresh
  clean f64 (S,)        quote cleanliness 0..1;  swide f64 (S,): spread multiplier (regime); swide0 f64 (S,):
                        the same for same-day expiries (widening into the close); same_day i8 (E,)
  stab, ntab, etab f64  size multipliers, spread-noise multipliers, unit-exponential quantiles (tables)
  par f64               parameters, indices ``P_*``;  key0, key1: the Philox key of the quote stream
State (updated in place): per contract ``pub_*`` (published quote; ``pub_ts`` -1 = none yet), ``ev``
(last evaluation, rows: underlying, ATM variance, (unused), price, delta, gamma, d price / d variance, theta
per trading second), ``ev_s`` i32 (its second), ``due_from`` i32 (-1 once quoted, else the second the first
quote is due), ``noise`` (spread multiplier), ``hz`` (refresh budget); ``st_i`` = [stream index of
``ubuf[0]``, position in ``ubuf``], ``st_f`` = [unit-exponential residual of the spontaneous clock], ``ubuf``
f64: buffered uniforms of the quote stream. Scratch: ``flag`` u8 (N,), ``idx`` u64 (N,), ``work`` f64 (23, N)
(row 22: the refresh budgets' second buffer).

Model per second ``s`` (times in ns from the open):
1. spontaneous updates before the underlying's change (Poisson, total rate ``spont[s]``, contract drawn
   by weight): a new spread-noise draw and new sizes around the last theoretical value;
2. the re-quote burst at the underlying's change time (or mid-second when it did not change), one row
   per contract whose rounded quote changed, 2 us apart. Each contract's value is tracked by its
   delta-gamma-vega-theta expansion since its last exact evaluation (surface + BSM); it is re-priced
   exactly and re-quoted when that value comes within ``P_THR`` ticks of its bid or ask (forced: the quote
   must keep bracketing the value), after ``P_MAX_AGE`` seconds or a ``TAYLOR_MOVE`` underlying move, and
   — when the value is still inside but off the quote's centre by half a tick — with probability
   ``1 - P_KEEP - P_STALE * (1 - clean)`` per second (thinning to realistic rates; staleness);
3. the remaining spontaneous updates of the second.
Draws (one Philox stream, in order): per re-priced contract one uniform whose 52 random bits are split
into independent fields — its new refresh budget (top 10 bits: ``etab``) and, if a row is published, its
bid and ask size multipliers (10 + 10 bits: ``stab``) and receive latency (low 22 bits); per spontaneous
update three: the clock's exponential, the contract, and one split the same way (noise ``ntab``, sizes,
latency). Tables have ``TABLE_SIZE`` = 1024 entries.
Quotes: half-width ``max(tick, (A + B * price * (1 + TF * tau)) * swide * (1 + CW (1 - clean)) * noise) / 2``
around the theoretical value, bid floored and ask ceiled to the tick grid of the price (``P_SCHEME``:
0 = $0.01 everywhere; 1 = $0.01 below $3, $0.05 above; 2 = $0.05 / $0.10), bid >= 0 (a far OTM contract
shows bid 0 and a one-tick ask). Every published quote brackets the contract's arbitrage-free value
(the stale rule and the re-pricing threshold keep it inside), which is what makes the quotes free of
static arbitrage (see docs/options.md).
"""
from __future__ import annotations

import math

import numpy as np

from ._jit import helper_kernel, inline_kernel, kernel
from .blackscholes import _INV_SQRT_2PI, _SQRT1_2, exp_block, half_erfc
from .rng import uniforms, uniforms4

P_R, P_Q, P_B, P_RHO, P_S = 0, 1, 2, 3, 4            # rate, dividend yield, smile (b, rho, s)
P_A, P_BREL, P_TF, P_CW = 5, 6, 7, 8                  # width: absolute USD, relative, per-year, cleanliness
P_SCHEME = 9                                          # tick scheme 0/1/2
P_THR, P_MAX_AGE, P_STALE = 10, 11, 12                # re-price threshold (ticks), max age (s), stale prob
P_SIZE_SD, P_NOISE_SD = 13, 14                        # log-sd of sizes and of the spread noise
P_OPEN_NS, P_LAT_NS, P_RECV_NS = 15, 16, 17           # session open; quote latency after the underlying; feed
P_SEC_YEARS = 18                                      # trading years per second (1 / (252 * 23400))
P_KEEP = 19                                           # prob. a changed quote that still brackets is kept
N_PARAMS = 20

_NS = 1_000_000_000
TAYLOR_MOVE = 0.004    # re-price exactly when the underlying moved more than 0.4% since the last evaluation
_BURST_STEP_NS = 2_000
_U0, _U1, _U2, _U3, _U15 = np.uint64(0), np.uint64(1), np.uint64(2), np.uint64(3), np.uint64(15)
# a draw's 52 random bits (uniform = (bits + 0.5) / 2^52) split into independent fields: the top 10 index
# one 1024-entry table, the next 10 another, the next 10 a third, the low 22 a latency fraction
_TWO52 = 4503599627370496.0
_U22, _U32, _U42 = np.uint64(22), np.uint64(32), np.uint64(42)
_M10, _M22 = np.uint64(1023), np.uint64((1 << 22) - 1)
_INV22 = 1.0 / (1 << 22)
TABLE_SIZE = 1024      # stab, ntab, etab entries (10-bit fields)


@inline_kernel
def _tick(x, scheme):
    if scheme == 0:
        return 0.01
    if scheme == 1:
        return 0.01 if x < 3.0 else 0.05
    return 0.05 if x < 3.0 else 0.10


@inline_kernel
def _floor_px(x, scheme):
    """Largest price on the tick grid <= x (0 for x <= 0), in cents as a whole float. Branch-free (loops
    around it vectorize) and the same integers as integer arithmetic: for a whole ``0 <= c < 2**49``,
    ``floor(c * 0.2) == c // 5`` (the double nearest 0.2 exceeds it by less than half an ulp of the product,
    and a non-multiple is >= 0.2 from the next integer); likewise ``0.1`` and ``ceil``."""
    c = np.floor(x * 100.0 + 1e-7)
    c5 = 5.0 * np.floor(c * 0.2)
    c10 = 10.0 * np.floor(c * 0.1)
    hi = c >= 300.0
    r = (c5 if hi else c) if scheme == 1 else c
    r = (c10 if hi else c5) if scheme == 2 else r
    return 0.0 if x <= 0.0 else r


@inline_kernel
def _ceil_px(x, scheme):
    """Smallest price on the tick grid >= x (at least one tick), in cents as a whole float (branch-free)."""
    c = np.ceil(x * 100.0 - 1e-7)
    c5 = 5.0 * np.ceil(c * 0.2)
    c10 = 10.0 * np.ceil(c * 0.1)
    hi = c > 300.0
    r = (c5 if hi else c) if scheme == 1 else c
    r = (c10 if hi else c5) if scheme == 2 else r
    lo = 1.0 if scheme < 2 else 5.0
    return max(r, lo)


@inline_kernel
def _quote(price, tau, wa, wb, wtf, cwf, scheme):
    """(bid, ask) in cents around ``price``: half-width max(tick, (wa + wb price (1 + wtf tau)) cwf) / 2
    (``cwf`` = spread, cleanliness and noise factors)."""
    w = (wa + wb * price * (1.0 + wtf * tau)) * cwf
    h = 0.5 * max(_tick(price, scheme), w)
    return _floor_px(price - h, scheme), _ceil_px(price + h, scheme)


@inline_kernel
def _classify(lo, hi, s, S, th, live, due_from, ev_s, wopt, pub_bid, pub_ask, ev, hz, hz_out, h_opt, thr,
              max_age, scheme, flag):
    """Contracts ``lo <= c < hi`` (one expiry: ATM variance ``th``, ``live`` = not expired) at second ``s``
    with the underlying at ``S``: ``flag[c] = 1`` when it must be re-priced (first quote due; value by its
    Taylor expansion within ``thr`` ticks of the bid or ask; evaluation older than ``max_age`` s or the
    underlying moved ``TAYLOR_MOVE`` since; the optional-refresh hazard budget ``hz`` of an off-centre
    quote used up), else 0; returns the flagged count. ``due_from`` int32: -1 once quoted, else the first
    second of the first quote; ``ev_s`` int32: second of the last evaluation. Branch-free; ``lo``/``hi`` unsigned (no negative-index
    wraparound code: the loop vectorizes); narrow ints and the tick's products picked, not recomputed:
    ~35% faster than reading the int64 quote time and the float first-quote second (same decisions)."""
    ev_S, ev_th, ev_px, ev_d, ev_g, ev_vw, ev_tt = ev[0], ev[1], ev[3], ev[4], ev[5], ev[6], ev[7]
    lo_px = 0.01 if scheme < 2 else 0.05
    hi_px = 0.01 if scheme == 0 else (0.05 if scheme == 1 else 0.10)
    m_lo = thr * lo_px
    m_hi = thr * hi_px
    h_lo = 0.5 * lo_px
    h_hi = 0.5 * hi_px
    move = TAYLOR_MOVE * S
    nf = np.uint64(0)
    for c in range(lo, hi):
        df = due_from[c]
        started = df < 0
        age = s - ev_s[c]
        dS = S - ev_S[c]
        x = ev_px[c] + ev_d[c] * dS + 0.5 * ev_g[c] * dS * dS + ev_vw[c] * (th - ev_th[c]) + ev_tt[c] * age
        low = x < 3.0
        m = m_lo if low else m_hi          # thr * tick
        ht = h_lo if low else h_hi         # half a tick
        pb = pub_bid[c]
        pa = pub_ask[c]
        inside = ((pb == 0.0) | (pb + m <= x)) & (x <= pa - m)
        fresh = (age < max_age) & (math.fabs(dS) < move)
        offc = math.fabs(x - 0.5 * (pb + pa)) >= ht
        h0 = hz[c]
        h = h0 - (h_opt * wopt[c] if offc else 0.0)
        keep = started & inside & fresh & (h > 0.0)
        hz_out[c] = h if keep else h0
        due = s >= df
        f = np.uint8(1) if (live & due & (not keep)) else np.uint8(0)
        flag[c] = f
        nf += f
    return nf


@helper_kernel
def _scan(s, S, elo, atm_var, tau, due_from, ev_s, wopt, log_k, strike, sgn, noise, same_day, pub_bid, pub_ask,
          ev, hz, hz_out, h_opt, cwf0, cwf1, par, flag, idx, work):
    """The burst's selection at second ``s``: per expiry, classify its contracts (``_classify``), compact
    the flagged ones into ``idx`` (in contract order, without a branch) and, only for an expiry with
    flagged contracts, its discount factors; fills the re-pricing inputs (``work`` rows 9-16, see
    ``_reprice``) and row 17 = spread factor (``cwf0``/``cwf1``: regular/same-day spread x cleanliness,
    times the contract's noise). Returns the count."""
    r = par[P_R]
    q = par[P_Q]
    thr = par[P_THR]
    max_age = par[P_MAX_AGE]
    scheme = int(par[P_SCHEME])
    lnS = math.log(S)
    m = _U0
    ne = elo.shape[0] - 1
    n = np.uint64(elo[ne])
    for e in range(ne):
        lo = np.uint64(elo[e])
        hi = np.uint64(elo[e + 1])
        th = atm_var[s, e]
        ta = tau[s, e]
        # classify a whole number of vector iterations (16 contracts) when the chain goes on: the vectorized
        # loop's scalar remainder (up to 15 contracts per expiry) cost as much as a third of the pass. The
        # extra contracts belong to later expiries, whose own passes overwrite their flag and hz_out (the
        # budgets are read from ``hz`` and written to ``hz_out``, so a pass has no effect on its inputs);
        # ``nf`` may count them: then only a compaction pass that finds nothing
        hp = min(lo + ((hi - lo + _U15) & ~_U15), n)
        nf = _classify(lo, hp, s, S, th, ta > 0.0, due_from, ev_s, wopt, pub_bid, pub_ask, ev, hz, hz_out,
                       h_opt, thr, max_age, scheme, flag)
        if nf == 0:         # most expiry-seconds of the far dates: no compaction pass
            continue
        m0 = m
        for c in range(lo, hi):
            idx[m] = c
            m += flag[c]
        if m == m0:         # only contracts of later expiries were counted (the padded range)
            continue
        lnf = lnS + (r - q) * ta
        dq = math.exp(-q * ta)
        dr = math.exp(-r * ta)
        cw = cwf1 if same_day[e] else cwf0
        for j in range(m0, m):          # unsigned: no wraparound code on the ten accesses
            c = idx[j]
            work[9, j] = log_k[c]
            work[10, j] = strike[c]
            work[11, j] = sgn[c]
            work[12, j] = th
            work[13, j] = ta
            work[14, j] = lnf
            work[15, j] = dq
            work[16, j] = dr
            work[17, j] = cw * noise[c]
    return np.int64(m)


@helper_kernel
def _reprice(m, S, par, work):
    """Exact surface value and greeks of ``m`` compacted contracts at underlying ``S``. Inputs (rows of
    ``work``): 9 log strike, 10 strike, 11 sign (+1 call, -1 put), 12 ATM total variance, 13 tau,
    14 log forward, 15 e^{-q tau}, 16 e^{-r tau} (of the contract's expiry); outputs: 0 price, 1 total
    delta (BSM delta plus the smile's sticky-moneyness term), 2 gamma, 3 d price / d total variance,
    4 theta per year (5-8, 18-21 scratch). One exp per contract (log-moneyness from the log strike and the
    forward; ``exp_block``, within 2 ulp of libm's); the arithmetic loops have no calls and index from 0
    (they vectorize)."""
    r = par[P_R]
    q = par[P_Q]
    b = par[P_B]
    rho = par[P_RHO]
    ss2 = par[P_S] * par[P_S]
    bs = par[P_B] * par[P_S]
    px_, de_, ga_, vw_, tt_, k_, sq_, d1_, ex_ = (work[0], work[1], work[2], work[3], work[4], work[5], work[6],
                                                  work[7], work[8])
    lk, K, sg, th_, ta_, lnf_, dq_, dr_ = work[9], work[10], work[11], work[12], work[13], work[14], work[15], work[16]
    rt_, hk_ = work[20], work[21]
    for j in range(m):
        th = th_[j]
        rt = math.sqrt(th)
        k = lk[j] - lnf_[j]
        hk = math.sqrt(k * k + ss2 * th)
        w = th - bs * th + b * rt * (rho * k + hk)
        sq = math.sqrt(w)
        d1 = -k / sq + 0.5 * sq
        k_[j] = k
        sq_[j] = sq
        d1_[j] = d1
        ex_[j] = -0.5 * d1 * d1
        rt_[j] = rt          # kept for the smile slope below (the same two square roots, not recomputed)
        hk_[j] = hk
    # the Gaussian terms by the project's vectorized exp (libm's is a scalar call, a quarter of this pass)
    # into row 19 (rows 18-19 are free until ``_requote``; in and out distinct so the loop vectorizes)
    e1_ = work[19]
    exp_block(ex_, e1_, m, work[18].view(np.int64), work[18])
    for j in range(m):
        dq = dq_[j]
        k = k_[j]
        sq = sq_[j]
        d1 = d1_[j]
        e1 = e1_[j]
        d2 = d1 - sq
        Sq = S * dq
        Kr = K[j] * dr_[j]
        t1 = half_erfc(math.fabs(d1) * _SQRT1_2, e1)
        t2 = half_erfc(math.fabs(d2) * _SQRT1_2, e1 * Sq / Kr)
        sgn = sg[j]
        n1 = (1.0 - t1) if sgn * d1 > 0.0 else t1
        n2 = (1.0 - t2) if sgn * d2 > 0.0 else t2
        pdf = _INV_SQRT_2PI * e1
        a = Sq * n1
        bb = Kr * n2
        px_[j] = sgn * (a - bb)
        vw = Sq * pdf / (2.0 * sq)
        dwdk = b * rt_[j] * (rho + k / hk_[j])
        de_[j] = sgn * dq * n1 - vw * dwdk / S
        ga_[j] = dq * pdf / (S * sq)
        vw_[j] = vw
        tt_[j] = -vw * sq * sq / ta_[j] + sgn * (q * a - r * bb)     # -0.5 vega sigma / tau = -(dP/dw) w / tau


@helper_kernel
def _requote(m, wa, wb, wtf, scheme, work):
    """Quotes of the ``m`` re-priced contracts (``work`` row 0 price, 13 tau, 17 spread factor): row 18 bid,
    row 19 ask in USD. Branch-free, from index 0 (vectorizes)."""
    px_, ta_, cw_, bid_, ask_ = work[0], work[13], work[17], work[18], work[19]
    for j in range(m):
        bc, ac = _quote(px_[j], ta_[j], wa, wb, wtf, cw_[j], scheme)
        bid_[j] = bc / 100.0
        ask_[j] = ac / 100.0


@kernel
def quote_block(s0, s1, strike, log_k, sgn, expiry, elo, sz_base, wopt, cumw, guide, atm_var, tau,
                und_mid, und_off, spont, h_opt, clean, swide, swide0, same_day, stab, ntab, etab, par, key0, key1,
                pub_ts, pub_bid, pub_ask, pub_bsz, pub_asz, ev, ev_s, due_from, noise, hz, st_i, st_f, ubuf, flag,
                idx, work, o_ts, o_recv, o_c, o_bid, o_ask, o_bsz, o_asz):
    # indices that cannot be negative are unsigned (uint64 contract ids, draw and row positions): a signed
    # index costs negative-index wraparound code at every array access of these serial loops
    cap = np.uint64(o_ts.shape[0])
    scheme = int(par[P_SCHEME])
    open_ns = np.int64(par[P_OPEN_NS])
    lat = np.int64(par[P_LAT_NS])
    recv = par[P_RECV_NS]
    sec_years = par[P_SEC_YEARS]
    wa = par[P_A]
    wb = par[P_BREL]
    wtf = par[P_TF]
    wcw = par[P_CW]
    nbuf = np.uint64(ubuf.shape[0])
    nb3 = nbuf - _U3
    ngd = float(guide.shape[0])
    # the block's guide table for the spontaneous contract choice: guide[i] = first c with cumw[c] >= i / len
    # (numpy's searchsorted 'left' of i / len, as one merge walk: cumw is non-decreasing and ends at 1)
    g = np.uint64(0)
    for i in range(guide.shape[0]):
        u = i / ngd
        while cumw[g] < u:
            g += _U1
        guide[i] = g
    # the quote stream's uniforms: ubuf[ui] is draw number ub + ui. Before each group of draws (a burst's
    # m, a spontaneous update's 3) the buffer is refilled from the current draw on when fewer remain
    # (counter-based Philox: the same draws in the same order whatever the buffer size, >= N + 3)
    ub = st_i[0]
    ui = np.uint64(st_i[1])
    # refresh budgets double-buffered: ``hz`` (state) and ``work[22]``; cur_a = the current ones are in hz
    hz_a = hz
    hz_b = work[22]
    cur_a = True
    px_, de_, ga_, vw_, tt_, th_, bid_, ask_ = work[0], work[1], work[2], work[3], work[4], work[12], work[18], work[19]
    rows = np.uint64(0)
    last_ts = np.int64(0)
    for s in range(s0, s1):
        t0 = open_ns + np.int64(s) * _NS
        off = und_off[s]
        burst = off if off >= 0 else np.int64(_NS // 2)
        lam = spont[s]
        cl = clean[s]
        sw = swide[s]
        sw0 = swide0[s]
        clf = 1.0 + wcw * (1.0 - cl)
        tau_s = tau[s]
        done_burst = False
        resid = st_f[0]
        elapsed = 0.0          # share of the second consumed by the spontaneous clock
        while True:
            # next spontaneous update time in this second (exact Poisson: exponential residual clock)
            nxt = 2.0
            if lam > 0.0 and resid < lam * (1.0 - elapsed):
                nxt = elapsed + resid / lam
            nxt_ns = np.int64(nxt * _NS) if nxt < 1.0 else np.int64(_NS)
            if not done_burst and burst <= nxt_ns:
                # ---- the re-quote burst: classify, re-price the flagged contracts, publish changes ----
                done_burst = True
                S = und_mid[s]
                tb = t0 + burst + lat
                if tb < last_ts:
                    tb = last_ts
                # this second's budgets go to the other buffer (the classify pass reads one, writes the other)
                hz_new = hz_b if cur_a else hz_a
                m = _scan(s, S, elo, atm_var, tau, due_from, ev_s, wopt, log_k, strike, sgn, noise, same_day,
                          pub_bid, pub_ask, ev, hz_b if not cur_a else hz_a, hz_new, h_opt[s], sw * clf, sw0 * clf,
                          par, flag, idx, work)
                cur_a = not cur_a
                if m == 0:
                    continue
                _reprice(m, S, par, work)
                _requote(m, wa, wb, wtf, scheme, work)
                # one draw per re-priced contract (the count is known: the buffer is topped up once);
                # its 52 random bits are independent fields: refresh budget, bid and ask size, latency
                if ui + np.uint64(m) > nbuf:
                    ub += np.int64(ui)
                    ui = _U0
                    uniforms(key0, key1, ub, ubuf)
                for j in range(m):
                    c = idx[j]
                    # the new evaluation, stored in the same pass as the publication (one walk of idx)
                    ev[0, c] = S
                    ev[1, c] = th_[j]
                    ev_s[c] = s
                    ev[3, c] = px_[j]
                    ev[4, c] = de_[j]
                    ev[5, c] = ga_[j]
                    ev[6, c] = vw_[j]
                    ev[7, c] = tt_[j] * sec_years
                    bits = np.uint64(ubuf[ui] * _TWO52)
                    ui += _U1
                    hz_new[c] = etab[bits >> _U42]
                    bid = bid_[j]
                    ask = ask_[j]
                    if pub_ts[c] >= 0 and bid == pub_bid[c] and ask == pub_ask[c]:
                        continue
                    if rows >= cap:
                        return np.int64(-1)
                    sz = sz_base[c]
                    bsz = max(1, int(sz * stab[(bits >> _U32) & _M10] + 0.5))
                    asz = max(1, int(sz * stab[(bits >> _U22) & _M10] + 0.5))
                    o_recv[rows] = tb + np.int64(recv * (0.5 + (np.float64(bits & _M22) + 0.5) * _INV22))
                    pub_ts[c] = tb
                    due_from[c] = -1
                    pub_bid[c] = bid
                    pub_ask[c] = ask
                    pub_bsz[c] = bsz
                    pub_asz[c] = asz
                    o_ts[rows] = tb
                    o_c[rows] = c
                    o_bid[rows] = bid
                    o_ask[rows] = ask
                    o_bsz[rows] = bsz
                    o_asz[rows] = asz
                    rows += _U1
                    last_ts = tb
                    tb += _BURST_STEP_NS
                continue
            if nxt >= 1.0:
                break
            # ---- one spontaneous update ---------------------------------------------------------
            elapsed = nxt
            # three draws: the clock, the contract, and one whose bits give the noise, sizes and latency
            if ui > nb3:
                ub += np.int64(ui)
                ui = _U0
                uniforms(key0, key1, ub, ubuf)
            resid = -math.log(ubuf[ui])
            u = ubuf[ui + _U1]
            c = guide[np.uint64(u * ngd)]      # first c with cumw[c] >= u, from the guide table
            while cumw[c] < u:
                c += _U1
            bits = np.uint64(ubuf[ui + _U2] * _TWO52)
            ui += _U3
            e = expiry[c]
            ta = tau_s[e]
            if pub_ts[c] < 0 or ta <= 0.0:
                continue
            nz = ntab[bits >> _U42]
            noise[c] = nz
            bc, ac = _quote(ev[3, c], ta, wa, wb, wtf, ((sw0 if same_day[e] else sw) * clf) * nz, scheme)
            if rows >= cap:
                return np.int64(-1)
            ts = t0 + nxt_ns
            if ts < last_ts:
                ts = last_ts
            sz = sz_base[c]
            bsz = max(1, int(sz * stab[(bits >> _U32) & _M10] + 0.5))
            asz = max(1, int(sz * stab[(bits >> _U22) & _M10] + 0.5))
            o_recv[rows] = ts + np.int64(recv * (0.5 + (np.float64(bits & _M22) + 0.5) * _INV22))
            bid = bc / 100.0
            ask = ac / 100.0
            pub_ts[c] = ts
            pub_bid[c] = bid
            pub_ask[c] = ask
            pub_bsz[c] = bsz
            pub_asz[c] = asz
            o_ts[rows] = ts
            o_c[rows] = c
            o_bid[rows] = bid
            o_ask[rows] = ask
            o_bsz[rows] = bsz
            o_asz[rows] = asz
            rows += _U1
            last_ts = ts
        # carry the unused part of the exponential clock into the next second
        st_f[0] = resid - lam * (1.0 - elapsed) if lam > 0.0 else resid
    st_i[0] = ub
    st_i[1] = np.int64(ui)
    if not cur_a:
        for c in range(hz.shape[0]):
            hz[c] = hz_b[c]
    return np.int64(rows)


@kernel
def und_tape(log_price, tpu2, key0, key1, out_mid, out_off):
    """Underlying NBBO mid per second from the latent log-price path (S+1 points): the mid at the end of
    second s is the efficient price on the half-tick grid (``tpu2`` = 2 / tick); ``out_off[s]`` is the ns
    offset within the second of the change (uniform, from Philox block s), -1 when it did not change.
    Returns the mid at the open."""
    n = out_mid.shape[0]
    prev = round(math.exp(log_price[0]) * tpu2) / tpu2
    mid0 = prev
    for s in range(n):
        m = round(math.exp(log_price[s + 1]) * tpu2) / tpu2
        out_mid[s] = m
        if m != prev:
            a, _, _, _ = uniforms4(key0, key1, s)
            out_off[s] = np.int64(a * (_NS - 1_000_000))
        else:
            out_off[s] = -1
        prev = m
    return mid0
