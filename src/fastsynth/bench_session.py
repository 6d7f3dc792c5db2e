"""The issue-3 Parquet case: a full default session (``fastsynth generate --out DIR`` on defaults: seed 0,
the default 35-name universe, one session, every default table, ~47 M rows) written to zstd Parquet on
both cores, beside encoding the same batches alone.

    python -m fastsynth.bench_session [--rounds 3] [--json]
    python -m fastsynth.bench_session --both-cores [--rounds 5]   # only fastsynth bench's "both cores" group

Too long for ``fastsynth bench``'s rounds budget (one end-to-end round is ~15 s on a quiet machine, and
the pre-generated batches of the encode-only case hold ~2.6 GB), so it is its own command; the method is
``fastsynth bench``'s Parquet group (``bench.bench_parquet``): the cases run round-robin, rotating which
goes first; rows are exact and identical in every round; "rows per CPU-s" (CPU of this process, all
threads) is the figure that a shared machine's load disturbs least. Target (issue 3): end to end
>= 6 M rows/s.
"""
from __future__ import annotations

import argparse
import json
import shutil
import statistics
import tempfile
from pathlib import Path
from typing import Any

from .bench import _load, _row, format_table, parquet_cases, per_cpu_note

SESSION_TARGET = 6e6


def bench_session(rounds: int = 3, tmp: Path | None = None, symbols: list[str] | None = None,
                  seed: int = 0) -> list[dict[str, Any]]:
    """Rows for the default session (``symbols`` None; ``seed`` 0 = the CLI's default) end to end and
    encode only, ``rounds`` rounds each (``bench.parquet_cases``)."""
    from .manifest import Manifest
    from .run import run_to_parquet

    own = tmp is None
    tmp = Path(tempfile.mkdtemp(prefix="fastsynth-bench-session-")) if own else tmp
    try:
        m = Manifest(seed=seed) if symbols is None else Manifest(seed=seed, symbols=symbols)
        run_to_parquet(Manifest(seed=seed, symbols=["IBM"]), tmp / "warm", overwrite=True, workers=2)  # kernels
        r, cpu, n_rows = parquet_cases(m, tmp, rounds)
    finally:
        if own:
            shutil.rmtree(tmp, ignore_errors=True)

    names = "default universe" if symbols is None else ",".join(symbols)
    g = (f"both cores (2 threads), {len(m.selected())} symbols ({names}) one session, seed {seed}, default tables, "
         "zstd Parquet")
    e_med = statistics.median(r["e2e"])
    return [
        _row(g, "encode only: ParquetDatasetSink, pre-generated batches", r["encode"], rows=n_rows,
             note="the ceiling of the Parquet path; " + per_cpu_note(n_rows, cpu["encode"])),
        _row(g, "end to end: run_to_parquet(workers=2)", r["e2e"], rows=n_rows, ceiling="encode only",
             ceiling_values=r["encode"], target=f">= {SESSION_TARGET / 1e6:.0f} M rows/s",
             ok=e_med >= SESSION_TARGET, note=per_cpu_note(n_rows, cpu["e2e"])),
    ]


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(prog="python -m fastsynth.bench_session", description=__doc__.split("\n\n")[0])
    ap.add_argument("--rounds", type=int, default=3, help="interleaved rounds of each case (default 3)")
    ap.add_argument("--symbols", default=None, help="comma-separated symbols instead of the default universe")
    ap.add_argument("--seed", type=int, default=0, help="manifest seed (default 0, as fastsynth generate)")
    ap.add_argument("--json", action="store_true", help="print the result rows as JSON")
    ap.add_argument("--both-cores", action="store_true",
                    help="run only fastsynth bench's 'both cores' Parquet group (issue 2: 5 symbols, >= 8 M rows/s)")
    a = ap.parse_args(argv)
    if a.rounds < 1:
        ap.error("--rounds must be >= 1")
    load0 = _load()
    if a.both_cores:
        from .bench import bench_parquet

        with tempfile.TemporaryDirectory(prefix="fastsynth-bench-both-") as d:
            rows = bench_parquet(a.rounds, False, Path(d))
    else:
        rows = bench_session(a.rounds, symbols=a.symbols.split(",") if a.symbols else None, seed=a.seed)
    rows = [{**r, "load": [load0, _load()]} for r in rows]
    print(json.dumps(rows, indent=2) if a.json else format_table(rows))


if __name__ == "__main__":
    main()
