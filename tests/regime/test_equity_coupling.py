"""Equities read the regime: trends in directional regimes, reversals in dealer_gamma, quiet arb_calm.

Latent-path checks pool 2 symbols x 6 sessions (cheap: no microstructure); the quote/spread checks run
the full equity generator on one small session (SPY, 1 day).
"""
from __future__ import annotations

import numpy as np
import pytest

import fastsynth
from fastsynth.engine import plan
from fastsynth.market import latent_path, seasonality
from fastsynth.schemas import REGIMES

R = {r: i for i, r in enumerate(REGIMES)}
MIN = 60_000_000_000
DIRECTIONAL = [R["trend_up"], R["trend_down"], R["retail_chase"], R["event_ramp"]]


@pytest.fixture(scope="module")
def paths():
    out = []
    for seed in (1, 2):
        for date in ("2026-03-02", "2026-03-03", "2026-03-04"):
            m = fastsynth.Manifest(seed=seed, start=date, symbols=["SPY", "TSLA"])
            p = plan(m)
            day = p.regime.day(0)
            for sym in ("SPY", "TSLA"):
                mod, jumps = p.regime.modulation_and_jumps(sym, 0)
                lp = latent_path(m, p.specs[sym], p.market.days[0], mod, jumps).log_price
                vs, _, _ = seasonality(lp.shape[0] - 1)
                r = np.diff(lp[::60])
                z = r / np.sqrt((vs[: r.shape[0] * 60].reshape(-1, 60) ** 2).mean(1))   # deseasonalized
                out.append((day, z))
    return out


def test_directional_regimes_drift_with_their_sign(paths):
    # model: drift of 0.25-1.1 segment sds in the segment's direction; with no drift the share of
    # segments whose return has the regime's sign is 50% (sd ~4% over ~100 segments): require > 62%
    hits = []
    for day, z in paths:
        for b in np.unique(day.bucket):
            idx = np.flatnonzero(day.bucket[: z.shape[0]] == b)
            if idx.size and day.regime[idx[0]] in DIRECTIONAL and day.direction[idx[0]] != 0:
                hits.append(np.sign(z[idx].sum()) == day.direction[idx[0]])
    assert len(hits) > 40 and np.mean(hits) > 0.62


def _ac1(z, mask):
    ok = mask[:-1] & mask[1:]
    return float(np.corrcoef(z[:-1][ok], z[1:][ok])[0, 1])


def test_dealer_gamma_reverses_and_arb_calm_is_quiet(paths):
    # model: a 30-s OU level component gives lag-1 ACF ~ -0.2 of 1-min returns in dealer_gamma (sd of an
    # ACF over ~300 pairs ~0.06); trends have ~0; arb_calm has vol x0.72 of the regime-normalized level
    dg = [(z, day.regime[: z.shape[0]] == R["dealer_gamma"]) for day, z in paths]
    z_all = np.concatenate([z for z, _ in dg])
    m_all = np.concatenate([np.r_[mk[:-1], False] for _, mk in dg])
    assert _ac1(z_all, m_all) < -0.1
    quiet = np.concatenate([z[day.regime[: z.shape[0]] == R["arb_calm"]] for day, z in paths])
    loud = np.concatenate([z[day.regime[: z.shape[0]] != R["arb_calm"]] for day, z in paths])
    assert quiet.size > 100 and quiet.std() < 0.85 * loud.std()


@pytest.fixture(scope="module")
def session():
    m = fastsynth.Manifest(seed=5, start="2026-03-02", symbols=["SPY"], tables=["equity_quotes", "equity_trades"])
    p = plan(m)
    t = fastsynth.generate(m)
    return p.regime.day(0), t


def _per_minute(ts: np.ndarray, day, vals: np.ndarray | None = None) -> np.ndarray:
    k = ((ts - day.open_ns) // MIN).clip(0, day.minutes - 1)
    return np.bincount(k, weights=vals, minlength=day.minutes)


def test_generated_quotes_follow_the_regime(session):
    # measured on the generated tape: quote updates per trade (quote density) higher in dealer_gamma than
    # elsewhere (quote_mult 1.45 vs ~1.0), and quoted spreads wider in retail_chase/event_ramp than in
    # arb_calm (spread_mult ~1.25 vs 0.88, also through volatility); minute-level means over >= 20
    # minutes of each kind, requiring half of the modeled effect
    day, t = session
    reg = day.regime
    assert {R["dealer_gamma"], R["arb_calm"]} <= set(np.unique(reg).tolist())
    q, tr = t["equity_quotes"], t["equity_trades"]
    qts = q.column("ts_event").cast("int64").to_numpy()
    tts = tr.column("ts_event").cast("int64").to_numpy()
    nq, nt = _per_minute(qts, day), _per_minute(tts, day)
    dens = nq / np.maximum(nt, 1)
    mid = slice(30, day.minutes - 60)         # avoid the open/close seasonality
    r = reg[mid]
    d = dens[mid]
    assert d[r == R["dealer_gamma"]].mean() > 1.1 * d[r != R["dealer_gamma"]].mean()
    spr = (q.column("ask_px_00").to_numpy() - q.column("bid_px_00").to_numpy())
    ms = _per_minute(qts, day, spr) / np.maximum(nq, 1)
    s = ms[mid]
    wide = np.isin(r, [R["retail_chase"], R["event_ramp"], R["trend_up"], R["trend_down"]])
    if wide.sum() >= 20:
        assert s[wide].mean() > s[r == R["arb_calm"]].mean()
    assert s[r == R["arb_calm"]].mean() <= s[r != R["arb_calm"]].mean()
