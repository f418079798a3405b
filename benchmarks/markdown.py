"""Markdown from result files: one page per run, and the README's performance section."""

from __future__ import annotations

import statistics
from collections.abc import Iterable, Sequence

from benchmarks.pipelines import STEPS
from benchmarks.results import Figure, Ratio, Report, Setup

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
    """
    parts: list[str] = []
    if ratio.time is not None:
        if ratio.time < 1:
            parts.append(f"{ratio.time:.2f}× time ({1 / ratio.time:.1f}× faster)")
        else:
            parts.append(f"{ratio.time:.2f}× time ({ratio.time:.1f}× slower)")
    if ratio.memory is not None:
        parts.append(f"{ratio.memory:.2f}× memory")
    text = f"{ratio.name}: " + ", ".join(parts or ["not comparable"])
    return text + (" (baseline estimated)" if ratio.estimated else "")


def _wall(figure: Figure) -> str:
    if figure.estimated:
        return f"~{seconds(figure.estimate_seconds)} (estimate)"
    return seconds(figure.median_seconds)


def _runs(figure: Figure) -> str:
    return str(figure.runs) if figure.runs else "0 (skipped)"


def _ratios_of(report: Report, figure: Figure) -> str:
    found = [ratio_text(r) for r in report.ratios if r.figure == figure.id]
    return "; ".join(found) if found else "baseline"


def _note(figure: Figure) -> str:
    notes = [figure.note] if figure.note else []
    if figure.process_seconds:
        notes.append(
            "timed inside the worker (graph build + metrics); the child process took "
            f"{seconds(statistics.median(figure.process_seconds))} with Python start-up and "
            "reading the edge lists"
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
    """Median seconds per metric step and library, with matcher's ratios."""
    by_library = {s.library: s.steps for s in report.steps}
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


def _header(report: Report) -> str:
    m = report.machine
    org = report.org
    planted = ", ".join(f"{count:,} {kind}" for kind, count in sorted(org.planted.items()))
    return "\n".join(
        [
            f"# Benchmarks: size {report.size}, {report.date}",
            "",
            f"Produced by {code(report.invocation)} (stages: {', '.join(report.stages)}).",
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


def render_report(report: Report) -> str:
    """The Markdown page of one run."""
    parts = [_header(report), "## Figures", figures_table(report)]
    if report.steps:
        parts += ["## Metric steps, median seconds (analyze)", steps_table(report)]
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
    if report.notes:
        parts += ["## Notes", "\n".join(f"- {note}" for note in report.notes)]
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
        if not figure.baselines:
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
        "in `benchmarks/work/`. The baselines compute the analysis's metric set (core number, "
        "PageRank, Louvain, betweenness from the same 64 pivots) with plain networkx or igraph "
        "from the same aggregated edge lists; the end-to-end row also loads the CSV files, builds "
        "the graph, sets the flags and writes the outputs.",
        table(header, rows),
    ]
    largest = reports[-1]
    if largest.targets:
        parts += [f"### Targets (size {largest.size}, {largest.date})", targets_table(largest)]
    quality = [r for r in reports if r.quality]
    if quality:
        parts += ["### Flags against the generator's planted truth", _readme_quality(quality)]
    return "\n\n".join(parts) + "\n"


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
