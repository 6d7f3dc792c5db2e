"""Tests for ``fastsynth.kernels.bars.ohlcv`` against the plain-numpy reference (``tests/reference/bars.py``):
exact OHLC, volume, count and bar start; vwap to ``VWAP_RTOL``. Inputs are random sorted prints
(Hypothesis: ties, empty input, bar widths down to 1 ns); prints before the origin get their own (earlier) bar."""
from __future__ import annotations

import numpy as np
from hypothesis import given

import strategies as fst
from fastsynth.kernels.bars import ohlcv

try:  # rootdir-relative layout used by pytest's default "prepend" import mode
    from reference import bars as ref
except ImportError:  # pragma: no cover - if tests/ becomes a package
    from tests.reference import bars as ref


def run_kernel(ts, px, sz, origin, width):
    n = ts.shape[0]
    # poisoned outputs one row longer than the worst case, so a stray write shows up
    out = {"ts": np.full(n + 1, -1, np.int64), "open": np.full(n + 1, np.nan), "high": np.full(n + 1, np.nan),
           "low": np.full(n + 1, np.nan), "close": np.full(n + 1, np.nan),
           "volume": np.full(n + 1, 7, np.uint64), "vwap": np.full(n + 1, np.nan),
           "count": np.full(n + 1, 7, np.uint32)}
    nb = ohlcv(ts, px, sz, origin, width, out["ts"], out["open"], out["high"], out["low"], out["close"],
               out["volume"], out["vwap"], out["count"])
    for f, a in out.items():  # nothing written past the returned count
        tail = a[nb:]
        if a.dtype == np.float64:
            assert np.all(np.isnan(tail)), f
        else:
            assert np.all(tail == (-1 if f == "ts" else 7)), f
    return {f: a[:nb] for f, a in out.items()}


@given(fst.sorted_prints())
def test_ohlcv_matches_reference(prints):
    ts, px, sz, origin, width = prints
    got = run_kernel(ts, px, sz, origin, width)
    want = ref.ohlcv(ts, px, sz, origin, width)
    ref.assert_bars_equal(got, want)
    # invariants of any bar set
    if ts.size:
        assert int(got["count"].sum()) == ts.size
        assert int(got["volume"].sum()) == int(sz.astype(np.uint64).sum())
        assert np.all(np.diff(got["ts"]) > 0)
        assert np.all((got["low"] <= got["open"]) & (got["open"] <= got["high"]))
        assert np.all((got["low"] <= got["close"]) & (got["close"] <= got["high"]))
        # vwap is an average price, inside [low, high] up to rounding
        assert np.all(got["vwap"] >= got["low"] * (1 - ref.VWAP_RTOL))
        assert np.all(got["vwap"] <= got["high"] * (1 + ref.VWAP_RTOL))
        assert np.all((got["ts"] - origin) % width == 0)


def test_ohlcv_prints_before_origin():
    ts = np.array([33, 40], dtype=np.int64)  # bar -1 then bar 0 of origin 39
    got = run_kernel(ts, np.array([1.0, 2.0]), np.array([1, 1], dtype=np.uint32), 39, 10**9)
    ref.assert_bars_equal(got, ref.ohlcv(ts, np.array([1.0, 2.0]), np.array([1, 1]), 39, 10**9))


def test_ohlcv_known_small_case():
    m = 60_000_000_000
    ts = np.array([0, 1, m - 1, m, 3 * m + 5], dtype=np.int64) + 1000
    px = np.array([10.0, 12.0, 9.0, 11.0, 11.5])
    sz = np.array([100, 50, 50, 10, 1], dtype=np.uint32)
    got = run_kernel(ts, px, sz, 1000, m)
    assert got["ts"].tolist() == [1000, 1000 + m, 1000 + 3 * m]
    assert got["open"].tolist() == [10.0, 11.0, 11.5]
    assert got["high"].tolist() == [12.0, 11.0, 11.5]
    assert got["low"].tolist() == [9.0, 11.0, 11.5]
    assert got["close"].tolist() == [9.0, 11.0, 11.5]
    assert got["volume"].tolist() == [200, 10, 1]
    assert got["count"].tolist() == [3, 1, 1]
    assert got["vwap"][0] == (10.0 * 100 + 12.0 * 50 + 9.0 * 50) / 200


def test_ohlcv_empty():
    e = np.empty(0, np.int64)
    got = run_kernel(e, np.empty(0), np.empty(0, np.uint32), 0, 60)
    assert all(a.size == 0 for a in got.values())


def test_ohlcv_large_random_session(rng):
    # a session-sized input: 200k prints over 6.5 hours with bursts of equal timestamps
    n = 200_000
    origin = 1_772_461_800_000_000_000
    gaps = rng.exponential(23_400e9 / n, n).astype(np.int64) * (rng.random(n) < 0.7)
    ts = origin + np.cumsum(gaps)
    px = np.round(220.0 * np.exp(np.cumsum(rng.normal(0.0, 1e-4, n))), 2)
    sz = rng.integers(1, 5_000, n).astype(np.uint32)
    got = run_kernel(ts, px, sz, origin, 60_000_000_000)
    ref.assert_bars_equal(got, ref.ohlcv(ts, px, sz, origin, 60_000_000_000))
    assert got["ts"].size > 100
