"""Hypothesis profiles: ``dev`` (quick, default), ``ci`` (more examples, no deadline) and
``thorough`` (1,000 examples: run it before resolving an issue). ``make test`` gives every run
a random seed and prints it.

Shared fixtures (built from :mod:`tests.support`): ``run_cli`` runs ``matcher`` and checks its
exit code; ``synthetic_org`` generates an org once per session, ``org_files`` /
``generated_org_files`` / ``tiny_org_files`` are organisations written as contract files once per
session; ``scratch_dir`` is a folder for ``@given`` tests.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Callable
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

from matcher.synthetic.generate import SyntheticOrg, generate_org  # noqa: E402
from tests import support  # noqa: E402
from tests.paths import SHARED_DATA  # noqa: E402
from tests.support import OrgFiles, RunCli  # noqa: E402


@pytest.fixture(scope="session")
def shared_data() -> Path:
    if not SHARED_DATA.is_dir():
        pytest.skip(
            f"real network data not found at {SHARED_DATA} (only present in the project workspace)"
        )
    return SHARED_DATA


@pytest.fixture(scope="session")
def run_cli() -> RunCli:
    """``run_cli(*args, code=0, env=None) -> click.testing.Result``: run ``matcher`` in-process.

    Fails the test, showing stdout and stderr, unless the exit code is ``code`` (an int, a
    tuple of them, or ``None`` for any); a traceback is raised as itself.
    """
    return support.run_cli


@pytest.fixture(scope="session")
def synthetic_org() -> Callable[[int, int], SyntheticOrg]:
    """``synthetic_org(employees, seed)``: :func:`generate_org` of that size and seed, made
    once a session (its tables are immutable)."""
    return functools.cache(generate_org)


@pytest.fixture(scope="session")
def generated_org_files(
    synthetic_org: Callable[[int, int], SyntheticOrg], tmp_path_factory: pytest.TempPathFactory
) -> Callable[[int, int], OrgFiles]:
    """``generated_org_files(employees, seed)``: the files of ``synthetic_org(employees, seed)``
    (as ``matcher generate`` writes them), written once a session. Read them; copy them to
    change them."""

    @functools.cache
    def files(employees: int, seed: int) -> OrgFiles:
        folder = tmp_path_factory.mktemp(f"org-{employees}-{seed}")
        return support.write_generated_org(folder, synthetic_org(employees, seed))

    return files


@pytest.fixture(scope="session")
def org_files(generated_org_files: Callable[[int, int], OrgFiles]) -> OrgFiles:
    """A generated 600-person org (seed 4): enough people for every example program."""
    return generated_org_files(600, 4)


@pytest.fixture(scope="session")
def tiny_org_files(tmp_path_factory: pytest.TempPathFactory) -> OrgFiles:
    """Four hand-written people and eight interactions (:data:`tests.support.TINY_EMPLOYEES`),
    with a self-interaction and an unknown id among them. Read them; do not change them."""
    return support.write_tiny_org(tmp_path_factory.mktemp("tiny-org"))


@pytest.fixture(scope="session")
def scratch_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder shared by a session's ``@given`` tests, which cannot use the per-test
    ``tmp_path`` (it is not reset between examples)."""
    return tmp_path_factory.mktemp("scratch")


@pytest.fixture(scope="session")
def surveyed(tmp_path_factory: pytest.TempPathFactory, run_cli: RunCli) -> Path:
    """A 1,500-person org with a planted survey, ingested and analysed with the survey."""
    root = tmp_path_factory.mktemp("surveyed")
    org = root / "org"
    run_cli("generate", "--employees", 1500, "--seed", 3, "--survey", 0.7, "--out", org)
    run_cli(
        "ingest", org / "survey-export.csv", "--mapping", org / "survey.toml",
        "--employees", org / "employees.csv", "--out", root / "survey.csv",
    )  # fmt: skip
    run_cli(
        "analyze", "--employees", org / "employees.csv", "--interactions",
        org / "interactions.csv", "--survey", root / "survey.csv", "--out", root / "analysis",
    )  # fmt: skip
    return root
