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
from .packets import Codes, PacketClusterer, Prints, extract
from .params import AnalyticsParams
from .structures import structure_codes

__all__ = ["flow", "FlowStream", "FLOW_TABLES"]

FLOW_TABLES: tuple[str, ...] = ("flow_prints", "flow_packets", "classifier_hits", "smart_money_events")
_DAY_NS = 86_400 * 1_000_000_000
_SWEEP_SPAN_NS = 50_000_000


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

    # ---- packets -> feature matrices -------------------------------------------------------------------
    def _event_times(self, und: np.ndarray, t0: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        to_ev = np.full(len(und), np.inf)
        since = np.full(len(und), np.inf)
        if not self._events and not len(self._macro):
            return to_ev, since
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
            to_ev[m] = np.where(j < len(ev), (nxt - t) / 1e9, np.inf)
            since[m] = np.where(j > 0, (t - prv) / 1e9, np.inf)
        return to_ev, since

    def _features(self, c: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        si, sf, li, lf = c["si"], c["sf"], c["li"], c["lf"]
        P = si.shape[0]
        st = structure_codes(si, li, lf)
        right = li[:, 0, K.LI_RIGHT].astype(np.int8)
        strike = lf[:, 0, K.LF_STRIKE]
        exp = li[:, 0, K.LI_EXP].astype(np.int32)
        t0, t1 = si[:, K.SI_T0], si[:, K.SI_T1]
        dte = (exp.astype(np.int64) - t0 // _DAY_NS).astype(np.int32)
        S = sf[:, K.SF_UND0]
        with np.errstate(invalid="ignore", divide="ignore"):
            mny = np.where(S > 0, strike / S - 1.0, np.nan)
            otm = np.where(right == 0, mny, -mny)
            atm = np.abs(mny)
            tot = sf[:, K.SF_ASK] + sf[:, K.SF_BID] + sf[:, K.SF_MID]
            ask = np.where(tot > 0, sf[:, K.SF_ASK] / tot, 0.0)
            bid = np.where(tot > 0, sf[:, K.SF_BID] / tot, 0.0)
            mid = np.where(tot > 0, sf[:, K.SF_MID] / tot, 0.0)
            n = si[:, K.SI_N]
            cov = si[:, K.SI_FRESH] / n
            ivchg = sf[:, K.SF_IV1] - sf[:, K.SF_IV0]
            mv = np.where((sf[:, K.SF_UND0] > 0) & (sf[:, K.SF_UND1] > 0),
                          (sf[:, K.SF_UND1] / sf[:, K.SF_UND0] - 1.0) * 1e4, np.nan)
            dmean = np.where(sf[:, K.SF_DELTA_W] > 0, sf[:, K.SF_DELTA] / sf[:, K.SF_DELTA_W], np.nan)
        venues = np.zeros(P, np.int64)
        vb = si[:, K.SI_VENUES].copy()
        while vb.any():                       # popcount
            venues += vb & 1
            vb >>= 1
        iso = si[:, K.SI_ISO]
        sweep = ((venues >= 2) & (iso >= 1)) | ((venues >= 3) & (t1 - t0 <= _SWEEP_SPAN_NS))
        to_ev, since = self._event_times(si[:, K.SI_UND], t0)
        key = np.where(si[:, K.SI_STRUCT] != 0, si[:, K.SI_STRUCT], si[:, K.SI_INST])
        pi = np.zeros((P, KC.NPI), np.int64)
        pi[:, KC.PI_UND] = si[:, K.SI_UND]
        pi[:, KC.PI_KEY] = key
        pi[:, KC.PI_INST] = si[:, K.SI_INST]
        pi[:, KC.PI_T0], pi[:, KC.PI_T1] = t0, t1
        pi[:, KC.PI_STRUCT] = st
        pi[:, KC.PI_RIGHT] = right
        pi[:, KC.PI_DTE] = dte
        pi[:, KC.PI_N] = n
        pi[:, KC.PI_VENUES] = venues
        pi[:, KC.PI_ISO] = iso
        pi[:, KC.PI_SLAN] = si[:, K.SI_SLAN]
        pi[:, KC.PI_ML] = si[:, K.SI_ML]
        pi[:, KC.PI_TLET] = si[:, K.SI_TLET]
        pi[:, KC.PI_SWEEP] = sweep
        pi[:, KC.PI_NEV] = si[:, K.SI_NEV]
        pi[:, KC.PI_PID] = si[:, K.SI_PID]
        pi[:, KC.PI_FRESH] = si[:, K.SI_FRESH]
        pi[:, KC.PI_QUOTED] = si[:, K.SI_FRESH] + si[:, K.SI_STALE]
        pf = np.zeros((P, KC.NPF))
        pf[:, KC.PF_SIZE] = sf[:, K.SF_SIZE]
        pf[:, KC.PF_PREM] = sf[:, K.SF_PREM]
        pf[:, KC.PF_MAXSZ] = sf[:, K.SF_MAXSZ]
        pf[:, KC.PF_ASK] = sf[:, K.SF_ASK]
        pf[:, KC.PF_BID] = sf[:, K.SF_BID]
        pf[:, KC.PF_MID] = sf[:, K.SF_MID]
        pf[:, KC.PF_SIDE_A] = sf[:, K.SF_SIDE_A]
        pf[:, KC.PF_SIDE_B] = sf[:, K.SF_SIDE_B]
        pf[:, KC.PF_OTM] = otm
        pf[:, KC.PF_ATM] = np.where(np.isnan(atm), np.inf, atm)
        pf[:, KC.PF_DELTA] = sf[:, K.SF_DELTA]
        pf[:, KC.PF_DELTA_W] = sf[:, K.SF_DELTA_W]
        pf[:, KC.PF_MOVE] = sf[:, K.SF_MOVE]
        pf[:, KC.PF_IVCHG] = ivchg
        pf[:, KC.PF_TO_EVENT] = to_ev
        pf[:, KC.PF_SINCE_EVENT] = since
        pf[:, KC.PF_UNDPX] = S
        return {"pi": pi, "pf": pf, "st": st, "right": right, "strike": strike, "exp": exp, "dte": dte, "otm": otm,
                "atm": atm, "ask": ask, "bid": bid, "mid": mid, "cov": cov, "ivchg": ivchg, "mv": mv,
                "dmean": dmean, "venues": venues, "sweep": sweep}

    # ---- output tables ------------------------------------------------------------------------------------
    def _und_dict(self) -> pa.Array:
        return _dict(self.codes.und_names())

    def _packets_table(self, c: dict, f: dict, r: dict) -> pa.Table:
        si, sf = c["si"], c["sf"]
        ud = self._und_dict()
        P = si.shape[0]
        cols = {
            "packet_id": pa.array(si[:, K.SI_PID].astype(np.uint64)),
            "ts_event": ts_array(si[:, K.SI_T0]),
            "ts_end": ts_array(si[:, K.SI_T1]),
            "underlying": pa.DictionaryArray.from_arrays(pa.array(si[:, K.SI_UND].astype(np.int32)), ud, safe=False),
            "instrument_id": pa.array(si[:, K.SI_INST].view(np.uint64)),
            "structure_id": pa.array(si[:, K.SI_STRUCT].view(np.uint64)),
            "structure": _codes(f["st"], schemas.FLOW_STRUCTURES),
            "legs": pa.array(si[:, K.SI_NLEGS].astype(np.uint8)),
            "right": _codes(f["right"], schemas.RIGHTS),
            "strike": pa.array(f["strike"]),
            "expiration": pa.array(f["exp"].astype(np.int32)).view(pa.date32()),
            "dte": pa.array(f["dte"]),
            "otm_pct": _opt(f["otm"]),
            "atm_distance": _opt(f["atm"]),
            "prints": pa.array(si[:, K.SI_N].astype(np.uint32)),
            "size": pa.array(sf[:, K.SF_SIZE].astype(np.uint64)),
            "premium": pa.array(sf[:, K.SF_PREM]),
            "max_print_size": pa.array(sf[:, K.SF_MAXSZ].astype(np.uint32)),
            "venues": pa.array(f["venues"].astype(np.uint8)),
            "iso_prints": pa.array(si[:, K.SI_ISO].astype(np.uint32)),
            "auction_prints": pa.array(si[:, K.SI_SLAN].astype(np.uint32)),
            "multileg_prints": pa.array(si[:, K.SI_ML].astype(np.uint32)),
            "stock_tied_prints": pa.array(si[:, K.SI_TLET].astype(np.uint32)),
            "sweep": pa.array(f["sweep"].astype(bool)),
            "ask_ratio": pa.array(f["ask"]),
            "bid_ratio": pa.array(f["bid"]),
            "mid_ratio": pa.array(f["mid"]),
            "aggressor_ratio": pa.array(np.maximum(f["ask"], f["bid"])),
            "nbbo_coverage": pa.array(f["cov"]),
            "iv_first": _opt(sf[:, K.SF_IV0]),
            "iv_change": _opt(f["ivchg"]),
            "underlying_px": _opt(np.where(sf[:, K.SF_UND0] > 0, sf[:, K.SF_UND0], np.nan)),
            "underlying_move_bps": _opt(f["mv"]),
            "underlying_move_before_bps": _opt(sf[:, K.SF_MOVE]),
            "delta": _opt(f["dmean"]),
            "premium_z": _opt(r["pz"]),
            "size_z": _opt(r["sz"]),
            "baseline_samples": pa.array(r["ns"].astype(np.uint32)),
            "trade_ids": _id_lists(c["ev"], si[:, K.SI_NEV]),
        }
        assert len(cols["packet_id"]) == P
        return pa.Table.from_pydict(cols, schema=schemas.schema("flow_packets"))

    def _hits_table(self, c: dict, f: dict, r: dict) -> pa.Table:
        si, sf = c["si"], c["sf"]
        k = r["hit_pkt"]
        reasons = [hit_reason(int(r["hit_kind"][j]), float(sf[i, K.SF_PREM]), float(sf[i, K.SF_SIZE]),
                              int(si[i, K.SI_N]), int(f["venues"][i]), float(r["pz"][i]),
                              float(max(f["ask"][i], f["bid"][i])), float(f["cov"][i]), int(f["dte"][i]),
                              float(f["atm"][i])) for j, i in enumerate(k.tolist())]
        cols = {
            "ts_event": ts_array(si[k, K.SI_T1]),
            "underlying": pa.DictionaryArray.from_arrays(pa.array(si[k, K.SI_UND].astype(np.int32)), self._und_dict(),
                                                         safe=False),
            "packet_id": pa.array(si[k, K.SI_PID].astype(np.uint64)),
            "instrument_id": pa.array(si[k, K.SI_INST].view(np.uint64)),
            "kind": _codes(r["hit_kind"], schemas.HIT_KINDS),
            "direction": _codes(r["hit_dir"].astype(np.int64) + 1, schemas.DIRECTIONS),
            "confidence": pa.array(r["hit_conf"]),
            "premium": pa.array(sf[k, K.SF_PREM]),
            "size": pa.array(sf[k, K.SF_SIZE].astype(np.uint64)),
            "premium_z": _opt(r["pz"][k]),
            "reason": pa.array(reasons, pa.string()),
            "evidence": _id_lists(c["ev"][k], si[k, K.SI_NEV]),
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

    def _packets_out(self, closed: list[dict], final: bool) -> dict[str, list[pa.Table]]:
        out: dict[str, list[pa.Table]] = {t: [] for t in FLOW_TABLES[1:]}
        if not closed:
            closed = [{"si": np.zeros((0, K.NSI), np.int64), "sf": np.zeros((0, K.NSF)),
                       "li": np.zeros((0, K.MAXLEG, 3), np.int64), "lf": np.zeros((0, K.MAXLEG, 4)),
                       "ev": np.zeros((0, self.clusterer.maxev), np.int64)}]
        c = {k: np.concatenate([x[k] for x in closed]) for k in closed[0]}
        f = self._features(c)
        r = self.classifier.push(f["pi"], f["pf"], c["ev"], final=final)
        out["flow_packets"].append(self._packets_table(c, f, r))
        out["classifier_hits"].append(self._hits_table(c, f, r))
        out["smart_money_events"].append(self._events_table(r))
        return out

    # ---- API ------------------------------------------------------------------------------------------------
    def push(self, batch: object) -> dict[str, pa.Table]:
        p = extract(batch, self.codes, self.params.cluster, self.row, self.rename)
        pid, closed = self.clusterer.push(p, self.row)
        self.row += len(p)
        res = {"flow_prints": [self._prints_table(p, pid)]}
        res.update(self._packets_out(closed, final=False))
        return {t: pa.concat_tables(v) for t, v in res.items()}

    def finish(self) -> dict[str, pa.Table]:
        closed = self.clusterer.finish()
        res = {"flow_prints": [schemas.schema("flow_prints").empty_table()]}
        res.update(self._packets_out(closed, final=True))
        return {t: pa.concat_tables(v) for t, v in res.items()}


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
