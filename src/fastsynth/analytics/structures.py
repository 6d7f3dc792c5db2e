"""Structures: the leg pattern of a multi-leg packet (vertical, straddle, strangle, conversion/reversal, box,
calendar, stock-tied), from the distinct contracts ("legs") the packet's prints traded.

A packet is a structure packet when its prints share a ``structure_id`` or, without one, when they carry a
multi-leg condition (MLET/MLAT/TLET) and print on one underlying within ``cluster.structure_window_ms`` of
each other (the clustering kernel groups them; see :mod:`fastsynth.kernels.packets`). The pattern:

=============  ===============================================================================
single         one contract, no structure id (an ordinary packet)
vertical       2 legs, same right and expiry, different strikes
straddle       2 legs, call + put, same strike and expiry (no stock leg)
strangle       2 legs, call + put, same expiry, different strikes
conversion     2 legs, call + put, same strike and expiry, tied to stock (TLET): conversion/reversal
box            4 legs, two strikes x (call, put), one expiry
calendar       2 legs, same right and strike, different expiries
stock_tied     1 option leg tied to stock (TLET): buy-write / covered call
complex        anything else (ratio spreads, more than 4 legs, mixed patterns)
=============  ===============================================================================
"""
from __future__ import annotations

import numpy as np

from ..kernels import classify as KC
from ..kernels import packets as K

__all__ = ["STRUCTURES", "structure_codes"]

STRUCTURES: tuple[str, ...] = ("single", "vertical", "straddle", "strangle", "conversion", "box", "calendar",
                               "stock_tied", "complex")
assert STRUCTURES.index("box") == KC.S_BOX and STRUCTURES.index("stock_tied") == KC.S_STOCK


def structure_codes(si: np.ndarray, li: np.ndarray, lf: np.ndarray) -> np.ndarray:
    """int8 structure code (index of :data:`STRUCTURES`) per packet, from the slot columns ``si`` and the
    leg arrays ``li`` (inst, right, expiry) / ``lf`` (strike, ...) of :mod:`fastsynth.kernels.packets`."""
    n = si.shape[0]
    out = np.full(n, KC.S_COMPLEX, np.int8)
    nl = si[:, K.SI_NLEGS]
    multi = si[:, K.SI_STRUCT] != 0
    tlet = si[:, K.SI_TLET] > 0
    out[~multi & (nl <= 1)] = KC.S_SINGLE
    out[multi & (nl == 1)] = np.where(tlet[multi & (nl == 1)], KC.S_STOCK, KC.S_SINGLE)
    # more than MAXLEG distinct contracts cannot be told apart here: complex (kernel keeps MAXLEG legs)
    r, e, k = li[:, :, K.LI_RIGHT], li[:, :, K.LI_EXP], lf[:, :, K.LF_STRIKE]
    two = multi & (nl == 2)
    same_r = r[:, 0] == r[:, 1]
    same_e = e[:, 0] == e[:, 1]
    same_k = np.abs(k[:, 0] - k[:, 1]) < 1e-9
    out[two & same_r & same_e & ~same_k] = KC.S_VERTICAL
    out[two & ~same_r & same_e & same_k & ~tlet] = KC.S_STRADDLE
    out[two & ~same_r & same_e & same_k & tlet] = KC.S_CONVERSION
    out[two & ~same_r & same_e & ~same_k] = KC.S_STRANGLE
    out[two & same_r & ~same_e & same_k] = KC.S_CALENDAR
    four = multi & (nl == 4)
    if four.any():
        idx = np.nonzero(four)[0]
        for i in idx:   # few packets: a readable per-packet check
            ks = np.unique(np.round(k[i], 9))
            es = np.unique(e[i])
            pairs = {(round(float(k[i, j]), 9), int(r[i, j])) for j in range(4)}
            if len(ks) == 2 and len(es) == 1 and len(pairs) == 4:
                out[i] = KC.S_BOX
    return out
