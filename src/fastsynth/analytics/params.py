"""Parameters of the flow analytics: msgspec Structs, strict, loadable from JSON/YAML/TOML, validated.

Every field is one of the source's environment parameters (the name in the field doc) with the source's
documented default; a few fastsynth additions (packet/episode windows, profile thresholds) are marked.
A bad value raises ``ConfigError`` naming the field (dotted path), the value and what is allowed.

Example::

    from fastsynth.analytics.params import AnalyticsParams, load_params
    p = AnalyticsParams()                                   # the source's defaults
    p = load_params("flow.yaml")                            # {classifier: {sweep_min_premium: 50000}, ...}
    p = AnalyticsParams(signal=SignalParams(mode="balanced"))

Engineer A1 adds the join / dark-inference / candle parameter Structs here (same conventions).
"""
from __future__ import annotations

import math
from pathlib import Path
import typing
from typing import Any, Literal

import msgspec

from .._config_file import decode_config_file
from ..errors import ConfigError, closest

__all__ = ["ClusterParams", "BaselineParams", "ClassifierParams", "ProfileParams", "SignalParams",
           "AnalyticsParams", "JoinParams", "DarkParams", "CandleParams", "load_params", "params_from_data", "SIGNAL_MODES", "DEFAULT_ETF_UNDERLYINGS"]

SIGNAL_MODES: tuple[str, ...] = ("smart-money", "balanced", "all")
DEFAULT_ETF_UNDERLYINGS: tuple[str, ...] = ("SPY", "QQQ", "IWM", "DIA", "TLT", "GLD", "SLV", "XLF", "XLE", "XLV",
                                            "XLI", "XLP", "XLU", "XLY", "SMH", "ARKK")

_S = dict(frozen=True, forbid_unknown_fields=True, kw_only=True)


def _num(where: str, value: Any, lo: float, hi: float, allowed: str, integer: bool = False) -> None:
    ok = not isinstance(value, bool) and isinstance(value, (int, float)) and math.isfinite(value) \
        and lo <= value <= hi and (not integer or float(value).is_integer())
    if not ok:
        raise ConfigError(where, value, allowed)


class ClusterParams(msgspec.Struct, **_S):
    """Clustering of prints into flow packets and of packets into episodes.

    window_ms (``CLUSTER_WINDOW_MS``, 500): a print joins the open packet of its key (structure id, else
    contract) when it comes at most this long after the packet's last print.
    nbbo_max_age_ms (``NBBO_MAX_AGE_MS``, 1000): a print's NBBO is *fresh* when its age is at most this.
    structure_window_ms (fastsynth, 5): multi-leg-condition prints without a structure id on one underlying
    within this of the group's first print are one structure (time + underlying + leg pattern).
    episode_gap_ms (fastsynth, 600000): packets of one key form an *episode* (accumulation, spikes) while
    gaps stay within this; profiles are judged on the packet alone and on its episode.
    episode_tau_ms (fastsynth, 120000): an episode's sums decay as exp(-dt / tau), so flow from minutes ago
    (ordinary prints on a busy contract) fades instead of diluting a burst.
    underlying_lookback_s (fastsynth, 300): the underlying move "before" a packet is measured over
    [lookback, 2 x lookback) seconds.
    max_evidence (``DARK_INFER_MAX_EVIDENCE`` analogue, 32): print ids kept as evidence per packet/event.
    """

    window_ms: float = 500.0
    nbbo_max_age_ms: float = 1000.0
    structure_window_ms: float = 5.0
    episode_gap_ms: float = 600_000.0
    episode_tau_ms: float = 120_000.0
    underlying_lookback_s: float = 300.0
    max_evidence: int = 32

    def __post_init__(self) -> None:
        _num("cluster.window_ms", self.window_ms, 0.0, 3.6e6, "milliseconds between 0 and 3,600,000")
        _num("cluster.nbbo_max_age_ms", self.nbbo_max_age_ms, 0.0, 8.64e7, "milliseconds between 0 and 86,400,000")
        _num("cluster.structure_window_ms", self.structure_window_ms, 0.0, 60_000.0,
             "milliseconds between 0 and 60,000")
        _num("cluster.episode_gap_ms", self.episode_gap_ms, 0.0, 8.64e7, "milliseconds between 0 and 86,400,000")
        _num("cluster.episode_tau_ms", self.episode_tau_ms, 1.0, 8.64e7, "milliseconds between 1 and 86,400,000")
        _num("cluster.underlying_lookback_s", self.underlying_lookback_s, 1.0, 86_400.0,
             "seconds between 1 and 86,400")
        _num("cluster.max_evidence", self.max_evidence, 1, 256, "an integer between 1 and 256", integer=True)


class BaselineParams(msgspec.Struct, **_S):
    """Rolling baselines per (underlying, contract class): z-scores of log premium and log size.

    window_size (``ROLLING_WINDOW_SIZE``, 50): packets kept per baseline key.
    z_min_samples (``CLASSIFIER_Z_MIN_SAMPLES``, 12): below this many samples a z-score is null and z gates
    do not apply.
    """

    window_size: int = 50
    z_min_samples: int = 12

    def __post_init__(self) -> None:
        _num("baseline.window_size", self.window_size, 2, 100_000, "an integer between 2 and 100,000", integer=True)
        _num("baseline.z_min_samples", self.z_min_samples, 2, 100_000, "an integer between 2 and 100,000",
             integer=True)
        if self.z_min_samples > self.window_size:
            raise ConfigError("baseline.z_min_samples", self.z_min_samples,
                              f"at most baseline.window_size ({self.window_size})")


class ClassifierParams(msgspec.Struct, **_S):
    """Sweep / spike / 0DTE classifier hits (the source's ``CLASSIFIER_*`` parameters and defaults)."""

    sweep_min_premium: float = 40_000.0      # CLASSIFIER_SWEEP_MIN_PREMIUM
    sweep_min_count: int = 3                 # CLASSIFIER_SWEEP_MIN_COUNT (child prints in the packet)
    sweep_min_premium_z: float = 2.0         # CLASSIFIER_SWEEP_MIN_PREMIUM_Z
    spike_min_premium: float = 20_000.0      # CLASSIFIER_SPIKE_MIN_PREMIUM
    spike_min_size: int = 400                # CLASSIFIER_SPIKE_MIN_SIZE
    spike_min_premium_z: float = 2.5         # CLASSIFIER_SPIKE_MIN_PREMIUM_Z
    spike_min_size_z: float = 2.0            # CLASSIFIER_SPIKE_MIN_SIZE_Z
    min_nbbo_coverage: float = 0.5           # CLASSIFIER_MIN_NBBO_COVERAGE
    min_aggressor_ratio: float = 0.55        # CLASSIFIER_MIN_AGGRESSOR_RATIO
    zero_dte_max_atm_pct: float = 0.01       # CLASSIFIER_0DTE_MAX_ATM_PCT (fraction of the underlying)
    zero_dte_min_premium: float = 20_000.0   # CLASSIFIER_0DTE_MIN_PREMIUM
    zero_dte_min_size: int = 400             # CLASSIFIER_0DTE_MIN_SIZE

    def __post_init__(self) -> None:
        for f in ("sweep_min_premium", "spike_min_premium", "zero_dte_min_premium"):
            _num(f"classifier.{f}", getattr(self, f), 0.0, 1e12, "a premium in USD between 0 and 1e12")
        for f in ("sweep_min_count", "spike_min_size", "zero_dte_min_size"):
            _num(f"classifier.{f}", getattr(self, f), 1, 1e9, "an integer >= 1", integer=True)
        for f in ("sweep_min_premium_z", "spike_min_premium_z", "spike_min_size_z"):
            _num(f"classifier.{f}", getattr(self, f), 0.0, 100.0, "a z-score between 0 and 100")
        for f in ("min_nbbo_coverage", "min_aggressor_ratio", "zero_dte_max_atm_pct"):
            _num(f"classifier.{f}", getattr(self, f), 0.0, 1.0, "a fraction between 0 and 1")


class ProfileParams(msgspec.Struct, **_S):
    """The six smart-money profiles (fastsynth): when an episode is emitted, abstained or ignored.

    min_confidence (0.6): the best profile must reach this to be emitted.
    min_margin (0.15): ... and beat the runner-up by this much, else the episode abstains as ambiguous.
    abstain_min_premium (25000): a packet of at least this premium that emits nothing (and whose key emitted
    nothing within the cooldown) is recorded as abstained with its reason; smaller ones leave no row.
    repeat_cooldown_ms (60000): a key's episode emits the same profile again only after this long (a packet
    that qualifies on its own always emits).
    """

    min_confidence: float = 0.6
    min_margin: float = 0.15
    abstain_min_premium: float = 25_000.0
    repeat_cooldown_ms: float = 60_000.0

    def __post_init__(self) -> None:
        _num("profiles.min_confidence", self.min_confidence, 0.0, 1.0, "a confidence between 0 and 1")
        _num("profiles.min_margin", self.min_margin, 0.0, 1.0, "a confidence margin between 0 and 1")
        _num("profiles.abstain_min_premium", self.abstain_min_premium, 0.0, 1e12, "a premium in USD >= 0")
        _num("profiles.repeat_cooldown_ms", self.repeat_cooldown_ms, 0.0, 8.64e7, "milliseconds between 0 and 86,400,000")


class SignalParams(msgspec.Struct, **_S):
    """Signal filter of option prints (the source's ``OPTIONS_SIGNAL_*``); thresholds are USD notional.

    ``balanced`` uses the same rules with each threshold capped at the source's balanced value
    (min 5k, ETF 25k, bid side 15k, MID 12.5k, missing/stale NBBO 25k, sweep/ISO 15k, auto-keep 75k);
    ``all`` passes every print.
    """

    mode: Literal["smart-money", "balanced", "all"] = "smart-money"   # OPTIONS_SIGNAL_MODE
    min_notional: float = 10_000.0                # OPTIONS_SIGNAL_MIN_NOTIONAL
    etf_min_notional: float = 50_000.0            # OPTIONS_SIGNAL_ETF_MIN_NOTIONAL
    bid_side_min_notional: float = 25_000.0       # OPTIONS_SIGNAL_BID_SIDE_MIN_NOTIONAL
    mid_min_notional: float = 20_000.0            # OPTIONS_SIGNAL_MID_MIN_NOTIONAL
    nbbo_max_age_ms: float = 1500.0               # OPTIONS_SIGNAL_NBBO_MAX_AGE_MS
    missing_nbbo_min_notional: float = 50_000.0   # source constant
    large_print_min_size: int = 500               # source constant
    sweep_min_notional: float = 25_000.0          # source: = bid-side threshold
    auto_keep_min_notional: float = 100_000.0     # source constant
    etf_underlyings: tuple[str, ...] = DEFAULT_ETF_UNDERLYINGS   # OPTIONS_SIGNAL_ETF_UNDERLYINGS

    def __post_init__(self) -> None:
        for f in ("min_notional", "etf_min_notional", "bid_side_min_notional", "mid_min_notional",
                  "missing_nbbo_min_notional", "sweep_min_notional", "auto_keep_min_notional"):
            _num(f"signal.{f}", getattr(self, f), 0.0, 1e12, "a notional in USD between 0 and 1e12")
        _num("signal.nbbo_max_age_ms", self.nbbo_max_age_ms, 0.0, 8.64e7, "milliseconds between 0 and 86,400,000")
        _num("signal.large_print_min_size", self.large_print_min_size, 1, 1e9, "an integer >= 1", integer=True)
        for s in self.etf_underlyings:
            if not s or not s.replace(".", "").replace("-", "").isalnum():
                raise ConfigError("signal.etf_underlyings", s, "tickers (letters/digits, '.' or '-')")

    def effective(self) -> SignalParams:
        """The thresholds the mode applies (``balanced`` caps them at the source's balanced values)."""
        if self.mode != "balanced":
            return self
        return msgspec.structs.replace(
            self, min_notional=min(self.min_notional, 5_000.0), etf_min_notional=min(self.etf_min_notional, 25_000.0),
            bid_side_min_notional=min(self.bid_side_min_notional, 15_000.0),
            mid_min_notional=min(self.mid_min_notional, 12_500.0),
            missing_nbbo_min_notional=min(self.missing_nbbo_min_notional, 25_000.0),
            sweep_min_notional=min(self.sweep_min_notional, 15_000.0),
            auto_keep_min_notional=min(self.auto_keep_min_notional, 75_000.0))


# ---- A1: joins, dark inference, candles ----------------------------------------------------------------

DEFAULT_OFF_EXCHANGE: tuple[str, ...] = ("FINN", "FINC", "FINY", "D")   # FINRA TRF MICs; tape letter D (ADF/TRF)


class JoinParams(msgspec.Struct, **_S):
    """Print-to-NBBO as-of joins.

    option_nbbo_max_age_ms (``NBBO_MAX_AGE_MS``, 1000 as cluster.nbbo_max_age_ms): an option NBBO older than
    this at the print is stale. equity_quote_max_age_ms (``EQUITY_QUOTE_MAX_AGE_MS``, fastsynth default 1500):
    the same for the equity NBBO. placement_tol (fastsynth, 5e-5 USD): the shared placement rule's tolerance.
    """

    option_nbbo_max_age_ms: float = 1000.0
    equity_quote_max_age_ms: float = 1500.0
    placement_tol: float = 5e-5

    def __post_init__(self) -> None:
        for f in ("option_nbbo_max_age_ms", "equity_quote_max_age_ms"):
            _num(f"join.{f}", getattr(self, f), 0.0, 8.64e7, "milliseconds between 0 and 86,400,000")
        _num("join.placement_tol", self.placement_tol, 0.0, 0.005, "USD between 0 and 0.005")


class DarkParams(msgspec.Struct, **_S):
    """Dark inference from off-exchange equity prints (the source's ``DARK_INFER_*``; defaults are fastsynth's).

    window_ms (``DARK_INFER_WINDOW_MS``, 30000), cooldown_ms (``DARK_INFER_COOLDOWN_MS``, 60000),
    min_block_size (``DARK_INFER_MIN_BLOCK_SIZE``, 10000 sh), min_accum_size (``DARK_INFER_MIN_ACCUM_SIZE``,
    5000 sh), min_accum_count (``DARK_INFER_MIN_ACCUM_COUNT``, 5), min_print_size
    (``DARK_INFER_MIN_PRINT_SIZE``, 100 sh), max_evidence (``DARK_INFER_MAX_EVIDENCE``, 50),
    max_spread_pct (``DARK_INFER_MAX_SPREAD_PCT``, 0.5 % of the mid); near_side_frac (fastsynth, 0.25: an
    inside print within this fraction of the spread from a side counts for that side); off_exchange_venues
    (fastsynth: venue codes treated as off-exchange).
    """

    window_ms: float = 30_000.0
    cooldown_ms: float = 60_000.0
    min_block_size: int = 10_000
    min_accum_size: int = 5_000
    min_accum_count: int = 5
    min_print_size: int = 100
    max_evidence: int = 50
    max_spread_pct: float = 0.5
    near_side_frac: float = 0.25
    off_exchange_venues: tuple[str, ...] = DEFAULT_OFF_EXCHANGE

    def __post_init__(self) -> None:
        for f in ("window_ms", "cooldown_ms"):
            _num(f"dark.{f}", getattr(self, f), 0.0, 8.64e7, "milliseconds between 0 and 86,400,000")
        for f in ("min_block_size", "min_accum_size", "min_print_size"):
            _num(f"dark.{f}", getattr(self, f), 0, 1e12, "an integer >= 0 (shares)", integer=True)
        for f in ("min_accum_count", "max_evidence"):
            _num(f"dark.{f}", getattr(self, f), 1, 1e6, "an integer between 1 and 1,000,000", integer=True)
        _num("dark.max_spread_pct", self.max_spread_pct, 1e-9, 100.0, "percent of the mid in (0, 100]")
        _num("dark.near_side_frac", self.near_side_frac, 0.0, 0.499999, "a fraction of the spread in [0, 0.5)")
        if not self.off_exchange_venues or not all(isinstance(v, str) and v for v in self.off_exchange_venues):
            raise ConfigError("dark.off_exchange_venues", list(self.off_exchange_venues), "non-empty venue codes")


class CandleParams(msgspec.Struct, **_S):
    """Candles: intervals_ms (``CANDLE_INTERVALS_MS``, 1s/1m/5m), max_late_ms (``CANDLE_MAX_LATE_MS``, 2000),
    late (fastsynth): ``count`` late prints only in late_prints/late_volume, or ``revise`` the OHLCV too."""

    intervals_ms: tuple[int, ...] = (1_000, 60_000, 300_000)
    max_late_ms: float = 2_000.0
    late: Literal["count", "revise"] = "count"

    def __post_init__(self) -> None:
        iv = self.intervals_ms
        if not iv or len(set(iv)) != len(iv) or not all(
                isinstance(v, int) and not isinstance(v, bool) and 1 <= v <= 86_400_000 for v in iv):
            raise ConfigError("candles.intervals_ms", list(iv), "distinct integers between 1 and 86,400,000 (ms)")
        _num("candles.max_late_ms", self.max_late_ms, 0.0, 8.64e7, "milliseconds between 0 and 86,400,000")
        if self.late not in ("count", "revise"):
            raise ConfigError("candles.late", self.late, "count | revise", closest(str(self.late), ("count", "revise")))


class AnalyticsParams(msgspec.Struct, **_S):
    """All analytics parameters, one section per concern (each defaults to the source's defaults)."""

    cluster: ClusterParams = msgspec.field(default_factory=ClusterParams)
    baseline: BaselineParams = msgspec.field(default_factory=BaselineParams)
    classifier: ClassifierParams = msgspec.field(default_factory=ClassifierParams)
    profiles: ProfileParams = msgspec.field(default_factory=ProfileParams)
    signal: SignalParams = msgspec.field(default_factory=SignalParams)
    join: JoinParams = msgspec.field(default_factory=JoinParams)
    dark: DarkParams = msgspec.field(default_factory=DarkParams)
    candles: CandleParams = msgspec.field(default_factory=CandleParams)


_SECTIONS: dict[str, type[msgspec.Struct]] = {
    "cluster": ClusterParams, "baseline": BaselineParams, "classifier": ClassifierParams,
    "profiles": ProfileParams, "signal": SignalParams,
    "join": JoinParams, "dark": DarkParams, "candles": CandleParams,
}
def load_params(path: str | Path) -> AnalyticsParams:
    """Read :class:`AnalyticsParams` from a ``.json``, ``.yaml``/``.yml`` or ``.toml`` file."""
    data = decode_config_file(path, "params")
    return params_from_data(data)


def params_from_data(data: object) -> AnalyticsParams:
    """Build validated :class:`AnalyticsParams` from decoded builtins, with errors naming field and value."""
    if not isinstance(data, dict):
        raise ConfigError("params", type(data).__name__, "a mapping of sections: " + ", ".join(_SECTIONS))
    try:
        return msgspec.convert(data, AnalyticsParams)
    except msgspec.ValidationError as e:
        if isinstance(e.__cause__, ConfigError):
            raise e.__cause__ from None
        raise _friendly(e, data) from None


def _friendly(err: msgspec.ValidationError, data: dict) -> ConfigError:
    msg = str(err)
    path = msg.rsplit("`$", 1)[-1].rstrip("`") if "`$" in msg else ""
    parts = [q for q in path.lstrip(".").split(".") if q]
    if msg.startswith("Object contains unknown field"):
        name = msg.split("`")[1] if "`" in msg else msg
        if parts and parts[0] in _SECTIONS:
            allowed = _SECTIONS[parts[0]].__struct_fields__
            return ConfigError(f"{parts[0]}.{name}", data.get(parts[0], {}).get(name, name),
                               "fields " + ", ".join(allowed), closest(name, allowed))
        return ConfigError(name, data.get(name), "sections " + ", ".join(_SECTIONS), closest(name, _SECTIONS))
    value: object = data
    for q in parts:
        try:
            value = value[q] if isinstance(value, dict) else value[int(q)]  # type: ignore[index]
        except (KeyError, IndexError, ValueError, TypeError):
            value = "?"
            break
    field = ".".join(parts) or "params"
    if msg.startswith("Invalid enum value"):
        allowed = _literal_values(parts)
        if allowed:
            return ConfigError(field, value, " | ".join(allowed), closest(str(value), allowed))
    return ConfigError(field, value, msg.split(" - at ")[0])


def _literal_values(parts: list[str]) -> tuple[str, ...]:
    """Allowed values of the ``Literal`` field at ``parts`` (section, field[, ...]), or () when not one."""
    tp: object = AnalyticsParams
    for q in parts:
        if not (isinstance(tp, type) and issubclass(tp, msgspec.Struct)):
            return ()
        tp = typing.get_type_hints(tp).get(q)
    # Optional[Literal[...]] and the like: the Literal among the union's members
    cands = [tp] + list(typing.get_args(tp)) if typing.get_origin(tp) is not Literal else [tp]
    for c in cands:
        if typing.get_origin(c) is Literal:
            return tuple(str(v) for v in typing.get_args(c))
    return ()
