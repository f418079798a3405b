"""Hypothesis profiles: ``dev`` (quick, default), ``ci`` (more examples, no deadline) and
``thorough`` (1,000 examples: run it before resolving an issue). ``make test`` gives every run
a random seed and prints it."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

settings.register_profile(
    "dev", max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
# randomized: `make test` passes a fresh seed each run and prints it
settings.register_profile(
    "ci",
    max_examples=100,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.register_profile(
    "thorough",
    max_examples=1000,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "dev"))

from tests.paths import SHARED_DATA  # noqa: E402


@pytest.fixture(scope="session")
def shared_data() -> Path:
    if not SHARED_DATA.is_dir():
        pytest.skip(
            f"real network data not found at {SHARED_DATA} (only present in the project workspace)"
        )
    return SHARED_DATA
