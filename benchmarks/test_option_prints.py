"""Option print kernels beside the compute probe (same run): ``fastsynth.options.prints.bench_option_prints``.

Figures of record: ``python -c "from fastsynth.options.prints import bench_option_prints as b; print(b())"``
(7 interleaved rounds, one pinned core). In the normal suite this runs once on small inputs as a smoke test
and asserts only that every case produced rows and a ratio, never a time.
"""
from __future__ import annotations

from fastsynth.options.prints import bench_option_prints


def test_bench_option_prints_smoke():
    rows = bench_option_prints(rounds=1, n_prints=20_000, n_quotes=40_000, n_contracts=200)
    names = {r["case"] for r in rows}
    assert names == {"compute probe", "fill_prints (NBBO context)", "fill_prints + iv_delta", "plan_noise"}
    assert all(r["rows_per_s_median"] > 0 and r["ratio_to_probe"] > 0 for r in rows)
