"""A hand-written, vectorized numpy generator of the equity tables: the baseline fastsynth's kernel is
measured against (``fastsynth bench`` reports the kernel's rate as a multiple of this one).

It produces the same tables as fastsynth (``fastsynth.schema("equity_trades")`` and
``fastsynth.schema("equity_quotes")``, as Arrow record batches) from a comparable trades + quotes model,
written the way a competent numpy user would write it: whole-array operations over blocks of
``block_seconds`` (no Python loop over events), numpy's default ``Generator`` (PCG64), uniforms drawn
in a few large calls, segmented cumulative sums for the within-sweep recurrences, and zero-copy Arrow
wrapping. Model, per block of seconds:

- trade clusters (parent orders) arrive as a Poisson process with a U-shaped intraday intensity
  (busy open and close): Poisson counts per second, uniform times inside the second;
- quote-only NBBO updates arrive as a second Poisson process with the same shape;
- the efficient price is a GBM on the 1-second grid (linear inside a second); quotes sit on the tick
  grid around it with a log-normal noisy spread, wider at the open;
- aggressor sides persist: meta-orders with power-law run lengths, mixed with flow leaning toward the
  side the efficient price favours;
- a cluster is one print or a sweep (geometric number of prints, same timestamp or milliseconds apart);
  lit sweeps walk the book one level at a time; sizes are odd lots (1-99) or round lots with a Pareto
  tail, sometimes with an odd remainder; venues by share tables (lit exchanges or TRFs);
- off-exchange (TRF) prints are at the midpoint, price-improved by sub-penny amounts (1/100-cent grid)
  or at the touch, with side ``N``; every lit cluster is followed by an NBBO update.

Differences from fastsynth's kernel, stated so the comparison stays honest: the kernel refreshes a quote
only when it stops bracketing the efficient price and consumes displayed size print by print (serial
rules with no whole-array form); here every quote is re-centred on the efficient price and a sweep's
level walk is random. The arrivals are Poisson, not Hawkes (self-excitation is a serial recurrence too).
So this model does slightly *less* work per row than the kernel.

Example::

    params = RefParams(price=230.0, annual_vol=0.28, tick_size=0.01,
                       prints_per_day=700_000, quotes_per_day=850_000)
    for table, batch in session_batches(params, seed=7, open_ns=1_772_461_800_000_000_000):
        ...
"""
from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
import pyarrow as pa

import fastsynth
from fastsynth import equities, schemas

__all__ = ["RefParams", "session_batches", "FULL_DAY_SECONDS"]

FULL_DAY_SECONDS = 23_400
MAX_PRINTS = 24          # prints per cluster, at most
HC_PER_USD = 10_000      # off-exchange price grid: 1/100 cent

# Model constants: the same values fastsynth's kernel uses, so the work per row is comparable.
OFF_SHARE, SWEEP_CONT, OFF_CONT = 0.38, 0.45, 0.15
SAME_TS, GAP_NS = 0.75, 3e6
INSIDE, MIXED = 0.06, 0.20
ALPHA_LIT, ALPHA_OFF = 1.9, 1.35
META_W, META_ALPHA, META_MIN, LEAN = 0.5, 1.5, 2.0, 0.7
SPREAD_NOISE = 0.5
LAT_LIT_NS, LAT_OFF_NS = 150e3, 4e6
MID_SHARE, IMPROVE_SHARE = 0.25, 0.45
WALK = 0.3               # a follow-on lit print of a sweep takes the next price level with this probability

# Venue shares: the same tables the kernel uses.
_LIT, _OFF, _QUOTE = equities.LIT_SHARES, equities.OFF_SHARES, equities.QUOTE_SHARES

_TS = pa.timestamp("ns", tz="UTC")


def _venue_table(shares: dict[str, float]) -> tuple[np.ndarray, np.ndarray]:
    """(cumulative probabilities, int8 venue codes); the last cdf entry is forced to 1."""
    cdf = np.cumsum(np.array(list(shares.values())))
    cdf /= cdf[-1]
    cdf[-1] = 1.0
    return cdf, np.array([schemas.VENUES.index(v) for v in shares], dtype=np.int8)


_LIT_T, _OFF_T, _QUOTE_T = _venue_table(_LIT), _venue_table(_OFF), _venue_table(_QUOTE)


def _pick(table: tuple[np.ndarray, np.ndarray], u: np.ndarray) -> np.ndarray:
    cdf, codes = table
    return codes[np.minimum(np.searchsorted(cdf, u, side="right"), codes.size - 1)]


@dataclass(frozen=True)
class RefParams:
    """Per-symbol settings. ``prints_per_day``/``quotes_per_day``: expected rows in a full session
    (the benchmark sets them to the kernel's own counts so both generate about the same rows)."""

    price: float
    annual_vol: float
    tick_size: float
    prints_per_day: float
    quotes_per_day: float
    spread_ticks: float = 1.5    # base spread target, ticks
    depth: float = 2_000.0       # mean displayed size, shares
    p_odd: float = 0.45          # probability of an odd-lot print

    @property
    def clusters_per_day(self) -> float:
        prints_per_cluster = OFF_SHARE / (1 - OFF_CONT) + (1 - OFF_SHARE) / (1 - SWEEP_CONT)
        return self.prints_per_day / prints_per_cluster


def _ts(ns: np.ndarray) -> pa.Array:
    return pa.Array.from_buffers(_TS, len(ns), [None, pa.py_buffer(ns)])


def _dict(codes: np.ndarray, dictionary: pa.Array) -> pa.Array:
    return pa.DictionaryArray.from_arrays(pa.array(codes), dictionary, safe=False)


def _segment_cumsum(v: np.ndarray, start: np.ndarray, counts: np.ndarray) -> np.ndarray:
    """Cumulative sum of ``v`` restarting at each segment (segments given by start index and length)."""
    c = np.cumsum(v)
    return c - np.repeat(c[start] - v[start], counts)


def _arrival_times(rng: np.random.Generator, lam: np.ndarray, s0: int) -> np.ndarray:
    """Sorted Poisson arrival times (seconds from the open) with intensity ``lam`` per second from s0."""
    t = np.repeat(np.arange(s0, s0 + lam.size, dtype=np.float64), rng.poisson(lam))
    t += rng.random(t.size)
    t.sort()
    return t


def _display_size(rng: np.random.Generator, depth: float, n: int) -> np.ndarray:
    lots = np.floor(depth * np.exp(0.9 * rng.standard_normal(n) - 0.405) / 100.0 + 0.5)
    return (np.clip(lots, 1.0, 100_000.0) * 100).astype(np.uint32)


def session_batches(params: RefParams, seed: int, open_ns: int, seconds: int = FULL_DAY_SECONDS,
                    block_seconds: int = 300, symbol_dictionary: pa.Array | None = None
                    ) -> Iterator[tuple[str, pa.RecordBatch]]:
    """One symbol-session as ``(table, RecordBatch)`` pairs, one quotes and one trades batch per block."""
    rng = np.random.default_rng(seed)
    sym_dict = symbol_dictionary if symbol_dictionary is not None else pa.array(["SYM"])
    sides, venues, conds = (pa.array(schemas.SIDES), pa.array(schemas.VENUES),
                            pa.array(schemas.CONDITIONS))
    trade_schema, quote_schema = fastsynth.schema("equity_trades"), fastsynth.schema("equity_quotes")
    tpu = float(round(1.0 / params.tick_size))
    hc_per_tick = int(round(HC_PER_USD / tpu))

    # Per-second inputs for the whole session.
    mid_s = np.arange(seconds, dtype=np.float64) + 0.5
    shape = 1.0 + 2.0 * np.exp(-mid_s / 1800.0) + 1.5 * np.exp(-(seconds - mid_s) / 1200.0)  # U-shape
    shape /= shape.mean()
    lam_c = params.clusters_per_day / FULL_DAY_SECONDS * shape
    lam_q = np.maximum(params.quotes_per_day / FULL_DAY_SECONDS * shape - (1 - OFF_SHARE) * lam_c, 0.0)
    spr = params.spread_ticks * (1.0 + 1.5 * np.exp(-mid_s / 900.0))          # wider at the open
    sd = params.annual_vol / math.sqrt(252.0 * FULL_DAY_SECONDS)
    x = np.empty(seconds + 1)                                                   # log price at boundaries
    x[0] = math.log(params.price)
    np.cumsum(sd * rng.standard_normal(seconds) - 0.5 * sd * sd, out=x[1:])
    x[1:] += x[0]

    tseq = qseq = 0
    last_t = last_q = 0
    sym_codes = np.zeros(0, np.int32)
    for s0 in range(0, seconds, block_seconds):
        s1 = min(seconds, s0 + block_seconds)

        # --- clusters: arrival, efficient price, NBBO at arrival, side, venue class, number of prints
        tc = _arrival_times(rng, lam_c[s0:s1], s0)
        nc = tc.size
        k = tc.astype(np.int64)
        ps = np.exp(x[k] + (x[k + 1] - x[k]) * (tc - k)) * tpu                 # efficient price, ticks
        uc = rng.random((4, nc))
        sp = np.maximum(np.floor(spr[k] * np.exp(SPREAD_NOISE * rng.standard_normal(nc)) + uc[0]), 1.0)
        bid = np.floor(ps - 0.5 * sp + 0.5)
        # meta-orders: runs of one sign with power-law lengths (order-flow memory); mean run ~ 6 clusters
        runs = np.minimum(np.ceil(META_MIN * rng.random(nc // 4 + 16) ** (-1.0 / META_ALPHA)), 5000.0)
        while runs.sum() < nc:
            runs = np.concatenate([runs, runs])
        meta = np.repeat(np.where(rng.random(runs.size) < 0.5, 1, -1), runs.astype(np.int64))[:nc]
        pbuy = 0.5 + LEAN * ((ps - bid) / sp - 0.5)
        sign = np.where(uc[1] < META_W, meta, np.where(uc[2] < pbuy, 1, -1))
        off = uc[3] < OFF_SHARE
        nprint = np.minimum(rng.geometric(np.where(off, 1.0 - OFF_CONT, 1.0 - SWEEP_CONT)), MAX_PRINTS)

        # --- prints: expand clusters, timestamps within a sweep, sizes, venues, prices
        n_t = int(nprint.sum())
        cl = np.repeat(np.arange(nc), nprint)
        start = np.cumsum(nprint) - nprint
        follow = np.ones(n_t, dtype=bool)
        follow[start] = False                                                    # not a cluster's first
        u = rng.random((8, n_t))
        gap = np.where(follow & (u[0] >= SAME_TS), 1000 + (-GAP_NS * np.log(u[1])).astype(np.int64), 0)
        ts = np.repeat(open_ns + (tc * 1e9).astype(np.int64), nprint) + _segment_cumsum(gap, start, nprint)
        if n_t:
            ts[0] = max(ts[0], last_t)
        np.maximum.accumulate(ts, out=ts)                                        # tape order: monotone
        offp = off[cl]
        inv_alpha = np.where(offp, -1.0 / ALPHA_OFF, -1.0 / ALPHA_LIT)
        lots = np.minimum(np.floor(u[3] ** inv_alpha), 20_000.0)
        rem = np.where(u[4] < MIXED, 1.0 + np.floor(99.0 * u[4] / MIXED), 0.0)
        size = np.where(u[2] < params.p_odd, 1.0 + np.floor(99.0 * u[3] * u[3]), lots * 100.0 + rem)
        size = size.astype(np.uint32)
        venue = np.where(offp, _pick(_OFF_T, u[5]), _pick(_LIT_T, u[5]))
        sgn, b, s = sign[cl], bid[cl], sp[cl]
        level = _segment_cumsum((follow & (u[6] < WALK)).astype(np.float64), start, nprint)
        lit_tick = np.where(sgn > 0, b + s + level, b - level)                  # walk the book
        lit_tick = np.where((s >= 2) & (u[7] < INSIDE), b + np.where(sgn > 0, np.ceil(s / 2), np.floor(s / 2)),
                            lit_tick)                                            # hidden liquidity inside
        bid_hc, ask_hc = b * hc_per_tick, (b + s) * hc_per_tick
        imp = 1.0 + np.floor(u[7] * 0.45 * (ask_hc - bid_hc))
        off_hc = np.where(u[6] < MID_SHARE, np.floor((bid_hc + ask_hc) / 2),
                          np.where(u[6] < MID_SHARE + IMPROVE_SHARE,
                                   np.where(sgn > 0, ask_hc - imp, bid_hc + imp),
                                   np.where(sgn > 0, ask_hc, bid_hc)))
        price = np.where(offp, off_hc / HC_PER_USD, lit_tick / tpu)
        side = np.where(offp, 2, np.where(sgn > 0, 0, 1)).astype(np.int8)
        cond = ((size < 100).astype(np.int8) + 2 * (~offp & (nprint[cl] > 1))).astype(np.int8)
        lat = np.where(offp, LAT_OFF_NS * (0.2 - 0.8 * np.log(u[1])), LAT_LIT_NS * (0.5 - 0.5 * np.log(u[1])))
        recv = ts + lat.astype(np.int64)
        seq_t = np.arange(tseq, tseq + n_t, dtype=np.uint64)

        # --- quotes: quote-only updates re-centred on the efficient price, plus the NBBO after each
        # lit cluster (the levels its sweep took removed)
        tq = _arrival_times(rng, lam_q[s0:s1], s0)
        kq = tq.astype(np.int64)
        psq = np.exp(x[kq] + (x[kq + 1] - x[kq]) * (tq - kq)) * tpu
        spq = np.maximum(np.floor(spr[kq] * np.exp(SPREAD_NOISE * rng.standard_normal(tq.size))
                                  + rng.random(tq.size)), 1.0)
        bq = np.floor(psq - 0.5 * spq + 0.5)
        lit_c = np.flatnonzero(~off)
        last = start[lit_c] + nprint[lit_c] - 1                                 # the sweep's last print
        took = level[last] + 1.0
        bq_after = np.where(sign[lit_c] > 0, bid[lit_c], bid[lit_c] - took)
        spq_after = sp[lit_c] + took
        tq_ns = np.concatenate([open_ns + (tq * 1e9).astype(np.int64),
                                ts[last] + 2000 + (LAT_LIT_NS * rng.random(lit_c.size)).astype(np.int64)])
        order = np.argsort(tq_ns, kind="stable")
        q_ts = tq_ns[order]
        n_q = q_ts.size
        if n_q:
            q_ts[0] = max(q_ts[0], last_q)
        np.maximum.accumulate(q_ts, out=q_ts)
        q_bid = np.concatenate([bq, bq_after])[order]
        q_ask = (q_bid + np.concatenate([spq, spq_after])[order]) / tpu
        q_bid /= tpu
        uq = rng.random((3, n_q))
        q_recv = q_ts + (LAT_LIT_NS * (0.5 - 0.5 * np.log(uq[0]))).astype(np.int64)
        seq_q = np.arange(qseq, qseq + n_q, dtype=np.uint64)

        # --- Arrow batches (zero-copy wrapping, shared dictionaries)
        if sym_codes.size < max(n_t, n_q):
            sym_codes = np.zeros(max(n_t, n_q, 2 * sym_codes.size), np.int32)
        if n_q:
            yield "equity_quotes", pa.RecordBatch.from_arrays(
                [_ts(q_ts), _ts(q_recv), _dict(sym_codes[:n_q], sym_dict), pa.array(q_bid), pa.array(q_ask),
                 pa.array(_display_size(rng, params.depth, n_q)), pa.array(_display_size(rng, params.depth, n_q)),
                 _dict(_pick(_QUOTE_T, uq[1]), venues), _dict(_pick(_QUOTE_T, uq[2]), venues), pa.array(seq_q)],
                schema=quote_schema)
            last_q, qseq = int(q_ts[-1]), qseq + n_q
        if n_t:
            yield "equity_trades", pa.RecordBatch.from_arrays(
                [_ts(ts), _ts(recv), _dict(sym_codes[:n_t], sym_dict), pa.array(price), pa.array(size),
                 _dict(side, sides), _dict(venue, venues), _dict(cond, conds), pa.array(seq_t)],
                schema=trade_schema)
            last_t, tseq = int(ts[-1]), tseq + n_t
