"""Classification alignment on a generated, labeled multi-symbol session (fixed seed 7, 2026-03-03, 1 day).

Session: SPY, AAPL, NVDA, IBM — an index ETF with dailies, a mega cap with weeklies, a high-volatility name
whose short-dated contracts cost more than $5, and a name with monthly expiries only (its front expiry is
17 days out), all sharing one burst schedule (~1,500 labeled bursts, 166-379 per profile). It runs in
~5-10 s on this machine (the 35-name default session takes ~25 s, too long for the default suite; its
figures are in docs/analytics.md and come from ``fastsynth evaluate``).

Model: the classifier reads option_trades' public columns only (plus the scheduled-event calendar a desk
has); scenario_labels are joined afterwards (fastsynth.analytics.evaluate). Targets (issue 4): per-profile
precision >= 0.9 and recall >= 0.8, noise false-positive rate <= 1%, placement read back from the tape ==
intended placement for >= 95% of prints.

Tolerance and why: none — the targets are asserted as stated. The session is deterministic (fixed seed), so
the figures do not vary run to run; they vary with the model, and with 166-379 bursts per profile a rate has a
binomial sd of about 0.02-0.03, i.e. the margins measured (retail recall 0.81, event recall 0.83 the
tightest) are 0.5-1.5 sd: a model change that costs more than that fails here, which is the point. A profile
that disappears fails outright (floors below).
"""
from __future__ import annotations

import pytest

from fastsynth import schemas
from fastsynth.analytics.evaluate import TARGETS, run_evaluate

PUBLIC = schemas.PROFILES[:6]
SYMBOLS = ["SPY", "AAPL", "NVDA", "IBM"]


@pytest.fixture(scope="module")
def report():
    rep, _ = run_evaluate(seed=7, date="2026-03-03", symbols=SYMBOLS)
    print(rep.profiles)
    return rep


@pytest.mark.parametrize("profile", PUBLIC)
def test_every_profile_recovered(report, profile):
    r = report.profiles[profile]
    assert r["bursts"] > 100, "the session must contain the profile for this test to mean anything"
    assert r["emitted"] > 0 and r["recall"] >= 0.4 and r["precision"] >= 0.75, r


@pytest.mark.parametrize("metric", ["precision", "recall"])
@pytest.mark.parametrize("profile", PUBLIC)
def test_profile_targets(report, profile, metric):
    assert report.profiles[profile][metric] >= TARGETS[metric], report.profiles[profile]


def test_every_family_recovered(report):
    """Each labeled family is recovered as its profile at least half the time (a family that silently vanishes
    inside a profile that still meets its target fails here)."""
    low = {f: r["recall"] for f, r in report.families.items() if r["bursts"] and r["recall"] < 0.5}
    assert not low, low


def test_noise_false_positive_rate(report):
    assert report.noise_packets > 10_000
    assert report.noise_fp <= TARGETS["noise_fp"]


def test_placement_agreement(report):
    assert report.placement_n > 1000
    assert report.placement_agreement >= TARGETS["placement"]
