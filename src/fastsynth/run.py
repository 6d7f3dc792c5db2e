"""Run a manifest into a sink: the Parquet dataset (partitions in parallel threads, resumable) or a
stream format (IPC / NDJSON, in plan order). This is what ``fastsynth generate`` calls."""
from __future__ import annotations

import contextlib
import os
import sys
import threading
import time
from collections import deque
from collections.abc import Callable
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
    already_complete: bool = False      # ``out`` held this run, finished: nothing was generated


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

    ``workers`` threads share two kinds of work (see :class:`_Pipeline`): generating (a symbol's
    equities and its options are separate tasks, taken largest expected cost first) and encoding the
    row groups the generators hand out (Parquet encoding releases the GIL, as do the kernels). A thread
    encodes when the backlog is large or it has nothing to generate, so neither core idles while any
    work is left and memory stays bounded. The bytes do not depend on ``workers`` or on the order.
    Finished partitions of an interrupted run are kept; when ``out`` already holds this run finished,
    nothing is done (``already_complete``; ``overwrite=True`` regenerates). ``on_partition(part, rows)`` is called (on a
    worker thread, one call at a time) as each partition is published.
    """
    from .sinks import ParquetDatasetSink

    workers = default_workers() if workers is None else workers
    if isinstance(workers, bool) or not isinstance(workers, int) or workers < 1:
        raise ConfigError("workers", workers, "an integer >= 1")
    t0 = time.perf_counter()
    sink = ParquetDatasetSink(out, m.tables, overwrite=overwrite)
    if not overwrite and sink.holds_complete_run(m.content_hash()):
        # the same manifest already finished there: the bytes would be identical, so there is nothing to do
        return RunResult(already_complete=True, seconds=time.perf_counter() - t0)
    from . import _prefetch

    _prefetch.start(m, tuple(m.tables))     # empty Numba cache: options kernels compile in a second process
    try:
        p = plan(m)
        _prefetch.planned()
        sink.begin(m.canonical_json(), m.content_hash())
        parts = [part for part in p.partitions if sink.tables_of(part.symbol)]
        todo = [part for part in parts if not sink.is_done(part.date, part.symbol)]
        res = RunResult(rows=dict.fromkeys(m.tables, 0), partitions_skipped=len(parts) - len(todo))
        tasks = [t for part in todo for t in _tasks(p, part, sink.tables_of(part.symbol))]
        tasks.sort(key=lambda t: -t.cost)   # stable: ties keep plan order

        def published(part: Partition, counts: dict[str, int]) -> None:
            res.partitions_written += 1
            for t, n in counts.items():
                res.rows[t] = res.rows.get(t, 0) + n
            if on_partition is not None:
                on_partition(part, counts)

        with _short_gil_slices(workers):
            _Pipeline(p, sink, tasks, workers, published).run()
    except (Exception, KeyboardInterrupt):
        _prefetch.stop()        # Ctrl-C or an error: the compile helper must not go on alone
        raise
    res.seconds = time.perf_counter() - t0
    sink.finish({"manifest_hash": m.content_hash(), "rows_this_run": res.rows,
                 "partitions": len(parts)})
    return res


@dataclass
class _Task:
    """Generating some of a partition's tables (its equities, or its options, or the session part)."""
    part: Partition
    tables: tuple[str, ...]
    cost: float                 # expected CPU, arbitrary units (only the order matters)
    of: int = 1                 # tasks of this partition


def _tasks(p, part: Partition, tables: tuple[str, ...]) -> list[_Task]:
    """A partition's generation tasks: its equities tables and its option tables apart (independent
    streams of the same plan, so two threads can make one big underlying's session at once); the
    session part is one task. Costs are the expected row counts (``_expected_rows``)."""
    from . import schemas

    if part.is_session:
        return [_Task(part, tables, 0.0)]
    groups = [tuple(t for t in tables if t not in schemas.OPTION_TABLES),
              tuple(t for t in tables if t in schemas.OPTION_TABLES)]
    eq_rows, opt_rows = _expected_rows(p, part)
    out = [_Task(part, g, c) for g, c in zip(groups, (eq_rows, _OPTION_ROW_COST * opt_rows)) if g]
    for t in out:
        t.of = len(out)
    return out


_OPTION_ROW_COST = 1.5      # option quote rows cost ~1.5x an equity row to generate and encode (measured)


def _expected_rows(p, part: Partition) -> tuple[float, float]:
    """Rough expected rows of a symbol partition: equities (~4 rows per expected print: trades + quotes)
    and option quotes (a log-linear fit over the default 35-name universe, seed 7: residual sd ~0.2 in
    log; only the scheduling order depends on it, never the bytes)."""
    import math

    from .equities import equity_params

    spec = p.specs[part.symbol]
    eq = 4.0 * equity_params(spec, p.manifest.mode).prints_per_day
    opt = math.exp(4.67 + 0.362 * math.log(max(spec.adv, 1.0)) + 0.676 * math.log(max(spec.price, 0.01))
                   + 0.585 * float(spec.etf) + 0.468 * math.log(max(spec.annual_vol, 1e-3)))
    return eq, opt


GIL_SLICE_S = 0.0005     # the interpreter's switch interval while a multi-thread run is in progress (default 5 ms)
_slices_lock = threading.Lock()
_slices_users = [0, 0.0]    # runs in progress in this process, switch interval before the first


@contextlib.contextmanager
def _short_gil_slices(workers: int):
    """A short GIL switch interval (``GIL_SLICE_S``) while the pipeline's threads run; the previous value
    is restored when the last run of the process ends. Why: a worker coming back from a kernel or an encode
    (which release the GIL) waits for the other worker's Python to give the GIL up, up to the switch
    interval (5 ms by default) — with 2 workers ~0.6-1 s of blocked time per thread on the default session
    (measured: per-thread /proc schedstat, wall minus on-CPU minus run-queue wait), ~0.05-0.6 s at 0.5 ms,
    same CPU. Only the timing of thread switches changes, never the bytes."""
    if workers < 2:
        yield
        return
    with _slices_lock:
        if _slices_users[0] == 0:
            _slices_users[1] = sys.getswitchinterval()
            sys.setswitchinterval(min(_slices_users[1], GIL_SLICE_S))
        _slices_users[0] += 1
    try:
        yield
    finally:
        with _slices_lock:
            _slices_users[0] -= 1
            if _slices_users[0] == 0:
                sys.setswitchinterval(_slices_users[1])


_BACKLOG_PER_WORKER = 2   # row groups handed out but not yet encoded, per thread, before threads encode


class _Pipeline:
    """Generation and encoding of a run on ``workers`` threads.

    Each thread owns at most one generation task at a time and loops: encode a ready row group if the
    backlog of encoded-but-not-written row groups is at least ``backlog`` (= 2 per thread: bounds
    memory) or it has no generation left to do, else advance its task by one batch (which may hand out
    row groups), else take the next task (largest expected cost first), else wait. A file's row groups
    are encoded in order, one at a time, by whichever thread is free; a task's files are published when
    its generator is exhausted and its last row group written; a partition when all its tasks are. The
    first error stops every thread; unpublished files are then removed and the error re-raised."""

    def __init__(self, p, sink, tasks: list[_Task], workers: int,
                 published: Callable[[Partition, dict[str, int]], None]) -> None:
        self.p, self.sink, self.workers, self.published = p, sink, workers, published
        self.todo = list(tasks)
        self.backlog = _BACKLOG_PER_WORKER * workers
        self.cond = threading.Condition()
        self.ready: deque[_File] = deque()    # files with queued row groups, none being encoded
        self.queued = 0                       # row groups handed out, not yet encoded
        self.open: list[_Open] = []           # started, not yet published (aborted on error)
        self.error: BaseException | None = None
        self.error_where = None               # the PartitionWriter the error happened in, if any
        self.done_parts: dict[int, list] = {}  # id(part) -> [tasks published, rows]
        self.publish_lock = threading.Lock()

    def run(self) -> None:
        threads = [threading.Thread(target=self._worker_main, name=f"fastsynth-{i}", daemon=True)
                   for i in range(self.workers)]
        self.live = len(threads)
        for t in threads:
            t.start()
        try:
            for t in threads:
                while t.is_alive():
                    t.join(0.25)              # a timeout keeps Ctrl-C deliverable to this thread
        except BaseException as e:
            self._fail(e)
            # Wait on the count, not t.join(): in CPython 3.11 a join interrupted by a signal handler's
            # exception (Ctrl-C, the CLI's SIGTERM) can mark a still-running thread stopped, so the
            # files would be closed under a running encode (a crash).
            with self.cond:
                while self.live:
                    self.cond.wait()
        if self.error is not None:
            for o in self.open:
                o.writer.abort()
            e, where = self.error, self.error_where
            err = where.error(e) if where is not None else e
            if err is e:
                raise e
            raise err from e

    def _worker_main(self) -> None:
        try:
            self._worker()
        finally:
            with self.cond:
                self.live -= 1
                self.cond.notify_all()

    def _fail(self, e: BaseException, where=None) -> None:
        with self.cond:
            if self.error is None:
                self.error, self.error_where = e, where
            self.cond.notify_all()

    def _worker(self) -> None:
        mine: _Open | None = None
        job: _File | None = None
        try:
            while True:
                job = None
                with self.cond:
                    while True:
                        if self.error is not None:
                            return
                        if self.ready and (mine is None or self.queued >= self.backlog):
                            job = self.ready.popleft()
                            job.busy = True
                            break
                        if mine is not None:
                            break
                        if self.todo:
                            mine = self._start(self.todo.pop(0))
                            break
                        if not self.open:
                            return            # nothing left anywhere
                        self.cond.wait()
                if job is not None:
                    self._encode(job)
                elif not self._advance(mine):
                    mine = None
        except BaseException as e:             # noqa: BLE001 - handed to the main thread
            cur = job.owner if job is not None else mine
            self._fail(e, cur.writer if cur is not None else None)

    def _start(self, task: _Task) -> _Open:
        w = self.sink.open_partition(task.part.date, task.part.symbol, task.tables)
        o = _Open(task, w, iter_partition(self.p, task.part, task.tables))
        o.files = {t: _File(o, t) for t in task.tables}
        self.open.append(o)
        return o

    def _advance(self, o: _Open) -> bool:
        """One batch of ``o``'s generator (outside the lock); False when it is exhausted."""
        item = next(o.gen, None)
        chunks = o.writer.flush() if item is None else o.writer.add(*item)
        with self.cond:
            for table, chunk in chunks:
                f = o.files[table]
                f.queue.append(chunk)
                self.queued += 1
                if not f.busy and len(f.queue) == 1:
                    self.ready.append(f)
            if item is None:
                o.exhausted = True
                finished = o.outstanding() == 0
            else:
                finished = False
            if chunks:
                self.cond.notify_all()
        if finished:
            self._publish(o)
        return item is not None

    def _encode(self, f: _File) -> None:
        chunk = f.queue[0]
        f.owner.writer.encode(f.table, chunk)      # releases the GIL
        with self.cond:
            f.queue.popleft()
            self.queued -= 1
            f.busy = False
            if f.queue:
                self.ready.append(f)
            finished = f.owner.exhausted and f.owner.outstanding() == 0
            self.cond.notify_all()
        if finished:
            self._publish(f.owner)

    def _publish(self, o: _Open) -> None:
        counts = o.writer.commit()
        with self.cond:
            self.open.remove(o)
            self.cond.notify_all()
        part = o.task.part
        with self.publish_lock:
            entry = self.done_parts.setdefault(id(part), [0, {}])
            entry[0] += 1
            for t, n in counts.items():
                entry[1][t] = entry[1].get(t, 0) + n
            if entry[0] == o.task.of:
                self.published(part, entry[1])


@dataclass(eq=False)
class _Open:
    task: _Task
    writer: object
    gen: object
    files: dict = field(default_factory=dict)
    exhausted: bool = False

    def outstanding(self) -> int:
        """Row groups queued or being encoded (call under the pipeline's lock)."""
        return sum(len(f.queue) for f in self.files.values())


@dataclass(eq=False)
class _File:
    owner: _Open
    table: str
    queue: deque = field(default_factory=deque)
    busy: bool = False


def run_to_stream(m: Manifest, out: str | Path, *, overwrite: bool = False, batch_rows: int = 65_536) -> RunResult:
    """Write the run as Arrow IPC streams or NDJSON (``m.format``) to ``out`` (a directory, or ``-``).

    A directory gets the Parquet dataset's contract (manifest first, ``_SUCCESS`` last; another run
    refused unless ``overwrite``); when it already holds this run finished, nothing is done
    (``already_complete``; ``overwrite=True`` regenerates). An interrupted run is written again from
    the start (a stream is one pass)."""
    from .sinks import IpcSink, NdjsonSink

    t0 = time.perf_counter()
    sink_cls = IpcSink if m.format == "ipc" else NdjsonSink
    sink = sink_cls(out, m.tables, overwrite=overwrite, run=(m.canonical_json(), m.content_hash()))
    if sink.already_complete:
        return RunResult(already_complete=True, seconds=time.perf_counter() - t0)
    rows = sink.write(stream(m, batch_rows=batch_rows))
    return RunResult(rows=dict(rows), seconds=time.perf_counter() - t0)
