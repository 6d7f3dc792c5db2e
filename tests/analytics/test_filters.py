"""Signal filter: the source's rules and exact default thresholds, balanced caps, all; raw rows kept."""
from __future__ import annotations

import numpy as np
import pyarrow as pa
import pytest

from ._flowdata import T0, Tape
from fastsynth import schemas
from fastsynth.analytics.filters import signal_filter, signal_filter_arrays
from fastsynth.analytics.flow import flow
from fastsynth.analytics.params import DEFAULT_ETF_UNDERLYINGS, SignalParams

A, MID, B, NONE = 1, 2, 3, -1
ISO, AUTO = schemas.OPTION_CONDITIONS.index("ISOI"), 0
FRESH, STALE = 100_000_000, 2_000_000_000


def decide(notional, size=10, place=A, age=FRESH, cond=AUTO, etf=False, mode="smart-money"):
    sig, r = signal_filter_arrays(np.array([notional], float), np.array([size], float), np.array([place], np.int8),
                                  np.array([age], np.int64), np.array([cond], np.int8), np.array([etf]),
                                  SignalParams(mode=mode))
    return bool(sig[0]), schemas.SIGNAL_REASONS[r[0]]


CASES = [
    # (kwargs, expected signal, reason) -- thresholds: the source's smart-money defaults
    (dict(notional=9_999), False, "reject:min-notional"),
    (dict(notional=10_000), True, "keep:ask-side"),
    (dict(notional=49_999, etf=True), False, "reject:etf-min-notional"),
    (dict(notional=50_000, etf=True), True, "keep:ask-side"),
    (dict(notional=24_999, place=B), False, "reject:bid-side-min-notional"),
    (dict(notional=25_000, place=B), False, "reject:no-signal-rule"),
    (dict(notional=25_000, place=B, cond=ISO), True, "keep:sweep-or-iso"),
    (dict(notional=19_999, place=MID), False, "reject:mid-min-notional"),
    (dict(notional=19_999, place=MID, cond=ISO), False, "reject:no-signal-rule"),
    (dict(notional=24_999, place=MID, cond=ISO), False, "reject:no-signal-rule"),
    (dict(notional=49_999, age=STALE), False, "reject:missing-nbbo-min-notional"),
    (dict(notional=49_999, place=NONE, age=-1), False, "reject:missing-nbbo-min-notional"),
    (dict(notional=50_000, age=STALE, size=500), True, "keep:large-contract-count"),
    (dict(notional=100_000, place=B), True, "keep:auto-large"),
    (dict(notional=100_000, place=B, etf=True), True, "keep:auto-large"),
    (dict(notional=60_000, place=MID, size=499), False, "reject:no-signal-rule"),
    (dict(notional=20_000, place=MID, size=500), True, "keep:large-contract-count"),
    (dict(notional=1, mode="all"), True, "mode:all"),
    # balanced: same shape, thresholds 5k / 25k / 15k / 12.5k / 25k / 15k / 75k
    (dict(notional=5_000, mode="balanced"), True, "keep:ask-side"),
    (dict(notional=4_999, mode="balanced"), False, "reject:min-notional"),
    (dict(notional=15_000, place=B, cond=ISO, mode="balanced"), True, "keep:sweep-or-iso"),
    (dict(notional=12_499, place=MID, mode="balanced"), False, "reject:mid-min-notional"),
    (dict(notional=24_999, age=STALE, mode="balanced"), False, "reject:missing-nbbo-min-notional"),
    (dict(notional=75_000, place=MID, mode="balanced"), True, "keep:auto-large"),
]


@pytest.mark.parametrize("kw,signal,reason", CASES)
def test_rules(kw, signal, reason):
    assert decide(**kw) == (signal, reason)


def test_stale_threshold_is_1500ms():
    assert decide(10_000, age=1_500_000_000) == (True, "keep:ask-side")
    assert decide(10_000, age=1_500_000_001)[1] == "reject:missing-nbbo-min-notional"


def test_defaults_are_the_sources():
    p = SignalParams()
    assert (p.mode, p.min_notional, p.etf_min_notional, p.bid_side_min_notional, p.mid_min_notional,
            p.nbbo_max_age_ms) == ("smart-money", 10_000, 50_000, 25_000, 20_000, 1500)
    assert "SPY" in DEFAULT_ETF_UNDERLYINGS and "ARKK" in DEFAULT_ETF_UNDERLYINGS and len(DEFAULT_ETF_UNDERLYINGS) == 16


def test_raw_and_signal_views_keep_every_row():
    tape = Tape(41)
    tape.noise(200, T0, T0 + 600 * 10**9, und="SPY")
    tape.burst("call_sweep", T0 + 300 * 10**9, und="SPY")
    tab = tape.table()
    for mode in ("smart-money", "balanced", "all"):
        from fastsynth.analytics.params import AnalyticsParams
        fp = flow(tab, params=AnalyticsParams(signal=SignalParams(mode=mode)))["flow_prints"]
        assert fp.num_rows == tab.num_rows
        assert fp.column("trade_id").to_pylist() == tab.column("trade_id").to_pylist()
    raw = signal_filter(tab)
    assert raw.num_rows == tab.num_rows and raw.column("signal").to_pylist().count(True) > 0
    # ETF list is configurable: SPY as a stock lets more through
    etf = signal_filter(tab).column("signal").to_pylist().count(True)
    stock = signal_filter(tab, SignalParams(etf_underlyings=())).column("signal").to_pylist().count(True)
    assert stock >= etf
