"""``fastsynth inspect``: what is in a generated dataset, and a few realism figures at a glance."""
from __future__ import annotations

import math
from pathlib import Path

import numpy as np

from .errors import ConfigError
from .schemas import OFF_EXCHANGE_VENUES, TABLES

__all__ = ["inspect_dataset", "format_report"]


def _dataset(root: Path, table: str):
    import pyarrow.dataset as ds

    return ds.dataset(root / table, format="parquet", partitioning="hive")


def inspect_dataset(root: Path) -> dict:
    """Rows, span and symbols per table, and quick figures (spread, off-exchange share, odd lots, ...)."""
    import pyarrow.compute as pc

    if not root.is_dir():
        raise ConfigError("data_dir", str(root), "a directory written by `fastsynth generate`")
    present = [t for t in TABLES if (root / t).is_dir()]
    if not present:
        raise ConfigError("data_dir", str(root), "a directory holding fastsynth tables (" + ", ".join(TABLES) + ")")
    rep: dict = {"path": str(root), "tables": {}}
    for t in present:
        tbl = _dataset(root, t).to_table()
        info: dict = {"rows": tbl.num_rows}
        if tbl.num_rows:
            ts = tbl.column("ts_event")
            info["first"] = str(pc.min(ts).as_py())
            info["last"] = str(pc.max(ts).as_py())
            info["symbols"] = sorted(pc.unique(tbl.column("symbol").cast("string")).to_pylist())
            info["dates"] = sorted({str(d) for d in pc.unique(tbl.column("date")).to_pylist()})
        rep["tables"][t] = info
        if t == "equity_trades" and tbl.num_rows:
            rep["trades"] = _trade_figures(tbl)
        if t == "equity_quotes" and tbl.num_rows:
            rep["quotes"] = _quote_figures(tbl)
        if t == "bars_1m" and tbl.num_rows:
            rep["bars"] = _bar_figures(tbl)
    return rep


def _trade_figures(tbl) -> dict:
    size = tbl.column("size").to_numpy().astype(np.float64)
    venue = tbl.column("venue").cast("string").to_numpy(zero_copy_only=False)
    off = np.isin(venue, list(OFF_EXCHANGE_VENUES))
    ts = tbl.column("ts_event").cast("int64").to_numpy()
    sym = tbl.column("symbol").cast("string").to_numpy(zero_copy_only=False)
    same = sym[1:] == sym[:-1]
    gaps = np.diff(ts)[same]
    price = tbl.column("price").to_numpy()
    subpenny = np.abs(price * 100 - np.round(price * 100)) > 1e-6
    return {"off_exchange_volume_share": round(float(size[off].sum() / size.sum()), 4),
            "odd_lot_share": round(float(np.mean(size < 100)), 4),
            "zero_gap_share": round(float(np.mean(gaps == 0)), 4) if gaps.size else None,
            "sub_penny_share_off_exchange": round(float(np.mean(subpenny[off])), 4) if off.any() else None,
            "mean_size": round(float(size.mean()), 1)}


def _quote_figures(tbl) -> dict:
    bid = tbl.column("bid_px_00").to_numpy()
    ask = tbl.column("ask_px_00").to_numpy()
    mid = 0.5 * (bid + ask)
    bps = (ask - bid) / mid * 1e4
    return {"spread_bps_median": round(float(np.median(bps)), 3),
            "crossed_or_locked": int(np.sum(ask <= bid))}


def _bar_figures(tbl) -> dict:
    close = tbl.column("close").to_numpy()
    sym = tbl.column("symbol").cast("string").to_numpy(zero_copy_only=False)
    date = np.asarray(tbl.column("date").cast("string").to_numpy(zero_copy_only=False))
    seg = (sym[1:] == sym[:-1]) & (date[1:] == date[:-1])
    r = np.diff(np.log(close))[seg]
    if r.size < 30:
        return {}
    z = (r - r.mean()) / r.std()
    return {"bar_return_excess_kurtosis": round(float(np.mean(z ** 4) - 3.0), 3),
            "bar_return_std_bps": round(float(r.std() * 1e4), 3),
            "bar_return_acf1": round(float(np.corrcoef(r[1:], r[:-1])[0, 1]), 4) if r.size > 2 else math.nan}


def format_report(rep: dict) -> str:
    lines = [f"dataset {rep['path']}"]
    for t, info in rep["tables"].items():
        lines.append(f"  {t:<14} {info['rows']:>12,} rows")
        if info["rows"]:
            syms = info["symbols"]
            shown = ",".join(syms[:12]) + (f",... ({len(syms)})" if len(syms) > 12 else "")
            lines.append(f"      {info['first']} .. {info['last']}  sessions {len(info['dates'])}  symbols {shown}")
    for key in ("trades", "quotes", "bars"):
        if rep.get(key):
            lines.append(f"  {key}: " + "  ".join(f"{k}={v}" for k, v in rep[key].items()))
    return "\n".join(lines)
