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
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.csv as pcsv
import pytest

from benchmarks.assign_work import Arcs
from tests.paths import ROOT

FIGURES = {
    "analyze.cli",
    "analyze.metrics.matcher",
    "analyze.metrics.networkx",
    "analyze.metrics.igraph",
    "analyze.pipeline.networkx",
    "analyze.pipeline.igraph",
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
    "assign.flow.cli_saved",
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
    assert {("analyze.cli", "networkx pipeline"), ("analyze.cli", "igraph pipeline")} <= pairs
    assert {("analyze.metrics.matcher", "networkx"), ("analyze.metrics.matcher", "igraph")} <= pairs
    assert {("stream.validate.big", "1× file"), ("stream.analyze.big", "1× file")} <= pairs
    assert {q["what"] for q in report["quality"]} == {"isolated", "peripheral", "siloed_team"}
    metric_steps = ("build", "core_number", "pagerank", "louvain", "betweenness")
    pipeline_steps = ("read", "aggregate", *metric_steps, "write")
    steps = {s["library"]: tuple(s["steps"]) for s in report["steps"]}
    assert steps == {
        **dict.fromkeys(["matcher", "networkx", "igraph"], metric_steps),
        **dict.fromkeys(["networkx pipeline", "igraph pipeline"], pipeline_steps),
    }
    agreement = {a["library"]: a for a in report["agreement"]}
    assert set(agreement) == {*steps}
    for library in ("networkx pipeline", "igraph pipeline"):  # the same graph as matcher's
        assert agreement[library]["coreness_equal_share"] == 1.0
        assert agreement[library]["betweenness_max_abs_diff"] < 1e-9
    assert any(
        "networkx pipeline aggregated the same graph" in n for n in report["stage_notes"]["analyze"]
    )
    targets = [t["target"] for t in report["targets"]]
    for kind in ("[end to end: the CLI run against the same work", "[like for like: metric set"):
        for target in ("plain-networkx pipeline", "not slower than the igraph pipeline"):
            assert sum(target in t and kind in t for t in targets) == 1, (target, kind)
    assert all(t["met"] in (True, False, None) for t in report["targets"])


def test_markdown_has_a_row_per_figure_with_its_command(results: Path) -> None:
    report = json.loads(_one(results, "*.json").read_text(encoding="utf-8"))
    lines = _one(results, "????-??-??-XS.md").read_text(encoding="utf-8").splitlines()
    for figure in report["figures"]:
        rows = [line for line in lines if line.startswith(f"| {figure['label']} |")]
        assert len(rows) == 1, figure["label"]
        assert f"`{figure['command']}`" in rows[0]
    assert "## Targets" in lines
    assert "## Pipelines by hand, median seconds per step (analyze)" in lines


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
    from matcher.analysis.metrics import pivots as matcher_pivots

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
    import matcher.assignment.solve.flow as flow
    import matcher.assignment.solve.sat as sat
    from benchmarks.assign_work import SOLVE_PARTS, Profiler

    original = flow._run_flow
    profiler = Profiler({flow: ("_run_flow",)})
    with profiler.active():
        assert flow._run_flow is not original
    assert flow._run_flow is original
    assert profiler.breakdown(1.0) == {"other": 1.0}
    # a function imported into several modules is wrapped in each; an unknown name is an error
    every = Profiler.of(SOLVE_PARTS)
    assert flow in every.targets and sat in every.targets
    assert "best_per_seeker" in every.targets[flow] and "best_per_seeker" in every.targets[sat]
    with pytest.raises(ValueError, match="no matcher module defines _gone"):
        Profiler.of(("_gone",))


@pytest.mark.parametrize(
    "module",
    [
        "benchmarks.markdown",
        "benchmarks.measure",
        "benchmarks.pipelines",
        "benchmarks.quality",
        "benchmarks.results",
        "benchmarks.sizes",
        "benchmarks.stages.analyze",
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


# ------------------------------------------------------------------- pipelines by hand


def _edge_cases(org: Any) -> tuple[pa.Table, pa.Table]:
    """The generated tables plus rows and people that exercise every rule of build_graph."""
    employees = org.employees.to_pylist()
    rows = org.interactions.to_pylist()
    for row in rows:
        row["duration_minutes"] = (
            "" if row["duration_minutes"] is None else str(row["duration_minutes"])
        )
        row["event_id"] = row["event_id"] or ""
        row["weight"] = ""
    as_of = max(dt.datetime.fromisoformat(r["timestamp"]) for r in rows)
    ids = [e["id"] for e in employees if e["opt_out"] != "true"]
    opted = next(e["id"] for e in employees if e["opt_out"] == "true")
    a, b, c, d, e, f = ids[10:16]

    def at(days: float, offset: str = "+00:00") -> str:
        stamp = as_of - dt.timedelta(days=days)
        if offset != "+00:00":
            stamp = stamp.astimezone(dt.timezone(dt.timedelta(hours=2)))
        return stamp.isoformat()

    def add(
        s: str, t: str, when: str, channel: str, minutes: str = "", event: str = "", w: str = ""
    ):
        rows.append(
            {
                "source": s,
                "target": t,
                "timestamp": when,
                "channel": channel,
                "duration_minutes": minutes,
                "event_id": event,
                "weight": w,
            }
        )

    add(a, b, at(1), " Video ", "12.3", w="0.7")  # case and blanks, float32 values
    add(b, a, at(2), "", "500")  # blank channel: a meeting; duration capped
    add(a, c, at(3), "call", "0")  # duration 0: no strength, still reciprocated
    add(c, d, at(4), "in_person", w="0")  # weight 0: reciprocated, zero strength
    add(d, e, at(5, "+02:00"), "chat")  # one way only
    add(e, f, at(90), "email")  # exactly at the window's edge: counted
    add(f, e, at(90.5), "email")  # before the window: dropped
    add(a, "nobody", at(1), "video")  # unknown id: dropped
    add(a, a, at(1), "video")  # self-interaction: dropped
    add(a, opted, at(1), "video")  # opted out: dropped
    add(b, c, at(95), "video", "30", "ev-x1")  # an event's first row before the window
    add(b, d, at(6), "chat", "30", "ev-x1")  # … so this chat row is its first
    add(d, b, at(6), "video", "30", "ev-x1")  # … and this one counts one way too
    add(c, e, at(7), "video", "45", "ev-x2", "2")  # a meeting whose rows disagree
    add(e, f, at(7), "chat", "", "ev-x2")
    add(f, c, at(7), "email", "", "ev-x2")
    for person in ids[20:50]:  # 31 people: a broadcast
        add(ids[19], person, at(8), "meeting", "60", "ev-x3")
    for k, person in enumerate(ids[60:85]):  # 25 people with the sender: not a broadcast
        add(ids[59] if k % 2 else person, person if k % 2 else ids[59], at(9), "video", "", "ev-x4")
    by_id = {x["id"]: x for x in employees}
    for k, person in enumerate(ids[90:100]):  # new hires (and one hire date unknown)
        hired = as_of.date() - dt.timedelta(days=5 * k)
        by_id[person]["hire_date"] = "" if k == 0 else hired.isoformat()
    columns = list(rows[0])
    return (
        pa.Table.from_pylist(employees),
        pa.table({name: pa.array([r[name] for r in rows], pa.string()) for name in columns}),
    )


@pytest.fixture(scope="module", params=["generated", "edge cases"])
def tiny_org(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Path:
    from matcher.synthetic.generate import generate_org

    org = generate_org(300, seed=2)
    employees, interactions = org.employees, org.interactions
    if request.param == "edge cases":
        employees, interactions = _edge_cases(org)
    folder = tmp_path_factory.mktemp("tiny-org")
    pcsv.write_csv(employees, folder / "employees.csv")
    pcsv.write_csv(interactions, folder / "interactions.csv")
    return folder


def test_pipeline_constants_are_matchers() -> None:
    from benchmarks import e2e
    from matcher.config import AnalysisConfig
    from matcher.io.load import TRUE_WORDS
    from matcher.model import CHANNELS

    config = AnalysisConfig()
    matchers = {
        "CHANNEL_WEIGHTS": {c.value: w for c, w in config.channel_weights.items()},
        "ONE_WAY_CHANNELS": {c.value for c in CHANNELS if not c.is_mutual},
        "HALF_LIFE_DAYS": config.half_life_days,
        "WINDOW_DAYS": config.window_days,
        "BROADCAST_SIZE": config.broadcast_size,
        "DURATION_REFERENCE_MINUTES": config.duration_reference_minutes,
        "DURATION_EXPONENT": config.duration_exponent,
        "DURATION_CAP": config.duration_cap,
        "STRONG_TIE_FRACTION": config.strong_tie_fraction,
        "BETWEENNESS_SAMPLES": config.betweenness_samples,
        "SEED": config.seed,
        "TRUE_WORDS": TRUE_WORDS,
    }
    for name, value in matchers.items():
        assert getattr(e2e, name) == value, name


def test_pipeline_aggregates_matchers_graph(tiny_org: Path) -> None:
    """The pandas aggregation gives build_graph's edge lists, threshold and strong ties."""
    from benchmarks.e2e import aggregate, read_inputs
    from benchmarks.orgs import prepare_graph
    from matcher.io.load import load_org

    employees, interactions = tiny_org / "employees.csv", tiny_org / "interactions.csv"
    found = aggregate(*read_inputs(employees, interactions))
    expected, counts = prepare_graph(employees, interactions)
    org, _ = load_org(employees, interactions)
    assert found.inputs.n == expected.n and found.ids.tolist() == org.ids
    for name in ("strength", "community", "strong"):
        ours, theirs = getattr(found.inputs, name), getattr(expected, name)
        assert np.array_equal(ours.rows, theirs.rows), name
        assert np.array_equal(ours.cols, theirs.cols), name
        np.testing.assert_allclose(ours.weights, theirs.weights, rtol=0, atol=1e-9, err_msg=name)
    assert len(found.inputs.strong) > 0
    assert found.threshold == pytest.approx(counts["strong_tie_threshold"], rel=0, abs=1e-9)
    assert found.counts()["strong_ties"] == counts["strong_ties"]
    assert found.counts()["reciprocated_ties"] == counts["reciprocated_ties"]
    assert (found.inputs.samples, found.inputs.seed) == (expected.samples, expected.seed)


@pytest.mark.parametrize("library", ["networkx", "igraph"])
def test_pipeline_worker_loads_only_its_library(library: str, tmp_path: Path) -> None:
    """The worker writes its timings and one row per person without importing matcher."""
    from matcher.synthetic.generate import generate_org

    org = generate_org(120, seed=3)
    pcsv.write_csv(org.employees, tmp_path / "employees.csv")
    pcsv.write_csv(org.interactions, tmp_path / "interactions.csv")
    other = {"networkx": "igraph", "igraph": "networkx"}[library]
    probe = ["--subsample", "0.5"] if library == "networkx" else []  # as the stage probes
    argv = [
        "pipeline",
        "--library",
        library,
        "--employees",
        str(tmp_path / "employees.csv"),
        "--interactions",
        str(tmp_path / "interactions.csv"),
        "--out",
        str(tmp_path / "timings.json"),
        *probe,
    ]
    script = (  # as `python -m benchmarks pipeline …` runs it
        "import runpy, sys\n"
        f"sys.argv = ['benchmarks', *{argv!r}]\n"
        "try:\n"
        "    runpy.run_module('benchmarks', run_name='__main__', alter_sys=True)\n"
        "except SystemExit as exc:\n"
        "    assert not exc.code, exc.code\n"
        "loaded = {name.split('.')[0] for name in sys.modules}\n"
        f"assert not loaded & {{'matcher', 'networkit', 'pydantic', {other!r}}}, loaded\n"
        "assert 'benchmarks.cli' not in sys.modules\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr[-3000:]
    record = json.loads((tmp_path / "timings.json").read_text(encoding="utf-8"))
    assert list(record["steps"]) == [
        "read",
        "aggregate",
        "build",
        "core_number",
        "pagerank",
        "louvain",
        "betweenness",
        "write",
    ]
    table = pcsv.read_csv(tmp_path / "per-person.csv")
    assert table.column_names == ["id", "core", "pagerank", "community", "betweenness"]
    assert table.num_rows == record["n"] > 0
    if probe:
        assert record["n"] == record["n_full"] // 2 and record["edges"] < record["edges_full"]
    else:
        assert record["n"] == record["n_full"] and record["edges"] == record["edges_full"]


def test_probe_runs_become_an_estimate(tmp_path: Path) -> None:
    from benchmarks.markdown import figures_table
    from benchmarks.results import Figure, OrgInfo, Report
    from benchmarks.stages.analyze import _extrapolate_pipeline, extrapolate
    from benchmarks.stages.base import Job

    steps = dict.fromkeys(("read", "aggregate", "build", "core_number", "pagerank"), 1.0)
    steps |= {"louvain": 2.0, "betweenness": 3.0, "write": 0.1}
    record = {"steps": steps, "n": 20, "edges": 80, "n_full": 100, "edges_full": 400}
    runs = [{**record, "subsample": 0.2}, {**record, "subsample": 0.2}]
    figure = Figure(
        id="analyze.pipeline.networkx",
        stage="analyze",
        label="networkx pipeline",
        command="python -m benchmarks pipeline --subsample 0.2",
        seconds=[12.0, 14.0],
        peak_rss_bytes=2**30,
    )
    metric_only = figure.model_copy(update={"id": "analyze.metrics.networkx", "seconds": [40.0]})
    note = _extrapolate_pipeline(Job(figure, lambda _k: [], 2, tmp_path), runs, metric_only)
    assert figure.estimated and figure.seconds == [] and figure.process_seconds == [12.0, 14.0]
    assert figure.estimate_seconds == pytest.approx(extrapolate(record, 13.0))
    assert figure.peak_rss_bytes is None and "1.00 GiB" in figure.note and "20%" in note
    assert "extrapolated to 55 s" in note and "took 40 s in full" in note  # 8 s × 5 ** 1.2
    org = OrgInfo(
        directory="o", employees=100, seed=1, interaction_rows=1, interactions_bytes=1, planted={}
    )
    report = Report(
        date="d", size="S", employees=100, seed=1, repeat=2, stages=["analyze"], invocation="i",
        machine={}, org=org, figures=[figure],
    )  # fmt: skip
    assert "| 0 in full, 2 probe | ~" in figures_table(report)
