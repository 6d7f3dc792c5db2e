"""ParquetDatasetSink: layout, round trips through pyarrow/polars/duckdb, resume/refuse/overwrite, atomicity."""
from __future__ import annotations

import json
import os
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.dataset as ds
import pyarrow.parquet as pq
import pytest

from fastsynth import schemas
from fastsynth.errors import ConfigError, OutputError
from fastsynth.sinks import MANIFEST_NAME, SUCCESS_NAME, ParquetDatasetSink, read_manifest
from fastsynth.sinks._atomic import is_temp_name

from ._data import make_batch, partition_items

TABLES = ("equity_trades", "equity_quotes", "bars_1m")
MANIFEST = b'{"seed":1,"symbols":["AAPL","MSFT"]}'
HASH = "a" * 64
OTHER_HASH = "b" * 64
PARTS = [("2026-03-02", "AAPL"), ("2026-03-02", "MSFT"), ("2026-03-03", "AAPL"), ("2026-03-03", "MSFT")]


def all_files(root: Path) -> list[str]:
    return sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file())


def temps_under(root: Path) -> list[Path]:
    return [p for p in root.rglob(".*") if is_temp_name(p.name)]


def write_run(root: Path, parts=PARTS, *, manifest_hash: str = HASH, finish: bool = True, **kw) -> ParquetDatasetSink:
    sink = ParquetDatasetSink(root, TABLES, **kw)
    sink.begin(MANIFEST, manifest_hash)
    for date, sym in parts:
        sink.write_partition(date, sym, partition_items(date, sym))
    if finish:
        sink.finish({"rows": sink.rows_written})
    return sink


def expected(table: str, parts=PARTS) -> pa.Table:
    batches = [b for d, s in parts for t, b in partition_items(d, s) if t == table]
    return pa.Table.from_batches(batches, schema=schemas.schema(table))


# --- layout and round trips ---------------------------------------------------------------------

def test_layout_has_hive_paths_and_no_date_column(tmp_path):
    root = tmp_path / "data"
    write_run(root)
    files = all_files(root)
    assert MANIFEST_NAME in files and SUCCESS_NAME in files
    for t in TABLES:
        for date, sym in PARTS:
            assert f"{t}/date={date}/{sym}.parquet" in files
    assert len(files) == 2 + len(TABLES) * len(PARTS)  # nothing else (no temps, no probe files)
    f = root / "equity_trades" / "date=2026-03-02" / "AAPL.parquet"
    file_schema = pq.read_schema(f)
    assert "date" not in file_schema.names
    assert file_schema.equals(schemas.schema("equity_trades"), check_metadata=False)
    assert file_schema.metadata[b"fastsynth_manifest_hash"] == HASH.encode()


@pytest.mark.parametrize("table", TABLES)
def test_pyarrow_dataset_round_trip(tmp_path, table):
    root = tmp_path / "data"
    write_run(root)
    got = ds.dataset(root / table, format="parquet", partitioning="hive").to_table()
    assert "date" in got.column_names
    assert got.num_rows == expected(table).num_rows
    # sort both sides by (date, symbol, ts_event); dictionary columns cannot be sort keys, so decode
    keys = [("_date", "ascending"), ("_sym", "ascending"), ("ts_event", "ascending")]

    def sortable(t: pa.Table, dates) -> pa.Table:
        t = t.append_column("_date", pa.array(dates, pa.string()))
        return t.append_column("_sym", t.column("symbol").cast(pa.string())).sort_by(keys)

    got_dates = got.column("date").cast(pa.string()).to_pylist()
    assert sorted(set(got_dates)) == ["2026-03-02", "2026-03-03"]
    got = sortable(got.drop_columns(["date"]), got_dates).drop_columns(["_date", "_sym"])
    exp_dates = [d for d, s in PARTS for t, b in partition_items(d, s) if t == table for _ in range(b.num_rows)]
    exp = sortable(expected(table), exp_dates).drop_columns(["_date", "_sym"])
    assert got.schema.equals(schemas.schema(table), check_metadata=False)  # dictionary types survive
    assert got.equals(exp)


def test_polars_reads_dataset_with_hive_date(tmp_path):
    pl = pytest.importorskip("polars")
    root = tmp_path / "data"
    write_run(root)
    df = pl.scan_parquet(str(root / "equity_trades" / "*" / "*.parquet"), hive_partitioning=True).collect()
    exp = expected("equity_trades")
    assert df.height == exp.num_rows
    assert "date" in df.columns
    assert sorted(str(d) for d in df["date"].unique().to_list()) == ["2026-03-02", "2026-03-03"]
    assert df["price"].sum() == pytest.approx(pc.sum(exp.column("price")).as_py())
    assert df["ts_event"].dt.epoch("ns").sum() == pc.sum(exp.column("ts_event").cast(pa.int64())).as_py()


def test_duckdb_reads_dataset_with_hive_date(tmp_path):
    duckdb = pytest.importorskip("duckdb")
    root = tmp_path / "data"
    write_run(root)
    glob = str(root / "equity_quotes" / "*" / "*.parquet")
    con = duckdb.connect()
    n, ndates, bid_sum, nvenues = con.execute(
        f"select count(*), count(distinct date), sum(bid_px_00), count(distinct bid_venue) "
        f"from read_parquet('{glob}', hive_partitioning=true)").fetchone()
    exp = expected("equity_quotes")
    assert n == exp.num_rows and ndates == 2
    assert bid_sum == pytest.approx(pc.sum(exp.column("bid_px_00")).as_py())
    rows = con.execute(f"select distinct cast(date as varchar) from read_parquet('{glob}', hive_partitioning=true) "
                       f"order by 1").fetchall()
    assert rows == [("2026-03-02",), ("2026-03-03",)]
    con.close()


def test_row_groups_are_filled_from_small_batches(tmp_path):
    sink = ParquetDatasetSink(tmp_path, ["equity_trades"], row_group_rows=100)
    sink.begin(MANIFEST, HASH)
    items = [("equity_trades", make_batch("equity_trades", 35, seed=i, start_seq=35 * i)) for i in range(10)]
    rows = sink.write_partition("2026-03-02", "AAPL", items)
    assert rows == {"equity_trades": 350}
    md = pq.ParquetFile(sink.path("equity_trades", "2026-03-02", "AAPL")).metadata
    assert [md.row_group(i).num_rows for i in range(md.num_row_groups)] == [100, 100, 100, 50]
    got = pq.read_table(sink.path("equity_trades", "2026-03-02", "AAPL"))
    assert got.equals(pa.Table.from_batches([b for _, b in items]))


# --- partition completeness ---------------------------------------------------------------------

def test_tables_without_batches_get_empty_files(tmp_path):
    sink = ParquetDatasetSink(tmp_path, TABLES)
    sink.begin(MANIFEST, HASH)
    sink.write_partition("2026-03-02", "AAPL", partition_items("2026-03-02", "AAPL", tables=("equity_trades",)))
    assert sink.is_done("2026-03-02", "AAPL")
    for t in ("equity_quotes", "bars_1m"):
        tbl = pq.read_table(sink.path(t, "2026-03-02", "AAPL"))
        assert tbl.num_rows == 0
        assert tbl.schema.equals(schemas.schema(t), check_metadata=False)
    # the empty files keep the dataset readable as a whole
    assert ds.dataset(tmp_path / "bars_1m", format="parquet", partitioning="hive").to_table().num_rows == 0


def test_unlisted_tables_are_ignored(tmp_path):
    sink = ParquetDatasetSink(tmp_path, ["bars_1m"])
    sink.begin(MANIFEST, HASH)
    rows = sink.write_partition("2026-03-02", "AAPL", partition_items("2026-03-02", "AAPL"))
    assert rows == {"bars_1m": 10}
    assert not (tmp_path / "equity_trades").exists()


def test_is_done_and_completed_partitions(tmp_path):
    sink = write_run(tmp_path, PARTS[:2], finish=False)
    assert sink.is_done(*PARTS[0]) and sink.is_done(*PARTS[1])
    assert not sink.is_done(*PARTS[2])
    assert sink.completed_partitions() == sorted(PARTS[:2])
    # a partition missing one table's file is not done
    sink.path("bars_1m", *PARTS[1]).unlink()
    assert not sink.is_done(*PARTS[1])
    assert sink.completed_partitions() == [PARTS[0]]


def test_concurrent_partitions_on_two_threads(tmp_path):
    parts = [(f"2026-03-{d:02d}", s) for d in (2, 3, 4, 5) for s in ("AAPL", "MSFT", "NVDA")]
    sink = ParquetDatasetSink(tmp_path, TABLES)
    sink.begin(MANIFEST, HASH)
    threads = set()

    def job(part):
        threads.add(threading.get_ident())
        return sink.write_partition(*part, partition_items(*part))

    with ThreadPoolExecutor(2) as ex:
        results = list(ex.map(job, parts))
    assert all(r == {t: 10 for t in TABLES} for r in results)
    assert sink.rows_written == {t: 10 * len(parts) for t in TABLES}
    assert sink.completed_partitions() == sorted(parts)
    assert not temps_under(tmp_path)
    got = ds.dataset(tmp_path / "equity_trades", format="parquet", partitioning="hive").to_table()
    assert got.num_rows == expected("equity_trades", parts).num_rows


# --- failures leave nothing half-written ---------------------------------------------------------

@pytest.mark.parametrize("exc", [RuntimeError("engine blew up"), KeyboardInterrupt()])
def test_exception_mid_partition_leaves_no_final_and_no_temp(tmp_path, exc):
    sink = ParquetDatasetSink(tmp_path, TABLES)
    sink.begin(MANIFEST, HASH)

    def items():
        yield "equity_trades", make_batch("equity_trades", 10)
        yield "bars_1m", make_batch("bars_1m", 3)
        raise exc

    with pytest.raises(type(exc)):
        sink.write_partition("2026-03-02", "AAPL", items())
    assert not sink.is_done("2026-03-02", "AAPL")
    assert all_files(tmp_path) == [MANIFEST_NAME]
    assert not temps_under(tmp_path)
    assert sink.rows_written == {t: 0 for t in TABLES}


def test_wrong_batch_schema_raises_and_cleans_up(tmp_path):
    sink = ParquetDatasetSink(tmp_path, TABLES)
    sink.begin(MANIFEST, HASH)
    bad = make_batch("bars_1m", 3)
    with pytest.raises(ValueError, match="equity_trades batch .* does not match"):
        sink.write_partition("2026-03-02", "AAPL", [("equity_trades", bad)])
    assert all_files(tmp_path) == [MANIFEST_NAME]


def test_bad_date_or_part_is_config_error(tmp_path):
    sink = ParquetDatasetSink(tmp_path, TABLES)
    sink.begin(MANIFEST, HASH)
    for date, part, field in [("2026-3-2", "AAPL", "date"), ("2026-02-30", "AAPL", "date"),
                              ("2026-03-02", "../x", "part"), ("2026-03-02", "", "part"),
                              ("2026-03-02", ".hidden", "part")]:
        with pytest.raises(ConfigError) as ei:
            sink.write_partition(date, part, [])
        assert ei.value.field == field
    assert all_files(tmp_path) == [MANIFEST_NAME]


def test_unknown_table_and_bad_options(tmp_path):
    with pytest.raises(ConfigError, match="did you mean 'equity_trades'"):
        ParquetDatasetSink(tmp_path, ["equity_trade"])
    with pytest.raises(ConfigError) as ei:
        ParquetDatasetSink(tmp_path, [])
    assert ei.value.field == "tables"
    with pytest.raises(ConfigError) as ei:
        ParquetDatasetSink(tmp_path, TABLES, compression="zip")
    assert ei.value.field == "compression"


def test_write_before_begin_is_an_error(tmp_path):
    with pytest.raises(RuntimeError, match="begin"):
        ParquetDatasetSink(tmp_path, TABLES).write_partition("2026-03-02", "AAPL", [])


# --- run state: fresh, resume, refuse, overwrite --------------------------------------------------

def test_begin_creates_root_and_writes_manifest(tmp_path):
    root = tmp_path / "a" / "b" / "data"
    assert ParquetDatasetSink(root, TABLES).begin(MANIFEST, HASH) == "fresh"
    assert read_manifest(root) == (HASH, MANIFEST)
    assert json.loads((root / MANIFEST_NAME).read_bytes()) == {"manifest_hash": HASH,
                                                               "manifest": json.loads(MANIFEST)}


def test_begin_on_existing_empty_dir_is_fresh(tmp_path):
    assert ParquetDatasetSink(tmp_path, TABLES).begin(MANIFEST, HASH) == "fresh"


def test_finish_writes_success_summary(tmp_path):
    sink = write_run(tmp_path, PARTS[:1], finish=False)
    sink.finish({"rows": {"equity_trades": np.int64(10)}, "partitions": 1})
    assert json.loads((tmp_path / SUCCESS_NAME).read_bytes()) == {
        "manifest_hash": HASH, "rows": {"equity_trades": 10}, "partitions": 1}


def test_resume_keeps_finished_partitions(tmp_path):
    write_run(tmp_path, PARTS[:2], finish=False)  # "interrupted": no finish
    kept = tmp_path / "equity_trades" / "date=2026-03-02" / "AAPL.parquet"
    mtime = kept.stat().st_mtime_ns
    stale = tmp_path / "equity_trades" / "date=2026-03-03" / ".AAPL.parquet.tmp-999999999-7"  # dead writer
    stale.parent.mkdir(parents=True)
    stale.write_bytes(b"half a parquet file")  # what a killed process leaves behind
    sink = ParquetDatasetSink(tmp_path, TABLES)
    assert sink.begin(MANIFEST, HASH) == "resume"
    assert not stale.exists()
    assert sink.is_done(*PARTS[0]) and sink.is_done(*PARTS[1])
    assert not sink.is_done(*PARTS[2])
    assert sink.completed_partitions() == sorted(PARTS[:2])
    for part in PARTS:
        if not sink.is_done(*part):
            sink.write_partition(*part, partition_items(*part))
    sink.finish({})
    assert kept.stat().st_mtime_ns == mtime  # not rewritten
    assert sink.completed_partitions() == sorted(PARTS)
    got = ds.dataset(tmp_path / "equity_trades", format="parquet", partitioning="hive").to_table()
    assert got.num_rows == expected("equity_trades").num_rows


def test_refuses_complete_run_without_overwrite(tmp_path):
    write_run(tmp_path, PARTS[:1])
    before = all_files(tmp_path)
    with pytest.raises(OutputError) as ei:
        ParquetDatasetSink(tmp_path, TABLES).begin(MANIFEST, HASH)
    assert str(ei.value) == f"{tmp_path} already holds this run (complete); pass --overwrite to regenerate"
    assert all_files(tmp_path) == before


def test_refuses_different_run_without_overwrite(tmp_path):
    write_run(tmp_path, PARTS[:1], finish=False)
    before = all_files(tmp_path)
    with pytest.raises(OutputError) as ei:
        ParquetDatasetSink(tmp_path, TABLES).begin(b'{"seed":2}', OTHER_HASH)
    msg = str(ei.value)
    assert "different fastsynth run" in msg and HASH[:12] in msg and OTHER_HASH[:12] in msg
    assert "--overwrite" in msg and "--out" in msg and "\n" not in msg
    assert all_files(tmp_path) == before


def test_refuses_foreign_nonempty_dir_even_with_overwrite(tmp_path):
    (tmp_path / "notes.txt").write_text("mine")
    (tmp_path / "photos").mkdir()
    for overwrite in (False, True):
        with pytest.raises(OutputError) as ei:
            ParquetDatasetSink(tmp_path, TABLES, overwrite=overwrite).begin(MANIFEST, HASH)
        assert "notes.txt" in str(ei.value) and "photos/" in str(ei.value)
        assert "--out" in str(ei.value)
    assert sorted(os.listdir(tmp_path)) == ["notes.txt", "photos"]


def test_overwrite_replaces_complete_run(tmp_path):
    write_run(tmp_path, PARTS[:2])
    sink = ParquetDatasetSink(tmp_path, TABLES, overwrite=True)
    assert sink.begin(b'{"seed":2}', OTHER_HASH) == "fresh"
    assert not (tmp_path / SUCCESS_NAME).exists()
    assert sink.completed_partitions() == []  # old partitions gone
    sink.write_partition(*PARTS[3], partition_items(*PARTS[3]))
    sink.finish({})
    assert read_manifest(tmp_path) == (OTHER_HASH, b'{"seed":2}')
    assert sink.completed_partitions() == [PARTS[3]]


def test_overwrite_same_complete_run_regenerates(tmp_path):
    write_run(tmp_path, PARTS[:1])
    sink = ParquetDatasetSink(tmp_path, TABLES, overwrite=True)
    assert sink.begin(MANIFEST, HASH) == "fresh"
    assert sink.completed_partitions() == []


def test_overwrite_refuses_when_foreign_files_are_mixed_in(tmp_path):
    write_run(tmp_path, PARTS[:1])
    (tmp_path / "README.md").write_text("my notes")
    (tmp_path / "equity_trades" / "date=2026-03-02" / "extra.csv").write_text("a,b")
    before = all_files(tmp_path)
    with pytest.raises(OutputError) as ei:
        ParquetDatasetSink(tmp_path, TABLES, overwrite=True).begin(MANIFEST, OTHER_HASH)
    msg = str(ei.value)
    assert "README.md" in msg and "extra.csv" in msg and "even with --overwrite" in msg
    assert all_files(tmp_path) == before  # nothing deleted


def test_our_files_without_manifest_need_overwrite(tmp_path):
    write_run(tmp_path, PARTS[:1])
    (tmp_path / MANIFEST_NAME).unlink()
    (tmp_path / SUCCESS_NAME).unlink()
    with pytest.raises(OutputError, match="pass --overwrite"):
        ParquetDatasetSink(tmp_path, TABLES).begin(MANIFEST, HASH)
    assert ParquetDatasetSink(tmp_path, TABLES, overwrite=True).begin(MANIFEST, HASH) == "fresh"
    assert all_files(tmp_path) == [MANIFEST_NAME]


def test_unreadable_manifest_needs_overwrite(tmp_path):
    (tmp_path / MANIFEST_NAME).write_text("not json")
    with pytest.raises(OutputError, match="unreadable"):
        ParquetDatasetSink(tmp_path, TABLES).begin(MANIFEST, HASH)
    assert ParquetDatasetSink(tmp_path, TABLES, overwrite=True).begin(MANIFEST, HASH) == "fresh"


def test_unwritable_root_is_output_error(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    for root in (blocker / "data", blocker):
        with pytest.raises(OutputError) as ei:
            ParquetDatasetSink(root, TABLES).begin(MANIFEST, HASH)
        msg = str(ei.value)
        assert str(root) in msg and "\n" not in msg


def test_os_error_while_writing_is_one_line_output_error(tmp_path):
    sink = ParquetDatasetSink(tmp_path, TABLES)
    sink.begin(MANIFEST, HASH)
    (tmp_path / "bars_1m").write_text("in the way")  # the table dir cannot be created
    with pytest.raises(OutputError) as ei:
        sink.write_partition("2026-03-02", "AAPL", partition_items("2026-03-02", "AAPL"))
    msg = str(ei.value)
    assert "date=2026-03-02 part=AAPL" in msg and str(tmp_path) in msg and "\n" not in msg
    assert not temps_under(tmp_path) and not sink.is_done("2026-03-02", "AAPL")


def test_resume_keeps_temps_of_live_processes(tmp_path):
    write_run(tmp_path, PARTS[:1], finish=False)
    d = tmp_path / "equity_trades" / "date=2026-03-02"
    dead = d / ".MSFT.parquet.tmp-999999999-1"  # pid beyond pid_max: that process is gone
    alive = d / f".NVDA.parquet.tmp-{os.getppid()}-1"  # a running process may still be writing it
    dead.write_bytes(b"x")
    alive.write_bytes(b"x")
    assert ParquetDatasetSink(tmp_path, TABLES).begin(MANIFEST, HASH) == "resume"
    assert not dead.exists() and alive.exists()


# --- encoder threads, session-wide parts, writer options -------------------------------------------

def _run_bytes(root: Path, *, encoder, batch_rows: int, row_group_rows: int = 64) -> dict[str, bytes]:
    sink = ParquetDatasetSink(root, ["equity_trades", "equity_quotes"], row_group_rows=row_group_rows)
    sink.begin(MANIFEST, HASH)
    for date, sym in PARTS[:2]:
        whole = {t: make_batch(t, 300, symbol=sym, date=date, seed=len(sym) + i)
                 for i, t in enumerate(("equity_trades", "equity_quotes"))}
        items = [(t, b.slice(o, batch_rows)) for o in range(0, 300, batch_rows) for t, b in whole.items()]
        sink.write_partition(date, sym, items, encoder=encoder)
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*.parquet"))}


def test_encoder_threads_give_the_same_bytes(tmp_path):
    """Row groups encoded on other threads while the items are consumed: same files, byte for byte,
    whatever the batching of the items."""
    direct = _run_bytes(tmp_path / "direct", encoder=None, batch_rows=300)
    with ThreadPoolExecutor(2) as enc:
        threaded = _run_bytes(tmp_path / "threaded", encoder=enc, batch_rows=7)
        threaded_big = _run_bytes(tmp_path / "threaded2", encoder=enc, batch_rows=100)
    assert len(direct) == 4 and direct == threaded == threaded_big
    md = pq.ParquetFile(tmp_path / "threaded" / "equity_trades" / "date=2026-03-02" / "AAPL.parquet").metadata
    assert [md.row_group(i).num_rows for i in range(md.num_row_groups)] == [64, 64, 64, 64, 44]


def test_encoder_failure_cleans_up(tmp_path):
    """An error inside an encode task surfaces in write_partition, which removes its temp files."""
    sink = ParquetDatasetSink(tmp_path, ["equity_trades"], row_group_rows=10)
    sink.begin(MANIFEST, HASH)

    class Boom(ThreadPoolExecutor):
        def submit(self, fn, *a, **kw):
            def fail(*_a, **_kw):
                raise OSError(28, "No space left on device")
            return super().submit(fail, *a, **kw)

    items = [("equity_trades", make_batch("equity_trades", 25))]
    with Boom(1) as enc, pytest.raises(OutputError, match="No space left on device"):
        sink.write_partition("2026-03-02", "AAPL", items, encoder=enc)
    assert all_files(tmp_path) == [MANIFEST_NAME]
    assert not temps_under(tmp_path)


def test_session_part_writes_only_session_tables(tmp_path):
    """The "@session" part holds the session-wide tables; symbol parts never get files for them, and
    is_done / completed_partitions / resume judge each part by its own tables."""
    from fastsynth.sinks.parquet import SESSION_PART, part_tables
    from fastsynth.engine import SESSION_PART as ENGINE_SESSION_PART

    assert SESSION_PART == ENGINE_SESSION_PART
    tables = ("regime", "equity_trades", "events")
    assert part_tables(tables, SESSION_PART) == ("regime", "events")
    assert part_tables(tables, "AAPL") == ("equity_trades",)
    sink = ParquetDatasetSink(tmp_path, tables)
    sink.begin(MANIFEST, HASH)
    assert not sink.is_done("2026-03-02", SESSION_PART)
    rows = sink.write_partition("2026-03-02", SESSION_PART, [])
    assert rows == {"regime": 0, "events": 0}
    sink.write_partition("2026-03-02", "AAPL", partition_items("2026-03-02", "AAPL", tables=("equity_trades",)))
    assert all_files(tmp_path) == sorted([
        MANIFEST_NAME, "equity_trades/date=2026-03-02/AAPL.parquet",
        "events/date=2026-03-02/@session.parquet", "regime/date=2026-03-02/@session.parquet"])
    assert sink.is_done("2026-03-02", SESSION_PART) and sink.is_done("2026-03-02", "AAPL")
    assert sink.completed_partitions() == [("2026-03-02", SESSION_PART), ("2026-03-02", "AAPL")]
    sink.path("events", "2026-03-02", SESSION_PART).unlink()
    assert not sink.is_done("2026-03-02", SESSION_PART)
    assert sink.completed_partitions() == [("2026-03-02", "AAPL")]
    for t in ("regime", "equity_trades"):   # still one readable dataset per table
        ds.dataset(tmp_path / t, format="parquet", partitioning="hive").to_table()


def test_writer_options_per_column():
    from fastsynth.sinks.parquet import _writer_options

    o = _writer_options(schemas.schema("equity_quotes"))
    assert o["column_encoding"] == {"ts_event": "DELTA_BINARY_PACKED", "ts_recv": "DELTA_BINARY_PACKED",
                                    "sequence": "DELTA_BINARY_PACKED", "bid_px_00": "PLAIN", "ask_px_00": "PLAIN"}
    assert "bid_px_00" not in o["use_dictionary"] and "bid_venue" in o["use_dictionary"]
    # option quotes interleave many contracts: prices, contract ids and sizes dictionary-encoded, not
    # compressed; ts_event delta-packed and compressed (contracts re-quote at one timestamp)
    q = _writer_options(schemas.schema("option_quotes"))
    assert {"bid_px", "instrument_id", "bid_sz"} <= set(q["use_dictionary"])
    assert q["compression"]["bid_px"] == q["compression"]["instrument_id"] == "none"
    assert q["compression"]["ts_event"] == "zstd" and q["compression"]["ts_recv"] == "none"
    # near-unique option-print columns: no dictionary (it overflowed at 60-100 ns/row each)
    t = _writer_options(schemas.schema("option_trades"))
    assert t["column_encoding"]["iv"] == "PLAIN" and t["column_encoding"]["trade_id"] == "DELTA_BINARY_PACKED"
    assert not {"iv", "delta", "trade_id", "nbbo_age_ns"} & set(t["use_dictionary"])
    assert o["write_statistics"] == ["ts_event"]
    assert o["compression"]["ts_recv"] == "none" and o["compression"]["bid_px_00"] == "zstd"
    assert set(o["compression"]) == set(schemas.schema("equity_quotes").names)
    for t in schemas.TABLES:   # every table's options are accepted by the writer
        s = schemas.schema(t)
        pq.ParquetWriter(pa.BufferOutputStream(), s, **_writer_options(s)).close()


def test_files_are_zstd_except_delta_columns(tmp_path):
    sink = write_run(tmp_path, PARTS[:1])
    md = pq.ParquetFile(sink.path("equity_trades", *PARTS[0])).metadata
    codecs = {md.schema.column(i).name: md.row_group(0).column(i).compression for i in range(md.num_columns)}
    assert codecs["price"] == codecs["venue"] == "ZSTD"
    assert codecs["ts_event"] == codecs["ts_recv"] == codecs["sequence"] == "UNCOMPRESSED"
    lz4 = write_run(tmp_path / "lz4", PARTS[:1], compression="lz4")
    md = pq.ParquetFile(lz4.path("equity_trades", *PARTS[0])).metadata
    assert md.row_group(0).column(3).compression == "LZ4"
