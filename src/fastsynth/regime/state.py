"""The public session state: what both the equity and the option generators read at a timestamp."""
from __future__ import annotations

import msgspec

__all__ = ["SessionState"]


class SessionState(msgspec.Struct, frozen=True):
    """The shared regime engine's state at one instant.

    session_phase: open | midday | power_hour | after_event. regime: trend_up | trend_down |
    mean_revert | retail_chase | event_ramp | dealer_gamma | arb_calm. volatility_level: multiplier of
    every symbol's volatility (1 = normal). liquidity_level: multiplier of arrival rates (1 = normal).
    quote_cleanliness: 0..1 (1 = tight, fresh quotes). focus_symbols: symbols the regime concentrates on.
    event_symbols: symbols with a scheduled event in play. seed_bucket: index of the regime segment
    within the session.
    """

    session_phase: str
    regime: str
    volatility_level: float
    liquidity_level: float
    quote_cleanliness: float
    focus_symbols: list[str]
    event_symbols: list[str]
    seed_bucket: int
