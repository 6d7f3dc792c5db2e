"""The shared placement rule against a plain-numpy reference, plus its edge cases."""
import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from fastsynth.kernels.placement import A, AA, B, BB, MID, PLACEMENT_TOL, UNKNOWN, place_many


def reference(price, bid, ask, tol=PLACEMENT_TOL):
    out = np.full(price.shape, MID, np.int8)
    out[price < bid - tol] = BB
    out[np.abs(price - bid) <= tol] = B
    out[price >= ask - tol] = A
    out[price > ask + tol] = AA
    bad = ~(ask > 0) | ~(bid >= 0) | (bid > ask + tol)
    out[bad] = UNKNOWN
    return out


def test_edges():
    bid, ask = 1.00, 1.05
    px = np.array([1.06, 1.05, 1.0500001, 1.04, 1.025, 1.01, 1.00, 0.99])
    got = place_many(px, np.full(8, bid), np.full(8, ask))
    assert got.tolist() == [AA, A, A, MID, MID, MID, B, BB]


def test_unusable_quotes_are_unknown_never_guessed():
    px = np.array([1.0, 1.0, 1.0, 1.0])
    bid = np.array([np.nan, 1.0, 1.2, 0.0])
    ask = np.array([1.1, np.nan, 1.1, 0.0])
    assert place_many(px, bid, ask).tolist() == [UNKNOWN] * 4


def test_one_sided_market_still_places():
    assert place_many(np.array([0.05, 0.03, 0.0]), np.zeros(3), np.full(3, 0.05)).tolist() == [A, MID, B]


cents = st.integers(0, 2000)


@given(st.lists(st.tuples(cents, cents, cents), min_size=1, max_size=200))
def test_matches_reference(rows):
    a = np.array(rows, dtype=np.float64) / 100.0
    price, bid, ask = a[:, 0], np.minimum(a[:, 1], a[:, 2]), np.maximum(a[:, 1], a[:, 2])
    np.testing.assert_array_equal(place_many(price, bid, ask), reference(price, bid, ask))
