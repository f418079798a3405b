"""``matcher assign``: solve a program file's programs and record them as proposals."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import click

from matcher.cli.options import (
    Console,
    by_option,
    common_options,
    db_option,
    echo,
    excel_option,
    optional_key,
    pseudonym_options,
)
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
    "--survey",
    "survey_path",
    type=click.Path(path_type=Path),
    help="Override [data] survey: a survey.csv heard by the analysis.",
)
@click.option(
    "--analysis",
    "analysis_dir",
    type=click.Path(file_okay=False, path_type=Path),
    help="Use the flags and ties that matcher analyze wrote to this folder (same employees "
    "file) instead of analysing again; interactions are then not read.",
)
@click.option(
    "--out",
    "out_dir",
    type=click.Path(file_okay=False, path_type=Path),
    required=True,
    help="Folder to write the outputs to (assignments.csv, review.xlsx, …).",
)
@db_option()
@click.option(
    "--seed", type=int, default=0, show_default=True, help="Random seed of the analysis and solver."
)
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
@click.option(
    "--lock",
    "locks",
    multiple=True,
    metavar="SEEKER:PROVIDER",
    help="Keep this pair (a must pair of the new proposal; repeatable).",
)
@click.option(
    "--forbid",
    "forbids",
    multiple=True,
    metavar="SEEKER:PROVIDER",
    help="Never this pair (a never pair of the new proposal; repeatable).",
)
@click.option(
    "--drop",
    "drops",
    multiple=True,
    metavar="SEEKER:PROVIDER",
    help="Take this pair out and leave its seeker out of the new proposal (repeatable).",
)
@click.option(
    "--from-run",
    "from_run",
    metavar="RUN",
    help="Re-solve this proposal's program with its locks, forbids and drops plus the new ones; "
    "the new proposal records the run it derives from.",
)
@excel_option
@by_option
@pseudonym_options
@common_options
def assign(
    program_file: Path,
    names: tuple[str, ...],
    employees_path: Path | None,
    interactions_path: Path | None,
    survey_path: Path | None,
    analysis_dir: Path | None,
    out_dir: Path,
    db_path: Path,
    seed: int,
    time_limit: float,
    explain: bool,
    incremental: bool,
    strict: bool,
    with_names: bool,
    locks: tuple[str, ...],
    forbids: tuple[str, ...],
    drops: tuple[str, ...],
    from_run: str | None,
    pseudonymize: bool,
    key_file: Path | None,
    excel: bool,
    by: str | None,
    quiet: bool,
    as_json: bool,
) -> None:
    """Assign buddies, mentors or peer supporters as the program file says."""
    from matcher.assignment.edits import PairEdits, parse_pair
    from matcher.workflows.assign import AssignRequest, assign_files

    edits = PairEdits(
        lock=tuple(map(parse_pair, locks)),
        forbid=tuple(map(parse_pair, forbids)),
        drop=tuple(map(parse_pair, drops)),
    )
    request = AssignRequest(
        program_file=program_file,
        out_dir=out_dir,
        db=db_path,
        programs=names,
        employees=employees_path,
        interactions=interactions_path,
        survey=survey_path,
        analysis=analysis_dir,
        seed=seed,
        time_limit=time_limit,
        explain=explain,
        incremental=incremental,
        with_names=with_names,
        pseudonymizer=make_pseudonymizer(pseudonymize, key_file),
        reader=optional_key(key_file),
        by=by,
        edits=edits,
        from_run=from_run,
        excel=excel,
    )
    summary = assign_files(request, Console(quiet))
    if as_json:
        click.echo(json.dumps(summary, default=str))
    echo(_lines(summary, out_dir, db_path), quiet)
    if strict and any(
        b["status"] == "infeasible" or b["matched"] < b["seekers"]
        for b in summary["programs"].values()
    ):
        sys.exit(3)


def _lines(summary: dict[str, Any], out_dir: Path, db_path: Path) -> str:
    """Each program's outcome, and the command that approves it."""
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
    return "\n".join(lines)
