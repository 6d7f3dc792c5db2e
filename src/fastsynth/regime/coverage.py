"""The labeled-scenario burst schedule of a session, after soft coverage."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["BurstSchedule", "empty_schedule"]


@dataclass(frozen=True)
class BurstSchedule:
    """Labeled scenario bursts of one session, sorted by (ts_ns, burst_id).

    ts_ns int64 (burst start, ns UTC); symbol int32 (index in ``m.selected()`` order = the engine's
    ``sym_code``); family int8 (index into ``schemas.FAMILIES``); profile int8 (index into
    ``schemas.PROFILES``); burst_id uint64 (unique in the run, > 0); intensity float64 (size/premium
    scale, ~1); direction int8 (+1 bullish, -1 bearish, 0 neutral).
    """

    ts_ns: np.ndarray
    symbol: np.ndarray
    family: np.ndarray
    profile: np.ndarray
    burst_id: np.ndarray
    intensity: np.ndarray
    direction: np.ndarray

    def __len__(self) -> int:
        return int(self.ts_ns.shape[0])

    def take(self, idx: np.ndarray) -> BurstSchedule:
        return BurstSchedule(self.ts_ns[idx], self.symbol[idx], self.family[idx], self.profile[idx],
                             self.burst_id[idx], self.intensity[idx], self.direction[idx])

    def for_symbol(self, code: int) -> BurstSchedule:
        """The bursts of one symbol (engine ``sym_code``), same order."""
        return self.take(np.flatnonzero(self.symbol == code))

    def between(self, t0: int, t1: int) -> BurstSchedule:
        """The bursts with t0 <= ts_ns < t1."""
        return self.take(np.flatnonzero((self.ts_ns >= t0) & (self.ts_ns < t1)))


def empty_schedule() -> BurstSchedule:
    return BurstSchedule(np.zeros(0, np.int64), np.zeros(0, np.int32), np.zeros(0, np.int8), np.zeros(0, np.int8),
                         np.zeros(0, np.uint64), np.zeros(0, np.float64), np.zeros(0, np.int8))
