"""Flow analytics throughput beside the same-run compute probe (the ``flow analytics`` group of
``fastsynth bench``; ``benchmarks/test_flow.py`` runs it too).

Cases, interleaved round-robin in one process with the thread pinned to one CPU, rates per **CPU-second**
of this process (``time.process_time``: what the shared machine's load affects least; wall rates in the
notes):

- ``kernels``: clustering with packet features and structures (one kernel pass), then classification
  (baselines, hits, episodes, profiles), in ``FlowStream``'s chunks, over pre-extracted columns of a
  generated firehose option tape tiled in time to ``n_target`` prints (copies shifted by a day keep each
  underlying's time order); fresh state each round.
- ``flow()``: the whole path on the same table (extract and validate, kernels, the four Arrow tables).
- ``compute probe``: ``fastsynth.bench.compute_probe`` on the same row count.
- real time: ``flow()`` prints per CPU-s over the firehose mode's option-print generation rate (prints per
  CPU-s of ``fastsynth.generate`` for the same symbol and session).
- as-of join: :func:`fastsynth.analytics.joins.bench_asof` (its own interleaved probes; input rows = prints
  + quotes merged per second, the unit of its target).

Run: ``python benchmarks/test_flow.py`` or ``fastsynth bench`` (``--quick``: IBM, 200 k prints, 3 rounds).
"""
from __future__ import annotations

import statistics
import time
from typing import Any

import numpy as np
import pyarrow as pa

KERNEL_TARGET = 10e6          # prints/s per core: clustering + structures + classification
ASOF_TARGET = 50e6            # rows/s per core: the as-of join (input rows)
_DAY_NS = 86_400 * 10**9


def flow_tape(symbol: str = "AAPL", n_target: int = 2_000_000) -> tuple[pa.Table, int, float]:
    """``(tiled option_trades, rows of one session, generation prints per CPU-s)`` of ``symbol``'s firehose
    tape (seed 7, 2026-03-03)."""
    import fastsynth

    m = fastsynth.Manifest(seed=7, start="2026-03-03", days=1, symbols=[symbol], mode="firehose",
                           tables=["option_trades"])
    fastsynth.generate(m)                       # warm (compile / cache load) outside the timing
    c0 = time.process_time()
    tab = fastsynth.generate(m)["option_trades"]
    gen_rate = tab.num_rows / max(time.process_time() - c0, 1e-9)
    reps = max(1, n_target // max(1, tab.num_rows))
    i = tab.schema.get_field_index("ts_event")
    ts = tab.column(i).cast(pa.int64()).to_numpy()      # numpy, not pyarrow.compute (which imports pandas)
    parts = [tab.set_column(i, "ts_event", pa.array(ts + k * _DAY_NS, pa.int64()).cast(pa.timestamp("ns", tz="UTC")))
             for k in range(reps)]
    return pa.concat_tables(parts).combine_chunks(), tab.num_rows, gen_rate


def _flow_cases(big: pa.Table) -> tuple[list[Any], int]:
    from ..bench import PROBE_BUFFER, _Case, compute_probe
    from .classify import FlowClassifier
    from .flow import flow
    from .packets import CHUNK, Codes, PacketClusterer, extract
    from .params import AnalyticsParams

    params = AnalyticsParams()
    prints = extract(big, Codes(), params.cluster)
    n = len(prints)
    pid = np.empty(n, np.int64)
    buf = np.empty(PROBE_BUFFER)

    def kernels(_: Any) -> int:
        """Clustering + packet features + structures (one kernel pass), then classification, in the
        streaming chunks ``FlowStream`` uses (workspace reused chunk to chunk, as in a long-running stream)."""
        cl = PacketClusterer(params.cluster)
        fc = FlowClassifier(params)
        for a in range(0, n, CHUNK):
            v = cl.run(prints, a, min(n, a + CHUNK), pid)
            fc.push(v["pi"], v["pf"], v["off"], v["ev"])
        v = cl.finish_view()
        fc.push(v["pi"], v["pf"], v["off"], v["ev"], final=True)
        return n

    def probe(_: Any) -> int:
        compute_probe(1, 2, n, buf)
        return n

    def whole(_: Any) -> int:
        flow(big)
        return n

    compute_probe(1, 2, 1024, buf)              # untimed first runs: compile / cache load
    kernels(None)
    flow(big.slice(0, 10_000))
    return [_Case("probe", probe), _Case("kernels", kernels), _Case("flow", whole)], n


def bench_flow(symbol: str = "AAPL", n_target: int = 2_000_000, rounds: int = 7) -> dict[str, float]:
    """Figures of the flow cases (module doc): medians and min/max per CPU-s (``*_per_s``), wall medians
    (``*_wall_per_s``), per-round ratios to the probe (median), the real-time ratio."""
    from ..bench import _interleave, _pinned

    big, _, gen_rate = flow_tape(symbol, n_target)
    cases, n = _flow_cases(big)
    cpu: dict[str, list[float]] = {}
    with _pinned():
        wall = _interleave(cases, rounds, cpu)
    k, p, f = cpu["kernels"], cpu["probe"], cpu["flow"]
    med = statistics.median
    return {"prints": n, "kernels_per_s": med(k), "kernels_min": min(k), "kernels_max": max(k),
            "kernel_ns_per_print": 1e9 / med(k), "probe_per_s": med(p), "probe_min": min(p), "probe_max": max(p),
            "kernel_probe_ratio": med([x / y for x, y in zip(k, p)]), "flow_per_s": med(f), "flow_min": min(f),
            "flow_max": max(f), "flow_probe_ratio": med([x / y for x, y in zip(f, p)]),
            "kernels_wall_per_s": med(wall["kernels"]), "flow_wall_per_s": med(wall["flow"]),
            "probe_wall_per_s": med(wall["probe"]), "firehose_gen_per_s": gen_rate,
            "realtime_ratio": med(f) / gen_rate}


def bench_flow_group(rounds: int, quick: bool) -> list[dict[str, Any]]:
    """Rows of the ``flow analytics`` group of ``fastsynth bench`` (see ``fastsynth.bench._row``)."""
    from ..bench import _interleave, _pinned, _row
    from .joins import bench_asof

    symbol = "IBM" if quick else "AAPL"
    rounds = min(rounds, 3) if quick else rounds
    big, n_day, gen_rate = flow_tape(symbol, 200_000 if quick else 2_000_000)
    cases, n = _flow_cases(big)
    cpu: dict[str, list[float]] = {}
    with _pinned() as c:
        wall = _interleave(cases, rounds, cpu)
        asof = bench_asof(n_prints=500_000 if quick else 4_000_000, rounds=rounds)
    g = f"flow analytics (thread pinned to CPU {c}), {symbol} firehose option tape x{n // n_day}, per CPU-s"
    k, p, f = cpu["kernels"], cpu["probe"], cpu["flow"]
    med = statistics.median
    kr = med([x / y for x, y in zip(k, p)])
    fr = med([x / y for x, y in zip(f, p)])
    rt = med(f) / gen_rate
    return [
        _row(g, "compute probe: Philox + AS241 normals (same rows)", p, rows=n,
             note=f"wall {med(wall['probe']) / 1e6:.1f} M/s"),
        _row(g, "kernels: clustering + structures + classification (prints)", k, rows=n, ceiling="compute probe",
             ratio=kr, target=f">= {KERNEL_TARGET / 1e6:.0f} M prints/s", ok=med(k) >= KERNEL_TARGET,
             note=f"{1e9 / med(k):.0f} ns/print; wall {med(wall['kernels']) / 1e6:.2f} M/s"),
        _row(g, "flow(): extract + kernels + four Arrow tables (prints)", f, rows=n, ceiling="compute probe",
             ratio=fr, note=f"wall {med(wall['flow']) / 1e6:.2f} M/s"),
        _row(g, "real time: flow() / firehose option-print generation", [rt], unit="x", rows=n,
             target=">= 1", ok=rt >= 1.0,
             note=f"generation {gen_rate / 1e3:,.0f} k prints per CPU-s ({n_day:,} prints, one session)"),
        _row(g, "as-of join kernel: prints + quotes merged (input rows)", [asof["asof_input_rows"]], rows=None,
             ceiling="compute probe", ratio=asof["asof_input_rows"] / asof["compute_probe"],
             target=f">= {ASOF_TARGET / 1e6:.0f} M rows/s", ok=asof["asof_input_rows"] >= ASOF_TARGET,
             note=f"analytics.joins.bench_asof, wall, own probes; {asof['asof'] / 1e6:.1f} M prints/s, "
                  f"{asof['asof_over_copy']:.2f} of its memory-copy probe"),
    ]
