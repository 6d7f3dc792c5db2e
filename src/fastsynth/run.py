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
    the session-wide tables under ``<table>/date=D/_session.parquet``).

    ``workers`` threads generate partitions and as many more encode their row groups to Parquet while
    generation goes on (both release the GIL), so every core stays busy to the last partition. The
    bytes do not depend on ``workers``. Finished partitions of an interrupted run are kept and skipped.
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
    todo = [part for part in parts if not sink.is_done(part.date, part.symbol)]
    res = RunResult(rows=dict.fromkeys(m.tables, 0), partitions_skipped=len(parts) - len(todo))

    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="fastsynth-encode") as encoder:

        def work(part: Partition) -> dict[str, int]:
            counts: dict[str, int] = {}

            def counted():
                for t, b in iter_partition(p, part, sink.tables_of(part.symbol)):
                    counts[t] = counts.get(t, 0) + b.num_rows
                    yield t, b

            sink.write_partition(part.date, part.symbol, counted(), encoder=encoder)
            return counts

        with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="fastsynth-generate") as ex:
            for part, counts in zip(todo, ex.map(work, todo)):
                res.partitions_written += 1
                for t, n in counts.items():
                    res.rows[t] = res.rows.get(t, 0) + n
                if on_partition is not None:
                    on_partition(part, counts)
    res.seconds = time.perf_counter() - t0
    sink.finish({"manifest_hash": m.content_hash(), "rows_this_run": res.rows,
                 "partitions": len(parts)})
    return res


def run_to_stream(m: Manifest, out: str | Path, *, overwrite: bool = False, batch_rows: int = 65_536) -> RunResult:
    """Write the run as Arrow IPC streams or NDJSON (``m.format``) to ``out`` (a directory, or ``-``)."""
    from .sinks import write_ipc, write_ndjson

    t0 = time.perf_counter()
    items = stream(m, batch_rows=batch_rows)
    writer = write_ipc if m.format == "ipc" else write_ndjson
    rows = writer(items, out, m.tables, overwrite=overwrite)
    return RunResult(rows=dict(rows), seconds=time.perf_counter() - t0)
