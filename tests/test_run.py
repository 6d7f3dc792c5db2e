"""run.run_to_parquet: partitions (symbol parts and the session-wide ``@session`` part) generated and
encoded on worker threads, resumable, same bytes whatever the thread count."""
from __future__ import annotations

from pathlib import Path

import pyarrow.parquet as pq
import pytest

from fastsynth import Manifest
from fastsynth.engine import SESSION_PART
from fastsynth.run import run_to_parquet
from fastsynth.sinks import SUCCESS_NAME


def files(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*.parquet"))}


def test_session_part_is_written_and_resumed(tmp_path):
    m = Manifest(seed=3, symbols=["IBM"], tables=["regime", "events", "bars_1m"])
    res = run_to_parquet(m, tmp_path / "d", workers=2)
    assert res.partitions_written == 2 and res.partitions_skipped == 0
    assert set(res.rows) == {"regime", "events", "bars_1m"} and res.rows["bars_1m"] > 0
    done = files(tmp_path / "d")
    assert sorted(done) == ["bars_1m/date=2026-03-02/IBM.parquet",
                            f"events/date=2026-03-02/{SESSION_PART}.parquet",
                            f"regime/date=2026-03-02/{SESSION_PART}.parquet"]
    # interrupted before the session part finished: only that part is redone, same bytes
    (tmp_path / "d" / SUCCESS_NAME).unlink()
    (tmp_path / "d" / "events" / "date=2026-03-02" / f"{SESSION_PART}.parquet").unlink()
    again = run_to_parquet(m, tmp_path / "d", workers=1)
    assert again.partitions_written == 1 and again.partitions_skipped == 1
    assert files(tmp_path / "d") == done


def test_symbol_tables_only_have_no_session_part(tmp_path):
    m = Manifest(seed=3, symbols=["IBM"], tables=["bars_1m"])
    res = run_to_parquet(m, tmp_path / "d", workers=1)
    assert res.partitions_written == 1
    md = pq.ParquetFile(tmp_path / "d" / "bars_1m" / "date=2026-03-02" / "IBM.parquet").metadata
    assert md.num_rows == res.rows["bars_1m"]
    assert md.row_group(0).column(0).statistics.has_min_max      # ts_event statistics kept


def test_same_bytes_whatever_the_workers_and_row_groups(tmp_path, monkeypatch):
    """Any worker count, and row groups small enough that encoding interleaves with generation on every
    thread (equities and options of a symbol are separate tasks): the same files byte for byte, and
    each table's rows those of fastsynth.generate."""
    from fastsynth import generate
    from fastsynth.sinks import ParquetDatasetSink

    m = Manifest(seed=4, symbols=["F"], tables=["equity_trades", "bars_1m", "regime", "option_contracts",
                                                "option_quotes", "option_trades"])
    got = []
    for i, workers in enumerate([1, 3]):
        run_to_parquet(m, tmp_path / str(i), workers=workers)
        got.append(files(tmp_path / str(i)))
    assert len(got[0]) == 6 and got[0] == got[1]
    monkeypatch.setattr(ParquetDatasetSink.__init__, "__kwdefaults__",
                        {**ParquetDatasetSink.__init__.__kwdefaults__, "row_group_rows": 5000})
    small = []
    for i, workers in enumerate([1, 2]):
        res = run_to_parquet(m, tmp_path / f"s{i}", workers=workers)
        assert res.partitions_written == 2
        small.append(files(tmp_path / f"s{i}"))
    assert small[0] == small[1] and small[0] != got[0]
    root = tmp_path / "s1"
    whole = generate(m)
    for t in ("equity_trades", "option_quotes", "option_trades"):
        assert pq.read_table(root / t / "date=2026-03-02" / "F.parquet").equals(whole[t]), t
    md = pq.ParquetFile(root / "option_quotes" / "date=2026-03-02" / "F.parquet").metadata
    assert md.num_row_groups > 2 and md.row_group(0).num_rows == 5000


def test_encode_error_stops_the_run_and_cleans_up(tmp_path, monkeypatch):
    """A full disk while encoding: a one-line OutputError, no temp files left, no _SUCCESS."""
    from fastsynth.errors import OutputError
    from fastsynth.sinks.parquet import PartitionWriter

    calls = []
    real = PartitionWriter.encode

    def encode(self, table, chunk):
        calls.append(table)
        if len(calls) == 3:
            raise OSError(28, "No space left on device")
        return real(self, table, chunk)

    monkeypatch.setattr(PartitionWriter, "encode", encode)
    m = Manifest(seed=4, symbols=["IBM", "F"], tables=["equity_trades", "equity_quotes", "bars_1m"])
    with pytest.raises(OutputError, match="No space left on device"):
        run_to_parquet(m, tmp_path / "d", workers=2)
    left = [p.name for p in (tmp_path / "d").rglob("*")]
    assert not [n for n in left if ".tmp-" in n] and SUCCESS_NAME not in left


def test_gil_switch_interval_is_restored_after_the_run(tmp_path):
    import sys

    from fastsynth.run import GIL_SLICE_S, _short_gil_slices

    before = sys.getswitchinterval()
    with _short_gil_slices(2):
        assert sys.getswitchinterval() == min(before, GIL_SLICE_S)
        with _short_gil_slices(2):                 # a second run at the same time
            pass
        assert sys.getswitchinterval() == min(before, GIL_SLICE_S)
    assert sys.getswitchinterval() == before
    with _short_gil_slices(1):                     # one worker: unchanged
        assert sys.getswitchinterval() == before
