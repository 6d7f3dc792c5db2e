"""Throughput benchmarks (pytest-benchmark), one per stage that ``fastsynth bench`` reports.

The normal suite runs them with ``--benchmark-disable`` (setup.cfg): each body then runs once as a smoke
test on a small symbol (GS, ~80 k rows), so they must stay quick and assert only correctness (row counts,
schemas), never a time or a rate. For figures, ``pytest benchmarks --benchmark-enable`` (times per call;
``extra_info["rows"]`` gives the row count) or, for rows/s beside the same-run ceilings, ``fastsynth bench``.
"""
from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pyarrow as pa
import pytest

import fastsynth
from fastsynth.bench import PROBE_BUFFER, _Case, _interleave, _pinned, compute_probe, format_table
from fastsynth.engine import iter_partition, plan
from fastsynth.kernels.rng import normals
from fastsynth.run import run_to_parquet
from fastsynth.sinks import ParquetDatasetSink

from fastsynth import _numpy_reference as numpy_reference

SYMBOL = "GS"                      # a small liquid name: ~80 k trades + quotes in a session
TQ = ("equity_trades", "equity_quotes")
M = fastsynth.Manifest(seed=7, symbols=[SYMBOL], tables=list(TQ))
M_ALL = fastsynth.Manifest(seed=7, symbols=[SYMBOL, "IBM"])          # every table, for the Parquet cases


@pytest.fixture(scope="module")
def warm():
    """The plan of ``M`` and its row counts per table; the untimed first run compiles (or loads) the kernels."""
    p = plan(M)
    counts: dict[str, int] = {}
    for t, b in iter_partition(p, p.partitions[0], TQ):
        counts[t] = counts.get(t, 0) + b.num_rows
    assert counts["equity_trades"] > 0 and counts["equity_quotes"] > 0
    return p, counts


def _rows(items) -> int:
    return sum(b.num_rows for _, b in items)


@pytest.mark.benchmark(group="generator")
def test_compute_probe(benchmark, warm):
    buf = np.empty(PROBE_BUFFER)
    n = sum(warm[1].values())                   # as many normals as the kernel case makes rows
    benchmark.extra_info["rows"] = n
    acc = benchmark(compute_probe, 1, 2, n, buf)
    assert np.isfinite(acc)
    # the probe does the real work: its buffer holds the stream's normals (the last, partial block)
    want = np.empty(n)
    normals(1, 2, 0, want)
    tail = n - (n // PROBE_BUFFER) * PROBE_BUFFER
    np.testing.assert_array_equal(buf[:tail], want[n - tail:])


@pytest.mark.benchmark(group="generator")
def test_kernel_partition(benchmark, warm):
    p, counts = warm
    benchmark.extra_info["rows"] = sum(counts.values())
    rows = benchmark(lambda: _rows(iter_partition(p, p.partitions[0], TQ)))
    assert rows == sum(counts.values())


@pytest.mark.benchmark(group="generator")
def test_numpy_reference(benchmark, warm):
    p, counts = warm
    spec, sess = p.specs[SYMBOL], p.partitions[0].session
    params = numpy_reference.RefParams(price=spec.price, annual_vol=spec.annual_vol, tick_size=spec.tick_size,
                                       prints_per_day=counts["equity_trades"],
                                       quotes_per_day=counts["equity_quotes"])

    def run():
        got: dict[str, list[pa.RecordBatch]] = {t: [] for t in TQ}
        for t, b in numpy_reference.session_batches(params, 7, sess.open_ns, sess.seconds):
            got[t].append(b)
        return {t: pa.Table.from_batches(bs, schema=fastsynth.schema(t)) for t, bs in got.items()}

    tables = benchmark(run)
    benchmark.extra_info["rows"] = sum(t.num_rows for t in tables.values())
    for name, t in tables.items():
        assert t.num_rows > 0
        assert t.schema.equals(fastsynth.schema(name), check_metadata=False)
        ts = t.column("ts_event").cast(pa.int64()).to_numpy()
        assert np.all(np.diff(ts) >= 0) and ts[0] >= sess.open_ns
    q = tables["equity_quotes"]
    assert np.all(q.column("ask_px_00").to_numpy() > q.column("bid_px_00").to_numpy())
    # comparable work: about the kernel's row count (Poisson, so not exactly)
    assert 0.8 < tables["equity_trades"].num_rows / counts["equity_trades"] < 1.25


@pytest.mark.benchmark(group="arrow")
def test_stream(benchmark, warm):
    _, counts = warm
    benchmark.extra_info["rows"] = sum(counts.values())
    rows = benchmark(lambda: _rows(fastsynth.stream(M, batch_rows=65_536)))
    assert rows == sum(counts.values())


@pytest.mark.benchmark(group="arrow")
def test_reader(benchmark, warm):
    _, counts = warm
    benchmark.extra_info["rows"] = counts["equity_trades"]
    rows = benchmark(lambda: sum(b.num_rows for b in fastsynth.reader(M, "equity_trades", batch_rows=65_536)))
    assert rows == counts["equity_trades"]


def _fresh_dirs(tmp_path):
    """pedantic ``setup``: a new output directory per round."""
    n = iter(range(1 << 30))

    def setup():
        return (tmp_path / f"out{next(n)}",), {}
    return setup


@pytest.mark.benchmark(group="parquet")
def test_run_to_parquet(benchmark, warm, tmp_path):
    res = benchmark.pedantic(lambda out: run_to_parquet(M_ALL, out, overwrite=True, workers=2),
                             setup=_fresh_dirs(tmp_path), rounds=5, warmup_rounds=1)
    benchmark.extra_info["rows"] = sum(res.rows.values())
    assert res.partitions_written == len(plan(M_ALL).partitions) == 3   # @session + 2 symbols
    assert set(res.rows) == set(M_ALL.tables)
    assert all(n > 0 for t, n in res.rows.items() if t != "events")   # no scheduled event that day


@pytest.mark.benchmark(group="parquet")
def test_encode_only(benchmark, warm, tmp_path):
    p = plan(M_ALL)
    batches = {part: list(iter_partition(p, part)) for part in p.partitions}   # generated once, untimed
    total = sum(_rows(items) for items in batches.values())

    def encode(out):
        sink = ParquetDatasetSink(out, M_ALL.tables, overwrite=True)
        sink.begin(M_ALL.canonical_json(), M_ALL.content_hash())
        with ThreadPoolExecutor(max_workers=2) as ex:
            counts = list(ex.map(lambda part: sink.write_partition(part.date, part.symbol, batches[part]),
                                 p.partitions))
        sink.finish()
        return sum(sum(c.values()) for c in counts)

    rows = benchmark.pedantic(encode, setup=_fresh_dirs(tmp_path), rounds=5, warmup_rounds=1)
    benchmark.extra_info["rows"] = rows
    assert rows == total > 0


# ---- the bench machinery itself (cheap, no timing asserted) ----------------------------------------

@pytest.mark.benchmark
def test_interleave_counts_rows_and_rejects_changing_counts():
    order: list[str] = []
    rates = _interleave([_Case("a", lambda _: order.append("a") or 10),
                         _Case("b", lambda _: order.append("b") or 20)], rounds=3)
    assert order == ["a", "b", "b", "a", "a", "b"]            # round-robin, rotating who goes first
    assert [len(v) for v in rates.values()] == [3, 3] and all(r > 0 for v in rates.values() for r in v)
    n = iter([5, 6])
    with pytest.raises(RuntimeError, match="rows"):
        _interleave([_Case("c", lambda _: next(n))], rounds=2)


@pytest.mark.benchmark
@pytest.mark.skipif(not hasattr(os, "sched_getaffinity"), reason="Linux CPU affinity")
def test_pinned_restores_affinity():
    before = os.sched_getaffinity(0)
    with _pinned() as cpu:
        assert os.sched_getaffinity(0) == {cpu}
    assert os.sched_getaffinity(0) == before


@pytest.mark.benchmark
def test_format_table():
    base = {"rows": 1000, "rounds": 7, "ceiling": None, "ceiling_median": None, "ratio": None, "target": "",
            "ok": None, "note": ""}
    results = [
        {**base, "group": "per core", "case": "probe", "unit": "rows/s", "rows_per_s_median": 1.5e8,
         "median": 1.5e8, "min": 1.4e8, "max": 1.6e8},
        {**base, "group": "per core", "case": "kernel", "unit": "rows/s", "rows_per_s_median": 1e7,
         "median": 1e7, "min": 9e6, "max": 1.1e7, "ceiling": "probe", "ratio": 1 / 15,
         "target": ">= 20 M rows/s", "ok": False, "note": "slow"},
        {**base, "group": "cold start", "case": "import", "unit": "s", "rows": None, "rows_per_s_median": None,
         "median": 0.12, "min": 0.11, "max": 0.2, "ok": True},
    ]
    text = format_table(results)
    lines = text.splitlines()
    assert "per core" in lines and "cold start" in lines
    kernel = next(line for line in lines if line.strip().startswith("kernel"))
    assert "10.00 M/s" in kernel and "9.00 M/s - 11.00 M/s" in kernel and "0.067" in kernel and "NO" in kernel
    assert any("0.12 s" in line for line in lines) and "kernel: slow" in text


def test_parquet_cases_count_the_same_rows(tmp_path):
    """The shared body of the Parquet bench groups (fastsynth bench, bench_session): every case writes or
    generates exactly the run's rows (checked by _interleave each round); no time is asserted."""
    import fastsynth
    from fastsynth.bench import parquet_cases, per_cpu_note

    m = fastsynth.Manifest(seed=7, symbols=["IBM"], tables=["equity_trades", "bars_1m"])
    rates, cpu, n_rows = parquet_cases(m, tmp_path, 1, generate_case=True)
    assert n_rows == sum(t.num_rows for t in fastsynth.generate(m).values())
    assert set(rates) == {"e2e", "encode", "generate"} and all(len(cpu[k]) == 1 for k in rates)
    assert "M rows per CPU-s" in per_cpu_note(n_rows, cpu["e2e"])
    assert not any(p.name.startswith("out") for p in tmp_path.iterdir())     # output dirs cleaned up
