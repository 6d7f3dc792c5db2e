"""User-facing errors: one clear line naming the field, the value given and what is allowed."""
from __future__ import annotations

import difflib
from collections.abc import Iterable

__all__ = ["FastsynthError", "ConfigError", "OutputError", "closest", "show_value"]


def show_value(value: object) -> str:
    """A value as an error message shows it: scalars as their repr (``'SPY'``, ``0``), lists as a plain
    comma list (``bars_1m, bars_1m`` rather than Python's ``['bars_1m', 'bars_1m']``; an empty one as
    ``[]``), mappings as ``key=value`` pairs."""
    if isinstance(value, (list, tuple, set, frozenset)):
        items = sorted(value, key=str) if isinstance(value, (set, frozenset)) else list(value)
        if not items:
            return "[]"
        return ", ".join(v if isinstance(v, str) else show_value(v) for v in items)
    if isinstance(value, dict):
        if not value:
            return "{}"
        return ", ".join(f"{k}={show_value(v)}" for k, v in value.items())
    return repr(value)


class FastsynthError(Exception):
    """Base class of every error fastsynth raises on purpose; the CLI prints :meth:`cli_message` (normally
    ``str(err)``) and exits 2."""

    def cli_message(self) -> str:
        return str(self)


class ConfigError(FastsynthError, ValueError):
    """A bad manifest/CLI value: ``field``, ``value`` and ``allowed`` are kept for programmatic use.

    Example: ``ConfigError("days", 0, "an integer >= 1")`` reads
    ``days: got 0; allowed: an integer >= 1``.
    """

    def __init__(self, field: str, value: object, allowed: str, hint: str = "") -> None:
        self.field, self.value, self.allowed, self.hint = field, value, allowed, hint
        msg = f"{field}: got {value!r}; allowed: {allowed}"
        plain = f"{field}: got {show_value(value)}; allowed: {allowed}"
        if hint:
            msg += f" ({hint})"
            plain += f" ({hint})"
        self._messages = (msg, plain)
        super().__init__(msg)

    def cli_message(self) -> str:
        """The line the command line prints: as ``str(err)`` but with lists as plain comma lists
        (``--tables: got bars_1m, bars_1m``, not ``['bars_1m', 'bars_1m']``)."""
        msg, plain = getattr(self, "_messages", (None, None))
        return plain if msg is not None and str(self) == msg else str(self)


class OutputError(FastsynthError, OSError):
    """The output location cannot be used (unwritable, exists without --overwrite, other manifest...)."""


def closest(value: str, choices: Iterable[str]) -> str:
    """``"did you mean 'X'?"`` for the nearest choice, or ``""`` when nothing is close."""
    m = difflib.get_close_matches(str(value), list(choices), n=1, cutoff=0.6)
    return f"did you mean {m[0]!r}?" if m else ""
