"""Stopping a command cleanly on SIGINT (Ctrl-C) and SIGTERM (``kill``, ``docker stop``, a scheduler).

Python's default SIGTERM action kills the process on the spot: the hidden ``.<name>.tmp-<pid>-<tid>``
files of the partitions being written stay in the output directory until the next run cleans them.
Inside :func:`stop_on_signals` both signals instead raise :class:`Interrupted` (a ``KeyboardInterrupt``)
in the main thread, so the same cleanup paths as for Ctrl-C run: the Parquet pipeline stops its worker
threads (each finishes the step it is in) and removes the files it had not published; the stream sinks
delete their temp files; finished files and the run's manifest stay, so running the same command again
resumes. The CLI then prints one line and exits with ``128 + signal`` (130 for SIGINT, 143 for SIGTERM),
as shells do for a process killed by that signal.

A helper process compiling the options kernels for a cold Numba cache (``fastsynth._prefetch``) is
terminated at once (it only fills the cache; nothing waits for it any more).

A second signal while the cleanup runs is ignored (the cleanup takes well under a second; SIGKILL still
ends the process at once).

Example::

    with stop_on_signals():
        run_to_parquet(m, "data")          # Ctrl-C / SIGTERM -> Interrupted after the cleanup
"""
from __future__ import annotations

import contextlib
import signal
import threading
from collections.abc import Iterator

from . import _prefetch

__all__ = ["Interrupted", "stop_on_signals"]

_SIGNALS = tuple(s for s in (getattr(signal, "SIGINT", None), getattr(signal, "SIGTERM", None)) if s is not None)


class Interrupted(KeyboardInterrupt):
    """Raised in the main thread when SIGINT or SIGTERM arrives inside :func:`stop_on_signals`."""

    def __init__(self, signum: int) -> None:
        super().__init__(signum)
        self.signum = signum

    @property
    def name(self) -> str:
        """``"SIGINT"``, ``"SIGTERM"``."""
        try:
            return signal.Signals(self.signum).name
        except ValueError:  # pragma: no cover - not a known signal number
            return f"signal {self.signum}"

    @property
    def exit_code(self) -> int:
        """The shell convention for death by a signal: 128 + its number (130 Ctrl-C, 143 SIGTERM)."""
        return 128 + self.signum


@contextlib.contextmanager
def stop_on_signals() -> Iterator[None]:
    """Turn SIGINT and SIGTERM into :class:`Interrupted` while the block runs (then restore the previous
    handlers). A no-op outside the main thread (Python delivers signals to the main thread only)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    fired: list[int] = []

    def handler(signum: int, frame: object) -> None:
        if fired:
            return          # already stopping: let the cleanup finish
        fired.append(signum)
        _prefetch.stop()    # a cold-cache compile helper would otherwise go on alone for seconds
        raise Interrupted(signum)

    previous = {}
    try:
        for s in _SIGNALS:
            if signal.getsignal(s) is not signal.SIG_IGN:     # e.g. SIGINT of a `nohup ... &` job stays ignored
                previous[s] = signal.signal(s, handler)
        yield
    finally:
        for s, h in previous.items():
            with contextlib.suppress(Exception):
                signal.signal(s, h)
