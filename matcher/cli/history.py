"""``matcher history``: the store of runs (list, show, commit, withdraw, import, export)."""

from __future__ import annotations

import json
from pathlib import Path

import click

from matcher.cli.options import (
    Console,
    by_option,
    common_options,
    db_option,
    echo,
    excel_option,
    pseudonym_options,
)
from matcher.cli.options import pseudonymizer as make_pseudonymizer

HISTORY_IDS = (
    "The database is HR's own store and keeps real employee ids; --pseudonymize replaces them "
    "by keyed pseudonyms in what this command prints or writes (the database is not changed)."
)


@click.group()
def history() -> None:
    """List, show, diff, import, export, commit, withdraw and reject runs in the history database.

    Each `matcher assign` run is a proposal until committed (or rejected). The read-only
    commands (list, show, diff, export) never create a database. The database is HR's own store
    and keeps real employee ids: `history show`, `history diff` and `history export` take
    --pseudonymize (and --key-file) like analyze and assign.
    """


_db_option = db_option()


@history.command("list")
@_db_option
@common_options
def history_list(db_path: Path, quiet: bool, as_json: bool) -> None:
    """Every run, oldest first."""
    from matcher.workflows.history import list_runs

    runs = list_runs(db_path)
    if as_json:
        click.echo(json.dumps([r.__dict__ for r in runs]))
        return
    if not quiet:
        for r in runs:
            click.echo(
                f"{r.run_id}\t{r.state}\t{r.status}\t{r.kind or '-'}\t{r.pairs} pairs\t{r.created_at}"
            )


@history.command("show", help=f"One run and its pairs.\n\n{HISTORY_IDS}")
@click.argument("run_id")
@_db_option
@pseudonym_options
@common_options
def history_show(
    run_id: str,
    db_path: Path,
    pseudonymize: bool,
    key_file: Path | None,
    quiet: bool,
    as_json: bool,
) -> None:
    from matcher.workflows.history import run_actions, show_run

    run, pairs = show_run(db_path, run_id, make_pseudonymizer(pseudonymize, key_file))
    actions = run_actions(db_path, run_id)
    if as_json:
        click.echo(
            json.dumps(
                {
                    **run.__dict__,
                    "pairs": [list(p) for p in pairs],
                    "actions": [a.__dict__ for a in actions],
                }
            )
        )
        return
    if not quiet:
        click.echo(
            f"{run.run_id}: {run.state}, {run.status}, objective {_number(run.objective)}, "
            f"gap {_number(run.gap)}, seed {run.seed if run.seed is not None else '-'}"
            + (f", derived from {run.derived_from}" if run.derived_from else "")
        )
        for action in actions:
            click.echo(f"  {action.at} {action.action} by {action.actor or 'unknown'}")
        for seeker, provider, score in pairs:
            click.echo(
                f"  {seeker} <- {provider}" + (f"  ({score:.3f})" if score is not None else "")
            )


def _number(value: float | None) -> str:
    return "-" if value is None else f"{value:.4g}"


@history.command("commit")
@click.argument("run_id")
@_db_option
@by_option
@common_options
def history_commit(run_id: str, db_path: Path, by: str | None, quiet: bool, as_json: bool) -> None:
    """Approve a proposal: its pairs count as history from now on.

    Refused when the program's period already has a committed run (withdraw it first), and
    for a rejected or withdrawn run.
    """
    from matcher.workflows.history import commit_run

    run = commit_run(db_path, run_id, by)
    if as_json:
        click.echo(json.dumps(run.__dict__))
    echo(f"committed {run.run_id} ({run.pairs} pairs)", quiet)


@history.command("withdraw")
@click.argument("run_id")
@_db_option
@by_option
@common_options
def history_withdraw(
    run_id: str, db_path: Path, by: str | None, quiet: bool, as_json: bool
) -> None:
    """Take back a committed run: its pairs stop counting as history."""
    from matcher.workflows.history import withdraw_run

    run = withdraw_run(db_path, run_id, by)
    if as_json:
        click.echo(json.dumps(run.__dict__))
    echo(f"withdrew {run.run_id} ({run.pairs} pairs no longer count as history)", quiet)


@history.command("reject")
@click.argument("run_id")
@click.option("--note", default="", help="Why it was turned down (kept in the history).")
@_db_option
@by_option
@common_options
def history_reject(
    run_id: str, note: str, db_path: Path, by: str | None, quiet: bool, as_json: bool
) -> None:
    """Turn a proposal down: it stays in the history and can never be committed."""
    from matcher.workflows.history import reject_run

    run = reject_run(db_path, run_id, by, note)
    if as_json:
        click.echo(json.dumps(run.__dict__))
    echo(f"rejected {run.run_id} ({run.pairs} pairs; it can never be committed)", quiet)


@history.command(
    "diff",
    help="What changed from RUN_A to RUN_B: pairs added, removed and kept, and the change in "
    f"coverage and objective.\n\n{HISTORY_IDS}",
)
@click.argument("run_a")
@click.argument("run_b")
@_db_option
@pseudonym_options
@common_options
def history_diff(
    run_a: str,
    run_b: str,
    db_path: Path,
    pseudonymize: bool,
    key_file: Path | None,
    quiet: bool,
    as_json: bool,
) -> None:
    from matcher.workflows.history import diff_runs

    diff = diff_runs(db_path, run_a, run_b, make_pseudonymizer(pseudonymize, key_file))
    if as_json:
        click.echo(json.dumps(diff.as_dict()))
        return
    if quiet:
        return
    coverage = " -> ".join(_share(c) for c in diff.coverage)
    objective = " -> ".join(_number(o) for o in diff.objective)
    click.echo(
        f"{diff.a.run_id} -> {diff.b.run_id}: {len(diff.added)} added, {len(diff.removed)} "
        f"removed, {len(diff.kept)} kept; coverage {coverage}; objective {objective}"
    )
    for sign, pairs in (("+", diff.added), ("-", diff.removed)):
        for seeker, provider in pairs:
            click.echo(f"  {sign} {seeker} <- {provider}")


def _share(value: float | None) -> str:
    return "-" if value is None else f"{value:.1%}"


@history.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--program",
    "program_file",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Check the pairings against the rules of this program file's programs (by name) first.",
)
@click.option(
    "--force",
    is_flag=True,
    help="Import pairings that break a rule, or that sit beside committed runs of the same "
    "program and period, anyway (the broken rules are recorded with the run).",
)
@_db_option
@by_option
@common_options
def history_import(
    file: Path,
    program_file: Path | None,
    force: bool,
    db_path: Path,
    by: str | None,
    quiet: bool,
    as_json: bool,
) -> None:
    """Import past pairings from CSV: program,seeker_id,provider_id,period[,kind].

    Imported pairings count as committed history: later runs avoid repeating them and build on
    them. With --program they are first checked against the rules of the programs they name;
    pairings that break a rule are refused unless --force.
    """
    from matcher.workflows.history import import_pairings

    imported = import_pairings(
        file, db_path, program_file=program_file, force=force, reporter=Console(quiet), by=by
    )
    if as_json:
        click.echo(
            json.dumps(
                {"runs": imported.runs, "rows": imported.rows, "violations": imported.violations}
            )
        )
    echo(f"imported {imported.rows} pairings as {len(imported.runs)} committed run(s)", quiet)


@history.command(
    "export",
    help=f"Export pairings as CSV (the import format, plus kind and run).\n\n{HISTORY_IDS}",
)
@click.option("--run", "run_id", help="Export one run's pairs (default: every committed pairing).")
@click.option(
    "--out",
    "out_file",
    type=click.Path(dir_okay=False, path_type=Path),
    required=True,
    help="The CSV file to write.",
)
@_db_option
@excel_option
@pseudonym_options
@common_options
def history_export(
    run_id: str | None,
    out_file: Path,
    db_path: Path,
    excel: bool,
    pseudonymize: bool,
    key_file: Path | None,
    quiet: bool,
    as_json: bool,
) -> None:
    from matcher.workflows.history import export_pairings

    written = export_pairings(
        db_path,
        out_file,
        run_id=run_id,
        pseudonymizer=make_pseudonymizer(pseudonymize, key_file),
        excel=excel,
    )
    if as_json:
        click.echo(json.dumps({"rows": written, "out": str(out_file)}))
    echo(f"wrote {written} pairings to {out_file}", quiet)
