"""``matcher ingest``: exports in, ``interactions.csv`` (or, from an HRIS report, ``employees.csv``) out.

The command is registered by :mod:`matcher.cli` (``main.add_command(ingest)``); the options and
helpers it shares with the other commands come from :mod:`matcher.cli.options`.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from matcher.cli.options import Console, common_options, echo, pseudonym_options
from matcher.cli.options import pseudonymizer as make_pseudonymizer
from matcher.errors import MatcherError, UsageProblem

KINDS = ("slack", "ics", "graph", "hris")
"""The values of :class:`matcher.ingest.records.Kind` (spelled out here, so that ``--help``
does not load the readers; a test keeps them equal)."""


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
    type=click.Choice(KINDS),
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
    help="Messages and meetings addressed to more people are broadcasts and left out "
    "(default: the analysis's broadcast_size, 25).",
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
    broadcast_size: int | None,
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
    from matcher.ingest.records import Kind
    from matcher.workflows.ingest import (
        EmployeesIngested,
        IngestRequest,
        SurveyIngested,
        ingest_files,
    )

    try:
        request = IngestRequest(
            sources=sources,
            out=out_path,
            kind=Kind(kind) if kind else None,
            employees=employees_path,
            append=append,
            start=start,
            end=end,
            broadcast_size=broadcast_size,
            channel_posts=channel_posts,
            reactions=reactions,
            aliases=aliases_path,
            rejects=rejects_path,
            mapping=mapping,
            pseudonymizer=make_pseudonymizer(pseudonymize, key_file),
        )
        outcome = ingest_files(request, Console(quiet))
    except UsageProblem as exc:  # also when the command runs outside matcher.cli.main
        raise click.UsageError(str(exc)) from exc
    except MatcherError as exc:
        raise click.ClickException(str(exc)) from exc
    if as_json:
        click.echo(json.dumps(outcome.summary))
    if quiet:
        return
    if isinstance(outcome, SurveyIngested):
        echo("\n".join(outcome.report.lines()), quiet)
    elif isinstance(outcome, EmployeesIngested):
        echo(_employees_lines(outcome, sources[0]), quiet)
    else:
        echo(_interactions_lines(outcome, append), quiet)


def _employees_lines(outcome: Any, source: Path) -> str:
    summary = outcome.summary
    found = ", ".join(f"{ours} ← {theirs!r}" for ours, theirs in summary["columns"].items())
    return (
        f"wrote {summary['out']}: {summary['employees']:,} employees from {source} "
        f"(header on row {summary['header_row']}; {found}) in {summary['seconds']} s"
    )


def _interactions_lines(outcome: Any, append: bool) -> str:
    report, summary = outcome.report, outcome.summary
    lines = [
        f"wrote {summary['out']}: {report.written.added:,} new rows"
        + (f", {report.written.existing:,} kept from before" if append else "")
        + f", {report.written.duplicates:,} duplicates left out, in {summary['seconds']} s"
    ]
    for source in report.sources:
        lines.append(
            f"  {source.kind} {source.file}: {source.events:,} events, {source.rows:,} rows"
        )
        for reason, count in sorted(source.skipped.items(), key=lambda item: -item[1]):
            lines.append(f"    left out: {count:,} {reason}")
    if report.rejects:
        lines.append(
            f"  unresolved: {report.rejects:,} identities named in {outcome.unresolved_rows:,} "
            f"rows, listed in {outcome.rejects} (add them to --aliases if they are employees)"
        )
    return "\n".join(lines)
