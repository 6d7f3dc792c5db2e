"""Flow analytics throughput: clustering + structures + classification (kernels over pre-extracted
columns) beside the same-run compute probe; the whole ``flow()`` path; and the real-time check (analytics
rate vs the ``firehose`` mode's option-print generation rate). ``bench_flow()`` returns the figures (the
lead can wire it into ``fastsynth bench``); the test smoke-runs it on a small input.

Method: a generated option tape (option_trades of one liquid symbol, firehose mode) is tiled in time to
N prints (copies shifted by a session length keep per-underlying time order), extracted once; each round
runs the kernels on it (fresh state: clustering with packet features and structures in one kernel pass, then
classification, in ``FlowStream``'s chunks), the compute probe on the same N and the whole ``flow()``,
interleaved; median (and min-max) of rounds, one CPU pinned; the ratios are per round, same run.
"""
from __future__ import annotations

import os
import statistics
import time

import numpy as np
import pyarrow as pa
import pytest


def _tape(symbol: str, mode: str) -> tuple[pa.Table, float]:
    import fastsynth

    m = fastsynth.Manifest(seed=7, start="2026-03-03", days=1, symbols=[symbol], mode=mode, tables=["option_trades"])
    fastsynth.generate(m)                          # warm (compile) outside the timing
    t0 = time.perf_counter()
    tab = fastsynth.generate(m)["option_trades"]
    return tab, tab.num_rows / (time.perf_counter() - t0)


def bench_flow(symbol: str = "AAPL", n_target: int = 2_000_000, rounds: int = 7) -> dict[str, float]:
    from fastsynth.analytics.classify import FlowClassifier
    from fastsynth.analytics.flow import flow
    from fastsynth.analytics.packets import CHUNK, Codes, PacketClusterer, extract
    from fastsynth.analytics.params import AnalyticsParams
    from fastsynth.bench import PROBE_BUFFER, compute_probe

    tab, gen_rate = _tape(symbol, "firehose")
    reps = max(1, n_target // max(1, tab.num_rows))
    day = 86_400 * 10**9
    ts = tab.column("ts_event").cast(pa.int64())
    parts = [tab.set_column(0, "ts_event", pa.compute.add(ts, k * day).cast(pa.timestamp("ns", tz="UTC")))
             for k in range(reps)]
    big = pa.concat_tables(parts).combine_chunks()
    params = AnalyticsParams()
    prints = extract(big, Codes(), params.cluster)
    n = len(prints)
    buf = np.empty(PROBE_BUFFER)
    compute_probe(1, 2, 1000, buf)
    flow(big.slice(0, 10_000))

    pid = np.empty(n, np.int64)

    def kernels() -> None:
        """Clustering + packet features + structures (one kernel pass), then classification, in the
        streaming chunks ``FlowStream`` uses (workspace reused chunk to chunk, as in a long-running stream)."""
        cl = PacketClusterer(params.cluster)
        fc = FlowClassifier(params)
        for a in range(0, n, CHUNK):
            v = cl.run(prints, a, min(n, a + CHUNK), pid)
            fc.push(v["pi"], v["pf"], v["off"], v["ev"])
        v = cl.finish_view()
        fc.push(v["pi"], v["pf"], v["off"], v["ev"], final=True)

    kernels()
    rk, rp, rf = [], [], []
    cpu = None
    if hasattr(os, "sched_setaffinity"):
        cpu = os.sched_getaffinity(0)
        os.sched_setaffinity(0, {min(cpu)})
    try:
        for _ in range(rounds):                  # interleaved: kernels, probe, whole flow() per round
            t0 = time.perf_counter()
            kernels()
            rk.append(n / (time.perf_counter() - t0))
            t0 = time.perf_counter()
            compute_probe(1, 2, n, buf)
            rp.append(n / (time.perf_counter() - t0))
            t0 = time.perf_counter()
            flow(big)
            rf.append(n / (time.perf_counter() - t0))
    finally:
        if cpu is not None:
            os.sched_setaffinity(0, cpu)
    k, p, f = statistics.median(rk), statistics.median(rp), statistics.median(rf)
    ratios = [x / y for x, y in zip(rk, rp)]
    return {"prints": n, "kernels_per_s": k, "kernels_min": min(rk), "kernels_max": max(rk), "probe_per_s": p,
            "probe_min": min(rp), "probe_max": max(rp), "kernel_probe_ratio": statistics.median(ratios),
            "flow_per_s": f, "flow_min": min(rf), "flow_max": max(rf),
            "flow_probe_ratio": statistics.median([x / y for x, y in zip(rf, rp)]),
            "firehose_gen_per_s": gen_rate, "realtime_ratio": f / gen_rate}


@pytest.mark.benchmark
def test_bench_flow_smoke():
    r = bench_flow(symbol="IBM", n_target=50_000, rounds=1)
    assert r["prints"] > 0 and r["kernels_per_s"] > 0 and r["realtime_ratio"] > 0


if __name__ == "__main__":
    for k, v in bench_flow().items():
        print(f"{k:22s} {v:,.3f}")
