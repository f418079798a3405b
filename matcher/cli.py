"""The ``matcher`` command line: parse options, call one library function, render the result.

Errors the user can fix (bad data, bad configuration) exit with code 1 and a message, never a
traceback; bad usage exits with 2.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

import click

from matcher.errors import ConfigError, MatcherError

F = TypeVar("F", bound=Callable[..., Any])
KEY_ENV = "MATCHER_PSEUDONYM_KEY"


class MatcherGroup(click.Group):
    """Turns every :class:`MatcherError` into exit code 1 with its message."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except MatcherError as exc:
            raise click.ClickException(str(exc)) from exc
        except KeyboardInterrupt:
            click.echo("interrupted: no output was written", err=True)
            sys.exit(130)


def common_options(func: F) -> F:
    """Options every command takes."""
    func = click.option("--quiet", is_flag=True, help="Print nothing but errors.")(func)
    func = click.option(
        "--json", "as_json", is_flag=True, help="Print a machine-readable summary on stdout."
    )(func)
    return func


@contextmanager
def step(message: str, quiet: bool) -> Iterator[None]:
    """Show a spinner on a terminal while a long step runs."""
    if quiet or not sys.stderr.isatty():
        yield
        return
    from rich.console import Console

    with Console(stderr=True).status(message):
        yield


def _echo(text: str, quiet: bool) -> None:
    if not quiet:
        click.echo(text, err=True)


def _pseudonymizer(enabled: bool, key_file: Path | None) -> Any:
    if not enabled:
        return None
    from matcher.privacy import Pseudonymizer

    if key_file is not None:
        return Pseudonymizer(key_file.read_bytes())
    key = os.environ.get(KEY_ENV)
    if not key:
        raise ConfigError(
            f"--pseudonymize needs a key: --key-file FILE or the {KEY_ENV} environment variable"
        )
    return Pseudonymizer(key.encode("utf-8"))


def _parse_date(_ctx: click.Context, _param: click.Parameter, value: str | None) -> dt.date | None:
    if value is None:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError as exc:
        raise click.BadParameter(f"expected a date such as 2026-10-01, found {value!r}") from exc


@click.group(cls=MatcherGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="workplace-matcher")
def main() -> None:
    """Find isolated and peripheral employees and match them with buddies, mentors and peer supporters."""


@main.command()
@click.option(
    "--employees",
    "n_employees",
    type=int,
    required=True,
    help="Number of employees (50 to 200,000).",
)
@click.option("--seed", type=int, default=0, show_default=True)
@click.option("--days", type=int, default=90, show_default=True, help="Days of interactions.")
@click.option("--end-date", callback=_parse_date, default="2026-09-30", show_default=True)
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
    from matcher.generate import generate_org
    from matcher.io.write import atomic_output

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
    _echo(
        f"wrote {summary['employees']:,} employees and {summary['interactions']:,} interactions to {out_dir} "
        f"(planted: {summary['planted']}) in {summary['seconds']} s",
        quiet,
    )


def _count_truth(truth: Any) -> dict[str, int]:
    kinds = truth.column("kind").to_pylist()
    return {kind: kinds.count(kind) for kind in sorted(set(kinds))}


@main.command()
@click.option("--employees", "employees_path", type=click.Path(path_type=Path), required=True)
@click.option("--interactions", "interactions_path", type=click.Path(path_type=Path), required=True)
@click.option(
    "--as-of", callback=_parse_date, help="Analysis date (default: the latest interaction)."
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
@click.option(
    "--pseudonymize",
    is_flag=True,
    help=f"Replace ids by keyed pseudonyms (key: --key-file or ${KEY_ENV}).",
)
@click.option("--key-file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
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
    from matcher.config import AnalysisConfig
    from matcher.io.configs import load_analysis_config
    from matcher.io.load import load_org
    from matcher.io.reports import count_by_reason, write_analysis
    from matcher.isolation import analyze as run_analysis

    started = time.perf_counter()
    config = load_analysis_config(config_path) if config_path else AnalysisConfig()
    if seed is not None:
        config = config.model_copy(update={"seed": seed})
    pseudonymizer = _pseudonymizer(pseudonymize, key_file)
    with step("loading data", quiet):
        org, rejects = load_org(employees_path, interactions_path, as_of=as_of)
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
    for flag in ("isolated", "peripheral", "connector"):
        examples = [p for p in result.people if flag in p.flags][:2]
        for person in examples:
            name = pseudonymizer.pseudonym(person.id) if pseudonymizer else person.id
            lines.append(f"  e.g. {flag} {name}: {person.reasons}")
    lines.append(f"  outputs in {out_dir}")
    _echo("\n".join(lines), quiet)


@main.command()
@click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option(
    "--employees",
    "employees_path",
    type=click.Path(path_type=Path),
    help="Employees file to check interactions against.",
)
@common_options
def validate(
    files: tuple[Path, ...], employees_path: Path | None, quiet: bool, as_json: bool
) -> None:
    """Check input files without analysing or solving.

    Files are recognised by their columns: an employees file has ``id``, an interactions file
    has ``source`` and ``target`` (checked against ``--employees`` when given).
    """
    from matcher.io.validate import validate_files

    results = validate_files(list(files), employees_path)
    if as_json:
        click.echo(json.dumps(results))
    for line in results["files"]:
        _echo(f"{line['file']}: ok ({line['kind']}, {line['rows']:,} rows)", quiet)


def run() -> None:  # pragma: no cover - console entry point
    main(prog_name="matcher")


if __name__ == "__main__":  # pragma: no cover
    run()
