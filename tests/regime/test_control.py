"""Control state: defaults, validation (ConfigError names the field and the allowed values), manifest use."""
from __future__ import annotations

import msgspec
import pytest

from fastsynth import ConfigError, Manifest
from fastsynth.manifest import manifest_from_data
from fastsynth.regime import SyntheticControlState
from fastsynth.regime.control import PRESETS, PUBLIC_PROFILES, control_from_data


def test_defaults_match_the_issue():
    c = SyntheticControlState()
    assert c.preset_id == "balanced_demo" and c.coverage_assist is True and c.coverage_window_minutes == 20
    assert c.profile_weights == {p: 1.0 for p in PUBLIC_PROFILES}
    assert Manifest().control == c and Manifest().control_changes == [] and Manifest().event_calendar == "builtin"


@pytest.mark.parametrize("data, field, allowed", [
    ({"preset_id": "party"}, "control.preset_id", "balanced_demo | event_day | dealer_day | retail_chase | quiet_range"),
    ({"coverage_window_minutes": 15}, "control.coverage_window_minutes", "10 | 20 | 30"),
    ({"profile_weights": {**{p: 1.0 for p in PUBLIC_PROFILES}, "retail_whale": 2.0}},
     "control.profile_weights.retail_whale", "0.6 (Low) | 1.0 (Normal) | 1.6 (High)"),
    ({"profile_weights": {"retail_whale": 2.0}}, "control.profile_weights.retail_whale", "0.6 (Low) | 1.0 (Normal) | 1.6 (High)"),
    ({"profile_weights": {**{p: 1.0 for p in PUBLIC_PROFILES}, "noise": 1.0}}, "control.profile_weights", "profiles"),
    ({"coverage_assist": "yes"}, "control", "coverage_assist"),
    ({"bogus": 1}, "control", "preset_id"),
])
def test_invalid_control_is_rejected_with_field_and_allowed(data, field, allowed):
    with pytest.raises(ConfigError) as e:
        control_from_data(data)
    assert e.value.field.startswith(field) and (allowed in str(e.value) or allowed in e.value.field)
    # the same through the manifest: nothing is built from a half-valid control
    with pytest.raises(ConfigError) as e2:
        manifest_from_data({"seed": 1, "control": data})
    assert allowed in str(e2.value)


def test_direct_construction_validates():
    with pytest.raises(ConfigError, match="coverage_window_minutes"):
        SyntheticControlState(coverage_window_minutes=5)
    with pytest.raises(ConfigError, match="did you mean 'dealer_day'"):
        SyntheticControlState(preset_id="dealer_dy")


def test_control_changes_and_events_validated():
    with pytest.raises(ConfigError, match="control_changes"):
        manifest_from_data({"control_changes": [
            {"ts": "2026-03-02T16:00:00Z", "control": {}}, {"ts": "2026-03-02T15:00:00Z", "control": {}}]})
    with pytest.raises(ConfigError, match="control_changes.ts"):
        manifest_from_data({"control_changes": [{"ts": "2026-03-02T16:00:00", "control": {}}]})
    with pytest.raises(ConfigError, match="event_calendar"):
        manifest_from_data({"event_calendar": "fed"})
    with pytest.raises(ConfigError, match="events.event_type"):
        manifest_from_data({"events": [{"date": "2026-03-02", "event_type": "GDP"}]})
    with pytest.raises(ConfigError, match="events.symbol"):
        manifest_from_data({"events": [{"date": "2026-03-02", "event_type": "EARNINGS", "symbol": "SPYX"}]})


def test_control_roundtrips_json_and_changes_the_hash():
    c = SyntheticControlState(preset_id="quiet_range", profile_weights={p: 1.6 for p in PUBLIC_PROFILES})
    assert msgspec.json.decode(msgspec.json.encode(c), type=SyntheticControlState) == c
    assert Manifest(control=c).content_hash() != Manifest().content_hash()


def test_presets_cover_every_regime():
    for p in PRESETS.values():
        assert len(p.occupancy) == 7 and min(p.occupancy.values()) > 0


def test_profiles_left_out_are_normal():
    from fastsynth.manifest import manifest_from_data

    m = manifest_from_data({"control": {"profile_weights": {"retail_whale": 1.6}}})
    assert m.control.profile_weights == {**{p: 1.0 for p in PUBLIC_PROFILES}, "retail_whale": 1.6}
    full = manifest_from_data({"control": {"profile_weights": {**{p: 1.0 for p in PUBLIC_PROFILES}, "retail_whale": 1.6}}})
    assert m.content_hash() == full.content_hash()
