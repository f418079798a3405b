"""Smoke test of the benchmark harness: output format only, never timings.

Runs ``python -m benchmarks run`` at the hidden size XS (300 employees) once, with one run per
workload and a tiny streaming file, into a temporary folder, and checks the result files; then
runs ``--only assign`` on the same org into a folder holding that result file, which it must
extend rather than replace. The assign baselines are also checked directly on tiny instances.
"""

from __future__ import annotations

import datetime as dt
import doctest
import importlib
import json
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from benchmarks.assign_work import Arcs

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
    "outcomes",
    "stage_notes",
    "earlier",
}
ASSIGN_VARIANTS = ("flow", "team_cap", "min_load", "one_to_one")
ASSIGN_FIGURES = {
    *(f"assign.{v}.cli" for v in ASSIGN_VARIANTS),
    *(f"assign.{v}.solve" for v in ASSIGN_VARIANTS),
    "assign.flow-team_cap-min_load-one_to_one.inprocess",
    "assign.flow.bare",
    "assign.flow.greedy",
    "assign.flow.random",
    "assign.flow.mentor_match",
    "assign.one_to_one.lsa",
    "assign.one_to_one.networkx",
    "assign.one_to_one.mentor_match",
    "assign.one_to_one.greedy",
    "assign.one_to_one.random",
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


@pytest.fixture(scope="module")
def assign_results(results: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """``--only assign`` on the first run's org, into a folder holding that run's file under
    today's name: the assign stage must be added to it."""
    folder = tmp_path_factory.mktemp("assign")
    source = _one(results, "????-??-??-XS.json")
    shutil.copyfile(source, folder / f"{dt.date.today().isoformat()}-XS.json")
    done = _benchmarks(
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


def test_assign_is_added_to_the_days_file(results: Path, assign_results: Path) -> None:
    before = json.loads(_one(results, "????-??-??-XS.json").read_text(encoding="utf-8"))
    report = json.loads(_one(assign_results, "????-??-??-XS.json").read_text(encoding="utf-8"))
    assert set(report) == REPORT_KEYS
    assert report["stages"] == ["analyze", "stream", "assign"]
    figures = {f["id"]: f for f in report["figures"]}
    assert set(figures) == FIGURES | ASSIGN_FIGURES
    assert [f for f in report["figures"] if f["stage"] != "assign"] == before["figures"]
    assert {t["target"] for t in before["targets"]} <= {t["target"] for t in report["targets"]}
    assert report["earlier"][0]["stages"] == ["analyze", "stream"]
    assert report["earlier"][0]["notes"] == before["notes"]
    assert report["stage_notes"]["assign"]
    for figure_id in (f"assign.{v}.cli" for v in ASSIGN_VARIANTS):
        figure = figures[figure_id]
        assert len(figure["seconds"]) == 1 and figure["peak_rss_bytes"] > 0
        assert " assign " in figure["command"]
    assert figures["assign.flow.bare"]["seconds"]
    pairs = {(r["figure"], r["name"]) for r in report["ratios"]}
    assert {("assign.flow.cli", "bare flow"), ("assign.flow.solve", "bare flow")} <= pairs
    assert ("assign.one_to_one.solve", "linear_sum_assignment") in pairs
    assert {s["library"] for s in report["steps"] if s["stage"] == "assign"} >= set(ASSIGN_VARIANTS)


def test_assign_outcomes_and_targets(assign_results: Path) -> None:
    report = json.loads(_one(assign_results, "????-??-??-XS.json").read_text(encoding="utf-8"))
    outcomes = report["outcomes"]
    matcher = {o["instance"]: o for o in outcomes if o["method"] == "matcher assign (CLI)"}
    assert set(matcher) == set(ASSIGN_VARIANTS)
    for row in matcher.values():
        assert row["ran"] and row["pairs"] > 0 and row["objective"] == pytest.approx(row["bound"])
        assert row["flagged_covered"] <= row["flagged"]
    methods = {(o["instance"], o["method"].split(" ")[0]) for o in outcomes}
    for method in ("bare", "greedy", "random", "mentor-match"):
        assert ("flow", method) in methods
    for method in ("scipy", "networkx", "greedy", "random"):
        assert ("one_to_one", method) in methods
    assert ("team_cap", "mentor-match") in methods  # said why it cannot take the instance
    verdicts = {t["target"].split(" (")[0].split(":")[0]: t["met"] for t in report["targets"]}
    assert verdicts["objective = linear_sum_assignment on 1"] is True
    assert all(t["met"] in (True, False, None) for t in report["targets"])
    lines = _one(assign_results, "????-??-??-XS.md").read_text(encoding="utf-8").splitlines()
    for figure in report["figures"]:
        rows = [line for line in lines if line.startswith(f"| {figure['label']} |")]
        assert len(rows) == 1, figure["label"]
    for heading in ("## Figures: analyze", "## Figures: assign", "## Assignments: matcher"):
        assert any(line.startswith(heading) for line in lines), heading


def test_readme_shows_the_assign_results(assign_results: Path, tmp_path: Path) -> None:
    from benchmarks.results import load_report

    source = _one(assign_results, "*.json")
    as_l = load_report(source).model_copy(update={"size": "L"})
    (tmp_path / source.name.replace("-XS.json", "-L.json")).write_text(
        as_l.model_dump_json(), encoding="utf-8"
    )
    done = _benchmarks("readme", "--results-dir", str(tmp_path))
    assert done.returncode == 0, done.stderr
    assert "### Assignments against the baselines (size L" in done.stdout
    assert "matcher assign, end to end (CLI): (c)" in done.stdout


def test_readme_combines_the_newest_run_of_each_stage(
    results: Path, assign_results: Path, tmp_path: Path
) -> None:
    from benchmarks.results import load_report

    analyze_only = _one(results, "????-??-??-XS.json")
    (tmp_path / "2000-01-02-S.json").write_bytes(analyze_only.read_bytes())
    merged = load_report(_one(assign_results, "????-??-??-XS.json"))
    assign_only = merged.model_copy(
        update={
            "date": "2000-01-03",
            "stages": ["assign"],
            "figures": [f for f in merged.figures if f.stage == "assign"],
            "steps": [s for s in merged.steps if s.stage == "assign"],
            "quality": [],
            "agreement": [],
            "targets": [t for t in merged.targets if t.stage == "assign"],
            "stage_notes": {"assign": merged.stage_notes["assign"]},
            "earlier": [],
        }
    )
    (tmp_path / "2000-01-03-S.json").write_text(assign_only.model_dump_json(), encoding="utf-8")
    done = _benchmarks("readme", "--results-dir", str(tmp_path))
    assert done.returncode == 0, done.stderr
    assert "2000-01-02-S.json" in done.stdout and "2000-01-03-S.json" in done.stdout
    by_id = {f.id: f for f in merged.figures}
    for figure_id in ("analyze.cli", "assign.flow.cli"):
        assert f"`{by_id[figure_id].command}`" in done.stdout


def _tiny_arcs(seed: int, seekers: int, providers: int, capacity: int) -> Arcs:
    rng = np.random.default_rng(seed)
    keep = rng.random((seekers, providers)) < 0.4
    s, p = np.nonzero(keep)
    return Arcs(
        arc_seeker=s.astype(np.int32),
        arc_provider=p.astype(np.int32),
        arc_score=rng.normal(2.0, 3.0, len(s)).round(3),
        capacity=rng.integers(1, capacity + 1, providers),
        supply=np.ones(seekers, np.int64),
        flagged=rng.random(seekers) < 0.3,
        seeker_level=np.ones(seekers, np.int64),
        provider_level=np.full(providers, 3, np.int64),
        seeker_ids=np.array([f"s{k}" for k in range(seekers)]),
        provider_ids=np.array([f"p{k}" for k in range(providers)]),
        matcher_chosen=np.zeros(len(s), bool),
        matcher_objective=0.0,
        matcher_bound=0.0,
    )


@pytest.mark.parametrize("seed", range(5))
def test_assign_baselines_on_tiny_instances(seed: int) -> None:
    from benchmarks import assign_work as w

    one = _tiny_arcs(seed, 12, 10, capacity=1)
    exact = w.lsa(one)["outcome"]
    networkx = w.evaluate(one, w._networkx_matching(one)[0])
    for found in (w.bare_flow(one)["outcome"], networkx):
        assert found["pairs"] == exact["pairs"]
        assert found["objective"] == pytest.approx(exact["objective"], abs=1e-5)
    flow = _tiny_arcs(seed, 20, 6, capacity=3)
    best = w.bare_flow(flow)["outcome"]
    for heuristic in (w.greedy(flow), w.random_pairing(flow, seed)):
        outcome = heuristic["outcome"]
        assert outcome["limit_violations"] == 0
        assert outcome["seekers_covered"] <= best["seekers_covered"]
        if outcome["seekers_covered"] == best["seekers_covered"]:
            assert outcome["objective"] <= best["objective"] + 1e-6


def test_ladder_stops_at_its_budget() -> None:
    from benchmarks import assign_work as w

    arcs = _tiny_arcs(0, 60, 60, capacity=1)
    full = w.run_ladder(arcs, w._networkx_matching, budget=1e9, resolution=1e-6)
    assert [p["seekers"] for p in full["probes"]] == [25, 60]
    assert all(p["same_as_optimum"] for p in full["probes"])
    assert full["outcome"]["pairs"] == w.lsa(arcs)["outcome"]["pairs"]
    cut = w.run_ladder(arcs, w._networkx_matching, budget=0.0, resolution=1e-6)
    assert len(cut["probes"]) == 1 and "outcome" not in cut
    assert cut["estimate_seconds"] > 0 and "over the 0 s budget" in cut["stopped"]


def test_profiler_restores_the_functions() -> None:
    import matcher.solver as solver
    from benchmarks.assign_work import Profiler

    original = solver._run_flow
    profiler = Profiler({solver: ("_run_flow",)})
    with profiler.active():
        assert solver._run_flow is not original
    assert solver._run_flow is original
    assert profiler.breakdown(1.0) == {"other": 1.0}


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
        "benchmarks.stages.base",
        "benchmarks.stages.assign",
        "benchmarks.assign_instances",
    ],
)
def test_doctests(module: str) -> None:
    # pytest ignores benchmarks/ (pyproject addopts), so their examples run here
    outcome = doctest.testmod(importlib.import_module(module), optionflags=doctest.ELLIPSIS)
    assert outcome.failed == 0
