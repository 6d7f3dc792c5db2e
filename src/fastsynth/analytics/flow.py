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

FLOW_TABLES: tuple[str, ...] = ("flow_prints", "flow_packets", "classifier_hits", "smart_money_events")


def _dict(values: tuple[str, ...] | list[str]) -> pa.Array:
    return pa.array(list(values), pa.string())


def _codes(codes: np.ndarray, values: tuple[str, ...] | list[str], index_type=pa.int8(), mask=None) -> pa.Array:
    idx = pa.array(np.ascontiguousarray(codes).astype(index_type.to_pandas_dtype()), index_type, mask=mask)
    return pa.DictionaryArray.from_arrays(idx, _dict(values), safe=False)


def _opt(x: np.ndarray) -> pa.Array:
    return pa.array(x, pa.float64(), from_pandas=True)   # NaN -> null


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

    def _packets_table(self, v: dict, r: dict, ids: pa.Array) -> pa.Table:
        # the rows are views into the clusterer's reused workspace: every column below is a copy
        pi, pf, xi, xf = v["pi"], v["pf"], v["xi"], v["xf"]
        ud = self._und_dict()
        ask, bid = xf[:, K.XF_ASK_R].copy(), xf[:, K.XF_BID_R].copy()
        S = pf[:, KC.PF_UNDPX]
        with np.errstate(invalid="ignore"):
            upx = np.where(S > 0, S, np.nan)
        cols = {
            "packet_id": pa.array(pi[:, KC.PI_PID].astype(np.uint64)),
            "ts_event": ts_array(pi[:, KC.PI_T0].copy()),
            "ts_end": ts_array(pi[:, KC.PI_T1].copy()),
            "underlying": pa.DictionaryArray.from_arrays(pa.array(pi[:, KC.PI_UND].astype(np.int32)), ud, safe=False),
            "instrument_id": pa.array(pi[:, KC.PI_INST].astype(np.uint64)),
            "structure_id": pa.array(xi[:, K.XI_STRUCT_ID].astype(np.uint64)),
            "structure": _codes(pi[:, KC.PI_STRUCT], schemas.FLOW_STRUCTURES),
            "legs": pa.array(xi[:, K.XI_NLEGS].astype(np.uint8)),
            "right": _codes(pi[:, KC.PI_RIGHT], schemas.RIGHTS),
            "strike": pa.array(xf[:, K.XF_STRIKE].copy()),
            "expiration": pa.array(xi[:, K.XI_EXP].astype(np.int32)).view(pa.date32()),
            "dte": pa.array(pi[:, KC.PI_DTE].astype(np.int32)),
            "otm_pct": _opt(pf[:, KC.PF_OTM].copy()),
            "atm_distance": _opt(xf[:, K.XF_ATM].copy()),
            "prints": pa.array(pi[:, KC.PI_N].astype(np.uint32)),
            "size": pa.array(pf[:, KC.PF_SIZE].astype(np.uint64)),
            "premium": pa.array(pf[:, KC.PF_PREM].copy()),
            "max_print_size": pa.array(pf[:, KC.PF_MAXSZ].astype(np.uint32)),
            "venues": pa.array(pi[:, KC.PI_VENUES].astype(np.uint8)),
            "iso_prints": pa.array(pi[:, KC.PI_ISO].astype(np.uint32)),
            "auction_prints": pa.array(pi[:, KC.PI_SLAN].astype(np.uint32)),
            "multileg_prints": pa.array(pi[:, KC.PI_ML].astype(np.uint32)),
            "stock_tied_prints": pa.array(pi[:, KC.PI_TLET].astype(np.uint32)),
            "sweep": pa.array(pi[:, KC.PI_SWEEP].astype(bool)),
            "ask_ratio": pa.array(ask),
            "bid_ratio": pa.array(bid),
            "mid_ratio": pa.array(xf[:, K.XF_MID_R].copy()),
            "aggressor_ratio": pa.array(np.maximum(ask, bid)),
            "nbbo_coverage": pa.array(xf[:, K.XF_COV].copy()),
            "iv_first": _opt(xf[:, K.XF_IV0].copy()),
            "iv_change": _opt(pf[:, KC.PF_IVCHG].copy()),
            "underlying_px": _opt(upx),
            "underlying_move_bps": _opt(xf[:, K.XF_MOVE].copy()),
            "underlying_move_before_bps": _opt(pf[:, KC.PF_MOVE].copy()),
            "delta": _opt(xf[:, K.XF_DMEAN].copy()),
            "premium_z": _opt(r["pz"]),
            "size_z": _opt(r["sz"]),
            "baseline_samples": pa.array(r["ns"].astype(np.uint32)),
            "trade_ids": ids,
        }
        return pa.Table.from_pydict(cols, schema=schemas.schema("flow_packets"))

    def _hits_table(self, v: dict, r: dict, ids: pa.Array) -> pa.Table:
        pi, pf, xf = v["pi"], v["pf"], v["xf"]
        k = r["hit_pkt"]
        ask, bid = xf[k, K.XF_ASK_R], xf[k, K.XF_BID_R]
        reasons = [hit_reason(int(r["hit_kind"][j]), float(pf[i, KC.PF_PREM]), float(pf[i, KC.PF_SIZE]),
                              int(pi[i, KC.PI_N]), int(pi[i, KC.PI_VENUES]), float(r["pz"][i]),
                              float(max(ask[j], bid[j])), float(xf[i, K.XF_COV]), int(pi[i, KC.PI_DTE]),
                              float(xf[i, K.XF_ATM])) for j, i in enumerate(k.tolist())]
        cols = {
            "ts_event": ts_array(pi[k, KC.PI_T1]),
            "underlying": pa.DictionaryArray.from_arrays(pa.array(pi[k, KC.PI_UND].astype(np.int32)),
                                                         self._und_dict(), safe=False),
            "packet_id": pa.array(pi[k, KC.PI_PID].astype(np.uint64)),
            "instrument_id": pa.array(pi[k, KC.PI_INST].astype(np.uint64)),
            "kind": _codes(r["hit_kind"], schemas.HIT_KINDS),
            "direction": _codes(r["hit_dir"].astype(np.int64) + 1, schemas.DIRECTIONS),
            "confidence": pa.array(r["hit_conf"]),
            "premium": pa.array(pf[k, KC.PF_PREM]),
            "size": pa.array(pf[k, KC.PF_SIZE].astype(np.uint64)),
            "premium_z": _opt(r["pz"][k]),
            "reason": pa.array(reasons, pa.string()),
            "evidence": ids.take(pa.array(k)),
        }
        return pa.Table.from_pydict(cols, schema=schemas.schema("classifier_hits"))

    def _events_table(self, r: dict) -> pa.Table:
        oi, of, oev = r["oi"], r["of"], r["oev"]
        reasons = [event_reason(oi[j], of[j], self.params) for j in range(oi.shape[0])]
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
            "packet_id": pa.array(pid.astype(np.uint64)),
            "notional": pa.array(notional),
            "placement": _codes(np.maximum(p.place, 0), schemas.PLACEMENTS, mask=p.place < 0),
            "join_quality": _codes(p.quality, schemas.JOIN_QUALITIES),
            "signal": pa.array(sig),
            "signal_reason": _codes(reason, schemas.SIGNAL_REASONS),
        }
        return pa.Table.from_pydict(cols, schema=schemas.schema("flow_prints"))

    def _packets_out(self, v: dict[str, np.ndarray], final: bool, out: dict[str, list[pa.Table]]) -> None:
        """Classify one chunk of closed packets (workspace views) and append its table rows to ``out``."""
        self._event_times(v["pi"], v["pf"])
        r = self.classifier.push(v["pi"], v["pf"], v["off"], v["ev"], final=final)
        P = v["pi"].shape[0]
        ids = pa.ListArray.from_arrays(pa.array(v["off"].astype(np.int32)),
                                       pa.array(v["ev"].view(np.uint64).copy(), pa.uint64()))
        assert len(ids) == P
        out["flow_packets"].append(self._packets_table(v, r, ids))
        out["classifier_hits"].append(self._hits_table(v, r, ids))
        out["smart_money_events"].append(self._events_table(r))

    @staticmethod
    def _concat(res: dict[str, list[pa.Table]]) -> dict[str, pa.Table]:
        return {t: pa.concat_tables(v) if len(v) != 1 else v[0] for t, v in res.items()}

    # ---- API ------------------------------------------------------------------------------------------------
    def push(self, batch: object) -> dict[str, pa.Table]:
        p = extract(batch, self.codes, self.params.cluster, self.row, self.rename)
        self.clusterer.check_order(p, self.row)
        n = len(p)
        pid = np.empty(n, np.int64)
        res: dict[str, list[pa.Table]] = {t: [] for t in FLOW_TABLES}
        for a in range(0, n, CHUNK):
            v = self.clusterer.run(p, a, min(n, a + CHUNK), pid)
            if v["pi"].shape[0] or a == 0:
                self._packets_out(v, False, res)
        if n == 0:
            self._packets_out(_empty_view(), False, res)
        self.row += n
        res["flow_prints"].append(self._prints_table(p, pid))
        return self._concat(res)

    def finish(self) -> dict[str, pa.Table]:
        res: dict[str, list[pa.Table]] = {t: [] for t in FLOW_TABLES}
        res["flow_prints"].append(schemas.schema("flow_prints").empty_table())
        self._packets_out(self.clusterer.finish_view(), True, res)
        return self._concat(res)


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
