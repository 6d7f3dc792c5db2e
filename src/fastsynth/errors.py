"""User-facing errors: one clear line naming the field, the value given and what is allowed."""
from __future__ import annotations

import difflib
from collections.abc import Iterable

__all__ = ["FastsynthError", "ConfigError", "OutputError", "closest"]


class FastsynthError(Exception):
    """Base class of every error fastsynth raises on purpose; the CLI prints ``str(err)`` and exits 2."""


class ConfigError(FastsynthError, ValueError):
    """A bad manifest/CLI value: ``field``, ``value`` and ``allowed`` are kept for programmatic use.

    Example: ``ConfigError("days", 0, "an integer >= 1")`` reads
    ``days: got 0; allowed: an integer >= 1``.
    """

    def __init__(self, field: str, value: object, allowed: str, hint: str = "") -> None:
        self.field, self.value, self.allowed, self.hint = field, value, allowed, hint
        msg = f"{field}: got {value!r}; allowed: {allowed}"
        if hint:
            msg += f" ({hint})"
        super().__init__(msg)


class OutputError(FastsynthError, OSError):
    """The output location cannot be used (unwritable, exists without --overwrite, other manifest...)."""


def closest(value: str, choices: Iterable[str]) -> str:
    """``"did you mean 'X'?"`` for the nearest choice, or ``""`` when nothing is close."""
    m = difflib.get_close_matches(str(value), list(choices), n=1, cutoff=0.6)
    return f"did you mean {m[0]!r}?" if m else ""
