"""Dark-accumulation detection: a sliding time window over same-side off-exchange prints, with cooldown.

Contract. Rows are the candidate prints of one or more *runs*; a run is one (symbol, side) group,
contiguous and sorted by ``ts`` (int64 ns); ``run_id`` int64 (the slot of the run's cooldown state) is
constant within a run. ``size`` float64 (shares), ``is_new`` bool (False for rows carried from an earlier
streaming step: they fill the window but never trigger). Scalars: ``window_ns``, ``cooldown_ns`` int64,
``min_count`` int64, ``min_size`` float64. State ``cool_until`` int64 per run slot (read and written).

At each new row ``e`` the window is the run's unconsumed rows with ``ts[e] - ts[s] <= window_ns``. When it
holds ``>= min_count`` rows and ``>= min_size`` shares and ``ts[e] >= cool_until``, an event is written:
``ev_start[n] = s``, ``ev_end[n] = e``; the run is then cooled down until ``ts[e] + cooldown_ns`` and its
window emptied (each print is evidence of at most one event). ``run_start`` (per row, written at the last
row of each run) receives the window start after the run, so a streaming caller can carry the
unconsumed rows. Returns the number of events (``ev_*`` must have room for one per row).
"""
from __future__ import annotations

from ._jit import kernel

__all__ = ["accumulate"]


@kernel
def accumulate(run_id, ts, size, is_new, window_ns, cooldown_ns, min_count, min_size, cool_until,
               ev_start, ev_end, run_start):
    n = ts.shape[0]
    ne = 0
    i = 0
    while i < n:
        r = run_id[i]
        s = i
        tot = 0.0
        e = i
        while e < n and run_id[e] == r:
            tot += size[e]
            while ts[e] - ts[s] > window_ns:
                tot -= size[s]
                s += 1
            if is_new[e] and e - s + 1 >= min_count and tot >= min_size and ts[e] >= cool_until[r]:
                ev_start[ne] = s
                ev_end[ne] = e
                ne += 1
                cool_until[r] = ts[e] + cooldown_ns
                s = e + 1
                tot = 0.0
            e += 1
        run_start[e - 1] = s
        i = e
    return ne
