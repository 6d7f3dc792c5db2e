"""Tests for the equity kernels (``fastsynth.kernels.equities``): the dense draw kernels against the
plain-numpy reference (``tests/reference/equities.py``), exact; ``fill_words`` against single Philox
blocks; and the whole block pipeline's invariance to where blocks split a session (draws are indexed by
event, so the bytes cannot depend on blocking)."""
from __future__ import annotations

import numpy as np
import pytest

from fastsynth import equities as eq
from fastsynth.kernels import equities as k
from fastsynth.kernels.rng import fill_words, philox_block
from fastsynth.manifest import SymbolSpec

try:  # rootdir-relative layout used by pytest's default "prepend" import mode
    from reference import equities as ref
except ImportError:  # pragma: no cover - if tests/ becomes a package
    from tests.reference import equities as ref

KEY = (0x1234567, 0x89ABCDE)


def _words(n_blocks, start=5):
    w = np.empty(4 * n_blocks, np.uint32)
    fill_words(*KEY, start, w)
    return w


def _params(price=120.0):
    spec = SymbolSpec(symbol="XYZ", price=price, adv=3e6, annual_vol=0.3, sector="Tech", listing="XNAS")
    return eq.equity_params(spec, "realistic")


def test_fill_words_matches_philox_blocks():
    start = (1 << 32) - 3                                   # crosses the 32-bit counter boundary
    w = _words(9, start=start).reshape(-1, 4)
    for j in range(9):
        b = start + j
        want = tuple(int(x) for x in philox_block(b & 0xFFFFFFFF, b >> 32, 0, 0, *KEY))
        assert tuple(int(x) for x in w[j]) == want


@pytest.mark.parametrize("price", [12.0, 120.0, 900.0])
def test_cluster_quote_and_print_draws_match_reference(price):
    par = _params(price).par
    nc, nq = 3000, 2000
    c_sp = np.linspace(1.0, 6.0, nc)
    q_sp = np.linspace(6.0, 1.0, nq)
    tabs = (eq.LN_SPREAD, eq.LN_DEPTH, eq.EXP_TAB, eq.QUOTE_TABLE)
    cw, qw = _words(2 * nc), _words(nq, start=77)
    ci, cf = np.full((k.N_CI, nc), -7, np.int32), np.full((k.N_CF, nc), np.nan)
    npr, n_lit = k.cluster_draws(cw, par, nc, ci, cf)
    rcd, rnpr = ref.cluster_draws(cw, par, c_sp, *tabs)
    assert npr == rnpr and n_lit == (rcd["off"] == 0).sum()
    rows = {"off": ci[k.CI_OFF], "np": ci[k.CI_NP], "meta": ci[k.CI_META], "qd": ci[k.CI_QD], "qr": ci[k.CI_QR],
            "us": cf[k.CF_US], "unp": cf[k.CF_UNP]}
    assert len(rows) == k.N_CI + k.N_CF
    for name, v in rows.items():
        np.testing.assert_array_equal(v, rcd[name], err_msg=name)
    qi, qf = np.full((k.N_QI, nq), -7, np.int32), np.full((k.N_QF, nq), np.nan)
    k.quote_draws(qw, par, nq, q_sp, qi, qf)
    rqi, rqf = ref.quote_draws(qw, par, q_sp, *tabs)
    np.testing.assert_array_equal(qi.T, rqi)
    np.testing.assert_array_equal(qf.T, rqf)
    pw = _words(npr, start=1 << 20)
    pi = np.full((k.N_PI, npr), -7, np.int32)
    lat, sz = np.full(npr, -7, np.int64), np.zeros(npr, np.uint32)
    venue, cond = np.full(npr, -7, np.int8), np.full(npr, -7, np.int8)
    assert k.print_draws(pw, par, nc, ci, pi, lat, sz, venue, cond) == npr
    # (print_draws runs print_fixup, the Pareto-tail sizes, itself)
    want = ref.print_draws(pw, par, rcd, eq.EXP_TAB, eq.LN_DEPTH, eq.LOT_CUT_LIT, eq.LOT_CUT_OFF,
                           eq.LIT_TABLE, eq.OFF_TABLE, eq.QUOTE_TABLE)
    got = {"flg": pi[k.PI_FLG], "gap": pi[k.PI_GAP], "kind": pi[k.PI_KIND], "lat": lat, "sz": sz, "venue": venue,
           "cond": cond}
    for name, v in got.items():
        np.testing.assert_array_equal(v, want[name], err_msg=name)
    assert (sz >= 1).all() and (sz > 20_000 * 100 + 99).sum() == 0


def test_tables_are_the_model_constants():
    """The kernels read their tables as compile-time constants of kernels/equities.py; the model module
    re-exports the same objects, and the venue tables hold only codes of the right venue kind."""
    assert eq.QTAB == k.QTAB and eq.LIT_TABLE is k.LIT_TABLE and eq.EXP_TAB is k.EXP_TAB
    np.testing.assert_array_equal(k._VEN32, np.concatenate((eq.LIT_TABLE, eq.OFF_TABLE)))
    np.testing.assert_array_equal(k._QV32, eq.QUOTE_TABLE)
    from fastsynth import schemas
    assert set(eq.OFF_TABLE.tolist()) <= {schemas.VENUES.index(v) for v in eq.OFF_SHARES}
    assert set(eq.LIT_TABLE.tolist()) == {schemas.VENUES.index(v) for v in eq.LIT_SHARES}


def _run(splits, n_sec=240, price=120.0, starve=False):
    params = _params(price)
    rng = np.random.default_rng(3)
    pt = price * params.par[k.P_TPU] * np.exp(np.cumsum(np.r_[0.0, 2e-4 * rng.standard_normal(n_sec)]))
    lam = np.full(n_sec, 3.0)
    keys = np.arange(1, 11, dtype=np.int64) * 0x1F3D5B79
    r = k.BlockRunner(pt, lam, 2.0 * lam, np.full(n_sec, 2.5), 10**18, keys, params.par)
    r._cap_c = r._cap_q = 8                  # tiny event scratch: the first blocks grow it
    if starve:
        # expected counts of zero: the gap words and event scratch run out, so the arrival kernel's
        # overflow-and-retry path (state untouched, twice the room) runs in every block
        r._cum_c[:] = 0.0
        r._cum_q[:] = 0.0
    trades, quotes = [], []
    for s0, s1 in zip(splits[:-1], splits[1:]):
        nt_cap, nq_cap = r.prepare(s0, s1)
        b = eq._Buffers(nt_cap, nq_cap)
        nt, nq = r.fill(*b.t, *b.q)
        assert nt == nt_cap and nq <= nq_cap
        trades.append(np.stack([c[:nt].astype(np.float64) for c in b.t]))
        quotes.append(np.stack([c[:nq].astype(np.float64) for c in b.q]))
    return np.concatenate(trades, axis=1), np.concatenate(quotes, axis=1), r.state_i.copy()


def test_blocks_do_not_change_the_output():
    t1, q1, s1 = _run([0, 240])
    t2, q2, s2 = _run([0, 7, 100, 101, 240])
    t3, q3, s3 = _run([0, 7, 100, 101, 240], starve=True)
    assert t1.shape[1] > 500 and q1.shape[1] > 500
    for t, q, st in ((t2, q2, s2), (t3, q3, s3)):
        np.testing.assert_array_equal(t1, t)
        np.testing.assert_array_equal(q1, q)
        np.testing.assert_array_equal(s1, st)
    # time order, sequence numbers, an uncrossed book
    assert (np.diff(t1[0]) >= 0).all() and (np.diff(q1[0]) >= 0).all()
    assert (np.diff(t1[7]) == 1).all() and (np.diff(q1[8]) == 1).all()
    assert (q1[3] > q1[2]).all()
