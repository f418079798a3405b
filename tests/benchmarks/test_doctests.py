"""The examples in the benchmark harness's docstrings (pytest's doctest run skips benchmarks/)."""

from __future__ import annotations

import doctest
import importlib
import pkgutil

import pytest

import benchmarks

MODULES = sorted(
    info.name for info in pkgutil.walk_packages(benchmarks.__path__, prefix="benchmarks.")
)


def test_every_module_is_found() -> None:
    assert {"benchmarks.profiling", "benchmarks.targets", "benchmarks.baselines.assign"} <= set(
        MODULES
    )


@pytest.mark.parametrize("module", MODULES)
def test_doctests(module: str) -> None:
    outcome = doctest.testmod(importlib.import_module(module), optionflags=doctest.ELLIPSIS)
    assert outcome.failed == 0
