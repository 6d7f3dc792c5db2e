"""Readable plain-numpy references for the dense draw kernels of ``fastsynth.kernels.equities``: the
definition of every per-event draw (bit fields of the Philox words -> choices, sizes, venues, latencies),
written whole-array so it shares no code with the kernels. Integer fields must match exactly; float
fields are the same arithmetic and match exactly too."""
from __future__ import annotations

import numpy as np

from fastsynth.kernels import equities as k


def _field(w, shift, nbits):
    return ((w.astype(np.uint64) >> np.uint64(shift)) & np.uint64((1 << nbits) - 1)).astype(np.int64)


def _ufield(w, shift, nbits):
    return (_field(w, shift, nbits).astype(np.float64) + 0.5) / float(1 << nbits)


def _expo_x(x, tab):
    i = x.astype(np.int64)
    return tab[i] + (x - i) * (tab[i + 1] - tab[i])


def _expo16(f, tab):
    return _expo_x((f.astype(np.float64) + 0.5) * (k.QTAB / 65536.0), tab)


def _quote_fields(w, spr_k, lots_mean, lat, ln_spread, ln_depth, exp_tab, qv_tab):
    """w: (n, 4) words of one block per update."""
    fl = _field(w[:, 0], 23, 1) * k.QFL_ASK + _field(w[:, 0], 22, 1) * k.QFL_FLICK
    s = np.maximum(np.floor(spr_k * ln_spread[_field(w[:, 1], 22, 10)] + _ufield(w[:, 1], 0, 22)), 1.0)
    lat_ns = (lat * (0.5 + 0.5 * _expo16(_field(w[:, 0], 0, 16), exp_tab))).astype(np.int64)
    return (fl, lat_ns, s.astype(np.int64), lots_mean * ln_depth[_field(w[:, 2], 22, 10)],
            lots_mean * ln_depth[_field(w[:, 2], 12, 10)], qv_tab[_field(w[:, 3], 22, 10)],
            qv_tab[_field(w[:, 3], 12, 10)])


def quote_draws(qw, par, q_sp, ln_spread, ln_depth, exp_tab, qv_tab):
    """Records (qi, qf) of ``quote_draws`` from words qw (4 per update), [event, field]."""
    w = qw.reshape(-1, 4)
    n = w.shape[0]
    fl, lat, sp, bm, am, bv, av = _quote_fields(w, q_sp[:n], par[k.P_DEPTH] / 100.0, par[k.P_LAT_LIT_NS],
                                                ln_spread, ln_depth, exp_tab, qv_tab)
    qi = np.zeros((n, k.N_QI), np.int64)
    qi[:, k.QI_FL] = fl + np.where(_ufield(w[:, 0], 24, 8) < par[k.P_SIZE_ONLY], k.QFL_SIZE_ONLY, 0)
    qi[:, k.QI_LAT], qi[:, k.QI_SP], qi[:, k.QI_BV], qi[:, k.QI_AV] = lat, sp, bv, av
    return qi, np.stack([bm, am], axis=1)


def cluster_draws(cw, par, c_sp, ln_spread, ln_depth, exp_tab, qv_tab):
    """Every per-cluster draw from words cw (8 per cluster), by name (one array per field), and the
    number of prints. ``cluster_draws`` records off, np, meta, qd, qr, us, unp; ``book`` reads the
    others (meta-order sign urs and length ul, the refresh quote r*) from the words when it needs them."""
    w = cw.reshape(-1, 8)
    n = w.shape[0]
    lat = par[k.P_LAT_LIT_NS]
    d = {}
    off = _ufield(w[:, 0], 22, 10) < par[k.P_OFF_SHARE]
    d["off"] = off.astype(np.int64)
    d["urs"] = _ufield(w[:, 0], 11, 11)
    d["meta"] = (_ufield(w[:, 0], 0, 11) < par[k.P_META_W]).astype(np.int64)
    u = _ufield(w[:, 1], 10, 22)
    d["unp"] = u
    d["qd"] = 2000 + (lat * _ufield(w[:, 1], 0, 10)).astype(np.int64)
    d["us"] = _ufield(w[:, 2], 16, 16)
    d["qr"] = (lat * (0.5 + 0.5 * _expo16(_field(w[:, 2], 0, 16), exp_tab))).astype(np.int64)
    d["ul"] = (w[:, 3].astype(np.float64) + 0.5) / 2.0 ** 32
    (d["rfl"], d["rlat"], d["rsp"], d["rbm"], d["ram"], d["rbv"],
     d["rav"]) = _quote_fields(w[:, 4:], c_sp[:n], par[k.P_DEPTH] / 100.0, lat, ln_spread, ln_depth, exp_tab, qv_tab)
    # geometric print count: n - 1 = #{j >= 1: u < cont**j}, at most MAX_PRINTS
    cont = np.where(off, par[k.P_OFF_CONT], par[k.P_SWEEP_CONT])
    powers = cont[:, None] ** np.arange(1, k.MAX_PRINTS)[None, :]
    d["np"] = 1 + np.sum(u[:, None] < powers, axis=1)
    return d, int(d["np"].sum())


def print_draws(pw, par, cd, exp_tab, ln_depth, lot_cut_lit, lot_cut_off, lit_tab, off_tab, qv_tab):
    """Every per-print draw of ``print_draws`` + ``print_fixup`` from words pw (4 per print) and the
    clusters' draws ``cd`` (``cluster_draws``), as a dict: flg, gap, kind (the book's records), nv, pf
    (read by the book from the words), lat, sz, venue, cond (written into trade columns)."""
    npr = cd["np"]
    w = pw.reshape(-1, 4)
    n = w.shape[0]
    assert n == npr.sum()
    cl = np.repeat(np.arange(npr.shape[0]), npr)
    first = np.zeros(n, bool)
    first[np.cumsum(npr) - npr] = True
    off = cd["off"][cl] == 1
    multi = npr[cl] > 1
    out = {"flg": off * k.PFL_OFF + first * k.PFL_FIRST + multi * k.PFL_MULTI}
    psame = par[k.P_SAME_TS]
    us = _ufield(w[:, 0], 16, 16)
    same = us < psame
    ulat = np.where(same, us / psame, (us - psame) / (1.0 - psame))
    e = _expo_x(ulat * k.QTAB, exp_tab)
    out["lat"] = np.where(off, (par[k.P_LAT_OFF_NS] * (0.2 + 0.8 * e)).astype(np.int64),
                          (par[k.P_LAT_LIT_NS] * (0.5 + 0.5 * e)).astype(np.int64))
    gap = 1000 + (par[k.P_GAP_NS] * _expo16(_field(w[:, 0], 0, 16), exp_tab)).astype(np.int64)
    out["gap"] = np.where(same | first, 0, gap)
    # sizes: odd lots 1 + floor(99 u^2), else floor(u ** (-1/alpha)) round lots (<= 20000) + remainder
    ut = (w[:, 1].astype(np.float64) + 0.5) / 2.0 ** 32
    alpha = np.where(off, par[k.P_ALPHA_OFF], par[k.P_ALPHA_LIT])
    cuts = np.where(off[:, None], lot_cut_off[None, :], lot_cut_lit[None, :])
    small = 1 + np.sum(ut[:, None] <= cuts, axis=1)
    lots = np.where(small <= cuts.shape[1], small, np.minimum(np.floor(ut ** (-1.0 / alpha)), 20000.0))
    ur = _ufield(w[:, 2], 0, 10)
    rem = np.where(ur < par[k.P_MIXED], 1 + np.floor(99.0 * ur / par[k.P_MIXED]), 0).astype(np.int64)
    odd = _ufield(w[:, 2], 20, 12) < par[k.P_ODD]
    size = np.where(odd, 1 + np.floor(99.0 * ut * ut).astype(np.int64), lots.astype(np.int64) * 100 + rem)
    out["sz"] = size
    vi = _field(w[:, 3], 22, 10)
    out["venue"] = np.where(off, off_tab[vi], lit_tab[vi])
    uk = _ufield(w[:, 3], 11, 11)
    p_mid, p_imp = par[k.P_MID_SHARE], par[k.P_MID_SHARE] + par[k.P_IMPROVE_SHARE]
    out["kind"] = np.where(off, np.where(uk < p_mid, k.K_MID, np.where(uk < p_imp, k.K_IMPROVE, k.K_TOUCH)),
                           np.where(uk < par[k.P_INSIDE], k.K_INSIDE, k.K_TOUCH))
    out["pf"] = np.where(off, 0.45 * _ufield(w[:, 3], 1, 10),
                         par[k.P_DEPTH] / 100.0 * ln_depth[_field(w[:, 3], 1, 10)])
    out["nv"] = qv_tab[_field(w[:, 2], 10, 10)]
    is_odd = size < 100
    out["cond"] = np.where(off | ~multi, np.where(is_odd, k.COND_ODD, k.COND_REGULAR),
                           np.where(is_odd, k.COND_ISO_ODD, k.COND_ISO))
    return out
