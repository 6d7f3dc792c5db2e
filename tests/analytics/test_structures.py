"""Structures: leg patterns from structure ids, and from time + underlying + multi-leg conditions when the
input has no structure id."""
from __future__ import annotations

import pyarrow as pa
import pytest

from ._flowdata import T0, Tape
from fastsynth.analytics.flow import flow

CASES = [("parity_vertical", "vertical"), ("short_straddle_harvest", "straddle"), ("earnings_vol_probe", "straddle"),
         ("conversion_reversal", "conversion"), ("box_spread", "box"), ("covered_call_overwrite", "stock_tied")]


@pytest.mark.parametrize("family,structure", CASES)
def test_structure_from_structure_id(family, structure):
    tape = Tape(21)
    tape.burst(family, T0 + 10**9)
    pk = flow(tape.table())["flow_packets"]
    assert set(pk.column("structure").to_pylist()) == {structure}
    assert all(s != 0 for s in pk.column("structure_id").to_pylist())


@pytest.mark.parametrize("family,structure", [c for c in CASES if c[1] != "stock_tied"])
def test_structure_without_structure_id(family, structure):
    """Legs with multi-leg conditions, no structure id: grouped by time + underlying, synthetic id (bit 62)."""
    tape = Tape(22)
    tape.burst(family, T0 + 10**9)
    tab = tape.table()
    tab = tab.set_column(tab.column_names.index("structure_id"), "structure_id",
                         pa.array([0] * tab.num_rows, pa.uint64()))
    pk = flow(tab)["flow_packets"]
    assert set(pk.column("structure").to_pylist()) == {structure}
    assert all(s >> 62 == 1 for s in pk.column("structure_id").to_pylist())


def test_single_leg_is_single():
    tape = Tape(23)
    tape.burst("call_sweep", T0 + 10**9)
    pk = flow(tape.table())["flow_packets"]
    assert pk.column("structure").to_pylist() == ["single"]
    assert pk.column("legs").to_pylist() == [1]


def test_structure_kernel_matches_numpy_reference():
    """The clustering kernel's per-packet structure code (``kernels.packets._structure``, run when a packet
    closes) equals the numpy reference ``structures.structure_codes`` on random leg sets (1-4 legs, few
    rights/expiries/strikes so every pattern occurs, with and without structure id / stock tie)."""
    import numpy as np

    from fastsynth.analytics.structures import structure_codes
    from fastsynth.kernels import classify as KC
    from fastsynth.kernels import packets as K

    rng = np.random.default_rng(5)
    n = 4000
    si = np.zeros((n, K.NSI), np.int64)
    sf = np.zeros((n, K.NSF))
    li = np.zeros((n, K.MAXLEG, 3), np.int64)
    lf = np.zeros((n, K.MAXLEG, 4))
    si[:, K.SI_PID] = np.arange(n)
    si[:, K.SI_N] = 1
    si[:, K.SI_NLEGS] = rng.integers(1, K.MAXLEG + 1, n)
    si[:, K.SI_STRUCT] = rng.integers(0, 2, n) * (np.arange(n) + 1)
    si[:, K.SI_TLET] = rng.integers(0, 2, n)
    li[:, :, K.LI_RIGHT] = rng.integers(0, 2, (n, K.MAXLEG))
    li[:, :, K.LI_EXP] = 20_500 + rng.integers(0, 2, (n, K.MAXLEG))
    lf[:, :, K.LF_STRIKE] = 100.0 + 5.0 * rng.integers(0, 2, (n, K.MAXLEG))
    g = np.zeros(K.NG, np.int64)
    g[K.G_USED] = n
    ui = np.zeros((1, 4), np.int64)
    opi = np.zeros((n, KC.NPI), np.int64)
    out = dict(opf=np.zeros((n, KC.NPF)), oxi=np.zeros((K.NXI, n), np.int64), oxf=np.zeros((K.NXF, n)))
    e = np.zeros(1, np.int64)
    k = K.close_prefix(True, 1, si.copy(), sf, li.copy(), lf.copy(), ui, g, e, e, np.zeros(16, np.int64),
                       np.zeros(16, np.int64), np.full(16, -1, np.int64), np.zeros(n, np.int64), opi, out["opf"],
                       out["oxi"], out["oxf"], np.zeros(n + 1, np.int64), np.zeros(1, np.int64),
                       np.zeros(2, np.int64))
    assert k == n
    ref = structure_codes(si, li, lf)
    assert (opi[:, KC.PI_STRUCT] == ref).all()
    assert len(set(ref.tolist())) >= 7
