"""``matcher analyze``: the collaboration graph, metrics and flags with reasons."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import click

from matcher.cli.options import Console, common_options, counts, echo, parse_date, pseudonym_options
from matcher.cli.options import pseudonymizer as make_pseudonymizer


@click.command()
@click.option(
    "--employees",
    "employees_path",
    type=click.Path(path_type=Path),
    required=True,
    help="The employees file (CSV, JSON, JSON Lines, Parquet or XLSX).",
)
@click.option(
    "--interactions",
    "interactions_path",
    type=click.Path(path_type=Path),
    required=True,
    help="The interactions file (who met whom, when, on which channel).",
)
@click.option(
    "--survey",
    "survey_path",
    type=click.Path(path_type=Path),
    help="survey.csv (matcher ingest of a forms export): what people say about having "
    "someone to turn to, heard beside the graph.",
)
@click.option(
    "--as-of", callback=parse_date, help="Analysis date (default: the latest interaction)."
)
@click.option(
    "--config",
    "config_path",
    type=click.Path(path_type=Path),
    help="TOML file with an [analysis] table.",
)
@click.option(
    "--seed",
    type=int,
    default=None,
    help="Seed of community detection and sampling (overrides the config).",
)
@click.option(
    "--out",
    "out_dir",
    type=click.Path(file_okay=False, path_type=Path),
    required=True,
    help="Folder to write the analysis to.",
)
@click.option(
    "--strict-data",
    is_flag=True,
    help="Refuse (exit 1, nothing written) when the interactions are too thin to flag anyone "
    "on (few people in them, one channel, a short span, contact mostly one-way), instead of "
    "warning.",
)
@pseudonym_options
@common_options
def analyze(
    employees_path: Path,
    interactions_path: Path,
    survey_path: Path | None,
    as_of: dt.date | None,
    config_path: Path | None,
    seed: int | None,
    out_dir: Path,
    strict_data: bool,
    pseudonymize: bool,
    key_file: Path | None,
    quiet: bool,
    as_json: bool,
) -> None:
    """Build the collaboration graph and flag isolated and peripheral people, with reasons."""
    from matcher.workflows.analyze import analyze_files

    outcome = analyze_files(
        employees_path,
        interactions_path,
        out_dir,
        as_of=as_of,
        config_file=config_path,
        survey=survey_path,
        seed=seed,
        pseudonymizer=make_pseudonymizer(pseudonymize, key_file),
        strict_data=strict_data,
        reporter=Console(quiet),
    )
    summary = outcome.analysis.summary
    if as_json:
        click.echo(json.dumps(summary, default=str))
    lines = [
        f"analysed {summary['employees']:,} people "
        f"as of {outcome.analysis.as_of.date()} in {summary['seconds']} s",
        f"  flags: {counts(summary['flags'])}",
        f"  siloed teams: {summary['siloed_teams']} of {summary['teams']}",
    ]
    if outcome.dropped:
        lines.append(
            f"  dropped interaction rows: {counts(outcome.dropped)} (see {outcome.rejects_file})"
        )
    said = summary.get("survey")
    if isinstance(said, dict):
        lines.append(
            f"  survey: {said['respondents']:,} respondents; says no one to turn to: "
            f"{_count(said['says_no_one'])}; survey and graph disagree on "
            f"{sum(1 for p in outcome.analysis.people if p.signals):,} people "
            "(signals column of analysis.csv)"
        )
    if outcome.opted_out:
        lines.append(f"  dropped {outcome.opted_out:,} rows naming opted-out people")
    for flag, name, reasons in outcome.examples:
        lines.append(f"  e.g. {flag} {name}: {reasons}")
    lines.append(f"  outputs in {out_dir}")
    echo("\n".join(lines), quiet)


def _count(value: object) -> str:
    return "fewer than 5" if value is None else f"{value:,}"
