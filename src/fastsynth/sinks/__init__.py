"""Output sinks: where generated ``(table, RecordBatch)`` streams end up.

* :class:`ParquetDatasetSink` — hive-partitioned Parquet dataset, one file per (table, date, part),
  written atomically, resumable after an interruption.
* :class:`IpcSink` / :func:`write_ipc` — Arrow IPC streams (stdout or ``<table>.arrows`` files).
* :class:`NdjsonSink` / :func:`write_ndjson` — newline-delimited JSON (stdout or ``<table>.ndjson``).

Every file appears under its final name only when complete (temp name + ``os.replace``).
"""
from __future__ import annotations

from .ipc import IpcSink, write_ipc
from .ndjson import NdjsonSink, encode_batch, write_ndjson
from .parquet import MANIFEST_NAME, SUCCESS_NAME, ParquetDatasetSink, read_manifest

__all__ = ["ParquetDatasetSink", "read_manifest", "MANIFEST_NAME", "SUCCESS_NAME",
           "IpcSink", "write_ipc", "NdjsonSink", "write_ndjson", "encode_batch"]
