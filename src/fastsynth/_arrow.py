"""Zero-copy wrapping of kernel columns (numpy) as Arrow arrays."""
from __future__ import annotations

import numpy as np
import pyarrow as pa

TS_TYPE = pa.timestamp("ns", tz="UTC")


def ts_array(ns: np.ndarray) -> pa.Array:
    """int64 ns UTC -> timestamp[ns, UTC] without a NaT scan or a copy."""
    ns = np.ascontiguousarray(ns, dtype=np.int64)
    return pa.Array.from_buffers(TS_TYPE, len(ns), [None, pa.py_buffer(ns)])


def num_array(x: np.ndarray) -> pa.Array:
    """A numeric numpy column as an Arrow array (zero-copy for contiguous, null-free data)."""
    return pa.array(np.ascontiguousarray(x))


def dict_array(codes: np.ndarray, dictionary: pa.Array) -> pa.Array:
    """Small-integer codes plus a fixed dictionary -> DictionaryArray (indices trusted: safe=False)."""
    return pa.DictionaryArray.from_arrays(pa.array(np.ascontiguousarray(codes)), dictionary, safe=False)
