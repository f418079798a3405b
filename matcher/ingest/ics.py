"""iCalendar files (``.ics`` from Google Calendar, Outlook, Apple Calendar …).

Parsing is the ``icalendar`` library's and recurrence expansion ``recurring-ical-events``'
(RRULE, RDATE, EXDATE, overrides by RECURRENCE-ID, Google's X-WR-TIMEZONE). Each occurrence
that starts inside the window becomes one multi-party ``meeting`` event of its organizer and
the attendees who accepted (``video`` when it carries a conferencing link). Cancelled
occurrences, all-day events, declined attendees and attendees who did not accept are left
out; rooms and resources are dropped before the meeting's size is taken. The size that
decides a broadcast counts everyone invited, so an all-hands stays a broadcast however few
accepted. Subjects, descriptions and locations are never read.

A source is an ``.ics`` file, a folder of them, or a zip of them (Google's calendar export).
"""

from __future__ import annotations

import datetime as dt
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from matcher.errors import DataError, Problem
from matcher.ingest.identity import normalise_email
from matcher.ingest.records import Answer, Event, Guests, Person, Tally, Window
from matcher.model import Channel

ROOM_TYPES = frozenset({"ROOM", "RESOURCE"})
ROOM_DOMAINS = ("resource.calendar.google.com",)
CONFERENCE_PROPERTIES = (
    "CONFERENCE",
    "X-GOOGLE-CONFERENCE",
    "X-MICROSOFT-SKYPETEAMSMEETINGURL",
    "X-MICROSOFT-ONLINEMEETINGCONFLINK",
    "X-MICROSOFT-ONLINEMEETINGEXTERNALLINK",
)
EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)


def _fail(where: str, message: str) -> DataError:
    return DataError([Problem(where, None, None, message)])


def calendar_files(path: Path) -> Iterator[tuple[str, bytes]]:
    """``(name, content)`` of each calendar in an ``.ics`` file, a folder or a zip, sorted."""
    if path.is_dir():
        for child in sorted(path.rglob("*")):
            if child.is_file() and child.suffix.lower() == ".ics":
                yield str(child), child.read_bytes()
        return
    if path.suffix.lower() == ".zip":
        try:
            with zipfile.ZipFile(path) as archive:
                for name in sorted(archive.namelist()):
                    if name.lower().endswith(".ics"):
                        yield f"{path}:{name}", archive.read(name)
        except (zipfile.BadZipFile, OSError) as exc:
            raise _fail(str(path), f"cannot be read as a zip file: {exc}") from exc
        return
    if not path.is_file():
        raise _fail(str(path), "file not found")
    yield str(path), path.read_bytes()


def _moment(value: Any) -> dt.datetime | None:
    """An aware datetime (floating times taken as UTC); ``None`` for a date (all-day)."""
    if isinstance(value, dt.datetime):
        return value if value.tzinfo is not None else value.replace(tzinfo=dt.UTC)
    return None


def _addresses(component: Any, name: str) -> list[Any]:
    value = component.get(name)
    if value is None:
        return []
    return list(value) if isinstance(value, list) else [value]


def _address(value: Any) -> str:
    params = getattr(value, "params", {})
    email = params.get("EMAIL") if hasattr(params, "get") else None
    return normalise_email(str(email or value))


class IcsReader:
    """Read the meetings of one calendar source inside ``window``."""

    def __init__(self, path: Path, *, window: Window) -> None:
        self.path = path
        self.window = window
        self.tally = Tally()

    def events(self) -> Iterator[Event]:
        import icalendar
        import recurring_ical_events

        start = EPOCH if self.window.start is None else _utc(self.window.start)
        end = dt.datetime.now(dt.UTC) if self.window.end is None else _utc(self.window.end)
        for where, content in calendar_files(self.path):
            try:
                calendar = icalendar.Calendar.from_ical(content)
                occurrences = recurring_ical_events.of(calendar).between(start, end)
            except Exception as exc:  # both libraries raise many types for a malformed file
                raise _fail(where, f"cannot be read as iCalendar: {exc}") from exc
            series = {
                str(c.get("UID"))
                for c in calendar.walk("VEVENT")
                if any(c.get(name) is not None for name in ("RRULE", "RDATE", "RECURRENCE-ID"))
            }
            for component in occurrences:
                event = self._event(where, component, series)
                if event is not None:
                    yield event

    def _event(self, where: str, component: Any, series: set[str]) -> Event | None:
        """The meeting of one occurrence; ``series`` holds the UIDs of recurring events, whose
        occurrences are told apart by their recurrence id (their original start)."""
        tally = self.tally
        if str(component.get("STATUS", "")).upper() == "CANCELLED":
            tally.skip("cancelled events")
            return None
        begin = _moment(component.get("DTSTART").dt if component.get("DTSTART") else None)
        if begin is None:
            tally.skip("all-day events")
            return None
        finish = component.get("DTEND")
        end = _moment(finish.dt) if finish is not None else None
        length: dt.timedelta | None = None
        if end is not None:
            length = end - begin
        elif component.get("DURATION") is not None:
            length = component.get("DURATION").dt
        # no end, or an end at the start: the length is unknown, not zero (a zero length
        # would make the meeting count for nothing)
        duration = length.total_seconds() / 60 if length and length.total_seconds() > 0 else None

        organizer_values = _addresses(component, "ORGANIZER")
        organizer = _address(organizer_values[0]) if organizer_values else None
        guests = Guests(organizer)
        for attendee in _addresses(component, "ATTENDEE"):
            address = _address(attendee)
            params = attendee.params
            kind = str(params.get("CUTYPE", "INDIVIDUAL")).upper()
            if kind in ROOM_TYPES or address.endswith(ROOM_DOMAINS):
                tally.skip("rooms and resources")
                continue
            status = str(params.get("PARTSTAT", "NEEDS-ACTION")).upper()
            answer: Answer = (
                "accepted"
                if status == "ACCEPTED"
                else "declined"
                if status == "DECLINED"
                else "other"
            )
            guests.answer(address, answer, tally)
        if not guests.invited:
            tally.skip("events without attendees")
            return None
        recurrence = component.get("RECURRENCE-ID")
        uid = str(component.get("UID") or f"{where}/{begin.isoformat()}/{organizer}")
        if recurrence is not None and uid in series:
            key = f"{uid}/{_utc(recurrence.dt).isoformat()}"
        else:
            key = uid
        video = any(component.get(name) is not None for name in CONFERENCE_PROPERTIES)
        return Event(
            key,
            int(begin.timestamp()),
            Channel.VIDEO if video else Channel.MEETING,
            guests.sender(),
            tuple(Person(a, a) for a in guests.accepted),
            guests.size(),
            duration_minutes=duration,
            meeting=True,
        )


def _utc(value: Any) -> dt.datetime:
    if isinstance(value, dt.datetime):
        aware = value if value.tzinfo is not None else value.replace(tzinfo=dt.UTC)
        return aware.astimezone(dt.UTC)
    if isinstance(value, dt.date):
        return dt.datetime.combine(value, dt.time(), dt.UTC)
    if isinstance(value, int | float):
        return dt.datetime.fromtimestamp(value, dt.UTC)
    raise TypeError(f"not a date or time: {value!r}")
