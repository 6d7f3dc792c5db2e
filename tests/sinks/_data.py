"""Small synthetic batches with the real schemas, for the sink tests."""
from __future__ import annotations

import datetime as dt
import zlib

import numpy as np
import pyarrow as pa

from fastsynth import schemas

TS = pa.timestamp("ns", tz="UTC")


def open_ns(date: str) -> int:
    """09:30 New York (14:30 UTC in winter) on ``date``, ns since epoch."""
    d = dt.datetime.fromisoformat(date).replace(hour=14, minute=30, tzinfo=dt.timezone.utc)
    return int(d.timestamp()) * 1_000_000_000


def _codes(idx: np.ndarray, values: tuple[str, ...], index_type: pa.DataType) -> pa.DictionaryArray:
    return pa.DictionaryArray.from_arrays(pa.array(idx, type=index_type), pa.array(list(values), pa.string()))


def _prices(rng: np.random.Generator, n: int, base: float = 101.23) -> np.ndarray:
    # Rounded to the cent like the engine does, so repr() is the clean decimal.
    return np.round(base + rng.integers(-50, 50, n) * 0.01, 2)


def make_batch(table: str, n: int = 5, *, symbol: str = "AAPL", date: str = "2026-03-02", seed: int = 0,
               start_seq: int = 0) -> pa.RecordBatch:
    """``n`` plausible rows of ``table`` for (symbol, date), built with ``schemas.schema(table)``."""
    rng = np.random.default_rng(seed)
    schema = schemas.schema(table)
    ts = open_ns(date) + np.cumsum(rng.integers(1, 1_000_000_000, n)).astype(np.int64)
    sym = _codes(np.zeros(n, np.int32), (symbol,), pa.int32())
    seq = pa.array(np.arange(start_seq, start_seq + n, dtype=np.uint64))
    if table == "equity_trades":
        arrays = [pa.array(ts, TS), pa.array(ts + 25_000, TS), sym, pa.array(_prices(rng, n)),
                  pa.array(rng.integers(1, 500, n).astype(np.uint32)),
                  _codes(rng.integers(0, len(schemas.SIDES), n).astype(np.int8), schemas.SIDES, pa.int8()),
                  _codes(rng.integers(0, len(schemas.VENUES), n).astype(np.int8), schemas.VENUES, pa.int8()),
                  _codes(rng.integers(0, len(schemas.CONDITIONS), n).astype(np.int8), schemas.CONDITIONS,
                         pa.int8()),
                  seq]
    elif table == "equity_quotes":
        bid = _prices(rng, n)
        arrays = [pa.array(ts, TS), pa.array(ts + 10_000, TS), sym, pa.array(bid),
                  pa.array(np.round(bid + 0.01, 2)),
                  pa.array(rng.integers(100, 1000, n).astype(np.uint32)),
                  pa.array(rng.integers(100, 1000, n).astype(np.uint32)),
                  _codes(rng.integers(0, 16, n).astype(np.int8), schemas.VENUES, pa.int8()),
                  _codes(rng.integers(0, 16, n).astype(np.int8), schemas.VENUES, pa.int8()),
                  seq]
    elif table == "bars_1m":
        minute = open_ns(date) + np.arange(n, dtype=np.int64) * 60_000_000_000
        o = _prices(rng, n)
        arrays = [pa.array(minute, TS), sym, pa.array(o), pa.array(np.round(o + 0.05, 2)),
                  pa.array(np.round(o - 0.05, 2)), pa.array(np.round(o + 0.01, 2)),
                  pa.array(rng.integers(100, 10_000, n).astype(np.uint64)), pa.array(o),
                  pa.array(rng.integers(1, 50, n).astype(np.uint32))]
    else:
        raise KeyError(table)
    return pa.RecordBatch.from_arrays(arrays, schema=schema)


def partition_items(date: str, symbol: str, tables=("equity_trades", "equity_quotes", "bars_1m"),
                    n: int = 5, batches: int = 2) -> list[tuple[str, pa.RecordBatch]]:
    """Interleaved ``(table, batch)`` items for one partition, ``batches`` batches per table."""
    seed = zlib.crc32(f"{date}/{symbol}".encode())
    out = []
    for b in range(batches):
        for i, t in enumerate(tables):
            out.append((t, make_batch(t, n, symbol=symbol, date=date, seed=seed + 7 * b + i, start_seq=b * n)))
    return out
