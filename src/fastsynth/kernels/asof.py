"""As-of join of prints to the last quote of the same key (merge over time-sorted arrays).

Contract (all arrays 1-D, contiguous):

* prints: ``p_key`` int32 dense key code (0..n_keys-1), ``p_ts`` int64 ns, ``p_px`` float64 — sorted by
  ``p_ts`` (ties in any order);
* quotes: ``q_key`` int32, ``q_ts`` int64 ns, ``q_bid``/``q_ask`` float64 USD, ``q_bsz``/``q_asz`` uint64 —
  sorted by ``q_ts``; a quote applies to prints with ``p_ts >= q_ts`` (a quote stamped at the print's
  nanosecond is visible to it: generators refresh the quote before the prints it causes);
* state (read and written, one slot per key, carried across streaming batches): ``st_ts`` int64
  (``NO_QUOTE`` = none yet), ``st_bid``, ``st_ask`` float64, ``st_bsz``, ``st_asz`` uint64;
* scalars: ``max_age_ns`` int64 (a quote older than this is stale), ``tol`` float64 (placement tolerance);
* outputs (written, one per print): ``o_bid``, ``o_ask`` float64, ``o_bsz``, ``o_asz`` uint64,
  ``o_age`` int64 ns, ``o_quality`` int8 (``FRESH``/``STALE``/``MISSING``), ``o_state`` int8 (``NORMAL``/
  ``LOCKED``/``CROSSED``; -1 unless fresh), ``o_place`` int8 (``kernels.placement`` code; -1 unless fresh
  and usable). Stale and missing rows are never filled in: their outputs other than ``o_age`` (stale)
  are left as 0/NaN and the wrapper turns them into nulls.

``asof_join`` returns -1, or the index of the first print that is older than the key's carried quote
(only possible across streaming batches whose time ranges overlap: the caller reports it).
"""
from __future__ import annotations

import numpy as np

from ._jit import kernel
from .placement import UNKNOWN, place

__all__ = ["asof_join", "first_unsorted", "NO_QUOTE", "FRESH", "STALE", "MISSING", "NORMAL", "LOCKED",
           "CROSSED"]

NO_QUOTE = np.iinfo(np.int64).min
FRESH, STALE, MISSING = 0, 1, 2
NORMAL, LOCKED, CROSSED = 0, 1, 2


@kernel
def asof_join(p_key, p_ts, p_px, q_key, q_ts, q_bid, q_ask, q_bsz, q_asz,
              st_ts, st_bid, st_ask, st_bsz, st_asz, max_age_ns, tol,
              o_bid, o_ask, o_bsz, o_asz, o_age, o_quality, o_state, o_place):
    nq = q_ts.shape[0]
    j = 0
    bad = -1
    nan = np.nan
    for i in range(p_ts.shape[0]):
        t = p_ts[i]
        while j < nq and q_ts[j] <= t:
            k = q_key[j]
            st_ts[k] = q_ts[j]
            st_bid[k] = q_bid[j]
            st_ask[k] = q_ask[j]
            st_bsz[k] = q_bsz[j]
            st_asz[k] = q_asz[j]
            j += 1
        k = p_key[i]
        qt = st_ts[k]
        if qt == NO_QUOTE:
            o_quality[i] = MISSING
            o_age[i] = 0
            o_bid[i] = nan
            o_ask[i] = nan
            o_bsz[i] = 0
            o_asz[i] = 0
            o_state[i] = -1
            o_place[i] = UNKNOWN
            continue
        age = t - qt
        if age < 0 and bad < 0:
            bad = i
        o_age[i] = age
        if age > max_age_ns:
            o_quality[i] = STALE
            o_bid[i] = nan
            o_ask[i] = nan
            o_bsz[i] = 0
            o_asz[i] = 0
            o_state[i] = -1
            o_place[i] = UNKNOWN
            continue
        b = st_bid[k]
        a = st_ask[k]
        o_quality[i] = FRESH
        o_bid[i] = b
        o_ask[i] = a
        o_bsz[i] = st_bsz[k]
        o_asz[i] = st_asz[k]
        o_state[i] = CROSSED if b > a else (LOCKED if b == a else NORMAL)
        o_place[i] = place(p_px[i], b, a, tol)
    while j < nq:   # quotes after the last print still move the carried state
        k = q_key[j]
        st_ts[k] = q_ts[j]
        st_bid[k] = q_bid[j]
        st_ask[k] = q_ask[j]
        st_bsz[k] = q_bsz[j]
        st_asz[k] = q_asz[j]
        j += 1
    return bad


@kernel
def first_unsorted(key, ts, last):
    """First row whose ``ts`` is below the previous ``ts`` of the same ``key`` (-1 if none).

    ``last`` (int64 per key, read and written) holds the latest ts seen per key (``NO_QUOTE`` = none);
    streaming callers carry it so order is checked across batches too."""
    for i in range(ts.shape[0]):
        k = key[i]
        if ts[i] < last[k]:
            return i
        last[k] = ts[i]
    return -1
