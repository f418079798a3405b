"""Events to rows of ``interactions.csv``: window, broadcast test, identities, pseudonyms.

Every row carries an ``event_id`` derived from the source's own stable id of the message or
meeting occurrence, so the rows of a multi-party event share it and a row can be recognised
when the same source is ingested again (see :mod:`matcher.ingest.output`).
"""

from __future__ import annotations

import hashlib
import time
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from matcher.ingest.identity import Directory, Resolution
from matcher.ingest.records import (
    MAX_SECONDS,
    MAX_YEAR,
    MIN_SECONDS,
    MIN_YEAR,
    Event,
    Person,
    Tally,
    Window,
)
from matcher.io.load import INTERACTION_COLUMNS
from matcher.privacy import Pseudonymizer

INTERACTION_HEADER = INTERACTION_COLUMNS  # the contract's columns, as the loader reads them
Row = tuple[str, str, str, str, str, str, str]

OUTSIDE_WINDOW = "events outside the window"
OUT_OF_RANGE = f"events dated outside the years {MIN_YEAR} to {MAX_YEAR}"
SELF = "rows from a person to themselves"
DROP_REASONS = {
    "unresolved": "rows naming an unresolved person",
    "opted out": "rows naming an opted-out person",
    "bot": "rows naming a bot",
    "deleted user": "rows naming a deleted user",
}


def event_id(kind: str, key: str) -> str:
    """The ``event_id`` written for a source's event key: the kind and 64 bits of BLAKE2b.

    Source ids (iCalendar UIDs in particular) can carry host names or addresses; the digest
    keeps them out of the output while staying stable across runs.

    >>> event_id("slack", "C024BE91L/1700000000.000100")
    'slack-...'
    >>> event_id("ics", "a") == event_id("ics", "a") != event_id("ics", "b")
    True
    """
    return f"{kind}-{hashlib.blake2b(key.encode('utf-8'), digest_size=8).hexdigest()}"


def format_timestamp(seconds: int) -> str:
    """ISO 8601 in UTC with an explicit offset (the date formatted once per day).

    >>> format_timestamp(1790848800), format_timestamp(0), format_timestamp(-1)
    ('2026-10-01T10:00:00+00:00', '1970-01-01T00:00:00+00:00', '1969-12-31T23:59:59+00:00')
    """
    day, second = divmod(seconds, 86_400)
    date = _DATES.get(day)
    if date is None:
        if len(_DATES) >= 100_000:
            _DATES.clear()
        date = _DATES[day] = time.strftime("%Y-%m-%dT", time.gmtime(day * 86_400))
    hour, second = divmod(second, 3600)
    minute, second = divmod(second, 60)
    return f"{date}{hour:02d}:{minute:02d}:{second:02d}+00:00"


_DATES: dict[int, str] = {}
"""``YYYY-MM-DDT`` by day since the epoch."""


def format_number(value: float | None) -> str:
    """A number as the contract's CSV shows it: ``30``, ``0.5``, blank when unknown.

    >>> format_number(30.0), format_number(0.5), format_number(None)
    ('30', '0.5', '')
    """
    if value is None:
        return ""
    shown = _NUMBERS.get(value)
    if shown is None:
        shown = str(int(value)) if float(value).is_integer() else f"{value:.6g}"
        if len(_NUMBERS) < 10_000:
            _NUMBERS[value] = shown
    return shown


_NUMBERS: dict[float, str] = {}
"""Numbers as :func:`format_number` shows them (weights and durations repeat)."""


@dataclass
class Unresolved:
    """Unresolved identities of one source: ``(key, email, reason)`` → rows that named them."""

    rows: Counter[tuple[str, str, str]] = field(default_factory=Counter)

    def add(self, person: Person, reason: str, rows: int = 1) -> None:
        self.rows[(person.key, person.email or "", reason)] += rows

    def __len__(self) -> int:
        return len(self.rows)


class RowBuilder:
    """Turn the events of one source into rows; count everything that is left out."""

    def __init__(
        self,
        kind: str,
        directory: Directory,
        *,
        window: Window,
        broadcast_size: int,
        pseudonymizer: Pseudonymizer | None = None,
    ) -> None:
        self.kind = kind
        self.directory = directory
        self.window = window
        self.broadcast_size = broadcast_size
        self.pseudonymizer = pseudonymizer
        self.tally = Tally()
        self.unresolved = Unresolved()
        self.events = 0
        self._names: dict[str, str] = {}

    def _name(self, identity: str) -> str:
        if self.pseudonymizer is None:
            return identity
        name = self._names.get(identity)
        if name is None:
            name = self._names[identity] = self.pseudonymizer.pseudonym(identity)
        return name

    def _resolve(self, person: Person, rows: int) -> Resolution:
        """Resolve ``person``; an unresolved person is recorded as naming ``rows`` rows."""
        found = self.directory.resolve(person)
        if found.drop == "unresolved":
            self.unresolved.add(person, found.reason or "", rows)
        return found

    def rows(self, events: Iterable[Event]) -> Iterator[Row]:
        """The rows of ``events`` inside the window, in the order the events come.

        Events dated before 1970 or after 9999 are counted and left out, whatever the window:
        ``matcher analyze`` could not read their timestamps back.
        """
        for event in events:
            self.events += 1
            if not MIN_SECONDS <= event.timestamp < MAX_SECONDS:
                self.tally.skip(OUT_OF_RANGE)
                continue
            if not self.window.contains(event.timestamp):
                self.tally.skip(OUTSIDE_WINDOW)
                continue
            if event.size > self.broadcast_size:
                self.tally.skip(f"broadcasts (events of more than {self.broadcast_size} people)")
                continue
            pairs = self._meeting(event) if event.meeting else self._message(event)
            if not pairs:
                continue
            stamp = format_timestamp(event.timestamp)
            channel = event.channel.value
            duration = format_number(event.duration_minutes)
            weight = format_number(event.weight)
            ident = event_id(self.kind, event.event_key)
            for source, target in pairs:
                yield (
                    self._name(source),
                    self._name(target),
                    stamp,
                    channel,
                    duration,
                    ident,
                    weight,
                )

    def _drop(self, found: Resolution) -> None:
        drop = found.drop or ""
        self.tally.skip(DROP_REASONS.get(drop, f"rows naming a {drop}"))

    def _message(self, event: Event) -> list[tuple[str, str]]:
        """Sender → each recipient; a row is dropped when either side is not a usable employee."""
        if event.sender is None:
            self.tally.skip("messages without a sender")
            return []
        sender = self._resolve(event.sender, len(event.recipients))
        pairs: list[tuple[str, str]] = []
        seen: set[str] = set()
        for person in event.recipients:
            target = self._resolve(person, 1)
            if sender.drop is not None:
                self._drop(sender)
            elif target.drop is not None:
                self._drop(target)
            elif target.id == sender.id:
                self.tally.skip(SELF)
            elif target.id is not None and sender.id is not None and target.id not in seen:
                seen.add(target.id)
                pairs.append((sender.id, target.id))
        return pairs

    def _meeting(self, event: Event) -> list[tuple[str, str]]:
        """A star from the organizer (or the first resolved attendee) to every other attendee."""
        people = ([event.sender] if event.sender is not None else []) + list(event.recipients)
        usable: list[str] = []
        for person in people:
            found = self._resolve(person, 1)
            if found.drop is not None:
                self._drop(found)
            elif found.id is not None and found.id not in usable:
                usable.append(found.id)
        if len(usable) < 2:
            if usable:
                self.tally.skip("meetings with only one employee among the attendees")
            return []
        center = usable[0]
        return [(center, other) for other in usable[1:]]
