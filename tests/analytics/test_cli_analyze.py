"""`fastsynth analyze`: derived tables from a hive dataset; bad input -> one line, exit 2, nothing written."""
from __future__ import annotations

import pyarrow as pa
import pyarrow.parquet as pq
from click.testing import CliRunner

from fastsynth.cli import main

from ._data import tape


def _dataset(root, trades, quotes, date="2026-03-02", part="AAA"):
    for name, t in (("equity_trades", trades), ("equity_quotes", quotes)):
        d = root / name / f"date={date}"
        d.mkdir(parents=True, exist_ok=True)
        pq.write_table(t, d / f"{part}.parquet")


def test_analyze_writes_derived_tables(tmp_path):
    trades, quotes = tape(5, n_prints=300, big=True)
    _dataset(tmp_path / "data", trades, quotes)
    r = CliRunner().invoke(main, ["analyze", str(tmp_path / "data"), "--out", str(tmp_path / "out")])
    assert r.exit_code == 0, r.output
    out = tmp_path / "out"
    assert (out / "_SUCCESS").is_file()
    j = pq.read_table(out / "equity_joins" / "date=2026-03-02" / "AAA.parquet")
    assert j.num_rows == trades.num_rows
    c = pq.read_table(out / "candles" / "date=2026-03-02" / "AAA.parquet")
    assert set(c.column("interval_ms").to_pylist()) == {1_000, 60_000, 300_000}
    assert (out / "inferred_dark" / "date=2026-03-02" / "AAA.parquet").is_file()
    # again without --overwrite: refused; with it: replaced
    r = CliRunner().invoke(main, ["analyze", str(tmp_path / "data"), "--out", str(out)])
    assert r.exit_code == 2 and "--overwrite" in r.output
    r = CliRunner().invoke(main, ["analyze", str(tmp_path / "data"), "--out", str(out), "--overwrite", "-q"])
    assert r.exit_code == 0 and r.output == ""


def test_bad_input_one_line_exit_2_no_output(tmp_path):
    trades, quotes = tape(6)
    _dataset(tmp_path / "data", trades, quotes, part="AAA")
    bad = trades.set_column(3, "price", pa.array([-1.0 if i == 7 else p for i, p in
                                                   enumerate(trades.column("price").to_pylist())]))
    _dataset(tmp_path / "data", bad, quotes, part="BBB")
    r = CliRunner().invoke(main, ["analyze", str(tmp_path / "data"), "--out", str(tmp_path / "out")])
    assert r.exit_code == 2
    lines = r.output.strip().splitlines()
    assert len(lines) == 1 and "price" in lines[0] and "row 7" in lines[0] and "BBB.parquet" in lines[0]
    assert not (tmp_path / "out").exists()
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".out")]


def test_params_file_and_errors(tmp_path):
    trades, quotes = tape(7)
    _dataset(tmp_path / "data", trades, quotes)
    p = tmp_path / "p.yaml"
    p.write_text("candles:\n  intervals_ms: [5000]\njoin:\n  equity_quote_max_age_ms: 100\n")
    r = CliRunner().invoke(main, ["analyze", str(tmp_path / "data"), "--out", str(tmp_path / "o"), "--params", str(p)])
    assert r.exit_code == 0, r.output
    c = pq.read_table(tmp_path / "o" / "candles")
    assert set(c.column("interval_ms").to_pylist()) == {5000}
    p.write_text("dark:\n  min_accum_count: 0\n")
    r = CliRunner().invoke(main, ["analyze", str(tmp_path / "data"), "--out", str(tmp_path / "o2"), "--params", str(p)])
    assert r.exit_code == 2 and "dark.min_accum_count" in r.output
    r = CliRunner().invoke(main, ["analyze", str(tmp_path / "nope"), "--out", str(tmp_path / "o3")])
    assert r.exit_code == 2 and "DATA_DIR" in r.output


def test_missing_quotes_are_reported_not_silently_skipped(tmp_path):
    """Prints without their quotes still give candles, and the output says which derived tables were not
    produced and why (a user must not mistake a missing flow table for 'no flow')."""
    trades, _ = tape(5, n_prints=200)
    d = tmp_path / "data" / "equity_trades" / "date=2026-03-02"
    d.mkdir(parents=True)
    pq.write_table(trades, d / "AAA.parquet")
    r = CliRunner().invoke(main, ["analyze", str(tmp_path / "data"), "--out", str(tmp_path / "out")])
    assert r.exit_code == 0, r.output
    assert "skipped equity_joins and inferred_dark: no equity_quotes" in r.output
    assert (tmp_path / "out" / "candles").is_dir()
