"""``fastsynth inspect``: what is in a generated dataset, and a few realism figures at a glance.

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
        raise ConfigError("data_dir", str(root), "a directory holding fastsynth tables (" + ", ".join(TABLES) + ")")
    rep: dict = {"path": str(root), "tables": {}}
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
    lines = [f"dataset {rep['path']}"]
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
    return "\n".join(lines)
