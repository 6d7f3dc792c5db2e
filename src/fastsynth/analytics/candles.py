"""OHLCV candles from prints at several intervals, with late-print handling.

Bars are epoch-aligned (``ts_event`` = bar start = ``floor(ts / interval) * interval``, UTC) and exist only
for intervals with prints, per symbol. Intervals are ``CandleParams.intervals_ms`` [CANDLE_INTERVALS_MS].

Late prints [CANDLE_MAX_LATE_MS]: a print whose ``ts_recv`` is later than its bar's end plus
``max_late_ms`` arrived after a live builder had published the bar. It is never dropped: it is counted
in the bar's ``late_prints``/``late_volume``, and with ``late="count"`` (default) left out of the OHLCV
(the bar stays as published), with ``late="revise"`` also included in the OHLCV (the bar as revised).
Without a ``ts_recv`` column no print is late. A bar whose prints were all late (``count``) has null
open/high/low/close/vwap and trade_count 0.

Output: table ``candles``, sorted by (interval_ms, ts_event, symbol). :class:`CandleStream` carries each
symbol's open bar across time-ordered chunks; ``step`` returns the bars that closed, ``finish`` the rest;
their rows together are exactly :func:`candles`' rows.
"""
from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pyarrow as pa

from .. import schemas
from .._arrow import ts_array
from ..kernels import asof as KA
from ..kernels import candles as K
from ._columns import AnalyticsInputError, read_input
from .joins import KeyCoder
from .params import CandleParams

__all__ = ["CandleParams", "CandleStream", "candles"]


class CandleStream:
    """Streaming candles: ``step(prints)`` per time-ordered chunk returns closed bars; ``finish()`` the rest."""

    def __init__(self, params: CandleParams | None = None, *, rename: Mapping[str, str] | str | None = None) -> None:
        self.params = params or CandleParams()
        self.rename = rename
        self.keys = KeyCoder()
        self.rows_seen = 0
        n_iv = len(self.params.intervals_ms)
        self.st_start = [np.zeros(0, np.int64) for _ in range(n_iv)]
        self.st_f = [np.zeros((0, 6)) for _ in range(n_iv)]
        self.st_i = [np.zeros((0, 3), np.int64) for _ in range(n_iv)]
        self.last = np.zeros(0, np.int64)

    def _grow(self) -> None:
        n = len(self.keys)
        if n <= len(self.last):
            return
        extra = n - len(self.last)
        self.last = np.r_[self.last, np.full(extra, KA.NO_QUOTE, np.int64)]
        for j in range(len(self.st_start)):
            self.st_start[j] = np.r_[self.st_start[j], np.full(extra, K.NO_BAR, np.int64)]
            self.st_f[j] = np.vstack([self.st_f[j], np.zeros((extra, 6))])
            self.st_i[j] = np.vstack([self.st_i[j], np.zeros((extra, 3), np.int64)])

    def step(self, prints: object) -> pa.Table:
        _, c = read_input(prints, "equity_prints", self.rename, "equity_trades")
        key = self.keys.strings(c["symbol"], c.dicts["symbol"])
        self._grow()
        ts = c["ts_event"]
        i = KA.first_unsorted(key, ts, self.last)
        if i >= 0:
            raise AnalyticsInputError("equity_trades", "ts_event", self.rows_seen + i,
                                      f"ts_event {int(ts[i])} earlier than the previous print of "
                                      f"{self.keys.names[key[i]]!r}", "ts_event sorted per symbol")
        recv = c["ts_recv"] if "ts_recv" in c else np.full(c.n, K.NO_RECV, np.int64)
        px, sz = c["price"], c["size"].astype(np.float64)
        if c.n > 1 and not bool(np.all(ts[1:] >= ts[:-1])):
            o = np.argsort(ts, kind="stable")
            key, ts, recv, px, sz = (np.ascontiguousarray(a[o]) for a in (key, ts, recv, px, sz))
        self.rows_seen += c.n
        p = self.params
        parts = []
        for j, iv in enumerate(p.intervals_ms):
            n = ts.shape[0]
            ok, ost, of, oi = np.empty(n, np.int32), np.empty(n, np.int64), np.empty((n, 6)), np.empty((n, 3), np.int64)
            m = K.candle_step(key, ts, recv, px, sz, np.int64(iv) * 1_000_000, np.int64(round(p.max_late_ms * 1e6)),
                              p.late == "revise", self.st_start[j], self.st_f[j], self.st_i[j], ok, ost, of, oi)
            parts.append((iv, ok[:m], ost[:m], of[:m], oi[:m]))
        return self._table(parts)

    def finish(self) -> pa.Table:
        parts = []
        for j, iv in enumerate(self.params.intervals_ms):
            n = len(self.keys)
            ok, ost, of, oi = np.empty(n, np.int32), np.empty(n, np.int64), np.empty((n, 6)), np.empty((n, 3), np.int64)
            m = K.candle_flush(self.st_start[j], self.st_f[j], self.st_i[j], ok, ost, of, oi)
            parts.append((iv, ok[:m], ost[:m], of[:m], oi[:m]))
        return self._table(parts)

    def _table(self, parts) -> pa.Table:
        sch = schemas.schema("candles")
        iv = np.concatenate([np.full(len(p[1]), p[0], np.uint32) for p in parts])
        key = np.concatenate([p[1] for p in parts])
        start = np.concatenate([p[2] for p in parts])
        f = np.concatenate([p[3] for p in parts])
        i = np.concatenate([p[4] for p in parts])
        names = [str(s) for s in self.keys.names]
        rank = np.argsort(np.argsort(np.array(names, dtype=object))) if names else np.zeros(0, np.int64)
        order = np.lexsort((rank[key] if len(key) else key, start, iv))
        iv, key, start, f, i = iv[order], key[order], start[order], f[order], i[order]
        has = i[:, 0] > 0
        vol = f[:, 4]
        with np.errstate(invalid="ignore", divide="ignore"):
            vwap = f[:, 5] / vol
        allv = bool(has.all())

        def col(a):
            return pa.array(a) if allv else pa.array(a, mask=~has)

        cols = [ts_array(start), pa.DictionaryArray.from_arrays(pa.array(key.astype(np.int32)), pa.array(names, pa.string())),
                pa.array(iv), col(f[:, 0]), col(f[:, 1]), col(f[:, 2]), col(f[:, 3]), pa.array(vol.astype(np.uint64)),
                col(vwap), pa.array(i[:, 0].astype(np.uint32)), pa.array(i[:, 1].astype(np.uint32)),
                pa.array(i[:, 2].astype(np.uint64))]
        return pa.Table.from_arrays(cols, schema=sch)


def candles(prints: object, params: CandleParams | None = None, *,
            rename: Mapping[str, str] | str | None = None) -> pa.Table:
    """Candles (table ``candles``) of equity prints at every interval of ``params`` (whole table)."""
    s = CandleStream(params, rename=rename)
    out = pa.concat_tables([s.step(prints), s.finish()])
    return _sorted(out)


def _sorted(t: pa.Table) -> pa.Table:
    if t.num_rows == 0:
        return t
    sym = t.column("symbol").combine_chunks()
    names = np.array(sym.dictionary.to_pylist(), dtype=object)
    rank = np.argsort(np.argsort(names)) if len(names) else np.zeros(0, np.int64)
    order = np.lexsort((rank[sym.indices.to_numpy()], t.column("ts_event").combine_chunks().cast(pa.int64()).to_numpy(),
                        t.column("interval_ms").to_numpy()))
    return t.take(pa.array(order)).combine_chunks()
