"""Flow analytics throughput: clustering + structures + classification (kernels over pre-extracted
columns) beside the same-run compute probe; the whole ``flow()`` path; and the real-time check (analytics
rate vs the ``firehose`` mode's option-print generation rate). The bench body is
``fastsynth.analytics.bench`` (also the ``flow analytics`` group of ``fastsynth bench``); this file runs it
(``python benchmarks/test_flow.py``) and smoke-tests it on a small input.
"""
from __future__ import annotations

import pytest

from fastsynth.analytics.bench import bench_flow


@pytest.mark.benchmark
def test_bench_flow_smoke():
    r = bench_flow(symbol="IBM", n_target=50_000, rounds=1)
    assert r["prints"] > 0 and r["kernels_per_s"] > 0 and r["realtime_ratio"] > 0


if __name__ == "__main__":
    for k, v in bench_flow().items():
        print(f"{k:22s} {v:,.3f}")
