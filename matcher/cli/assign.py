"""``matcher assign``: solve a program file's programs and record them as proposals."""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path
from typing import Any

import click

from matcher.cli.common import warn_future, warn_if_shared
from matcher.cli.options import common_options, echo, optional_key, pseudonym_options, step
from matcher.cli.options import pseudonymizer as make_pseudonymizer


@click.command()
@click.argument("program_file", type=click.Path(path_type=Path))
@click.option(
    "--program", "names", multiple=True, help="Solve only this program (repeatable); default: all."
)
@click.option(
    "--employees",
    "employees_path",
    type=click.Path(path_type=Path),
    help="Override [data] employees.",
)
@click.option(
    "--interactions",
    "interactions_path",
    type=click.Path(path_type=Path),
    help="Override [data] interactions.",
)
@click.option(
    "--analysis",
    "analysis_dir",
    type=click.Path(file_okay=False, path_type=Path),
    help="Use the flags and ties that matcher analyze wrote to this folder (same employees "
    "file) instead of analysing again; interactions are then not read.",
)
@click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path), required=True)
@click.option(
    "--db",
    "db_path",
    type=click.Path(dir_okay=False, path_type=Path),
    default="matcher.db",
    show_default=True,
    help="History database.",
)
@click.option("--seed", type=int, default=0, show_default=True)
@click.option(
    "--time-limit",
    type=click.FloatRange(min=0.1),
    default=60.0,
    show_default=True,
    help="Seconds per program.",
)
@click.option(
    "--explain", is_flag=True, help="Also write candidates.csv: every eligible pair with its score."
)
@click.option(
    "--incremental",
    is_flag=True,
    help="Keep this period's committed pairs; assign only people not yet served.",
)
@click.option(
    "--strict",
    is_flag=True,
    help="Exit 3 when a program is infeasible or leaves a seeker unmatched.",
)
@click.option(
    "--with-names", is_flag=True, help="Add names and e-mails to the partner-facing pairs.csv."
)
@pseudonym_options
@common_options
def assign(
    program_file: Path,
    names: tuple[str, ...],
    employees_path: Path | None,
    interactions_path: Path | None,
    analysis_dir: Path | None,
    out_dir: Path,
    db_path: Path,
    seed: int,
    time_limit: float,
    explain: bool,
    incremental: bool,
    strict: bool,
    with_names: bool,
    pseudonymize: bool,
    key_file: Path | None,
    quiet: bool,
    as_json: bool,
) -> None:
    """Assign buddies, mentors or peer supporters as the program file says."""
    from matcher.analysis.isolation import Analysis, AnalysisView
    from matcher.analysis.isolation import analyze as run_analysis
    from matcher.assignment.run import assign_programs
    from matcher.assignment.solve import SolveOptions
    from matcher.history import History
    from matcher.io.load import load_org
    from matcher.io.programs import check_saved_analysis, load_program_file
    from matcher.io.reports import OUTPUT_FILES, read_analysis_view
    from matcher.io.runs import store_and_write
    from matcher.privacy import WITH_NAMES_WARNING, public_summary

    started = time.perf_counter()
    parsed = load_program_file(program_file)
    specs = [p for p in parsed.program if not names or p.name in names]
    unknown = sorted(set(names) - {p.name for p in parsed.program})
    if unknown:
        valid = ", ".join(p.name for p in parsed.program)
        raise click.UsageError(
            f"no program named {', '.join(unknown)} in {program_file} (programs: {valid})"
        )
    pseudonymizer = make_pseudonymizer(pseudonymize, key_file)
    notes = [WITH_NAMES_WARNING] if with_names and pseudonymizer else []
    for note in notes:  # printed even with --quiet: it is about the privacy of the outputs
        click.echo(f"warning: {note}", err=True)
    if analysis_dir is not None and interactions_path is not None:
        raise click.UsageError("--analysis replaces --interactions: give one of them")
    warn_if_shared(out_dir, OUTPUT_FILES)
    with step("loading data", quiet):
        org, _ = load_org(
            employees_path or parsed.data.employees,
            None if analysis_dir else interactions_path or parsed.data.interactions,
            as_of=parsed.data.as_of,
        )
    warn_future(org.report.future_dated, interactions_path or parsed.data.interactions or "", None)
    analysis: Analysis | AnalysisView
    if analysis_dir is None:
        with step(f"analysing {len(org):,} people", quiet):
            analysis = run_analysis(org, parsed.analysis.model_copy(update={"seed": seed}))
        inputs = org.sources
    else:
        with step(f"reading the analysis in {analysis_dir}", quiet):
            analysis = read_analysis_view(
                analysis_dir, org, pseudonymizer or optional_key(key_file)
            )
        check_saved_analysis(analysis, analysis_dir, parsed, program_file)
        inputs = {**analysis.sources, "analysis": str(analysis_dir)}
    options = SolveOptions(time_limit=time_limit, seed=seed)
    with History(db_path) as history:
        committed, committed_runs = history.snapshot()
        rows = [(p.kind, p.seeker_id, p.provider_id, p.period) for p in committed]
        # an incremental proposal builds on exactly the committed runs whose pairs it sees
        builds_on = (
            {spec.name: committed_runs.get((spec.name, spec.period), []) for spec in specs}
            if incremental
            else None
        )

        def prior(spec: Any) -> list[tuple[str, str]]:
            if not incremental:
                return []
            return [
                (p.seeker_id, p.provider_id)
                for p in committed
                if p.program == spec.name and p.period == spec.period
            ]

        with step(f"solving {len(specs)} program(s)", quiet):
            results = assign_programs(
                org,
                analysis,
                specs,
                history=rows,
                prior=prior,
                options=options,
                threads=os.cpu_count() or 1,
            )
        summary = store_and_write(
            history,
            results,
            out_dir,
            {
                "seed": seed,
                "inputs": inputs,
                "program_file": str(program_file),
                "db": str(db_path),
                "incremental": incremental,
                "seconds": round(time.perf_counter() - started, 2),
                "notes": notes,
            },
            seed=seed,
            inputs=inputs,
            explain=explain,
            with_names=with_names,
            pseudonymizer=pseudonymizer,
            builds_on=builds_on,
        )
    summary = public_summary(summary, results, pseudonymizer)
    if as_json:
        click.echo(json.dumps(summary, default=str))
    lines = []
    for name, block in summary["programs"].items():
        if block["status"] == "infeasible":
            lines.append(
                f"{name}: infeasible, nothing to approve (run {block['run_id']} records the attempt)"
            )
        else:
            lines.append(
                f"{name}: {block['status']} ({block['method']}), matched {block['matched']} of {block['seekers']} seekers "
                f"({block['coverage']:.0%}), objective {block['objective']:.2f}, gap {block['gap']:.2%}; run {block['run_id']} "
                f"(approve with: matcher history commit '{block['run_id']}' --db '{db_path}')"
            )
        for conflict in block["conflicts"]:
            lines.append(f"  conflict: {conflict}")
    lines.append(f"outputs in {out_dir}")
    echo("\n".join(lines), quiet)
    if strict and any(
        b["status"] == "infeasible" or b["matched"] < b["seekers"]
        for b in summary["programs"].values()
    ):
        sys.exit(3)
