"""The manifest: everything that determines a run's output, validated, loadable and hashable.

Same manifest, same bytes: the content hash (``Manifest.content_hash()``) is the identity of a run.
A ``Manifest`` is a frozen msgspec Struct; every value is checked in ``__post_init__`` so a bad value is
rejected whether it comes from Python, the CLI or a JSON/YAML/TOML file, with a ``ConfigError`` naming
the field, the value and what is allowed.
"""
from __future__ import annotations

import datetime as _dt
import hashlib
import json
import math
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Literal

import msgspec

from ._config_file import decode_config_file
from .errors import ConfigError, closest
from .regime.control import ControlChange, SyntheticControlState, ts_ns
from .regime.events import EVENT_CALENDARS, EventSpec
from .schemas import DEFAULT_TABLES, TABLES

# Tables produced when the manifest does not list them: equities, the regime/events session tables and
# the options tape (scenario_labels, the hidden ground truth, is opt-in).
_DEFAULT_TABLES: tuple[str, ...] = DEFAULT_TABLES

__all__ = ["SymbolSpec", "Manifest", "MODES", "FORMATS", "default_universe", "load_manifest"]

MODES: tuple[str, ...] = ("realistic", "active", "firehose")
FORMATS: tuple[str, ...] = ("parquet", "ipc", "ndjson")
# Activity scale of each market mode: multiplies trade and quote arrival rates (prices are unaffected).
MODE_SCALE: dict[str, float] = {"realistic": 1.0, "active": 4.0, "firehose": 20.0}
_FORMAT_VERSION = 3  # bump when a kernel change alters output bytes for the same manifest
LISTING_VENUES: tuple[str, ...] = ("XNYS", "XNAS", "ARCX", "BATS", "XASE")


class SymbolSpec(msgspec.Struct, frozen=True, forbid_unknown_fields=True, kw_only=True):
    """One instrument of the universe.

    price: starting price level, USD. annual_vol: annualized volatility (0.25 = 25%). beta: loading on
    the market factor. sector: sector name (symbols of one sector share a sector factor). adv: average
    daily volume in shares (realistic mode). tick_size: minimum price increment, USD. etf: an ETF.
    listing: MIC of the primary listing exchange, which runs the opening and closing auctions.
    """

    symbol: str
    price: float
    annual_vol: float
    beta: float = 1.0
    sector: str = "Other"
    adv: float = 5e6
    tick_size: float = 0.01
    etf: bool = False
    listing: str = "XNYS"

    def __post_init__(self) -> None:
        where = f"universe[{self.symbol}]"
        if self.listing not in LISTING_VENUES:
            raise ConfigError(f"{where}.listing", self.listing, " | ".join(LISTING_VENUES),
                              closest(self.listing, LISTING_VENUES))
        if not self.symbol or not self.symbol.replace(".", "").replace("-", "").isalnum() or len(self.symbol) > 12:
            raise ConfigError("universe.symbol", self.symbol, "1-12 letters/digits (also '.' or '-')")
        _bounded(f"{where}.price", self.price, 0.01, 1e6, "a price in USD between 0.01 and 1,000,000")
        _bounded(f"{where}.annual_vol", self.annual_vol, 0.01, 5.0, "an annualized volatility between 0.01 and 5")
        _bounded(f"{where}.beta", self.beta, -5.0, 5.0, "a beta between -5 and 5")
        _bounded(f"{where}.adv", self.adv, 1e3, 1e10, "average daily shares between 1,000 and 1e10")
        _bounded(f"{where}.tick_size", self.tick_size, 1e-4, 1.0, "a tick size in USD between 0.0001 and 1")
        ticks = 1.0 / self.tick_size
        if abs(ticks - round(ticks)) > 1e-9:
            raise ConfigError(f"{where}.tick_size", self.tick_size, "a tick that divides one dollar (0.01, 0.05, ...)")


def _bounded(field: str, value: float, lo: float, hi: float, allowed: str) -> None:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) \
            or not lo <= value <= hi:
        raise ConfigError(field, value, allowed)


@lru_cache(maxsize=1)
def default_universe() -> tuple[SymbolSpec, ...]:
    """The built-in universe of well-known US names (package data ``data/universe.json``)."""
    raw = resources.files("fastsynth").joinpath("data/universe.json").read_bytes()
    doc = msgspec.json.decode(raw)
    return tuple(msgspec.convert(s, SymbolSpec) for s in doc["symbols"])


class Manifest(msgspec.Struct, frozen=True, forbid_unknown_fields=True, kw_only=True):
    """What to generate. Example::

        m = Manifest(seed=7, start="2026-03-02", days=1, symbols=["SPY", "AAPL"])

    seed: any integer 0..2**63-1. start: first session, ``YYYY-MM-DD`` (must be a NYSE trading day).
    days: number of consecutive sessions. symbols: tickers to generate (``None`` = the whole universe).
    universe: instrument definitions (``None`` = the built-in default universe). mode: activity scale,
    ``realistic`` | ``active`` (4x) | ``firehose`` (20x). tables: which tables. format: output format
    for the CLI (``parquet`` | ``ipc`` | ``ndjson``). control: the synthetic control state (preset,
    soft coverage, profile weights; see ``docs/regime.md``). control_changes: timestamped control changes,
    each applying from its ts on. events: events listed explicitly (added to the calendar's).
    event_calendar: ``builtin`` (the built-in macro/earnings calendar) | ``none``.
    """

    seed: int = 0
    start: str = "2026-03-02"
    days: int = 1
    symbols: list[str] | None = None
    universe: list[SymbolSpec] | None = None
    mode: Literal["realistic", "active", "firehose"] = "realistic"
    tables: list[str] = msgspec.field(default_factory=lambda: list(_DEFAULT_TABLES))
    format: Literal["parquet", "ipc", "ndjson"] = "parquet"
    control: SyntheticControlState = msgspec.field(default_factory=SyntheticControlState)
    control_changes: list[ControlChange] = msgspec.field(default_factory=list)
    events: list[EventSpec] | None = None
    event_calendar: Literal["builtin", "none"] = "builtin"

    def __post_init__(self) -> None:
        if isinstance(self.seed, bool) or not isinstance(self.seed, int) or not 0 <= self.seed < 2**63:
            raise ConfigError("seed", self.seed, "an integer from 0 to 2**63-1")
        if isinstance(self.start, _dt.date):
            raise ConfigError("start", self.start, "a date string YYYY-MM-DD (use date.isoformat())")
        try:
            _dt.date.fromisoformat(self.start)
        except (TypeError, ValueError):
            raise ConfigError("start", self.start, "a date as YYYY-MM-DD") from None
        if isinstance(self.days, bool) or not isinstance(self.days, int) or not 1 <= self.days <= 10_000:
            raise ConfigError("days", self.days, "an integer from 1 to 10000")
        if self.mode not in MODES:
            raise ConfigError("mode", self.mode, " | ".join(MODES), closest(self.mode, MODES))
        if self.format not in FORMATS:
            raise ConfigError("format", self.format, " | ".join(FORMATS), closest(self.format, FORMATS))
        if not self.tables:
            raise ConfigError("tables", self.tables, "one or more of " + ", ".join(TABLES))
        for t in self.tables:
            if t not in TABLES:
                raise ConfigError("tables", t, ", ".join(TABLES), closest(t, TABLES))
        if len(set(self.tables)) != len(self.tables):
            raise ConfigError("tables", self.tables, "each table at most once")
        if self.event_calendar not in EVENT_CALENDARS:
            raise ConfigError("event_calendar", self.event_calendar, " | ".join(EVENT_CALENDARS),
                              closest(str(self.event_calendar), EVENT_CALENDARS))
        change_ts = [ts_ns(c.ts, "control_changes.ts") for c in self.control_changes]
        if any(b <= a for a, b in zip(change_ts, change_ts[1:])):
            raise ConfigError("control_changes", change_ts, "changes in strictly increasing ts order")
        uni = self.universe_specs()
        names = [s.symbol for s in uni]
        if len(set(names)) != len(names):
            dup = next(n for n in names if names.count(n) > 1)
            raise ConfigError("universe", dup, "each symbol defined once")
        if self.symbols is not None:
            if not self.symbols:
                raise ConfigError("symbols", self.symbols, "one or more symbols of the universe (or omit it for all)")
            known = set(names)
            for s in self.symbols:
                if s not in known:
                    where = "the built-in universe" if self.universe is None else "the manifest's universe"
                    same_case = [n for n in names if isinstance(s, str) and n.upper() == s.upper()]
                    raise ConfigError("symbols", s, f"a symbol of {where}: " + ",".join(sorted(known)),
                                      f"did you mean {same_case[0]!r}?" if same_case
                                      else closest(s, known) or closest(str(s).upper(), known))
            if len(set(self.symbols)) != len(self.symbols):
                raise ConfigError("symbols", self.symbols, "each symbol at most once")
        for ev in self.events or ():
            if ev.symbol != "*" and ev.symbol not in set(names):
                raise ConfigError("events.symbol", ev.symbol, "a symbol of the universe or '*'", closest(ev.symbol, names))

    # ------------------------------------------------------------------ derived views
    def universe_specs(self) -> tuple[SymbolSpec, ...]:
        """The universe in force: the manifest's own or the built-in default."""
        return tuple(self.universe) if self.universe is not None else default_universe()

    def selected(self) -> tuple[SymbolSpec, ...]:
        """The instruments to generate, in the order given (universe order when ``symbols`` is None)."""
        uni = self.universe_specs()
        if self.symbols is None:
            return uni
        by = {s.symbol: s for s in uni}
        return tuple(by[s] for s in self.symbols)

    def resolved(self) -> dict:
        """The manifest with defaults made explicit (the universe restricted to the selected symbols)."""
        d = msgspec.to_builtins(self)
        d["universe"] = msgspec.to_builtins(list(self.selected()))
        d["symbols"] = [s.symbol for s in self.selected()]
        d["format_version"] = _FORMAT_VERSION
        return d

    def canonical_json(self) -> bytes:
        """Canonical JSON of :meth:`resolved` (sorted keys, no whitespace): what the hash is taken over."""
        return json.dumps(self.resolved(), sort_keys=True, separators=(",", ":")).encode()

    def content_hash(self) -> str:
        """Stable SHA-256 (hex) of the canonical JSON; equal hashes mean identical output bytes."""
        return hashlib.sha256(self.canonical_json()).hexdigest()

    def replace(self, **changes: object) -> Manifest:
        """A copy with some fields changed (validated)."""
        return msgspec.structs.replace(self, **changes)


def load_manifest(path: str | Path) -> Manifest:
    """Read a manifest from a ``.json``, ``.yaml``/``.yml`` or ``.toml`` file.

    Unknown fields, wrong types and bad values raise ``ConfigError`` naming the field and the value.
    Example: ``load_manifest("run.yaml")``.
    """
    data = decode_config_file(path, "manifest")
    return manifest_from_data(data, source=str(path))


def manifest_from_data(data: object, source: str = "manifest") -> Manifest:
    """Build a validated Manifest from decoded builtins (dict), with friendly errors."""
    if not isinstance(data, dict):
        kind = {list: "a list", str: "a single string", int: "a single number", float: "a single number",
                bool: "a single true/false", type(None): "nothing"}.get(type(data), type(data).__name__)
        raise ConfigError(source, kind, "a mapping of manifest fields (field: value, ...) at the top level")
    if isinstance(data.get("start"), _dt.date):  # YAML/TOML parse bare dates
        data = {**data, "start": data["start"].isoformat()}
    try:
        return msgspec.convert(data, Manifest)
    except msgspec.ValidationError as e:  # a ConfigError from __post_init__ arrives wrapped: unwrap it
        raise (e.__cause__ if isinstance(e.__cause__, ConfigError) else _friendly(e, data)) from None


def _friendly(err: msgspec.ValidationError, data: dict) -> ConfigError:
    msg = str(err)
    fields = [f for f in Manifest.__struct_fields__]
    if msg.startswith("Object contains unknown field"):
        name = msg.split("`")[1] if "`" in msg else msg
        path = msg.rsplit("$", 1)[-1].rstrip("`") if "$" in msg else ""
        if path.startswith((".control", ".control_changes")):
            allowed = ", ".join(SyntheticControlState.__struct_fields__)
            return ConfigError(f"manifest{path}", name, "fields " + allowed,
                               closest(name, SyntheticControlState.__struct_fields__))
        if path.startswith(".events"):
            return ConfigError(f"manifest{path}", name, "fields " + ", ".join(EventSpec.__struct_fields__),
                               closest(name, EventSpec.__struct_fields__))
        if path.startswith(".universe"):
            allowed = ", ".join(SymbolSpec.__struct_fields__)
            return ConfigError(f"manifest{path}", name, "fields " + allowed, closest(name, SymbolSpec.__struct_fields__))
        return ConfigError("manifest", name, "fields " + ", ".join(fields), closest(name, fields))
    if msg.startswith("Invalid enum value"):
        path = msg.rsplit("`$", 1)[-1].rstrip("`") if "`$" in msg else ""
        field = path.lstrip(".")
        choices = {"mode": MODES, "format": FORMATS, "event_calendar": EVENT_CALENDARS}.get(field, ())
        bad = data.get(field) if isinstance(data, dict) else None
        return ConfigError(field or "manifest", bad, " | ".join(choices) or msg, closest(str(bad), choices))
    # "Expected `int`, got `str` - at `$.seed`"
    path = msg.rsplit("`$", 1)[-1].rstrip("`") if "`$" in msg else ""
    field = path.lstrip(".") or "manifest"
    value: object = data
    for part in path.lstrip(".").replace("[", ".").replace("]", "").split("."):
        if not part:
            continue
        try:
            value = value[int(part)] if isinstance(value, list) else value[part]  # type: ignore[index]
        except (KeyError, IndexError, ValueError, TypeError):
            value = "?"
            break
    return ConfigError(field, value, *_plain_expected(msg.split(" - at ")[0]))


_TYPE_WORDS = {"int": "an integer", "float": "a number", "str": "a string", "bool": "true or false",
               "array": "a list", "object": "a mapping of fields", "null": "null"}


def _plain_expected(text: str) -> tuple[str, str]:
    """msgspec's "Expected `int`, got `str`" as ``(allowed, hint)`` in plain words: ("an integer", "got
    a string"); "Object missing required field `price`" as ("a value for 'price'", "it is required")."""
    import re

    miss = re.match(r"Object missing required field `([^`]*)`", text)
    if miss:
        return f"a value for {miss.group(1)!r}", "it is required"
    m = re.match(r"Expected `([^`]*)`(.*?)(?:, got `([^`]*)`)?$", text)
    if not m:
        return text, ""

    def words(spec: str) -> str:
        kinds = [k.strip() for k in spec.split("|")]
        if kinds == ["null"]:
            return "null"
        out = " or ".join(_TYPE_WORDS.get(k, k) for k in kinds if k != "null")
        return out + (" (or leave it out)" if "null" in kinds else "")

    allowed = words(m.group(1)) + m.group(2)
    return allowed, (f"got {words(m.group(3))}" if m.group(3) else "")
