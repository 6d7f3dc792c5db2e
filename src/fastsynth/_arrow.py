"""Zero-copy wrapping of kernel columns (numpy) as Arrow arrays.

Nothing here calls ``pa.array``: pyarrow probes every ``pa.array`` input with pandas (``is_series``), which
imports pandas — ~0.3-0.5 s of a fresh process's cold start — only to learn the input is not a pandas
object. ``pa.Array.from_buffers`` gives the same buffers without the probe.
"""
from __future__ import annotations

import numpy as np
import pyarrow as pa

TS_TYPE = pa.timestamp("ns", tz="UTC")


def ts_array(ns: np.ndarray) -> pa.Array:
    """int64 ns UTC -> timestamp[ns, UTC] without a NaT scan or a copy."""
    ns = np.ascontiguousarray(ns, dtype=np.int64)
    return pa.Array.from_buffers(TS_TYPE, len(ns), [None, pa.py_buffer(ns)])


def num_array(x: np.ndarray, mask: np.ndarray | None = None) -> pa.Array:
    """A numeric numpy column as an Arrow array (zero-copy for contiguous data; the buffers of
    ``pa.array(x, mask=mask)``); ``mask`` (bool, True = null) adds a validity bitmap."""
    x = np.ascontiguousarray(x)
    if x.dtype == np.bool_:
        return pa.Array.from_buffers(pa.bool_(), len(x), [None, _bits(x)])
    if mask is None or not mask.any():
        return pa.Array.from_buffers(pa.from_numpy_dtype(x.dtype), len(x), [None, pa.py_buffer(x)])
    return pa.Array.from_buffers(pa.from_numpy_dtype(x.dtype), len(x), [_bits(~mask), pa.py_buffer(x)],
                                 null_count=int(mask.sum()))


def _bits(b: np.ndarray) -> pa.Buffer:
    return pa.py_buffer(np.packbits(b, bitorder="little"))


def py_array(values, type: pa.DataType | None = None) -> pa.Array:
    """A string or list<string> array (no nulls) from a Python sequence: ``pa.array(values, type)``'s
    buffers, built from int32 offsets + UTF-8 bytes."""
    if type is None or type == pa.string():
        data = [v.encode() for v in values]
        off = np.zeros(len(data) + 1, np.int32)
        np.cumsum([len(d) for d in data], out=off[1:])
        return pa.Array.from_buffers(pa.string(), len(data), [None, pa.py_buffer(off), pa.py_buffer(b"".join(data))])
    if pa.types.is_list(type) and type.value_type == pa.string():
        flat = [s for v in values for s in v]
        off = np.zeros(len(values) + 1, np.int32)
        np.cumsum([len(v) for v in values], out=off[1:])
        return pa.Array.from_buffers(type, len(values), [None, pa.py_buffer(off)], children=[py_array(flat)])
    raise TypeError(f"py_array: unsupported type {type}")


def take_strings(arr: pa.Array, idx: np.ndarray) -> pa.Array:
    """``arr.take(idx)`` for a null-free string array, same buffers, gathered with numpy: ``Array.take``
    imports pyarrow.compute (~0.1 s of a fresh process)."""
    n = len(arr)
    off = np.frombuffer(arr.buffers()[1], np.int32)[arr.offset:arr.offset + n + 1]
    data = np.frombuffer(arr.buffers()[2], np.uint8) if arr.buffers()[2] is not None else np.empty(0, np.uint8)
    idx = np.asarray(idx, np.int64)
    starts = off[idx].astype(np.int64)
    lens = off[idx + 1] - starts
    out_off = np.zeros(len(idx) + 1, np.int32)
    np.cumsum(lens, out=out_off[1:])
    pos = np.repeat(starts - out_off[:-1], lens) + np.arange(int(out_off[-1]), dtype=np.int64)
    validity = _bits(np.ones(len(idx), np.bool_))                 # take writes an all-valid bitmap
    return pa.Array.from_buffers(pa.string(), len(idx), [validity, pa.py_buffer(out_off), pa.py_buffer(data[pos])],
                                 null_count=-1)                   # (0 would drop the bitmap)


def dict_array(codes: np.ndarray, dictionary: pa.Array) -> pa.Array:
    """Small-integer codes plus a fixed dictionary -> DictionaryArray (indices trusted: safe=False)."""
    return pa.DictionaryArray.from_arrays(num_array(codes), dictionary, safe=False)
