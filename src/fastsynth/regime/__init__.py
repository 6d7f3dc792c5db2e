"""The shared regime engine (session-wide pass): control state, regime timeline, events, modulation,
soft coverage and the labeled-scenario burst schedule. See ``docs/regime.md``.

``plan_regime(m, sessions, market)`` runs once per run (from ``engine.plan``); partitions read the
result through ``RegimePlan.modulation / events / events_for / bursts``, so every (symbol, session)
partition stays independent while equities and options read the same state. ``session_state(ts,
control, seed)`` gives the same state for any timestamp without a manifest.
"""
from __future__ import annotations

import datetime as _dt
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

import numpy as np

from .control import PRESETS, ControlChange, SyntheticControlState, ts_ns
from .coverage import BurstSchedule, draw_schedule, empty_schedule
from .events import Event, EventSpec, day_events
from .modulation import SymbolModulation, compute_modulation, neutral_modulation
from .state import SessionState
from .timeline import DayRegime, Universe, build_day

__all__ = ["RegimePlan", "plan_regime", "session_batches", "session_state", "day_factors", "SyntheticControlState",
           "ControlChange", "EventSpec", "Event", "SessionState", "SymbolModulation", "BurstSchedule", "PRESETS"]

_NS_MIN = 60_000_000_000
LOOKAHEAD_DAYS = 14      # earnings within this many calendar days make a name "earnings soon"
UPCOMING_DAYS = 10       # any event within this many days makes pre-event positioning plausible


def _universe(specs) -> Universe:
    return Universe(tuple(s.symbol for s in specs), tuple(bool(s.etf) for s in specs),
                    tuple(float(s.adv) for s in specs), tuple(float(s.annual_vol) for s in specs))


def _controls(m: Any) -> list[tuple[int, SyntheticControlState]]:
    return [(ts_ns(c.ts), c.control) for c in m.control_changes]


def _control_at(m: Any, t: int) -> SyntheticControlState:
    c = m.control
    for ts, cc in _controls(m):
        if ts <= t:
            c = cc
    return c


@lru_cache(maxsize=4096)
def _neighbors(d: _dt.date) -> tuple[_dt.date | None, _dt.date | None]:
    from ..calendar import nearest_sessions

    try:
        return nearest_sessions(d)
    except Exception:  # outside the calendar's range
        return None, None


def _events(m: Any, d: _dt.date, uni: Universe, intensity: float) -> tuple[Event, ...]:
    pairs = list(zip(uni.names, uni.etf))
    return tuple(day_events(d, m.event_calendar, m.events, pairs, intensity))


def _day_events(m: Any, sess: Any, uni: Universe, intensity: float):
    """(today's events, previous session's after-close ones, next session's pre-open ones)."""
    d = sess.date
    prev, nxt = _neighbors(d)
    today = _events(m, d, uni, intensity)
    pac = tuple(e for e in _events(m, prev, uni, intensity) if e.timing == "after_close") if prev else ()
    npo = tuple(e for e in _events(m, nxt, uni, intensity) if e.timing == "pre_open") if nxt else ()
    return today, pac, npo


def day_factors(m: Any, sess: Any) -> tuple[float, float, dict[str, float]]:
    """What the day-level market plan needs from the regime engine for session ``sess``:
    (volatility scale of the preset in force at the open, macro jump variance in market daily-variance
    units, {symbol: earnings jump variance in its daily-variance units}). Jumps of pre-open releases and of
    the previous session's after-close earnings fall in this session (at the open)."""
    c = _control_at(m, sess.open_ns)
    pre = PRESETS[c.preset_id]
    uni = _universe(m.universe_specs())
    today, pac, _ = _day_events(m, sess, uni, pre.event_intensity)
    macro = sum(e.jump_sd ** 2 for e in today if e.symbol == "*" and e.timing != "after_close")
    earn: dict[str, float] = {}
    for e in today + pac:
        if e.symbol != "*" and (e.timing != "after_close" or e in pac):
            earn[e.symbol] = earn.get(e.symbol, 0.0) + e.jump_sd ** 2
    return pre.vol_level, macro, earn


@dataclass
class _Day:
    regime: DayRegime
    events: tuple[Event, ...]
    schedule: BurstSchedule | None = None
    gaps: np.ndarray | None = None
    soon: dict | None = None


_MODULATION_CACHE = 16   # (symbol, session) modulations kept: ~1.5 MB each (8 float64 arrays per second)


@dataclass
class RegimePlan:
    """The session-wide regime pass of a run (one entry per session in ``days``)."""

    days: tuple[_Day, ...]
    manifest: Any = field(repr=False, default=None)
    market: Any = field(repr=False, default=None)
    selected: Universe | None = field(repr=False, default=None)
    controls: tuple = field(repr=False, default=())
    _cache: dict = field(repr=False, default_factory=dict)
    _lock: Any = field(repr=False, default_factory=threading.Lock)
    _bursts_lock: Any = field(repr=False, default_factory=threading.Lock)

    def day(self, day_index: int) -> DayRegime:
        return self.days[day_index].regime

    def modulation(self, symbol: str, day_index: int) -> SymbolModulation:
        """Per-second multipliers of ``symbol`` in session ``day_index`` (``SymbolModulation``)."""
        return self.modulation_and_jumps(symbol, day_index)[0]

    def modulation_and_jumps(self, symbol: str, day_index: int):
        """(``SymbolModulation``, event jumps ``[(second, "market" | "idio", sd, z)]``) of ``symbol``;
        the last ``_MODULATION_CACHE`` are cached (equities and options of a partition read the same arrays;
        a run's threads take a symbol's equities and its options as separate tasks, often far apart).
        Thread-safe; two threads asking for the same key compute it once."""
        key = (symbol, day_index)
        with self._lock:
            got = self._cache.get(key)
            if got is None:
                ev = self._cache[key] = threading.Event()     # computing: others wait for it
            elif isinstance(got, threading.Event):
                ev = None
            else:
                self._cache[key] = self._cache.pop(key)        # most recently used last
                return got
        if ev is None:                                         # another thread computes it
            got.wait()
            return self.modulation_and_jumps(symbol, day_index)
        try:
            got = self._compute(symbol, day_index)
        except BaseException:
            with self._lock:
                self._cache.pop(key, None)
            ev.set()
            raise
        with self._lock:
            self._cache[key] = got
            done = [k for k, v in self._cache.items() if not isinstance(v, threading.Event)]
            for k in done[: max(0, len(done) - _MODULATION_CACHE)]:
                del self._cache[k]
        ev.set()
        return got

    def _compute(self, symbol: str, day_index: int):
        dd = self.days[day_index]
        spec = next(s for s in self.manifest.selected() if s.symbol == symbol)
        vol_level = self.market.days[day_index].vol_level if self.market is not None else 1.0
        evs = self.events_for(symbol, day_index) + [e for e in dd.regime.prev_after_close if e.symbol == symbol]
        return compute_modulation(dd.regime, symbol, bool(spec.etf), spec.annual_vol, vol_level,
                                  self.manifest.seed, evs)

    def events(self, day_index: int) -> list[Event]:
        """Today's events (macro ``'*'`` and earnings of the run's symbols), by release time."""
        names = set(self.selected.names)
        return [e for e in self.days[day_index].events if e.symbol == "*" or e.symbol in names]

    def events_for(self, symbol: str, day_index: int) -> list[Event]:
        """Macro events plus ``symbol``'s own, of session ``day_index``."""
        return [e for e in self.days[day_index].events if e.symbol in ("*", symbol)]

    def next_session_events_for(self, symbol: str, day_index: int) -> list[Event]:
        """Macro events plus ``symbol``'s own of the session AFTER ``day_index``, from the calendar: known in
        advance, so the same whether or not that session is part of the run (a 1-day run prices tomorrow's
        release exactly as a 2-day run does)."""
        if day_index + 1 < len(self.days):
            return self.events_for(symbol, day_index + 1)
        from ..calendar import sessions

        _, nxt = _neighbors(self.days[day_index].regime.date)
        if nxt is None:
            return []
        sess = next(iter(sessions(nxt.isoformat(), 1)))
        mins, _ = _control_schedule(self.manifest, sess)
        intensity = PRESETS[mins[0][1].preset_id].event_intensity
        uni = _universe(self.manifest.universe_specs())
        return [e for e in _events(self.manifest, nxt, uni, intensity) if e.symbol in ("*", symbol)]

    def bursts(self, day_index: int) -> BurstSchedule:
        """The session's labeled-scenario schedule after soft coverage (computed once, then cached;
        thread-safe: a second thread asking meanwhile waits instead of drawing it again)."""
        dd = self.days[day_index]
        if dd.schedule is None:
            with self._bursts_lock:
                if dd.schedule is None:
                    dd.schedule = self.draw_bursts(day_index)
        return dd.schedule

    def draw_bursts(self, day_index: int, assist_override: bool | None = None) -> BurstSchedule:
        dd = self.days[day_index]
        reg = dd.regime
        ctl = self.controls[day_index]
        return draw_schedule(reg, day_index, ctl, self.manifest.seed, self.selected, dd.gaps, dd.soon,
                             assist_override)


def _gap_signs(market: Any, day_index: int, names: tuple[str, ...]) -> np.ndarray:
    if market is None or day_index == 0:
        return np.zeros(len(names), np.int8)
    prev, cur = market.days[day_index - 1], market.days[day_index]
    out = np.zeros(len(names), np.int8)
    for i, s in enumerate(names):
        # previous close = previous open x exp(previous session return); compare with today's open
        dp = prev
        # the plan stores opens; the session return is not stored per symbol, so use open-to-open
        out[i] = int(np.sign(cur.open_price[s] - dp.open_price[s]))
    return out


def _soon(m: Any, d: _dt.date, sel: Universe, today: tuple[Event, ...], intensity: float) -> dict:
    pairs = list(zip(sel.names, sel.etf))
    earn = {e.symbol for e in today if e.event_type == "EARNINGS"}
    upcoming = bool(today)
    for k in range(1, max(LOOKAHEAD_DAYS, UPCOMING_DAYS) + 1):
        dk = d + _dt.timedelta(days=k)
        ev = day_events(dk, m.event_calendar, m.events, pairs, intensity)
        if k <= LOOKAHEAD_DAYS:
            earn |= {e.symbol for e in ev if e.event_type == "EARNINGS"}
        if k <= UPCOMING_DAYS and ev:
            upcoming = True
    return {"earnings": earn, "upcoming": upcoming}


def _control_schedule(m: Any, sess: Any) -> tuple[tuple[tuple[int, SyntheticControlState], ...],
                                                 tuple[tuple[int, SyntheticControlState], ...]]:
    """((first minute, control), ...) for the timeline and ((from ts_ns, control), ...) for the bursts."""
    c0 = _control_at(m, sess.open_ns)
    mins, ts = [(0, c0)], [(sess.open_ns, c0)]
    for t, c in _controls(m):
        if sess.open_ns < t < sess.close_ns:
            ts.append((t, c))
            k = -(-(t - sess.open_ns) // _NS_MIN)       # from the first whole minute at or after t
            if mins[-1][0] == k:
                mins[-1] = (k, c)
            else:
                mins.append((k, c))
    return tuple(mins), tuple(ts)


def plan_regime(m: Any, sessions: Any, market: Any) -> RegimePlan:
    """The session-wide pass: per session the regime timeline (under the control schedule), its events;
    burst schedules are drawn on first use (``bursts``) and cached."""
    uni = _universe(m.universe_specs())
    sel = _universe(m.selected())
    days, ctls = [], []
    for i, sess in enumerate(sessions):
        mins, ts = _control_schedule(m, sess)
        intensity = PRESETS[mins[0][1].preset_id].event_intensity
        today, pac, npo = _day_events(m, sess, uni, intensity)
        reg = build_day(sess.date, sess.open_ns, sess.seconds, mins, m.seed, uni, today, pac, npo)
        dd = _Day(reg, today, None, _gap_signs(market, i, sel.names), _soon(m, sess.date, sel, today, intensity))
        days.append(dd)
        ctls.append(ts)
    return RegimePlan(tuple(days), m, market, sel, tuple(ctls))


def session_batches(p: Any, day_index: int, tables: tuple[str, ...]) -> Iterator[tuple[str, Any]]:
    """The session-wide tables of session ``day_index``: ``regime`` (one row per minute), ``events``."""
    from .tables import events_batch, regime_batch

    if "regime" in tables:
        yield "regime", regime_batch(p.regime.day(day_index))
    if "events" in tables:
        yield "events", events_batch(p.regime.events(day_index))


def session_state(ts: int | str, control: SyntheticControlState | None = None, seed: int = 0, *,
                  universe: Any = None, event_calendar: str = "builtin",
                  events: list[EventSpec] | None = None) -> SessionState:
    """The regime engine's state at ``ts`` (ns UTC or ISO timestamp) for ``control`` and ``seed``.

    Same ts + control + seed (+ universe and events) give the same state that the equity and option
    generators of a run with that manifest seed and control read (for a run whose control was in force
    at ``ts``). Times before the open / after the close clamp to the first / last minute.
    Example: ``session_state("2026-03-02T15:00:00Z", SyntheticControlState(), seed=7).regime``.
    """
    from ..calendar import is_session, sessions
    from ..errors import ConfigError
    from ..manifest import Manifest

    c = control if control is not None else SyntheticControlState()
    t = ts_ns(ts, "ts")
    d = _dt.datetime.fromtimestamp(t / 1e9, tz=_dt.timezone.utc).astimezone(_ny()).date()
    if not is_session(d):
        raise ConfigError("ts", ts, "a time on a NYSE trading day")
    sess = sessions(d, 1)[0]
    m = Manifest(seed=seed, start=d.isoformat(), control=c, universe=list(universe) if universe else None,
                 event_calendar=event_calendar, events=events)  # type: ignore[arg-type]
    uni = _universe(m.universe_specs())
    pre = PRESETS[c.preset_id]
    today, pac, npo = _day_events(m, sess, uni, pre.event_intensity)
    reg = build_day(sess.date, sess.open_ns, sess.seconds, ((0, c),), seed, uni, today, pac, npo)
    return state_at(reg, t)


def state_at(reg: DayRegime, t: int) -> SessionState:
    """The state of a day's timeline at ``t`` (ns UTC), clamped to the session."""
    from ..schemas import PHASES, REGIMES

    i = int(min(max((t - reg.open_ns) // _NS_MIN, 0), reg.minutes - 1))
    return SessionState(PHASES[int(reg.phase[i])], REGIMES[int(reg.regime[i])], float(reg.vol[i]),
                        float(reg.liq[i]), float(reg.clean[i]), list(reg.focus[i]), list(reg.event_syms[i]),
                        int(reg.bucket[i]))


def _ny():
    from zoneinfo import ZoneInfo

    return ZoneInfo("America/New_York")
