"""Flow packets: clustering against a plain-Python reference, streaming == whole over any batch split,
sweeps, and bad input (errors name the column and the first offending row)."""
from __future__ import annotations

import numpy as np
import pyarrow as pa
import pytest
from hypothesis import given
from hypothesis import strategies as st

from ._flowdata import T0, Tape
from fastsynth.analytics._columns import AnalyticsInputError
from fastsynth.analytics.flow import FLOW_TABLES, FlowStream, flow
from fastsynth.analytics.params import AnalyticsParams, ClusterParams


def _tape(seed: int) -> tuple[Tape, pa.Table]:
    tape = Tape(seed)
    t = T0 + 10**9
    for fam in ("call_sweep", "ask_lift_accumulation", "0dte_call_chase", "parity_vertical", "box_spread",
                "covered_call_overwrite", "gamma_pinch_call_hedge"):
        tape.burst(fam, t)
        t += 400 * 10**9
    tape.noise(400, T0, t)
    return tape, tape.table()


def reference_packets(tab: pa.Table, window_ns: int) -> list[list[int]]:
    """Plain-Python clustering: key = structure id or contract; join when ts - last <= window; ids by opening.
    (Prints in this table carry structure ids for every multi-leg print, so no synthetic grouping is needed.)"""
    ts = tab.column("ts_event").cast(pa.int64()).to_pylist()
    inst = tab.column("instrument_id").to_pylist()
    sid = tab.column("structure_id").to_pylist()
    tids = tab.column("trade_id").to_pylist()
    open_: dict[tuple, tuple[int, int]] = {}
    packets: list[list[int]] = []
    for t, i, s, tid in zip(ts, inst, sid, tids):
        key = (0, s) if s else (i, 0)
        cur = open_.get(key)
        if cur is None or t - cur[1] > window_ns:
            packets.append([])
            cur = (len(packets) - 1, t)
        open_[key] = (cur[0], t)
        packets[cur[0]].append(tid)
    return packets


def test_packets_match_reference():
    tape, tab = _tape(3)
    out = flow(tab)
    ref = reference_packets(tab, 500_000_000)
    got = [sorted(x) for x in out["flow_packets"].column("trade_ids").to_pylist()]
    assert len(got) == len(ref)
    assert got == [sorted(x[:32]) for x in ref]
    # every print has a packet, and the packet ids count up in opening order
    pk = out["flow_packets"].column("packet_id").to_numpy()
    assert (pk == np.arange(len(pk))).all()
    assert out["flow_prints"].num_rows == tab.num_rows


def test_packet_aggregates():
    tape = Tape(5)
    tids = tape.burst("call_sweep", T0 + 10**9)
    out = flow(tape.table())
    p = out["flow_packets"].to_pylist()
    assert len(p) == 1
    rows = tape.table().to_pylist()
    prem = sum(r["price"] * r["size"] * 100 for r in rows)
    assert p[0]["premium"] == pytest.approx(prem, rel=1e-12)
    assert p[0]["size"] == sum(r["size"] for r in rows)
    assert p[0]["prints"] == len(tids)
    assert p[0]["venues"] == len({r["venue"] for r in rows})
    assert p[0]["sweep"] and p[0]["iso_prints"] == len(tids)
    assert p[0]["ask_ratio"] == 1.0 and p[0]["nbbo_coverage"] == 1.0


@given(st.lists(st.integers(min_value=1, max_value=400), min_size=0, max_size=5))
def test_streaming_equals_whole(cuts):
    tape, tab = _TAPE
    whole = flow(tab)
    bounds = sorted({0, tab.num_rows, *[min(c, tab.num_rows) for c in cuts]})
    fs = FlowStream(AnalyticsParams())
    parts = [fs.push(tab.slice(a, b - a)) for a, b in zip(bounds[:-1], bounds[1:])]
    parts.append(fs.finish())
    for t in FLOW_TABLES:
        got = pa.concat_tables([p[t] for p in parts]).unify_dictionaries()
        exp = whole[t]
        for c in exp.column_names:
            a, b = got.column(c).to_pylist(), exp.column(c).to_pylist()
            assert a == b, (t, c)


_TAPE = _tape(11)


def test_unordered_timestamps_name_the_row():
    _, tab = _tape(4)
    ts = tab.column("ts_event").cast(pa.int64()).to_numpy().copy()
    ts[7] = ts[3] - 1
    bad = tab.set_column(0, "ts_event", pa.array(ts).cast(pa.timestamp("ns", tz="UTC")))
    with pytest.raises(AnalyticsInputError, match="ts_event: row 7"):
        flow(bad)


def test_missing_column_and_negative_size():
    _, tab = _tape(4)
    with pytest.raises(AnalyticsInputError, match="strike"):
        flow(tab.drop_columns(["strike"]))
    price = tab.column("price").to_numpy().copy()
    price[5] = -1.0
    with pytest.raises(AnalyticsInputError, match="price: row 5"):
        flow(tab.set_column(tab.column_names.index("price"), "price", pa.array(price)))


def test_missing_nbbo_is_reported_not_filled():
    tape = Tape(6)
    tape.burst("call_sweep", T0 + 10**9)
    tab = tape.table()
    n = tab.num_rows
    tab = tab.set_column(tab.column_names.index("bid_px"), "bid_px", pa.nulls(n, pa.float64()))
    tab = tab.set_column(tab.column_names.index("ask_px"), "ask_px", pa.nulls(n, pa.float64()))
    tab = tab.set_column(tab.column_names.index("nbbo_age_ns"), "nbbo_age_ns", pa.nulls(n, pa.int64()))
    out = flow(tab)
    fp = out["flow_prints"]
    assert fp.column("placement").null_count == n
    assert set(fp.column("join_quality").to_pylist()) == {"missing"}
    assert out["flow_packets"].column("nbbo_coverage").to_pylist() == [0.0]


def test_window_parameter():
    tape = Tape(7)
    tape.burst("ask_lift_accumulation", T0 + 10**9)
    tab = tape.table()
    one = flow(tab, params=AnalyticsParams(cluster=ClusterParams(window_ms=3_600_000)))
    assert one["flow_packets"].num_rows == 1
    many = flow(tab)
    assert many["flow_packets"].num_rows == tab.num_rows
