"""Placement of a trade price against the NBBO — the ONE rule shared by generation and analytics.

Codes index ``schemas.PLACEMENTS``: 0 ``AA`` above the ask, 1 ``A`` at the ask, 2 ``MID`` strictly
inside, 3 ``B`` at the bid, 4 ``BB`` below the bid; -1 = no usable quote (missing, or bid/ask not
positive and ordered). "At" means within ``tol`` USD of the level: generators put prices exactly on
their grid (cents, or 1/100 cent off-exchange), so a tolerance of half the finest grid step (5e-5 USD)
separates "at the ask" from "one sub-penny inside" while absorbing float rounding. A one-sided option
market (bid 0) still places: a price at the ask is ``A``, below it ``MID``/``B`` as the rule says.
"""
from __future__ import annotations

import numpy as np

from ._jit import inline_kernel, kernel

__all__ = ["AA", "A", "MID", "B", "BB", "UNKNOWN", "PLACEMENT_TOL", "place", "place_many"]

AA, A, MID, B, BB, UNKNOWN = 0, 1, 2, 3, 4, -1
PLACEMENT_TOL = 5e-5  # USD: half of the finest price grid (1/100 cent)


@inline_kernel
def place(price: float, bid: float, ask: float, tol: float) -> int:
    """Placement code of ``price`` against (``bid``, ``ask``); -1 when the quote is unusable."""
    if not (ask > 0.0) or not (bid >= 0.0) or bid > ask + tol:   # NaN fails every comparison
        return UNKNOWN
    if price > ask + tol:
        return AA
    if price >= ask - tol:
        return A
    if price < bid - tol:
        return BB
    if price <= bid + tol:
        return B
    return MID


@kernel
def _place_many(price, bid, ask, tol, out):
    for i in range(price.shape[0]):
        out[i] = place(price[i], bid[i], ask[i], tol)


def place_many(price: np.ndarray, bid: np.ndarray, ask: np.ndarray, tol: float = PLACEMENT_TOL) -> np.ndarray:
    """Vectorized :func:`place` over float64 arrays (NaN bid/ask = no quote). Returns int8 codes.

    Example: ``place_many(np.array([1.05]), np.array([1.0]), np.array([1.05]))`` -> ``[1]`` (``A``).
    """
    price = np.ascontiguousarray(price, dtype=np.float64)
    bid = np.ascontiguousarray(bid, dtype=np.float64)
    ask = np.ascontiguousarray(ask, dtype=np.float64)
    if not price.shape == bid.shape == ask.shape:
        raise ValueError(f"price, bid, ask must have one shape; got {price.shape}, {bid.shape}, {ask.shape}")
    out = np.empty(price.shape[0], np.int8)
    _place_many(price, bid, ask, float(tol), out)
    return out
