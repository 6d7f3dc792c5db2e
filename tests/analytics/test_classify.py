"""Classifiers: sweep / spike / 0DTE hits with the source's thresholds; the six profiles on subtype
templates (each family's footprint reaches its profile, nearby wrong profiles stay below the emission
threshold); abstention with a reason; evidence ids; parameters."""
from __future__ import annotations

import msgspec
import numpy as np
import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ._flowdata import DESK_CALENDAR, SPECS, T0, Tape
from fastsynth import schemas
from fastsynth.analytics.flow import flow
from fastsynth.analytics.params import AnalyticsParams, ClassifierParams, load_params, params_from_data
from fastsynth.errors import ConfigError

PUBLIC_FAMILIES = [f for f in schemas.FAMILIES if schemas.FAMILY_PROFILE[schemas.FAMILIES.index(f)] < 6]
NOISE_FAMILIES = [f for f in schemas.FAMILIES if schemas.FAMILY_PROFILE[schemas.FAMILIES.index(f)] == 6]


def _profile(family: str) -> str:
    return schemas.PROFILES[schemas.FAMILY_PROFILE[schemas.FAMILIES.index(family)]]


# short-dated directional accumulation is event-driven only on the expiry that carries a scheduled event, or after
# a move its way: the event families' template tests are a desk with a calendar (``DESK_CALENDAR``, handed to
# flow too): the ramp trades the expiry spanning the next release; the follow-through comes 30 s after a gap,
# with a few background prints before it so the move is visible on the tape
EVENT_FAMILIES = ("earnings_vol_probe", "pre_event_directional_ramp", "post_gap_followthrough")


def test_short_dated_accumulation_without_event_or_move_abstains():
    """The same ramp with no scheduled event ahead (and no move its way) is not claimed as event-driven."""
    tape = Tape(1)
    tape.burst("pre_event_directional_ramp", T0 + 60 * 10**9, direction=1)
    ev = flow(tape.table())["smart_money_events"].to_pylist()
    assert not [e for e in ev if e["outcome"] == "emitted" and e["profile"] == "event_driven"]


@pytest.mark.parametrize("family", PUBLIC_FAMILIES)
@pytest.mark.parametrize("seed", [1, 2, 3])
def test_subtype_template_reaches_its_profile_only(family, seed):
    """One burst of the family's template on a quiet tape: an emitted event of its profile with evidence
    from the burst; no emitted event of any other profile (nearby wrong profiles stay below threshold)."""
    tape = Tape(seed, events=DESK_CALENDAR if family in EVENT_FAMILIES else None)
    if family == "post_gap_followthrough":
        tape.noise(12, T0, T0 + 25 * 10**9)          # the tape before the gap (at T0 + 30 s)
    tids = set(tape.burst(family, T0 + 60 * 10**9, direction=1 if seed % 2 else -1))
    table = tape.table()
    events = tape.calendar() if family in EVENT_FAMILIES else None
    ev = flow(table, events=events)["smart_money_events"].to_pylist()
    emitted = [e for e in ev if e["outcome"] == "emitted"]
    assert emitted, f"{family}: nothing emitted ({[e['reason'] for e in ev]})"
    assert {e["profile"] for e in emitted} == {_profile(family)}, [e["reason"] for e in emitted]
    for e in emitted:
        assert set(e["evidence"]) <= tids and e["evidence"]
        assert e["confidence"] >= 0.6 and e["confidence"] - e["runner_up_confidence"] >= 0.15
        assert e["reason"].startswith(_profile(family))


@pytest.mark.parametrize("family", NOISE_FAMILIES)
def test_noise_templates_stay_below_threshold(family):
    tape = Tape(9)
    t = T0 + 60 * 10**9
    for _ in range(20):
        tape.burst(family, t)
        t += 700 * 10**9       # apart: each burst judged on its own
    ev = flow(tape.table())["smart_money_events"].to_pylist()
    assert not [e for e in ev if e["outcome"] == "emitted"]


def test_abstention_is_recorded_with_reason():
    """A large ask-side single print on a 30-DTE contract fits no profile: abstained, with the reason."""
    tape = Tape(12)
    tape._row(T0 + 10**9, "AAPL", 0, 200.0, 30, 400, 0, "AUTO", "A", 0, 200.0, 10_000_000)
    ev = flow(tape.table())["smart_money_events"].to_pylist()
    assert len(ev) == 1 and ev[0]["outcome"] == "abstained"
    assert ev[0]["reason"].startswith("abstained: no profile pattern")
    assert ev[0]["evidence"] == [1]


def test_hits_sweep_spike_0dte():
    tape = Tape(13)
    tape.noise(300, T0, T0 + 1800 * 10**9)
    sw = set(tape.burst("call_sweep", T0 + 900 * 10**9))
    # a 0DTE near-the-money block: 500 lots, one print
    z = tape._row(T0 + 1000 * 10**9, "AAPL", 0, 200.0, 0, 500, 3, "AUTO", "A", 0, 200.0, 10_000_000)
    out = flow(tape.table())
    hits = out["classifier_hits"].to_pylist()
    kinds = {h["kind"] for h in hits}
    sweep = [h for h in hits if h["kind"] == "sweep"]
    zero = [h for h in hits if h["kind"] == "0dte"]
    assert sweep and set(sweep[0]["evidence"]) == sw and sweep[0]["direction"] == "bullish"
    assert zero and zero[0]["evidence"] == [z]
    assert kinds <= {"sweep", "spike", "0dte"}
    for h in hits:
        assert 0 <= h["confidence"] <= 1 and h["reason"]


def test_sweep_hit_thresholds_follow_params():
    tape = Tape(14)
    tape.burst("call_sweep", T0 + 10**9)
    tab = tape.table()
    prem = sum(r["price"] * r["size"] * 100 for r in tab.to_pylist())
    n = tab.num_rows
    below = AnalyticsParams(classifier=ClassifierParams(sweep_min_premium=prem + 1))
    at = AnalyticsParams(classifier=ClassifierParams(sweep_min_premium=prem - 1, sweep_min_count=n))
    more = AnalyticsParams(classifier=ClassifierParams(sweep_min_premium=1.0, sweep_min_count=n + 1))
    kinds = lambda p: [h["kind"] for h in flow(tab, params=p)["classifier_hits"].to_pylist()]  # noqa: E731
    assert "sweep" not in kinds(below)
    assert "sweep" in kinds(at)
    assert "sweep" not in kinds(more)


def test_classifier_ignores_label_columns():
    """Extra (hidden-label-like) columns on the input change nothing: only public columns are read."""
    tape = Tape(15)
    tape.burst("box_spread", T0 + 10**9)
    tape.burst("call_sweep", T0 + 100 * 10**9)
    tab = tape.table()
    fam = [tape.labels[t][0] for t in tab.column("trade_id").to_pylist()]
    a = flow(tab)["smart_money_events"]
    b = flow(tab.append_column("family", pa.array(fam)).append_column("profile", pa.array(fam)))["smart_money_events"]
    assert a.equals(b)


def test_params_load_and_validate(tmp_path):
    p = tmp_path / "flow.yaml"
    p.write_text("classifier:\n  sweep_min_premium: 50000\nsignal:\n  mode: balanced\n")
    got = load_params(p)
    assert got.classifier.sweep_min_premium == 50000 and got.signal.mode == "balanced"
    (tmp_path / "f.toml").write_text("[baseline]\nwindow_size = 20\n")
    assert load_params(tmp_path / "f.toml").baseline.window_size == 20
    with pytest.raises(ConfigError, match="classifier.sweep_min_premum.*did you mean 'sweep_min_premium'"):
        params_from_data({"classifier": {"sweep_min_premum": 1}})
    with pytest.raises(ConfigError, match="signal.mode: got 'smart'; allowed: smart-money | balanced | all"):
        params_from_data({"signal": {"mode": "smart"}})
    with pytest.raises(ConfigError, match="classifier.min_aggressor_ratio: got 1.5"):
        params_from_data({"classifier": {"min_aggressor_ratio": 1.5}})
    # an invalid enum value names the allowed values of *its* field (was always signal.mode's)
    with pytest.raises(ConfigError) as ei:
        params_from_data({"candles": {"late": "drop"}})
    assert "candles.late: got 'drop'; allowed: count | revise" in str(ei.value)
    assert "smart-money" not in str(ei.value)
    assert msgspec.json.decode(msgspec.json.encode(AnalyticsParams()), type=AnalyticsParams) == AnalyticsParams()


def test_source_defaults():
    c = ClassifierParams()
    assert (c.sweep_min_premium, c.sweep_min_count, c.sweep_min_premium_z) == (40_000, 3, 2)
    assert (c.spike_min_premium, c.spike_min_size, c.spike_min_premium_z, c.spike_min_size_z) == (20_000, 400, 2.5, 2)
    assert (c.min_nbbo_coverage, c.min_aggressor_ratio) == (0.5, 0.55)
    assert (c.zero_dte_max_atm_pct, c.zero_dte_min_premium, c.zero_dte_min_size) == (0.01, 20_000, 400)
    p = AnalyticsParams()
    assert (p.baseline.window_size, p.baseline.z_min_samples, p.cluster.window_ms) == (50, 12, 500)


@settings(max_examples=400, deadline=None)
@given(n=st.integers(1, 7), lots=st.floats(0.0, 19.99), dte=st.integers(0, 400), front=st.integers(0, 1),
       sweep=st.integers(0, 1), iso=st.integers(0, 7), fr=st.lists(st.floats(0.0, 1e4), min_size=9, max_size=9),
       big=st.booleans(), mv=st.floats(-500, 500), to_event=st.sampled_from([np.inf, 3600.0, 86_400.0 * 3]))
def test_packet_alone_skip_is_exact(n, lots, dte, front, sweep, iso, fr, big, mv, to_event):
    """The classify kernel skips scoring a packet alone (joining a running episode) when it is single-leg without
    TLET, under RW_MIN_PRINTS prints and 20 lots a print, not far-dated 100+ lots and not an ISO sweep: every
    such packet row must score 0 on every profile (``_score``'s rules, run as Python)."""
    from fastsynth.kernels import classify as KC
    size = lots * n
    if dte >= 100 and size >= 100.0:
        return
    if sweep and iso:
        iso = 0
    ask, bid, mid, sa, sb, quoted, slan, delta, delta_w = fr
    sc = KC._score.py_func(KC.S_SINGLE, front % 2, dte, front, 10**18, float(n), size, size * 100.0 * 3.0, ask,
                           bid, mid, sa, sb, min(quoted, n), float(min(iso, n)), min(slan, n), 0.0, delta, delta_w,
                           0.01, 1.0 if big else 0.0, size if big else 0.0, float(n) if big else 0.0,
                           size if big else 0.0, size, float(sweep), 250.0, to_event, mv)
    assert all(x == 0.0 for x in sc[:6]) and all(r == KC.RULE_NONE for r in sc[6:])


@settings(max_examples=400, deadline=None)
@given(n=st.floats(0.01, 7.49), lots=st.floats(0.0, 19.99), dte=st.integers(0, 400), front=st.integers(0, 1),
       sweeps=st.floats(0.0, 0.49), nba=st.floats(0.0, 2.99), fr=st.lists(st.floats(0.0, 1e4), min_size=13, max_size=13),
       mv=st.floats(-500, 500), to_event=st.sampled_from([np.inf, 3600.0, 86_400.0 * 3]))
def test_episode_skip_is_exact(n, lots, dte, front, sweeps, nba, fr, mv, to_event):
    """The classify kernel skips scoring an episode (decayed sums) that is single-leg without TLET, under
    RW_MIN_PRINTS prints and 20 lots a print, not far-dated 100+ lots, under 0.5 sweeps and 3 big ask-side
    packets: every such row must score 0 on every profile."""
    from fastsynth.kernels import classify as KC
    size = lots * n
    if dte >= 100 and size >= 100.0:
        return
    ask, bid, mid, sa, sb, quoted, iso, slan, delta, delta_w, ba_size, ba_n, ba_max = fr
    sc = KC._score.py_func(KC.S_SINGLE, front % 2, dte, front, 10**18, n, size, size * 100.0 * 3.0, ask, bid, mid,
                           sa, sb, quoted, iso, slan, 0.0, delta, delta_w, 0.01, nba, ba_size, ba_n, ba_max, size,
                           sweeps, 250.0, to_event, mv)
    assert all(x == 0.0 for x in sc[:6]) and all(r == KC.RULE_NONE for r in sc[6:])


@given(st.integers(0, 2**52), st.integers(1, 2**40), st.sampled_from([20.0, 40.0]))
def test_avg_lots_test_without_division(size, n, lots):
    """``classify`` tests "lots per print >= X" as ``size >= X * n`` (no division): for whole-number sizes and
    print counts below 2**47 it agrees with ``size / n >= X`` (the round-4 form), including at the boundary."""
    for s in (float(size), float(lots * n), float(lots * n - 1), float(lots * n + 1)):
        if s >= 0:
            assert (s / n >= lots) == (s >= lots * n)
            assert (s / n < lots) == (s < lots * n)
