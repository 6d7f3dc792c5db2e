"""Key derivation and convenience wrappers around the counter-based RNG kernel.

Every random draw in fastsynth comes from a stream keyed by ``derive_key(seed, table, instrument,
purpose, ...)``; within a stream, draw ``i`` depends only on ``(key, i)`` (see ``kernels/rng.py``).
"""
from __future__ import annotations

import hashlib

import numpy as np

__all__ = ["Key", "derive_key", "uniforms", "normals"]

Key = tuple[int, int]


def derive_key(seed: int, *parts: str | int) -> Key:
    """Key ``(k0, k1)`` (two 32-bit ints) for the stream named by ``seed`` and ``parts``.

    Example: ``derive_key(7, "equity_trades", "AAPL", "2026-03-02", "arrivals")``.
    The mapping is BLAKE2b over a length-prefixed encoding, stable across platforms and releases.
    """
    h = hashlib.blake2b(digest_size=8, person=b"fastsynth-rng")
    for p in (int(seed), *parts):
        b = str(p).encode()
        h.update(len(b).to_bytes(4, "little"))
        h.update(b)
    v = int.from_bytes(h.digest(), "little")
    return v & 0xFFFFFFFF, v >> 32


def uniforms(key: Key, start: int, n: int) -> np.ndarray:
    """Uniforms ``start .. start + n - 1`` in (0, 1) of stream ``key`` as float64."""
    from .kernels import rng as _k

    out = np.empty(n, dtype=np.float64)
    _k.uniforms(key[0], key[1], start, out)
    return out


def normals(key: Key, start: int, n: int) -> np.ndarray:
    """Standard normals ``start .. start + n - 1`` of stream ``key`` (inverse CDF of the uniforms)."""
    from .kernels import rng as _k

    out = np.empty(n, dtype=np.float64)
    _k.normals(key[0], key[1], start, out)
    return out
