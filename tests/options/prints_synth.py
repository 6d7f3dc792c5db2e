"""A hand-built world for the print-generator tests: a chain, an option quote tape, an underlying tape and
a burst schedule, independent of the chain/quote/regime engines (plain numpy, fixed seeds).

``world(...)`` returns a ``World`` whose ``run(want_labels)`` feeds ``PrintGenerator`` block by block and
returns the concatenated option_trades / scenario_labels tables.
"""
from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass
from types import SimpleNamespace

import numpy as np
import pyarrow as pa

from fastsynth import schemas
from fastsynth.manifest import SymbolSpec
from fastsynth.regime.coverage import BurstSchedule
from fastsynth.regime.modulation import neutral_modulation

NS = 1_000_000_000
OPEN_NS = 1_767_364_200 * NS            # 2026-01-02 14:30 UTC (09:30 ET)
DATE = dt.date(2026, 1, 2)
EPOCH_DAY = DATE.toordinal() - dt.date(1970, 1, 1).toordinal()
BLOCK = 300
DTES = (0, 1, 3, 7, 14, 30, 45, 90, 180, 400)


def _ndtr(x):
    from scipy.special import ndtr

    return ndtr(x)


def bs(S, K, tau, vol, right):
    tau = np.maximum(tau, 1e-9)
    sq = vol * np.sqrt(tau)
    d1 = (np.log(S / K) + 0.04 * tau) / sq + 0.5 * sq
    d2 = d1 - sq
    c = S * _ndtr(d1) - K * np.exp(-0.04 * tau) * _ndtr(d2)
    p = K * np.exp(-0.04 * tau) * _ndtr(-d2) - S * _ndtr(-d1)
    return np.where(right == 0, c, p)


@dataclass
class QuoteBlock:
    ts: np.ndarray
    contract: np.ndarray
    bid: np.ndarray
    ask: np.ndarray
    bid_sz: np.ndarray
    ask_sz: np.ndarray
    start_ts: np.ndarray
    start_bid: np.ndarray
    start_ask: np.ndarray
    start_bid_sz: np.ndarray
    start_ask_sz: np.ndarray


@dataclass
class World:
    p: SimpleNamespace
    part: SimpleNamespace
    chain: SimpleNamespace
    q_ts: np.ndarray
    q_c: np.ndarray
    q_bid: np.ndarray
    q_ask: np.ndarray
    u_ts: np.ndarray
    u_mid: np.ndarray
    seconds: int

    def blocks(self):
        nc = self.chain.strike.shape[0]
        st_ts = np.full(nc, -1, np.int64)
        st_bid = np.zeros(nc)
        st_ask = np.zeros(nc)
        for s0 in range(0, self.seconds, BLOCK):
            s1 = min(self.seconds, s0 + BLOCK)
            b0, b1 = OPEN_NS + s0 * NS, OPEN_NS + s1 * NS
            i0, i1 = np.searchsorted(self.q_ts, [b0, b1])
            j0, j1 = np.searchsorted(self.u_ts, [b0, b1])
            sl = slice(i0, i1)
            qb = QuoteBlock(self.q_ts[sl], self.q_c[sl], self.q_bid[sl], self.q_ask[sl],
                            np.full(i1 - i0, 10, np.uint32), np.full(i1 - i0, 10, np.uint32),
                            st_ts.copy(), st_bid.copy(), st_ask.copy(), np.full(nc, 10, np.uint32),
                            np.full(nc, 10, np.uint32))
            und = SimpleNamespace(und_ts=self.u_ts[j0:j1], und_mid=self.u_mid[j0:j1])
            yield qb, und, s0, s1
            st_ts[self.q_c[sl]] = self.q_ts[sl]          # last write wins: tape is sorted by ts
            st_bid[self.q_c[sl]] = self.q_bid[sl]
            st_ask[self.q_c[sl]] = self.q_ask[sl]

    def generator(self, want_labels=True):
        from fastsynth.options.prints import PrintGenerator

        return PrintGenerator(self.p, self.part, 0, self.chain, want_labels=want_labels)

    def run(self, want_labels=True):
        g = self.generator(want_labels)
        tr, lb = [], []
        for qb, und, s0, s1 in self.blocks():
            t, lab = g.block(qb, und, s0, s1)
            if t is not None:
                tr.append(t)
            if lab is not None:
                lb.append(lab)
        trades = pa.Table.from_batches(tr, schema=schemas.schema("option_trades"))
        labels = pa.Table.from_batches(lb, schema=schemas.schema("scenario_labels")) if want_labels else None
        return trades, labels


def schedule(seconds: int, families=None, per_family: int = 2, seed: int = 3) -> BurstSchedule:
    fams = list(range(len(schemas.FAMILIES))) if families is None else list(families)
    rng = np.random.default_rng(seed)
    rows = []
    bid = 1
    for f in fams:
        for _ in range(per_family):
            ts = OPEN_NS + int(rng.integers(30, seconds - 30)) * NS + int(rng.integers(0, NS))
            rows.append((ts, f, bid, 1.0, int(rng.choice([-1, 1]))))
            bid += 1
    rows.sort()
    a = np.array(rows, dtype=np.float64).reshape(-1, 5)
    return BurstSchedule(np.array([r[0] for r in rows], np.int64), np.zeros(len(rows), np.int32),
                         a[:, 1].astype(np.int8), np.array([schemas.FAMILY_PROFILE[r[1]] for r in rows], np.int8),
                         a[:, 2].astype(np.uint64), a[:, 3], a[:, 4].astype(np.int8))


def world(seconds: int = 1800, seed: int = 11, spot: float = 100.0, etf: bool = False,
          bursts: BurstSchedule | None = None, adv: float = 5e7, mode: str = "realistic") -> World:
    rng = np.random.default_rng(seed)
    close_ns = OPEN_NS + 23_400 * NS
    # underlying: mid changes every ~0.3 s, 2 bps steps
    n_u = seconds * 3
    u_ts = OPEN_NS + np.sort(rng.integers(0, seconds * NS, n_u))
    u_ts[0] = OPEN_NS + 1_000_000
    u_mid = np.round(spot * np.exp(np.cumsum(rng.normal(0, 2e-4, n_u))), 2)
    # chain: strikes 80..120 step 1 (spot 100) for every DTE, calls and puts
    strikes = np.arange(0.8 * spot, 1.2 * spot + 1e-9, spot / 100.0)
    rows = [(d, k, r) for d in DTES for k in strikes for r in (0, 1)]
    dte = np.array([r[0] for r in rows], np.int32)
    strike = np.round(np.array([r[1] for r in rows]), 2)
    right = np.array([r[2] for r in rows], np.int8)
    tau = dte * (252.0 / 365.0) / 252.0      # trading years (~252 sessions a year)
    exp = (EPOCH_DAY + dte).astype(np.int32)
    osi = [f"SYN   {(DATE + dt.timedelta(days=int(d))).strftime('%y%m%d')}{'CP'[r]}{round(k * 1000):08d}"
           for d, k, r in rows]
    nc = len(rows)
    chain = SimpleNamespace(instrument_id=np.arange(1, nc + 1, dtype=np.uint64) * np.uint64(0x9E3779B1),
                            symbol=pa.array(osi), expiration=exp, strike=strike, right=right,
                            kind=np.zeros(nc, np.int8), dte=dte, tau=tau, tick_scheme=0 if etf else 1)
    # option quotes: per contract Poisson updates, faster near the money and short-dated; 3% never quoted
    lm = np.abs(np.log(strike / spot))
    rate = 1.0 * np.exp(-lm / 0.05) * np.exp(-dte / 60.0) + 1.0 / 120.0
    rate[rng.random(nc) < 0.03] = 0.0
    cnt = rng.poisson(rate * seconds)
    q_c = np.repeat(np.arange(nc, dtype=np.int32), cnt)
    q_ts = OPEN_NS + rng.integers(0, seconds * NS, q_c.shape[0])
    # a share of quotes exactly on a print-able second boundary and duplicates in ts (as-of ties)
    o = np.lexsort((q_c, q_ts))
    q_ts, q_c = q_ts[o], q_c[o]
    ui = np.maximum(np.searchsorted(u_ts, q_ts, side="right") - 1, 0)
    S = u_mid[ui]
    tq = tau[q_c] + (close_ns - q_ts) / (252.0 * 23_400 * NS)
    theo = bs(S, strike[q_c], tq, 0.25, right[q_c])
    half = np.maximum(0.01, np.round(0.02 * theo + 0.01 * rng.random(q_c.shape[0]), 2))
    tick = np.where(theo >= 3.0, 0.05, 0.01)
    bid = np.maximum(0.0, np.floor((theo - half) / tick) * tick)
    ask = np.maximum(np.ceil((theo + half) / tick) * tick, bid + tick)
    bid, ask = np.round(bid, 2), np.round(ask, 2)
    # some locked / one-tick markets
    one = rng.random(q_c.shape[0]) < 0.05
    ask = np.where(one, np.round(bid + 0.01, 2), ask)
    spec = SymbolSpec(symbol="SYN", price=spot, annual_vol=0.25, adv=adv, etf=etf)
    sess = SimpleNamespace(open_ns=OPEN_NS, close_ns=close_ns, seconds=seconds, date=DATE)
    part = SimpleNamespace(symbol="SYN", day_index=0, session=sess)
    sched = bursts if bursts is not None else schedule(seconds)
    regime = SimpleNamespace(modulation=lambda sym, d: neutral_modulation(seconds),
                             bursts=lambda d: sched, events_for=lambda sym, d: [])
    p = SimpleNamespace(manifest=SimpleNamespace(seed=7, mode=mode), specs={"SYN": spec},
                        symbol_dictionary=pa.array(["SYN"]), regime=regime)
    return World(p, part, chain, q_ts, q_c, bid, ask, u_ts, u_mid, seconds)


def asof(q_ts, q_c, q_bid, q_ask, t, c):
    """Independent as-of join: for each print (t, c), the last quote of contract c with ts <= t."""
    bid = np.full(t.shape[0], np.nan)
    ask = np.full(t.shape[0], np.nan)
    age = np.full(t.shape[0], -1, np.int64)
    for cc in np.unique(c):
        sel = np.flatnonzero(c == cc)
        qs = np.flatnonzero(q_c == cc)
        j = np.searchsorted(q_ts[qs], t[sel], side="right") - 1
        ok = j >= 0
        bid[sel[ok]] = q_bid[qs[j[ok]]]
        ask[sel[ok]] = q_ask[qs[j[ok]]]
        age[sel[ok]] = t[sel[ok]] - q_ts[qs[j[ok]]]
    return bid, ask, age


def contract_index(chain, iid: np.ndarray) -> np.ndarray:
    o = np.argsort(chain.instrument_id)
    return o[np.searchsorted(chain.instrument_id[o], iid)]


__all__ = ["world", "schedule", "asof", "contract_index", "bs", "OPEN_NS", "NS", "math"]
