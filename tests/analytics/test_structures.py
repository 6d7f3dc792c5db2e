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
