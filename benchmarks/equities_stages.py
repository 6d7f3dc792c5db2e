"""CPU time of the equities kernel path per session, by stage, beside the compute probe and the numpy
reference (the figures of benchmarks/README.md, "How the kernel path is built").

    python benchmarks/equities_stages.py [rounds] [symbol]      # default: 9 rounds, AAPL

One thread pinned to one CPU; ``time.process_time`` (CPU time: steadier than wall time on this shared
machine). Two parts:

1. the whole ``engine.iter_partition`` (tables equity_trades + equity_quotes), the compute probe for the
   same row count and ``src/fastsynth/_numpy_reference.py``, interleaved round-robin: rows per CPU-second,
   the ratio to the probe and the multiple of the numpy reference (medians);
2. every kernel call of one session recorded (inputs copied), then replayed per kernel with its state
   restored before each call: CPU ms per session (min and median over rounds). Replayed inputs come
   from memory rather than from the previous pass's cache, so these are slightly pessimistic.
"""
from __future__ import annotations

import gc
import os
import statistics
import sys
import time

import numpy as np

import fastsynth
from fastsynth.bench import _PROBE_KEY, _numpy_reference, compute_probe
from fastsynth.engine import iter_partition, plan
from fastsynth.kernels import equities as k

KERNELS = ("fill_words", "arrivals", "cluster_draws", "quote_draws", "print_draws", "print_fixup", "book", "finish")
TQ = ("equity_trades", "equity_quotes")


def main(rounds: int = 9, symbol: str = "AAPL") -> None:
    os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})
    m = fastsynth.Manifest(seed=7, symbols=[symbol], tables=list(TQ))
    p = plan(m)
    part = p.partitions[0]
    counts: dict[str, int] = {}
    for t, b in iter_partition(p, part, TQ):
        counts[t] = counts.get(t, 0) + b.num_rows
    n = sum(counts.values())
    buf = np.empty(1 << 16)
    compute_probe(*_PROBE_KEY, 1024, buf)
    cases = {"kernel": lambda: sum(b.num_rows for _, b in iter_partition(p, part, TQ)),
             "probe": lambda: compute_probe(*_PROBE_KEY, n, buf)}
    ref = _numpy_reference()
    if ref is not None:
        spec = p.specs[symbol]
        params = ref.RefParams(price=spec.price, annual_vol=spec.annual_vol, tick_size=spec.tick_size,
                               prints_per_day=counts["equity_trades"], quotes_per_day=counts["equity_quotes"])
        s = part.session
        n_np = sum(b.num_rows for _, b in ref.session_batches(params, 7, s.open_ns, s.seconds))
        cases["numpy"] = lambda: sum(b.num_rows for _, b in ref.session_batches(params, 7, s.open_ns, s.seconds))
    cpu: dict[str, list[float]] = {c: [] for c in cases}
    names = list(cases)
    for r in range(rounds):
        for i in range(len(names)):
            c = names[(r + i) % len(names)]
            gc.collect()
            t0 = time.process_time()
            cases[c]()
            cpu[c].append(time.process_time() - t0)
    med = {c: statistics.median(v) for c, v in cpu.items()}
    print(f"{symbol}: {n:,} rows; load {os.getloadavg()[0]:.1f}; CPU ms per session, median of {rounds}")
    print(f"  kernel path {med['kernel'] * 1e3:6.1f} ms  {n / med['kernel'] / 1e6:6.2f} M rows/CPU-s  "
          f"ratio to probe {med['probe'] / med['kernel']:.3f} (probe {n / med['probe'] / 1e6:.0f} M/CPU-s)")
    if "numpy" in med:
        print(f"  numpy ref   {med['numpy'] * 1e3:6.1f} ms  {n_np / med['numpy'] / 1e6:6.2f} M rows/CPU-s  "
              f"kernel / numpy {(n / med['kernel']) / (n_np / med['numpy']):.2f}x")

    # 2. per kernel: record one session's calls, replay them
    calls = []
    originals = {name: getattr(k, name) for name in KERNELS}

    def recorder(name):
        f = originals[name]

        def w(*a):
            calls.append((name, f, [x.copy() if isinstance(x, np.ndarray) else x for x in a]))
            return f(*a)
        return w

    for name in KERNELS:
        setattr(k, name, recorder(name))
    try:
        sum(b.num_rows for _, b in iter_partition(p, part, TQ))
    finally:
        for name, f in originals.items():
            setattr(k, name, f)
    work = [(name, f, a, [x.copy() if isinstance(x, np.ndarray) else x for x in a]) for name, f, a in calls]
    per: dict[str, list[float]] = {}
    for _ in range(rounds):
        tot: dict[str, float] = {}
        for name, f, a, b in work:
            for x, y in zip(a, b):
                if isinstance(x, np.ndarray):
                    y[...] = x
            t0 = time.process_time()
            f(*b)
            tot[name] = tot.get(name, 0.0) + time.process_time() - t0
        for name, v in tot.items():
            per.setdefault(name, []).append(v * 1e3)
    print("  per kernel (replayed), ms: min / median")
    for name in KERNELS:
        v = per.get(name, [0.0])
        print(f"    {name:14s} {min(v):6.2f} {statistics.median(v):6.2f}")
    lo, mid = sum(min(v) for v in per.values()), sum(statistics.median(v) for v in per.values())
    print(f"    {'sum':14s} {lo:6.2f} {mid:6.2f}")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 9, sys.argv[2] if len(sys.argv) > 2 else "AAPL")
