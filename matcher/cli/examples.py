"""``matcher examples``: copy the example program and scenario files to a folder."""

from __future__ import annotations

import json
from pathlib import Path

import click

from matcher.cli.options import Console, common_options, echo


@click.command()
@click.option(
    "--out",
    "out_dir",
    type=click.Path(file_okay=False, path_type=Path),
    required=True,
    help="Folder to copy the example files to (created when missing).",
)
@click.option(
    "--force", is_flag=True, help="Overwrite files of the same names already in the folder."
)
@click.option(
    "--with-org",
    is_flag=True,
    help="Also generate the org the example programs read, into OUT/org (as matcher generate).",
)
@click.option(
    "--employees",
    "n_employees",
    type=click.IntRange(min=50, max=200_000),
    default=2000,
    show_default=True,
    help="Employees of the org --with-org generates.",
)
@click.option(
    "--seed",
    type=int,
    default=7,
    show_default=True,
    help="Random seed of the org --with-org generates.",
)
@common_options
def examples(
    out_dir: Path,
    force: bool,
    with_org: bool,
    n_employees: int,
    seed: int,
    quiet: bool,
    as_json: bool,
) -> None:
    """Copy the example programs (for assign) and scenarios (for simulate) to a folder.

    Their [data] paths are rewritten to name OUT/org, which --with-org fills with a
    generated org; point them at your own files to use your data.
    """
    from matcher.workflows.examples import copy_examples

    summary = copy_examples(
        out_dir,
        force=force,
        with_org=with_org,
        employees=n_employees,
        seed=seed,
        reporter=Console(quiet),
    )
    if as_json:
        click.echo(json.dumps(summary))
    lines = [
        f"copied {len(summary['programs']) + len(summary['scenarios'])} example files to {out_dir}",
        f"  programs, for matcher assign: {', '.join(summary['programs'])}",
        f"  scenarios, for matcher simulate: {', '.join(summary['scenarios'])}",
    ]
    if summary["org"] is not None:
        org = summary["org"]
        lines.append(
            f"generated {org['employees']:,} employees and {org['interactions']:,} "
            f"interactions in {org['out']}"
        )
    for name, paths in summary["missing"].items():
        lines.append(f"  {name} reads files not there yet: {', '.join(paths)}")
    if summary["missing"]:
        lines.append(
            "  (--with-org generates org/; pulse/ comes from the README's Surveys steps; "
            "or edit [data] to name your own files)"
        )
    first = summary["programs"][0] if summary["programs"] else None
    if first is not None and first not in summary["missing"]:
        lines.append(
            f"next: matcher assign {out_dir / first} --out {out_dir / Path(first).stem} "
            f"--db {out_dir / 'matcher.db'}"
        )
    echo("\n".join(lines), quiet)
