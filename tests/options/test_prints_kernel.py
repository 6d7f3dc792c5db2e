"""``kernels.option_prints.fill_prints`` against a plain-numpy reference (the rule written to be read), and
its edge cases: no quote yet, one-tick spreads, nothing to sell at, multi-leg all-or-nothing, ties."""
from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from fastsynth.kernels.option_prints import AA, A, B, BB, MID, fill_prints
from fastsynth.kernels.placement import place_many


def reference(r_ts, r_c, r_place, r_walk, r_fb, r_struct, q_ts, q_c, q_bid, q_ask, st_ts, st_bid, st_ask,
              u_ts, u_mid):
    """Readable reference: as-of by searchsorted per print, the price rule, legs all-or-nothing."""
    n = r_ts.shape[0]
    px = np.full(n, -1.0)
    pl = np.full(n, -1)
    bid = np.empty(n)
    ask = np.empty(n)
    age = np.empty(n, np.int64)
    for i in range(n):
        c = r_c[i]
        qs = np.flatnonzero((q_c == c) & (q_ts <= r_ts[i]))
        if qs.shape[0]:
            j = qs[-1]
            qt, b, a = q_ts[j], q_bid[j], q_ask[j]
        else:
            qt, b, a = st_ts[c], st_bid[c], st_ask[c]
        bid[i], ask[i], age[i] = b, a, r_ts[i] - qt
        if qt < 0 or not (a > 0 and 0 <= b <= a):
            continue
        for want, walk in ((r_place[i], r_walk[i]), (r_fb[i], 1)):
            if want < 0:
                break
            step = 0.01 if a < 3.0 else 0.05
            p = {A: a, B: b if b >= 0.01 - 5e-5 else -1.0, MID: np.floor((b + a) * 50 + 0.5) / 100,
                 AA: np.floor((a + walk * step) * 100 + 0.5) / 100,
                 BB: np.floor((b - walk * step) * 100 + 0.5) / 100}[want]
            if p >= 0.01 - 5e-5 and place_many(np.array([p]), np.array([b]), np.array([a]))[0] == want:
                px[i], pl[i] = p, want
                break
    for s in np.unique(r_struct[r_struct > 0]):
        k = r_struct == s
        if (pl[k] < 0).any():
            pl[k] = -1
    keep = pl >= 0
    j = np.searchsorted(u_ts, r_ts, side="right") - 1
    return keep, px[keep], pl[keep], bid[keep], ask[keep], age[keep], u_mid[j][keep], (r_ts - u_ts[j])[keep]


def _run(r, q, st_, u):
    n = r[0].shape[0]
    o = (np.empty(n, np.int32), np.empty(n), np.empty(n), np.empty(n), np.empty(n, np.int64), np.empty(n),
         np.empty(n, np.int64), np.empty(n, np.int8), np.empty(n, np.uint64))
    cur = tuple(a.copy() for a in st_)
    m = fill_prints(*r, *q, *cur, *u, np.full(1, -1, np.int64), np.full(1, np.nan), 1, np.uint64(5), *o)
    return m, tuple(a[:m] for a in o)


@settings(max_examples=60, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), n=st.integers(1, 60), nq=st.integers(0, 80), nc=st.integers(1, 5))
def test_fill_prints_matches_numpy_reference(seed, n, nq, nc):
    g = np.random.default_rng(seed)
    T = 1_000
    q_ts = np.sort(g.integers(0, T, nq)).astype(np.int64)
    q_c = g.integers(0, nc, nq).astype(np.int32)
    q_bid = np.round(g.choice([0.0, 0.01, 0.5, 2.99, 3.4], nq) + g.integers(0, 3, nq) * 0.01, 2)
    q_ask = np.round(q_bid + g.choice([0.0, 0.01, 0.02, 0.05, 0.3], nq), 2)
    q_ask[g.random(nq) < 0.05] = 0.0                          # no offer: unusable
    st_ts = np.where(g.random(nc) < 0.5, -1, -5).astype(np.int64)
    st_bid, st_ask = np.full(nc, 1.0), np.full(nc, 1.1)
    r_ts = np.sort(g.integers(0, T, n)).astype(np.int64)
    r_c = g.integers(0, nc, n).astype(np.int32)
    r_place = g.integers(0, 5, n).astype(np.int8)
    r_walk = g.integers(1, 4, n).astype(np.int16)
    r_fb = g.choice([-1, A, B], n).astype(np.int8)
    r_struct = np.zeros(n, np.uint64)
    i = 0
    while i < n - 1:                                           # some consecutive legs as structures
        if g.random() < 0.3:
            k = int(g.integers(2, 5))
            r_struct[i:i + k] = i + 1
            r_ts[i:i + k] = r_ts[i]
            i += k
        else:
            i += 1
    r_ts = np.maximum.accumulate(r_ts)
    u_ts = np.array([0, 200, 200, 700], np.int64)
    u_mid = np.array([10.0, 10.5, 10.6, 11.0])
    r = (r_ts, r_c, r_place, r_walk, r_fb, r_struct)
    m, (idx, px, bid, ask, age, upx, uage, pl, seq) = _run(r, (q_ts, q_c, q_bid, q_ask), (st_ts, st_bid, st_ask),
                                                           (u_ts, u_mid))
    keep, rpx, rpl, rbid, rask, rage, rupx, ruage = reference(*r, q_ts, q_c, q_bid, q_ask, st_ts, st_bid, st_ask,
                                                              u_ts, u_mid)
    assert np.array_equal(idx, np.flatnonzero(keep))
    assert np.array_equal(px, rpx) and np.array_equal(pl, rpl)
    assert np.array_equal(bid, rbid) and np.array_equal(ask, rask) and np.array_equal(age, rage)
    assert np.array_equal(upx, rupx) and np.array_equal(uage, ruage)
    assert np.array_equal(seq, 5 + np.arange(m, dtype=np.uint64))
    assert np.array_equal(place_many(px, bid, ask), pl)


def _one(bid, ask, want, fb=-1, walk=1):
    r = (np.array([10], np.int64), np.zeros(1, np.int32), np.array([want], np.int8), np.array([walk], np.int16),
         np.array([fb], np.int8), np.zeros(1, np.uint64))
    q = (np.array([5], np.int64), np.zeros(1, np.int32), np.array([bid]), np.array([ask]))
    st_ = (np.full(1, -1, np.int64), np.zeros(1), np.zeros(1))
    u = (np.array([0], np.int64), np.array([50.0]))
    m, o = _run(r, q, st_, u)
    return (o[1][0], int(o[7][0])) if m else None


def test_price_rules_and_fallbacks():
    assert _one(1.00, 1.05, A) == (1.05, A)
    assert _one(1.00, 1.05, B) == (1.00, B)
    assert _one(1.00, 1.06, MID) == (1.03, MID)
    assert _one(1.00, 1.05, AA, walk=2) == (1.07, AA)
    assert _one(3.00, 3.10, AA, walk=1) == (3.15, AA)          # nickel step above 3 USD
    assert _one(1.00, 1.05, BB, walk=1) == (0.99, BB)
    assert _one(1.00, 1.01, MID) is None                        # one tick wide: no midpoint, no fallback
    assert _one(1.00, 1.01, MID, fb=B) == (1.00, B)
    assert _one(0.00, 0.05, B) is None                          # nothing to sell at
    assert _one(0.00, 0.05, B, fb=A) == (0.05, A)
    assert _one(1.00, 1.00, B, fb=A) == (1.00, A)               # locked: at the bid reads as at the ask
    assert _one(1.00, 0.0, A) is None                           # no offer: unusable quote


def test_quote_at_the_print_timestamp_applies_and_structures_are_all_or_nothing():
    # quote at ts 10 == print ts: as-of includes it; leg 2 of the structure has no quote -> both dropped
    r = (np.array([10, 10, 10], np.int64), np.array([0, 0, 1], np.int32), np.array([A, A, A], np.int8),
         np.ones(3, np.int16), np.full(3, -1, np.int8), np.array([0, 7, 7], np.uint64))
    q = (np.array([10], np.int64), np.zeros(1, np.int32), np.array([2.0]), np.array([2.1]))
    st_ = (np.full(2, -1, np.int64), np.zeros(2), np.zeros(2))
    m, o = _run(r, q, st_, (np.array([0], np.int64), np.array([50.0])))
    assert m == 1 and o[0][0] == 0 and o[1][0] == 2.1 and o[4][0] == 0


def _select_numpy(lnm, c_tau, rem_y, tau_floor, vol, right, lo, hi, event_exp, d0, d1, c_exp, c_dte, c_right,
                  ts0, bid0, ask0, need_bid, max_price):
    """The burst contract-selection penalty in numpy, as ``PrintGenerator._select`` computed it before the
    kernel (the reference the kernel must reproduce bit for bit)."""
    tau = np.maximum(c_tau + rem_y, tau_floor)
    sq = vol * np.sqrt(tau)
    z = (lnm + 0.5 * sq * sq) / sq
    zz = z if right == 0 else -z
    dz = np.maximum(lo - zz, 0.0) + np.maximum(zz - hi, 0.0)
    if event_exp >= 0:
        dd = np.where(c_exp == event_exp, 0.0, 1.0 + np.abs(c_exp - event_exp) / 7.0)
    else:
        dd = (np.maximum(d0 - c_dte, 0) + np.maximum(c_dte - d1, 0)) / (d1 + 1.0)
    ok = (c_right == right) & (ts0 >= 0) & (ask0 > 0)
    if need_bid:
        ok &= bid0 >= 0.05
    pen = 4.0 * dd + dz + np.where(ask0 > max_price, 1.0 + ask0 - max_price, 0.0)
    pen = np.where(ok, pen, np.inf)
    best = float(pen.min()) if pen.shape[0] else np.inf
    return pen, dd, ok, best, np.flatnonzero(pen <= best + 0.05)


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 2**31), right=st.integers(0, 1), event=st.booleans(), need_bid=st.booleans(),
       capped=st.booleans())
def test_select_penalty_matches_numpy_bit_for_bit(seed, right, event, need_bid, capped):
    from fastsynth.kernels.option_prints import select_penalty

    rng = np.random.default_rng(seed)
    n = int(rng.integers(1, 400))
    spot = 100.0 * np.exp(rng.normal(0, 0.2))
    strike = np.round(spot * np.exp(rng.normal(0, 0.3, n)), 1)
    lnm = np.log(spot / strike)
    c_tau = rng.uniform(0.0, 2.0, n) * (rng.random(n) > 0.1)
    c_exp = (20_500 + rng.integers(0, 400, n)).astype(np.int32)
    c_dte = (c_exp - 20_500).astype(np.int32)
    c_right = rng.integers(0, 2, n).astype(np.int8)
    ts0 = np.where(rng.random(n) < 0.1, -1, rng.integers(0, 10**12, n)).astype(np.int64)
    ask0 = np.where(rng.random(n) < 0.05, 0.0, np.round(rng.uniform(0.01, 20.0, n), 2))
    bid0 = np.maximum(ask0 - np.round(rng.uniform(0.0, 0.5, n), 2), 0.0)
    lo, hi = sorted(rng.normal(0, 1, 2))
    ev = int(c_exp[rng.integers(0, n)]) if event else -1
    d0 = int(rng.integers(0, 30))
    d1 = d0 + int(rng.integers(0, 60))
    max_price = float(rng.uniform(0.5, 5.0)) if capped else np.inf
    args = (lnm, c_tau, float(rng.uniform(0, 1e-3)), 1.0 / (365.0 * 24.0 * 4.0), float(rng.uniform(0.1, 0.8)),
            right, lo, hi, ev, d0, d1, c_exp, c_dte, c_right, ts0, bid0, ask0, need_bid, max_price)
    pen, dd, ok, cand = np.empty(n), np.empty(n), np.empty(n, np.bool_), np.empty(n, np.int64)
    best, k = select_penalty(*args, pen, dd, ok, cand)
    pen_r, dd_r, ok_r, best_r, cand_r = _select_numpy(*args)
    assert np.array_equal(pen.view(np.int64), pen_r.view(np.int64))
    assert np.array_equal(dd.view(np.int64), dd_r.view(np.int64))
    assert np.array_equal(ok, ok_r)
    assert best == best_r or (np.isinf(best) and np.isinf(best_r))
    assert np.array_equal(cand[:k], cand_r)


def test_venue_draws_match_the_numpy_procedure():
    """Venue draws by bisect on cached cumulative shares equal the sequential numpy draw they replaced."""
    from fastsynth.options.prints import _VENUE_CODES, _VENUE_P, PrintGenerator

    def numpy_draw(n, nxt):
        p = _VENUE_P.copy()
        out = []
        for _ in range(min(n, p.shape[0])):
            j = int(np.searchsorted(np.cumsum(p / p.sum()), nxt(), side="right"))
            j = min(j, p.shape[0] - 1)
            out.append(int(_VENUE_CODES[j]))
            p[j] = 0.0
        return out

    rng = np.random.default_rng(5)
    for _ in range(300):
        n = int(rng.integers(1, 20))
        u = list(rng.random(20))
        u[0] = float(np.cumsum(_VENUE_P / _VENUE_P.sum())[int(rng.integers(0, 17))])   # exactly on a boundary
        assert PrintGenerator._venues(n, iter(u).__next__) == numpy_draw(n, iter(u).__next__)
