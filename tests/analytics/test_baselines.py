"""Rolling baselines: z-scores of log premium / log size per (underlying, right, DTE bucket), window
ROLLING_WINDOW_SIZE, null below CLASSIFIER_Z_MIN_SAMPLES — against a plain-numpy reference."""
from __future__ import annotations

import numpy as np
import pytest

from ._flowdata import T0, Tape
from fastsynth.analytics.flow import flow
from fastsynth.analytics.params import AnalyticsParams, BaselineParams


def _bucket(dte: int) -> int:
    return 0 if dte <= 0 else 1 if dte <= 7 else 2 if dte <= 45 else 3


def reference_z(pk, window: int, zmin: int) -> tuple[np.ndarray, np.ndarray]:
    """Packets in id order; z of this packet against the previous <= window packets of its key."""
    hist: dict[tuple, list[tuple[float, float]]] = {}
    pz, sz = [], []
    for u, r, d, prem, size in zip(pk["underlying"], pk["right"], pk["dte"], pk["premium"], pk["size"]):
        h = hist.setdefault((u, r, _bucket(d)), [])
        w = h[-window:]
        lp, ls = np.log1p(prem), np.log1p(size)
        if len(w) >= zmin:
            a = np.array(w)
            sp, ss = a[:, 0].std(ddof=1), a[:, 1].std(ddof=1)
            pz.append((lp - a[:, 0].mean()) / sp if sp > 1e-6 else 0.0)
            sz.append((ls - a[:, 1].mean()) / ss if ss > 1e-6 else 0.0)
        else:
            pz.append(np.nan)
            sz.append(np.nan)
        h.append((lp, ls))
    return np.array(pz), np.array(sz)


@pytest.mark.parametrize("window,zmin", [(50, 12), (8, 3)])
def test_z_scores_match_reference(window, zmin):
    tape = Tape(31)
    tape.noise(1500, T0, T0 + 3600 * 10**9)
    tape.burst("gamma_pinch_call_hedge", T0 + 1800 * 10**9)
    params = AnalyticsParams(baseline=BaselineParams(window_size=window, z_min_samples=zmin))
    pk = flow(tape.table(), params=params)["flow_packets"].to_pydict()
    rz, rs = reference_z(pk, window, zmin)
    got = np.array([np.nan if x is None else x for x in pk["premium_z"]])
    gs = np.array([np.nan if x is None else x for x in pk["size_z"]])
    # tolerance 1e-6: running sums (add/subtract) vs a fresh two-pass std over the same window
    np.testing.assert_allclose(got, rz, atol=1e-6, equal_nan=True)
    np.testing.assert_allclose(gs, rs, atol=1e-6, equal_nan=True)
    assert np.isnan(got[:zmin]).any()
    assert (np.array(pk["baseline_samples"]) <= window).all()


def test_z_min_samples_above_window_rejected():
    from fastsynth.errors import ConfigError
    with pytest.raises(ConfigError, match="baseline.z_min_samples"):
        BaselineParams(window_size=10, z_min_samples=20)
