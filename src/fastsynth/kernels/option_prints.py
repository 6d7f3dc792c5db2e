"""Option print kernels: background arrivals, and the per-print NBBO context and price placement.

``plan_noise`` — neutral background prints of one block (arrays in, arrays out):
  ``lam`` float64 (S,) expected prints per second of the session (already scaled by seasonality, the
  regime's ``option_activity`` and the market mode); seconds ``[s0, s1)``; ``open_ns`` the session open;
  ``(k0, k1)`` the Philox key of the partition's noise stream; ``state`` int64 (2,) = [prints drawn so
  far in the session (the counter), unused] and ``fstate`` float64 (1,) = [intensity still to consume
  before the next arrival] — both carried from block to block and updated; ``cdf`` float64 (C,) the
  cumulative contract-choice weights (last = 1); ``ref_px`` float64 (C,) a reference premium per contract
  (caps noise notional); ``venue_tab`` int8 (1024,) venue code per 1/1024 quantile. Writes ``ts``,
  ``contract`` (int32), ``place`` (int8 desired placement), ``fallback`` (int8, -1 none), ``size``
  (uint32), ``venue`` (int8), ``cond`` (int8), ``lat`` (int64 ns, ts_recv - ts_event); returns the number
  of rows, or -1 when the buffers are too small (the caller retries larger from the same state copy).

``fill_prints`` — the per-print work: for requests sorted by ``ts`` (ties in creation order), the as-of
  lookup of the contract NBBO (last quote with ts <= print ts, starting from the per-contract state at
  the block start ``cur_ts``/``cur_bid``/``cur_ask``, -1 = no quote yet; these arrays are updated) and of
  the underlying mid (tape ``u_ts``/``u_mid``; ``u_prev_ts``/``u_prev_mid`` (1,) carried from the previous
  block, ts -1 = none), the price chosen FROM that NBBO to land on the requested placement (``place`` of
  ``kernels.placement``: A = the ask, B = the bid, MID = the cent-rounded midpoint strictly inside,
  AA/BB = ``walk`` quote increments through the ask/bid, the increment of the chain's ``scheme``), falling back to ``fallback`` when the requested placement cannot be met (one-tick
  spread for MID, no bid to sell at) and dropping the print otherwise (no usable quote). A multi-leg
  order (consecutive requests sharing a non-zero ``struct``) is dropped whole when one leg is dropped.
  Kept rows are compacted into the ``o_*`` outputs (n-sized) with ``o_idx`` = index of the request and
  ``o_seq`` = ``seq0`` + row. The placement written is re-checked with ``placement.place`` on the price
  written, so it equals what analytics reads back from the tape. Returns the number of kept rows. Two
  passes: the serial as-of lookups, then the prices and placements branch-free (``_px_code``).

``iv_delta`` — Black-Scholes implied vol and delta of each print: blocks of ``IV_BLOCK`` prints, vectorized
  4th-order Householder steps from the surface vol (``_iv_setup``/``_iv_first``/``_iv_step``, exp and log by
  ``blackscholes.exp_block``/``log_block``; the delta from the last step's own evaluation), a pool of the
  unconverged stepped IV_BLOCK at a time, the scalar ``implied_vol_delta1`` for the rest; NaN where the
  price is outside the no-arbitrage bounds.
"""
from __future__ import annotations

import math

import numpy as np

from ._jit import helper_kernel, inline_kernel, kernel
from .placement import PLACEMENT_TOL, place
from .blackscholes import (_INV_SQRT_2PI, _SQRT1_2, exp_block, half_erfc_mid_nd, half_erfc_nd, implied_vol_delta,
                           log_block)
from .rng import ndtri, uniforms4

__all__ = ["plan_noise", "advance_quotes", "select_penalty", "fill_prints", "iv_delta", "NS_YEAR", "AA", "A", "MID", "B", "BB", "NOISE_NOTIONAL_CAP", "QTAB"]

AA, A, MID, B, BB = 0, 1, 2, 3, 4
COND_AUTO, COND_SLAN = 0, 2
QTAB = 1024
NOISE_NOTIONAL_CAP = 9_000.0     # USD: background prints stay below the 10k smart-money floor
NOISE_SIZE_MEDIAN, NOISE_SIZE_SD, NOISE_SIZE_MAX = 2.0, 0.9, 50.0
NOISE_A, NOISE_B = 0.42, 0.84    # cumulative shares of ask-side, bid-side prints (rest: midpoint)
NOISE_SLAN = 0.5                 # share of midpoint prints that come from a price-improvement auction
LAT_MEDIAN_NS, LAT_SD = 400_000.0, 0.6   # feed latency ts_recv - ts_event: log-normal
_LOG_LAT = math.log(LAT_MEDIAN_NS)
_LOG_SIZE = math.log(NOISE_SIZE_MEDIAN)
NS_YEAR = 252.0 * 23_400.0 * 1e9   # tau convention (options.chain): trading years, 252 sessions of 23,400 s


@helper_kernel
def _u4(k0, k1, blk):
    """``rng.uniforms4`` compiled once and called (inlining the unrolled Philox at every call site costs
    seconds of cold-start compile time and buys nothing here)."""
    return uniforms4(k0, k1, blk)


@helper_kernel
def _ndtri(p):
    """``rng.ndtri`` compiled once and called (see ``_u4``)."""
    return ndtri(p)


@kernel
def plan_noise(lam, s0, s1, open_ns, k0, k1, state, fstate, cdf, ref_px, venue_tab,
               ts, contract, place_, fallback, size, venue, cond, lat):
    cap = ts.shape[0]
    n = 0
    cnt = state[0]
    need = fstate[0]
    if need <= 0.0:
        u0, _, _, _ = _u4(k0, k1, 2 * cnt)
        need = -math.log(u0)
    s = s0
    frac = 0.0
    while s < s1:
        rate = lam[s]
        avail = rate * (1.0 - frac)
        if need > avail or rate <= 0.0:
            need -= avail if rate > 0.0 else 0.0
            s += 1
            frac = 0.0
            continue
        frac += need / rate
        if frac >= 1.0:
            frac = 0.999999999
        if n >= cap:
            return -1
        # draws of print `cnt`: block 2*cnt (its first word was the gap), block 2*cnt + 1
        _, uc, up, us = _u4(k0, k1, 2 * cnt)
        uv, ul, ux, un = _u4(k0, k1, 2 * cnt + 1)
        t = open_ns + np.int64(s) * np.int64(1_000_000_000) + np.int64(frac * 1e9)
        ts[n] = t
        lo, hi = 0, cdf.shape[0] - 1      # first c with cdf[c] >= uc (written out: an inlined helper
        while lo < hi:                    # taking the array would pay reference counting per print)
            mid = (lo + hi) >> 1
            if cdf[mid] < uc:
                lo = mid + 1
            else:
                hi = mid
        c = lo
        contract[n] = c
        if up < NOISE_A:
            place_[n] = A
            fallback[n] = -1
            cond[n] = COND_AUTO
        elif up < NOISE_B:
            place_[n] = B
            fallback[n] = -1
            cond[n] = COND_AUTO
        else:
            place_[n] = MID
            fallback[n] = A if un < 0.5 else B
            cond[n] = COND_SLAN if ux < NOISE_SLAN else COND_AUTO
        sz = math.floor(math.exp(_LOG_SIZE + NOISE_SIZE_SD * _ndtri(us)))
        if sz < 1.0:
            sz = 1.0
        if sz > NOISE_SIZE_MAX:
            sz = NOISE_SIZE_MAX
        cap_sz = math.floor(NOISE_NOTIONAL_CAP / (100.0 * ref_px[c] + 1e-9))
        if sz > cap_sz:
            sz = cap_sz if cap_sz >= 1.0 else 1.0
        size[n] = np.uint32(sz)
        venue[n] = venue_tab[int(uv * QTAB)]
        lat[n] = np.int64(math.exp(_LOG_LAT + LAT_SD * _ndtri(ul)))
        n += 1
        cnt += 1
        u0, _, _, _ = _u4(k0, k1, 2 * cnt)
        need = -math.log(u0)
    state[0] = cnt
    fstate[0] = need
    return n


@inline_kernel
def _quote_ok(bid, ask):
    return ask > 0.0 and bid >= 0.0 and bid <= ask


@inline_kernel
def _step(scheme, ask):
    """Quote price increment (``options.chain.tick_scheme``): 0 penny everywhere, 1 penny below 3 USD and
    nickel above, 2 nickel below 3 USD and dime above."""
    if scheme == 0:
        return 0.01
    if scheme == 1:
        return 0.01 if ask < 3.0 else 0.05
    return 0.05 if ask < 3.0 else 0.10


@inline_kernel
def _price_for(pl, walk, bid, ask, scheme):
    """Price landing on placement ``pl`` against (bid, ask), or -1.0 when impossible."""
    if pl == A:
        return ask
    if pl == B:
        return bid if bid >= 0.01 - PLACEMENT_TOL else -1.0
    if pl == MID:
        return math.floor((bid + ask) * 50.0 + 0.5) / 100.0
    step = _step(scheme, ask)
    if pl == AA:
        return math.floor((ask + walk * step) * 100.0 + 0.5) / 100.0
    px = math.floor((bid - walk * step) * 100.0 + 0.5) / 100.0
    return px if px >= 0.01 - PLACEMENT_TOL else -1.0


@kernel
def advance_quotes(q_ts, q_c, q_bid, q_ask, pos, t, st, bid, ask):
    """Per-contract last quote with ts <= ``t``: applies quote rows ``pos, pos+1, ...`` (sorted by ts) of the
    block tape while their ts <= ``t`` to the state ``st``/``bid``/``ask`` (updated in place) and returns the
    new position. Called with non-decreasing ``t``, a block's snapshots cost one pass over its tape."""
    n = q_ts.shape[0]
    while pos < n and q_ts[pos] <= t:
        c = q_c[pos]
        st[c] = q_ts[pos]
        bid[c] = q_bid[pos]
        ask[c] = q_ask[pos]
        pos += 1
    return pos


@kernel
def select_penalty(lnm, c_tau, rem_y, tau_floor, vol, right, lo, hi, event_exp, d0, d1, c_exp, c_dte, c_right,
                   ts0, bid0, ask0, need_bid, max_price, pen, dd, ok, cand):
    """Burst contract selection (``options.prints.PrintGenerator._select``), the same arithmetic as its
    numpy form, element by element: per contract the reference d1 ``z = (lnm + sq^2 / 2) / sq`` (``lnm`` =
    log(spot / K) from numpy, sq = vol sqrt(max(tau + rem_y, tau_floor))), ``dz`` = distance of the
    right-signed z outside [lo, hi], ``dd`` = distance outside the DTE band [d0, d1] (or, ``event_exp`` >= 0,
    from the event expiry), ``ok`` = right matches and quoted (a bid >= 0.05 when ``need_bid``), ``pen`` =
    4 dd + dz + the premium over ``max_price`` (inf where not ok). Writes the indices with pen <= best + 0.05
    into ``cand``; returns (best, their number)."""
    n = lnm.shape[0]
    best = np.inf
    nan = False
    for i in range(n):
        tau = c_tau[i] + rem_y
        tau = tau if (tau >= tau_floor) | (tau != tau) else tau_floor       # np.maximum
        sq = vol * math.sqrt(tau)
        z = (lnm[i] + 0.5 * sq * sq) / sq
        zz = z if right == 0 else -z
        a = lo - zz
        b = zz - hi
        dz = (a if (a >= 0.0) | (a != a) else 0.0) + (b if (b >= 0.0) | (b != b) else 0.0)
        if event_exp >= 0:
            e = c_exp[i]
            ddi = 0.0 if e == event_exp else 1.0 + abs(e - event_exp) / 7.0
        else:
            t = c_dte[i]
            ddi = (max(d0 - t, 0) + max(t - d1, 0)) / (d1 + 1.0)
        dd[i] = ddi
        ak = ask0[i]
        oki = (c_right[i] == right) & (ts0[i] >= 0) & (ak > 0)
        if need_bid:
            oki &= bid0[i] >= 0.05
        ok[i] = oki
        p = 4.0 * ddi + dz + ((1.0 + ak - max_price) if ak > max_price else 0.0)
        p = p if oki else np.inf
        pen[i] = p
        if p < best:
            best = p
        nan |= p != p
    if nan:                     # as numpy's min: NaN wins (the caller then finds no contract)
        return np.nan, 0
    k = 0
    lim = best + 0.05
    for i in range(n):
        if pen[i] <= lim:
            cand[k] = i
            k += 1
    return best, k


@inline_kernel
def _px_code(pl, w, bid, ask, step, tol):
    """Branch-free ``_price_for`` (same bits) and the ``place`` code of that price against a usable quote
    (``_quote_ok``): every candidate computed, the requested one selected (a random placement per print
    made the branchy form mispredict)."""
    pb = bid if bid >= 0.01 - tol else -1.0
    pm = math.floor((bid + ask) * 50.0 + 0.5) / 100.0
    ws = w * step
    paa = math.floor((ask + ws) * 100.0 + 0.5) / 100.0
    pbb = math.floor((bid - ws) * 100.0 + 0.5) / 100.0
    pbb = pbb if pbb >= 0.01 - tol else -1.0
    px = pbb
    px = paa if pl == AA else px
    px = pm if pl == MID else px
    px = pb if pl == B else px
    px = ask if pl == A else px
    # placement.place for a usable quote, as a select chain (its tests in reverse precedence order)
    code = MID
    code = B if px <= bid + tol else code
    code = BB if px < bid - tol else code
    code = A if px >= ask - tol else code
    code = AA if px > ask + tol else code
    return px, (px > 0.0) & (code == pl)


@kernel
def fill_prints(r_ts, r_c, r_place, r_walk, r_fb, r_struct,
                q_ts, q_c, q_bid, q_ask, cur_ts, cur_bid, cur_ask,
                u_ts, u_mid, u_prev_ts, u_prev_mid, scheme, seq0,
                o_idx, o_price, o_bid, o_ask, o_age, o_upx, o_uage, o_place, o_seq):
    n = r_ts.shape[0]
    nq = q_ts.shape[0]
    nu = u_ts.shape[0]
    qi = 0
    ui = 0
    ulast_ts = u_prev_ts[0]
    ulast_mid = u_prev_mid[0]
    tol = PLACEMENT_TOL
    # pass 1 (serial): the as-of NBBO of the print's contract and the underlying's mid
    for i in range(n):
        t = r_ts[i]
        while qi < nq and q_ts[qi] <= t:
            c = q_c[qi]
            cur_ts[c] = q_ts[qi]
            cur_bid[c] = q_bid[qi]
            cur_ask[c] = q_ask[qi]
            qi += 1
        while ui < nu and u_ts[ui] <= t:
            ulast_ts = u_ts[ui]
            ulast_mid = u_mid[ui]
            ui += 1
        if ulast_ts < 0:                       # before the underlying's first quote: its first mid, age 0
            o_upx[i] = u_mid[ui] if ui < nu else np.nan
            o_uage[i] = 0
        else:
            o_upx[i] = ulast_mid
            o_uage[i] = t - ulast_ts
        c = r_c[i]
        o_bid[i] = cur_bid[c]
        o_ask[i] = cur_ask[c]
        o_age[i] = t - cur_ts[c]
    u_prev_ts[0] = ulast_ts
    u_prev_mid[0] = ulast_mid
    # pass 2 (branch-free): the price landing on the requested placement, else on the fallback
    s_lo = 0.01 if scheme <= 1 else 0.05       # _step: the increment below / from 3 USD
    s_hi = 0.01 if scheme == 0 else (0.05 if scheme == 1 else 0.10)
    for i in range(n):
        bid = o_bid[i]
        ask = o_ask[i]
        ok = (r_ts[i] - o_age[i] >= 0) & (ask > 0.0) & (bid >= 0.0) & (bid <= ask)   # quoted, _quote_ok
        step = s_lo if ask < 3.0 else s_hi
        pl = r_place[i]
        fb = r_fb[i]
        px, g1 = _px_code(pl, r_walk[i], bid, ask, step, tol)
        px2, g2 = _px_code(fb, 1, bid, ask, step, tol)
        g2 = g2 & (fb >= 0)
        got = pl if g1 else (fb if g2 else -1)
        o_place[i] = got if ok else -1
        o_price[i] = px if g1 else px2
    # a multi-leg order prints all its legs or none
    i = 0
    while i < n:
        s = r_struct[i]
        j = i + 1
        if s != 0:
            while j < n and r_struct[j] == s:
                j += 1
            bad = False
            for k in range(i, j):
                if o_place[k] < 0:
                    bad = True
            if bad:
                for k in range(i, j):
                    o_place[k] = -1
        i = j
    # compaction; the rows before the first dropped one stay where they are
    m = 0
    while m < n and o_place[m] >= 0:
        m += 1
    for i in range(m):
        o_idx[i] = i
        o_seq[i] = seq0 + i
    for i in range(m, n):
        if o_place[i] >= 0:
            o_idx[m] = i
            o_price[m] = o_price[i]
            o_bid[m] = o_bid[i]
            o_ask[m] = o_ask[i]
            o_age[m] = o_age[i]
            o_upx[m] = o_upx[i]
            o_uage[m] = o_uage[i]
            o_place[m] = o_place[i]
            o_seq[m] = seq0 + m
            m += 1
    return m


@helper_kernel
def _iv_setup(m, price, S, contract, K, tau_close, right, guess, ts, close_ns, r, q, tau_, dq_, Kr_, Sq_, x_, s_,
              tg_, sg_, sr_, rt_, ok_, t1_, t2_, Kc_, gc_, rc_, ib, fb):
    """Per print of a block (contract ``contract[j]``, its strike/tau/right/guess gathered here): time to expiry, discounts, x = log(S e^{-q tau} / K e^{-r tau}), the
    out-of-the-money target price, its side (``sg_`` +1 call / -1 put), the delta's side (``sr_``, the
    print's right), sqrt(tau), the start s = guess sqrt(tau) and ``ok_`` = 1 when the blocked steps apply,
    2 when the price clearly has no solution (NaN), else 0 (dummy values: the scalar solver decides). Branch-free selects; exps and the log by
    ``exp_block``/``log_block`` (vectorized, with input and output arrays distinct: an in-place call fails
    LLVM's runtime overlap check and takes the scalar loop, ~7x slower)."""
    for j in range(m):                       # the gathers on their own (with them the arithmetic stays scalar)
        c = contract[j]
        tau_[j] = tau_close[c]
        Kc_[j] = K[c]
        gc_[j] = guess[c]
        rc_[j] = right[c]
    for j in range(m):
        rem = close_ns - ts[j]
        tau = tau_[j] + (rem if rem > 0 else 0) / NS_YEAR
        tau_[j] = tau
        t1_[j] = -q * tau
        t2_[j] = -r * tau
    if q == 0.0:
        for j in range(m):
            dq_[j] = 1.0                     # = exp_block(-0.0), exactly
    else:
        exp_block(t1_, dq_, m, ib, fb)
    exp_block(t2_, Kr_, m, ib, fb)
    for j in range(m):
        tau = tau_[j]
        p = price[j]
        Si = S[j]
        Ki = Kc_[j]
        g = gc_[j]
        Sq = Si * dq_[j]
        Kr = Ki * Kr_[j]
        fwd = Sq - Kr
        call = Kr >= Sq
        isc = rc_[j] == 0.0
        adj = -fwd if (isc & (not call)) else (fwd if ((not isc) & call) else 0.0)
        otm = p + adj
        upper = Sq if isc else Kr
        rt = math.sqrt(tau if tau > 0.0 else 1.0)
        s = g * rt
        ok = ((tau > 0.0) & (Si > 0.0) & (Ki > 0.0) & (p >= 0.0) & (g > 0.0) & (p < upper) & (otm > 0.0)
              & (s > 0.0) & (s <= 50.0))
        # clearly without a solution (the scalar solver's NaN whatever the last bits of its libm discounts):
        # bad inputs, at/above the upper bound or below intrinsic by more than 1e-9 relative
        nan = ((not (tau > 0.0)) | (not (Si > 0.0)) | (not (Ki > 0.0)) | (not (p >= 0.0))
               | (p >= upper * (1.0 + 1e-9)) | (otm < -1e-9 * (Sq + Kr)))
        okf = 1.0 if ok else (2.0 if nan else 0.0)
        Sq = Sq if ok else 1.0
        Kr = Kr if ok else 1.0
        Sq_[j] = Sq
        Kr_[j] = Kr
        t1_[j] = Sq / Kr
        s_[j] = s if ok else 1.0
        tg_[j] = otm if ok else 0.1
        sg_[j] = 1.0 if call else -1.0
        sr_[j] = 1.0 if isc else -1.0
        rt_[j] = rt
        ok_[j] = okf
    log_block(t1_, x_, m, ib, fb)


@inline_kernel
def _householder(f, v, A, B, inv):
    """(step, 4th order used) of one Householder step of order 3 for the Black price in total vol s. ``f``
    the price error, ``v`` its derivative (vega in s), ``A`` = d1 d2, ``B`` = d1^2 + d2^2 + d1 d2,
    ``inv`` = 1/s; with a = f''/f' = A/s and b = f'''/f' = (A^2 - B)/s^2 the step is
    f (v - f a/2) / (v^2 - f v a + f^2 b/6) (one division), Newton's f / v when the correction factor
    leaves (0.5, 2) (far from the root)."""
    ca = A * inv
    cb = (A * A - B) * (inv * inv)
    P = v - 0.5 * f * ca
    D = v * v - f * v * ca + f * f * cb * (1.0 / 6.0)
    Pv = P * v
    use3 = (D > 0.0) & (Pv > 0.5 * D) & (Pv < 2.0 * D)
    return (f * (P if use3 else v)) / (D if use3 else v * v), use3


@helper_kernel
def _d1_terms(m, s_, x_, d1_, is_, ax_, ex_, ib, fb):
    """For total vols ``s_`` and log-moneyness terms ``x_`` of ``m`` prints: ``d1_``, ``is_`` = 1 / s and
    ``ex_`` = exp(-d1^2 / 2) (``ax_`` scratch) — the start of every Householder step (``_iv_first``,
    ``_iv_step``); a called kernel, compiled once for both."""
    for j in range(m):
        s = s_[j]
        inv = 1.0 / s
        d1 = x_[j] * inv + 0.5 * s
        d1_[j] = d1
        is_[j] = inv
        ax_[j] = -0.5 * d1 * d1
    exp_block(ax_, ex_, m, ib, fb)


@helper_kernel
def _iv_first(m, s_, x_, Sq_, Kr_, sg_, tg_, ex_, d1_, is_, ax_, ib, fb):
    """The first step of ``iv_delta`` for ``m`` prints, with the cheap CDF (``half_erfc_mid_nd``, ~1e-11):
    it is never the last step, so its precision only sets how near the next (exact) step starts. Total vol
    ``s_`` updated in place (at most 4x either way)."""
    _d1_terms(m, s_, x_, d1_, is_, ax_, ex_, ib, fb)
    for j in range(m):
        s = s_[j]
        inv = is_[j]
        d1 = d1_[j]
        d2 = d1 - s
        Sq = Sq_[j]
        Kr = Kr_[j]
        sgn = sg_[j]
        e1 = ex_[j]
        a1, b1 = half_erfc_mid_nd(math.fabs(d1) * _SQRT1_2, e1)
        a2, b2 = half_erfc_mid_nd(math.fabs(d2) * _SQRT1_2, e1 * Sq / Kr)
        rb = 1.0 / (b1 * b2)                  # one division for both CDFs
        t1 = a1 * b2 * rb
        t2 = a2 * b1 * rb
        n1 = (1.0 - t1) if sgn * d1 > 0.0 else t1
        n2 = (1.0 - t2) if sgn * d2 > 0.0 else t2
        f = sgn * (Sq * n1 - Kr * n2) - tg_[j]
        A = d1 * d2
        step, _ = _householder(f, Sq * _INV_SQRT_2PI * e1, A, d1 * d1 + d2 * d2 + A, inv)
        nxt = s - step
        inb = (nxt > 0.25 * s) & (nxt < 4.0 * s)
        nxt = nxt if inb else (4.0 * s if step < 0.0 else 0.25 * s)
        s_[j] = s if f == 0.0 else nxt


@helper_kernel
def _iv_step(m, s_, x_, Sq_, Kr_, sg_, tg_, dq_, sr_, ex_, d1_, is_, cv_, de_, ax_, ib, fb):
    """One exact branch-free Householder step of ``iv_delta`` for ``m`` prints (total vol ``s_`` updated in
    place, at most 4x either way; ``cv_`` = 1 when the step passed the stopping rule) and the delta at the
    new vol (``de_``: a third-order Taylor expansion of N(d1) from this step's own evaluation, its error
    O(step^4) like the vol's). A kernel of its own with one array per quantity: inlined into the block loop
    it does not vectorize."""
    _d1_terms(m, s_, x_, d1_, is_, ax_, ex_, ib, fb)
    for j in range(m):
        s = s_[j]
        inv = is_[j]
        d1 = d1_[j]
        d2 = d1 - s
        Sq = Sq_[j]
        Kr = Kr_[j]
        sgn = sg_[j]
        e1 = ex_[j]
        a1, b1 = half_erfc_nd(math.fabs(d1) * _SQRT1_2, e1)
        a2, b2 = half_erfc_nd(math.fabs(d2) * _SQRT1_2, e1 * Sq / Kr)
        rb = 1.0 / (b1 * b2)                  # one division for both CDFs
        t1 = a1 * b2 * rb
        t2 = a2 * b1 * rb
        n1 = (1.0 - t1) if sgn * d1 > 0.0 else t1
        n2 = (1.0 - t2) if sgn * d2 > 0.0 else t2
        f = sgn * (Sq * n1 - Kr * n2) - tg_[j]
        pdf = _INV_SQRT_2PI * e1
        A = d1 * d2
        sq12 = d1 * d1 + d2 * d2
        B = sq12 + A
        step, use3 = _householder(f, Sq * pdf, A, B, inv)
        nxt = s - step
        inb = (nxt > 0.25 * s) & (nxt < 4.0 * s)
        # stopping rule: after a 4th-order step h the error is ~ K h^4, K s^3 = (c2^3 - 2 c2 c3 + c4) s^3
        # (c_k = f^(k) / (k! f')) = A^3/8 - A (A^2 - B)/6 + p3/24; accept when (1 + |K s^3|) h^4 <= 1e-16 s^4,
        # or on a relative step <= 1e-15, or an exact hit
        p3 = -2.0 * A * sq12 + 4.0 * A + sq12 - 2.0 * A * A + 2.0 * B + A * A * A - A * B
        kp = math.fabs(A * A * A * 0.125 - A * (A * A - B) * (1.0 / 6.0) + p3 * (1.0 / 24.0))
        h = math.fabs(step)
        h2 = h * h
        s2 = s * s
        conv = (use3 & ((1.0 + kp) * (h2 * h2) <= 1e-16 * (s2 * s2))) | (h <= 1e-15 * s)
        hit = f == 0.0
        nxt = nxt if inb else (4.0 * s if step < 0.0 else 0.25 * s)
        snew = s if hit else nxt
        s_[j] = snew
        cv_[j] = 1.0 if ((conv & inb) | hit) else 0.0
        # delta = sr dq g at snew = s - hh, g(s) = N(sr d1) (sr = +1 call, -1 put: the put's N(-d1) keeps its
        # tail digits); with d1' = -d2/s, d2' = -d1/s: g' = sr n g1, g'' = sr n u, g''' = sr n g3
        sr = sr_[j]
        g = (1.0 - t1) if sr * d1 > 0.0 else t1
        hh = s - snew
        g1 = -d2 * inv
        u = (d1 + d2 - d1 * d2 * d2) * (inv * inv)
        g3 = A * u * inv + (-3.0 * (d1 + d2) + d2 * d2 * d2 + 2.0 * d1 * A + 2.0 * A * d2) * (inv * inv * inv)
        gs = g + sr * pdf * (hh * (-g1 + hh * (0.5 * u - hh * (1.0 / 6.0) * g3)))
        de_[j] = sr * dq_[j] * gs


IV_BLOCK = 256        # prints per vectorized implied-vol block
IV_EXTRA = 6          # exact steps a print may take in the pool of the unconverged before the scalar solver
_POOL_ROWS = 11       # per pooled print: s x Sq Kr sg tg dq sr rt tau index (the other rows: scratch)


@helper_kernel
def _pool_step(k, P, it_, iv, delta, price, S, contract, K, right, guess, r, q, ax_, ib, fb):
    """One exact step for the ``k`` pooled unconverged prints (columns of ``P``): those that converged leave
    with their vol and delta written at their index, those out of steps get the scalar solver, the others
    stay (compacted). Returns the new pool size."""
    s_, x_, Sq_, Kr_, sg_, tg_, dq_, sr_, rt_, tau_, gi_, ex_, d1_, is_, cv_, de_ = (
        P[0], P[1], P[2], P[3], P[4], P[5], P[6], P[7], P[8], P[9], P[10], P[11], P[12], P[13], P[14], P[15])
    _iv_step(k, s_, x_, Sq_, Kr_, sg_, tg_, dq_, sr_, ex_, d1_, is_, cv_, de_, ax_, ib, fb)
    k2 = 0
    for t in range(k):
        i = np.int64(gi_[t])
        if cv_[t] == 1.0:
            iv[i] = s_[t] / rt_[t]
            delta[i] = de_[t]
        elif it_[t] + 1 >= IV_EXTRA:
            c = contract[i]
            v, d = implied_vol_delta(price[i], S[i], K[c], tau_[t], r, q, right[c], guess[c])
            iv[i] = v
            delta[i] = d
        else:
            for c in range(_POOL_ROWS):
                P[c, k2] = P[c, t]
            it_[k2] = it_[t] + 1
            k2 += 1
    return k2


@kernel
def iv_delta(price, S, contract, K, tau_close, right, guess, close_ns, ts, r, q, iv, delta):
    """Black-Scholes implied vol and delta of each print (``kernels.blackscholes``) at price ``price[i]``,
    underlying ``S[i]``, time ``ts[i]`` of contract ``contract[i]`` (int32 index into the per-contract
    ``K`` strike, ``tau_close``, ``right`` and ``guess``; gathered in the kernel). Time to expiry at the
    print = ``tau_close`` (trading years at the session close, as ``options.chain``) + (close_ns - ts) in
    trading years (``NS_YEAR``). NaN (null) where the price has no IV solution. ``guess`` (> 0, e.g. the
    surface's vol of the contract; 0 or NaN = none) starts the iteration near the root.

    Blocks of ``IV_BLOCK`` prints, every pass branch-free and vectorized: a setup pass (discounts,
    log-moneyness, the out-of-the-money target in total-vol units), one 4th-order Householder step with a
    cheap CDF (``_iv_first``), one exact step (``_iv_step``: full-precision CDF, the stopping rule, the
    delta by a Taylor expansion from the step's own evaluation). A print whose exact step passed the rule
    (predicted error (1 + |K s^3|) h^4 <= 1e-16 s^4, a relative step <= 1e-15, or an exact hit) within
    [s/4, 4s] is done; the others join a pool stepped IV_BLOCK prints at a time (dense vector work), up to
    ``IV_EXTRA`` exact steps each; the rest (no guess, outside the bounds, at intrinsic, slow to converge)
    get the scalar safeguarded solver ``implied_vol_delta1`` (prints clearly outside the bounds: NaN
    directly, as it would answer). Each print's result depends on its own inputs only (chunk-invariant).
    Returns the number of prints that went to the scalar solver before the pool."""
    n = price.shape[0]
    nb = IV_BLOCK
    nfix = 0
    w = np.empty((19, nb))
    ax_ = np.empty(2 * nb)
    ib = np.empty(2 * nb, np.int64)
    fb = ib.view(np.float64)
    P = np.empty((16, 2 * nb))
    it_ = np.empty(2 * nb, np.int64)
    kp = np.int64(0)        # not the literal 0: Numba would compile _pool_step (and its callees) for Literal[int](0) too
    Sq_, Kr_, x_, s_, tg_, sg_, rt_, dq_, ex_, ok_, tau_, cv_, sr_, d1_, is_, de_ = (
        w[0], w[1], w[2], w[3], w[4], w[5], w[6], w[7], w[8], w[9], w[10], w[11], w[12], w[13], w[14], w[15])
    Kc_, gc_, rc_ = w[16], w[17], w[18]
    for b0 in range(0, n, nb):
        m = min(nb, n - b0)
        b1 = b0 + m
        _iv_setup(m, price[b0:b1], S[b0:b1], contract[b0:b1], K, tau_close, right, guess, ts[b0:b1], close_ns, r,
                  q, tau_, dq_, Kr_, Sq_, x_, s_, tg_, sg_, sr_, rt_, ok_, ex_, cv_, Kc_, gc_, rc_, ib, fb)
        _iv_first(m, s_, x_, Sq_, Kr_, sg_, tg_, ex_, d1_, is_, ax_, ib, fb)
        _iv_step(m, s_, x_, Sq_, Kr_, sg_, tg_, dq_, sr_, ex_, d1_, is_, cv_, de_, ax_, ib, fb)
        ivb = iv[b0:b1]
        db = delta[b0:b1]
        for j in range(m):
            ivb[j] = s_[j] / rt_[j]
            db[j] = de_[j]
        for j in range(m):
            if ok_[j] == 2.0:                  # clearly outside the no-arbitrage bounds
                iv[b0 + j] = np.nan
                delta[b0 + j] = np.nan
            elif ok_[j] == 0.0:                # not set up: the scalar solver decides (NaN; 0 at intrinsic)
                nfix += 1
                i = b0 + j
                c = contract[i]
                v, d = implied_vol_delta(price[i], S[i], K[c], tau_[j], r, q, right[c], guess[c])
                iv[i] = v
                delta[i] = d
            elif cv_[j] != 1.0:                # unconverged: to the pool
                P[0, kp] = s_[j]
                P[1, kp] = x_[j]
                P[2, kp] = Sq_[j]
                P[3, kp] = Kr_[j]
                P[4, kp] = sg_[j]
                P[5, kp] = tg_[j]
                P[6, kp] = dq_[j]
                P[7, kp] = sr_[j]
                P[8, kp] = rt_[j]
                P[9, kp] = tau_[j]
                P[10, kp] = b0 + j
                it_[kp] = 0
                kp += 1
        while kp >= nb:
            kp = _pool_step(kp, P, it_, iv, delta, price, S, contract, K, right, guess, r, q, ax_, ib, fb)
    while kp > 0:
        kp = _pool_step(kp, P, it_, iv, delta, price, S, contract, K, right, guess, r, q, ax_, ib, fb)
    return nfix
