"""Surface shape: put skew and a softer call wing, term structure, event variance in the spanning expiry
(run-up, crush at the release), same-day widening into the close, calendar-arbitrage freedom."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np

from fastsynth.calendar import sessions
from fastsynth.manifest import default_universe
from fastsynth.options.chain import build_chain
from fastsynth.options.surface import build_surface, smile_w

SPECS = {s.symbol: s for s in default_universe()}
SESS = sessions("2026-03-02", 1)[0]     # a Monday


@dataclass
class Ev:
    ts_ns: int
    jump_sd: float = 4.0


def _surf(sym="AAPL", events=(), iv_mult=None):
    spec = SPECS[sym]
    ch = build_chain(spec, SESS.date, spec.price)
    mult = np.ones(SESS.seconds) if iv_mult is None else iv_mult
    return spec, ch, build_surface(spec, ch, SESS, 1.0, mult, list(events))


def test_put_skew_and_softer_call_wing():
    spec, ch, sf = _surf("SPY")
    iv = sf.iv(ch, 3600, spec.price)
    e = ch.expiry == 6                                   # a ~3-week expiry
    k, v = ch.strike[e & (ch.right == 0)], iv[e & (ch.right == 0)]
    atm = np.interp(spec.price, k, v)
    lo, hi = np.interp(spec.price * 0.95, k, v), np.interp(spec.price * 1.05, k, v)
    assert lo > atm + 0.01                               # puts (low strikes) richer
    assert lo - atm > abs(hi - atm)                      # the call wing is softer
    # calls and puts of one strike share the vol (one surface)
    assert np.allclose(iv[e & (ch.right == 0)], iv[e & (ch.right == 1)])


def test_term_structure_mean_reverts_to_long_run():
    calm = _surf("AAPL", iv_mult=np.full(SESS.seconds, 0.7))
    hot = _surf("AAPL", iv_mult=np.full(SESS.seconds, 1.6))
    for (_, ch, sf), sign in ((calm, 1), (hot, -1)):
        atm = np.sqrt(sf.atm_var[:, 0] / sf.tau[:, 0])
        assert np.all(sign * np.diff(atm) > 0)           # upward when calm, inverted when elevated
    # ATM total variance increases with maturity (no calendar arbitrage) in both
    for _, _, sf in (calm, hot):
        assert np.all(np.diff(sf.atm_var, axis=0) > 0)


def test_smile_total_variance_increases_with_maturity_at_every_moneyness():
    k = np.linspace(-1.5, 1.5, 301)
    th = np.linspace(1e-4, 0.5, 200)
    for b, rho, s in ((0.35, -0.7, 0.6), (0.3, -0.4, 0.6)):
        w = smile_w(k[None, :], th[:, None], b, rho, s)
        assert np.all(w > 0) and np.all(np.diff(w, axis=0) > 0)


def test_event_premium_in_spanning_expiry_then_crush():
    release = SESS.open_ns + 3 * 3600 * 10**9            # an intraday release, 12:30 ET
    spec, ch, base = _surf("AAPL")
    _, _, ev = _surf("AAPL", events=[Ev(release)])
    before, after = 3 * 3600 - 60, 3 * 3600 + 60
    atm = lambda sf, s: np.sqrt(sf.atm_var[:, s] / sf.tau[:, s])   # noqa: E731
    bump = atm(ev, before) / atm(base, before) - 1.0
    assert bump[0] > 0.2                                  # the front (spanning) expiry carries the premium
    assert np.all(np.diff(bump) < 0)                      # diluted in longer expiries
    assert np.allclose(atm(ev, after), atm(base, after))  # crushed at the release
    # run-up: the front expiry's premium grows as the release approaches
    assert atm(ev, before)[0] / atm(base, before)[0] > atm(ev, 60)[0] / atm(base, 60)[0]


def test_event_after_close_skips_expiries_that_end_before_it():
    spec = SPECS["SPY"]
    ch = build_chain(spec, SESS.date, spec.price)
    release = SESS.close_ns + 30 * 60 * 10**9
    sf0 = build_surface(spec, ch, SESS, 1.0, np.ones(SESS.seconds), [])
    sf1 = build_surface(spec, ch, SESS, 1.0, np.ones(SESS.seconds), [Ev(release)])
    assert ch.exp_tau[0] == 0.0
    assert np.array_equal(sf0.atm_var[0], sf1.atm_var[0])          # 0DTE expires before the release
    assert np.all(sf1.atm_var[1:, :-1] > sf0.atm_var[1:, :-1])


def test_same_day_vol_rises_into_the_close():
    spec, ch, sf = _surf("SPY")
    n = SESS.seconds
    iv0 = np.sqrt(sf.atm_var[0, :n] / sf.tau[0, :n])
    assert iv0[n - 60] > 1.2 * iv0[n - 3 * 3600]
    iv1 = np.sqrt(sf.atm_var[1, :n] / sf.tau[1, :n])
    assert iv1[n - 60] < 1.05 * iv1[n - 3 * 3600]
