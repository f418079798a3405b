"""The ``analyze`` stage: ``matcher analyze`` end to end, against networkx and igraph.

Figures (each the median of several runs, interleaved):

* ``analyze.cli``: ``matcher analyze`` as a user runs it (load → graph → metrics → flags →
  files), in a child process so that its peak memory is its own;
* ``analyze.metrics.<library>``: the analysis's metric set (core number, PageRank, Louvain,
  pivot-sampled betweenness) from the same aggregated edge lists, in matcher, plain networkx
  and plain igraph (:mod:`benchmarks.pipelines`), each in its own child process.

``analyze.cli`` and ``analyze.metrics.matcher`` are both paired with the two baselines: the
first ratio is end to end against metrics only (matcher does strictly more work), the second
is like for like. networkx runs on a subsample first when the graph is large, and is skipped
(with the extrapolated estimate in the table) when it would exceed the time budget.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import numpy as np

from benchmarks.measure import display_command, matcher_command, python_command, run_measured
from benchmarks.orgs import ensure_graph, graph_counts
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
    baselines = {name: METRICS.format(name) for name in BASELINES}

    out_dir = work / "cli-out"
    cli = make_job(
        CLI,
        STAGE,
        "matcher analyze, end to end (CLI)",
        lambda _k: _analyze_argv(ctx, out_dir),
        runs=ctx.size.repeat,
        log_dir=work / "logs" / "cli",
        root=ctx.root,
        baselines=baselines,
    )
    jobs = [cli]
    jobs.append(_metrics_job(ctx, "matcher", graph_file, work, ctx.size.repeat, baselines))
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


# ------------------------------------------------------------------------------ targets


def targets(ctx: StageContext, figures: list[Figure]) -> list[Target]:
    """The issue's targets for the analyze stage, met or missed and by how much.

    The end-to-end figure is what the targets name; the like-for-like figure (metric set
    only, same edge lists) is checked too, so a miss can be told apart from CLI overhead.
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
    comparisons: list[tuple[str, Callable[[Figure, Figure], Target]]] = [
        (
            "networkx",
            lambda ours, theirs: ratio_at_least(
                STAGE, "≥ 10× faster than plain networkx (M and L)", ours, theirs, 10.0, is_m_or_l
            ),
        ),
        (
            "igraph",
            lambda ours, theirs: ratio_at_most(
                STAGE, "not slower than plain igraph", ours, theirs, 1.0, True
            ),
        ),
    ]
    for baseline, check in comparisons:
        theirs = by_id.get(METRICS.format(baseline))
        for ours_id in (CLI, METRICS.format("matcher")):
            ours = by_id.get(ours_id)
            if ours is not None and theirs is not None:
                rows.append(check(ours, theirs))
    return rows
