"""Signal filter of option prints: modes ``smart-money`` | ``balanced`` | ``all`` with the source's rules.

The rules, in the source's order (thresholds are USD notional = price x size x 100, ``smart-money``
defaults; ``balanced`` caps each at its balanced value, see :class:`~.params.SignalParams`):

1. notional < ``min_notional`` (10k) -> ``reject:min-notional``
2. notional >= ``auto_keep_min_notional`` (100k) -> keep reason ``keep:auto-large`` (rules 3-6 still apply)
3. ETF underlying and notional < ``etf_min_notional`` (50k) -> ``reject:etf-min-notional``
4. placement B/BB and notional < ``bid_side_min_notional`` (25k) -> ``reject:bid-side-min-notional``
5. placement MID, not ISO, notional < ``mid_min_notional`` (20k) -> ``reject:mid-min-notional``
6. NBBO missing or stale (age > ``nbbo_max_age_ms`` = 1500 ms) and notional < ``missing_nbbo_min_notional``
   (50k) -> ``reject:missing-nbbo-min-notional``
7. keep reasons: A/AA at ``min_notional`` -> ``keep:ask-side``; ISO (condition ISOI) at
   ``sweep_min_notional`` (25k) -> ``keep:sweep-or-iso``; ``large_print_min_size`` (500)+ contracts at
   ``min_notional`` -> ``keep:large-contract-count``
8. no keep reason -> ``reject:no-signal-rule``.

``all`` passes every print (``mode:all``). Rows are never dropped: the raw view is every print, the signal
view the rows with ``signal`` true; ``signal_reason`` is the decisive rule (the reject rule, or the first
keep reason in the order above).
"""
from __future__ import annotations

import numpy as np
import pyarrow as pa

from .. import schemas
from ..kernels.placement import PLACEMENT_TOL, place_many
from ._columns import to_table
from .params import SignalParams

__all__ = ["signal_filter_arrays", "signal_filter"]

R = {r: i for i, r in enumerate(schemas.SIGNAL_REASONS)}
_ISOI = schemas.OPTION_CONDITIONS.index("ISOI")


def signal_filter_arrays(notional: np.ndarray, size: np.ndarray, place: np.ndarray, age_ns: np.ndarray,
                         cond: np.ndarray, is_etf: np.ndarray, params: SignalParams) -> tuple[np.ndarray, np.ndarray]:
    """``(signal bool, reason int8 = index of schemas.SIGNAL_REASONS)`` per print.

    ``place``: shared placement codes (-1 = no usable quote); ``age_ns``: NBBO age (-1 = no quote);
    ``cond``: ``schemas.OPTION_CONDITIONS`` index (-1 unknown); ``is_etf``: bool per print."""
    n = notional.shape[0]
    if params.mode == "all":
        return np.ones(n, bool), np.full(n, R["mode:all"], np.int8)
    p = params.effective()
    reason = np.full(n, -1, np.int8)

    def reject(mask: np.ndarray, code: str) -> None:
        reason[(reason < 0) & mask] = R[code]

    stale = (age_ns < 0) | (place < 0) | (age_ns > p.nbbo_max_age_ms * 1e6)
    place = np.where(stale, -1, place)        # the source places only against a fresh NBBO
    iso = cond == _ISOI
    reject(notional < p.min_notional, "reject:min-notional")
    reject(is_etf & (notional < p.etf_min_notional), "reject:etf-min-notional")
    reject(((place == 3) | (place == 4)) & (notional < p.bid_side_min_notional), "reject:bid-side-min-notional")
    reject((place == 2) & ~iso & (notional < p.mid_min_notional), "reject:mid-min-notional")
    reject(stale & (notional < p.missing_nbbo_min_notional), "reject:missing-nbbo-min-notional")
    open_ = reason < 0
    # keep reasons in the source's order; the first one is reported
    keeps = (("keep:auto-large", notional >= p.auto_keep_min_notional),
             ("keep:ask-side", ((place == 0) | (place == 1)) & (notional >= p.min_notional)),
             ("keep:sweep-or-iso", iso & (notional >= p.sweep_min_notional)),
             ("keep:large-contract-count", (size >= p.large_print_min_size) & (notional >= p.min_notional)))
    for code, m in keeps:
        reason[open_ & (reason < 0) & m] = R[code]
    reason[reason < 0] = R["reject:no-signal-rule"]
    signal = reason <= R["keep:large-contract-count"]
    return signal, reason


def signal_filter(prints: object, params: SignalParams | None = None) -> pa.Table:
    """The prints with ``signal`` and ``signal_reason`` columns appended (raw view; filter ``signal`` for
    the signal view). Needs ``underlying, price, size`` and, when present, ``bid_px, ask_px, nbbo_age_ns,
    conditions`` (a missing NBBO counts as missing)."""
    params = params or SignalParams()
    t = to_table(prints, "option_prints")
    n = t.num_rows

    def col(name: str, fill: float) -> np.ndarray:
        if name not in t.column_names:
            return np.full(n, fill)
        return t.column(name).fill_null(fill).to_numpy().astype(np.float64)

    price, size = col("price", 0.0), col("size", 0.0)
    bid, ask = col("bid_px", np.nan), col("ask_px", np.nan)
    age = col("nbbo_age_ns", -1).astype(np.int64)
    place = place_many(price, bid, ask, PLACEMENT_TOL)
    if "conditions" in t.column_names:
        conds = [str(c) if c is not None else "" for c in t.column("conditions").to_pylist()]
        cond = np.array([schemas.OPTION_CONDITIONS.index(c) if c in schemas.OPTION_CONDITIONS else -1
                         for c in conds], np.int8)
    else:
        cond = np.full(n, -1, np.int8)
    etfs = set(params.etf_underlyings)
    und = t.column("underlying").to_pylist() if "underlying" in t.column_names else [None] * n
    is_etf = np.array([u in etfs for u in und], bool)
    sig, reason = signal_filter_arrays(price * size * 100.0, size, place, age, cond, is_etf, params)
    codes = pa.DictionaryArray.from_arrays(pa.array(reason, pa.int8()), pa.array(list(schemas.SIGNAL_REASONS)),
                                           safe=False)
    return t.append_column("signal", pa.array(sig)).append_column("signal_reason", codes)
