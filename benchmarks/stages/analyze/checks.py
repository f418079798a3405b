"""What the analyze stage checks: the same graph everywhere, the same metrics, the targets."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np

from benchmarks.orgs import graph_counts
from benchmarks.pipelines import GraphInputs
from benchmarks.quality import agreement
from benchmarks.results import Agreement, Figure, OrgInfo, Quality, Target
from benchmarks.targets import BY_KEY, at_least, at_most, speedup_at_least, time_ratio_at_most

CLI = "analyze.cli"
CLI_PARQUET = "analyze.cli.parquet"
METRICS = "analyze.metrics.{}"
PIPELINE = "analyze.pipeline.{}"
L_ROWS = 5_000_000
GIB = 2**30


def agreements(inputs: GraphInputs, outputs: dict[str, dict[str, np.ndarray]]) -> list[Agreement]:
    """How closely each library's metrics agree with matcher's (none without matcher's)."""
    reference = outputs.get("matcher")
    if reference is None:
        return []
    community = inputs.community.symmetric(inputs.n)
    return [agreement(library, found, reference, community) for library, found in outputs.items()]


def check_same_graph(graph_file: Path, out_dir: Path) -> list[str]:
    """A note if the baselines' graph differs from the one ``matcher analyze`` reported."""
    counts = graph_counts(graph_file)
    summary = json.loads((out_dir / "summary.json").read_text(encoding="utf-8"))
    differ = [
        f"{key}: {counts[key]} (baselines) vs {summary[key]} (matcher analyze)"
        for key in ("strong_ties", "reciprocated_ties", "strong_tie_threshold")
        if not np.isclose(float(counts[key]), float(summary[key]))
    ]
    if differ:
        return ["the baselines' graph differs from matcher analyze's: " + "; ".join(differ)]
    return [
        f"the baselines read the same graph as matcher analyze "
        f"({float(counts['strong_ties']):,.0f} strong ties, "
        f"{float(counts['reciprocated_ties']):,.0f} reciprocated)"
    ]


def check_pipeline_graph(library: str, record: dict[str, Any], out_dir: Path) -> str:
    """A note saying whether a pipeline's graph has the counts matcher analyze reported."""
    counts = record["graph"]
    summary = json.loads((out_dir / "summary.json").read_text(encoding="utf-8"))
    differ = [
        f"{key}: {counts[key]} ({library} pipeline) vs {summary[key]} (matcher analyze)"
        for key in ("strong_ties", "reciprocated_ties", "strong_tie_threshold")
        if not np.isclose(float(counts[key]), float(summary[key]), rtol=1e-9, atol=0.0)
    ]
    if differ:
        return f"the {library} pipeline's graph differs from matcher analyze's: " + "; ".join(
            differ
        )
    return (
        f"the {library} pipeline aggregated the same graph as matcher analyze "
        f"({counts['strong_ties']:,.0f} strong ties, {counts['reciprocated_ties']:,.0f} "
        f"reciprocated, threshold {counts['strong_tie_threshold']:.6g})"
    )


def targets(org: OrgInfo, figures: list[Figure]) -> list[Target]:
    """The analyze rows of :data:`benchmarks.targets.TARGETS`, met or missed and by how much.

    The speed targets compare like with like twice: the CLI against the baseline's pipeline
    written by hand (CSV files to per-person CSV, what the issue names), and matcher's metric
    set against the baseline's (same edge lists), so that a miss can be told apart from the
    cost of loading and aggregating.
    """
    by_id = {f.id: f for f in figures}
    cli = by_id.get(CLI)
    rows: list[Target] = []
    scope = f" ({org.employees:,} people, {org.interaction_rows / 1e6:.2f}M rows" + (
        ")" if org.interaction_rows >= L_ROWS else " (fewer than the 5M the target names))"
    )
    if cli is not None:
        rows.append(at_most(BY_KEY["analyze-l-time"], cli.median_seconds, org.employees, scope))
        peak = None if cli.peak_rss_bytes is None else cli.peak_rss_bytes / GIB
        rows.append(at_most(BY_KEY["analyze-l-memory"], peak, org.employees, scope))
    for baseline, check in (("networkx", speedup_at_least), ("igraph", time_ratio_at_most)):
        for ours_id, theirs_id, kind in (
            (CLI, PIPELINE.format(baseline), "e2e"),
            (METRICS.format("matcher"), METRICS.format(baseline), "metrics"),
        ):
            ours, theirs = by_id.get(ours_id), by_id.get(theirs_id)
            if ours is not None and theirs is not None:
                rows.append(
                    check(BY_KEY[f"analyze-{baseline}-{kind}"], ours, theirs, org.employees)
                )
    return rows


def quality_target(quality: list[Quality], employees: int) -> Target:
    """The flag-quality row: the smallest precision and recall over the flags that have a
    planted truth and a flagged set (both defined)."""
    values = [
        (q.what, name, value)
        for q in quality
        for name, value in (("precision", q.precision), ("recall", q.recall))
        if value is not None
    ]
    spec = BY_KEY["analyze-flag-quality"]
    if not values:
        return at_least(spec, None, employees)
    what, name, lowest = min(values, key=lambda row: row[2])
    return at_least(spec, lowest, employees, f" (lowest: {what} {name})")


def xl_targets(org: OrgInfo, figures: list[Figure], quality: list[Quality]) -> list[Target]:
    """The XL rows: time and peak memory of the CSV and the Parquet run, and flag quality."""
    rows: list[Target] = []
    scope = f" ({org.employees:,} people, {org.interaction_rows / 1e6:.1f}M rows"
    for figure in figures:
        files = "Parquet files" if figure.id == CLI_PARQUET else "CSV files"
        detail = f"{scope}, {files})"
        rows.append(
            at_most(BY_KEY["analyze-xl-time"], figure.median_seconds, org.employees, detail)
        )
        peak = None if figure.peak_rss_bytes is None else figure.peak_rss_bytes / GIB
        rows.append(at_most(BY_KEY["analyze-xl-memory"], peak, org.employees, detail))
    rows.append(quality_target(quality, org.employees))
    return rows
