"""Per-core throughput of the options chain/quote kernels beside the compute probe (same process,
round-robin rounds, one pinned CPU): ``python -m fastsynth.options.bench [rounds]``.

Cases:
* ``bs_chain``: price + five greeks of every contract of a chain at one underlying price
  (``kernels.blackscholes.bs_chain_k``: per-expiry discount factors, surface vols per contract) — the
  chain-pricing figure, in contract-evaluations/s (target 20 M);
* ``bs_greeks``: the same for arbitrary per-option inputs (``bs_greeks_k``: two discount exps per option);
* ``option_quotes``: the option NBBO kernel over a whole realistic session of ``SYMBOL`` (surface and
  per-second inputs prepared untimed in ``Quoter``), in quote rows/s (target 20 M);
* ``compute_probe``: Philox + AS241 normals (``fastsynth.bench.compute_probe``), the ceiling the ratios use.

``run(rounds, n_eval, symbol)`` returns ``fastsynth.bench``-style rows (``_row``: rows/s median, min, max,
ratio to the same-run probe); each case's note adds its rate per CPU-second of the process and that ratio
(robust when other processes share the machine).
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
    """A SPY-like chain repeated to ``n`` contracts: 16 expiries (1 day .. 2 years), strikes +-12% around
    600, calls and puts, smile-like vols."""
    from ..rng import derive_key, uniforms

    u = uniforms(derive_key(7, "bench", "options", "chain"), 0, 4 * n)
    S = np.full(n, 600.0)
    tau_e = 1.0 / 252 + 2.0 * (np.arange(16) / 15.0) ** 2
    expiry = np.sort((u[n:2 * n] * 16).astype(np.int32))
    K = 600.0 * np.exp(0.25 * (u[:n] - 0.5))
    tau = tau_e[expiry]
    sig = 0.12 + 0.3 * u[2 * n:3 * n]
    right = (u[3 * n:] < 0.5).astype(np.int8)
    return S, K, tau, sig, right, expiry, tau_e, [np.empty(n) for _ in range(6)]


def run(rounds: int = 7, n_eval: int = N_EVAL, symbol: str = SYMBOL) -> list[dict[str, Any]]:
    from ..bench import PROBE_BUFFER, _PROBE_KEY, _Case, _interleave, _pinned, _row, compute_probe
    from ..engine import plan
    from ..kernels.blackscholes import bs_chain_k, bs_greeks_k
    from ..manifest import Manifest
    from . import partition_chain
    from .quotes import Quoter

    S, K, tau, sig, right, expiry, tau_e, outs = _chain_inputs(n_eval)
    m = Manifest(seed=7, symbols=[symbol], tables=["option_quotes"])
    p = plan(m)
    part = next(x for x in p.partitions if x.symbol == symbol)
    chain = partition_chain(p, part)
    n_sec = part.session.seconds
    Quoter(p, part, chain).block(0, 300)           # compile / load caches untimed
    bs_greeks_k(S[:10], K[:10], tau[:10], sig[:10], right[:10], 0.04, 0.01, *(o[:10] for o in outs))
    bs_chain_k(600.0, K[:10], right[:10], sig[:10], expiry[:10], tau_e, 0.04, 0.01, *(o[:10] for o in outs))
    buf = np.empty(PROBE_BUFFER)
    compute_probe(_PROBE_KEY[0], _PROBE_KEY[1], 1000, buf)

    def chain_(_: Any) -> int:
        bs_chain_k(600.0, K, right, sig, expiry, tau_e, 0.04, 0.01, *outs)
        return n_eval

    def greeks(_: Any) -> int:
        bs_greeks_k(S, K, tau, sig, right, 0.04, 0.01, *outs)
        return n_eval

    def quotes(q: Any) -> int:
        return sum(len(q.block(s0, min(s0 + 300, n_sec))) for s0 in range(0, n_sec, 300))

    def probe(_: Any) -> int:
        compute_probe(_PROBE_KEY[0], _PROBE_KEY[1], 4 * n_eval, buf)
        return 4 * n_eval

    cases = [_Case("bs_chain", chain_), _Case("bs_greeks", greeks),
             _Case("option_quotes", quotes, lambda: Quoter(p, part, chain)), _Case("compute_probe", probe)]
    cpu: dict[str, list[float]] = {}
    with _pinned():
        rates = _interleave(cases, rounds, cpu)
    pr = rates["compute_probe"]
    out = [_row("options", "compute_probe", pr, ceiling="compute_probe")]
    # rows per CPU-second of the process (robust to other load on a shared machine), beside the wall rates
    cpu_pr = statistics.median(cpu["compute_probe"])
    cpu_note = {k: f"; CPU-time {statistics.median(v) / 1e6:.2f} M/s, ratio {statistics.median(v) / cpu_pr:.3f}"
                for k, v in cpu.items()}
    notes = {"bs_chain": f"{n_eval:,} contracts, 16 expiries", "bs_greeks": f"{n_eval:,} options, per-option tau",
             "option_quotes": f"{symbol} realistic session"}
    notes = {k: v + cpu_note[k] for k, v in notes.items()}
    for name, unit in (("bs_chain", "contract-evaluations/s"), ("bs_greeks", "contract-evaluations/s"),
                       ("option_quotes", "quote rows/s")):
        med = statistics.median(rates[name])
        out.append(_row("options", name, rates[name], ceiling="compute_probe", ceiling_values=pr,
                        target=f">= {TARGET / 1e6:.0f} M {unit}", ok=med >= TARGET, note=notes[name]))
    return out


if __name__ == "__main__":  # pragma: no cover
    for r in run(int(sys.argv[1]) if len(sys.argv) > 1 else 7):
        print(f"{r['case']:>14}: {r['median'] / 1e6:7.2f} M/s (min {r['min'] / 1e6:.2f}, max {r['max'] / 1e6:.2f})"
              f"  ratio to probe {r['ratio'] if r['ratio'] is not None else 1.0:.3f}  {r['target']}  {r['note']}")
