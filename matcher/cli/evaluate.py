"""``matcher evaluate``: did the committed pairs meet, did ties form, did isolation fall."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import click

from matcher.cli.options import (
    Console,
    common_options,
    db_option,
    echo,
    optional_key,
    parse_date,
    pseudonym_options,
)
from matcher.cli.options import pseudonymizer as make_pseudonymizer

FILE = click.Path(dir_okay=False, path_type=Path)


@click.command()
@db_option()
@click.option("--period", default=None, help="The period whose committed runs to judge (2026Q4).")
@click.option(
    "--all-periods", is_flag=True, help="Judge every committed period: the scorecard over time."
)
@click.option(
    "--employees",
    "employees_path",
    type=FILE,
    required=True,
    help="employees.csv: the org the committed runs were assigned in.",
)
@click.option(
    "--interactions",
    "interactions_path",
    type=FILE,
    required=True,
    help="The interactions from after the run (the evaluation window).",
)
@click.option(
    "--before-interactions",
    type=FILE,
    help="Interactions from before the period (for ties formed and isolation before).",
)
@click.option(
    "--before-analysis",
    type=click.Path(file_okay=False, path_type=Path),
    help="Or: the matcher analyze folder the program was assigned from.",
)
@click.option("--survey", "survey_path", type=FILE, help="survey.csv from after the period.")
@click.option("--before-survey", type=FILE, help="survey.csv from before the period.")
@click.option(
    "--as-of", callback=parse_date, help="End of the window (default: the end of the period)."
)
@click.option(
    "--since", callback=parse_date, help="Start of the window (default: the start of the period)."
)
@click.option("--config", "config_path", type=FILE, help="TOML file with an [analysis] table.")
@click.option(
    "--seed", type=int, default=0, show_default=True, help="Seed of the bootstrap intervals."
)
@click.option(
    "--no-record",
    is_flag=True,
    help="Do not record the pairs' outcomes in the history database.",
)
@click.option(
    "--out",
    "out_dir",
    type=click.Path(file_okay=False, path_type=Path),
    required=True,
    help="Folder for evaluation.json, scorecard.csv and scorecard.html.",
)
@pseudonym_options
@common_options
def evaluate(
    db_path: Path,
    period: str | None,
    all_periods: bool,
    employees_path: Path,
    interactions_path: Path,
    before_interactions: Path | None,
    before_analysis: Path | None,
    survey_path: Path | None,
    before_survey: Path | None,
    as_of: dt.date | None,
    since: dt.date | None,
    config_path: Path | None,
    seed: int,
    no_record: bool,
    out_dir: Path,
    pseudonymize: bool,
    key_file: Path | None,
    quiet: bool,
    as_json: bool,
) -> None:
    """Judge a period's committed pairs on what happened next: the connection scorecard."""
    from matcher.workflows.evaluate import EvaluateRequest, evaluate_files

    request = EvaluateRequest(
        db=db_path,
        employees=employees_path,
        interactions=interactions_path,
        out_dir=out_dir,
        period=period,
        all_periods=all_periods,
        before_interactions=before_interactions,
        before_analysis=before_analysis,
        survey=survey_path,
        before_survey=before_survey,
        as_of=as_of,
        since=since,
        config_file=config_path,
        seed=seed,
        record=not no_record,
        pseudonymizer=make_pseudonymizer(pseudonymize, key_file),
        reader=optional_key(key_file),
    )
    outcome = evaluate_files(request, Console(quiet))
    summary = outcome.summary
    if as_json:
        click.echo(json.dumps(summary, default=str))
    lines = [
        f"evaluated {', '.join(c.period for c in outcome.periods)} in {summary['seconds']} s",
        *(f"  {sentence}" for sentence in summary["answer"]),
    ]
    if request.record:
        lines.append(f"  recorded {outcome.recorded:,} pair outcome(s) in {db_path}")
    lines.append(f"  outputs in {out_dir}")
    echo("\n".join(lines), quiet)
