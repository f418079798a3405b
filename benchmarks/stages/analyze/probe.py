"""The networkx pipeline's probe: its metric part on a subsample, extrapolated to the full run.

At L the plain-networkx metric set takes minutes; the pipeline by hand then reads and
aggregates the files in full and runs its metric part on the first share of people only, and
its full time is extrapolated as ``(nodes + edges) ** PROBE_EXPONENT``.
"""

from __future__ import annotations

import statistics
from typing import Any

from benchmarks.pipelines import STEPS as METRIC_STEPS
from benchmarks.results import Figure
from benchmarks.stages.base import Job

PROBE_EXPONENT = 1.2
"""networkx time is extrapolated as (nodes + edges) ** 1.2: at L (99,000 nodes, 4.9M edges) a
linear extrapolation from the 20% probe said 188 s and the full run took 306 s (exponent 1.19)."""
GIB = 2**30


def _metric_part(record: dict[str, Any]) -> float:
    """Seconds of a pipeline run's metric part (build and metrics)."""
    return float(sum(record["steps"][name] for name in METRIC_STEPS))


def _metric_scale(record: dict[str, Any]) -> float:
    """How much longer the metric part of a probe run would take in full, as the metric-only
    probe's: ``(nodes + edges) ** PROBE_EXPONENT``."""
    full = record["n_full"] + record["edges_full"]
    return float((full / (record["n"] + record["edges"])) ** PROBE_EXPONENT)


def extrapolate(record: dict[str, Any], wall: float) -> float:
    """A full pipeline run's seconds from a probe run (metric part on a subsample).

    The probe read and aggregated the files in full; its metric part (build and metrics)
    is scaled like the metric-only probe, by ``(nodes + edges) ** PROBE_EXPONENT``, and its
    ``write`` linearly in people; the rest of the child's wall time is kept as measured.

    >>> steps = {"read": 1.0, "aggregate": 2.0, "build": 1.0, "core_number": 0.0,
    ...          "pagerank": 0.0, "louvain": 0.0, "betweenness": 1.0, "write": 0.5}
    >>> record = {"steps": steps, "n": 10, "edges": 90, "n_full": 50, "edges_full": 450}
    >>> round(extrapolate(record, 6.0), 3)  # 3.5 s as run + 2 s × 5 ** 1.2 + 0.5 s × 5
    19.797
    """
    metric, write = _metric_part(record), record["steps"]["write"]
    as_run = wall - metric - write
    return as_run + metric * _metric_scale(record) + write * record["n_full"] / record["n"]


def extrapolate_pipeline(
    job: Job, runs: list[dict[str, Any]], metric_only: Figure | None = None
) -> str:
    """Turn the probe runs of the networkx pipeline into an estimate of the full run.

    The figure keeps the probe runs' wall times in ``process_seconds`` and the median of the
    per-run estimates in ``estimate_seconds``; its peak memory (that of a run whose graphs
    held a fifth of the people) is only quoted in the note. When the metric-only networkx
    run (the same metric code on the same graph) ran in full, the note quotes its time beside
    the extrapolated metric part, to check the extrapolation.
    """
    figure = job.figure
    walls = list(figure.seconds)
    estimates = [extrapolate(record, wall) for record, wall in zip(runs, walls, strict=True)]
    first = runs[0]
    metric = statistics.median(_metric_part(r) for r in runs)
    peak = figure.peak_rss_bytes or 0
    how = (
        f"estimated {statistics.median(estimates):.0f} s from {len(walls)} probe run(s) of "
        f"{statistics.median(walls):.1f} s: the files read and aggregated in full, the metric "
        f"part ({metric:.1f} s) on the first {first['subsample']:.0%} of people "
        f"({first['n']:,} nodes, {first['edges']:,} edges) scaled by "
        f"((nodes + edges) ** {PROBE_EXPONENT}) to {first['n_full']:,} nodes and "
        f"{first['edges_full']:,} edges, writing scaled by people; the probe's peak memory "
        f"({peak / GIB:.2f} GiB) is not the full run's"
    )
    if metric_only is not None and metric_only.seconds:
        scaled = statistics.median(_metric_part(r) * _metric_scale(r) for r in runs)
        how += (
            f"; the metric part extrapolated to {scaled:.0f} s, and the metric-only networkx "
            f"run took {metric_only.median_seconds or 0.0:.0f} s in full on the same graph"
        )
    figure.process_seconds = [round(wall, 3) for wall in walls]
    figure.seconds = []
    figure.estimate_seconds = statistics.median(estimates)
    figure.peak_rss_bytes = None
    figure.note = f"not run in full: {how}"
    return f"networkx pipeline {how} (`{figure.command}`)"
