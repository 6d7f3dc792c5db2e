"""The run-directory contract of the stream formats (Arrow IPC, NDJSON) written to a directory — the same
as the Parquet dataset's where it applies:

* ``_fastsynth_manifest.json`` (``{"manifest_hash": ..., "manifest": <canonical manifest JSON>}``, the
  Parquet sink's format) is written first: it marks the directory as fastsynth's and names the run;
* the table files (``<table>.arrows`` / ``<table>.ndjson``) appear under their final names only when
  complete (temp name + rename, all at the end of the run);
* ``_SUCCESS`` (JSON: manifest hash, rows per table) is written last: without it the run is unfinished.

A rerun into the directory: the same run, finished -> nothing to do (``already_complete``); the same run,
interrupted -> written again (a stream is written in one pass, so there are no finished parts to keep);
another run (or fastsynth output without a manifest) -> refused unless ``overwrite``, which first removes
``_SUCCESS`` (an interrupted overwrite never looks finished), then the previous run's outputs — only
files fastsynth writes: table files of either stream format, Parquet table directories holding only
``date=*/*.parquet``, temp files of dead processes — then the manifest. Any other file in the directory
makes it refused even with ``overwrite`` (user files are never deleted).
"""
from __future__ import annotations

import contextlib
import os
import re
import shutil
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import msgspec

from .. import schemas
from ..errors import OutputError
from ._atomic import atomic_write_bytes, discard, is_temp_name, temp_owner_alive
from .parquet import MANIFEST_NAME, SUCCESS_NAME, read_manifest

__all__ = ["StreamRunDir", "STREAM_SUFFIXES", "clear_stream_run"]

STREAM_SUFFIXES = (".arrows", ".ndjson")
_DATE_DIR_RE = re.compile(r"^date=\d{4}-\d{2}-\d{2}$")


class _ManifestFile(msgspec.Struct):
    manifest_hash: str
    manifest: msgspec.Raw


def _listing(names: list[str], limit: int = 3) -> str:
    shown = ", ".join(names[:limit])
    return shown + (f" and {len(names) - limit} more" if len(names) > limit else "")


class StreamRunDir:
    """One stream-format run in directory ``root`` (already created and checked writable).

    The constructor classifies ``root`` and refuses (OutputError) what the run must not touch, before
    any generation; :attr:`already_complete` is True when ``root`` holds this run finished (and not
    ``overwrite``). :meth:`prepare` clears a previous run (with ``overwrite``) and writes the manifest;
    :meth:`finish` writes ``_SUCCESS``.
    """

    def __init__(self, root: Path, manifest_json: bytes, manifest_hash: str, *, overwrite: bool = False,
                 fsync: bool = False) -> None:
        self.root, self.overwrite, self.fsync = root, overwrite, fsync
        self.manifest_json, self.manifest_hash = bytes(manifest_json), manifest_hash
        self.state = self._classify()
        self.already_complete = self.state == "complete" and not overwrite
        if self.state == "empty" or (self.state in ("resume", "complete") and not overwrite):
            return
        if self.state == "foreign":
            raise OutputError(f"{root} is not empty and was not written by fastsynth (found "
                              f"{_listing(self._foreign())}); choose another --out")
        if not overwrite:
            if self.state.startswith("other-run:"):
                old = self.state.split(":", 1)[1]
                raise OutputError(f"{root} holds a different fastsynth run (manifest {old[:12]}, this run "
                                  f"{manifest_hash[:12]}); pass --overwrite to replace it or choose another --out")
            if self.state == "unreadable-manifest":
                raise OutputError(f"{root / MANIFEST_NAME} is not a readable fastsynth manifest; pass "
                                  f"--overwrite to replace that run or choose another --out")
            found = _listing(self._ours()) or "temporary files of another fastsynth process"
            raise OutputError(f"{root} holds fastsynth output without {MANIFEST_NAME} (found {found}); "
                              f"pass --overwrite to replace it or choose another --out")
        foreign = self._foreign()
        if foreign:
            raise OutputError(f"{root} holds files fastsynth did not write ({_listing(foreign)}); refusing "
                              f"to delete them even with --overwrite; choose another --out or remove them")

    # --- classification -----------------------------------------------------------------------------

    def _classify(self) -> str:
        """empty | resume | complete | other-run:<hash> | unreadable-manifest | legacy | foreign."""
        names = [n for n in os.listdir(self.root) if not (is_temp_name(n) and not temp_owner_alive(n))]
        if not names:
            return "empty"
        if not (self.root / MANIFEST_NAME).is_file():
            return "foreign" if self._foreign() else "legacy"
        try:
            old_hash, _ = read_manifest(self.root)
        except OutputError:
            return "unreadable-manifest"
        if old_hash != self.manifest_hash:
            return f"other-run:{old_hash}"
        return "complete" if (self.root / SUCCESS_NAME).is_file() else "resume"

    def _is_ours(self, entry: os.DirEntry[str]) -> bool:
        name = entry.name
        if entry.is_file(follow_symlinks=False):
            if name in (MANIFEST_NAME, SUCCESS_NAME) or is_temp_name(name):
                return True
            stem, dot, ext = name.rpartition(".")
            return bool(dot) and f".{ext}" in STREAM_SUFFIXES and stem in schemas.TABLES
        if name in schemas.TABLES and entry.is_dir(follow_symlinks=False):
            return self._parquet_table_dir(Path(entry.path))
        return False

    @staticmethod
    def _parquet_table_dir(path: Path) -> bool:
        """A Parquet run's table directory: only ``date=YYYY-MM-DD/`` holding ``*.parquet`` or temps."""
        with os.scandir(path) as it:
            dates = list(it)
        for d in dates:
            if not (_DATE_DIR_RE.match(d.name) and d.is_dir(follow_symlinks=False)):
                return False
            with os.scandir(d.path) as it:
                for f in it:
                    if not (f.is_file(follow_symlinks=False) and (f.name.endswith(".parquet") or is_temp_name(f.name))):
                        return False
        return True

    def _entries(self) -> list[os.DirEntry[str]]:
        with os.scandir(self.root) as it:
            return list(it)

    def _ours(self) -> list[str]:
        return sorted(e.name for e in self._entries() if self._is_ours(e)
                      and e.name not in (MANIFEST_NAME, SUCCESS_NAME) and not is_temp_name(e.name))

    def _foreign(self) -> list[str]:
        return sorted(e.name + ("/" if e.is_dir(follow_symlinks=False) else "")
                      for e in self._entries() if not self._is_ours(e))

    # --- lifecycle ----------------------------------------------------------------------------------

    def prepare(self) -> None:
        """Clear the previous run when replacing one, remove dead processes' temp files, and write this
        run's manifest (atomically) — before any table file."""
        if self.state not in ("empty", "resume"):
            self._clear()
        self._remove_dead_temps()
        body = msgspec.json.encode(_ManifestFile(self.manifest_hash, msgspec.Raw(self.manifest_json))) + b"\n"
        atomic_write_bytes(self.root / MANIFEST_NAME, body, fsync=self.fsync)

    def _clear(self) -> None:
        """Delete the previous run's outputs: ``_SUCCESS`` first (an interrupted overwrite never looks
        finished), then its table files/directories, the manifest last."""
        root = self.root
        with contextlib.suppress(FileNotFoundError):
            (root / SUCCESS_NAME).unlink()
        for e in self._entries():
            if e.name in (MANIFEST_NAME, SUCCESS_NAME) or is_temp_name(e.name) or not self._is_ours(e):
                continue
            if e.is_dir(follow_symlinks=False):
                shutil.rmtree(e.path)
            else:
                Path(e.path).unlink()
        with contextlib.suppress(FileNotFoundError):
            (root / MANIFEST_NAME).unlink()

    def _remove_dead_temps(self) -> None:
        discard(Path(e.path) for e in self._entries()
                if is_temp_name(e.name) and not temp_owner_alive(e.name))

    def finish(self, rows: Mapping[str, int], extra: Mapping[str, Any] | None = None) -> None:
        """Mark the run finished: ``_SUCCESS`` = ``{"manifest_hash", "rows", ...}``, written atomically."""
        body = {"manifest_hash": self.manifest_hash, "rows": dict(rows), **(extra or {})}
        data = msgspec.json.format(msgspec.json.encode(body), indent=2) + b"\n"
        atomic_write_bytes(self.root / SUCCESS_NAME, data, fsync=self.fsync)


def clear_stream_run(root: str | Path) -> bool:
    """Before a Parquet run with ``--overwrite`` into ``root``: remove a previous IPC/NDJSON run's files
    (the Parquet sink knows only Parquet layouts and would refuse them as foreign). Same rules as an
    overwrite here: ``_SUCCESS`` first, only files fastsynth writes, OutputError if other files are there.
    Returns True when something was removed; a directory without stream table files is left alone."""
    root = Path(root).expanduser()
    if not root.is_dir():
        return False
    with os.scandir(root) as it:
        streams = [e.name for e in it if e.is_file(follow_symlinks=False)
                   and any(e.name == f"{t}{x}" for t in schemas.TABLES for x in STREAM_SUFFIXES)]
    if not streams:
        return False
    StreamRunDir(root, b"{}", "-", overwrite=True)._clear()
    return True
