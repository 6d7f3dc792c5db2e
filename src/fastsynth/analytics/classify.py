"""Classifiers over flow packets: sweep / spike / 0DTE hits and the six smart-money profiles.

``FlowClassifier.push(pi, pf, ev_off, ev_val)`` takes closed packets in packet-id order (the feature rows
written by the clustering kernel, :mod:`fastsynth.kernels.packets`) and returns the packets' baseline
z-scores, the hits and the profile event rows; state (baselines, open episodes) is carried, so any split of the packets gives the same rows.

Profiles are judged on *episodes* (a contract's or structure's packets while gaps stay within
``cluster.episode_gap_ms``), with rules that read public columns only — placement against the NBBO, size,
premium, DTE, delta/moneyness, venues, ISO/auction/multi-leg/stock-tied conditions, the leg pattern, the
underlying move before the flow and (optionally) the time to the symbol's next scheduled event:

===========================  ===========================================================================
institutional_directional    ISO sweep across venues at the ask (DTE >= 4); far-dated (DTE >= 100) bought at
                             the ask; repeated ask lifts on one contract (4+ packets, DTE >= 14, 40+ lots)
retail_whale                 a dense run (7.5+ decayed prints) of small lots at the ask on a cheap contract
                             (<= $5 or <= 5% of spot), DTE <= 7 or the name's front expiry (learned from the tape)
event_driven                 straddle/strangle bought at the ask; short-dated (1-13 DTE) accumulation at the
                             ask on the expiry carrying the next scheduled event, or after a move its way
vol_seller                   straddle/strangle sold at the bid; call sold against stock (TLET); OTM puts
                             (or calls) sold at the bid, DTE >= 7
arbitrage                    box; conversion/reversal (call + put same strike, stock-tied); vertical at mid
hedge_reactive               dealer-size near-the-money prints, DTE <= 5 or the front expiry, at the ask or
                             mid: 280+ avg lots as auction (SLAN) prints, 400+ otherwise
===========================  ===========================================================================

An episode is emitted the first time its best profile reaches ``profiles.min_confidence`` with
``profiles.min_margin`` over the runner-up; otherwise, when it closes with premium >= 
``profiles.abstain_min_premium``, it is recorded as abstained with the reason (below the threshold,
ambiguous, poor NBBO coverage, or no pattern).
"""
from __future__ import annotations

import numpy as np

from .. import schemas
from ..kernels import classify as KC
from .params import AnalyticsParams

__all__ = ["FlowClassifier", "RULE_TEXT", "event_reason", "hit_reason"]

RULE_TEXT: dict[int, str] = {
    KC.RULE_NONE: "no profile pattern",
    KC.RULE_IN_SWEEP: "ISO sweep across venues at the ask",
    KC.RULE_IN_FAR: "far-dated contracts bought at the ask",
    KC.RULE_IN_ACCUM: "repeated ask lifts on one contract",
    KC.RULE_RW_SPIKE: "burst of small lots on a cheap short-dated contract at the ask",
    KC.RULE_EV_STRADDLE: "straddle/strangle bought at the ask",
    KC.RULE_EV_DIRECTIONAL: "short-dated directional accumulation (event window / after a move)",
    KC.RULE_VS_STRADDLE: "straddle/strangle sold at the bid",
    KC.RULE_VS_OVERWRITE: "call sold against stock (covered-call overwrite)",
    KC.RULE_VS_PUTWRITE: "puts sold at the bid",
    KC.RULE_VS_CALLSELL: "calls sold at the bid",
    KC.RULE_ARB_BOX: "box spread",
    KC.RULE_ARB_CONV: "conversion/reversal with a stock leg",
    KC.RULE_ARB_VERT: "vertical printed inside the spread",
    KC.RULE_HR_AGGRESSIVE: "dealer-size near-the-money short-dated prints at the ask",
    KC.RULE_HR_UNWIND: "dealer-size near-the-money short-dated prints at mid",
}
_HIT_TEXT = ("sweep", "spike", "0DTE near the money")


def _ratios(ask: float, bid: float, mid: float, sa: float, sb: float) -> tuple[float, float, float]:
    tot = ask + bid + mid
    if tot > 0:
        return ask / tot, bid / tot, mid / tot
    t2 = sa + sb
    return (sa / t2, sb / t2, 0.0) if t2 > 0 else (0.0, 0.0, 0.0)


def event_reason(oi: np.ndarray, of: np.ndarray, params: AnalyticsParams) -> str:
    """One line for one smart_money_events row (``oi``/``of``: rows of the kernel's event columns, numpy rows or
    lists)."""
    prof = schemas.PROFILES[int(oi[KC.OI_PROFILE])]
    conf, conf2 = float(of[KC.OF_CONF]), float(of[KC.OF_CONF2])
    n, npk = int(oi[KC.OI_N]), int(oi[KC.OI_NPK])
    ask, bid, mid = _ratios(of[KC.EF_ASK], of[KC.EF_BID], of[KC.EF_MID], of[KC.EF_SIDE_A], of[KC.EF_SIDE_B])
    right = "C" if int(oi[KC.OI_RIGHT]) == 0 else "P"
    st = schemas.FLOW_STRUCTURES[int(oi[KC.OI_STRUCT])]
    what = f"{st} {right} " if st != "single" else f"{right} "
    facts = (f"{what}{int(oi[KC.OI_DTE])}DTE, {n} prints/{npk} packets, {of[KC.EF_SIZE]:.0f} contracts, "
             f"${of[KC.EF_PREM] / 1e3:,.0f}k, {ask:.0%} ask/{mid:.0%} mid/{bid:.0%} bid")
    rule = RULE_TEXT[int(oi[KC.OI_RULE])]
    if int(oi[KC.OI_OUTCOME]) == 0:
        return f"{prof} {conf:.2f}: {rule}; {facts}"
    pp = params.profiles
    cov_note = ""
    if conf < pp.min_confidence:
        why = (f"no profile pattern" if conf == 0 else
               f"best {prof} ({rule}) {conf:.2f} < {pp.min_confidence:.2f}")
    else:
        prof2 = schemas.PROFILES[int(oi[KC.OI_PROFILE2])]
        why = f"ambiguous: {prof} {conf:.2f} vs {prof2} {conf2:.2f} (margin < {pp.min_margin:.2f})"
    return f"abstained: {why}{cov_note}; {facts}"


def hit_reason(kind: int, prem: float, size: float, n: int, venues: int, pz: float, aggr: float, cov: float,
               dte: int, atm: float) -> str:
    z = f", premium z {pz:.1f}" if pz == pz else ", z n/a (few samples)"
    extra = f", {atm:.2%} from ATM" if kind == KC.H_ZERO_DTE else f", {n} prints on {venues} venues"
    return (f"{_HIT_TEXT[kind]}: ${prem / 1e3:,.0f}k, {size:.0f} contracts, {dte}DTE{extra}, aggressor {aggr:.0%}, "
            f"NBBO coverage {cov:.0%}{z}")


class FlowClassifier:
    """Baselines + hits + episodes/profiles over packets in packet-id order, state carried across calls."""

    def __init__(self, params: AnalyticsParams | None = None) -> None:
        self.params = p = params or AnalyticsParams()
        self.window = int(p.baseline.window_size)
        self.zmin = int(p.baseline.z_min_samples)
        self.gap_ns = int(round(p.cluster.episode_gap_ms * 1e6))
        self.sweep_ns = max(1, int(60e9))
        self.tau_ns = float(p.cluster.episode_tau_ms * 1e6)
        self.cooldown_ns = int(round(p.profiles.repeat_cooldown_ms * 1e6))
        c = p.classifier
        self.hit_par = np.array([c.sweep_min_premium, c.sweep_min_count, c.sweep_min_premium_z, c.spike_min_premium,
                                 c.spike_min_size, c.spike_min_premium_z, c.spike_min_size_z, c.min_nbbo_coverage,
                                 c.min_aggressor_ratio, c.zero_dte_max_atm_pct, c.zero_dte_min_premium,
                                 c.zero_dte_min_size], np.float64)
        self.maxev = int(p.cluster.max_evidence)
        self.g = np.zeros(4, np.int64)
        self.U = 0
        self.bl_buf = np.zeros((0, KC.NCLASS, self.window, 2))
        self.bl_cnt = np.zeros((0, KC.NCLASS), np.int64)
        self.bl_sum = np.zeros((0, KC.NCLASS, 4))
        self.ui = np.zeros((0, KC.NUI), np.int64)
        self._alloc_episodes(1024)
        self._ev_cap = 256

    def _alloc_episodes(self, cap: int) -> None:
        used = int(self.g[KC.G_EUSED])
        ei = np.zeros((cap, KC.NEI), np.int64)
        ef = np.zeros((cap, KC.NEF), np.float64)
        ev = np.zeros((cap, self.maxev), np.int64)
        et = np.zeros((cap, self.maxev), np.int64)     # evidence entries: (packet start ms << 3) | tag
        if hasattr(self, "ei"):
            ei[:used], ef[:used], ev[:used], et[:used] = \
                self.ei[:used], self.ef[:used], self.ev_e[:used], self.ev_t[:used]
        self.ei, self.ef, self.ev_e, self.ev_t = ei, ef, ev, et
        hsize = 1 << max(11, int(4 * cap - 1).bit_length())
        self.ehk = np.zeros(hsize, np.int64)
        self.ehs = np.full(hsize, -1, np.int64)
        # rebuild the hash without dropping anything (gap beyond any time difference)
        KC._sweep(self.ei, self.ef, self.ev_e, self.ev_t, self.ehk, self.ehs, np.zeros((max(1, self.U), KC.NUI), np.int64), self.g,
                  np.int64(1) << np.int64(62))

    def _grow_und(self, n: int) -> None:
        if n <= self.U:
            return
        m = max(n, 2 * self.U, 8)
        for name, shape, fill in (("bl_buf", (m, KC.NCLASS, self.window, 2), 0.0), ("bl_cnt", (m, KC.NCLASS), 0),
                                  ("bl_sum", (m, KC.NCLASS, 4), 0.0), ("ui", (m, KC.NUI), 0)):
            old = getattr(self, name)
            new = np.full(shape, fill, old.dtype)
            new[:self.U] = old[:self.U]
            setattr(self, name, new)
        self.ui[self.U:, KC.U_WM] = np.iinfo(np.int64).min
        self.ui[self.U:, KC.U_SWEEP] = np.iinfo(np.int64).min
        self.ui[self.U:, KC.U_FRONT_DAY] = np.iinfo(np.int64).min
        self.U = m

    def push(self, pi: np.ndarray, pf: np.ndarray, ev_off: np.ndarray, ev_val: np.ndarray,
             final: bool = False, out: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None
             ) -> dict[str, np.ndarray]:
        """Classify packets (rows of ``pi``/``pf``; evidence ``ev_val[ev_off[i]:ev_off[i + 1]]``); returns z arrays,
        hits and event rows. ``out``: optional ``(pz, sz, ns)`` arrays of ``len(pi)`` (float64, float64, int64,
        contiguous) the z-scores and sample counts are written to (and returned), instead of new ones."""
        P = pi.shape[0]
        # the kernel writes every packet's z / sample count and each hit it reports: no fill needed
        if out is None:
            out_pz, out_sz, out_ns = np.empty(P), np.empty(P), np.empty(P, np.int64)
        else:
            out_pz, out_sz, out_ns = out
        if getattr(self, "_hits", None) is None or self._hits[0].shape[0] < 3 * P + 1:
            # hit rows (rare) go to reused buffers, copied out per call
            h = max(3 * P + 1, 2 * (0 if getattr(self, "_hits", None) is None else self._hits[0].shape[0]))
            self._hits = (np.empty(h, np.int64), np.empty(h, np.int8), np.empty(h), np.empty(h, np.int8))
        hit_pkt, hit_kind, hit_conf, hit_dir = self._hits
        ois, ofs, oevs = [], [], []
        self.g[KC.G_NHITS] = 0
        i = 0
        while True:
            # event rows (rare: a few per thousand packets) go to a reused buffer, copied out per call; the kernel
            # writes every column of each row it emits (and oev up to OI_NEV)
            oi, of, oev = self._ev_buffers()
            self.g[KC.G_NEVENTS] = 0
            i = KC.classify(pi, pf, ev_off, ev_val, i, self.window, self.zmin, self.gap_ns, self.tau_ns,
                            self.cooldown_ns, self.sweep_ns,
                            self.params.profiles.min_confidence, self.params.profiles.min_margin,
                            self.params.profiles.abstain_min_premium, self.hit_par, self.bl_buf, self.bl_cnt,
                            self.bl_sum, self.ehk, self.ehs, self.ei, self.ef, self.ev_e, self.ev_t, self.ui, self.g,
                            out_pz, out_sz, out_ns, hit_pkt, hit_kind, hit_conf, hit_dir, oi, of, oev)
            k = int(self.g[KC.G_NEVENTS])
            ois.append(oi[:k].copy())
            ofs.append(of[:k].copy())
            oevs.append(oev[:k].copy())
            if i >= P:
                break
            if int(pi[i, KC.PI_UND]) >= self.U:
                self._grow_und(int(pi[i, KC.PI_UND]) + 1)
            elif k + 2 >= oi.shape[0]:
                self._ev_cap *= 2
            else:
                self._alloc_episodes(2 * self.ei.shape[0])
        nh = int(self.g[KC.G_NHITS])
        return {"pz": out_pz, "sz": out_sz, "ns": out_ns, "hit_pkt": hit_pkt[:nh].copy(),
                "hit_kind": hit_kind[:nh].copy(), "hit_conf": hit_conf[:nh].copy(), "hit_dir": hit_dir[:nh].copy(),
                "oi": np.concatenate(ois),
                "of": np.concatenate(ofs), "oev": np.concatenate(oevs)}

    def _ev_buffers(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        if getattr(self, "_oi", None) is None or self._oi.shape[0] < self._ev_cap:
            self._oi = np.empty((self._ev_cap, KC.NOI), np.int64)
            self._of = np.empty((self._ev_cap, KC.NOF))
            self._oev = np.empty((self._ev_cap, self.maxev), np.int64)
        return self._oi, self._of, self._oev
