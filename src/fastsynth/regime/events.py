"""Scheduled events: macro releases (CPI, NFP, FOMC) for all symbols and earnings for single names.

Each event comes from a template (``TEMPLATES``) that sets the price-jump scale (in the symbol's daily
sds), the IV run-up into the release and the crush after it, and the spread widening around it (after
the event injector of the source: CPI/FOMC templates with price-jump sigma, IV jump and spread widening).

Events are drawn from a built-in deterministic calendar (``Manifest.event_calendar = "builtin"``) and/or
listed in the manifest (``Manifest.events``). The built-in calendar follows the real pattern without
claiming to be the real schedule: NFP on the first Friday of the month and CPI on a Tuesday–Thursday
between the 10th and the 15th, both at 08:30 ET (before the open); eight FOMC decisions a year at
14:00 ET on a Wednesday (late Jan, mid Mar, early May, mid Jun, late Jul, mid Sep, late Oct, mid Dec);
quarterly earnings for every non-ETF symbol in the weeks after a quarter ends, each company keeping
its own habit of reporting before the open or after the close. The calendar depends on dates and
symbol names only (not on the seed), like a real one.
"""
from __future__ import annotations

import datetime as _dt
import functools
import hashlib
from dataclasses import dataclass

import msgspec

from ..errors import ConfigError, closest
from ..schemas import EVENT_TIMINGS, EVENT_TYPES

__all__ = ["Event", "EventSpec", "Template", "TEMPLATES", "builtin_events", "listed_events", "EVENT_CALENDARS",
           "upcoming_events", "event_calendar_table", "expiry_spans", "CALENDAR_AHEAD_DAYS"]

# how far ahead the calendar is looked at for "the next scheduled event" (the built-in calendar always has a
# macro release within ~4 weeks: NFP in the first week, CPI mid-month, FOMC eight times a year)
CALENDAR_AHEAD_DAYS = 45
# an expiry "spans" an event when its close is after the release; 20:00 UTC is at or before the 16:00 ET close
# in both DST and standard time and after every template's release time except after-close earnings
EXPIRY_CLOSE_UTC_S = 20 * 3600

EVENT_CALENDARS: tuple[str, ...] = ("builtin", "none")


class Event(msgspec.Struct, frozen=True):
    """One scheduled event (a row of the ``events`` table).

    ts_ns: release time, ns UTC. event_type: CPI | NFP | FOMC | EARNINGS. symbol: the single name for
    EARNINGS, ``'*'`` for macro releases. timing: pre_open | intraday | after_close. jump_sd: sd of the
    price jump at the release in the symbol's daily sds. iv_runup: relative IV run-up into the release of
    the expiry spanning it. iv_crush: relative IV drop right after it. spread_widen: spread multiplier
    around the release.
    """

    ts_ns: int
    event_type: str
    symbol: str
    timing: str
    jump_sd: float
    iv_runup: float
    iv_crush: float
    spread_widen: float


@dataclass(frozen=True)
class Template:
    time_et: int            # minute of day ET of the release (earnings: 07:00 pre-open, 16:05 after close)
    timing: str
    jump_sd: float
    iv_runup: float
    iv_crush: float
    spread_widen: float


TEMPLATES: dict[str, Template] = {
    "CPI": Template(8 * 60 + 30, "pre_open", 0.8, 0.10, 0.12, 1.5),
    "NFP": Template(8 * 60 + 30, "pre_open", 0.6, 0.08, 0.10, 1.4),
    "FOMC": Template(14 * 60, "intraday", 1.0, 0.15, 0.18, 1.8),
    "EARNINGS": Template(7 * 60, "pre_open", 2.5, 0.60, 0.45, 2.0),
}
_EARN_AFTER_MIN = 16 * 60 + 5


class EventSpec(msgspec.Struct, frozen=True, forbid_unknown_fields=True, kw_only=True):
    """An event listed in the manifest. Template values are used where a field is left out.

    date: session date YYYY-MM-DD. event_type: CPI | NFP | FOMC | EARNINGS. symbol: '*' for macro
    releases, a single name for EARNINGS. timing: pre_open | intraday | after_close (default: the
    template's). time: HH:MM ET (default: the template's, e.g. 08:30 for CPI/NFP, 14:00 for FOMC).
    """

    date: str
    event_type: str
    symbol: str = "*"
    timing: str | None = None
    time: str | None = None
    jump_sd: float | None = None
    iv_runup: float | None = None
    iv_crush: float | None = None
    spread_widen: float | None = None

    def __post_init__(self) -> None:
        try:
            _dt.date.fromisoformat(self.date)
        except (TypeError, ValueError):
            raise ConfigError("events.date", self.date, "a date as YYYY-MM-DD") from None
        if self.event_type not in EVENT_TYPES:
            raise ConfigError("events.event_type", self.event_type, " | ".join(EVENT_TYPES),
                              closest(str(self.event_type), EVENT_TYPES))
        if self.event_type == "EARNINGS" and self.symbol == "*":
            raise ConfigError("events.symbol", self.symbol, "a single-name symbol for EARNINGS")
        if self.event_type != "EARNINGS" and self.symbol != "*":
            raise ConfigError("events.symbol", self.symbol, "'*' for macro releases (CPI, NFP, FOMC)")
        if self.timing is not None and self.timing not in EVENT_TIMINGS:
            raise ConfigError("events.timing", self.timing, " | ".join(EVENT_TIMINGS),
                              closest(str(self.timing), EVENT_TIMINGS))
        if self.time is not None:
            ok = len(self.time) == 5 and self.time[2] == ":" and self.time[:2].isdigit() and self.time[3:].isdigit() \
                and int(self.time[:2]) < 24 and int(self.time[3:]) < 60
            if not ok:
                raise ConfigError("events.time", self.time, "HH:MM (ET, 24-hour)")
        for f, lo, hi in (("jump_sd", 0.0, 20.0), ("iv_runup", 0.0, 5.0), ("iv_crush", 0.0, 0.95),
                          ("spread_widen", 1.0, 20.0)):
            v = getattr(self, f)
            if v is not None and (isinstance(v, bool) or not isinstance(v, (int, float)) or not lo <= v <= hi):
                raise ConfigError(f"events.{f}", v, f"a number from {lo} to {hi}")


def _h(*parts: object) -> int:
    h = hashlib.blake2b(digest_size=8, person=b"fastsynth-evt")
    h.update("|".join(str(p) for p in parts).encode())
    return int.from_bytes(h.digest(), "little")


def _nth_weekday(y: int, mth: int, wd: int, n: int) -> _dt.date:
    """n-th (1-based; -1 = last) weekday ``wd`` (Mon=0) of a month."""
    if n > 0:
        d = _dt.date(y, mth, 1)
        d += _dt.timedelta(days=(wd - d.weekday()) % 7 + 7 * (n - 1))
        return d
    nxt = _dt.date(y + (mth == 12), mth % 12 + 1, 1)
    d = nxt - _dt.timedelta(days=1)
    return d - _dt.timedelta(days=(d.weekday() - wd) % 7)


# FOMC decision Wednesdays: (month, n-th Wednesday; -1 = last)
_FOMC = ((1, -1), (3, 3), (5, 1), (6, 3), (7, -1), (9, 3), (10, -1), (12, 2))


@functools.lru_cache(maxsize=64)
def _macro_dates(year: int) -> tuple[tuple[_dt.date, str], ...]:
    """The built-in macro release dates of a year (cached: every partition's event calendar asks for the
    same years; ~3 ms per partition before)."""
    out = []
    for mth in range(1, 13):
        out.append((_nth_weekday(year, mth, 4, 1), "NFP"))
        d = _dt.date(year, mth, 10) + _dt.timedelta(days=_h("cpi", year, mth) % 3)
        while d.weekday() not in (1, 2, 3):       # Tue-Thu
            d += _dt.timedelta(days=1)
        out.append((d, "CPI"))
    out += [(_nth_weekday(year, mth, 2, n), "FOMC") for mth, n in _FOMC]
    return tuple(out)


@functools.lru_cache(maxsize=4096)
def _earnings_date(symbol: str, year: int, q: int) -> tuple[_dt.date, str]:
    """Quarter q (0..3) report: 2-6 weeks after the quarter ends, Mon-Thu; timing fixed per company."""
    base = _dt.date(year, 3 * q + 1, 14)                     # mid Jan/Apr/Jul/Oct
    off = (_h("earn", symbol) % 18) + (_h("earn", symbol, year, q) % 7)   # company habit + jitter
    d = base + _dt.timedelta(days=off)
    d += _dt.timedelta(days={4: -1, 5: -2, 6: 2}.get(d.weekday(), 0))   # Fri/Sat -> Thu, Sun -> Tue
    timing = "pre_open" if _h("timing", symbol) % 2 == 0 else "after_close"
    return d, timing


def _make(ev_type: str, d: _dt.date, symbol: str, timing: str, minute: int, intensity: float,
          over: EventSpec | None = None) -> Event:
    from ..calendar import _et_ns

    t = TEMPLATES[ev_type]

    def pick(name: str, dflt: float) -> float:
        v = getattr(over, name) if over is not None else None
        return float(v) if v is not None else dflt

    return Event(_et_ns(d, minute), ev_type, symbol, timing,
                 pick("jump_sd", t.jump_sd * intensity), pick("iv_runup", t.iv_runup * intensity),
                 pick("iv_crush", t.iv_crush), pick("spread_widen", t.spread_widen))


def builtin_events(d: _dt.date, symbols: list[tuple[str, bool]], intensity: float = 1.0) -> list[Event]:
    """Events of the built-in calendar on date ``d`` for ``symbols`` ((name, is_etf) pairs)."""
    out = []
    for md, typ in _macro_dates(d.year):
        if md == d:
            t = TEMPLATES[typ]
            out.append(_make(typ, d, "*", t.timing, t.time_et, intensity))
    q = (d.month - 1) // 3
    for sym, etf in symbols:
        if etf:
            continue
        ed, timing = _earnings_date(sym, d.year, q)
        if ed == d:
            minute = TEMPLATES["EARNINGS"].time_et if timing == "pre_open" else _EARN_AFTER_MIN
            out.append(_make("EARNINGS", d, sym, timing, minute, intensity))
    return out


def listed_events(d: _dt.date, specs: list[EventSpec], known: set[str], intensity: float = 1.0) -> list[Event]:
    out = []
    for s in specs:
        if _dt.date.fromisoformat(s.date) != d or (s.symbol != "*" and s.symbol not in known):
            continue
        t = TEMPLATES[s.event_type]
        timing = s.timing or t.timing
        if s.time is not None:
            minute = int(s.time[:2]) * 60 + int(s.time[3:])
        elif s.event_type == "EARNINGS" and timing == "after_close":
            minute = _EARN_AFTER_MIN
        else:
            minute = t.time_et
        out.append(_make(s.event_type, d, s.symbol, timing, minute, intensity, s))
    return out


def day_events(d: _dt.date, calendar: str, listed: list[EventSpec] | None, symbols: list[tuple[str, bool]],
               intensity: float = 1.0) -> list[Event]:
    """All events on ``d`` sorted by (ts, type, symbol)."""
    ev = builtin_events(d, symbols, intensity) if calendar == "builtin" else []
    if listed:
        ev += listed_events(d, listed, {s for s, _ in symbols}, intensity)
    ev.sort(key=lambda e: (e.ts_ns, EVENT_TYPES.index(e.event_type), e.symbol))
    return ev


def upcoming_events(d: _dt.date, calendar: str, listed: list[EventSpec] | None, symbols: list[tuple[str, bool]],
                    days: int = CALENDAR_AHEAD_DAYS, intensity: float = 1.0) -> list[Event]:
    """The scheduled events of dates ``d`` .. ``d + days`` (inclusive) for ``symbols``, by release time: what
    a desk's earnings/macro calendar shows on ``d``. Depends on dates and names only (not on the seed)."""
    out: list[Event] = []
    for k in range(days + 1):
        out += day_events(d + _dt.timedelta(days=k), calendar, listed, symbols, intensity)
    return out


def expiry_spans(expiration_day: int, event_ts_ns: int) -> bool:
    """True when an option expiring on ``expiration_day`` (days since 1970-01-01) is still alive at the release
    ``event_ts_ns`` (its close, taken as 20:00 UTC, is at or after it): the expiry that carries the event."""
    return expiration_day * 86_400_000_000_000 + EXPIRY_CLOSE_UTC_S * 1_000_000_000 >= event_ts_ns


def event_calendar_table(m, days_ahead: int = CALENDAR_AHEAD_DAYS):
    """The scheduled events a user would have on their calendar for a run of manifest ``m``: every event of
    the run's sessions and of the ``days_ahead`` days after the last one, for the selected symbols, as a
    ``pyarrow.Table`` with the ``events`` schema (what ``fastsynth.analytics.flow(events=...)`` takes to know
    the *next* event, e.g. the expiry that spans it). Same rows as the ``events`` table on the run's own dates."""
    import pyarrow as pa

    from ..calendar import sessions as _sessions
    from .control import PRESETS
    from .tables import events_batch

    sess = list(_sessions(m.start, m.days)) if hasattr(m, "start") else []
    syms = [(s.symbol, bool(s.etf)) for s in m.selected()]
    preset = getattr(getattr(m, "control", None), "preset_id", "balanced_demo")
    intensity = PRESETS[preset].event_intensity if preset in PRESETS else 1.0
    if not sess:
        return pa.Table.from_batches([events_batch([])])
    first, last = sess[0].date, sess[-1].date
    span = (last - first).days + days_ahead
    ev = upcoming_events(first, m.event_calendar, list(m.events or []), syms, span, intensity)
    return pa.Table.from_batches([events_batch(ev)])
