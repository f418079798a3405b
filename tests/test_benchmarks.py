"""Smoke test of the benchmark harness: output format only, never timings.

Runs ``python -m benchmarks run`` at the hidden size XS (300 employees) once, with one run per
workload and a tiny streaming file, into a temporary folder, and checks the result files.
"""

from __future__ import annotations

import doctest
import importlib
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[1]
FIGURES = {
    "analyze.cli",
    "analyze.metrics.matcher",
    "analyze.metrics.networkx",
    "analyze.metrics.igraph",
    "stream.validate.big",
    "stream.validate.one",
    "stream.analyze.big",
    "stream.analyze.one",
}
REPORT_KEYS = {
    "schema_version",
    "date",
    "size",
    "employees",
    "seed",
    "repeat",
    "stages",
    "invocation",
    "machine",
    "org",
    "setup",
    "figures",
    "ratios",
    "steps",
    "quality",
    "agreement",
    "targets",
    "notes",
}


def _benchmarks(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "benchmarks", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


@pytest.fixture(scope="module")
def results(tmp_path_factory: pytest.TempPathFactory) -> Path:
    base = tmp_path_factory.mktemp("bench")
    done = _benchmarks(
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


def _one(folder: Path, pattern: str) -> Path:
    found = list(folder.glob(pattern))
    assert len(found) == 1, found
    return found[0]


def test_json_has_the_expected_keys(results: Path) -> None:
    path = _one(results, "????-??-??-XS.json")
    report = json.loads(path.read_text(encoding="utf-8"))
    assert set(report) == REPORT_KEYS
    assert report["size"] == "XS" and report["employees"] == 300
    assert report["stages"] == ["analyze", "stream"]
    assert report["org"]["interaction_rows"] > 0
    figures = {f["id"]: f for f in report["figures"]}
    assert set(figures) == FIGURES
    for figure in figures.values():
        assert figure["command"]
        assert len(figure["seconds"]) == 1
        assert figure["peak_rss_bytes"] > 0
    pairs = {(r["figure"], r["name"]) for r in report["ratios"]}
    for ours in ("analyze.cli", "analyze.metrics.matcher"):
        assert {(ours, "networkx"), (ours, "igraph")} <= pairs
    assert {("stream.validate.big", "1× file"), ("stream.analyze.big", "1× file")} <= pairs
    assert {q["what"] for q in report["quality"]} == {"isolated", "peripheral", "siloed_team"}
    assert {s["library"] for s in report["steps"]} == {"matcher", "networkx", "igraph"}
    for steps in report["steps"]:
        assert set(steps["steps"]) == {"build", "core_number", "pagerank", "louvain", "betweenness"}
    assert report["targets"]
    assert all(t["met"] in (True, False, None) for t in report["targets"])


def test_markdown_has_a_row_per_figure_with_its_command(results: Path) -> None:
    report = json.loads(_one(results, "*.json").read_text(encoding="utf-8"))
    lines = _one(results, "????-??-??-XS.md").read_text(encoding="utf-8").splitlines()
    for figure in report["figures"]:
        rows = [line for line in lines if line.startswith(f"| {figure['label']} |")]
        assert len(rows) == 1, figure["label"]
        assert f"`{figure['command']}`" in rows[0]
    assert "## Targets" in lines


def test_readme_section_comes_from_the_newest_results(results: Path, tmp_path: Path) -> None:
    source = _one(results, "*.json")
    (tmp_path / "2000-01-01-S.json").write_text("{}", encoding="utf-8")  # older: ignored
    (tmp_path / source.name.replace("-XS.json", "-S.json")).write_bytes(source.read_bytes())
    done = _benchmarks("readme", "--results-dir", str(tmp_path))
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("## Performance")
    report = json.loads(source.read_text(encoding="utf-8"))
    cli = next(f for f in report["figures"] if f["id"] == "analyze.cli")
    assert f"`{cli['command']}`" in done.stdout


def test_baseline_pivots_are_matchers() -> None:
    from benchmarks.pipelines import pivots
    from matcher.metrics import pivots as matcher_pivots

    for n, samples, seed in [(0, 3, 0), (5, 64, 1), (2_000, 64, 0), (100_000, 64, 7)]:
        assert np.array_equal(pivots(n, samples, seed), matcher_pivots(n, samples, seed))


@pytest.mark.parametrize(
    "module",
    [
        "benchmarks.markdown",
        "benchmarks.measure",
        "benchmarks.pipelines",
        "benchmarks.quality",
        "benchmarks.results",
        "benchmarks.sizes",
        "benchmarks.stages.stream",
        "benchmarks.stages.targets",
    ],
)
def test_doctests(module: str) -> None:
    # pytest ignores benchmarks/ (pyproject addopts), so their examples run here
    outcome = doctest.testmod(importlib.import_module(module), optionflags=doctest.ELLIPSIS)
    assert outcome.failed == 0
