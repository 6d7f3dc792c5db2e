"""Newline-delimited JSON sink for the whole run: one object per row, keys in schema order.

Values: timestamps as integer ns since the epoch UTC (``"ts_event": 1772461800001701248``), dictionary
columns as their strings (``"venue": "XNAS"``), floats as the shortest repr that round-trips
(``101.23``, never ``101.23000000000001``), unsigned sizes as integers.

Timestamps are int64 nanoseconds written as plain JSON integers: exact in the text, the same numbers as
the Parquet/Arrow ``timestamp[ns, tz=UTC]`` columns. They are above 2**53, so a reader must parse them as
64-bit integers, not doubles: Python's ``json``, msgspec, polars (``read_ndjson`` gives Int64), DuckDB
(BIGINT), pyarrow.json and ``jq`` >= 1.7 do; JavaScript's ``JSON.parse`` (and anything that turns every
number into a double) rounds them to ~256 ns — use a BigInt-aware parser there, or the IPC/Parquet output.

``out="-"`` writes to stdout; with several tables every object starts with ``"table"``::

    {"table":"bars_1m","ts_event":1772461800000000000,"symbol":"AAPL","open":101.23,...}

A directory gets ``out/<table>.ndjson`` per table (temp name, renamed at the end).
"""
from __future__ import annotations

from collections.abc import Iterable, Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any

import msgspec
import numpy as np
import pyarrow as pa

from ._atomic import (check_tables, committed_files, ensure_dir, is_stdout, refuse_existing, silence_stdout,
                      stdout_binary)
from ._rundir import StreamRunDir

__all__ = ["NdjsonSink", "write_ndjson", "encode_batch", "SUFFIX"]

SUFFIX = ".ndjson"
_CHUNK_ROWS = 65536  # encode in slices so one huge batch does not hold ~170 bytes/row of JSON at once
_ENCODER = msgspec.json.Encoder()


@lru_cache(maxsize=64)
def _row_type(names: tuple[str, ...], table: str | None) -> type[msgspec.Struct]:
    """A Struct per (columns, tag): msgspec encodes Structs ~5x faster than dicts, and a tagged
    Struct writes its tag first — exactly the leading ``"table"`` key. gc=False: rows hold only
    scalars, so the cycle collector need not track millions of them."""
    if table is None:
        return msgspec.defstruct("Row", list(names), gc=False)
    return msgspec.defstruct("Row", list(names), tag_field="table", tag=table, gc=False)


def _column(col: pa.Array) -> list[Any]:
    """One column as a Python list of JSON-ready scalars, converted in bulk (numpy ``tolist``)."""
    t = col.type
    if pa.types.is_timestamp(t):
        col = col.cast(pa.int64())  # zero-copy: same buffer, ns since epoch
    if col.null_count:
        return col.to_pylist()  # rare path: the schemas are non-nullable
    if pa.types.is_dictionary(t):
        values = np.array(col.dictionary.to_pylist(), dtype=object)
        return values[col.indices.to_numpy()].tolist()
    if pa.types.is_integer(col.type) or pa.types.is_floating(col.type) or pa.types.is_boolean(col.type):
        return col.to_numpy(zero_copy_only=False).tolist()
    return col.to_pylist()


def encode_batch(batch: pa.RecordBatch, table: str | None = None) -> bytes:
    """NDJSON bytes (one line per row, each ending in ``\\n``) for ``batch``; with ``table`` every
    object starts with ``"table": table``. Example: ``encode_batch(b)`` -> ``b'{"ts_event":...}\\n'``."""
    row = _row_type(tuple(batch.schema.names), table)
    parts = []
    for start in range(0, batch.num_rows, _CHUNK_ROWS):
        chunk = batch.slice(start, _CHUNK_ROWS)
        parts.append(_ENCODER.encode_lines(list(map(row, *(_column(c) for c in chunk.columns)))))
    return b"".join(parts)


class NdjsonSink:
    """NDJSON writer; the constructor checks ``out`` so errors come before any generation.

    ``out``: ``"-"`` for stdout (any number of tables; with more than one, rows carry a leading
    ``"table"`` key) or a directory (``<table>.ndjson`` each; existing files raise OutputError
    unless ``overwrite``). ``fsync``: flush files to disk before the final rename. ``run``:
    ``(manifest_json, manifest_hash)`` of the run (what ``fastsynth generate`` passes): the directory
    then gets the Parquet dataset's contract — ``_fastsynth_manifest.json`` first, ``_SUCCESS`` last,
    another run refused unless ``overwrite`` (which removes that run's files), this run finished ->
    :attr:`already_complete` (see ``sinks/_rundir.py``).
    """

    def __init__(self, out: str | Path, tables: Sequence[str], *, overwrite: bool = False,
                 fsync: bool = False, run: tuple[bytes, str] | None = None) -> None:
        self.tables: tuple[str, ...] = check_tables(tables)
        self.fsync = fsync
        self.finals: dict[str, Path] = {}  # table -> final file; empty when writing to stdout
        self.out_dir: Path | None = None
        self.rundir: StreamRunDir | None = None
        self.already_complete = False      # ``run`` given and ``out`` holds it finished: nothing to write
        if not is_stdout(out):
            self.out_dir = ensure_dir(Path(out))
            self.finals = {t: self.out_dir / f"{t}{SUFFIX}" for t in self.tables}
            if run is None:
                refuse_existing(self.finals.values(), overwrite)
            else:
                self.rundir = StreamRunDir(self.out_dir, run[0], run[1], overwrite=overwrite, fsync=fsync)
                self.already_complete = self.rundir.already_complete

    def write(self, items: Iterable[tuple[str, pa.RecordBatch]]) -> dict[str, int]:
        """Consume ``(table, batch)`` pairs in order; returns rows written per table (others ignored)."""
        rows = dict.fromkeys(self.tables, 0)
        if not self.finals:
            tagged = len(self.tables) > 1
            out = stdout_binary()
            try:
                for table, batch in items:
                    if table in rows:
                        out.write(encode_batch(batch, table if tagged else None))
                        rows[table] += batch.num_rows
                out.flush()
            except BrokenPipeError:
                silence_stdout()  # reader went away (`| head`): stop quietly
            return rows
        if self.rundir is not None:
            self.rundir.prepare()            # the previous run cleared (--overwrite); this run's manifest first
        with committed_files(self.finals, f"NDJSON output in {self.out_dir}", fsync=self.fsync) as files:
            for table, batch in items:
                f = files.get(table)
                if f is not None:
                    f.write(encode_batch(batch))
                    rows[table] += batch.num_rows
        if self.rundir is not None:
            self.rundir.finish(rows)         # _SUCCESS last: the run is finished
        return rows


def write_ndjson(items: Iterable[tuple[str, pa.RecordBatch]], out: str | Path, tables: Sequence[str],
                 overwrite: bool = False, *, fsync: bool = False,
                 run: tuple[bytes, str] | None = None) -> dict[str, int]:
    """Write the run as NDJSON (see :class:`NdjsonSink`); returns rows per table."""
    return NdjsonSink(out, tables, overwrite=overwrite, fsync=fsync, run=run).write(items)
