"""Readable reference implementations of ``fastsynth.kernels.processes`` (plain numpy + Python loops).

These are the definitions: one step at a time, draws from ``fastsynth.rng.normals``/``uniforms`` at the
documented indices, the same floating-point operations in the same order as the kernels, so the kernels
must match them bit for bit. Speed is irrelevant here.
"""
from __future__ import annotations

import math

import numpy as np

from fastsynth.rng import Key, normals, uniforms


def gbm_log_path(key: Key, start: int, x0: float, mu: float, sigma: float, dt: float, n: int) -> np.ndarray:
    """``log S`` at steps ``start + 1 .. start + n``; step ``t`` uses normal draw ``t``."""
    z = normals(key, start, n)
    c = (mu - 0.5 * sigma * sigma) * dt  # Ito-corrected drift per step
    v = sigma * math.sqrt(dt)  # diffusion scale per step
    out = np.empty(n, dtype=np.float64)
    x = float(x0)
    for j in range(n):
        x = x + (c + v * z[j])
        out[j] = x
    return out


def poisson_inv(u: float, lam_dt: float) -> int:
    """Inverse CDF of Poisson(lam_dt) at ``u``: smallest n with ``u <= P(N <= n)`` (sequential search)."""
    p = math.exp(-lam_dt)
    cdf = p
    n = 0
    while u > cdf:
        n += 1
        p = p * lam_dt / n
        nxt = cdf + p
        if nxt == cdf:  # cdf saturated in floating point: far tail
            break
        cdf = nxt
    return n


def merton_log_path(key: Key, start: int, x0: float, mu: float, sigma: float, lam: float,
                    jump_mu: float, jump_sigma: float, dt: float, n: int) -> np.ndarray:
    """``log S`` at steps ``start + 1 .. start + n``; step ``t`` uses draws ``3t`` (diffusion normal),
    ``3t + 1`` (uniform for the jump count) and ``3t + 2`` (normal for the sum of the jumps)."""
    z_all = normals(key, 3 * start, 3 * n).reshape(n, 3)
    u_all = uniforms(key, 3 * start, 3 * n).reshape(n, 3)
    z_diff = z_all[:, 0]
    u_count = u_all[:, 1]
    z_jump = z_all[:, 2]
    # compensator: E[e^J] - 1 for J ~ N(jump_mu, jump_sigma^2), so that E[S_t] = S_0 e^{mu t}
    kappa = math.expm1(jump_mu + 0.5 * jump_sigma * jump_sigma)
    c = (mu - 0.5 * sigma * sigma - lam * kappa) * dt
    v = sigma * math.sqrt(dt)
    out = np.empty(n, dtype=np.float64)
    x = float(x0)
    for j in range(n):
        x = x + (c + v * z_diff[j])
        n_jumps = poisson_inv(u_count[j], lam * dt)
        if n_jumps > 0:
            nj = float(n_jumps)
            # sum of nj iid N(jump_mu, jump_sigma^2) = N(nj * jump_mu, nj * jump_sigma^2)
            x = x + (nj * jump_mu + math.sqrt(nj) * jump_sigma * z_jump[j])
        out[j] = x
    return out


def ou_path(key: Key, start: int, x0: float, theta: float, mean: float, sigma: float, dt: float,
            n: int) -> np.ndarray:
    """OU values at steps ``start + 1 .. start + n`` with the exact transition; step ``t`` uses normal ``t``."""
    z = normals(key, start, n)
    a = math.exp(-theta * dt)  # conditional-mean decay over one step
    s = sigma * math.sqrt(-math.expm1(-2.0 * theta * dt) / (2.0 * theta))  # conditional std over one step
    out = np.empty(n, dtype=np.float64)
    x = float(x0)
    for j in range(n):
        x = mean + (x - mean) * a + s * z[j]
        out[j] = x
    return out
