"""``matcher ingest``: exports in, ``interactions.csv`` (or, from an HRIS report, ``employees.csv``) out.

The command is registered by :mod:`matcher.cli` (``main.add_command(ingest)``); the options and
helpers it shares with the other commands come from :mod:`matcher.cli.options`.
"""

from __future__ import annotations

import datetime as dt
import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from matcher.cli.options import common_options, pseudonym_options, step
from matcher.cli.options import pseudonymizer as make_pseudonymizer
from matcher.config import AnalysisConfig
from matcher.errors import MatcherError
from matcher.ingest.records import Kind, Window

DEFAULT_BROADCAST_SIZE = int(AnalysisConfig.model_fields["broadcast_size"].default)


def parse_moment(text: str, *, end: bool) -> dt.datetime:
    """A window bound: a date (the start of that day, or for ``end`` the end of it) or an
    ISO date and time (UTC when it has no offset).

    >>> parse_moment("2026-09-30", end=True).isoformat()
    '2026-10-01T00:00:00+00:00'
    >>> parse_moment("2026-09-30T12:00:00+02:00", end=False).isoformat()
    '2026-09-30T10:00:00+00:00'
    """
    text = text.strip()
    if len(text) == 10:
        day = dt.date.fromisoformat(text)
        moment = dt.datetime.combine(day, dt.time(), dt.UTC)
        return moment + dt.timedelta(days=1) if end else moment
    moment = dt.datetime.fromisoformat(text)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    return moment.astimezone(dt.UTC)


def _bound(end: bool) -> Callable[[click.Context, click.Parameter, str | None], dt.datetime | None]:
    def parse(
        _ctx: click.Context, _param: click.Parameter, value: str | None
    ) -> dt.datetime | None:
        if value is None:
            return None
        try:
            return parse_moment(value, end=end)
        except (ValueError, OverflowError) as exc:
            raise click.BadParameter(
                f"expected a date such as 2026-10-01 or a time such as 2026-10-01T09:00:00+02:00, found {value!r}"
            ) from exc

    return parse


@click.command("ingest")
@click.argument("sources", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option(
    "--kind",
    type=click.Choice([k.value for k in Kind]),
    help="What the sources are (default: recognised from each source).",
)
@click.option(
    "--employees",
    "employees_path",
    type=click.Path(path_type=Path),
    help="Employees file whose e-mail addresses identify people (not with hris).",
)
@click.option(
    "--out",
    "out_path",
    type=click.Path(dir_okay=False, path_type=Path),
    required=True,
    help="interactions.csv to write (employees.csv for hris).",
)
@click.option(
    "--append", is_flag=True, help="Keep the rows already in --out and add only new ones."
)
@click.option(
    "--start", callback=_bound(end=False), help="Keep events from this date (or time) on."
)
@click.option(
    "--end",
    callback=_bound(end=True),
    help="Keep events up to this date, inclusive (or before this time). Default: now.",
)
@click.option(
    "--broadcast-size",
    type=click.IntRange(min=2),
    default=DEFAULT_BROADCAST_SIZE,
    show_default=True,
    help="Messages and meetings addressed to more people are broadcasts and left out.",
)
@click.option(
    "--channel-posts",
    is_flag=True,
    help="slack: count plain channel posts as chat with the channel's members.",
)
@click.option(
    "--reactions", is_flag=True, help="slack: count reactions as chat (weight 0.5) to the author."
)
@click.option(
    "--aliases",
    "aliases_path",
    type=click.Path(path_type=Path),
    help="File with columns alias and email (or id): other addresses and accounts of employees.",
)
@click.option(
    "--rejects",
    "rejects_path",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Where to list unresolved identities (default: beside --out, OUT-rejects.csv).",
)
@click.option(
    "--mapping",
    help="hris: mapping file (hris.toml) or the name of a ready one: workday. "
    "A survey export: a mapping file with a [survey] table (survey.toml).",
)
@pseudonym_options
@common_options
def ingest(
    sources: tuple[Path, ...],
    kind: str | None,
    employees_path: Path | None,
    out_path: Path,
    append: bool,
    start: dt.datetime | None,
    end: dt.datetime | None,
    broadcast_size: int,
    channel_posts: bool,
    reactions: bool,
    aliases_path: Path | None,
    rejects_path: Path | None,
    mapping: str | None,
    pseudonymize: bool,
    key_file: Path | None,
    quiet: bool,
    as_json: bool,
) -> None:
    """Read Slack exports, calendars (.ics), Microsoft Graph dumps, an HRIS report or a survey.

    Slack, calendar and Graph sources become interactions.csv rows (metadata only: who, when,
    which channel, how long), with people matched to --employees by e-mail. An HRIS report
    (CSV or XLSX) becomes employees.csv through a --mapping; a forms export (Microsoft Forms,
    Google Forms, Qualtrics) becomes survey.csv through a --mapping with a [survey] table.

    \b
    matcher ingest slack-export.zip --employees employees.csv --out interactions.csv
    matcher ingest calendars/ --employees employees.csv --out interactions.csv --append
    matcher ingest workers.xlsx --mapping workday --out employees.csv
    matcher ingest pulse.xlsx --mapping survey.toml --employees employees.csv --out survey.csv
    """
    try:
        _run(
            sources,
            kind=Kind(kind) if kind else None,
            employees_path=employees_path,
            out_path=out_path,
            append=append,
            start=start,
            end=end,
            broadcast_size=broadcast_size,
            channel_posts=channel_posts,
            reactions=reactions,
            aliases_path=aliases_path,
            rejects_path=rejects_path,
            mapping=mapping,
            pseudonymize=pseudonymize,
            key_file=key_file,
            quiet=quiet,
            as_json=as_json,
        )
    except MatcherError as exc:  # also when the command runs outside matcher.cli.main
        raise click.ClickException(str(exc)) from exc


def _run(
    sources: tuple[Path, ...],
    *,
    kind: Kind | None,
    employees_path: Path | None,
    out_path: Path,
    append: bool,
    start: dt.datetime | None,
    end: dt.datetime | None,
    broadcast_size: int,
    channel_posts: bool,
    reactions: bool,
    aliases_path: Path | None,
    rejects_path: Path | None,
    mapping: str | None,
    pseudonymize: bool,
    key_file: Path | None,
    quiet: bool,
    as_json: bool,
) -> None:
    from matcher.ingest.pipeline import detect_kind
    from matcher.ingest.survey import is_survey_mapping

    if mapping is not None and is_survey_mapping(mapping):
        unused: dict[str, object] = {
            "--kind": kind,
            "--append": append,
            "--start": start,
            "--end": end,
        }
        _run_survey(
            sources,
            Path(mapping),
            employees_path,
            aliases_path,
            out_path,
            rejects_path,
            make_pseudonymizer(pseudonymize, key_file),
            unused,
            quiet,
            as_json,
        )
        return
    started = time.perf_counter()
    kinds = [kind or detect_kind(path) for path in sources]
    if Kind.HRIS in kinds:
        if set(kinds) != {Kind.HRIS}:
            raise click.UsageError(
                "an HRIS report makes employees.csv: ingest it on its own, before the other sources"
            )
        for name, given in (
            ("--employees", employees_path),
            ("--append", append),
            ("--aliases", aliases_path),
            ("--rejects", rejects_path),
        ):
            if given:
                raise click.UsageError(f"{name} is not used with an HRIS report")
        if len(sources) != 1:
            raise click.UsageError("give one HRIS report at a time")
        if mapping is None:
            raise click.UsageError(
                "an HRIS report needs --mapping FILE (see docs/ingest.md) or --mapping workday"
            )
        pseudonymizer = make_pseudonymizer(pseudonymize, key_file)
        _run_hris(sources[0], mapping, out_path, pseudonymizer, started, quiet, as_json)
        return
    if mapping is not None:
        raise click.UsageError("--mapping is only used with an HRIS report")
    if employees_path is None:
        raise click.UsageError(
            "--employees is required: people are matched to employees by e-mail address"
        )
    if out_path.suffix.lower() != ".csv":
        raise click.UsageError(f"--out must be a .csv file, found {out_path.name!r}")
    end = end or dt.datetime.now(dt.UTC).replace(microsecond=0)
    if start is not None and start >= end:
        raise click.UsageError("--start must come before --end")
    rejects_path = rejects_path or out_path.with_name(f"{out_path.stem}-rejects.csv")
    if rejects_path.resolve() == out_path.resolve():
        raise click.UsageError("--rejects must differ from --out")
    pseudonymizer = make_pseudonymizer(pseudonymize, key_file)

    from matcher.ingest.identity import load_directory
    from matcher.ingest.pipeline import ReadOptions, ingest_interactions

    with step("loading employees", quiet):
        directory = load_directory(employees_path, aliases_path)
    options = ReadOptions(
        window=Window.of(start, end),
        broadcast_size=broadcast_size,
        channel_posts=channel_posts,
        reactions=reactions,
    )
    with step(f"reading {len(sources)} source(s)", quiet):
        report = ingest_interactions(
            list(zip(sources, kinds, strict=True)),
            directory,
            out_path,
            rejects=rejects_path,
            append=append,
            options=options,
            pseudonymizer=pseudonymizer,
        )
    seconds = round(time.perf_counter() - started, 2)
    unresolved_rows = sum(sum(s.unresolved.rows.values()) for s in report.sources)
    summary = {
        "out": str(out_path),
        "rejects": str(rejects_path),
        "window": {
            "start": start.isoformat() if start else None,
            "end": end.isoformat(),
        },
        "rows_added": report.written.added,
        "rows_kept": report.written.existing,
        "duplicates": report.written.duplicates,
        "unresolved_identities": report.rejects,
        "unresolved_rows": unresolved_rows,
        "pseudonymized": pseudonymizer is not None,
        "sources": [s.summary() for s in report.sources],
        "seconds": seconds,
    }
    if as_json:
        click.echo(json.dumps(summary))
    if quiet:
        return
    lines = [
        f"wrote {out_path}: {report.written.added:,} new rows"
        + (f", {report.written.existing:,} kept from before" if append else "")
        + f", {report.written.duplicates:,} duplicates left out, in {seconds} s"
    ]
    for source in report.sources:
        lines.append(
            f"  {source.kind} {source.file}: {source.events:,} events, {source.rows:,} rows"
        )
        for reason, count in sorted(source.skipped.items(), key=lambda item: -item[1]):
            lines.append(f"    left out: {count:,} {reason}")
    if report.rejects:
        lines.append(
            f"  unresolved: {report.rejects:,} identities named in {unresolved_rows:,} rows, listed in {rejects_path} "
            "(add them to --aliases if they are employees)"
        )
    click.echo("\n".join(lines), err=True)


def _run_hris(
    source: Path,
    mapping_spec: str,
    out_path: Path,
    pseudonymizer: Any,
    started: float,
    quiet: bool,
    as_json: bool,
) -> None:
    from matcher.ingest.hris import load_mapping, pseudonymized, read_hris
    from matcher.io.write import write_csv_file

    mapping, label = load_mapping(mapping_spec)
    result = read_hris(source, mapping)
    if pseudonymizer is not None:
        result = pseudonymized(result, pseudonymizer.pseudonym)
    write_csv_file(out_path, result.header, result.rows)
    seconds = round(time.perf_counter() - started, 2)
    summary = {
        "out": str(out_path),
        "mapping": label,
        "employees": len(result.rows),
        "header_row": result.header_row,
        "columns": result.columns,
        "pseudonymized": pseudonymizer is not None,
        "seconds": seconds,
    }
    if as_json:
        click.echo(json.dumps(summary))
    if not quiet:
        found = ", ".join(f"{ours} ← {theirs!r}" for ours, theirs in result.columns.items())
        click.echo(
            f"wrote {out_path}: {len(result.rows):,} employees from {source} "
            f"(header on row {result.header_row}; {found}) in {seconds} s",
            err=True,
        )


def _run_survey(
    sources: tuple[Path, ...],
    mapping: Path,
    employees_path: Path | None,
    aliases_path: Path | None,
    out_path: Path,
    rejects_path: Path | None,
    pseudonymizer: Any,
    unused: dict[str, object],
    quiet: bool,
    as_json: bool,
) -> None:
    from matcher.ingest.survey import ingest_survey

    for name, given in unused.items():
        if given:
            raise click.UsageError(f"{name} is not used with a survey export")
    if employees_path is None:
        raise click.UsageError("--employees is required: respondents are matched by e-mail address")
    if out_path.suffix.lower() != ".csv":
        raise click.UsageError(f"--out must be a .csv file, found {out_path.name!r}")
    rejects_path = rejects_path or out_path.with_name(f"{out_path.stem}-rejects.csv")
    if rejects_path.resolve() == out_path.resolve():
        raise click.UsageError("--rejects must differ from --out")
    report = ingest_survey(
        sources,
        mapping,
        employees=employees_path,
        aliases=aliases_path,
        out=out_path,
        rejects=rejects_path,
        pseudonymizer=pseudonymizer,
    )
    if as_json:
        click.echo(json.dumps(report.summary()))
    if not quiet:
        click.echo("\n".join(report.lines()), err=True)
