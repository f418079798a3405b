"""``matcher generate``: a realistic synthetic org with planted truth."""

from __future__ import annotations

import datetime as dt
import json
import time
from pathlib import Path
from typing import Any

import click

from matcher.cli.common import parse_date
from matcher.cli.options import common_options, echo, step


@click.command()
@click.option(
    "--employees",
    "n_employees",
    type=int,
    required=True,
    help="Number of employees (50 to 200,000).",
)
@click.option("--seed", type=int, default=0, show_default=True)
@click.option("--days", type=int, default=90, show_default=True, help="Days of interactions.")
@click.option("--end-date", callback=parse_date, default="2026-09-30", show_default=True)
@click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path), required=True)
@common_options
def generate(
    n_employees: int,
    seed: int,
    days: int,
    end_date: dt.date,
    out_dir: Path,
    quiet: bool,
    as_json: bool,
) -> None:
    """Generate a realistic synthetic org: employees.csv, interactions.csv, truth.csv."""
    from matcher.io.write import atomic_output
    from matcher.synthetic.generate import generate_org

    started = time.perf_counter()
    with step(f"generating {n_employees:,} employees", quiet):
        org = generate_org(n_employees, seed, days=days, end_date=end_date)
    with step("writing files", quiet), atomic_output(out_dir) as out:
        out.write_table("employees.csv", org.employees)
        out.write_table("interactions.csv", org.interactions)
        out.write_table("truth.csv", org.truth)
    summary = {
        "employees": org.employees.num_rows,
        "interactions": org.interactions.num_rows,
        "planted": _count_truth(org.truth),
        "as_of": org.as_of.isoformat(),
        "seed": seed,
        "out": str(out_dir),
        "seconds": round(time.perf_counter() - started, 2),
    }
    if as_json:
        click.echo(json.dumps(summary))
    echo(
        f"wrote {summary['employees']:,} employees and {summary['interactions']:,} interactions to {out_dir} "
        f"(planted: {summary['planted']}) in {summary['seconds']} s",
        quiet,
    )


def _count_truth(truth: Any) -> dict[str, int]:
    kinds = truth.column("kind").to_pylist()
    return {kind: kinds.count(kind) for kind in sorted(set(kinds))}
