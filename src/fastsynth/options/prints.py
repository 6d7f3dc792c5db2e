"""Option prints: neutral background flow and labeled bursts of the hidden scenario families.

``PrintGenerator(p, part, sym_code, chain)`` is built once per (underlying, session) partition by
``options.run_partition``; ``.block(quote_block, und, s0, s1)`` returns the ``option_trades`` batch of the
block's seconds ``[s0, s1)`` and the matching ``scenario_labels`` batch (or ``None`` when empty / not
requested). SKELETON while being built (issue 3): returns no prints yet.
"""
from __future__ import annotations

from typing import Any

__all__ = ["PrintGenerator"]


class PrintGenerator:
    """Prints of one underlying in one session. ``want_labels=False`` skips building scenario_labels
    batches (the option_trades bytes never depend on it)."""

    def __init__(self, p: Any, part: Any, sym_code: int, chain: Any, want_labels: bool = True) -> None:
        self.p, self.part, self.sym_code, self.chain, self.want_labels = p, part, sym_code, chain, want_labels

    def block(self, quote_block: Any, und: Any, s0: int, s1: int) -> tuple[Any, Any]:
        return None, None
