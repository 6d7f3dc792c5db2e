"""The regime timeline of one session: a semi-Markov chain over the seven regimes, minute by minute.

Once per session and control (keyed by ``(seed, shared_seed, date)`` only, so it never depends on the
symbols of the run or on the partitioning). Segments last tens of minutes (log-normal durations around the
preset's mean); the next regime is drawn from the preset's occupancy weights times context factors (the
phase of the session, events just released or coming, never the same regime twice in a row). Scheduled
events add structure the way a real session has it: an ``event_ramp`` into an intraday release (FOMC,
14:00 ET), the ``after_event`` phase after it (and at the open after a pre-open release such as CPI/NFP),
with trend-like regimes more likely right after a release.
"""
from __future__ import annotations

import datetime as _dt
import math
from dataclasses import dataclass

import numpy as np

from ..rng import derive_key, uniforms
from ..schemas import PHASES, REGIMES
from .control import PRESETS, SyntheticControlState
from .events import Event

__all__ = ["DayRegime", "build_day", "REG_VOL", "REG_LIQ", "REG_CLEAN", "REG_SPREAD", "REG_QUOTE", "REG_OPT"]

R = {r: i for i, r in enumerate(REGIMES)}
P_OPEN, P_MID, P_POWER, P_AFTER = (PHASES.index(p) for p in ("open", "midday", "power_hour", "after_event"))
OPEN_MIN, POWER_MIN, AFTER_MIN = 30, 60, 45      # open phase, power hour, after_event window (minutes)

# Per-regime levels (REGIMES order): volatility, liquidity (arrival rates), quote cleanliness, equity
# spread, quote-update rate, option noise activity.
REG_VOL = np.array([1.03, 1.03, 0.95, 1.15, 1.10, 1.00, 0.78])
REG_LIQ = np.array([1.05, 1.05, 0.95, 1.35, 1.15, 1.10, 0.85])
REG_CLEAN = np.array([0.90, 0.90, 0.95, 0.70, 0.75, 0.85, 1.00])
REG_SPREAD = np.array([1.02, 1.02, 0.97, 1.22, 1.28, 1.00, 0.88])
REG_QUOTE = np.array([1.00, 1.00, 1.05, 1.15, 1.10, 1.45, 0.90])
REG_OPT = np.array([1.05, 1.05, 0.95, 1.45, 1.25, 1.10, 0.80])
PRESET_SPREAD = {"balanced_demo": 1.0, "event_day": 1.08, "dealer_day": 1.0, "retail_chase": 1.08,
                 "quiet_range": 0.85}


@dataclass(frozen=True)
class Universe:
    """What the regime engine needs of the instruments (names, ETF flag, ADV, annual vol)."""

    names: tuple[str, ...]
    etf: tuple[bool, ...]
    adv: tuple[float, ...]
    vol: tuple[float, ...]


@dataclass(frozen=True)
class DayRegime:
    """One session's regime state on a minute grid (``minutes = seconds // 60`` rows, last one partial)."""

    date: _dt.date
    open_ns: int
    seconds: int
    preset: tuple[str, ...]          # preset in force, per minute
    phase: np.ndarray                # int8 (PHASES index)
    regime: np.ndarray               # int8 (REGIMES index)
    vol: np.ndarray                  # float64 volatility level
    liq: np.ndarray                  # float64 liquidity level
    clean: np.ndarray                # float64 quote cleanliness 0..1
    bucket: np.ndarray               # uint32 segment index
    direction: np.ndarray            # int8 trend sign of the segment (+1/-1/0)
    focus: tuple[tuple[str, ...], ...]    # per minute
    event_syms: tuple[tuple[str, ...], ...]  # per minute
    events: tuple[Event, ...]        # today's events
    prev_after_close: tuple[Event, ...]   # after-close events of the previous session (gap at the open)
    next_pre_open: tuple[Event, ...]      # pre-open events of the next session

    @property
    def minutes(self) -> int:
        return self.phase.shape[0]


class _U:
    """Sequential consumer of one Philox stream."""

    def __init__(self, key, n: int = 4096) -> None:
        self.key, self.u, self.i, self.base = key, uniforms(key, 0, n), 0, 0

    def __call__(self) -> float:
        if self.i >= self.u.shape[0]:
            self.base += self.u.shape[0]
            self.u, self.i = uniforms(self.key, self.base, self.u.shape[0]), 0
        v = float(self.u[self.i])
        self.i += 1
        return v

    def normal(self) -> float:
        from statistics import NormalDist

        return NormalDist().inv_cdf(self())


def _choose(w: np.ndarray, u: float) -> int:
    c = np.cumsum(w)
    return int(min(np.searchsorted(c, u * c[-1], side="right"), len(w) - 1))


def _minute(ev: Event, open_ns: int) -> int:
    return int((ev.ts_ns - open_ns) // 60_000_000_000)


def _focus(u: _U, uni: Universe, regime: int, ev_syms: set[str], k: int) -> tuple[str, ...]:
    """k focus symbols without replacement: liquidity (sqrt ADV), volatility (retail chase loves it),
    event names (event ramp), index ETFs (dealer gamma and arbitrage sit on index products)."""
    adv = np.sqrt(np.asarray(uni.adv) / 1e7)
    vol = np.asarray(uni.vol) / 0.3
    etf = np.asarray(uni.etf)
    w = adv * (vol ** 2 if regime == R["retail_chase"] else vol)
    if regime in (R["dealer_gamma"], R["arb_calm"], R["mean_revert"]):
        w = w * np.where(etf, 3.0, 1.0)
    if regime == R["event_ramp"] and ev_syms:
        w = w * np.array([6.0 if s in ev_syms else 1.0 for s in uni.names])
    w = w.astype(np.float64)
    out = []
    for _ in range(min(k, len(uni.names))):
        j = _choose(w, u())
        out.append(uni.names[j])
        w[j] = 0.0
    return tuple(sorted(out, key=uni.names.index))


def _timeline(date: _dt.date, open_ns: int, seconds: int, control: SyntheticControlState, seed: int,
              uni: Universe, events: tuple[Event, ...], prev_ac: tuple[Event, ...], next_po: tuple[Event, ...]):
    pre = PRESETS[control.preset_id]
    M = (seconds + 59) // 60
    u = _U(derive_key(seed, "regime", control.shared_seed, date.isoformat()))
    occ = np.array([pre.occupancy[r] for r in REGIMES])
    macro_pre = [e for e in events if e.symbol == "*" and e.timing == "pre_open"]
    intraday = sorted({_minute(e, open_ns) for e in events if e.timing == "intraday" and 0 < _minute(e, open_ns) < M})
    earn_soon = {e.symbol for e in events if e.event_type == "EARNINGS" and e.timing == "after_close"} \
        | {e.symbol for e in next_po if e.event_type == "EARNINGS"}
    earn_open = {e.symbol for e in events if e.event_type == "EARNINGS" and e.timing == "pre_open"} \
        | {e.symbol for e in prev_ac if e.event_type == "EARNINGS"}
    etfs = tuple(s for s, f in zip(uni.names, uni.etf) if f)
    # phases
    phase = np.full(M, P_MID, np.int8)
    phase[:OPEN_MIN] = P_OPEN
    phase[max(0, M - POWER_MIN):] = P_POWER
    releases = ([0] if macro_pre else []) + intraday
    for f in releases:
        phase[f:min(M, f + AFTER_MIN)] = P_AFTER
    # forced ramps into intraday releases
    ramps = []
    for f in intraday:
        start = max(0, f - int(25 + 35 * u()))
        ramps.append((start, f))
    boundaries = sorted({b for s, f in ramps for b in (s, f)})
    regime = np.zeros(M, np.int8)
    bucket = np.zeros(M, np.uint32)
    direction = np.zeros(M, np.int8)
    level = np.ones(M)
    focus: list[tuple[str, ...]] = [()] * M
    t, prev, seg = 0, -1, 0
    while t < M:
        ramp = next(((s, f) for s, f in ramps if s == t), None)
        if ramp is not None:
            r, end = R["event_ramp"], ramp[1]
        else:
            w = occ.copy()
            since = min([t - f for f in releases if f <= t] or [10**6])
            ramp_ok = bool(earn_soon or next_po) and t >= M - 120
            if not ramp_ok:
                w[R["event_ramp"]] *= 0.12
            if since < 60:          # right after a release: trends and chases, little calm
                w[[R["trend_up"], R["trend_down"]]] *= 2.2
                w[R["retail_chase"]] *= 1.5
                w[R["arb_calm"]] *= 0.3
                w[R["mean_revert"]] *= 0.6
            elif t < OPEN_MIN:
                w[R["retail_chase"]] *= 1.3
                w[R["arb_calm"]] *= 0.5
            elif t >= M - POWER_MIN:
                w[R["dealer_gamma"]] *= 1.5
                w[[R["trend_up"], R["trend_down"]]] *= 1.2
            else:
                w[R["arb_calm"]] *= 1.3
                w[R["mean_revert"]] *= 1.2
            if prev >= 0:
                w[prev] = 0.0
            r = _choose(w, u())
            dur = pre.mean_minutes * math.exp(0.45 * u.normal() - 0.1)
            dur = int(min(max(dur, 10.0), 3.0 * pre.mean_minutes))
            end = t + dur
            nxt = [b for b in boundaries if b > t]
            if nxt and end > nxt[0]:
                end = nxt[0]
            if M - end < 8:
                end = M
            if nxt and end > nxt[0]:
                end = nxt[0]
        end = max(end, t + 1)
        if r == R["trend_up"]:
            d = 1
        elif r == R["trend_down"]:
            d = -1
        elif r == R["retail_chase"]:
            d = 1 if u() < 0.75 else -1
        elif r == R["event_ramp"]:
            d = 1 if u() < 0.5 else -1
        else:
            d = 0
        ev_syms = earn_soon if r == R["event_ramp"] else set()
        foc = _focus(u, uni, r, ev_syms, 2 + int(3 * u()))
        noise = math.exp(0.06 * u.normal())
        regime[t:end] = r
        bucket[t:end] = seg
        direction[t:end] = d
        level[t:end] = noise
        for i in range(t, end):
            focus[i] = foc
        prev, t, seg = r, end, seg + 1
    # event symbols per minute: names whose event is in play (ramp or aftermath)
    ev_syms_m: list[tuple[str, ...]] = []
    for i in range(M):
        s = set()
        if i < 90:
            s |= earn_open
        if i >= M - 90:
            s |= earn_soon
        if phase[i] == P_AFTER or regime[i] == R["event_ramp"] and intraday:
            s |= set(etfs)
        ev_syms_m.append(tuple(x for x in uni.names if x in s))
    # levels: regime levels x segment noise x preset, with an after-event bump decaying over ~20 min
    bump = np.zeros(M)
    mins = np.arange(M)
    for f in releases:
        after = mins >= f
        bump += np.where(after, 0.5 * np.exp(-(mins - f) / 20.0), 0.0)
    # regime parts normalized over the session (volatility: mean square 1, liquidity: mean 1) so the day
    # plan's session variance and the calibrated activity stay right; the preset sets the level
    # the regime's volatility level moves toward each new segment's level with a 1-hour memory (causal
    # EWMA of its log): volatility regimes persist longer than trend/chop segments, and stepping it at
    # every switch would add short-memory variance that dilutes the slow decay of |r| autocorrelation
    # (measured: lag-30 ACF of |1m r| 0.046 stepped vs 0.075 smoothed, real 0.07-0.08). Release bumps
    # stay sharp.
    raw_v = _ewma_log(REG_VOL[regime] * level, VOL_MEMORY_MIN) * (1.0 + 0.3 * bump)
    raw_l = REG_LIQ[regime] * (1.0 + 0.6 * bump)
    vol = pre.vol_level * raw_v / math.sqrt(float(np.mean(raw_v * raw_v)))
    liq = pre.liquidity_level * raw_l / float(np.mean(raw_l))
    clean = np.clip(pre.cleanliness * REG_CLEAN[regime] / REG_CLEAN.max() / (1.0 + 0.5 * bump), 0.2, 1.0)
    return phase, regime, vol, liq, clean, bucket, direction, tuple(focus), tuple(ev_syms_m)


VOL_MEMORY_MIN = 60.0   # minutes: memory of the regime volatility level


def _ewma_log(x: np.ndarray, tau_min: float) -> np.ndarray:
    """Causal exponential moving average of log(x) per minute, started at x[0]; returned as a level."""
    a = math.exp(-1.0 / tau_min)
    lx = np.log(x)
    out = np.empty_like(lx)
    acc = lx[0]
    for i in range(lx.size):          # <= 390 minutes: cheap in Python
        acc = a * acc + (1.0 - a) * lx[i]
        out[i] = acc
    return np.exp(out)


def build_day(date: _dt.date, open_ns: int, seconds: int, controls: tuple[tuple[int, SyntheticControlState], ...],
              seed: int, uni: Universe, events: tuple[Event, ...], prev_ac: tuple[Event, ...],
              next_po: tuple[Event, ...]) -> DayRegime:
    """The session's timeline under a control schedule: ``controls`` = ((first minute, control), ...),
    first minute 0. Each control's own timeline is used from its first minute on (so the state at a
    minute equals ``session_state`` under the control in force then)."""
    parts = [_cached(date, open_ns, seconds, c, seed, uni, events, prev_ac, next_po) for _, c in controls]
    M = parts[0][0].shape[0]
    starts = [m for m, _ in controls] + [M]
    out = [np.empty_like(a) for a in parts[0][:7]]
    focus: list[tuple[str, ...]] = []
    evs: list[tuple[str, ...]] = []
    preset: list[str] = []
    for j, p in enumerate(parts):
        a, b = min(starts[j], M), min(starts[j + 1], M)
        for o, x in zip(out, p[:7]):
            o[a:b] = x[a:b]
        focus += p[7][a:b]
        evs += p[8][a:b]
        preset += [controls[j][1].preset_id] * (b - a)
    return DayRegime(date, open_ns, seconds, tuple(preset), *out, tuple(focus), tuple(evs), events, prev_ac, next_po)


_CACHE: dict = {}


def _cached(date, open_ns, seconds, control, seed, uni, events, prev_ac, next_po):
    import msgspec

    key = (date, open_ns, seconds, msgspec.json.encode(control), seed, uni, events, prev_ac, next_po)
    got = _CACHE.get(key)
    if got is None:
        if len(_CACHE) > 256:
            _CACHE.clear()
        got = _CACHE[key] = _timeline(date, open_ns, seconds, control, seed, uni, events, prev_ac, next_po)
    return got
