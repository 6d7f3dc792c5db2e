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
def _merge(p_key, p_ts, q_key, q_ts, last, o_qi):
    """Branch-free merge: ``o_qi[i]`` = index of the last quote of print i's key with q_ts <= p_ts (or the
    value ``last`` held before the batch: -1 = carried state). ``last`` (len n_keys + 1; the extra slot is a
    scratch target) is updated to the batch's final per-key quote index."""
    np_ = p_ts.shape[0]
    nq = q_ts.shape[0]
    dummy_k = last.shape[0] - 1
    big = np.iinfo(np.int64).max
    i = 0
    j = 0
    for _ in range(np_ + nq):
        tq = q_ts[j] if j < nq else big
        tp = p_ts[i] if i < np_ else big
        isq = tq <= tp
        kq = q_key[j] if j < nq else dummy_k
        kp = p_key[i] if i < np_ else dummy_k
        last[kq if isq else dummy_k] = j
        o_qi[np_ if isq else i] = last[kp]
        j += 1 if isq else 0
        i += 0 if isq else 1


@kernel
def asof_join(p_key, p_ts, p_px, q_key, q_ts, q_bid, q_ask, q_bsz, q_asz,
              st_ts, st_bid, st_ask, st_bsz, st_asz, max_age_ns, tol,
              o_bid, o_ask, o_bsz, o_asz, o_age, o_quality, o_state, o_place):
    n = p_ts.shape[0]
    nk = st_ts.shape[0]
    last = np.full(nk + 1, -1, np.int64)
    qi = np.empty(n + 1, np.int64)
    _merge(p_key, p_ts, q_key, q_ts, last, qi)
    bad = -1
    nan = np.nan
    for i in range(n):
        k = p_key[i]
        j = qi[i]
        if j >= 0:
            qt = q_ts[j]
            b = q_bid[j]
            a = q_ask[j]
            bs = q_bsz[j]
            az = q_asz[j]
        else:
            qt = st_ts[k]
            b = st_bid[k]
            a = st_ask[k]
            bs = st_bsz[k]
            az = st_asz[k]
        t = p_ts[i]
        age = t - qt
        if qt == NO_QUOTE:
            o_quality[i] = MISSING
            age = 0
        elif age > max_age_ns:
            o_quality[i] = STALE
        else:
            o_quality[i] = FRESH
        if age < 0 and bad < 0:
            bad = i
        fresh = o_quality[i] == FRESH
        o_age[i] = age
        o_bid[i] = b if fresh else nan
        o_ask[i] = a if fresh else nan
        o_bsz[i] = bs if fresh else 0
        o_asz[i] = az if fresh else 0
        o_state[i] = (CROSSED if b > a else (LOCKED if b == a else NORMAL)) if fresh else -1
        o_place[i] = place(p_px[i], b, a, tol) if fresh else UNKNOWN
    for k in range(nk):   # carry each key's last quote of this batch
        j = last[k]
        if j >= 0:
            st_ts[k] = q_ts[j]
            st_bid[k] = q_bid[j]
            st_ask[k] = q_ask[j]
            st_bsz[k] = q_bsz[j]
            st_asz[k] = q_asz[j]
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
