"""NYSE trading sessions (holidays, early closes) with exact UTC open/close times.

Sessions come from a precomputed table shipped as ``data/nyse_sessions.json`` (generated from
exchange_calendars' XNYS by ``tools/make_nyse_sessions.py``), because importing exchange_calendars
pulls in pandas and costs most of a cold start. Years outside the table fall back to
exchange_calendars, imported lazily on first need. Local times are converted with ``zoneinfo``.

Example::

    >>> s = sessions("2026-11-25", 3)
    >>> [(x.date.isoformat(), x.early_close, x.seconds) for x in s]
    [('2026-11-25', False, 23400), ('2026-11-27', True, 12600), ('2026-11-30', False, 23400)]
"""
from __future__ import annotations

import datetime
import functools
import json
import numbers
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .errors import ConfigError

__all__ = ["Session", "PHASES", "is_session", "sessions", "nearest_sessions", "phase_bounds"]

PHASES: tuple[str, ...] = ("open", "midday", "power_hour")
"""Intraday phases in order: ``open`` (first 60 min), ``midday``, ``power_hour`` (last 60 min)."""

_DATA_PATH = Path(__file__).with_name("data") / "nyse_sessions.json"
# What the exchange_calendars fallback is asked to cover (pandas timestamps end in 2262).
_FALLBACK_YEARS = (1885, 2200)
_OPEN_MIN = 9 * 60 + 30  # 09:30 ET, every XNYS session in the fallback range
_CLOSE_MIN = 16 * 60  # 16:00 ET unless the table lists an early close
_PHASE_NS = 60 * 60 * 1_000_000_000
_EPOCH_ORD = datetime.date(1970, 1, 1).toordinal()
_ISO_RE = re.compile(r"\d{4}-\d{2}-\d{2}")
_ONE_DAY = datetime.timedelta(days=1)
# exchange_calendars has no names for ad hoc closures; name the recent ones for error hints.
_ADHOC_NAMES = {
    "2001-09-11": "September 11 attacks", "2001-09-12": "September 11 attacks",
    "2001-09-13": "September 11 attacks", "2001-09-14": "September 11 attacks",
    "2004-06-11": "mourning for Ronald Reagan", "2007-01-02": "mourning for Gerald Ford",
    "2012-10-29": "Hurricane Sandy", "2012-10-30": "Hurricane Sandy",
    "2018-12-05": "mourning for George H. W. Bush", "2025-01-09": "mourning for Jimmy Carter",
}


@dataclass(frozen=True, slots=True)
class Session:
    """One NYSE regular trading session.

    ``date`` is the local (America/New_York) trading date. ``open_ns``/``close_ns`` are the regular
    open (09:30 ET) and close (16:00 ET, or 13:00 ET on early-close days) as int nanoseconds since
    the Unix epoch (UTC), DST-exact. Example: 2026-03-02 opens at 14:30 UTC,
    ``open_ns == 1_772_461_800_000_000_000``.
    """

    date: datetime.date
    open_ns: int
    close_ns: int
    early_close: bool

    @property
    def seconds(self) -> int:
        """Session length in whole seconds: 23400 for a full day, 12600 for a 13:00 early close."""
        return (self.close_ns - self.open_ns) // 1_000_000_000


# Per year: ({weekday closure: name}, {early-close date: close minute of day ET}).
_Year = tuple[dict[datetime.date, str], dict[datetime.date, int]]


def _parse_years(years: dict[str, Any]) -> dict[int, _Year]:
    out: dict[int, _Year] = {}
    for y, entry in years.items():
        yr = int(y)
        closed = {_md(yr, md): name for md, name in entry["closed"].items()}
        early = {_md(yr, md): int(hm[:2]) * 60 + int(hm[3:]) for md, hm in entry["early"].items()}
        out[yr] = (closed, early)
    return out


def _md(year: int, md: str) -> datetime.date:
    return datetime.date(year, int(md[:2]), int(md[3:]))


@functools.cache
def _shipped() -> dict[int, _Year]:
    return _parse_years(json.loads(_DATA_PATH.read_text(encoding="utf-8"))["years"])


@functools.cache
def _fallback() -> dict[int, _Year]:
    return _parse_years(_build_table(*_FALLBACK_YEARS))


def _build_table(first_year: int, last_year: int) -> dict[str, Any]:
    """``{"YYYY": {"closed": {"MM-DD": name}, "early": {"MM-DD": "HH:MM"}}}`` from exchange_calendars.

    Used by the fallback and by ``tools/make_nyse_sessions.py``; raises if XNYS ever grows a
    weekend session or a non-09:30 open, which the table format cannot express.
    """
    import exchange_calendars as xc  # slow (pandas): only for dates outside the shipped table
    import pandas as pd

    start, end = f"{first_year}-01-01", f"{last_year}-12-31"
    cal = xc.get_calendar("XNYS", start=start, end=end)
    sched = cal.schedule
    opens = sched["open"].dt.tz_convert("America/New_York").dt.strftime("%H:%M")
    closes = sched["close"].dt.tz_convert("America/New_York").dt.strftime("%H:%M")
    if (opens != "09:30").any() or (sched.index.day_of_week >= 5).any():
        raise RuntimeError("XNYS has sessions the table format cannot express (late open / weekend)")
    names: dict[str, str] = {}
    hol = cal.regular_holidays.holidays(pd.Timestamp(start), pd.Timestamp(end), return_name=True)
    for ts, name in hol.items():
        names.setdefault(ts.strftime("%Y-%m-%d"), str(name))
    weekdays = pd.bdate_range(start, end)
    years: dict[str, Any] = {str(y): {"closed": {}, "early": {}} for y in range(first_year, last_year + 1)}
    for ts in weekdays.difference(sched.index):
        iso = ts.strftime("%Y-%m-%d")
        name = names.get(iso) or _ADHOC_NAMES.get(iso, "special closure")
        years[iso[:4]]["closed"][iso[5:]] = name
    for ts, hm in closes[closes != "16:00"].items():
        iso = ts.strftime("%Y-%m-%d")
        years[iso[:4]]["early"][iso[5:]] = hm
    return years


def _year(y: int, field: str, value: object) -> _Year:
    table = _shipped()
    if y in table:
        return table[y]
    lo, hi = _FALLBACK_YEARS
    if not lo <= y <= hi:
        raise ConfigError(field, value, f"a date between {lo}-01-01 and {hi}-12-31")
    return _fallback()[y]


def _closed_reason(d: datetime.date, field: str = "date") -> str | None:
    """Why ``d`` is not a session (``"a Saturday"``, ``"a NYSE holiday (Christmas)"``), or None."""
    closed = _year(d.year, field, d.isoformat())[0]  # first, so out-of-range weekends raise too
    if d.weekday() >= 5:
        return ("a Saturday", "a Sunday")[d.weekday() - 5]  # not strftime: that is locale-dependent
    name = closed.get(d)
    return None if name is None else f"a NYSE holiday ({name})"


def _in_range(d: datetime.date) -> bool:
    return _FALLBACK_YEARS[0] <= d.year <= _FALLBACK_YEARS[1] or d.year in _shipped()


def _as_date(value: object, field: str) -> datetime.date:
    if isinstance(value, datetime.date):
        # A datetime is a date subclass; keep only its calendar date so arithmetic stays in dates.
        return datetime.date(value.year, value.month, value.day)
    if isinstance(value, str) and _ISO_RE.fullmatch(value.strip()):
        try:
            return datetime.date.fromisoformat(value.strip())
        except ValueError:
            pass
    raise ConfigError(field, value, "a date as YYYY-MM-DD")


@functools.cache
def _ny() -> Any:
    import zoneinfo  # lazy: a missing tz database should fail at use, not at import

    return zoneinfo.ZoneInfo("America/New_York")


def _et_ns(d: datetime.date, minute: int) -> int:
    """Wall-clock ``minute`` of day in New York on ``d`` as ns since the epoch (UTC), exact ints."""
    local = datetime.datetime(d.year, d.month, d.day, minute // 60, minute % 60, tzinfo=_ny())
    offset = local.utcoffset() // datetime.timedelta(seconds=1)  # type: ignore[operator]
    return ((d.toordinal() - _EPOCH_ORD) * 86400 + minute * 60 - offset) * 1_000_000_000


def _session(d: datetime.date, early: dict[datetime.date, int]) -> Session:
    close = early.get(d)
    return Session(d, _et_ns(d, _OPEN_MIN), _et_ns(d, _CLOSE_MIN if close is None else close), close is not None)


def is_session(d: datetime.date) -> bool:
    """True if the NYSE holds a regular session on local date ``d``, e.g. ``is_session(date(2026, 7, 3))``
    is False (Independence Day observed). Dates outside 1885..2200 raise ConfigError."""
    d = _as_date(d, "date")
    return _closed_reason(d) is None


def nearest_sessions(d: datetime.date) -> tuple[datetime.date | None, datetime.date | None]:
    """The closest session dates strictly before and strictly after ``d``.

    ``d`` itself is never returned, even when it is a session: ``nearest_sessions(date(2026, 3, 2))``
    (a Monday) is ``(date(2026, 2, 27), date(2026, 3, 3))``. A side is None when it would fall
    outside the dates the calendar covers.
    """
    d = _as_date(d, "date")
    _year(d.year, "date", d.isoformat())  # out-of-range input is an error, not (None, None)
    return _step(d, -_ONE_DAY), _step(d, _ONE_DAY)


def _step(d: datetime.date, step: datetime.timedelta) -> datetime.date | None:
    while True:
        d += step  # cannot overflow: the covered years are far from date.min/date.max
        if not _in_range(d):
            return None
        if _closed_reason(d) is None:
            return d


def sessions(start: datetime.date | str, days: int) -> list[Session]:
    """``days`` consecutive NYSE sessions beginning at ``start`` (a date or ``"YYYY-MM-DD"``).

    ``start`` must itself be a session. Example: ``sessions("2026-07-02", 2)`` gives 2026-07-02 and
    2026-07-06 (July 3 is the observed Independence Day, then a weekend).
    Raises ConfigError for a bad/non-session ``start`` (the hint names the nearest sessions) or
    ``days < 1``.
    """
    d = _as_date(start, "start")
    if isinstance(days, bool) or not isinstance(days, numbers.Integral) or days < 1:
        raise ConfigError("days", days, "an integer >= 1")
    why = _closed_reason(d, "start")
    if why is not None:
        before, after = nearest_sessions(d)
        near = " and ".join(x.isoformat() for x in (before, after) if x is not None)
        raise ConfigError("start", d.isoformat(), "a NYSE trading session",
                          hint=f"{d.isoformat()} is {why}; nearest sessions: {near}")
    out: list[Session] = []
    while len(out) < days:
        if not _in_range(d):
            raise ConfigError("days", days, f"few enough sessions to end by {_FALLBACK_YEARS[1]}-12-31",
                              hint=f"only {len(out)} sessions from {out[0].date} fit")
        closed, early = _year(d.year, "start", d.isoformat())
        if d.weekday() < 5 and d not in closed:
            out.append(_session(d, early))
        d += _ONE_DAY
    return out


def phase_bounds(session: Session) -> tuple[int, int]:
    """``(midday_start_ns, power_hour_start_ns)`` in ns UTC: open + 60 min and close - 60 min.

    The session splits into PHASES ``open`` = [open_ns, midday), ``midday`` = [midday, power_hour),
    ``power_hour`` = [power_hour, close_ns). Example: a full day 09:30-16:00 ET gives 10:30 and 15:00 ET;
    a 13:00 early close gives 10:30 and 12:00 ET.
    """
    return session.open_ns + _PHASE_NS, session.close_ns - _PHASE_NS
