"""Black–Scholes–Merton (European, continuous dividend yield ``q``, continuously compounded rate ``r``).

Contract
--------
Units: ``S`` spot and ``K`` strike in USD, ``tau`` years to expiry, ``sigma`` annualized volatility,
``r``/``q`` annual continuous rates; ``right`` is 0 = call, 1 = put (``schemas.RIGHTS``). Greeks are
per unit of the input: ``delta`` dV/dS, ``gamma`` d2V/dS2, ``vega`` dV/dsigma (per 1.00 of vol, not per
vol point), ``theta`` dV/dt per YEAR of calendar time (negative for a long option as time passes),
``rho`` dV/dr. ``tau <= 0`` or ``sigma <= 0`` gives the discounted forward intrinsic value with
delta = +-e^{-q tau} in the money (0 otherwise) and zero gamma/vega/theta/rho.

Scalar inline kernels (for other kernels): ``ndtr``, ``bs_price1``, ``bs_all1`` (price and the five
greeks), ``implied_vol1``. Array kernels (arrays in, caller-allocated ``out`` columns written):
``bs_price_k``, ``bs_greeks_k``, ``implied_vol_k``. Python wrappers with numpy broadcasting and the
default rate/dividend: ``bs_price``, ``bs_greeks``, ``implied_vol``.

The normal CDF is ``0.5 * erfc(-x / sqrt 2)`` (libm ``erfc``: full relative accuracy in both tails, so
deep out-of-the-money prices keep their digits; puts use ``N(-d)`` directly, never ``1 - N(d)``).

``implied_vol1`` inverts the price of the out-of-the-money side (put-call parity converts an
in-the-money price), in total-volatility units ``s = sigma sqrt(tau)``, by Newton's method safeguarded
with a bracket (bisection whenever a Newton step leaves it): it returns NaN when the price is outside
the no-arbitrage bounds ``(intrinsic, upper)`` (upper = S e^{-q tau} for calls, K e^{-r tau} for
puts), 0.0 at the intrinsic value itself, and converges to ~1e-14 relative in ``s``.
"""
from __future__ import annotations

import math

import numpy as np

from ._jit import inline_kernel, kernel

__all__ = ["RATE", "DIV_YIELD", "ndtr", "bs_price1", "bs_all1", "bs_all", "implied_vol1", "bs_price_k", "bs_greeks_k",
           "implied_vol_k", "bs_price", "bs_greeks", "implied_vol", "GREEKS"]

# Defaults in ONE place (the options model reads them from here).
RATE = 0.04          # USD risk-free rate, continuously compounded
DIV_YIELD = 0.0      # default continuous dividend yield (per-underlying yields: options.surface)

GREEKS = ("price", "delta", "gamma", "vega", "theta", "rho")

_SQRT1_2 = 0.7071067811865476
_INV_SQRT_2PI = 0.3989422804014327


@inline_kernel
def ndtr(x):
    """Standard normal CDF."""
    return 0.5 * math.erfc(-x * _SQRT1_2)


@inline_kernel
def bs_all1(S, K, tau, sigma, r, q, right):
    """(price, delta, gamma, vega, theta, rho) of one European option."""
    dr = math.exp(-r * tau)
    dq = math.exp(-q * tau)
    if tau > 0.0 and sigma > 0.0:
        rt = math.sqrt(tau)
        sq = sigma * rt
        d1 = (math.log(S / K) + (r - q) * tau) / sq + 0.5 * sq
        d2 = d1 - sq
        pdf = _INV_SQRT_2PI * math.exp(-0.5 * d1 * d1)
        decay = -S * dq * pdf * sigma / (2.0 * rt)
        gamma = dq * pdf / (S * sq)
        vega = S * dq * pdf * rt
        if right == 0:
            n1 = ndtr(d1)
            n2 = ndtr(d2)
            price = S * dq * n1 - K * dr * n2
            return price, dq * n1, gamma, vega, decay - r * K * dr * n2 + q * S * dq * n1, K * tau * dr * n2
        n1 = ndtr(-d1)
        n2 = ndtr(-d2)
        price = K * dr * n2 - S * dq * n1
        return price, -dq * n1, gamma, vega, decay + r * K * dr * n2 - q * S * dq * n1, -K * tau * dr * n2
    fwd = S * dq - K * dr
    if right == 0:
        if fwd > 0.0:
            return fwd, dq, 0.0, 0.0, 0.0, 0.0
        return 0.0, 0.0, 0.0, 0.0, 0.0, 0.0
    if fwd < 0.0:
        return -fwd, -dq, 0.0, 0.0, 0.0, 0.0
    return 0.0, 0.0, 0.0, 0.0, 0.0, 0.0


@kernel
def bs_all(S, K, tau, sigma, r, q, right):
    """``bs_all1`` as a called (not inlined) function: for large kernels, where inlining costs compile time."""
    return bs_all1(S, K, tau, sigma, r, q, right)


@inline_kernel
def bs_price1(S, K, tau, sigma, r, q, right):
    """Price of one European option."""
    dr = math.exp(-r * tau)
    dq = math.exp(-q * tau)
    if tau > 0.0 and sigma > 0.0:
        sq = sigma * math.sqrt(tau)
        d1 = (math.log(S / K) + (r - q) * tau) / sq + 0.5 * sq
        d2 = d1 - sq
        if right == 0:
            return S * dq * ndtr(d1) - K * dr * ndtr(d2)
        return K * dr * ndtr(-d2) - S * dq * ndtr(-d1)
    fwd = S * dq - K * dr
    if right == 0:
        return max(fwd, 0.0)
    return max(-fwd, 0.0)


@inline_kernel
def _otm_black(Sq, Kr, x, s, call):
    """Discounted Black price and its derivative in total vol s (Sq = S e^{-q tau}, Kr = K e^{-r tau},
    x = log(Sq / Kr))."""
    d1 = x / s + 0.5 * s
    d2 = d1 - s
    if call:
        p = Sq * ndtr(d1) - Kr * ndtr(d2)
    else:
        p = Kr * ndtr(-d2) - Sq * ndtr(-d1)
    return p, Sq * _INV_SQRT_2PI * math.exp(-0.5 * d1 * d1)


@inline_kernel
def implied_vol1(price, S, K, tau, r, q, right):
    """Implied volatility of one European option price (NaN outside the no-arbitrage bounds)."""
    if not (tau > 0.0) or not (S > 0.0) or not (K > 0.0) or not (price >= 0.0):
        return np.nan
    Sq = S * math.exp(-q * tau)
    Kr = K * math.exp(-r * tau)
    fwd = Sq - Kr
    upper = Sq if right == 0 else Kr
    intrinsic = max(fwd, 0.0) if right == 0 else max(-fwd, 0.0)
    if price >= upper or price < intrinsic:
        return np.nan
    # the out-of-the-money side carries the time value with full relative precision
    call = Kr >= Sq
    otm = price
    if right == 0 and not call:
        otm = price - fwd
    elif right == 1 and call:
        otm = price + fwd
    if otm <= 0.0:
        return 0.0
    x = math.log(Sq / Kr)
    lo, hi = 0.0, 1.0
    while True:     # bracket: price is increasing in s with limit Sq (call) / Kr (put)
        p, _ = _otm_black(Sq, Kr, x, hi, call)
        if p >= otm or hi > 1e3:
            break
        lo = hi
        hi *= 2.0
    if p < otm:
        return np.nan
    # start: the Brenner-Subrahmanyam ATM approximation, or mid-bracket if outside it
    s = 2.5066282746310002 * otm / math.sqrt(Sq * Kr)
    if not (lo < s < hi):
        s = 0.5 * (lo + hi)
    for _ in range(100):
        p, v = _otm_black(Sq, Kr, x, s, call)
        f = p - otm
        if f > 0.0:
            hi = s
        else:
            lo = s
        step = f / v if v > 0.0 else np.inf
        nxt = s - step
        if not (lo < nxt < hi):
            nxt = 0.5 * (lo + hi)
        if math.fabs(nxt - s) <= 1e-15 * s or hi - lo <= 1e-15 * hi:
            s = nxt
            break
        s = nxt
    return s / math.sqrt(tau)


@kernel
def bs_price_k(S, K, tau, sigma, right, r, q, out):
    """out[i] = price of option i (all arrays of one length; r, q scalars)."""
    for i in range(out.shape[0]):
        out[i] = bs_price1(S[i], K[i], tau[i], sigma[i], r, q, right[i])


@kernel
def bs_greeks_k(S, K, tau, sigma, right, r, q, price, delta, gamma, vega, theta, rho):
    """Price and greeks of option i into the six output columns."""
    for i in range(price.shape[0]):
        p, d, g, v, t, h = bs_all1(S[i], K[i], tau[i], sigma[i], r, q, right[i])
        price[i] = p
        delta[i] = d
        gamma[i] = g
        vega[i] = v
        theta[i] = t
        rho[i] = h


@kernel
def implied_vol_k(price, S, K, tau, right, r, q, out):
    """out[i] = implied vol of price[i] (NaN outside the no-arbitrage bounds)."""
    for i in range(out.shape[0]):
        out[i] = implied_vol1(price[i], S[i], K[i], tau[i], r, q, right[i])


def _arrays(*xs):
    b = np.broadcast_arrays(*[np.asarray(x) for x in xs])
    n = b[0].size
    out = [np.ascontiguousarray(a, dtype=np.float64).reshape(n) for a in b[:-1]]
    out.append(np.ascontiguousarray(b[-1], dtype=np.int8).reshape(n))
    return out, b[0].shape


def bs_price(S, K, tau, sigma, right=0, r: float = RATE, q: float = DIV_YIELD) -> np.ndarray:
    """Black–Scholes–Merton prices (numpy broadcasting over S, K, tau, sigma, right).

    Example: ``bs_price(100.0, 100.0, 1.0, 0.2, 0, r=0.0)`` ~ ``7.9656``.
    """
    (S, K, tau, sigma, right), shape = _arrays(S, K, tau, sigma, right)
    out = np.empty(S.shape[0])
    bs_price_k(S, K, tau, sigma, right, float(r), float(q), out)
    return out.reshape(shape)


def bs_greeks(S, K, tau, sigma, right=0, r: float = RATE, q: float = DIV_YIELD) -> dict[str, np.ndarray]:
    """``{"price", "delta", "gamma", "vega", "theta", "rho"}`` arrays (units in the module docstring)."""
    (S, K, tau, sigma, right), shape = _arrays(S, K, tau, sigma, right)
    cols = [np.empty(S.shape[0]) for _ in GREEKS]
    bs_greeks_k(S, K, tau, sigma, right, float(r), float(q), *cols)
    return {g: c.reshape(shape) for g, c in zip(GREEKS, cols)}


def implied_vol(price, S, K, tau, right=0, r: float = RATE, q: float = DIV_YIELD) -> np.ndarray:
    """Implied volatilities of European option prices (NaN where no volatility reproduces the price)."""
    (price, S, K, tau, right), shape = _arrays(price, S, K, tau, right)
    out = np.empty(S.shape[0])
    implied_vol_k(price, S, K, tau, right, float(r), float(q), out)
    return out.reshape(shape)
