"""Candles: the numpy reference at several intervals, late prints (count / revise), streaming == whole."""
from __future__ import annotations

import pyarrow as pa
from hypothesis import given
from hypothesis import strategies as st

from fastsynth import schema
from fastsynth.analytics import CandleParams, CandleStream, candles
from reference import analytics as ref

from ._data import T0, TS, split_at, tape


def _rows(t):
    return [(r["interval_ms"], r["symbol"], r["ts_event"].value, r["open"], r["high"], r["low"], r["close"],
             r["volume"], r["trade_count"], r["late_prints"], r["late_volume"]) for r in t.to_pylist()]


def _ref(trades, p: CandleParams):
    i64 = lambda c: trades.column(c).cast(pa.int64()).to_numpy()  # noqa: E731
    sym = trades.column("symbol").cast(pa.string()).to_numpy(zero_copy_only=False)
    recv = i64("ts_recv") if "ts_recv" in trades.column_names else None
    out = []
    for iv in p.intervals_ms:
        for r in ref.candles(sym, i64("ts_event"), recv, trades.column("price").to_numpy(),
                             trades.column("size").to_numpy().astype(float), iv * 1_000_000,
                             int(p.max_late_ms * 1e6), p.late == "revise"):
            out.append((iv, r[0], r[1], *r[2:]))
    return sorted(out, key=lambda r: (r[0], r[2], r[1]))


@given(seed=st.integers(0, 2**32 - 1), late=st.sampled_from(["count", "revise"]))
def test_matches_numpy_reference(seed, late):
    trades, _ = tape(seed, n_prints=400)
    p = CandleParams(intervals_ms=(1_000, 7_000, 60_000), max_late_ms=500, late=late)
    out = candles(trades, p)
    assert out.schema.equals(schema("candles"), check_metadata=False)
    got = _rows(out)
    want = _ref(trades, p)
    assert [g[:3] for g in got] == [w[:3] for w in want]
    for g, w in zip(got, want):
        assert g[3:] == w[3:] or all(abs((a or 0) - (b or 0)) < 1e-9 for a, b in zip(g[3:], w[3:]))


@given(seed=st.integers(0, 2**32 - 1), cuts=st.lists(st.integers(0, 20_000_000_000), max_size=5))
def test_streaming_equals_whole_table(seed, cuts):
    trades, _ = tape(seed, n_prints=400)
    p = CandleParams(intervals_ms=(1_000, 5_000), max_late_ms=300)
    whole = _rows(candles(trades, p))
    s = CandleStream(p)
    parts = [s.step(c) for c in split_at(trades, sorted(T0 + c for c in cuts))] + [s.finish()]
    got = sorted(_rows(pa.concat_tables(parts)), key=lambda r: (r[0], r[2], r[1]))
    assert got == whole


def test_late_prints_counted_never_dropped():
    s = 1_000_000_000
    trades = pa.table({"ts_event": pa.array([T0 + 100, T0 + 200, T0 + 300], TS),
                       "ts_recv": pa.array([T0 + 150, T0 + s + 2 * s + 1, T0 + s + 500], TS),
                       "symbol": ["X"] * 3, "price": [10.0, 11.0, 9.5], "size": pa.array([100, 200, 300], pa.uint32()),
                       "venue": ["XNAS"] * 3})
    counted = candles(trades, CandleParams(intervals_ms=(1_000,), max_late_ms=2_000)).to_pylist()[0]
    assert (counted["high"], counted["volume"], counted["late_prints"], counted["late_volume"]) == (10.0, 400, 1, 200)
    revised = candles(trades, CandleParams(intervals_ms=(1_000,), max_late_ms=2_000, late="revise")).to_pylist()[0]
    assert (revised["high"], revised["volume"], revised["late_prints"]) == (11.0, 600, 1)


def test_all_late_bar_has_null_ohlc_and_no_recv_means_never_late():
    trades = pa.table({"ts_event": pa.array([T0], TS), "ts_recv": pa.array([T0 + 10_000_000_000], TS),
                       "symbol": ["X"], "price": [10.0], "size": pa.array([5], pa.uint32()), "venue": ["XNAS"]})
    r = candles(trades, CandleParams(intervals_ms=(1_000,), max_late_ms=0)).to_pylist()[0]
    assert (r["open"], r["trade_count"], r["late_prints"], r["late_volume"]) == (None, 0, 1, 5)
    r = candles(trades.drop_columns(["ts_recv"]), CandleParams(intervals_ms=(1_000,))).to_pylist()[0]
    assert (r["open"], r["late_prints"]) == (10.0, 0)
