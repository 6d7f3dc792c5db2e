"""Flow packets: option prints clustered into packets (same contract or same structure, within a window).

Input contract (``FLOW_COLUMNS``): fastsynth's ``option_trades`` as it is, or a user's prints with at
least ``ts_event, underlying, instrument_id, strike, right, expiration, price, size``; the NBBO context
columns (``bid_px, ask_px, nbbo_age_ns``), ``underlying_px``, ``iv``, ``delta``, ``venue``,
``conditions``, ``structure_id``, ``side`` and ``trade_id`` are used when present (a missing NBBO is
reported as missing, never filled in). Prints must be time-ordered within each underlying (the table may
concatenate underlyings); the first out-of-order row is reported.

Placement (AA/A/MID/B/BB) comes from :mod:`fastsynth.kernels.placement` — the one rule generation uses —
on the print's NBBO context; join quality is ``fresh`` (age <= ``cluster.nbbo_max_age_ms``), ``stale`` or
``missing``. ``PacketClusterer`` keeps open packets across ``push`` calls and emits closed packets in
packet-id order, so pushing any split of a table gives the same packets as one call.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from .. import schemas
from ..kernels import classify as KC
from ..kernels import packets as K
from ..kernels.placement import PLACEMENT_TOL, place_many
from ._columns import AnalyticsInputError, Col, to_table
from .params import ClusterParams

__all__ = ["FLOW_COLUMNS", "Codes", "Prints", "extract", "PacketClusterer", "STRUCTURES", "QUALITIES"]

FLOW_COLUMNS: tuple[Col, ...] = (
    Col("ts_event", "ts", True, "execution time (ns UTC)"),
    Col("underlying", "key", True, "underlying ticker (baselines, structures and watermarks are per underlying)"),
    Col("instrument_id", "id", True, "contract id (packet key of single-leg prints)"),
    Col("strike", "price", True, "strike, USD"),
    Col("right", "code", True, "C | P"),
    Col("expiration", "date", True, "expiration date (date32) or days since epoch"),
    Col("price", "price", True, "premium per share, USD"),
    Col("size", "size", True, "contracts"),
    Col("trade_id", "id", False, "print id, used as evidence (row index when absent)"),
    Col("bid_px", "price?", False, "contract NBBO bid at the print (null = no quote)"),
    Col("ask_px", "price?", False, "contract NBBO ask at the print (null = no quote)"),
    Col("nbbo_age_ns", "age?", False, "age of that NBBO, ns (null = no quote)"),
    Col("underlying_px", "price?", False, "underlying mid at the print, USD (moneyness, underlying moves)"),
    Col("iv", "price?", False, "implied volatility of the print (null = none)"),
    Col("delta", "float?", False, "delta at the print's IV (null = none)"),
    Col("venue", "code", False, "options exchange (venue count, sweeps)"),
    Col("conditions", "code", False, "AUTO | ISOI | SLAN | MLET | MLAT | TLET (sweeps, structures)"),
    Col("structure_id", "id", False, "legs of one multi-leg order share it; 0 = single leg"),
    Col("side", "code", False, "aggressor A | B | N (fallback direction when there is no fresh NBBO)"),
)
STRUCTURES: tuple[str, ...] = ("single", "vertical", "straddle", "strangle", "conversion", "box", "calendar",
                               "stock_tied", "complex")
QUALITIES: tuple[str, ...] = ("fresh", "stale", "missing")
_DAY_NS = 86_400 * 1_000_000_000
WHAT = "option_prints"


class Codes:
    """Stable small-integer codes across batches (underlyings, venues) and fixed ones (conditions...)."""

    def __init__(self) -> None:
        self.und: dict[str, int] = {}
        self.venue: dict[str, int] = {v: i for i, v in enumerate(schemas.OPTION_VENUES)}

    @staticmethod
    def _lookup(dictionary: list[str], mapping: dict[str, int], grow: bool, limit: int = 1 << 30) -> np.ndarray:
        out = np.empty(len(dictionary) + 1, np.int32)
        for j, s in enumerate(dictionary):
            if s not in mapping and grow and len(mapping) < limit:
                mapping[s] = len(mapping)
            out[j] = mapping.get(s, -1)
        out[-1] = -1
        return out

    def und_names(self) -> list[str]:
        return sorted(self.und, key=self.und.__getitem__)


def _col(t: pa.Table, name: str) -> pa.Array:
    c = t.column(name)
    return c.combine_chunks() if c.num_chunks != 1 else c.chunk(0)


def _strings(what: str, t: pa.Table, name: str) -> tuple[np.ndarray, list[str]]:
    a = _col(t, name)
    if pa.types.is_dictionary(a.type):
        d = a
    elif pa.types.is_string(a.type) or pa.types.is_large_string(a.type):
        d = a.dictionary_encode()
    else:
        raise AnalyticsInputError(what, name, None, f"type {a.type}", "string or dictionary<string>")
    idx = d.indices.to_numpy(zero_copy_only=False)
    if d.indices.null_count:
        idx = np.where(np.asarray(d.indices.is_null()), -1, idx)
    return np.ascontiguousarray(idx, dtype=np.int64), [str(v) for v in d.dictionary.to_pylist()]


def _num(what: str, t: pa.Table, name: str, kind: str, n: int) -> np.ndarray | None:
    """float64 (nullable -> NaN) / int64 (ts, ids, ages; null -> -1) column, or None when absent."""
    if name not in t.column_names:
        return None
    a = _col(t, name)
    ty = a.type
    if kind == "ts":
        if pa.types.is_timestamp(ty):
            a = a.cast(pa.timestamp("ns", tz=ty.tz)).cast(pa.int64())
        elif not pa.types.is_integer(ty):
            raise AnalyticsInputError(what, name, None, f"type {ty}", "timestamp or integer ns since epoch")
        if a.null_count:
            raise AnalyticsInputError(what, name, int(np.argmax(np.asarray(a.is_null()))), "null value", "no nulls")
        return np.ascontiguousarray(a.to_numpy(zero_copy_only=False), dtype=np.int64)
    if kind == "date":
        if pa.types.is_date32(ty):
            a = a.cast(pa.int32())
        elif pa.types.is_timestamp(ty) or pa.types.is_date64(ty):
            a = a.cast(pa.date32()).cast(pa.int32())
        elif not pa.types.is_integer(ty):
            raise AnalyticsInputError(what, name, None, f"type {ty}", "date32 or integer days since epoch")
        if a.null_count:
            raise AnalyticsInputError(what, name, int(np.argmax(np.asarray(a.is_null()))), "null value", "no nulls")
        return np.ascontiguousarray(a.to_numpy(zero_copy_only=False), dtype=np.int32)
    if not (pa.types.is_integer(ty) or pa.types.is_floating(ty)):
        raise AnalyticsInputError(what, name, None, f"type {ty}", "a numeric column")
    if kind in ("id", "age?"):
        x = a.to_numpy(zero_copy_only=False) if not a.null_count else \
            np.where(np.asarray(a.is_null()), -1, a.fill_null(0).to_numpy(zero_copy_only=False))
        if kind == "id" and a.null_count:
            raise AnalyticsInputError(what, name, int(np.argmax(np.asarray(a.is_null()))), "null value", "no nulls")
        return np.ascontiguousarray(x).astype(np.int64 if kind == "age?" else np.uint64, copy=False)
    x = a.to_numpy(zero_copy_only=False).astype(np.float64) if not a.null_count else \
        np.where(np.asarray(a.is_null()), np.nan, a.fill_null(0).to_numpy(zero_copy_only=False).astype(np.float64))
    x = np.ascontiguousarray(x, dtype=np.float64)
    if kind in ("price", "size"):
        bad = ~np.isfinite(x) | (x < 0)
        if bad.any():
            i = int(np.argmax(bad))
            raise AnalyticsInputError(what, name, i, f"value {x[i]!r}", "finite values >= 0")
        if kind == "size" and (x != np.floor(x)).any():
            i = int(np.argmax(x != np.floor(x)))
            raise AnalyticsInputError(what, name, i, f"size {x[i]!r}", "whole numbers of contracts")
    return x


@dataclass
class Prints:
    """The kernel-ready columns of one batch of option prints (see ``kernels.packets`` for meanings)."""

    ts: np.ndarray
    und: np.ndarray
    inst: np.ndarray
    struct: np.ndarray
    venue: np.ndarray
    cond: np.ndarray
    price: np.ndarray
    size: np.ndarray
    place: np.ndarray
    quality: np.ndarray
    side: np.ndarray
    und_px: np.ndarray
    iv: np.ndarray
    delta: np.ndarray
    right: np.ndarray
    strike: np.ndarray
    expiry: np.ndarray
    tid: np.ndarray
    nbbo_age_ns: np.ndarray

    def __len__(self) -> int:
        return self.ts.shape[0]


def extract(data: object, codes: Codes, params: ClusterParams, row0: int = 0,
            rename: Mapping[str, str] | None = None) -> Prints:
    """Validate and convert one batch (Table/RecordBatch) of option prints to kernel columns.

    ``row0`` is the batch's first row in the whole input (row numbers in errors, default trade ids)."""
    t = to_table(data, WHAT)
    if rename:
        t = t.rename_columns([rename.get(c, c) for c in t.column_names])
    names = set(t.column_names)
    for c in FLOW_COLUMNS:
        if c.required and c.name not in names:
            raise AnalyticsInputError(WHAT, c.name, None, "missing column (have: " + ", ".join(t.column_names) + ")",
                                      "the flow input columns (docs/analytics.md); use rename= to map yours")
    n = t.num_rows
    ts = _num(WHAT, t, "ts_event", "ts", n)
    price = _num(WHAT, t, "price", "price", n)
    size = _num(WHAT, t, "size", "size", n)
    strike = _num(WHAT, t, "strike", "price", n)
    expiry = _num(WHAT, t, "expiration", "date", n)
    inst = _num(WHAT, t, "instrument_id", "id", n).view(np.int64)
    uidx, udict = _strings(WHAT, t, "underlying")
    und = Codes._lookup(udict, codes.und, True)[uidx]
    if (und < 0).any():
        raise AnalyticsInputError(WHAT, "underlying", row0 + int(np.argmax(und < 0)), "null value", "a ticker")
    ridx, rdict = _strings(WHAT, t, "right")
    rmap = np.array([0 if s.upper().startswith("C") else 1 if s.upper().startswith("P") else -1 for s in rdict]
                    + [-1], np.int8)
    right = rmap[ridx]
    if (right < 0).any():
        i = int(np.argmax(right < 0))
        raise AnalyticsInputError(WHAT, "right", row0 + i, f"value {rdict[ridx[i]] if ridx[i] >= 0 else None!r}",
                                  "C | P (call | put)")

    def opt_codes(name: str, mapping: dict[str, int], grow: bool, limit: int = 1 << 30) -> np.ndarray:
        if name not in names:
            return np.full(n, -1, np.int8)
        idx, d = _strings(WHAT, t, name)
        return Codes._lookup(d, mapping, grow, limit)[idx].astype(np.int8)

    venue = opt_codes("venue", codes.venue, True, 63)
    cond = opt_codes("conditions", {c: i for i, c in enumerate(schemas.OPTION_CONDITIONS)}, False)
    side = opt_codes("side", {"A": 0, "B": 1, "N": 2}, False)
    side[side < 0] = 2
    nanv = np.full(n, np.nan)
    bid = _num(WHAT, t, "bid_px", "price?", n)
    ask = _num(WHAT, t, "ask_px", "price?", n)
    age = _num(WHAT, t, "nbbo_age_ns", "age?", n)
    bid = nanv if bid is None else bid
    ask = nanv if ask is None else ask
    age = np.full(n, -1, np.int64) if age is None else age
    place = place_many(price, bid, ask, PLACEMENT_TOL)
    max_age = int(params.nbbo_max_age_ms * 1e6)
    quality = np.where((age < 0) | (place < 0), 2, np.where(age > max_age, 1, 0)).astype(np.int8)
    und_px = _num(WHAT, t, "underlying_px", "price?", n)
    iv = _num(WHAT, t, "iv", "price?", n)
    delta = _num(WHAT, t, "delta", "float?", n)
    struct = _num(WHAT, t, "structure_id", "id", n)
    tid = _num(WHAT, t, "trade_id", "id", n)
    return Prints(
        ts=ts, und=und.astype(np.int32), inst=np.ascontiguousarray(inst),
        struct=np.zeros(n, np.int64) if struct is None else struct.view(np.int64),
        venue=venue, cond=cond, price=price, size=size, place=place, quality=quality, side=side,
        und_px=nanv if und_px is None else und_px, iv=nanv if iv is None else iv,
        delta=nanv if delta is None else delta, right=right, strike=strike, expiry=expiry,
        tid=(np.arange(row0, row0 + n, dtype=np.int64) if tid is None else tid.view(np.int64)),
        nbbo_age_ns=age)


def _pow2(x: int) -> int:
    return 1 << max(10, int(x - 1).bit_length())


CHUNK = 1 << 14      # prints per kernel call: the workspace (outputs, pending evidence) stays cache-sized


class PacketClusterer:
    """Clusters prints into packets, carrying open packets across calls.

    ``run(prints, start, end, out_pid)`` clusters ``prints[start:end]`` (writes each print's packet id to
    ``out_pid``) and returns the packets closed so far as a dict of *views into a reused workspace* (valid
    until the next call; copy what you keep): ``pi``/``pf`` (the classifier's ``KC.PI_*``/``KC.PF_*``
    feature rows, C order), ``xi``/``xf`` (the table extras ``K.XI_*``/``K.XF_*``), ``off`` (evidence offsets,
    ``len = packets + 1``) and ``ev`` (trade ids). ``finish()`` closes the rest. Packets come in packet-id
    order, whatever the calls' boundaries. ``check_order`` validates a batch before it is run."""

    def __init__(self, params: ClusterParams | None = None) -> None:
        self.params = params or ClusterParams()
        self.window_ns = int(round(self.params.window_ms * 1e6))
        self.sw_ns = int(round(self.params.structure_window_ms * 1e6))
        self.lookback_ns = int(round(self.params.underlying_lookback_s * 1e9))
        self.maxev = int(self.params.max_evidence)
        self.g = np.zeros(K.NG, np.int64)
        self.og = np.zeros(2, np.int64)
        self.si = None
        self._alloc_slots(512)              # grows when needed; small keeps slots and hash cache-resident
        self.pend_pid = np.zeros(0, np.int64)
        self.pend_tid = np.zeros(0, np.int64)
        self._alloc_out(0, 0)
        self.ui = np.zeros((0, 4), np.int64)
        self.uf = np.zeros((0, 2), np.float64)
        self._grow_und(16)

    # ---- state ---------------------------------------------------------------------------------
    def _alloc_slots(self, cap: int) -> None:
        used = int(self.g[K.G_USED])
        si = np.zeros((cap, K.NSI), np.int64)
        sf = np.zeros((cap, K.NSF), np.float64)
        li = np.zeros((cap, K.MAXLEG, 3), np.int64)
        lf = np.zeros((cap, K.MAXLEG, 4), np.float64)
        if self.si is not None:
            si[:used], sf[:used], li[:used], lf[:used] = self.si[:used], self.sf[:used], self.li[:used], self.lf[:used]
        self.si, self.sf, self.li, self.lf = si, sf, li, lf
        self.cursor = np.zeros(cap, np.int64)
        size = _pow2(4 * cap)                 # entries <= slots: the hash never fills before the slots
        self.hk0 = np.zeros(size, np.int64)
        self.hk1 = np.zeros(size, np.int64)
        self.hslot = np.full(size, -1, np.int64)

    def _alloc_out(self, npk: int, nev: int) -> None:
        if getattr(self, "opi", None) is None or self.opi.shape[0] < npk:
            npk = max(npk, 1024)
            self.opi = np.zeros((npk, KC.NPI), np.int64)      # row-major: the classify kernel reads rows
            self.opf = np.zeros((npk, KC.NPF), np.float64)
            # table extras column-major: one contiguous row per column
            self.oxi = np.zeros((K.NXI, npk), np.int64)
            self.oxf = np.zeros((K.NXF, npk), np.float64)
            self.ooff = np.zeros(npk + 1, np.int64)
        if getattr(self, "oev", None) is None or self.oev.shape[0] < nev:
            self.oev = np.zeros(max(nev, 1024), np.int64)

    def _grow_und(self, n: int) -> None:
        if n <= self.ui.shape[0]:
            return
        m = max(n, 2 * self.ui.shape[0])
        ui = np.zeros((m, 4), np.int64)
        uf = np.full((m, 2), np.nan)
        ui[:, K.UI_WM] = np.iinfo(np.int64).min
        ui[:, K.UI_BUCKET] = np.iinfo(np.int64).min
        k = self.ui.shape[0]
        ui[:k], uf[:k] = self.ui, self.uf
        self.ui, self.uf = ui, uf

    def _prepare(self, m: int) -> None:
        """Room for ``m`` more prints: pending evidence and the output rows."""
        npend = int(self.g[K.G_NPEND])
        if self.pend_pid.shape[0] < npend + m:
            size = max(npend + m, 2 * self.pend_pid.shape[0], 1024)
            pp, pt = np.zeros(size, np.int64), np.zeros(size, np.int64)
            pp[:npend], pt[:npend] = self.pend_pid[:npend], self.pend_tid[:npend]
            self.pend_pid, self.pend_tid = pp, pt
        self._alloc_out(int(self.g[K.G_USED]) + m, npend + m)
        self.og[:] = 0
        self.ooff[0] = 0

    def _close(self, final: bool) -> int:
        return K.close_prefix(final, self.window_ns, self.si, self.sf, self.li, self.lf, self.ui, self.g,
                              self.pend_pid, self.pend_tid, self.hk0, self.hk1, self.hslot, self.cursor, self.opi,
                              self.opf, self.oxi, self.oxf, self.ooff, self.oev, self.og)

    def _view(self) -> dict[str, np.ndarray]:
        k, e = int(self.og[K.O_NPK]), int(self.og[K.O_NEV])
        return {"pi": self.opi[:k], "pf": self.opf[:k], "xi": self.oxi[:, :k].T,
                "xf": self.oxf[:, :k].T, "off": self.ooff[:k + 1], "ev": self.oev[:e]}

    # ---- API -------------------------------------------------------------------------------------
    def check_order(self, p: Prints, row0: int = 0) -> None:
        if len(p):
            self._grow_und(int(p.und.max()) + 1)
            last = self.ui[:, K.UI_WM].copy()
            bad = K.first_unordered(p.ts, p.und, last)
            if bad >= 0:
                raise AnalyticsInputError(WHAT, "ts_event", row0 + int(bad),
                                          "timestamp earlier than the previous print of its underlying",
                                          "prints in time order within each underlying")

    def run(self, p: Prints, start: int, end: int, out_pid: np.ndarray) -> dict[str, np.ndarray]:
        self._prepare(end - start)
        i = start
        while True:
            i = K.cluster(p.ts, p.und, p.inst, p.struct, p.venue, p.cond, p.price, p.size, p.place, p.quality,
                          p.side, p.und_px, p.iv, p.delta, p.right, p.strike, p.expiry, p.tid, i, end,
                          self.window_ns, self.sw_ns, self.lookback_ns, self.maxev, self.hk0, self.hk1,
                          self.hslot, self.si, self.sf, self.li, self.lf, self.ui, self.uf, self.g,
                          self.pend_pid, self.pend_tid, self.cursor, out_pid, self.opi, self.opf, self.oxi,
                          self.oxf, self.ooff, self.oev, self.og)
            if i >= end:
                break
            self._alloc_slots(2 * self.si.shape[0])     # every slot still open: grow, rehash
            self._close(False)
        self._close(False)
        return self._view()

    def push(self, p: Prints, row0: int = 0) -> tuple[np.ndarray, list[dict[str, np.ndarray]]]:
        """Whole batch: ``(packet id per print, closed packets as copied chunks)``."""
        self.check_order(p, row0)
        n = len(p)
        out_pid = np.empty(n, np.int64)
        emitted = []
        for a in range(0, n, CHUNK):
            v = self.run(p, a, min(n, a + CHUNK), out_pid)
            if v["pi"].shape[0]:
                emitted.append({k: x.copy() for k, x in v.items()})
        return out_pid, emitted

    def finish_view(self) -> dict[str, np.ndarray]:
        self._prepare(0)
        self._close(True)
        return self._view()

    def finish(self) -> list[dict[str, np.ndarray]]:
        v = self.finish_view()
        return [{k: x.copy() for k, x in v.items()}] if v["pi"].shape[0] else []
