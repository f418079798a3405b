"""``matcher introduce``: draft (and send) one introduction per pair of a run."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import click

from matcher.cli.options import Console, common_options, db_option, echo, parse_date


@click.command()
@click.argument("run_id", metavar="RUN")
@db_option("The history database holding the run.")
@click.option(
    "--template",
    type=click.Path(dir_okay=False, path_type=Path),
    required=True,
    help="Markdown template; a first line 'Subject: …' is the subject. Placeholders: "
    "{program}, {period}, {seeker_first_name}, {provider_first_name}, {first_names}, "
    "{shared_interests}, {seeker_hours}, {provider_hours}.",
)
@click.option(
    "--employees",
    "employees_path",
    type=click.Path(path_type=Path),
    required=True,
    help="The employees file the run was made from (names, e-mails, time zones, interests).",
)
@click.option(
    "--out",
    "out_dir",
    type=click.Path(file_okay=False, path_type=Path),
    required=True,
    help="Folder for the .eml files, messages.json and the .ics invites.",
)
@click.option(
    "--from",
    "sender",
    default="matcher@localhost",
    show_default=True,
    help="The sender's address.",
)
@click.option(
    "--invite",
    is_flag=True,
    help="Add an .ics invite for a first 30-minute meeting at the start of the pair's "
    "overlapping hours on the next working day.",
)
@click.option(
    "--after",
    callback=parse_date,
    help="Invites are for the first working day after this date (default: today).",
)
@click.option(
    "--send",
    metavar="smtp://HOST:PORT",
    help="Also send the e-mails through this SMTP server.",
)
@common_options
def introduce(
    run_id: str,
    db_path: Path,
    template: Path,
    employees_path: Path,
    out_dir: Path,
    sender: str,
    invite: bool,
    after: dt.date | None,
    send: str | None,
    quiet: bool,
    as_json: bool,
) -> None:
    """Draft one introduction per pair of a proposed or committed run, from a template."""
    from matcher.workflows.introduce import IntroduceRequest, introduce_run

    outcome = introduce_run(
        IntroduceRequest(
            run_id=run_id,
            db=db_path,
            template=template,
            employees=employees_path,
            out_dir=out_dir,
            sender=sender,
            invite=invite,
            send=send,
            after=after,
        ),
        Console(quiet),
    )
    if as_json:
        click.echo(
            json.dumps(
                {
                    "run_id": outcome.run_id,
                    "messages": outcome.messages,
                    "sent": outcome.sent,
                    "files": [str(f) for f in outcome.files],
                }
            )
        )
    sent = f"; sent {outcome.sent:,} through {send}" if send else ""
    echo(f"drafted {outcome.messages:,} introduction(s) of {run_id} in {out_dir}{sent}", quiet)
