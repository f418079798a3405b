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
    """Check input files, program files and mapping files without solving.

    Data files are recognised by their columns: an employees file has ``id``, an interactions
    file has ``source`` and ``target`` (checked against ``--employees`` when given). A TOML
    file is a program file (checked as ``assign`` reads it: its [data] files, every column its
    rules need, every program compiled), an HRIS mapping (a [columns] table) or a survey
    mapping (a [survey] table), checked as ``ingest --mapping`` reads it.
    """
    from matcher.workflows.validate import validate_files

    results = validate_files(list(files), employees_path)
    if as_json:
        click.echo(json.dumps(results))
    for line in results["files"]:
        if "programs" in line:
            detail = f", {line['programs']:,} program(s)"
        elif "rows" in line:
            detail = f", {line['rows']:,} rows"
        elif "fields" in line:
            detail = f", {line['fields']:,} fields"
        else:
            detail = ""
        echo(f"{line['file']}: ok ({line['kind']}{detail})", quiet)
