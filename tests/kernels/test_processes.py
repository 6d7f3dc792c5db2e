"""Tests for ``fastsynth.kernels.processes``: bit-exact against the readable reference, chunk invariance,
and closed-form moments.

Statistical tests use fixed seeds, so they are deterministic; each tolerance is a multiple (5) of the
standard error of the estimator computed from the model's known (closed-form) law, so a correct kernel
passes with overwhelming margin for essentially any seed (|N(0,1)| > 5 has probability 6e-7) while a wrong
drift, variance, compensator, jump law or discretization shows up as many standard errors.

The reference-equality and chunk-invariance tests also pass with ``NUMBA_DISABLE_JIT=1`` (the statistical
tests are skipped there: they need millions of draws).
"""
from __future__ import annotations

import math

import numba
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fastsynth.kernels import processes as kp
from fastsynth.rng import derive_key, normals, uniforms

try:  # rootdir-relative layout used by pytest's default "prepend" import mode (tests/ is not a package)
    from reference import processes as ref
except ImportError:  # pragma: no cover - if tests/ becomes a package
    from tests.reference import processes as ref

JIT = not numba.config.DISABLE_JIT
needs_jit = pytest.mark.skipif(not JIT, reason="statistical test needs millions of draws (NUMBA_DISABLE_JIT=1)")
SLOW = [pytest.mark.slow, needs_jit]

Z_TOL = 5.0  # tolerance in standard errors for every moment test

GBM = dict(mu=0.05, sigma=0.2, dt=1.0 / 252.0)
MERTON_CASES = {
    "rare": dict(mu=0.05, sigma=0.2, lam=5.0, jump_mu=-0.05, jump_sigma=0.1, dt=1.0 / 252.0),  # lam dt = 0.02
    "frequent": dict(mu=0.0, sigma=0.3, lam=400.0, jump_mu=0.01, jump_sigma=0.02, dt=1.0 / 160.0),  # 2.5
    "no_jumps": dict(mu=0.1, sigma=0.25, lam=0.0, jump_mu=0.0, jump_sigma=0.1, dt=0.01),
}
OU = dict(theta=2.0, mean=1.5, sigma=0.3, dt=0.01)


# --------------------------------------------------------------------------------------------- runners
def run_gbm(key, start, x0, n, mu, sigma, dt):
    out = np.full(n, np.nan)
    kp.gbm_log_path(key[0], key[1], start, x0, mu, sigma, dt, out)
    return out


def run_merton(key, start, x0, n, mu, sigma, lam, jump_mu, jump_sigma, dt):
    out = np.full(n, np.nan)
    kp.merton_log_path(key[0], key[1], start, x0, mu, sigma, lam, jump_mu, jump_sigma, dt, out)
    return out


def run_ou(key, start, x0, n, theta, mean, sigma, dt):
    out = np.full(n, np.nan)
    kp.ou_path(key[0], key[1], start, x0, theta, mean, sigma, dt, out)
    return out


# ------------------------------------------------------------------------------ reference, bit for bit
# n = 2500 spans several blocks (BLOCK = 1024 steps, 512 for Merton) and a partial last block; odd starts
# exercise the half-Philox-block path of fill_uniform; 2**33 + 5 exercises the high counter word.
REF_CASES = [(0, 2500), (1, 2500), (2**33 + 5, 1100), (7, 0), (7, 1), (4, 2)]


@pytest.mark.parametrize("start,n", REF_CASES)
def test_gbm_matches_reference(start, n):
    key = derive_key(11, "gbm")
    got = run_gbm(key, start, 4.6, n, **GBM)
    want = ref.gbm_log_path(key, start, 4.6, GBM["mu"], GBM["sigma"], GBM["dt"], n)
    assert got.dtype == np.float64 and got.shape == (n,)
    assert np.array_equal(got, want)


@pytest.mark.parametrize("case", sorted(MERTON_CASES))
@pytest.mark.parametrize("start,n", REF_CASES)
def test_merton_matches_reference(case, start, n):
    p = MERTON_CASES[case]
    key = derive_key(12, "merton", case)
    got = run_merton(key, start, -0.3, n, **p)
    want = ref.merton_log_path(key, start, -0.3, p["mu"], p["sigma"], p["lam"], p["jump_mu"],
                               p["jump_sigma"], p["dt"], n)
    assert np.array_equal(got, want)


@pytest.mark.parametrize("dt", [0.01, 0.7])
@pytest.mark.parametrize("start,n", REF_CASES)
def test_ou_matches_reference(start, n, dt):
    p = dict(OU, dt=dt)
    key = derive_key(13, "ou")
    got = run_ou(key, start, 0.2, n, **p)
    want = ref.ou_path(key, start, 0.2, p["theta"], p["mean"], p["sigma"], p["dt"], n)
    assert np.array_equal(got, want)


def test_merton_reference_has_jumps():
    """Guard that the reference cases really exercise the jump branch (incl. several jumps per step)."""
    p = MERTON_CASES["frequent"]
    us = uniforms(derive_key(12, "merton", "frequent"), 0, 3 * 600)[1::3]
    counts = [ref.poisson_inv(u, p["lam"] * p["dt"]) for u in us]
    assert min(counts) == 0 and max(counts) >= 5


def test_kernels_write_only_out_and_return_none():
    key = derive_key(1, "contract")
    for fn, args in [(kp.gbm_log_path, (0.0, 0.05, 0.2, 0.01)),
                     (kp.merton_log_path, (0.0, 0.05, 0.2, 3.0, -0.02, 0.05, 0.01)),
                     (kp.ou_path, (0.0, 1.0, 0.0, 0.3, 0.01))]:
        buf = np.full(10, np.nan)
        assert fn(key[0], key[1], 5, *args, buf[2:8]) is None
        assert np.isnan(buf[:2]).all() and np.isnan(buf[8:]).all() and np.isfinite(buf[2:8]).all()


# ---------------------------------------------------------------------------------- Poisson sampler
@pytest.mark.parametrize("lam_dt", [1e-4, 0.02, 0.5, 3.0, 25.0])
def test_poisson_inv_is_the_inverse_cdf(lam_dt):
    from scipy.stats import poisson

    u = (np.arange(1, 2000) - 0.5) / 1999.0
    u = np.concatenate([u, [1e-300, 1e-12, 1 - 1e-12, 1 - 2.0**-53]])
    p0 = math.exp(-lam_dt)
    got = np.array([kp.poisson_inv(x, lam_dt, p0) for x in u])
    assert np.array_equal(got, [ref.poisson_inv(x, lam_dt) for x in u])
    # F(N - 1) < u <= F(N), up to the rounding of the running sum (1e-12 is far above it)
    assert np.all(poisson.cdf(got - 1, lam_dt) < u + 1e-12)
    assert np.all(u <= poisson.cdf(got, lam_dt) + 1e-12)


# ----------------------------------------------------------------------------------- chunk invariance
@settings(max_examples=30, deadline=None, database=None)
@given(seed=st.integers(0, 2**32 - 1), start=st.integers(0, 2**40), n=st.integers(0, 2600),
       frac=st.floats(0.0, 1.0))
def test_chunk_invariance(seed, start, n, frac):
    k = min(n, int(frac * n))
    key = derive_key(seed, "chunks")
    m = MERTON_CASES["frequent"]
    runs = [
        (run_gbm, dict(GBM), 4.0),
        (run_merton, dict(m), 4.0),
        (run_ou, dict(OU, dt=0.3), 0.5),
    ]
    for run, params, x0 in runs:
        whole = run(key, start, x0, n, **params)
        first = run(key, start, x0, k, **params)
        second = run(key, start + k, first[-1] if k else x0, n - k, **params)
        assert np.array_equal(np.concatenate([first, second]), whole), run.__name__


# ------------------------------------------------------------------------------ closed-form moments
def terminal_values(run, params, n_paths, n_steps, x0=0.0, seed=2024, name="paths"):
    """x_T of n_paths independent paths: path p uses draw range [p*n_steps, (p+1)*n_steps) of one stream
    (disjoint counter ranges of a counter-based RNG are independent)."""
    key = derive_key(seed, name)
    out = np.empty(n_steps)
    res = np.empty(n_paths)
    fn = {"gbm": kp.gbm_log_path, "merton": kp.merton_log_path}[run]
    args = tuple(params.values())
    for p in range(n_paths):
        fn(key[0], key[1], p * n_steps, x0, *args, out)
        res[p] = out[-1]
    return res


def excess_kurtosis_with_se(x):
    """Sample excess kurtosis and its delta-method standard error (influence function incl. the mean)."""
    d = x - x.mean()
    m2, m3, m4 = (d**2).mean(), (d**3).mean(), (d**4).mean()
    infl = (d**4 - m4 - 4.0 * m3 * d) / m2**2 - 2.0 * m4 / m2**3 * (d**2 - m2)
    return m4 / m2**2 - 3.0, infl.std() / math.sqrt(x.size)


@pytest.mark.slow
@needs_jit
def test_gbm_moments():
    # Model: log S_T - log S_0 ~ N((mu - sigma^2/2) T, sigma^2 T) exactly (Gaussian increments), and
    # E[S_T / S_0] = e^{mu T}. 20,000 independent paths of 252 steps (T = 1).
    # Tolerances, 5 standard errors each, from the known law:
    #   mean:      SE = sigma sqrt(T / P)                               (= 0.0014)
    #   variance:  SE = sigma^2 T sqrt(2 / (P - 1))  (normal data)      (= 0.0004 vs 0.04)
    #   E[S_T]:    SE = sqrt(Var[S_T/S_0] / P), Var = e^{2 mu T}(e^{sigma^2 T} - 1)
    P, n = 20_000, 252
    mu, sigma, dt = GBM["mu"], GBM["sigma"], GBM["dt"]
    T = n * dt
    x = terminal_values("gbm", GBM, P, n, name="gbm")
    m, v = (mu - 0.5 * sigma**2) * T, sigma**2 * T
    assert abs(x.mean() - m) < Z_TOL * math.sqrt(v / P)
    assert abs(x.var(ddof=1) - v) < Z_TOL * v * math.sqrt(2.0 / (P - 1))
    var_s = math.exp(2 * mu * T) * math.expm1(sigma**2 * T)
    assert abs(np.exp(x).mean() - math.exp(mu * T)) < Z_TOL * math.sqrt(var_s / P)


def merton_cumulants(mu, sigma, lam, jump_mu, jump_sigma, T):
    """Mean, variance and 4th cumulant of log S_T - log S_0, and E[S_T/S_0], E[(S_T/S_0)^2]."""
    kappa = math.expm1(jump_mu + 0.5 * jump_sigma**2)
    b = mu - 0.5 * sigma**2 - lam * kappa
    mean = (b + lam * jump_mu) * T
    var = (sigma**2 + lam * (jump_mu**2 + jump_sigma**2)) * T
    k4 = lam * T * (jump_mu**4 + 6 * jump_mu**2 * jump_sigma**2 + 3 * jump_sigma**4)  # lam T E[J^4]
    m1 = math.exp(mu * T)  # the compensator makes E[S_T] = S_0 e^{mu T}
    m2 = math.exp(2 * b * T + 2 * sigma**2 * T + lam * T * math.expm1(2 * jump_mu + 2 * jump_sigma**2))
    return mean, var, k4, m1, m2


@pytest.mark.parametrize("case", [pytest.param(c, marks=SLOW) for c in ("rare", "big", "dense")])
def test_merton_moments(case):
    # Model: log S_T - log S_0 = b T + sigma W_T + sum_{i <= N_T} J_i, N_T ~ Poisson(lam T),
    # J ~ N(jump_mu, jump_sigma^2), b = mu - sigma^2/2 - lam (e^{jump_mu + jump_sigma^2/2} - 1).
    # Per-step Poisson counts and per-step normal jump sums make this exact in law for any dt, so:
    #   mean = (b + lam jump_mu) T,  var = (sigma^2 + lam (jump_mu^2 + jump_sigma^2)) T,
    #   excess kurtosis = lam T E[J^4] / var^2 > 0,  E[S_T/S_0] = e^{mu T}.
    # Tolerances (5 SE each), P = 20,000 paths of T = 1:
    #   mean:      SE = sqrt(var / P)
    #   variance:  SE = sqrt((mu4 - var^2) / P), mu4 = k4 + 3 var^2 (the exact 4th central moment)
    #   kurtosis:  delta-method SE from the sample's influence function (no closed form needed);
    #              additionally it must exceed 5 SE of a Gaussian's sample kurtosis, sqrt(24 / P), so
    #              "positive excess kurtosis" cannot pass by noise (rare/big; "dense" is near-Gaussian by
    #              the CLT, its theoretical excess kurtosis 0.03 is below that resolution).
    #   E[S_T]:    SE = sqrt((E[(S_T/S_0)^2] - e^{2 mu T}) / P)
    params = {
        # rare crash-like jumps (lam dt = 0.004): excess kurtosis 1.64
        "rare": dict(mu=0.05, sigma=0.1, lam=1.0, jump_mu=-0.1, jump_sigma=0.15, dt=1.0 / 252.0),
        # more frequent jumps (lam dt = 0.008) dominating the variance: excess kurtosis 1.20
        "big": dict(mu=0.05, sigma=0.1, lam=2.0, jump_mu=-0.05, jump_sigma=0.2, dt=1.0 / 252.0),
        # many small jumps, lam dt = 0.5 (often several per step): checks the N-jump sum and the compensator
        "dense": dict(mu=0.05, sigma=0.1, lam=100.0, jump_mu=0.02, jump_sigma=0.05, dt=1.0 / 200.0),
    }[case]
    P = 20_000
    n = round(1.0 / params["dt"])
    T = n * params["dt"]
    x = terminal_values("merton", params, P, n, name="merton-" + case)
    mean, var, k4, m1, m2 = merton_cumulants(params["mu"], params["sigma"], params["lam"],
                                             params["jump_mu"], params["jump_sigma"], T)
    assert abs(x.mean() - mean) < Z_TOL * math.sqrt(var / P)
    mu4 = k4 + 3 * var**2
    assert abs(x.var(ddof=1) - var) < Z_TOL * math.sqrt((mu4 - var**2) / P)
    ek, ek_se = excess_kurtosis_with_se(x)
    if case != "dense":
        assert ek > Z_TOL * math.sqrt(24.0 / P)
    assert abs(ek - k4 / var**2) < Z_TOL * ek_se
    assert abs(np.exp(x).mean() - m1) < Z_TOL * math.sqrt((m2 - m1**2) / P)


def ar1_sample_mean_se(gamma0, rho, n):
    # Var of the mean of a stationary AR(1) with lag-1 correlation rho: gamma0 / n * (1 + rho) / (1 - rho)
    return math.sqrt(gamma0 / n * (1 + rho) / (1 - rho))


def ar1_sample_var_se(gamma0, rho, n):
    # Gaussian AR(1): Var(s^2) ~= 2 gamma0^2 / n * (1 + rho^2) / (1 - rho^2)
    return gamma0 * math.sqrt(2.0 / n * (1 + rho**2) / (1 - rho**2))


def ar1_acf_se(rho, k, n):
    # Bartlett's formula for AR(1): Var(r_k) ~= [(1 + rho^2)(1 - rho^{2k}) / (1 - rho^2) - 2 k rho^{2k}] / n
    return math.sqrt(((1 + rho**2) * (1 - rho**(2 * k)) / (1 - rho**2) - 2 * k * rho**(2 * k)) / n)


@pytest.mark.parametrize("dt,n,lags", [
    pytest.param(0.01, 1_000_000, (1, 5, 25, 100), marks=SLOW),  # fine steps: rho = e^{-0.02}
    pytest.param(0.5, 200_000, (1, 2, 3), marks=SLOW),  # coarse steps (Euler would be badly off here)
])
def test_ou_stationary_moments_and_acf(dt, n, lags):
    # Model: dx = theta (mean - x) dt + sigma dW. The sampled chain x_t is exactly AR(1):
    # x_{t+1} - mean = rho (x_t - mean) + eps, rho = e^{-theta dt}; stationary law N(mean, gamma0),
    # gamma0 = sigma^2 / (2 theta); lag-k autocorrelation rho^k = e^{-theta k dt}. The path starts from
    # a stationary draw (independent key), so every x_t has the stationary law.
    # Tolerances: 5 SE of each estimator for a Gaussian AR(1) with these rho, gamma0 (long-run variance
    # for the mean, the AR(1) formula for the sample variance, Bartlett's formula for r_k).
    theta, mean, sigma = OU["theta"], OU["mean"], OU["sigma"]
    gamma0 = sigma**2 / (2 * theta)
    rho = math.exp(-theta * dt)
    x0 = mean + math.sqrt(gamma0) * normals(derive_key(5, "ou-start", dt), 0, 1)[0]
    x = run_ou(derive_key(5, "ou", dt), 0, x0, n, theta, mean, sigma, dt)
    assert abs(x.mean() - mean) < Z_TOL * ar1_sample_mean_se(gamma0, rho, n)
    assert abs(x.var() - gamma0) < Z_TOL * ar1_sample_var_se(gamma0, rho, n)
    d = x - x.mean()
    c0 = d @ d
    for k in lags:
        r_k = (d[:-k] @ d[k:]) / c0
        assert abs(r_k - math.exp(-theta * k * dt)) < Z_TOL * ar1_acf_se(rho, k, n), k
