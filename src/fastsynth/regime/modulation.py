"""Per-symbol, per-second multipliers that carry the regime into the equity and option generators."""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

__all__ = ["SymbolModulation", "neutral_modulation"]


@dataclass(frozen=True)
class SymbolModulation:
    """Per-second float64 arrays of length ``session.seconds`` (all ones, drift zeros = neutral).

    drift: log-return per second added to the efficient price (before the bridge to the day plan's
    session return, so its shape survives and multi-day paths stay consistent). vol_mult: multiplier of
    the latent volatility. activity: equity arrival-rate multiplier. spread_mult: equity spread
    multiplier. quote_mult: quote-update rate multiplier. iv_mult: multiplier of the option ATM IV level
    (event run-up and crush included). cleanliness: 0..1 quote cleanliness (1 = tight and fresh).
    option_activity: option noise-print rate multiplier.
    """

    drift: np.ndarray
    vol_mult: np.ndarray
    activity: np.ndarray
    spread_mult: np.ndarray
    quote_mult: np.ndarray
    iv_mult: np.ndarray
    cleanliness: np.ndarray
    option_activity: np.ndarray


def neutral_modulation(seconds: int) -> SymbolModulation:
    one = np.ones(seconds)
    return SymbolModulation(np.zeros(seconds), one, one, one, one, one, one.copy(), one)


# Jumps at event releases: (second, component, sd, z). component "market" (macro: the market factor,
# sd in market daily sds, the symbol moves beta x it) or "idio" (earnings: sd in the symbol's daily sds).
Jump = tuple[int, str, float, float]

TRADING_SECONDS = 252.0 * 23_400.0
TAU_CHOP = 30.0          # s, time scale of the dealer-gamma / mean-revert reversal component (short, so
                         # 1-min returns reverse at lag 1 but stay unpredictable at lags >= 2)
CHOP_AMP = {"dealer_gamma": 1.0, "mean_revert": 0.55}
TREND_K = {"trend_up": (0.55, 0.8), "trend_down": (0.55, 0.8), "retail_chase": (0.3, 1.1),
           "event_ramp": (0.25, 0.9)}   # (market-wide, focus/event symbol): drift over a segment in its sds


def compute_modulation(day, name: str, etf: bool, annual_vol: float, vol_level: float, seed: int,
                       events) -> tuple[SymbolModulation, list[Jump]]:
    """The modulation of one symbol in one session from the day's regime timeline (``timeline.DayRegime``)
    and the symbol's events (macro ``'*'`` and its own; after-close events of the previous session give a
    jump at the open). Deterministic in (seed, symbol, date, control schedule)."""
    from ..rng import derive_key, normals
    from ..schemas import REGIMES
    from .control import PRESETS
    from .timeline import P_AFTER, PRESET_SPREAD, REG_CLEAN, REG_LIQ, REG_OPT, REG_QUOTE, REG_SPREAD

    n = day.seconds
    M = day.minutes
    sec = np.arange(n, dtype=np.float64) + 0.5
    cen = np.arange(M, dtype=np.float64) * 60.0 + 30.0

    def up(x: np.ndarray) -> np.ndarray:
        return np.interp(sec, cen, x)

    reg = day.regime.astype(np.int64)
    in_focus = np.array([name in f for f in day.focus])
    in_event = np.array([name in f for f in day.event_syms])
    names = [REGIMES[r] for r in range(len(REGIMES))]
    directional = np.isin(reg, [names.index(x) for x in ("trend_up", "trend_down", "retail_chase", "event_ramp")])
    foc_dir = in_focus & directional
    vol_m = day.vol * np.where(foc_dir, 1.15, 1.0)
    act_m = day.liq * np.where(foc_dir, 1.3, 1.0) * np.where(in_event, 1.3, 1.0)
    pspread = np.array([PRESET_SPREAD[p] for p in day.preset])
    spr_m = REG_SPREAD[reg] * pspread * np.where(foc_dir, 1.05, 1.0)
    q_m = REG_QUOTE[reg]
    opt_m = day.liq * REG_OPT[reg] / REG_LIQ[reg] * np.where(in_focus, 1.5, 1.0) * np.where(in_event, 1.5, 1.0)
    clean_m = day.clean.copy()
    # drift: a modest trend per directional segment (size in sds of the segment's diffusion)
    sig = annual_vol * vol_level / math.sqrt(TRADING_SECONDS)
    drift_m = np.zeros(M)
    seg_len = np.bincount(day.bucket.astype(np.int64), minlength=int(day.bucket.max()) + 1) * 60.0
    for r, (k_mkt, k_foc) in TREND_K.items():
        ri = names.index(r)
        sel = reg == ri
        if not sel.any():
            continue
        k = np.where(in_focus | in_event, k_foc, k_mkt)
        length = seg_len[day.bucket.astype(np.int64)]
        drift_m = np.where(sel, day.direction * k * sig * vol_m / np.sqrt(length), drift_m)
    drift = up(drift_m)
    # reversal component: an OU level (time scale TAU_CHOP) switched on in dealer_gamma / mean_revert
    amp_m = np.zeros(M)
    for r, a in CHOP_AMP.items():
        amp_m = np.where(reg == names.index(r), a * (1.3 if etf else 1.0), amp_m)
    if amp_m.any():
        step = 5
        g = n // step + 2
        z = normals(derive_key(seed, "regime", "chop", name, day.date.isoformat()), 0, g)
        phi = math.exp(-step / TAU_CHOP)
        e = math.sqrt(1.0 - phi * phi)
        y = np.empty(g)
        acc = z[0]
        for i in range(g):          # ~2,400 steps: cheap in Python
            acc = phi * acc + e * z[i] if i else acc
            y[i] = acc
        ys = np.interp(np.arange(n + 1, dtype=np.float64), np.arange(g) * float(step), y)
        lvl = ys * sig * math.sqrt(TAU_CHOP) * np.interp(np.arange(n + 1, dtype=np.float64), cen, amp_m * day.vol)
        drift = drift + np.diff(lvl)
    vol = up(vol_m)
    act = up(act_m)
    spr = up(spr_m)
    qm = up(q_m)
    opt = up(opt_m)
    clean = up(clean_m)
    iv = np.sqrt(vol / np.maximum(up(np.array([PRESETS[p].vol_level for p in day.preset])), 1e-9)) \
        * up(np.array([PRESETS[p].vol_level for p in day.preset]))
    iv *= np.where(up(foc_dir.astype(np.float64)) > 0.5, 1.06, 1.0)
    jumps: list[Jump] = []
    for ev in events:
        own = ev.symbol in ("*", name)
        if not own:
            continue
        k = int((ev.ts_ns - day.open_ns) // 1_000_000_000)
        comp = "market" if ev.symbol == "*" else "idio"
        zkey = derive_key(seed, "event", ev.event_type, ev.symbol, ev.ts_ns)
        zj = float(normals(zkey, 0, 1)[0])
        sw = ev.spread_widen - 1.0
        if ev in day.prev_after_close:          # yesterday's after-close release: gap at today's open
            k = 0
            iv *= 1.0 + 0.15 * ev.iv_runup * np.exp(-sec / 3600.0)
        if k < n:                                # pre-open (k < 0: at the open) or intraday
            k = max(k, 0)
            jumps.append((k, comp, ev.jump_sd, zj))
            after = sec >= k
            dt = np.abs(sec - k)
            w = np.where(after, np.exp(-dt / (600.0 if k == 0 else 300.0)), np.exp(-dt / 180.0))
            spr *= 1.0 + sw * w
            act *= 1.0 + np.where(after, 1.5 * np.exp(-dt / 600.0), 0.0)
            clean *= 1.0 - 0.3 * w
            vol *= 1.0 + np.where(after & (k > 0), 0.25 * ev.jump_sd * np.exp(-dt / 900.0), 0.0)
            if k > 0:                            # intraday release: run-up, then crush and slow recovery
                pre = 1.0 + ev.iv_runup * (0.7 + 0.3 * sec / k)
                post_lvl = (1.0 + ev.iv_runup) * (1.0 - ev.iv_crush)
                post = post_lvl + (1.0 - post_lvl) * (1.0 - np.exp(-(sec - k) / 5400.0))
                iv *= np.where(after, post, pre)
        else:                                     # after today's close: run-up through the day
            iv *= 1.0 + ev.iv_runup * (0.6 + 0.4 * sec / n)
    for ev in day.next_pre_open:
        if ev.symbol in ("*", name):
            iv *= 1.0 + ev.iv_runup * (0.6 + 0.4 * sec / n)
    np.clip(clean, 0.05, 1.0, out=clean)
    return SymbolModulation(drift, vol, act, spr, qm, iv, clean, opt), jumps
