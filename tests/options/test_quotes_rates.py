"""Option NBBO rate law and draw fields: the statistics a change of the quote kernel's draw scheme must keep.

Model (``kernels.option_quotes``): per second, a re-quote burst at the underlying's change time (or
mid-second), 2 us apart, of the contracts whose rounded quote changed; spontaneous updates as a Poisson
clock of total rate ``Quoter.spont[s]``; each published row's bid/ask sizes are ``sz_base`` times independent
log-normal multipliers (mean 1, log-sd ``SIZE_SD``, from a 1024-entry quantile table), its receive time
``ts + RECV_NS * (0.5 + U)`` with U uniform and independent of the sizes. One IBM session of seed 5
(~0.4 M rows) with fixed seed: the tolerances below are several standard errors wide (stated per test).
"""
from __future__ import annotations

import numpy as np
import pytest

from fastsynth.engine import plan
from fastsynth.manifest import Manifest
from fastsynth.options import partition_chain
from fastsynth.options.quotes import LATENCY_NS, RECV_NS, SIZE_SD, Quoter

SYM = "IBM"
_BURST_STEP_NS = 2_000


@pytest.fixture(scope="module")
def session():
    m = Manifest(seed=5, symbols=[SYM], tables=["option_quotes"])
    p = plan(m)
    part = next(x for x in p.partitions if x.symbol == SYM)
    q = Quoter(p, part, partition_chain(p, part))
    n = part.session.seconds
    blocks = [q.block(s0, min(s0 + 300, n)) for s0 in range(0, n, 300)]
    cat = {f: np.concatenate([getattr(b, f) for b in blocks]) for f in ("ts", "recv", "contract", "bid_sz",
                                                                         "ask_sz")}
    # burst rows: at the second's burst time + latency + k * 2 us; the others are spontaneous updates
    sec = (cat["ts"] - q.open_ns) // 1_000_000_000
    off = np.where(q.und_off[sec] >= 0, q.und_off[sec], 500_000_000)
    d = cat["ts"] - (q.open_ns + sec * 1_000_000_000 + off + LATENCY_NS)
    burst = (d >= 0) & (d % _BURST_STEP_NS == 0) & (d < _BURST_STEP_NS * len(q.chain))
    return q, cat, sec, burst


def test_receive_latency_is_uniform(session):
    """recv - ts = RECV_NS (0.5 + U): bounds exact; quartiles of U within 0.01 (n ~ 4e5: s.e. < 0.001)."""
    _, cat, _, _ = session
    u = (cat["recv"] - cat["ts"]) / RECV_NS - 0.5
    assert u.min() >= -1e-9 and u.max() < 1.0
    assert np.allclose(np.quantile(u, [0.25, 0.5, 0.75]), [0.25, 0.5, 0.75], atol=0.01)


def test_sizes_lognormal_mean_one_and_independent(session):
    """Sizes of contracts with sz_base >= 8 (rounding to whole contracts matters little there): mean
    multiplier 1 within 3%, log-sd SIZE_SD within 0.06 (rounding and the 1-lot floor add a little), and
    bid size, ask size and latency pairwise uncorrelated (|r| < 0.03; s.e. ~ 1/sqrt(n) < 0.005)."""
    q, cat, _, _ = session
    sz = q.sz_base[cat["contract"]]
    big = sz >= 8.0
    assert big.sum() > 20_000
    rb = cat["bid_sz"][big] / sz[big]
    ra = cat["ask_sz"][big] / sz[big]
    lat = (cat["recv"] - cat["ts"])[big]
    for r in (rb, ra):
        assert abs(r.mean() - 1.0) < 0.03
        assert abs(np.log(r).std() - SIZE_SD) < 0.06
    assert abs(np.corrcoef(np.log(rb), np.log(ra))[0, 1]) < 0.03
    assert abs(np.corrcoef(np.log(rb), lat)[0, 1]) < 0.03
    assert abs(np.corrcoef(np.log(ra), lat)[0, 1]) < 0.03


def test_spontaneous_rate_matches_the_clock(session):
    """Spontaneous updates ~ Poisson(sum of the per-second rates): their count within 3% of the expectation
    (a few are dropped before a contract's first quote; the Poisson s.e. is < 1%)."""
    q, cat, _, burst = session
    expect = float(q.spont.sum())
    assert expect > 10_000
    assert 0.97 < (~burst).sum() / expect < 1.02


def test_requotes_follow_the_underlying(session):
    """Re-quote bursts are driven by the underlying: the mean burst rows per second grow with the size of the
    second's underlying move (none / up to 2.5 c / up to 5 c / more: ~6.7 / 7.3 / 8.9 / 11.2 for this
    session; the rest is Taylor drift, age and optional refreshes), the largest moves carry > 1.4x the rows
    of still seconds, and the bursts' rows outnumber the spontaneous ones."""
    q, cat, sec, burst = session
    n = q.n
    per = np.bincount(sec[burst], minlength=n)[:n]
    move = np.abs(np.diff(np.concatenate(([q.mid0], q.und_mid))))
    edges = [0.0, 1e-9, 0.0251, 0.051, np.inf]
    means = [per[(move >= lo) & (move < hi)].mean() for lo, hi in zip(edges[:-1], edges[1:])]
    assert all(b > a for a, b in zip(means[:-1], means[1:])), means
    assert means[-1] > 1.4 * means[0]
    assert burst.sum() > (~burst).sum()
