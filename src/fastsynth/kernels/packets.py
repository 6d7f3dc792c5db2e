"""Flow-packet clustering of option prints: one pass, hash table of open packets, state carried across calls.

Contract (``cluster``): prints arrive in time order per underlying (the table may concatenate several
underlyings, each time-ordered). A print's *key* is its structure id when non-zero, else its contract;
multi-leg-condition prints (MLET/MLAT/TLET) without a structure id get a synthetic structure id shared by
every such print of the underlying within ``structure_window_ns`` of the group's first print (time +
underlying + leg pattern). A print joins the open packet of its key when ``ts - last_ts <= window_ns``,
else it opens a new packet; packet ids count up in the order packets open (so they are the same whatever
the batch boundaries). Aggregates live in slot rows of caller-owned state arrays (columns named by the
``SI_*``/``SF_*`` constants below); the caller flushes closed packets (those whose last print is more than
the window behind their underlying's watermark) and rebuilds the hash table with :func:`rehash`.

Input arrays (length n, one per print): ``ts`` int64 ns; ``und`` int32 stable underlying code; ``inst``
and ``struct`` int64 (uint64 bit patterns; 0 = no structure); ``venue`` int8 (-1 unknown, < 63);
``cond`` int8 (index of ``schemas.OPTION_CONDITIONS``, -1 unknown); ``price``/``size`` float64;
``place`` int8 (shared placement codes, -1 unknown); ``quality`` int8 (0 fresh, 1 stale, 2 missing);
``side`` int8 (0 A, 1 B, 2 N/unknown); ``und_px``/``iv``/``delta`` float64 (NaN = unknown); ``right`` int8
(0 C, 1 P); ``strike`` float64; ``expiry`` int32 days since epoch; ``tid`` int64 trade id.
Writes ``out_pid[i]`` (int64 packet id) for every processed print; returns the index of the next print
(``end`` when done, less when the slot table is full of open packets: the caller grows it and calls again).

Closed packets leave through :func:`close_prefix` (called by ``cluster`` when the slot table is full, and by
the caller at the end of a chunk): each one is finalized in one pass into caller-owned outputs -- the
classifier's ``PI_*``/``PF_*`` feature rows, the extra table columns ``XI_*``/``XF_*``, and its evidence
(the trade ids of its first ``maxev`` prints, in print order) as offsets into one flat array. Evidence of
open packets waits in a flat pending list of ``(packet id, trade id)`` records (print order), so nothing
per packet is copied around while a packet is open.
"""
from __future__ import annotations

import numpy as np

from . import classify as KC
from ._jit import inline_kernel, kernel

__all__ = ["cluster", "close_prefix", "first_unordered", "NSI", "NSF", "MAXLEG"]

# ---- slot columns -------------------------------------------------------------------------------------
SI_PID, SI_UND, SI_INST, SI_STRUCT, SI_T0, SI_T1, SI_N, SI_VENUES, SI_ISO, SI_SLAN, SI_ML, SI_TLET, \
    SI_FRESH, SI_STALE, SI_MISSING, SI_NLEGS, SI_NEV, SI_TID0, SI_SYNTH = range(19)
NSI = 19
SF_SIZE, SF_PREM, SF_ASK, SF_BID, SF_MID, SF_SIDE_A, SF_SIDE_B, SF_IV0, SF_IV1, SF_UND0, SF_UND1, SF_MOVE, \
    SF_DELTA, SF_DELTA_W, SF_MAXSZ, SF_IVSUM, SF_IVW = range(17)
NSF = 17
MAXLEG = 4
LI_INST, LI_RIGHT, LI_EXP = range(3)
LF_STRIKE, LF_SIZE, LF_SIGNED, LF_PREM = range(4)
# per-underlying state columns (int64 / float64)
UI_WM, UI_MLT, UI_MLID, UI_BUCKET = range(4)
UF_BPX, UF_PREVPX = range(2)
# globals: next packet id, slots used, hash entries used, synthetic structure counter, pending evidence records
G_PID, G_USED, G_HUSED, G_SYNTH, G_NPEND = range(5)
NG = 5
# extra per-packet output columns (flow_packets table): int64 / float64
XI_STRUCT_ID, XI_NLEGS, XI_EXP = range(3)
NXI = 3
XF_STRIKE, XF_IV0, XF_ASK_R, XF_BID_R, XF_MID_R, XF_COV, XF_MOVE, XF_DMEAN, XF_ATM = range(9)
NXF = 9
# output counters: packets written, evidence values written
O_NPK, O_NEV = range(2)
_DAY_NS = 86_400 * 1_000_000_000
_IMIN = -(1 << 63)
_SWEEP_SPAN_NS = 50_000_000

COND_ISOI, COND_SLAN, COND_MLET, COND_MLAT, COND_TLET = 1, 2, 3, 4, 5
SYNTH_BIT = np.int64(1) << np.int64(62)


@inline_kernel
def _mix(a, b):
    """splitmix64-style hash of two int64 keys (wrapping arithmetic on uint64)."""
    x = np.uint64(a) * np.uint64(0x9E3779B97F4A7C15) ^ (np.uint64(b) + np.uint64(0x632BE59BD9B4E5B5))
    x ^= x >> np.uint64(30)
    x *= np.uint64(0xBF58476D1CE4E5B9)
    x ^= x >> np.uint64(27)
    x *= np.uint64(0x94D049BB133111EB)
    x ^= x >> np.uint64(31)
    return x


@kernel
def cluster(ts, und, inst, struct, venue, cond, price, size, place, quality, side, und_px, iv, delta, right,
            strike, expiry, tid, start, end, window_ns, structure_window_ns, lookback_ns, maxev,
            hk0, hk1, hslot, si, sf, li, lf, ui, uf, g, pend_pid, pend_tid, cursor, out_pid,
            opi, opf, oxi, oxf, ooff, oev, og):
    """Cluster prints ``start..end-1`` (see the module doc); closed packets go to the output rows via
    :func:`close_prefix` whenever the slot table fills. ``pend_*`` must hold ``g[G_NPEND] + end - start``
    records, the outputs ``g[G_USED] + end - start`` packets / ``g[G_NPEND] + end - start`` evidence values."""
    hmask = hslot.shape[0] - 1
    cap = si.shape[0]
    # the counters live in locals inside the loop (stores to the state arrays would force reloads of g[...]);
    # written back around close_prefix (which reads and updates them) and on return
    used = g[G_USED]
    hused = g[G_HUSED]
    pidc = g[G_PID]
    npend = g[G_NPEND]
    i = start
    while i < end:
        if used >= cap or 2 * (hused + 1) > hslot.shape[0]:
            g[G_USED] = used
            g[G_HUSED] = hused
            g[G_PID] = pidc
            g[G_NPEND] = npend
            k = close_prefix(False, window_ns, si, sf, li, lf, ui, g, pend_pid, pend_tid, hk0, hk1, hslot, cursor,
                             opi, opf, oxi, oxf, ooff, oev, og)
            used = g[G_USED]
            hused = g[G_HUSED]
            npend = g[G_NPEND]
            if used >= cap or 2 * (hused + 1) > hslot.shape[0]:
                return i
        t = ts[i]
        u = und[i]
        # underlying watermark and reference price buckets (move "before" a packet)
        if t > ui[u, UI_WM]:
            ui[u, UI_WM] = t
        upx = und_px[i]
        if upx > 0.0:
            bk = ui[u, UI_BUCKET]          # t is non-decreasing per underlying: divide only on a new bucket
            if bk == _IMIN or t >= (bk + 1) * lookback_ns:
                b = t // lookback_ns
                if bk == b - 1:
                    uf[u, UF_PREVPX] = uf[u, UF_BPX]
                else:
                    uf[u, UF_PREVPX] = upx if uf[u, UF_BPX] != uf[u, UF_BPX] else uf[u, UF_BPX]
                uf[u, UF_BPX] = upx
                ui[u, UI_BUCKET] = b
        # the key: structure id, synthetic structure id (multi-leg conditions), or the contract
        c = cond[i]
        s = struct[i]
        multi = c == COND_MLET or c == COND_MLAT or c == COND_TLET
        synth = 0
        if s == 0 and multi:
            if ui[u, UI_MLID] == 0 or t - ui[u, UI_MLT] > structure_window_ns:
                g[G_SYNTH] += 1
                ui[u, UI_MLID] = SYNTH_BIT | g[G_SYNTH]
                ui[u, UI_MLT] = t
            s = ui[u, UI_MLID]
            synth = 1
        if s != 0:
            k0 = 0
            k1 = s
        else:
            k0 = inst[i]
            k1 = 0
        h = np.int64(_mix(k0, k1) & np.uint64(hmask))
        while hslot[h] >= 0 and not (hk0[h] == k0 and hk1[h] == k1):
            h = (h + 1) & hmask
        slot = hslot[h]
        if slot >= 0 and t - si[slot, SI_T1] > window_ns:
            slot = -1                                        # expired: a new packet takes the key
        if slot < 0:
            if hslot[h] < 0:
                hused += 1
                hk0[h] = k0
                hk1[h] = k1
            slot = used
            used += 1
            hslot[h] = slot
            for j in range(NSI):
                si[slot, j] = 0
            for j in range(NSF):
                sf[slot, j] = 0.0
            si[slot, SI_PID] = pidc
            pidc += 1
            si[slot, SI_UND] = u
            si[slot, SI_INST] = inst[i]
            si[slot, SI_STRUCT] = s
            si[slot, SI_SYNTH] = synth
            si[slot, SI_T0] = t
            si[slot, SI_TID0] = tid[i]
            sf[slot, SF_IV0] = iv[i]
            sf[slot, SF_UND0] = upx
            prev = uf[u, UF_PREVPX]
            sf[slot, SF_MOVE] = (upx / prev - 1.0) * 1e4 if (prev > 0.0 and upx > 0.0) else np.nan
        # aggregate the print into its packet
        si[slot, SI_T1] = t
        si[slot, SI_N] += 1
        sz = size[i]
        prem = price[i] * sz * 100.0
        sf[slot, SF_SIZE] += sz
        sf[slot, SF_PREM] += prem
        if sz > sf[slot, SF_MAXSZ]:
            sf[slot, SF_MAXSZ] = sz
        v = venue[i]
        if v >= 0:
            si[slot, SI_VENUES] |= np.int64(1) << np.int64(v)
        if c == COND_ISOI:
            si[slot, SI_ISO] += 1
        elif c == COND_SLAN:
            si[slot, SI_SLAN] += 1
        elif c == COND_MLET or c == COND_MLAT:
            si[slot, SI_ML] += 1
        elif c == COND_TLET:
            si[slot, SI_TLET] += 1
        q = quality[i]
        signed = 0.0
        if q == 0:
            si[slot, SI_FRESH] += 1
        elif q == 1:
            si[slot, SI_STALE] += 1
        else:
            si[slot, SI_MISSING] += 1
        if q <= 1:                      # placed against the quote in force (fresh or stale)
            p = place[i]
            if p == 0 or p == 1:
                sf[slot, SF_ASK] += sz
                signed = sz
            elif p == 3 or p == 4:
                sf[slot, SF_BID] += sz
                signed = -sz
            elif p == 2:
                sf[slot, SF_MID] += sz
        sd = side[i]
        if sd == 0:
            sf[slot, SF_SIDE_A] += sz
        elif sd == 1:
            sf[slot, SF_SIDE_B] += sz
        x = iv[i]
        if x == x:
            sf[slot, SF_IV1] = x
            sf[slot, SF_IVSUM] += x * sz
            sf[slot, SF_IVW] += sz
            if sf[slot, SF_IV0] != sf[slot, SF_IV0]:
                sf[slot, SF_IV0] = x
        if upx > 0.0:
            sf[slot, SF_UND1] = upx
            if not (sf[slot, SF_UND0] > 0.0):
                sf[slot, SF_UND0] = upx
        d = delta[i]
        if d == d:
            sf[slot, SF_DELTA] += abs(d) * sz
            sf[slot, SF_DELTA_W] += sz
        # legs (distinct contracts of the packet, first MAXLEG)
        nl = si[slot, SI_NLEGS]
        found = -1
        for j in range(nl):
            if li[slot, j, LI_INST] == inst[i]:
                found = j
                break
        if found < 0 and nl < MAXLEG:
            found = nl
            si[slot, SI_NLEGS] = nl + 1
            li[slot, found, LI_INST] = inst[i]
            li[slot, found, LI_RIGHT] = right[i]
            li[slot, found, LI_EXP] = expiry[i]
            lf[slot, found, LF_STRIKE] = strike[i]
            lf[slot, found, LF_SIZE] = 0.0
            lf[slot, found, LF_SIGNED] = 0.0
            lf[slot, found, LF_PREM] = 0.0
        if found >= 0:
            lf[slot, found, LF_SIZE] += sz
            lf[slot, found, LF_SIGNED] += signed
            lf[slot, found, LF_PREM] += prem
        ne = si[slot, SI_NEV]
        if ne < maxev:
            pend_pid[npend] = si[slot, SI_PID]
            pend_tid[npend] = tid[i]
            npend += 1
            si[slot, SI_NEV] = ne + 1
        out_pid[i] = si[slot, SI_PID]
        i += 1
    g[G_USED] = used
    g[G_HUSED] = hused
    g[G_PID] = pidc
    g[G_NPEND] = npend
    return end


@inline_kernel
def _structure(si, li, lf, j):
    """Structure code (``analytics.structures.STRUCTURES`` index) of slot ``j`` from its legs; the numpy
    reference is :func:`fastsynth.analytics.structures.structure_codes`."""
    nl = si[j, SI_NLEGS]
    multi = si[j, SI_STRUCT] != 0
    tlet = si[j, SI_TLET] > 0
    if not multi:
        return KC.S_SINGLE if nl <= 1 else KC.S_COMPLEX
    if nl == 1:
        return KC.S_STOCK if tlet else KC.S_SINGLE
    if nl == 2:
        same_r = li[j, 0, LI_RIGHT] == li[j, 1, LI_RIGHT]
        same_e = li[j, 0, LI_EXP] == li[j, 1, LI_EXP]
        same_k = abs(lf[j, 0, LF_STRIKE] - lf[j, 1, LF_STRIKE]) < 1e-9
        if same_e:
            if same_r:
                return KC.S_COMPLEX if same_k else KC.S_VERTICAL
            if same_k:
                return KC.S_CONVERSION if tlet else KC.S_STRADDLE
            return KC.S_STRANGLE
        if same_r and same_k:
            return KC.S_CALENDAR
        return KC.S_COMPLEX
    if nl == 4:
        # box: two strikes x (call, put), one expiry, four distinct (strike, right) pairs
        nk = 0
        ne = 0
        npair = 0
        for a in range(4):
            ka = np.round(lf[j, a, LF_STRIKE], 9)
            newk = True
            newe = True
            newp = True
            for b in range(a):
                kb = np.round(lf[j, b, LF_STRIKE], 9)
                if kb == ka:
                    newk = False
                    if li[j, b, LI_RIGHT] == li[j, a, LI_RIGHT]:
                        newp = False
                if li[j, b, LI_EXP] == li[j, a, LI_EXP]:
                    newe = False
            nk += newk
            ne += newe
            npair += newp
        if nk == 2 and ne == 1 and npair == 4:
            return KC.S_BOX
    return KC.S_COMPLEX


@inline_kernel
def _popcount(x):
    """Set bits of a non-negative int64 (SWAR, branch-free)."""
    x = x - ((x >> 1) & 0x5555555555555555)
    x = (x & 0x3333333333333333) + ((x >> 2) & 0x3333333333333333)
    x = (x + (x >> 4)) & 0x0F0F0F0F0F0F0F0F
    x += x >> 8                     # byte sums by shifts: no multiply that could overflow int64
    x += x >> 16
    x += x >> 32
    return x & 0x7F


@inline_kernel
def _finalize(si, sf, li, lf, k, o0, opi, opf, oxi, oxf):
    """Slots ``0..k-1`` -> outputs ``o0..o0+k-1``: classifier features, row-major (``opi[o, KC.PI_*]``,
    ``opf[o, KC.PF_*]``: the classify kernel reads rows), and table extras, column-major (``oxi[XI_*, o]``,
    ``oxf[XF_*, o]``). One call per close with the loop inside: an inlined helper's array arguments cost an
    atomic refcount pair each per call, so nothing array-taking is inlined per packet (``_structure`` only
    for the rare multi-leg packets)."""
    for j in range(k):
        o = o0 + j
        t0 = si[j, SI_T0]
        t1 = si[j, SI_T1]
        n = si[j, SI_N]
        st = si[j, SI_STRUCT]
        right = li[j, 0, LI_RIGHT]
        exp = li[j, 0, LI_EXP]
        strike = lf[j, 0, LF_STRIKE]
        venues = _popcount(si[j, SI_VENUES])
        iso = si[j, SI_ISO]
        sweep = (venues >= 2 and iso >= 1) or (venues >= 3 and t1 - t0 <= _SWEEP_SPAN_NS)
        opi[o, KC.PI_UND] = si[j, SI_UND]
        opi[o, KC.PI_KEY] = st if st != 0 else si[j, SI_INST]
        opi[o, KC.PI_INST] = si[j, SI_INST]
        opi[o, KC.PI_T0] = t0
        opi[o, KC.PI_T1] = t1
        if st == 0:                    # single-leg key: the common case, no call
            opi[o, KC.PI_STRUCT] = KC.S_SINGLE if si[j, SI_NLEGS] <= 1 else KC.S_COMPLEX
        else:
            opi[o, KC.PI_STRUCT] = _structure(si, li, lf, j)
        opi[o, KC.PI_RIGHT] = right
        opi[o, KC.PI_DTE] = exp - t0 // _DAY_NS
        opi[o, KC.PI_N] = n
        opi[o, KC.PI_VENUES] = venues
        opi[o, KC.PI_ISO] = iso
        opi[o, KC.PI_SLAN] = si[j, SI_SLAN]
        opi[o, KC.PI_ML] = si[j, SI_ML]
        opi[o, KC.PI_TLET] = si[j, SI_TLET]
        opi[o, KC.PI_SWEEP] = sweep
        opi[o, KC.PI_NEV] = si[j, SI_NEV]
        opi[o, KC.PI_PID] = si[j, SI_PID]
        opi[o, KC.PI_FRESH] = si[j, SI_FRESH]
        opi[o, KC.PI_QUOTED] = si[j, SI_FRESH] + si[j, SI_STALE]
        oxi[XI_STRUCT_ID, o] = st
        oxi[XI_NLEGS, o] = si[j, SI_NLEGS]
        oxi[XI_EXP, o] = exp
        S = sf[j, SF_UND0]
        mny = strike / S - 1.0 if S > 0 else np.nan
        otm = mny if right == 0 else -mny
        atm = abs(mny)
        ask = sf[j, SF_ASK]
        bid = sf[j, SF_BID]
        mid = sf[j, SF_MID]
        tot = ask + bid + mid
        # the classifier's ratios (side fallback when nothing was placed) and coverage, divided once here
        ra, rb, rm = KC._ratios(ask, bid, mid, sf[j, SF_SIDE_A], sf[j, SF_SIDE_B])
        cov = si[j, SI_FRESH] / n
        u0 = sf[j, SF_UND0]
        u1 = sf[j, SF_UND1]
        dw = sf[j, SF_DELTA_W]
        opf[o, KC.PF_SIZE] = sf[j, SF_SIZE]
        opf[o, KC.PF_PREM] = sf[j, SF_PREM]
        opf[o, KC.PF_MAXSZ] = sf[j, SF_MAXSZ]
        opf[o, KC.PF_ASK] = ask
        opf[o, KC.PF_BID] = bid
        opf[o, KC.PF_MID] = mid
        opf[o, KC.PF_SIDE_A] = sf[j, SF_SIDE_A]
        opf[o, KC.PF_SIDE_B] = sf[j, SF_SIDE_B]
        opf[o, KC.PF_OTM] = otm
        opf[o, KC.PF_ATM] = np.inf if atm != atm else atm
        opf[o, KC.PF_DELTA] = sf[j, SF_DELTA]
        opf[o, KC.PF_DELTA_W] = dw
        opf[o, KC.PF_MOVE] = sf[j, SF_MOVE]
        opf[o, KC.PF_IVCHG] = sf[j, SF_IV1] - sf[j, SF_IV0]
        opf[o, KC.PF_TO_EVENT] = np.inf
        opf[o, KC.PF_SINCE_EVENT] = np.inf
        opf[o, KC.PF_UNDPX] = S
        opf[o, KC.PF_ASK_R] = ra
        opf[o, KC.PF_BID_R] = rb
        opf[o, KC.PF_MID_R] = rm
        opf[o, KC.PF_COV] = cov
        oxf[XF_STRIKE, o] = strike
        oxf[XF_IV0, o] = sf[j, SF_IV0]
        oxf[XF_ASK_R, o] = ra if tot > 0 else 0.0       # the table's shares: 0 when nothing was placed
        oxf[XF_BID_R, o] = rb if tot > 0 else 0.0
        oxf[XF_MID_R, o] = rm if tot > 0 else 0.0
        oxf[XF_COV, o] = cov
        oxf[XF_MOVE, o] = (u1 / u0 - 1.0) * 1e4 if (u0 > 0 and u1 > 0) else np.nan
        oxf[XF_DMEAN, o] = sf[j, SF_DELTA] / dw if dw > 0 else np.nan
        oxf[XF_ATM, o] = atm


@kernel
def close_prefix(final, window_ns, si, sf, li, lf, ui, g, pend_pid, pend_tid, hk0, hk1, hslot, cursor,
                 opi, opf, oxi, oxf, ooff, oev, og):
    """Emit the closed prefix of the slots (packet-id order; all of them when ``final``) to the output columns
    ``og[O_NPK]...`` (``opi``/``opf`` row-major, ``oxi``/``oxf`` column-major) (``ooff`` = evidence offsets into ``oev``, ``ooff[og[O_NPK]]`` set on entry), move their
    pending evidence out, compact the open slots to the front and rebuild the hash table from the slots
    still open. Returns the number of packets emitted. A packet is closed when its last print is more
    than ``window_ns`` behind its underlying's watermark."""
    used = g[G_USED]
    k = 0
    while k < used and (final or ui[si[k, SI_UND], UI_WM] - si[k, SI_T1] > window_ns):
        k += 1
    if k > 0:
        o = og[O_NPK]
        e = ooff[o]
        pid0 = si[0, SI_PID]
        _finalize(si, sf, li, lf, k, o, opi, opf, oxi, oxf)
        for j in range(k):
            cursor[j] = e
            e += si[j, SI_NEV]
            ooff[o + j + 1] = e
        w = 0
        for r in range(g[G_NPEND]):
            p = pend_pid[r] - pid0
            if p < k:
                oev[cursor[p]] = pend_tid[r]
                cursor[p] += 1
            else:
                pend_pid[w] = pend_pid[r]
                pend_tid[w] = pend_tid[r]
                w += 1
        g[G_NPEND] = w
        og[O_NPK] = o + k
        og[O_NEV] = e
        for j in range(k, used):
            for c in range(NSI):
                si[j - k, c] = si[j, c]
            for c in range(NSF):
                sf[j - k, c] = sf[j, c]
            for a in range(MAXLEG):
                for c in range(3):
                    li[j - k, a, c] = li[j, a, c]
                for c in range(4):
                    lf[j - k, a, c] = lf[j, a, c]
        used -= k
        g[G_USED] = used
    hmask = hslot.shape[0] - 1
    for h in range(hslot.shape[0]):
        hslot[h] = -1
    cnt = 0
    for slot in range(used):
        if final or ui[si[slot, SI_UND], UI_WM] - si[slot, SI_T1] > window_ns:
            continue
        s = si[slot, SI_STRUCT]
        if s != 0:
            k0 = 0
            k1 = s
        else:
            k0 = si[slot, SI_INST]
            k1 = 0
        h = np.int64(_mix(k0, k1) & np.uint64(hmask))
        while hslot[h] >= 0:
            h = (h + 1) & hmask
        hk0[h] = k0
        hk1[h] = k1
        hslot[h] = slot
        cnt += 1
    g[G_HUSED] = cnt
    return k


@kernel
def first_unordered(ts, und, last):
    """Index of the first print whose ts is below the previous ts of its underlying (``last[u]``, updated
    in place: the running maximum), or -1 when every underlying is time-ordered."""
    for i in range(ts.shape[0]):
        u = und[i]
        if ts[i] < last[u]:
            return i
        last[u] = ts[i]
    return -1
