"""Per-symbol, per-second multipliers that carry the regime into the equity and option generators."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["SymbolModulation", "neutral_modulation"]


@dataclass(frozen=True)
class SymbolModulation:
    """Per-second float64 arrays of length ``session.seconds`` (all ones, drift zeros = neutral).

    drift: log-return per second added to the efficient price (before the bridge to the day plan's
    session return, so its shape survives and multi-day paths stay consistent). vol_mult: multiplier of
    the latent volatility. activity: equity arrival-rate multiplier. spread_mult: equity spread
    multiplier. quote_mult: quote-update rate multiplier. iv_mult: multiplier of the option ATM IV level
    (event run-up and crush included). cleanliness: 0..1 quote cleanliness (1 = tight and fresh).
    option_activity: option noise-print rate multiplier.
    """

    drift: np.ndarray
    vol_mult: np.ndarray
    activity: np.ndarray
    spread_mult: np.ndarray
    quote_mult: np.ndarray
    iv_mult: np.ndarray
    cleanliness: np.ndarray
    option_activity: np.ndarray


def neutral_modulation(seconds: int) -> SymbolModulation:
    one = np.ones(seconds)
    return SymbolModulation(np.zeros(seconds), one, one, one, one, one, one.copy(), one)
