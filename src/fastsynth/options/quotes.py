"""Option NBBO of one underlying in one session, block by block (``kernels.option_quotes``), and the
underlying tape the options side sees.

``Quoter(p, part, chain)`` derives everything per partition (surface, per-second rates, spread
multipliers, the underlying tape, contract sizes and first-quote times) and carries the kernel state
across blocks; ``Quoter.block(s0, s1)`` returns an :class:`OptionQuoteBlock`.

Underlying tape: the underlying's NBBO mid as the options market makers see it — the efficient price
(``market.latent_path`` with the regime's modulation and event jumps, the same path as the equities
partition) on the half-tick grid, one possible change per second at a Philox-drawn offset. It depends
only on (seed, symbol, date), never on which tables are requested.

Rates in realistic mode (1 session, seed 7; ``python -m fastsynth.options.bench``/``docs/options.md``):
update counts follow from the chain (hundreds of contracts), the underlying's moves (re-quotes when a
rounded quote changes) and a spontaneous size/width refresh rate of
``SPONT_PER_DAY * sqrt(dollar ADV / $1bn) * MODE_SCALE[mode]`` per session (x ``quote_mult`` x the
intraday activity profile).
"""
from __future__ import annotations

import math
import sys
from statistics import NormalDist
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..manifest import MODE_SCALE
from ..rng import derive_key, uniforms
from .chain import Chain
from .surface import Surface, build_surface, smile_w

__all__ = ["OptionQuoteBlock", "Quoter", "quote_params", "SPONT_PER_DAY"]

SPONT_PER_DAY = 1.5e5       # spontaneous updates per session for $1bn dollar ADV (scaled by sqrt)
WIDTH_ABS = 0.01            # USD: absolute width of the most liquid underlying (scaled by 1/sqrt liquidity)
WIDTH_REL_ETF, WIDTH_REL_STOCK = 0.006, 0.010   # width per USD of premium
WIDTH_TAU = 0.5             # + 50% relative width per year to expiry
WIDTH_CLEAN = 1.5           # width x (1 + 1.5 (1 - cleanliness))
ZERO_DTE_WIDEN = 1.0        # same-day spreads widen up to 2x over the last hour
THRESHOLD_TICKS = 0.25      # re-price when the value may have moved a quarter tick
MAX_AGE_S = 30              # and at least this often
KEEP = 0.85                 # a changed quote that still brackets the value is kept (thinning)
STALE_P = 0.1               # a changed quote stays stale with probability STALE_P (1 - cleanliness)
SIZE_SD, NOISE_SD = 0.8, 0.35
LATENCY_NS, RECV_NS = 1_500_000, 300_000
SIZE_BASE = 25.0            # contracts at the touch, ATM short-dated, $1bn dollar ADV
FIRST_QUOTE_S = 0.5         # mean delay of a contract's first quote after the open (x (1 + 2|z|))
FIRST_QUOTE_DIRTY_S = 60.0  # + this much at cleanliness 0
GUIDE = 4096                # contract-choice guide table size (spontaneous updates)
UBUF = 1024                 # uniforms buffered per kernel refill (at least the chain size + 8)
ZTAB = np.array([NormalDist().inv_cdf((i + 0.5) / 1024) for i in range(1024)])
STAB = np.exp(SIZE_SD * ZTAB - 0.5 * SIZE_SD * SIZE_SD)   # log-normal size multipliers (mean 1)
NTAB = np.where(ZTAB > 0.0, np.exp(NOISE_SD * ZTAB), 1.0)  # spread-noise multipliers of spontaneous updates
ETAB = -np.log1p(-(np.arange(1024) + 0.5) / 1024)    # unit-exponential quantiles (refresh budgets)
# the kernel indexes these tables with 10-bit fields of a draw (kernels.option_quotes.TABLE_SIZE)
assert STAB.shape == NTAB.shape == ETAB.shape == (1024,)
OPT_Z_SCALE = 2.0           # optional refreshes: weight exp(-z^2 / 2) in normalized moneyness z ...
OPT_TAU_SCALE = 4.0         # ... / (1 + 4 tau): far-from-the-money and far-dated quotes are refreshed rarely
_OUT_DTYPES = (np.int64, np.int64, np.int32, np.float64, np.float64, np.uint32, np.uint32)
_OUT_SETS = 3               # output buffer sets a Quoter keeps for reuse


def _max_refcount(arrays: tuple[np.ndarray, ...]) -> int:
    m = 0
    for a in arrays:
        c = sys.getrefcount(a)
        if c > m:
            m = c
    return m


# The count of an array nothing else refers to, measured through the same code path: the absolute number
# differs between Python versions (3.14 borrows stack references), so "in use" means above this baseline.
_FREE_REFCOUNT = _max_refcount((np.empty(1),))


def _unused(arrays: tuple[np.ndarray, ...]) -> bool:
    """True when nothing outside the owner's tuple refers to any of ``arrays`` (numpy collapses views to
    their owning array, and pyarrow buffers wrapping a view hold the view: a live slice, column or Arrow
    array over the memory keeps the count up)."""
    return _max_refcount(arrays) <= _FREE_REFCOUNT


@dataclass
class OptionQuoteBlock:
    """Quote updates of seconds ``[s0, s1)`` (rows sorted by ``ts``) with the per-contract state at the
    block start (``start_ts`` -1 = no quote yet) and the underlying tape: ``und_ts``/``und_mid`` — the
    last change before the block (or the open) followed by every change inside it."""

    s0: int
    s1: int
    ts: np.ndarray
    recv: np.ndarray
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
    und_ts: np.ndarray
    und_mid: np.ndarray
    iv0: np.ndarray | None = None     # surface implied vol of each contract at the block start (NaN: expired)

    def __len__(self) -> int:
        return int(self.ts.shape[0])


def _liquidity(spec: Any) -> float:
    return math.sqrt(spec.adv * spec.price / 1e9)


def quote_params(spec: Any, chain: Chain, surface: Surface, open_ns: int) -> np.ndarray:
    from ..kernels import option_quotes as k

    sp = surface.params
    par = np.zeros(k.N_PARAMS)
    par[k.P_R], par[k.P_Q], par[k.P_B], par[k.P_RHO], par[k.P_S] = sp.r, sp.q, sp.b, sp.rho, sp.s
    par[k.P_A] = float(np.clip(WIDTH_ABS * 6.0 / max(_liquidity(spec), 0.1), WIDTH_ABS, 0.15))
    par[k.P_BREL] = WIDTH_REL_ETF if spec.etf else WIDTH_REL_STOCK
    par[k.P_TF] = WIDTH_TAU
    par[k.P_CW] = WIDTH_CLEAN
    par[k.P_SCHEME] = chain.tick_scheme
    par[k.P_THR] = THRESHOLD_TICKS
    par[k.P_MAX_AGE] = MAX_AGE_S
    par[k.P_STALE] = STALE_P
    par[k.P_SIZE_SD] = SIZE_SD
    par[k.P_NOISE_SD] = NOISE_SD
    par[k.P_OPEN_NS] = float(open_ns)
    par[k.P_LAT_NS] = LATENCY_NS
    par[k.P_RECV_NS] = RECV_NS
    par[k.P_SEC_YEARS] = 1.0 / (252.0 * 23_400.0)
    par[k.P_KEEP] = KEEP
    return par


def _modulation(p: Any, symbol: str, day_index: int, n: int):
    try:
        return p.regime.modulation_and_jumps(symbol, day_index)
    except AttributeError:      # a regime engine without modulation: neutral
        from ..regime.modulation import neutral_modulation

        return neutral_modulation(n), []


def _events(p: Any, symbol: str, day_index: int) -> list[Any]:
    """Today's events of the symbol and the next session's (their premium is already priced today)."""
    # the next session's events come from the calendar even past the run's last session, so a session's
    # quotes do not depend on how many days the run has
    return list(p.regime.events_for(symbol, day_index)) + list(p.regime.next_session_events_for(symbol, day_index))


class Quoter:
    """The option NBBO of one (underlying, session): call :meth:`block` for consecutive blocks."""

    def __init__(self, p: Any, part: Any, chain: Chain) -> None:
        from ..kernels import option_quotes as k
        from ..market import latent_path, seasonality

        m = p.manifest
        spec = p.specs[part.symbol]
        sess = part.session
        day = p.market.days[part.day_index]
        n = sess.seconds
        self.n, self.open_ns, self.chain = n, int(sess.open_ns), chain
        date = sess.date.isoformat()
        mod, jumps = _modulation(p, part.symbol, part.day_index, n)
        self.mod = mod
        self.surface = build_surface(spec, chain, sess, day.vol_level, np.asarray(mod.iv_mult, np.float64)[:n],
                                     _events(p, part.symbol, part.day_index))
        path = latent_path(m, spec, day, mod, jumps) if (mod is not None) else latent_path(m, spec, day)
        ticks = round(1.0 / spec.tick_size)
        uk = derive_key(m.seed, "options", part.symbol, date, "underlying")
        self.und_mid = np.empty(n)
        self.und_off = np.empty(n, np.int64)
        self.mid0 = float(k.und_tape(path.log_price, 2.0 * ticks, uk[0], uk[1], self.und_mid, self.und_off))
        chg = np.flatnonzero(self.und_off >= 0)
        self.und_ts_all = np.concatenate(([self.open_ns], self.open_ns + chg * 1_000_000_000 + self.und_off[chg]))
        self.und_mid_all = np.concatenate(([self.mid0], self.und_mid[chg]))
        self.und_sec_all = np.concatenate(([-1], chg))
        self._und_first = np.searchsorted(self.und_sec_all, np.arange(n + 1), side="left")   # first entry >= s
        _, act, _ = seasonality(n)
        clean = np.clip(np.asarray(mod.cleanliness, np.float64)[:n], 0.0, 1.0)
        self.clean = np.ascontiguousarray(clean)
        p_opt = np.clip(1.0 - KEEP - STALE_P * (1.0 - clean), 0.0, 0.999)
        self.h_opt = np.ascontiguousarray(-np.log1p(-p_opt))       # hazard per second of an off-centre quote
        self.spont = np.ascontiguousarray(SPONT_PER_DAY * _liquidity(spec) * MODE_SCALE[m.mode] / 23_400.0 * act
                                          * np.asarray(mod.quote_mult, np.float64)[:n])
        self.swide = np.ascontiguousarray(np.asarray(mod.spread_mult, np.float64)[:n])
        late = np.clip(1.0 - (n - np.arange(n) - 0.5) / 3600.0, 0.0, 1.0)
        self.swide0 = np.ascontiguousarray(self.swide * (1.0 + ZERO_DTE_WIDEN * late))
        self.same_day = np.ascontiguousarray((chain.exp_tau == 0.0).astype(np.int8))
        self.par = quote_params(spec, chain, self.surface, self.open_ns)
        self.key = derive_key(m.seed, "options", part.symbol, date, "quotes")
        # per-contract sizes, spontaneous weights and first-quote times from the open
        z = self._z(0, self.mid0)
        nc = len(chain)
        self.sz_base = np.ascontiguousarray(1.0 + SIZE_BASE * _liquidity(spec) * np.exp(-z * z / 8.0)
                                            / (1.0 + 2.0 * chain.tau))
        # optional (unforced) refreshes thin out away from the money and with maturity, as OPRA does
        self.wopt = np.ascontiguousarray(np.exp(-z * z / OPT_Z_SCALE) / (1.0 + OPT_TAU_SCALE * chain.tau))
        u = uniforms(derive_key(m.seed, "options", part.symbol, date, "first_quote"), 0, nc)
        self.first_s = np.ascontiguousarray(-np.log(u) * (1.0 + 2.0 * np.abs(z))
                                            * (FIRST_QUOTE_S + FIRST_QUOTE_DIRTY_S * (1.0 - clean[0])))
        # state
        self.pub_ts = np.full(nc, -1, np.int64)
        self.pub_bid = np.zeros(nc)
        self.pub_ask = np.zeros(nc)
        self.pub_bsz = np.zeros(nc, np.uint32)
        self.pub_asz = np.zeros(nc, np.uint32)
        # last evaluation (rows): S, ATM variance, (unused), price, delta, gamma, dP/dvar, theta per second;
        # its second as int32 (narrow loads in the per-second classify pass)
        self.ev = np.zeros((8, nc))
        self.ev_s = np.zeros(nc, np.int32)
        # -1 once a contract is quoted, else the first second at which its first quote is due (s >= first_s
        # for whole s; beyond the session: never)
        self.due_from = np.minimum(np.ceil(self.first_s), 2**31 - 1).astype(np.int32)
        self.noise = np.ones(nc)
        self.log_k = np.log(chain.strike)
        self.sgn = np.where(chain.right == 0, 1.0, -1.0)
        if np.any(np.diff(chain.expiry) < 0):
            raise ValueError("chain contracts must be grouped by expiry")
        self.hz = np.zeros(nc)             # optional-refresh hazard budget (set at each evaluation)
        self.flag = np.zeros(nc, np.uint8)
        self.idx = np.zeros(nc, np.uint64)
        self._guide = np.zeros(GUIDE, np.uint16 if nc < 65536 else np.uint32)    # small: stays in cache
        self.work = np.zeros((23, nc))      # rows 0-21 re-pricing scratch, 22 the refresh budgets' 2nd buffer
        # contracts of expiry e: elo[e] <= c < elo[e + 1] (the chain is grouped by expiry)
        self.elo = np.searchsorted(chain.expiry, np.arange(self.surface.atm_var.shape[0] + 1)).astype(np.int64)
        # the surface second-major for the kernel: one second's expiries are adjacent
        self.atm_var_t = np.ascontiguousarray(self.surface.atm_var.T)
        self.tau_t = np.ascontiguousarray(self.surface.tau.T)
        clock = uniforms(derive_key(m.seed, "options", part.symbol, date, "clock"), 0, 1)
        self.st_f = np.array([-math.log(float(clock[0]))])
        self.ubuf = np.zeros(max(UBUF, nc + 8))     # a burst's draws (one per re-priced contract) fit
        self.st_i = np.array([-len(self.ubuf), len(self.ubuf)], np.int64)
        self.n_rows = 0
        self._pre: tuple[int, np.ndarray, np.ndarray] | None = None    # per-block cumw / iv rows (block())
        # kernel output buffers: the kernel writes a block's rows straight into a set and the block hands out
        # views; a set is reused once nothing refers to it any more (a consumer that drops or writes out
        # each block before asking for the next). Writing into fresh memory and copying out exact-size
        # columns cost ~0.6 ms per SPY block (page faults and a 3 MB copy: ~12% of the quote time)
        self._sets: list[tuple[np.ndarray, ...]] = []
        self._next_set = 0

    def _z(self, s: int, spot: float) -> np.ndarray:
        """Normalized log-moneyness k / sqrt(ATM total variance) of every contract at second ``s``."""
        c, sf = self.chain, self.surface
        tau = sf.tau[c.expiry, s]
        th = np.maximum(sf.atm_var[c.expiry, s], 1e-12)
        k = np.log(c.strike / (spot * np.exp((sf.params.r - sf.params.q) * tau)))
        return k / np.sqrt(th)

    def _cumw_iv(self, s0: int) -> tuple[np.ndarray, np.ndarray]:
        """The block's cumulative spontaneous weights and the surface IVs at its start (for the prints):
        the moneyness computed once for both (the same numpy operations as ``_z`` and ``Surface.iv``)."""
        c, sf = self.chain, self.surface
        spot = self.und_mid[s0 - 1] if s0 > 0 else self.mid0
        tau = sf.tau[c.expiry, s0]
        th = sf.atm_var[c.expiry, s0]
        k = np.log(c.strike / (spot * np.exp((sf.params.r - sf.params.q) * tau)))
        with np.errstate(invalid="ignore", divide="ignore"):
            iv = np.sqrt(smile_w(k, th, sf.params.b, sf.params.rho, sf.params.s) / tau)
        z = k / np.sqrt(np.maximum(th, 1e-12))
        w = np.where(tau > 0.0, np.exp(-z * z / 8.0) / (1.0 + 4.0 * tau), 0.0)
        tot = w.sum()
        if tot <= 0.0:
            w = np.ones_like(w)
            tot = w.sum()
        cw = np.cumsum(w / tot)
        cw[-1] = 1.0
        return cw, iv

    def _cumw_iv_all(self, step: int) -> None:
        """``_cumw_iv`` of every block start ``0, step, 2 step, ...`` at once (rows of two arrays): the same
        element-wise numpy operations on a (blocks, contracts) array, so the same bits, without ~20 small
        numpy calls per block (~190 us per SPY block in the pipeline, where the kernel has evicted numpy's
        code and data from the caches between blocks). Also the underlying tape's first entry per second."""
        c, sf = self.chain, self.surface
        s0s = np.arange(0, self.n, step)
        spot = np.concatenate(([self.mid0], self.und_mid[s0s[1:] - 1]))[:, None]
        tau = np.ascontiguousarray(sf.tau[np.ix_(c.expiry, s0s)].T)
        th = np.ascontiguousarray(sf.atm_var[np.ix_(c.expiry, s0s)].T)
        k = np.log(c.strike / (spot * np.exp((sf.params.r - sf.params.q) * tau)))
        with np.errstate(invalid="ignore", divide="ignore"):
            iv = np.sqrt(smile_w(k, th, sf.params.b, sf.params.rho, sf.params.s) / tau)
        z = k / np.sqrt(np.maximum(th, 1e-12))
        w = np.where(tau > 0.0, np.exp(-z * z / 8.0) / (1.0 + 4.0 * tau), 0.0)
        for i in range(w.shape[0]):
            tot = w[i].sum()            # per row: numpy's pairwise sum of one contract vector, as in _cumw_iv
            if tot <= 0.0:
                w[i] = 1.0
                tot = w[i].sum()
            w[i] /= tot
        cw = np.cumsum(w, axis=1)
        cw[:, -1] = 1.0
        self._pre = (step, cw, iv)

    def block(self, s0: int, s1: int) -> OptionQuoteBlock:
        from ..kernels import option_quotes as k

        # the state at the block start: the kernel advances copies (below), so these arrays stay as they are
        start = (self.pub_ts, self.pub_bid, self.pub_ask, self.pub_bsz, self.pub_asz)
        if self._pre is None and s0 == 0 and s1 > 0:
            self._cumw_iv_all(s1)
        pre = self._pre
        if pre is not None and s0 % pre[0] == 0:
            cumw, iv = pre[1][s0 // pre[0]], pre[2][s0 // pre[0]]
        else:
            cumw, iv = self._cumw_iv(s0)
        guide = self._guide     # the kernel fills it: first contract with cumw >= i / GUIDE (it scans on from there)
        expect = float(self.spont[s0:s1].sum()) + 0.6 * len(self.chain) * (s1 - s0) ** 0.5 * 20
        cap = int(expect * 1.5 + 4096)
        c = self.chain
        while True:
            st = [a.copy() for a in (self.pub_ts, self.pub_bid, self.pub_ask, self.pub_bsz, self.pub_asz,
                                     self.ev, self.ev_s, self.due_from, self.noise, self.hz, self.st_i, self.st_f,
                                     self.ubuf)]
            out = self._outputs(cap)
            rows = k.quote_block(s0, s1, c.strike, self.log_k, self.sgn, c.expiry, self.elo, self.sz_base,
                                 self.wopt, cumw, guide, self.atm_var_t, self.tau_t, self.und_mid,
                                 self.und_off, self.spont, self.h_opt, self.clean, self.swide, self.swide0,
                                 self.same_day, STAB, NTAB, ETAB, self.par, self.key[0], self.key[1], *st, self.flag,
                                 self.idx, self.work, *out)
            if rows >= 0:
                break
            cap *= 2
        (self.pub_ts, self.pub_bid, self.pub_ask, self.pub_bsz, self.pub_asz, self.ev, self.ev_s, self.due_from,
         self.noise, self.hz, self.st_i, self.st_f, self.ubuf) = st
        self.n_rows += rows
        # underlying tape: the last change before the block, then the block's changes
        lo = int(self._und_first[s0]) - 1
        hi = int(self._und_first[s1])
        ts, recv, con, bid, ask, bsz, asz = (a[:rows] for a in out)
        return OptionQuoteBlock(s0, s1, ts, recv, con, bid, ask, bsz, asz, *start,
                                self.und_ts_all[max(lo, 0):hi], self.und_mid_all[max(lo, 0):hi], iv)

    def _outputs(self, cap: int) -> tuple[np.ndarray, ...]:
        """A set of output columns with room for ``cap`` rows that no earlier block still uses (numpy
        memory: fresh pages are only faulted in where rows are written)."""
        for o in self._sets:
            if o[0].shape[0] >= cap and _unused(o):
                return o
        o = tuple(np.empty(cap, dt) for dt in _OUT_DTYPES)
        if len(self._sets) < _OUT_SETS:
            self._sets.append(o)
        else:
            self._sets[self._next_set] = o
            self._next_set = (self._next_set + 1) % _OUT_SETS
        return o

    def total_var(self, second: int, spot: float) -> np.ndarray:
        c, sf = self.chain, self.surface
        tau = sf.tau[c.expiry, second]
        k = np.log(c.strike / (spot * np.exp((sf.params.r - sf.params.q) * tau)))
        return smile_w(k, sf.atm_var[c.expiry, second], sf.params.b, sf.params.rho, sf.params.s)
