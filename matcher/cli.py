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
from typing import Any

import click

from matcher.cli_options import common_options, echo, optional_key, pseudonym_options, step
from matcher.cli_options import pseudonymizer as make_pseudonymizer
from matcher.errors import MatcherError
from matcher.ingest.command import ingest


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


def warn_if_shared(out_dir: Path, ours: Any) -> None:
    """Fail now if ``out_dir`` cannot be written; warn when it is shared with the user's files
    (outputs then replaced file by file, not switched as a whole)."""
    from matcher.io.write import SHARED_FOLDER_WARNING, check_output_folder, foreign_files

    if check_output_folder(out_dir, ours=ours) == "shared":
        names = foreign_files(out_dir, ours)
        shown = ", ".join(names[:3]) + (f" and {len(names) - 3} more" if len(names) > 3 else "")
        click.echo(
            "warning: "
            + SHARED_FOLDER_WARNING.format(out=out_dir, shown=shown or "the working folder"),
            err=True,
        )


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


def _warn_future(count: int, interactions: Path | str, rejects: Path | None) -> None:
    """Say on stderr, even with ``--quiet``, that rows dated in the future were left out."""
    if count:
        listed = f"; listed in {rejects}" if rejects is not None else ""
        click.echo(
            f"warning: {interactions}: {count:,} interaction row(s) dated after tomorrow were "
            f"left out{listed} (give the analysis date, --as-of or [data] as_of, to keep them)",
            err=True,
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
    _warn_future(org.report.future_dated, interactions_path, out_dir / "rejects.csv")
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


@main.command()
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
    "--analysis",
    "analysis_dir",
    type=click.Path(file_okay=False, path_type=Path),
    help="Use the flags and ties that matcher analyze wrote to this folder (same employees "
    "file) instead of analysing again; interactions are then not read.",
)
@click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path), required=True)
@click.option(
    "--db",
    "db_path",
    type=click.Path(dir_okay=False, path_type=Path),
    default="matcher.db",
    show_default=True,
    help="History database.",
)
@click.option("--seed", type=int, default=0, show_default=True)
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
@pseudonym_options
@common_options
def assign(
    program_file: Path,
    names: tuple[str, ...],
    employees_path: Path | None,
    interactions_path: Path | None,
    analysis_dir: Path | None,
    out_dir: Path,
    db_path: Path,
    seed: int,
    time_limit: float,
    explain: bool,
    incremental: bool,
    strict: bool,
    with_names: bool,
    pseudonymize: bool,
    key_file: Path | None,
    quiet: bool,
    as_json: bool,
) -> None:
    """Assign buddies, mentors or peer supporters as the program file says."""
    from matcher.analysis.isolation import Analysis, AnalysisView
    from matcher.analysis.isolation import analyze as run_analysis
    from matcher.assignment.run import assign_programs
    from matcher.assignment.solve import SolveOptions
    from matcher.history import History
    from matcher.io.load import load_org
    from matcher.io.programs import check_saved_analysis, load_program_file
    from matcher.io.reports import OUTPUT_FILES, read_analysis_view
    from matcher.io.runs import store_and_write
    from matcher.privacy import WITH_NAMES_WARNING, public_summary

    started = time.perf_counter()
    parsed = load_program_file(program_file)
    specs = [p for p in parsed.program if not names or p.name in names]
    unknown = sorted(set(names) - {p.name for p in parsed.program})
    if unknown:
        valid = ", ".join(p.name for p in parsed.program)
        raise click.UsageError(
            f"no program named {', '.join(unknown)} in {program_file} (programs: {valid})"
        )
    pseudonymizer = make_pseudonymizer(pseudonymize, key_file)
    notes = [WITH_NAMES_WARNING] if with_names and pseudonymizer else []
    for note in notes:  # printed even with --quiet: it is about the privacy of the outputs
        click.echo(f"warning: {note}", err=True)
    if analysis_dir is not None and interactions_path is not None:
        raise click.UsageError("--analysis replaces --interactions: give one of them")
    warn_if_shared(out_dir, OUTPUT_FILES)
    with step("loading data", quiet):
        org, _ = load_org(
            employees_path or parsed.data.employees,
            None if analysis_dir else interactions_path or parsed.data.interactions,
            as_of=parsed.data.as_of,
        )
    _warn_future(org.report.future_dated, interactions_path or parsed.data.interactions or "", None)
    analysis: Analysis | AnalysisView
    if analysis_dir is None:
        with step(f"analysing {len(org):,} people", quiet):
            analysis = run_analysis(org, parsed.analysis.model_copy(update={"seed": seed}))
        inputs = org.sources
    else:
        with step(f"reading the analysis in {analysis_dir}", quiet):
            analysis = read_analysis_view(
                analysis_dir, org, pseudonymizer or optional_key(key_file)
            )
        check_saved_analysis(analysis, analysis_dir, parsed, program_file)
        inputs = {**analysis.sources, "analysis": str(analysis_dir)}
    options = SolveOptions(time_limit=time_limit, seed=seed)
    with History(db_path) as history:
        committed, committed_runs = history.snapshot()
        rows = [(p.kind, p.seeker_id, p.provider_id, p.period) for p in committed]
        # an incremental proposal builds on exactly the committed runs whose pairs it sees
        builds_on = (
            {spec.name: committed_runs.get((spec.name, spec.period), []) for spec in specs}
            if incremental
            else None
        )

        def prior(spec: Any) -> list[tuple[str, str]]:
            if not incremental:
                return []
            return [
                (p.seeker_id, p.provider_id)
                for p in committed
                if p.program == spec.name and p.period == spec.period
            ]

        with step(f"solving {len(specs)} program(s)", quiet):
            results = assign_programs(
                org,
                analysis,
                specs,
                history=rows,
                prior=prior,
                options=options,
                threads=os.cpu_count() or 1,
            )
        summary = store_and_write(
            history,
            results,
            out_dir,
            {
                "seed": seed,
                "inputs": inputs,
                "program_file": str(program_file),
                "db": str(db_path),
                "incremental": incremental,
                "seconds": round(time.perf_counter() - started, 2),
                "notes": notes,
            },
            seed=seed,
            inputs=inputs,
            explain=explain,
            with_names=with_names,
            pseudonymizer=pseudonymizer,
            builds_on=builds_on,
        )
    summary = public_summary(summary, results, pseudonymizer)
    if as_json:
        click.echo(json.dumps(summary, default=str))
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
    echo("\n".join(lines), quiet)
    if strict and any(
        b["status"] == "infeasible" or b["matched"] < b["seekers"]
        for b in summary["programs"].values()
    ):
        sys.exit(3)


@main.command()
@click.argument("scenario_file", type=click.Path(path_type=Path))
@click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path), required=True)
@click.option(
    "--set",
    "assignments",
    multiple=True,
    metavar="KEY=VALUE",
    help="Override a key of the scenario file, e.g. --set org.generate.employees=2000 (repeatable).",
)
@click.option("--quarters", type=click.IntRange(1, 20), help="Override scenario.quarters.")
@click.option("--replications", type=click.IntRange(1, 200), help="Override scenario.replications.")
@click.option("--seed", type=int, help="Override scenario.seed.")
@click.option("--time-limit", type=click.FloatRange(min=0.1), help="Solver seconds per program.")
@click.option(
    "--workers",
    type=click.IntRange(min=1),
    default=lambda: os.cpu_count() or 1,
    show_default="all cores",
    help="Local processes (1 runs in this process).",
)
@click.option(
    "--executor",
    type=click.Choice(["local", "dask"]),
    default="local",
    show_default=True,
    help="Run the grid on local processes or on a Dask cluster.",
)
@click.option("--scheduler", help="Dask scheduler address, with --executor dask.")
@click.option(
    "--fresh", is_flag=True, help="Ignore results kept from an earlier run in OUT/cells/."
)
@common_options
def simulate(
    scenario_file: Path,
    out_dir: Path,
    assignments: tuple[str, ...],
    quarters: int | None,
    replications: int | None,
    seed: int | None,
    time_limit: float | None,
    workers: int,
    executor: str,
    scheduler: str | None,
    fresh: bool,
    quiet: bool,
    as_json: bool,
) -> None:
    """Simulate program variants over quarters and write a report (variants x quarters x seeds)."""
    from matcher.io.scenarios import parse_assignment, simulate_scenario

    overrides = [parse_assignment(text) for text in assignments]
    for key, value in (
        ("scenario.quarters", quarters),
        ("scenario.replications", replications),
        ("scenario.seed", seed),
        ("scenario.time_limit", time_limit),
    ):
        if value is not None:
            overrides.append((key, value))
    if executor == "dask" and not scheduler:
        raise click.UsageError("--executor dask needs --scheduler ADDRESS")
    finished = [0, 0]

    def count(done: int, total: int) -> None:
        finished[:] = [done, total]
        if progress is not None:
            progress(done, total)

    with _progress("simulating", quiet) as progress:
        try:
            summary = simulate_scenario(
                scenario_file,
                out_dir,
                overrides=tuple(overrides),
                executor="dask" if executor == "dask" else "local",
                workers=workers,
                scheduler=scheduler,
                fresh=fresh,
                progress=count,
            )
        except KeyboardInterrupt:
            click.echo(
                f"interrupted: {finished[0]} of {finished[1]} runs are kept in "
                f"{out_dir / 'cells'}; run the same command again to resume",
                err=True,
            )
            sys.exit(130)
    if as_json:
        click.echo(json.dumps(summary, indent=2))
        return
    lines = [
        f"simulated {summary['scenario']}: {summary['cells']} runs "
        f"({len(summary['variants'])} variants x {summary['replications']} seeds x "
        f"{summary['quarters']} quarters) in {summary['seconds']:.0f} s"
        + (
            f", {summary['reused_cells']} reused from an earlier run"
            if summary["reused_cells"]
            else ""
        ),
        *(f"  {sentence}" for sentence in summary["answer"]),
        f"  report: {out_dir / 'report.html'}",
    ]
    echo("\n".join(lines), quiet)


@contextmanager
def _progress(message: str, quiet: bool) -> Iterator[Callable[[int, int], None] | None]:
    """A progress bar on a terminal; ``None`` elsewhere."""
    if quiet or not sys.stderr.isatty():
        yield None
        return
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeRemainingColumn

    with Progress(
        f"[bold]{message}",
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        console=Console(stderr=True),
    ) as bar:
        task = bar.add_task(message, total=None)

        def update(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)

        yield update


HISTORY_IDS = (
    "The database is HR's own store and keeps real employee ids; --pseudonymize replaces them "
    "by keyed pseudonyms in what this command prints or writes (the database is not changed)."
)


@main.group()
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
    """Check input files and program files without solving.

    Files are recognised by their columns: an employees file has ``id``, an interactions file
    has ``source`` and ``target`` (checked against ``--employees`` when given).
    """
    from matcher.io.validate import validate_files

    results = validate_files(list(files), employees_path)
    if as_json:
        click.echo(json.dumps(results))
    for line in results["files"]:
        echo(f"{line['file']}: ok ({line['kind']}, {line['rows']:,} rows)", quiet)


main.add_command(ingest)


def run() -> None:  # pragma: no cover - console entry point
    main(prog_name="matcher")


if __name__ == "__main__":  # pragma: no cover
    run()
