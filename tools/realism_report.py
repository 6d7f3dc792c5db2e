"""Write docs/realism.md: stylized facts of fastsynth output beside the real samples, same checker.

    python tools/realism_report.py [--shared ../shared] [--out docs/realism.md]

Runs ``shared/realism/stylized.py`` on the real IBM trades/NBBO and SPY/GOOG 1-minute bars, and on a
generated 6-session run (seed 2026, realistic mode) converted to the checker's column layout: IBM
trades and quotes, SPY bars. Prints the table and writes the markdown page.
"""
from __future__ import annotations

import argparse
import importlib.util
import sys
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc

import fastsynth

ROOT = Path(__file__).resolve().parents[1]
SESSION = "09:30-16:00"
TZ = "America/New_York"

ROWS = [  # (label, kind, dotted path)
    ("1m excess kurtosis", "trades", "returns.kurtosis.1m"),
    ("5m excess kurtosis", "trades", "returns.kurtosis.5m"),
    ("30m excess kurtosis", "trades", "returns.kurtosis.30m"),
    ("1m return sd (bps)", "trades", "returns.std_1m_bps"),
    ("max |ACF(r)| lags 2-10", "trades", "returns.acf_returns_max_abs_2_10"),
    ("ACF |r| lag 1", "trades", "returns.acf_abs_returns.1"),
    ("ACF |r| lag 10", "trades", "returns.acf_abs_returns.10"),
    ("ACF |r| lag 30", "trades", "returns.acf_abs_returns.30"),
    ("|r| profile open/midday", "trades", "returns.abs_return_profile_30m.open_over_midday"),
    ("|r| profile close/midday", "trades", "returns.abs_return_profile_30m.close_over_midday"),
    ("leverage mean corr lags 1-10 (1m)", "trades", "returns.leverage_mean_1_10"),
    ("volume profile open/midday", "trades", "trades.volume_profile_30m.open_over_midday"),
    ("volume profile close/midday", "trades", "trades.volume_profile_30m.close_over_midday"),
    ("count profile open/midday", "trades", "trades.count_profile_30m.open_over_midday"),
    ("zero inter-trade gap share", "trades", "trades.durations.zero_share"),
    ("duration CV", "trades", "trades.durations.cv"),
    ("count dispersion 1 s", "trades", "trades.counts.dispersion_1s"),
    ("count ACF lag 1 s", "trades", "trades.counts.acf_counts_1s.1"),
    ("tick ACF1 of price changes", "trades", "trades.tick.acf1_all_changes"),
    ("tick ACF1 non-zero changes", "trades", "trades.tick.acf1_nonzero_changes"),
    ("zero price-change share", "trades", "trades.tick.zero_change_share"),
    ("sign ACF lag 1 (tick rule)", "trades", "trades.sign.acf.1"),
    ("sign ACF lag 10 (tick rule)", "trades", "trades.sign.acf.10"),
    ("odd-lot share", "trades", "trades.size.odd_lot_share"),
    ("round-lot share", "trades", "trades.size.round_lot_share"),
    ("Hill alpha top 5% sizes", "trades", "trades.size.hill_alpha_top5pct"),
    ("spread bps (time-weighted)", "quotes", "quotes.spread_bps_time_weighted_mean"),
    ("spread ticks (time-weighted)", "quotes", "quotes.spread_ticks_time_weighted_mean"),
    ("spread profile open/midday", "quotes", "quotes.spread_profile_30m.open_over_midday"),
    ("spread profile close/midday", "quotes", "quotes.spread_profile_30m.close_over_midday"),
    ("imbalance vs next mid move corr", "quotes", "quotes.imbalance_vs_next_mid_move_corr"),
    ("quote updates per s", "quotes", "quotes.updates_per_s"),
    ("bars: 1m kurtosis", "bars", "returns.kurtosis.1m"),
    ("bars: 30m kurtosis", "bars", "returns.kurtosis.30m"),
    ("bars: ACF |r| deseasonalised lag 30", "bars", "returns.acf_abs_returns_deseasonalised.30"),
    ("bars: volume open/midday", "bars", "bars.volume_profile_30m.open_over_midday"),
    ("bars: volume close/midday", "bars", "bars.volume_profile_30m.close_over_midday"),
]


def _checker(shared: Path):
    spec = importlib.util.spec_from_file_location("stylized", shared / "realism" / "stylized.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def _i64(col):
    return pc.cast(col, pa.int64())


def synthetic_tables(symbols: list[str], days: int = 6, seed: int = 2026) -> dict[str, pa.Table]:
    """A generated run in the checker's layouts (trades: side +1/-1, 0 for off-exchange prints)."""
    m = fastsynth.Manifest(seed=seed, start="2026-03-02", days=days, symbols=symbols,
                           tables=["equity_trades", "equity_quotes", "bars_1m"])   # the equity facts
    t = fastsynth.generate(m)
    tr, q, b = t["equity_trades"], t["equity_quotes"], t["bars_1m"]
    return {
        "trades": pa.table({"ts_ns": _i64(tr["ts_event"]), "price": tr["price"],
                            "size": pc.cast(tr["size"], pa.float64()), "symbol": tr["symbol"].cast(pa.string())}),
        "quotes": pa.table({"ts_ns": _i64(q["ts_event"]), "bid": q["bid_px_00"], "ask": q["ask_px_00"],
                            "bid_size": pc.cast(q["bid_sz_00"], pa.float64()),
                            "ask_size": pc.cast(q["ask_sz_00"], pa.float64()), "symbol": q["symbol"].cast(pa.string())}),
        "bars": pa.table({"ts": _i64(b["ts_event"]), "open": b["open"], "high": b["high"], "low": b["low"],
                          "close": b["close"], "volume": pc.cast(b["volume"], pa.float64()),
                          "symbol": b["symbol"].cast(pa.string())}),
    }


def _only(t: pa.Table, sym: str) -> pa.Table:
    return t.filter(pc.equal(t["symbol"], sym))


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--shared", default=str(ROOT.parent / "shared"))
    ap.add_argument("--out", default=str(ROOT / "docs" / "realism.md"))
    a = ap.parse_args(argv)
    shared = Path(a.shared)
    st = _checker(shared)
    real = shared / "data" / "real"
    figs = {
        "real": {
            "trades": st.trades_figures(st.load_table(str(real / "equity_ibm_trades_20131007_08.parquet")), TZ, SESSION),
            "quotes": st.quotes_figures(st.load_table(str(real / "equity_ibm_nbbo_20131007_08.parquet")), TZ, SESSION),
            "bars": st.bars_figures(st.load_table(str(real / "equity_spy_bars1m_2013_2023.parquet")), TZ, SESSION),
        }
    }
    syn = synthetic_tables(["SPY", "IBM", "AAPL", "F"])
    figs["ours"] = {
        "trades": st.trades_figures(_only(syn["trades"], "IBM"), TZ, SESSION),
        "quotes": st.quotes_figures(_only(syn["quotes"], "IBM"), TZ, SESSION),
        "bars": st.bars_figures(_only(syn["bars"], "SPY"), TZ, SESSION),
    }
    f_quotes = st.quotes_figures(_only(syn["quotes"], "F"), TZ, SESSION)
    aapl = st.trades_figures(_only(syn["trades"], "AAPL"), TZ, SESSION)

    def get(d, path):
        v = st._get(d, path)
        return "–" if v is None else (f"{v:.4g}" if isinstance(v, float) else str(v))

    lines = ["| figure | real sample | fastsynth |", "|---|---:|---:|"]
    for label, kind, path in ROWS:
        lines.append(f"| {label} | {get(figs['real'][kind], path)} | {get(figs['ours'][kind], path)} |")
    table = "\n".join(lines)
    print(table)
    doc = (ROOT / "docs" / "realism.template.md").read_text().format(
        table=table,
        f_one_tick=get(f_quotes, "quotes.one_tick_time_share"),
        f_spread_ticks=get(f_quotes, "quotes.spread_ticks_time_weighted_mean"),
        aapl_odd=get(aapl, "trades.size.odd_lot_share"),
        aapl_zero=get(aapl, "trades.durations.zero_share"),
    )
    Path(a.out).write_text(doc)
    print(f"wrote {a.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
