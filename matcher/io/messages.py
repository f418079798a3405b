"""Introduction messages as files: ``.eml`` e-mails, a Slack-ready ``messages.json`` and
``.ics`` calendar invites.

The texts are made by :mod:`matcher.workflows.introduce`; this module only writes them.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from email.message import EmailMessage
from pathlib import Path

OUR_SUFFIXES = (".eml", ".ics")
MESSAGES_FILE = "messages.json"


@dataclass(frozen=True)
class Invite:
    """A first meeting: when (UTC) and for how long."""

    start: dt.datetime
    minutes: int


@dataclass(frozen=True)
class Message:
    """One introduction: to whom, its subject and text, and an optional invite."""

    key: str
    """A short file-name stem naming the pair (``01-E12-E40``)."""
    people: tuple[str, ...]
    emails: tuple[str, ...]
    names: tuple[str, ...]
    subject: str
    text: str
    program: str
    period: str
    run_id: str
    invite: Invite | None = None


def email_of(message: Message, sender: str) -> EmailMessage:
    """The message as an e-mail from ``sender`` to everyone in the pair who has an address."""
    mail = EmailMessage()
    mail["From"] = sender
    mail["To"] = ", ".join(
        f'"{name}" <{email}>' if name else email
        for name, email in zip(message.names, message.emails, strict=True)
        if email
    )
    mail["Subject"] = message.subject
    mail.set_content(message.text)
    if message.invite is not None:
        mail.add_attachment(
            ics_text(message, sender).encode("utf-8"),
            maintype="text",
            subtype="calendar",
            filename="invite.ics",
            params={"method": "REQUEST"},
        )
    return mail


def _ics_escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,").replace("\n", "\\n")


def ics_text(message: Message, sender: str) -> str:
    """An iCalendar (RFC 5545) request for the pair's first meeting."""
    invite = message.invite
    if invite is None:
        raise ValueError("the message has no invite")
    stamp = "%Y%m%dT%H%M%SZ"
    start = invite.start.astimezone(dt.UTC)
    end = start + dt.timedelta(minutes=invite.minutes)
    uid = re.sub(r"[^A-Za-z0-9.-]", "-", f"{message.run_id}-{message.key}")
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        "PRODID:-//matcher//introductions//EN",
        "METHOD:REQUEST",
        "BEGIN:VEVENT",
        f"UID:{uid}@matcher",
        f"DTSTAMP:{start.strftime(stamp)}",
        f"DTSTART:{start.strftime(stamp)}",
        f"DTEND:{end.strftime(stamp)}",
        f"SUMMARY:{_ics_escape(message.subject)}",
        f"ORGANIZER:mailto:{sender}",
        *(
            f"ATTENDEE;CN={_ics_escape(name or email)};RSVP=TRUE:mailto:{email}"
            for name, email in zip(message.names, message.emails, strict=True)
            if email
        ),
        "END:VEVENT",
        "END:VCALENDAR",
    ]
    return "\r\n".join(lines) + "\r\n"


def write_messages(
    messages: Sequence[Message], out_dir: Path, sender: str, *, invites: bool
) -> list[Path]:
    """Write one ``.eml`` per message (and one ``.ics`` with ``invites``) and
    ``messages.json`` to ``out_dir``, after removing the files of an earlier run there (only
    ``.eml``, ``.ics`` and ``messages.json``). Returns the files written."""
    out_dir.mkdir(parents=True, exist_ok=True)
    for old in out_dir.iterdir():
        if old.is_file() and (old.suffix in OUR_SUFFIXES or old.name == MESSAGES_FILE):
            old.unlink()
    written: list[Path] = []
    for message in messages:
        path = out_dir / f"{message.key}.eml"
        path.write_bytes(bytes(email_of(message, sender)))
        written.append(path)
        if invites and message.invite is not None:
            invite = out_dir / f"{message.key}.ics"
            invite.write_text(ics_text(message, sender), encoding="utf-8", newline="")
            written.append(invite)
    records = [
        {
            "key": m.key,
            "program": m.program,
            "period": m.period,
            "run_id": m.run_id,
            "people": list(m.people),
            "emails": [e or None for e in m.emails],
            "subject": m.subject,
            "text": m.text,
            "first_meeting": None
            if m.invite is None
            else {"start": m.invite.start.isoformat(), "minutes": m.invite.minutes},
        }
        for m in messages
    ]
    path = out_dir / MESSAGES_FILE
    path.write_text(json.dumps(records, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    written.append(path)
    return written
