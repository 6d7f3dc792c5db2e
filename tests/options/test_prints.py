"""PrintGenerator on a hand-built world (chain, quote tape, underlying tape, burst schedule: prints_synth).

Checks the public-tape contract (schema, NBBO/underlying context = an independent as-of join, placement
read back = intended placement, ids/sequence), the family templates (contract selection, sweeps,
multi-leg structures, small neutral noise) and determinism (same bytes, independent of labels).
"""
from __future__ import annotations

import math

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pytest

from fastsynth import schemas
from fastsynth.kernels.placement import place_many
from fastsynth.options.families import FAMILY_TEMPLATES, family

from .prints_synth import NS, OPEN_NS, asof, contract_index, schedule, world

HIDDEN = {"family", "profile", "intended_placement", "burst_id", "scenario", "label"}


@pytest.fixture(scope="module")
def w():
    return world()


@pytest.fixture(scope="module")
def run(w):
    return w.run(want_labels=True)


def _np(t: pa.Table, col: str) -> np.ndarray:
    a = t.column(col)
    if pa.types.is_timestamp(a.type):
        a = a.cast(pa.int64())
    if pa.types.is_dictionary(a.type):
        return np.asarray(a.to_pylist(), dtype=object)
    return a.to_numpy(zero_copy_only=False)


def test_batches_match_schemas_and_carry_no_hidden_labels(w):
    g = w.generator(True)
    n = 0
    for qb, und, s0, s1 in w.blocks():
        t, lab = g.block(qb, und, s0, s1)
        if t is None:
            assert lab is None
            continue
        assert t.schema.equals(schemas.schema("option_trades"), check_metadata=True)
        assert lab.schema.equals(schemas.schema("scenario_labels"), check_metadata=True)
        assert t.num_rows == lab.num_rows
        n += t.num_rows
    assert n > 500
    assert not HIDDEN & set(schemas.schema("option_trades").names)


def test_every_label_keys_a_print(run):
    tr, lb = run
    assert _np(tr, "trade_id").tolist() == _np(lb, "trade_id").tolist()
    assert _np(tr, "ts_event").tolist() == _np(lb, "ts_event").tolist()


def test_ids_sequence_and_times(run):
    tr, _ = run
    ts, recv = _np(tr, "ts_event"), _np(tr, "ts_recv")
    seq, tid = _np(tr, "sequence"), _np(tr, "trade_id")
    assert np.all(np.diff(ts) >= 0)
    assert np.all(recv >= ts)
    assert seq.tolist() == list(range(tr.num_rows))
    assert np.unique(tid).shape[0] == tid.shape[0]
    assert np.all(tid == (np.uint64(0) << np.uint64(48)) | seq)      # day 0, sym 0: id = sequence
    assert ts.min() >= OPEN_NS and ts.max() < OPEN_NS + 23_400 * NS


def test_nbbo_context_equals_independent_asof_join(w, run):
    tr, _ = run
    c = contract_index(w.chain, _np(tr, "instrument_id"))
    t = _np(tr, "ts_event")
    bid, ask, age = asof(w.q_ts, w.q_c, w.q_bid, w.q_ask, t, c)
    assert tr.column("bid_px").null_count == 0           # the generator prints only against a quote
    assert np.array_equal(_np(tr, "bid_px"), bid)
    assert np.array_equal(_np(tr, "ask_px"), ask)
    assert np.array_equal(_np(tr, "nbbo_age_ns"), age)
    # the underlying: last mid change at or before the print
    j = np.searchsorted(w.u_ts, t, side="right") - 1
    assert np.all(j >= 0)
    assert np.array_equal(_np(tr, "underlying_px"), w.u_mid[j])
    assert np.array_equal(_np(tr, "underlying_age_ns"), t - w.u_ts[j])
    # contract columns come from the chain
    assert np.array_equal(_np(tr, "strike"), w.chain.strike[c])
    assert _np(tr, "symbol").tolist() == w.chain.symbol.take(pa.array(c)).to_pylist()


def test_placement_read_back_equals_intended_for_every_print(run):
    tr, lb = run
    got = place_many(_np(tr, "price"), _np(tr, "bid_px"), _np(tr, "ask_px"))
    want = np.array([schemas.PLACEMENTS.index(p) for p in _np(lb, "intended_placement")])
    assert np.array_equal(got, want)
    side = _np(tr, "side")
    assert set(side[np.isin(want, [0, 1])]) <= {"A"}
    assert set(side[np.isin(want, [3, 4])]) <= {"B"}
    assert set(side[want == 2]) <= {"N"}
    px = _np(tr, "price")
    assert np.all(px > 0) and np.allclose(px, np.round(px, 2), rtol=0, atol=1e-12)


def test_every_family_prints_with_its_profile(run):
    _, lb = run
    fams = set(_np(lb, "family"))
    assert fams == set(schemas.FAMILIES)
    prof = _np(lb, "profile")
    fam = _np(lb, "family")
    for f, p in zip(fam, prof):
        assert p == family(f).profile


def _burst_rows(tr, lb, name):
    m = _np(lb, "family") == name
    bursts = _np(lb, "burst_id")
    return m & (bursts > 0), bursts


def test_sweeps_hit_three_plus_venues_within_milliseconds_with_isoi(run):
    tr, lb = run
    for name in ("call_sweep", "put_sweep"):
        m, bursts = _burst_rows(tr, lb, name)
        assert m.any()
        for b in np.unique(bursts[m]):
            k = m & (bursts == b)
            assert set(_np(tr, "conditions")[k]) == {"ISOI"}
            assert len(set(_np(tr, "venue")[k])) >= 3
            ts = _np(tr, "ts_event")[k]
            assert ts.max() - ts.min() <= 10_000_000                 # within 10 ms
            assert set(_np(lb, "intended_placement")[k]) <= {"A", "AA"}
            assert set(_np(tr, "right")[k]) == {"C" if name == "call_sweep" else "P"}
            assert len(set(_np(tr, "instrument_id")[k])) == 1
            assert _np(tr, "size")[k].sum() >= 100


LEGS = {"parity_vertical": (2, "MLET"), "short_straddle_harvest": (2, "MLET"), "earnings_vol_probe": (2, "MLET"),
        "conversion_reversal": (2, "TLET"), "box_spread": (4, "MLET"), "covered_call_overwrite": (1, "TLET")}


def test_multileg_legs_share_structure_id_and_conditions(run):
    tr, lb = run
    fam, sid = _np(lb, "family"), _np(tr, "structure_id")
    cond, right, exp = _np(tr, "conditions"), _np(tr, "right"), _np(tr, "expiration")
    strike, ts = _np(tr, "strike"), _np(tr, "ts_event")
    assert np.all(sid[~np.isin(fam, list(LEGS))] == 0)
    for name, (n_legs, c) in LEGS.items():
        m = fam == name
        assert m.any(), name
        assert np.all(sid[m] != 0)
        for s in np.unique(sid[m]):
            k = sid == s
            assert k.sum() == n_legs, name
            assert set(cond[k]) == {c}
            assert len(set(ts[k])) == 1 and len(set(exp[k])) == 1
            if name == "box_spread":
                assert sorted(right[k]) == ["C", "C", "P", "P"] and len(set(strike[k])) == 2
            if name in ("conversion_reversal", "short_straddle_harvest"):
                assert sorted(right[k]) == ["C", "P"] and len(set(strike[k])) == 1
            if name == "parity_vertical":
                assert len(set(right[k])) == 1 and len(set(strike[k])) == 2
    # vol sellers sell at the bid; arbitrage prints inside the spread (or at the touch when locked/one-tick)
    pl = _np(lb, "intended_placement")
    assert set(pl[np.isin(fam, ["covered_call_overwrite", "cash_secured_put_write", "short_straddle_harvest"])]) \
        <= {"B", "BB"}
    arb = np.isin(fam, ["parity_vertical", "conversion_reversal", "box_spread"])
    assert (pl[arb] == "MID").mean() >= 0.5


def test_families_select_their_contracts(w, run):
    tr, lb = run
    fam, bursts = _np(lb, "family"), _np(lb, "burst_id")
    dte = (_np(tr, "expiration").astype("datetime64[D]").astype(np.int64)
           - np.datetime64("2026-01-02", "D").astype(np.int64))
    S, K = _np(tr, "underlying_px"), _np(tr, "strike")
    right = _np(tr, "right")
    c = contract_index(w.chain, _np(tr, "instrument_id"))
    tau = w.chain.tau[c] + (OPEN_NS + 23_400 * NS - _np(tr, "ts_event")) / (252.0 * 23_400 * NS)
    sq = 0.25 * np.sqrt(tau)
    d1 = (np.log(S / K) + 0.5 * sq * sq) / sq
    from scipy.special import ndtr

    absdelta = np.where(right == "C", ndtr(d1), ndtr(-d1))
    for f in FAMILY_TEMPLATES:
        if f.profile == "neutral_noise":
            continue
        m = (fam == f.name) & (bursts > 0)
        assert m.any(), f.name
        lo, hi = f.dte
        assert np.all((dte[m] >= lo) & (dte[m] <= hi)), (f.name, set(dte[m]))
        if f.right in ("C", "P"):
            assert set(right[m]) == {f.right}, f.name
        # the first print of each burst: its |delta| in the band (reference vol; spot moves a little)
        for b in np.unique(bursts[m]):
            i = np.flatnonzero(m & (bursts == b))[0]
            if f.structure in ("box", "vertical") or f.name == "earnings_vol_probe" or f.round_strike:
                continue         # later legs / strangles / round strikes sit off the first leg's band
            assert f.delta[0] - 0.12 <= absdelta[i] <= f.delta[1] + 0.12, (f.name, absdelta[i])
        if math.isfinite(f.max_price):
            assert np.median(_np(tr, "price")[m]) <= f.max_price + 0.5


def test_round_strike_families_trade_round_strikes(run):
    tr, lb = run
    fam, K = _np(lb, "family"), _np(tr, "strike")
    for name in ("gamma_pinch_call_hedge", "reactive_put_wall", "dealer_unwind"):
        m = fam == name
        assert m.any()
        assert np.all(np.abs(K[m] / 5.0 - np.round(K[m] / 5.0)) < 1e-9), (name, K[m])


def test_noise_stays_small(run):
    tr, lb = run
    noise = _np(lb, "profile") == "neutral_noise"
    size, px = _np(tr, "size")[noise], _np(tr, "price")[noise]
    notional = size * px * 100
    assert np.median(size) <= 3
    assert np.mean(size <= 10) >= 0.9
    assert np.all((notional < 10_000) | (size == 1))
    assert np.mean(notional < 10_000) >= 0.98
    # ... and labeled smart-money bursts are materially bigger
    smart = ~noise
    assert np.median(_np(tr, "size")[smart]) >= 5 * np.median(size)


def test_background_concentrates_near_the_money_and_short_dated(run):
    tr, lb = run
    bg = _np(lb, "burst_id") == 0
    S, K = _np(tr, "underlying_px")[bg], _np(tr, "strike")[bg]
    dte = (_np(tr, "expiration").astype("datetime64[D]").astype(np.int64)[bg]
           - np.datetime64("2026-01-02", "D").astype(np.int64))
    assert np.mean(np.abs(np.log(K / S)) < 0.05) >= 0.6
    assert np.mean(dte <= 14) >= 0.6
    # venues spread over the exchanges
    assert len(set(_np(tr, "venue")[bg])) >= 12


def test_deterministic_and_independent_of_labels(w, run):
    tr, _ = run
    tr2, _ = w.run(want_labels=True)
    tr3, lb3 = w.run(want_labels=False)
    assert lb3 is None
    assert tr.equals(tr2) and tr.equals(tr3)


def test_mode_scales_background_rate():
    # Poisson counts: firehose (x20) vs realistic background on the same world; tolerance 30% >> 1/sqrt(n)
    a, la = world(seconds=600, bursts=schedule(600, families=[])).run()
    b, lb = world(seconds=600, bursts=schedule(600, families=[]), mode="firehose").run()
    assert 14 <= b.num_rows / a.num_rows <= 26


def test_burst_spilling_past_a_block_is_carried():
    # an accumulation burst started 5 s before a block boundary keeps printing in the next block
    f = schemas.FAMILIES.index("ask_lift_accumulation")
    s = schedule(900, families=[f], per_family=1)
    s = type(s)(np.array([OPEN_NS + 295 * NS], np.int64), s.symbol, s.family, s.profile, s.burst_id, s.intensity,
                s.direction)
    tr, lb = world(seconds=900, bursts=s).run()
    ts = _np(tr, "ts_event")[_np(lb, "burst_id") > 0]
    assert ts.shape[0] >= 5 and ts.max() > OPEN_NS + 300 * NS
