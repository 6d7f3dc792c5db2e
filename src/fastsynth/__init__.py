"""fastsynth — deterministic, firehose-speed synthetic market data as Arrow batches.

Example::

    import fastsynth
    m = fastsynth.Manifest(seed=7, start="2026-03-02", days=1, symbols=["SPY", "AAPL"])
    tables = fastsynth.generate(m)                       # {"equity_trades": pa.Table, ...}
    for table, batch in fastsynth.stream(m, batch_rows=65_536):
        ...
    reader = fastsynth.reader(m, "equity_trades")        # pa.RecordBatchReader (Arrow C stream)

Importing fastsynth is cheap: Numba, the kernels and the calendar load on first use.
"""
from __future__ import annotations

from ._version import __version__
from .engine import generate, reader, stream
from .errors import ConfigError, FastsynthError, OutputError
from .manifest import Manifest, SymbolSpec, default_universe, load_manifest
from .schemas import schema, table_names
from .regime import SyntheticControlState, session_state

__all__ = ["__version__", "Manifest", "SymbolSpec", "default_universe", "load_manifest", "generate", "stream",
           "reader", "schema", "table_names", "FastsynthError", "ConfigError", "OutputError",
           "SyntheticControlState", "session_state"]


def __getattr__(name: str):
    """``fastsynth.analytics`` / ``fastsynth.options`` without a separate import
    (loaded on first use, so ``import fastsynth`` stays cheap)."""
    if name in ("analytics", "options"):
        import importlib

        return importlib.import_module(f"{__name__}.{name}")
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
