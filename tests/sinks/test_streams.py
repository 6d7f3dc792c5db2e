"""IPC stream and NDJSON sinks: round trips, stdout rules, refusal of existing files, atomicity."""
from __future__ import annotations

import io
import json
import sys
from pathlib import Path

import pyarrow as pa
import pytest

from fastsynth import schemas
from fastsynth.errors import ConfigError, OutputError
from fastsynth.sinks import IpcSink, NdjsonSink, encode_batch, write_ipc, write_ndjson
from fastsynth.sinks import ndjson as ndjson_mod

from ._data import make_batch, partition_items

TABLES = ("equity_trades", "equity_quotes", "bars_1m")


class FakeStdout:
    """Stands in for sys.stdout: text side unused, ``buffer`` collects the bytes."""

    def __init__(self, buffer: io.RawIOBase | io.BytesIO | None = None) -> None:
        self.buffer = buffer if buffer is not None else io.BytesIO()


class BrokenPipeBuffer(io.RawIOBase):
    def writable(self) -> bool:
        return True

    def write(self, b) -> int:
        raise BrokenPipeError(32, "Broken pipe")


def run_items() -> list[tuple[str, pa.RecordBatch]]:
    return partition_items("2026-03-02", "AAPL") + partition_items("2026-03-02", "MSFT")


def batches_of(items, table):
    return [b for t, b in items if t == table]


def only_files(d: Path) -> list[str]:
    return sorted(p.name for p in d.iterdir())


# --- Arrow IPC --------------------------------------------------------------------------------------

def test_ipc_directory_round_trip(tmp_path):
    items = run_items()
    rows = write_ipc(iter(items), tmp_path / "out", ["equity_trades", "bars_1m"])
    assert rows == {"equity_trades": 20, "bars_1m": 20}
    assert only_files(tmp_path / "out") == ["bars_1m.arrows", "equity_trades.arrows"]
    for t in ("equity_trades", "bars_1m"):
        with pa.ipc.open_stream(tmp_path / "out" / f"{t}.arrows") as r:
            got = r.read_all()
        assert got.schema.equals(schemas.schema(t))
        assert got.equals(pa.Table.from_batches(batches_of(items, t)))


def test_ipc_table_without_rows_gets_schema_only_stream(tmp_path):
    write_ipc(partition_items("2026-03-02", "AAPL", tables=("bars_1m",)), tmp_path, ["equity_trades", "bars_1m"])
    with pa.ipc.open_stream(tmp_path / "equity_trades.arrows") as r:
        got = r.read_all()
    assert got.num_rows == 0 and got.schema.equals(schemas.schema("equity_trades"))


def test_ipc_stdout_one_table(monkeypatch):
    fake = FakeStdout()
    monkeypatch.setattr(sys, "stdout", fake)
    items = run_items()
    assert write_ipc(items, "-", ["equity_quotes"]) == {"equity_quotes": 20}
    got = pa.ipc.open_stream(fake.buffer.getvalue()).read_all()
    assert got.equals(pa.Table.from_batches(batches_of(items, "equity_quotes")))


def test_ipc_stdout_refuses_several_tables(monkeypatch):
    monkeypatch.setattr(sys, "stdout", FakeStdout())
    with pytest.raises(ConfigError) as ei:
        IpcSink("-", ["equity_trades", "bars_1m"])
    assert ei.value.field == "tables"
    assert "stdout carries one table" in str(ei.value)
    assert sys.stdout.buffer.getvalue() == b""


def test_ipc_stdout_broken_pipe_stops_quietly(monkeypatch):
    monkeypatch.setattr(sys, "stdout", FakeStdout(BrokenPipeBuffer()))
    assert write_ipc(run_items(), "-", ["bars_1m"]) == {"bars_1m": 0}


def test_ipc_existing_file_refuses_unless_overwrite(tmp_path):
    (tmp_path / "bars_1m.arrows").write_bytes(b"old")
    with pytest.raises(OutputError) as ei:
        IpcSink(tmp_path, ["bars_1m"])
    assert str(ei.value) == (f"{tmp_path / 'bars_1m.arrows'} already exists; pass --overwrite to replace it "
                             f"or choose another --out")
    assert (tmp_path / "bars_1m.arrows").read_bytes() == b"old"
    write_ipc(run_items(), tmp_path, ["bars_1m"], overwrite=True)
    assert pa.ipc.open_stream(tmp_path / "bars_1m.arrows").read_all().num_rows == 20


def test_ipc_exception_leaves_no_files(tmp_path):
    def items():
        yield "bars_1m", make_batch("bars_1m")
        raise RuntimeError("boom")

    with pytest.raises(RuntimeError, match="boom"):
        write_ipc(items(), tmp_path, ["equity_trades", "bars_1m"])
    assert only_files(tmp_path) == []


def test_ipc_unwritable_out_is_output_error(tmp_path):
    (tmp_path / "f").write_text("x")
    with pytest.raises(OutputError, match="cannot create output directory"):
        IpcSink(tmp_path / "f" / "out", ["bars_1m"])


# --- NDJSON -----------------------------------------------------------------------------------------

def _check_lines(lines: list[bytes], batches: list[pa.RecordBatch], table: str, tagged: bool) -> None:
    tbl = pa.Table.from_batches(batches)
    for i, f in enumerate(tbl.schema):  # expected timestamps as int ns (to_pylist would give datetimes)
        if pa.types.is_timestamp(f.type):
            tbl = tbl.set_column(i, f.name, tbl.column(i).cast(pa.int64()))
    expected_rows = tbl.to_pylist()
    assert len(lines) == len(expected_rows)
    names = schemas.schema(table).names
    for raw, exp in zip(lines, expected_rows):
        obj = json.loads(raw)
        if tagged:
            assert raw.startswith(b'{"table":"%s",' % table.encode())
            assert obj.pop("table") == table
        assert list(obj) == names  # schema order
        for k, v in exp.items():
            if isinstance(v, float):
                assert obj[k] == v
                assert f'"{k}":{v!r}'.encode() in raw  # shortest round-trip repr, e.g. 101.23
            else:
                assert type(obj[k]) is type(v) and obj[k] == v  # ints stay ints (ts_* in ns), codes as str


def _ts_ints(batches, col):
    return [v for b in batches for v in b.column(col).cast(pa.int64()).to_pylist()]


def test_ndjson_files(tmp_path):
    items = run_items()
    rows = write_ndjson(items, tmp_path, TABLES)
    assert rows == {t: 20 for t in TABLES}
    assert only_files(tmp_path) == sorted(f"{t}.ndjson" for t in TABLES)
    for t in TABLES:
        lines = (tmp_path / f"{t}.ndjson").read_bytes().splitlines()
        _check_lines(lines, batches_of(items, t), t, tagged=False)
        assert [json.loads(x)["ts_event"] for x in lines] == _ts_ints(batches_of(items, t), "ts_event")


def test_ndjson_timestamps_are_int_ns_and_prices_clean(tmp_path):
    b = make_batch("equity_trades", 3)
    b = b.set_column(3, b.schema.field("price"), pa.array([101.23, 0.3, 4321.07]))
    line = encode_batch(b).splitlines()[0]
    obj = json.loads(line)
    assert obj["ts_event"] == b.column("ts_event").cast(pa.int64())[0].as_py()
    assert obj["ts_recv"] - obj["ts_event"] == 25_000
    assert b'"price":101.23,' in line
    assert [json.loads(x)["price"] for x in encode_batch(b).splitlines()] == [101.23, 0.3, 4321.07]
    assert obj["venue"] in schemas.VENUES and obj["side"] in schemas.SIDES
    assert obj["symbol"] == "AAPL" and type(obj["size"]) is int


def test_ndjson_stdout_several_tables_are_tagged(monkeypatch):
    fake = FakeStdout()
    monkeypatch.setattr(sys, "stdout", fake)
    items = run_items()
    rows = write_ndjson(items, "-", ["bars_1m", "equity_trades"])
    assert rows == {"bars_1m": 20, "equity_trades": 20}
    lines = fake.buffer.getvalue().splitlines()
    # order follows the items
    assert [json.loads(x)["table"] for x in lines] == [t for t, b in items if t != "equity_quotes"
                                                       for _ in range(b.num_rows)]
    for t in ("bars_1m", "equity_trades"):
        mine = [x for x in lines if x.startswith(b'{"table":"%s"' % t.encode())]
        _check_lines(mine, batches_of(items, t), t, tagged=True)


def test_ndjson_stdout_single_table_is_untagged(monkeypatch):
    fake = FakeStdout()
    monkeypatch.setattr(sys, "stdout", fake)
    items = run_items()
    write_ndjson(items, "-", ["bars_1m"])
    lines = fake.buffer.getvalue().splitlines()
    _check_lines(lines, batches_of(items, "bars_1m"), "bars_1m", tagged=False)


def test_ndjson_stdout_broken_pipe_stops_quietly(monkeypatch):
    monkeypatch.setattr(sys, "stdout", FakeStdout(BrokenPipeBuffer()))
    assert write_ndjson(run_items(), "-", ["bars_1m"]) == {"bars_1m": 0}


def test_ndjson_chunking_gives_same_bytes(monkeypatch):
    b = make_batch("equity_quotes", 50)
    whole = encode_batch(b, "equity_quotes")
    monkeypatch.setattr(ndjson_mod, "_CHUNK_ROWS", 7)
    assert encode_batch(b, "equity_quotes") == whole
    assert encode_batch(b.slice(10, 5)) == b"".join(encode_batch(b).splitlines(keepends=True)[10:15])


def test_ndjson_existing_file_refuses_and_exception_cleans_up(tmp_path):
    (tmp_path / "equity_trades.ndjson").write_text("old\n")
    with pytest.raises(OutputError, match="already exists; pass --overwrite"):
        NdjsonSink(tmp_path, TABLES)

    def items():
        yield "bars_1m", make_batch("bars_1m")
        raise RuntimeError("boom")

    with pytest.raises(RuntimeError):
        write_ndjson(items(), tmp_path, TABLES, overwrite=True)
    assert only_files(tmp_path) == ["equity_trades.ndjson"]
    assert (tmp_path / "equity_trades.ndjson").read_text() == "old\n"  # untouched by the failed run


def test_stdout_closed_early_by_reader_exits_cleanly():
    """`fastsynth ... | head -1`: the writer stops without a traceback when the pipe closes."""
    import subprocess

    code = ("import sys; sys.path.insert(0, %r)\n"
            "from _data import make_batch\n"
            "from fastsynth.sinks import write_ndjson\n"
            "b = make_batch('equity_trades', 20000)\n"
            "write_ndjson((('equity_trades', b) for _ in range(50)), '-', ['equity_trades'])\n"
            % str(Path(__file__).parent))
    p = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    first = p.stdout.readline()
    p.stdout.close()  # like `head -1` exiting
    err = p.stderr.read()
    p.stderr.close()
    assert p.wait(timeout=60) == 0, err.decode()
    assert json.loads(first)["symbol"] == "AAPL"
    assert err == b""
