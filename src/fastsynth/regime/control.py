"""Synthetic control state: the preset, soft-coverage settings and profile weights that shape a session.

``SyntheticControlState`` is part of the manifest for batch runs (``Manifest.control``) and can be
changed during a run (``Manifest.control_changes``: each change applies from its timestamp on). Every
value is validated; a bad value raises ``ConfigError`` naming the field and the allowed values, so
nothing is ever generated from a half-valid control.

Presets (``PRESETS``) set the regime occupancy weights of the semi-Markov regime chain, its mean
segment duration, the event intensity (jump size and IV run-up scale), and the volatility and
liquidity levels of the session.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import msgspec

from ..errors import ConfigError, closest
from ..schemas import PROFILES, REGIMES

__all__ = ["SyntheticControlState", "ControlChange", "Preset", "PRESETS", "PRESET_IDS", "PUBLIC_PROFILES",
           "WEIGHT_LEVELS", "WINDOWS", "validate_control", "control_from_data"]

PRESET_IDS: tuple[str, ...] = ("balanced_demo", "event_day", "dealer_day", "retail_chase", "quiet_range")
PUBLIC_PROFILES: tuple[str, ...] = PROFILES[:6]        # neutral_noise never counts
WEIGHT_LEVELS: tuple[float, ...] = (0.6, 1.0, 1.6)      # Low / Normal / High
WEIGHT_NAMES = {0.6: "Low", 1.0: "Normal", 1.6: "High"}
WINDOWS: tuple[int, ...] = (10, 20, 30)


def _default_weights() -> dict[str, float]:
    return {p: 1.0 for p in PUBLIC_PROFILES}


class SyntheticControlState(msgspec.Struct, frozen=True, forbid_unknown_fields=True, kw_only=True):
    """The control surface of the synthetic session (internal; part of the manifest).

    preset_id: ``balanced_demo`` | ``event_day`` | ``dealer_day`` | ``retail_chase`` | ``quiet_range``.
    coverage_assist: soft coverage on (a profile missing from the rolling window gets a bounded boost).
    coverage_window_minutes: 10 | 20 | 30. shared_seed: extra seed mixed into the regime engine (0 = the
    manifest seed alone). profile_weights: public profile -> 0.6 (Low) | 1.0 (Normal) |
    1.6 (High); profiles left out are 1.0. updated_at: ns since epoch UTC of the last change (informational). updated_by: who changed it.
    """

    preset_id: str = "balanced_demo"
    coverage_assist: bool = True
    coverage_window_minutes: int = 20
    shared_seed: int = 0
    profile_weights: dict[str, float] = msgspec.field(default_factory=_default_weights)
    updated_at: int = 0
    updated_by: str = "default"

    def __post_init__(self) -> None:
        validate_control(self)

    def weight(self, profile: str) -> float:
        return float(self.profile_weights[profile])

    def weights_vector(self) -> tuple[float, ...]:
        """Profile weights in ``PUBLIC_PROFILES`` order."""
        return tuple(float(self.profile_weights[p]) for p in PUBLIC_PROFILES)


def validate_control(c: SyntheticControlState, where: str = "control") -> None:
    """Raise ``ConfigError`` for any invalid field of ``c`` (field, value and allowed values named)."""
    if not isinstance(c.preset_id, str) or c.preset_id not in PRESET_IDS:
        raise ConfigError(f"{where}.preset_id", c.preset_id, " | ".join(PRESET_IDS),
                          closest(str(c.preset_id), PRESET_IDS))
    if not isinstance(c.coverage_assist, bool):
        raise ConfigError(f"{where}.coverage_assist", c.coverage_assist, "true | false")
    if isinstance(c.coverage_window_minutes, bool) or c.coverage_window_minutes not in WINDOWS:
        raise ConfigError(f"{where}.coverage_window_minutes", c.coverage_window_minutes, "10 | 20 | 30")
    if isinstance(c.shared_seed, bool) or not isinstance(c.shared_seed, int) or not 0 <= c.shared_seed < 2**63:
        raise ConfigError(f"{where}.shared_seed", c.shared_seed, "an integer from 0 to 2**63-1")
    w = c.profile_weights
    if not isinstance(w, dict):
        raise ConfigError(f"{where}.profile_weights", w, "a mapping of the six profiles to 0.6 | 1.0 | 1.6")
    for p in w:
        if p not in PUBLIC_PROFILES:
            raise ConfigError(f"{where}.profile_weights", p, "the profiles " + ", ".join(PUBLIC_PROFILES),
                              closest(str(p), PUBLIC_PROFILES))
    for p in PUBLIC_PROFILES:
        v = w.setdefault(p, 1.0)       # a profile left out is Normal (the hash sees the filled-in map)

        if isinstance(v, bool) or not isinstance(v, (int, float)) or not any(
                math.isclose(float(v), lv) for lv in WEIGHT_LEVELS):
            raise ConfigError(f"{where}.profile_weights.{p}", v, "0.6 (Low) | 1.0 (Normal) | 1.6 (High)")
    if isinstance(c.updated_at, bool) or not isinstance(c.updated_at, int) or c.updated_at < 0:
        raise ConfigError(f"{where}.updated_at", c.updated_at, "an integer >= 0 (ns since epoch UTC)")
    if not isinstance(c.updated_by, str) or len(c.updated_by) > 200:
        raise ConfigError(f"{where}.updated_by", c.updated_by, "a string of at most 200 characters")


class ControlChange(msgspec.Struct, frozen=True, forbid_unknown_fields=True, kw_only=True):
    """A control change during the run: ``control`` applies from ``ts`` (ns since epoch UTC, or an ISO
    timestamp string with a UTC offset, e.g. ``2026-03-02T15:00:00Z``) on."""

    ts: int | str
    control: SyntheticControlState

    def __post_init__(self) -> None:
        ts_ns(self.ts, "control_changes.ts")


def ts_ns(ts: int | str, field: str = "ts") -> int:
    """A timestamp as int ns UTC (accepts ints and ISO strings with an offset or Z)."""
    import datetime as _dt

    if isinstance(ts, bool):
        raise ConfigError(field, ts, "ns since epoch UTC (int) or an ISO timestamp with offset")
    if isinstance(ts, int):
        if ts < 0:
            raise ConfigError(field, ts, "ns since epoch UTC (int >= 0) or an ISO timestamp with offset")
        return ts
    try:
        d = _dt.datetime.fromisoformat(str(ts).replace("Z", "+00:00"))
    except ValueError:
        raise ConfigError(field, ts, "ns since epoch UTC (int) or an ISO timestamp like 2026-03-02T15:00:00Z") from None
    if d.tzinfo is None:
        raise ConfigError(field, ts, "an ISO timestamp WITH a UTC offset (e.g. ...Z or ...-05:00)")
    return int(round(d.timestamp() * 1e6)) * 1000


def control_from_data(data: object) -> SyntheticControlState:
    """A validated control from decoded JSON/YAML builtins (``ConfigError`` on any bad field)."""
    try:
        return msgspec.convert(data, SyntheticControlState)
    except msgspec.ValidationError as e:
        if isinstance(e.__cause__, ConfigError):
            raise e.__cause__ from None
        msg = str(e)
        if msg.startswith("Object contains unknown field"):
            name = msg.split("`")[1] if "`" in msg else msg
            fields = SyntheticControlState.__struct_fields__
            raise ConfigError("control", name, "fields " + ", ".join(fields), closest(name, fields)) from None
        path = msg.rsplit("`$", 1)[-1].rstrip("`") if "`$" in msg else ""
        raise ConfigError("control" + path, data, msg.split(" - at ")[0]) from None


@dataclass(frozen=True)
class Preset:
    """What a preset sets.

    occupancy: regime -> relative weight of entering that regime (the semi-Markov chain's jump
    weights; REGIMES order). mean_minutes: mean regime segment duration. event_intensity: multiplier of
    event jump sizes and IV run-ups. vol_level / liquidity_level: session volatility and activity levels.
    cleanliness: baseline quote cleanliness (0..1). burst_rate: labeled scenario bursts per minute in the
    whole session (before regime and coverage factors).
    """

    occupancy: dict[str, float]
    mean_minutes: float
    event_intensity: float
    vol_level: float
    liquidity_level: float
    cleanliness: float
    burst_rate: float


def _occ(**w: float) -> dict[str, float]:
    assert set(w) == set(REGIMES)
    return {r: float(w[r]) for r in REGIMES}


PRESETS: dict[str, Preset] = {
    "balanced_demo": Preset(_occ(trend_up=1.0, trend_down=1.0, mean_revert=1.2, retail_chase=0.8, event_ramp=0.6,
                                 dealer_gamma=0.9, arb_calm=1.0), 32.0, 1.0, 1.0, 1.0, 0.85, 1.6),
    "event_day": Preset(_occ(trend_up=0.9, trend_down=0.9, mean_revert=0.5, retail_chase=0.6, event_ramp=2.5,
                             dealer_gamma=0.5, arb_calm=0.4), 28.0, 1.5, 1.2, 1.15, 0.75, 1.8),
    "dealer_day": Preset(_occ(trend_up=0.4, trend_down=0.4, mean_revert=1.4, retail_chase=0.4, event_ramp=0.3,
                              dealer_gamma=3.0, arb_calm=0.6), 35.0, 0.9, 1.0, 1.1, 0.85, 1.6),
    "retail_chase": Preset(_occ(trend_up=1.3, trend_down=0.5, mean_revert=0.4, retail_chase=3.0, event_ramp=0.5,
                                dealer_gamma=0.6, arb_calm=0.3), 30.0, 1.1, 1.25, 1.3, 0.7, 2.0),
    "quiet_range": Preset(_occ(trend_up=0.3, trend_down=0.3, mean_revert=2.5, retail_chase=0.15, event_ramp=0.2,
                               dealer_gamma=0.6, arb_calm=2.5), 45.0, 0.6, 0.7, 0.8, 0.95, 0.8),
}
