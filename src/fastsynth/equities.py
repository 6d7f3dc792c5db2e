"""Equities session model: per-symbol parameters, and one (symbol, session) partition as Arrow batches.

``run_partition`` builds the symbol's 1-second latent path (``market.latent_path``), turns it into
per-second arrival rates and spread targets, and runs the microstructure kernel over fixed blocks of
``BLOCK_SECONDS``. Block boundaries depend only on the session, never on the caller's batch size, so the
output bytes depend only on the manifest; memory is bounded by one block, not by the session length.
"""
from __future__ import annotations

import functools
import math
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from . import schemas
from ._arrow import dict_array, num_array, py_array, ts_array
# Venue shares, the quantile tables of the draws and the size-tail indices are compile-time constants of
# the kernels (kernels/equities.py defines them: Numba's cache is keyed on that file); re-exported here.
from .kernels.equities import (ALPHA_LIT, ALPHA_OFF, DEPTH_SD, EXP_TAB, LIT_SHARES, LIT_TABLE,  # noqa: F401
                               LN_DEPTH, LN_SPREAD, LOT_CUT_LIT, LOT_CUT_OFF, OFF_SHARES, OFF_TABLE, QTAB,
                               QUOTE_SHARES, QUOTE_TABLE, SPREAD_NOISE)
from .manifest import MODE_SCALE, Manifest, SymbolSpec
from .market import DayPlan, latent_path, seasonality
from .rng import derive_key, normals

__all__ = ["EquityParams", "equity_params", "run_partition", "BLOCK_SECONDS"]

BLOCK_SECONDS = 900          # generation block: 15 minutes (divides every session length, 23,400 s and the
                             # 12,600 s half day; bars stay whole); bytes do not depend on it (draws are
                             # indexed by event); 900 s: a third of the per-block Python/Arrow overhead of 300 s
FULL_DAY_SECONDS = 23_400

_STREAMS = ("cluster_gaps", "quote_gaps", "clusters", "prints", "quotes")   # order = kernels.equities.ST_*


# Model constants (see kernels/equities.py for their meaning); chosen against the stylized facts of
# real US tapes (docs/realism.md lists the figures, ours and the real samples', side by side).
SWEEP_CONT, OFF_CONT = 0.45, 0.15
SAME_TS, GAP_NS = 0.75, 3e6
INSIDE, MIXED = 0.06, 0.20
META_W, META_ALPHA, META_MIN, LEAN = 0.5, 1.5, 2.0, 0.7
SIZE_ONLY = 0.5
HAWKES_N, HAWKES_BETA = 0.55, 1.0 / 8.0   # self-excitation: branching ratio, decay per second (8 s)
# Opening and closing crosses on the listing exchange: printed size as a share of ADV (log-normal,
# sd 0.5); the closing auction is the largest print of a US session (~5-10% of the day's volume).
OPEN_CROSS_ADV, CLOSE_CROSS_ADV = 0.01, 0.06
LAT_LIT_NS, LAT_OFF_NS = 150e3, 4e6
MID_SHARE, IMPROVE_SHARE = 0.25, 0.45
OFF_CLUSTER_SHARE = 0.38     # share of parent orders executed off-exchange (volume share ends near 40-45%)
QUOTE_RATIO = 0.8            # quote-only NBBO updates per print (refreshes and trade updates come on top)
VOL_ACTIVITY = 0.7           # elasticity of arrival rates to the stochastic-volatility multiplier
VOL_SPREAD = 0.5             # elasticity of the spread to it


@dataclass(frozen=True)
class EquityParams:
    """Derived per-symbol model settings (all documented in kernels/equities.py)."""

    par: np.ndarray               # float64 (N_PARAMS,)
    prints_per_day: float         # expected prints in a full session at this mode
    clusters_per_day: float
    spread_ticks: float           # base spread target, ticks
    depth: float                  # mean displayed size, shares


def _odd_share(price: float) -> float:
    # odd lots are ~45% of prints on a modern tape, more for high-priced names, fewer for cheap ones
    return float(np.clip(0.42 + 0.08 * math.log(price / 150.0), 0.2, 0.7))


@functools.lru_cache(maxsize=64)
def _mean_lots(alpha: float) -> float:
    # E[floor(U^(-1/alpha))] = sum_k P(lots >= k); cached: two 20,000-term power sums per partition
    # were ~0.35 ms of an AAPL session
    k = np.arange(1, 20001, dtype=np.float64)
    return float(np.sum(k ** -alpha))


def _mean_size(p_odd: float, alpha: float) -> float:
    mean_lots = _mean_lots(alpha)
    mean_odd = 1.0 + 99.0 / 3.0                        # 1 + 99 * E[U^2]
    return p_odd * mean_odd + (1 - p_odd) * (100.0 * mean_lots + MIXED * 50.0)


def equity_params(spec: SymbolSpec, mode: str) -> EquityParams:
    """Model settings for ``spec`` at market ``mode``."""
    from .kernels import equities as k

    tpu = round(1.0 / spec.tick_size)
    p_odd = _odd_share(spec.price)
    mean_size = (OFF_CLUSTER_SHARE * _mean_size(p_odd, ALPHA_OFF) / (1 - OFF_CONT)
                 + (1 - OFF_CLUSTER_SHARE) * _mean_size(p_odd, ALPHA_LIT) / (1 - SWEEP_CONT))
    prints_per_cluster = OFF_CLUSTER_SHARE / (1 - OFF_CONT) + (1 - OFF_CLUSTER_SHARE) / (1 - SWEEP_CONT)
    mean_size /= prints_per_cluster
    prints = spec.adv / mean_size * MODE_SCALE[mode]
    dollar_adv = spec.adv * spec.price
    spread_bps = float(np.clip(45.0 / math.sqrt(dollar_adv / 1e6), 0.2, 50.0))
    spread_ticks = spread_bps * 1e-4 * spec.price * tpu
    depth = max(100.0, 1.6e-4 * spec.adv * math.sqrt(50.0 / spec.price))
    par = np.zeros(k.N_PARAMS)
    par[k.P_TPU] = float(tpu)
    par[k.P_DEPTH] = depth
    par[k.P_OFF_SHARE] = OFF_CLUSTER_SHARE
    par[k.P_SWEEP_CONT] = SWEEP_CONT
    par[k.P_OFF_CONT] = OFF_CONT
    par[k.P_SAME_TS] = SAME_TS
    par[k.P_GAP_NS] = GAP_NS
    par[k.P_INSIDE] = INSIDE
    par[k.P_ODD] = p_odd
    par[k.P_ALPHA_LIT] = ALPHA_LIT
    par[k.P_ALPHA_OFF] = ALPHA_OFF
    par[k.P_MIXED] = MIXED
    par[k.P_META_W] = META_W
    par[k.P_META_ALPHA] = META_ALPHA
    par[k.P_META_MIN] = META_MIN
    par[k.P_LEAN] = LEAN
    par[k.P_SIZE_ONLY] = SIZE_ONLY
    par[k.P_SPREAD_NOISE] = SPREAD_NOISE
    par[k.P_LAT_LIT_NS] = LAT_LIT_NS
    par[k.P_LAT_OFF_NS] = LAT_OFF_NS
    par[k.P_MID_SHARE] = MID_SHARE
    par[k.P_IMPROVE_SHARE] = IMPROVE_SHARE
    par[k.P_HAWKES_N] = HAWKES_N
    par[k.P_HAWKES_BETA] = HAWKES_BETA
    return EquityParams(par, prints, prints / prints_per_cluster, spread_ticks, depth)


def _rates(params: EquityParams, volrel: np.ndarray, seconds: int, mod=None):
    """Per-second arrival rates and spread targets; ``mod`` (regime ``SymbolModulation``) scales the
    cluster rate (``activity``), the quote-only rate (``quote_mult``) and the spread (``spread_mult``)."""
    vol_s, act_s, spr_s = seasonality(seconds)
    sv = volrel / vol_s                       # stochastic part of the volatility (day level included)
    # the baseline carries (1 - n) of the arrivals; self-excitation adds the rest
    base = params.clusters_per_day / FULL_DAY_SECONDS
    lam_c = base * act_s * sv ** VOL_ACTIVITY
    if mod is not None:
        lam_c = lam_c * mod.activity
    lam_base = (1.0 - HAWKES_N) * lam_c
    prints_per_cluster = params.prints_per_day / params.clusters_per_day
    lam_q = QUOTE_RATIO * prints_per_cluster * lam_c
    spr = params.spread_ticks * spr_s * sv ** VOL_SPREAD
    if mod is not None:
        lam_q = lam_q * mod.quote_mult
        spr = spr * mod.spread_mult
    return lam_base, lam_c, lam_q, spr


_T_TYPES = (np.int64, np.int64, np.float64, np.uint32, np.int8, np.int8, np.int8, np.uint64)
_Q_TYPES = (np.int64, np.int64, np.float64, np.float64, np.uint32, np.uint32, np.int8, np.int8, np.uint64)


_T_SIZES = tuple(np.dtype(t).itemsize for t in _T_TYPES)
_Q_SIZES = tuple(np.dtype(t).itemsize for t in _Q_TYPES)
_SCHEMA_T, _SCHEMA_Q = schemas.schema("equity_trades"), schemas.schema("equity_quotes")   # built once
_TYPES_T = tuple(f.type for f in _SCHEMA_T)     # iterating a schema builds Field objects: do it once
_TYPES_Q = tuple(f.type for f in _SCHEMA_Q)


def _cut(raw: np.ndarray, o: int, n: int, types: tuple, sizes: tuple) -> tuple[tuple[np.ndarray, ...], tuple[int, ...], int]:
    stride = -(-max(n, 1) // 8) * 8          # rows, so every column starts 64-byte aligned
    out, offs = [], []
    for t, w in zip(types, sizes):
        out.append(raw[o:o + n * w].view(t))
        offs.append(o)
        o += stride * w
    return tuple(out), tuple(offs), o


class _Buffers:
    """Output columns of one block (new per block: batches handed out keep referencing them): one buffer
    from pyarrow's pool cut into 64-byte-aligned trade and quote columns (memory of batches the consumer
    dropped is reused without page faults, and one allocation replaces seventeen). ``t``/``q``: the
    columns as numpy arrays (the kernels write them); ``t_off``/``q_off``: their byte offsets in ``raw``
    (the batches wrap slices of ``raw``: cheaper than a buffer from each numpy view)."""

    def __init__(self, cap_t: int, cap_q: int) -> None:
        nbytes = (-(-max(cap_t, 1) // 8) * 8 * sum(_T_SIZES) + -(-max(cap_q, 1) // 8) * 8 * sum(_Q_SIZES))
        self.raw = pa.allocate_buffer(nbytes)
        raw = np.frombuffer(self.raw, np.uint8)
        self.t, self.t_off, o = _cut(raw, 0, cap_t, _T_TYPES, _T_SIZES)
        self.q, self.q_off, _ = _cut(raw, o, cap_q, _Q_TYPES, _Q_SIZES)


_SIDES = py_array(schemas.SIDES)
_VENUES = py_array(schemas.VENUES)
_CONDS = py_array(schemas.CONDITIONS)


def _wrap(schema: pa.Schema, types: tuple, n: int, raw: pa.Buffer, offs: tuple, sizes: tuple, codes: pa.Buffer,
          dicts: tuple) -> pa.RecordBatch:
    """Columns at byte offsets ``offs`` of ``raw`` (null-free, at least ``n`` rows; the symbol column,
    field 2, is ``codes``) -> a batch of ``schema`` (field types ``types``), zero-copy: ``from_buffers``
    with the schema's own types (``dicts[i]``: the dictionary of field i, or None), no inference, no
    index scans."""
    bufs = [raw.slice(o, n * w) for o, w in zip(offs, sizes)]
    bufs.insert(2, codes)
    arrays = [pa.Array.from_buffers(t, n, [None, b]) if d is None
              else pa.DictionaryArray.from_buffers(t, n, [None, b], d)
              for t, b, d in zip(types, bufs, dicts)]
    return pa.RecordBatch.from_arrays(arrays, schema=schema)


def _trades_batch(b: _Buffers, n: int, sym_codes: np.ndarray, sym_dict: pa.Array) -> pa.RecordBatch:
    return _wrap(_SCHEMA_T, _TYPES_T, n, b.raw, b.t_off, _T_SIZES, pa.py_buffer(sym_codes[:n]),
                 (None, None, sym_dict, None, None, _SIDES, _VENUES, _CONDS, None))


def _quotes_batch(b: _Buffers, n: int, sym_codes: np.ndarray, sym_dict: pa.Array) -> pa.RecordBatch:
    return _wrap(_SCHEMA_Q, _TYPES_Q, n, b.raw, b.q_off, _Q_SIZES, pa.py_buffer(sym_codes[:n]),
                 (None, None, sym_dict, None, None, None, None, _VENUES, _VENUES, None))


class _BarMaker:
    """1-minute bars from each block's prints; the last bar of a block is held back and merged with
    the first bar of the next when a sweep straddles the block boundary."""

    def __init__(self, origin_ns: int, sym_code: int, sym_dict: pa.Array) -> None:
        self.origin = origin_ns
        self.code = sym_code
        self.dict = sym_dict
        self.pending: list[np.ndarray] | None = None

    def add(self, ts: np.ndarray, px: np.ndarray, sz: np.ndarray) -> pa.RecordBatch | None:
        from .kernels.bars import ohlcv

        n = ts.shape[0]
        if n == 0:
            return None
        cols = [np.empty(n, np.int64), np.empty(n), np.empty(n), np.empty(n), np.empty(n),
                np.empty(n, np.uint64), np.empty(n), np.empty(n, np.uint32)]
        nb = ohlcv(ts, px, sz, self.origin, 60_000_000_000, *cols)
        cols = [c[:nb] for c in cols]
        if self.pending is not None:
            p = self.pending
            if cols[0][0] == p[0][0]:        # same minute: merge the held-back bar into this block's first
                vol = p[5][0] + cols[5][0]
                cols[6][0] = (p[6][0] * p[5][0] + cols[6][0] * cols[5][0]) / vol
                cols[1][0] = p[1][0]
                cols[2][0] = max(p[2][0], cols[2][0])
                cols[3][0] = min(p[3][0], cols[3][0])
                cols[5][0] = vol
                cols[7][0] += p[7][0]
                out = None
            else:
                out = self._batch(p)
        else:
            out = None
        self.pending = [c[-1:] for c in cols]
        body = [c[:-1] for c in cols]
        if body[0].shape[0]:
            head = self._batch(body)
            out = head if out is None else pa.Table.from_batches([out, head]).combine_chunks().to_batches()[0]
        return out

    def flush(self) -> pa.RecordBatch | None:
        p, self.pending = self.pending, None
        return self._batch(p) if p is not None else None

    def _batch(self, c: list[np.ndarray]) -> pa.RecordBatch:
        n = c[0].shape[0]
        codes = np.full(n, self.code, np.int32)
        arrays = [ts_array(c[0]), dict_array(codes, self.dict), num_array(c[1]), num_array(c[2]),
                  num_array(c[3]), num_array(c[4]), num_array(c[5]), num_array(c[6]), num_array(c[7])]
        return pa.RecordBatch.from_arrays(arrays, schema=schemas.schema("bars_1m"))


def _auction_batch(spec: SymbolSpec, ts_ns: int, price_ticks: float, tpu: int, share: float, z: float,
                   cond: int, seq: int, sym_code: int, sym_dict: pa.Array) -> tuple[_Buffers, pa.RecordBatch]:
    """One opening/closing cross print on the listing exchange (side N, as the tape reports it)."""
    from .kernels import equities as k

    b = _Buffers(1, 1)
    lots = max(1, round(spec.adv * share * math.exp(0.5 * z - 0.125) / 100.0))
    ts, recv, px, sz, side, venue, cnd, sq = b.t
    ts[0], recv[0] = ts_ns, ts_ns + 200_000
    px[0] = round(price_ticks) / tpu
    sz[0] = min(lots * 100, 4_000_000_000)
    side[0], venue[0], cnd[0], sq[0] = k.SIDE_N, schemas.VENUES.index(spec.listing), cond, seq
    return b, _trades_batch(b, 1, np.full(1, sym_code, np.int32), sym_dict)


def run_partition(m: Manifest, spec: SymbolSpec, day: DayPlan, sym_code: int, sym_dict: pa.Array,
                  tables: tuple[str, ...], mod=None, jumps=()) -> Iterator[tuple[str, pa.RecordBatch]]:
    """Generate one (symbol, session) partition: ``(table, batch)`` per block, in time order. ``mod`` and
    ``jumps``: the regime engine's modulation and event jumps of this symbol-session (neutral if omitted)."""
    from .kernels import equities as k

    sess = day.session
    n_sec = sess.seconds
    params = equity_params(spec, m.mode)
    path = latent_path(m, spec, day, mod, jumps, keep=True)     # the options pass of the partition reuses it
    lam_base, lam_c, lam_q, spr = _rates(params, path.volrel, n_sec, mod)
    date = sess.date.isoformat()
    keys = np.array([v for purpose in _STREAMS for v in derive_key(m.seed, "equities", spec.symbol, date, purpose)],
                    dtype=np.int64)
    pt = np.exp(path.log_price) * params.par[k.P_TPU]      # efficient price in ticks
    runner = k.BlockRunner(pt, lam_base, lam_q, spr, sess.open_ns, keys, params.par)
    st_i = runner.state_i
    st_i[k.S_TSEQ] = 1                                      # sequence 0 is the opening cross
    tpu = int(params.par[k.P_TPU])
    az = normals(derive_key(m.seed, "equities", spec.symbol, date, "auctions"), 0, 2)
    want_t, want_q, want_b = ("equity_trades" in tables), ("equity_quotes" in tables), ("bars_1m" in tables)
    codes_t = np.full(0, sym_code, np.int32)
    bars = _BarMaker(sess.open_ns, sym_code, sym_dict)
    ob, open_print = _auction_batch(spec, sess.open_ns, pt[0], tpu, OPEN_CROSS_ADV, az[0], k.COND_OPEN, 0,
                                    sym_code, sym_dict)
    if want_t:
        yield "equity_trades", open_print
    if want_b:
        bars.add(ob.t[0][:1], ob.t[2][:1], ob.t[3][:1])
    for s0 in range(0, n_sec, BLOCK_SECONDS):
        s1 = min(n_sec, s0 + BLOCK_SECONDS)
        buf = _Buffers(*runner.prepare(s0, s1))      # exact trade count, a bound on quotes: no overflow
        nt, nq = runner.fill(*buf.t, *buf.q)
        if codes_t.shape[0] < max(nt, nq):
            codes_t = np.full(max(nt, nq, 2 * codes_t.shape[0]), sym_code, np.int32)
        if want_q and nq:
            yield "equity_quotes", _quotes_batch(buf, nq, codes_t, sym_dict)
        if want_t and nt:
            yield "equity_trades", _trades_batch(buf, nt, codes_t, sym_dict)
        if want_b and nt:
            b = bars.add(buf.t[0][:nt], buf.t[2][:nt], buf.t[3][:nt])
            if b is not None and b.num_rows:
                yield "bars_1m", b
    close_ts = max(sess.close_ns, int(st_i[k.S_LAST_TTS]) + 1)
    cb, close_print = _auction_batch(spec, close_ts, pt[-1], tpu, CLOSE_CROSS_ADV, az[1], k.COND_CLOSE,
                                     int(st_i[k.S_TSEQ]), sym_code, sym_dict)
    if want_t:
        yield "equity_trades", close_print
    if want_b:
        b = bars.add(cb.t[0][:1], cb.t[2][:1], cb.t[3][:1])
        if b is not None and b.num_rows:
            yield "bars_1m", b
        b = bars.flush()
        if b is not None:
            yield "bars_1m", b
