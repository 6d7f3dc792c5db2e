"""Classification alignment: the flow classifier's events scored against the opt-in ``scenario_labels``.

The classifier never sees the labels; this module joins its output to them afterwards:

- each *emitted* event's truth is the public profile most of its evidence prints belong to (background
  prints with ``burst_id = 0`` and the neutral families count as ``neutral_noise``), and its burst the most
  common burst id among those prints;
- **precision** of a profile = events emitted with it whose truth is it / events emitted with it;
- **recall** of a profile (and of a family) = labeled bursts with at least one emitted event of the right
  profile attributed to them / labeled bursts;
- **confusion matrix**: per labeled burst, its family (rows) against the profile of the events attributed to
  it (columns; ``abstained`` when it only has abstention rows, ``none`` when it has no row at all);
- **noise false-positive rate** = emitted events whose evidence is mostly neutral-noise prints (noise that
  *triggered* an emission) / neutral-noise packets (packets whose prints are all neutral); reported beside
  it, the stricter share of neutral-noise packets with a print *cited* in any emitted event's evidence
  (ordinary prints on a contract a burst trades get cited with it);
- **placement agreement** = prints whose placement read back from the tape (shared rule, fresh or stale
  quote) equals ``intended_placement`` / labeled prints with an intended placement.

``run_evaluate(seed, date, symbols, preset)`` generates the labeled session, runs :func:`flow` and returns
the report; ``format_report`` renders the tables the ``fastsynth evaluate`` command prints.
"""
from __future__ import annotations

import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field

import numpy as np
import pyarrow as pa

from .. import schemas
from ..kernels.placement import PLACEMENT_TOL, place_many
from .params import AnalyticsParams

__all__ = ["Report", "evaluate_tables", "run_evaluate", "format_report", "TARGETS"]

NOISE = "neutral_noise"
PUBLIC = schemas.PROFILES[:6]
TARGETS = {"precision": 0.9, "recall": 0.8, "noise_fp": 0.01, "placement": 0.95}


@dataclass
class Report:
    profiles: dict[str, dict[str, float]] = field(default_factory=dict)    # precision, recall, emitted, bursts
    families: dict[str, dict[str, object]] = field(default_factory=dict)   # bursts, recalled, recall, top
    confusion: dict[str, Counter] = field(default_factory=dict)            # family -> Counter(predicted)
    noise_fp: float = 0.0          # emitted events whose evidence is mostly neutral noise / noise packets
    noise_cited: float = 0.0       # stricter: noise packets with a print cited in any emitted event's evidence
    noise_packets: int = 0
    placement_agreement: float = 0.0
    placement_n: int = 0
    events_emitted: int = 0
    events_abstained: int = 0
    prints: int = 0
    seconds: dict[str, float] = field(default_factory=dict)

    def failures(self) -> list[str]:
        """Targets missed (empty when every target holds)."""
        out = []
        for p in PUBLIC:
            r = self.profiles.get(p, {})
            if r.get("bursts", 0) and r.get("recall", 0.0) < TARGETS["recall"]:
                out.append(f"{p} recall {r.get('recall', 0):.2f} < {TARGETS['recall']}")
            if r.get("emitted", 0) and r.get("precision", 0.0) < TARGETS["precision"]:
                out.append(f"{p} precision {r.get('precision', 0):.2f} < {TARGETS['precision']}")
            if r.get("bursts", 0) and not r.get("emitted", 0):
                out.append(f"{p} never recovered")
        if self.noise_fp > TARGETS["noise_fp"]:
            out.append(f"noise FP {self.noise_fp:.3%} > {TARGETS['noise_fp']:.0%}")
        if self.placement_n and self.placement_agreement < TARGETS["placement"]:
            out.append(f"placement agreement {self.placement_agreement:.3f} < {TARGETS['placement']}")
        return out


def _strs(col: pa.ChunkedArray | pa.Array) -> list:
    return col.to_pylist()


def evaluate_tables(trades: pa.Table, labels: pa.Table, out: dict[str, pa.Table]) -> Report:
    """Score ``flow()`` output ``out`` of ``trades`` against ``labels`` (scenario_labels)."""
    rep = Report(prints=trades.num_rows)
    lab_tid = labels.column("trade_id").to_numpy()
    lab_fam = _strs(labels.column("family"))
    lab_prof = _strs(labels.column("profile"))
    lab_burst = labels.column("burst_id").to_numpy()
    fam_of = dict(zip(lab_tid.tolist(), lab_fam))
    prof_of = {t: (p if b != 0 else NOISE) for t, p, b in zip(lab_tid.tolist(), lab_prof, lab_burst.tolist())}
    burst_of = dict(zip(lab_tid.tolist(), lab_burst.tolist()))
    # bursts: burst id -> (family, profile)
    bursts: dict[int, tuple[str, str]] = {}
    for b, f, p in zip(lab_burst.tolist(), lab_fam, lab_prof):
        if b and p != NOISE:
            bursts.setdefault(b, (f, p))
    ev = out["smart_money_events"]
    outcome = _strs(ev.column("outcome"))
    pred = _strs(ev.column("profile"))
    evid = ev.column("evidence").to_pylist()
    per_burst: dict[int, list[str]] = defaultdict(list)
    emitted_by: Counter = Counter()
    correct_by: Counter = Counter()
    noise_tids: set[int] = set()
    noise_triggered = 0
    for o, p, ids in zip(outcome, pred, evid):
        profs = Counter(prof_of.get(t, NOISE) for t in ids)
        truth = profs.most_common(1)[0][0] if profs else NOISE
        bs = Counter(burst_of.get(t, 0) for t in ids if prof_of.get(t, NOISE) == truth and burst_of.get(t, 0))
        burst = bs.most_common(1)[0][0] if bs else 0
        if o == "emitted":
            rep.events_emitted += 1
            noise_triggered += truth == NOISE
            emitted_by[p] += 1
            correct_by[p] += truth == p
            noise_tids.update(ids)
            if burst:
                per_burst[burst].append(p)
        else:
            rep.events_abstained += 1
            if burst:
                per_burst[burst].append("abstained")
    fam_rows: dict[str, Counter] = defaultdict(Counter)
    recalled_prof: Counter = Counter()
    bursts_prof: Counter = Counter()
    for b, (f, p) in bursts.items():
        preds = per_burst.get(b, [])
        got = [x for x in preds if x != "abstained"]
        top = Counter(got).most_common(1)[0][0] if got else ("abstained" if preds else "none")
        fam_rows[f][top] += 1
        bursts_prof[p] += 1
        recalled_prof[p] += p in got
    for f in schemas.FAMILIES:
        p = schemas.PROFILES[schemas.FAMILY_PROFILE[schemas.FAMILIES.index(f)]]
        if p == NOISE:
            continue
        c = fam_rows.get(f, Counter())
        n = sum(c.values())
        rec = c.get(p, 0)
        rep.families[f] = {"profile": p, "bursts": n, "recalled": rec, "recall": rec / n if n else float("nan"),
                           "top": c.most_common(1)[0][0] if c else "-"}
        rep.confusion[f] = c
    for p in PUBLIC:
        rep.profiles[p] = {"emitted": emitted_by[p], "precision": correct_by[p] / emitted_by[p] if emitted_by[p]
                           else float("nan"), "bursts": bursts_prof[p],
                           "recall": recalled_prof[p] / bursts_prof[p] if bursts_prof[p] else float("nan")}
    # noise false positives, per packet
    fp = out["flow_prints"]
    pk = fp.column("packet_id").to_numpy()
    tids = fp.column("trade_id").to_numpy()
    is_noise = np.array([prof_of.get(t, NOISE) == NOISE for t in tids.tolist()], bool)
    hit = np.array([t in noise_tids for t in tids.tolist()], bool)
    order = np.argsort(pk, kind="stable")
    pks, inv = np.unique(pk[order], return_inverse=True)
    all_noise = np.ones(len(pks), bool)
    any_hit = np.zeros(len(pks), bool)
    np.logical_and.at(all_noise, inv, is_noise[order])
    np.logical_or.at(any_hit, inv, hit[order])
    rep.noise_packets = int(all_noise.sum())
    rep.noise_fp = noise_triggered / max(1, rep.noise_packets)
    rep.noise_cited = float((all_noise & any_hit).sum() / max(1, rep.noise_packets))
    # placement agreement (tape read back with the shared rule vs intended)
    intended = labels.column("intended_placement")
    if intended.null_count < len(intended):
        t_of = {t: i for i, t in enumerate(trades.column("trade_id").to_numpy().tolist())}
        rows = np.array([t_of[t] for t in lab_tid.tolist()], np.int64)

        def f64(name: str) -> np.ndarray:
            return trades.column(name).to_numpy(zero_copy_only=False).astype(np.float64)[rows] \
                if not trades.column(name).null_count else \
                np.asarray(trades.column(name).fill_null(np.nan).to_numpy(zero_copy_only=False), np.float64)[rows]

        got = place_many(f64("price"), f64("bid_px"), f64("ask_px"), PLACEMENT_TOL)
        want = np.array([schemas.PLACEMENTS.index(x) if x is not None else -2 for x in intended.to_pylist()])
        m = want >= 0
        rep.placement_n = int(m.sum())
        rep.placement_agreement = float((got[m] == want[m]).mean()) if m.any() else float("nan")
    return rep


def run_evaluate(seed: int = 7, date: str = "2026-03-03", symbols: list[str] | None = None,
                 preset: str | None = None, params: AnalyticsParams | None = None) -> tuple[Report, dict]:
    """Generate a labeled session (option_trades + scenario_labels + events), classify it, score it."""
    import fastsynth
    from .flow import flow

    kw: dict = dict(seed=seed, start=date, days=1, tables=["option_trades", "scenario_labels", "events"])
    if symbols:
        kw["symbols"] = symbols
    m = fastsynth.Manifest(**kw)
    if preset is not None:
        m = _with_preset(m, preset)
    t0 = time.perf_counter()
    data = fastsynth.generate(m)
    t1 = time.perf_counter()
    # the scheduled events a desk knows in advance (the run's sessions and the weeks after): the classifier needs
    # the *next* event (which expiry carries it), not only the events of the session's own day
    from ..regime.events import event_calendar_table

    out = flow(data["option_trades"], params=params, events=event_calendar_table(m))
    t2 = time.perf_counter()
    rep = evaluate_tables(data["option_trades"], data["scenario_labels"], out)
    rep.seconds = {"generate": t1 - t0, "flow": t2 - t1}
    return rep, out


def _with_preset(m, preset: str):
    """The manifest with its control's preset replaced (the control struct is owned by the regime engine)."""
    import msgspec

    ctrl = getattr(m, "control", None)
    if ctrl is None:
        from ..errors import ConfigError
        raise ConfigError("preset", preset, "a manifest with a control (this build has none)")
    return m.replace(control=msgspec.structs.replace(ctrl, preset_id=preset))


def format_report(rep: Report) -> str:
    L = []
    L.append(f"prints {rep.prints:,}  emitted events {rep.events_emitted:,}  abstained {rep.events_abstained:,}")
    L.append("")
    L.append(f"{'profile':28s} {'bursts':>6s} {'emitted':>7s} {'precision':>9s} {'recall':>7s}")
    for p in PUBLIC:
        r = rep.profiles.get(p, {})
        L.append(f"{p:28s} {r.get('bursts', 0):6d} {r.get('emitted', 0):7d} {r.get('precision', float('nan')):9.3f} "
                 f"{r.get('recall', float('nan')):7.3f}")
    L.append("")
    L.append(f"{'family':28s} {'profile':26s} {'bursts':>6s} {'recall':>7s}  top prediction")
    for f, r in rep.families.items():
        L.append(f"{f:28s} {r['profile']:26s} {r['bursts']:6d} {r['recall']:7.3f}  {r['top']}")
    L.append("")
    cols = list(PUBLIC) + ["abstained", "none"]
    short = {p: p[:6] for p in cols}
    L.append("confusion (rows: family, cols: predicted)")
    L.append(f"{'':28s} " + " ".join(f"{short[c]:>6s}" for c in cols))
    for f, c in rep.confusion.items():
        L.append(f"{f:28s} " + " ".join(f"{c.get(col, 0):6d}" for col in cols))
    L.append("")
    L.append(f"noise false-positive rate {rep.noise_fp:.4%} of {rep.noise_packets:,} neutral-noise packets "
             f"(noise packets cited as evidence: {rep.noise_cited:.3%})")
    L.append(f"placement agreement {rep.placement_agreement:.4f} over {rep.placement_n:,} labeled prints")
    if rep.seconds:
        L.append("seconds: " + ", ".join(f"{k} {v:.2f}" for k, v in rep.seconds.items()))
    fails = rep.failures()
    L.append("targets: " + ("all met" if not fails else "MISSED: " + "; ".join(fails)))
    return "\n".join(L)
