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
Writes ``out_pid[i]`` (int64 packet id) for every processed print; returns the number processed (less than
n when the slot table or the hash table is full: the caller grows them and calls again from there).
"""
from __future__ import annotations

import numpy as np

from ._jit import inline_kernel, kernel

__all__ = ["cluster", "rehash", "NSI", "NSF", "MAXLEG"]

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
# globals: next packet id, slots used, hash entries used, synthetic structure counter
G_PID, G_USED, G_HUSED, G_SYNTH = range(4)

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
            strike, expiry, tid, start, window_ns, structure_window_ns, lookback_ns,
            hk0, hk1, hslot, si, sf, li, lf, ev, ui, uf, g, out_pid):
    n = ts.shape[0]
    hmask = hslot.shape[0] - 1
    cap = si.shape[0]
    maxev = ev.shape[1]
    i = start
    while i < n:
        if g[G_USED] >= cap or 2 * (g[G_HUSED] + 1) > hslot.shape[0]:
            return i
        t = ts[i]
        u = und[i]
        # underlying watermark and reference price buckets (move "before" a packet)
        if t > ui[u, UI_WM]:
            ui[u, UI_WM] = t
        upx = und_px[i]
        if upx > 0.0:
            b = t // lookback_ns
            if ui[u, UI_BUCKET] != b:
                if ui[u, UI_BUCKET] == b - 1:
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
                g[G_HUSED] += 1
                hk0[h] = k0
                hk1[h] = k1
            slot = g[G_USED]
            g[G_USED] += 1
            hslot[h] = slot
            for j in range(NSI):
                si[slot, j] = 0
            for j in range(NSF):
                sf[slot, j] = 0.0
            si[slot, SI_PID] = g[G_PID]
            g[G_PID] += 1
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
            ev[slot, ne] = tid[i]
            si[slot, SI_NEV] = ne + 1
        out_pid[i] = si[slot, SI_PID]
        i += 1
    return n


@kernel
def rehash(si, used, first, closed, hk0, hk1, hslot):
    """Rebuild the hash table (all slots empty on entry, ``hslot`` = -1) from the open slots
    ``first <= slot < used`` (``closed[slot]`` false); returns the number of entries."""
    hmask = hslot.shape[0] - 1
    cnt = 0
    for slot in range(first, used):
        if closed[slot]:
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
        hslot[h] = slot - first
        cnt += 1
    return cnt


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
