"""Option NBBO kernel: one underlying's chain quoted second by second, block by block.

Contract
--------
``quote_block(...)`` simulates seconds ``[s0, s1)`` of a session and writes the quote updates of that
block (rows in non-decreasing ``ts``) into ``o_ts, o_recv, o_c, o_bid, o_ask, o_bsz, o_asz``; it returns the
row count, or -1 if the output would overflow (the caller then retries from a COPY of the state with
larger buffers: on -1 the state arrays are partly advanced and must be discarded).

Inputs
  strike f64 (N,), right i8 (N,), expiry i32 (N,)      the chain (``options.chain.Chain``)
  sz_base f64 (N,)      mean displayed size, contracts;  first_s f64 (N,): second of the first quote
  cumw f64 (N,)         cumulative spontaneous-update weights (sum = 1), contract choice by bisection
  atm_var, tau f64 (E, S+1)   the surface (``options.surface.Surface``): ATM total variance, trading years
  und_mid f64 (S,)      underlying NBBO mid at the END of second s;  und_off i64 (S,): ns offset of its
                        change within second s, -1 = unchanged;  mid0: the mid at the open
  spont f64 (S,)        spontaneous updates per second (all contracts; mode x regime quote_mult x season)
  clean f64 (S,)        quote cleanliness 0..1;  swide f64 (S,): spread multiplier (regime); swide0 f64 (S,):
                        the same for same-day expiries (widening into the close); same_day i8 (E,)
  par f64               parameters, indices ``P_*``;  key0, key1: the Philox key of the quote stream
State (updated in place): per contract ``pub_*`` (published quote; ``pub_ts`` -1 = none yet), ``ev_*``
(last evaluation: underlying, ATM variance, second, price, delta, gamma, d price / d variance, theta
per trading second), ``noise`` (spread multiplier); ``st_i`` = [stream index of ``ubuf[0]``, position in
``ubuf``], ``st_f`` = [unit-exponential residual of the spontaneous clock], ``ubuf`` f64: buffered uniforms
of the quote stream. ``ztab`` f64: standard normal quantiles at (i + 0.5) / len (sizes, spread noise).

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

from ._jit import inline_kernel, kernel
from .blackscholes import bs_all
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


@inline_kernel
def _u(k0, k1, st_i, ubuf):
    """Next uniform of the quote stream, through the buffer ``ubuf`` (st_i[0] = stream index of ubuf[0],
    st_i[1] = position in it); the draws are the stream's in order whatever the buffer size."""
    j = st_i[1]
    if j == ubuf.shape[0]:
        st_i[0] += ubuf.shape[0]
        uniforms(k0, k1, st_i[0], ubuf)
        j = 0
    st_i[1] = j + 1
    return ubuf[j]


@inline_kernel
def _tick(x, scheme):
    if scheme == 0:
        return 0.01
    if scheme == 1:
        return 0.01 if x < 3.0 else 0.05
    return 0.05 if x < 3.0 else 0.10


@inline_kernel
def _floor_px(x, scheme):
    """Largest price on the tick grid <= x (0 for x <= 0), in cents."""
    if x <= 0.0:
        return 0
    c = int(math.floor(x * 100.0 + 1e-7))
    if scheme == 1:
        if c >= 300:
            c -= c % 5
    elif scheme == 2:
        if c >= 300:
            c -= c % 10
        else:
            c -= c % 5
    return c


@inline_kernel
def _ceil_px(x, scheme):
    """Smallest price on the tick grid >= x (at least one tick), in cents."""
    c = int(math.ceil(x * 100.0 - 1e-7))
    if scheme == 1:
        if c > 300:
            c += (5 - c % 5) % 5
    elif scheme == 2:
        if c > 300:
            c += (10 - c % 10) % 10
        else:
            c += (5 - c % 5) % 5
    lo = 1 if scheme < 2 else 5
    return max(c, lo)


@kernel
def _quote(price, tau, par, swide, clean, noise):
    """(bid cents, ask cents) around ``price``."""
    scheme = int(par[P_SCHEME])
    w = (par[P_A] + par[P_BREL] * price * (1.0 + par[P_TF] * tau)) * swide * (1.0 + par[P_CW] * (1.0 - clean)) * noise
    h = 0.5 * max(_tick(price, scheme), w)
    return _floor_px(price - h, scheme), _ceil_px(price + h, scheme)


@inline_kernel
def _size(base, sd, u, ztab):
    return max(1, int(base * math.exp(sd * ztab[int(u * ztab.shape[0])] - 0.5 * sd * sd) + 0.5))


@kernel
def quote_block(s0, s1, strike, right, expiry, sz_base, first_s, cumw, atm_var, tau, und_mid, und_off, mid0,
                spont, clean, swide, swide0, same_day, ztab, par, key0, key1,
                pub_ts, pub_bid, pub_ask, pub_bsz, pub_asz, ev_S, ev_th, ev_s, ev_px, ev_d, ev_g, ev_vw, ev_tt, noise,
                st_i, st_f, ubuf,
                o_ts, o_recv, o_c, o_bid, o_ask, o_bsz, o_asz):
    n = strike.shape[0]
    cap = o_ts.shape[0]
    r = par[P_R]
    q = par[P_Q]
    b = par[P_B]
    rho = par[P_RHO]
    ss = par[P_S]
    scheme = int(par[P_SCHEME])
    thr = par[P_THR]
    max_age = par[P_MAX_AGE]
    p_stale = par[P_STALE]
    keep = par[P_KEEP]
    size_sd = par[P_SIZE_SD]
    noise_sd = par[P_NOISE_SD]
    open_ns = np.int64(par[P_OPEN_NS])
    lat = np.int64(par[P_LAT_NS])
    recv = par[P_RECV_NS]
    sec_years = par[P_SEC_YEARS]
    rows = 0
    last_ts = np.int64(0)
    for s in range(s0, s1):
        t0 = open_ns + np.int64(s) * _NS
        S = und_mid[s - 1] if s > 0 else mid0
        S_new = und_mid[s]
        off = und_off[s]
        burst = off if off >= 0 else np.int64(_NS // 2)
        lam = spont[s]
        cl = clean[s]
        sw = swide[s]
        sw0 = swide0[s]
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
                # ---- the re-quote burst --------------------------------------------------------
                done_burst = True
                S = S_new
                tb = t0 + burst + lat
                if tb < last_ts:
                    tb = last_ts
                for c in range(n):
                    if pub_ts[c] < 0 and s < first_s[c]:
                        continue
                    e = expiry[c]
                    th = atm_var[e, s]
                    ta = tau[e, s]
                    if ta <= 0.0:
                        continue
                    if pub_ts[c] >= 0 and s - ev_s[c] < max_age:
                        dS = S - ev_S[c]
                        if math.fabs(dS) < TAYLOR_MOVE * S:
                            # the value by its second-order expansion since the last evaluation
                            x = (ev_px[c] + ev_d[c] * dS + 0.5 * ev_g[c] * dS * dS
                                 + ev_vw[c] * (th - ev_th[c]) + ev_tt[c] * (s - ev_s[c]))
                            tk = _tick(x, scheme)
                            m = thr * tk
                            pb = pub_bid[c]
                            pa = pub_ask[c]
                            if (pb == 0.0 or pb + m <= x) and x <= pa - m:
                                # still inside the quote: refresh only an off-centre quote, and then
                                # only with probability 1 - keep - stale (thinning / staleness)
                                if math.fabs(x - 0.5 * (pb + pa)) < 0.5 * tk:
                                    continue
                                if _u(key0, key1, st_i, ubuf) < keep + p_stale * (1.0 - cl):
                                    continue
                    # re-price on the surface
                    K = strike[c]
                    fwd = S * math.exp((r - q) * ta)
                    k = math.log(K / fwd)
                    rt = math.sqrt(th)
                    w = th + b * rt * (rho * k + math.sqrt(k * k + ss * ss * th) - ss * rt)
                    sig = math.sqrt(w / ta)
                    px, de, ga, ve, tt, _ = bs_all(S, K, ta, sig, r, q, right[c])
                    ev_S[c] = S
                    ev_th[c] = th
                    ev_s[c] = s
                    ev_px[c] = px
                    # total delta: BSM delta plus the smile's (sticky-moneyness) vega term
                    dwdk = b * rt * (rho + k / math.sqrt(k * k + ss * ss * th))
                    ev_d[c] = de - ve * dwdk / (2.0 * sig * ta * S)
                    ev_g[c] = ga
                    ev_vw[c] = ve / (2.0 * sig * ta)
                    ev_tt[c] = tt * sec_years
                    bc, ac = _quote(px, ta, par, sw0 if same_day[e] else sw, cl, noise[c])
                    bid = bc / 100.0
                    ask = ac / 100.0
                    if pub_ts[c] >= 0 and bid == pub_bid[c] and ask == pub_ask[c]:
                        continue
                    if rows >= cap:
                        return -1
                    pub_ts[c] = tb
                    pub_bid[c] = bid
                    pub_ask[c] = ask
                    pub_bsz[c] = _size(sz_base[c], size_sd, _u(key0, key1, st_i, ubuf), ztab)
                    pub_asz[c] = _size(sz_base[c], size_sd, _u(key0, key1, st_i, ubuf), ztab)
                    o_ts[rows] = tb
                    o_recv[rows] = tb + np.int64(recv * (0.5 + _u(key0, key1, st_i, ubuf)))
                    o_c[rows] = c
                    o_bid[rows] = bid
                    o_ask[rows] = ask
                    o_bsz[rows] = pub_bsz[c]
                    o_asz[rows] = pub_asz[c]
                    rows += 1
                    last_ts = tb
                    tb += _BURST_STEP_NS
                continue
            if nxt >= 1.0:
                break
            # ---- one spontaneous update ---------------------------------------------------------
            elapsed = nxt
            resid = -math.log(_u(key0, key1, st_i, ubuf))
            u = _u(key0, key1, st_i, ubuf)
            lo, hi = 0, n - 1
            while lo < hi:
                mid = (lo + hi) >> 1
                if cumw[mid] < u:
                    lo = mid + 1
                else:
                    hi = mid
            c = lo
            zn = ztab[int(_u(key0, key1, st_i, ubuf) * ztab.shape[0])]
            if pub_ts[c] < 0 or tau[expiry[c], s] <= 0.0:
                continue
            noise[c] = math.exp(noise_sd * zn) if zn > 0.0 else 1.0
            px = ev_px[c]
            bc, ac = _quote(px, tau[expiry[c], s], par, sw0 if same_day[expiry[c]] else sw, cl, noise[c])
            if rows >= cap:
                return -1
            ts = t0 + nxt_ns
            if ts < last_ts:
                ts = last_ts
            pub_ts[c] = ts
            pub_bid[c] = bc / 100.0
            pub_ask[c] = ac / 100.0
            pub_bsz[c] = _size(sz_base[c], size_sd, _u(key0, key1, st_i, ubuf), ztab)
            pub_asz[c] = _size(sz_base[c], size_sd, _u(key0, key1, st_i, ubuf), ztab)
            o_ts[rows] = ts
            o_recv[rows] = ts + np.int64(recv * (0.5 + _u(key0, key1, st_i, ubuf)))
            o_c[rows] = c
            o_bid[rows] = pub_bid[c]
            o_ask[rows] = pub_ask[c]
            o_bsz[rows] = pub_bsz[c]
            o_asz[rows] = pub_asz[c]
            rows += 1
            last_ts = ts
        # carry the unused part of the exponential clock into the next second
        st_f[0] = resid - lam * (1.0 - elapsed) if lam > 0.0 else resid
    return rows


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
