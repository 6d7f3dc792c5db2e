"""Dark (off-exchange) activity inferred from off-exchange equity prints joined to the NBBO.

Rule (every threshold a :class:`DarkParams` field; source names in brackets):

1. Candidates: prints whose venue is in ``off_exchange_venues`` (FINRA TRF MICs ``FINN/FINC/FINY`` and the
   consolidated-tape letter ``D`` = FINRA ADF/TRF) with ``size >= min_print_size`` [DARK_INFER_MIN_PRINT_SIZE].
2. Side, from the as-of joined NBBO (:mod:`.joins`, max age ``EQUITY_QUOTE_MAX_AGE_MS``): a fresh, uncrossed
   quote with spread <= ``max_spread_pct`` % of the mid [DARK_INFER_MAX_SPREAD_PCT] sides the print —
   placement ``A``/``AA`` or inside the spread within ``near_side_frac`` of the ask -> ``buy``; ``B``/``BB``
   or within ``near_side_frac`` of the bid -> ``sell``; otherwise (midpoint-ish, stale, missing, crossed,
   too wide) ``unknown``.
3. ``block``: every candidate with ``size >= min_block_size`` [DARK_INFER_MIN_BLOCK_SIZE] is one event
   (any side, no cooldown: each block is a distinct print).
4. ``accumulation``: the other sided candidates, per (symbol, side), in a sliding window of ``window_ms``
   [DARK_INFER_WINDOW_MS]: when it holds >= ``min_accum_count`` prints [DARK_INFER_MIN_ACCUM_COUNT] and
   >= ``min_accum_size`` shares [DARK_INFER_MIN_ACCUM_SIZE] an event fires at the current print, the window
   empties (a print is evidence once) and that (symbol, side) is quiet for ``cooldown_ms``
   [DARK_INFER_COOLDOWN_MS]. Evidence lists the last ``max_evidence`` prints [DARK_INFER_MAX_EVIDENCE].

Output: table ``inferred_dark`` (``fastsynth.schema("inferred_dark")``), sorted by (ts_event, trigger
print). :class:`DarkStream` carries the window, cooldowns and join state across time-ordered chunks and
gives exactly the whole-table output.
"""
from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pyarrow as pa

from .. import schemas
from .._arrow import ts_array
from ..kernels import dark as K
from ..kernels.placement import AA, A, B, BB, MID
from .joins import EquityJoinStream
from .params import DarkParams, JoinParams

__all__ = ["DarkParams", "DarkStream", "infer_dark", "infer_dark_joined", "SIDES", "KINDS"]

SIDES: tuple[str, ...] = ("buy", "sell", "unknown")
KINDS: tuple[str, ...] = ("block", "accumulation")
BUY, SELL, UNKNOWN_SIDE = 0, 1, 2


def _sides(place: np.ndarray, price, bid, ask, fresh, crossed, p: DarkParams) -> np.ndarray:
    side = np.full(place.shape[0], UNKNOWN_SIDE, np.int8)
    mid = 0.5 * (bid + ask)
    with np.errstate(invalid="ignore", divide="ignore"):
        ok = fresh & ~crossed & (mid > 0) & ((ask - bid) <= p.max_spread_pct / 100.0 * mid)
        pos = (price - bid) / (ask - bid)
    side[ok & ((place == A) | (place == AA))] = BUY
    side[ok & ((place == B) | (place == BB))] = SELL
    inside = ok & (place == MID)
    side[inside & (pos >= 1.0 - p.near_side_frac)] = BUY
    side[inside & (pos <= p.near_side_frac)] = SELL
    return side


class DarkStream:
    """Streaming dark inference: ``step(prints, quotes)`` per time chunk (or ``step_joined(joins)`` with an
    ``equity_joins`` table); carries the join state, each (symbol, side) window and cooldown."""

    def __init__(self, params: DarkParams | None = None, join_params: JoinParams | None = None, *,
                 rename: Mapping[str, str] | str | None = None) -> None:
        self.params = params or DarkParams()
        self.join = EquityJoinStream(join_params, rename=rename)
        self.sym_codes: dict[str, int] = {}
        self.sym_names: list[str] = []
        self.cool = np.zeros(0, np.int64)
        self.carry: dict[str, np.ndarray] | None = None
        self.t_end = np.iinfo(np.int64).min

    def step(self, prints: object | None = None, quotes: object | None = None) -> pa.Table:
        return self.step_joined(self.join.step(prints=prints, quotes=quotes))

    def step_joined(self, j: pa.Table) -> pa.Table:
        p = self.params
        venue = j.column("venue").combine_chunks()
        if not isinstance(venue, pa.DictionaryArray):
            venue = venue.dictionary_encode()
        vdict = venue.dictionary.to_pylist()
        vidx = venue.indices.to_numpy(zero_copy_only=False)
        off_codes = np.array([v in p.off_exchange_venues for v in vdict] + [False], bool)
        size = j.column("size").to_numpy().astype(np.float64)
        off = off_codes[np.where(vidx < 0, len(vdict), vidx)] & (size >= p.min_print_size) if len(vidx) else \
            np.zeros(0, bool)
        rows = np.flatnonzero(off)
        t = j.take(pa.array(rows)) if len(rows) != j.num_rows else j
        ts = t.column("ts_event").combine_chunks().cast(pa.int64()).to_numpy() if t.num_rows else np.zeros(0, np.int64)
        if j.num_rows:
            self.t_end = max(self.t_end, int(j.column("ts_event").combine_chunks().cast(pa.int64()).to_numpy().max()))
        sym = t.column("symbol").combine_chunks()
        sym = sym if isinstance(sym, pa.DictionaryArray) else sym.dictionary_encode()
        sd = sym.dictionary.to_pylist()
        smap = np.array([self._sym(s) for s in sd], np.int64)
        key = smap[sym.indices.to_numpy(zero_copy_only=False)] if t.num_rows else np.zeros(0, np.int64)
        if len(self.cool) < 2 * len(self.sym_names):
            self.cool = np.concatenate([self.cool, np.full(2 * len(self.sym_names) - len(self.cool),
                                                           np.iinfo(np.int64).min, np.int64)])

        def f(name, fill=np.nan):
            return t.column(name).to_numpy(zero_copy_only=False).astype(np.float64) if t.num_rows else np.zeros(0)

        price, sz, bid, ask = f("price"), f("size"), f("bid_px"), f("ask_px")
        q = t.column("join_quality").combine_chunks()
        qual = np.asarray(q.indices) if t.num_rows else np.zeros(0, np.int8)
        fresh = qual == 0
        st = t.column("nbbo_state").combine_chunks()
        crossed = (np.asarray(st.indices.fill_null(0)) == 2) & fresh if t.num_rows else np.zeros(0, bool)
        pl = t.column("placement").combine_chunks()
        place = np.asarray(pl.indices.fill_null(-1)).astype(np.int8) if t.num_rows else np.zeros(0, np.int8)
        side = _sides(place, price, bid, ask, fresh, crossed, p)
        prow = t.column("print_row").to_numpy() if t.num_rows else np.zeros(0, np.uint64)
        age = t.column("quote_age_ns").to_numpy(zero_copy_only=False) if t.num_rows else np.zeros(0)
        events: list[tuple] = []
        # blocks
        blk = sz >= p.min_block_size
        for i in np.flatnonzero(blk):
            events.append(self._block_event(int(ts[i]), int(key[i]), int(side[i]), price[i], sz[i], int(prow[i]),
                                            bid[i], ask[i], int(qual[i]), age[i], int(place[i]), vdict_name(t, i)))
        # accumulation candidates (sided, not blocks), plus the carried window rows
        acc = ~blk & (side != UNKNOWN_SIDE)
        new = {"run": key[acc] * 2 + side[acc].astype(np.int64), "ts": ts[acc], "size": sz[acc],
               "px": price[acc], "row": prow[acc].astype(np.uint64), "new": np.ones(int(acc.sum()), bool)}
        if self.carry is not None:
            new = {k: np.concatenate([self.carry[k], new[k]]) for k in new}
        order = np.lexsort((new["ts"], new["run"]))   # stable: carried rows precede new rows at equal ts
        a = {k: np.ascontiguousarray(v[order]) for k, v in new.items()}
        n = len(order)
        ev_s = np.empty(n, np.int64)
        ev_e = np.empty(n, np.int64)
        run_start = np.zeros(n, np.int64)
        ne = K.accumulate(a["run"], a["ts"], a["size"], a["new"], np.int64(round(p.window_ms * 1e6)),
                          np.int64(round(p.cooldown_ms * 1e6)), np.int64(p.min_accum_count),
                          float(p.min_accum_size), self.cool, ev_s, ev_e, run_start)
        for k in range(ne):
            s, e = int(ev_s[k]), int(ev_e[k])
            events.append(self._accum_event(a, s, e))
        # carry: unconsumed rows of each run still inside the window of the latest time seen
        keep = np.zeros(n, bool)
        if n:
            last = np.flatnonzero(np.r_[a["run"][1:] != a["run"][:-1], True])
            for l0 in last:
                keep[run_start[l0]: l0 + 1] = True
            keep &= a["ts"] >= self.t_end - np.int64(round(p.window_ms * 1e6))
        self.carry = {k: v[keep] for k, v in a.items()}
        self.carry["new"] = np.zeros(int(keep.sum()), bool)
        events.sort(key=lambda e: (e[0], e[-1]))
        return self._table(events)

    def _sym(self, s: str) -> int:
        c = self.sym_codes.get(s)
        if c is None:
            c = self.sym_codes[s] = len(self.sym_names)
            self.sym_names.append(s)
        return c

    def _block_event(self, ts, key, side, px, sz, row, bid, ask, qual, age, place, venue) -> tuple:
        p = self.params
        size_f = min(1.0, (sz / max(p.min_block_size, 1) - 1.0) / 4.0)
        conf = (0.5 + (0.25 if side != UNKNOWN_SIDE else 0.0) if qual == 0 else 0.35) + 0.2 * size_f
        if qual == 0:
            q = f"NBBO {_px(bid)} x {_px(ask)} fresh {age / 1e6:.0f} ms"
            where = schemas.PLACEMENTS[place] if place >= 0 else "crossed NBBO"
        else:
            q = "NBBO stale" if qual == 1 else "no NBBO"
            where = "unplaced"
        reason = (f"block: {int(sz):,} sh @ {_px(px)} on {venue} ({where}), {q} -> {SIDES[side]}")
        return (ts, key, 0, side, int(sz), px * sz, 1, ts, [row], min(conf, 0.99), reason, row)

    def _accum_event(self, a: dict[str, np.ndarray], s: int, e: int) -> tuple:
        p = self.params
        run = int(a["run"][e])
        key, side = run // 2, run % 2
        size = float(a["size"][s:e + 1].sum())
        notional = float((a["size"][s:e + 1] * a["px"][s:e + 1]).sum())
        cnt = e - s + 1
        ev = [int(r) for r in a["row"][max(s, e - p.max_evidence + 1): e + 1]]
        conf = 0.45 + 0.25 * min(1.0, cnt / p.min_accum_count - 1.0) \
            + 0.25 * min(1.0, size / max(p.min_accum_size, 1) - 1.0)
        span = (int(a["ts"][e]) - int(a["ts"][s])) / 1e9
        reason = (f"accumulation: {cnt} {SIDES[side]}-side off-exchange prints, {int(size):,} sh "
                  f"(${notional:,.0f}, vwap {_px(notional / size)}) within {span:.1f} s at/near the "
                  f"{'ask' if side == BUY else 'bid'}; quiet for {p.cooldown_ms / 1e3:g} s after")
        return (int(a["ts"][e]), key, 1, side, int(size), notional, cnt, int(a["ts"][s]), ev, min(conf, 0.99),
                reason, int(a["row"][e]))

    def _table(self, events: list[tuple]) -> pa.Table:
        sch = schemas.schema("inferred_dark")
        if not events:
            return sch.empty_table()
        c = list(zip(*events))
        size = np.array(c[4], np.uint64)
        notional = np.array(c[5], np.float64)
        cols = [
            ts_array(np.array(c[0], np.int64)),
            pa.DictionaryArray.from_arrays(pa.array(np.array(c[1], np.int32)), pa.array(self.sym_names, pa.string())),
            pa.DictionaryArray.from_arrays(pa.array(np.array(c[2], np.int8)), pa.array(KINDS)),
            pa.DictionaryArray.from_arrays(pa.array(np.array(c[3], np.int8)), pa.array(SIDES)),
            pa.array(size), pa.array(notional), pa.array(notional / np.maximum(size, 1)),
            pa.array(np.array(c[6], np.uint32)), ts_array(np.array(c[7], np.int64)),
            pa.array(list(c[8]), pa.list_(pa.uint64())), pa.array(np.array(c[9], np.float64)),
            pa.array(list(c[10]), pa.string()),
        ]
        return pa.Table.from_arrays(cols, schema=sch)


def _px(v: float) -> str:
    """A price with 2 to 4 decimals (cents, or sub-penny when it has them)."""
    t = f"{v:.4f}".rstrip("0")
    return t + "0" * max(0, 2 - len(t.split(".")[1]))


def vdict_name(t: pa.Table, i: int) -> str:
    return str(t.column("venue")[int(i)].as_py())


def infer_dark(prints: object, quotes: object, params: DarkParams | None = None,
               join_params: JoinParams | None = None, *, rename: Mapping[str, str] | str | None = None) -> pa.Table:
    """Inferred dark events (table ``inferred_dark``) from equity prints and NBBO (whole tables)."""
    return DarkStream(params, join_params, rename=rename).step(prints=prints, quotes=quotes)


def infer_dark_joined(joins: pa.Table, params: DarkParams | None = None) -> pa.Table:
    """Inferred dark events from an already joined ``equity_joins`` table (as :func:`join_equity` returns)."""
    return DarkStream(params).step_joined(joins)

