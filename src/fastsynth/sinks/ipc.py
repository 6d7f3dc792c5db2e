"""Arrow IPC *stream* sink for the whole run (not partitioned).

``out="-"`` writes one table's stream to standard output (a stream carries exactly one schema);
a directory writes ``out/<table>.arrows`` per table, each to a temp name renamed at the end, so a
file under its final name is always a complete stream. Read back with ``pa.ipc.open_stream``.

Example::

    write_ipc(engine.stream(), "-", ["equity_trades"])          # fastsynth ... | consumer
    write_ipc(engine.stream(), "out", ["equity_trades", "bars_1m"])
"""
from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path

import pyarrow as pa

from .. import schemas
from ..errors import ConfigError
from ._atomic import (check_tables, committed_files, ensure_dir, is_stdout, refuse_existing, silence_stdout,
                      stdout_binary)
from ._rundir import StreamRunDir

__all__ = ["IpcSink", "write_ipc", "SUFFIX"]

SUFFIX = ".arrows"  # the registered extension for the IPC stream format


class IpcSink:
    """Arrow IPC stream writer; the constructor checks ``out`` so errors come before any generation.

    ``out``: ``"-"`` for stdout (exactly one table, else ConfigError on field ``tables``) or a
    directory (created; an existing ``<table>.arrows`` raises OutputError unless ``overwrite``).
    ``fsync``: flush files to disk before the final rename. ``run``: ``(manifest_json, manifest_hash)``
    of the run (what ``fastsynth generate`` passes): the directory then gets the Parquet dataset's
    contract — ``_fastsynth_manifest.json`` first, ``_SUCCESS`` last, another run refused unless
    ``overwrite`` (which removes that run's files), this run finished -> :attr:`already_complete`
    (see ``sinks/_rundir.py``).
    """

    def __init__(self, out: str | Path, tables: Sequence[str], *, overwrite: bool = False,
                 fsync: bool = False, run: tuple[bytes, str] | None = None) -> None:
        self.tables: tuple[str, ...] = check_tables(tables)
        self.fsync = fsync
        self.finals: dict[str, Path] = {}  # table -> final file; empty when writing to stdout
        self.out_dir: Path | None = None
        self.rundir: StreamRunDir | None = None
        self.already_complete = False      # ``run`` given and ``out`` holds it finished: nothing to write
        if is_stdout(out):
            if len(self.tables) != 1:
                raise ConfigError("tables", list(self.tables), "exactly one table when --out is '-'",
                                  "stdout carries one table's Arrow IPC stream; write several tables to a "
                                  "directory instead")
        else:
            self.out_dir = ensure_dir(Path(out))
            self.finals = {t: self.out_dir / f"{t}{SUFFIX}" for t in self.tables}
            if run is None:
                refuse_existing(self.finals.values(), overwrite)
            else:
                self.rundir = StreamRunDir(self.out_dir, run[0], run[1], overwrite=overwrite, fsync=fsync)
                self.already_complete = self.rundir.already_complete

    def write(self, items: Iterable[tuple[str, pa.RecordBatch]]) -> dict[str, int]:
        """Consume ``(table, batch)`` pairs in order; returns rows written per table.

        Batches of other tables are ignored. Every table gets a stream (schema only if no rows).
        """
        if not self.finals:
            return _write_stdout(items, self.tables[0])
        rows = dict.fromkeys(self.tables, 0)
        if self.rundir is not None:
            self.rundir.prepare()            # the previous run cleared (--overwrite); this run's manifest first
        with committed_files(self.finals, f"IPC output in {self.out_dir}", fsync=self.fsync) as files:
            # a stream per table up front, so even a table with no rows gets its (schema-only) file
            writers = {t: pa.ipc.new_stream(files[t], schemas.schema(t)) for t in self.tables}
            for table, batch in items:
                w = writers.get(table)
                if w is not None:
                    w.write_batch(batch)
                    rows[table] += batch.num_rows
            for w in writers.values():
                w.close()
        if self.rundir is not None:
            self.rundir.finish(rows)         # _SUCCESS last: the run is finished
        return rows


def _write_stdout(items: Iterable[tuple[str, pa.RecordBatch]], table: str) -> dict[str, int]:
    rows = 0
    out = stdout_binary()
    try:
        w = pa.ipc.new_stream(out, schemas.schema(table))
        for t, batch in items:
            if t == table:
                w.write_batch(batch)
                rows += batch.num_rows
        w.close()
        out.flush()
    except BrokenPipeError:
        silence_stdout()  # reader went away (`| head`): stop quietly, like other Unix tools
    return {table: rows}


def write_ipc(items: Iterable[tuple[str, pa.RecordBatch]], out: str | Path, tables: Sequence[str], *,
              overwrite: bool = False, fsync: bool = False, run: tuple[bytes, str] | None = None) -> dict[str, int]:
    """Write the run as Arrow IPC streams (see :class:`IpcSink`); returns rows per table."""
    return IpcSink(out, tables, overwrite=overwrite, fsync=fsync, run=run).write(items)
