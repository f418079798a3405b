"""The ``analyze`` stage: ``matcher analyze`` end to end, against networkx and igraph.

Figures (each the median of several runs, interleaved, each run a child process so that its
peak memory is its own):

* ``analyze.cli``: ``matcher analyze`` as a user runs it (load → graph → metrics → flags →
  files);
* ``analyze.pipeline.<library>``: the same work written by hand with pandas and plain networkx
  or plain igraph (:mod:`benchmarks.e2e`): read both CSV files, aggregate the interactions
  into the same tie strengths, reciprocity and strong ties as ``matcher.analysis.graph.build_graph``,
  build the graphs, compute the metric set, write a per-person CSV; timed from start to exit
  like the CLI;
* ``analyze.metrics.<library>``: the analysis's metric set (core number, PageRank, Louvain,
  pivot-sampled betweenness) from the same aggregated edge lists, in matcher, plain networkx
  and plain igraph (:mod:`benchmarks.pipelines`), timed inside the worker.

Two like-for-like pairings: ``analyze.cli`` against the two pipelines (end to end), and
``analyze.metrics.matcher`` against the two metric sets; the issue's targets are checked on
both. The metric-only networkx run is probed on a subsample first when the graphs are large,
and skipped (with the extrapolated estimate in the table) when it would exceed the time
budget. The networkx pipeline then always runs as a probe: the files are read and aggregated
in full, the metric part runs on the first ``PROBE_FRACTION`` of people, and its time is
extrapolated like the metric-only probe's (the figure is an estimate, without peak memory).
Each pipeline's graph counts are checked against ``summary.json`` of ``matcher analyze``,
and the metrics of those run in full against matcher's (agreement table).
"""

from __future__ import annotations

import json
import statistics
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from benchmarks.e2e import read_outputs
from benchmarks.measure import display_command, matcher_command, python_command, run_measured
from benchmarks.orgs import ensure_graph, graph_counts
from benchmarks.pipelines import STEPS as METRIC_STEPS
from benchmarks.pipelines import GraphInputs
from benchmarks.quality import agreement, analysis_quality
from benchmarks.results import Agreement, Figure, StepTimes, Target
from benchmarks.stages.base import (
    Job,
    StageContext,
    StageResult,
    make_job,
    median_steps,
    run_round_robin,
)
from benchmarks.stages.targets import at_most, ratio_at_least, ratio_at_most

STAGE = "analyze"
CLI = "analyze.cli"
METRICS = "analyze.metrics.{}"
PIPELINE = "analyze.pipeline.{}"
PIPELINE_LABEL = "{} pipeline"
"""Name of a pipeline's ratios, steps and agreement rows."""
END_TO_END = "end to end: the CLI run against the same work by hand, CSV files to per-person CSV"
LIKE_FOR_LIKE = "like for like: metric set against metric set, same edge lists"
BASELINES = ("networkx", "igraph")
PROBE_ABOVE_EDGES = 2_000_000
"""networkx first runs on a subsample when the three graphs have more edges than this."""
PROBE_FRACTION = 0.2
PROBE_EXPONENT = 1.2
"""networkx time is extrapolated as (nodes + edges) ** 1.2: at L (99,000 nodes, 4.9M edges) a
linear extrapolation from the 20% probe said 188 s and the full run took 306 s (exponent 1.19)."""
L_EMPLOYEES, L_ROWS = 100_000, 5_000_000
M_EMPLOYEES = 20_000
GIB = 2**30


def run(ctx: StageContext) -> StageResult:
    """Measure the analyze stage on the context's org (see the module docstring)."""
    result = StageResult()
    graph_file, setup = ensure_graph(ctx.org, root=ctx.root, log=ctx.log)
    result.setup.append(setup)
    inputs = GraphInputs.load(graph_file)
    work = ctx.runs_dir / STAGE
    metric_baselines = {name: METRICS.format(name) for name in BASELINES}
    pipeline_baselines = {PIPELINE_LABEL.format(name): PIPELINE.format(name) for name in BASELINES}

    out_dir = work / "cli-out"
    cli = make_job(
        CLI,
        STAGE,
        "matcher analyze, end to end (CLI)",
        lambda _k: _analyze_argv(ctx, out_dir),
        runs=ctx.size.repeat,
        log_dir=work / "logs" / "cli",
        root=ctx.root,
        baselines=pipeline_baselines,
    )
    probe = PROBE_FRACTION if inputs.edges > PROBE_ABOVE_EDGES else None
    pipelines = [
        _pipeline_job(ctx, "igraph", work, ctx.size.repeat, subsample=None),
        _pipeline_job(ctx, "networkx", work, ctx.size.networkx_repeat, subsample=probe),
    ]
    jobs = [cli, *pipelines]
    jobs.append(_metrics_job(ctx, "matcher", graph_file, work, ctx.size.repeat, metric_baselines))
    jobs.append(_metrics_job(ctx, "igraph", graph_file, work, ctx.size.repeat, {}))
    networkx_job, skipped = _plan_networkx(ctx, inputs, graph_file, work, result)
    if networkx_job is not None:
        jobs.append(networkx_job)
    ctx.log(f"analyze: {len(jobs)} workloads, up to {ctx.size.repeat} runs each")
    run_round_robin(jobs, root=ctx.root, log=ctx.log)

    result.figures = [job.figure for job in jobs]
    if skipped is not None:
        result.figures.append(skipped)
    if networkx_job is not None and networkx_job.figure.estimate_seconds is not None:
        measured = networkx_job.figure.median_seconds or 0.0
        estimate = networkx_job.figure.estimate_seconds
        result.notes.append(
            f"networkx took {measured:.0f} s in full against the {estimate:.0f} s estimated "
            f"from the probe ({measured / estimate:.2f}× the estimate)"
        )
    result.quality = analysis_quality(out_dir, ctx.org.truth, cli.figure.command)
    result.notes.extend(_check_same_graph(graph_file, out_dir))
    result.steps, outputs = _read_workers(jobs, work)
    records = {job.figure.id: _pipeline_records(work, job) for job in pipelines}
    for job in pipelines:
        library = _pipeline_library(job)
        runs = records[job.figure.id]
        inside = statistics.median(run["total"] for run in runs)
        job.figure.note = (
            f"timed as a child process from start to exit, like the CLI (Python start-up and "
            f"imports included); {inside:.3g} s of it in the steps"
        )
        result.steps.append(
            StepTimes(
                library=PIPELINE_LABEL.format(library)
                + ("" if probe is None or library != "networkx" else f" (probe, {probe:.0%})"),
                figure=job.figure.id,
                steps=median_steps([run["steps"] for run in runs]),
            )
        )
        result.notes.append(_check_pipeline_graph(library, runs[0], out_dir))
        if runs[0]["subsample"] is None:
            outputs[PIPELINE_LABEL.format(library)] = read_outputs(_pipeline_outputs(work, library))
        else:
            metric_only = networkx_job.figure if networkx_job is not None else None
            result.notes.append(_extrapolate_pipeline(job, runs, metric_only))
    result.notes.append(
        "the pipelines (`python -m benchmarks pipeline`, `benchmarks/e2e.py`) do by hand what "
        "`matcher analyze` does, short of the flags and reports: pandas (pyarrow engine) reads "
        "both CSV files and aggregates the interactions into the tie strengths, reciprocity "
        "and strong ties of `matcher.analysis.graph.build_graph` (default configuration; "
        "`tests/test_benchmarks.py` checks the edge lists against it), networkx or igraph "
        "builds its graphs and computes the metric set (the metric-only baseline's code), "
        "pandas writes a per-person CSV; each is timed as a child process from start to exit, "
        "like the CLI, and matcher is not imported"
    )
    result.agreement = _agreements(inputs, outputs)
    result.targets = targets(ctx, result.figures)
    return result


def _analyze_argv(ctx: StageContext, out_dir: Path) -> list[str]:
    org = ctx.org
    return [
        *matcher_command(),
        "analyze",
        "--employees",
        str(org.employees),
        "--interactions",
        str(org.interactions),
        "--out",
        str(out_dir),
        "--quiet",
    ]


def _worker_argv(
    library: str, graph_file: Path, out: Path, *, outputs: Path | None, subsample: float | None
) -> list[str]:
    argv = [
        *python_command(),
        "-m",
        "benchmarks",
        "metrics",
        "--library",
        library,
        "--graph",
        str(graph_file),
        "--out",
        str(out),
    ]
    if outputs is not None:
        argv += ["--outputs", str(outputs)]
    if subsample is not None:
        argv += ["--subsample", str(subsample)]
    return argv


def _timings_path(work: Path, library: str, k: int) -> Path:
    return work / library / f"timings-{k}.json"


def _outputs_path(work: Path, library: str) -> Path:
    return work / library / "outputs.npz"


def _pipeline_dir(work: Path, library: str) -> Path:
    return work / f"pipeline-{library}"


def _pipeline_timings(work: Path, library: str, k: int) -> Path:
    return _pipeline_dir(work, library) / f"timings-{k}.json"


def _pipeline_outputs(work: Path, library: str) -> Path:
    return _pipeline_dir(work, library) / "per-person.csv"


def _pipeline_library(job: Job) -> str:
    return job.figure.id.removeprefix(PIPELINE.format(""))


def _pipeline_job(
    ctx: StageContext, library: str, work: Path, runs: int, *, subsample: float | None
) -> Job:
    """The hand-written pipeline of ``library`` (every run writes the per-person CSV)."""

    def argv(k: int) -> list[str]:
        command = [
            *python_command(),
            "-m",
            "benchmarks",
            "pipeline",
            "--library",
            library,
            "--employees",
            str(ctx.org.employees),
            "--interactions",
            str(ctx.org.interactions),
            "--out",
            str(_pipeline_timings(work, library, k)),
            "--outputs",
            str(_pipeline_outputs(work, library)),
        ]
        if subsample is not None:
            command += ["--subsample", str(subsample)]
        return command

    return make_job(
        PIPELINE.format(library),
        STAGE,
        f"plain {library} pipeline by hand, end to end (pandas + {library}, CSV files to "
        "per-person CSV)",
        argv,
        runs=runs,
        log_dir=work / "logs" / f"pipeline-{library}",
        root=ctx.root,
    )


def _pipeline_records(work: Path, job: Job) -> list[dict[str, Any]]:
    """The timings each run of a pipeline wrote."""
    library = _pipeline_library(job)
    return [
        json.loads(_pipeline_timings(work, library, k).read_text(encoding="utf-8"))
        for k in range(len(job.figure.seconds))
    ]


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


def _extrapolate_pipeline(
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


def _metrics_job(
    ctx: StageContext,
    library: str,
    graph_file: Path,
    work: Path,
    runs: int,
    baselines: dict[str, str],
) -> Job:
    def argv(k: int) -> list[str]:
        outputs = _outputs_path(work, library) if k == 0 else None
        timings = _timings_path(work, library, k)
        return _worker_argv(library, graph_file, timings, outputs=outputs, subsample=None)

    def timed_inside(k: int) -> float:
        record = json.loads(_timings_path(work, library, k).read_text(encoding="utf-8"))
        return float(record["total"])

    return make_job(
        METRICS.format(library),
        STAGE,
        f"metric set in {library}, from the same edge lists",
        argv,
        runs=runs,
        log_dir=work / "logs" / library,
        root=ctx.root,
        baselines=baselines,
        timed_inside=timed_inside,
    )


def _plan_networkx(
    ctx: StageContext, inputs: GraphInputs, graph_file: Path, work: Path, result: StageResult
) -> tuple[Job | None, Figure | None]:
    """The networkx job, or (when it would exceed the budget) a figure holding the estimate."""
    job = _metrics_job(ctx, "networkx", graph_file, work, ctx.size.networkx_repeat, {})
    if inputs.edges <= PROBE_ABOVE_EDGES:
        return job, None
    probe_out = work / "networkx" / "probe.json"
    argv = _worker_argv("networkx", graph_file, probe_out, outputs=None, subsample=PROBE_FRACTION)
    ctx.log(f"networkx: probing on a {PROBE_FRACTION:.0%} subsample to estimate the full run")
    run_measured(argv, cwd=ctx.root, log_dir=work / "logs" / "networkx-probe")
    probe = json.loads(probe_out.read_text(encoding="utf-8"))
    scale = ((inputs.n + inputs.edges) / (probe["n"] + probe["edges"])) ** PROBE_EXPONENT
    estimate = float(probe["total"]) * scale
    how = (
        f"estimated {estimate:.0f} s: {probe['total']:.1f} s on the first {PROBE_FRACTION:.0%} "
        f"of people ({probe['n']:,} nodes, {probe['edges']:,} edges) × {scale:.1f} "
        f"((nodes + edges) ** {PROBE_EXPONENT}) by `{display_command(argv, ctx.root)}`"
    )
    job.figure.estimate_seconds = estimate  # kept beside the runs, to check the estimate
    result.notes.append(f"networkx {how}")
    if estimate <= ctx.networkx_budget:
        job.figure.note = f"ran in full (the probe {how})"
        return job, None
    skipped = job.figure.model_copy(
        update={"note": f"skipped: over the {ctx.networkx_budget:.0f} s budget; {how}"}
    )
    return None, skipped


def _read_workers(
    jobs: list[Job], work: Path
) -> tuple[list[StepTimes], dict[str, dict[str, np.ndarray]]]:
    """Per-step medians of each metric worker, and the per-person outputs of its first run."""
    steps: list[StepTimes] = []
    outputs: dict[str, dict[str, np.ndarray]] = {}
    for job in jobs:
        if not job.figure.id.startswith(METRICS.format("")):
            continue
        library = job.figure.id.removeprefix(METRICS.format(""))
        runs = [
            json.loads(_timings_path(work, library, k).read_text(encoding="utf-8"))["steps"]
            for k in range(job.runs)
        ]
        steps.append(StepTimes(library=library, figure=job.figure.id, steps=median_steps(runs)))
        with np.load(_outputs_path(work, library)) as data:
            outputs[library] = {name: data[name] for name in data.files}
    return steps, outputs


def _agreements(inputs: GraphInputs, outputs: dict[str, dict[str, np.ndarray]]) -> list[Agreement]:
    reference = outputs.get("matcher")
    if reference is None:
        return []
    community = inputs.community.symmetric(inputs.n)
    return [agreement(library, found, reference, community) for library, found in outputs.items()]


def _check_same_graph(graph_file: Path, out_dir: Path) -> list[str]:
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


def _check_pipeline_graph(library: str, record: dict[str, Any], out_dir: Path) -> str:
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


# ------------------------------------------------------------------------------ targets


def targets(ctx: StageContext, figures: list[Figure]) -> list[Target]:
    """The issue's targets for the analyze stage, met or missed and by how much.

    The speed targets compare like with like twice: the CLI against the baseline's pipeline
    written by hand (CSV files to per-person CSV, what the issue names), and matcher's metric
    set against the baseline's (same edge lists), so that a miss can be told apart from the
    cost of loading and aggregating.
    """
    by_id = {f.id: f for f in figures}
    cli = by_id.get(CLI)
    org = ctx.org.info
    is_l = org.employees >= L_EMPLOYEES
    is_m_or_l = org.employees >= M_EMPLOYEES
    rows: list[Target] = []
    scope = f"{org.employees:,} people, {org.interaction_rows / 1e6:.2f}M rows" + (
        "" if org.interaction_rows >= L_ROWS else " (fewer than the 5M the target names)"
    )
    if cli is not None:
        rows.append(
            at_most(
                STAGE,
                f"analyze L end to end ≤ 30 s ({scope})",
                cli.median_seconds,
                30.0,
                unit="s",
                applies=is_l,
            )
        )
        peak = None if cli.peak_rss_bytes is None else cli.peak_rss_bytes / GIB
        rows.append(
            at_most(
                STAGE,
                f"analyze L peak memory ≤ 4 GiB ({scope})",
                peak,
                4.0,
                unit="GiB",
                applies=is_l,
            )
        )
    comparisons: list[tuple[str, Callable[[Figure, Figure, str], Target]]] = [
        (
            "networkx",
            lambda ours, theirs, kind: ratio_at_least(
                STAGE,
                "≥ 10× faster than the plain-networkx pipeline (M and L)",
                ours,
                theirs,
                10.0,
                is_m_or_l,
                kind=kind,
            ),
        ),
        (
            "igraph",
            lambda ours, theirs, kind: ratio_at_most(
                STAGE, "not slower than the igraph pipeline", ours, theirs, 1.0, True, kind=kind
            ),
        ),
    ]
    for baseline, check in comparisons:
        for ours_id, theirs_id, kind in (
            (CLI, PIPELINE.format(baseline), END_TO_END),
            (METRICS.format("matcher"), METRICS.format(baseline), LIKE_FOR_LIKE),
        ):
            ours, theirs = by_id.get(ours_id), by_id.get(theirs_id)
            if ours is not None and theirs is not None:
                rows.append(check(ours, theirs, kind))
    return rows
