"""fastsynth.inspect: figures from Parquet metadata (rows, span, sessions, symbols) must equal what a
full read gives; realism figures from a sample of files; files without statistics still work."""
from __future__ import annotations

import pyarrow.compute as pc
import pyarrow.dataset as ds
import pyarrow.parquet as pq
import pytest

from fastsynth import Manifest
from fastsynth.inspect import _sample, format_report, inspect_dataset
from fastsynth.run import run_to_parquet

TABLES = ["equity_trades", "equity_quotes", "bars_1m"]


@pytest.fixture(scope="module")
def dataset(tmp_path_factory):
    root = tmp_path_factory.mktemp("inspect") / "d"
    run_to_parquet(Manifest(seed=5, symbols=["IBM", "F"], days=2, tables=TABLES), root, workers=2)
    return root


def test_metadata_figures_equal_a_full_read(dataset):
    rep = inspect_dataset(dataset)
    for t in TABLES:
        full = ds.dataset(dataset / t, format="parquet", partitioning="hive").to_table()
        info = rep["tables"][t]
        assert info["rows"] == full.num_rows > 0
        assert info["files"] == 4
        assert info["first"] == str(pc.min(full.column("ts_event")).as_py())
        assert info["last"] == str(pc.max(full.column("ts_event")).as_py())
        assert info["symbols"] == sorted(set(full.column("symbol").cast("string").to_pylist())) == ["F", "IBM"]
        assert info["dates"] == sorted({str(d) for d in full.column("date").to_pylist()})
    assert 0.2 < rep["trades"]["off_exchange_volume_share"] < 0.6
    assert rep["quotes"]["crossed_or_locked"] == 0
    text = format_report(rep)
    assert "equity_trades" in text and "sample of 4 of 4 files" in text


def test_files_without_statistics_fall_back_to_reading_ts(dataset, tmp_path):
    """A dataset rewritten by another tool without statistics gives the same span."""
    import shutil

    root = tmp_path / "nostats"
    shutil.copytree(dataset, root)
    for f in (root / "equity_trades").rglob("*.parquet"):
        tbl = pq.read_table(f)
        pq.write_table(tbl, f, write_statistics=False)
        assert not pq.read_metadata(f).row_group(0).column(0).is_stats_set
    assert inspect_dataset(root)["tables"]["equity_trades"] == inspect_dataset(dataset)["tables"]["equity_trades"]


def test_sample_is_spread_and_bounded():
    files = list(range(100))
    assert _sample(files, 8) == [0, 14, 28, 42, 57, 71, 85, 99]
    assert _sample(files[:5], 8) == files[:5]


@pytest.mark.parametrize("fmt", ["ipc", "ndjson"])
def test_stream_directories_give_the_same_figures_as_parquet(dataset, tmp_path, fmt):
    """An IPC / NDJSON run directory: rows, span, sessions and symbols per table equal the Parquet
    dataset's of the same run; unfinished runs are flagged."""
    from fastsynth.run import run_to_stream
    from fastsynth.sinks import SUCCESS_NAME

    m = Manifest(seed=5, symbols=["IBM", "F"], days=2, tables=TABLES, format=fmt)
    run_to_stream(m, tmp_path / "s")
    want, got = inspect_dataset(dataset), inspect_dataset(tmp_path / "s")
    assert got["format"] == fmt and got["complete"] is True and want["complete"] is True
    for t in TABLES:
        w, g = want["tables"][t], got["tables"][t]
        assert {k: g[k] for k in ("rows", "first", "last", "symbols", "dates")} == \
               {k: w[k] for k in ("rows", "first", "last", "symbols", "dates")}
    text = format_report(got)
    assert f"({fmt})" in text and "Parquet datasets only" in text and "unfinished" not in text
    (tmp_path / "s" / SUCCESS_NAME).unlink()
    assert inspect_dataset(tmp_path / "s")["complete"] is False
    assert "unfinished run" in format_report(inspect_dataset(tmp_path / "s"))


def test_a_directory_without_tables_names_what_is_supported(tmp_path):
    from fastsynth.errors import ConfigError

    with pytest.raises(ConfigError, match="ipc / ndjson: <table>.arrows / <table>.ndjson"):
        inspect_dataset(tmp_path)
