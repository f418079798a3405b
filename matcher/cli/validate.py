"""``matcher validate``: check input and program files without analysing or solving."""

from __future__ import annotations

import json
from pathlib import Path

import click

from matcher.cli.options import common_options, echo


@click.command()
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
    """Check input files and program files without solving.

    Files are recognised by their columns: an employees file has ``id``, an interactions file
    has ``source`` and ``target`` (checked against ``--employees`` when given).
    """
    from matcher.workflows.validate import validate_files

    results = validate_files(list(files), employees_path)
    if as_json:
        click.echo(json.dumps(results))
    for line in results["files"]:
        echo(f"{line['file']}: ok ({line['kind']}, {line['rows']:,} rows)", quiet)
