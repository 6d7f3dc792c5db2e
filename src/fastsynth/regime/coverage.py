"""The labeled-scenario burst schedule of a session, after soft coverage."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["BurstSchedule", "empty_schedule"]


@dataclass(frozen=True)
class BurstSchedule:
    """Labeled scenario bursts of one session, sorted by (ts_ns, burst_id).

    ts_ns int64 (burst start, ns UTC); symbol int32 (index in ``m.selected()`` order = the engine's
    ``sym_code``); family int8 (index into ``schemas.FAMILIES``); profile int8 (index into
    ``schemas.PROFILES``); burst_id uint64 (unique in the run, > 0); intensity float64 (size/premium
    scale, ~1); direction int8 (+1 bullish, -1 bearish, 0 neutral).
    """

    ts_ns: np.ndarray
    symbol: np.ndarray
    family: np.ndarray
    profile: np.ndarray
    burst_id: np.ndarray
    intensity: np.ndarray
    direction: np.ndarray

    def __len__(self) -> int:
        return int(self.ts_ns.shape[0])

    def take(self, idx: np.ndarray) -> BurstSchedule:
        return BurstSchedule(self.ts_ns[idx], self.symbol[idx], self.family[idx], self.profile[idx],
                             self.burst_id[idx], self.intensity[idx], self.direction[idx])

    def for_symbol(self, code: int) -> BurstSchedule:
        """The bursts of one symbol (engine ``sym_code``), same order."""
        return self.take(np.flatnonzero(self.symbol == code))

    def between(self, t0: int, t1: int) -> BurstSchedule:
        """The bursts with t0 <= ts_ns < t1."""
        return self.take(np.flatnonzero((self.ts_ns >= t0) & (self.ts_ns < t1)))


def empty_schedule() -> BurstSchedule:
    return BurstSchedule(np.zeros(0, np.int64), np.zeros(0, np.int32), np.zeros(0, np.int8), np.zeros(0, np.int8),
                         np.zeros(0, np.uint64), np.zeros(0, np.float64), np.zeros(0, np.int8))


# ---------------------------------------------------------------------------------------------------
# The schedule: a doubly stochastic arrival process (minute intensity = preset rate x regime x phase x a
# slow log-normal noise), a profile per burst from regime x profile weights x coverage boost, a family
# within the profile from the regime and the trend direction, and a symbol from liquidity, focus and
# event names. Coverage debt per public profile = time since it was last scheduled / window; a profile
# missing for more than BOOST_FROM of the window gets a weight boost rising linearly to BOOST_MAX.

import math  # noqa: E402

from ..schemas import FAMILIES, FAMILY_PROFILE, PHASES, PROFILES, REGIMES  # noqa: E402

BOOST_FROM, BOOST_FULL, BOOST_MAX = 0.25, 0.6, 4.0
# the arrival rate is boosted too while a profile is in debt (thinning of candidates drawn at RATE_MAX x
# the base rate: without assist a candidate is kept with probability 1 / RATE_MAX, the unboosted draw)
RATE_MAX = 2.5
N_PUBLIC = 6
LABELED = tuple(i for i, p in enumerate(FAMILY_PROFILE) if p < N_PUBLIC)

# profile emphasis per regime (rows REGIMES order; columns the six public profiles)
PROFILE_BY_REGIME = np.array([
    # inst  retail event  volsel arb   hedge
    [1.6, 1.0, 0.7, 0.7, 0.6, 0.9],   # trend_up
    [1.6, 1.0, 0.7, 0.7, 0.6, 1.0],   # trend_down
    [0.8, 0.6, 0.6, 1.5, 1.0, 1.0],   # mean_revert
    [0.9, 2.5, 0.8, 0.6, 0.4, 1.0],   # retail_chase
    [1.0, 1.0, 2.6, 0.6, 0.5, 0.8],   # event_ramp
    [0.7, 1.0, 0.6, 0.9, 0.7, 2.5],   # dealer_gamma
    [0.6, 0.4, 0.5, 1.3, 2.6, 0.6],   # arb_calm
])
BURST_BY_REGIME = np.array([1.0, 1.0, 0.8, 1.5, 1.4, 1.1, 0.7])
BURST_BY_PHASE = np.array([1.4, 0.9, 1.2, 1.4])       # open, midday, power_hour, after_event
F = {f: i for i, f in enumerate(FAMILIES)}
BULLISH = (F["call_sweep"], F["0dte_call_chase"], F["gamma_pinch_call_hedge"])
BEARISH = (F["put_sweep"], F["short_dated_put_panic"], F["reactive_put_wall"])
NEUTRAL = (F["earnings_vol_probe"], F["covered_call_overwrite"], F["cash_secured_put_write"],
           F["short_straddle_harvest"], F["parity_vertical"], F["conversion_reversal"], F["box_spread"])


def _family_weights(regime: str, direction: int, phase: str, ctx: dict) -> np.ndarray:
    """Within-profile family weights (all FAMILIES; noise families 0)."""
    w = np.zeros(len(FAMILIES))
    w[F["call_sweep"]] = w[F["put_sweep"]] = 1.0
    w[F["ask_lift_accumulation"]], w[F["far_dated_conviction"]] = 1.0, 0.7
    w[F["0dte_call_chase"]] = 2.0 if regime == "retail_chase" else 1.0
    w[F["short_dated_put_panic"]] = 1.0 if regime != "trend_down" else 1.8
    w[F["attention_contract_spike"]] = 1.0
    # event-driven flow trades the expiry spanning the next scheduled event (the calendar always has one ahead:
    # macro releases for every name, earnings for single names); a vol probe is most common before earnings
    w[F["earnings_vol_probe"]] = 1.5 if ctx["earnings_soon"] else (0.5 if ctx["upcoming"] else 0.0)
    w[F["pre_event_directional_ramp"]] = 2.5 if regime == "event_ramp" else (1.0 if ctx["upcoming"] else 0.4)
    # follow-through only after the open's gap or a release (the print side checks the move itself)
    w[F["post_gap_followthrough"]] = 2.0 if phase in ("open", "after_event") else 0.0
    w[F["covered_call_overwrite"]], w[F["cash_secured_put_write"]] = 1.0, 1.0
    w[F["short_straddle_harvest"]] = 1.6 if regime in ("mean_revert", "arb_calm") else 0.8
    w[F["parity_vertical"]], w[F["conversion_reversal"]], w[F["box_spread"]] = 1.0, 1.0, 0.6
    w[F["gamma_pinch_call_hedge"]] = 1.6 if phase == "power_hour" or regime == "dealer_gamma" else 1.0
    w[F["reactive_put_wall"]], w[F["dealer_unwind"]] = 1.0, 0.8
    if direction > 0:
        w[list(BULLISH)] *= 2.0
        w[list(BEARISH)] *= 0.5
    elif direction < 0:
        w[list(BULLISH)] *= 0.5
        w[list(BEARISH)] *= 2.0
    return w


def _choose(w: np.ndarray, u: float) -> int:
    c = np.cumsum(w)
    return int(min(np.searchsorted(c, u * c[-1], side="right"), len(w) - 1))


def _poisson(lam: float, u: float) -> int:
    """Inverse-CDF Poisson draw (lam is small: a few per minute)."""
    k, p = 0, math.exp(-lam)
    c = p
    while u > c and k < 1000:
        k += 1
        p *= lam / k
        c += p
    return k


def boost_for(debt: float) -> float:
    """Bounded coverage boost of a profile unseen for ``debt`` windows (1 = none, at most BOOST_MAX)."""
    if debt <= BOOST_FROM:
        return 1.0
    return min(BOOST_MAX, 1.0 + (BOOST_MAX - 1.0) * (debt - BOOST_FROM) / (BOOST_FULL - BOOST_FROM))


def draw_schedule(day, day_index: int, controls_ts, seed: int, sel, gaps: np.ndarray, soon: dict,
                  assist_override: bool | None = None) -> BurstSchedule:
    """The session's labeled bursts after soft coverage.

    day: ``timeline.DayRegime``; controls_ts: ((ts_ns from, control), ...) sorted, first from the open;
    sel: the selected symbols (``timeline.Universe``, codes = positions); gaps: sign of each selected
    symbol's opening gap (+1/-1/0); soon: {"earnings": set of names with earnings today or within days,
    "upcoming": bool any event ahead}. assist_override=False forces no boost (tests: the unboosted draw).
    """
    from ..rng import derive_key, normals, uniforms
    from .control import PRESETS

    M = day.minutes
    date = day.date.isoformat()
    shared = controls_ts[0][1].shared_seed
    nsel = len(sel.names)
    scale = math.sqrt(nsel)
    # doubly stochastic intensity: slow log-normal noise (AR(1) per minute, ~15 min memory)
    zn = normals(derive_key(seed, "bursts", shared, date, "noise"), 0, M)
    noise = np.empty(M)
    a, acc = math.exp(-1.0 / 15.0), zn[0]
    for i in range(M):
        acc = a * acc + math.sqrt(1 - a * a) * zn[i] if i else acc
        noise[i] = acc
    rate = np.array([PRESETS[p].burst_rate for p in day.preset]) * BURST_BY_REGIME[day.regime.astype(np.int64)] \
        * BURST_BY_PHASE[day.phase.astype(np.int64)] * np.exp(0.35 * noise - 0.06) * scale
    uc = uniforms(derive_key(seed, "bursts", shared, date, "counts"), 0, M)
    counts = np.array([_poisson(float(rate[i]) * RATE_MAX, float(uc[i])) for i in range(M)])
    nb = int(counts.sum())
    ub = uniforms(derive_key(seed, "bursts", shared, date, "draws"), 0, 6 * nb).reshape(nb, 6) if nb else \
        np.zeros((0, 6))
    mins = np.repeat(np.arange(M), counts)
    off = mins.astype(np.int64) * 60_000_000_000 + (ub[:, 0] * 60e9).astype(np.int64)   # ns after the open
    order = np.argsort(off, kind="stable")
    off, mins, ub = off[order], mins[order], ub[order]
    keep = off < day.seconds * 1_000_000_000          # the last minute may be partial
    t_ns, mins, ub = off[keep] + day.open_ns, mins[keep], ub[keep]
    nb = t_ns.shape[0]
    fam = np.zeros(nb, np.int8)
    prof = np.zeros(nb, np.int8)
    sym = np.zeros(nb, np.int32)
    direc = np.zeros(nb, np.int8)
    inten = np.zeros(nb)
    adv = np.sqrt(np.asarray(sel.adv) / 1e7)
    volr = np.asarray(sel.vol) / 0.3
    etf = np.asarray(sel.etf)
    earn = np.array([s in soon["earnings"] and not e for s, e in zip(sel.names, sel.etf)])
    ctx = {"earnings_soon": bool(earn.any()), "upcoming": bool(soon["upcoming"])}
    ts_ctrl = [t for t, _ in controls_ts]
    last = {}
    jz = normals(derive_key(seed, "bursts", shared, date, "intensity"), 0, max(nb, 1))
    keep = np.zeros(nb, bool)
    fam_of = np.array(FAMILY_PROFILE)
    fcache: dict = {}
    mcache: dict = {}
    for i in range(nb):
        t = int(t_ns[i])
        c0 = controls_ts[int(np.searchsorted(ts_ctrl, t, side="right")) - 1][1]
        assist0 = c0.coverage_assist if assist_override is None else assist_override
        rmult = 1.0
        if assist0:
            w0 = c0.coverage_window_minutes * 60e9
            worst = max(boost_for((t - last.get(p, day.open_ns - 0.5 * w0)) / w0) for p in range(N_PUBLIC))
            rmult = min(RATE_MAX, 1.0 + 0.5 * (worst - 1.0))
        if ub[i, 5] * RATE_MAX >= rmult:
            continue
        keep[i] = True
        c = controls_ts[int(np.searchsorted(ts_ctrl, t, side="right")) - 1][1]
        window = c.coverage_window_minutes * 60e9
        m = int(mins[i])
        r = REGIMES[int(day.regime[m])]
        ph = PHASES[int(day.phase[m])]
        d = int(day.direction[m])
        ck = (r, d, ph, id(c))
        got = fcache.get(ck)
        if got is None:
            famw = _family_weights(r, d, ph, ctx)
            has = np.array([famw[fam_of == q].sum() > 0 for q in range(N_PUBLIC)])
            got = fcache[ck] = (famw, PROFILE_BY_REGIME[int(day.regime[m])] * np.array(c.weights_vector()) * has)
        famw, pw = got[0], got[1].copy()
        assist = c.coverage_assist if assist_override is None else assist_override
        if assist:
            for p in range(N_PUBLIC):
                seen = last.get(p, day.open_ns - 0.5 * window)
                pw[p] *= boost_for((t - seen) / window)
        p = _choose(pw, float(ub[i, 1]))
        fw = np.where(fam_of == p, famw, 0.0)
        f = _choose(fw, float(ub[i, 2]))
        # symbol: liquidity x focus x event names x family preference
        mk = (day.focus[m], day.event_syms[m])
        fe = mcache.get(mk)
        if fe is None:
            fe = mcache[mk] = (np.array([x in mk[0] for x in sel.names]), np.array([x in mk[1] for x in sel.names]))
        foc, evs = fe
        sw = adv * np.where(foc, 3.0, 1.0)
        if p == 1:
            sw = sw * volr ** 2
        elif p in (4, 5):
            sw = sw * np.where(etf, 2.0, 1.0)
        elif p == 2:
            sw = sw * np.where(evs, 3.0, 1.0)
        if f == F["earnings_vol_probe"] and earn.any():
            sw = sw * earn
        s = _choose(sw, float(ub[i, 3]))
        if f in BULLISH:
            dd = 1
        elif f in BEARISH:
            dd = -1
        elif f in NEUTRAL:
            dd = 0
        else:
            dd = d if f != F["post_gap_followthrough"] else int(gaps[s])
            if dd == 0:
                dd = 1 if ub[i, 4] < 0.5 else -1
        fam[i], prof[i], sym[i], direc[i] = f, p, s, dd
        inten[i] = math.exp(0.35 * jz[i] - 0.06) * (1.2 if r == "retail_chase" else 0.85 if r == "arb_calm" else 1.0)
        last[p] = t
    idx = np.flatnonzero(keep)
    bid = (np.uint64(day_index) << np.uint64(32)) + np.arange(1, idx.shape[0] + 1, dtype=np.uint64)
    return BurstSchedule(t_ns[idx].astype(np.int64), sym[idx], fam[idx], prof[idx], bid, inten[idx], direc[idx])
