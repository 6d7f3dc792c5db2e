"""Read a dataset directory, run the analytics per partition, write the derived tables atomically.

Input layouts (``DATA_DIR``):

* a fastsynth dataset (``fastsynth generate``): ``<table>/date=YYYY-MM-DD/<SYMBOL>.parquet`` (hive);
* a user dataset in the same layout, with any of ``equity_trades``, ``equity_quotes``, ``option_trades``,
  ``option_quotes`` whose columns follow the input contracts (``fastsynth.analytics.CONTRACTS``) after the
  optional ``rename`` (a mapping or a preset such as ``"lean"``);
* flat files ``<table>.parquet`` directly in ``DATA_DIR`` (one partition: date = the New York date of the
  first row, part ``all``).

Output (``--out DIR``): the same hive layout for the derived tables ``equity_joins``, ``inferred_dark``,
``candles`` (from equity prints + NBBO) and ``option_joins`` (plus A2's flow tables when the hook is
present), written with :class:`fastsynth.sinks.ParquetDatasetSink` into a hidden temp directory beside
``DIR`` that is renamed to ``DIR`` only when everything succeeded: bad input leaves no partial output.
"""
from __future__ import annotations

import contextlib
import datetime as _dt
import hashlib
import os
import re
import shutil
import threading
from collections.abc import Iterator, Mapping
from pathlib import Path

import msgspec
import pyarrow as pa
import pyarrow.parquet as pq

from ..errors import ConfigError, OutputError
from ..sinks import ParquetDatasetSink
from ._columns import AnalyticsInputError
from .candles import candles
from .dark import infer_dark_joined
from .joins import join_equity, join_options
from .params import AnalyticsParams

__all__ = ["INPUT_TABLES", "find_partitions", "analyze_partition", "analyze_dataset", "AnalyzeResult"]

INPUT_TABLES: tuple[str, ...] = ("equity_trades", "equity_quotes", "option_trades", "option_quotes")
_DATE_DIR = re.compile(r"^date=(\d{4}-\d{2}-\d{2})$")


class AnalyzeResult(msgspec.Struct):
    """What :func:`analyze_dataset` wrote: rows per derived table and partitions processed."""

    out: str
    rows: dict[str, int]
    partitions: int
    skipped: list[str] = []      # derived tables not produced, each with the reason (inputs missing)


def find_partitions(data_dir: str | Path) -> dict[tuple[str, str], dict[str, Path]]:
    """``{(date, part): {input table: file}}`` for every partition found (ConfigError if none)."""
    root = Path(data_dir).expanduser()
    if not root.is_dir():
        raise ConfigError("DATA_DIR", str(root), "an existing directory holding a dataset")
    parts: dict[tuple[str, str], dict[str, Path]] = {}
    for t in INPUT_TABLES:
        d = root / t
        if d.is_dir():
            for dd in sorted(d.iterdir()):
                m = _DATE_DIR.match(dd.name)
                if not (m and dd.is_dir()):
                    continue
                for f in sorted(dd.glob("*.parquet")):
                    if not f.name.startswith("."):
                        parts.setdefault((m.group(1), f.name[: -len(".parquet")]), {})[t] = f
        flat = root / f"{t}.parquet"
        if flat.is_file():
            parts.setdefault(("", "all"), {})[t] = flat
    if ("", "all") in parts:
        files = parts.pop(("", "all"))
        parts[(_first_date(files), "all")] = files
    if not any("equity_trades" in v or "option_trades" in v for v in parts.values()):
        raise ConfigError("DATA_DIR", str(root), "a dataset with equity_trades and/or option_trades "
                                                 "(<table>/date=YYYY-MM-DD/<part>.parquet or <table>.parquet)")
    return dict(sorted(parts.items()))


def _first_date(files: dict[str, Path]) -> str:
    """New York date of the first row of the first flat file (the partition's date)."""
    from zoneinfo import ZoneInfo

    for f in files.values():
        t = pq.read_table(f).slice(0, 1)
        for c in ("ts_event", "ts_ns", "ts"):
            if c in t.column_names and t.num_rows:
                v = t.column(c)[0].cast(pa.int64()).as_py()
                return _dt.datetime.fromtimestamp(v / 1e9, ZoneInfo("America/New_York")).date().isoformat()
    return "1970-01-01"


def _read(files: dict[str, Path], table: str) -> pa.Table | None:
    f = files.get(table)
    if f is None:
        return None
    try:
        t = pq.read_table(f)
    except (OSError, pa.ArrowInvalid) as e:
        raise ConfigError(table, str(f), "a readable Parquet file", " ".join(str(e).split())[:200]) from None
    return t.drop_columns([c for c in ("date",) if c in t.column_names])


def analyze_partition(files: dict[str, Path], params: AnalyticsParams,
                      rename: Mapping[str, str] | str | None = None) -> dict[str, pa.Table]:
    """The derived tables of one partition (only those its inputs allow)."""
    return analyze_tables({t: _read(files, t) for t in INPUT_TABLES}, params, rename)


def analyze_tables(tables: Mapping[str, pa.Table | None], params: AnalyticsParams | None = None,
                   rename: Mapping[str, str] | str | None = None) -> dict[str, pa.Table]:
    """The derived tables ``fastsynth analyze`` writes, from in-memory input tables (any of
    ``INPUT_TABLES``; missing or None ones are skipped with what needs them)."""
    params = params or AnalyticsParams()
    out: dict[str, pa.Table] = {}
    trades, quotes = tables.get("equity_trades"), tables.get("equity_quotes")
    if trades is not None:
        out["candles"] = candles(trades, params.candles, rename=rename)
        if quotes is not None:
            j = join_equity(trades, quotes, params.join, rename=rename)
            out["equity_joins"] = j
            out["inferred_dark"] = infer_dark_joined(j, params.dark)
    otr, oq = tables.get("option_trades"), tables.get("option_quotes")
    if otr is not None and oq is not None:
        out["option_joins"] = join_options(otr, oq, params.join, rename=rename)
        flow_hook = _flow_hook()
        if flow_hook is not None:
            out.update(flow_hook(otr, oq, params))
    return out


def _flow_hook():
    """A2's option-flow entry point, when present: ``flow(option_trades, option_quotes, params=...)``
    returning ``{table name: pa.Table}`` (flow_packets, classifier_hits, smart_money_events)."""
    from .. import analytics

    f = getattr(analytics, "flow", None)
    if f is None:
        return None

    def run(otr, oq, params):
        res = f(otr, oq, params=params)
        return dict(res) if isinstance(res, Mapping) else {}

    return run


def _temp_dir(out: Path) -> Path:
    return out.with_name(f".{out.name}.tmp-{os.getpid()}-{threading.get_ident()}")


@contextlib.contextmanager
def _staged(out: Path, overwrite: bool) -> Iterator[Path]:
    """A temp directory beside ``out``, renamed onto ``out`` when the block succeeds, removed otherwise."""
    if out.exists() and not (out.is_dir() and not any(out.iterdir())):
        if not overwrite:
            raise OutputError(f"{out} already exists and is not empty; pass --overwrite or choose another --out")
        if not (out / "_SUCCESS").is_file() or not (out / "_fastsynth_manifest.json").is_file():
            raise OutputError(f"{out} is not a fastsynth analyze output; refusing to replace it")
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise OutputError(f"cannot create {out.parent}: {e.strerror or e}") from None
    tmp = _temp_dir(out)
    try:
        yield tmp
        if out.exists():
            old = out.with_name(f".{out.name}.old-{os.getpid()}")
            os.replace(out, old)
            os.replace(tmp, out)
            shutil.rmtree(old, ignore_errors=True)
        else:
            os.replace(tmp, out)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def analyze_dataset(data_dir: str | Path, out: str | Path, params: AnalyticsParams | None = None, *,
                    rename: Mapping[str, str] | str | None = None, overwrite: bool = False) -> AnalyzeResult:
    """Run the analytics over every partition of ``data_dir`` and write the derived tables to ``out``."""
    params = params or AnalyticsParams()
    root, out = Path(data_dir).expanduser(), Path(out).expanduser()
    parts = find_partitions(root)
    kinds = set().union(*(set(v) for v in parts.values()))
    tables = []
    if "equity_trades" in kinds:
        tables.append("candles")
        if "equity_quotes" in kinds:
            tables += ["equity_joins", "inferred_dark"]
    if {"option_trades", "option_quotes"} <= kinds:
        tables.append("option_joins")
    if not tables:
        raise ConfigError("DATA_DIR", str(root), "equity_trades (+ equity_quotes) and/or option_trades + option_quotes")
    skipped = []
    if "equity_trades" in kinds and "equity_quotes" not in kinds:
        skipped.append("equity_joins and inferred_dark: no equity_quotes in the dataset")
    if "option_trades" in kinds and "option_quotes" not in kinds:
        skipped.append("option_joins and option flow: no option_quotes in the dataset (the flow needs the "
                       "option NBBO at each print)")
    body = msgspec.json.encode({"analyze": str(root.resolve()), "params": params,
                                "rename": rename if not isinstance(rename, Mapping) else dict(rename)})
    h = hashlib.blake2b(body, digest_size=16).hexdigest()
    rows: dict[str, int] = {}
    with _staged(out, overwrite) as tmp:
        results: dict[tuple[str, str], dict[str, pa.Table]] = {}
        for (date, part), files in parts.items():
            try:
                results[(date, part)] = analyze_partition(files, params, rename)
            except AnalyticsInputError as e:
                where = ", ".join(str(p.relative_to(root)) for p in files.values())
                raise AnalyticsInputError(f"{e.table} [{where}]", e.column, e.row, e.problem, e.allowed) from None
        extra = sorted({t for r in results.values() for t in r} - set(tables))
        sink = ParquetDatasetSink(tmp, tables + extra)
        sink.begin(body, h)
        for (date, part), res in results.items():
            items = [(t, b) for t, tbl in res.items() for b in tbl.to_batches()]
            for t, n in sink.write_partition(date, part, items).items():
                rows[t] = rows.get(t, 0) + n
        sink.finish({"rows": rows, "partitions": len(parts)})
    return AnalyzeResult(str(out), rows, len(parts), skipped)
