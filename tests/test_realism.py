"""Stylized facts of real US equity markets, measured on a generated multi-day session (fixed seed).

Each test states the fact, the statistic, and why its tolerance is right. Returns are log-changes of
the last trade price on a 1-minute grid within each (symbol, session) segment (as in
``shared/realism/stylized.py``); "band" = 1.96/sqrt(n), the 95% half-width of an ACF estimate under
the null of no autocorrelation. The session: 6 sessions x 6 names (index ETF, liquid large caps, a
$11 stock), seed 2026, realistic mode.
"""
from __future__ import annotations

import math

import numpy as np
import pyarrow as pa
import pytest

import fastsynth
from fastsynth.calendar import sessions
from fastsynth.schemas import OFF_EXCHANGE_VENUES

pytestmark = pytest.mark.slow

SYMBOLS = ["SPY", "AAPL", "MSFT", "JPM", "IBM", "F"]
DAYS = 6
MIN = 60_000_000_000


@pytest.fixture(scope="module")
def session():
    m = fastsynth.Manifest(seed=2026, start="2026-03-02", days=DAYS, symbols=SYMBOLS,
                           tables=["equity_trades", "equity_quotes", "bars_1m"])   # the equity facts
    tabs = fastsynth.generate(m)
    return m, tabs, sessions(m.start, m.days)


def _np(t: pa.Table, col: str) -> np.ndarray:
    c = t.column(col)
    if pa.types.is_dictionary(c.type):
        c = c.cast(pa.string())
    elif pa.types.is_timestamp(c.type):
        c = c.cast(pa.int64())
    return c.to_numpy()


def _segments(t: pa.Table, sess):
    """Yield (symbol, session, row slice) for each segment (tables are ordered session-major, by symbol)."""
    sym = _np(t, "symbol")
    ts = _np(t, "ts_event")
    for s in sess:
        in_day = (ts >= s.open_ns) & (ts < s.close_ns + 60 * 10**9)
        for name in SYMBOLS:
            idx = np.nonzero(in_day & (sym == name))[0]
            if idx.size:
                yield name, s, idx


def _minute_returns(trades: pa.Table, sess, names=None):
    """{symbol: [(session, returns (n_minutes-1,))]} from the last trade price on a 1-minute grid."""
    ts = _np(trades, "ts_event")
    px = _np(trades, "price")
    out: dict[str, list] = {}
    for name, s, idx in _segments(trades, sess):
        if names and name not in names:
            continue
        t, p = ts[idx], px[idx]
        grid = s.open_ns + MIN * np.arange(1, s.seconds // 60 + 1)
        last = np.searchsorted(t, grid, side="left") - 1
        ok = last >= 0
        lp = np.log(p[last[ok]])
        out.setdefault(name, []).append((s, np.diff(lp)))
    return out


def _acf(x: np.ndarray, lag: int) -> float:
    x = x - x.mean()
    return float(np.dot(x[:-lag], x[lag:]) / np.dot(x, x))


def _pooled_acf(segs: list[np.ndarray], lag: int) -> tuple[float, int]:
    """ACF at ``lag`` pooled over segments (each demeaned; pairs never cross segments)."""
    num = den = 0.0
    n = 0
    for x in segs:
        x = x - x.mean()
        num += float(np.dot(x[:-lag], x[lag:]))
        den += float(np.dot(x, x))
        n += x.size
    return num / den, n


def _kurt(x: np.ndarray) -> float:
    z = (x - x.mean()) / x.std()
    return float(np.mean(z ** 4) - 3.0)


def _horizon_returns(r1: np.ndarray, h: int) -> np.ndarray:
    n = (r1.size // h) * h
    return r1[:n].reshape(-1, h).sum(axis=1)


# --------------------------------------------------------------------------------- returns
def test_heavy_tails_aggregate_toward_gaussian(session):
    # Fact: 1-minute returns are fat-tailed and kurtosis falls with horizon (1m > 5m > 30m).
    # Statistic: excess kurtosis of returns standardized per (symbol, session) by their own sd (so
    # mixing names with different volatilities adds no spurious kurtosis). Real samples: IBM 2.4 (1m),
    # SPY 2.0 (1m) -> 0.8 (30m). Tolerance: 1m > 1.0 is far above the sampling sd of kurtosis for a
    # Gaussian with n ~ 14,000 (sqrt(24/n) ~ 0.04); the ordering margin is checked by value.
    _, tabs, sess = session
    rets = _minute_returns(tabs["equity_trades"], sess, names=["SPY", "AAPL", "MSFT", "JPM", "IBM"])
    k = {}
    for h in (1, 5, 30):
        z = []
        for segs in rets.values():
            for _, r in segs:
                rh = _horizon_returns(r, h)
                z.append((rh - rh.mean()) / rh.std())
        k[h] = _kurt(np.concatenate(z))
    assert k[1] > 1.0, k
    assert k[1] > k[5] > k[30], k


def test_no_linear_predictability_and_bid_ask_bounce(session):
    # Fact: 1-minute returns have no linear autocorrelation at lags 2-10 (lag 1 may be slightly
    # negative from bounce). Model: under no autocorrelation each ACF estimate is ~N(0, 1/n); with 9
    # lags, |acf| < 4/sqrt(n) fails by chance with probability < 9 * 6e-5. Tick level: consecutive
    # trade-price changes reverse (bid-ask bounce): lag-1 ACF of non-zero changes is clearly negative
    # (real IBM: -0.46); we require < -0.15.
    _, tabs, sess = session
    rets = _minute_returns(tabs["equity_trades"], sess)
    segs = [r for v in rets.values() for _, r in v]
    for lag in range(2, 11):
        a, n = _pooled_acf(segs, lag)
        assert abs(a) < 4 / math.sqrt(n), (lag, a, n)
    tr = tabs["equity_trades"]
    px = _np(tr, "price")
    for name, _, idx in list(_segments(tr, sess))[:12]:
        dp = np.diff(np.log(px[idx]))
        nz = dp[dp != 0]
        assert _acf(nz, 1) < -0.15, (name, _acf(nz, 1))


def _symbol_acf(segs: list[np.ndarray], lag: int) -> tuple[float, int]:
    """ACF with one mean and variance per symbol across its sessions, pairs inside a session (the
    convention of ``shared/realism/stylized.py``: day-to-day volatility differences count)."""
    allx = np.concatenate(segs)
    mu, var = allx.mean(), allx.var()
    num = sum(float(np.dot(x[:-lag] - mu, x[lag:] - mu)) for x in segs)
    n = sum(x.size - lag for x in segs)
    return num / n / var, allx.size


def test_volatility_clustering_decays_slowly(session):
    # Fact: |r| is autocorrelated over lags 1..30 minutes and decays slowly, also after dividing out
    # the intraday profile (real: IBM 0.14 / 0.07 at lags 1 / 30, SPY deseasonalised 0.10 / 0.08).
    # Model: under independence each ACF ~ N(0, 1/n) with n ~ 2,300 per symbol, so > 4/sqrt(n) ~ 0.08
    # is required of the average over symbols at lags 1-10, > 3/sqrt(n) at lag 30; "slowly": the lag-30
    # ACF keeps at least a fifth of the lag-1 value (an AR(1) volatility with a 10-minute memory keeps 5%).
    _, tabs, sess = session
    rets = _minute_returns(tabs["equity_trades"], sess)
    for deseason in (False, True):
        acfs: dict[int, list[float]] = {}
        n = 0
        for segs in rets.values():
            a = [np.abs(r) for _, r in segs if r.size == 389]
            if deseason:
                prof = np.mean(a, axis=0)
                a = [x / prof for x in a]
            for lag in (1, 5, 10, 30):
                acfs.setdefault(lag, []).append(_symbol_acf(a, lag)[0])
            n = sum(x.size for x in a)
        mean = {lag: float(np.mean(v)) for lag, v in acfs.items()}
        for lag in (1, 5, 10):
            assert mean[lag] > 4 / math.sqrt(n), (deseason, mean)
        assert mean[30] > 3 / math.sqrt(n), (deseason, mean)
        assert mean[30] > 0.2 * mean[1], (deseason, mean)


def test_leverage_effect_at_daily_scale_not_forced_at_one_minute():
    # Fact: falling markets raise later volatility (daily scale). The plan's daily volatility level
    # is what every intraday path is scaled by; over 1,500 sessions, corr(r_d, v_{d+1}) < 0 with
    # |z| > 4 (sd of a correlation ~ 1/sqrt(n) = 0.026 -> require < -0.1). At 1 minute, nothing
    # couples returns to later |returns|: the mean lead correlation over lags 1-10 on a generated
    # session stays within 4/sqrt(n) of zero.
    from fastsynth.market import plan_market

    m = fastsynth.Manifest(seed=5, start="2020-01-02", days=1500, symbols=["SPY"])
    plan = plan_market(m, sessions(m.start, m.days))
    r = np.array([d.market_return for d in plan.days])
    v = np.array([d.vol_level for d in plan.days])
    c = np.corrcoef(r[:-1], np.log(v[1:]))[0, 1]
    assert c < -0.1, c


def test_no_leverage_at_one_minute(session):
    _, tabs, sess = session
    rets = _minute_returns(tabs["equity_trades"], sess)
    num = []
    n = 0
    for segs in rets.values():
        for _, r in segs:
            a = np.abs(r)
            for lag in range(1, 11):
                num.append(np.corrcoef(r[:-lag], a[lag:])[0, 1])
            n += r.size
    assert abs(np.mean(num)) < 4 / math.sqrt(n), np.mean(num)


def test_co_movement_with_the_index(session):
    # Fact: large caps co-move with the index; 1-minute return correlation with SPY ~0.4-0.8.
    # Statistic: Pearson correlation of 1-minute last-trade returns, pooled over sessions. The
    # sampling sd with n ~ 2,300 is 0.02, so the band [0.35, 0.85] is a statement about the model.
    _, tabs, sess = session
    rets = _minute_returns(tabs["equity_trades"], sess)
    spy = np.concatenate([r for _, r in rets["SPY"]])
    for name in ("AAPL", "MSFT", "JPM", "IBM"):
        x = np.concatenate([r for _, r in rets[name]])
        c = np.corrcoef(spy, x)[0, 1]
        assert 0.35 < c < 0.85, (name, c)


# ----------------------------------------------------------------------------- intraday shapes
def _profile(tod_ns: np.ndarray, w: np.ndarray, mean: bool = False) -> np.ndarray:
    b = np.clip(tod_ns // (30 * MIN), 0, 12)
    s = np.bincount(b, weights=w, minlength=13)
    if mean:
        s = s / np.maximum(np.bincount(b, minlength=13), 1)
    return s / s.mean()


def test_intraday_u_shapes_and_reverse_j_volatility(session):
    # Fact: volume and trade counts are U-shaped with a lunch lull; volatility is a reverse J. Real
    # IBM/SPY: first 30 min 2.3-3.5x midday volume, last 30 min 2.6-3.0x. Tolerance: open and close
    # buckets >= 1.5x the midday mean (13 buckets; midday = buckets 4-8), and the vol profile's first
    # bucket >= 1.4x midday with the close above midday.
    _, tabs, sess = session
    tr = tabs["equity_trades"]
    ts = _np(tr, "ts_event")
    size = _np(tr, "size").astype(float)
    tod = np.empty_like(ts)
    for s in sess:
        sel = (ts >= s.open_ns) & (ts < s.close_ns + 10**10)
        tod[sel] = ts[sel] - s.open_ns
    for w in (size, np.ones_like(size)):
        p = _profile(tod, w)
        mid = p[4:9].mean()
        assert p[0] > 1.5 * mid and p[-1] > 1.5 * mid, p
    rets = _minute_returns(tr, sess)
    a = np.concatenate([np.abs(r) for v in rets.values() for _, r in v if r.size == 389])
    mins = np.tile(np.arange(1, 390), a.size // 389) * MIN
    pv = _profile(mins, a, mean=True)
    mid = pv[4:9].mean()
    assert pv[0] > 1.4 * mid and pv[-1] > mid, pv


def test_spreads_widest_at_open_narrowest_into_close(session):
    # Fact: quoted spreads are widest at the open and narrowest in the last half hour (real IBM:
    # 5.3 bps first 30 min, 1.2 bps last). Statistic: time-weighted mean relative spread per 30-min
    # bucket, for the names quoted wider than one tick. Tolerance: first bucket >= 1.8x midday,
    # last bucket the narrowest of the day within 5%, on the profile pooled over the sessions.
    _, tabs, sess = session
    q = tabs["equity_quotes"]
    ts = _np(q, "ts_event")
    bid, ask = _np(q, "bid_px_00"), _np(q, "ask_px_00")
    num = {n: np.zeros(13) for n in ("IBM", "MSFT")}
    den = {n: np.zeros(13) for n in ("IBM", "MSFT")}
    for name, s, idx in _segments(q, sess):
        if name not in num:
            continue
        t = ts[idx]
        dt = np.diff(np.append(t, s.close_ns)).astype(float)
        rel = (ask[idx] - bid[idx]) / (0.5 * (ask[idx] + bid[idx]))
        b = np.clip((t - s.open_ns) // (30 * MIN), 0, 12)
        num[name] += np.bincount(b, weights=rel * dt, minlength=13)
        den[name] += np.bincount(b, weights=dt, minlength=13)
    for name in num:      # pooled over the sessions, as the real profile is
        prof = num[name] / den[name]
        assert prof[0] > 1.8 * prof[4:9].mean(), (name, prof)
        assert prof[-1] <= 1.05 * prof.min(), (name, prof)


def test_price_discreteness_cheap_stock_sits_at_one_tick(session):
    # Fact: tick size relative to price drives spread and bounce. F (~$11, a tick is 9 bps) is quoted
    # one tick wide nearly all the time, and its trade prices mostly repeat (zero changes), while a
    # $400 name is quoted several ticks wide. Tolerances: F one-tick time share > 0.9; MSFT < 0.5.
    _, tabs, sess = session
    q = tabs["equity_quotes"]
    ts = _np(q, "ts_event")
    spread = np.round((_np(q, "ask_px_00") - _np(q, "bid_px_00")) * 100).astype(int)
    share = {}
    for name, s, idx in _segments(q, sess):
        dt = np.diff(np.append(ts[idx], s.close_ns)).astype(float)
        share.setdefault(name, []).append(np.sum(dt * (spread[idx] == 1)) / dt.sum())
    assert np.mean(share["F"]) > 0.9, share["F"]
    assert np.mean(share["MSFT"]) < 0.5, share["MSFT"]


# ------------------------------------------------------------------------------ order flow
def test_trade_sign_memory_and_bursty_arrivals(session):
    # Fact: buys follow buys (meta-order splitting): the aggressor-sign ACF is positive and decays
    # slowly (power law). Arrivals are bursty: many prints share a timestamp (22-54% of gaps are zero
    # on real tapes) and counts per second are over-dispersed (Poisson has dispersion 1). Tolerances:
    # sign ACF lag 1 > 0.2, lag 10 > 0.03, lag 100 > 0 (band ~0.003 at n ~ 10^6); zero-gap share in
    # [0.22, 0.54]; 1-second count dispersion > 2 per segment (median over segments).
    _, tabs, sess = session
    tr = tabs["equity_trades"]
    side = _np(tr, "side")
    ts = _np(tr, "ts_event")
    segs, zero, disp = [], [], []
    for _, s, idx in _segments(tr, sess):
        sd = side[idx]
        sg = np.where(sd == "A", 1.0, np.where(sd == "B", -1.0, 0.0))
        segs.append(sg[sg != 0])
        g = np.diff(ts[idx])
        zero.append(np.mean(g == 0))
        c = np.bincount(((ts[idx] - s.open_ns) // 10**9).clip(0, s.seconds - 1), minlength=s.seconds)
        disp.append(c.var() / c.mean())
    a1, _ = _pooled_acf(segs, 1)
    a10, _ = _pooled_acf(segs, 10)
    a100, _ = _pooled_acf(segs, 100)
    assert a1 > 0.2 and a10 > 0.03 and a100 > 0, (a1, a10, a100)
    assert 0.22 <= np.mean(zero) <= 0.54, np.mean(zero)
    assert np.median(disp) > 2, np.median(disp)


def test_sizes_odd_lots_round_lots_and_power_law_tail(session):
    # Fact (modern tape): odd lots ~45% of prints, the rest mostly round lots, a power-law block
    # tail (Hill alpha of the top 5% ~1.5-1.7 on real IBM). Tolerances: odd-lot share in [0.35, 0.55];
    # round-lot share > 0.3; Hill alpha (top 5%) in [1.2, 2.2].
    _, tabs, _ = session
    size = _np(tabs["equity_trades"], "size").astype(float)
    assert 0.35 <= np.mean(size < 100) <= 0.55
    assert np.mean((size >= 100) & (size % 100 == 0)) > 0.3
    x = np.sort(size)[::-1]
    k = int(0.05 * x.size)
    alpha = k / np.sum(np.log(x[:k] / x[k]))
    assert 1.2 <= alpha <= 2.2, alpha


def test_off_exchange_share_and_sub_penny_prints(session):
    # Fact: ~40-45% of US volume executes off exchange (TRF), much of it price-improved by fractions
    # of a cent. Tolerance: off-exchange volume share in [0.35, 0.48] (the stated band with room for
    # the heavy-tailed block sizes of one seed); a majority of off-exchange prints are at sub-penny
    # prices, and no lit print is.
    _, tabs, _ = session
    tr = tabs["equity_trades"]
    venue = _np(tr, "venue")
    size = _np(tr, "size").astype(float)
    px = _np(tr, "price")
    off = np.isin(venue, list(OFF_EXCHANGE_VENUES))
    share = size[off].sum() / size.sum()
    assert 0.35 <= share <= 0.48, share
    cents = px * 100
    sub = np.abs(cents - np.round(cents)) > 1e-6
    assert sub[off].mean() > 0.5
    assert not sub[~off].any()


def test_quotes_valid_and_imbalance_predicts_next_mid_move(session):
    # Fact: top-of-book imbalance (bid size - ask size) predicts the sign of the next mid change
    # (real IBM: corr 0.21). Tolerance: > 0.05 (sd of the estimate ~ 1/sqrt(n) < 0.002). And an
    # NBBO is never crossed or locked here.
    _, tabs, sess = session
    q = tabs["equity_quotes"]
    bid, ask = _np(q, "bid_px_00"), _np(q, "ask_px_00")
    assert np.all(ask > bid)
    bs, az = _np(q, "bid_sz_00").astype(float), _np(q, "ask_sz_00").astype(float)
    xs, ys = [], []
    for name, _, idx in _segments(q, sess):
        mid = 0.5 * (bid[idx] + ask[idx])
        dm = np.diff(mid)
        nz = np.nonzero(dm)[0]
        if nz.size < 10:
            continue
        # for each row, the next non-zero mid change
        nxt = np.searchsorted(nz, np.arange(idx.size - 1))
        ok = nxt < nz.size
        imb = ((bs[idx] - az[idx]) / (bs[idx] + az[idx]))[:-1][ok]
        xs.append(imb)
        ys.append(np.sign(dm[nz[nxt[ok]]]))
    c = np.corrcoef(np.concatenate(xs), np.concatenate(ys))[0, 1]
    assert c > 0.05, c
