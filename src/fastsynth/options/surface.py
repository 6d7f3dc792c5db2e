"""The implied-volatility surface of one underlying over one session (per second, per listed expiry).

Parametrization (all in total implied variance ``w = sigma^2 * tau``, ``tau`` in trading years):

* **ATM level and term structure.** The short-end ATM vol is
  ``sigma0(t) = annual_vol * vol_level * iv_mult(t) * VRP`` (the day's volatility level from the market
  plan, the regime's per-second ``iv_mult``, a variance-risk premium ``VRP``); the long-run level is
  ``sigma_inf = annual_vol * VRP_LONG``. Expected variance mean-reverts at rate ``KAPPA`` per year, so the
  ATM total variance of an expiry ``tau`` away is
  ``theta(tau) = sigma_inf^2 tau + (sigma0^2 - sigma_inf^2) (1 - exp(-KAPPA tau)) / KAPPA``
  (inverted term structure when the short end is elevated, upward sloping when calm).
* **Same-day expiries** (0DTE): their ATM vol rises by up to ``ZERO_DTE_CLOSE`` (linearly over the last
  hour) into the close.
* **Scheduled events** (``RegimePlan.events_for`` of today and the next session): the regime's
  ``iv_mult`` already carries each release's ATM run-up and crush (``iv_runup``/``iv_crush``) for the
  whole term structure; on top, every expiry whose close is at or after the release carries the priced
  jump variance ``E = EVENT_PREMIUM * jump_sd^2 * annual_vol^2 / 252`` until the release. ``E`` is a
  fixed amount of total variance, so it lifts the front spanning expiry most (its own variance is
  smallest) and more and more as that expiry approaches (the term-structure kink and run-up traders
  see), and it disappears at the release (the crush is deepest in the spanning expiry).
* **Smile** in log-forward-moneyness ``k = log(K / F)``, SVI-like in the normalized moneyness
  ``k / sqrt(theta)``: ``w(k) = theta + b sqrt(theta) (rho k + sqrt(k^2 + s^2 theta) - s sqrt(theta))``
  — ``w(0) = theta``, put skew from ``rho < 0``, a softer call wing (slopes ``b(1 -+ rho)``), skew in
  ``k`` falling like ``1/sqrt(theta)`` with maturity. ``w`` is positive (its minimum is
  ``theta (1 - b s (1 - sqrt(1 - rho^2)))``), and ``dw/dtheta >= 1 - b s > 0`` at every ``k``, so a term
  structure ``theta`` increasing in ``tau`` is free of calendar arbitrage; the wing slopes
  ``b sqrt(theta)(1 + |rho|)`` stay far below Lee's bound of 2.

Rates: ``kernels.blackscholes.RATE``; dividend yields ``DIV_YIELD_ETF`` / ``DIV_YIELD_STOCK``.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..kernels.blackscholes import RATE
from ..manifest import SymbolSpec
from .chain import FULL_DAY_SECONDS, TRADING_DAYS, Chain

__all__ = ["SurfaceParams", "Surface", "surface_params", "build_surface", "smile_w", "VRP", "VRP_LONG", "KAPPA"]

VRP = 1.10             # implied / realized vol at the short end
VRP_LONG = 1.05        # and in the long run
KAPPA = 4.0            # per year: mean reversion of expected variance (term structure)
ZERO_DTE_CLOSE = 0.30  # same-day ATM vol rises up to +30% over the last hour
ZERO_DTE_RAMP_S = 3600
EVENT_PREMIUM = 1.25   # implied event variance / expected jump variance
DIV_YIELD_ETF, DIV_YIELD_STOCK = 0.012, 0.008
# smile (b, rho, s): index ETFs carry the steepest put skew; single names a flatter, more symmetric smile
SMILE_ETF = (0.35, -0.70, 0.6)
SMILE_STOCK = (0.30, -0.40, 0.6)


@dataclass(frozen=True)
class SurfaceParams:
    b: float
    rho: float
    s: float
    r: float
    q: float


def surface_params(spec: SymbolSpec) -> SurfaceParams:
    b, rho, s = SMILE_ETF if spec.etf else SMILE_STOCK
    return SurfaceParams(b, rho, s, RATE, DIV_YIELD_ETF if spec.etf else DIV_YIELD_STOCK)


def smile_w(k, theta, b: float, rho: float, s: float):
    """Total implied variance at log-forward-moneyness ``k`` given the ATM total variance ``theta``."""
    rt = np.sqrt(theta)
    return theta + b * rt * (rho * k + np.sqrt(k * k + s * s * theta) - s * rt)


@dataclass(frozen=True)
class Surface:
    """Per-second ATM total variance and time to expiry of every expiry (arrays of shape (E, seconds + 1):
    column ``j`` = at second ``j`` of the session, the last at the close) plus the smile parameters."""

    params: SurfaceParams
    atm_var: np.ndarray
    tau: np.ndarray

    def total_var(self, chain: Chain, second: int, spot: float) -> np.ndarray:
        """Total implied variance of every contract of ``chain`` at ``second`` with the underlying at ``spot``."""
        p = self.params
        tau = self.tau[chain.expiry, second]
        fwd = spot * np.exp((p.r - p.q) * tau)
        k = np.log(chain.strike / fwd)
        return smile_w(k, self.atm_var[chain.expiry, second], p.b, p.rho, p.s)

    def iv(self, chain: Chain, second: int, spot: float) -> np.ndarray:
        """Implied vol of every contract at ``second`` (NaN for an expiry at its close: tau = 0)."""
        tau = self.tau[chain.expiry, second]
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.sqrt(self.total_var(chain, second, spot) / tau)


def _expiry_close_ns(chain: Chain) -> np.ndarray:
    from ..calendar import sessions

    return np.array([sessions(d, 1)[0].close_ns for d in chain.exp_date], np.int64)


def build_surface(spec: SymbolSpec, chain: Chain, session: Any, vol_level: float, iv_mult: np.ndarray,
                  events: list[Any]) -> Surface:
    """The surface of ``chain`` over ``session`` (``iv_mult``: the regime's per-second multiplier, length
    ``session.seconds``; ``events``: objects with ``ts_ns`` and ``jump_sd``)."""
    n = session.seconds
    par = surface_params(spec)
    sec = np.arange(n + 1, dtype=np.float64)
    rem = (n - sec) / (TRADING_DAYS * FULL_DAY_SECONDS)             # rest of today, trading years
    tau = chain.exp_tau[:, None] + rem[None, :]
    tau[chain.exp_tau == 0.0, -1] = 0.0
    mult = np.empty(n + 1)
    mult[:n] = iv_mult
    mult[n] = iv_mult[-1] if n else 1.0
    s0 = spec.annual_vol * vol_level * VRP * mult                     # (n+1,)
    sinf = spec.annual_vol * VRP_LONG
    theta = sinf * sinf * tau + (s0 * s0 - sinf * sinf)[None, :] * (1.0 - np.exp(-KAPPA * tau)) / KAPPA
    same_day = chain.exp_tau == 0.0
    if same_day.any():
        late = np.clip(1.0 - (n - sec) / ZERO_DTE_RAMP_S, 0.0, 1.0)
        theta[same_day] *= ((1.0 + ZERO_DTE_CLOSE * late) ** 2)[None, :]
    if events:
        close = _expiry_close_ns(chain)
        t_ns = session.open_ns + sec.astype(np.int64) * 1_000_000_000
        for ev in events:
            spans = close >= ev.ts_ns
            if not spans.any():
                continue
            # the market's price of the release's jump: its variance (jump_sd daily sds) times a premium
            lump = EVENT_PREMIUM * float(ev.jump_sd) ** 2 * spec.annual_vol ** 2 / TRADING_DAYS
            theta[spans] += np.where(t_ns < ev.ts_ns, lump, 0.0)[None, :]
    theta[tau <= 0.0] = 0.0
    return Surface(par, np.ascontiguousarray(theta), np.ascontiguousarray(tau))


def atm_vol(surface: Surface, expiry: int, second: int) -> float:
    """ATM implied vol of one expiry at one second (NaN at a same-day expiry's close)."""
    t = surface.tau[expiry, second]
    return math.sqrt(surface.atm_var[expiry, second] / t) if t > 0 else math.nan
