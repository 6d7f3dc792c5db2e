"""Shared test configuration: Hypothesis profiles and a visible-seed random generator.

No global random state is set here. Tests that need random data take the ``rng`` fixture, whose seed
is printed (pytest shows captured output of a failing test) and can be pinned with
``FASTSYNTH_TEST_SEED=<seed>`` to replay a failure.
"""
from __future__ import annotations

import os
import secrets

import numpy as np
import pytest
from hypothesis import settings

import strategies  # noqa: F401  (registers the Hypothesis profiles)

settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", strategies.DEFAULT_PROFILE))


@pytest.fixture
def rng() -> np.random.Generator:
    """A fresh ``numpy.random.Generator``; its seed is printed so a failure can be replayed."""
    env = os.environ.get("FASTSYNTH_TEST_SEED")
    seed = int(env) if env else secrets.randbits(63)
    print(f"rng seed: {seed} (replay with FASTSYNTH_TEST_SEED={seed})")
    return np.random.default_rng(seed)
