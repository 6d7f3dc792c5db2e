"""Atomic file writes: write to a hidden temp name in the same directory, then ``os.replace``.
Also the output-location checks the sinks share (writable directory, refuse existing files).

A reader (or a resumed run) therefore only ever sees complete files under final names; an
interrupted write leaves at most a ``.<name>.tmp-<pid>-<thread>`` file, which :func:`is_temp_name`
recognises so the sinks can clean it up later.

Example::

    with atomic_file(Path("out/_SUCCESS")) as f:
        f.write(b"{}")          # visible as out/_SUCCESS only after the block succeeds
"""
from __future__ import annotations

import contextlib
import os
import re
import sys
import threading
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import BinaryIO

from .. import schemas
from ..errors import ConfigError, OutputError

__all__ = ["temp_path", "is_temp_name", "atomic_file", "atomic_write_bytes", "commit", "discard",
           "fsync_dir", "is_stdout", "check_tables", "ensure_dir", "refuse_existing",
           "as_output_error", "temp_owner_alive", "stdout_binary", "silence_stdout"]

_TEMP_RE = re.compile(r"^\..+\.tmp-(\d+)-\d+$")


def temp_path(final: Path) -> Path:
    """Temp name for ``final``, unique per process and thread, in the same directory (same filesystem,
    so the later ``os.replace`` is atomic). Example: ``out/AAPL.parquet`` -> ``out/.AAPL.parquet.tmp-41-1397``."""
    return final.with_name(f".{final.name}.tmp-{os.getpid()}-{threading.get_ident()}")


def is_temp_name(name: str) -> bool:
    """True if ``name`` (a bare file name) looks like a :func:`temp_path` leftover."""
    return _TEMP_RE.match(name) is not None


def temp_owner_alive(name: str) -> bool:
    """True if the process that created temp file ``name`` may still be running (so it must not be
    deleted under it); False for leftovers of dead processes. Conservative: unknown -> alive."""
    m = _TEMP_RE.match(name)
    if m is None:
        return False
    pid = int(m.group(1))
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)  # signal 0: existence check only
    except ProcessLookupError:
        return False
    except OSError:  # e.g. EPERM: exists, owned by someone else
        return True
    return True


def fsync_dir(directory: Path) -> None:
    """fsync a directory so a rename inside it survives a power cut (no-op where unsupported)."""
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:  # some filesystems refuse fsync on directories; the data itself was synced
        pass
    finally:
        os.close(fd)


def _fsync_file(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def discard(paths: Iterable[Path]) -> None:
    """Remove temp files, ignoring ones that are already gone (used on the error path: never raises)."""
    for p in paths:
        with contextlib.suppress(OSError):
            p.unlink()


def commit(pairs: Iterable[tuple[Path, Path]], *, fsync: bool = False) -> None:
    """Rename each ``(temp, final)``; with ``fsync`` the data is flushed first and the directories after."""
    pairs = list(pairs)
    if fsync:
        for tmp, _ in pairs:
            _fsync_file(tmp)
    for tmp, final in pairs:
        os.replace(tmp, final)
    if fsync:
        for d in {final.parent for _, final in pairs}:
            fsync_dir(d)


@contextlib.contextmanager
def atomic_file(final: Path, *, fsync: bool = False) -> Iterator[BinaryIO]:
    """Open a binary temp file for ``final``; on normal exit rename it to ``final``, on any exception
    (including KeyboardInterrupt) delete it and re-raise."""
    tmp = temp_path(final)
    try:
        with open(tmp, "wb") as f:
            yield f
        commit([(tmp, final)], fsync=fsync)
    except BaseException:
        discard([tmp])
        raise


def atomic_write_bytes(final: Path, data: bytes, *, fsync: bool = False) -> None:
    """Write ``data`` to ``final`` atomically (see :func:`atomic_file`)."""
    with atomic_file(final, fsync=fsync) as f:
        f.write(data)


# --- Output-location checks shared by the sinks -------------------------------------------------

def is_stdout(out: object) -> bool:
    """True when ``out`` means standard output (the CLI's ``--out -``)."""
    return isinstance(out, str) and out == "-"


def check_tables(tables: Sequence[str]) -> tuple[str, ...]:
    """Validate table names (ConfigError naming the field ``tables``); drop duplicates, keep order."""
    if isinstance(tables, str):  # a bare string would iterate as characters
        tables = [tables]
    out = tuple(dict.fromkeys(tables))
    if not out:
        raise ConfigError("tables", list(tables), "at least one of " + ", ".join(schemas.TABLES))
    for t in out:
        schemas.schema(t)  # raises ConfigError("table", ...) with a did-you-mean hint
    return out


def ensure_dir(directory: Path) -> Path:
    """``mkdir -p`` ``directory`` and prove it is writable by creating and deleting a temp file.

    Raises OutputError with one line naming the path and the reason (e.g. a parent is a regular file,
    permission denied, read-only filesystem).
    """
    directory = Path(directory).expanduser()
    try:
        directory.mkdir(parents=True, exist_ok=True)
    except FileExistsError:
        raise OutputError(f"out: got {str(directory)!r}; allowed: a directory fastsynth can create and write "
                          f"(cannot use output directory {directory}: it exists and is not a directory)") from None
    except OSError as e:
        raise OutputError(f"out: got {str(directory)!r}; allowed: a directory fastsynth can create and write "
                          f"(cannot create output directory {directory}: {e.strerror or e})") from None
    probe = temp_path(directory / ".fastsynth-probe")
    try:
        with open(probe, "wb"):
            pass
        probe.unlink()
    except OSError as e:
        discard([probe])
        raise OutputError(f"out: got {str(directory)!r}; allowed: a directory fastsynth can create and write "
                          f"(cannot write to output directory {directory}: {e.strerror or e})") from None
    return directory


def as_output_error(what: str, err: OSError) -> OutputError:
    """One-line OutputError for an OS failure while writing ``what`` (disk full, permission...)."""
    reason = err.strerror or (str(err).splitlines() or [type(err).__name__])[0]
    return OutputError(f"cannot write {what}: {reason}")


@contextlib.contextmanager
def committed_files(finals: dict[str, Path], what: str, *, fsync: bool = False) -> Iterator[dict[str, BinaryIO]]:
    """Open a temporary file beside each final path and yield them by key.

    On a normal exit every file is closed and renamed to its final name; on any error the files are
    closed, the temporaries deleted, and an OS error (disk full, permissions) re-raised as a one-line
    OutputError about ``what``. Nothing half-written ever appears under a final name.
    """
    temps = {k: temp_path(p) for k, p in finals.items()}
    files: dict[str, BinaryIO] = {}
    try:
        for k in finals:  # every key gets a file, empty if nothing is written to it
            files[k] = open(temps[k], "wb")  # noqa: SIM115 - closed below on both paths
        yield files
        for f in files.values():
            f.close()
        commit([(temps[k], finals[k]) for k in finals], fsync=fsync)
    except BaseException as e:
        for f in files.values():
            with contextlib.suppress(Exception):
                f.close()
        discard(temps.values())
        if isinstance(e, OSError) and not isinstance(e, OutputError):
            raise as_output_error(what, e) from e
        raise


def refuse_existing(finals: Iterable[Path], overwrite: bool) -> None:
    """OutputError if any of ``finals`` exists and ``overwrite`` is false (one line, first offender)."""
    if overwrite:
        return
    for p in finals:
        if p.exists():
            raise OutputError(f"{p} already exists; pass --overwrite to replace it or choose another --out")


def stdout_binary() -> BinaryIO:
    """The binary stream behind ``sys.stdout`` (looked up per call so tests can swap ``sys.stdout``)."""
    return sys.stdout.buffer


def silence_stdout() -> None:
    """After BrokenPipeError on stdout (reader exited, e.g. ``| head``): point fd 1 at /dev/null so the
    interpreter's final flush does not raise again."""
    with contextlib.suppress(Exception):
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
