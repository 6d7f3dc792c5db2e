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

from ._jit import helper_kernel, inline_kernel, kernel

__all__ = ["RATE", "DIV_YIELD", "ndtr", "half_erfc", "half_erfc_nd", "half_erfc_mid_nd", "exp_block", "log_block", "bs_price1", "bs_all1", "bs_all", "implied_vol1", "implied_vol_delta", "implied_vol_delta1", "delta1",
           "bs_price_k", "bs_greeks_k", "bs_chain_k", "implied_vol_k", "bs_price", "bs_greeks", "implied_vol", "GREEKS"]

# Defaults in ONE place (the options model reads them from here).
RATE = 0.04          # USD risk-free rate, continuously compounded
DIV_YIELD = 0.0      # default continuous dividend yield (per-underlying yields: options.surface)

GREEKS = ("price", "delta", "gamma", "vega", "theta", "rho")

_SQRT1_2 = 0.7071067811865476
_INV_SQRT_2PI = 0.3989422804014327
_SQRPI = 5.6418958354775628695e-1      # 1 / sqrt(pi)
_Y_MAX = 30.0                          # erfc(30) = 0 in double precision (and exp(-y^2) underflows)

# W. J. Cody, "Rational Chebyshev approximations for the error function", Math. Comp. 23 (1969) 631-637
# (the CALERF coefficients): erf on |y| <= 0.46875; erfc on (0.46875, 4]; erfc on (4, inf) in 1/y^2.
_A0, _A1, _A2, _A3, _A4 = (3.16112374387056560e00, 1.13864154151050156e02, 3.77485237685302021e02,
                           3.20937758913846947e03, 1.85777706184603153e-1)
_B0, _B1, _B2, _B3 = (2.36012909523441209e01, 2.44024637934444173e02, 1.28261652607737228e03,
                      2.84423683343917062e03)
_C0, _C1, _C2, _C3, _C4, _C5, _C6, _C7, _C8 = (
    5.64188496988670089e-1, 8.88314979438837594e00, 6.61191906371416295e01, 2.98635138197400131e02,
    8.81952221241769090e02, 1.71204761263407058e03, 2.05107837782607147e03, 1.23033935479799725e03,
    2.15311535474403846e-8)
_D0, _D1, _D2, _D3, _D4, _D5, _D6, _D7 = (
    1.57449261107098347e01, 1.17693950891312499e02, 5.37181101862009858e02, 1.62138957456669019e03,
    3.29079923573345963e03, 4.36261909014324716e03, 3.43936767414372164e03, 1.23033935480374942e03)
_P0, _P1, _P2, _P3, _P4, _P5 = (3.05326634961232344e-1, 3.60344899949804439e-1, 1.25781726111229246e-1,
                                1.60837851487422766e-2, 6.58749161529837803e-4, 1.63153871373020978e-2)
_Q0, _Q1, _Q2, _Q3, _Q4 = (2.56852019228982242e00, 1.87295284992346725e00, 5.27905102951428412e-1,
                           6.05183413124413191e-2, 2.33520497626869185e-3)


@inline_kernel
def half_erfc_nd(y, e):
    """(numerator, denominator) of ``half_erfc(y, e)`` (= their quotient, the same bits): for callers that
    need two CDFs and divide once (``1 / (den1 den2)``)."""
    y = min(y, _Y_MAX)
    z = y * y
    # |y| <= 0.46875: erfc = 1 - y P(z) / Q(z)
    n1 = (((_A4 * z + _A0) * z + _A1) * z + _A2) * z + _A3
    m1 = (((z + _B0) * z + _B1) * z + _B2) * z + _B3
    # 0.46875 < y <= 4: erfc = e P(y) / Q(y)
    n2 = (((((((_C8 * y + _C0) * y + _C1) * y + _C2) * y + _C3) * y + _C4) * y + _C5) * y + _C6) * y + _C7
    m2 = (((((((y + _D0) * y + _D1) * y + _D2) * y + _D3) * y + _D4) * y + _D5) * y + _D6) * y + _D7
    # y > 4: erfc = e (1/sqrt(pi) - P(1/z) / (z Q(1/z))) / y, numerator and denominator scaled by z^5
    n3 = ((((_P4 * z + _P3) * z + _P2) * z + _P1) * z + _P0) * z + _P5
    m3 = ((((_Q4 * z + _Q3) * z + _Q2) * z + _Q1) * z + _Q0) * z + 1.0
    big = y > 4.0
    small = y <= 0.46875
    num = 0.5 * e * ((_SQRPI * m3 * z - n3) if big else n2)
    den = (m3 * z * y) if big else m2
    num = (0.5 * (m1 - y * n1)) if small else num
    den = m1 if small else den
    return num, den


@inline_kernel
def half_erfc(y, e):
    """``0.5 * erfc(y)`` for ``y >= 0`` given ``e = exp(-y * y)`` (the caller's Gaussian density term, so
    one ``exp`` serves the density and the CDF). Cody's three rational approximations are all evaluated
    and the right one selected (no branch: the loop around it vectorizes); one division. Relative error
    ~1e-15 over the whole range (tests: against ``math.erfc``)."""
    num, den = half_erfc_nd(y, e)
    return num / den


_Y_MID = 9.0        # erfc(9) ~ 4e-37: beyond it the cheap CDF's value no longer matters


@inline_kernel
def half_erfc_mid_nd(y, e):
    """(numerator, denominator) of a cheap ``0.5 * erfc(y)``: Cody's middle rational alone, on all of
    [0, 9] (relative error < 5e-12 below 0.47, < 2e-14 on [0.47, 5], < 2e-10 up to 9; tested). For
    iterations that are not the last (``option_prints.iv_delta``'s first step): half the work of
    ``half_erfc``."""
    y = min(y, _Y_MID)
    n2 = (((((((_C8 * y + _C0) * y + _C1) * y + _C2) * y + _C3) * y + _C4) * y + _C5) * y + _C6) * y + _C7
    m2 = (((((((y + _D0) * y + _D1) * y + _D2) * y + _D3) * y + _D4) * y + _D5) * y + _D6) * y + _D7
    return 0.5 * e * n2, m2


@inline_kernel
def ndtr(x):
    """Standard normal CDF (full relative precision in the lower tail)."""
    y = math.fabs(x) * _SQRT1_2
    t = half_erfc(y, math.exp(-0.5 * x * x))
    return 1.0 - t if x > 0.0 else t


_LOG2E = 1.4426950408889634
_LN2_HI = 6.93147180369123816490e-01      # fdlibm's split of ln 2: k * _LN2_HI is exact for |k| < 2^11
_LN2_LO = 1.90821492927058770002e-10
_EXP_C = tuple(1.0 / math.factorial(i) for i in range(14))


@kernel
def exp_block(x, out, m, ibuf, fbuf):
    """``out[j] = exp(x[j])`` for ``j < m`` without libm: k = round(x / ln 2), r = x - k ln 2 (|r| <= 0.35,
    Cody-Waite two-part ln 2), e^r by its degree-13 Taylor polynomial (truncation < 5e-18 relative), times
    2^k built in the exponent bits (``ibuf`` int64 scratch, ``fbuf`` = ``ibuf.view(np.float64)``; ``out``
    may be ``x``). Pure
    arithmetic: the loops vectorize (libm's exp is a scalar call) and the bits are the same everywhere.
    Within 2 ulp of ``math.exp`` for -708 <= x <= 709 (tested); 0 below -708, x clamped at 709. A called
    kernel (compiled once for all its callers; the call costs nothing per element)."""
    for j in range(m):
        xj = min(max(x[j], -708.0), 709.0)
        k = math.floor(xj * _LOG2E + 0.5)
        r = (xj - k * _LN2_HI) - k * _LN2_LO
        p = _EXP_C[13]
        p = p * r + _EXP_C[12]
        p = p * r + _EXP_C[11]
        p = p * r + _EXP_C[10]
        p = p * r + _EXP_C[9]
        p = p * r + _EXP_C[8]
        p = p * r + _EXP_C[7]
        p = p * r + _EXP_C[6]
        p = p * r + _EXP_C[5]
        p = p * r + _EXP_C[4]
        p = p * r + _EXP_C[3]
        p = p * r + _EXP_C[2]
        p = p * r + 1.0
        p = p * r + 1.0
        out[j] = p
        ibuf[j] = ((np.int64(k) + 1023) << 52) if x[j] >= -708.0 else 0     # 0 bits = 0.0
    for j in range(m):
        out[j] = out[j] * fbuf[j]


_SQRT2 = 1.4142135623730951
_MANT = (1 << 52) - 1
_ONE_BITS = 1023 << 52


@kernel
def log_block(y, out, m, ibuf, fbuf):
    """``out[j] = log(y[j])`` for ``j < m``, ``y`` positive normal, without libm: y = 2^e m with m in
    [sqrt(1/2), sqrt(2)) from the bits, log m = 2 atanh((m - 1) / (m + 1)) by its odd series to t^21
    (truncation < 1e-18 relative), plus e ln 2 in two parts. Pure arithmetic (vectorizes); within 2 ulp
    of ``math.log`` (tested). ``ibuf``/``fbuf``: int64 scratch and its float64 view; ``out`` may be ``y``."""
    for j in range(m):
        fbuf[j] = y[j]
    for j in range(m):
        b = ibuf[j]
        out[j] = np.float64((b >> 52) - 1023)
        ibuf[j] = (b & _MANT) | _ONE_BITS
    for j in range(m):
        mm = fbuf[j]
        e = out[j]
        big = mm > _SQRT2
        mm = 0.5 * mm if big else mm
        e = e + 1.0 if big else e
        t = (mm - 1.0) / (mm + 1.0)
        t2 = t * t
        p = 2.0 / 21.0
        p = p * t2 + 2.0 / 19.0
        p = p * t2 + 2.0 / 17.0
        p = p * t2 + 2.0 / 15.0
        p = p * t2 + 2.0 / 13.0
        p = p * t2 + 2.0 / 11.0
        p = p * t2 + 2.0 / 9.0
        p = p * t2 + 2.0 / 7.0
        p = p * t2 + 2.0 / 5.0
        p = p * t2 + 2.0 / 3.0
        lm = 2.0 * t + t * t2 * p
        out[j] = e * _LN2_HI + (e * _LN2_LO + lm)


@inline_kernel
def _bs_core(S, K, dr, dq, rt, tau, sigma, call):
    """(price, delta, gamma, vega, a, b) from precomputed discount factors ``dr = e^{-r tau}``,
    ``dq = e^{-q tau}`` and ``rt = sqrt(tau)``, where ``a = S dq N(sgn d1)`` and ``b = K dr N(sgn d2)``
    (sgn = +1 call, -1 put) give ``theta = -vega sigma / (2 tau) + sgn (q a - r b)`` and
    ``rho = sgn tau b``. One log, one exp (shared by the density and both CDFs), two divisions for the
    CDFs; branch-free. Requires ``tau > 0`` and ``sigma > 0``."""
    Sq = S * dq
    Kr = K * dr
    sq = sigma * rt
    d1 = math.log(Sq / Kr) / sq + 0.5 * sq
    d2 = d1 - sq
    e1 = math.exp(-0.5 * d1 * d1)
    # the density at d2 from the one at d1: K e^{-r tau} n(d2) = S e^{-q tau} n(d1)
    e2 = e1 * Sq / Kr
    t1 = half_erfc(math.fabs(d1) * _SQRT1_2, e1)        # N(-|d1|)
    t2 = half_erfc(math.fabs(d2) * _SQRT1_2, e2)
    sgn = 1.0 if call else -1.0
    x1 = sgn * d1
    x2 = sgn * d2
    n1 = (1.0 - t1) if x1 > 0.0 else t1                 # N(sgn d1)
    n2 = (1.0 - t2) if x2 > 0.0 else t2
    pdf = _INV_SQRT_2PI * e1
    a = Sq * n1
    b = Kr * n2
    price = sgn * (a - b)
    vega = Sq * pdf * rt
    gamma = dq * pdf / (S * sq)
    return price, sgn * dq * n1, gamma, vega, a, b


@inline_kernel
def bs_all1(S, K, tau, sigma, r, q, right):
    """(price, delta, gamma, vega, theta, rho) of one European option."""
    dr = math.exp(-r * tau)
    dq = math.exp(-q * tau)
    if tau > 0.0 and sigma > 0.0:
        rt = math.sqrt(tau)
        price, delta, gamma, vega, a, b = _bs_core(S, K, dr, dq, rt, tau, sigma, right == 0)
        sgn = 1.0 if right == 0 else -1.0
        theta = -0.5 * vega * sigma / tau + sgn * (q * a - r * b)
        return price, delta, gamma, vega, theta, sgn * tau * b
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
        price, _, _, _, _, _ = _bs_core(S, K, dr, dq, math.sqrt(tau), tau, sigma, right == 0)
        return price
    fwd = S * dq - K * dr
    if right == 0:
        return max(fwd, 0.0)
    return max(-fwd, 0.0)


@helper_kernel
def _otm_black(Sq, Kr, x, s, call):
    """Discounted Black price and its derivative in total vol s (Sq = S e^{-q tau}, Kr = K e^{-r tau},
    x = log(Sq / Kr)); one exp. Compiled once and called from the Newton loop (inlining it costs compile
    time, and the loop is branchy anyway)."""
    d1 = x / s + 0.5 * s
    d2 = d1 - s
    e1 = math.exp(-0.5 * d1 * d1)
    a1, b1 = half_erfc_nd(math.fabs(d1) * _SQRT1_2, e1)          # = half_erfc (one inlined level less)
    a2, b2 = half_erfc_nd(math.fabs(d2) * _SQRT1_2, e1 * Sq / Kr)
    t1 = a1 / b1
    t2 = a2 / b2
    sgn = 1.0 if call else -1.0
    n1 = (1.0 - t1) if sgn * d1 > 0.0 else t1
    n2 = (1.0 - t2) if sgn * d2 > 0.0 else t2
    return sgn * (Sq * n1 - Kr * n2), Sq * _INV_SQRT_2PI * e1


@helper_kernel
def implied_vol_delta(price, S, K, tau, r, q, right, guess=0.0):
    """(implied volatility, BSM delta at it) of one European option price; (NaN, NaN) outside the
    no-arbitrage bounds, (0, intrinsic delta) at the intrinsic value. ``guess`` (> 0: a volatility near the
    answer, e.g. the surface's) starts Newton's method there: 2-3 price evaluations instead of ~6 from the
    generic start. The delta costs one more exp (the moneyness is already known). Compiled once and called
    (the scalar fallback of the blocked solvers; inlining this branchy loop at each caller cost seconds of
    cold-start compile time); ``implied_vol_delta1`` is its Python-callable form."""
    if not (tau > 0.0) or not (S > 0.0) or not (K > 0.0) or not (price >= 0.0):
        return np.nan, np.nan
    dq = math.exp(-q * tau)
    Sq = S * dq
    Kr = K * math.exp(-r * tau)
    fwd = Sq - Kr
    upper = Sq if right == 0 else Kr
    intrinsic = max(fwd, 0.0) if right == 0 else max(-fwd, 0.0)
    if price >= upper or price < intrinsic:
        return np.nan, np.nan
    # the out-of-the-money side carries the time value with full relative precision
    call = Kr >= Sq
    otm = price
    if right == 0 and not call:
        otm = price - fwd
    elif right == 1 and call:
        otm = price + fwd
    if otm <= 0.0:
        if right == 0:
            return 0.0, (dq if fwd > 0.0 else 0.0)
        return 0.0, (-dq if fwd < 0.0 else 0.0)
    x = math.log(Sq / Kr)
    rt = math.sqrt(tau)
    # price is increasing in s from 0 (s = 0) to Sq (call) / Kr (put): bracket [lo, hi], hi = inf until a
    # price above the target is seen; start at the guess or the Brenner-Subrahmanyam ATM approximation
    lo, hi = 0.0, np.inf
    s = guess * rt if guess > 0.0 else 2.5066282746310002 * otm / math.sqrt(Sq * Kr)
    if not (s > 0.0) or s > 50.0:
        s = 1.0
    for _ in range(200):
        p, v = _otm_black(Sq, Kr, x, s, call)
        f = p - otm
        if f == 0.0:
            break
        if f > 0.0:
            hi = s
        else:
            lo = s
        # Halley's step (f''/f' = d1 d2 / s for the Black price in total vol), Newton's when the
        # correction is large; cubic convergence from a nearby guess
        d1 = x / s + 0.5 * s
        c2 = d1 * (d1 - s) / s
        step = f / v if v > 0.0 else np.inf
        den = 1.0 - 0.5 * step * c2
        if 0.5 < den < 2.0:
            step = step / den
        nxt = s - step
        newton = lo < nxt < hi
        if not newton:
            nxt = 0.5 * (lo + hi) if hi < np.inf else 2.0 * s
        elif hi == np.inf and nxt > 4.0 * s:      # no upper bracket yet: grow at most 4x per step
            nxt = 4.0 * s
            newton = False
        if lo > 1e3:
            return np.nan, np.nan
        # the error after a Halley step h is ~ (f'''/6f' - (f''/2f')^2) h^3, bounded here by
        # (1 + d1^2 + d2^2 + |d1 d2|) |h|^3 / s^2: stop once that is below ~1e-16 s (or the bracket collapsed)
        d2 = d1 - s
        if ((newton and (1.0 + d1 * d1 + d2 * d2 + math.fabs(d1 * d2)) * math.fabs(step) ** 3 <= 1e-16 * s ** 3)
                or math.fabs(nxt - s) <= 1e-15 * s or (hi < np.inf and hi - lo <= 1e-15 * hi)):
            s = nxt
            break
        s = nxt
    d1 = x / s + 0.5 * s
    a1, b1 = half_erfc_nd(math.fabs(d1) * _SQRT1_2, math.exp(-0.5 * d1 * d1))
    t1 = a1 / b1
    if right == 0:
        return s / rt, dq * ((1.0 - t1) if d1 > 0.0 else t1)
    return s / rt, -dq * (t1 if d1 > 0.0 else (1.0 - t1))


@inline_kernel
def implied_vol_delta1(price, S, K, tau, r, q, right, guess=0.0):
    """``implied_vol_delta`` (callable from Python too)."""
    return implied_vol_delta(price, S, K, tau, r, q, right, guess)


@inline_kernel
def implied_vol1(price, S, K, tau, r, q, right, guess=0.0):
    """Implied volatility of one European option price (NaN outside the no-arbitrage bounds); see
    ``implied_vol_delta1``."""
    v, _ = implied_vol_delta1(price, S, K, tau, r, q, right, guess)
    return v


@inline_kernel
def delta1(S, K, tau, sigma, r, q, right):
    """BSM delta of one option (``tau > 0``, ``sigma > 0``): one log, one exp."""
    dq = math.exp(-q * tau)
    sq = sigma * math.sqrt(tau)
    d1 = (math.log(S / K) + (r - q) * tau) / sq + 0.5 * sq
    t1 = half_erfc(math.fabs(d1) * _SQRT1_2, math.exp(-0.5 * d1 * d1))
    if right == 0:
        return dq * ((1.0 - t1) if d1 > 0.0 else t1)
    return -dq * (t1 if d1 > 0.0 else (1.0 - t1))


@kernel
def bs_price_k(S, K, tau, sigma, right, r, q, out):
    """out[i] = price of option i (all arrays of one length; r, q scalars)."""
    for i in range(out.shape[0]):
        out[i] = bs_price1(S[i], K[i], tau[i], sigma[i], r, q, right[i])


@kernel
def bs_greeks_k(S, K, tau, sigma, right, r, q, price, delta, gamma, vega, theta, rho):
    """Price and greeks of option i into the six output columns (branch-free: degenerate ``tau <= 0`` or
    ``sigma <= 0`` is evaluated at 1 and replaced by the intrinsic values)."""
    for i in range(price.shape[0]):
        t = tau[i]
        sg = sigma[i]
        ok = t > 0.0 and sg > 0.0
        t1 = t if ok else 1.0
        s1 = sg if ok else 1.0
        dr = math.exp(-r * t)
        dq = math.exp(-q * t)
        call = right[i] == 0
        p, d, g, v, a, b = _bs_core(S[i], K[i], dr, dq, math.sqrt(t1), t1, s1, call)
        sgn = 1.0 if call else -1.0
        fwd = sgn * (S[i] * dq - K[i] * dr)
        itm = fwd > 0.0
        price[i] = p if ok else (fwd if itm else 0.0)
        delta[i] = d if ok else (sgn * dq if itm else 0.0)
        gamma[i] = g if ok else 0.0
        vega[i] = v if ok else 0.0
        theta[i] = (-0.5 * v * s1 / t1 + sgn * (q * a - r * b)) if ok else 0.0
        rho[i] = sgn * t1 * b if ok else 0.0


@kernel
def bs_chain_k(S, K, right, sigma, expiry, tau_e, r, q, price, delta, gamma, vega, theta, rho):
    """Chain pricing: price and greeks of every contract of a chain at one underlying price ``S``.
    ``expiry`` int32 (N,) indexes the per-expiry ``tau_e`` (E,) (all > 0; the discount factors and
    square roots are computed once per expiry); ``sigma`` (N,) each contract's vol (the surface's). The
    per-expiry values are first gathered into the output columns (used as scratch), so the pricing loop
    indexes every array from 0 without indirection."""
    ne = tau_e.shape[0]
    dr_e = np.empty(ne)
    dq_e = np.empty(ne)
    rt_e = np.empty(ne)
    for j in range(ne):
        dr_e[j] = math.exp(-r * tau_e[j])
        dq_e[j] = math.exp(-q * tau_e[j])
        rt_e[j] = math.sqrt(tau_e[j])
    for i in range(price.shape[0]):
        e = expiry[i]
        gamma[i] = tau_e[e]
        vega[i] = rt_e[e]
        theta[i] = dr_e[e]
        rho[i] = dq_e[e]
    for i in range(price.shape[0]):
        t = gamma[i]
        call = right[i] == 0
        p, d, g, v, a, b = _bs_core(S, K[i], theta[i], rho[i], vega[i], t, sigma[i], call)
        sgn = 1.0 if call else -1.0
        price[i] = p
        delta[i] = d
        gamma[i] = g
        vega[i] = v
        theta[i] = -0.5 * v * sigma[i] / t + sgn * (q * a - r * b)
        rho[i] = sgn * t * b


@kernel
def implied_vol_k(price, S, K, tau, right, r, q, out):
    """out[i] = implied vol of price[i] (NaN outside the no-arbitrage bounds)."""
    for i in range(out.shape[0]):
        out[i] = implied_vol1(price[i], S[i], K[i], tau[i], r, q, right[i], 0.0)


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
