"""Packet classification in one pass over closed packets in packet-id order, state carried across calls.

Per packet (row of ``pi``/``pf``, columns ``PI_*``/``PF_*``): (1) rolling baseline z-scores of log premium
and log size per (underlying, contract class), computed before the packet enters its window; (2) the
sweep / spike / 0DTE classifier hits; (3) the packet joins its key's *episode* (same structure or contract,
gaps <= ``episode_gap_ns``) and the episode is scored against the six smart-money profiles; the first time
the best profile reaches ``min_conf`` with ``margin`` over the runner-up an event row is written (emitted
once per episode). An episode that closes without an emission and with premium >= ``abstain_premium``
writes an *abstained* row with its best candidate. Episodes close when their key trades again after the
gap, at a periodic sweep driven by packet times (every ``sweep_ns`` of an underlying's time), or at the
end (``final``), so the rows depend only on the packets, never on batch boundaries.

Profiles are indices of ``schemas.PROFILES``; rules (``RULE_*``) say which pattern fired (reason text is
built by the wrapper from the rule and the row's features, ``EF_*``).
"""
from __future__ import annotations

import numpy as np

from ._jit import inline_kernel, kernel

# ---- packet inputs --------------------------------------------------------------------------------------
PI_UND, PI_KEY, PI_INST, PI_T0, PI_T1, PI_STRUCT, PI_RIGHT, PI_DTE, PI_N, PI_VENUES, PI_ISO, PI_SLAN, PI_ML, \
    PI_TLET, PI_SWEEP, PI_NEV, PI_PID, PI_FRESH, PI_QUOTED = range(19)
NPI = 19
PF_SIZE, PF_PREM, PF_MAXSZ, PF_ASK, PF_BID, PF_MID, PF_SIDE_A, PF_SIDE_B, PF_OTM, PF_ATM, PF_DELTA, PF_DELTA_W, \
    PF_MOVE, PF_IVCHG, PF_TO_EVENT, PF_SINCE_EVENT, PF_UNDPX, PF_ASK_R, PF_BID_R, PF_MID_R, PF_COV = range(21)
NPF = 21
# PF_ASK_R..PF_MID_R = ``_ratios`` of the packet's placed sizes (side fallback), PF_COV = fresh prints / prints:
# divided once by the clusterer (which needs them for the packet table) instead of again per packet here

# structure codes (analytics.packets.STRUCTURES)
S_SINGLE, S_VERTICAL, S_STRADDLE, S_STRANGLE, S_CONVERSION, S_BOX, S_CALENDAR, S_STOCK, S_COMPLEX = range(9)
# profiles (schemas.PROFILES)
P_INST, P_RETAIL, P_EVENT, P_VOL, P_ARB, P_HEDGE = range(6)
NPROF = 6
# rules
(RULE_NONE, RULE_IN_SWEEP, RULE_IN_FAR, RULE_IN_ACCUM, RULE_RW_SPIKE, RULE_EV_STRADDLE, RULE_EV_DIRECTIONAL,
 RULE_VS_STRADDLE, RULE_VS_OVERWRITE, RULE_VS_PUTWRITE, RULE_VS_CALLSELL, RULE_ARB_BOX, RULE_ARB_CONV,
 RULE_ARB_VERT, RULE_HR_AGGRESSIVE, RULE_HR_UNWIND) = range(16)
# hit kinds
H_SWEEP, H_SPIKE, H_ZERO_DTE = range(3)

# ---- episode state columns (sums decay with exp(-dt / tau); a gap > episode_gap resets the episode)
EI_KEY, EI_UND, EI_INST, EI_T0, EI_T1, EI_STRUCT, EI_RIGHT, EI_DTE, EI_VENUES, EI_NEV, EI_PID0, EI_EMIT_T, \
    EI_EMIT_P, EI_FRONT = range(14)
NEI = 14
# float columns: the decayed sums first (one contiguous run: the decay is a vectorized loop), then the
# other flow columns an emission consumes, then the latest-packet context
EF_SIZE, EF_PREM, EF_ASK, EF_BID, EF_MID, EF_SIDE_A, EF_SIDE_B, EF_DELTA, EF_DELTA_W, EF_IVCHG, EF_N, EF_NPK, \
    EF_ISO, EF_SLAN, EF_ML, EF_TLET, EF_SWEEPS, EF_FRESH, EF_QUOTED, \
    EF_MAXSZ, EF_NBIGASK, EF_BA_SIZE, EF_BA_N, EF_BA_MAX, \
    EF_OTM, EF_ATM, EF_MOVE, EF_TO_EVENT, EF_SINCE_EVENT, EF_UNDPX = range(30)
NEF = 30
NDECAY = 19                  # EF_SIZE..EF_QUOTED decay with exp(-dt / tau)
NCONSUMED = 24               # EF_SIZE..EF_BA_MAX are zeroed when an emission consumes the episode's flow
# event output int columns
OI_UND, OI_KEY, OI_INST, OI_TS, OI_OUTCOME, OI_PROFILE, OI_PROFILE2, OI_DIR, OI_RULE, OI_STRUCT, OI_RIGHT, \
    OI_DTE, OI_N, OI_NPK, OI_PID0, OI_PID1, OI_NEV = range(17)
NOI = 17
OF_CONF, OF_CONF2 = NEF, NEF + 1            # event float columns: the episode's EF_* features, then these
NOF = NEF + 2
# per-underlying state ``ui[u]``: watermark (last packet start), next sweep time, the front expiry seen today
# (days since the epoch: the nearest listed expiry still alive, learned from the tape), its UTC day, packets
# seen that day
U_WM, U_SWEEP, U_FRONT, U_FRONT_DAY, U_NPK = range(5)
NUI = 5
# globals
G_EUSED, G_EHUSED, G_NEVENTS, G_NHITS = range(4)

NCLASS = 8
_LOG1P_N = 1024                # log1p of whole packet sizes 1..1023 from a table (same bits as np.log1p)


@inline_kernel
def _hash(k):
    x = np.uint64(k) * np.uint64(0x9E3779B97F4A7C15)
    x ^= x >> np.uint64(31)
    x *= np.uint64(0xBF58476D1CE4E5B9)
    x ^= x >> np.uint64(29)
    return x


@inline_kernel
def _ratios(ask, bid, mid, side_a, side_b):
    """(ask, bid, mid) size shares among placed size; aggressor side column as a fallback."""
    tot = ask + bid + mid
    if tot > 0.0:
        return ask / tot, bid / tot, mid / tot
    t2 = side_a + side_b
    if t2 > 0.0:
        return side_a / t2, side_b / t2, 0.0
    return 0.0, 0.0, 0.0


RW_MAX_PPC = 5.0             # retail: a cheap contract, premium per share <= this USD ...
RW_MAX_PPC_REL = 0.05        # ... or <= this fraction of the underlying (an OTM weekly of a $250 name)
FRONT_MIN_PACKETS = 20       # the front expiry counts once this many packets of the name were seen that day
FRONT_MAX_DTE = 35           # ... and only when it is at most a monthly cycle away (names without weeklies)
SAME_RUN_GAP_NS = 15_000_000_000
RW_EVIDENCE_MS = 120_000     # a retail run's evidence: the entries of its last 2 minutes (not an hour of ask prints)   # a key idle this long starts a new run: the repeat cooldown no longer applies
HR_MIN_LOTS_NO_AUCTION = 400.0   # dealer size without auction (SLAN) prints: above any directional order's lots
RW_MIN_PRINTS = 7.5          # retail spike: decayed print count (a dense burst, not a few ask prints in minutes)
RW_DENSE_PRINTS = 12.0       # ... or this many with mid-size lots (a chase in 20-150 lots)
EV_MAX_PRINTS = 12.0         # event positioning: a handful of orders, not a retail-style run of prints
EV_MIN_MOVE_BPS = 25.0       # event follow-through: underlying move its way before the flow (bps)
_DAY_NS = 86_400_000_000_000
_EXP_CLOSE_NS = 20 * 3_600_000_000_000    # an expiry's close taken as 20:00 UTC (<= 16:00 ET all year)


@inline_kernel
def _event_expiry(t, dte, to_event_s):
    """True when the contract (``dte`` days from ``t``'s UTC day) is the expiry that carries the next scheduled
    event ``to_event_s`` seconds after ``t``: alive at the release and within a week after it (the first
    weekly/daily to span it). Same rule as ``regime.events.expiry_spans`` on the generating side."""
    if not to_event_s < 1e15:
        return False
    ev = t + np.int64(to_event_s * 1e9)
    exp_day = t // _DAY_NS + dte
    return exp_day * _DAY_NS + _EXP_CLOSE_NS >= ev and exp_day - ev // _DAY_NS <= 7


@inline_kernel
def _score(st, right, dte, front, t1, n, size, prem, f_ask, f_bid, f_mid, f_sa, f_sb, quoted, f_iso, f_slan, f_tlet,
           delta, delta_w, atm, nba, ba_size, ba_n, ba_max, maxsz, sweeps, und_px, to_event, mv):
    """Confidence 0..1 and rule per profile of an episode (or a packet alone) from its columns (the ``EI_*`` /
    ``EF_*`` values, sums decayed): ``(inst, retail, event, vol, arb, hedge, rule_inst, ..., rule_hedge)``.
    Scalars in, scalars out: an inlined helper taking arrays would cost an atomic refcount pair per array
    per call."""
    s_in = 0.0
    s_rw = 0.0
    s_ev = 0.0
    s_vs = 0.0
    s_ar = 0.0
    s_hr = 0.0
    r_in = RULE_NONE
    r_rw = RULE_NONE
    r_ev = RULE_NONE
    r_vs = RULE_NONE
    r_ar = RULE_NONE
    r_hr = RULE_NONE
    if n <= 0.5:
        return s_in, s_rw, s_ev, s_vs, s_ar, s_hr, r_in, r_rw, r_ev, r_vs, r_ar, r_hr
    # ratios each rule reads are divided out only on the branches that read them (most packets fail the first
    # test of every rule); confidences are set unscaled and multiplied by the coverage factor once at the end
    # (the same single product c * qf as scaling in place)
    ask, bid, mid = _ratios(f_ask, f_bid, f_mid, f_sa, f_sb)
    # ---- arbitrage: structures that lock in parity / financing, printed inside the spread
    ar_scaled = False
    if st == S_BOX:
        s_ar = 0.95
        r_ar = RULE_ARB_BOX
    elif st == S_CONVERSION:
        s_ar = 0.93
        r_ar = RULE_ARB_CONV
    elif st == S_VERTICAL and mid >= 0.5:
        s_ar = 0.9
        r_ar = RULE_ARB_VERT
        ar_scaled = True
    # ---- straddles / strangles: bought = event vol probe, sold = vol seller
    if st == S_STRADDLE or st == S_STRANGLE:
        if bid >= 0.6:
            s_vs = 0.92
            r_vs = RULE_VS_STRADDLE
        elif ask >= 0.6:
            s_ev = 0.9
            r_ev = RULE_EV_STRADDLE
    tlet = f_tlet / n
    # ---- stock-tied call sold: covered-call overwrite
    if (st == S_STOCK or (st == S_SINGLE and tlet >= 0.5)) and right == 0 and bid >= 0.5:
        s_vs = 0.92
        r_vs = RULE_VS_OVERWRITE
    if st == S_SINGLE and tlet < 0.5:
        avgsz = size / n
        # the name's front expiry (names without weeklies: the front monthly) stands in for "short-dated"
        front_ok = front != 0 and dte <= FRONT_MAX_DTE
        # ---- sold premium, single leg
        if bid >= 0.6 and dte >= 7 and avgsz >= 20.0:
            if right == 1:
                s_vs = 0.88
                r_vs = RULE_VS_PUTWRITE
            else:
                s_vs = 0.7
                r_vs = RULE_VS_CALLSELL
        # ---- institutional directional
        if ask >= 0.6:
            iso = f_iso / n
            slan = f_slan / n
            ba_avg = ba_size / ba_n if ba_n > 0 else 0.0   # ask-side packets of 40+ lots: their lots per print
            if sweeps >= 0.5 and iso >= 0.5 and dte >= 4:
                s_in = 0.9
                r_in = RULE_IN_SWEEP
            elif dte >= 100 and size >= 100.0:
                s_in = 0.9
                r_in = RULE_IN_FAR
            elif dte >= 14 and nba >= 4.0 and ba_avg >= 40.0 and slan < 0.5:
                s_in = 0.85
                r_in = RULE_IN_ACCUM
            # ---- retail: many small lots on cheap short-dated contracts
            # (or a dense run of mid lots: RW_DENSE_PRINTS+ prints within the decay window, <= 80 lots average)
            if (dte <= 7 or front_ok) and ((n >= RW_MIN_PRINTS and avgsz <= 40.0 and maxsz <= 160.0) or
                                           (n >= RW_DENSE_PRINTS and avgsz <= 80.0 and maxsz <= 400.0)) \
                    and ask >= 0.8 and prem >= 3000.0 and iso < 0.5 and slan < 0.5:
                ppc = prem / (size * 100.0) if size > 0 else 0.0
                if ppc <= RW_MAX_PPC or ppc <= RW_MAX_PPC_REL * und_px:
                    s_rw = 0.9 if dte == 0 else 0.85
                    r_rw = RULE_RW_SPIKE
            # ---- event-driven directional: short-dated accumulation on the expiry that carries the next
            # scheduled event, or following an underlying move its way (a gap / a release); otherwise it is
            # ordinary short-dated accumulation and stays below the threshold (abstention)
            if 1 <= dte <= 13 and nba >= 3.0 and 40.0 <= ba_avg <= 250.0 and ba_max <= 300.0 \
                    and slan < 0.5 and iso < 0.5 and sweeps < 0.5 and s_rw == 0.0 and n <= EV_MAX_PRINTS:
                c = 0.5
                if _event_expiry(t1, dte, to_event):
                    c = 0.82
                sgn = 1.0 if right == 0 else -1.0
                if dte >= 1 and mv == mv and mv * sgn >= EV_MIN_MOVE_BPS:
                    c = 0.9 if c > 0.6 else 0.8
                s_ev = c
                r_ev = RULE_EV_DIRECTIONAL
        # ---- hedge-reactive: dealer-size short-dated near-the-money prints
        if (dte <= 5 or front_ok) and avgsz >= 280.0:
            dl = delta / delta_w if delta_w > 0 else -1.0
            if dl >= 0.2 or (dl < 0 and atm <= 0.03):
                c = 0.0
                r = RULE_NONE
                if ask >= 0.6:
                    c = 0.86
                    r = RULE_HR_AGGRESSIVE
                elif mid >= 0.5:
                    c = 0.85
                    r = RULE_HR_UNWIND
                if c > 0.0 and f_slan / n >= 0.5:
                    c += 0.06
                elif avgsz < HR_MIN_LOTS_NO_AUCTION:
                    c = 0.0                 # 280-400 lots outside an auction: an ordinary large order, not a dealer
                if c > 0.0:
                    s_hr = c
                    r_hr = r
    if s_in + s_rw + s_ev + s_vs + s_hr > 0.0 or ar_scaled:
        # placement-based rules need quotes: scale them down when coverage is poor
        qf = 1.0 if quoted / n >= 0.5 else 0.5
        s_in *= qf
        s_rw *= qf
        s_ev *= qf
        s_vs *= qf
        s_hr *= qf
        if ar_scaled:
            s_ar *= qf
    return s_in, s_rw, s_ev, s_vs, s_ar, s_hr, r_in, r_rw, r_ev, r_vs, r_ar, r_hr


@kernel
def _score_alone(st, right, dte, front, t1, n, size, prem, f_ask, f_bid, f_mid, f_sa, f_sb, quoted, f_iso, f_slan,
                 f_tlet, delta, delta_w, atm, nba, ba_size, ba_n, ba_max, maxsz, sweeps, und_px, to_event, mv):
    """``_score`` as a called kernel, for the packet-alone scoring that the skip test leaves (a few percent
    of packets): a second inlined copy of ``_score`` in ``classify`` cost ~1.5 s more cold compile."""
    return _score(st, right, dte, front, t1, n, size, prem, f_ask, f_bid, f_mid, f_sa, f_sb, quoted, f_iso, f_slan,
                  f_tlet, delta, delta_w, atm, nba, ba_size, ba_n, ba_max, maxsz, sweeps, und_px, to_event, mv)


@inline_kernel
def _class(right, dte):
    b = 0 if dte <= 0 else (1 if dte <= 7 else (2 if dte <= 45 else 3))
    return right * 4 + b


@inline_kernel
def _rule_evidence(rule):
    """(side tag 0 ask / 1 bid / 2 mid / -1 any, needs big lots) of the prints that evidence ``rule``."""
    if rule == RULE_IN_SWEEP or rule == RULE_IN_FAR or rule == RULE_RW_SPIKE or rule == RULE_EV_STRADDLE:
        return 0, False
    if rule == RULE_IN_ACCUM or rule == RULE_EV_DIRECTIONAL or rule == RULE_HR_AGGRESSIVE:
        return 0, True
    if rule == RULE_VS_STRADDLE or rule == RULE_VS_OVERWRITE:
        return 1, False
    if rule == RULE_VS_PUTWRITE or rule == RULE_VS_CALLSELL:
        return 1, True
    if rule == RULE_HR_UNWIND:
        return 2, True
    return -1, False


@inline_kernel
def _evidence_tag(ask, bid, mid, n, size):
    """Evidence tag of a packet from its placement ratios, print count and size: dominant side (0 ask,
    1 bid, 2 mid, 3 none) + 4 if 40+ lots per print. Scalars only (array arguments of an inlined helper
    cost a reference-count pair per call)."""
    side = 3
    if ask >= 0.5:
        side = 0
    elif bid >= 0.5:
        side = 1
    elif mid >= 0.5:
        side = 2
    # size / n >= 40 without the division: size is a whole-number sum (a double holding an integer), n a print
    # count (< 2**47): the product is exact and the two tests agree bit for bit
    return side + (4 if n > 0 and size >= 40.0 * n else 0)


@kernel
def _write_event(ei, ef, ev_e, ev_t, s, outcome, b, b2, scores, rules, ts, oi, of, oev, g):
    r = g[G_NEVENTS]
    g[G_NEVENTS] = r + 1
    oi[r, OI_UND] = ei[s, EI_UND]
    oi[r, OI_KEY] = ei[s, EI_KEY]
    oi[r, OI_INST] = ei[s, EI_INST]
    oi[r, OI_TS] = ts
    oi[r, OI_OUTCOME] = outcome
    oi[r, OI_PROFILE] = b
    oi[r, OI_PROFILE2] = b2
    right = ei[s, EI_RIGHT]
    ask, bid, mid = _ratios(ef[s, EF_ASK], ef[s, EF_BID], ef[s, EF_MID], ef[s, EF_SIDE_A], ef[s, EF_SIDE_B])
    d = 0
    if ei[s, EI_STRUCT] == S_SINGLE or ei[s, EI_STRUCT] == S_STOCK:
        if ask >= 0.55:
            d = 1 if right == 0 else -1
        elif bid >= 0.55:
            d = -1 if right == 0 else 1
    oi[r, OI_DIR] = d
    oi[r, OI_RULE] = rules[b]
    oi[r, OI_STRUCT] = ei[s, EI_STRUCT]
    oi[r, OI_RIGHT] = right
    oi[r, OI_DTE] = ei[s, EI_DTE]
    oi[r, OI_N] = int(round(ef[s, EF_N]))
    oi[r, OI_NPK] = int(round(ef[s, EF_NPK]))
    oi[r, OI_PID0] = ei[s, EI_PID0]
    oi[r, OI_PID1] = -1
    ne = ei[s, EI_NEV]      # entries appended (< m), else m + next ring slot: same k and ring indices as the total
    m = ev_e.shape[1]
    k = min(ne, m)
    want_side, want_big = _rule_evidence(rules[b])
    c = 0
    for j in range(k):
        v = ev_t[s, (ne - k + j) % m]       # (packet start in ms << 3) | tag
        tag = v & 7
        if rules[b] == RULE_RW_SPIKE and ts // 1_000_000 - (v >> 3) > RW_EVIDENCE_MS:
            continue
        if (want_side < 0 or tag % 4 == want_side) and (not want_big or tag >= 4):
            oev[r, c] = ev_e[s, (ne - k + j) % m]
            c += 1
    if c == 0:                              # nothing matched: keep everything rather than no evidence
        for j in range(k):
            oev[r, j] = ev_e[s, (ne - k + j) % m]
        c = k
    oi[r, OI_NEV] = c
    for j in range(NEF):
        of[r, j] = ef[s, j]
    of[r, OF_CONF] = scores[b]
    of[r, OF_CONF2] = scores[b2]
    return r


@inline_kernel
def _packet_row(pi, pf, i, tg, tei, tef):
    """The packet ``i`` (evidence tag ``tg`` = ``_evidence_tag`` of its ratios) as a one-packet episode in the scratch rows
    ``tei[0]``/``tef[0]``."""
    for j in range(tef.shape[1]):
        tef[0, j] = 0.0
    tei[0, EI_STRUCT] = pi[i, PI_STRUCT]
    tei[0, EI_RIGHT] = pi[i, PI_RIGHT]
    tei[0, EI_DTE] = pi[i, PI_DTE]
    tei[0, EI_VENUES] = pi[i, PI_VENUES]
    tef[0, EF_SIZE] = pf[i, PF_SIZE]
    tef[0, EF_PREM] = pf[i, PF_PREM]
    tef[0, EF_MAXSZ] = pf[i, PF_MAXSZ]
    tef[0, EF_ASK] = pf[i, PF_ASK]
    tef[0, EF_BID] = pf[i, PF_BID]
    tef[0, EF_MID] = pf[i, PF_MID]
    tef[0, EF_SIDE_A] = pf[i, PF_SIDE_A]
    tef[0, EF_SIDE_B] = pf[i, PF_SIDE_B]
    tef[0, EF_OTM] = pf[i, PF_OTM]
    tef[0, EF_ATM] = pf[i, PF_ATM]
    tef[0, EF_DELTA] = pf[i, PF_DELTA]
    tef[0, EF_DELTA_W] = pf[i, PF_DELTA_W]
    tef[0, EF_MOVE] = pf[i, PF_MOVE]
    tef[0, EF_TO_EVENT] = pf[i, PF_TO_EVENT]
    tef[0, EF_SINCE_EVENT] = pf[i, PF_SINCE_EVENT]
    tef[0, EF_UNDPX] = pf[i, PF_UNDPX]
    x = pf[i, PF_IVCHG]
    tef[0, EF_IVCHG] = x if x == x else 0.0
    tef[0, EF_N] = pi[i, PI_N]
    tef[0, EF_NPK] = 1.0
    tef[0, EF_ISO] = pi[i, PI_ISO]
    tef[0, EF_SLAN] = pi[i, PI_SLAN]
    tef[0, EF_ML] = pi[i, PI_ML]
    tef[0, EF_TLET] = pi[i, PI_TLET]
    tef[0, EF_SWEEPS] = pi[i, PI_SWEEP]
    tef[0, EF_FRESH] = pi[i, PI_FRESH]
    tef[0, EF_QUOTED] = pi[i, PI_QUOTED]
    if tg == 4:
        tef[0, EF_NBIGASK] = 1.0
        tef[0, EF_BA_SIZE] = pf[i, PF_SIZE]
        tef[0, EF_BA_N] = pi[i, PI_N]
        tef[0, EF_BA_MAX] = pf[i, PF_MAXSZ]


@kernel
def classify(pi, pf, ev_off, ev_val, start, window, zmin, episode_gap_ns, tau_ns, cooldown_ns, sweep_ns, min_conf,
             margin, abstain_prem, hit_par, bl_buf, bl_cnt, bl_sum, ehk, ehs, ei, ef, ev_e, ev_t, ui, g,
             out_pz, out_sz, out_ns, hit_pkt, hit_kind, hit_conf, hit_dir, oi, of, oev):
    """Process packets ``start..P-1`` (evidence of packet ``i``: ``ev_val[ev_off[i]:ev_off[i + 1]]``); returns
    the next packet index (< P when the episode table or the event buffer is full, or packet ``i``'s
    underlying is beyond the per-underlying tables: the caller grows them / takes the events and calls again).

    ``hit_par`` = [sweep_min_premium, sweep_min_count, sweep_min_z, spike_min_premium, spike_min_size,
    spike_min_pz, spike_min_sz, min_cov, min_aggr, zdte_max_atm, zdte_min_premium, zdte_min_size].
    ``ui[u]`` = [watermark (last packet start), next sweep time]."""
    P = pi.shape[0]
    ecap = ei.shape[0]
    hmask = ehs.shape[0] - 1
    maxev = ev_e.shape[1]
    ocap = oi.shape[0]
    scores = np.zeros(NPROF)
    rules = np.zeros(NPROF, np.int64)
    pscores = np.zeros(NPROF)
    prules = np.zeros(NPROF, np.int64)
    tei = np.zeros((1, NEI), np.int64)
    tef = np.zeros((1, NEF))
    tev = np.zeros((1, maxev), np.int64)
    tet = np.zeros((1, maxev), np.int64)
    alone = np.zeros(NPROF, np.bool_)
    # log1p of whole sizes below _LOG1P_N, computed by the same np.log1p (identical bits), looked up per packet
    l1p = np.empty(_LOG1P_N)
    for j in range(_LOG1P_N):
        l1p[j] = np.log1p(np.float64(j))
    i = start
    while i < P:
        if g[G_EUSED] >= ecap or 2 * (g[G_EHUSED] + 1) > ehs.shape[0] or g[G_NEVENTS] + 2 >= ocap:
            return i
        u = pi[i, PI_UND]
        if u >= ui.shape[0]:
            return i                 # a new underlying: the caller grows the per-underlying tables
        t0 = pi[i, PI_T0]
        if t0 > ui[u, U_WM]:
            ui[u, U_WM] = t0
        # the front expiry of the name today, learned from the tape (the nearest expiry traded)
        today = t0 // _DAY_NS
        pexp = today + pi[i, PI_DTE]
        if ui[u, U_FRONT_DAY] != today:
            ui[u, U_FRONT_DAY] = today
            ui[u, U_FRONT] = pexp
            ui[u, U_NPK] = 0
        elif pexp < ui[u, U_FRONT]:
            ui[u, U_FRONT] = pexp
        ui[u, U_NPK] += 1
        is_front = 1 if (pexp == ui[u, U_FRONT] and ui[u, U_NPK] >= FRONT_MIN_PACKETS) else 0
        # ---- (1) baselines: z of log premium and log size before this packet joins the window
        cls = _class(pi[i, PI_RIGHT], pi[i, PI_DTE])
        lp = np.log1p(pf[i, PF_PREM])
        xs_ = pf[i, PF_SIZE]
        if 1.0 <= xs_ < _LOG1P_N and xs_ == np.floor(xs_):      # (0, -0.0, NaN: libm)
            ls = l1p[np.int64(xs_)]
        else:
            ls = np.log1p(xs_)
        # bl_cnt: the sample count while below ``window``, then window + the ring position (no % per packet)
        cnt = bl_cnt[u, cls]
        m = min(cnt, window)
        out_ns[i] = m
        pz = np.nan
        sz = np.nan
        if m >= zmin and m >= 2:
            mu = bl_sum[u, cls, 0] / m
            var = (bl_sum[u, cls, 1] - m * mu * mu) / (m - 1)
            pz = (lp - mu) / np.sqrt(var) if var > 1e-12 else 0.0
            mu = bl_sum[u, cls, 2] / m
            var = (bl_sum[u, cls, 3] - m * mu * mu) / (m - 1)
            sz = (ls - mu) / np.sqrt(var) if var > 1e-12 else 0.0
        out_pz[i] = pz
        out_sz[i] = sz
        full = cnt >= window
        pos = cnt - window if full else cnt
        if full:
            ol = bl_buf[u, cls, pos, 0]
            os_ = bl_buf[u, cls, pos, 1]
            bl_sum[u, cls, 0] -= ol
            bl_sum[u, cls, 1] -= ol * ol
            bl_sum[u, cls, 2] -= os_
            bl_sum[u, cls, 3] -= os_ * os_
        bl_buf[u, cls, pos, 0] = lp
        bl_buf[u, cls, pos, 1] = ls
        bl_sum[u, cls, 0] += lp
        bl_sum[u, cls, 1] += lp * lp
        bl_sum[u, cls, 2] += ls
        bl_sum[u, cls, 3] += ls * ls
        cnt += 1
        bl_cnt[u, cls] = window if cnt == 2 * window else cnt
        # ---- (2) classifier hits
        n = pi[i, PI_N]
        prem = pf[i, PF_PREM]
        size = pf[i, PF_SIZE]
        cov = pf[i, PF_COV]                 # the clusterer's fresh / n (n >= 1) and ``_ratios``: same bits
        ask = pf[i, PF_ASK_R]
        bid = pf[i, PF_BID_R]
        mid = pf[i, PF_MID_R]
        aggr = max(ask, bid)
        tg = _evidence_tag(ask, bid, mid, n, size)
        d = 0
        if ask >= bid and ask > 0:
            d = 1 if pi[i, PI_RIGHT] == 0 else -1
        elif bid > ask:
            d = -1 if pi[i, PI_RIGHT] == 0 else 1
        if pi[i, PI_STRUCT] != S_SINGLE:
            d = 0
        gated = cov >= hit_par[7] and aggr >= hit_par[8]
        if gated and n >= hit_par[1] and prem >= hit_par[0] and pi[i, PI_VENUES] >= 2 \
                and (not (pz == pz) or pz >= hit_par[2]):
            c = 0.5 + 0.2 * min(1.0, np.log10(prem / max(hit_par[0], 1.0)) + 0.0) \
                + 0.15 * (aggr - hit_par[8]) / max(1e-9, 1.0 - hit_par[8]) \
                + (0.15 * min(1.0, (pz - hit_par[2]) / 2.0) if pz == pz else 0.0)
            k = g[G_NHITS]
            hit_pkt[k] = i
            hit_kind[k] = H_SWEEP
            hit_conf[k] = min(1.0, max(0.0, c))
            hit_dir[k] = d
            g[G_NHITS] = k + 1
        if gated and prem >= hit_par[3] and size >= hit_par[4] and \
                (not (pz == pz) or pz >= hit_par[5] or sz >= hit_par[6]):
            zz = max(pz - hit_par[5], sz - hit_par[6]) if pz == pz else np.nan
            c = 0.5 + 0.2 * min(1.0, np.log10(prem / max(hit_par[3], 1.0))) \
                + 0.15 * (aggr - hit_par[8]) / max(1e-9, 1.0 - hit_par[8]) \
                + (0.15 * min(1.0, zz / 2.0) if zz == zz else 0.0)
            k = g[G_NHITS]
            hit_pkt[k] = i
            hit_kind[k] = H_SPIKE
            hit_conf[k] = min(1.0, max(0.0, c))
            hit_dir[k] = d
            g[G_NHITS] = k + 1
        if pi[i, PI_DTE] == 0 and pf[i, PF_ATM] <= hit_par[9] and prem >= hit_par[10] and size >= hit_par[11] \
                and cov >= hit_par[7]:
            c = 0.5 + 0.25 * min(1.0, np.log10(prem / max(hit_par[10], 1.0))) \
                + 0.25 * (1.0 - pf[i, PF_ATM] / max(hit_par[9], 1e-12))
            k = g[G_NHITS]
            hit_pkt[k] = i
            hit_kind[k] = H_ZERO_DTE
            hit_conf[k] = min(1.0, max(0.0, c))
            hit_dir[k] = d
            g[G_NHITS] = k + 1
        # ---- (3) episodes: decayed aggregates of the key's packets; packet alone and episode are scored
        key = pi[i, PI_KEY]
        h = np.int64(_hash(key) & np.uint64(hmask))
        while ehs[h] >= 0 and ehk[h] != key:
            h = (h + 1) & hmask
        s = ehs[h]
        fresh_ep = s < 0 or t0 - ei[s, EI_T1] > episode_gap_ns
        if s < 0:
            if ehs[h] < 0:
                g[G_EHUSED] += 1
                ehk[h] = key
            s = g[G_EUSED]
            g[G_EUSED] += 1
            ehs[h] = s
            ei[s, EI_EMIT_T] = -(np.int64(1) << np.int64(62))
            ei[s, EI_EMIT_P] = -1
        elif t0 - ei[s, EI_T1] > SAME_RUN_GAP_NS:
            # the key paused: a new run, judged on its own (the repeat cooldown only merges one continuous run)
            ei[s, EI_EMIT_T] = -(np.int64(1) << np.int64(62))
        # the packet's own columns (as a one-packet episode: ``_packet_row``)
        p_n = np.float64(n)
        p_size = pf[i, PF_SIZE]
        p_maxsz = pf[i, PF_MAXSZ]
        big = tg == 4                        # ask-side with 40+ lots per print
        if fresh_ep:
            emit_t = ei[s, EI_EMIT_T]
            emit_p = ei[s, EI_EMIT_P]
            for j in range(NEI):
                ei[s, j] = 0
            for j in range(NEF):
                ef[s, j] = 0.0
            ei[s, EI_EMIT_T] = emit_t
            ei[s, EI_EMIT_P] = emit_p
            ei[s, EI_KEY] = key
            ei[s, EI_UND] = u
            ei[s, EI_INST] = pi[i, PI_INST]
            ei[s, EI_T0] = t0
            ei[s, EI_STRUCT] = pi[i, PI_STRUCT]
            ei[s, EI_RIGHT] = pi[i, PI_RIGHT]
            ei[s, EI_DTE] = pi[i, PI_DTE]
            ei[s, EI_PID0] = pi[i, PI_PID]
        else:
            w = np.exp(-(t0 - ei[s, EI_T1]) / tau_ns)
            for j in range(NDECAY):          # contiguous columns: vectorized
                ef[s, j] *= w
            ef[s, EF_MAXSZ] *= w
        ef[s, EF_OTM] = pf[i, PF_OTM]
        ef[s, EF_ATM] = pf[i, PF_ATM]
        ef[s, EF_UNDPX] = pf[i, PF_UNDPX]
        ei[s, EI_FRONT] = is_front
        ef[s, EF_TO_EVENT] = pf[i, PF_TO_EVENT]
        ef[s, EF_SINCE_EVENT] = pf[i, PF_SINCE_EVENT]
        if fresh_ep:
            ef[s, EF_MOVE] = pf[i, PF_MOVE]
        ei[s, EI_T1] = pi[i, PI_T1]
        if pi[i, PI_VENUES] > ei[s, EI_VENUES]:
            ei[s, EI_VENUES] = pi[i, PI_VENUES]
        x = pf[i, PF_IVCHG]
        ef[s, EF_SIZE] += p_size
        ef[s, EF_PREM] += pf[i, PF_PREM]
        ef[s, EF_ASK] += pf[i, PF_ASK]
        ef[s, EF_BID] += pf[i, PF_BID]
        ef[s, EF_MID] += pf[i, PF_MID]
        ef[s, EF_SIDE_A] += pf[i, PF_SIDE_A]
        ef[s, EF_SIDE_B] += pf[i, PF_SIDE_B]
        ef[s, EF_DELTA] += pf[i, PF_DELTA]
        ef[s, EF_DELTA_W] += pf[i, PF_DELTA_W]
        ef[s, EF_IVCHG] += x if x == x else 0.0
        ef[s, EF_N] += p_n
        ef[s, EF_NPK] += 1.0
        ef[s, EF_ISO] += np.float64(pi[i, PI_ISO])
        ef[s, EF_SLAN] += np.float64(pi[i, PI_SLAN])
        ef[s, EF_ML] += np.float64(pi[i, PI_ML])
        ef[s, EF_TLET] += np.float64(pi[i, PI_TLET])
        ef[s, EF_SWEEPS] += np.float64(pi[i, PI_SWEEP])
        ef[s, EF_FRESH] += np.float64(pi[i, PI_FRESH])
        ef[s, EF_QUOTED] += np.float64(pi[i, PI_QUOTED])
        if p_maxsz > ef[s, EF_MAXSZ]:
            ef[s, EF_MAXSZ] = p_maxsz
        if big:                              # not decayed: counts the episode's ask-side lots
            ef[s, EF_NBIGASK] += 1.0
            ef[s, EF_BA_SIZE] += p_size
            ef[s, EF_BA_N] += p_n
            if p_maxsz > ef[s, EF_BA_MAX]:
                ef[s, EF_BA_MAX] = p_maxsz
        ne = ei[s, EI_NEV]
        npe = pi[i, PI_NEV]
        e0 = ev_off[i]
        etag = ((t0 // 1_000_000) << 3) | tg
        if npe > 0:
            # EI_NEV: entries appended while below maxev, then maxev + the ring's next slot (no integer
            # division per packet; a packet brings at most maxev entries, so the ring wraps at most once)
            wp = ne - maxev if ne >= maxev else ne
            for j in range(npe):
                ev_e[s, wp] = ev_val[e0 + j]
                ev_t[s, wp] = etag
                wp += 1
                if wp == maxev:
                    wp = 0
            ne = ne + npe if ne + npe < maxev else maxev + wp
        ei[s, EI_NEV] = ne
        # score the episode, then (unless fresh) the packet alone, whose row shares the episode's
        # structure/right/DTE/front/end time (the scratch row of ``_packet_row`` is a copy of the episode's ints)
        st = ei[s, EI_STRUCT]
        e_right = ei[s, EI_RIGHT]
        e_dte = ei[s, EI_DTE]
        e_t1 = ei[s, EI_T1]
        e_n = ef[s, EF_N]
        e_size = ef[s, EF_SIZE]
        if st == S_SINGLE and ef[s, EF_TLET] == 0.0 and e_n < RW_MIN_PRINTS and e_size / e_n < 20.0 \
                and not (e_dte >= 100 and e_size >= 100.0) and ef[s, EF_SWEEPS] < 0.5 and ef[s, EF_NBIGASK] < 3.0:
            # no rule can fire (the same test as the packet-alone skip below, on the episode's decayed sums:
            # fewer than 3 big ask-side packets rules out accumulation and event positioning): all scores 0
            for j in range(NPROF):
                scores[j] = 0.0
                rules[j] = RULE_NONE
        else:
            sc = _score(st, e_right, e_dte, is_front, e_t1, e_n, e_size, ef[s, EF_PREM], ef[s, EF_ASK],
                        ef[s, EF_BID], ef[s, EF_MID], ef[s, EF_SIDE_A], ef[s, EF_SIDE_B], ef[s, EF_QUOTED],
                        ef[s, EF_ISO], ef[s, EF_SLAN], ef[s, EF_TLET], ef[s, EF_DELTA], ef[s, EF_DELTA_W],
                        ef[s, EF_ATM], ef[s, EF_NBIGASK], ef[s, EF_BA_SIZE], ef[s, EF_BA_N], ef[s, EF_BA_MAX],
                        ef[s, EF_MAXSZ], ef[s, EF_SWEEPS], ef[s, EF_UNDPX], ef[s, EF_TO_EVENT], ef[s, EF_MOVE])
            scores[0], scores[1], scores[2], scores[3], scores[4], scores[5] = \
                sc[0], sc[1], sc[2], sc[3], sc[4], sc[5]
            rules[0], rules[1], rules[2], rules[3], rules[4], rules[5] = \
                sc[6], sc[7], sc[8], sc[9], sc[10], sc[11]
        if fresh_ep:
            # a fresh episode holds just this packet: every field the scoring reads equals the packet row's
            # (sums are 0 + x, maxima max(0, x) of non-negative sizes, the EI_* fields copied), so the
            # packet-alone scores are the episode's
            for j in range(NPROF):
                pscores[j] = scores[j]
                prules[j] = rules[j]
                alone[j] = True
        elif st == S_SINGLE and pi[i, PI_TLET] == 0 and p_n < RW_MIN_PRINTS and p_size < 20.0 * p_n \
                and not (e_dte >= 100 and p_size >= 100.0) and (pi[i, PI_SWEEP] == 0 or pi[i, PI_ISO] == 0):
            # (p_size < 20 p_n: the same test as p_size / p_n < 20 for whole sizes, see ``_evidence_tag``)
            # the packet alone can reach no rule (most packets; checked against ``_score``: single leg without
            # TLET, under 20 lots a print (sold premium, hedge), under RW_MIN_PRINTS prints (retail), not far-dated
            # 100+ lots, not an ISO sweep; the accumulation / event rules need 3+ packets): its scores are all 0
            for j in range(NPROF):
                if scores[j] > 0.0:
                    pscores[j] = scores[j]
                    prules[j] = rules[j]
                    alone[j] = False
                else:
                    pscores[j] = 0.0
                    prules[j] = RULE_NONE
                    alone[j] = True
        else:
            sc = _score_alone(st, e_right, e_dte, is_front, e_t1, p_n, p_size, pf[i, PF_PREM], pf[i, PF_ASK],
                        pf[i, PF_BID], pf[i, PF_MID], pf[i, PF_SIDE_A], pf[i, PF_SIDE_B],
                        np.float64(pi[i, PI_QUOTED]), np.float64(pi[i, PI_ISO]), np.float64(pi[i, PI_SLAN]),
                        np.float64(pi[i, PI_TLET]), pf[i, PF_DELTA], pf[i, PF_DELTA_W], pf[i, PF_ATM],
                        1.0 if big else 0.0, p_size if big else 0.0, p_n if big else 0.0, p_maxsz if big else 0.0,
                        p_maxsz, np.float64(pi[i, PI_SWEEP]), pf[i, PF_UNDPX], pf[i, PF_TO_EVENT], pf[i, PF_MOVE])
            pscores[0], pscores[1], pscores[2], pscores[3], pscores[4], pscores[5] = \
                sc[0], sc[1], sc[2], sc[3], sc[4], sc[5]
            prules[0], prules[1], prules[2], prules[3], prules[4], prules[5] = \
                sc[6], sc[7], sc[8], sc[9], sc[10], sc[11]
            for j in range(NPROF):
                alone[j] = pscores[j] >= scores[j]
                if scores[j] > pscores[j]:
                    pscores[j] = scores[j]
                    prules[j] = rules[j]
        # nothing to emit or abstain on unless a score reaches the threshold or the packet is large (most packets)
        mx = pscores[0]
        for j in range(1, NPROF):
            mx = max(mx, pscores[j])
        if mx >= min_conf or prem >= abstain_prem:
            # best and runner-up profile (first index wins ties)
            b = 0
            for j in range(1, NPROF):
                if pscores[j] > pscores[b]:
                    b = j
            b2 = 0 if b != 0 else 1
            for j in range(NPROF):
                if j != b and pscores[j] > pscores[b2]:
                    b2 = j
            if pscores[b] >= min_conf and pscores[b] - pscores[b2] >= margin:
                if alone[b] or not (ei[s, EI_EMIT_P] == b and t0 - ei[s, EI_EMIT_T] <= cooldown_ns):
                    if alone[b]:
                        _packet_row(pi, pf, i, tg, tei, tef)
                        for j in range(NEI):
                            tei[0, j] = ei[s, j]
                        tei[0, EI_PID0] = pi[i, PI_PID]
                        tei[0, EI_VENUES] = pi[i, PI_VENUES]
                        tei[0, EI_NEV] = min(npe, maxev)        # the packet's own evidence
                        for j in range(min(npe, maxev)):
                            tev[0, j] = ev_val[e0 + j]
                            tet[0, j] = etag
                        r = _write_event(tei, tef, tev, tet, 0, 0, b, b2, pscores, prules, pi[i, PI_T1], oi, of, oev, g)
                    else:
                        r = _write_event(ei, ef, ev_e, ev_t, s, 0, b, b2, pscores, prules, pi[i, PI_T1], oi, of, oev, g)
                        for j in range(NCONSUMED):
                            ef[s, j] = 0.0           # the flow is consumed: a later burst must qualify on its own
                        ei[s, EI_NEV] = 0
                    oi[r, OI_PID1] = pi[i, PI_PID]
                    ei[s, EI_EMIT_T] = t0
                    ei[s, EI_EMIT_P] = b
            elif prem >= abstain_prem and t0 - ei[s, EI_EMIT_T] > cooldown_ns:
                _packet_row(pi, pf, i, tg, tei, tef)
                for j in range(NEI):
                    tei[0, j] = ei[s, j]
                tei[0, EI_PID0] = pi[i, PI_PID]
                tei[0, EI_VENUES] = pi[i, PI_VENUES]
                tei[0, EI_NEV] = min(npe, maxev)
                for j in range(min(npe, maxev)):
                    tev[0, j] = ev_val[e0 + j]
                    tet[0, j] = etag
                r = _write_event(tei, tef, tev, tet, 0, 1, b, b2, pscores, prules, pi[i, PI_T1], oi, of, oev, g)
                oi[r, OI_PID1] = pi[i, PI_PID]
        # ---- periodic sweep of expired episodes (driven by this underlying's packet times)
        if t0 >= ui[u, U_SWEEP]:
            ui[u, U_SWEEP] = (t0 // sweep_ns + 1) * sweep_ns
            _sweep(ei, ef, ev_e, ev_t, ehk, ehs, ui, g, episode_gap_ns)
        i += 1
    return P


@kernel
def _sweep(ei, ef, ev_e, ev_t, ehk, ehs, ui, g, gap):
    """Drop episodes idle for more than ``gap`` (by their underlying's watermark), compact, rebuild the hash."""
    used = g[G_EUSED]
    w = 0
    for s in range(used):
        if ui[ei[s, EI_UND], U_WM] - ei[s, EI_T1] > gap:
            continue
        if w != s:
            for j in range(ei.shape[1]):
                ei[w, j] = ei[s, j]
            for j in range(ef.shape[1]):
                ef[w, j] = ef[s, j]
            for j in range(ev_e.shape[1]):
                ev_e[w, j] = ev_e[s, j]
                ev_t[w, j] = ev_t[s, j]
        w += 1
    g[G_EUSED] = w
    for h in range(ehs.shape[0]):
        ehs[h] = -1
    hmask = ehs.shape[0] - 1
    for s in range(w):
        key = ei[s, EI_KEY]
        h = np.int64(_hash(key) & np.uint64(hmask))
        while ehs[h] >= 0:
            h = (h + 1) & hmask
        ehk[h] = key
        ehs[h] = s
    g[G_EHUSED] = w
