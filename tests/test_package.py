"""The package tree is the architecture: every stage lists its modules in ``__all__``."""

from __future__ import annotations

import importlib
import pkgutil

import pytest

STAGES = (
    "analysis",
    "assignment",
    "evaluation",
    "io",
    "simulation",
    "synthetic",
    "workflows",
    "cli",
)


@pytest.mark.parametrize("stage", STAGES)
def test_each_stage_lists_its_modules(stage: str) -> None:
    package = importlib.import_module(f"matcher.{stage}")
    modules = {info.name for info in pkgutil.iter_modules(package.__path__)}
    listed = set(package.__all__)
    if (
        stage == "cli"
    ):  # the command line exports its entry points, and holds one module per command
        assert {"main", "run"} <= listed and "__main__" in modules
        return
    assert listed == modules
