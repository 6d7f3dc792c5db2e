"""The shared regime engine: determinism, presets, regime mixing, events, tables, soft coverage.

Statistical checks use fixed seeds and dates; each states its model and tolerance. The regime chain is
cheap (a few ms per session), so these pool many (seed, date) sessions instead of long runs.
"""
from __future__ import annotations

import numpy as np
import pytest

from fastsynth import Manifest, schema
from fastsynth.engine import SESSION_PART, iter_partition, plan
from fastsynth.regime import ControlChange, EventSpec, SyntheticControlState, session_state, state_at
from fastsynth.regime.control import PUBLIC_PROFILES
from fastsynth.schemas import PHASES, REGIMES

DATES = ["2026-03-02", "2026-03-03", "2026-03-04", "2026-03-05", "2026-03-06", "2026-03-09", "2026-03-11",
         "2026-03-12", "2026-03-13", "2026-03-16"]
R = {r: i for i, r in enumerate(REGIMES)}
MIN = 60_000_000_000


def _plan(seed=1, start="2026-03-02", symbols=("SPY",), **ctl):
    m = Manifest(seed=seed, start=start, symbols=list(symbols) if symbols else None,
                 control=SyntheticControlState(**ctl))
    return plan(m)


def _occupancy(preset: str, seeds=range(1, 4)) -> np.ndarray:
    occ = np.zeros(len(REGIMES))
    for s in seeds:
        for d in DATES:
            occ += np.bincount(_plan(s, d, preset_id=preset).regime.day(0).regime, minlength=len(REGIMES))
    return occ / occ.sum()


# ----------------------------------------------------------------------------------------- shared engine
def test_same_inputs_same_state_and_schedule():
    a, b = _plan(7, "2026-03-18", ("SPY", "AAPL")), _plan(7, "2026-03-18", ("SPY", "AAPL"))
    da, db = a.regime.day(0), b.regime.day(0)
    for f in ("phase", "regime", "vol", "liq", "clean", "bucket"):
        assert np.array_equal(getattr(da, f), getattr(db, f))
    assert da.focus == db.focus
    ba, bb = a.regime.bursts(0), b.regime.bursts(0)
    for f in ("ts_ns", "symbol", "family", "profile", "burst_id", "intensity", "direction"):
        assert np.array_equal(getattr(ba, f), getattr(bb, f))
    ma, mb = a.regime.modulation("AAPL", 0), b.regime.modulation("AAPL", 0)
    assert np.array_equal(ma.drift, mb.drift) and np.array_equal(ma.iv_mult, mb.iv_mult)


def test_session_state_equals_what_the_generators_read():
    # equities and options of a run read plan.regime; session_state (no manifest) must agree with it at
    # every minute, whichever symbols the run selects (focus symbols come from the universe)
    c = SyntheticControlState(preset_id="dealer_day", shared_seed=3)
    for syms in (["SPY"], ["AAPL", "TSLA", "JPM"]):
        p = plan(Manifest(seed=11, start="2026-03-18", symbols=syms, control=c))
        day = p.regime.day(0)
        for minute in range(0, day.minutes, 17):
            ts = day.open_ns + minute * MIN + 5_000_000_000
            assert session_state(ts, c, 11) == state_at(day, ts)
    s = session_state("2026-03-18T18:30:00Z", c, 11)
    assert s.session_phase in PHASES and s.regime in REGIMES and s.seed_bucket >= 0


def test_different_seeds_and_dates_give_different_sequences():
    seqs = {tuple(_plan(s, d).regime.day(0).regime[::10]) for s in (1, 2, 3) for d in DATES[:3]}
    assert len(seqs) == 9     # not a fixed script
    shared = [tuple(_plan(1, DATES[0], shared_seed=k).regime.day(0).regime[::10]) for k in (0, 1)]
    assert shared[0] != shared[1]


def test_presets_change_regime_weights_materially():
    # model: the semi-Markov jump weights are the preset's occupancy weights x context; over 30 sessions
    # the occupancy of each preset's signature regime must at least double vs balanced_demo (the weights
    # differ 2.5-4x; 30 sessions x ~12 segments give a share sd of ~2-3 points)
    bal = _occupancy("balanced_demo")
    assert _occupancy("dealer_day")[R["dealer_gamma"]] > 2 * bal[R["dealer_gamma"]]
    assert _occupancy("retail_chase")[R["retail_chase"]] > 2 * bal[R["retail_chase"]]
    q = _occupancy("quiet_range")
    assert q[R["arb_calm"]] + q[R["mean_revert"]] > 1.5 * (bal[R["arb_calm"]] + bal[R["mean_revert"]])
    assert _occupancy("event_day")[R["event_ramp"]] > 2 * bal[R["event_ramp"]]


def test_balanced_demo_mixes_regimes_with_persistent_segments():
    for s in (1, 2):
        for d in DATES[:5]:
            day = _plan(s, d).regime.day(0)
            shares = np.bincount(day.regime, minlength=len(REGIMES)) / day.minutes
            assert (shares > 0).sum() >= 3 and shares.max() < 0.7
            seg = np.bincount(day.bucket)
            assert np.median(seg) >= 15      # persistent: tens of minutes, not a flicker


def test_phases_and_event_days():
    # FOMC (2026-03-18, 14:00 ET = 18:00 UTC): event_ramp before, after_event after
    p = _plan(5, "2026-03-18")
    ev = p.regime.events(0)
    fomc = [e for e in ev if e.event_type == "FOMC"]
    assert len(fomc) == 1 and fomc[0].timing == "intraday"
    day = p.regime.day(0)
    f = (fomc[0].ts_ns - day.open_ns) // MIN
    assert f == 270
    assert np.all(day.regime[f - 20:f] == R["event_ramp"])
    assert np.all(day.phase[f:f + 30] == PHASES.index("after_event"))
    assert day.phase[0] == PHASES.index("open") and day.phase[-1] == PHASES.index("power_hour")
    # CPI 08:30 ET pre-open (2026-03-10): the open is an after_event phase
    p = _plan(5, "2026-03-10")
    assert [e.event_type for e in p.regime.events(0)] == ["CPI"]
    assert p.regime.day(0).phase[0] == PHASES.index("after_event")
    # earnings: single names only, never ETFs; macro for everyone
    p = _plan(5, "2026-01-26", None)
    earn = [e for e in p.regime.events(0) if e.event_type == "EARNINGS"]
    assert earn and all(e.symbol not in ("SPY", "QQQ", "IWM", "DIA", "XLF") for e in earn)
    assert all(e.timing in ("pre_open", "after_close") for e in earn)
    assert p.regime.events_for("SPY", 0) == [e for e in p.regime.events(0) if e.symbol == "*"]


def test_event_calendar_none_and_listed_events():
    m = Manifest(seed=1, start="2026-03-18", symbols=["AAPL"], event_calendar="none",
                 events=[EventSpec(date="2026-03-18", event_type="EARNINGS", symbol="AAPL", timing="after_close",
                                   jump_sd=3.0)])
    ev = plan(m).regime.events(0)
    assert [(e.event_type, e.symbol, e.timing, e.jump_sd) for e in ev] == [("EARNINGS", "AAPL", "after_close", 3.0)]
    assert plan(m.replace(events=None)).regime.events(0) == []


def test_session_tables_are_schema_exact():
    p = plan(Manifest(seed=1, start="2026-03-18", symbols=["SPY", "AAPL"], tables=["regime", "events"]))
    part = p.partitions[0]
    assert part.symbol == SESSION_PART
    out = dict(iter_partition(p, part))
    assert out["regime"].schema == schema("regime") and out["regime"].num_rows == 390
    assert out["events"].schema == schema("events") and out["events"].num_rows == 1
    rows = out["regime"].to_pylist()
    assert rows[0]["ts_event"].hour == 13 and rows[0]["ts_event"].minute == 30
    assert all(r["regime"] in REGIMES and r["phase"] in PHASES and 0 < r["quote_cleanliness"] <= 1 for r in rows)
    e = out["events"].to_pylist()[0]
    assert e["event_type"] == "FOMC" and e["symbol"] == "*" and e["ts_event"].hour == 18


def test_runtime_control_change_applies_from_its_ts():
    base = SyntheticControlState()
    new = SyntheticControlState(preset_id="dealer_day", profile_weights={**{p: 1.0 for p in PUBLIC_PROFILES},
                                                                         "arbitrage": 1.6})
    ts = "2026-03-02T17:00:30Z"          # 12:00:30 ET = minute 150.5 -> minute 151 on
    m = Manifest(seed=4, start="2026-03-02", symbols=["SPY"], control_changes=[ControlChange(ts=ts, control=new)])
    p, p0 = plan(m), plan(m.replace(control_changes=[]))
    d, d0 = p.regime.day(0), p0.regime.day(0)
    assert np.array_equal(d.regime[:151], d0.regime[:151])
    for minute in (151, 200, 300):
        t = d.open_ns + minute * MIN
        assert state_at(d, t) == session_state(t, new, 4)
    b, b0 = p.regime.bursts(0), p0.regime.bursts(0)
    cut = d.open_ns + 150 * MIN
    assert np.array_equal(b.ts_ns[b.ts_ns < cut], b0.ts_ns[b0.ts_ns < cut])
    assert np.array_equal(b.profile[b.ts_ns < cut], b0.profile[b0.ts_ns < cut])


def test_burst_schedule_contract():
    p = _plan(3, "2026-03-18", ("SPY", "AAPL", "TSLA"))
    b = p.regime.bursts(0)
    assert b.ts_ns.dtype == np.int64 and b.symbol.dtype == np.int32 and b.family.dtype == np.int8
    assert b.profile.dtype == np.int8 and b.burst_id.dtype == np.uint64 and b.direction.dtype == np.int8
    assert np.all(np.diff(b.ts_ns) >= 0) and len(set(b.burst_id.tolist())) == len(b) and b.burst_id.min() > 0
    day = p.regime.day(0)
    assert b.ts_ns.min() >= day.open_ns and b.ts_ns.max() < day.open_ns + day.seconds * 1_000_000_000
    assert set(np.unique(b.symbol)) <= {0, 1, 2} and b.profile.max() < 6
    sub = b.for_symbol(1)
    assert len(sub) > 0 and np.all(sub.symbol == 1)
    # bullish families buy calls, bearish put; retail_chase segments chase with the trend
    from fastsynth.regime.coverage import BEARISH, BULLISH
    assert np.all(b.direction[np.isin(b.family, BULLISH)] == 1) and np.all(b.direction[np.isin(b.family, BEARISH)] == -1)


# ------------------------------------------------------------------------------------------- coverage
def _max_gap_minutes(b, day, profile: int) -> float:
    t = np.concatenate(([day.open_ns], b.ts_ns[b.profile == profile], [day.open_ns + day.seconds * 1_000_000_000]))
    return float(np.diff(t).max() / MIN)


@pytest.mark.parametrize("symbols", [("SPY",), None])
def test_default_controls_cover_every_profile_in_every_20_minute_window(symbols):
    # every sliding 20-minute window contains each public profile <=> no gap between consecutive
    # appearances (session open and close included) exceeds 20 minutes
    cases = [(1, "2026-03-02"), (2, "2026-03-18"), (3, "2026-04-27")] if symbols is None else \
        [(s, d) for s in (1, 2, 3) for d in ("2026-03-02", "2026-03-18", "2026-04-27")]
    for seed, date in cases:
            p = _plan(seed, date, symbols)
            b, day = p.regime.bursts(0), p.regime.day(0)
            for prof in range(6):
                assert _max_gap_minutes(b, day, prof) <= 20.0, (seed, date, PUBLIC_PROFILES[prof])


def test_coverage_assist_off_means_no_boost():
    p = plan(Manifest(seed=2, start="2026-03-02", symbols=["SPY"],
                      control=SyntheticControlState(coverage_assist=False)))
    off = p.regime.bursts(0)
    raw = p.regime.draw_bursts(0, assist_override=False)
    for f in ("ts_ns", "symbol", "family", "profile", "direction"):
        assert np.array_equal(getattr(off, f), getattr(raw, f))
    on = _plan(2, "2026-03-02").regime.bursts(0)
    assert len(on) > len(off)                             # boosted arrivals and choices
    assert not np.array_equal(on.profile, off.profile)


def test_high_weight_raises_frequency_without_starving_others():
    hi = {**{p: 1.0 for p in PUBLIC_PROFILES}, "retail_whale": 1.6}
    n0 = np.zeros(6)
    n1 = np.zeros(6)
    for seed in (1, 2, 3):
        for date in ("2026-03-02", "2026-03-03"):
            p0, p1 = _plan(seed, date, ("SPY", "TSLA")), _plan(seed, date, ("SPY", "TSLA"), profile_weights=hi)
            b1, day = p1.regime.bursts(0), p1.regime.day(0)
            n0 += np.bincount(p0.regime.bursts(0).profile, minlength=6)[:6]
            n1 += np.bincount(b1.profile, minlength=6)[:6]
            for prof in range(6):
                assert _max_gap_minutes(b1, day, prof) <= 20.0
    # 1.6x weight -> share up by ~1.4x (renormalized); require +25% (counts ~600: sd ~4%)
    assert n1[1] > 1.25 * n0[1]
    assert np.all(n1[[0, 2, 3, 4, 5]] > 0.75 * n0[[0, 2, 3, 4, 5]])


def test_quiet_range_is_quieter_than_retail_chase_but_not_dead():
    vq, vr, sq, sr, nq, nr = [], [], [], [], 0, 0
    for seed in (1, 2):
        for date in DATES[:3]:
            q, r = _plan(seed, date, preset_id="quiet_range"), _plan(seed, date, preset_id="retail_chase")
            vq.append(q.regime.day(0).vol.mean())
            vr.append(r.regime.day(0).vol.mean())
            sq.append(q.regime.modulation("SPY", 0).spread_mult.mean())
            sr.append(r.regime.modulation("SPY", 0).spread_mult.mean())
            bq = q.regime.bursts(0)
            nq += len(bq)
            nr += len(r.regime.bursts(0))
            # still emits signals every hour, several profiles
            day = q.regime.day(0)
            hours = (bq.ts_ns - day.open_ns) // (60 * MIN)
            assert set(range(6)) <= set(hours.tolist()) and len(np.unique(bq.profile)) == 6
            mod = q.regime.modulation("SPY", 0)
            assert mod.option_activity.min() > 0.3        # noise keeps flowing
    assert np.mean(vq) < 0.75 * np.mean(vr) and np.mean(sq) < 0.9 * np.mean(sr) and nq < 0.6 * nr


def test_event_driven_has_eligible_symbols_every_window_without_events():
    p = plan(Manifest(seed=9, start="2026-03-02", symbols=["SPY"], event_calendar="none"))
    b, day = p.regime.bursts(0), p.regime.day(0)
    assert _max_gap_minutes(b, day, 2) <= 20.0
