"""Run a manifest into a sink: the Parquet dataset (partitions in parallel threads, resumable) or a
stream format (IPC / NDJSON, in plan order). This is what ``fastsynth generate`` calls."""
from __future__ import annotations

import os
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from .engine import Partition, iter_partition, plan, stream
from .errors import ConfigError
from .manifest import Manifest

__all__ = ["RunResult", "run_to_parquet", "run_to_stream", "default_workers"]


@dataclass
class RunResult:
    rows: dict[str, int] = field(default_factory=dict)
    partitions_written: int = 0
    partitions_skipped: int = 0
    seconds: float = 0.0


def default_workers() -> int:
    """Worker threads for partitions: one per available core (kernels release the GIL)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - non-Linux
        return max(1, os.cpu_count() or 1)


def run_to_parquet(m: Manifest, out: str | Path, *, overwrite: bool = False, workers: int | None = None,
                   on_partition: Callable[[Partition, dict[str, int]], None] | None = None) -> RunResult:
    """Write the run as a hive-partitioned Parquet dataset under ``out`` (``<table>/date=D/<SYM>.parquet``;
    the session-wide tables under ``<table>/date=D/@session.parquet``).

    ``workers`` threads take partitions largest first (expected prints, so the run does not end on one
    big partition) and encode each row group as soon as it is full. The last ``workers`` partitions
    hand their row groups to as many encoder threads instead and go on generating, so the cores that
    run out of partitions encode for the ones still generating (both release the GIL). The bytes do
    not depend on ``workers`` or on the order. Finished partitions of an interrupted run are kept.
    """
    from .sinks import ParquetDatasetSink

    workers = default_workers() if workers is None else workers
    if isinstance(workers, bool) or not isinstance(workers, int) or workers < 1:
        raise ConfigError("workers", workers, "an integer >= 1")
    t0 = time.perf_counter()
    p = plan(m)
    sink = ParquetDatasetSink(out, m.tables, overwrite=overwrite)
    sink.begin(m.canonical_json(), m.content_hash())
    parts = [part for part in p.partitions if sink.tables_of(part.symbol)]
    todo = sorted((part for part in parts if not sink.is_done(part.date, part.symbol)),
                  key=lambda part: -_expected_size(p, part))
    res = RunResult(rows=dict.fromkeys(m.tables, 0), partitions_skipped=len(parts) - len(todo))
    overlap_from = len(todo) - workers if _OVERLAP is None else _OVERLAP

    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="fastsynth-encode") as encoder:

        def work(i: int) -> dict[str, int]:
            part = todo[i]
            counts: dict[str, int] = {}

            def counted():
                for t, b in iter_partition(p, part, sink.tables_of(part.symbol)):
                    counts[t] = counts.get(t, 0) + b.num_rows
                    yield t, b

            sink.write_partition(part.date, part.symbol, counted(),
                                 encoder=encoder if i >= overlap_from else None)
            return counts

        with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="fastsynth-generate") as ex:
            for part, counts in zip(todo, ex.map(work, range(len(todo)))):
                res.partitions_written += 1
                for t, n in counts.items():
                    res.rows[t] = res.rows.get(t, 0) + n
                if on_partition is not None:
                    on_partition(part, counts)
    res.seconds = time.perf_counter() - t0
    sink.finish({"manifest_hash": m.content_hash(), "rows_this_run": res.rows,
                 "partitions": len(parts)})
    return res


_OVERLAP: int | None = None   # experiments only: first partition index that overlaps encoding


def _expected_size(p, part: Partition) -> float:
    """Expected prints of a partition (for largest-first scheduling; 0 for session-wide parts)."""
    if part.is_session:
        return 0.0
    from .equities import equity_params

    return equity_params(p.specs[part.symbol], p.manifest.mode).prints_per_day


def run_to_stream(m: Manifest, out: str | Path, *, overwrite: bool = False, batch_rows: int = 65_536) -> RunResult:
    """Write the run as Arrow IPC streams or NDJSON (``m.format``) to ``out`` (a directory, or ``-``)."""
    from .sinks import write_ipc, write_ndjson

    t0 = time.perf_counter()
    items = stream(m, batch_rows=batch_rows)
    writer = write_ipc if m.format == "ipc" else write_ndjson
    rows = writer(items, out, m.tables, overwrite=overwrite)
    return RunResult(rows=dict(rows), seconds=time.perf_counter() - t0)
