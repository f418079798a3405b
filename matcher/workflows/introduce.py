"""``matcher introduce``: one introduction per pair of a run, from a template HR writes.

The template is Markdown (sent as plain text) with safe placeholders only: first names, the
interests the two share, the hours their working days overlap (in each person's time zone),
the program and the period. A flag, a reason, a survey answer or a score can never be put in
a message: no placeholder reaches them, and an unknown placeholder is an error listing the
allowed ones. A first line ``Subject: …`` is the subject.
"""

from __future__ import annotations

import datetime as dt
import re
import smtplib
import string
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from matcher.errors import ConfigError, HistoryError, OutputError, UsageProblem
from matcher.history import History
from matcher.io.load import load_employees
from matcher.io.messages import Invite, Message, email_of, write_messages
from matcher.model import Employee, zone
from matcher.workflows.common import Reporter, Silent

PLACEHOLDERS = {
    "program": "the program's name",
    "period": "the program's period",
    "seeker_first_name": "the seeker's first name",
    "provider_first_name": "the provider's (buddy's, mentor's …) first name",
    "first_names": "both first names: 'Ada and Bob'",
    "shared_interests": "the interests both listed ('none listed' when none)",
    "seeker_hours": "the overlap of their working hours in the seeker's time zone",
    "provider_hours": "the overlap of their working hours in the provider's time zone",
}
"""The only placeholders a template may use, and what each becomes."""

INTRODUCED_STATES = ("proposed", "committed")
FIRST_MEETING_MINUTES = 30


@dataclass(frozen=True)
class IntroduceRequest:
    """What ``matcher introduce`` was asked."""

    run_id: str
    db: Path
    template: Path
    employees: Path
    out_dir: Path
    sender: str = "matcher@localhost"
    invite: bool = False
    send: str | None = None
    """``smtp://host:port``: send the e-mails there as well as writing them."""
    after: dt.date | None = None
    """Invites are for the first working day after this date (default: today)."""


@dataclass(frozen=True)
class IntroduceOutcome:
    """What was drafted, written and sent."""

    run_id: str
    messages: int
    files: list[Path]
    sent: int
    without_email: list[str]


def parse_template(text: str) -> tuple[str | None, list[tuple[str, str | None]]]:
    """The subject (a first line ``Subject: …``) and the body as ``(literal, placeholder)``.

    Raises
    ------
    ConfigError
        For an unknown placeholder, a format spec or conversion, or a malformed brace; the
        message lists the allowed placeholders.

    Examples
    --------
    >>> parse_template("Subject: Meet {first_names}\\nHi {seeker_first_name}!")
    ('Meet {first_names}', [('Hi ', 'seeker_first_name'), ('!', None)])
    """
    subject = None
    first, _, rest = text.partition("\n")
    if first.lower().startswith("subject:"):
        subject, text = first.split(":", 1)[1].strip(), rest.lstrip("\n")
    allowed = ", ".join("{" + name + "}" for name in PLACEHOLDERS)
    parts: list[tuple[str, str | None]] = []
    for piece in (subject or "", text):
        try:
            parsed = list(string.Formatter().parse(piece))
        except ValueError as exc:
            raise ConfigError(
                f"the template has a stray brace ({exc}); write {{{{ and }}}} for a brace, "
                f"and use only {allowed}"
            ) from exc
        for _literal, name, spec, conversion in parsed:
            if name is not None and (name not in PLACEHOLDERS or spec or conversion):
                raise ConfigError(
                    f"the template uses {{{name}{'!' + conversion if conversion else ''}"
                    f"{':' + spec if spec else ''}}}, which is not a placeholder; allowed: "
                    f"{allowed}"
                )
        if piece is text:
            parts = [(literal, name) for literal, name, _, _ in parsed]
    return subject, parts


def _fill(parts: Sequence[tuple[str, str | None]], values: dict[str, str]) -> str:
    return "".join(literal + (values[name] if name else "") for literal, name in parts)


def first_name(person: Employee) -> str:
    """The first word of the name, or the id when there is no name."""
    return person.name.split()[0] if person.name and person.name.split() else person.id


def _window(person: Employee, day: dt.date) -> tuple[dt.datetime, dt.datetime]:
    tz = zone(person.timezone) if person.timezone else dt.UTC

    def at(hours: float) -> dt.datetime:
        midnight = dt.datetime.combine(day, dt.time(0), tzinfo=tz)
        return midnight + dt.timedelta(hours=hours)

    return at(person.work_start), at(person.work_end)


def overlap(a: Employee, b: Employee, day: dt.date) -> tuple[dt.datetime, dt.datetime] | None:
    """When the working hours of ``a`` on ``day`` (their calendar) overlap those of ``b`` on
    the same, the previous or the next day of theirs (UTC times), or None.

    >>> ada = Employee(id="A", timezone="Europe/Berlin", work_start=9, work_end=17)
    >>> bob = Employee(id="B", timezone="America/New_York", work_start=9, work_end=17)
    >>> start, end = overlap(ada, bob, dt.date(2026, 10, 5))
    >>> start.strftime("%H:%M"), end.strftime("%H:%M")
    ('13:00', '15:00')
    """
    start_a, end_a = _window(a, day)
    for shift in (0, -1, 1):
        start_b, end_b = _window(b, day + dt.timedelta(days=shift))
        start, end = max(start_a, start_b), min(end_a, end_b)
        if start < end:
            return start.astimezone(dt.UTC), end.astimezone(dt.UTC)
    return None


def _hours(window: tuple[dt.datetime, dt.datetime] | None, person: Employee) -> str:
    if window is None:
        return "no overlap of working hours"
    tz = zone(person.timezone) if person.timezone else dt.UTC
    start, end = (t.astimezone(tz) for t in window)
    return f"{start:%H:%M}–{end:%H:%M} ({person.timezone or 'UTC'})"


def next_working_day(after: dt.date) -> dt.date:
    """The first Monday-to-Friday day after ``after``.

    >>> next_working_day(dt.date(2026, 10, 2))  # a Friday
    datetime.date(2026, 10, 5)
    """
    day = after + dt.timedelta(days=1)
    while day.weekday() >= 5:
        day += dt.timedelta(days=1)
    return day


def draft_messages(request: IntroduceRequest, reporter: Reporter) -> list[Message]:
    """The run's introductions, one per pair, from the template."""
    try:
        template = request.template.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{request.template}: cannot be read as UTF-8 text ({exc})") from exc
    subject_template, body = parse_template(template)
    subject_parts = parse_template(subject_template)[1] if subject_template else None
    with History(request.db, create=False) as history:
        run = history.get(request.run_id)
        if run.state not in INTRODUCED_STATES:
            raise HistoryError(
                f"run {run.run_id!r} is {run.state}: only a proposed or committed run's pairs "
                "are introduced"
            )
        pairs = history.run_pairs(run.run_id)
    people = {e.id: e for e in load_employees(request.employees)}
    unknown = sorted({i for pair in pairs for i in pair[:2] if i not in people})
    if unknown:
        shown = ", ".join(unknown[:5]) + (
            f" and {len(unknown) - 5} more" if len(unknown) > 5 else ""
        )
        raise UsageProblem(
            f"{request.employees} lacks {len(unknown)} person(s) of run {run.run_id!r}: {shown}; "
            "give the employees file the run was made from"
        )
    day = next_working_day(request.after or dt.date.today())
    messages = []
    width = len(str(len(pairs)))
    for number, (seeker_id, provider_id, _score) in enumerate(pairs, start=1):
        seeker, provider = people[seeker_id], people[provider_id]
        window = overlap(seeker, provider, day)
        shared = sorted(set(seeker.interests) & set(provider.interests))
        values = {
            "program": run.program,
            "period": run.period,
            "seeker_first_name": first_name(seeker),
            "provider_first_name": first_name(provider),
            "first_names": f"{first_name(seeker)} and {first_name(provider)}",
            "shared_interests": ", ".join(shared) or "none listed",
            "seeker_hours": _hours(window, seeker),
            "provider_hours": _hours(window, provider),
        }
        subject = (
            _fill(subject_parts, values)
            if subject_parts is not None
            else f"{run.program}: meet {values['first_names']}"
        )
        key = re.sub(r"[^A-Za-z0-9_.-]", "_", f"{number:0{width}d}-{seeker_id}-{provider_id}")
        invite = None
        if request.invite and window is not None:
            minutes = min(FIRST_MEETING_MINUTES, int((window[1] - window[0]).total_seconds() // 60))
            invite = Invite(window[0], minutes)
        messages.append(
            Message(
                key=key,
                people=(seeker_id, provider_id),
                emails=(seeker.email or "", provider.email or ""),
                names=(seeker.name or "", provider.name or ""),
                subject=subject,
                text=_fill(body, values),
                program=run.program,
                period=run.period,
                run_id=run.run_id,
                invite=invite,
            )
        )
    if request.invite:
        apart = [m.key for m in messages if m.invite is None]
        if apart:
            reporter.warn(
                f"{len(apart)} pair(s) have no overlap of working hours on {day}, so no invite: "
                + ", ".join(apart[:5])
            )
    return messages


def _smtp_address(url: str) -> tuple[str, int]:
    parts = urlsplit(url)
    if parts.scheme != "smtp" or not parts.hostname:
        raise UsageProblem(f"--send expects smtp://host:port, found {url!r}")
    try:
        port = parts.port or 25
    except ValueError as exc:
        raise UsageProblem(f"--send: bad port in {url!r}") from exc
    return parts.hostname, port


def introduce_run(request: IntroduceRequest, reporter: Reporter | None = None) -> IntroduceOutcome:
    """Draft one introduction per pair of a proposed or committed run, write them to
    ``out_dir`` (``.eml`` per pair, ``messages.json``, and ``.ics`` invites with ``invite``)
    and, with ``send``, send the e-mails through that SMTP server.

    Raises
    ------
    ConfigError
        An unreadable template or an unknown placeholder (the allowed ones are listed).
    HistoryError
        No such run, or a run that was rejected or withdrawn.
    UsageProblem
        People of the run missing from the employees file, or a bad ``send`` address.
    OutputError
        When the SMTP server refuses or cannot be reached (the files are written first).
    """
    reporter = reporter or Silent()
    messages = draft_messages(request, reporter)
    with reporter.step(f"writing {len(messages)} introduction(s)"):
        files = write_messages(messages, request.out_dir, request.sender, invites=request.invite)
    without = [m.key for m in messages if not all(m.emails)]
    if without:
        reporter.warn(
            f"{len(without)} introduction(s) lack an e-mail address for someone (no email "
            f"column value in {request.employees}): " + ", ".join(without[:5])
        )
    sent = 0
    if request.send is not None:
        host, port = _smtp_address(request.send)
        with reporter.step(f"sending {len(messages)} e-mail(s) through {host}:{port}"):
            try:
                with smtplib.SMTP(host, port, timeout=30) as smtp:
                    for message in messages:
                        if any(message.emails):
                            smtp.send_message(email_of(message, request.sender))
                            sent += 1
            except (OSError, smtplib.SMTPException) as exc:
                raise OutputError(
                    f"sending through {host}:{port} failed after {sent} e-mail(s) ({exc}); "
                    f"the drafts are in {request.out_dir}"
                ) from exc
    return IntroduceOutcome(request.run_id, len(messages), files, sent, without)
