"""Small random equity tapes for the analytics tests (seeded; deterministic per seed)."""
from __future__ import annotations

import numpy as np
import pyarrow as pa

TS = pa.timestamp("ns", tz="UTC")
T0 = 1_772_461_800_000_000_000   # 2026-03-02 14:30 UTC


def tape(seed: int, n_prints: int = 300, n_quotes: int = 200, syms=("AAA", "BBB"), span_ns: int = 20_000_000_000,
         off_share: float = 0.5, big: bool = False) -> tuple[pa.Table, pa.Table]:
    """``(trades, quotes)`` in the equity contracts, globally time-sorted, with ties and quote gaps."""
    r = np.random.default_rng(seed)
    q_ts = np.sort(T0 + r.integers(0, span_ns, n_quotes))
    q_sym = r.choice(len(syms), n_quotes)
    mid = 100 + np.round(r.normal(0, 0.05, n_quotes).cumsum(), 2)
    spr = r.choice([0.01, 0.02, 0.05], n_quotes)
    bid = np.round(mid - spr / 2, 2)
    ask = np.round(bid + spr, 2)
    crossed = r.random(n_quotes) < 0.03
    bid[crossed] = ask[crossed] + 0.01
    p_ts = np.sort(np.r_[T0 + r.integers(0, span_ns, n_prints - n_prints // 10), r.choice(q_ts, n_prints // 10)])
    p_sym = r.choice(len(syms), n_prints)
    base = np.interp(p_ts, q_ts, mid)
    px = np.round(base + r.choice([-0.02, -0.01, -0.005, 0, 0.005, 0.01, 0.02], n_prints), 4)
    sz = r.choice([100, 200, 300, 500, 1000, 2500], n_prints).astype(np.uint32)
    if big:
        sz[r.random(n_prints) < 0.02] = 12_000
    venue = np.where(r.random(n_prints) < off_share, "FINN", "XNAS")
    recv = p_ts + r.integers(0, 4_000_000_000, n_prints) * (r.random(n_prints) < 0.1)
    trades = pa.table({"ts_event": pa.array(p_ts, TS), "ts_recv": pa.array(recv, TS),
                       "symbol": pa.array([syms[i] for i in p_sym]).dictionary_encode(),
                       "price": px, "size": pa.array(sz), "venue": pa.array(venue)})
    quotes = pa.table({"ts_event": pa.array(q_ts, TS), "symbol": pa.array([syms[i] for i in q_sym]),
                       "bid_px_00": bid, "ask_px_00": ask,
                       "bid_sz_00": pa.array(r.integers(1, 50, n_quotes) * 100, pa.uint32()),
                       "ask_sz_00": pa.array(r.integers(1, 50, n_quotes) * 100, pa.uint32())})
    return trades, quotes


def split_at(t: pa.Table, cuts_ns: list[int]) -> list[pa.Table]:
    """Time chunks of ``t``: rows with ts_event <= cut[0], then (cut[0], cut[1]], ..., then the rest."""
    ts = t.column("ts_event").cast(pa.int64()).to_numpy()
    out, lo = [], None
    for c in [*cuts_ns, None]:
        m = np.ones(len(ts), bool)
        if lo is not None:
            m &= ts > lo
        if c is not None:
            m &= ts <= c
        out.append(t.filter(pa.array(m)))
        lo = c if c is not None else lo
    return out
