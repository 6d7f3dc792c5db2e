"""OHLCV candles at one interval, per key, with late-print accounting (merge over time-sorted prints).

Contract. Prints: ``key`` int32 dense code, ``ts`` int64 ns (sorted), ``recv`` int64 ns (receive time;
``NO_RECV`` = unknown, never late), ``px`` float64 USD, ``sz`` float64 shares. Scalars: ``interval_ns`` and
``max_late_ns`` int64, ``revise`` bool. State per key (read and written, carried across streaming
steps): ``st_start`` int64 bar start (``NO_BAR`` = none open), ``st_f`` float64 [n_keys, 6] = open, high,
low, close, volume, price x size; ``st_i`` int64 [n_keys, 3] = trade count, late prints, late volume.

A print belongs to the bar starting at ``floor(ts / interval) * interval``. It is *late* when
``recv > bar start + interval + max_late``: it is counted in ``late_prints``/``late_volume`` and, only
when ``revise``, also in the OHLCV (else the OHLCV is what a live builder published). When a key's next
print opens a new bar, the key's open bar is written to the ``o_*`` outputs (``o_key``, ``o_start``,
``o_f`` [n, 6], ``o_i`` [n, 3]); :func:`candle_flush` writes every still-open bar in key order. Both
return the number of bars written; outputs need room for one bar per print (flush: one per key).
"""
from __future__ import annotations

import numpy as np

from ._jit import kernel

__all__ = ["candle_step", "candle_flush", "NO_BAR", "NO_RECV"]

NO_BAR = np.iinfo(np.int64).min
NO_RECV = np.iinfo(np.int64).min


@kernel
def candle_step(key, ts, recv, px, sz, interval_ns, max_late_ns, revise, st_start, st_f, st_i,
                o_key, o_start, o_f, o_i):
    nout = 0
    nan = np.nan
    for i in range(ts.shape[0]):
        k = key[i]
        b = (ts[i] // interval_ns) * interval_ns
        if st_start[k] != b:
            if st_start[k] != NO_BAR:
                o_key[nout] = k
                o_start[nout] = st_start[k]
                for c in range(6):
                    o_f[nout, c] = st_f[k, c]
                for c in range(3):
                    o_i[nout, c] = st_i[k, c]
                nout += 1
            st_start[k] = b
            st_f[k, 0] = nan
            st_f[k, 1] = nan
            st_f[k, 2] = nan
            st_f[k, 3] = nan
            st_f[k, 4] = 0.0
            st_f[k, 5] = 0.0
            st_i[k, 0] = 0
            st_i[k, 1] = 0
            st_i[k, 2] = 0
        p = px[i]
        s = sz[i]
        late = recv[i] != NO_RECV and recv[i] > b + interval_ns + max_late_ns
        if late:
            st_i[k, 1] += 1
            st_i[k, 2] += np.int64(s)
        if late and not revise:
            continue
        if st_i[k, 0] == 0:
            st_f[k, 0] = p
            st_f[k, 1] = p
            st_f[k, 2] = p
        else:
            if p > st_f[k, 1]:
                st_f[k, 1] = p
            if p < st_f[k, 2]:
                st_f[k, 2] = p
        st_f[k, 3] = p
        st_f[k, 4] += s
        st_f[k, 5] += p * s
        st_i[k, 0] += 1
    return nout


@kernel
def candle_flush(st_start, st_f, st_i, o_key, o_start, o_f, o_i):
    nout = 0
    for k in range(st_start.shape[0]):
        if st_start[k] == NO_BAR:
            continue
        o_key[nout] = k
        o_start[nout] = st_start[k]
        for c in range(6):
            o_f[nout, c] = st_f[k, c]
        for c in range(3):
            o_i[nout, c] = st_i[k, c]
        nout += 1
        st_start[k] = NO_BAR
    return nout
