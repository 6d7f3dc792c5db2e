"""run.run_to_parquet: partitions (symbol parts and the session-wide ``@session`` part) generated and
encoded on worker threads, resumable, same bytes whatever the thread count."""
from __future__ import annotations

from pathlib import Path

import pyarrow.parquet as pq

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


def test_same_bytes_whether_encoding_overlaps_or_not(tmp_path, monkeypatch):
    """Encoding in the generating thread or on the encoder threads, largest-first order, any worker
    count: the same files byte for byte."""
    import fastsynth.run as run

    m = Manifest(seed=4, symbols=["IBM", "F"], tables=["equity_trades", "equity_quotes", "bars_1m"])
    got = []
    for i, (overlap, workers) in enumerate([(10**9, 1), (0, 2), (None, 2)]):
        monkeypatch.setattr(run, "_OVERLAP", overlap)
        run_to_parquet(m, tmp_path / str(i), workers=workers)
        got.append(files(tmp_path / str(i)))
    assert len(got[0]) == 6 and got[0] == got[1] == got[2]
