"""Options chain/quote kernels beside the compute probe (same run): ``fastsynth.options.bench.run``.

Figures of record: ``python -m fastsynth.options.bench 7`` (7 interleaved rounds, one pinned core). In the
normal suite this runs once on small inputs (a small underlying, 20k contract evaluations) as a smoke test
and asserts only that every case produced rows and a ratio, never a time.
"""
from __future__ import annotations

from fastsynth.options.bench import run


def test_options_bench_smoke():
    rows = run(rounds=1, n_eval=20_000, symbol="F")
    assert {r["case"] for r in rows} == {"compute_probe", "bs_chain", "bs_greeks", "option_quotes"}
    assert all(r["median"] > 0 for r in rows)
    assert all(r["ratio"] > 0 for r in rows if r["case"] != "compute_probe")
