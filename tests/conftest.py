"""Shared test configuration: Hypothesis profiles and a visible-seed random generator.

No global random state is set here. Tests that need random data take the ``rng`` fixture: a fixed seed
per test by default, printed (pytest shows captured output of a failing test); ``FASTSYNTH_TEST_SEED=<seed>``
replays one, ``FASTSYNTH_TEST_SEED=random`` explores new ones.
"""
from __future__ import annotations

import hashlib
import os
import secrets

import numpy as np
import pytest
from hypothesis import settings

import strategies  # noqa: F401  (registers the Hypothesis profiles)

settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", strategies.DEFAULT_PROFILE))


@pytest.fixture
def rng(request) -> np.random.Generator:
    """A fresh ``numpy.random.Generator`` with a fixed seed per test (derived from the test's id, so a run
    is reproducible and CI never goes red on a lucky draw). ``FASTSYNTH_TEST_SEED=<seed>`` pins another
    seed and ``FASTSYNTH_TEST_SEED=random`` draws one (exploration); the seed is printed either way."""
    env = os.environ.get("FASTSYNTH_TEST_SEED")
    if env == "random":
        seed = secrets.randbits(63)
    elif env:
        seed = int(env)
    else:
        digest = hashlib.blake2b(request.node.nodeid.encode(), digest_size=8).digest()
        seed = int.from_bytes(digest, "little") >> 1
    print(f"rng seed: {seed} (replay with FASTSYNTH_TEST_SEED={seed})")
    return np.random.default_rng(seed)
