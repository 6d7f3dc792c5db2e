"""NDJSON timestamps are int64 ns written as JSON integers: exact in the text and read back exactly by
64-bit-integer JSON readers (msgspec, the stdlib, polars), although every real timestamp is above 2**53
(where a double — JavaScript's JSON.parse — would round it)."""
from __future__ import annotations

import json

import msgspec
import numpy as np
import pyarrow as pa

from fastsynth.sinks import encode_batch

from ._data import make_batch

TS = pa.timestamp("ns", tz="UTC")


def _batch() -> pa.RecordBatch:
    b = make_batch("equity_trades", 50)
    # odd nanoseconds right next to each other: a double cannot tell them apart at this magnitude
    ts = b.column("ts_event").cast(pa.int64()).to_numpy() | 1
    ts[1] = ts[0] + 2
    b = b.set_column(0, b.schema.field("ts_event"), pa.array(ts, TS))
    return b.set_column(1, b.schema.field("ts_recv"), pa.array(ts + 25_001, TS))


def test_timestamps_round_trip_exactly():
    import polars as pl

    b = _batch()
    want = {c: b.column(c).cast(pa.int64()).to_pylist() for c in ("ts_event", "ts_recv")}
    assert min(want["ts_event"]) > 2 ** 53
    assert float(want["ts_event"][0]) == float(want["ts_event"][1])    # why it matters: doubles collide
    data = encode_batch(b)
    rows = msgspec.json.decode(b"[" + b",".join(data.splitlines()) + b"]")
    std = [json.loads(line) for line in data.splitlines()]
    df = pl.read_ndjson(data)
    for c, v in want.items():
        assert [r[c] for r in rows] == v
        assert [r[c] for r in std] == v
        assert df.schema[c] == pl.Int64 and df[c].to_list() == v
    # and back to the Arrow timestamp type without loss
    back = pa.array(np.array(df["ts_event"].to_list(), dtype=np.int64), pa.int64()).cast(TS)
    assert back.equals(b.column("ts_event"))
