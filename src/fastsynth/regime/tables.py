"""Arrow batches of the session-wide tables (``regime``, ``events``), exactly ``schemas.schema(table)``."""
from __future__ import annotations

import numpy as np
import pyarrow as pa

from .. import schemas
from .._arrow import dict_array, num_array, py_array, ts_array

__all__ = ["regime_batch", "events_batch"]

_PHASES = py_array(schemas.PHASES)
_REGIMES = py_array(schemas.REGIMES)
_TYPES = py_array(schemas.EVENT_TYPES)
_TIMINGS = py_array(schemas.EVENT_TIMINGS)


def regime_batch(reg) -> pa.RecordBatch:
    """One row per minute of the session (minute start)."""
    n = reg.minutes
    ts = reg.open_ns + np.arange(n, dtype=np.int64) * 60_000_000_000
    cols = [ts_array(ts), dict_array(reg.phase, _PHASES), dict_array(reg.regime, _REGIMES), num_array(reg.vol),
            num_array(reg.liq), num_array(reg.clean), py_array([list(f) for f in reg.focus], schemas.SYMS),
            py_array([list(f) for f in reg.event_syms], schemas.SYMS), num_array(reg.bucket.astype(np.uint32))]
    return pa.RecordBatch.from_arrays(cols, schema=schemas.schema("regime"))


def events_batch(events) -> pa.RecordBatch:
    n = len(events)
    ts = np.array([e.ts_ns for e in events], dtype=np.int64)
    typ = np.array([schemas.EVENT_TYPES.index(e.event_type) for e in events], dtype=np.int8)
    tim = np.array([schemas.EVENT_TIMINGS.index(e.timing) for e in events], dtype=np.int8)
    cols = [ts_array(ts), dict_array(typ, _TYPES), py_array([e.symbol for e in events], pa.string()),
            dict_array(tim, _TIMINGS)] + [num_array(np.array([getattr(e, f) for e in events], dtype=np.float64))
                                          for f in ("jump_sd", "iv_runup", "iv_crush", "spread_widen")]
    assert all(len(c) == n for c in cols)
    return pa.RecordBatch.from_arrays(cols, schema=schemas.schema("events"))
