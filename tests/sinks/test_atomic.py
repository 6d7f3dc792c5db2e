"""Atomic-write helpers: nothing half-written ever appears under a final name."""
from __future__ import annotations

import os
import threading

import pytest

from fastsynth.errors import OutputError
from fastsynth.sinks._atomic import atomic_file, atomic_write_bytes, ensure_dir, is_temp_name, temp_path


def test_temp_path_is_hidden_sibling_named_by_pid_and_thread(tmp_path):
    t = temp_path(tmp_path / "AAPL.parquet")
    assert t.parent == tmp_path
    assert t.name == f".AAPL.parquet.tmp-{os.getpid()}-{threading.get_ident()}"
    assert is_temp_name(t.name)
    assert not is_temp_name("AAPL.parquet") and not is_temp_name(".hidden") and not is_temp_name(".x.tmp-1")


def test_atomic_write_replaces_whole_file(tmp_path):
    f = tmp_path / "x.json"
    f.write_bytes(b"old")
    atomic_write_bytes(f, b"new", fsync=True)
    assert f.read_bytes() == b"new"
    assert os.listdir(tmp_path) == ["x.json"]


def test_atomic_file_failure_keeps_old_content_and_removes_temp(tmp_path):
    f = tmp_path / "x.json"
    f.write_bytes(b"old")
    with pytest.raises(RuntimeError):
        with atomic_file(f) as fh:
            fh.write(b"half")
            raise RuntimeError
    assert f.read_bytes() == b"old"
    assert os.listdir(tmp_path) == ["x.json"]


def test_ensure_dir_reports_path_and_reason(tmp_path):
    (tmp_path / "f").write_text("x")
    with pytest.raises(OutputError, match=r"out: got .*; allowed: a directory .* \(cannot create output directory .*/f/sub: Not a directory\)"):
        ensure_dir(tmp_path / "f" / "sub")
    with pytest.raises(OutputError, match="exists and is not a directory"):
        ensure_dir(tmp_path / "f")
    assert ensure_dir(tmp_path / "a" / "b") == tmp_path / "a" / "b"
    assert os.listdir(tmp_path / "a" / "b") == []  # the writability probe is cleaned up
