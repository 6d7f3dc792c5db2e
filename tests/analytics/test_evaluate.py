"""Scoring against labels (hand-built tape: labels known) and the report format."""
from __future__ import annotations

import pyarrow as pa

from ._flowdata import DESK_CALENDAR, T0, Tape
from fastsynth import schemas
from fastsynth.analytics.evaluate import evaluate_tables, format_report
from fastsynth.analytics.flow import flow


def _labels(tape: Tape, tab: pa.Table) -> pa.Table:
    tids = tab.column("trade_id").to_pylist()
    fam, burst, prof = [], [], []
    for t in tids:
        f, b = tape.labels[t]
        if f == "background":
            f, b = "single_print_mid", 0
        fam.append(f)
        burst.append(b)
        prof.append(schemas.PROFILES[schemas.FAMILY_PROFILE[schemas.FAMILIES.index(f)]])
    return pa.table({"trade_id": pa.array(tids, pa.uint64()), "family": fam, "profile": prof,
                     "intended_placement": pa.nulls(len(tids), pa.string()), "burst_id": pa.array(burst, pa.uint64())})


def test_evaluate_on_hand_built_tape():
    """Two bursts of every labeled family + background, scored against the labels. The desk knows the scheduled
    releases (``DESK_CALENDAR``): event-driven bursts trade the expiry that spans the next one, follow-through
    comes after a gap, and ``flow`` gets the same calendar; the targets are the issue's, unrelaxed."""
    tape = Tape(51, events=DESK_CALENDAR)
    t = T0 + 10**9
    fams = [f for f in schemas.FAMILIES if schemas.FAMILY_PROFILE[schemas.FAMILIES.index(f)] < 6]
    for k in range(2):
        for f in fams:
            tape.burst(f, t, direction=1 - 2 * (k % 2))
            t += 700 * 10**9
    tape.noise(800, T0, t)
    tab = tape.table()
    rep = evaluate_tables(tab, _labels(tape, tab), flow(tab, events=tape.calendar()))
    for p in schemas.PROFILES[:6]:
        assert rep.profiles[p]["recall"] >= 0.8, (p, rep.profiles[p])
        assert rep.profiles[p]["precision"] >= 0.9, (p, rep.profiles[p])
    assert rep.noise_fp <= 0.01
    text = format_report(rep)
    assert "confusion" in text and "institutional_directional" in text
