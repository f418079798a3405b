"""``matcher generate``: a realistic synthetic org with planted truth."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import click

from matcher.cli.options import Console, common_options, counts, echo, parse_date


@click.command()
@click.option(
    "--employees",
    "n_employees",
    type=int,
    required=True,
    help="Number of employees (50 to 2,000,000).",
)
@click.option(
    "--seed",
    type=int,
    default=0,
    show_default=True,
    help="Random seed: the same seed, the same org.",
)
@click.option("--days", type=int, default=90, show_default=True, help="Days of interactions.")
@click.option(
    "--end-date",
    callback=parse_date,
    default="2026-09-30",
    show_default=True,
    help="Date of the last interaction generated.",
)
@click.option(
    "--out",
    "out_dir",
    type=click.Path(file_okay=False, path_type=Path),
    required=True,
    help="Folder to write employees.csv, interactions.csv and truth.csv to.",
)
@click.option(
    "--survey",
    "survey_rate",
    type=click.FloatRange(min=0.0, max=1.0, min_open=True),
    help="Also write a pulse survey answered at this rate (e.g. 0.6): survey-export.csv "
    "(Microsoft Forms), survey.toml (its mapping) and survey-truth.csv.",
)
@click.option(
    "--parquet",
    is_flag=True,
    help="Also write employees.parquet and interactions.parquet (faster to read).",
)
@common_options
def generate(
    n_employees: int,
    seed: int,
    days: int,
    end_date: dt.date,
    out_dir: Path,
    survey_rate: float | None,
    parquet: bool,
    quiet: bool,
    as_json: bool,
) -> None:
    """Generate a realistic synthetic org: employees.csv, interactions.csv, truth.csv."""
    from matcher.workflows.generate import generate_files

    summary = generate_files(
        n_employees,
        seed,
        out_dir,
        days=days,
        end_date=end_date,
        survey_rate=survey_rate,
        parquet=parquet,
        reporter=Console(quiet),
    )
    if as_json:
        click.echo(json.dumps(summary))
    echo(
        f"wrote {summary['employees']:,} employees and {summary['interactions']:,} interactions to {out_dir} "
        f"(planted: {counts(summary['planted'])})"
        + (
            f", and {summary['survey']['responses']:,} survey responses"
            if "survey" in summary
            else ""
        )
        + f" in {summary['seconds']} s",
        quiet,
    )
