"""As-of print-to-NBBO joins: the numpy reference, streaming == whole table, no look-ahead, stale/missing."""
from __future__ import annotations

import numpy as np
import pyarrow as pa
import pytest
from hypothesis import given
from hypothesis import strategies as st

from fastsynth import schema
from fastsynth.analytics import (AnalyticsInputError, EquityJoinStream, JoinParams, OptionJoinStream, join_equity,
                                 join_options)
from reference import analytics as ref

from ._data import T0, TS, split_at, tape

MAX_AGE_MS = 800.0


def _np(t: pa.Table, c: str, fill=np.nan) -> np.ndarray:
    col = t.column(c)
    if pa.types.is_dictionary(col.type):
        col = col.cast(pa.string())
        return np.array(col.to_pylist(), dtype=object)
    return col.to_numpy(zero_copy_only=False) if col.null_count == 0 else np.array(
        [fill if v is None else v for v in col.to_pylist()])


def _reference(trades, quotes, max_age_ms=MAX_AGE_MS):
    syms = sorted(set(trades.column("symbol").to_pylist()) | set(quotes.column("symbol").to_pylist()))
    code = {s: i for i, s in enumerate(syms)}
    pk = np.array([code[s] for s in trades.column("symbol").to_pylist()])
    qk = np.array([code[s] for s in quotes.column("symbol").to_pylist()])
    i64 = lambda t: t.column("ts_event").cast(pa.int64()).to_numpy()  # noqa: E731
    return ref.asof(pk, i64(trades), trades.column("price").to_numpy(), qk, i64(quotes),
                    quotes.column("bid_px_00").to_numpy(), quotes.column("ask_px_00").to_numpy(),
                    int(max_age_ms * 1e6))


def _check_against_reference(out, trades, quotes):
    r = _reference(trades, quotes)
    q = _np(out, "join_quality")
    assert list(q) == [("fresh", "stale", "missing")[v] for v in r["quality"]]
    np.testing.assert_array_equal(_np(out, "bid_px"), r["bid"])
    np.testing.assert_array_equal(_np(out, "ask_px"), r["ask"])
    np.testing.assert_array_equal(_np(out, "quote_age_ns", -1), r["age"])
    pl = _np(out, "placement")
    want = np.array([None if v < 0 else ("AA", "A", "MID", "B", "BB")[v] for v in r["place"]], dtype=object)
    assert list(pl) == list(want)


@given(seed=st.integers(0, 2**32 - 1))
def test_matches_numpy_reference(seed):
    trades, quotes = tape(seed)
    out = join_equity(trades, quotes, JoinParams(equity_quote_max_age_ms=MAX_AGE_MS))
    assert out.schema.equals(schema("equity_joins"), check_metadata=False)
    _check_against_reference(out, trades, quotes)


@given(seed=st.integers(0, 2**32 - 1), cuts=st.lists(st.integers(0, 20_000_000_000), max_size=5))
def test_streaming_equals_whole_table(seed, cuts):
    trades, quotes = tape(seed)
    whole = join_equity(trades, quotes, JoinParams(equity_quote_max_age_ms=MAX_AGE_MS))
    cuts_ns = sorted(T0 + c for c in cuts)
    s = EquityJoinStream(JoinParams(equity_quote_max_age_ms=MAX_AGE_MS))
    parts = [s.step(prints=p, quotes=q) for p, q in zip(split_at(trades, cuts_ns), split_at(quotes, cuts_ns))]
    got = pa.concat_tables(parts)
    # dictionaries differ per chunk (symbols first seen later); compare decoded values
    for c in whole.column_names:
        assert _np(got, c, -7).tolist() == _np(whole, c, -7).tolist(), c


def test_never_looks_ahead(rng):
    trades, quotes = tape(int(rng.integers(1 << 30)))
    out = join_equity(trades, quotes, JoinParams(equity_quote_max_age_ms=MAX_AGE_MS))
    age = _np(out, "quote_age_ns", 0)
    assert (age >= 0).all()
    # changing every quote after a cut changes nothing for prints at or before the cut
    cut = T0 + 10_000_000_000
    qts = quotes.column("ts_event").cast(pa.int64()).to_numpy()
    later = qts > cut
    q2 = quotes.set_column(2, "bid_px_00", pa.array(np.where(later, 1.0, quotes.column("bid_px_00").to_numpy())))
    out2 = join_equity(trades, q2, JoinParams(equity_quote_max_age_ms=MAX_AGE_MS))
    early = trades.column("ts_event").cast(pa.int64()).to_numpy() <= cut
    for c in ("bid_px", "placement", "join_quality", "quote_age_ns"):
        assert _np(out, c, -7)[early].tolist() == _np(out2, c, -7)[early].tolist()


def test_stale_and_missing_are_reported_never_filled():
    trades = pa.table({"ts_event": pa.array([T0, T0 + 2_000_000, T0 + 5_000_000_000], TS), "symbol": ["X", "X", "X"],
                       "price": [10.0, 10.01, 10.02], "size": pa.array([100, 100, 100], pa.uint32()),
                       "venue": ["XNAS"] * 3})
    quotes = pa.table({"ts_event": pa.array([T0 + 1_000_000], TS), "symbol": ["X"], "bid_px_00": [10.0],
                       "ask_px_00": [10.01]})
    out = join_equity(trades, quotes, JoinParams(equity_quote_max_age_ms=1000))
    assert out.column("join_quality").to_pylist() == ["missing", "fresh", "stale"]
    assert out.column("bid_px").to_pylist() == [None, 10.0, None]
    assert out.column("placement").to_pylist() == [None, "A", None]
    assert out.column("quote_age_ns").to_pylist() == [None, 1_000_000, 4_999_000_000]


def test_crossed_and_locked_are_kept_and_flagged():
    trades = pa.table({"ts_event": pa.array([T0 + 1, T0 + 3], TS), "symbol": ["X", "X"], "price": [10.0, 10.0],
                       "size": pa.array([1, 1], pa.uint64()), "venue": ["XNAS", "XNAS"]})
    quotes = pa.table({"ts_event": pa.array([T0, T0 + 2], TS), "symbol": ["X", "X"], "bid_px_00": [10.02, 10.0],
                       "ask_px_00": [10.0, 10.0]})
    out = join_equity(trades, quotes)
    assert out.column("nbbo_state").to_pylist() == ["crossed", "locked"]
    assert out.column("placement").to_pylist() == [None, "A"]
    assert out.column("join_quality").to_pylist() == ["fresh", "fresh"]


def test_quote_at_the_print_nanosecond_applies():
    trades = pa.table({"ts_event": pa.array([T0], TS), "symbol": ["X"], "price": [10.0],
                       "size": pa.array([1], pa.uint32()), "venue": ["XNAS"]})
    quotes = pa.table({"ts_event": pa.array([T0 - 5, T0], TS), "symbol": ["X", "X"], "bid_px_00": [9.0, 10.0],
                       "ask_px_00": [9.5, 10.01]})
    assert join_equity(trades, quotes).column("placement").to_pylist() == ["B"]


def test_per_symbol_blocks_equal_time_sorted_input():
    trades, quotes = tape(11)
    a = join_equity(trades, quotes)
    sym = trades.column("symbol").cast(pa.string()).to_numpy(zero_copy_only=False)
    order = np.argsort(sym, kind="stable")         # symbols one after another: sorted per key only
    b = join_equity(trades.take(pa.array(order)), quotes)
    for c in ("bid_px", "placement", "join_quality"):
        assert _np(b, c, -7).tolist() == _np(a, c, -7)[order].tolist()


def test_stream_rejects_a_step_that_ran_ahead():
    s = EquityJoinStream()
    q = pa.table({"ts_event": pa.array([T0 + 10], TS), "symbol": ["X"], "bid_px_00": [1.0], "ask_px_00": [1.1]})
    s.step(quotes=q)
    p = pa.table({"ts_event": pa.array([T0 + 5], TS), "symbol": ["X"], "price": [1.0],
                  "size": pa.array([1], pa.uint32()), "venue": ["XNAS"]})
    with pytest.raises(AnalyticsInputError, match=r"equity_trades.ts_event: row 0"):
        s.step(prints=p)


def test_option_join_by_instrument_id():
    ids = pa.array([7, 9, 7], pa.uint64())
    prints = pa.table({"ts_event": pa.array([T0 + 10, T0 + 20, T0 + 2_000_000_000], TS), "instrument_id": ids,
                       "price": [1.10, 2.00, 1.05], "size": pa.array([10, 5, 1], pa.uint32()),
                       "trade_id": pa.array([100, 101, 102], pa.uint64()), "underlying": ["AAPL", "AAPL", "AAPL"]})
    quotes = pa.table({"ts_event": pa.array([T0, T0 + 1, T0 + 1_000_000_000], TS),
                       "instrument_id": pa.array([7, 9, 7], pa.uint64()), "bid_px": [1.0, 0.0, 1.0],
                       "ask_px": [1.1, 2.2, 1.05], "bid_sz": pa.array([1, 1, 1], pa.uint32()),
                       "ask_sz": pa.array([1, 1, 1], pa.uint32())})
    out = join_options(prints, quotes, JoinParams(option_nbbo_max_age_ms=1500))
    assert out.schema.equals(schema("option_joins"), check_metadata=False)
    assert out.column("placement").to_pylist() == ["A", "MID", "A"]
    assert out.column("trade_id").to_pylist() == [100, 101, 102]
    assert out.column("quote_age_ns").to_pylist() == [10, 19, 1_000_000_000]
    s = OptionJoinStream(JoinParams(option_nbbo_max_age_ms=1500))
    got = pa.concat_tables([s.step(prints.slice(0, 2), quotes.slice(0, 2)), s.step(prints.slice(2), quotes.slice(2))])
    assert got.column("placement").to_pylist() == out.column("placement").to_pylist()
