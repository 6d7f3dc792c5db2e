"""The blocked implied-vol kernel ``kernels.option_prints.iv_delta`` (vectorized Householder steps, a pool of
the unconverged, scalar fix-up) against the scalar safeguarded solver ``implied_vol_delta1``: the same NaN
pattern, the price round trip exact to 1e-12 relative, the delta of the solved vol, chunk invariance, and
the per-contract inputs gathered by the contract index."""
import math

import numpy as np
from numba import njit

from fastsynth.kernels.blackscholes import bs_greeks, bs_price, implied_vol_delta1
from fastsynth.kernels.option_prints import IV_BLOCK, NS_YEAR, iv_delta

R, Q = 0.04, 0.012


@njit(cache=False)
def _scalar(price, S, K, tau, right, guess, iv, delta):
    for i in range(price.shape[0]):
        iv[i], delta[i] = implied_vol_delta1(price[i], S[i], K[i], tau[i], R, Q, right[i], guess[i])


def _prints(n, seed):
    rng = np.random.default_rng(seed)
    S = 100.0 * np.exp(rng.normal(0.0, 0.05, n))
    tau_close = rng.uniform(0.0, 1.5, n) ** 2
    ts = rng.integers(0, 23_400, n).astype(np.int64) * 1_000_000_000
    close_ns = np.int64(23_400 * 1_000_000_000)
    tau = tau_close + (close_ns - ts) / NS_YEAR
    sig = rng.uniform(0.05, 1.2, n)
    K = S * np.exp(rng.uniform(-3.0, 3.0, n) * sig * np.sqrt(tau))
    right = rng.integers(0, 2, n).astype(np.int8)
    p = bs_price(S, K, tau, sig, right, r=R, q=Q)
    # prints off the model value (a spread), guesses off the true vol (up to 60%), and bad cases
    price = np.maximum(np.round(p * (1.0 + rng.uniform(-0.1, 0.1, n)) * 100.0) / 100.0, 0.0)
    guess = sig * np.exp(rng.uniform(-0.6, 0.6, n))
    k = rng.integers(0, 12, n)
    guess[k == 0] = 0.0                                   # no guess
    price[k == 1] = -0.5                                  # negative
    price[k == 2] = 2.0 * S[k == 2]                       # above the upper bound
    return price, S, K, tau_close, right, close_ns, ts, guess, tau


def test_block_iv_matches_scalar_solver_and_round_trips():
    n = 5 * IV_BLOCK + 37
    price, S, K, tau_close, right, close_ns, ts, guess, tau = _prints(n, 11)
    iv, de = np.empty(n), np.empty(n)
    iv_delta(price, S, np.arange(n, dtype=np.int32), K, tau_close, right, guess, close_ns, ts, R, Q, iv, de)
    iv1, de1 = np.empty(n), np.empty(n)
    _scalar(price, S, K, tau, right, guess, iv1, de1)
    assert np.array_equal(np.isnan(iv), np.isnan(iv1))
    ok = ~np.isnan(iv) & (iv > 0.0)
    assert ok.sum() > n // 2
    back = bs_price(S[ok], K[ok], tau[ok], iv[ok], right[ok], r=R, q=Q)
    assert np.all(np.abs(back - price[ok]) <= 1e-12 * price[ok] + 1e-14 * np.maximum(S[ok], K[ok]))
    g = bs_greeks(S[ok], K[ok], tau[ok], iv[ok], right[ok], r=R, q=Q)
    np.testing.assert_allclose(de[ok], g["delta"], rtol=1e-12, atol=1e-14)
    zero = ~np.isnan(iv) & (iv == 0.0)                    # at intrinsic: the scalar solver's answer
    np.testing.assert_array_equal(de[zero], de1[zero])


def test_block_iv_is_chunk_invariant():
    n = 3 * IV_BLOCK + 5
    price, S, K, tau_close, right, close_ns, ts, guess, _ = _prints(n, 12)
    iv, de = np.empty(n), np.empty(n)
    c = np.arange(n, dtype=np.int32)
    iv_delta(price, S, c, K, tau_close, right, guess, close_ns, ts, R, Q, iv, de)
    iv2, de2 = np.empty(n), np.empty(n)
    for a, b in ((0, 7), (7, 300), (300, n)):
        iv_delta(price[a:b], S[a:b], c[a:b], K, tau_close, right, guess, close_ns, ts[a:b], R, Q, iv2[a:b],
                 de2[a:b])
    assert np.array_equal(iv, iv2, equal_nan=True) and np.array_equal(de, de2, equal_nan=True)
    assert not math.isnan(float(np.nanmax(iv)))


def test_block_iv_gathers_contract_inputs_and_nan_guess_is_none():
    """Prints of a few contracts (indexed) give the bits of the same prints with per-print inputs; a NaN
    guess (a contract without a surface vol) behaves as no guess (0)."""
    nc, n = 40, 2 * IV_BLOCK + 9
    price, S, K, tau_close, right, close_ns, ts, guess, _ = _prints(nc, 13)
    guess[::5] = np.nan
    rng = np.random.default_rng(14)
    c = rng.integers(0, nc, n).astype(np.int32)
    S_p = S[c] * np.exp(rng.normal(0.0, 1e-3, n))
    ts_p = rng.integers(0, 23_400, n).astype(np.int64) * 1_000_000_000
    iv, de = np.empty(n), np.empty(n)
    iv_delta(price[c], S_p, c, K, tau_close, right, guess, close_ns, ts_p, R, Q, iv, de)
    iv2, de2 = np.empty(n), np.empty(n)
    g0 = np.nan_to_num(guess, nan=0.0)
    iv_delta(price[c], S_p, np.arange(n, dtype=np.int32), K[c], tau_close[c], right[c], g0[c], close_ns, ts_p, R,
             Q, iv2, de2)
    assert np.array_equal(iv, iv2, equal_nan=True) and np.array_equal(de, de2, equal_nan=True)
    assert (~np.isnan(iv)).sum() > n // 3


def test_exp_block_within_one_ulp_of_libm():
    from numba import njit

    from fastsynth.kernels.blackscholes import exp_block

    @njit
    def run(x, out, ib):
        fb = ib.view(np.float64)
        for b in range(0, x.shape[0], ib.shape[0]):
            m = min(ib.shape[0], x.shape[0] - b)
            exp_block(x[b:b + m], out[b:b + m], m, ib, fb)

    x = np.concatenate([np.linspace(-720.0, 709.0, 200_001), np.linspace(-1.0, 1.0, 20_001), [0.0, -708.0]])
    out = np.empty_like(x)
    run(x, out, np.empty(256, np.int64))
    ok = x >= -708.0
    want = np.exp(x[ok])
    assert np.all(np.abs(out[ok] - want) <= 2.0 * np.spacing(want))
    assert np.all(out[~ok] == 0.0) and out[-2] == 1.0


def test_log_block_within_two_ulp_of_libm():
    from numba import njit

    from fastsynth.kernels.blackscholes import log_block

    @njit(error_model="numpy")
    def run(x, out, ib):
        fb = ib.view(np.float64)
        for b in range(0, x.shape[0], ib.shape[0]):
            m = min(ib.shape[0], x.shape[0] - b)
            log_block(x[b:b + m], out[b:b + m], m, ib, fb)

    rng = np.random.default_rng(3)
    x = np.concatenate([np.exp(rng.uniform(-700.0, 700.0, 100_000)), 1.0 + rng.uniform(-0.3, 0.3, 100_000),
                        [1.0, 2.0, 0.5, 1e-300]])
    out = np.empty_like(x)
    run(x, out, np.empty(256, np.int64))
    want = np.log(x)
    assert np.all(np.abs(out - want) <= 2.0 * np.spacing(np.abs(want)))
    assert out[-4] == 0.0
