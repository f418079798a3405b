"""``matcher analyze``: the collaboration graph, metrics and flags with reasons."""

from __future__ import annotations

import datetime as dt
import json
import time
from pathlib import Path

import click

from matcher.cli.common import parse_date, warn_future, warn_if_shared
from matcher.cli.options import common_options, echo, pseudonym_options, step
from matcher.cli.options import pseudonymizer as make_pseudonymizer


@click.command()
@click.option("--employees", "employees_path", type=click.Path(path_type=Path), required=True)
@click.option("--interactions", "interactions_path", type=click.Path(path_type=Path), required=True)
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
@click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path), required=True)
@pseudonym_options
@common_options
def analyze(
    employees_path: Path,
    interactions_path: Path,
    as_of: dt.date | None,
    config_path: Path | None,
    seed: int | None,
    out_dir: Path,
    pseudonymize: bool,
    key_file: Path | None,
    quiet: bool,
    as_json: bool,
) -> None:
    """Build the collaboration graph and flag isolated and peripheral people, with reasons."""
    from matcher.analysis.isolation import analyze as run_analysis
    from matcher.config import AnalysisConfig
    from matcher.io.configs import load_analysis_config
    from matcher.io.load import load_org
    from matcher.io.reports import OUTPUT_FILES, count_by_reason, write_analysis
    from matcher.privacy import public_reasons

    started = time.perf_counter()
    warn_if_shared(out_dir, OUTPUT_FILES)
    config = load_analysis_config(config_path) if config_path else AnalysisConfig()
    if seed is not None:
        config = config.model_copy(update={"seed": seed})
    pseudonymizer = make_pseudonymizer(pseudonymize, key_file)
    with step("loading data", quiet):
        org, rejects = load_org(employees_path, interactions_path, as_of=as_of)
    warn_future(org.report.future_dated, interactions_path, out_dir / "rejects.csv")
    with step(f"analysing {len(org):,} people", quiet):
        result = run_analysis(org, config)
    result.summary["seconds"] = round(time.perf_counter() - started, 2)
    with step("writing outputs", quiet):
        write_analysis(result, out_dir, rejects=rejects, pseudonymizer=pseudonymizer)
    flags = result.summary["flags"]
    if as_json:
        click.echo(json.dumps(result.summary, default=str))
    dropped = count_by_reason(rejects)
    lines = [
        f"analysed {len(org):,} people as of {result.as_of.date()} in {result.summary['seconds']} s",
        f"  flags: {flags}",
        f"  siloed teams: {result.summary['siloed_teams']} of {result.summary['teams']}",
    ]
    if dropped:
        lines.append(f"  dropped interaction rows: {dropped} (see {out_dir / 'rejects.csv'})")
    if org.report.opted_out:
        lines.append(f"  dropped {org.report.opted_out:,} rows naming opted-out people")
    public = public_reasons(result, pseudonymizer)
    for flag in ("isolated", "peripheral", "connector"):
        examples = [p for p in result.people if flag in p.flags][:2]
        for person in examples:
            name = pseudonymizer.pseudonym(person.id) if pseudonymizer else person.id
            lines.append(f"  e.g. {flag} {name}: {public(person.reasons)}")
    lines.append(f"  outputs in {out_dir}")
    echo("\n".join(lines), quiet)
