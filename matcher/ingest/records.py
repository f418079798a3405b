"""What every source reader yields: people as the source names them, and events between them.

A reader turns an export into :class:`Event` objects (metadata only: who, when, which channel,
how long; never text or subjects). :mod:`matcher.ingest.rows` resolves the people to employee
ids and turns each event into rows of ``interactions.csv``.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Literal, NamedTuple

from matcher.model import Channel

MIN_YEAR, MAX_YEAR = 1970, 9999
"""The years of the times ingest writes: what ``matcher analyze`` reads back."""
MIN_SECONDS = 0
MAX_SECONDS = int(dt.datetime(MAX_YEAR, 12, 31, 23, 59, 59, tzinfo=dt.UTC).timestamp()) + 1


class Kind(StrEnum):
    """The kinds of source ``matcher ingest`` reads."""

    SLACK = "slack"
    ICS = "ics"
    GRAPH = "graph"
    HRIS = "hris"


class Person(NamedTuple):
    """Someone as a source names them (a named tuple: it keys the directory's cache, looked
    up for every row).

    ``key`` is what the source calls them (a Slack user id, or the e-mail address itself);
    ``email`` the address to match against ``employees.csv`` (``None`` when the source has
    none); ``excluded`` says why this is known not to be a colleague (``"bot"``,
    ``"deleted user"``): such people are counted, never listed as unresolved.
    """

    key: str
    email: str | None
    excluded: str | None = None


class Event(NamedTuple):
    """One message, reaction or meeting occurrence (a named tuple: one is made per message).

    ``sender`` initiated it; ``recipients`` are the other participants. A message becomes one
    row per recipient (sender → recipient). A meeting (``meeting=True``) is one multi-party
    event: when its organizer cannot be resolved, the first resolved attendee takes their
    place, so the attendees who did meet still share the event. ``size`` is the number of
    people it was addressed to, resolved or not, and decides whether it is a broadcast.
    ``event_key`` is unique and stable per source occurrence (a Slack channel and message ts,
    an iCalendar UID and recurrence id, a Graph ``iCalUId`` or ``internetMessageId``).
    """

    event_key: str
    timestamp: int  # seconds since the Unix epoch, UTC
    channel: Channel
    sender: Person | None
    recipients: tuple[Person, ...]
    size: int
    duration_minutes: float | None = None
    weight: float = 1.0
    meeting: bool = False


@dataclass(frozen=True, slots=True)
class Window:
    """The half-open time window ``[start, end)`` of the events to keep, in epoch seconds (UTC)."""

    start: float | None = None
    end: float | None = None

    @classmethod
    def of(cls, start: dt.datetime | None, end: dt.datetime | None) -> Window:
        """A window from aware datetimes (``None``: unbounded on that side)."""
        return cls(
            None if start is None else start.timestamp(), None if end is None else end.timestamp()
        )

    def contains(self, seconds: float) -> bool:
        """Whether ``seconds`` (since the Unix epoch, UTC) lie inside the window.

        >>> w = Window.of(dt.datetime(2026, 9, 1, tzinfo=dt.UTC), dt.datetime(2026, 10, 1, tzinfo=dt.UTC))
        >>> w.contains(w.start), w.contains(w.end)
        (True, False)
        """
        if self.start is not None and seconds < self.start:
            return False
        return self.end is None or seconds < self.end


@dataclass
class Tally:
    """Counts of what a reader or the row builder skipped, by reason (plain words)."""

    skipped: Counter[str] = field(default_factory=Counter)

    def skip(self, reason: str, count: int = 1) -> None:
        if count:
            self.skipped[reason] += count

    def merge(self, other: Tally) -> None:
        self.skipped.update(other.skipped)


Answer = Literal["accepted", "declined", "other"]


@dataclass
class Guests:
    """A meeting's invitations as a calendar reader walks its attendees: the organizer apart,
    each other address once, and who accepted; declines and non-answers are tallied."""

    organizer: str | None
    invited: set[str] = field(default_factory=set)
    accepted: list[str] = field(default_factory=list)
    organizer_declined: bool = False

    def answer(self, address: str, answer: Answer, tally: Tally) -> None:
        """Record one attendee's answer."""
        if address == self.organizer:
            self.organizer_declined = answer == "declined"
            return
        if address in self.invited:
            return
        self.invited.add(address)
        if answer == "accepted":
            self.accepted.append(address)
        elif answer == "declined":
            tally.skip("declined attendees")
        else:
            tally.skip("attendees who did not accept (tentative or no answer)")

    def sender(self) -> Person | None:
        """The organizer as the event's sender, unless they declined their own meeting."""
        if self.organizer is None or self.organizer_declined:
            return None
        return Person(self.organizer, self.organizer)

    def size(self) -> int:
        """Everyone invited, the organizer included (for the broadcast test)."""
        return len(self.invited | ({self.organizer} if self.organizer else set()))
