"""Hypothesis profiles and the strategies shared by the property tests (one module, like pyarrow's).

Profiles (chosen with the ``HYPOTHESIS_PROFILE`` environment variable, loaded by ``tests/conftest.py``):

* ``dev`` (default): a modest number of examples so the whole suite stays fast; no deadline (the first
  example of a test may include Numba compilation or a cache load).
* ``ci``: many more examples, for the CI job (``HYPOTHESIS_PROFILE=ci pytest tests``).

Hypothesis prints the falsifying example (and, with ``print_blob``, a blob to replay it) on failure, so
every randomized property reports the input that broke it.
"""
from __future__ import annotations

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

settings.register_profile("dev", max_examples=25, deadline=None, print_blob=True,
                          suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("ci", max_examples=300, deadline=None, print_blob=True,
                          suppress_health_check=[HealthCheck.too_slow])

DEFAULT_PROFILE = "dev"

# ---------------------------------------------------------------------------------------------- RNG
#: A Philox key word: any 32-bit value (keys are two of them).
key_words = st.integers(min_value=0, max_value=2**32 - 1)
keys = st.tuples(key_words, key_words)

#: Stream positions: small (odd and even, so half-block starts are covered), around the 2**32-block
#: boundary where the counter's high word starts to matter, and anywhere up to 2**62.
stream_starts = st.one_of(
    st.integers(min_value=0, max_value=4096),
    st.integers(min_value=2**33 - 64, max_value=2**33 + 64),
    st.integers(min_value=0, max_value=2**62),
)


@st.composite
def chunk_splits(draw, max_len: int = 600) -> tuple[int, int, list[int]]:
    """``(start, n, cuts)``: a span of a stream and sorted cut points ``0 <= c <= n`` splitting it."""
    start = draw(stream_starts)
    n = draw(st.integers(min_value=0, max_value=max_len))
    cuts = sorted(draw(st.lists(st.integers(min_value=0, max_value=n), max_size=6)))
    return start, n, cuts


# ------------------------------------------------------------------------------------------- engine
#: Output batch sizes for the determinism property (rows per batch of ``fastsynth.stream``).
batch_rows = st.one_of(st.integers(min_value=1000, max_value=200_000),
                       st.sampled_from([1000, 4096, 65_536, 65_537, 200_000]))


# --------------------------------------------------------------------------------------------- bars
@st.composite
def sorted_prints(draw, max_n: int = 400, before_origin: bool = False):
    """``(ts, px, sz, origin_ns, width_ns)`` for the bar kernel: sorted int64 ns timestamps (with ties;
    at or after the origin, as the engine's prints are, unless ``before_origin``), prices on a cent grid,
    positive sizes."""
    import numpy as np

    n = draw(st.integers(min_value=0, max_value=max_n))
    width = draw(st.sampled_from([1_000_000_000, 60_000_000_000, 7, 1]))
    origin = draw(st.integers(min_value=-10**12, max_value=10**12))
    gaps = draw(st.lists(st.integers(min_value=0, max_value=3 * width), min_size=n, max_size=n))
    first = origin + draw(st.integers(min_value=-3 * width if before_origin else 0, max_value=3 * width))
    ts = first + np.cumsum(np.array(gaps, dtype=np.int64))
    cents = draw(st.lists(st.integers(min_value=1, max_value=10**7), min_size=n, max_size=n))
    px = np.array(cents, dtype=np.int64) / 100.0
    sz = np.array(draw(st.lists(st.integers(min_value=1, max_value=2**32 - 1), min_size=n, max_size=n)),
                  dtype=np.uint32)
    return ts.astype(np.int64), px, sz, origin, width
