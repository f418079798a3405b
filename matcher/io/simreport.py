"""The outputs of ``matcher simulate``: long results, a summary, charts and one HTML report.

The report is a single self-contained file (charts embedded as PNG data) that a program lead
can open from a shared drive: what was simulated, the answer in a sentence, the charts and the
table, and the assumptions of the model.
"""

from __future__ import annotations

import base64
import datetime as dt
import html
import io
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from matcher.io.simanswer import (
    focus_metric,
    focus_values,
    focus_when,
    headline,
    phrase,
    replications,
    warnings,
)
from matcher.io.write import OutputDir
from matcher.simulation.cell import CellResult, aggregate_of
from matcher.simulation.scenario import ResolvedVariant, ScenarioFile
from matcher.simulation.stats import (
    Stat,
    by_quarter,
    describe_metric,
    per_replication,
)

TABLE_METRICS: tuple[tuple[str, str, str], ...] = (
    ("flagged_coverage", "Flagged seekers covered", "pct"),
    ("flagged_reach", "All flagged people reached", "pct"),
    ("flagged_share", "Isolated or peripheral at the end", "pct"),
    ("isolated_share", "Isolated at the end", "pct"),
    ("new_strong_ties", "New strong ties (total)", "int"),
    ("repeats", "Repeat pairings (total)", "int"),
    ("unmatched_no_eligible", "Unmatched: no eligible provider (per quarter)", "num"),
    ("unmatched_capacity", "Unmatched: capacity (per quarter)", "num"),
    ("unmatched_rule_broken", "Unmatched: random pair vetoed (per quarter)", "num"),
    ("solve_seconds", "Solve time per quarter (s)", "sec"),
)


@dataclass(frozen=True)
class SimulationRun:
    """What ran: the scenario, its variants, the cell results and how long it took."""

    scenario: ScenarioFile
    variants: list[ResolvedVariant]
    results: list[CellResult]
    seconds: float
    reused: int
    executor: str
    workers: int
    source: str
    calibration: dict[str, Any] | None = None
    """What ``--calibrate`` put into the model (:meth:`matcher.io.calibration.Calibration.as_dict`)
    and the report's sentences about it (``sentences``)."""


def summary_rows(run: SimulationRun) -> list[tuple[ResolvedVariant, str, Stat]]:
    """``(variant, metric, stat)`` for every metric a variant reported, in variant order."""
    values = per_replication(run.results)
    rows = []
    for variant in run.variants:
        metrics = sorted(m for (label, m) in values if label == variant.label)
        for metric in metrics:
            rows.append((variant, metric, describe_metric(metric, values[(variant.label, metric)])))
    return rows


def _figure_png(figure: Any) -> bytes:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=110, bbox_inches="tight")
    return buffer.getvalue()


def isolation_chart(run: SimulationRun) -> bytes:
    """Share of isolated or peripheral employees by quarter, one line per variant (95% band)."""
    import matplotlib  # ~0.3 s at start-up, for the simulation report only

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    stats = by_quarter(run.results)
    quarters = list(range(run.scenario.scenario.quarters + 1))
    figure, axes = plt.subplots(1, 2, figsize=(11, 4.2), sharex=True)
    for variant in run.variants:
        style = "--" if variant.pairing == "random" else "-"
        for ax, metric in zip(axes, ("isolated_share", "flagged_share"), strict=True):
            points = [stats.get((variant.label, metric, q)) for q in quarters]
            if any(p is None for p in points):
                continue
            mean = np.array([p.mean for p in points if p is not None]) * 100
            low = np.clip([p.low * 100 for p in points if p is not None], 0, 100)
            high = np.clip([p.high * 100 for p in points if p is not None], 0, 100)
            (line,) = ax.plot(quarters, mean, style, marker="o", label=variant.label)
            ax.fill_between(quarters, low, high, color=line.get_color(), alpha=0.12)
    axes[0].set_title("Isolated (no strong tie)")
    axes[1].set_title("Isolated or peripheral")
    for ax in axes:
        ax.set_xlabel("quarter (0 = now)")
        ax.set_ylabel("% of employees")
        ax.set_xticks(quarters)
        ax.grid(alpha=0.3)
    axes[1].legend(fontsize=8, loc="best")
    figure.suptitle("Isolation over quarters, mean of replications with 95% interval")
    data = _figure_png(figure)
    plt.close(figure)
    return data


def coverage_chart(run: SimulationRun) -> bytes:
    """The focus metric (coverage) against the number of providers, per variant.

    When every variant has the same providers (a sweep of something else), the variants are
    the x axis instead.
    """
    import matplotlib  # ~0.3 s at start-up, for the simulation report only

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    values = per_replication(run.results)
    focus = focus_values(run)
    focus_name, words, quarter = focus_metric(run)
    programs = [p.name for p in run.scenario.program]

    def providers(variant: ResolvedVariant) -> float:
        return sum(
            float(np.mean(values.get((variant.label, f"{name}.providers"), [0.0])))
            for name in programs
        )

    optimal = [v for v in run.variants if v.pairing == "optimal"]
    by_providers = len({round(providers(v), 3) for v in optimal}) > 1
    figure, ax = plt.subplots(figsize=(7.5, 4.2))
    for pairing, marker in (("optimal", "o"), ("random", "s")):
        chosen = [v for v in run.variants if v.pairing == pairing and focus[v.label]]
        if not chosen:
            continue
        stats = [describe_metric(focus_name, focus[v.label]) for v in chosen]
        if by_providers:
            xs = [providers(v) for v in chosen]
        else:
            xs = [
                float(next(k for k, o in enumerate(optimal) if o.scenario == v.scenario))
                for v in chosen
            ]
            if pairing == "random":
                xs = [x + 0.08 for x in xs]
        ys = [st.mean * 100 for st in stats]
        errors = np.nan_to_num(  # clamped intervals; none with one replication
            [
                [(st.mean - st.low) * 100 for st in stats],
                [(st.high - st.mean) * 100 for st in stats],
            ]
        )
        ax.errorbar(
            xs,
            ys,
            yerr=errors,
            marker=marker,
            capsize=4,
            label="matcher (optimal)" if pairing == "optimal" else "random pairing",
            linestyle="-" if pairing == "optimal" else "none",
        )
    if by_providers:
        ax.set_xlabel("providers in the programs (mean per quarter)")
        ax.set_title("Coverage vs. number of providers")
    else:
        ax.set_xticks(range(len(optimal)))
        ax.set_xticklabels([phrase(v) for v in optimal], rotation=15, ha="right", fontsize=8)
        ax.set_title("Coverage by variant")
    when = "mean per quarter" if quarter is None else f"quarter {quarter}"
    if quarter is None and aggregate_of(focus_name) != "mean":
        when = focus_when(run)
    ax.set_ylabel(
        f"% {words.removeprefix('of the ').split(' are ')[0]} matched ({when})", fontsize=9
    )
    ax.axhline(100, color="grey", linewidth=0.8)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    data = _figure_png(figure)
    plt.close(figure)
    return data


def _format(stat: Stat, kind: str) -> str:
    """A table cell: the mean, and its 95% interval in brackets when there is one."""
    if stat.n == 0 or np.isnan(stat.mean):
        return "–"
    if kind == "sec":
        return f"{stat.mean:.2f}"
    if kind == "num":
        return f"{stat.mean:.1f}"
    shown = "{:.1%}" if kind == "pct" else "{:.1f}"
    text = shown.format(stat.mean)
    if stat.n >= 2:
        text += f" <small>[{shown.format(stat.low)}, {shown.format(stat.high)}]</small>"
    return text


def report_html(
    run: SimulationRun,
    charts: dict[str, bytes],
    sentences: Sequence[str],
    cautions: Sequence[str] = (),
) -> str:
    """One self-contained HTML page; ``cautions`` come first, above the answer."""
    scenario = run.scenario
    header = scenario.scenario
    esc = html.escape
    head, table_rows = _results_table(run)
    org_text, programs, variants = _setup_html(run)
    assumptions = _assumptions(scenario)
    if run.calibration:
        # observed figures replace the model's own: say so first, with their period
        assumptions = [*run.calibration["sentences"], *assumptions]
    images = _images(charts)
    caution_html = (
        '<section class="caution" id="caution"><p>'
        + "</p><p>".join(esc(c) for c in cautions)
        + "</p></section>\n"
        if cautions
        else ""
    )
    generated = dt.datetime.now(tz=dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{esc(header.name)}: simulation report</title>
<style>
body {{ font-family: system-ui, -apple-system, "Segoe UI", sans-serif; margin: 2rem auto; max-width: 1100px; color: #1d2733; line-height: 1.45; padding: 0 1rem; }}
h1 {{ margin-bottom: .2rem; }} .question {{ color: #52606d; font-size: 1.1rem; margin-top: 0; }}
.caution {{ background: #fff4e5; border-left: 5px solid #c05621; padding: .8rem 1.1rem; font-size: 1.1rem; font-weight: 600; }}
.answer {{ background: #eef6ee; border-left: 5px solid #2f855a; padding: .8rem 1.1rem; font-size: 1.1rem; }}
figure {{ margin: 1.2rem 0; }} img {{ max-width: 100%; border: 1px solid #dde3ea; }}
figcaption {{ color: #52606d; font-size: .9rem; }}
table {{ border-collapse: collapse; width: 100%; font-size: .9rem; }}
th, td {{ border-bottom: 1px solid #dde3ea; padding: .35rem .5rem; text-align: right; vertical-align: top; }}
tbody th {{ text-align: left; font-weight: 600; }} tr.random {{ color: #6b7785; font-style: italic; }}
small {{ color: #6b7785; }} code {{ background: #f3f5f7; padding: 0 .2rem; }}
footer {{ color: #6b7785; font-size: .85rem; margin-top: 2rem; }}
</style></head>
<body>
<h1>{esc(header.name)}</h1>
<p class="question">{esc(header.question or "What do these program settings do for isolated and peripheral employees?")}</p>
{caution_html}<section class="answer" id="answer"><p>{"</p><p>".join(esc(s) for s in sentences)}</p></section>
<h2>What was simulated</h2>
<p>{org_text}, over {header.quarters} quarters, {replications(run)} replications (seeds) of each variant.
Figures are means over the replications with 95% intervals in brackets (none with one replication),
clamped to what the figure can take (no share below 0% or above 100%, no count below 0).
Matcher is compared with random pairing at the same settings, seed by seed (a seed is the same
organisation, departures, hires and chance for every variant); a difference whose 95% interval
includes 0 is reported as within the noise.</p>
<p>Programs:</p><ul>{programs}</ul>
<p>Variants:</p><ul>{variants}</ul>
<h2>Charts</h2>
{images}
<h2>Results by variant</h2>
<table id="results"><thead><tr><th>variant</th>{head}</tr></thead><tbody>{"".join(table_rows)}</tbody></table>
<h2>How the model works</h2>
<ul>{"".join(f"<li>{esc(a)}</li>" for a in assumptions)}</ul>
<p>Flagged people are never named in this report; the full figures are in <code>results.csv</code> and <code>summary.csv</code>.</p>
<footer>matcher simulate · {esc(run.source)} · {len(run.results)} runs in {run.seconds:.0f} s ({esc(run.executor)}, {run.workers} worker{"s" if run.workers != 1 else ""}) · generated {generated}</footer>
</body></html>
"""


def _results_table(run: SimulationRun) -> tuple[str, list[str]]:
    """The results table's header cells and one row per variant (the focus metric first)."""
    esc = html.escape
    values = per_replication(run.results)
    focus, words, quarter = focus_metric(run)
    table = list(TABLE_METRICS)
    if focus != "flagged_coverage":
        title = words.removeprefix("of the ").split(" are ")[0].capitalize() + " matched"
        table.insert(
            0, (focus, title if quarter is None else f"{title} (quarter {quarter})", "pct")
        )
        if quarter is not None:
            focused = focus_values(run)
            for v in run.variants:
                values[(v.label, focus)] = focused[v.label]
    metrics = [m for m in table if any((v.label, m[0]) in values for v in run.variants)]
    table_rows = []
    for variant in run.variants:
        cells = "".join(
            f"<td>{_format(describe_metric(metric, values.get((variant.label, metric), [])), kind)}</td>"
            for metric, _, kind in metrics
        )
        kind = "random" if variant.pairing == "random" else ""
        table_rows.append(f'<tr class="{kind}"><th>{esc(variant.label)}</th>{cells}</tr>')
    head = "".join(f"<th>{esc(title)}</th>" for _, title, _ in metrics)
    return head, table_rows


def _setup_html(run: SimulationRun) -> tuple[str, str, str]:
    """What was simulated: the organisation, the programs' and the variants' list items."""
    esc = html.escape
    scenario = run.scenario
    org = scenario.org
    if org.generate is not None:
        org_text = f"a generated organisation of {org.generate.employees:,} people (seed {org.generate.seed})"
    else:
        org_text = f"the organisation in <code>{esc(str(org.employees))}</code>"
    programs = "".join(
        f"<li><b>{esc(p.name)}</b> ({esc(p.kind.value.replace('_', ' '))}), first period {esc(p.period)}</li>"
        for p in scenario.program
    )
    variants = "".join(
        f"<li>{esc(v.label)}{' — pairs at random, blind to fit and history' if v.pairing == 'random' else ''}</li>"
        for v in run.variants
    )
    return org_text, programs, variants


def _assumptions(scenario: ScenarioFile) -> list[str]:
    """How the model works, in the scenario's own figures."""
    org = scenario.org
    dyn = scenario.dynamics
    probabilities = ", ".join(
        f"{k.value.replace('_', ' ')} {v:.0%}" for k, v in dyn.tie_probability.items()
    )
    return [
        "Each quarter every program is assigned by matcher's solver (history carried over, so no-repeat rules apply), then the collaboration graph and flags are recomputed.",
        f"A matched pair becomes a tie with probability {probabilities}, scaled by ×(1 + {dyn.fit_effect} × (fit − ½)) where fit is the provider's rank among the seeker's options.",
        f"A tie is {dyn.contacts_per_quarter} video calls of {dyn.contact_minutes:.0f} minutes over the next quarter; it carries on each later quarter with probability {dyn.persistence:.0%}, or decays away.",
        f"{org.attrition_per_quarter:.0%} of employees leave each quarter; {org.hires_per_quarter} people are hired each quarter"
        + (f", plus {org.hires_next_quarter} next quarter" if org.hires_next_quarter else "")
        + ". New hires have fortnightly 1:1s with their manager and chat with a few teammates.",
        "The people's usual interactions (the base window) repeat every quarter, so differences between variants come from the programs.",
    ]


def _images(charts: dict[str, bytes]) -> str:
    """The two charts, inlined as PNG data with their captions."""
    esc = html.escape
    return "".join(
        f'<figure><img alt="{esc(name)}" src="data:image/png;base64,{base64.b64encode(data).decode()}">'
        f"<figcaption>{esc(caption)}</figcaption></figure>"
        for name, (data, caption) in {
            "isolation chart": (
                charts["isolation.png"],
                "Share of employees isolated, and isolated or peripheral, by quarter (dashed: random pairing).",
            ),
            "coverage chart": (
                charts["coverage.png"],
                "Flagged employees in a program who are matched, against the number of providers.",
            ),
        }.items()
    )


def _number(value: float) -> float | str:
    """A summary.csv figure: rounded, or empty when there is none (no interval from one seed)."""
    return "" if np.isnan(value) else round(value, 6)


def write_simulation(out: OutputDir, run: SimulationRun) -> dict[str, Any]:
    """Write results.csv, summary.csv, the charts, report.html and summary.json; return the summary."""
    order = {v.label: v for v in run.variants}
    results = sorted(run.results, key=lambda r: (order[r.variant].order, r.replication))
    out.write_csv(
        "results.csv",
        ("variant", "pairing", "seed", "quarter", "metric", "value"),
        (
            (r.variant, order[r.variant].pairing, r.replication, q, m, round(v, 6))
            for r in results
            for q, m, v in sorted(r.rows, key=lambda row: (row[0], row[1]))
        ),
    )
    rows = summary_rows(run)
    out.write_csv(
        "summary.csv",
        ("variant", "pairing", "metric", "aggregate", "mean", "ci_low", "ci_high", "sd", "n"),
        (
            (
                v.label,
                v.pairing,
                m,
                aggregate_of(m),
                _number(s.mean),
                _number(s.low),
                _number(s.high),
                _number(s.sd),
                s.n,
            )
            for v, m, s in rows
        ),
    )
    charts = {"isolation.png": isolation_chart(run), "coverage.png": coverage_chart(run)}
    for name, data in charts.items():
        out.path(name).write_bytes(data)
    cautions, sentences = warnings(run), headline(run)
    out.path("report.html").write_text(
        report_html(run, charts, sentences, cautions), encoding="utf-8"
    )
    summary = {
        "scenario": run.scenario.scenario.name,
        "source": run.source,
        "answer": [*cautions, *sentences],
        "warnings": cautions,
        "variants": [
            {"label": v.label, "pairing": v.pairing, "overrides": dict(v.overrides)}
            for v in run.variants
        ],
        "quarters": run.scenario.scenario.quarters,
        "replications": run.scenario.scenario.replications,
        "cells": len(run.results),
        "reused_cells": run.reused,
        "executor": run.executor,
        "workers": run.workers,
        "seconds": round(run.seconds, 3),
        "cell_seconds": round(sum(r.seconds for r in run.results), 3),
        "files": ["results.csv", "summary.csv", "isolation.png", "coverage.png", "report.html"],
    }
    if run.calibration:
        summary["calibration"] = run.calibration
    out.write_json("summary.json", summary)
    return summary
