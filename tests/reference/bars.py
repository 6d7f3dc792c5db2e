"""Readable reference for OHLCV bars (plain numpy): the definition the bar kernel and the engine's
``bars_1m`` table are checked against.

A bar is every maximal run of consecutive prints whose bar index ``(ts - origin_ns) // width_ns``
(floor division) is the same; prints are expected in time order, so there is one bar per interval that
has at least one print. For each bar: ``ts`` = bar start (``origin_ns + index * width_ns``), ``open`` /
``close`` = first / last price, ``high`` / ``low`` = max / min price, ``volume`` = total shares,
``count`` = number of prints, ``vwap`` = sum(price * size) / volume.

OHLC, volume, count and ts are exact; vwap is a float sum whose order may differ from an
implementation's, so compare it to ``VWAP_RTOL``.
"""
from __future__ import annotations

import numpy as np

# Relative tolerance for vwap: both sides sum n products of magnitude <= max(price * size); sequential
# vs pairwise summation of a few thousand positive terms differs by far less than 1e-12 relative
# (each rounding error is ~1.1e-16 of the running sum, and all terms are positive: no cancellation).
VWAP_RTOL = 1e-12

FIELDS = ("ts", "open", "high", "low", "close", "volume", "vwap", "count")


def ohlcv(ts: np.ndarray, px: np.ndarray, sz: np.ndarray, origin_ns: int, width_ns: int) -> dict[str, np.ndarray]:
    """Bars of ``width_ns`` aligned on ``origin_ns`` from prints ``(ts int64 ns, px float64, sz shares)``."""
    ts = np.asarray(ts, dtype=np.int64)
    px = np.asarray(px, dtype=np.float64)
    sz = np.asarray(sz)
    n = ts.shape[0]
    if n == 0:
        return {"ts": np.empty(0, np.int64), "open": np.empty(0), "high": np.empty(0), "low": np.empty(0),
                "close": np.empty(0), "volume": np.empty(0, np.uint64), "vwap": np.empty(0),
                "count": np.empty(0, np.uint32)}
    index = np.floor_divide(ts - np.int64(origin_ns), np.int64(width_ns))
    starts = np.flatnonzero(np.concatenate(([True], index[1:] != index[:-1])))
    ends = np.concatenate((starts[1:], [n]))  # exclusive
    volume = np.add.reduceat(sz.astype(np.uint64), starts)
    notional = np.add.reduceat(px * sz.astype(np.float64), starts)
    return {
        "ts": np.int64(origin_ns) + index[starts] * np.int64(width_ns),
        "open": px[starts],
        "high": np.maximum.reduceat(px, starts),
        "low": np.minimum.reduceat(px, starts),
        "close": px[ends - 1],
        "volume": volume,
        "vwap": notional / volume.astype(np.float64),
        "count": (ends - starts).astype(np.uint32),
    }


def assert_bars_equal(got: dict[str, np.ndarray], want: dict[str, np.ndarray]) -> None:
    """Exact for everything but vwap (``VWAP_RTOL``)."""
    for f in FIELDS:
        g, w = np.asarray(got[f]), np.asarray(want[f])
        assert g.shape == w.shape, (f, g.shape, w.shape)
        if f == "vwap":
            np.testing.assert_allclose(g, w, rtol=VWAP_RTOL, atol=0.0, err_msg=f)
        else:
            assert np.array_equal(g, w), (f, g[:5], w[:5])
