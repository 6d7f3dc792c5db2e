"""The shared regime engine (session-wide pass): control state, regime timeline, events, modulation,
soft coverage and the labeled-scenario burst schedule. See ``docs/regime.md``.

``plan_regime(m, sessions, market)`` runs once per run (from ``engine.plan``); partitions read the
result through ``RegimePlan.modulation / events / events_for / bursts``, so every (symbol, session)
partition stays independent while equities and options read the same state.
"""
from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from .control import PRESETS, ControlChange, SyntheticControlState
from .coverage import BurstSchedule, empty_schedule
from .events import Event, EventSpec
from .modulation import SymbolModulation, neutral_modulation
from .state import SessionState

__all__ = ["RegimePlan", "plan_regime", "session_batches", "session_state", "SyntheticControlState",
           "ControlChange", "EventSpec", "Event", "SessionState", "SymbolModulation", "BurstSchedule", "PRESETS"]


@dataclass(frozen=True)
class RegimePlan:
    """The session-wide regime pass of a run (one entry per session in ``days``)."""

    days: tuple[Any, ...]
    symbols: tuple[str, ...] = ()
    seconds: tuple[int, ...] = ()
    _events: tuple[tuple[Event, ...], ...] = field(default=(), repr=False)

    def modulation(self, symbol: str, day_index: int) -> SymbolModulation:
        """Per-second multipliers of ``symbol`` in session ``day_index`` (neutral placeholder)."""
        return neutral_modulation(self.seconds[day_index])

    def events(self, day_index: int) -> list[Event]:
        return list(self._events[day_index]) if self._events else []

    def events_for(self, symbol: str, day_index: int) -> list[Event]:
        return [e for e in self.events(day_index) if e.symbol in ("*", symbol)]

    def bursts(self, day_index: int) -> BurstSchedule:
        return empty_schedule()


def plan_regime(m: Any, sessions: Any, market: Any) -> RegimePlan:
    sess = tuple(sessions)
    return RegimePlan(tuple(None for _ in sess), tuple(s.symbol for s in m.selected()),
                      tuple(s.seconds for s in sess))


def session_batches(p: Any, day_index: int, tables: tuple[str, ...]) -> Iterator[tuple[str, Any]]:
    return iter(())


def session_state(ts: int, control: SyntheticControlState | None = None, seed: int = 0) -> SessionState:
    """The regime engine's state at ``ts`` (ns UTC) under ``control`` and ``seed`` (placeholder)."""
    return SessionState("midday", "mean_revert", 1.0, 1.0, 1.0, [], [], 0)
