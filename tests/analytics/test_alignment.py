"""Classification alignment on a generated, labeled session (fixed seed, 1 symbol, 1 day).

Model: the classifier reads option_trades' public columns only; scenario_labels are joined afterwards
(fastsynth.analytics.evaluate). Targets (issue 4): per-profile precision >= 0.9 and recall >= 0.8, noise
false-positive rate <= 1%, placement read back from the tape == intended placement for >= 95% of prints.

Tolerances and why: the session has ~1,100 labeled bursts (100-230 per profile), so a per-profile rate has a
binomial sd of about 0.02-0.04; the targets are asserted as stated (no slack) where this build meets them.
Targets this build MISSES are xfail(strict=True) with the measured figure and the reason, so they stay visible
and flip to failures-to-update the day they pass. Every profile must be recovered (floors below), so a
profile that disappears fails outright.
"""
from __future__ import annotations

import pytest

from fastsynth import schemas
from fastsynth.analytics.evaluate import TARGETS, run_evaluate

PUBLIC = schemas.PROFILES[:6]
# Targets this build misses (strict xfail with the measured figure and the reason); none on the default session
# since event-driven flow trades the expiry spanning the next scheduled event (the classifier gets the calendar)
# and retail spikes are dense runs on one contract.
MISSED: dict[tuple[str, str], str] = {}


@pytest.fixture(scope="module")
def report():
    rep, _ = run_evaluate(seed=7, date="2026-03-03", symbols=["AAPL"])
    print(rep.profiles)
    return rep


@pytest.mark.parametrize("profile", PUBLIC)
def test_every_profile_recovered(report, profile):
    r = report.profiles[profile]
    assert r["bursts"] > 20, "the session must contain the profile for this test to mean anything"
    assert r["emitted"] > 0 and r["recall"] >= 0.4 and r["precision"] >= 0.75, r


@pytest.mark.parametrize("metric", ["precision", "recall"])
@pytest.mark.parametrize("profile", PUBLIC)
def test_profile_targets(report, profile, metric, request):
    if (profile, metric) in MISSED:
        request.applymarker(pytest.mark.xfail(strict=True, reason=MISSED[(profile, metric)]))
    assert report.profiles[profile][metric] >= TARGETS[metric], report.profiles[profile]


def test_noise_false_positive_rate(report):
    assert report.noise_fp <= TARGETS["noise_fp"]


def test_placement_agreement(report):
    assert report.placement_n > 1000
    assert report.placement_agreement >= TARGETS["placement"]
