"""Per-core throughput of the options chain/quote kernels beside the compute probe (same process,
round-robin rounds, one pinned CPU): ``python -m fastsynth.options.bench [rounds]``.

Cases:
* ``bs_greeks``: price + five greeks of a 1 M-contract chain slice (``kernels.blackscholes.bs_greeks_k``),
  in contract-evaluations/s (target 20 M);
* ``option_quotes``: the option NBBO kernel over a whole realistic session of ``SYMBOL`` (surface and
  per-second inputs prepared untimed), in quote rows/s (target 20 M);
* ``compute_probe``: Philox + AS241 normals (``fastsynth.bench.compute_probe``), the ceiling the ratios use.
"""
from __future__ import annotations

import statistics
import sys
from typing import Any

import numpy as np

__all__ = ["run", "SYMBOL", "TARGET"]

SYMBOL = "SPY"
TARGET = 20e6
N_EVAL = 1_000_000


def _chain_inputs(n: int):
    from ..rng import derive_key, uniforms

    u = uniforms(derive_key(7, "bench", "options", "chain"), 0, 4 * n)
    S = np.full(n, 600.0)
    K = 600.0 * np.exp(0.25 * (u[:n] - 0.5))
    tau = 1.0 / 252 + 2.0 * u[n:2 * n] ** 2
    sig = 0.12 + 0.3 * u[2 * n:3 * n]
    right = (u[3 * n:] < 0.5).astype(np.int8)
    return S, K, tau, sig, right, [np.empty(n) for _ in range(6)]


def run(rounds: int = 7) -> list[dict[str, Any]]:
    from ..bench import PROBE_BUFFER, _PROBE_KEY, _Case, _interleave, _pinned, _row, compute_probe
    from ..engine import plan
    from ..kernels.blackscholes import bs_greeks_k
    from ..manifest import Manifest
    from . import partition_chain
    from .quotes import Quoter

    S, K, tau, sig, right, outs = _chain_inputs(N_EVAL)
    m = Manifest(seed=7, symbols=[SYMBOL], tables=["option_quotes"])
    p = plan(m)
    part = next(x for x in p.partitions if x.symbol == SYMBOL)
    chain = partition_chain(p, part)
    n_sec = part.session.seconds
    Quoter(p, part, chain).block(0, 300)           # compile / load caches untimed
    bs_greeks_k(S[:10], K[:10], tau[:10], sig[:10], right[:10], 0.04, 0.01, *(o[:10] for o in outs))
    buf = np.empty(PROBE_BUFFER)
    compute_probe(_PROBE_KEY[0], _PROBE_KEY[1], 1000, buf)

    def greeks(_: Any) -> int:
        bs_greeks_k(S, K, tau, sig, right, 0.04, 0.01, *outs)
        return N_EVAL

    def quotes(q: Any) -> int:
        return sum(len(q.block(s0, min(s0 + 300, n_sec))) for s0 in range(0, n_sec, 300))

    def probe(_: Any) -> int:
        compute_probe(_PROBE_KEY[0], _PROBE_KEY[1], 4 * N_EVAL, buf)
        return 4 * N_EVAL

    cases = [_Case("bs_greeks", greeks), _Case("option_quotes", quotes, lambda: Quoter(p, part, chain)),
             _Case("compute_probe", probe)]
    with _pinned():
        rates = _interleave(cases, rounds)
    pr = rates["compute_probe"]
    out = [_row("options", "compute_probe", pr, ceiling="compute_probe")]
    for name, unit in (("bs_greeks", "contract-evaluations/s"), ("option_quotes", "quote rows/s")):
        med = statistics.median(rates[name])
        out.append(_row("options", name, rates[name], ceiling="compute_probe", ceiling_values=pr,
                        target=f">= {TARGET / 1e6:.0f} M {unit}", ok=med >= TARGET,
                        note=f"{SYMBOL} realistic session" if name == "option_quotes" else "1 M contracts"))
    return out


if __name__ == "__main__":  # pragma: no cover
    for r in run(int(sys.argv[1]) if len(sys.argv) > 1 else 7):
        print(f"{r['case']:>14}: {r['median'] / 1e6:7.2f} M/s (min {r['min'] / 1e6:.2f}, max {r['max'] / 1e6:.2f})"
              f"  ratio to probe {r['ratio'] if r['ratio'] is not None else 1.0:.3f}  {r['target']}")
