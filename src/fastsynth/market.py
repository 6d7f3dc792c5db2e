"""Session-wide market pass: day-level volatility and returns, intraday seasonality, latent paths.

The plan is a cheap day-level recursion over the whole run (computed once, O(days x symbols)):
a daily log-volatility level with a leverage effect (a down day raises the next days' volatility),
the market, sector and idiosyncratic return of every session, overnight gaps, and so every symbol's
open price for every session. A (symbol, session) partition then builds its own 1-second latent path
(market + sector + idiosyncratic stochastic-volatility paths, each bridged to the plan's session
return), so partitions are independent yet agree with the multi-day path, and symbols co-move through
the shared market and sector paths (computed from the same keys in every partition).
"""
from __future__ import annotations

import functools
import math
import threading
from dataclasses import dataclass

import numpy as np

from .calendar import Session
from .manifest import Manifest, SymbolSpec
from .rng import derive_key, normals

__all__ = ["MarketPlan", "DayPlan", "plan_market", "latent_path", "LatentPath", "seasonality"]

FULL_DAY_SECONDS = 23_400
TRADING_DAYS = 252.0
MARKET_VOL = 0.16          # annual vol of the market factor
SECTOR_VOL = 0.10          # annual vol of each sector factor
OVERNIGHT_VAR_SHARE = 0.25  # overnight variance as a share of a full session's
# Daily log-vol level: AR(1) with persistence PHI, innovation sd XI and correlation RHO to the
# previous session's standardized market return (the leverage effect, at the daily scale only).
VOL_PHI, VOL_XI, VOL_RHO = 0.92, 0.18, -0.65
# Intraday SV: fast (~10 min) and slow (~2 h) log-vol OU components (rates per second, stationary sds).
SV_FAST = (1.0 / 600.0, 0.25)
SV_SLOW = (1.0 / 10800.0, 0.40)
JUMPS_PER_DAY = 0.5        # idiosyncratic jumps per symbol-session
JUMP_SD = 6.0              # jump size sd in 1-minute sds


@dataclass(frozen=True)
class DayPlan:
    """One session of the plan: the volatility level and every component's session return."""

    session: Session
    vol_level: float                 # multiplier of all volatilities this session (E[v^2] = 1)
    market_return: float             # log-return open->close of the market factor
    sector_return: dict[str, float]
    idio_return: dict[str, float]    # per symbol
    open_price: dict[str, float]     # per symbol, after the overnight gap


@dataclass(frozen=True)
class MarketPlan:
    days: tuple[DayPlan, ...]


def _components(spec: SymbolSpec) -> tuple[float, float, float]:
    """(gamma, sector annual vol, idio annual vol) so beta^2 m^2 + gamma^2 s^2 + i^2 = annual_vol^2."""
    gamma = 0.0 if spec.etf else 1.0
    sys_var = (spec.beta * MARKET_VOL) ** 2 + (gamma * SECTOR_VOL) ** 2
    floor = 0.02 if spec.etf else 0.10   # keep some idiosyncratic variance
    idio_var = max(spec.annual_vol ** 2 - sys_var, floor * spec.annual_vol ** 2)
    return gamma, SECTOR_VOL, math.sqrt(idio_var)


def plan_market(m: Manifest, sessions: list[Session]) -> MarketPlan:
    """The day-level plan for every session of the run (deterministic in the manifest)."""
    from .regime import day_factors

    specs = m.selected()
    sectors = sorted({s.sector for s in specs})
    nd = len(sessions)
    z = normals(derive_key(m.seed, "plan", "market"), 0, 4 * nd)
    mean_h = 0.0
    stat_var = VOL_XI ** 2 / (1.0 - VOL_PHI ** 2)
    h = math.sqrt(stat_var) * z[0]
    prev_eps = 0.0
    price = {s.symbol: s.price for s in specs}
    days = []
    for d, sess in enumerate(sessions):
        if d > 0:
            h = mean_h + VOL_PHI * (h - mean_h) + VOL_XI * (VOL_RHO * prev_eps + math.sqrt(1 - VOL_RHO ** 2) * z[4 * d])
        v = math.exp(h - stat_var)           # E[v^2] = 1 under the stationary law
        frac = sess.seconds / FULL_DAY_SECONDS
        day_sd = v * math.sqrt(frac / TRADING_DAYS)
        # the regime engine's preset volatility level and event jumps (macro: market factor; earnings:
        # idiosyncratic) widen the session's return law; latent_path places the jumps and bridges
        rv, macro_var, earn_var = day_factors(m, sess)
        eps = z[4 * d + 1]
        mret = MARKET_VOL * day_sd * math.sqrt(rv * rv + macro_var) * eps
        on_m = MARKET_VOL * v * math.sqrt(OVERNIGHT_VAR_SHARE / TRADING_DAYS) * z[4 * d + 2] if d > 0 else 0.0
        # each sector's draws are keyed by its name, so a symbol's path never depends on which other
        # symbols (and sectors) are in the run
        sec_z = {s: normals(derive_key(m.seed, "plan", "sector", s, sess.date.isoformat()), 0, 2) for s in sectors}
        sret = {s: SECTOR_VOL * day_sd * rv * z[0] for s, z in sec_z.items()}
        s_on = {s: SECTOR_VOL * v * math.sqrt(OVERNIGHT_VAR_SHARE / TRADING_DAYS) * z[1] for s, z in sec_z.items()}
        idio, opens = {}, {}
        for spec in specs:
            gamma, _, ivol = _components(spec)
            iz = normals(derive_key(m.seed, "plan", "idio", spec.symbol, sess.date.isoformat()), 0, 2)
            jv = earn_var.get(spec.symbol, 0.0) * spec.annual_vol ** 2
            idio[spec.symbol] = day_sd * math.sqrt((ivol * rv) ** 2 + jv) * iz[0]
            if d > 0:
                gap = spec.beta * on_m + gamma * s_on[spec.sector] \
                    + ivol * v * math.sqrt(OVERNIGHT_VAR_SHARE / TRADING_DAYS) * iz[1]
                price[spec.symbol] *= math.exp(gap)
            opens[spec.symbol] = price[spec.symbol]
            # the close of this session seeds the next open
            price[spec.symbol] *= math.exp(spec.beta * mret + gamma * sret[spec.sector] + idio[spec.symbol])
        days.append(DayPlan(sess, v, mret, sret, idio, opens))
        prev_eps = eps
    return MarketPlan(tuple(days))


@functools.lru_cache(maxsize=4)
def seasonality(seconds: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Intraday profiles over a session's seconds: (volatility, activity, spread), each mean ~1.

    Volatility: reverse-J (high after the open, a small rise into the close), normalized to mean
    square 1. Activity (trade and quote arrival rate): U-shape with a lunch lull, normalized to mean 1.
    Spread: widest at the open, narrowing through the day, narrowest into the close (mean 1).
    The arrays are cached per session length and read-only (every partition of a run asks for them).
    """
    u = (np.arange(seconds, dtype=np.float64) + 0.5) / seconds
    vol = 1.0 + 2.6 * np.exp(-u / 0.05) + 0.35 * np.exp(-(1.0 - u) / 0.03)
    vol /= math.sqrt(float(np.mean(vol * vol)))
    act = (1.0 + 2.8 * np.exp(-u / 0.05) + 2.0 * np.exp(-(1.0 - u) / 0.06)
           - 0.22 * np.exp(-((u - 0.52) / 0.14) ** 2))
    act /= float(np.mean(act))
    spr = (1.0 + 3.4 * np.exp(-u / 0.035)) * (1.25 - 0.65 * u)
    spr /= float(np.mean(spr))
    for a in (vol, act, spr):
        a.setflags(write=False)
    return vol, act, spr


@dataclass(frozen=True)
class LatentPath:
    """A symbol's 1-second latent state for one session."""

    log_price: np.ndarray   # (S+1,) log efficient price at the open and at each second's end
    volrel: np.ndarray      # (S,) local volatility relative to the symbol's session average


_TLS = threading.local()


def _scratch(key: str, n: int) -> np.ndarray:
    """``n`` float64 of this thread's reusable buffer ``key`` (contents are the caller's until it returns)."""
    bufs = getattr(_TLS, "bufs", None)
    if bufs is None:
        bufs = _TLS.bufs = {}
    a = bufs.get(key)
    if a is None or a.shape[0] < n:
        a = bufs[key] = np.empty(n)
    return a[:n]


def _sv_path(key, season: np.ndarray, sigma_sec: float, jump_rate: float) -> tuple[np.ndarray, np.ndarray]:
    from .kernels.market import sv_returns

    from .kernels import rng as krng

    n = season.shape[0]
    ret = np.empty(n)
    mult = np.empty(n)
    # blocked uniforms into this thread's reusable buffers (fresh ~1 MB arrays cost page faults every
    # partition); the kernel inverts only the 3 of 5 draws it reads as normals (plus the rare jump
    # sizes). A stream without jumps (market, sectors) gets a jump rate of -inf.
    u = _scratch("u", 5 * n + 5)
    krng.uniforms(key[0], key[1], 0, u)
    zc = _scratch("z", 4 * n + 2)
    if not jump_rate > 0.0:
        jump_rate = -math.inf
    sv_returns(u, zc, season, sigma_sec, SV_FAST[0], SV_FAST[1], SV_SLOW[0], SV_SLOW[1], jump_rate, JUMP_SD, ret, mult)
    return ret, mult


def _bridged(ret: np.ndarray, mult: np.ndarray, target: float, jumps=(), sigma: float = 0.0) -> np.ndarray:
    """Bridge ``ret`` to ``target``; each jump ``(second, sd_units)`` is an extra increment ``sd_units *
    sigma * z`` with variance ``sd_units**2`` (in ``mult**2`` units) at that second, bridged with the rest
    (so a jump is drawn conditionally on the session return, and the session total stays the plan's)."""
    from .kernels.market import bridge

    var = mult * mult
    if jumps:
        ret, var = ret.copy(), var.copy()
        for k, units, z in jumps:
            ret[k] += units * sigma * z
            var[k] += units * units
    out = np.empty_like(ret)
    bridge(ret, var, target, out)
    return out


def latent_path(m: Manifest, spec: SymbolSpec, day: DayPlan, mod=None, jumps=(), keep: bool = False) -> LatentPath:
    """The 1-second efficient log-price path and local volatility of ``spec`` in ``day``.

    ``mod`` (the regime engine's ``SymbolModulation``): ``vol_mult`` scales every component's volatility
    and ``drift`` is added to the idiosyncratic increments, both before the bridge to the plan's session
    return (so the regime's shape survives and partitions stay independent and consistent with the
    multi-day plan). ``jumps``: event jumps ``(second, "market" | "idio", sd, z)`` (macro sd in market
    daily sds, earnings sd in the symbol's daily sds).

    Hand-off within a partition: the equities pass (first) calls with ``keep=True``, which computes the
    path and leaves it in a one-slot per-thread store; the options pass of the same partition then calls
    with the same objects and takes it from the store (a ~3 ms recomputation per partition saved).
    The slot is matched by identity of ``m``, ``spec``, ``day`` and ``mod`` (held, so ids stay valid) and
    equal ``jumps``, and emptied when taken; a ``keep=True`` call never reads it. The returned arrays
    are shared with the other pass: callers must not modify them."""
    if not keep:
        got = getattr(_TLS, "path", None)
        if got is not None and got[0] is m and got[1] is spec and got[2] is day and got[3] is mod \
                and got[4] == list(jumps):
            _TLS.path = None
            return got[5]
    path = _latent_path(m, spec, day, mod, jumps)
    if keep:
        _TLS.path = (m, spec, day, mod, list(jumps), path)
    return path


def _latent_path(m: Manifest, spec: SymbolSpec, day: DayPlan, mod, jumps) -> LatentPath:
    sess = day.session
    n = sess.seconds
    date = sess.date.isoformat()
    vol_season, _, _ = seasonality(n)
    per_sec = day.vol_level / math.sqrt(TRADING_DAYS * FULL_DAY_SECONDS)
    gamma, svol, ivol = _components(spec)
    vm = mod.vol_mult if mod is not None else None
    rootn = math.sqrt(n)
    mjumps = [(k, sd * rootn, z) for k, c, sd, z in jumps if c == "market"]
    ijumps = [(k, sd * rootn * spec.annual_vol / ivol, z) for k, c, sd, z in jumps if c == "idio"]
    mret, mmult = _sv_path(derive_key(m.seed, "market", date), vol_season, MARKET_VOL * per_sec, 0.0)
    if vm is not None:
        mret, mmult = mret * vm, mmult * vm
    mret = _bridged(mret, mmult, day.market_return, mjumps, MARKET_VOL * per_sec)
    x = spec.beta * mret
    var = (spec.beta * MARKET_VOL * mmult) ** 2
    if gamma != 0.0:
        sret, smult = _sv_path(derive_key(m.seed, "sector", spec.sector, date), vol_season, svol * per_sec, 0.0)
        if vm is not None:
            sret, smult = sret * vm, smult * vm
        x += gamma * _bridged(sret, smult, day.sector_return[spec.sector])
        var += (gamma * svol * smult) ** 2
    jump_rate = JUMPS_PER_DAY / FULL_DAY_SECONDS
    iret, imult = _sv_path(derive_key(m.seed, "idio", spec.symbol, date), vol_season, ivol * per_sec, jump_rate)
    if vm is not None:
        iret, imult = iret * vm, imult * vm
    if mod is not None:
        iret = iret + mod.drift
    x += _bridged(iret, imult, day.idio_return[spec.symbol], ijumps, ivol * per_sec)
    var += (ivol * imult) ** 2
    log_price = np.empty(n + 1)
    log_price[0] = math.log(day.open_price[spec.symbol])
    np.cumsum(x, out=log_price[1:])
    log_price[1:] += log_price[0]
    if any(k == 0 for k, _, _, _ in jumps):
        # a pre-open release is news before the opening cross: the open already reflects the jump
        log_price[0] = log_price[1]
    volrel = day.vol_level * np.sqrt(var) / spec.annual_vol
    return LatentPath(log_price, volrel)
