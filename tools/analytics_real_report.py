"""Equity join and dark inference on the real IBM trades + NBBO (../shared/data/real), figures for docs/analytics.md.

    python tools/analytics_real_report.py [--shared ../shared]

Reads ``equity_ibm_trades_20131007_08.parquet`` and ``equity_ibm_nbbo_20131007_08.parquet`` (QuantConnect/Lean,
AlgoSeek tape: ``rename="lean"``; the FINRA ADF/TRF tape letter ``D`` is off-exchange), runs
``fastsynth.analytics.join_equity`` and ``infer_dark_joined`` with the default parameters, and prints join
coverage, the quote-age distribution, placement shares (all hours and 09:30-16:00 New York) and the inferred
dark events. Nothing here depends on fastsynth-only columns.
"""
from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from fastsynth.analytics import join_equity
from fastsynth.analytics.dark import infer_dark_joined
from fastsynth.analytics.params import AnalyticsParams

ROOT = Path(__file__).resolve().parents[1]
TRADES = "equity_ibm_trades_20131007_08.parquet"
NBBO = "equity_ibm_nbbo_20131007_08.parquet"


def find_shared(start: Path = ROOT) -> Path | None:
    """``../shared`` beside the repo (CI layout) or above it; None when absent."""
    for c in (start.parent / "shared", start / "shared", start.parent.parent / "shared"):
        if (c / "data" / "real" / TRADES).is_file():
            return c
    return None


def rth_mask(ts_ns: np.ndarray) -> np.ndarray:
    """True for 09:30 <= New York time < 16:00 (2013 October: EDT, UTC-4)."""
    tod = (ts_ns - 4 * 3600 * 10**9) % (86_400 * 10**9)
    return (tod >= (9 * 3600 + 1800) * 10**9) & (tod < 16 * 3600 * 10**9)


def figures(shared: Path, params: AnalyticsParams | None = None) -> dict:
    params = params or AnalyticsParams()
    real = shared / "data" / "real"
    trades, nbbo = pq.read_table(real / TRADES), pq.read_table(real / NBBO)
    j = join_equity(trades, nbbo, params.join, rename="lean")
    d = infer_dark_joined(j, params.dark)
    ts = j.column("ts_event").cast(pa.int64()).to_numpy()
    rth = rth_mask(ts)
    qual = np.array(j.column("join_quality").cast(pa.string()).to_pylist(), dtype=object)
    place = np.array(j.column("placement").cast(pa.string()).to_pylist(), dtype=object)
    state = np.array(j.column("nbbo_state").cast(pa.string()).to_pylist(), dtype=object)
    age = j.column("quote_age_ns").to_numpy(zero_copy_only=False) / 1e6
    venue = np.array(j.column("venue").cast(pa.string()).to_pylist(), dtype=object)

    def shares(values, mask, keys):
        n = max(int(mask.sum()), 1)
        return {k: float(((values == k) & mask).sum()) / n for k in keys}

    out = {"prints": int(len(ts)), "prints_rth": int(rth.sum()), "quotes": nbbo.num_rows,
           "max_age_ms": params.join.equity_quote_max_age_ms}
    for label, m in (("all", np.ones(len(ts), bool)), ("rth", rth)):
        out[f"quality_{label}"] = shares(qual, m, ("fresh", "stale", "missing"))
        fresh = m & (qual == "fresh")
        out[f"placement_{label}"] = shares(place, fresh, ("AA", "A", "MID", "B", "BB"))
        out[f"state_{label}"] = shares(state, fresh, ("normal", "locked", "crossed"))
        a = age[m & ~np.isnan(age)]
        out[f"age_ms_{label}"] = {f"p{q}": float(np.percentile(a, q)) for q in (10, 25, 50, 75, 90, 99)}
    off = venue == "D"
    out["off_exchange_share"] = float(off.mean())
    out["placement_off_exchange_rth"] = shares(place, off & rth & (qual == "fresh"), ("AA", "A", "MID", "B", "BB"))
    out["dark_events"] = d.num_rows
    out["dark_by_kind_side"] = {f"{k}/{s}": n for (k, s), n in sorted(
        __import__("collections").Counter(zip(d.column("kind").to_pylist(), d.column("side").to_pylist())).items())}
    out["dark_rows"] = [{"ts": str(r["ts_event"]), "kind": r["kind"], "side": r["side"], "size": r["size"],
                         "prints": r["print_count"], "confidence": round(r["confidence"], 2), "reason": r["reason"]}
                        for r in d.to_pylist()]
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--shared", type=Path, default=None)
    args = ap.parse_args()
    shared = args.shared or find_shared()
    if shared is None:
        raise SystemExit("real data not found: pass --shared PATH (the directory holding data/real/)")
    f = figures(shared)
    pct = lambda d: ", ".join(f"{k} {100 * v:.1f}%" for k, v in d.items())  # noqa: E731
    print(f"prints {f['prints']:,} (09:30-16:00: {f['prints_rth']:,}); NBBO changes {f['quotes']:,}; "
          f"max quote age {f['max_age_ms']:g} ms; off-exchange (D) share {100 * f['off_exchange_share']:.1f}%")
    for label in ("all", "rth"):
        print(f"[{label}] join quality: {pct(f[f'quality_{label}'])}")
        print(f"[{label}] quote age ms: " + ", ".join(f"{k} {v:,.1f}" for k, v in f[f"age_ms_{label}"].items()))
        print(f"[{label}] placement (fresh): {pct(f[f'placement_{label}'])}")
        print(f"[{label}] NBBO state (fresh): {pct(f[f'state_{label}'])}")
    print(f"[rth] placement of off-exchange prints (fresh): {pct(f['placement_off_exchange_rth'])}")
    print(f"inferred dark events: {f['dark_events']} ({', '.join(f'{k} {v}' for k, v in f['dark_by_kind_side'].items())})")
    for r in f["dark_rows"]:
        print(f"  {r['ts'][:23]}  {r['kind']:<12} {r['side']:<7} {r['size']:>7,} sh  {r['prints']:>3} prints  "
              f"conf {r['confidence']:.2f}  {r['reason']}")


if __name__ == "__main__":
    main()
