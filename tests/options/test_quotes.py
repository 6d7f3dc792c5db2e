"""Option NBBO: static no-arbitrage at snapshots, tape structure, schema-exact batches and determinism
across batch sizes and requested tables.

No-arbitrage is checked in its tradable form at every snapshot (every quote brackets one arbitrage-free
value, so no vertical, butterfly, conversion or OTM calendar can be bought below zero), and on mids up to
the rounding of the quotes to their tick grid."""
from __future__ import annotations

import numpy as np
import pyarrow as pa
import pytest

import fastsynth
from fastsynth import schemas
from fastsynth.engine import plan
from fastsynth.manifest import Manifest
from fastsynth.options import partition_chain
from fastsynth.options.quotes import Quoter

SYM = "IBM"     # ~200 contracts, a few hundred thousand updates: fast
EPS = 1e-9


@pytest.fixture(scope="module")
def world():
    m = Manifest(seed=11, symbols=[SYM], tables=["option_contracts", "option_quotes"])
    p = plan(m)
    part = next(x for x in p.partitions if x.symbol == SYM)
    chain = partition_chain(p, part)
    q = Quoter(p, part, chain)
    blocks = [q.block(s0, min(s0 + 300, part.session.seconds)) for s0 in range(0, part.session.seconds, 300)]
    cat = {f: np.concatenate([getattr(b, f) for b in blocks]) for f in ("ts", "contract", "bid", "ask", "bid_sz",
                                                                         "ask_sz", "recv")}
    return m, p, part, chain, q, blocks, cat


def _snapshot(cat, n, t):
    """Per contract (bid, ask) of the last update with ts < t (NaN = no quote yet)."""
    k = int(np.searchsorted(cat["ts"], t, side="left"))
    bid, ask = np.full(n, np.nan), np.full(n, np.nan)
    c = cat["contract"][:k]
    last = np.full(n, -1)
    last[c] = np.arange(k)              # later rows overwrite earlier ones
    ok = last >= 0
    bid[ok], ask[ok] = cat["bid"][last[ok]], cat["ask"][last[ok]]
    return bid, ask


def test_tape_structure(world):
    _, _, part, chain, q, blocks, cat = world
    ts = cat["ts"]
    assert np.all(np.diff(ts) >= 0)
    assert ts[0] >= part.session.open_ns and ts[-1] < part.session.close_ns + 10**9
    assert np.all(cat["recv"] >= ts)
    assert np.all((cat["bid"] >= 0) & (cat["ask"] > cat["bid"]))
    assert np.all(cat["bid_sz"] >= 1) and np.all(cat["ask_sz"] >= 1)
    cents = np.round(np.concatenate([cat["bid"], cat["ask"]]) * 100)
    assert np.allclose(cents / 100, np.concatenate([cat["bid"], cat["ask"]]), atol=0, rtol=0)
    # penny program: $0.05 steps at and above $3
    hi = np.concatenate([cat["bid"], cat["ask"]])
    assert np.all(np.round(hi[hi > 3.0] * 100) % 5 == 0)
    # realistic rates: every contract quoted, a few hundred thousand updates for a mid-size name
    assert set(np.unique(cat["contract"])) == set(range(len(chain)))
    assert 5e4 < ts.shape[0] < 3e6
    # block start states continue the previous block
    for a, b in zip(blocks, blocks[1:]):
        st = a.start_ts.copy()
        st[a.contract] = a.ts   # last write wins (rows are time-ordered)
        assert np.array_equal(st, b.start_ts)
    # underlying tape: sorted, the first entry is at or before the block start
    for b in blocks:
        assert np.all(np.diff(b.und_ts) > 0) and b.und_ts[0] <= part.session.open_ns + b.s0 * 10**9


def test_static_no_arbitrage_at_snapshots(world):
    _, _, part, chain, q, blocks, cat = world
    n = len(chain)
    r, dq_rate = chain.rate, chain.div_yield
    und_ts, und_mid = q.und_ts_all, q.und_mid_all
    checked = 0
    # snapshots just before an underlying change, across the session
    for i in np.linspace(5, und_ts.shape[0] - 2, 40).astype(int):
        t = int(und_ts[i + 1]) - 1
        S = float(und_mid[i])
        bid, ask = _snapshot(cat, n, t)
        tau = chain.tau_at(t)
        live = ~np.isnan(bid) & (tau > 0)
        assert np.all(bid[live] <= ask[live])
        for e in range(chain.n_expiries):
            for right in (0, 1):
                sel = np.flatnonzero((chain.expiry == e) & (chain.right == right) & live)
                if sel.shape[0] < 3:
                    continue
                k, b, a = chain.strike[sel], bid[sel], ask[sel]
                # vertical: a call at a lower strike (a put at a higher) is never offered below the other's bid
                if right == 0:
                    assert np.all(a[:-1] + EPS >= b[1:])
                else:
                    assert np.all(a[1:] + EPS >= b[:-1])
                # butterfly: wings at the ask cost at least the body at the bid
                lam = (k[2:] - k[1:-1]) / (k[2:] - k[:-2])
                assert np.all(lam * a[:-2] + (1 - lam) * a[2:] + EPS >= b[1:-1])
                # mids: monotone and convex up to the tick rounding of each quote
                mid = 0.5 * (a + b)
                tick = np.where(mid < 3.0, 0.01, 0.05)
                d = np.diff(mid) * (1 if right == 0 else -1)
                assert np.all(d <= 0.5 * (tick[1:] + tick[:-1]) + 0.5 * (a - b)[1:] + EPS)
                conv = lam * mid[:-2] + (1 - lam) * mid[2:] - mid[1:-1]
                assert np.all(conv >= -(tick[1:-1] + 0.5 * (a - b)[1:-1]) - EPS)
                checked += sel.shape[0]
            # put-call parity inside the spreads: C - P = S e^{-q tau} - K e^{-r tau}
            c = np.flatnonzero((chain.expiry == e) & (chain.right == 0) & live)
            p_ = np.flatnonzero((chain.expiry == e) & (chain.right == 1) & live)
            both = np.intersect1d(chain.strike[c], chain.strike[p_])
            ci = c[np.isin(chain.strike[c], both)]
            pi = p_[np.isin(chain.strike[p_], both)]
            par = S * np.exp(-dq_rate * tau[ci]) - chain.strike[ci] * np.exp(-r * tau[ci])
            assert np.all(bid[ci] - ask[pi] <= par + EPS)
            assert np.all(par <= ask[ci] - bid[pi] + EPS)
        # calendar: an out-of-the-money option of a later expiry is never offered below an earlier's bid
        for right in (0, 1):
            otm = live & (chain.right == right) & ((chain.strike >= S) if right == 0 else (chain.strike <= S))
            idx = np.flatnonzero(otm)
            order = np.lexsort((chain.expiry[idx], chain.strike[idx]))
            idx = idx[order]
            same = chain.strike[idx[1:]] == chain.strike[idx[:-1]]
            assert np.all(ask[idx[1:]][same] + EPS >= bid[idx[:-1]][same])
    assert checked > 1000


def _run(m, batch_rows, tables):
    got = {t: [] for t in tables}
    for t, b in fastsynth.stream(m, batch_rows=batch_rows, tables=list(tables)):
        assert b.schema.equals(schemas.schema(t), check_metadata=True)
        got[t].append(b)
    return {t: pa.Table.from_batches(v, schema=schemas.schema(t)) for t, v in got.items()}


def test_batches_schema_exact_and_deterministic_across_batch_sizes_and_tables(world):
    m = world[0].replace(symbols=["F"])
    tabs = ("option_contracts", "option_quotes")
    a = _run(m, 1 << 20, tabs)
    b = _run(m, 7_777, tabs)
    only = _run(m, 50_000, ("option_quotes",))
    for t in tabs:
        assert a[t].equals(b[t])
    assert a["option_quotes"].equals(only["option_quotes"])
    q = a["option_quotes"]
    seq = q.column("sequence").to_numpy()
    assert np.array_equal(seq, np.arange(q.num_rows))
    assert np.all(np.diff(q.column("ts_event").cast(pa.int64()).to_numpy()) >= 0)
    ids = set(a["option_contracts"].column("instrument_id").to_pylist())
    assert set(q.column("instrument_id").to_pylist()) <= ids
    c = a["option_contracts"]
    assert c.num_rows == len(set(c.column("symbol").to_pylist()))
    assert set(c.column("expiry_kind").to_pylist()) <= set(schemas.EXPIRY_KINDS)


def test_output_buffers_reused_only_when_released(world):
    """The kernel writes into recycled output sets: a block the caller still holds (or a view, or an Arrow
    array over it) is never overwritten; a dropped block's set is reused."""
    _, p, part, chain, _, blocks, _ = world
    q = Quoter(p, part, chain)
    a = q.block(0, 300)
    snap = {f: getattr(a, f).copy() for f in ("ts", "recv", "contract", "bid", "ask", "bid_sz", "ask_sz")}
    arrow_bid = pa.Array.from_buffers(pa.float64(), len(a), [None, pa.py_buffer(a.bid)])
    view = a.ts[5:]
    del a
    b = q.block(300, 600)                 # a's set is still referenced (view, Arrow array): a new set
    assert view.base is not b.ts.base
    assert np.array_equal(view, snap["ts"][5:])
    assert np.array_equal(arrow_bid.to_numpy(), snap["bid"])
    for f in ("ts", "contract", "bid", "ask"):
        assert np.array_equal(getattr(b, f), getattr(blocks[1], f))
    base_b = id(b.ts.base)
    del b
    c = q.block(600, 900)                 # b was dropped: its set is reused
    assert id(c.ts.base) == base_b
    assert np.array_equal(view, snap["ts"][5:])
    for f in ("ts", "contract", "bid", "ask", "bid_sz", "ask_sz", "recv"):
        assert np.array_equal(getattr(c, f), getattr(blocks[2], f))


def test_block_weights_precomputed_equal_per_block(world):
    """``Quoter.block`` takes each block's spontaneous weights and start IVs from one vectorized pass at the
    first block: the same bits as the per-block computation; blocks off that grid fall back to it (the
    same rows as a Quoter that never precomputes)."""
    _, p, part, chain, q, blocks, cat = world
    step, cw, iv = q._pre
    assert step == 300
    for i, s0 in enumerate(range(0, part.session.seconds, step)):
        cw1, iv1 = q._cumw_iv(s0)
        assert np.array_equal(cw[i], cw1) and np.array_equal(iv[i], iv1, equal_nan=True)
        assert np.array_equal(blocks[i].iv0, iv1, equal_nan=True)
    edges = [0, 300, 420, 900, 2000, 2100, 2400]
    q2, q3 = Quoter(p, part, chain), Quoter(p, part, chain)
    q3._cumw_iv_all = lambda step: None        # never precomputes: every block by _cumw_iv
    for a, b in zip(edges[:-1], edges[1:]):
        x, y = q2.block(a, b), q3.block(a, b)
        for f in ("ts", "contract", "bid", "ask", "bid_sz", "ask_sz", "recv", "iv0", "und_ts", "und_mid"):
            assert np.array_equal(getattr(x, f), getattr(y, f), equal_nan=True)
    assert q2._pre is not None and q3._pre is None


@pytest.mark.parametrize("scheme", [0, 1, 2])
def test_tick_rounding_matches_integer_rule(scheme):
    """The kernel's branch-free whole-float cents equal the integer tick rule (floor/ceil to the grid of
    the scheme: $0.05 steps from $3 in scheme 1, $0.05/$0.10 in scheme 2; bid >= 0, ask >= one tick)."""
    from fastsynth.kernels.option_quotes import _quote

    def floor_ref(x):
        if x <= 0.0:
            return 0
        c = int(np.floor(x * 100.0 + 1e-7))
        if scheme == 1 and c >= 300:
            c -= c % 5
        elif scheme == 2:
            c -= c % 10 if c >= 300 else c % 5
        return c

    def ceil_ref(x):
        c = int(np.ceil(x * 100.0 - 1e-7))
        if scheme == 1 and c > 300:
            c += (5 - c % 5) % 5
        elif scheme == 2:
            c += (10 - c % 10) % 10 if c > 300 else (5 - c % 5) % 5
        return max(c, 1 if scheme < 2 else 5)

    rng = np.random.default_rng(3)
    px = np.concatenate([rng.uniform(-0.05, 6.0, 3000), rng.uniform(0, 700, 2000),
                         np.round(rng.uniform(0, 10, 1000) * 20) / 20, [0.0, 2.995, 3.0, 3.005]])
    for x in px:
        for cwf in (0.0, 0.7, 1.9):
            b, a = _quote(float(x), 0.1, 0.01, 0.006, 0.5, cwf, scheme)
            w = (0.01 + 0.006 * x * (1.0 + 0.5 * 0.1)) * cwf
            tick = 0.01 if scheme == 0 else ((0.01 if x < 3.0 else 0.05) if scheme == 1 else (0.05 if x < 3.0 else 0.10))
            h = 0.5 * max(tick, w)
            assert (b, a) == (floor_ref(x - h), ceil_ref(x + h))
