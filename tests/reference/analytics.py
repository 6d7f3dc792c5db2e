"""Plain-numpy references for the analytics kernels, written to be read (not fast).

* :func:`asof` — for each print, the last quote of its key with ``q_ts <= p_ts`` (searchsorted per key).
* :func:`candles` — OHLCV per (symbol, bar) with the late-print rule, by grouping.
"""
from __future__ import annotations

import numpy as np

from fastsynth.kernels.placement import place_many


def asof(p_key, p_ts, p_px, q_key, q_ts, q_bid, q_ask, max_age_ns):
    """Dict of columns: bid, ask (NaN unless fresh), age (-1 when missing), quality (0/1/2), place."""
    n = len(p_ts)
    bid = np.full(n, np.nan)
    ask = np.full(n, np.nan)
    age = np.full(n, -1, np.int64)
    qual = np.full(n, 2, np.int8)
    for k in np.unique(p_key):
        pi = np.flatnonzero(p_key == k)
        qi = np.flatnonzero(q_key == k)
        qo = qi[np.argsort(q_ts[qi], kind="stable")]          # per-key time order, input order on ties
        j = np.searchsorted(q_ts[qo], p_ts[pi], side="right") - 1   # last quote with q_ts <= p_ts
        has = j >= 0
        src = qo[j[has]]
        rows = pi[has]
        age[rows] = p_ts[rows] - q_ts[src]
        fresh = age[rows] <= max_age_ns
        qual[rows] = np.where(fresh, 0, 1)
        bid[rows[fresh]] = q_bid[src[fresh]]
        ask[rows[fresh]] = q_ask[src[fresh]]
    place = place_many(p_px, np.where(qual == 0, bid, np.nan), np.where(qual == 0, ask, np.nan))
    place[(qual == 0) & (bid > ask)] = -1
    return {"bid": bid, "ask": ask, "age": age, "quality": qual, "place": place}


def candles(sym, ts, recv, px, sz, interval_ns, max_late_ns, revise):
    """Sorted list of (interval, symbol, start, open, high, low, close, volume, count, late_n, late_vol)."""
    out = []
    start = (ts // interval_ns) * interval_ns
    late = (recv > start + interval_ns + max_late_ns) if recv is not None else np.zeros(len(ts), bool)
    for s in sorted(set(sym)):
        for b in sorted(set(start[sym == s])):
            m = (sym == s) & (start == b)
            idx = np.flatnonzero(m)
            idx = idx[np.argsort(ts[idx], kind="stable")]
            use = idx if revise else idx[~late[idx]]
            if len(use):
                o, h, lo, c = px[use[0]], px[use].max(), px[use].min(), px[use[-1]]
            else:
                o = h = lo = c = None
            out.append((s, int(b), o, h, lo, c, int(sz[use].sum()), len(use), int(late[idx].sum()),
                        int(sz[idx][late[idx]].sum())))
    return out
