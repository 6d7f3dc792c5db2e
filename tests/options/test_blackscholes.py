"""Black–Scholes–Merton kernels against QuantLib (an independent implementation), put–call parity,
finite-difference greeks and the implied-vol round trip."""
from __future__ import annotations

import functools
import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from fastsynth.kernels.blackscholes import bs_greeks, bs_price, implied_vol

ql = pytest.importorskip("QuantLib")

REL = 1e-10   # the tolerance: both sides are double-precision closed forms


def _grid(rng, n=400):
    S = rng.uniform(5.0, 800.0, n)
    # strikes within +-4 standard deviations, so prices are not pure round-off
    tau = rng.uniform(1.0 / 252 / 6.5, 3.0, n)
    sig = rng.uniform(0.05, 1.2, n)
    z = rng.uniform(-4.0, 4.0, n)
    K = S * np.exp(z * sig * np.sqrt(tau))
    r = rng.uniform(-0.01, 0.08, n)
    q = rng.uniform(0.0, 0.05, n)
    right = rng.integers(0, 2, n).astype(np.int8)
    return S, K, tau, sig, r, q, right


def test_price_and_greeks_match_quantlib(rng):
    S, K, tau, sig, r, q, right = _grid(rng)
    for i in range(S.shape[0]):
        g = bs_greeks(S[i], K[i], tau[i], sig[i], right[i], r=r[i], q=q[i])
        dr, dq = math.exp(-r[i] * tau[i]), math.exp(-q[i] * tau[i])
        payoff = ql.PlainVanillaPayoff(ql.Option.Call if right[i] == 0 else ql.Option.Put, float(K[i]))
        bc = ql.BlackCalculator(payoff, float(S[i] * dq / dr), float(sig[i] * math.sqrt(tau[i])), dr)
        ref = {"price": bc.value(), "delta": bc.delta(float(S[i])), "gamma": bc.gamma(float(S[i])),
               "vega": bc.vega(float(tau[i])), "theta": bc.theta(float(S[i]), float(tau[i])),
               "rho": bc.rho(float(tau[i]))}
        # theta is a sum of terms of either sign (time decay of the optionality, carry of S and K): its
        # round-off is relative to the largest term, not to the (possibly much smaller) sum
        sq = sig[i] * math.sqrt(tau[i])
        d1 = (math.log(S[i] / K[i]) + (r[i] - q[i]) * tau[i]) / sq + 0.5 * sq
        theta_terms = (S[i] * dq * math.exp(-0.5 * d1 * d1) / math.sqrt(2 * math.pi) * sig[i] / (2 * math.sqrt(tau[i]))
                       + abs(q[i]) * S[i] * dq + abs(r[i]) * K[i] * dr)
        for name, want in ref.items():
            got = float(g[name])
            # relative to the quantity's own scale (a greek crossing zero has no relative precision)
            scale = max(abs(want), {"price": 1e-6 * S[i], "delta": 1e-6, "gamma": 1e-9, "vega": 1e-6 * S[i],
                                    "theta": max(1e-6 * S[i], theta_terms), "rho": 1e-6 * K[i]}[name])
            assert abs(got - want) <= REL * scale, (name, i, got, want)


def test_put_call_parity(rng):
    S, K, tau, sig, r, q, _ = _grid(rng, 2000)
    c = bs_price(S, K, tau, sig, 0, r=0.03, q=0.01)
    p = bs_price(S, K, tau, sig, 1, r=0.03, q=0.01)
    fwd = S * np.exp(-0.01 * tau) - K * np.exp(-0.03 * tau)
    assert np.all(np.abs((c - p) - fwd) <= 1e-13 * np.maximum(S, K) * 10)


def test_greeks_match_finite_differences(rng):
    S, K, tau, sig, r, q, right = _grid(rng, 200)
    r0, q0 = 0.03, 0.015
    g = bs_greeks(S, K, tau, sig, right, r=r0, q=q0)
    h = 1e-4

    def f(**kw):
        a = dict(S=S, K=K, tau=tau, sigma=sig)
        a.update(kw)
        return bs_price(a["S"], a["K"], a["tau"], a["sigma"], right, r=kw.get("r", r0), q=q0)

    fd = {"delta": (f(S=S * (1 + h)) - f(S=S * (1 - h))) / (2 * h * S),
          "gamma": (f(S=S * (1 + h)) - 2 * f() + f(S=S * (1 - h))) / (h * S) ** 2,
          "vega": (f(sigma=sig + h) - f(sigma=sig - h)) / (2 * h),
          "theta": -(f(tau=tau + h * tau) - f(tau=tau - h * tau)) / (2 * h * tau),
          "rho": (f(r=r0 + h) - f(r=r0 - h)) / (2 * h)}
    for name, v in fd.items():
        # central differences: O(h^2) truncation plus round-off / h (gamma: / h^2). For gamma the round-off
        # term is explicit: prices of deep in-the-money options (up to max(S, K)) carry a few ulps of noise,
        # divided by (h S)^2 (without it the check failed for ~1 seed in 2, in the old and new kernels alike)
        ulps = 4 * 2.2e-16 * np.maximum(S, K) / (h * S) ** 2
        tol = 1e-4 * (np.abs(v) + 1e-3 * S) if name != "gamma" else 1e-3 * np.abs(v) + 1e-6 / S + ulps
        assert np.all(np.abs(g[name] - v) <= tol), name


@given(S=st.floats(1.0, 2000.0), m=st.floats(-2.5, 2.5), tau=st.floats(1e-4, 5.0), sig=st.floats(0.02, 2.0),
       right=st.integers(0, 1), r=st.floats(-0.02, 0.1), q=st.floats(0.0, 0.08))
def test_implied_vol_round_trip(S, m, tau, sig, right, r, q):
    K = S * math.exp(m * sig * math.sqrt(tau))       # within 2.5 sd: the price carries time value
    p = float(bs_price(S, K, tau, sig, right, r=r, q=q))
    iv = float(implied_vol(p, S, K, tau, right, r=r, q=q))
    vega = float(bs_greeks(S, K, tau, sig, right, r=r, q=q)["vega"])
    # the price is known to ~1e-16 of its scale, so the vol to that over vega
    tol = 1e-9 + 4e-15 * max(S, K) / max(vega, 1e-300)
    assert abs(iv - sig) <= tol * max(1.0, sig), (iv, sig)


def test_implied_vol_outside_bounds_is_nan():
    S, K, tau, r, q = 100.0, 90.0, 0.5, 0.03, 0.01
    intrinsic = S * math.exp(-q * tau) - K * math.exp(-r * tau)
    assert math.isnan(float(implied_vol(intrinsic - 0.01, S, K, tau, 0, r=r, q=q)))   # below intrinsic
    assert math.isnan(float(implied_vol(S, S, K, tau, 0, r=r, q=q)))                   # at/above S e^{-q tau}
    assert math.isnan(float(implied_vol(K, S, K, tau, 1, r=r, q=q)))                   # put above K e^{-r tau}
    assert math.isnan(float(implied_vol(-1.0, S, K, tau, 1, r=r, q=q)))
    assert float(implied_vol(intrinsic, S, K, tau, 0, r=r, q=q)) == 0.0


def test_expired_or_zero_vol_is_intrinsic():
    g = bs_greeks(np.array([110.0, 90.0]), 100.0, 0.0, 0.2, 0, r=0.05, q=0.0)
    np.testing.assert_allclose(g["price"], [10.0, 0.0])
    np.testing.assert_allclose(g["delta"], [1.0, 0.0])
    assert np.all(g["gamma"] == 0.0)


@functools.lru_cache(maxsize=1)
def _iv_guess():
    from numba import njit

    from fastsynth.kernels.blackscholes import implied_vol1

    @njit
    def iv(p, S, K, tau, right, guess):
        return implied_vol1(p, S, K, tau, 0.04, 0.01, right, guess)

    return iv


def test_normal_cdf_matches_libm_erfc_in_both_tails():
    """Cody's rational erfc (shared-exp form) against libm: ~1e-15 relative in the body, the tails limited
    only by exp(-x^2/2)'s rounding (x^2/2 ulps: < 3e-13 at x = -37)."""
    from numba import njit

    from fastsynth.kernels.blackscholes import ndtr

    @njit
    def f(x, out):
        for i in range(x.shape[0]):
            out[i] = ndtr(x[i])

    x = np.concatenate([np.linspace(-37.0, 8.0, 90_001), -np.logspace(-8, 1.2, 2_001), [0.0, 0.46875 * math.sqrt(2),
                                                                                         4.0 * math.sqrt(2)]])
    got = np.empty_like(x)
    f(x, got)
    want = np.array([0.5 * math.erfc(-v / math.sqrt(2)) for v in x])
    rel = np.abs(got - want) / want
    assert np.all(rel <= 2e-15 + 3e-16 * x * x)


def test_chain_kernel_equals_generic_kernel(rng):
    from fastsynth.kernels.blackscholes import bs_chain_k

    n, ne = 500, 7
    tau_e = np.sort(rng.uniform(1e-3, 2.0, ne))
    expiry = np.sort(rng.integers(0, ne, n)).astype(np.int32)
    K = 100.0 * np.exp(rng.uniform(-0.5, 0.5, n))
    sig = rng.uniform(0.08, 0.9, n)
    right = rng.integers(0, 2, n).astype(np.int8)
    outs = [np.empty(n) for _ in range(6)]
    bs_chain_k(100.0, K, right, sig, expiry, tau_e, 0.04, 0.012, *outs)
    ref = bs_greeks(100.0, K, tau_e[expiry], sig, right, r=0.04, q=0.012)
    for name, got in zip(("price", "delta", "gamma", "vega", "theta", "rho"), outs):
        np.testing.assert_allclose(got, ref[name], rtol=1e-13, atol=1e-13 * 100.0, err_msg=name)


@given(S=st.floats(1.0, 2000.0), m=st.floats(-3.0, 3.0), tau=st.floats(1e-4, 5.0), sig=st.floats(0.02, 2.0),
       right=st.integers(0, 1), err=st.floats(-0.5, 0.5))
def test_implied_vol_from_a_nearby_guess_is_exact_in_price(S, m, tau, sig, right, err):
    """Newton started at a guess (the surface's vol in the print generator) lands on the same root: the
    price round trip is exact to 1e-10 relative."""
    iv = _iv_guess()
    K = S * math.exp(m * sig * math.sqrt(tau))
    p = float(bs_price(S, K, tau, sig, right, r=0.04, q=0.01))
    intrinsic = max(0.0, (1 if right == 0 else -1) * (S * math.exp(-0.01 * tau) - K * math.exp(-0.04 * tau)))
    if not p > intrinsic * (1 + 1e-12) + 1e-300 * S:
        return
    v = iv(p, S, K, tau, right, sig * (1.0 + err))
    back = float(bs_price(S, K, tau, v, right, r=0.04, q=0.01))
    assert abs(back - p) <= 1e-10 * p + 1e-14 * max(S, K), (v, sig, back, p)
