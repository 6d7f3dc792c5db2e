"""Equity join and dark inference on real data no one here wrote: IBM trades + NBBO (QuantConnect/Lean, 2013).

Located at ``../shared/data/real`` beside the repo (CI layout); skipped, with the reason, only when absent.
Uses only the real files' own columns (renamed with the ``lean`` preset): nothing fastsynth-specific.
Bounds are loose sanity bands around the figures in docs/analytics.md (``tools/analytics_real_report.py``),
wide enough for parameter tweaks but tight enough to catch a broken join (e.g. looking ahead makes the
median quote age 0 and the at-quote shares collapse; a wrong key makes everything missing).
"""
from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from fastsynth.analytics import DarkStream, join_equity

ROOT = Path(__file__).resolve().parents[2]
_spec = importlib.util.spec_from_file_location("analytics_real_report", ROOT / "tools" / "analytics_real_report.py")
report = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(report)
SHARED = report.find_shared(ROOT)

pytestmark = pytest.mark.skipif(SHARED is None, reason="real data ../shared/data/real (IBM trades/NBBO) not present")


@pytest.fixture(scope="module")
def fig():
    return report.figures(SHARED)


def test_join_coverage_and_quote_age(fig):
    q = fig["quality_rth"]
    assert q["missing"] < 0.001                 # the NBBO file covers the trading day
    assert 0.85 < q["fresh"] < 0.99             # 1.5 s max age: a few % of prints follow a quiet NBBO
    a = fig["age_ms_rth"]
    assert a["p10"] >= 0 and 0 <= a["p50"] < 100 and a["p90"] > a["p50"]


def test_placement_shares_are_plausible(fig):
    p = fig["placement_rth"]
    assert 0.99 < sum(p.values()) <= 1 + 1e-9     # fresh prints at a crossed NBBO have no placement
    assert p["A"] > 0.15 and p["B"] > 0.15      # lit prints mostly at the quote
    assert p["AA"] + p["BB"] < 0.1              # outside the NBBO is rare (trade-through exemptions, timing)
    assert fig["state_rth"]["crossed"] < 0.01


def test_dark_events_have_evidence_and_reasons(fig):
    assert 5 <= fig["dark_events"] <= 200
    for r in fig["dark_rows"]:
        assert r["reason"].startswith(r["kind"]) and 0 < r["confidence"] < 1


def test_streaming_equals_whole_on_real_data():
    real = SHARED / "data" / "real"
    t, q = pq.read_table(real / report.TRADES), pq.read_table(real / report.NBBO)
    whole = DarkStream(rename="lean").step(t, q)
    ts_t, ts_q = t.column("ts_ns").to_numpy(), q.column("ts_ns").to_numpy()
    cuts = np.quantile(ts_t, [0.2, 0.5, 0.77]).astype(np.int64)
    s = DarkStream(rename="lean")
    parts, lo = [], np.iinfo(np.int64).min
    for c in [*cuts, np.iinfo(np.int64).max]:
        mt = (ts_t > lo) & (ts_t <= c)
        mq = (ts_q > lo) & (ts_q <= c)
        parts.append(s.step(t.filter(pa.array(mt)), q.filter(pa.array(mq))))
        lo = c
    got = pa.concat_tables(parts)
    assert [str(r) for r in got.to_pylist()] == [str(r) for r in whole.to_pylist()]
    j = join_equity(t, q, rename="lean")
    assert j.num_rows == t.num_rows
