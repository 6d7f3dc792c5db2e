"""Hive-partitioned Parquet dataset sink: ``root/<table>/date=YYYY-MM-DD/<part>.parquet``.

One file per (table, session date, part) — ``part`` is normally the symbol. The ``date`` column lives
only in the path, so pyarrow.dataset (``partitioning="hive"``), ``polars.scan_parquet(...,
hive_partitioning=True)`` and duckdb ``read_parquet('root/equity_trades/*/*.parquet',
hive_partitioning=true)`` all add it on read.

Lifecycle::

    sink = ParquetDatasetSink("data", ["equity_trades", "bars_1m"])
    sink.begin(manifest_json, manifest_hash)        # fresh start, resume, or refuse
    for date, sym in partitions:                     # may run on several threads
        if not sink.is_done(date, sym):
            sink.write_partition(date, sym, engine.partition(date, sym))
    sink.finish({"rows": {...}})                     # writes _SUCCESS

Bookkeeping files in ``root``: ``_fastsynth_manifest.json`` (``{"manifest_hash": ..., "manifest":
<the canonical manifest JSON, verbatim>}``) marks the directory as ours and identifies the run;
``_SUCCESS`` (JSON summary) marks it complete. A run interrupted before ``finish`` is resumed by
``begin`` with the same manifest hash: finished partitions are kept, everything else is rewritten.
"""
from __future__ import annotations

import contextlib
import datetime as _dt
import os
import re
import shutil
import threading
from collections.abc import Iterable, Mapping, Sequence
from concurrent.futures import Executor, Future
from pathlib import Path
from typing import Any, Literal

import msgspec
import pyarrow as pa
import pyarrow.parquet as pq

from .. import schemas
from ..errors import ConfigError, OutputError
from ._atomic import (as_output_error, atomic_write_bytes, check_tables, commit, discard, ensure_dir,
                      is_temp_name, temp_owner_alive, temp_path)

__all__ = ["ParquetDatasetSink", "PartitionWriter", "read_manifest", "part_tables", "MANIFEST_NAME", "SUCCESS_NAME", "ROW_GROUP_ROWS",
           "SESSION_PART"]

MANIFEST_NAME = "_fastsynth_manifest.json"
SESSION_PART = "@session"   # = engine.SESSION_PART: the part holding a session's session-wide tables
SUCCESS_NAME = "_SUCCESS"

# Rows per Parquet row group. Measured on one session of AAPL trades + quotes (zstd, the encodings of
# _writer_options, one core): 256Ki..1Mi rows write at the same ~9.5 M rows/s and size, 64Ki ~15% slower.
# 256Ki lets a partition's encoding start (on the encoder threads) while it is still being generated,
# and keeps each in-flight row group ~15 MB.
ROW_GROUP_ROWS = 1 << 18

_COMPRESSIONS = ("zstd", "snappy", "lz4", "gzip", "brotli", "none")
_DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_DATE_DIR_RE = re.compile(r"^date=\d{4}-\d{2}-\d{2}$")
_BAD_PART_CHARS = re.compile(r"[/\\\x00]")


class _ManifestFile(msgspec.Struct):
    manifest_hash: str
    manifest: msgspec.Raw  # kept byte-for-byte so the canonical JSON (and its hash) survive


def read_manifest(root: str | Path) -> tuple[str, bytes]:
    """``(manifest_hash, manifest_json)`` stored in ``root/_fastsynth_manifest.json``.

    Raises OutputError if the file is missing or not a fastsynth manifest.
    """
    path = Path(root).expanduser() / MANIFEST_NAME
    try:
        m = msgspec.json.decode(path.read_bytes(), type=_ManifestFile)
    except OSError as e:
        raise OutputError(f"cannot read {path}: {e.strerror or e}") from None
    except msgspec.DecodeError as e:
        raise OutputError(f"{path} is not a fastsynth manifest: {e}") from None
    return m.manifest_hash, bytes(m.manifest)


_PLAIN_FLOAT_TABLES = frozenset({"equity_trades", "equity_quotes", "bars_1m"})
_MULTI_INSTRUMENT_TABLES = frozenset({"option_quotes", "option_trades"})   # hundreds of contracts interleaved
_UNIQUE_FLOATS = frozenset({"iv", "delta"})                                # ~one distinct value per row
_UNIQUE_INTS = frozenset({"trade_id", "nbbo_age_ns", "underlying_age_ns"})  # ditto, integers
_RAW_DICT = frozenset({"instrument_id", "bid_sz", "ask_sz", "size"})        # + floats of option tables


def _writer_options(schema: pa.Schema, compression: str = "zstd") -> dict[str, Any]:
    """Per-column encodings, codecs and statistics. Each choice measured (encode CPU of one core and file
    size; `docs/architecture.md` "Parquet writer settings", benchmarks/README.md "Parquet encoding"):

    * timestamps and ``sequence`` (monotone integers): DELTA_BINARY_PACKED (~2x faster to write and
      ~30% smaller than dictionary; ``sequence`` packs to nothing), uncompressed: zstd on the bit-packed
      deltas saved 0-5% of an equity file for ~8% of its write time. Except ``ts_event`` of the option
      tables: many contracts re-quote at one timestamp, and zstd halves that column (2.1 -> 0.9 B/row,
      -9% of an option_quotes file) for ~4 ns/row;
    * floating-point columns of the one-instrument time series (``_PLAIN_FLOAT_TABLES``: equity prices
      on a tick grid, moving slowly): PLAIN + ``compression``, ~30% faster than dictionary and as small
      (BYTE_STREAM_SPLIT was slower and twice the size);
    * option tables (``_MULTI_INSTRUMENT_TABLES``: hundreds of contracts interleaved): prices, contract
      ids and sizes dictionary-encoded but uncompressed: zstd took ~4-5 ns/row per column and saved 0-10%
      of it (the RLE/bit-packed indices of interleaved contracts are already near their entropy);
      near-unique values (``iv``, ``delta``: PLAIN; ``trade_id`` and the ages: DELTA_BINARY_PACKED),
      uncompressed: dictionary encoding overflowed on them and cost 60-100 ns/row each (7x the plain
      write) for a larger file;
    * everything else (codes, symbols, equity sizes): dictionary + ``compression``;
    * statistics (min/max) only for ``ts_event``: time-range filters still skip row groups; the other
      columns' statistics cost ~15% of the write time (``symbol``'s alone ~2%, and a file holds one
      symbol, named by the file).
    """
    table = (schema.metadata or {}).get(b"table", b"").decode()
    multi = table in _MULTI_INSTRUMENT_TABLES
    codec: dict[str, str] = {}
    encoding: dict[str, str] = {}
    dictionary: list[str] = []
    for f in schema:
        n, t = f.name, f.type
        if pa.types.is_timestamp(t) or (n == "sequence" and pa.types.is_integer(t)):
            encoding[n] = "DELTA_BINARY_PACKED"
            codec[n] = compression if (multi and n == "ts_event") else "none"
        elif multi and n in _UNIQUE_INTS and pa.types.is_integer(t):
            encoding[n], codec[n] = "DELTA_BINARY_PACKED", "none"
        elif multi and n in _UNIQUE_FLOATS:
            encoding[n], codec[n] = "PLAIN", "none"
        elif pa.types.is_floating(t) and table in _PLAIN_FLOAT_TABLES:
            encoding[n], codec[n] = "PLAIN", compression
        else:
            dictionary.append(n)
            raw = multi and (n in _RAW_DICT or pa.types.is_floating(t))
            codec[n] = "none" if raw else compression
    return {
        "compression": codec,
        "use_dictionary": dictionary,
        "column_encoding": encoding,
        "write_statistics": [n for n in ("ts_event",) if n in schema.names],
    }


def part_tables(tables: Sequence[str], part: str) -> tuple[str, ...]:
    """The tables one partition writes: the session-wide tables (``schemas.SESSION_TABLES``) for the
    session part ``"@session"``, every other table for a symbol part."""
    session = part == SESSION_PART
    return tuple(t for t in tables if (t in schemas.SESSION_TABLES) == session)


def _check_date(date: str) -> None:
    ok = isinstance(date, str) and _DATE_RE.match(date) is not None
    if ok:
        try:
            _dt.date.fromisoformat(date)
        except ValueError:
            ok = False
    if not ok:
        raise ConfigError("date", date, "a session date as YYYY-MM-DD")


def _check_part(part: str) -> None:
    if (not isinstance(part, str) or not part or part.startswith(".")
            or _BAD_PART_CHARS.search(part) is not None):
        raise ConfigError("part", part, "a file-name-safe partition name (no '/' or '\\', not starting with '.')")


def _entries(path: str | Path) -> list[os.DirEntry[str]]:
    """Directory entries, with the scandir handle closed promptly (avoids ResourceWarning)."""
    with os.scandir(path) as it:
        return list(it)


def _listing(names: Sequence[str], limit: int = 3) -> str:
    shown = ", ".join(names[:limit])
    return shown + (f" and {len(names) - limit} more" if len(names) > limit else "")


class ParquetDatasetSink:
    """Writes each (date, part) partition as one Parquet file per table, atomically.

    ``tables``: the tables this run produces (every one gets a file per partition, empty if the
    engine yields no rows for it). ``compression``: Parquet codec (zstd default). ``overwrite``:
    allow ``begin`` to delete a previous fastsynth run in ``root`` (never other files).
    ``fsync``: flush files and directories to disk before renaming (slower; for crash safety
    against power loss rather than just process death). ``row_group_rows``: rows per row group.

    ``write_partition`` is safe to call from several threads for *different* partitions.
    """

    def __init__(self, root: str | Path, tables: Sequence[str], *, compression: str = "zstd",
                 overwrite: bool = False, fsync: bool = False, row_group_rows: int = ROW_GROUP_ROWS) -> None:
        self.root = Path(root).expanduser()
        self.tables: tuple[str, ...] = check_tables(tables)
        if compression not in _COMPRESSIONS:
            raise ConfigError("compression", compression, ", ".join(_COMPRESSIONS))
        if not (isinstance(row_group_rows, int) and row_group_rows >= 1):
            raise ConfigError("row_group_rows", row_group_rows, "an integer >= 1")
        self.compression = compression
        self.overwrite = overwrite
        self.fsync = fsync
        self.row_group_rows = row_group_rows
        self._schemas = {t: schemas.schema(t) for t in self.tables}
        self._options = {t: _writer_options(s, compression) for t, s in self._schemas.items()}
        self._manifest_hash: str | None = None
        self._file_schemas: dict[str, pa.Schema] = {}
        self._lock = threading.Lock()
        self._rows = dict.fromkeys(self.tables, 0)

    # --- run lifecycle ---------------------------------------------------------------------------

    def begin(self, manifest_json: bytes, manifest_hash: str) -> Literal["fresh", "resume"]:
        """Prepare ``root`` for the run identified by ``manifest_hash``.

        Returns ``"resume"`` when ``root`` holds the same run, interrupted (finished partitions are
        kept; :meth:`is_done` reports them), else ``"fresh"``. Raises OutputError if ``root`` is
        unwritable, already holds this run complete, holds another run or foreign files (the last
        even with ``overwrite``: only files fastsynth wrote are ever deleted).
        """
        if not isinstance(manifest_hash, str) or not manifest_hash:
            raise ValueError("manifest_hash must be a non-empty str")
        manifest_json = bytes(manifest_json)
        msgspec.json.decode(manifest_json)  # must be valid JSON: it is embedded verbatim below
        root = ensure_dir(self.root)
        state = self._inspect(manifest_hash)
        if state == "resume" and not self.overwrite:
            self._remove_temps()  # leftovers of the interrupted process
            self._set_run(manifest_hash)
            return "resume"
        if state != "empty":
            self._clear(state, manifest_hash)
        body = msgspec.json.encode(_ManifestFile(manifest_hash, msgspec.Raw(manifest_json))) + b"\n"
        atomic_write_bytes(root / MANIFEST_NAME, body, fsync=self.fsync)
        self._set_run(manifest_hash)
        return "fresh"

    def holds_complete_run(self, manifest_hash: str) -> bool:
        """True when ``root`` already holds the run ``manifest_hash``, finished (``_SUCCESS`` present);
        reads only the manifest and marker files."""
        return self.root.is_dir() and self._inspect(manifest_hash) == "complete"

    def _set_run(self, manifest_hash: str) -> None:
        self._manifest_hash = manifest_hash
        # Each file records the run it belongs to (provenance when files are copied elsewhere).
        self._file_schemas = {t: s.with_metadata({**(s.metadata or {}), b"fastsynth_manifest_hash":
                                                  manifest_hash.encode()}) for t, s in self._schemas.items()}

    def _inspect(self, manifest_hash: str) -> str:
        """Classify ``root``: empty, resume, complete, other-run:<hash>, unreadable-manifest, foreign."""
        if not _entries(self.root):
            return "empty"
        mpath = self.root / MANIFEST_NAME
        if not mpath.is_file():
            return "foreign"
        try:
            old_hash, _ = read_manifest(self.root)
        except OutputError:
            return "unreadable-manifest"
        if old_hash != manifest_hash:
            return f"other-run:{old_hash}"
        return "complete" if (self.root / SUCCESS_NAME).exists() else "resume"

    def _clear(self, state: str, manifest_hash: str) -> None:
        """Refuse (OutputError) or, with ``overwrite``, delete the previous fastsynth output."""
        root = self.root
        foreign = self._foreign_entries()
        if not self.overwrite:
            if state == "complete":
                msg = f"{root} already holds this run (complete); pass --overwrite to regenerate"
            elif state.startswith("other-run:"):
                old = state.split(":", 1)[1]
                msg = (f"{root} holds a different fastsynth run (manifest {old[:12]}, this run "
                       f"{manifest_hash[:12]}); pass --overwrite to replace it or choose another --out")
            elif state == "unreadable-manifest":
                msg = (f"{root} holds an unreadable {MANIFEST_NAME}; pass --overwrite to replace "
                       f"that run or choose another --out")
            elif foreign:
                msg = (f"{root} is not empty and was not written by fastsynth (found {_listing(foreign)}); "
                       f"choose another --out")
            else:
                msg = (f"{root} holds fastsynth output without {MANIFEST_NAME}; pass --overwrite to "
                       f"replace it or choose another --out")
            raise OutputError(msg)
        if foreign:
            raise OutputError(f"{root} holds files fastsynth did not write ({_listing(foreign)}); refusing "
                              f"to delete them even with --overwrite; choose another --out or remove them")
        # _SUCCESS first, manifest last: an interrupted overwrite never looks complete, and never
        # looks like anything but a fastsynth directory.
        with contextlib.suppress(FileNotFoundError):
            (root / SUCCESS_NAME).unlink()
        for entry in _entries(root):
            if entry.name in schemas.TABLES and entry.is_dir(follow_symlinks=False):
                shutil.rmtree(entry.path)
            elif is_temp_name(entry.name):
                discard([Path(entry.path)])
        with contextlib.suppress(FileNotFoundError):
            (root / MANIFEST_NAME).unlink()

    def _foreign_entries(self) -> list[str]:
        """Paths (relative to root) that fastsynth would not have written; sorted, dirs end in '/'."""
        out: list[str] = []

        def rel(entry: os.DirEntry[str]) -> str:
            r = os.path.relpath(entry.path, self.root)
            return r + "/" if entry.is_dir(follow_symlinks=False) else r

        for e in _entries(self.root):
            if e.is_file(follow_symlinks=False) and (e.name in (MANIFEST_NAME, SUCCESS_NAME) or is_temp_name(e.name)):
                continue
            if e.name in schemas.TABLES and e.is_dir(follow_symlinks=False):
                for d in _entries(e.path):
                    if not (_DATE_DIR_RE.match(d.name) and d.is_dir(follow_symlinks=False)):
                        out.append(rel(d))
                        continue
                    for f in _entries(d.path):
                        if not (f.is_file(follow_symlinks=False)
                                and (f.name.endswith(".parquet") or is_temp_name(f.name))):
                            out.append(rel(f))
                continue
            out.append(rel(e))
        return sorted(out)

    def _remove_temps(self) -> None:
        """Delete temp files left by dead processes (a live one may still be writing them)."""
        found = [p for t in self.tables for p in (self.root / t).glob("date=*/.*")] + list(self.root.glob(".*"))
        discard(p for p in found if is_temp_name(p.name) and not temp_owner_alive(p.name))

    def finish(self, summary: Mapping[str, Any] | None = None) -> None:
        """Mark the run complete: write ``_SUCCESS`` = ``{"manifest_hash": ..., **summary}`` atomically.

        ``summary`` is JSON-encodable run info (e.g. rows per table); numpy scalars are accepted.
        """
        self._require_begun()
        body = {"manifest_hash": self._manifest_hash, **(summary or {})}
        data = msgspec.json.format(msgspec.json.encode(body, enc_hook=_enc_hook), indent=2) + b"\n"
        atomic_write_bytes(self.root / SUCCESS_NAME, data, fsync=self.fsync)

    # --- partitions ------------------------------------------------------------------------------

    def path(self, table: str, date: str, part: str) -> Path:
        """Final file of one table's partition: ``root/<table>/date=<date>/<part>.parquet``."""
        return self.root / table / f"date={date}" / f"{part}.parquet"

    def tables_of(self, part: str) -> tuple[str, ...]:
        """The tables partition ``part`` writes (see :func:`part_tables`): a ``"@session"`` part writes
        only the session-wide tables, a symbol part every other table."""
        return part_tables(self.tables, part)

    def is_done(self, date: str, part: str) -> bool:
        """True if every table's final file for partition (date, part) exists (written completely)."""
        return all(self.path(t, date, part).is_file() for t in self.tables_of(part))

    def completed_partitions(self) -> list[tuple[str, str]]:
        """Sorted ``(date, part)`` pairs for which every table of the part (:meth:`tables_of`) has its file."""
        found: dict[tuple[str, str], set[str]] = {}
        for t in self.tables:
            for p in (self.root / t).glob("date=*/*.parquet"):
                if not p.name.startswith("."):
                    found.setdefault((p.parent.name[len("date="):], p.name[:-len(".parquet")]), set()).add(t)
        return sorted(k for k, have in found.items() if set(self.tables_of(k[1])) <= have)

    @property
    def rows_written(self) -> dict[str, int]:
        """Rows written per table by this sink object (not counting partitions kept on resume)."""
        with self._lock:
            return dict(self._rows)

    def open_partition(self, date: str, part: str, tables: Sequence[str] | None = None) -> PartitionWriter:
        """A :class:`PartitionWriter` for the files of partition (date, part): every table of the part
        (:meth:`tables_of`), or the subset ``tables`` of them (a part's tables may be written by several
        writers, e.g. its equities and its options on different threads; the part is done when all are)."""
        self._require_begun()
        _check_date(date)
        _check_part(part)
        own = self.tables_of(part)
        if tables is not None:
            bad = [t for t in tables if t not in own]
            if bad:
                raise ConfigError("tables", bad[0], ", ".join(own) or "(none for this part)")
            own = tuple(t for t in own if t in tables)
        return PartitionWriter(self, date, part, own)

    def write_partition(self, date: str, part: str, items: Iterable[tuple[str, pa.RecordBatch]], *,
                        encoder: Executor | None = None) -> dict[str, int]:
        """Stream ``items`` into one Parquet file per table of the part (:meth:`tables_of`), then publish
        them all by rename.

        ``items``: ``(table, batch)`` pairs in any interleaving; batches of other tables are ignored;
        each batch must have exactly ``schemas.schema(table)``'s fields. Tables with no batch get an
        empty file. Rows are cut into row groups of exactly ``row_group_rows`` (the last one shorter),
        so the bytes do not depend on how ``items`` is batched.

        ``encoder``: an executor that encodes the row groups while this thread goes on consuming
        ``items`` (each file's row groups stay in order; at most one in flight per file, so memory
        stays bounded); ``None`` encodes in the calling thread. Same bytes either way.

        Returns rows written per table. On any exception the temp files are removed (no final file of
        this partition is created) and the exception re-raised (an OSError such as a full disk as a
        one-line OutputError).
        """
        w = self.open_partition(date, part)
        pending: dict[str, Future[None]] = {}

        def emit(chunks: list[tuple[str, pa.Table]]) -> None:
            for table, chunk in chunks:
                if encoder is None:
                    w.encode(table, chunk)
                    continue
                prev = pending.pop(table, None)
                if prev is not None:
                    prev.result()           # keeps this file's row groups in order; re-raises its error
                pending[table] = encoder.submit(w.encode, table, chunk)

        try:
            for table, batch in items:
                emit(w.add(table, batch))
            emit(w.flush())
            for t in list(pending):
                pending.pop(t).result()
            return w.commit()
        except BaseException as e:
            for f in pending.values():   # never close a file under a running encode
                with contextlib.suppress(BaseException):
                    f.result()
            w.abort()
            err = w.error(e)
            if err is e:
                raise
            raise err from e

    def _require_begun(self) -> None:
        if self._manifest_hash is None:
            raise RuntimeError("ParquetDatasetSink.begin() must be called first")


class PartitionWriter:
    """The files of one partition's tables (all of a part's tables, or a subset), written in steps that
    may run on different threads: :meth:`add` buffers batches and hands back whole row groups,
    :meth:`encode` writes one row group (a file's row groups in order, one at a time; different files
    in parallel), :meth:`flush` hands back the last short row groups, :meth:`commit` publishes the files
    by rename, :meth:`abort` removes them. Rows are cut into row groups of exactly ``row_group_rows``
    (the last one shorter), so the bytes depend neither on batching nor on which thread encodes."""

    def __init__(self, sink: ParquetDatasetSink, date: str, part: str, tables: tuple[str, ...]) -> None:
        self.sink, self.date, self.part, self.tables = sink, date, part, tables
        self.finals = {t: sink.path(t, date, part) for t in tables}
        self.temps = {t: temp_path(p) for t, p in self.finals.items()}
        self.rows = dict.fromkeys(tables, 0)
        self._writers: dict[str, pq.ParquetWriter] = {}
        self._buffers: dict[str, list[pa.RecordBatch]] = {t: [] for t in tables}
        self._buffered = dict.fromkeys(tables, 0)
        self._dirs_made = False

    def add(self, table: str, batch: pa.RecordBatch) -> list[tuple[str, pa.Table]]:
        """Buffer ``batch`` (ignored if ``table`` is not one of this writer's); returns the row groups
        it completed, ``[(table, chunk)]`` (one chunk = whole row groups), to pass to :meth:`encode`."""
        if table not in self._buffers:
            return []
        schema = self.sink._schemas[table]
        if not batch.schema.equals(schema, check_metadata=False):
            raise ValueError(f"{table} batch for date={self.date} part={self.part} does not match "
                             f"fastsynth.schema({table!r}): got {batch.schema.names}")
        n = batch.num_rows
        if n == 0:
            return []
        self._buffers[table].append(batch)
        self._buffered[table] += n
        self.rows[table] += n
        rg = self.sink.row_group_rows
        if self._buffered[table] < rg:
            return []
        # Each write call ends a row group: hand over whole row groups only.
        tbl = pa.Table.from_batches(self._buffers[table], schema=schema)
        k = (tbl.num_rows // rg) * rg
        rest = tbl.slice(k)
        self._buffers[table] = rest.to_batches() if rest.num_rows else []
        self._buffered[table] = rest.num_rows
        return [(table, tbl.slice(0, k))]

    def flush(self) -> list[tuple[str, pa.Table]]:
        """The buffered rest of every table (its last, short row group), to pass to :meth:`encode`."""
        out = []
        for t in self.tables:
            if self._buffers[t]:
                out.append((t, pa.Table.from_batches(self._buffers[t], schema=self.sink._schemas[t])))
                self._buffers[t], self._buffered[t] = [], 0
        return out

    def _writer(self, table: str) -> pq.ParquetWriter:
        w = self._writers.get(table)
        if w is None:
            if not self._dirs_made:
                for p in self.finals.values():
                    p.parent.mkdir(parents=True, exist_ok=True)  # exist_ok: other threads race on date dirs
                self._dirs_made = True
            w = self._writers[table] = pq.ParquetWriter(self.temps[table], self.sink._file_schemas[table],
                                                        **self.sink._options[table])
        return w

    def encode(self, table: str, chunk: pa.Table) -> None:
        """Write ``chunk`` (from :meth:`add`/:meth:`flush`) as row groups of ``table``'s file; releases
        the GIL while encoding. Not concurrently for one table; in the order the chunks were handed out."""
        self._writer(table).write_table(chunk, row_group_size=self.sink.row_group_rows)

    def commit(self) -> dict[str, int]:
        """Close the files (tables without rows get an empty file) and publish them by rename; returns
        rows per table. Call after every chunk was encoded."""
        for t in self.tables:
            self._writer(t).close()
        commit([(self.temps[t], self.finals[t]) for t in self.tables], fsync=self.sink.fsync)
        with self.sink._lock:
            for t, n in self.rows.items():
                self.sink._rows[t] += n
        return dict(self.rows)

    def abort(self) -> None:
        """Close and delete the temp files (never raises). Not while an :meth:`encode` is running."""
        for w in self._writers.values():
            with contextlib.suppress(Exception):
                w.close()
        self._writers.clear()
        discard(self.temps.values())

    def error(self, e: BaseException) -> BaseException:
        """``e`` as it should surface: an OSError (disk full, permissions) as a one-line OutputError."""
        if isinstance(e, OSError) and not isinstance(e, OutputError):
            return as_output_error(f"partition date={self.date} part={self.part} under {self.sink.root}", e)
        return e


def _enc_hook(obj: Any) -> Any:
    """Let numpy scalars (``np.int64`` row counts...) through msgspec."""
    item = getattr(obj, "item", None)
    if callable(item):
        return item()
    raise NotImplementedError(f"cannot encode {type(obj).__name__} in the _SUCCESS summary")
