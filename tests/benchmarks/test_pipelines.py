"""The pipelines by hand (``benchmarks/baselines/e2e.py``) against matcher's own graph."""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.csv as pcsv
import pytest

from benchmarks.baselines import e2e
from benchmarks.baselines.e2e import aggregate, read_inputs
from benchmarks.markdown import figures_table
from benchmarks.orgs import prepare_graph
from benchmarks.pipelines import pivots
from benchmarks.results import Figure, OrgInfo, Report
from benchmarks.stages.analyze.probe import extrapolate, extrapolate_pipeline
from benchmarks.stages.base import Job
from matcher.analysis.metrics import pivots as matcher_pivots
from matcher.config import AnalysisConfig
from matcher.io.load import TRUE_WORDS, load_org
from matcher.model import CHANNELS
from matcher.synthetic.generate import generate_org
from tests.paths import ROOT


def test_baseline_pivots_are_matchers() -> None:

    for n, samples, seed in [(0, 3, 0), (5, 64, 1), (2_000, 64, 0), (100_000, 64, 7)]:
        assert np.array_equal(pivots(n, samples, seed), matcher_pivots(n, samples, seed))


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

    org = generate_org(300, seed=2)
    employees, interactions = org.employees, org.interactions
    if request.param == "edge cases":
        employees, interactions = _edge_cases(org)
    folder = tmp_path_factory.mktemp("tiny-org")
    pcsv.write_csv(employees, folder / "employees.csv")
    pcsv.write_csv(interactions, folder / "interactions.csv")
    return folder


def test_pipeline_constants_are_matchers() -> None:

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
    note = extrapolate_pipeline(Job(figure, lambda _k: [], 2, tmp_path), runs, metric_only)
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
