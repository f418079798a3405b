"""The Markdown page of one run (``results/<date>-<size>.md``), from its result file.

docs/performance.md, across runs, is :mod:`benchmarks.performance`'s."""

from __future__ import annotations

import statistics

from benchmarks.baselines.e2e import STEPS as PIPELINE_STEPS
from benchmarks.pipelines import STEPS
from benchmarks.results import Figure, Outcome, Report, Setup, StepTimes
from benchmarks.tables import (
    code,
    count,
    fraction,
    memory,
    ratios_of,
    runs_text,
    seconds,
    table,
    verdict,
    wall,
)
from benchmarks.targets import TARGETS

PRECISION_ORDER = ("isolated", "peripheral", "siloed_team")


_INSIDE = {
    "analyze": ("graph build + metrics", "reading the edge lists"),
    "assign": ("the algorithm itself", "reading the arcs"),
}


def _note(figure: Figure) -> str:
    notes = [figure.note] if figure.note else []
    if figure.process_seconds and figure.seconds:  # without seconds: probe runs (see note)
        work, reading = _INSIDE.get(figure.stage, ("the work itself", "reading its inputs"))
        notes.append(
            f"timed inside the worker ({work}); the child process took "
            f"{seconds(statistics.median(figure.process_seconds))} with Python start-up and "
            f"{reading}"
        )
    if figure.cpu_seconds:
        notes.append(
            f"CPU time of the child (user + system, median): "
            f"{seconds(statistics.median(figure.cpu_seconds))}"
        )
    return "; ".join(notes)


def figures_table(report: Report, stage: str | None = None) -> str:
    """One row per figure, with the command beside it."""
    rows = [
        [
            figure.label,
            code(figure.command),
            runs_text(figure),
            wall(figure),
            memory(figure.peak_rss_bytes),
            ratios_of(report, figure),
            _note(figure),
        ]
        for figure in report.figures
        if stage is None or figure.stage == stage
    ]
    header = [
        "figure",
        "command",
        "runs",
        "wall time (median)",
        "peak memory",
        "vs baseline (same run)",
        "note",
    ]
    return table(header, rows)


def steps_table(report: Report) -> str:
    """Median seconds per metric step and library, with matcher's ratios (analyze)."""
    by_library = {s.library: s.steps for s in report.steps if s.stage == "analyze"}
    libraries = [name for name in ("matcher", "networkx", "igraph") if name in by_library]
    header = ["step", *libraries]
    baselines = [name for name in libraries if name != "matcher"]
    if "matcher" in by_library:
        header += [f"matcher / {name}" for name in baselines]
    rows = []
    for step in (*STEPS, "total"):
        values = {
            name: sum(steps.values()) if step == "total" else steps.get(step)
            for name, steps in by_library.items()
        }
        row = [step] + [seconds(values[name]) for name in libraries]
        if "matcher" in by_library:
            ours = values["matcher"]
            for name in baselines:
                theirs = values[name]
                row.append(f"{ours / theirs:.2f}" if ours is not None and theirs else "–")
        rows.append(row)
    return table(header, rows)


PIPELINE_SUFFIX = " pipeline"


def _is_pipeline(entry: StepTimes) -> bool:
    return entry.stage == "analyze" and PIPELINE_SUFFIX in entry.library


def pipeline_steps_table(report: Report) -> str:
    """Median seconds per step of the hand-written pipelines (analyze), beside the CLI's time."""
    entries = [s for s in report.steps if _is_pipeline(s)]
    header = ["step", *(entry.library for entry in entries)]
    rows = [
        [step, *(seconds(entry.steps.get(step)) for entry in entries)] for step in PIPELINE_STEPS
    ]
    rows.append(["total, inside the worker", *(seconds(sum(e.steps.values())) for e in entries)])
    figures = [report.figure(entry.figure) for entry in entries]
    rows.append(
        [
            "the figure: child process, start to exit",
            *("–" if f is None else wall(f) for f in figures),
        ]
    )
    cli = report.figure("analyze.cli")
    if cli is not None:
        rows.append(
            [
                "matcher analyze (CLI), start to exit",
                *(seconds(cli.median_seconds) for _ in entries),
            ]
        )
    return table(header, rows)


def quality_table(report: Report) -> str:
    rows = [
        [
            q.what,
            f"{q.planted:,}",
            f"{q.flagged:,}",
            f"{q.true_positives:,}",
            fraction(q.precision),
            fraction(q.recall),
            code(q.command),
        ]
        for q in report.quality
    ]
    header = ["flag", "planted", "flagged", "both", "precision", "recall", "command"]
    return table(header, rows)


def agreement_table(report: Report) -> str:
    rows = [
        [
            a.library,
            f"{a.coreness_equal_share:.2%}",
            f"{a.pagerank_l1:.1e}",
            f"{a.betweenness_max_abs_diff:.1e}",
            f"{a.modularity:.4f}",
            f"{a.communities:,}",
        ]
        for a in report.agreement
    ]
    header = [
        "library",
        "core numbers equal to matcher's",
        "PageRank L1 distance to matcher's",
        "betweenness max abs difference",
        "Louvain modularity",
        "communities",
    ]
    return table(header, rows)


def _objective(outcome: Outcome) -> tuple[str, str]:
    if outcome.objective is None:
        return "–", "–"
    ratio = "–"
    if outcome.bound:
        ratio = f"{outcome.objective / outcome.bound:.4f}"
    return f"{outcome.objective:,.3f}", ratio


def _outcome_row(outcome: Outcome, report: Report) -> list[str]:
    objective, ratio = _objective(outcome)
    figure = report.figure(outcome.figure) if outcome.figure else None
    command = code(figure.command) if figure is not None else "–"
    flagged = "–"
    if outcome.flagged is not None and outcome.flagged_covered is not None:
        flagged = f"{outcome.flagged_covered:,} of {outcome.flagged:,}"
        if outcome.flagged_coverable is not None:
            flagged += f" (coverable {outcome.flagged_coverable:,})"
    return [
        outcome.instance_label,
        outcome.method,
        count(outcome.pairs) if outcome.ran else "not run",
        count(outcome.seekers_covered, outcome.seekers),
        flagged,
        count(outcome.flagged_missed_vs_matcher),
        objective,
        ratio,
        outcome.status,
        outcome.note,
        command,
    ]


def outcomes_table(report: Report) -> str:
    """Every solution of every assignment instance, matcher's and the baselines', with the
    command that produced it."""
    header = [
        "instance",
        "method",
        "pairs",
        "seekers covered",
        "flagged seekers covered",
        "flagged left out that matcher covers",
        "objective",
        "objective / matcher's bound",
        "status",
        "note",
        "command",
    ]
    return table(header, [_outcome_row(o, report) for o in report.outcomes])


def assign_steps_table(report: Report) -> str:
    """Median seconds of each library call per instance (in process), beside the CLI's time."""
    rows = []
    for entry in report.steps:
        if entry.stage != "assign" or ":" in entry.library:
            continue
        steps = entry.steps
        cli = report.figure(entry.figure.removesuffix(".solve") + ".cli")
        shared = sum(v for k, v in steps.items() if "(once)" in k)
        own = sum(v for k, v in steps.items() if "(once)" not in k)
        end_to_end = cli.median_seconds if cli is not None else None
        rest = None if end_to_end is None else end_to_end - shared - own
        rest_text = seconds(rest) if rest is None or rest >= 0 else "< 0 (noise)"
        rows.append(
            [
                entry.library,
                seconds(steps.get("load (once)")),
                seconds(steps.get("analyze (once)")),
                seconds(steps.get("population (once)")),
                seconds(steps.get("compile")),
                seconds(steps.get("solve")),
                seconds(steps.get("explain")),
                seconds(end_to_end),
                rest_text,
            ]
        )
    header = [
        "instance",
        "load",
        "analyze",
        "population",
        "compile",
        "solve",
        "explain",
        "CLI end to end",
        "CLI − these steps (start-up, imports, history, writing; rough: other processes)",
    ]
    return table(header, rows)


def _profile_text(entry: StepTimes) -> str:
    total = sum(entry.steps.values())
    parts = [f"{name} {seconds(value)}" for name, value in entry.steps.items() if value >= 0.0005]
    return f"{seconds(total)}: " + ", ".join(parts)


def _profile_rows(entry: StepTimes, top: int) -> list[list[str]]:
    instance, call = entry.library.split(": ", 1)
    if not entry.profile:  # a result file from before the cProfile profiles
        return [[instance, call, _profile_text(entry), "–", "–", "–"]]
    total = sum(entry.steps.values())
    rows = [
        [
            instance,
            call,
            code(row.function),
            f"{row.calls:,}",
            seconds(row.own),
            seconds(row.cumulative),
        ]
        for row in entry.profile[:top]
    ]
    rest = total - sum(row.own for row in entry.profile[:top]) - entry.steps.get("other", 0.0)
    rows.append([instance, call, "other matcher functions", "–", seconds(max(rest, 0.0)), "–"])
    rows.append(
        [instance, call, "outside matcher's functions", "–", seconds(entry.steps.get("other")), "–"]
    )
    return rows


def assign_profile_table(report: Report, top: int = 8) -> str:
    """Where compile and solve spend their time, per instance: cProfile's matcher functions
    (median over runs), the ``top`` by own time, with their calls and cumulative time."""
    rows = [
        row
        for entry in report.steps
        if entry.stage == "assign" and ":" in entry.library
        for row in _profile_rows(entry, top)
    ]
    return table(
        [
            "instance",
            "call",
            "matcher function (module:function)",
            "calls",
            "own time (with the library calls it makes)",
            "cumulative time",
        ],
        rows,
    )


def targets_table(report: Report) -> str:
    """The run's targets, each with what its row of the targets table measures."""
    rows = []
    for t in report.targets:
        spec = next((spec for spec in TARGETS if spec.names(t)), None)
        metric = spec.metric if spec is not None else "–"
        rows.append([t.target, metric, t.measured, verdict(t.met), t.margin])
    return table(["target", "what is measured", "measured", "result", "by how much"], rows)


def _setup_row(step: Setup) -> list[str]:
    if step.reused:
        when = f"reused (measured {step.measured_on})" if step.measured_on else "reused"
    else:
        when = f"this run ({step.measured_on})"
    return [
        step.what,
        code(step.command),
        seconds(step.seconds),
        memory(step.peak_rss_bytes),
        when,
    ]


def setup_table(report: Report) -> str:
    rows = [_setup_row(step) for step in report.setup]
    return table(["setup step (not compared)", "command", "wall time", "peak memory", "when"], rows)


def _earlier_stage(report: Report, stage: str) -> bool:
    return any(stage in run.stages for run in report.earlier)


def _header(report: Report) -> str:
    m = report.machine
    org = report.org
    planted = ", ".join(f"{count:,} {kind}" for kind, count in sorted(org.planted.items()))
    return "\n".join(
        [
            f"# Benchmarks: size {report.size}, {report.date}",
            "",
            f"Produced by {code(report.invocation)} (stages: "
            f"{', '.join(s for s in report.stages if not _earlier_stage(report, s))})"
            + "".join(
                f"; stages {', '.join(run.stages)} kept from {code(run.invocation)} ("
                + (f"{run.date}, " if run.date and run.date != report.date else "")
                + f"matcher {run.commit}, load from other processes {run.background_load}, "
                f"{run.repeat} runs per workload)"
                for run in report.earlier
            )
            + ".",
            "",
            f"Machine: {m.get('cpus', '?')} CPUs, {m.get('memory', '?')} RAM, {m.get('platform', '?')}, "
            f"Python {m.get('python', '?')}; matcher {m.get('commit', '?')}; {m.get('libraries', '')}. "
            f"OMP_NUM_THREADS {m.get('omp_num_threads', 'not recorded')}; load from other processes "
            f"during the run: {m.get('background_load', 'not measured')}.",
            "",
            f"Org: {org.employees:,} employees (seed {org.seed}), {org.interaction_rows:,} "
            f"interaction rows ({org.interactions_bytes / 1e6:,.0f} MB) in `{org.directory}`; "
            f"planted: {planted}.",
            "",
            "Wall time is the median of the runs (workloads interleaved run by run); peak memory is "
            "the largest maximum resident set size of the child process over its runs. Every ratio "
            "divides by a baseline measured in the same run: below 1 means matcher is faster or "
            "smaller. The machine is shared and noisy: quote medians and ratios, not single runs.",
        ]
    )


def _notes(report: Report) -> list[str]:
    notes = [f"- {stage}: {note}" for stage, found in report.stage_notes.items() for note in found]
    notes += [f"- {note}" for note in report.notes]
    for run in report.earlier:
        notes += [f"- (run of {', '.join(run.stages)}) {note}" for note in run.notes]
    return notes


def render_report(report: Report) -> str:
    """The Markdown page of one run."""
    parts = [_header(report)]
    stages = [s for s in report.stages if any(f.stage == s for f in report.figures)]
    for stage in stages:
        parts += [f"## Figures: {stage}", figures_table(report, stage)]
    if any(s.stage == "analyze" and not _is_pipeline(s) for s in report.steps):
        parts += ["## Metric steps, median seconds (analyze)", steps_table(report)]
    if any(_is_pipeline(s) for s in report.steps):
        parts += [
            "## Pipelines by hand, median seconds per step (analyze)",
            "pandas reads both CSV files and aggregates the interactions as "
            "`matcher.analysis.graph.build_graph` does; the library builds its graphs and computes the "
            "metric set; pandas writes one row per person. A probe ran its metric part on a "
            "subsample of people (the figure is then extrapolated: see its note).",
            pipeline_steps_table(report),
        ]
    if report.outcomes:
        parts += [
            "## Assignments: matcher against the baselines, same instances (assign)",
            "Objective: total score of the pairs (higher is better); matcher serves as many "
            "seekers as possible first, then maximises the score; its bound is the optimum "
            "or a certified upper bound. Flagged seekers: `isolated` or `peripheral` in the "
            "analysis.",
            outcomes_table(report),
        ]
    if any(s.stage == "assign" for s in report.steps):
        parts += [
            "## matcher's library calls per instance, median seconds (assign, in process)",
            assign_steps_table(report),
            "### Where compile and solve spend their time",
            "cProfile of each call, grouped by matcher function (`benchmarks/profiling.py`), "
            "medians over the runs; compile's threads are summed, so its rows can add up to "
            "more than its wall time."
            if any(entry.profile for entry in report.steps)
            else "Seconds in the functions the harness wrapped by name (a result file from "
            "before the cProfile profiles), medians over the runs; compile's threads summed.",
            assign_profile_table(report),
        ]
    if report.quality:
        parts += ["## Quality against the generator's truth.csv", quality_table(report)]
    if report.agreement:
        parts += [
            "## Do the baselines compute the same metrics? (against matcher's, same graph)",
            agreement_table(report),
        ]
    if report.targets:
        parts += ["## Targets", targets_table(report)]
    if report.setup:
        parts += ["## Setup", setup_table(report)]
    notes = _notes(report)
    if notes:
        parts += ["## Notes", "\n".join(notes)]
    return "\n\n".join(parts) + "\n"
