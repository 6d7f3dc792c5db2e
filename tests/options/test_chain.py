"""Chain rules: listed expiries (sessions, holiday shifts, kinds), strike increments, OSI symbols and ids."""
from __future__ import annotations

import datetime as dt

import numpy as np
import pytest

from fastsynth import schemas
from fastsynth.calendar import is_session
from fastsynth.manifest import default_universe
from fastsynth.options.chain import (DAILY_ROOTS, build_chain, instrument_id, listed_expiries, osi_symbol,
                                     parse_osi, strike_grid)

SPECS = {s.symbol: s for s in default_universe()}
MONDAY = dt.date(2026, 3, 2)


def test_osi_format_and_round_trip():
    assert osi_symbol("AAPL", dt.date(2026, 3, 20), 0, 150.0) == "AAPL  260320C00150000"
    assert osi_symbol("SPY", dt.date(2026, 3, 2), 1, 602.5) == "SPY   260302P00602500"
    ch = build_chain(SPECS["AAPL"], MONDAY, 231.37)
    for i in range(0, len(ch), 37):
        root, exp, right, k = parse_osi(ch.symbol[i].as_py())
        assert root == "AAPL" and right == ch.right[i] and k == ch.strike[i]
        assert (exp - dt.date(1970, 1, 1)).days == ch.expiration[i]


def test_ids_are_blake2b_of_osi_and_stable_across_sessions():
    a = build_chain(SPECS["SPY"], MONDAY, 600.0)
    b = build_chain(SPECS["SPY"], dt.date(2026, 3, 3), 604.0)
    ida = dict(zip(a.symbol.to_pylist(), a.instrument_id.tolist()))
    idb = dict(zip(b.symbol.to_pylist(), b.instrument_id.tolist()))
    common = set(ida) & set(idb)
    assert len(common) > 100
    assert all(ida[s] == idb[s] == instrument_id(s) for s in common)
    assert len(set(ida.values())) == len(ida)                    # no collisions within a chain


def test_expiries_are_sessions_with_kinds():
    for sym in ("SPY", "AAPL", "KO"):
        ex = listed_expiries(SPECS[sym], MONDAY)
        dates = [d for d, _ in ex]
        assert dates == sorted(set(dates))
        assert all(is_session(d) and d >= MONDAY for d in dates)
        kinds = {k for _, k in ex}
        assert kinds <= set(schemas.EXPIRY_KINDS)
        assert {"monthly", "quarterly", "leaps"} <= kinds
        assert ("daily" in kinds) == (sym in DAILY_ROOTS)
    spy = listed_expiries(SPECS["SPY"], MONDAY)
    assert spy[0] == (MONDAY, "daily")                              # 0DTE every session
    aapl = dict(listed_expiries(SPECS["AAPL"], MONDAY))
    assert aapl[dt.date(2026, 3, 20)] == "monthly"                  # third Friday
    assert aapl[dt.date(2026, 3, 6)] == "weekly"
    assert all(d.year > 2026 for d, k in aapl.items() if k == "leaps")
    assert all(d.month == 1 for d, k in aapl.items() if k == "leaps")


def test_holiday_expiry_moves_to_prior_session():
    # Good Friday 2026-04-03 and Juneteenth (Friday) 2026-06-19: no session, expiries move to Thursday
    ex = dict(listed_expiries(SPECS["AAPL"], dt.date(2026, 3, 30)))
    assert dt.date(2026, 4, 3) not in ex and dt.date(2026, 4, 2) in ex
    ex = dict(listed_expiries(SPECS["AAPL"], MONDAY))
    assert dt.date(2026, 6, 19) not in ex and ex[dt.date(2026, 6, 18)] == "quarterly"


@pytest.mark.parametrize("sym,near", [("SPY", 1.0), ("AAPL", 2.5), ("F", 0.5), ("NVDA", 1.0), ("LLY", 5.0)])
def test_strike_increments(sym, near):
    spec = SPECS[sym]
    ks = strike_grid(spec, spec.price, 20 / 252)
    assert np.all(np.diff(ks) > 0) and ks.min() > 0
    steps = np.diff(ks)
    close = np.abs(ks[:-1] - spec.price) < 0.05 * spec.price
    assert np.isclose(steps[close].min(), near)                     # fine increment near the money
    assert steps.max() > near                                       # coarser far from the money
    assert np.allclose(np.round(ks / near) * near, ks)              # every strike on the fine grid
    far = strike_grid(spec, spec.price, 1.5)
    assert np.diff(far).min() > near                                 # far-dated: coarser increments
    # the span grows like sqrt(T); at one increment, so does the count
    span = [np.ptp(strike_grid(spec, spec.price, t)) for t in (1 / 252, 0.2, 1.0)]
    assert span[0] <= span[1] <= span[2] and span[0] < span[2]
    assert len(strike_grid(spec, spec.price, 0.2)) >= len(strike_grid(spec, spec.price, 1 / 252))


def test_chain_is_deterministic_sized_and_ordered():
    counts = {}
    for sym in ("SPY", "AAPL", "KO", "F"):
        a = build_chain(SPECS[sym], MONDAY, SPECS[sym].price)
        b = build_chain(SPECS[sym], MONDAY, SPECS[sym].price)
        assert a.symbol.equals(b.symbol) and np.array_equal(a.instrument_id, b.instrument_id)
        counts[sym] = len(a)
        key = np.lexsort((a.right, a.strike, a.expiry))
        assert np.array_equal(key, np.arange(len(a)))
        assert np.all(a.tau == a.exp_tau[a.expiry]) and np.all(np.diff(a.exp_tau) > 0) | (len(a.exp_tau) < 2)
        assert a.exp_tau[0] >= 0 and np.all(a.dte == a.exp_dte[a.expiry])
    assert 100 <= min(counts.values()) and max(counts.values()) <= 2000
    assert counts["SPY"] == max(counts.values())
