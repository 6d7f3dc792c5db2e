"""The shared regime engine (session-wide pass). SKELETON: being built for issue 3."""
from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

__all__ = ["RegimePlan", "plan_regime", "session_batches"]


@dataclass(frozen=True)
class RegimePlan:
    days: tuple[Any, ...]


def plan_regime(m: Any, sessions: Any, market: Any) -> RegimePlan:
    return RegimePlan(())


def session_batches(p: Any, day_index: int, tables: tuple[str, ...]) -> Iterator[tuple[str, Any]]:
    raise NotImplementedError("regime tables are being built (issue 3)")
