"""Quick interpreter exit for the ``fastsynth`` command (not for processes that import fastsynth).

Loading Numba kernels (even from the on-disk cache) leaves a large graph of long-lived Python objects
(types, typing templates, registries). At interpreter shutdown CPython runs full garbage collections over
everything still alive, which with that graph costs ~0.2-0.3 s of a short run's wall time (measured:
exit of a 1-symbol ``generate`` 0.22-0.34 s -> 0.05 s). An ``atexit`` hook calls ``gc.freeze()`` so the
shutdown collections skip those objects; the OS reclaims the memory as for any exiting process.

What it does not change: ``atexit`` handlers and ``weakref.finalize`` callbacks still run (they do not
depend on the collector), and objects freed by reference counting are finalized as usual. Only objects
kept alive by reference cycles at exit are not collected — CPython never guarantees ``__del__`` for
those. It is installed by the CLI only: in a host process other extensions may check for leaks at exit
(nanobind-based ones, e.g. duckdb, print "leaked instances" warnings when their objects are not
collected). Set ``FASTSYNTH_FAST_EXIT=0`` to keep the interpreter's default shutdown.
"""
from __future__ import annotations

import atexit
import gc
import os

_ENV = "FASTSYNTH_FAST_EXIT"
_installed = False


def install() -> None:
    """Register the exit hook once per process (called by the ``fastsynth`` command)."""
    global _installed
    if _installed or os.environ.get(_ENV, "1") == "0":
        return
    _installed = True
    atexit.register(gc.freeze)
