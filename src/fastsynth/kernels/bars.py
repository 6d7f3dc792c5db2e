"""Bar kernels: OHLCV bars from time-ordered prints.

``ohlcv(ts, px, sz, origin_ns, width_ns, o_ts, o_open, o_high, o_low, o_close, o_vol, o_vwap, o_count)``
aggregates prints (int64 ns, float64 USD, shares) into bars of ``width_ns`` aligned on ``origin_ns`` and
writes one row per bar that has at least one print (DBN ``ohlcv`` convention: ``o_ts`` is the bar start).
Prints must be sorted by ts. Returns the number of bars written (outputs must hold one row per print in
the worst case).
"""
from __future__ import annotations

from ._jit import kernel


@kernel
def ohlcv(ts, px, sz, origin_ns, width_ns, o_ts, o_open, o_high, o_low, o_close, o_vol, o_vwap, o_count):
    n = ts.shape[0]
    nb = -1
    cur = 0
    notional = 0.0
    for i in range(n):
        b = (ts[i] - origin_ns) // width_ns
        p = px[i]
        s = sz[i]
        if nb < 0 or b != cur:
            if nb >= 0:
                o_vwap[nb] = notional / o_vol[nb]
            nb += 1
            cur = b
            o_ts[nb] = origin_ns + b * width_ns
            o_open[nb] = p
            o_high[nb] = p
            o_low[nb] = p
            o_vol[nb] = 0
            o_count[nb] = 0
            notional = 0.0
        if p > o_high[nb]:
            o_high[nb] = p
        if p < o_low[nb]:
            o_low[nb] = p
        o_close[nb] = p
        o_vol[nb] += s
        o_count[nb] += 1
        notional += p * s
    if nb >= 0:
        o_vwap[nb] = notional / o_vol[nb]
    return nb + 1
