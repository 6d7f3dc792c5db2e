"""The options tape. SKELETON: being built for issue 3."""
from __future__ import annotations

from collections.abc import Iterator
from typing import Any

__all__ = ["run_partition"]


def run_partition(p: Any, part: Any, sym_code: int, tables: tuple[str, ...]) -> Iterator[tuple[str, Any]]:
    raise NotImplementedError("options tables are being built (issue 3)")
