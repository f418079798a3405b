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

A recurring event is expanded to at most :data:`MAX_OCCURRENCES` occurrences in the window
(``max_occurrences``): a rule such as ``FREQ=SECONDLY`` would otherwise make 86,400 meetings a
day from a few bytes. When its rule allows more, only its first occurrences in the window are
kept; when it would repeat far more often than that before the window even starts, it is left
out. Either way the event is counted under a reason that names it.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import math
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from matcher.errors import DataError, Problem
from matcher.ingest.identity import normalise_email
from matcher.ingest.records import Answer, Event, Guests, Person, Tally, Window
from matcher.ingest.zipstream import ZipError, ZipReader
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
MAX_OCCURRENCES = 10_000
"""Most occurrences of one recurring event expanded in the window (a daily meeting over 27 years)."""
WALK_FACTOR = 20
"""A series is left out when reaching the window takes more than this many times
:data:`MAX_OCCURRENCES` steps of its rule (``FREQ=SECONDLY`` since 1970)."""
FREQUENCY_SECONDS = {
    "SECONDLY": 1,
    "MINUTELY": 60,
    "HOURLY": 3_600,
    "DAILY": 86_400,
    "WEEKLY": 7 * 86_400,
    "MONTHLY": 28 * 86_400,
    "YEARLY": 365 * 86_400,
}
FREQUENCY_ORDER = tuple(FREQUENCY_SECONDS)
# BY parts that add occurrences within a period of a coarser frequency (RFC 5545, 3.3.10):
# (part, the finest frequency it expands, its most occurrences per listed value)
EXPANDING_PARTS: tuple[tuple[str, str, dict[str, int]], ...] = (
    ("BYSECOND", "MINUTELY", {}),
    ("BYMINUTE", "HOURLY", {}),
    ("BYHOUR", "DAILY", {}),
    ("BYDAY", "WEEKLY", {"MONTHLY": 5, "YEARLY": 53}),
    ("BYMONTHDAY", "MONTHLY", {"YEARLY": 12}),
    ("BYYEARDAY", "YEARLY", {}),
    ("BYWEEKNO", "YEARLY", {"YEARLY": 7}),
    ("BYMONTH", "YEARLY", {}),
)


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
            with ZipReader(path) as archive:
                found = sorted(
                    (e for e in archive.entries() if e.name.lower().endswith(".ics")),
                    key=lambda e: e.name,
                )
                for entry in found:
                    yield f"{path}:{entry.name}", archive.read(entry)
        except (ZipError, OSError) as exc:
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


def occurrence_bound(rule: Any, start: dt.datetime, end: dt.datetime) -> float:
    """An upper bound of the occurrences of one RRULE between ``start`` and ``end``.

    A rule that cannot be read is bounded by one occurrence a second, iCalendar's resolution.

    >>> from icalendar import vRecur
    >>> day = dt.datetime(2026, 9, 1, tzinfo=dt.UTC)
    >>> occurrence_bound(vRecur.from_ical("FREQ=SECONDLY"), day, day + dt.timedelta(days=1))
    86401
    >>> occurrence_bound(vRecur.from_ical("FREQ=WEEKLY;BYDAY=MO,WE"), day, day + dt.timedelta(days=70))
    22
    """
    seconds = max((end - start).total_seconds(), 0.0)
    at_most = math.floor(seconds) + 1
    try:
        frequency = str(rule["FREQ"][0]).upper()
        interval = int((rule.get("INTERVAL") or [1])[0])
        per_period = 1
        for part, finest, spread in EXPANDING_PARTS:
            values = rule.get(part) or []
            if values and FREQUENCY_ORDER.index(frequency) >= FREQUENCY_ORDER.index(finest):
                per_period *= len(values) * spread.get(frequency, 1)
        periods = math.floor(seconds / (FREQUENCY_SECONDS[frequency] * max(interval, 1))) + 1
        bound = periods * per_period
        count = rule.get("COUNT")
        if count:
            bound = min(bound, int(count[0]))
    except (KeyError, ValueError, TypeError, IndexError):
        return at_most
    return min(bound, at_most)


def _series_bounds(
    component: Any, start: dt.datetime, end: dt.datetime
) -> tuple[dt.datetime, float, float]:
    """Where one VEVENT's series starts inside ``[start, end]``, an upper bound of its
    occurrences there, and one of the occurrences before ``start`` (which expansion walks
    through too: a recurrence is computed from its first occurrence on)."""
    first = start
    begin = component.get("DTSTART")
    if begin is not None:
        with contextlib.suppress(TypeError, ValueError, OverflowError, AttributeError):
            first = _utc(begin.dt)
    inside_from = max(start, first)
    rules = _addresses(component, "RRULE")
    inside = sum(occurrence_bound(rule, inside_from, end) for rule in rules)
    before = sum(occurrence_bound(rule, first, start) for rule in rules) if first < start else 0
    return inside_from, inside + len(_addresses(component, "RDATE")), before


class IcsReader:
    """Read the meetings of one calendar source inside ``window``.

    A recurring event whose rule allows more than ``max_occurrences`` occurrences in the window
    is expanded over the first part of the window only, where it has at most that many.
    """

    def __init__(
        self, path: Path, *, window: Window, max_occurrences: int = MAX_OCCURRENCES
    ) -> None:
        self.path = path
        self.window = window
        self.max_occurrences = max_occurrences
        self.tally = Tally()

    def _expand(self, calendar: Any, where: str, start: dt.datetime, end: dt.datetime) -> list[Any]:
        """The occurrences of ``calendar`` in ``[start, end]``, each recurring event capped.

        A series allowed more than ``max_occurrences`` in the window is expanded over the
        first part of the window that holds at most that many; one that would take more than
        :data:`WALK_FACTOR` times as many steps before the window is left out. Both are
        counted under a reason naming the event.
        """
        # imported when a calendar is read: ~0.05 s at every start-up otherwise
        import icalendar
        import recurring_ical_events

        cap = self.max_occurrences
        heavy: dict[str, tuple[dt.datetime, float]] = {}
        left_out: set[str] = set()
        for component in calendar.walk("VEVENT"):
            if component.get("RRULE") is None:
                continue
            uid = str(component.get("UID"))
            begin, inside, before = _series_bounds(component, start, end)
            if before + min(inside, cap) > WALK_FACTOR * cap:
                left_out.add(uid)
                self.tally.skip(
                    f"recurring events left out: they repeat more than {WALK_FACTOR * cap:,} "
                    f"times before the window (UID {uid!r} in {where})"
                )
            elif inside > cap and inside > heavy.get(uid, (begin, 0.0))[1]:
                heavy[uid] = (begin, inside)
        if not heavy and not left_out:
            return list(recurring_ical_events.of(calendar).between(start, end))

        def only(keep: Any) -> Any:
            part = icalendar.Calendar()
            for component in calendar.subcomponents:
                if component.name != "VEVENT" or keep(str(component.get("UID"))):
                    part.add_component(component)
            return part

        skipped = left_out | set(heavy)
        occurrences = list(
            recurring_ical_events.of(only(lambda uid: uid not in skipped)).between(start, end)
        )
        for uid, (begin, inside) in heavy.items():
            # the bound grows with the span: the first part of the window holds at most the cap
            cut = begin + (end - begin) * (cap / inside)
            self.tally.skip(
                f"recurring events expanded to their first {cap:,} occurrences in the window "
                f"only (UID {uid!r} in {where}: occurrences after "
                f"{cut.isoformat(timespec='seconds')} left out)"
            )
            single = only(lambda other, uid=uid: other == uid)
            occurrences += recurring_ical_events.of(single).between(begin, cut)
        return occurrences

    def events(self) -> Iterator[Event]:
        import icalendar

        start = EPOCH if self.window.start is None else _utc(self.window.start)
        end = dt.datetime.now(dt.UTC) if self.window.end is None else _utc(self.window.end)
        for where, content in calendar_files(self.path):
            try:
                calendar = icalendar.Calendar.from_ical(content)
                occurrences = self._expand(calendar, where, start, end)
            except Exception as exc:  # both libraries raise many types for a malformed file
                raise _fail(where, f"cannot be read as iCalendar: {exc}") from exc
            series = {
                str(c.get("UID"))
                for c in calendar.walk("VEVENT")
                if any(c.get(name) is not None for name in ("RRULE", "RDATE", "RECURRENCE-ID"))
            }
            for component in occurrences:
                try:
                    event = self._event(where, component, series)
                except (ValueError, TypeError, AttributeError, KeyError, OverflowError) as exc:
                    # a property of an unexpected type or out of range (a PERIOD for a
                    # DTSTART, a date beside a datetime, year 1 in a far time zone …)
                    uid = component.get("UID")
                    raise _fail(where, f"event {str(uid)!r} cannot be read: {exc}") from exc
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
