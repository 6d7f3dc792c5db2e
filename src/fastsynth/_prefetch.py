"""Cold Numba cache: compile the options kernels in a second process while this one compiles the rest.

With an empty cache, a 1-symbol run of the default tables spends most of its time compiling kernels, one
after another: Numba compiles under one lock per process, so the only way to use the second core is a
second process. ``start(m, tables)`` (called by ``engine.stream`` before planning) looks at Numba's
on-disk cache index of the options kernels; if it is empty or stale, it starts ``python -m
fastsynth._prefetch``, which imports while this process plans (compiling the planning kernels: RNG,
latent path), then — once ``planned()`` says so — generates the options tables of the run's first symbol
for one session (output discarded; the planning kernels load from the cache), so the options kernels land
in the shared on-disk cache while this process compiles and runs the equity kernels. ``wait()`` (before
the first options partition) joins it; the options kernels then load from the cache.

Output bytes never depend on the helper: it only fills the cache, and every batch still comes from this
process. If the helper fails or is not started, this process compiles as it always did. Numba writes cache
files to a temporary name and renames them into place, but two processes adding *different* signatures of
one function at the same time can pair an index entry with the other's data file; the helper starts
compiling only after planning, so the two processes compile disjoint sets of functions (options kernels
there, equity kernels here).

Set ``FASTSYNTH_PREFETCH=0`` to disable (the helper itself runs with it off).
"""
from __future__ import annotations

import os
import subprocess
import sys
import threading

__all__ = ["start", "wait"]

_ENV = "FASTSYNTH_PREFETCH"
_KERNEL_TABLES = ("option_quotes", "option_trades", "scenario_labels")   # tables whose kernels it compiles
_EQUITY_TABLES = ("equity_trades", "equity_quotes", "bars_1m")            # this process's work meanwhile
_lock = threading.Lock()
_proc: subprocess.Popen | None = None


def _can_spawn() -> bool:
    """A plain Python interpreter to run ``-m`` with (not a frozen app or an embedding host)."""
    exe = os.path.basename(sys.executable or "").lower()
    return exe.startswith("python") and not getattr(sys, "frozen", False)


def _options_cache_cold() -> bool:
    """True when Numba's on-disk cache holds no current entry for the costliest options kernels (a missing
    or stale index, e.g. after an install, an edit, or with a fresh ``NUMBA_CACHE_DIR``)."""
    from .kernels import option_prints, option_quotes

    try:
        for disp in (option_quotes.quote_block, option_prints.iv_delta):
            cache = disp._cache                                   # numba.core.caching.FunctionCache
            if not cache._cache_file._load_index():               # {} when missing or stale
                return True
        return False
    except Exception:          # a Numba without these internals: never start a helper on a guess
        return False


def start(m, tables: tuple[str, ...]) -> None:
    """Start the helper when the run needs options kernels and the cache does not hold them."""
    global _proc
    if os.environ.get(_ENV, "1") == "0" or _proc is not None:
        return
    want = [t for t in tables if t in _KERNEL_TABLES]
    if not want or not any(t in _EQUITY_TABLES for t in tables) or not _can_spawn() or not _options_cache_cold():
        return
    import msgspec

    first = m.selected()[0].symbol
    spec = msgspec.json.encode(m.replace(days=1, symbols=[first], tables=want))
    env = {**os.environ, _ENV: "0"}
    try:
        _proc = subprocess.Popen([sys.executable, "-m", "fastsynth._prefetch"], stdin=subprocess.PIPE,
                                 stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
        _proc.stdin.write(spec + b"\n")
        _proc.stdin.flush()
    except OSError:
        _proc = None


def planned() -> None:
    """This process has planned (the planning kernels are in the cache): let the helper compile."""
    with _lock:
        if _proc is not None and _proc.stdin is not None and not _proc.stdin.closed:
            try:
                _proc.stdin.close()
            except OSError:
                pass


def wait() -> None:
    """Join the helper (if one is running) before this process calls the options kernels."""
    global _proc
    planned()
    with _lock:
        if _proc is not None:
            _proc.wait()
            _proc = None


def _main() -> None:
    import msgspec

    from . import engine                         # imports (numba, pyarrow) overlap the parent's planning
    from .kernels import option_prints, option_quotes  # noqa: F401
    from .manifest import manifest_from_data

    m = manifest_from_data(msgspec.json.decode(sys.stdin.buffer.readline()))
    sys.stdin.buffer.read()                      # EOF: the parent has planned (or is gone)
    for _ in engine.stream(m, batch_rows=1 << 62):
        pass


if __name__ == "__main__":
    _main()
