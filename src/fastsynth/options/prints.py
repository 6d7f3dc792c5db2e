"""Option prints: neutral background flow and labeled bursts of the hidden scenario families.

``PrintGenerator(p, part, sym_code, chain)`` is built once per (underlying, session) partition by
``options.run_partition``; ``.block(quote_block, und, s0, s1)`` returns the ``option_trades`` batch of the
block's seconds ``[s0, s1)`` and the matching ``scenario_labels`` batch (``None`` when empty or not
requested). Blocks must be fed in time order, each with the quote tape of the same seconds.

Per block:

1. background prints (``kernels.option_prints.plan_noise``): Poisson arrivals at
   ``prints_per_day(spec) x seasonality x modulation.option_activity x MODE_SCALE[mode]``, contracts drawn
   with weights concentrated near the money and short-dated, 1-10 contracts typically (notional capped
   below 10k USD), at the ask / bid / inside, venues by market share;
2. the labeled bursts of ``p.regime.bursts(day).for_symbol(sym_code)`` that start in the block, assembled
   in Python from the family templates (``options.families``): contract selection, orders, legs, venues,
   timings, sizes and the placement each print should land on; prints of a burst that fall after the
   block's end are carried to the next block;
3. all requests sorted by time go through ``kernels.option_prints.fill_prints``: as-of NBBO and underlying
   lookups, the price chosen from that NBBO so its placement (the shared ``kernels.placement`` rule) is the
   intended one, trade ids and sequence numbers; then IV and delta from the Black-Scholes kernels.

Ids: ``trade_id = (day_index << 48) | (sym_code << 32) | sequence`` (sequence = 0-based print number
of the underlying in the session, < 2**32; day_index < 2**16, sym_code < 2**16), unique in the run and
deterministic; ``structure_id`` of a multi-leg order = the same packing with the partition's structure
counter (1-based) in the low 32 bits, 0 for single-leg prints. The side (aggressor) follows the final
placement: A/AA -> A, B/BB -> B, MID -> N.
"""
from __future__ import annotations

import bisect
import math
from statistics import NormalDist
from typing import Any

import numpy as np
import pyarrow as pa

from .. import schemas
from .._arrow import dict_array, num_array, py_array, take_strings, ts_array
from ..rng import derive_key, uniforms
from ..kernels.option_prints import (NOISE_NOTIONAL_CAP, NS_YEAR, advance_quotes, fill_prints, iv_delta, plan_noise,
                                     select_penalty)
from .families import COND_CODE, FAMILY_TEMPLATES, PLACE_CODE, Family

__all__ = ["PrintGenerator", "concat_rows", "prints_per_day", "VENUE_SHARES", "trade_id_base", "STALE_NS"]

NS = 1_000_000_000
FULL_DAY_SECONDS = 23_400
# approximate option-exchange shares of US equity-option prints (normalized)
VENUE_SHARES = {"XCBO": 0.10, "C2OX": 0.03, "BATO": 0.07, "EDGO": 0.03, "XISX": 0.07, "GMNI": 0.02,
                "MCRY": 0.02, "XPHO": 0.10, "XNDQ": 0.05, "XBXO": 0.01, "XMIO": 0.06, "MPRL": 0.07,
                "EMLD": 0.03, "SPHR": 0.03, "ARCO": 0.07, "AMXO": 0.07, "XBOX": 0.04, "MXOP": 0.04}
EVENT_LEAD_NS = 5 * 60 * NS   # an event-driven burst positions for an event at least this far ahead
GAP_LOOKBACK_S = 480          # post-gap follow-through needs the underlying to have moved over the last 8 min ...
GAP_MIN_BPS = 30.0            # ... by at least this much (its direction is the trade's); otherwise it is a ramp
RAMP_IV_POINTS = (1.0, 3.0)   # pre-event ramp: implied-vol rise (vol points) paid across the burst ...
RAMP_MAX_WALK = 6             # ... capped at this many quote increments through the ask
STALE_NS = 5 * NS           # a background print against an NBBO older than this is labeled stale_quote_noise
NOISE_DTE_SCALE = 10.0      # background contract weight ~ exp(-dte / 10) + floor: short-dated concentration
NOISE_DTE_FLOOR = 0.03
NOISE_MONEYNESS_SD = 0.9    # ... x exp(-z^2 / (2 sd^2)), z = log(K/S) / (vol sqrt(tau)): near the money
F_SINGLE_MID, F_SCALP, F_STALE = (schemas.FAMILIES.index(f) for f in
                                  ("single_print_mid", "two_sided_scalp", "stale_quote_noise"))
F_RAMP, F_GAP = (schemas.FAMILIES.index(f) for f in ("pre_event_directional_ramp", "post_gap_followthrough"))
P_NOISE = schemas.PROFILES.index("neutral_noise")
_TAU_FLOOR = 1.0 / (365.0 * 24.0 * 4.0)   # reference d1 of a contract: tau at least 15 minutes
_ND = NormalDist()


def prints_per_day(price: float, adv: float) -> float:
    """Background option prints in a full realistic session for an underlying (liquid names: tens of
    thousands; small names: hundreds): ~ 20k x sqrt(dollar ADV / 1e10), clipped to [300, 60k]."""
    return float(np.clip(20_000.0 * math.sqrt(price * adv / 1e10), 300.0, 60_000.0))


def trade_id_base(day_index: int, sym_code: int) -> int:
    if not (0 <= day_index < 1 << 16 and 0 <= sym_code < 1 << 16):
        raise ValueError(f"day_index {day_index} / sym_code {sym_code} out of the 16-bit id range")
    return (day_index << 48) | (sym_code << 32)


def _venue_table() -> np.ndarray:
    from ..kernels.option_prints import QTAB

    codes = np.array([schemas.OPTION_VENUES.index(v) for v in VENUE_SHARES], np.int8)
    w = np.array(list(VENUE_SHARES.values()))
    cdf = np.cumsum(w / w.sum())
    q = (np.arange(QTAB) + 0.5) / QTAB
    return codes[np.minimum(np.searchsorted(cdf, q, side="right"), len(codes) - 1)]


VENUE_TABLE = _venue_table()
_VENUE_P = np.array(list(VENUE_SHARES.values())) / sum(VENUE_SHARES.values())
_VENUE_CODES = np.array([schemas.OPTION_VENUES.index(v) for v in VENUE_SHARES], np.int8)
_VENUE_CODE_LIST = _VENUE_CODES.tolist()
_VENUE_CDFS: dict[int, list[float]] = {}


def _venue_cdf(gone: int) -> list[float]:
    """Cumulative shares of the venues left when those in the bit mask ``gone`` are drawn, as a list (for
    ``bisect``); computed once per mask by the same numpy operations as a fresh draw would use."""
    cdf = _VENUE_CDFS.get(gone)
    if cdf is None:
        p = _VENUE_P.copy()
        p[[j for j in range(p.shape[0]) if gone >> j & 1]] = 0.0
        cdf = np.cumsum(p / p.sum()).tolist()
        if len(_VENUE_CDFS) < 1 << 16:
            _VENUE_CDFS[gone] = cdf
    return cdf
_RIGHTS = py_array(schemas.RIGHTS)      # py_array: pa.array of a list imports pandas (cold start)
_SIDES = py_array(schemas.SIDES)
_OVENUES = py_array(schemas.OPTION_VENUES)
_CONDS = py_array(schemas.OPTION_CONDITIONS)
_FAMS = py_array(schemas.FAMILIES)
_PROFS = py_array(schemas.PROFILES)
_PLACES = py_array(schemas.PLACEMENTS)
_SIDE_OF_PLACE = np.array([0, 0, 2, 1, 1], np.int8)      # AA, A -> A; MID -> N; B, BB -> B
_A, _AA, _MID, _B, _BB = (PLACE_CODE[k] for k in ("A", "AA", "MID", "B", "BB"))


def _get(obj: Any, *names: str) -> Any:
    for n in names:
        if hasattr(obj, n):
            return getattr(obj, n)
    raise AttributeError(f"{type(obj).__name__} has none of {names}")


class _Requests:
    """Print requests (columns) accumulated for one block; ``key`` = creation order in the session."""

    COLS = (("ts", np.int64), ("c", np.int32), ("place", np.int8), ("walk", np.int16), ("fb", np.int8),
            ("struct", np.uint64), ("size", np.uint32), ("venue", np.int8), ("cond", np.int8),
            ("lat", np.int64), ("family", np.int8), ("burst", np.uint64), ("key", np.int64))

    def __init__(self) -> None:
        self.parts: list[dict[str, np.ndarray]] = []

    def add(self, **cols: Any) -> None:
        n = len(cols["ts"])
        part = {}
        for k, dt in self.COLS:          # arrays as they are (cast if needed), scalars repeated
            v = cols[k]
            part[k] = v.astype(dt, copy=False) if isinstance(v, np.ndarray) and v.shape == (n,) else np.full(n, v, dt)
        self.parts.append(part)

    def concat(self) -> dict[str, np.ndarray]:
        if not self.parts:
            return {k: np.zeros(0, dt) for k, dt in self.COLS}
        return {k: np.concatenate([p[k] for p in self.parts]) for k, _ in self.COLS}


class PrintGenerator:
    """Prints of one underlying in one session (see the module docstring). ``want_labels=False`` skips
    building scenario_labels batches; the option_trades bytes never depend on it."""

    def __init__(self, p: Any, part: Any, sym_code: int, chain: Any, want_labels: bool = True) -> None:
        from ..manifest import MODE_SCALE
        from ..market import seasonality

        self.p, self.part, self.sym_code, self.chain, self.want_labels = p, part, sym_code, chain, want_labels
        m = p.manifest
        self.spec = p.specs[part.symbol]
        sess = part.session
        self.open_ns, self.close_ns, self.seconds = int(sess.open_ns), int(sess.close_ns), int(sess.seconds)
        self.date = sess.date.isoformat()
        self.seed = int(m.seed)
        self.id_base = trade_id_base(int(part.day_index), int(sym_code))
        self.sym_dict = p.symbol_dictionary
        try:
            mod = p.regime.modulation(part.symbol, part.day_index).option_activity
        except AttributeError:          # regime engine without modulation: neutral
            mod = np.ones(self.seconds)
        _, act, _ = seasonality(self.seconds)
        self.lam = np.ascontiguousarray(prints_per_day(self.spec.price, self.spec.adv) / FULL_DAY_SECONDS * act
                                        * np.asarray(mod, np.float64)[: self.seconds] * MODE_SCALE[m.mode])
        try:
            sched = p.regime.bursts(part.day_index).for_symbol(sym_code)
        except AttributeError:
            sched = None
        self.bursts = sched
        try:
            self.events = list(p.regime.events_for(part.symbol, part.day_index))
        except AttributeError:
            self.events = []
        # the symbol's scheduled events from today on (its calendar: macro releases + its own earnings), known in
        # advance: event-driven bursts trade the expiry that spans the next one
        from ..regime.events import upcoming_events

        try:
            ev = upcoming_events(sess.date, m.event_calendar, list(m.events or []),
                                 [(part.symbol, bool(self.spec.etf))])
        except (AttributeError, TypeError):
            ev = self.events
        self.upcoming = np.array(sorted({int(e.ts_ns) for e in ev}), np.int64)
        # last underlying mid per second of the session so far (filled block by block): the move before a burst
        self.und_sec = np.full(self.seconds, np.nan)
        self.noise_key = derive_key(self.seed, "option_prints", part.symbol, self.date, "noise")
        self.noise_state = np.zeros(2, np.int64)
        self.noise_need = np.zeros(1, np.float64)
        self.u_prev_ts = np.full(1, -1, np.int64)
        self.u_prev_mid = np.full(1, np.nan)
        self.seq = 0
        self.key = 0
        self.n_struct = 0
        self.pending: dict[str, np.ndarray] | None = None
        self._qb: Any = None
        self._snap: list[Any] | None = None     # _snapshot's carried state: [block, pos, t, ts, bid, ask, tape]
        self.scheme = int(getattr(chain, "tick_scheme", 1))
        # chain arrays
        c = chain
        self.c_strike = np.ascontiguousarray(c.strike, np.float64)
        self.c_right = np.ascontiguousarray(c.right, np.int8)
        self.c_dte = np.ascontiguousarray(c.dte, np.int32)
        self.c_tau = np.ascontiguousarray(c.tau, np.float64)
        self.c_exp = np.ascontiguousarray(c.expiration, np.int32)
        self.c_iid = np.asarray(c.instrument_id, np.uint64)
        self.n_contracts = self.c_strike.shape[0]
        self._no_guess = np.zeros(self.n_contracts)
        nc = self.n_contracts
        self._sel_scratch = (np.empty(nc), np.empty(nc), np.empty(nc, np.bool_), np.empty(nc, np.int64))
        self._bands: dict[str, tuple[float, float]] = {}
        self._exps = [int(e) for e in np.unique(self.c_exp)]
        self._strikes: dict[tuple[int, int], np.ndarray] = {}
        self._ask_c0 = 0.0
        # (expiry, strike in 1/1000, right) -> contract; the strike key is round(strike * 1000) of the
        # float64 product either way (Python floats from tolist: ~10x faster than iterating numpy scalars)
        self.by_key = {(e, round(k), r): i for i, (e, k, r) in
                       enumerate(zip(self.c_exp.tolist(), (self.c_strike * 1000).tolist(), self.c_right.tolist()))}
        # the background flow's per-contract DTE weight (constant through the session)
        self._w_dte = np.exp(-self.c_dte / NOISE_DTE_SCALE) + NOISE_DTE_FLOOR
        self.vol = float(self.spec.annual_vol)
        from .surface import DIV_YIELD_ETF, DIV_YIELD_STOCK

        from ..kernels.blackscholes import RATE

        # the surface's rate and dividend yield (attached to the chain by options.partition_chain)
        self.div_yield = float(getattr(chain, "div_yield", DIV_YIELD_ETF if self.spec.etf else DIV_YIELD_STOCK))
        self.rate = float(getattr(chain, "rate", RATE))

    # ---- helpers -----------------------------------------------------------------------------------

    def _tau_at(self, t_ns: int) -> np.ndarray:
        return self.c_tau + max(0, self.close_ns - t_ns) / NS_YEAR

    def _z(self, spot: float, t_ns: int) -> np.ndarray:
        """d1 of each contract under the reference volatility (calls: N(z) = delta; puts: N(-z) = |delta|)."""
        tau = np.maximum(self._tau_at(t_ns), _TAU_FLOOR)
        sq = self.vol * np.sqrt(tau)
        return (np.log(spot / self.c_strike) + 0.5 * sq * sq) / sq

    def _spot(self, und_ts: np.ndarray, und_mid: np.ndarray, t: int) -> float:
        i = int(np.searchsorted(und_ts, t, side="right")) - 1
        if i >= 0:
            return float(und_mid[i])
        if self.u_prev_ts[0] >= 0:
            return float(self.u_prev_mid[0])
        return float(und_mid[0]) if und_mid.shape[0] else float(self.spec.price)

    def _snapshot(self, qb: Any, t: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Per-contract (ts, bid, ask) of the last quote with ts <= ``t`` (block start state + block tape).
        The state is carried forward between calls on the same block (one pass over its tape while ``t``
        does not decrease; restarted from the block start when it does). The arrays returned ARE that state:
        read them before the next call."""
        snap = self._snap
        if snap is None or snap[0] is not qb or t < snap[2]:
            snap = [qb, 0, t, np.array(qb.start_ts, np.int64), np.array(qb.start_bid, np.float64),
                    np.array(qb.start_ask, np.float64),
                    (np.ascontiguousarray(qb.ts, np.int64), np.ascontiguousarray(qb.contract, np.int32),
                     np.ascontiguousarray(qb.bid, np.float64), np.ascontiguousarray(qb.ask, np.float64))]
            self._snap = snap
        snap[1] = advance_quotes(*snap[6], snap[1], np.int64(t), snap[3], snap[4], snap[5])
        snap[2] = t
        return snap[3], snap[4], snap[5]

    def _event_expiry(self, t: int) -> int | None:
        """Days-since-epoch of the first listed expiry that spans the symbol's next scheduled event after ``t``
        (at least ``EVENT_LEAD_NS`` ahead; ``regime.events.expiry_spans``), or None without one."""
        from ..regime.events import expiry_spans

        j = int(np.searchsorted(self.upcoming, t + EVENT_LEAD_NS, side="left"))
        if j >= self.upcoming.shape[0]:
            return None
        ev = int(self.upcoming[j])
        for e in self._exps:
            if expiry_spans(e, ev):
                return e
        return None

    def _record_und(self, und_ts: np.ndarray, und_mid: np.ndarray, s0: int, s1: int) -> None:
        """Last underlying mid at the end of each second of the block (carried forward)."""
        if s1 <= s0:
            return
        ends = self.open_ns + np.arange(s0 + 1, s1 + 1, dtype=np.int64) * NS
        i = np.searchsorted(und_ts, ends, side="left") - 1
        prev = self.und_sec[s0 - 1] if s0 > 0 else (self.u_prev_mid[0] if self.u_prev_ts[0] >= 0 else np.nan)
        v = np.where(i >= 0, und_mid[np.maximum(i, 0)] if und_mid.shape[0] else np.nan, np.nan)
        if v.shape[0] and np.isnan(v[0]):
            v[0] = prev
        # forward fill
        idx = np.where(~np.isnan(v), np.arange(v.shape[0]), 0)
        np.maximum.accumulate(idx, out=idx)
        self.und_sec[s0:s1] = v[idx]

    def _move_bps(self, und_ts: np.ndarray, und_mid: np.ndarray, t: int, lookback_s: int) -> float:
        """Underlying move in bps over the ``lookback_s`` seconds before ``t`` (since the open if shorter)."""
        sec = int((t - self.open_ns) // NS)
        past = self.und_sec[max(0, sec - lookback_s): max(1, sec)]
        past = past[~np.isnan(past)]
        if not past.shape[0]:
            return 0.0
        ref = float(past[0])
        now = self._spot(und_ts, und_mid, t)
        return (now / ref - 1.0) * 1e4 if ref > 0 else 0.0

    def _select(self, fam: Family, right: int, spot: float, t: int, u: float, qb: Any,
                need_bid: bool, event_exp: int | None) -> int:
        """Index of the contract a burst of ``fam`` trades (or -1): the right, DTE band (or the event
        expiry), |delta| band and premium cap of the template, among contracts quoted at ``t``;
        the least-violating contracts when none fits, a round strike nearest the money when asked. The quotes
        seen are those at ``t`` (the print's own NBBO is looked up again, exactly, by the kernel)."""
        # penalties by a kernel (the same arithmetic as the numpy form: 4 dd + dz + premium over the cap; the
        # log of the moneyness stays numpy's, so the bits are those of the numpy version)
        lo, hi = self._delta_band(fam)
        d0, d1 = fam.dte
        ev = int(event_exp) if (event_exp is not None and fam.event) else -1
        ts0, bid0, ask0 = self._snapshot(qb, t)
        pen, dd, ok, cand = self._sel_scratch
        best, k = select_penalty(np.log(spot / self.c_strike), self.c_tau, max(0, self.close_ns - t) / NS_YEAR,
                                 _TAU_FLOOR, self.vol, right, lo, hi, ev, d0, d1, self.c_exp, self.c_dte, self.c_right,
                                 ts0, bid0, ask0, need_bid, float(fam.max_price), pen, dd, ok, cand)
        if not np.isfinite(best):
            return -1
        cand = cand[:k]
        if fam.round_strike:       # the big round strike nearest the money (a put wall: at or below spot)
            step = max(5.0, 10.0 ** (math.floor(math.log10(spot)) - 1))
            rnd = ok & (np.abs(self.c_strike / step - np.round(self.c_strike / step)) < 1e-9)
            rnd &= dd <= dd[ok].min() + 1e-9
            if right == 1:
                rnd &= self.c_strike <= spot
            if rnd.any():
                cand = np.flatnonzero(rnd)
                dist = np.abs(self.c_strike[cand] - spot)
                cand = cand[dist <= dist.min() + 1e-9]
        c0 = int(cand[min(int(u * cand.shape[0]), cand.shape[0] - 1)])
        self._ask_c0 = float(ask0[c0])        # the ask seen at selection (ramp increments, noise-size cap)
        return c0

    def _delta_band(self, fam: Family) -> tuple[float, float]:
        """The template's |delta| band as reference-d1 bounds (cached per family)."""
        b = self._bands.get(fam.name)
        if b is None:
            b = self._bands[fam.name] = (_ND.inv_cdf(fam.delta[0]), _ND.inv_cdf(min(fam.delta[1], 0.999)))
        return b

    def _sibling(self, i: int, right: int | None = None, strike_steps: int = 0) -> int:
        """Contract with the same expiry as ``i``, the given right, ``strike_steps`` listed strikes away."""
        r = int(self.c_right[i]) if right is None else right
        key = (int(self.c_exp[i]), r)
        ks = self._strikes.get(key)
        if ks is None:
            same = np.flatnonzero((self.c_exp == self.c_exp[i]) & (self.c_right == r))
            ks = self._strikes[key] = np.unique(self.c_strike[same])
        j = int(np.searchsorted(ks, self.c_strike[i])) + strike_steps
        if not 0 <= j < ks.shape[0]:
            return -1
        return self.by_key.get((int(self.c_exp[i]), round(ks[j] * 1000), r), -1)

    # ---- bursts --------------------------------------------------------------------------------------

    def _burst(self, req: _Requests, qb: Any, und_ts: np.ndarray, und_mid: np.ndarray, t0: int, fam_i: int,
               bid: int, intensity: float, direction: int) -> None:
        fam = FAMILY_TEMPLATES[fam_i]
        nxt = _draws(derive_key(self.seed, "option_prints", self.part.symbol, self.date, "burst", bid)).__next__

        spot = self._spot(und_ts, und_mid, t0)
        if fam_i == F_GAP:
            # follow-through needs a move to follow: its direction is the underlying's over the last minutes;
            # without one the same desk positions for the next scheduled event instead (same public profile)
            mv = self._move_bps(und_ts, und_mid, t0, GAP_LOOKBACK_S)
            if abs(mv) >= GAP_MIN_BPS:
                direction = 1 if mv > 0 else -1
            else:
                fam_i = F_RAMP
                fam = FAMILY_TEMPLATES[fam_i]
        bull = direction > 0 or (direction == 0 and nxt() < 0.5)
        right = {"C": 0, "P": 1, "dir": 0 if bull else 1, "CP": 0}[fam.right]
        sell = fam.placement in ("B", "BB")
        ev = self._event_expiry(t0) if fam.event else None
        c0 = self._select(fam, right, spot, t0, nxt(), qb, sell, ev)
        if c0 < 0:
            return
        lo_n, hi_n = fam.n_prints
        n_orders = lo_n + min(int(nxt() * (hi_n - lo_n + 1)), hi_n - lo_n)
        lo_v, hi_v = fam.venues
        n_ven = lo_v + min(int(nxt() * (hi_v - lo_v + 1)), hi_v - lo_v)
        ven = self._venues(n_ven, nxt)
        span = fam.span_ms[0] + nxt() * (fam.span_ms[1] - fam.span_ms[0])
        offs = np.sort(np.array([nxt() for _ in range(n_orders)])) * span * 1e6
        offs[0] = 0.0
        if fam.structure == "scalp":
            # two-sided within seconds: each ask print is answered by a bid print 0.5-5 s later
            for j in range(1, n_orders, 2):
                offs[j] = offs[j - 1] + (0.5 + 4.5 * nxt()) * 1e9
            offs = np.sort(offs)
        ts = t0 + offs.astype(np.int64)
        ramp_walk = np.zeros(n_orders, np.int64)
        if fam_i == F_RAMP and n_orders > 1:
            # pre-event ramp: each order pays up a little more (through the ask), so the print IV rises across
            # the burst by RAMP_IV_POINTS vol points (reference vega), within RAMP_MAX_WALK quote increments
            tau = max(float(self._tau_at(t0)[c0]), 1.0 / (365.0 * 24.0))
            d1 = float(self._z(spot, t0)[c0])
            vega_pt = spot * math.exp(-self.div_yield * tau) * math.exp(-0.5 * d1 * d1) / math.sqrt(2 * math.pi) \
                * math.sqrt(tau) / 100.0
            a0 = self._ask_c0
            step = (0.01 if a0 < 3.0 else 0.05) if self.scheme == 1 else (0.01 if self.scheme == 0 else
                                                                          (0.05 if a0 < 3.0 else 0.10))
            pts = RAMP_IV_POINTS[0] + nxt() * (RAMP_IV_POINTS[1] - RAMP_IV_POINTS[0])
            tot = int(np.clip(round(pts * vega_pt / step), 1, RAMP_MAX_WALK))
            ramp_walk = np.round(tot * np.arange(n_orders) / (n_orders - 1)).astype(np.int64)
        pl0 = PLACE_CODE[fam.placement]
        cond = COND_CODE[fam.condition]
        lo_s, sd_s, mn_s, mx_s = fam.size

        if fam.profile == "neutral_noise":   # labeled noise obeys the background notional cap
            mx_s = max(1.0, min(mx_s, math.floor(NOISE_NOTIONAL_CAP / (100.0 * self._ask_c0))))

        def size() -> int:
            z = _ND.inv_cdf(nxt())
            return int(min(max(round(lo_s * intensity * math.exp(sd_s * z)), mn_s), mx_s))

        def lat() -> int:
            return int(400_000 * math.exp(0.6 * _ND.inv_cdf(nxt())))

        st = fam.structure
        legs: list[tuple[int, int, int, int, int, int, int, int, int]] = []   # ts c place walk fb struct size ven cond
        if st == "sweep":
            walk = 0
            for j in range(n_ven):
                if j > 0 and nxt() < fam.walk:
                    walk += 1
                pl = _AA if walk > 0 else pl0
                legs.append((int(t0 + int(j * span * 1e6 / max(1, n_ven))), c0, pl, walk, -1, 0, size(),
                             int(ven[j]), cond))
        elif st in ("single", "accumulation", "spike", "scalp"):
            for j in range(n_orders):
                c = c0                       # one contract (a retail spike concentrates on one hot contract)
                pl, walk, fb = pl0, 0, -1
                if fam.walk and nxt() < fam.walk:
                    pl, walk = _AA, 1
                if ramp_walk[j] > 0:
                    pl, walk, fb = _AA, int(ramp_walk[j]), _A
                if st == "scalp":
                    pl = _A if (j % 2 == 0) == bull else _B
                if fam.name == "dealer_unwind":
                    c = c0 if j % 2 == 0 else self._sibling(c0, right=1 - right)
                    if c < 0:
                        continue
                if pl0 == _MID:
                    fb = _A if nxt() < 0.5 else _B
                legs.append((int(ts[j]), c, pl, walk, fb, 0, size(), int(ven[j % n_ven]), cond))
        else:
            for j in range(n_orders):
                legs.extend(self._structure(fam, st, c0, right, int(ts[j]), pl0, size(), int(ven[j % n_ven]),
                                            cond, nxt))
        if not legs:
            return
        # rows of the block's bursts, made columns once per block (``_burst_part``); keys are given there in
        # the same creation order
        rows = self._rows
        for leg in legs:
            rows.append(leg + (lat(), fam_i, bid))

    def _structure(self, fam: Family, st: str, c0: int, right: int, t: int, pl0: int, sz: int, ven: int,
                   cond: int, nxt: Any) -> list[tuple[int, ...]]:
        """Legs (ts c place walk fb struct size venue cond) of one multi-leg order, all at ``t``."""
        if st == "buy_write":                       # the stock leg prints on the equity tape
            return [(t, c0, pl0, 0, -1, self._new_struct(), sz, ven, cond)]
        if st == "straddle":
            strangle = fam.name == "earnings_vol_probe" and nxt() < 0.5
            cp = self._sibling(c0, right=1, strike_steps=-1 if strangle else 0) if strangle else \
                self.by_key.get((int(self.c_exp[c0]), round(self.c_strike[c0] * 1000), 1), -1)
            if cp < 0:
                return []
            c_call = self._sibling(c0, strike_steps=1) if strangle else c0
            if c_call < 0:
                return []
            s = self._new_struct()
            return [(t, c_call, pl0, 0, -1, s, sz, ven, cond), (t, cp, pl0, 0, -1, s, sz, ven, cond)]
        if st == "vertical":
            c1 = self._sibling(c0, strike_steps=1)
            if c1 < 0:
                return []
            s = self._new_struct()
            return [(t, c0, _MID, 0, _A, s, sz, ven, cond), (t, c1, _MID, 0, _B, s, sz, ven, cond)]
        if st == "conversion":
            cp = self.by_key.get((int(self.c_exp[c0]), round(self.c_strike[c0] * 1000), 1), -1)
            if cp < 0:
                return []
            s = self._new_struct()
            buy_call = nxt() < 0.5                    # reversal: buy call, sell put; conversion: the reverse
            return [(t, c0, _MID, 0, _A if buy_call else _B, s, sz, ven, cond),
                    (t, cp, _MID, 0, _B if buy_call else _A, s, sz, ven, cond)]
        if st == "box":
            c1 = self._sibling(c0, strike_steps=2)
            if c1 < 0:
                return []
            e = int(self.c_exp[c0])
            p0 = self.by_key.get((e, round(self.c_strike[c0] * 1000), 1), -1)
            p1 = self.by_key.get((e, round(self.c_strike[c1] * 1000), 1), -1)
            if p0 < 0 or p1 < 0:
                return []
            s = self._new_struct()
            return [(t, c0, _MID, 0, _A, s, sz, ven, cond), (t, c1, _MID, 0, _B, s, sz, ven, cond),
                    (t, p1, _MID, 0, _A, s, sz, ven, cond), (t, p0, _MID, 0, _B, s, sz, ven, cond)]
        raise ValueError(f"unknown structure {st!r}")

    def _new_struct(self) -> int:
        self.n_struct += 1
        return self.id_base | self.n_struct

    def _burst_part(self, rows: list[tuple[int, ...]]) -> dict[str, np.ndarray]:
        """The request columns of the block's burst rows (ts c place walk fb struct size venue cond lat family
        burst: the columns of ``_Requests`` but the key), in creation order; keys next in the session."""
        part = {k: np.array(col, dt) for (k, dt), col in zip(_Requests.COLS, zip(*rows))}
        part["key"] = self._keys(len(rows))
        return part

    def _keys(self, n: int) -> np.ndarray:
        k = np.arange(self.key, self.key + n, dtype=np.int64)
        self.key += n
        return k

    @staticmethod
    def _venues(n: int, nxt: Any) -> list[int]:
        """``n`` distinct venues (codes) drawn by market share (sequentially without replacement): the first
        venue whose cumulative share of the remaining ones exceeds the draw."""
        out = []
        gone = 0
        last = len(_VENUE_CODE_LIST) - 1
        for _ in range(min(n, last + 1)):
            j = min(bisect.bisect_right(_venue_cdf(gone), nxt()), last)
            out.append(_VENUE_CODE_LIST[j])
            gone |= 1 << j
        return out

    # ---- noise ---------------------------------------------------------------------------------------

    def _noise(self, req: _Requests, qb: Any, und_ts: np.ndarray, und_mid: np.ndarray, s0: int, s1: int) -> None:
        t0 = self.open_ns + s0 * NS
        spot = self._spot(und_ts, und_mid, t0)
        z = self._z(spot, t0) - 0.5 * self.vol * np.sqrt(np.maximum(self._tau_at(t0), 1e-6))  # ~ log-moneyness
        w = self._w_dte * np.exp(-0.5 * (z / NOISE_MONEYNESS_SD) ** 2)
        ts0, bid0, ask0 = self._snapshot(qb, self.open_ns + s1 * NS)   # quoted at some time in the block
        w = np.where((ts0 >= 0) & (ask0 > 0), w, 0.0)
        if self.n_contracts == 0 or not w.sum() > 0:
            return
        cdf = np.cumsum(w / w.sum())
        cdf[-1] = 1.0
        ref = ask0                 # caps the notional of a print at the ask seen in the block
        exp_n = float(self.lam[s0:s1].sum())
        cap = int(1.3 * exp_n + 8 * math.sqrt(exp_n) + 64)
        while True:
            st, nd = self.noise_state.copy(), self.noise_need.copy()
            cols = (np.empty(cap, np.int64), np.empty(cap, np.int32), np.empty(cap, np.int8), np.empty(cap, np.int8),
                    np.empty(cap, np.uint32), np.empty(cap, np.int8), np.empty(cap, np.int8), np.empty(cap, np.int64))
            n = plan_noise(self.lam, s0, s1, self.open_ns, self.noise_key[0], self.noise_key[1], st, nd, cdf, ref,
                           VENUE_TABLE, *cols)
            if n >= 0:
                break
            cap *= 2
        self.noise_state, self.noise_need = st, nd
        ts, c, pl, fb, sz, ven, cond, lat = (x[:n] for x in cols)
        req.add(ts=ts, c=c, place=pl, walk=0, fb=fb, struct=np.uint64(0), size=sz, venue=ven, cond=cond, lat=lat,
                family=-1, burst=np.uint64(0), key=self._keys(n))

    # ---- the block -----------------------------------------------------------------------------------

    def block(self, quote_block: Any, und: Any, s0: int, s1: int) -> tuple[pa.RecordBatch | None,
                                                                          pa.RecordBatch | None]:
        """Prints of seconds ``[s0, s1)``: ``(option_trades batch | None, scenario_labels batch | None)``."""
        rows = self.block_rows(quote_block, und, s0, s1)
        if rows is None:
            return None, None
        return self.trades_batch(rows), (self.labels_batch(rows) if self.want_labels else None)

    def block_rows(self, quote_block: Any, und: Any, s0: int, s1: int) -> dict[str, np.ndarray] | None:
        """The prints of seconds ``[s0, s1)`` as numpy columns (``None`` when there are none): everything
        that depends on the block's quote tape (NBBO context, prices, IV and delta) is computed here; the
        Arrow batches are built by :meth:`trades_batch` / :meth:`labels_batch`, from one block's rows or from
        several blocks' (:func:`concat_rows`: the same rows, so the same table; wrapping ~25 Arrow arrays
        per 300-s block of a few hundred prints cost more CPU than computing them)."""
        qb = quote_block
        self._qb = qb
        und_ts = np.ascontiguousarray(_get(und, "und_ts", "ts"), np.int64)
        und_mid = np.ascontiguousarray(_get(und, "und_mid", "mid"), np.float64)
        self._record_und(und_ts, und_mid, s0, s1)
        self._rows = []
        req = _Requests()
        if self.pending is not None:
            req.parts.append(self.pending)
            self.pending = None
        b0, b1 = self.open_ns + s0 * NS, self.open_ns + s1 * NS
        # the bursts first (their rows get keys after the noise's, as if made after it): the quote-state
        # snapshots then go forward through the block's tape once, ending at the block end for the noise
        if self.bursts is not None and len(self.bursts):
            sel = np.flatnonzero((self.bursts.ts_ns >= b0) & (self.bursts.ts_ns < b1))
            for i in sel:
                self._burst(req, qb, und_ts, und_mid, int(self.bursts.ts_ns[i]), int(self.bursts.family[i]),
                            int(self.bursts.burst_id[i]), float(self.bursts.intensity[i]),
                            int(self.bursts.direction[i]))
        self._noise(req, qb, und_ts, und_mid, s0, s1)
        if self._rows:
            req.parts.append(self._burst_part(self._rows))
        r = req.concat()
        last = s1 >= self.seconds
        end = self.close_ns if last else b1
        order = np.lexsort((r["key"], r["ts"]))
        r = {k: v[order] for k, v in r.items()}
        cut = int(np.searchsorted(r["ts"], end, side="left"))
        if not last and cut < r["ts"].shape[0]:
            self.pending = {k: v[cut:] for k, v in r.items()}
        r = {k: v[:cut] for k, v in r.items()}
        n = cut
        cur_ts = np.array(qb.start_ts, np.int64)
        cur_bid = np.array(qb.start_bid, np.float64)
        cur_ask = np.array(qb.start_ask, np.float64)
        o = dict(idx=np.empty(n, np.int32), price=np.empty(n), bid=np.empty(n), ask=np.empty(n),
                 age=np.empty(n, np.int64), upx=np.empty(n), uage=np.empty(n, np.int64),
                 place=np.empty(n, np.int8), seq=np.empty(n, np.uint64))
        m = fill_prints(r["ts"], r["c"], r["place"], r["walk"], r["fb"], r["struct"],
                        np.ascontiguousarray(qb.ts, np.int64), np.ascontiguousarray(qb.contract, np.int32),
                        np.ascontiguousarray(qb.bid, np.float64), np.ascontiguousarray(qb.ask, np.float64),
                        cur_ts, cur_bid, cur_ask, und_ts, und_mid, self.u_prev_ts, self.u_prev_mid,
                        self.scheme, np.uint64(self.seq), *o.values())
        self.seq += m
        if m == 0:
            return None
        idx = o.pop("idx")[:m]
        out = {k: r[k][idx] for k in _ROW_COLS}
        for k, v in o.items():
            out[k] = v[:m]
        out["iv"], out["delta"] = self._iv_delta(out["price"], out["upx"], out["c"], out["ts"])
        return out

    def _iv_delta(self, price: np.ndarray, und: np.ndarray, c: np.ndarray, ts: np.ndarray):
        """IV and delta of each print by the Black-Scholes kernels (NaN -> null where no IV solution)."""
        n = price.shape[0]
        iv, delta = np.empty(n), np.empty(n)
        # the solver starts at the surface's vol of the contract (block start; NaN = none), when the quote
        # block has it; the kernel gathers the per-contract inputs by ``c``
        iv0 = getattr(self._qb, "iv0", None)
        guess = self._no_guess if iv0 is None else np.ascontiguousarray(iv0, np.float64)
        iv_delta(price, und, np.ascontiguousarray(c, np.int32), self.c_strike, self.c_tau, self.c_right, guess,
                 np.int64(self.close_ns), ts, self.rate, self.div_yield, iv, delta)
        return iv, delta

    def trades_batch(self, g: dict[str, np.ndarray]) -> pa.RecordBatch:
        """The option_trades batch of rows from :meth:`block_rows` (or :func:`concat_rows` of several)."""
        o = g
        m = g["ts"].shape[0]
        c = g["c"]
        ts = g["ts"]
        iv, delta = g["iv"], g["delta"]
        tid = np.uint64(self.id_base) + o["seq"]
        side = _SIDE_OF_PLACE[o["place"]]
        exp = np.ascontiguousarray(self.c_exp[c])
        sym = _get(self.chain, "symbol")
        sym = (take_strings(sym, c) if isinstance(sym, pa.StringArray) and sym.null_count == 0   # no pyarrow.compute
               else sym.take(num_array(c)) if isinstance(sym, (pa.Array, pa.ChunkedArray)) else pa.array(np.asarray(sym)[c]))
        if isinstance(sym, pa.ChunkedArray):
            sym = sym.combine_chunks()
        cols = [ts_array(ts), ts_array(ts + g["lat"]), num_array(tid),
                dict_array(np.full(m, self.sym_code, np.int32), self.sym_dict), num_array(self.c_iid[c]), sym,
                pa.Array.from_buffers(pa.date32(), m, [None, pa.py_buffer(exp)]), num_array(self.c_strike[c]),
                dict_array(self.c_right[c], _RIGHTS), num_array(o["price"]), num_array(g["size"]),
                dict_array(side, _SIDES), dict_array(g["venue"], _OVENUES), dict_array(g["cond"], _CONDS),
                num_array(g["struct"]), num_array(o["bid"]), num_array(o["ask"]), num_array(o["age"]),
                num_array(o["upx"]), num_array(o["uage"]), _nullable(iv), _nullable(delta), num_array(o["seq"])]
        return pa.RecordBatch.from_arrays(cols, schema=schemas.schema("option_trades"))

    def labels_batch(self, g: dict[str, np.ndarray]) -> pa.RecordBatch:
        """The scenario_labels batch of rows from :meth:`block_rows` (or :func:`concat_rows` of several)."""
        o = g
        m = g["ts"].shape[0]
        fam = g["family"].copy()
        bg = fam < 0
        noise_fam = np.where(o["age"] > STALE_NS, F_STALE, np.where(o["place"] == _MID, F_SINGLE_MID, F_SCALP))
        fam[bg] = noise_fam[bg].astype(np.int8)
        prof = np.asarray(schemas.FAMILY_PROFILE, np.int8)[fam]
        tid = np.uint64(self.id_base) + o["seq"]
        cols = [num_array(tid), ts_array(g["ts"]), dict_array(np.full(m, self.sym_code, np.int32), self.sym_dict),
                dict_array(fam, _FAMS), dict_array(prof, _PROFS), dict_array(o["place"], _PLACES),
                num_array(g["burst"])]
        return pa.RecordBatch.from_arrays(cols, schema=schemas.schema("scenario_labels"))


# request columns a print row keeps (the rest of a row comes from ``fill_prints`` and ``iv_delta``)
_ROW_COLS = ("ts", "c", "lat", "size", "venue", "cond", "struct", "family", "burst")


def concat_rows(chunks: list[dict[str, np.ndarray]]) -> dict[str, np.ndarray]:
    """Rows of several consecutive :meth:`PrintGenerator.block_rows` calls as one set of columns."""
    if len(chunks) == 1:
        return chunks[0]
    return {k: np.concatenate([c[k] for c in chunks]) for k in chunks[0]}


def _draws(key: tuple[int, int], n: int = 1024, chunk: int = 64):
    """The first ``n`` uniforms of stream ``key``, drawn ``chunk`` at a time as they are consumed (a burst
    uses a few dozen; counter-based, so the values do not depend on the chunking)."""
    for a in range(0, n, chunk):
        yield from uniforms(key, a, min(chunk, n - a)).tolist()


def _nullable(x: np.ndarray) -> pa.Array:
    """float64 with NaN -> null (validity bitmap). Null slots hold 0.0, as Arrow compute writes them, so
    filtering or re-chunking a table gives the same bytes as generating it."""
    mask = np.isnan(x)
    if not mask.any():
        return num_array(x)
    return num_array(np.where(mask, 0.0, x), mask)     # num_array, not pa.array: no pandas import


# ---- benchmark entry point (wired by ``benchmarks/test_option_prints.py``; the lead may add it to ``fastsynth bench``)

def bench_option_prints(rounds: int = 7, n_prints: int = 2_000_000, n_quotes: int = 4_000_000,
                        n_contracts: int = 2_000) -> list[dict[str, Any]]:
    """Per-core rates of the print kernels beside the compute probe, same process, round-robin:
    ``fill_prints`` (as-of NBBO + underlying, placement-exact price, ids) over ``n_prints`` sorted print
    requests against a tape of ``n_quotes`` option quotes; the same plus ``iv_delta`` (Black-Scholes IV
    and delta of every print); ``plan_noise`` (background arrivals) for the same number of prints; and
    ``bench.compute_probe`` for ``n_prints`` normals. Returns ``bench``-style rows (rows/s median,
    min-max, ratio to the probe)."""
    import statistics

    from ..bench import PROBE_BUFFER, _Case, _interleave, _pinned, compute_probe
    from ..kernels.blackscholes import RATE
    from ..kernels.option_prints import fill_prints, iv_delta, plan_noise
    from ..rng import uniforms as _u

    k = derive_key(7, "bench", "option_prints")
    u = _u(k, 0, 8 * n_prints + 4 * n_quotes)
    t0 = 1_767_364_200 * NS
    span = 23_400 * NS
    q_ts = np.sort(t0 + (u[:n_quotes] * span).astype(np.int64))
    q_c = (u[n_quotes:2 * n_quotes] * n_contracts).astype(np.int32)
    # contracts around an underlying near 100 with known surface vols; quotes bracket their BSM values
    # (as the quote model's do), so the implied vol of a print is near the contract's vol (Newton's start)
    strike = 80.0 + 40.0 * (np.arange(n_contracts) % 41) / 40.0
    tau = 0.02 + (np.arange(n_contracts) // 41) / 100.0
    right = (np.arange(n_contracts) % 2).astype(np.int8)
    vol = 0.15 + 0.2 * (np.arange(n_contracts) % 7) / 7.0
    from ..kernels.blackscholes import bs_price as _bsp
    theo_c = _bsp(100.0, strike, tau + 0.5 / 252.0, vol, right, r=RATE, q=0.0)
    theo = theo_c[q_c]
    half = 0.005 + 0.05 * u[3 * n_quotes:4 * n_quotes] * (1.0 + theo / 10.0)
    q_bid = np.maximum(np.floor((theo - half) * 100.0) / 100.0, 0.0)
    q_ask = np.maximum(np.ceil((theo + half) * 100.0) / 100.0, q_bid + 0.01)
    v = u[4 * n_quotes:]
    r_ts = np.sort(t0 + (v[:n_prints] * span).astype(np.int64))
    r_c = (v[n_prints:2 * n_prints] * n_contracts).astype(np.int32)
    r_place = np.minimum((v[2 * n_prints:3 * n_prints] * 5).astype(np.int8), 4)
    r_walk = np.ones(n_prints, np.int16)
    r_fb = np.full(n_prints, 1, np.int8)
    r_struct = np.zeros(n_prints, np.uint64)
    u_ts = np.sort(t0 + (v[3 * n_prints:4 * n_prints] * span).astype(np.int64))[: n_prints // 4]
    u_mid = 100.0 + np.cumsum(v[4 * n_prints:4 * n_prints + u_ts.shape[0]] - 0.5) * 1e-4
    lam = np.full(23_400, n_prints / 23_400.0)
    cdf = np.cumsum(np.full(n_contracts, 1.0 / n_contracts))
    cdf[-1] = 1.0
    ref = np.full(n_contracts, 2.0)

    def touched(n, dt=np.float64):   # written once: np.empty would leave the first-touch page faults (~90 MB
        return np.full(n, 0, dt)      # of fresh pages per round, ~10+ ns/print) inside the timed kernels

    def outs(n):
        return (touched(n, np.int32), touched(n), touched(n), touched(n), touched(n, np.int64), touched(n),
                touched(n, np.int64), touched(n, np.int8), touched(n, np.uint64))

    def setup():          # output columns allocated untimed (fill_prints' and iv_delta's alike, and the
        # destinations of the kept prints' contract/ts gathers), as the generator's recycled per-block buffers
        return (np.full(n_contracts, t0 - 1, np.int64), np.round(np.full(n_contracts, 1.0), 2),
                np.full(n_contracts, 1.05), np.full(1, -1, np.int64), np.full(1, np.nan), outs(n_prints),
                touched(n_prints), touched(n_prints), touched(n_prints, np.int32), touched(n_prints, np.int64))

    def run_fill(a, with_iv=False):
        cur_ts, cur_bid, cur_ask, upt, upm, o, iv_out, de_out, g_c, g_ts = a
        m = fill_prints(r_ts, r_c, r_place, r_walk, r_fb, r_struct, q_ts, q_c, q_bid, q_ask, cur_ts, cur_bid,
                        cur_ask, u_ts, u_mid, upt, upm, 1, np.uint64(0), *o)
        if with_iv:
            idx = o[0][:m]
            iv, de, c, ts = iv_out[:m], de_out[:m], g_c[:m], g_ts[:m]
            np.take(r_c, idx, out=c)
            np.take(r_ts, idx, out=ts)
            iv_delta(o[1][:m], o[5][:m], c, strike, tau, right, vol, np.int64(t0 + span), ts, RATE, 0.0, iv, de)
        return m

    def setup_noise():
        n = int(1.3 * n_prints) + 1024
        return (np.zeros(2, np.int64), np.zeros(1), np.empty(n, np.int64), np.empty(n, np.int32),
                np.empty(n, np.int8), np.empty(n, np.int8), np.empty(n, np.uint32), np.empty(n, np.int8),
                np.empty(n, np.int8), np.empty(n, np.int64))

    def run_noise(a):
        st, nd, *cols = a
        return plan_noise(lam, 0, 23_400, t0, k[0], k[1], st, nd, cdf, ref, VENUE_TABLE, *cols)

    buf = np.empty(PROBE_BUFFER)
    m_kept = run_fill(setup())
    cases = [_Case("compute probe", lambda _: (compute_probe(1, 2, m_kept, buf), m_kept)[1]),
             _Case("fill_prints (NBBO context)", run_fill, setup),
             _Case("fill_prints + iv_delta", lambda a: run_fill(a, True), setup),
             _Case("plan_noise", run_noise, setup_noise)]
    for c in cases:                                    # compile / warm up, untimed
        c.run(c.setup() if c.setup else None)
    with _pinned():
        rates = _interleave(cases, rounds)
    probe = statistics.median(rates["compute probe"])
    out = []
    for name, r in rates.items():
        med = statistics.median(r)
        out.append({"case": name, "rows_per_s_median": med, "min": min(r), "max": max(r),
                    "ratio_to_probe": med / probe})
    return out
