"""The one place that sets Numba options for every fastsynth kernel.

``kernel`` compiles with ``cache=True`` (cold start: a warm on-disk cache loads in milliseconds),
``nogil=True`` (partitions run on threads in parallel) and ``error_model="numpy"`` (no zero-division
checks that block vectorization; wrappers validate divisors). Never ``fastmath`` (it changes bits and
breaks "same manifest, same bytes") and never ``parallel`` (parallelism is across partitions).
``inline_kernel`` is for tiny helpers that must be inlined into their callers (the Philox rounds).
"""
from __future__ import annotations

from functools import partial

import numba

kernel = partial(numba.njit, cache=True, nogil=True, error_model="numpy")
# internal helpers only ever called from other kernels: no Python-callable wrapper to generate
helper_kernel = partial(numba.njit, cache=True, nogil=True, error_model="numpy", no_cpython_wrapper=True,
                        no_cfunc_wrapper=True)
inline_kernel = partial(numba.njit, cache=True, nogil=True, error_model="numpy", inline="always")

__all__ = ["kernel", "helper_kernel", "inline_kernel"]
