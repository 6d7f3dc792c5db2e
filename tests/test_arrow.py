"""_arrow helpers build the same buffers as pa.array (they exist to skip pa.array's pandas import)."""
from __future__ import annotations

import numpy as np
import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fastsynth import schemas
from fastsynth._arrow import dict_array, num_array, py_array, take_strings


def _same(x: pa.Array, y: pa.Array) -> None:
    assert x.type == y.type and len(x) == len(y) and x.null_count == y.null_count
    assert [b and b.to_pybytes() for b in x.buffers()] == [b and b.to_pybytes() for b in y.buffers()]
    assert x.equals(y)


@pytest.mark.parametrize("dtype", [np.int8, np.int32, np.uint16, np.uint32, np.uint64, np.int64, np.float64, np.bool_])
@pytest.mark.parametrize("n", [0, 1, 7, 8, 9, 65])
def test_num_array_same_buffers(dtype, n):
    x = (np.arange(n) % 3).astype(dtype)
    _same(pa.array(x), num_array(x))
    _same(pa.DictionaryArray.from_arrays(pa.array(x.astype(np.int8)), pa.array(["a", "b", "c"])),
          dict_array(x.astype(np.int8), py_array(["a", "b", "c"])))


@given(st.lists(st.floats(allow_nan=True), max_size=70))
@settings(max_examples=50, deadline=None)
def test_num_array_mask_same_buffers(vals):
    x = np.array(vals, np.float64)
    mask = np.isnan(x)
    y = np.where(mask, 0.0, x)
    _same(pa.array(y, mask=mask), num_array(y, mask))


@given(st.lists(st.text(st.characters(blacklist_categories=("Cs",)), max_size=6), max_size=20))
@settings(max_examples=50, deadline=None)
def test_py_array_strings(vals):
    _same(pa.array(vals, pa.string()), py_array(vals, pa.string()))
    if vals:                            # pa.array([]) infers the null type; py_array's default is string
        _same(pa.array(vals), py_array(vals))


@given(st.lists(st.lists(st.sampled_from(["SPY", "AAPL", "É"]), max_size=4), max_size=10))
@settings(max_examples=50, deadline=None)
def test_py_array_lists(vals):
    _same(pa.array(vals, schemas.SYMS), py_array(vals, schemas.SYMS))


def test_py_array_schema_dictionaries():
    for codes in (schemas.PHASES, schemas.REGIMES, schemas.SIDES, schemas.VENUES, schemas.OPTION_VENUES):
        _same(pa.array(list(codes)), py_array(codes))


@given(st.lists(st.text(st.characters(blacklist_categories=("Cs",)), max_size=5), min_size=1, max_size=12),
       st.lists(st.integers(0, 1000), max_size=20), st.integers(0, 3))
@settings(max_examples=60, deadline=None)
def test_take_strings_same_buffers_as_take(vals, picks, cut):
    arr = pa.array(vals, pa.string())[min(cut, len(vals) - 1):]      # also sliced (non-zero offset)
    idx = np.array([p % len(arr) for p in picks], np.int64)
    for dt in (np.int32, np.int64):
        x = arr.take(pa.array(idx.astype(dt)))
        y = take_strings(arr, idx.astype(dt))
        assert x.type == y.type and len(x) == len(y) and x.null_count == y.null_count
        assert [None if b is None else b.to_pybytes() for b in x.buffers()] == \
            [None if b is None else b.to_pybytes() for b in y.buffers()]
