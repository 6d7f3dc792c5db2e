"""``fastsynth inspect``: what is in a generated dataset, and a few realism figures at a glance.

Reads Parquet datasets and the IPC / NDJSON directories of ``fastsynth generate --format ipc|ndjson --out
DIR`` (those: rows, span, days and symbols by reading each file once; no realism figures).

Fast on large datasets: row counts, time span, sessions and symbols come from the Parquet footers
(row counts, ``ts_event`` min/max statistics) and the hive paths (``<table>/date=D/<SYM>.parquet``),
without reading any data; the realism figures read only the columns they need from a sample of at
most ``SAMPLE_FILES`` files per table (``SAMPLE_BAR_FILES`` for bars), spread evenly over (date, symbol).
"""
from __future__ import annotations

import math
from pathlib import Path

import numpy as np

from .errors import ConfigError
from .schemas import OFF_EXCHANGE_VENUES, TABLES

__all__ = ["inspect_dataset", "format_report", "SAMPLE_FILES"]

SAMPLE_FILES = 8          # trade/quote files read for the realism figures
SAMPLE_BAR_FILES = 64     # bar files are small (391 rows a session)
SESSION_PART = "@session"  # = engine.SESSION_PART (not imported: keeps `inspect` free of the engine)


def _files(root: Path, table: str) -> list[Path]:
    """Finished files of ``table`` sorted by (date, part); temp files (hidden names) are skipped."""
    return sorted((p for p in (root / table).glob("date=*/*.parquet") if not p.name.startswith(".")),
                  key=lambda p: (p.parent.name, p.name))


def _sample(files: list[Path], k: int = SAMPLE_FILES) -> list[Path]:
    if len(files) <= k:
        return files
    return [files[round(i * (len(files) - 1) / (k - 1))] for i in range(k)]


def _span(path: Path, md) -> tuple[int, int] | None:
    """(min, max) of ``ts_event`` as int ns from the row-group statistics, reading the column if absent."""
    import pyarrow.parquet as pq

    names = md.schema.names
    if "ts_event" not in names or md.num_rows == 0:
        return None
    i = names.index("ts_event")
    lo, hi = None, None
    for r in range(md.num_row_groups):
        rg = md.row_group(r)
        if rg.num_rows == 0:
            continue
        st = rg.column(i).statistics
        if st is None or not st.has_min_max:
            col = pq.read_table(path, columns=["ts_event"]).column(0).cast("int64").to_numpy()
            return int(col.min()), int(col.max())
        lo = st.min_raw if lo is None else min(lo, st.min_raw)
        hi = st.max_raw if hi is None else max(hi, st.max_raw)
    return None if lo is None else (int(lo), int(hi))


def _ts(ns: int) -> str:
    import pyarrow as pa

    return str(pa.scalar(ns, pa.timestamp("ns", tz="UTC")).as_py())


def inspect_dataset(root: Path) -> dict:
    """Rows, span, sessions and symbols per table (from Parquet metadata), and quick figures (spread,
    off-exchange share, odd lots, ...) from a sample of files."""
    import pyarrow.parquet as pq

    root = Path(root)
    if not root.is_dir():
        raise ConfigError("data_dir", str(root), "a directory written by `fastsynth generate`")
    present = [t for t in TABLES if (root / t).is_dir()]
    if not present:
        streams = _stream_files(root)
        if streams:
            return _inspect_streams(root, streams)
        raise ConfigError("data_dir", str(root), "a directory written by `fastsynth generate --out` (Parquet: "
                          "<table>/date=D/<SYM>.parquet; ipc / ndjson: <table>.arrows / <table>.ndjson) holding "
                          "any of " + ", ".join(TABLES))
    rep: dict = {"path": str(root), "format": "parquet", "complete": _complete(root), "tables": {}}
    for t in present:
        files = _files(root, t)
        rows, lo, hi = 0, None, None
        for f in files:
            md = pq.read_metadata(f)
            rows += md.num_rows
            span = _span(f, md)
            if span is not None:
                lo = span[0] if lo is None else min(lo, span[0])
                hi = span[1] if hi is None else max(hi, span[1])
        info: dict = {"rows": rows, "files": len(files)}
        if rows:
            if lo is not None:
                info["first"], info["last"] = _ts(lo), _ts(hi)
            info["symbols"] = sorted({f.stem for f in files if f.stem != SESSION_PART})
            info["dates"] = sorted({f.parent.name[len("date="):] for f in files})
        rep["tables"][t] = info
        figures = {"equity_trades": ("trades", _trade_figures), "equity_quotes": ("quotes", _quote_figures),
                   "bars_1m": ("bars", _bar_figures)}.get(t)
        if figures and rows:
            key, fn = figures
            sample = _sample([f for f in files if f.stem != SESSION_PART],
                             SAMPLE_BAR_FILES if t == "bars_1m" else SAMPLE_FILES)
            rep[key] = fn(sample)
            rep[key]["sample_files"] = f"{len(sample)} of {len(files)}"
    return rep


# --- IPC / NDJSON directories (fastsynth generate --format ipc|ndjson --out DIR) --------------------

_STREAM_SUFFIXES = {".arrows": "ipc", ".ndjson": "ndjson"}
_DAY_NS = 86_400 * 1_000_000_000
_NDJSON_CHUNK = 1 << 26   # bytes of NDJSON decoded at a time (bounded memory on multi-GB files)


def _complete(root: Path) -> bool:
    """A finished run: ``_SUCCESS`` beside the run's manifest (written last by every format)."""
    return (root / "_SUCCESS").is_file() and (root / "_fastsynth_manifest.json").is_file()


def _stream_files(root: Path) -> dict[str, Path]:
    """``{table: file}`` of the finished IPC / NDJSON table files in ``root`` (temp files are hidden)."""
    out = {}
    for t in TABLES:
        for suffix in _STREAM_SUFFIXES:
            if (root / f"{t}{suffix}").is_file():
                out[t] = root / f"{t}{suffix}"
    return out


def _symbol_column(table: str) -> str | None:
    """The column naming the underlying symbol of a row (the Parquet layout's file name), if any."""
    from .schemas import schema

    names = schema(table).names
    if "underlying" in names:
        return "underlying"
    return "symbol" if table in ("equity_trades", "equity_quotes", "bars_1m") else None


class _Acc:
    """Rows, ts_event span, symbols and (UTC) days of one stream file, accumulated batch by batch."""

    def __init__(self) -> None:
        self.rows, self.lo, self.hi = 0, None, None
        self.symbols: set[str] = set()
        self.days: set[int] = set()

    def add(self, ts: np.ndarray, symbols) -> None:
        self.rows += ts.size
        if ts.size:
            lo, hi = int(ts.min()), int(ts.max())
            self.lo = lo if self.lo is None else min(self.lo, lo)
            self.hi = hi if self.hi is None else max(self.hi, hi)
            self.days.update(np.unique(ts // _DAY_NS).tolist())
        self.symbols.update(symbols)


def _scan_ipc(path: Path, table: str) -> _Acc:
    import pyarrow as pa
    import pyarrow.compute as pc

    acc, sym = _Acc(), _symbol_column(table)
    with pa.OSFile(str(path)) as f, pa.ipc.open_stream(f) as r:
        for b in r:
            ts = b.column("ts_event").cast(pa.int64()).to_numpy()
            syms = []
            if sym is not None and b.num_rows:
                col = b.column(sym)
                if pa.types.is_dictionary(col.type):
                    syms = col.dictionary.take(pc.unique(col.indices)).to_pylist()
                else:
                    syms = pc.unique(col).to_pylist()
            acc.add(ts, syms)
    return acc


def _scan_ndjson(path: Path, table: str) -> _Acc:
    import msgspec

    sym = _symbol_column(table)
    fields = [("ts_event", int)] + ([(sym, str)] if sym else [])
    row = msgspec.defstruct("Row", fields)          # other keys are skipped by the decoder
    dec = msgspec.json.Decoder(row)
    acc = _Acc()
    rest = b""
    with open(path, "rb") as f:
        while True:
            chunk = f.read(_NDJSON_CHUNK)
            data = rest + chunk
            if chunk:
                cut = data.rfind(b"\n") + 1
                data, rest = data[:cut], data[cut:]
            if data.strip():
                try:
                    rows = dec.decode_lines(data)
                except msgspec.DecodeError as e:
                    raise ConfigError("data_dir", str(path), "NDJSON as written by fastsynth generate",
                                      " ".join(str(e).split())) from None
                ts = np.fromiter((r.ts_event for r in rows), dtype=np.int64, count=len(rows))
                acc.add(ts, {getattr(r, sym) for r in rows} if sym else ())
            if not chunk:
                break
    return acc


def _inspect_streams(root: Path, files: dict[str, Path]) -> dict:
    """Rows, span, UTC days and symbols per table of an IPC / NDJSON directory (each file read once)."""
    import datetime as dt

    fmts = {_STREAM_SUFFIXES[p.suffix] for p in files.values()}
    rep: dict = {"path": str(root), "format": " + ".join(sorted(fmts)), "complete": _complete(root),
                 "tables": {}, "note": "realism figures are computed for Parquet datasets only"}
    for t, path in files.items():
        acc = (_scan_ipc if path.suffix == ".arrows" else _scan_ndjson)(path, t)
        info: dict = {"rows": acc.rows, "files": 1}
        if acc.rows:
            info["first"], info["last"] = _ts(acc.lo), _ts(acc.hi)
            info["symbols"] = sorted(acc.symbols)
            info["dates"] = [(dt.date(1970, 1, 1) + dt.timedelta(days=d)).isoformat() for d in sorted(acc.days)]
        rep["tables"][t] = info
    return rep


def _read(path: Path, columns: list[str]):
    import pyarrow.parquet as pq

    return pq.read_table(path, columns=columns)


def _codes_in(col, wanted) -> np.ndarray:
    """Boolean mask: the dictionary-encoded (or string) column's value is in ``wanted`` (no string cast
    of every row: the test runs on the dictionary, then indexes by the codes)."""
    import pyarrow as pa

    col = col.combine_chunks() if hasattr(col, "combine_chunks") else col
    if pa.types.is_dictionary(col.type):
        hit = np.isin(np.asarray(col.dictionary.cast("string").to_pylist(), dtype=object), list(wanted))
        return hit[col.indices.to_numpy(zero_copy_only=False)]
    return np.isin(col.cast("string").to_numpy(zero_copy_only=False), list(wanted))


def _trade_figures(files: list[Path]) -> dict:
    size_sum = off_size = 0.0
    n = odd = gaps = zero_gaps = off_n = off_sub = 0
    for f in files:
        tbl = _read(f, ["ts_event", "price", "size", "venue"])
        if not tbl.num_rows:
            continue
        size = tbl.column("size").to_numpy().astype(np.float64)
        off = _codes_in(tbl.column("venue"), OFF_EXCHANGE_VENUES)
        ts = tbl.column("ts_event").cast("int64").to_numpy()
        price = tbl.column("price").to_numpy()
        sub = np.abs(price * 100 - np.round(price * 100)) > 1e-6
        size_sum += size.sum()
        off_size += size[off].sum()
        n += size.size
        odd += int(np.sum(size < 100))
        gaps += max(ts.size - 1, 0)
        zero_gaps += int(np.sum(np.diff(ts) == 0))   # one file = one (symbol, session)
        off_n += int(off.sum())
        off_sub += int(sub[off].sum())
    if not n:
        return {}
    return {"off_exchange_volume_share": round(off_size / size_sum, 4) if size_sum else None,
            "odd_lot_share": round(odd / n, 4),
            "zero_gap_share": round(zero_gaps / gaps, 4) if gaps else None,
            "sub_penny_share_off_exchange": round(off_sub / off_n, 4) if off_n else None,
            "mean_size": round(size_sum / n, 1)}


def _quote_figures(files: list[Path]) -> dict:
    bps, crossed = [], 0
    for f in files:
        tbl = _read(f, ["bid_px_00", "ask_px_00"])
        bid = tbl.column("bid_px_00").to_numpy()
        ask = tbl.column("ask_px_00").to_numpy()
        bps.append((ask - bid) / (0.5 * (bid + ask)) * 1e4)
        crossed += int(np.sum(ask <= bid))
    allb = np.concatenate(bps) if bps else np.empty(0)
    if not allb.size:
        return {}
    return {"spread_bps_median": round(float(np.median(allb)), 3), "crossed_or_locked": crossed}


def _bar_figures(files: list[Path]) -> dict:
    rs = []
    for f in files:
        close = _read(f, ["close"]).column("close").to_numpy()
        rs.append(np.diff(np.log(close)))            # one file = one (symbol, session)
    r = np.concatenate(rs) if rs else np.empty(0)
    if r.size < 30:
        return {}
    z = (r - r.mean()) / r.std()
    return {"bar_return_excess_kurtosis": round(float(np.mean(z ** 4) - 3.0), 3),
            "bar_return_std_bps": round(float(r.std() * 1e4), 3),
            "bar_return_acf1": round(float(np.corrcoef(r[1:], r[:-1])[0, 1]), 4) if r.size > 2 else math.nan}


def format_report(rep: dict) -> str:
    fmt = rep.get("format", "parquet")
    lines = [f"dataset {rep['path']}" + (f" ({fmt})" if fmt != "parquet" else "")]
    if rep.get("complete") is False:
        lines.append("  unfinished run (no _SUCCESS): run the same `fastsynth generate` command again to finish it")
    for t, info in rep["tables"].items():
        lines.append(f"  {t:<16} {info['rows']:>12,} rows  {info['files']:>5} files")
        if info["rows"]:
            syms = info["symbols"]
            shown = ",".join(syms[:12]) + (f",... ({len(syms)})" if len(syms) > 12 else "")
            span = f"{info['first']} .. {info['last']}  " if "first" in info else ""
            lines.append(f"      {span}sessions {len(info['dates'])}" + (f"  symbols {shown}" if syms else ""))
    for key in ("trades", "quotes", "bars"):
        if rep.get(key):
            figs = {k: v for k, v in rep[key].items() if k != "sample_files"}
            lines.append(f"  {key} (sample of {rep[key]['sample_files']} files): "
                         + "  ".join(f"{k}={v}" for k, v in figs.items()))
    if rep.get("note"):
        lines.append(f"  ({rep['note']})")
    return "\n".join(lines)
