"""Plan a run into (symbol, session) partitions and produce Arrow batches in a deterministic order.

``plan(m)`` resolves the sessions (NYSE calendar) and computes the session-wide market plan once;
``iter_partition(p, part)`` generates one partition's batches (all its tables, block by block).
``stream``/``generate``/``reader`` (re-exported by ``fastsynth``) walk the partitions in plan order
(session, then symbol in manifest order) and re-chunk each table to ``batch_rows`` rows, so the rows of a
table — and therefore its bytes — depend only on the manifest.
"""
from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pyarrow as pa

from . import schemas
from ._arrow import py_array
from .calendar import Session, sessions
from .errors import ConfigError
from .manifest import Manifest, SymbolSpec
from .market import DayPlan, MarketPlan, plan_market
from .regime import RegimePlan, plan_regime

__all__ = ["SESSION_PART", "Partition", "Plan", "plan", "iter_partition", "stream", "generate", "reader"]

DEFAULT_BATCH_ROWS = 65_536


SESSION_PART = "@session"   # part name of a session's session-wide tables: never a valid ticker, and not
                            # "_"-prefixed (pyarrow.dataset and Hive readers skip files starting with "_" or ".")


@dataclass(frozen=True)
class Partition:
    """The unit of work: one symbol in one session, or (``symbol == SESSION_PART``) the session-wide
    tables of a session (``regime``, ``events``)."""

    symbol: str
    day_index: int
    session: Session

    @property
    def date(self) -> str:
        return self.session.date.isoformat()

    @property
    def is_session(self) -> bool:
        return self.symbol == SESSION_PART


@dataclass(frozen=True)
class Plan:
    manifest: Manifest
    sessions: tuple[Session, ...]
    market: MarketPlan
    regime: RegimePlan
    specs: dict[str, SymbolSpec]
    symbol_dictionary: pa.Array
    partitions: tuple[Partition, ...]

    def day(self, part: Partition) -> DayPlan:
        return self.market.days[part.day_index]


def plan(m: Manifest) -> Plan:
    """Resolve sessions, run the session-wide pass (market plan, regime engine: regimes, events,
    scenario schedule and coverage) and list partitions: per session, its session-wide part (when a
    session table is wanted) then one per symbol in manifest order."""
    sess = tuple(sessions(m.start, m.days))
    specs = {s.symbol: s for s in m.selected()}
    market = plan_market(m, list(sess))
    regime = plan_regime(m, sess, market)
    want_session = any(t in schemas.SESSION_TABLES for t in m.tables)
    parts = tuple(Partition(sym, d, s) for d, s in enumerate(sess)
                  for sym in ((SESSION_PART,) if want_session else ()) + tuple(specs))
    return Plan(m, sess, market, regime, specs, py_array(list(specs)), parts)


_EQUITY_TABLES = ("equity_trades", "equity_quotes", "bars_1m")


def iter_partition(p: Plan, part: Partition,
                   tables: tuple[str, ...] | None = None) -> Iterator[tuple[str, pa.RecordBatch]]:
    """All batches of one partition: equities block by block (tables interleaved in time order), then
    the options tables of the same underlying; or the session-wide tables for a session part."""
    tabs = tuple(tables) if tables is not None else tuple(p.manifest.tables)
    if part.is_session:
        from .regime import session_batches

        yield from session_batches(p, part.day_index, tuple(t for t in tabs if t in schemas.SESSION_TABLES))
        return
    code = list(p.specs).index(part.symbol)
    eq = tuple(t for t in tabs if t in _EQUITY_TABLES)
    if eq:
        from .equities import run_partition

        mod, jumps = p.regime.modulation_and_jumps(part.symbol, part.day_index)
        yield from run_partition(p.manifest, p.specs[part.symbol], p.day(part), code, p.symbol_dictionary, eq,
                                 mod, jumps)
    opt = tuple(t for t in tabs if t in schemas.OPTION_TABLES)
    if opt:
        from . import _prefetch
        from .options import run_partition as run_options

        _prefetch.wait()        # a cold cache: the options kernels are being compiled by a helper process
        yield from run_options(p, part, code, opt)


class _Rechunker:
    """Collects batches of one table and emits batches of exactly ``rows`` rows (the last may be short)."""

    def __init__(self, rows: int) -> None:
        self.rows = rows
        self.parts: list[pa.RecordBatch] = []
        self.n = 0

    def push(self, b: pa.RecordBatch) -> Iterator[pa.RecordBatch]:
        self.parts.append(b)
        self.n += b.num_rows
        while self.n >= self.rows:
            yield self._take(self.rows)

    def flush(self) -> Iterator[pa.RecordBatch]:
        if self.n:
            yield self._take(self.n)

    def _take(self, k: int) -> pa.RecordBatch:
        out, got = [], 0
        while got < k:
            b = self.parts[0]
            need = k - got
            if b.num_rows <= need:
                out.append(b)
                got += b.num_rows
                self.parts.pop(0)
            else:
                out.append(b.slice(0, need))
                self.parts[0] = b.slice(need)
                got = k
        self.n -= k
        if len(out) == 1:
            return out[0]
        if _concat_batches is not None:     # pyarrow >= 19: one copy, no Table round trip (~40% less CPU)
            return _concat_batches(out)
        return pa.Table.from_batches(out).combine_chunks().to_batches(max_chunksize=k)[0]


_concat_batches = getattr(pa, "concat_batches", None)


def _check_batch_rows(batch_rows: int) -> None:
    if isinstance(batch_rows, bool) or not isinstance(batch_rows, int) or batch_rows < 1:
        raise ConfigError("batch_rows", batch_rows, "an integer >= 1")


def stream(m: Manifest, batch_rows: int = DEFAULT_BATCH_ROWS,
           tables: list[str] | None = None) -> Iterator[tuple[str, pa.RecordBatch]]:
    """Generate the run as ``(table, RecordBatch)`` pairs of ``batch_rows`` rows (the last of a table may
    be shorter). Concatenating a table's batches gives the same rows for every ``batch_rows``.

    Example::

        for table, batch in fastsynth.stream(m, batch_rows=65_536):
            sink.write(table, batch)
    """
    _check_batch_rows(batch_rows)
    tabs = _tables(m, tables)
    from . import _prefetch

    _prefetch.start(m, tabs)    # empty Numba cache: options kernels compile in a second process meanwhile
    try:
        p = plan(m)
        _prefetch.planned()
        chunkers = {t: _Rechunker(batch_rows) for t in tabs}
        for part in p.partitions:
            for table, batch in iter_partition(p, part, tabs):
                yield from ((table, b) for b in chunkers[table].push(batch))
        for t in tabs:
            yield from ((t, b) for b in chunkers[t].flush())
    except (Exception, KeyboardInterrupt):
        _prefetch.stop()        # Ctrl-C or an error: the compile helper must not go on alone
        raise


def _tables(m: Manifest, tables: list[str] | None) -> tuple[str, ...]:
    if tables is None:
        return tuple(m.tables)
    for t in tables:
        schemas.schema(t)  # validates the name
    return tuple(tables)


def generate(m: Manifest, tables: list[str] | None = None) -> dict[str, pa.Table]:
    """Generate the whole run in memory: ``{table: pyarrow.Table}`` (every requested table present).

    Example: ``tables = fastsynth.generate(Manifest(seed=7, symbols=["SPY"]))``.
    """
    tabs = _tables(m, tables)
    got: dict[str, list[pa.RecordBatch]] = {t: [] for t in tabs}
    for t, b in stream(m, batch_rows=1 << 62, tables=list(tabs)):
        got[t].append(b)
    return {t: pa.Table.from_batches(got[t], schema=schemas.schema(t)) for t in tabs}


def reader(m: Manifest, table: str, batch_rows: int = DEFAULT_BATCH_ROWS) -> pa.RecordBatchReader:
    """One table of the run as a ``pyarrow.RecordBatchReader`` (exports the Arrow C stream interface,
    so polars, DuckDB or C code can consume it without copies).

    Example: ``duckdb.sql("select count(*) from r")`` with ``r = fastsynth.reader(m, "equity_trades")``.
    """
    _check_batch_rows(batch_rows)
    schema = schemas.schema(table)
    it = (b for _, b in stream(m, batch_rows=batch_rows, tables=[table]))
    return pa.RecordBatchReader.from_batches(schema, it)
