"""What the fixture exports (``tests/fixtures/slack``, ``calendar.ics``, ``graph``) give, row by
row, when ingested for September 2026 against ``tests/fixtures/employees.csv`` and its aliases;
and readers of the written files."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any, Protocol

from click.testing import Result

from matcher.ingest.rows import INTERACTION_HEADER, event_id
from tests.paths import FIXTURES
from tests.support import ExitCodes

EMPLOYEES = FIXTURES / "employees.csv"
ALIASES = FIXTURES / "aliases.csv"
SEPTEMBER = ("--start", "2026-09-01", "--end", "2026-09-30")

Row = tuple[str, ...]


def rows(path: Path) -> list[Row]:
    """An interactions file's rows, after checking its header is the contract's."""
    with path.open(encoding="utf-8", newline="") as handle:
        reader = csv.reader(handle)
        assert tuple(next(reader)) == INTERACTION_HEADER
        return [tuple(r) for r in reader]


def dict_rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def slack(key: str) -> str:
    return event_id("slack", key)


def ics(key: str) -> str:
    return event_id("ics", key)


def graph(key: str) -> str:
    return event_id("graph", key)


SLACK_ROWS: list[Row] = [  # day files in the export's order: sorted folders, then dates
    # a DM both ways (the first message was edited: it counts once, at its first time)
    (
        "E1",
        "E2",
        "2026-09-01T10:00:00+00:00",
        "chat",
        "",
        slack("D01ADABOB/1788256800.000100"),
        "1",
    ),
    (
        "E2",
        "E1",
        "2026-09-01T10:01:40+00:00",
        "chat",
        "",
        slack("D01ADABOB/1788256900.000200"),
        "1",
    ),
    # Finn's legacy address (domain alias) and Gus's hidden e-mail (alias by Slack id)
    (
        "E6",
        "E7",
        "2026-09-03T12:00:00+00:00",
        "chat",
        "",
        slack("D05FINNGUS/1788436800.000100"),
        "1",
    ),
    (
        "E7",
        "E6",
        "2026-09-03T12:01:00+00:00",
        "chat",
        "",
        slack("D05FINNGUS/1788436860.000200"),
        "1",
    ),
    # general: Bob replies in Ada's thread; Ada's reply to herself, the deleted user's reply,
    # the join and the bot post are left out; Ada's post itself is a channel post
    (
        "E2",
        "E1",
        "2026-09-01T09:01:40+00:00",
        "chat",
        "",
        slack("C01GENERAL/1788253300.000200"),
        "1",
    ),
    # a group DM: one event, a row to each other member
    ("E1", "E2", "2026-09-04T12:00:00+00:00", "chat", "", slack("G01ABD/1788523200.000100"), "1"),
    ("E1", "E4", "2026-09-04T12:00:00+00:00", "chat", "", slack("G01ABD/1788523200.000100"), "1"),
    ("E4", "E1", "2026-09-04T12:01:00+00:00", "chat", "", slack("G01ABD/1788523260.000200"), "1"),
    ("E4", "E2", "2026-09-04T12:01:00+00:00", "chat", "", slack("G01ABD/1788523260.000200"), "1"),
    # proj-x: a thread_broadcast reply, and a reply without parent_user_id (parent in the export)
    ("E4", "E3", "2026-09-02T10:08:20+00:00", "chat", "", slack("C02PROJ/1788343700.000500"), "1"),
    ("E1", "E3", "2026-09-02T10:10:00+00:00", "chat", "", slack("C02PROJ/1788343800.000600"), "1"),
]


SYNC = "7kq3sync0001@google.com"
ICS_ROWS: list[Row] = [
    # the weekly sync (Berlin time, UTC+2 in September): 16 Sep is an EXDATE, Cleo declined the
    # series and the room is dropped; on 23 Sep the override moves it to 14:00 for an hour on
    # Google Meet, with Cleo
    (
        "E1",
        "E2",
        "2026-09-02T08:00:00+00:00",
        "meeting",
        "30",
        ics(f"{SYNC}/2026-09-02T08:00:00+00:00"),
        "1",
    ),
    (
        "E1",
        "E2",
        "2026-09-09T08:00:00+00:00",
        "meeting",
        "30",
        ics(f"{SYNC}/2026-09-09T08:00:00+00:00"),
        "1",
    ),
    (
        "E1",
        "E2",
        "2026-09-23T12:00:00+00:00",
        "video",
        "60",
        ics(f"{SYNC}/2026-09-23T08:00:00+00:00"),
        "1",
    ),
    (
        "E1",
        "E3",
        "2026-09-23T12:00:00+00:00",
        "video",
        "60",
        ics(f"{SYNC}/2026-09-23T08:00:00+00:00"),
        "1",
    ),
    (
        "E1",
        "E2",
        "2026-09-30T08:00:00+00:00",
        "meeting",
        "30",
        ics(f"{SYNC}/2026-09-30T08:00:00+00:00"),
        "1",
    ),
    # the vendor's Teams demo: the organizer is external, so Cleo (the first attendee) is the
    # centre; Eve opted out; Gus was tentative
    (
        "E3",
        "E4",
        "2026-09-15T13:00:00+00:00",
        "video",
        "45",
        ics("040000008200E00074C5B7101A82E00800000000vendor@outlook.com"),
        "1",
    ),
]


GRAPH_ROWS: list[Row] = [
    # an online meeting: Cleo was tentative, the room is a resource
    (
        "E1",
        "E2",
        "2026-09-08T09:00:00+00:00",
        "video",
        "45",
        graph("040000008200E00074C5B7101A82E00800000000A1"),
        "1",
    ),
    # an exception of a series, in Berlin time; Dan declined
    (
        "E2",
        "E1",
        "2026-09-09T14:00:00+00:00",
        "meeting",
        "30",
        graph("040000008200E00074C5B7101A82E00800000000B2"),
        "1",
    ),
    # to, cc and bcc; the draft and the 26-recipient announcement are left out
    ("E1", "E2", "2026-09-14T08:00:00+00:00", "email", "", graph("<msg1@mail.example.com>"), "1"),
    ("E1", "E3", "2026-09-14T08:00:00+00:00", "email", "", graph("<msg1@mail.example.com>"), "1"),
    ("E1", "E4", "2026-09-14T08:00:00+00:00", "email", "", graph("<msg1@mail.example.com>"), "1"),
    # Finn's legacy address, through the domain alias
    ("E1", "E6", "2026-09-15T09:00:00+00:00", "email", "", graph("<msg5@mail.example.com>"), "1"),
]


class IngestExport(Protocol):
    """The ``ingest_export`` fixture."""

    def __call__(self, folder: Path, source: Path, *extra: str) -> tuple[Path, dict[str, Any]]: ...


class IngestSeptember(Protocol):
    """The ``ingest_september`` fixture."""

    def __call__(self, source: Path, *extra: str, code: ExitCodes = 0) -> Result: ...
