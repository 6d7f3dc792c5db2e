"""Hand-built option print tables for the flow tests: small bursts that mimic each hidden family's PUBLIC
footprint as issue 3 describes it (contract selection, sizes, print count and timing, venues, placement
against the NBBO, conditions, legs), plus neutral noise. Independent of the generator's kernels, so the
analytics are tested against the description, not against one implementation of it.

``Tape(seed)`` collects rows; ``tape.burst(family, t0)`` adds one burst and returns its trade ids;
``tape.noise(n, t0, t1)`` adds background prints; ``tape.table()`` is an ``option_trades``-like table.

Event-driven families, as issue 3 describes them, need a calendar and a price path: ``Tape(seed,
events=DESK_CALENDAR)`` is a desk that knows the scheduled releases (``tape.calendar()`` is the ``events``
table to hand to ``flow``); its vol probes and pre-event ramps trade the expiry that spans the next release
(at least 5 minutes ahead), and a post-gap follow-through comes after the underlying gapped 40-80 bps its way
(the tape's price level moves 30 s before the burst and stays there: add bursts in time order). Without a
calendar those families trade a drawn DTE, as before.
"""
from __future__ import annotations

import math
import zlib
from dataclasses import dataclass
from statistics import NormalDist

import numpy as np
import pyarrow as pa

from fastsynth import schemas

DAY_NS = 86_400 * 10**9
T0 = 1_772_544_600 * 10**9          # 2026-03-03 13:30 UTC (09:30 ET)
# a desk's calendar of scheduled macro releases after T0 (symbol '*'): NFP Fri 2026-03-06 08:30 ET (13:30 UTC,
# before the DST switch), CPI Wed 2026-03-11 08:30 ET (12:30 UTC), FOMC Wed 2026-03-18 14:00 ET (18:00 UTC)
DESK_CALENDAR: tuple[int, ...] = (T0 + 3 * DAY_NS, T0 + 8 * DAY_NS - 3600 * 10**9,
                                  T0 + 15 * DAY_NS + (4 * 3600 + 1800) * 10**9)
EVENT_LEAD_NS = 5 * 60 * 10**9      # positioning is for a release at least this far ahead
EXPIRY_CLOSE_NS = 20 * 3600 * 10**9  # an expiry's close taken as 20:00 UTC (as the generator and classifier do)
_N = NormalDist()


@dataclass(frozen=True)
class Spec:
    right: str            # C, P, dir, CP
    dte: tuple[int, int]
    delta: tuple[float, float]
    structure: str        # single sweep accumulation spike vertical straddle conversion box buy_write scalp
    placement: str
    size: tuple[float, float, float, float]
    n: tuple[int, int]
    span_ms: tuple[float, float]
    venues: tuple[int, int]
    cond: str
    max_price: float = 1e9


SPECS: dict[str, Spec] = {
    "call_sweep": Spec("C", (7, 60), (0.30, 0.55), "sweep", "A", (150, 0.5, 40, 1500), (3, 8), (0.2, 6), (3, 8), "ISOI"),
    "put_sweep": Spec("P", (7, 60), (0.30, 0.55), "sweep", "A", (150, 0.5, 40, 1500), (3, 8), (0.2, 6), (3, 8), "ISOI"),
    "ask_lift_accumulation": Spec("dir", (14, 75), (0.35, 0.60), "accumulation", "A", (120, 0.4, 50, 600), (5, 12),
                                  (60_000, 600_000), (1, 4), "AUTO"),
    "far_dated_conviction": Spec("dir", (120, 900), (0.30, 0.60), "single", "A", (400, 0.5, 200, 2000), (1, 3),
                                 (0, 30_000), (1, 2), "AUTO"),
    "0dte_call_chase": Spec("C", (0, 0), (0.05, 0.30), "spike", "A", (15, 0.8, 1, 150), (12, 40), (5_000, 90_000),
                            (3, 10), "AUTO", 2.5),
    "short_dated_put_panic": Spec("P", (0, 3), (0.05, 0.30), "spike", "A", (15, 0.8, 1, 150), (12, 40),
                                  (5_000, 90_000), (3, 10), "AUTO", 3.0),
    "attention_contract_spike": Spec("dir", (0, 7), (0.10, 0.40), "spike", "A", (8, 0.7, 1, 80), (25, 60),
                                     (10_000, 60_000), (3, 12), "AUTO", 4.0),
    "earnings_vol_probe": Spec("CP", (1, 14), (0.40, 0.60), "straddle", "A", (60, 0.5, 10, 400), (1, 3),
                               (0, 120_000), (1, 2), "MLET"),
    # as docs/scenarios.md describes them: 4-8 ask lifts of 40-300 lots on one OTM contract
    "pre_event_directional_ramp": Spec("dir", (1, 13), (0.20, 0.38), "accumulation", "A", (80, 0.5, 40, 300), (4, 8),
                                       (45_000, 240_000), (1, 3), "AUTO"),
    "post_gap_followthrough": Spec("dir", (1, 10), (0.25, 0.40), "accumulation", "A", (100, 0.5, 40, 300), (4, 8),
                                   (20_000, 180_000), (2, 4), "AUTO"),
    "covered_call_overwrite": Spec("C", (14, 60), (0.15, 0.35), "buy_write", "B", (300, 0.5, 100, 2000), (1, 3),
                                   (0, 60_000), (1, 2), "TLET"),
    "cash_secured_put_write": Spec("P", (14, 60), (0.15, 0.35), "single", "B", (200, 0.5, 50, 1500), (1, 3),
                                   (0, 60_000), (1, 2), "AUTO"),
    "short_straddle_harvest": Spec("CP", (5, 35), (0.40, 0.60), "straddle", "B", (100, 0.5, 20, 800), (1, 2),
                                   (0, 60_000), (1, 1), "MLET"),
    "parity_vertical": Spec("dir", (7, 60), (0.35, 0.65), "vertical", "MID", (200, 0.5, 50, 1500), (1, 2),
                            (0, 5_000), (1, 1), "MLET"),
    "conversion_reversal": Spec("CP", (7, 90), (0.40, 0.60), "conversion", "MID", (200, 0.5, 50, 1500), (1, 2),
                                (0, 5_000), (1, 1), "TLET"),
    "box_spread": Spec("CP", (30, 400), (0.30, 0.70), "box", "MID", (200, 0.5, 50, 1500), (1, 1), (0, 0), (1, 1),
                       "MLET"),
    "gamma_pinch_call_hedge": Spec("C", (0, 5), (0.40, 0.60), "single", "A", (800, 0.4, 300, 4000), (1, 3),
                                   (0, 20_000), (1, 2), "SLAN"),
    "reactive_put_wall": Spec("P", (0, 5), (0.25, 0.50), "single", "A", (800, 0.4, 300, 4000), (1, 3), (0, 20_000),
                              (1, 2), "SLAN"),
    "dealer_unwind": Spec("dir", (0, 5), (0.40, 0.60), "single", "MID", (800, 0.4, 300, 4000), (2, 4), (1_000, 60_000),
                          (1, 3), "SLAN"),
    "single_print_mid": Spec("dir", (0, 60), (0.10, 0.90), "single", "MID", (3, 0.8, 1, 20), (1, 1), (0, 0), (1, 1),
                             "AUTO"),
    "two_sided_scalp": Spec("dir", (0, 30), (0.20, 0.80), "scalp", "A", (4, 0.7, 1, 20), (2, 4), (500, 20_000),
                            (1, 3), "AUTO"),
    "stale_quote_noise": Spec("dir", (20, 400), (0.05, 0.30), "single", "MID", (3, 0.8, 1, 20), (1, 2), (0, 5_000),
                              (1, 1), "AUTO"),
}


def _bs(S: float, K: float, T: float, v: float, right: int) -> tuple[float, float]:
    T = max(T, 1.0 / 365 / 24)
    d1 = (math.log(S / K) + 0.5 * v * v * T) / (v * math.sqrt(T))
    d2 = d1 - v * math.sqrt(T)
    if right == 0:
        return S * _N.cdf(d1) - K * _N.cdf(d2), _N.cdf(d1)
    return K * _N.cdf(-d2) - S * _N.cdf(-d1), _N.cdf(d1) - 1.0


class Tape:
    """Rows of an option_trades-like table; one underlying price level per symbol, fixed through the tape."""

    def __init__(self, seed: int, S: float = 200.0, iv: float = 0.3, events: tuple[int, ...] | None = None) -> None:
        self.rng = np.random.default_rng(seed)
        self.S, self.iv = S, iv
        self.events = tuple(sorted(events)) if events else ()
        self._gaps: list[tuple[int, float]] = []          # (ts, multiplier) steps of the underlying level
        self.rows: list[dict] = []
        self.labels: dict[int, tuple[str, int]] = {}     # trade_id -> (family, burst id)
        self._tid = 1
        self._sid = 1
        self._burst = 1

    def calendar(self) -> pa.Table:
        """The scheduled releases the desk knows, as an ``events`` table for ``flow(events=...)``."""
        return pa.table({"ts_event": pa.array(list(self.events), pa.int64()).cast(pa.timestamp("ns", tz="UTC")),
                         "symbol": ["*"] * len(self.events)})

    def S_at(self, t: int) -> float:
        """The underlying level at ``t`` (the base level times the gaps before ``t``)."""
        S = self.S
        for tg, mult in self._gaps:
            if tg <= t:
                S *= mult
        return S

    def _event_dte(self, t0: int) -> int | None:
        """DTE of the expiry that spans the next release >= EVENT_LEAD_NS after ``t0`` (every day lists one)."""
        for ev in self.events:
            if ev >= t0 + EVENT_LEAD_NS:
                day = ev // DAY_NS + (1 if ev % DAY_NS > EXPIRY_CLOSE_NS else 0)
                return int(day - t0 // DAY_NS)
        return None

    # ---- contract selection
    def _contract(self, right: int, dte: int, delta: float, S: float) -> tuple[float, int]:
        T = max(dte, 0.25) / 365.0
        z = _N.inv_cdf(min(max(delta if right == 0 else 1 - delta, 0.01), 0.99))
        K = S * math.exp(-(z - 0.5 * self.iv * math.sqrt(T)) * self.iv * math.sqrt(T) + 0.0)
        step = 1.0 if S < 250 else 5.0
        return round(K / step) * step, dte

    def _row(self, t: int, und: str, right: int, K: float, dte: int, size: int, venue: int, cond: str, place: str,
             sid: int, S: float, age_ns: int | None, side: str | None = None) -> int:
        T = max(dte, 1.0) / 365.0          # a same-day option priced as one day out (intraday time value)
        mid, delta = _bs(S, K, T, self.iv, right)
        mid = max(mid, 0.05)
        spread = max(0.02, round(0.04 * mid, 2))
        bid = max(0.01, round(mid - spread / 2, 2))
        ask = round(bid + max(spread, 0.02), 2)
        if ask - bid < 0.03 and place == "MID":
            ask = round(bid + 0.03, 2)
        price = {"AA": ask + 0.02, "A": ask, "MID": round((bid + ask) / 2 + 0.001, 2), "B": bid,
                 "BB": max(0.01, bid - 0.01)}[place]
        price = round(price, 2)
        if side is None:
            side = "A" if place in ("A", "AA") else "B" if place in ("B", "BB") else "N"
        exp_day = t // DAY_NS + dte
        inst = (zlib.crc32(f"{und}|{right}|{K}|{exp_day}".encode()) << 20) | 1
        tid = self._tid
        self._tid += 1
        self.rows.append(dict(
            ts_event=t, trade_id=tid, underlying=und, instrument_id=inst, expiration=int(exp_day), strike=float(K),
            right="CP"[right], price=price, size=int(size), side=side, venue=schemas.OPTION_VENUES[venue % 18],
            conditions=cond, structure_id=sid, bid_px=None if age_ns is None else bid,
            ask_px=None if age_ns is None else ask, nbbo_age_ns=age_ns, underlying_px=S, iv=self.iv,
            delta=delta))
        return tid

    def _size(self, spec: Spec) -> int:
        med, sd, lo, hi = spec.size
        return int(np.clip(round(med * math.exp(sd * self.rng.standard_normal())), lo, hi))

    def burst(self, family: str, t0: int, und: str = "AAPL", direction: int = 1) -> list[int]:
        """Add one burst of ``family`` starting at ``t0`` (ns); returns its trade ids."""
        sp = SPECS[family]
        r = self.rng
        bid_ = self._burst
        self._burst += 1
        dte = int(r.integers(sp.dte[0], sp.dte[1] + 1))
        if self.events and family in ("earnings_vol_probe", "pre_event_directional_ramp"):
            ev_dte = self._event_dte(t0)
            if ev_dte is not None:
                dte = ev_dte
        if self.events and family == "post_gap_followthrough":
            # the move it follows: the underlying gaps 40-80 bps its way 30 s before the first order
            self._gaps.append((t0 - 30 * 10**9, 1.0 + direction * float(r.uniform(40, 80)) * 1e-4))
        S = self.S_at(t0)
        dl = float(r.uniform(*sp.delta))
        right = {"C": 0, "P": 1, "dir": 0 if direction >= 0 else 1, "CP": 0}[sp.right]
        K, _ = self._contract(right, dte, dl, S)
        n = int(r.integers(sp.n[0], sp.n[1] + 1))
        span = float(r.uniform(*sp.span_ms)) * 1e6
        nv = int(r.integers(sp.venues[0], sp.venues[1] + 1))
        v0 = int(r.integers(0, 18))
        times = np.sort(t0 + (r.uniform(0, span, n) if n > 1 else np.zeros(1))).astype(np.int64)
        times[0] = t0
        tids: list[int] = []
        fresh = 50_000_000
        if sp.structure in ("single", "sweep", "accumulation", "spike", "scalp", "buy_write"):
            stale = family == "stale_quote_noise"
            for j, t in enumerate(times):
                place = sp.placement
                side = None
                if sp.structure == "scalp":
                    place = "A" if j % 2 == 0 else "B"
                if sp.structure == "sweep" and j > 0 and r.uniform() < 0.5:
                    place = "AA"
                sid = 0
                if sp.structure == "buy_write":
                    sid = self._sid
                    self._sid += 1
                age = int(r.uniform(3e9, 30e9)) if stale else int(r.uniform(0, fresh))
                tids.append(self._row(int(t) + j, und, right, K, dte, self._size(sp), v0 + j % nv, sp.cond, place,
                                      sid, S, age, side))
        else:
            for j, t in enumerate(times):
                sid = self._sid
                self._sid += 1
                size = self._size(sp)
                if sp.structure == "vertical":
                    K2 = K + (5.0 if right == 0 else -5.0)
                    legs = [(right, K), (right, K2)]
                elif sp.structure in ("straddle", "conversion"):
                    legs = [(0, K), (1, K)]
                else:  # box
                    K2 = K + 10.0
                    legs = [(0, K), (1, K), (0, K2), (1, K2)]
                for k, (rt, kk) in enumerate(legs):
                    place = sp.placement
                    side = "N" if place == "MID" else None
                    tids.append(self._row(int(t) + k * 1000, und, rt, kk, dte, size, v0, sp.cond, place, sid, S,
                                          int(r.uniform(0, fresh)), side))
        for tid in tids:
            self.labels[tid] = (family, bid_)
        return tids

    def noise(self, n: int, t0: int, t1: int, und: str = "AAPL") -> None:
        """Background prints: small lots on random contracts, mostly at mid, some at either side."""
        r = self.rng
        for t in np.sort(r.integers(t0, t1, n)):
            right = int(r.integers(0, 2))
            dte = int(r.choice([0, 1, 2, 7, 14, 30, 60]))
            K, _ = self._contract(right, dte, float(r.uniform(0.1, 0.9)), self.S_at(int(t)))
            place = str(r.choice(["MID", "MID", "A", "B"]))
            tid = self._row(int(t), und, right, K, dte, int(r.integers(1, 15)), int(r.integers(0, 18)), "AUTO",
                            place, 0, self.S_at(int(t)), int(r.uniform(0, 5e8)))
            self.labels[tid] = ("background", 0)

    def table(self) -> pa.Table:
        rows = sorted(self.rows, key=lambda d: (d["underlying"], d["ts_event"], d["trade_id"]))
        cols = {k: [d[k] for d in rows] for k in rows[0]}
        return pa.table({
            "ts_event": pa.array(cols["ts_event"], pa.int64()).cast(pa.timestamp("ns", tz="UTC")),
            "trade_id": pa.array(cols["trade_id"], pa.uint64()),
            "underlying": pa.array(cols["underlying"]).dictionary_encode(),
            "instrument_id": pa.array(cols["instrument_id"], pa.uint64()),
            "expiration": pa.array(cols["expiration"], pa.int32()).cast(pa.date32()),
            "strike": pa.array(cols["strike"], pa.float64()),
            "right": pa.array(cols["right"]).dictionary_encode(),
            "price": pa.array(cols["price"], pa.float64()),
            "size": pa.array(cols["size"], pa.uint32()),
            "side": pa.array(cols["side"]).dictionary_encode(),
            "venue": pa.array(cols["venue"]).dictionary_encode(),
            "conditions": pa.array(cols["conditions"]).dictionary_encode(),
            "structure_id": pa.array(cols["structure_id"], pa.uint64()),
            "bid_px": pa.array(cols["bid_px"], pa.float64()),
            "ask_px": pa.array(cols["ask_px"], pa.float64()),
            "nbbo_age_ns": pa.array(cols["nbbo_age_ns"], pa.int64()),
            "underlying_px": pa.array(cols["underlying_px"], pa.float64()),
            "iv": pa.array(cols["iv"], pa.float64()),
            "delta": pa.array(cols["delta"], pa.float64()),
        })
