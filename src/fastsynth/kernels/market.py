"""Latent price kernels: stochastic-volatility factor returns and a symbol's 1-second efficient path.

Contract
--------
All arrays are float64 over the seconds of one session (length ``S``; the log path has ``S + 1``
points, the session open and each second's end). Volatility multipliers are log-normal: the sum of a
fast and a slow Ornstein–Uhlenbeck log-volatility, each started from its stationary law at the open and
normalized so E[multiplier^2] = 1 (so ``sigma_sec`` is the per-second sd on average). Random draws:
second ``k`` uses draws ``5k+5 .. 5k+9`` of its stream (return, fast vol, slow vol, jump uniform, jump size);
draws 1 and 2 start the fast and slow log-volatilities.

``sv_returns`` writes ``out_ret`` (log-returns per second) and ``out_mult`` (the volatility multiplier,
including seasonality) and returns nothing. ``bridge`` writes ``out``: increments conditioned to sum to a
target (the session return fixed by the multi-day plan), so each (symbol, session) partition can be
generated on its own yet agree with the day-to-day path.
"""
from __future__ import annotations

import math

from ._jit import kernel
from .rng import ndtri_blocked


@kernel
def sv_returns(u, zc, season, sigma_sec, theta_f, sd_f, theta_s, sd_s, jump_rate, jump_sd, out_ret, out_mult):
    """Per-second log returns r_k = sigma_sec * season_k * m_k * z_k (+ jumps) with SV multiplier m_k.

    u: (5 S + 5,) the stream's uniforms (the caller's blocked ``kernels.rng.uniforms``); draw i's normal
    is ``ndtri(u[i])``, as ``kernels.rng.normals`` gives it. Only 3 of every 5 draws are read as
    normals (return, fast vol, slow vol; the jump size only when the jump uniform says so), so only
    those are inverted: gathered into the scratch ``zc`` (>= 4 S + 2 float64; the jump sizes after the
    others, in order) and inverted with the blocked ``ndtri_blocked`` (bit-identical to ``ndtri`` per
    element; no scalar ``ndtri`` here: its inlined tail would add to the cold compile).
    season: (S,) relative volatility by time of day (mean square 1). sigma_sec: average per-second sd.
    theta_f/theta_s: mean-reversion rates per second of the fast/slow log-vol; sd_f/sd_s: their
    stationary sds. jump_rate: jumps per second (-inf: none); jump_sd: jump size sd in units of
    sigma_sec * sqrt(60) (a jump is measured against a 1-minute move).
    """
    n = season.shape[0]
    zc[0] = u[1]
    zc[1] = u[2]
    nj = 0
    for k in range(n):
        zc[2 + 3 * k] = u[5 + 5 * k]
        zc[3 + 3 * k] = u[6 + 5 * k]
        zc[4 + 3 * k] = u[7 + 5 * k]
    for k in range(n):    # the jump sizes, in order, after the 3 S + 2 others
        if u[8 + 5 * k] < jump_rate:
            zc[3 * n + 2 + nj] = u[9 + 5 * k]
            nj += 1
    z = zc[:3 * n + 2 + nj]
    ndtri_blocked(z)
    af = math.exp(-theta_f)
    as_ = math.exp(-theta_s)
    ef = sd_f * math.sqrt(1.0 - af * af)
    es = sd_s * math.sqrt(1.0 - as_ * as_)
    hf = sd_f * z[0]
    hs = sd_s * z[1]
    corr = sd_f * sd_f + sd_s * sd_s    # h ~ N(0, v): E[exp(2h - 2v)] = 1, so E[m^2] = season^2
    jscale = jump_sd * sigma_sec * math.sqrt(60.0)
    zr = z[2:]
    ur = u[5:]
    j = 3 * n + 2
    for k in range(n):
        b = 3 * k
        hf = af * hf + ef * zr[b + 1]
        hs = as_ * hs + es * zr[b + 2]
        m = season[k] * math.exp(hf + hs - corr)
        r = sigma_sec * m * zr[b]
        if ur[5 * k + 3] < jump_rate:
            r += jscale * m * z[j]
            j += 1
        out_ret[k] = r
        out_mult[k] = m


@kernel
def bridge(ret, var_w, target, out):
    """Gaussian bridge in variance time: ``out = ret - w * (sum(ret) - target)``, ``w = var_w / sum(var_w)``.

    ret: (S,) increments; var_w: (S,) their local variances (> 0). After the call ``out`` sums to
    ``target`` (up to rounding) and keeps the increments' conditional law for Gaussian increments.
    """
    n = ret.shape[0]
    tot = 0.0
    vsum = 0.0
    for k in range(n):
        tot += ret[k]
        vsum += var_w[k]
    gap = tot - target
    for k in range(n):
        out[k] = ret[k] - var_w[k] / vsum * gap
