"""``flow()``: option prints -> flow_prints (raw + signal view), flow_packets, classifier_hits,
smart_money_events. ``FlowStream`` is the streaming form: ``push(batch)`` in order, then ``finish()``; the
concatenated outputs equal the whole-table call for any batch split.

Example::

    import fastsynth
    from fastsynth.analytics import flow
    m = fastsynth.Manifest(seed=7, start="2026-03-02", days=1, symbols=["AAPL"],
                           tables=["option_trades", "events"])
    data = fastsynth.generate(m)
    out = flow(data["option_trades"], events=data["events"])
    out["smart_money_events"].to_pandas()[["ts_event", "profile", "confidence", "reason"]]
"""
from __future__ import annotations

import contextlib
import gc
from collections.abc import Iterable, Mapping

import numpy as np
import pyarrow as pa

from .. import schemas
from .._arrow import ts_array
from ..kernels import classify as KC
from ..kernels import packets as K
from ._columns import to_table
from .classify import FlowClassifier, event_reason, hit_reason
from .filters import signal_filter_arrays
from .packets import CHUNK, Codes, PacketClusterer, Prints, extract
from .params import AnalyticsParams

__all__ = ["flow", "FlowStream", "FLOW_TABLES"]

# packet table columns gathered from the clusterer's workspace: name -> (matrix, column, output dtype)
_GATHER: dict[str, tuple[str, int, type]] = {
    "pid": ("pi", KC.PI_PID, np.uint64), "t0": ("pi", KC.PI_T0, np.int64), "t1": ("pi", KC.PI_T1, np.int64),
    "und": ("pi", KC.PI_UND, np.int32), "inst": ("pi", KC.PI_INST, np.uint64),
    "struct_id": ("xi", K.XI_STRUCT_ID, np.uint64), "structure": ("pi", KC.PI_STRUCT, np.int8),
    "legs": ("xi", K.XI_NLEGS, np.uint8), "right": ("pi", KC.PI_RIGHT, np.int8), "strike": ("xf", K.XF_STRIKE, np.float64),
    "exp": ("xi", K.XI_EXP, np.int32), "dte": ("pi", KC.PI_DTE, np.int32), "otm": ("pf", KC.PF_OTM, np.float64),
    "atm": ("xf", K.XF_ATM, np.float64), "n": ("pi", KC.PI_N, np.uint32), "size": ("pf", KC.PF_SIZE, np.uint64),
    "prem": ("pf", KC.PF_PREM, np.float64), "maxsz": ("pf", KC.PF_MAXSZ, np.uint32),
    "venues": ("pi", KC.PI_VENUES, np.uint8), "iso": ("pi", KC.PI_ISO, np.uint32), "slan": ("pi", KC.PI_SLAN, np.uint32),
    "ml": ("pi", KC.PI_ML, np.uint32), "tlet": ("pi", KC.PI_TLET, np.uint32), "sweep": ("pi", KC.PI_SWEEP, np.bool_),
    "ask": ("xf", K.XF_ASK_R, np.float64), "bid": ("xf", K.XF_BID_R, np.float64), "mid": ("xf", K.XF_MID_R, np.float64),
    "cov": ("xf", K.XF_COV, np.float64), "iv0": ("xf", K.XF_IV0, np.float64), "ivchg": ("pf", KC.PF_IVCHG, np.float64),
    "mv": ("xf", K.XF_MOVE, np.float64), "move": ("pf", KC.PF_MOVE, np.float64), "dmean": ("xf", K.XF_DMEAN, np.float64),
    "undpx": ("pf", KC.PF_UNDPX, np.float64),
}
FLOW_TABLES: tuple[str, ...] = ("flow_prints", "flow_packets", "classifier_hits", "smart_money_events")


def _pool_empty(n: int, dtype: type) -> np.ndarray:
    """Uninitialized writable numpy array of ``n`` items in a buffer from pyarrow's memory pool."""
    dt = np.dtype(dtype)
    return np.frombuffer(pa.allocate_buffer(max(n, 1) * dt.itemsize), dt)[:n]


@contextlib.contextmanager
def _gc_paused():
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _dict(values: tuple[str, ...] | list[str]) -> pa.Array:
    return pa.array(list(values), pa.string())


def _codes(codes: np.ndarray, values: tuple[str, ...] | list[str], index_type=pa.int8(), mask=None) -> pa.Array:
    idx = pa.array(np.ascontiguousarray(codes).astype(index_type.to_pandas_dtype()), index_type, mask=mask)
    return pa.DictionaryArray.from_arrays(idx, _dict(values), safe=False)


def _opt(x: np.ndarray) -> pa.Array:
    """float64 column, NaN -> null: the values zero-copy and a packed validity bitmap (the buffers
    ``pa.array(x, from_pandas=True)`` builds, ~3x faster)."""
    x = np.ascontiguousarray(x, dtype=np.float64)
    nan = np.isnan(x)
    nn = int(np.count_nonzero(nan))
    valid = pa.py_buffer(np.packbits(~nan, bitorder="little")) if nn else None
    return pa.Array.from_buffers(pa.float64(), len(x), [valid, pa.py_buffer(x)], null_count=nn)


def _id_lists(ev: np.ndarray, nev: np.ndarray) -> pa.Array:
    nev = nev.astype(np.int64)
    offsets = np.zeros(len(nev) + 1, np.int32)
    np.cumsum(nev, out=offsets[1:])
    mask = np.arange(ev.shape[1])[None, :] < nev[:, None]
    vals = pa.array(np.ascontiguousarray(ev[mask]).view(np.uint64), pa.uint64())
    return pa.ListArray.from_arrays(pa.array(offsets, pa.int32()), vals)


class FlowStream:
    """Streaming flow analytics: ``push(batch)`` (prints in time order per underlying) returns the rows
    decided so far as ``{table: pa.Table}``; ``finish()`` returns the rest.

    ``events``: an optional ``events`` table (fastsynth's, or a user's calendar with ``ts_event`` and
    ``symbol``, ``'*'`` = all symbols) giving the time to / since the symbol's scheduled events."""

    def __init__(self, params: AnalyticsParams | None = None, *, events: object = None,
                 rename: Mapping[str, str] | None = None) -> None:
        self.params = params or AnalyticsParams()
        self.rename = rename
        self.codes = Codes()
        self.clusterer = PacketClusterer(self.params.cluster)
        self.classifier = FlowClassifier(self.params)
        self.row = 0
        self._events: dict[str, np.ndarray] = {}
        self._macro = np.zeros(0, np.int64)
        if events is not None:
            et = to_table(events, "events")
            ts = et.column("ts_event").cast(pa.timestamp("ns", tz="UTC")).cast(pa.int64()).to_numpy()
            sym = [str(s) for s in et.column("symbol").to_pylist()]
            by: dict[str, list[int]] = {}
            for t, s in zip(ts.tolist(), sym):
                by.setdefault(s, []).append(t)
            self._macro = np.sort(np.array(by.pop("*", []), np.int64))
            self._events = {s: np.sort(np.array(v, np.int64)) for s, v in by.items()}

    # ---- packet features (written by the clustering kernel) ------------------------------------------
    def _event_times(self, pi: np.ndarray, pf: np.ndarray) -> None:
        """Seconds to the next / since the last scheduled event of each packet's underlying (or a macro
        event) into ``pf[:, PF_TO_EVENT / PF_SINCE_EVENT]`` (the kernel leaves +inf: no events)."""
        if not self._events and not len(self._macro):
            return
        und, t0 = pi[:, KC.PI_UND], pi[:, KC.PI_T0]
        names = self.codes.und_names()
        for u in np.unique(und):
            ev = np.union1d(self._events.get(names[u], np.zeros(0, np.int64)), self._macro)
            if not len(ev):
                continue
            m = und == u
            t = t0[m]
            j = np.searchsorted(ev, t, side="left")
            nxt = np.where(j < len(ev), ev[np.minimum(j, len(ev) - 1)], np.iinfo(np.int64).max)
            prv = np.where(j > 0, ev[np.maximum(j - 1, 0)], np.iinfo(np.int64).min)
            pf[m, KC.PF_TO_EVENT] = np.where(j < len(ev), (nxt - t) / 1e9, np.inf)
            pf[m, KC.PF_SINCE_EVENT] = np.where(j > 0, (t - prv) / 1e9, np.inf)

    # ---- output tables ------------------------------------------------------------------------------------
    def _und_dict(self) -> pa.Array:
        return _dict(self.codes.und_names())

    def _packets_table(self, c: dict, r: dict, ids: pa.Array) -> pa.Table:
        """``c``: the packets' columns gathered by :meth:`_run` (names and types: ``_GATHER``)."""
        ud = self._und_dict()
        ask, bid = c["ask"], c["bid"]
        S = c["undpx"]
        with np.errstate(invalid="ignore"):
            upx = np.where(S > 0, S, np.nan)
        cols = {
            "packet_id": pa.array(c["pid"]),
            "ts_event": ts_array(c["t0"]),
            "ts_end": ts_array(c["t1"]),
            "underlying": pa.DictionaryArray.from_arrays(pa.array(c["und"]), ud, safe=False),
            "instrument_id": pa.array(c["inst"]),
            "structure_id": pa.array(c["struct_id"]),
            "structure": _codes(c["structure"], schemas.FLOW_STRUCTURES),
            "legs": pa.array(c["legs"]),
            "right": _codes(c["right"], schemas.RIGHTS),
            "strike": pa.array(c["strike"]),
            "expiration": pa.array(c["exp"]).view(pa.date32()),
            "dte": pa.array(c["dte"]),
            "otm_pct": _opt(c["otm"]),
            "atm_distance": _opt(c["atm"]),
            "prints": pa.array(c["n"]),
            "size": pa.array(c["size"]),
            "premium": pa.array(c["prem"]),
            "max_print_size": pa.array(c["maxsz"]),
            "venues": pa.array(c["venues"]),
            "iso_prints": pa.array(c["iso"]),
            "auction_prints": pa.array(c["slan"]),
            "multileg_prints": pa.array(c["ml"]),
            "stock_tied_prints": pa.array(c["tlet"]),
            "sweep": pa.array(c["sweep"]),
            "ask_ratio": pa.array(ask),
            "bid_ratio": pa.array(bid),
            "mid_ratio": pa.array(c["mid"]),
            "aggressor_ratio": pa.array(np.maximum(ask, bid)),
            "nbbo_coverage": pa.array(c["cov"]),
            "iv_first": _opt(c["iv0"]),
            "iv_change": _opt(c["ivchg"]),
            "underlying_px": _opt(upx),
            "underlying_move_bps": _opt(c["mv"]),
            "underlying_move_before_bps": _opt(c["move"]),
            "delta": _opt(c["dmean"]),
            "premium_z": _opt(r["pz"]),
            "size_z": _opt(r["sz"]),
            "baseline_samples": pa.array(r["ns"].astype(np.uint32)),
            "trade_ids": ids,
        }
        return pa.Table.from_pydict(cols, schema=schemas.schema("flow_packets"))

    def _hits_table(self, c: dict, r: dict, ids: pa.Array) -> pa.Table:
        k = r["hit_pkt"]
        ask, bid = c["ask"], c["bid"]
        reasons = [hit_reason(int(r["hit_kind"][j]), float(c["prem"][i]), float(c["size"][i]),
                              int(c["n"][i]), int(c["venues"][i]), float(r["pz"][i]),
                              float(max(ask[i], bid[i])), float(c["cov"][i]), int(c["dte"][i]),
                              float(c["atm"][i])) for j, i in enumerate(k.tolist())]
        cols = {
            "ts_event": ts_array(c["t1"][k]),
            "underlying": pa.DictionaryArray.from_arrays(pa.array(c["und"][k]),
                                                         self._und_dict(), safe=False),
            "packet_id": pa.array(c["pid"][k]),
            "instrument_id": pa.array(c["inst"][k]),
            "kind": _codes(r["hit_kind"], schemas.HIT_KINDS),
            "direction": _codes(r["hit_dir"].astype(np.int64) + 1, schemas.DIRECTIONS),
            "confidence": pa.array(r["hit_conf"]),
            "premium": pa.array(c["prem"][k]),
            "size": pa.array(c["size"][k]),
            "premium_z": _opt(r["pz"][k]),
            "reason": pa.array(reasons, pa.string()),
            "evidence": ids.take(pa.array(k)),
        }
        return pa.Table.from_pydict(cols, schema=schemas.schema("classifier_hits"))

    def _events_table(self, r: dict) -> pa.Table:
        oi, of, oev = r["oi"], r["of"], r["oev"]
        # rows as Python lists (scalar reads of numpy rows cost more than the formatting), built with the cyclic
        # GC paused: the many short-lived floats would trigger collections that walk every object of the process
        with _gc_paused():
            reasons = [event_reason(a, b, self.params) for a, b in zip(oi.tolist(), of.tolist())]
        key = oi[:, KC.OI_KEY]
        struct = np.where(oi[:, KC.OI_STRUCT] != KC.S_SINGLE, key, 0)
        cols = {
            "ts_event": ts_array(oi[:, KC.OI_TS]),
            "underlying": pa.DictionaryArray.from_arrays(pa.array(oi[:, KC.OI_UND].astype(np.int32)), self._und_dict(),
                                                         safe=False),
            "instrument_id": pa.array(oi[:, KC.OI_INST].view(np.uint64)),
            "structure_id": pa.array(struct.view(np.uint64)),
            "outcome": _codes(oi[:, KC.OI_OUTCOME], schemas.OUTCOMES),
            "profile": _codes(oi[:, KC.OI_PROFILE], schemas.PROFILES),
            "confidence": pa.array(of[:, KC.OF_CONF]),
            "runner_up": _codes(oi[:, KC.OI_PROFILE2], schemas.PROFILES),
            "runner_up_confidence": pa.array(of[:, KC.OF_CONF2]),
            "direction": _codes(oi[:, KC.OI_DIR] + 1, schemas.DIRECTIONS),
            "structure": _codes(oi[:, KC.OI_STRUCT], schemas.FLOW_STRUCTURES),
            "prints": pa.array(oi[:, KC.OI_N].astype(np.uint32)),
            "packets": pa.array(oi[:, KC.OI_NPK].astype(np.uint32)),
            "premium": pa.array(of[:, KC.EF_PREM]),
            "size": pa.array(of[:, KC.EF_SIZE].astype(np.uint64)),
            "first_packet_id": pa.array(oi[:, KC.OI_PID0].astype(np.uint64)),
            "reason": pa.array(reasons, pa.string()),
            "evidence": _id_lists(oev, oi[:, KC.OI_NEV]),
        }
        return pa.Table.from_pydict(cols, schema=schemas.schema("smart_money_events"))

    def _prints_table(self, p: Prints, pid: np.ndarray) -> pa.Table:
        names = self.codes.und_names()
        etf = np.array([s in set(self.params.signal.etf_underlyings) for s in names] + [False], bool)
        notional = p.price * p.size * 100.0
        sig, reason = signal_filter_arrays(notional, p.size, p.place, p.nbbo_age_ns, p.cond, etf[p.und],
                                           self.params.signal)
        cols = {
            "ts_event": ts_array(p.ts),
            "trade_id": pa.array(p.tid.view(np.uint64)),
            "underlying": pa.DictionaryArray.from_arrays(pa.array(p.und), _dict(names), safe=False),
            "instrument_id": pa.array(p.inst.view(np.uint64)),
            "packet_id": pa.array(pid.view(np.uint64)),
            "notional": pa.array(notional),
            "placement": _codes(np.maximum(p.place, 0), schemas.PLACEMENTS, mask=p.place < 0),
            "join_quality": _codes(p.quality, schemas.JOIN_QUALITIES),
            "signal": pa.array(sig),
            "signal_reason": _codes(reason, schemas.SIGNAL_REASONS),
        }
        return pa.Table.from_pydict(cols, schema=schemas.schema("flow_prints"))

    def _run(self, p: Prints | None, pid: np.ndarray | None, final: bool) -> dict[str, pa.Table]:
        """Cluster ``p`` in cache-sized chunks (or close everything when ``final``), classify each chunk's
        closed packets, gather the table columns (contiguous rows of the column-major workspace, cast to their
        output types) and build the packet-derived tables once."""
        n = 0 if p is None else len(p)
        cl = self.clusterer
        cap = int(cl.g[K.G_USED]) + n
        ecap = int(cl.g[K.G_NPEND]) + n
        # the packet table's columns (the tables wrap them zero-copy) from pyarrow's pool: memory of tables the
        # caller dropped comes back without page faults (fresh np.empty pages fault on first write)
        acc = {key: _pool_empty(cap, dt) for key, (_, _, dt) in _GATHER.items()}
        zsn = (_pool_empty(cap, np.float64), _pool_empty(cap, np.float64), _pool_empty(cap, np.int64))
        off = _pool_empty(cap + 1, np.int32)
        off[0] = 0
        ev = _pool_empty(ecap, np.int64)
        rs: list[dict[str, np.ndarray]] = []
        o = e = 0
        for a in range(0, max(n, 1), CHUNK):
            v = cl.finish_view() if final else cl.run(p, a, min(n, a + CHUNK), pid) if n else _empty_view()
            k, m = v["pi"].shape[0], v["ev"].shape[0]
            self._event_times(v["pi"], v["pf"])
            r = self.classifier.push(v["pi"], v["pf"], v["off"], v["ev"], final=final,
                                     out=(zsn[0][o:o + k], zsn[1][o:o + k], zsn[2][o:o + k]))
            del r["pz"], r["sz"], r["ns"]
            r["hit_pkt"] = r["hit_pkt"] + o
            rs.append(r)
            for key, (src, j, _) in _GATHER.items():
                acc[key][o:o + k] = v[src][:, j]
            off[o + 1:o + k + 1] = v["off"][1:] + e
            ev[e:e + m] = v["ev"]
            o, e = o + k, e + m
        c = {key: x[:o] for key, x in acc.items()}
        r = {name: np.concatenate([x[name] for x in rs]) for name in rs[0]}
        r["pz"], r["sz"], r["ns"] = zsn[0][:o], zsn[1][:o], zsn[2][:o]
        ids = pa.ListArray.from_arrays(pa.array(off[:o + 1]), pa.array(ev[:e].view(np.uint64), pa.uint64()))
        return {"flow_packets": self._packets_table(c, r, ids), "classifier_hits": self._hits_table(c, r, ids),
                "smart_money_events": self._events_table(r)}

    # ---- API ------------------------------------------------------------------------------------------------
    def push(self, batch: object) -> dict[str, pa.Table]:
        p = extract(batch, self.codes, self.params.cluster, self.row, self.rename)
        self.clusterer.check_order(p, self.row)
        pid = _pool_empty(len(p), np.int64)   # every row written by the clusterer
        res = self._run(p, pid, False)
        self.row += len(p)
        return {"flow_prints": self._prints_table(p, pid), **res}

    def finish(self) -> dict[str, pa.Table]:
        return {"flow_prints": schemas.schema("flow_prints").empty_table(), **self._run(None, None, True)}


def _empty_view() -> dict[str, np.ndarray]:
    return {"pi": np.zeros((0, KC.NPI), np.int64), "pf": np.zeros((0, KC.NPF)), "xi": np.zeros((0, K.NXI), np.int64),
            "xf": np.zeros((0, K.NXF)), "off": np.zeros(1, np.int64), "ev": np.zeros(0, np.int64)}


def _unify(parts: list[dict[str, pa.Table]]) -> dict[str, pa.Table]:
    out = {}
    for t in FLOW_TABLES:
        tabs = [p[t] for p in parts]
        tab = pa.concat_tables(tabs).unify_dictionaries() if len(tabs) > 1 else tabs[0]
        out[t] = tab
    return out


def flow(prints: object, quotes: object = None, params: AnalyticsParams | None = None, *, events: object = None,
         rename: Mapping[str, str] | None = None) -> dict[str, pa.Table]:
    """Flow analytics of a whole table of option prints: ``{flow_prints, flow_packets, classifier_hits,
    smart_money_events}`` (schemas in ``fastsynth.schema(name)``).

    ``quotes``: an option NBBO table (``option_quotes`` layout); when given, the prints' NBBO context
    (``bid_px, ask_px, nbbo_age_ns``) comes from the as-of join (:func:`fastsynth.analytics.join_options`)
    instead of the print columns. ``events``: scheduled events (see :class:`FlowStream`)."""
    params = params or AnalyticsParams()
    if quotes is not None:
        prints = _with_joined_nbbo(prints, quotes, params)
    if isinstance(prints, pa.RecordBatchReader) or (isinstance(prints, Iterable)
                                                    and not isinstance(prints, (pa.Table, pa.RecordBatch))):
        batches: Iterable = prints
    else:
        batches = [prints]
    fs = FlowStream(params, events=events, rename=rename)
    parts = [fs.push(b) for b in batches]
    parts.append(fs.finish())
    return _unify(parts)


def _with_joined_nbbo(prints: object, quotes: object, params: AnalyticsParams) -> pa.Table:
    from .joins import join_options   # A1's as-of join (lazy: only when quotes are given)

    t = to_table(prints, "option_prints")
    j = join_options(t, quotes, max_age_ms=1e12)
    age = j.column("quote_age_ns")
    t = t.drop_columns([c for c in ("bid_px", "ask_px", "nbbo_age_ns") if c in t.column_names])
    return t.append_column("bid_px", j.column("bid_px")).append_column("ask_px", j.column("ask_px")) \
        .append_column("nbbo_age_ns", age)
