"""Listed option chains: expiries, strikes, OSI symbols and stable contract ids, per (underlying, session).

A chain is a deterministic function of the underlying's spec, the session date and the session's
opening price (the market plan's open), so every engineer and every rerun sees the same contracts.

Expiries (a date listed twice keeps the highest-priority kind: leaps > quarterly > monthly > weekly >
daily; an expiry that falls on a market holiday moves to the previous session):

* **daily** — the next ``N_DAILY`` sessions, today included (0DTE every session), for the index ETFs
  in ``DAILY_ROOTS``;
* **weekly** — the next ``N_WEEKLY`` Fridays, for ETFs and liquid large caps (dollar ADV >=
  ``WEEKLY_MIN_DOLLAR_ADV``);
* **monthly** — the third Friday of the next ``N_MONTHLY`` months (this month's while not past);
* **quarterly** — third Fridays of March/June/September/December after the monthlies, up to
  ``N_QUARTERLY`` within a year;
* **leaps** — the January third Friday of each of the next years that is more than ``LEAPS_MIN_DTE``
  calendar days out, up to ``N_LEAPS``.

Strikes (per expiry, around the open ``S``): half-width ``W = STRIKE_SDS * vol * sqrt(T) * S`` (T in
trading years, at least one session; ``vol`` = the symbol's annual vol x 1.1). Within ``NEAR_SHARE * W``
of spot strikes step by the near increment — $1 for the ``DAILY_ROOTS`` at any price, otherwise $0.50 below
$25, $1 below $200, $2.50 below $500, $5 below $1,000, $10 above — one ladder step coarser past three
months and two past a year; further out, out to ``W``, by the increment two ladder steps coarser (e.g. $5
for SPY). The count of strikes thus grows like sqrt(T).

Symbols: OSI ``ROOT  YYMMDDCSSSSSSSS`` (root padded to 6, strike x 1000 in 8 digits);
``instrument_id`` = the first 8 bytes of BLAKE2b-512(OSI, ASCII) read big-endian as uint64, so a contract
keeps its id every session it is listed.

Time to expiry ``tau`` is in trading time: ``(sessions after today up to and including the expiry) /
252`` at today's close, plus the rest of today's session (``seconds left / (252 * 23400)``) intraday.
"""
from __future__ import annotations

import datetime as _dt
import hashlib
import math
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import pyarrow as pa

from .. import schemas
from .._arrow import py_array
from ..calendar import is_session
from ..manifest import SymbolSpec

__all__ = ["Chain", "build_chain", "listed_expiries", "osi_symbol", "parse_osi", "instrument_id", "strike_grid",
           "tick_scheme", "DAILY_ROOTS", "TRADING_DAYS", "FULL_DAY_SECONDS"]

TRADING_DAYS = 252.0
FULL_DAY_SECONDS = 23_400
EPOCH = _dt.date(1970, 1, 1)

DAILY_ROOTS: tuple[str, ...] = ("SPY", "QQQ", "IWM")   # index ETFs with an expiry every session
N_DAILY, N_WEEKLY, N_MONTHLY, N_QUARTERLY, N_LEAPS = 5, 4, 3, 3, 2
WEEKLY_MIN_DOLLAR_ADV = 1e9
LEAPS_MIN_DTE = 240
STRIKE_SDS = 1.6           # strikes span +- STRIKE_SDS annual-vol standard deviations of the expiry
NEAR_SHARE = 0.3           # share of that span on the fine (near-the-money) increment
MIN_NEAR_STRIKES = 4       # at least this many fine strikes each side of spot
_LADDER = (0.5, 1.0, 2.5, 5.0, 10.0, 25.0, 50.0, 100.0)
# Minimum price variation (tick) schemes, as in the options penny program:
# 0 = penny everywhere (SPY, QQQ, IWM); 1 = penny program ($0.01 below $3, $0.05 at/above);
# 2 = classic ($0.05 below $3, $0.10 at/above) for names with dollar ADV below NON_PENNY_MAX_DOLLAR_ADV.
NON_PENNY_MAX_DOLLAR_ADV = 2e8

_KIND = {k: i for i, k in enumerate(schemas.EXPIRY_KINDS)}
_PRIORITY = {"daily": 0, "weekly": 1, "monthly": 2, "quarterly": 3, "leaps": 4}


@dataclass(frozen=True)
class Chain:
    """One underlying's listed contracts in one session, ordered by (expiry, strike, right).

    Per contract (length N): ``instrument_id`` u64, ``symbol`` OSI strings (pa.Array), ``expiration``
    int32 days since 1970-01-01, ``strike`` f64, ``right`` int8 (0 = C, 1 = P), ``kind`` int8 (index into
    ``schemas.EXPIRY_KINDS``), ``dte`` int32 calendar days, ``tau`` f64 trading years to expiry at today's
    close, ``expiry`` int32 index into the per-expiry arrays. Per expiry (length E): ``exp_date`` (dates),
    ``exp_tau``, ``exp_dte``, ``exp_kind``. ``close_ns``, ``rate``, ``div_yield``: the session close and the
    BSM rate / dividend yield of the quotes (set by ``options.run_partition``); ``tau_at(t_ns)``.
    """

    underlying: str
    spot: float
    tick_scheme: int
    instrument_id: np.ndarray
    symbol: pa.Array
    expiration: np.ndarray
    strike: np.ndarray
    right: np.ndarray
    kind: np.ndarray
    dte: np.ndarray
    tau: np.ndarray
    expiry: np.ndarray
    exp_date: tuple[_dt.date, ...]
    exp_tau: np.ndarray
    exp_dte: np.ndarray
    exp_kind: np.ndarray
    close_ns: int = 0          # this session's close, ns UTC
    rate: float = 0.04         # the BSM rate and dividend yield the quotes use (options.surface)
    div_yield: float = 0.0

    def tau_at(self, t_ns: int) -> np.ndarray:
        """Trading years to expiry of every contract at ``t_ns`` (today's remaining session included)."""
        rem = max(0, self.close_ns - int(t_ns)) / 1e9
        return self.tau + rem / (TRADING_DAYS * FULL_DAY_SECONDS)

    def __len__(self) -> int:
        return int(self.strike.shape[0])

    @property
    def n_expiries(self) -> int:
        return len(self.exp_date)


# ---- expiries ------------------------------------------------------------------------------------

def _third_friday(y: int, m: int) -> _dt.date:
    d = _dt.date(y, m, 1)
    return d + _dt.timedelta(days=(4 - d.weekday()) % 7 + 14)


def _to_session(d: _dt.date) -> _dt.date:
    while not is_session(d):
        d -= _dt.timedelta(days=1)
    return d


def _add_months(y: int, m: int, k: int) -> tuple[int, int]:
    t = y * 12 + (m - 1) + k
    return t // 12, t % 12 + 1


def has_weeklies(spec: SymbolSpec) -> bool:
    return spec.etf or spec.adv * spec.price >= WEEKLY_MIN_DOLLAR_ADV


@lru_cache(maxsize=256)
def listed_expiries(spec: SymbolSpec, today: _dt.date) -> tuple[tuple[_dt.date, str], ...]:
    """``((expiry date, kind), ...)`` listed on session ``today``, sorted by date (all are sessions >= today)."""
    cand: dict[_dt.date, str] = {}

    def add(d: _dt.date, kind: str) -> None:
        d = _to_session(d)
        if d < today:
            return
        if d not in cand or _PRIORITY[kind] > _PRIORITY[cand[d]]:
            cand[d] = kind

    root = spec.symbol
    if root in DAILY_ROOTS:
        d, n = today, 0
        while n < N_DAILY:
            if is_session(d):
                add(d, "daily")
                n += 1
            d += _dt.timedelta(days=1)
    if has_weeklies(spec):
        fri = today + _dt.timedelta(days=(4 - today.weekday()) % 7)
        for w in range(N_WEEKLY + 1):
            add(fri + _dt.timedelta(weeks=w), "weekly")
    months: list[_dt.date] = []
    k = 0
    while len(months) < N_MONTHLY:
        y, m = _add_months(today.year, today.month, k)
        d = _to_session(_third_friday(y, m))
        if d >= today:
            months.append(d)
            add(d, "monthly")
        k += 1
    q = 0
    while q < N_QUARTERLY and k < 13:
        y, m = _add_months(today.year, today.month, k)
        if m % 3 == 0:
            add(_third_friday(y, m), "quarterly")
            q += 1
        k += 1
    n = 0
    for y in range(today.year + 1, today.year + 4):
        d = _to_session(_third_friday(y, 1))
        if (d - today).days > LEAPS_MIN_DTE and n < N_LEAPS:
            add(d, "leaps")
            n += 1
    # the weekly loop lists one Friday too many so a holiday shift cannot leave a gap: trim to N_WEEKLY
    weeklies = sorted(d for d, kd in cand.items() if kd == "weekly")
    for d in weeklies[N_WEEKLY:]:
        del cand[d]
    return tuple(sorted(cand.items()))


@lru_cache(maxsize=64)
def _session_ordinals(today: _dt.date, horizon_days: int) -> np.ndarray:
    """Cumulative count of sessions after ``today``: out[i] = sessions in (today, today + i days]."""
    out = np.zeros(horizon_days + 1, np.int32)
    c = 0
    for i in range(1, horizon_days + 1):
        if is_session(today + _dt.timedelta(days=i)):
            c += 1
        out[i] = c
    return out


def trading_years(today: _dt.date, expiry: _dt.date) -> float:
    """Trading years from today's close to the expiry's close (sessions after today / 252)."""
    days = (expiry - today).days
    return float(_session_ordinals(today, max(days, 0) + 1)[days]) / TRADING_DAYS if days > 0 else 0.0


# ---- strikes -------------------------------------------------------------------------------------

def _ladder_index(x: float) -> int:
    return min(range(len(_LADDER)), key=lambda i: abs(_LADDER[i] - x))


def near_increment(spec: SymbolSpec, spot: float, tau: float) -> float:
    if spec.symbol in DAILY_ROOTS:
        base = 1.0
    elif spot < 25:
        base = 0.5
    elif spot < 200:
        base = 1.0
    elif spot < 500:
        base = 2.5
    elif spot < 1000:
        base = 5.0
    else:
        base = 10.0
    i = _ladder_index(base) + (1 if tau > 0.25 else 0) + (1 if tau > 1.0 else 0)
    return _LADDER[min(i, len(_LADDER) - 1)]


def strike_grid(spec: SymbolSpec, spot: float, tau: float) -> np.ndarray:
    """Sorted strikes of one expiry around ``spot`` (``tau`` trading years; see the module docstring)."""
    t = max(tau, 1.0 / TRADING_DAYS)
    half = STRIKE_SDS * 1.1 * spec.annual_vol * math.sqrt(t) * spot
    inc = near_increment(spec, spot, tau)
    far = _LADDER[min(_ladder_index(inc) + 2, len(_LADDER) - 1)]
    near = max(NEAR_SHARE * half, MIN_NEAR_STRIKES * inc)
    half = max(half, near + far)
    k_near = np.arange(math.ceil((spot - near) / inc), math.floor((spot + near) / inc) + 1) * inc
    k_far = np.arange(math.ceil((spot - half) / far), math.floor((spot + half) / far) + 1) * far
    ks = np.unique(np.round(np.concatenate([k_near, k_far]), 3))
    return ks[ks > 0.0]


# ---- symbols -------------------------------------------------------------------------------------

def osi_root(symbol: str) -> str:
    return "".join(ch for ch in symbol if ch.isalnum())[:6].upper()


def osi_symbol(root: str, expiry: _dt.date, right: int, strike: float) -> str:
    """OSI symbol, e.g. ``osi_symbol("AAPL", date(2026, 3, 20), 0, 150.0)`` = ``'AAPL  260320C00150000'``."""
    return f"{osi_root(root):<6}{expiry:%y%m%d}{'CP'[right]}{round(strike * 1000):08d}"


def parse_osi(osi: str) -> tuple[str, _dt.date, int, float]:
    """Inverse of :func:`osi_symbol`: ``(root, expiry, right, strike)``."""
    if len(osi) != 21 or osi[12] not in "CP":
        raise ValueError(f"not an OSI symbol: {osi!r}")
    exp = _dt.date(2000 + int(osi[6:8]), int(osi[8:10]), int(osi[10:12]))
    return osi[:6].rstrip(), exp, "CP".index(osi[12]), int(osi[13:]) / 1000.0


def instrument_id(osi: str) -> int:
    """Stable contract id: the first 8 bytes of BLAKE2b-512(OSI) as a big-endian uint64."""
    return int.from_bytes(hashlib.blake2b(osi.encode("ascii")).digest()[:8], "big")


def tick_scheme(spec: SymbolSpec) -> int:
    """0 = penny at all prices, 1 = penny program ($0.01 < $3 <= $0.05), 2 = classic ($0.05 < $3 <= $0.10)."""
    if spec.symbol in DAILY_ROOTS:
        return 0
    return 1 if spec.adv * spec.price >= NON_PENNY_MAX_DOLLAR_ADV else 2


def build_chain(spec: SymbolSpec, today: _dt.date, spot: float) -> Chain:
    """The chain of ``spec`` listed on session ``today`` around the opening price ``spot``."""
    exps = listed_expiries(spec, today)
    root = osi_root(spec.symbol)
    ids, syms, expn, strikes, rights, kinds, dtes, taus, eidx = [], [], [], [], [], [], [], [], []
    e_tau, e_dte, e_kind = [], [], []
    for e, (d, kind) in enumerate(exps):
        tau = trading_years(today, d)
        dte = (d - today).days
        e_tau.append(tau)
        e_dte.append(dte)
        e_kind.append(_KIND[kind])
        for k in strike_grid(spec, spot, tau):
            for r in (0, 1):
                osi = osi_symbol(root, d, r, float(k))
                syms.append(osi)
                ids.append(instrument_id(osi))
                expn.append((d - EPOCH).days)
                strikes.append(float(k))
                rights.append(r)
                kinds.append(_KIND[kind])
                dtes.append(dte)
                taus.append(tau)
                eidx.append(e)
    return Chain(
        underlying=spec.symbol, spot=float(spot), tick_scheme=tick_scheme(spec),
        instrument_id=np.array(ids, np.uint64), symbol=py_array(syms, pa.string()),
        expiration=np.array(expn, np.int32), strike=np.array(strikes, np.float64),
        right=np.array(rights, np.int8), kind=np.array(kinds, np.int8), dte=np.array(dtes, np.int32),
        tau=np.array(taus, np.float64), expiry=np.array(eidx, np.int32), exp_date=tuple(d for d, _ in exps),
        exp_tau=np.array(e_tau, np.float64), exp_dte=np.array(e_dte, np.int32), exp_kind=np.array(e_kind, np.int8))
