"""The ``analyze`` stage: ``matcher analyze`` end to end, against networkx and igraph.

Figures (each the median of several runs, interleaved, each run a child process so that its
peak memory is its own):

* ``analyze.cli``: ``matcher analyze`` as a user runs it (load → graph → metrics → flags →
  files);
* ``analyze.pipeline.<library>``: the same work written by hand with pandas and plain networkx
  or plain igraph (:mod:`benchmarks.baselines.e2e`): read both CSV files, aggregate the interactions
  into the same tie strengths, reciprocity and strong ties as ``matcher.analysis.graph.build_graph``,
  build the graphs, compute the metric set, write a per-person CSV; timed from start to exit
  like the CLI;
* ``analyze.metrics.<library>``: the analysis's metric set (core number, PageRank, Louvain,
  pivot-sampled betweenness) from the same aggregated edge lists, in matcher, plain networkx
  and plain igraph (:mod:`benchmarks.pipelines`, :mod:`benchmarks.baselines.metrics`), timed inside the worker.

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

from benchmarks.baselines.e2e import read_outputs
from benchmarks.measure import (
    analyze_command,
    display_command,
    python_command,
    run_measured,
)
from benchmarks.orgs import ensure_graph
from benchmarks.pipelines import GraphInputs
from benchmarks.quality import analysis_quality
from benchmarks.results import Figure, StepTimes
from benchmarks.stages.analyze.checks import (
    CLI,
    CLI_PARQUET,
    METRICS,
    PIPELINE,
    agreements,
    check_pipeline_graph,
    check_same_graph,
    quality_target,
    targets,
    xl_targets,
)
from benchmarks.stages.analyze.probe import PROBE_EXPONENT, extrapolate_pipeline
from benchmarks.stages.base import (
    Job,
    StageContext,
    StageResult,
    make_job,
    median_steps,
    run_round_robin,
)
from benchmarks.targets import size_class

STAGE = "analyze"
PIPELINE_LABEL = "{} pipeline"
"""Name of a pipeline's ratios, steps and agreement rows."""
BASELINES = ("networkx", "igraph")
PROBE_ABOVE_EDGES = 2_000_000
"""networkx first runs on a subsample when the three graphs have more edges than this."""
PROBE_FRACTION = 0.2


def run(ctx: StageContext) -> StageResult:
    """Measure the analyze stage on the context's org (see the module docstring)."""
    if size_class(ctx.size.employees) == "XL":
        return run_xl(ctx)
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
    result.notes.extend(check_same_graph(graph_file, out_dir))
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
        result.notes.append(check_pipeline_graph(library, runs[0], out_dir))
        if runs[0]["subsample"] is None:
            outputs[PIPELINE_LABEL.format(library)] = read_outputs(_pipeline_outputs(work, library))
        else:
            metric_only = networkx_job.figure if networkx_job is not None else None
            result.notes.append(extrapolate_pipeline(job, runs, metric_only))
    result.notes.append(
        "the pipelines (`python -m benchmarks pipeline`, `benchmarks/baselines/e2e.py`) do by hand what "
        "`matcher analyze` does, short of the flags and reports: pandas (pyarrow engine) reads "
        "both CSV files and aggregates the interactions into the tie strengths, reciprocity "
        "and strong ties of `matcher.analysis.graph.build_graph` (default configuration; "
        "`tests/benchmarks/test_pipelines.py` checks the edge lists against it), networkx or igraph "
        "builds its graphs and computes the metric set (the metric-only baseline's code), "
        "pandas writes a per-person CSV; each is timed as a child process from start to exit, "
        "like the CLI, and matcher is not imported"
    )
    result.agreement = agreements(inputs, outputs)
    result.targets = targets(ctx.org.info, result.figures)
    result.targets.append(quality_target(result.quality, ctx.org.info.employees))
    return result


def run_xl(ctx: StageContext) -> StageResult:
    """At XL: ``matcher analyze`` alone, on the CSV files and on the Parquet files.

    No baseline runs here: the igraph pipeline would take minutes and networkx hours (their
    growth is measured from S to L); the flags are checked against the planted truth.
    """
    result = StageResult()
    work = ctx.runs_dir / STAGE
    org = ctx.org
    jobs = []
    for figure_id, label, employees, interactions in (
        (CLI, "matcher analyze, end to end (CLI), CSV files", org.employees, org.interactions),
        (
            CLI_PARQUET,
            "matcher analyze, end to end (CLI), Parquet files",
            org.employees_parquet,
            org.interactions_parquet,
        ),
    ):
        out_dir = work / ("cli-out" if figure_id == CLI else "cli-out-parquet")
        argv = analyze_command(employees, interactions, out_dir)
        jobs.append(
            make_job(
                figure_id,
                STAGE,
                label,
                _same_argv(argv),
                runs=ctx.size.repeat,
                log_dir=work / "logs" / figure_id,
                root=ctx.root,
            )
        )
    ctx.log(f"analyze (XL): {len(jobs)} workloads, {ctx.size.repeat} run(s) each")
    run_round_robin(jobs, root=ctx.root, log=ctx.log)
    result.figures = [job.figure for job in jobs]
    result.quality = analysis_quality(work / "cli-out", org.truth, jobs[0].figure.command)
    result.notes.append(_betweenness_note(work / "cli-out" / "summary.json"))
    result.targets = xl_targets(org.info, result.figures, result.quality)
    return result


def _same_argv(argv: list[str]) -> Callable[[int], list[str]]:
    """Every run of a job the same command."""
    return lambda _k: argv


def _betweenness_note(summary_file: Path) -> str:
    """What ``summary.json`` says of the sampled betweenness and its error bound."""
    summary = json.loads(summary_file.read_text(encoding="utf-8"))
    bound = summary.get("betweenness")
    if not isinstance(bound, dict):
        return "summary.json states no betweenness error bound"
    return (
        f"betweenness sampled from {bound['pivots']} pivot sources: each person's normalised "
        f"betweenness within ±{bound['epsilon']:.3g} of the exact value with probability "
        f"{bound['confidence']:.0%} (Hoeffding; {bound['method']})"
    )


def _analyze_argv(ctx: StageContext, out_dir: Path) -> list[str]:
    return analyze_command(ctx.org.employees, ctx.org.interactions, out_dir)


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
