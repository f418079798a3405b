"""The benchmark smoke runs, shared by the test modules of this folder (once per session)."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import pytest

from tests.benchmarks.runs import benchmarks, one


@pytest.fixture(scope="session")
def results(tmp_path_factory: pytest.TempPathFactory) -> Path:
    base = tmp_path_factory.mktemp("bench")
    done = benchmarks(
        "run",
        "--size",
        "XS",
        "--repeat",
        "1",
        "--only",
        "analyze",
        "--only",
        "stream",
        "--stream-gb",
        "0.003",
        "--results-dir",
        str(base / "results"),
        "--work-dir",
        str(base / "work"),
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return base / "results"


@pytest.fixture(scope="session")
def assign_results(results: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """``--only assign`` on the first run's org, into a folder holding that run's file under
    today's name: the assign stage must be added to it."""
    folder = tmp_path_factory.mktemp("assign")
    source = one(results, "????-??-??-XS.json")
    shutil.copyfile(source, folder / f"{dt.date.today().isoformat()}-XS.json")
    done = benchmarks(
        "run",
        "--size",
        "XS",
        "--repeat",
        "1",
        "--only",
        "assign",
        "--results-dir",
        str(folder),
        "--work-dir",
        str(results.parent / "work"),
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return folder


@pytest.fixture(scope="session")
def evaluate_results(results: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """``--only evaluate`` on the first run's org, into a folder of its own."""
    folder = tmp_path_factory.mktemp("evaluate")
    done = benchmarks(
        "run",
        "--size",
        "XS",
        "--repeat",
        "1",
        "--only",
        "evaluate",
        "--results-dir",
        str(folder),
        "--work-dir",
        str(results.parent / "work"),
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return folder
