"""``matcher history``: the store of runs (list, show, commit, withdraw, import, export)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click

from matcher.cli.options import common_options, echo, pseudonym_options, step
from matcher.cli.options import pseudonymizer as make_pseudonymizer

HISTORY_IDS = (
    "The database is HR's own store and keeps real employee ids; --pseudonymize replaces them "
    "by keyed pseudonyms in what this command prints or writes (the database is not changed)."
)


@click.group()
def history() -> None:
    """List, show, import, export and commit runs in the history database.

    The database is HR's own store and keeps real employee ids: `history show` and
    `history export` take --pseudonymize (and --key-file) like analyze and assign.
    """


def _db_option(func: Any) -> Any:
    return click.option(
        "--db",
        "db_path",
        type=click.Path(dir_okay=False, path_type=Path),
        default="matcher.db",
        show_default=True,
    )(func)


@history.command("list")
@_db_option
@common_options
def history_list(db_path: Path, quiet: bool, as_json: bool) -> None:
    """Every run, oldest first."""
    from matcher.history import History

    with History(db_path) as store:
        runs = store.runs()
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
    from matcher.history import History

    pseudonymizer = make_pseudonymizer(pseudonymize, key_file)
    rename = pseudonymizer.pseudonym if pseudonymizer else (lambda value: value)
    with History(db_path) as store:
        run = store.get(run_id)
        pairs = [(rename(s), rename(p), score) for s, p, score in store.run_pairs(run_id)]
    if as_json:
        click.echo(json.dumps({**run.__dict__, "pairs": [list(p) for p in pairs]}))
        return
    if not quiet:
        click.echo(
            f"{run.run_id}: {run.state}, {run.status}, objective {run.objective}, gap {run.gap}, seed {run.seed}"
        )
        for seeker, provider, score in pairs:
            click.echo(
                f"  {seeker} <- {provider}" + (f"  ({score:.3f})" if score is not None else "")
            )


@history.command("commit")
@click.argument("run_id")
@_db_option
@common_options
def history_commit(run_id: str, db_path: Path, quiet: bool, as_json: bool) -> None:
    """Approve a proposal: its pairs count as history from now on."""
    from matcher.history import History

    with History(db_path) as store:
        run = store.commit(run_id)
    if as_json:
        click.echo(json.dumps(run.__dict__))
    echo(f"committed {run.run_id} ({run.pairs} pairs)", quiet)


@history.command("withdraw")
@click.argument("run_id")
@_db_option
@common_options
def history_withdraw(run_id: str, db_path: Path, quiet: bool, as_json: bool) -> None:
    """Take back a committed run: its pairs stop counting as history."""
    from matcher.history import History

    with History(db_path) as store:
        run = store.withdraw(run_id)
    if as_json:
        click.echo(json.dumps(run.__dict__))
    echo(f"withdrew {run.run_id} ({run.pairs} pairs no longer count as history)", quiet)


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
@common_options
def history_import(
    file: Path,
    program_file: Path | None,
    force: bool,
    db_path: Path,
    quiet: bool,
    as_json: bool,
) -> None:
    """Import past pairings from CSV: program,seeker_id,provider_id,period[,kind].

    Imported pairings count as committed history: later runs avoid repeating them and build on
    them. With --program they are first checked against the rules of the programs they name;
    pairings that break a rule are refused unless --force.
    """
    from matcher.analysis.isolation import analyze as run_analysis
    from matcher.assignment.run import check_imported
    from matcher.history import History
    from matcher.io.load import load_org
    from matcher.io.programs import load_program_file
    from matcher.io.tables import read_table

    table, _ = read_table(file, ("program", "seeker_id", "provider_id", "period"))
    rows = table.to_pylist()
    broken: list[str] = []
    with History(db_path) as store:
        if program_file is None:
            click.echo(
                "warning: the pairings were not checked against any program's rules "
                "(give --program FILE to check them)",
                err=True,
            )
        else:
            parsed = load_program_file(program_file)
            with step("checking the pairings against the programs' rules", quiet):
                org, _ = load_org(
                    parsed.data.employees, parsed.data.interactions, as_of=parsed.data.as_of
                )
                analysis = run_analysis(org, parsed.analysis)
                history_rows = [
                    (p.kind, p.seeker_id, p.provider_id, p.period) for p in store.committed_pairs()
                ]
                committed = [
                    (p.program, p.period, p.seeker_id, p.provider_id)
                    for p in store.committed_pairs()
                ]
                broken, unchecked = check_imported(
                    org, analysis, parsed.program, rows, history_rows, committed
                )
            if unchecked:
                click.echo(
                    f"warning: no program named {', '.join(unchecked)} in {program_file}: "
                    "those pairings were not checked",
                    err=True,
                )
            if broken and not force:
                shown = "\n".join(f"  - {b}" for b in broken[:50])
                more = f"\n  … and {len(broken) - 50} more" if len(broken) > 50 else ""
                raise click.ClickException(
                    f"{len(broken)} imported pairing(s) break the programs' rules; nothing was "
                    f"imported (fix the file, or import anyway with --force):\n{shown}{more}"
                )
        created = store.import_rows(rows, str(file), violations=broken, beside_committed=force)
    if broken:
        click.echo(
            f"warning: imported {len(broken)} pairing(s) that break a rule (--force); they are "
            "recorded with the run",
            err=True,
        )
    if as_json:
        click.echo(json.dumps({"runs": created, "rows": table.num_rows, "violations": broken}))
    echo(f"imported {table.num_rows} pairings as {len(created)} committed run(s)", quiet)


@history.command(
    "export",
    help=f"Export pairings as CSV (the import format, plus kind and run).\n\n{HISTORY_IDS}",
)
@click.option("--run", "run_id", help="Export one run's pairs (default: every committed pairing).")
@click.option("--out", "out_file", type=click.Path(dir_okay=False, path_type=Path), required=True)
@_db_option
@pseudonym_options
@common_options
def history_export(
    run_id: str | None,
    out_file: Path,
    db_path: Path,
    pseudonymize: bool,
    key_file: Path | None,
    quiet: bool,
    as_json: bool,
) -> None:
    from matcher.history import History
    from matcher.io.write import write_csv_file

    pseudonymizer = make_pseudonymizer(pseudonymize, key_file)
    rename = pseudonymizer.pseudonym if pseudonymizer else (lambda value: value)
    with History(db_path) as store:
        if run_id:
            run = store.get(run_id)
            rows = [
                [run.program, rename(s), rename(p), run.period, run.kind or "", run.run_id]
                for s, p, _ in store.run_pairs(run_id)
            ]
        else:
            rows = [
                [p.program, rename(p.seeker_id), rename(p.provider_id), p.period, p.kind or "", ""]
                for p in store.committed_pairs()
            ]
    write_csv_file(
        out_file, ("program", "seeker_id", "provider_id", "period", "kind", "run_id"), rows
    )
    if as_json:
        click.echo(json.dumps({"rows": len(rows), "out": str(out_file)}))
    echo(f"wrote {len(rows)} pairings to {out_file}", quiet)
