"""Smoke test of the benchmark harness: output format only, never timings.

Runs ``python -m benchmarks run`` at the hidden size XS (300 employees) once, with one run per
workload and a tiny streaming file, into a temporary folder, and checks the result files; then
runs ``--only assign`` on the same org into a folder holding that result file, which it must
extend rather than replace (the runs are fixtures of ``conftest.py``).
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from tests.benchmarks.runs import ASSIGN_FIGURES, ASSIGN_VARIANTS, FIGURES, REPORT_KEYS, one


def test_json_has_the_expected_keys(results: Path) -> None:
    path = one(results, "????-??-??-XS.json")
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
        # matcher counts the pivot searches in float32 (about seven significant digits;
        # normalised betweenness is at most 1)
        assert agreement[library]["betweenness_max_abs_diff"] < 1e-6
    assert any(
        "networkx pipeline aggregated the same graph" in n for n in report["stage_notes"]["analyze"]
    )
    targets = [t["target"] for t in report["targets"]]
    for kind in ("[end to end: the CLI run against the same work", "[like for like: metric set"):
        for target in ("plain-networkx pipeline", "not slower than the igraph pipeline"):
            assert sum(target in t and kind in t for t in targets) == 1, (target, kind)
    assert all(t["met"] in (True, False, None) for t in report["targets"])


def test_markdown_has_a_row_per_figure_with_its_command(results: Path) -> None:
    report = json.loads(one(results, "*.json").read_text(encoding="utf-8"))
    lines = one(results, "????-??-??-XS.md").read_text(encoding="utf-8").splitlines()
    for figure in report["figures"]:
        rows = [line for line in lines if line.startswith(f"| {figure['label']} |")]
        assert len(rows) == 1, figure["label"]
        assert f"`{figure['command']}`" in rows[0]
    assert "## Targets" in lines
    assert "## Pipelines by hand, median seconds per step (analyze)" in lines


def test_assign_is_added_to_the_days_file(results: Path, assign_results: Path) -> None:
    before = json.loads(one(results, "????-??-??-XS.json").read_text(encoding="utf-8"))
    report = json.loads(one(assign_results, "????-??-??-XS.json").read_text(encoding="utf-8"))
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


def test_assign_profiles_are_cprofile_by_matcher_function(assign_results: Path) -> None:
    report = json.loads(one(assign_results, "????-??-??-XS.json").read_text(encoding="utf-8"))
    steps = {s["library"]: s for s in report["steps"] if s["stage"] == "assign"}
    for variant in ASSIGN_VARIANTS:
        for part in ("compile", "solve"):
            entry = steps[f"{variant}: {part}"]
            functions = [row["function"] for row in entry["profile"]]
            assert functions and all(f.startswith("matcher.") and ":" in f for f in functions)
            assert all(0 <= row["own"] <= row["cumulative"] + 1e-4 for row in entry["profile"])
            where = "matcher.assignment.solve" if part == "solve" else "matcher.assignment."
            assert any(f.startswith(where) for f in functions), functions
        # the own times are disjoint: with "other", they add up to the profiled call
        solve = steps[variant]["steps"]["solve"]
        assert sum(steps[f"{variant}: solve"]["steps"].values()) == pytest.approx(
            solve, rel=0.2, abs=0.02
        )


def test_assign_outcomes_and_targets(assign_results: Path) -> None:
    report = json.loads(one(assign_results, "????-??-??-XS.json").read_text(encoding="utf-8"))
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
    lines = one(assign_results, "????-??-??-XS.md").read_text(encoding="utf-8").splitlines()
    for figure in report["figures"]:
        rows = [line for line in lines if line.startswith(f"| {figure['label']} |")]
        assert len(rows) == 1, figure["label"]
    for heading in ("## Figures: analyze", "## Figures: assign", "## Assignments: matcher"):
        assert any(line.startswith(heading) for line in lines), heading


def test_evaluate_judges_the_committed_program_against_what_was_planted(
    evaluate_results: Path,
) -> None:
    report = json.loads(one(evaluate_results, "????-??-??-XS.json").read_text(encoding="utf-8"))
    assert report["stages"] == ["evaluate"]
    (figure,) = report["figures"]
    assert figure["id"] == "evaluate.cli" and len(figure["seconds"]) == 1
    assert figure["peak_rss_bytes"] > 0
    for option in ("--db", "--period 2026Q4", "--interactions", "--before-interactions"):
        assert f" {option} " in figure["command"], option
    # evaluate found exactly the planted meetings, and printed its own step times
    assert re.search(r"met: [\d,]+ \(planted [\d,]+: exact\)", figure["note"]), figure["note"]
    assert "loading data" in figure["note"]
    setup = [s["what"] for s in report["setup"] if s["stage"] == "evaluate"]
    assert setup == ["commit the mentoring program (a)", "write the quarter after"]
    (target,) = report["targets"]
    assert target["key"] == "evaluate-l-time" and target["met"] is None  # L only
    assert target["measured"].endswith(" s")
    lines = one(evaluate_results, "????-??-??-XS.md").read_text(encoding="utf-8").splitlines()
    assert "## Figures: evaluate" in lines
