"""IPC and NDJSON sinks writing a run into a directory (``run=(manifest_json, hash)``, what ``fastsynth
generate`` passes): the Parquet dataset's contract — manifest first, ``_SUCCESS`` last, atomic files,
another run refused unless ``overwrite`` (which removes that run's files, never user files), the same
run finished -> ``already_complete``, an interrupted run written again.
"""
from __future__ import annotations

import json
from pathlib import Path

import msgspec
import pyarrow as pa
import pytest

from fastsynth.errors import OutputError
from fastsynth.sinks import MANIFEST_NAME, SUCCESS_NAME, IpcSink, NdjsonSink, read_manifest
from fastsynth.sinks._rundir import clear_stream_run

from ._data import make_batch, partition_items

SINKS = {"ipc": (IpcSink, ".arrows"), "ndjson": (NdjsonSink, ".ndjson")}
TABLES = ("equity_trades", "bars_1m")


def run_of(n: int) -> tuple[bytes, str]:
    body = msgspec.json.encode({"run": n})
    return body, f"{n:064x}"


def items():
    return partition_items("2026-03-02", "AAPL", tables=TABLES)


def names(d: Path) -> list[str]:
    return sorted(p.name for p in d.iterdir())


def rows_in(path: Path) -> int:
    if path.suffix == ".arrows":
        return pa.ipc.open_stream(path.read_bytes()).read_all().num_rows
    return len(path.read_bytes().splitlines())


@pytest.fixture(params=sorted(SINKS))
def fmt(request):
    return request.param


def test_fresh_run_writes_manifest_files_and_success(tmp_path, fmt):
    cls, suf = SINKS[fmt]
    body, h = run_of(1)
    sink = cls(tmp_path, TABLES, run=(body, h))
    assert not sink.already_complete
    rows = sink.write(items())
    assert rows == {"equity_trades": 10, "bars_1m": 10}
    assert names(tmp_path) == sorted([MANIFEST_NAME, SUCCESS_NAME, *(f"{t}{suf}" for t in TABLES)])
    assert read_manifest(tmp_path) == (h, body)            # the Parquet sink's manifest format
    assert json.loads((tmp_path / SUCCESS_NAME).read_bytes()) == {"manifest_hash": h, "rows": rows}
    for t in TABLES:
        assert rows_in(tmp_path / f"{t}{suf}") == 10
    # the same run again: finished, nothing to do (and nothing touched)
    before = {p.name: p.read_bytes() for p in tmp_path.iterdir()}
    assert cls(tmp_path, TABLES, run=(body, h)).already_complete
    assert {p.name: p.read_bytes() for p in tmp_path.iterdir()} == before


def test_other_run_refused_then_overwrite_removes_its_stale_tables(tmp_path, fmt):
    cls, suf = SINKS[fmt]
    cls(tmp_path, ("equity_trades", "equity_quotes", "bars_1m"), run=run_of(1)).write(
        partition_items("2026-03-02", "AAPL"))
    with pytest.raises(OutputError, match="holds a different fastsynth run .*pass --overwrite"):
        cls(tmp_path, ("bars_1m",), run=run_of(2))
    assert read_manifest(tmp_path)[0] == run_of(1)[1]
    cls(tmp_path, ("bars_1m",), run=run_of(2), overwrite=True).write(items())
    assert names(tmp_path) == sorted([MANIFEST_NAME, SUCCESS_NAME, f"bars_1m{suf}"])   # no stale tables
    assert read_manifest(tmp_path)[0] == run_of(2)[1]


def test_user_files_are_never_deleted(tmp_path, fmt):
    cls, _ = SINKS[fmt]
    (tmp_path / "notes.txt").write_text("mine")
    with pytest.raises(OutputError, match="not written by fastsynth .*notes.txt"):
        cls(tmp_path, TABLES, run=run_of(1))
    cls(tmp_path / "d", TABLES, run=run_of(1)).write(items())
    (tmp_path / "d" / "notes.txt").write_text("mine")
    with pytest.raises(OutputError, match="refusing to delete them even with --overwrite"):
        cls(tmp_path / "d", TABLES, run=run_of(2), overwrite=True)
    assert (tmp_path / "d" / "notes.txt").read_text() == "mine"
    assert (tmp_path / "d" / SUCCESS_NAME).is_file()


def test_interrupted_run_leaves_no_table_file_and_is_written_again(tmp_path, fmt):
    cls, suf = SINKS[fmt]

    def failing():
        yield "bars_1m", make_batch("bars_1m")
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        cls(tmp_path, TABLES, run=run_of(1)).write(failing())
    assert names(tmp_path) == [MANIFEST_NAME]         # run state only: no temp, no table file, no _SUCCESS
    sink = cls(tmp_path, TABLES, run=run_of(1))       # same run: written again, no --overwrite needed
    assert not sink.already_complete
    sink.write(items())
    assert (tmp_path / SUCCESS_NAME).is_file() and rows_in(tmp_path / f"bars_1m{suf}") == 10


def test_interrupted_overwrite_is_not_taken_for_finished(tmp_path, fmt):
    cls, suf = SINKS[fmt]
    cls(tmp_path, TABLES, run=run_of(1)).write(items())

    def failing():
        yield "bars_1m", make_batch("bars_1m")
        raise RuntimeError("boom")

    with pytest.raises(RuntimeError):
        cls(tmp_path, ("bars_1m",), run=run_of(2), overwrite=True).write(failing())
    assert names(tmp_path) == [MANIFEST_NAME]         # old run gone, new one unfinished (no _SUCCESS)
    assert read_manifest(tmp_path)[0] == run_of(2)[1]
    with pytest.raises(OutputError, match="different fastsynth run"):
        cls(tmp_path, TABLES, run=run_of(1))          # the old run is not "complete" any more


def test_output_without_manifest_needs_overwrite(tmp_path, fmt):
    cls, suf = SINKS[fmt]
    (tmp_path / f"bars_1m{suf}").write_bytes(b"old")
    with pytest.raises(OutputError, match=f"without {MANIFEST_NAME} .*bars_1m{suf}.*--overwrite"):
        cls(tmp_path, TABLES, run=run_of(1))
    cls(tmp_path, ("equity_trades",), run=run_of(1), overwrite=True).write(items())
    assert names(tmp_path) == sorted([MANIFEST_NAME, SUCCESS_NAME, f"equity_trades{suf}"])


def test_overwrite_of_a_parquet_run_and_back(tmp_path, fmt):
    cls, suf = SINKS[fmt]
    d = tmp_path / "equity_trades" / "date=2026-03-02"
    d.mkdir(parents=True)
    (d / "AAPL.parquet").write_bytes(b"x")
    (tmp_path / MANIFEST_NAME).write_bytes(msgspec.json.encode({"manifest_hash": "p" * 64, "manifest": {}}))
    (tmp_path / SUCCESS_NAME).write_text("{}")
    cls(tmp_path, ("bars_1m",), run=run_of(1), overwrite=True).write(items())
    assert names(tmp_path) == sorted([MANIFEST_NAME, SUCCESS_NAME, f"bars_1m{suf}"])
    # and a Parquet run with --overwrite (the CLI clears the stream run first)
    assert clear_stream_run(tmp_path) is True
    assert names(tmp_path) == []
    assert clear_stream_run(tmp_path) is False


def test_a_table_directory_with_other_files_is_foreign(tmp_path, fmt):
    cls, _ = SINKS[fmt]
    cls(tmp_path, TABLES, run=run_of(1)).write(items())
    (tmp_path / "equity_quotes").mkdir()
    (tmp_path / "equity_quotes" / "mine.csv").write_text("x")
    with pytest.raises(OutputError, match="equity_quotes/"):
        cls(tmp_path, TABLES, run=run_of(2), overwrite=True)
    assert (tmp_path / "equity_quotes" / "mine.csv").exists()


def test_without_run_the_plain_files_api_is_unchanged(tmp_path, fmt):
    cls, suf = SINKS[fmt]
    cls(tmp_path, TABLES).write(items())
    assert names(tmp_path) == sorted(f"{t}{suf}" for t in TABLES)
