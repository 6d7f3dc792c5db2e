"""Input contracts: bad input raises one clear error naming the column and the FIRST offending row."""
from __future__ import annotations

import pyarrow as pa
import pytest

from fastsynth.analytics import AnalyticsInputError, candles, join_equity
from fastsynth.analytics._columns import RENAMES, check_columns
from fastsynth.errors import ConfigError

from ._data import T0, TS


def _trades(**over):
    cols = {"ts_event": pa.array([T0, T0 + 1, T0 + 2, T0 + 3], TS), "symbol": ["X", "Y", "X", "X"],
            "price": [10.0, 10.0, 10.0, 10.0], "size": pa.array([100, 100, 100, 100], pa.uint32()),
            "venue": ["XNAS"] * 4}
    cols.update(over)
    return pa.table(cols)


def _quotes(**over):
    cols = {"ts_event": pa.array([T0, T0 + 1], TS), "symbol": ["X", "Y"], "bid_px_00": [9.99, 9.99],
            "ask_px_00": [10.0, 10.0]}
    cols.update(over)
    return pa.table(cols)


@pytest.mark.parametrize("over, match", [
    ({"price": [10.0, 10.0, -1.0, -2.0]}, r"equity_trades\.price: row 2: price -1\.0"),
    ({"price": [10.0, float("nan"), 1.0, 1.0]}, r"equity_trades\.price: row 1: price nan"),
    ({"size": pa.array([1, 2, -3, -4], pa.int64())}, r"equity_trades\.size: row 2: negative value -3"),
    ({"size": [1.0, 2.5, 3.0, 4.0]}, r"equity_trades\.size: row 1: size 2\.5"),
    ({"price": ["a", "b", "c", "d"]}, r"equity_trades\.price: type string; allowed: a float or integer"),
    ({"ts_event": pa.array([T0, T0 + 1, T0 - 5, T0 + 3], TS)}, r"equity_trades\.ts_event: row 2: .* 'X'"),
    ({"price": pa.array([10.0, None, 1.0, 1.0])}, r"equity_trades\.price: row 1: null value"),
])
def test_bad_prints_name_column_and_first_row(over, match):
    with pytest.raises(AnalyticsInputError, match=match):
        join_equity(_trades(**over), _quotes())


def test_missing_column_lists_what_is_there():
    with pytest.raises(AnalyticsInputError, match=r"equity_quotes\.ask_px_00: missing column \(have: ts_event"):
        join_equity(_trades(), _quotes().drop_columns(["ask_px_00"]))


def test_unsorted_is_per_key_not_global():
    # Y's print is earlier than X's previous one: fine (sorted per symbol); X going back is the error
    t = _trades(ts_event=pa.array([T0 + 5, T0 + 1, T0 + 6, T0 + 7], TS))
    assert join_equity(t, _quotes()).num_rows == 4
    bad = _trades(ts_event=pa.array([T0 + 5, T0 + 1, T0 + 6, T0 + 4], TS))
    with pytest.raises(AnalyticsInputError, match=r"row 3"):
        join_equity(bad, _quotes())
    with pytest.raises(AnalyticsInputError, match=r"row 3"):
        candles(bad)


def test_crossed_quotes_are_not_an_error_but_negative_bid_is():
    assert join_equity(_trades(), _quotes(bid_px_00=[10.5, 9.0])).column("nbbo_state").to_pylist()[0] == "crossed"
    with pytest.raises(AnalyticsInputError, match=r"equity_quotes\.bid_px_00: row 1"):
        join_equity(_trades(), _quotes(bid_px_00=[9.0, -0.01]))


def test_int_timestamps_float_sizes_and_lean_rename():
    t = pa.table({"ts_ns": pa.array([T0, T0 + 1], pa.int64()), "price": [1.0, 2.0], "size": [100.0, 200.0],
                  "exchange": ["D", "P"], "cond": ["1", "1"], "symbol": ["IBM", "IBM"]})
    q = pa.table({"ts_ns": pa.array([T0], pa.int64()), "bid": [0.99], "ask": [1.0], "bid_size": [1.0],
                  "ask_size": [2.0], "symbol": ["IBM"]})
    out = join_equity(t, q, rename="lean")
    assert out.column("placement").to_pylist() == ["A", "AA"]
    assert out.column("venue").to_pylist() == ["D", "P"]
    assert set(RENAMES) >= {"lean", "databento"}


def test_rename_errors():
    with pytest.raises(ConfigError, match="rename"):
        join_equity(_trades(), _quotes(), rename="nope")
    with pytest.raises(AnalyticsInputError, match="two columns"):
        join_equity(_trades(), _quotes(), rename={"price": "size"})


def test_reader_and_batches_accepted():
    t = _trades()
    c1 = check_columns(t, "equity_prints")
    c2 = check_columns(pa.Table.from_batches(t.to_batches(max_chunksize=1)), "equity_prints")
    assert (c1["ts_event"] == c2["ts_event"]).all()
    out = join_equity(pa.RecordBatchReader.from_batches(t.schema, t.to_batches(max_chunksize=3)), _quotes())
    assert out.num_rows == 4


def test_databento_preset_swaps_the_side_letters():
    """DBN's trade side is the aggressing order's side (A = sell aggressor); fastsynth's A is a buy at the
    ask. The preset maps DBN letters onto fastsynth's meaning; other values pass through."""
    import pyarrow as pa

    from fastsynth.analytics._columns import apply_rename

    t = pa.table({"side": pa.array(["A", "B", "N", None]), "raw_symbol": ["X"] * 4})
    out = apply_rename(t, "databento", "prints")
    assert out.column("side").to_pylist() == ["B", "A", "N", None]
    assert "symbol" in out.column_names
    d = pa.table({"side": pa.array(["A", "B"]).dictionary_encode()})
    assert apply_rename(d, "databento", "prints").column("side").to_pylist() == ["B", "A"]
