"""Dark inference: blocks, accumulation with window and cooldown, sides from placement, streaming == whole."""
from __future__ import annotations

import numpy as np
import pyarrow as pa
from hypothesis import given
from hypothesis import strategies as st

from fastsynth import schema
from fastsynth.analytics import DarkParams, DarkStream, JoinParams, infer_dark

from ._data import T0, TS, split_at, tape

S = 1_000_000_000


def _tape(prints, quotes=((0, 10.00, 10.02),)):
    """prints: (t_s, price, size, venue); quotes: (t_s, bid, ask) for symbol X."""
    tr = pa.table({"ts_event": pa.array([T0 + int(p[0] * S) for p in prints], TS), "symbol": ["X"] * len(prints),
                   "price": [float(p[1]) for p in prints], "size": pa.array([p[2] for p in prints], pa.uint32()),
                   "venue": [p[3] for p in prints]})
    q = pa.table({"ts_event": pa.array([T0 + int(x[0] * S) for x in quotes], TS), "symbol": ["X"] * len(quotes),
                  "bid_px_00": [x[1] for x in quotes], "ask_px_00": [x[2] for x in quotes]})
    return tr, q


def test_block_and_side_from_placement():
    tr, q = _tape([(0.1, 10.02, 20_000, "FINN"), (0.2, 10.00, 15_000, "FINY"), (0.3, 10.01, 12_000, "FINC"),
                   (0.4, 10.02, 50_000, "XNAS")])
    d = infer_dark(tr, q)
    assert d.schema.equals(schema("inferred_dark"), check_metadata=False)
    assert d.column("kind").to_pylist() == ["block"] * 3               # the lit print is not dark
    assert d.column("side").to_pylist() == ["buy", "sell", "unknown"]  # A, B, midpoint
    assert d.column("evidence_rows").to_pylist() == [[0], [1], [2]]
    assert all("block:" in r for r in d.column("reason").to_pylist())


def test_accumulation_window_count_size_and_cooldown():
    p = DarkParams(window_ms=10_000, cooldown_ms=30_000, min_accum_count=3, min_accum_size=900, min_print_size=100)
    prints = [(1 + i, 10.02, 300, "FINN") for i in range(3)]          # 3 x 300 at the ask within 2 s -> event
    prints += [(4 + i, 10.02, 300, "FINN") for i in range(3)]         # inside cooldown (until t=33) -> none
    prints += [(40, 10.02, 300, "FINN"), (55, 10.02, 300, "FINN"), (56, 10.02, 300, "FINN")]  # 40 left the window
    prints += [(57, 10.02, 300, "FINN"), (58, 10.00, 5000, "FINN"), (58.5, 10.0, 50, "FINN")]
    tr, q = _tape(prints)
    d = infer_dark(tr, q, p, JoinParams(equity_quote_max_age_ms=100_000))   # one quote, always fresh
    kinds = d.column("kind").to_pylist()
    assert kinds == ["accumulation", "accumulation"]
    assert d.column("evidence_rows").to_pylist() == [[0, 1, 2], [7, 8, 9]]
    assert d.column("print_count").to_pylist() == [3, 3]
    assert d.column("side").to_pylist() == ["buy", "buy"]
    assert d.column("size").to_pylist() == [900, 900]


def test_stale_quote_gives_unknown_side_and_no_accumulation():
    p = DarkParams(min_accum_count=2, min_accum_size=200)
    tr, q = _tape([(10, 10.02, 300, "FINN"), (10.5, 10.02, 300, "FINN"), (11, 10.02, 20_000, "FINN")])
    d = infer_dark(tr, q, p)   # quote at t=0 is 10 s old: stale (max age 1.5 s)
    assert d.column("kind").to_pylist() == ["block"]
    assert d.column("side").to_pylist() == ["unknown"]
    assert "stale" in d.column("reason")[0].as_py()


def test_off_exchange_set_is_configurable():
    tr, q = _tape([(0.1, 10.02, 20_000, "D"), (0.2, 10.02, 20_000, "Q")])
    assert infer_dark(tr, q).num_rows == 1
    assert infer_dark(tr, q, DarkParams(off_exchange_venues=("Q",))).column("evidence_rows").to_pylist() == [[1]]


def _events(t):
    return [tuple(map(str, r.values())) for r in t.to_pylist()]


@given(seed=st.integers(0, 2**32 - 1), cuts=st.lists(st.integers(0, 60_000_000_000), max_size=5))
def test_streaming_equals_whole_table(seed, cuts):
    trades, quotes = tape(seed, n_prints=600, n_quotes=400, span_ns=60_000_000_000, off_share=0.8, big=True)
    p = DarkParams(window_ms=5_000, cooldown_ms=3_000, min_accum_count=3, min_accum_size=800, min_block_size=10_000)
    whole = infer_dark(trades, quotes, p)
    cuts_ns = sorted(T0 + c for c in cuts)
    s = DarkStream(p)
    got = pa.concat_tables([s.step(a, b) for a, b in zip(split_at(trades, cuts_ns), split_at(quotes, cuts_ns))])
    assert _events(got) == _events(whole)


def test_random_tape_fires_both_kinds():
    trades, quotes = tape(3, n_prints=600, n_quotes=400, span_ns=60_000_000_000, off_share=0.8, big=True)
    d = infer_dark(trades, quotes, DarkParams(window_ms=5_000, min_accum_count=3, min_accum_size=800))
    assert set(d.column("kind").to_pylist()) == {"block", "accumulation"}
    conf = np.array(d.column("confidence").to_pylist())
    assert ((conf > 0) & (conf < 1)).all()
