"""Markdown from result files: one page per run, and docs/performance.md."""

from __future__ import annotations

import statistics
from collections.abc import Iterable, Sequence

from benchmarks.pipelines import STEPS
from benchmarks.results import Figure, Outcome, Ratio, Report, Setup, StepTimes

MIB, GIB = 2**20, 2**30
PRECISION_ORDER = ("isolated", "peripheral", "siloed_team")


def table(header: Sequence[str], rows: Iterable[Sequence[str]]) -> str:
    """A Markdown table; ``|`` in cells is escaped.

    >>> print(table(["a", "b"], [["1", "x|y"]]))
    | a | b |
    |---|---|
    | 1 | x\\|y |
    """
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for row in rows:
        lines.append("| " + " | ".join(cell.replace("|", "\\|") for cell in row) + " |")
    return "\n".join(lines)


def seconds(value: float | None) -> str:
    """Seconds with three significant figures.

    >>> seconds(3.4149), seconds(25.31), seconds(231.4), seconds(None)
    ('3.41 s', '25.3 s', '231 s', '–')
    """
    if value is None:
        return "–"
    if value >= 100:
        return f"{value:.0f} s"
    return f"{value:.3g} s"


def memory(value: int | None) -> str:
    """Bytes as MiB below 1 GiB, else GiB.

    >>> memory(734_003_200), memory(2_254_857_830), memory(None)
    ('700 MiB', '2.10 GiB', '–')
    """
    if value is None:
        return "–"
    if value < GIB:
        return f"{value / MIB:.0f} MiB"
    return f"{value / GIB:.2f} GiB"


def code(command: str) -> str:
    return f"`{command}`"


def ratio_text(ratio: Ratio) -> str:
    """``figure / baseline`` in words.

    >>> ratio_text(Ratio(figure="a", baseline="b", name="igraph", time=0.25, memory=1.5))
    'igraph: 0.25× time (4.0× faster), 1.50× memory'
    >>> ratio_text(Ratio(figure="a", baseline="b", name="networkx", time=3.1e-5, memory=None))
    'networkx: 3.1e-05× time (32,258× faster)'
    """
    parts: list[str] = []
    if ratio.time is not None:
        shown = f"{ratio.time:.2f}" if ratio.time >= 0.01 else f"{ratio.time:.2g}"
        if ratio.time < 1:
            faster = 1 / ratio.time
            pace = f"{faster:.1f}" if faster < 100 else f"{faster:,.0f}"
            parts.append(f"{shown}× time ({pace}× faster)")
        else:
            parts.append(f"{shown}× time ({ratio.time:.1f}× slower)")
    if ratio.memory is not None:
        parts.append(f"{ratio.memory:.2f}× memory")
    text = f"{ratio.name}: " + ", ".join(parts or ["not comparable"])
    return text + (" (baseline estimated)" if ratio.estimated else "")


def _wall(figure: Figure) -> str:
    if figure.estimated:
        return f"~{seconds(figure.estimate_seconds)} (estimate)"
    return seconds(figure.median_seconds)


def _runs(figure: Figure) -> str:
    if figure.runs:
        return str(figure.runs)
    if figure.estimated and figure.process_seconds:
        return f"0 in full, {len(figure.process_seconds)} probe"
    return "0 (skipped)"


def _ratios_of(report: Report, figure: Figure) -> str:
    found = [ratio_text(r) for r in report.ratios if r.figure == figure.id]
    return "; ".join(found) if found else "baseline"


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
    return "; ".join(notes)


def figures_table(report: Report, stage: str | None = None) -> str:
    """One row per figure, with the command beside it."""
    rows = [
        [
            figure.label,
            code(figure.command),
            _runs(figure),
            _wall(figure),
            memory(figure.peak_rss_bytes),
            _ratios_of(report, figure),
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
    from benchmarks.e2e import STEPS as PIPELINE_STEPS

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
            *("–" if f is None else _wall(f) for f in figures),
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


def _fraction(value: float | None) -> str:
    return "–" if value is None else f"{value:.3f}"


def quality_table(report: Report) -> str:
    rows = [
        [
            q.what,
            f"{q.planted:,}",
            f"{q.flagged:,}",
            f"{q.true_positives:,}",
            _fraction(q.precision),
            _fraction(q.recall),
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


def _count(value: int | None, of: int | None = None) -> str:
    if value is None:
        return "–"
    if of:
        return f"{value:,} ({value / of:.1%})"
    return f"{value:,}"


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
        _count(outcome.pairs) if outcome.ran else "not run",
        _count(outcome.seekers_covered, outcome.seekers),
        flagged,
        _count(outcome.flagged_missed_vs_matcher),
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


def assign_profile_table(report: Report) -> str:
    """Where compile and solve spend their time, per instance (median over runs)."""
    rows = [
        [entry.library.split(":")[0], entry.library.split(": ")[1], _profile_text(entry)]
        for entry in report.steps
        if entry.stage == "assign" and ":" in entry.library
    ]
    return table(
        [
            "instance",
            "call",
            "median seconds, by matcher function (compile: summed over its threads)",
        ],
        rows,
    )


def _verdict(met: bool | None) -> str:
    return {True: "**met**", False: "**missed**", None: "n/a"}[met]


def targets_table(report: Report) -> str:
    rows = [[t.target, t.measured, _verdict(t.met), t.margin] for t in report.targets]
    return table(["target", "measured", "result", "by how much"], rows)


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


# ------------------------------------------------------------------------------- README


def _readme_rows(report: Report) -> list[list[str]]:
    rows: list[list[str]] = []
    for step in report.setup[:1]:  # the org's generation
        rows.append(
            [
                report.size,
                step.what,
                code(step.command),
                seconds(step.seconds),
                memory(step.peak_rss_bytes),
                "setup, not compared",
            ]
        )
    for figure in report.figures:
        if not figure.baselines and not figure.id.endswith(".cli"):
            continue
        rows.append(
            [
                report.size,
                figure.label,
                code(figure.command),
                f"{_wall(figure)} (median of {figure.runs})",
                memory(figure.peak_rss_bytes),
                _ratios_of(report, figure),
            ]
        )
    return rows


def render_readme(reports: Sequence[Report], sources: Sequence[str]) -> str:
    """The README's ``## Performance`` section from the newest result file of each size."""
    if not reports:
        return "## Performance\n\nNo results yet: run `python -m benchmarks run --size S`.\n"
    machine = reports[-1].machine
    rows = [row for report in reports for row in _readme_rows(report)]
    header = ["size", "workload", "command", "wall time", "peak memory", "vs baseline (same run)"]
    parts = [
        "## Performance",
        f"Generated by `python -m benchmarks readme` from {', '.join(f'`{s}`' for s in sources)}, "
        f"measured on {machine.get('cpus', '?')} CPUs and {machine.get('memory', '?')} RAM (a shared, "
        "noisy machine: medians of several runs, and ratios against baselines measured in the "
        "same run; below 1 means matcher is faster or smaller). Each figure's command runs from "
        "the repository root once `python -m benchmarks run --size S|M|L` has generated the orgs "
        "in `benchmarks/work/`. The analyze rows are compared like for like: the end-to-end "
        "CLI run against the same pipeline written by hand with pandas and plain networkx or "
        "igraph (read both CSV files, aggregate the interactions into the same tie strengths "
        "and strong ties, compute the metric set, write a per-person CSV; the CLI also sets the "
        "flags and writes its reports), and matcher's metric set (core number, PageRank, "
        "Louvain, betweenness from the same 64 pivots) against the libraries' from the same "
        "aggregated edge lists. The assign rows run `matcher assign` "
        "on mentoring programs with the contract's rules (the files are written to "
        "`benchmarks/work/runs/<org>/assign/programs/`); their baselines solve the same eligible "
        "pairs and scores: the bare OR-Tools min-cost flow on all of them (the floor for this "
        "structure), scipy's `linear_sum_assignment` on the 1:1 instance, networkx "
        "`max_weight_matching` and the PyPI package mentor-match (on growing sub-instances, "
        "up to a time budget), greedy by score and random pairing.",
        table(header, rows),
    ]
    largest = reports[-1]
    if any(r.targets for r in reports):
        parts += [
            "### Targets",
            f"Every target of size {largest.size}, and those of the smaller sizes that apply "
            "there (the side-constraint targets at 2k × 500 are checked at M).",
            _readme_targets(reports),
        ]
    with_outcomes = [r for r in reports if r.outcomes]
    if with_outcomes:
        shown = with_outcomes[-1]
        parts += [
            f"### Assignments against the baselines (size {shown.size}, "
            f"{_stage_date(shown, 'assign')})",
            "Objective: total score (higher is better), after serving as many seekers as "
            "possible; flagged seekers are those the analysis marks `isolated` or `peripheral`.",
            outcomes_table(shown),
        ]
    quality = [r for r in reports if r.quality]
    if quality:
        parts += ["### Flags against the generator's planted truth", _readme_quality(quality)]
    return "\n\n".join(parts) + "\n"


def _stage_date(report: Report, stage: str) -> str:
    """When ``stage`` was measured: the date of the earlier run it was kept from, if any."""
    earlier = next((run for run in report.earlier if stage in run.stages), None)
    return earlier.date if earlier is not None and earlier.date else report.date


def _readme_targets(reports: Sequence[Report]) -> str:
    rows = [
        [
            f"{report.size} ({_stage_date(report, t.stage)})",
            t.target,
            t.measured,
            _verdict(t.met),
            t.margin,
        ]
        for k, report in enumerate(reports)
        for t in report.targets
        if t.met is not None or k == len(reports) - 1
    ]
    return table(["size", "target", "measured", "result", "by how much"], rows)


def _readme_quality(reports: Sequence[Report]) -> str:
    rows = []
    for report in reports:
        by_what = {q.what: q for q in report.quality}
        row = [report.size]
        for what in PRECISION_ORDER:
            q = by_what.get(what)
            row.append("–" if q is None else f"{_fraction(q.precision)} / {_fraction(q.recall)}")
        rows.append(row)
    header = ["size", *(f"{what}: precision / recall" for what in PRECISION_ORDER)]
    return table(header, rows)
