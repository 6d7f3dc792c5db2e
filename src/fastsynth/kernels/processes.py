"""Stochastic-process building blocks: GBM, Merton jump-diffusion and Ornstein-Uhlenbeck paths.

Contract
--------
* Pure kernels: scalars and one caller-allocated ``out`` array in; ``out`` is the only thing written;
  nothing is returned; no I/O, no global RNG state, no ``fastmath``.
* ``out`` is a 1-D C-contiguous ``float64`` array of length ``n >= 0`` (any length, including 0).
  ``out[j]`` is the state at step ``start + j + 1``; the state at step ``start`` is the argument ``x0``
  (it is not written).
* ``k0, k1``: the stream key from ``fastsynth.rng.derive_key`` (two ints holding 32-bit values).
  ``start``: a non-negative int, the index of the first step.
* Randomness: every draw is ``uniform``/``normal`` of stream ``(k0, k1)`` (``kernels/rng.py``) at an index
  that is a fixed function of the step index, documented per kernel. Hence chunk invariance: computing
  ``n`` steps at once equals computing the first ``k`` steps, then calling again with ``start + k`` and
  ``x0 = out[k - 1]`` (bit for bit).
* Units: ``dt`` is the step length in any unit of time; ``mu``, ``sigma``, ``lam``, ``theta`` are rates
  per that unit (``sigma`` per square root of it). Log-price kernels work on ``x = log S``.
* Arguments are not validated here (``error_model="numpy"``: no division checks); callers validate:
  ``dt >= 0``, ``sigma >= 0``, ``theta > 0``, ``0 <= lam * dt`` well below 700 (see ``merton_log_path``).
* Blocked evaluation (draw a block into a scratch buffer, transform, then run the serial recurrence) gives
  exactly the same floating-point operations, in the same order, as the one-step-at-a-time definition;
  ``tests/reference/processes.py`` is that definition in plain numpy and the tests compare bit for bit.

Kernels
-------
``gbm_log_path(k0, k1, start, x0, mu, sigma, dt, out)``
    ``x[t+1] = x[t] + ((mu - sigma**2/2) * dt + sigma * sqrt(dt) * Z[t])``, ``Z[t] = normal(k0, k1, t)``.
``merton_log_path(k0, k1, start, x0, mu, sigma, lam, jump_mu, jump_sigma, dt, out)``
    GBM diffusion with compensated drift plus compound-Poisson jumps; three draws per step ``t``:
    ``normal(3t)`` diffusion, ``uniform(3t + 1)`` jump count, ``normal(3t + 2)`` jump sum.
``ou_path(k0, k1, start, x0, theta, mean, sigma, dt, out)``
    Exact OU transition, ``Z[t] = normal(k0, k1, t)``.
``poisson_inv(u, lam_dt, p0)``
    Inverse-CDF Poisson helper (inlined into ``merton_log_path``; also callable for tests).
"""
from __future__ import annotations

import math

import numpy as np

from ._jit import inline_kernel, kernel
from .rng import fill_normal, fill_uniform, ndtri

__all__ = ["gbm_log_path", "merton_log_path", "ou_path", "poisson_inv", "BLOCK"]

#: Steps per block: the scratch buffers stay in L1/L2 (8 KiB of normals, 12 KiB of Merton uniforms).
BLOCK = 1024
_MERTON_BLOCK = 512


@kernel
def gbm_log_path(k0, k1, start, x0, mu, sigma, dt, out):
    """Log-price path of geometric Brownian motion; writes ``out``, returns nothing.

    ``out[j] = log S`` at step ``start + j + 1``; ``x0 = log S`` at step ``start``. The step from ``t`` to
    ``t + 1`` uses ``Z = normal(k0, k1, t)`` (draw index = step index)::

        x[t+1] = x[t] + (c + v * Z[t]),   c = (mu - 0.5 * sigma * sigma) * dt,   v = sigma * sqrt(dt)

    The log increments are exactly Gaussian, so ``log S_T`` is exact in distribution for any ``dt``.
    """
    n = out.shape[0]
    c = (mu - 0.5 * sigma * sigma) * dt
    v = sigma * math.sqrt(dt)
    z = np.empty(min(n, BLOCK), dtype=np.float64)
    x = float(x0)
    for o0 in range(0, n, BLOCK):
        m = min(BLOCK, n - o0)
        zb = z[:m]
        fill_normal(k0, k1, start + o0, zb)
        for j in range(m):
            zb[j] = c + v * zb[j]
        ob = out[o0:o0 + m]
        for j in range(m):
            x = x + zb[j]
            ob[j] = x


@inline_kernel
def poisson_inv(u, lam_dt, p0):
    """Smallest ``n`` with ``u <= P(N <= n)`` for ``N ~ Poisson(lam_dt)``; ``p0`` must be ``exp(-lam_dt)``.

    Sequential search: ``p_n = p_{n-1} * lam_dt / n``, ``cdf_n = cdf_{n-1} + p_n``; it stops early if the
    cdf no longer changes in floating point (far right tail, probability ~1e-16). Cost is ``1 + N``
    iterations, i.e. about ``1 + lam_dt`` on average: meant for small ``lam_dt`` (rare jumps). Limit:
    ``exp(-lam_dt)`` underflows for ``lam_dt > ~708`` (the result is then wrong, ``N <= 1``), and the
    rounding of the running cdf grows with ``lam_dt``; keep ``lam_dt`` below ~30 (ideally << 1).
    """
    n = 0
    p = p0
    cdf = p0
    while u > cdf:
        n += 1
        p = p * lam_dt / n
        nxt = cdf + p
        if nxt == cdf:
            break
        cdf = nxt
    return n


@kernel
def merton_log_path(k0, k1, start, x0, mu, sigma, lam, jump_mu, jump_sigma, dt, out):
    """Merton jump-diffusion log-price path; writes ``out``, returns nothing.

    ``out[j] = log S`` at step ``start + j + 1``; ``x0 = log S`` at step ``start``. Step ``t`` uses exactly
    three draws of stream ``(k0, k1)``: ``Z = normal(3t)``, ``U = uniform(3t + 1)``, ``Y = normal(3t + 2)``::

        c  = (mu - 0.5 * sigma**2 - lam * expm1(jump_mu + 0.5 * jump_sigma**2)) * dt   # E[S_t] = S_0 e^{mu t}
        x[t+1] = x[t] + (c + sigma * sqrt(dt) * Z)
        N = poisson_inv(U, lam * dt, exp(-lam * dt))                                     # N ~ Poisson(lam dt)
        if N > 0:  x[t+1] = x[t+1] + (N * jump_mu + sqrt(N) * jump_sigma * Y)           # sum of N jumps

    Each jump is ``N(jump_mu, jump_sigma**2)`` in log space; the sum of ``N`` of them is drawn as one normal.
    Per-step Poisson counts add up to ``Poisson(lam T)``, so ``log S_T`` is exact in distribution for any
    ``dt``. The inverse-CDF Poisson costs ``O(1 + lam dt)`` per step and needs ``lam * dt`` well below 700
    (see ``poisson_inv``); intended for ``lam * dt << 1``.
    """
    n = out.shape[0]
    c = (mu - 0.5 * sigma * sigma - lam * math.expm1(jump_mu + 0.5 * jump_sigma * jump_sigma)) * dt
    v = sigma * math.sqrt(dt)
    lam_dt = lam * dt
    p0 = math.exp(-lam_dt)
    nb = min(n, _MERTON_BLOCK)
    u = np.empty(3 * nb, dtype=np.float64)
    z = np.empty(nb, dtype=np.float64)
    x = float(x0)
    for o0 in range(0, n, _MERTON_BLOCK):
        m = min(_MERTON_BLOCK, n - o0)
        ub = u[:3 * m]
        zb = z[:m]
        fill_uniform(k0, k1, 3 * (start + o0), ub)
        for j in range(m):
            zb[j] = c + v * ndtri(ub[3 * j])
        ob = out[o0:o0 + m]
        for j in range(m):
            x = x + zb[j]
            uj = ub[3 * j + 1]
            if uj > p0:  # at least one jump (rare for small lam*dt): branch taken with prob 1 - e^{-lam dt}
                nj = float(poisson_inv(uj, lam_dt, p0))
                x = x + (nj * jump_mu + math.sqrt(nj) * jump_sigma * ndtri(ub[3 * j + 2]))
            ob[j] = x


@kernel
def ou_path(k0, k1, start, x0, theta, mean, sigma, dt, out):
    """Ornstein-Uhlenbeck path with the exact transition; writes ``out``, returns nothing.

    ``dx = theta (mean - x) dt + sigma dW``. ``out[j] = x`` at step ``start + j + 1``; ``x0`` = x at step
    ``start``; step ``t`` uses ``Z = normal(k0, k1, t)``::

        a = exp(-theta * dt),   s = sigma * sqrt(-expm1(-2 * theta * dt) / (2 * theta))
        x[t+1] = mean + (x[t] - mean) * a + s * Z[t]

    (``-expm1(-2 theta dt)`` is ``1 - e^{-2 theta dt}`` without cancellation for small ``theta dt``.)
    Exact for any ``dt``; requires ``theta > 0``. Stationary law ``N(mean, sigma**2 / (2 theta))``.
    """
    n = out.shape[0]
    a = math.exp(-theta * dt)
    s = sigma * math.sqrt(-math.expm1(-2.0 * theta * dt) / (2.0 * theta))
    z = np.empty(min(n, BLOCK), dtype=np.float64)
    x = float(x0)
    for o0 in range(0, n, BLOCK):
        m = min(BLOCK, n - o0)
        zb = z[:m]
        fill_normal(k0, k1, start + o0, zb)
        for j in range(m):
            zb[j] = s * zb[j]
        ob = out[o0:o0 + m]
        for j in range(m):
            x = mean + (x - mean) * a + zb[j]
            ob[j] = x
