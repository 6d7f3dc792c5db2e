"""NYSE session calendar: shipped table vs exchange_calendars, known dates, DST, errors, cold import."""
from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys

import pytest

from fastsynth import calendar as cal
from fastsynth.calendar import PHASES, Session, is_session, nearest_sessions, phase_bounds, sessions
from fastsynth.errors import ConfigError

D = dt.date


def utc_ns(*ymdhm: int) -> int:
    """ns since the epoch for a UTC wall-clock time, e.g. ``utc_ns(2026, 3, 2, 14, 30)``."""
    return int(dt.datetime(*ymdhm, tzinfo=dt.timezone.utc).timestamp()) * 1_000_000_000


def test_shipped_table_matches_exchange_calendars() -> None:
    # The test that keeps the data honest: every session, open, close and early close in the table's range.
    xc = pytest.importorskip("exchange_calendars")
    meta = json.loads(cal._DATA_PATH.read_text(encoding="utf-8"))
    first, last = meta["first"], meta["last"]
    assert (first, last) == (2000, 2035) and set(meta["years"]) == {str(y) for y in range(first, last + 1)}
    xnys = xc.get_calendar("XNYS", start=f"{first}-01-01", end=f"{last}-12-31")
    sched = xnys.schedule
    want = [(ts.date(), int(o.value), int(c.value)) for ts, o, c in zip(sched.index, sched["open"], sched["close"])]
    want_early = {ts.date() for ts in xnys.early_closes}

    got = sessions(want[0][0], len(want))
    assert [(s.date, s.open_ns, s.close_ns) for s in got] == want
    assert {s.date for s in got if s.early_close} == want_early
    assert got[-1].date <= D(last, 12, 31)
    session_days = {w[0] for w in want}
    day = D(first, 1, 1)
    while day <= D(last, 12, 31):
        assert is_session(day) == (day in session_days), day
        day += dt.timedelta(days=1)


def test_fallback_outside_table_matches_exchange_calendars() -> None:
    xc = pytest.importorskip("exchange_calendars")
    xnys = xc.get_calendar("XNYS", start="1992-01-01", end="1992-12-31")
    # 1992-11-27: pre-1993 early closes were at 14:00 ET (19:00 UTC in winter).
    s = sessions("1992-11-27", 1)[0]
    assert s.early_close and s.close_ns == utc_ns(1992, 11, 27, 19, 0) == int(xnys.session_close("1992-11-27").value)
    got = sessions("1992-01-02", len(xnys.sessions))
    assert [x.date for x in got] == [ts.date() for ts in xnys.sessions]
    assert sessions("2040-07-03", 1)[0].early_close  # Tuesday July 3rd: early close, from the fallback


def test_known_dates_2026() -> None:
    mon = sessions("2026-03-02", 1)[0]
    assert mon == Session(D(2026, 3, 2), utc_ns(2026, 3, 2, 14, 30), utc_ns(2026, 3, 2, 21, 0), False)
    assert mon.seconds == 23400
    # July 4 2026 is a Saturday: observed Friday July 3; Thursday July 2 is a full day.
    assert not is_session(D(2026, 7, 3)) and not is_session(D(2026, 7, 4))
    jul2 = sessions(D(2026, 7, 2), 1)[0]
    assert not jul2.early_close and jul2.close_ns == utc_ns(2026, 7, 2, 20, 0)
    # Day after Thanksgiving: 13:00 ET = 18:00 UTC.
    bf = sessions("2026-11-27", 1)[0]
    assert bf.early_close and bf.close_ns == utc_ns(2026, 11, 27, 18, 0) and bf.seconds == 12600
    assert not is_session(D(2026, 11, 26))


def test_dst_exact_open_times() -> None:
    assert sessions("2026-07-15", 1)[0].open_ns == utc_ns(2026, 7, 15, 13, 30)  # EDT
    # US DST 2026 starts Sunday March 8: Friday 14:30 UTC, Monday 13:30 UTC.
    fri, mon = sessions("2026-03-06", 2)
    assert (fri.open_ns, mon.open_ns) == (utc_ns(2026, 3, 6, 14, 30), utc_ns(2026, 3, 9, 13, 30))
    assert mon.close_ns == utc_ns(2026, 3, 9, 20, 0)


def test_sessions_skip_weekend_and_holiday() -> None:
    got = [s.date for s in sessions("2026-07-02", 3)]
    assert got == [D(2026, 7, 2), D(2026, 7, 6), D(2026, 7, 7)]
    got = [s.date for s in sessions("2026-04-02", 2)]  # Good Friday 2026-04-03
    assert got == [D(2026, 4, 2), D(2026, 4, 6)]
    assert sessions(dt.datetime(2026, 3, 2, 23, 0), 1)[0].date == D(2026, 3, 2)


def test_nearest_sessions_are_strict() -> None:
    assert nearest_sessions(D(2026, 3, 2)) == (D(2026, 2, 27), D(2026, 3, 3))  # a session itself is skipped
    assert nearest_sessions(D(2026, 3, 7)) == (D(2026, 3, 6), D(2026, 3, 9))
    assert nearest_sessions(D(2001, 9, 11)) == (D(2001, 9, 10), D(2001, 9, 17))


def test_phase_bounds() -> None:
    assert PHASES == ("open", "midday", "power_hour")
    s = sessions("2026-03-02", 1)[0]
    assert phase_bounds(s) == (utc_ns(2026, 3, 2, 15, 30), utc_ns(2026, 3, 2, 20, 0))
    e = sessions("2026-12-24", 1)[0]
    assert e.early_close and phase_bounds(e) == (utc_ns(2026, 12, 24, 15, 30), utc_ns(2026, 12, 24, 17, 0))


def test_error_saturday() -> None:
    with pytest.raises(ConfigError) as ei:
        sessions("2026-03-07", 5)
    e = ei.value
    assert (e.field, e.value, e.allowed) == ("start", "2026-03-07", "a NYSE trading session")
    assert e.hint == "2026-03-07 is a Saturday; nearest sessions: 2026-03-06 and 2026-03-09"


def test_error_holiday_names_it_and_neighbours() -> None:
    with pytest.raises(ConfigError) as ei:
        sessions(D(2026, 12, 25), 1)
    assert ei.value.hint == "2026-12-25 is a NYSE holiday (Christmas); nearest sessions: 2026-12-24 and 2026-12-28"
    with pytest.raises(ConfigError, match="2012-10-26 and 2012-10-31"):
        sessions("2012-10-29", 1)


@pytest.mark.parametrize("days", [0, -3, 1.5, True, "5"])
def test_error_days(days: object) -> None:
    with pytest.raises(ConfigError) as ei:
        sessions("2026-03-02", days)  # type: ignore[arg-type]
    assert (ei.value.field, ei.value.value, ei.value.allowed) == ("days", days, "an integer >= 1")


@pytest.mark.parametrize("bad", ["2026-13-01", "2026-02-30", "03/02/2026", "20260302", "", "2026-W10-1"])
def test_error_bad_start_string(bad: str) -> None:
    with pytest.raises(ConfigError) as ei:
        sessions(bad, 1)
    assert (ei.value.field, ei.value.value, ei.value.allowed) == ("start", bad, "a date as YYYY-MM-DD")
    assert str(ei.value).startswith(f"start: got {bad!r}; allowed: a date as YYYY-MM-DD")


def test_out_of_range_dates() -> None:
    with pytest.raises(ConfigError, match="between 1885-01-01 and 2200-12-31"):
        is_session(D(2300, 1, 5))
    with pytest.raises(ConfigError, match="between 1885-01-01 and 2200-12-31"):
        is_session(D(2300, 1, 4))  # a Saturday: still out of range, not just "closed"
    assert nearest_sessions(D(1885, 1, 1))[0] is None
    with pytest.raises(ConfigError) as ei:
        sessions("2200-12-29", 10)
    assert ei.value.field == "days"


def test_import_is_cold_start_light() -> None:
    # Importing and using the shipped table must not pull in pandas or exchange_calendars.
    code = (
        "import sys, fastsynth.calendar as c; c.sessions('2026-03-02', 300); c.nearest_sessions(c.sessions("
        "'2026-07-02', 1)[0].date); bad = [m for m in ('pandas', 'exchange_calendars') if m in sys.modules]; "
        "print(bad); sys.exit(1 if bad else 0)"
    )
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stdout + r.stderr
