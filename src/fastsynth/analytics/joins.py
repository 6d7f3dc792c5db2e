"""Print-to-quote as-of joins: equity prints -> equity NBBO (by symbol), option prints -> option NBBO
(by instrument_id), bounded by a maximum quote age.

Each print gets the NBBO in force at its ``ts_event`` (the last quote of its key with ``ts <= ts_event``),
the quote's age, the spread, its placement by THE shared rule (:mod:`fastsynth.kernels.placement`) and
a join quality: ``fresh`` (age <= max age), ``stale`` (older: the NBBO columns are null, the age is
reported) or ``missing`` (no quote yet for the key: all null). A fresh but crossed NBBO (bid > ask) is
kept and flagged ``nbbo_state = "crossed"`` with a null placement; ``locked`` (bid == ask) places.

Whole-table calls (:func:`join_equity`, :func:`join_options`) and the streaming classes
(:class:`EquityJoinStream`, :class:`OptionJoinStream`) run the same kernel; feeding time-ordered chunks
to a stream (every print and quote with ts <= a cut point in one step, the rest later) gives exactly
the whole-table output, row for row. Inputs need only be sorted by ``ts_event`` per key; a table that
is not globally time-sorted (e.g. symbols one after another) is merged by a stable sort first.

Example::

    from fastsynth.analytics import join_equity
    out = join_equity(trades, quotes)                       # pa.Table, one row per print, input order
    out = join_equity(real_trades, real_nbbo, rename="lean", params=JoinParams(equity_quote_max_age_ms=500))
"""
from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pyarrow as pa

from .. import schemas
from .._arrow import ts_array
from ..kernels import asof as K
from ._columns import AnalyticsInputError, Columns, read_input
from .params import JoinParams

__all__ = ["JoinParams", "join_equity", "join_options", "EquityJoinStream", "OptionJoinStream", "KeyCoder",
           "QUALITIES", "NBBO_STATES"]

QUALITIES: tuple[str, ...] = ("fresh", "stale", "missing")
NBBO_STATES: tuple[str, ...] = ("normal", "locked", "crossed")


class KeyCoder:
    """Dense int32 codes for join keys (symbols or instrument ids), stable across streaming batches."""

    def __init__(self) -> None:
        self.codes: dict[object, int] = {}
        self.names: list[object] = []

    def _code(self, v: object) -> int:
        c = self.codes.get(v)
        if c is None:
            c = self.codes[v] = len(self.names)
            self.names.append(v)
        return c

    def strings(self, local: np.ndarray, dictionary: list[str]) -> np.ndarray:
        m = np.array([self._code(s) for s in dictionary], dtype=np.int32)
        return m[local] if len(m) else np.zeros(0, np.int32)

    def ids(self, ids: np.ndarray) -> np.ndarray:
        if ids.shape[0] == 0:
            return np.zeros(0, np.int32)
        u, inv = np.unique(ids, return_inverse=True)
        m = np.array([self._code(int(v)) for v in u], dtype=np.int32)
        return m[inv.reshape(-1)]

    def __len__(self) -> int:
        return len(self.names)


def _code_array(codes: np.ndarray, valid: np.ndarray | None, names: tuple[str, ...]) -> pa.Array:
    idx = pa.array(codes.astype(np.int8, copy=False), mask=None if valid is None else ~valid)
    return pa.DictionaryArray.from_arrays(idx, pa.array(names, pa.string()))


def _masked(a: np.ndarray, valid: np.ndarray, all_valid: bool) -> pa.Array:
    return pa.array(a) if all_valid else pa.array(a, mask=~valid)


class _JoinStream:
    """Shared machinery: key coding, carried per-key quote state, order checks, the kernel call."""

    contract_prints = contract_quotes = key = bid_col = ask_col = bsz_col = asz_col = ""
    table_name = ""

    def __init__(self, params: JoinParams | None = None, *, rename: Mapping[str, str] | str | None = None,
                 max_age_ms: float | None = None) -> None:
        self.params = params or JoinParams()
        self.rename = rename
        self.max_age_ns = np.int64(round((max_age_ms if max_age_ms is not None else self._default_age()) * 1e6))
        self.keys = KeyCoder()
        self._cap = 0
        self._grow(64)
        self.rows_seen = 0          # prints joined so far (print_row of the next print)
        self.quotes_seen = 0

    def _default_age(self) -> float:
        raise NotImplementedError

    def _grow(self, n: int) -> None:
        if n <= self._cap:
            return
        cap = max(n, 2 * self._cap)
        def ext(old, fill, dtype):
            new = np.full(cap, fill, dtype)
            if old is not None:
                new[: old.shape[0]] = old
            return new
        g = getattr
        self.st_ts = ext(g(self, "st_ts", None), K.NO_QUOTE, np.int64)
        self.st_bid = ext(g(self, "st_bid", None), np.nan, np.float64)
        self.st_ask = ext(g(self, "st_ask", None), np.nan, np.float64)
        self.st_bsz = ext(g(self, "st_bsz", None), 0, np.uint64)
        self.st_asz = ext(g(self, "st_asz", None), 0, np.uint64)
        self.last_p = ext(g(self, "last_p", None), K.NO_QUOTE, np.int64)
        self.last_q = ext(g(self, "last_q", None), K.NO_QUOTE, np.int64)
        self._cap = cap

    def _codes(self, cols: Columns) -> np.ndarray:
        if self.key in cols.dicts:
            return self.keys.strings(cols[self.key], cols.dicts[self.key])
        return self.keys.ids(cols[self.key])

    def _check_order(self, what: str, codes: np.ndarray, ts: np.ndarray, last: np.ndarray, offset: int) -> None:
        i = K.first_unsorted(codes, ts, last)
        if i >= 0:
            raise AnalyticsInputError(what, "ts_event", offset + i,
                                      f"ts_event {int(ts[i])} earlier than the previous row of {self.key} "
                                      f"{self.keys.names[codes[i]]!r}", f"ts_event sorted per {self.key}")

    def step(self, prints: object | None = None, quotes: object | None = None) -> pa.Table:
        """Join one time chunk: ``quotes`` (applied first, carried to later steps) and ``prints``.

        Every quote with ts <= the chunk's prints must be in this or an earlier step; a print older
        than its key's quote from an earlier step raises AnalyticsInputError. Returns the joined prints
        (possibly empty), in the order given."""
        if quotes is not None:
            qt, qc = read_input(quotes, self.contract_quotes, self.rename, self.table_quotes)
            qk = self._codes(qc)
            self._grow(len(self.keys))
            self._check_order(self.table_quotes, qk, qc["ts_event"], self.last_q, self.quotes_seen)
            bid, ask = qc[self.bid_col], qc[self.ask_col]
            self.quotes_seen += qc.n
        else:
            qk = np.zeros(0, np.int32)
            qc = None
        if prints is None:
            pt, pc_ = None, None
            pk = np.zeros(0, np.int32)
        else:
            pt, pc_ = read_input(prints, self.contract_prints, self.rename, self.table_prints)
            pk = self._codes(pc_)
            self._grow(len(self.keys))
            self._check_order(self.table_prints, pk, pc_["ts_event"], self.last_p, self.rows_seen)
        z64 = np.zeros(0, np.int64)
        zf = np.zeros(0, np.float64)
        zu = np.zeros(0, np.uint64)
        if qc is not None:
            q_ts = qc["ts_event"]
            order = None if q_ts.shape[0] < 2 or bool(np.all(q_ts[1:] >= q_ts[:-1])) else np.argsort(q_ts, kind="stable")
            n = qc.n
            bsz = qc[self.bsz_col] if self.bsz_col in qc else np.zeros(n, np.uint64)
            asz = qc[self.asz_col] if self.asz_col in qc else np.zeros(n, np.uint64)
            qa = [qk, q_ts, bid, ask, bsz, asz]
            if order is not None:
                qa = [np.ascontiguousarray(a[order]) for a in qa]
        else:
            qa = [qk, z64, zf, zf, zu, zu]
        n = 0 if pc_ is None else pc_.n
        p_ts = pc_["ts_event"] if pc_ is not None else z64
        p_px = pc_["price"] if pc_ is not None else zf
        porder = None if n < 2 or bool(np.all(p_ts[1:] >= p_ts[:-1])) else np.argsort(p_ts, kind="stable")
        pa_ = [pk, p_ts, p_px]
        if porder is not None:
            pa_ = [np.ascontiguousarray(a[porder]) for a in pa_]
        o_bid = np.empty(n, np.float64)
        o_ask = np.empty(n, np.float64)
        o_bsz = np.empty(n, np.uint64)
        o_asz = np.empty(n, np.uint64)
        o_age = np.empty(n, np.int64)
        o_q = np.empty(n, np.int8)
        o_s = np.empty(n, np.int8)
        o_p = np.empty(n, np.int8)
        bad = K.asof_join(pa_[0], pa_[1], pa_[2], *qa, self.st_ts, self.st_bid, self.st_ask, self.st_bsz,
                          self.st_asz, self.max_age_ns, float(self.params.placement_tol),
                          o_bid, o_ask, o_bsz, o_asz, o_age, o_q, o_s, o_p)
        if bad >= 0:
            row = int(porder[bad]) if porder is not None else bad
            raise AnalyticsInputError(self.table_prints, "ts_event", self.rows_seen + row,
                                      "print older than its key's quote from an earlier step",
                                      "streaming steps in time order (all quotes <= a step's prints given by then)")
        if porder is not None:
            inv = np.empty_like(porder)
            inv[porder] = np.arange(n)
            o_bid, o_ask, o_bsz, o_asz, o_age, o_q, o_s, o_p = (a[inv] for a in (o_bid, o_ask, o_bsz, o_asz, o_age,
                                                                                  o_q, o_s, o_p))
        out = self._table(pt, pc_, pk, o_bid, o_ask, o_bsz, o_asz, o_age, o_q, o_s, o_p)
        self.rows_seen += n
        return out

    def _table(self, pt, pc_, pk, o_bid, o_ask, o_bsz, o_asz, o_age, o_q, o_s, o_p) -> pa.Table:
        n = o_q.shape[0]
        fresh = o_q == K.FRESH
        allf = bool(fresh.all())
        has_age = o_q != K.MISSING
        spread = o_ask - o_bid
        placed = o_p >= 0
        cols = {
            "ts_event": ts_array(pc_["ts_event"] if pc_ is not None else np.zeros(0, np.int64)),
            **self._key_columns(pt, pc_, n),
            "price": pa.array(pc_["price"] if pc_ is not None else np.zeros(0)),
            "size": pa.array(pc_["size"] if pc_ is not None else np.zeros(0, np.uint64)),
            "bid_px": _masked(o_bid, fresh, allf),
            "ask_px": _masked(o_ask, fresh, allf),
            "bid_sz": _masked(o_bsz, fresh, allf),
            "ask_sz": _masked(o_asz, fresh, allf),
            "spread": _masked(spread, fresh, allf),
            "quote_age_ns": _masked(o_age, has_age, bool(has_age.all())),
            "placement": _code_array(np.where(placed, o_p, 0), placed, schemas.PLACEMENTS),
            "join_quality": _code_array(o_q, None, QUALITIES),
            "nbbo_state": _code_array(np.where(fresh, o_s, 0), fresh, NBBO_STATES),
        }
        sch = schemas.schema(self.table_name)
        return pa.Table.from_arrays([cols[f.name].cast(f.type) if cols[f.name].type != f.type else cols[f.name]
                                     for f in sch], schema=sch)

    def _key_columns(self, pt, pc_, n) -> dict[str, pa.Array]:
        raise NotImplementedError


def _carry_string(pt: pa.Table | None, pc_: Columns | None, name: str, n: int, typ: pa.DataType) -> pa.Array:
    if pc_ is None or name not in pc_.dicts:
        return pa.nulls(n, typ)
    return pa.DictionaryArray.from_arrays(pa.array(pc_[name]), pa.array(pc_.dicts[name], pa.string()))


class EquityJoinStream(_JoinStream):
    """Streaming equity print -> NBBO join (state: the last NBBO per symbol). See :meth:`step`."""

    contract_prints, contract_quotes, key = "equity_prints", "equity_nbbo", "symbol"
    table_prints, table_quotes = "equity_trades", "equity_quotes"
    bid_col, ask_col, bsz_col, asz_col = "bid_px_00", "ask_px_00", "bid_sz_00", "ask_sz_00"
    table_name = "equity_joins"

    def _default_age(self) -> float:
        return self.params.equity_quote_max_age_ms

    def _key_columns(self, pt, pc_, n):
        return {"symbol": _carry_string(pt, pc_, "symbol", n, schemas.SYM),
                "venue": _carry_string(pt, pc_, "venue", n, schemas.SYM),
                "print_row": pa.array(np.arange(self.rows_seen, self.rows_seen + n, dtype=np.uint64))}


class OptionJoinStream(_JoinStream):
    """Streaming option print -> contract NBBO join (state: the last NBBO per instrument_id)."""

    contract_prints, contract_quotes, key = "option_prints", "option_nbbo", "instrument_id"
    table_prints, table_quotes = "option_trades", "option_quotes"
    bid_col, ask_col, bsz_col, asz_col = "bid_px", "ask_px", "bid_sz", "ask_sz"
    table_name = "option_joins"

    def _default_age(self) -> float:
        return self.params.option_nbbo_max_age_ms

    def _key_columns(self, pt, pc_, n):
        ids = pc_["instrument_id"] if pc_ is not None else np.zeros(0, np.uint64)
        rows = np.arange(self.rows_seen, self.rows_seen + n, dtype=np.uint64)
        return {"instrument_id": pa.array(ids),
                "trade_id": pa.array(pc_["trade_id"] if pc_ is not None and "trade_id" in pc_ else rows),
                "underlying": _carry_string(pt, pc_, "underlying", n, schemas.SYM)}


def join_equity(prints: object, quotes: object, params: JoinParams | None = None, *,
                rename: Mapping[str, str] | str | None = None, max_age_ms: float | None = None) -> pa.Table:
    """Join equity prints to the equity NBBO by symbol (whole tables); schema ``equity_joins``."""
    return EquityJoinStream(params, rename=rename, max_age_ms=max_age_ms).step(prints=prints, quotes=quotes)


def join_options(prints: object, quotes: object, params: JoinParams | None = None, *,
                 rename: Mapping[str, str] | str | None = None, max_age_ms: float | None = None) -> pa.Table:
    """Join option prints to the option NBBO by instrument_id (whole tables); schema ``option_joins``."""
    return OptionJoinStream(params, rename=rename, max_age_ms=max_age_ms).step(prints=prints, quotes=quotes)


def bench_asof(n_prints: int = 4_000_000, quotes_per_print: float = 2.0, n_keys: int = 64, rounds: int = 5,
               seed: int = 1) -> dict[str, float]:
    """Rows/s (median over ``rounds``, interleaved) of the as-of kernel beside two same-run probes.

    ``asof``: :func:`fastsynth.kernels.asof.asof_join` on pre-coded, time-sorted arrays (prints/s; the
    quotes are merged too); ``copy_probe``: a Numba loop reading the same 3 print columns and writing the
    same 8 output columns (the memory ceiling of this stage); ``compute_probe``: fastsynth.bench's Philox +
    inverse-CDF normals (the project's compute ceiling). Run: ``python -c "from fastsynth.analytics.joins
    import bench_asof; print(bench_asof())"``.
    """
    import time

    from ..bench import PROBE_BUFFER, compute_probe
    from ..kernels._jit import kernel

    r = np.random.default_rng(seed)
    nq = int(n_prints * quotes_per_print)
    p_ts = np.sort(r.integers(0, 23_400 * 10**9, n_prints))
    q_ts = np.sort(r.integers(0, 23_400 * 10**9, nq))
    p_key = r.integers(0, n_keys, n_prints).astype(np.int32)
    q_key = r.integers(0, n_keys, nq).astype(np.int32)
    p_px = 100 + r.random(n_prints)
    q_bid = 100 + r.random(nq)
    q_ask = q_bid + 0.01
    q_sz = np.full(nq, 100, np.uint64)
    outs = [np.empty(n_prints, t) for t in (np.float64, np.float64, np.uint64, np.uint64, np.int64, np.int8, np.int8,
                                            np.int8)]
    probe_buf = np.empty(PROBE_BUFFER)

    def run_asof():
        st = [np.full(n_keys, K.NO_QUOTE, np.int64), np.zeros(n_keys), np.zeros(n_keys),
              np.zeros(n_keys, np.uint64), np.zeros(n_keys, np.uint64)]
        K.asof_join(p_key, p_ts, p_px, q_key, q_ts, q_bid, q_ask, q_sz, q_sz, *st, np.int64(1_500_000_000), 5e-5,
                    *outs)

    copy_probe = kernel(_copy_probe_impl)   # compiled here only (import stays cheap)

    def run_copy():
        copy_probe(p_key, p_ts, p_px, *outs)

    def run_compute():
        compute_probe(1, 2, n_prints, probe_buf)

    cases = {"asof": run_asof, "copy_probe": run_copy, "compute_probe": run_compute}
    for f in cases.values():   # compile / warm
        f()
    rates: dict[str, list[float]] = {k: [] for k in cases}
    names = list(cases)
    for i in range(rounds):
        for k in names[i % 3:] + names[: i % 3]:
            t0 = time.perf_counter()
            cases[k]()
            rates[k].append(n_prints / (time.perf_counter() - t0))
    med = {k: float(np.median(v)) for k, v in rates.items()}
    med["asof_input_rows"] = med["asof"] * (1.0 + nq / n_prints)   # prints + quotes merged per second
    med["asof_over_copy"] = med["asof"] / med["copy_probe"]
    med["asof_over_compute"] = med["asof"] / med["compute_probe"]
    return med


def _copy_probe_impl(p_key, p_ts, p_px, o_bid, o_ask, o_bsz, o_asz, o_age, o_q, o_s, o_p):
    for i in range(p_ts.shape[0]):
        o_bid[i] = p_px[i]
        o_ask[i] = p_px[i]
        o_bsz[i] = p_key[i]
        o_asz[i] = p_key[i]
        o_age[i] = p_ts[i]
        o_q[i] = p_key[i]
        o_s[i] = p_key[i]
        o_p[i] = p_key[i]
