"""Microsoft 365: JSON dumps of Microsoft Graph ``calendarView`` events and sent messages.

A dump is what the Graph API returns, saved as is: one page per ``.json`` file (an object
with a ``value`` array), a JSON array of records, or JSON Lines with one record or one page a
line; a folder holds any number of them. Records are recognised by their fields:

* a message (``sentDateTime``) from ``SentItems``: one ``email`` row from ``from`` to each
  of ``toRecipients``, ``ccRecipients`` and ``bccRecipients``; drafts are skipped;
* an event (``start``/``end``) from ``calendarView``: one multi-party ``meeting`` (``video``
  when ``isOnlineMeeting``) of the organizer and the attendees whose response is
  ``accepted``; cancelled and all-day events, declined attendees and attendees of type
  ``resource`` (rooms) are left out; ``seriesMaster`` records are skipped because
  ``calendarView`` already lists every occurrence.

Times are read with their ``timeZone`` (``UTC``, the API's default, or an IANA name).
``subject``, ``body``, ``bodyPreview`` and ``location`` are never read.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from matcher.errors import DataError, Problem
from matcher.ingest.identity import normalise_email
from matcher.ingest.records import Answer, Event, Guests, Person, Tally
from matcher.model import Channel, zone

SUFFIXES = {".json", ".jsonl", ".ndjson"}


def _fail(where: str, record: int | None, field: str | None, message: str) -> DataError:
    return DataError([Problem(where, record, field, message)])


def dump_files(path: Path) -> list[Path]:
    """The JSON files of a dump: the file itself, or every JSON file under a folder, sorted."""
    if path.is_dir():
        return sorted(p for p in path.rglob("*") if p.is_file() and p.suffix.lower() in SUFFIXES)
    if not path.is_file():
        raise _fail(str(path), None, None, "file not found")
    return [path]


def _records(file: Path) -> Iterator[tuple[int, dict[str, Any]]]:
    """``(number, record)`` of a dump file; numbers count records from 1 in file order."""
    where = str(file)
    number = 0

    def unpack(value: Any, line: int | None) -> Iterator[tuple[int, dict[str, Any]]]:
        nonlocal number
        if isinstance(value, dict) and isinstance(value.get("value"), list):
            value = value["value"]
        for record in value if isinstance(value, list) else [value]:
            number += 1
            if not isinstance(record, dict):
                raise _fail(where, line or number, None, "expected a JSON object per record")
            yield number, record

    try:
        if file.suffix.lower() in (".jsonl", ".ndjson"):
            with file.open(encoding="utf-8-sig") as handle:
                for line_number, line in enumerate(handle, start=1):
                    if line.strip():
                        try:
                            value = json.loads(line)
                        except json.JSONDecodeError as exc:
                            raise _fail(
                                where, line_number, None, f"invalid JSON: {exc.msg}"
                            ) from exc
                        yield from unpack(value, line_number)
            return
        with file.open(encoding="utf-8-sig") as handle:
            try:
                value = json.load(handle)
            except json.JSONDecodeError as exc:
                raise _fail(
                    where,
                    None,
                    None,
                    f"invalid JSON at line {exc.lineno}, column {exc.colno}: {exc.msg}",
                ) from exc
        yield from unpack(value, None)
    except UnicodeDecodeError as exc:
        raise _fail(where, None, None, "the file is not UTF-8 text") from exc
    except RecursionError as exc:
        raise _fail(where, None, None, "invalid JSON: nested too deeply") from exc


def _list(value: Any) -> list[Any]:
    """A JSON array field; anything else (missing, a string, a number …) holds no items."""
    return value if isinstance(value, list) else []


def _email(value: Any) -> str | None:
    """The address of a Graph ``recipient`` (``{"emailAddress": {"address": …}}``)."""
    if not isinstance(value, dict):
        return None
    inner = value.get("emailAddress")
    address = inner.get("address") if isinstance(inner, dict) else None
    if not isinstance(address, str) or not address.strip():
        return None
    return normalise_email(address)


def _parse_time(value: Any, where: str, number: int, field: str) -> dt.datetime:
    """A Graph time: an ISO string, or ``{"dateTime": …, "timeZone": …}``."""
    zone_name = "UTC"
    text = value
    if isinstance(value, dict):
        text = value.get("dateTime")
        zone_name = str(value.get("timeZone") or "UTC")
    if not isinstance(text, str):
        raise _fail(where, number, field, f"expected a date and time, found {text!r}")
    try:
        moment = dt.datetime.fromisoformat(text.strip())
    except ValueError as exc:
        raise _fail(
            where, number, field, f"expected an ISO 8601 date and time, found {text!r}"
        ) from exc
    if moment.tzinfo is None:
        if zone_name.upper() in ("UTC", "Z", "GMT"):
            moment = moment.replace(tzinfo=dt.UTC)
        else:
            try:
                moment = moment.replace(tzinfo=zone(zone_name))
            except ValueError as exc:
                raise _fail(
                    where,
                    number,
                    f"{field}.timeZone",
                    f"{exc}; dump the events without the 'Prefer: outlook.timezone' header to get UTC",
                ) from exc
    return moment


class GraphReader:
    """Read the events and sent messages of one Microsoft Graph dump (file or folder)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.tally = Tally()

    def events(self) -> Iterator[Event]:
        for file in dump_files(self.path):
            for number, record in _records(file):
                if "sentDateTime" in record:
                    event = self._message(str(file), number, record)
                elif isinstance(record.get("start"), dict):
                    event = self._meeting(str(file), number, record)
                else:
                    self.tally.skip("records that are neither messages nor events")
                    continue
                if event is not None:
                    yield event

    def _message(self, where: str, number: int, record: dict[str, Any]) -> Event | None:
        if record.get("isDraft"):
            self.tally.skip("drafts")
            return None
        sender = _email(record.get("from")) or _email(record.get("sender"))
        if sender is None:
            self.tally.skip("messages without a sender address")
            return None
        recipients: dict[str, None] = {}
        for field in ("toRecipients", "ccRecipients", "bccRecipients"):
            for value in _list(record.get(field)):
                address = _email(value)
                if address is not None and address != sender:
                    recipients[address] = None
        if not recipients:
            self.tally.skip("messages without recipients")
            return None
        sent = _parse_time(record["sentDateTime"], where, number, "sentDateTime")
        key = str(record.get("internetMessageId") or record.get("id") or f"{where}#{number}")
        return Event(
            key,
            int(sent.timestamp()),
            Channel.EMAIL,
            Person(sender, sender),
            tuple(Person(a, a) for a in recipients),
            1 + len(recipients),
        )

    def _meeting(self, where: str, number: int, record: dict[str, Any]) -> Event | None:
        tally = self.tally
        if record.get("type") == "seriesMaster":
            tally.skip("series masters (calendarView lists their occurrences)")
            return None
        if record.get("isCancelled"):
            tally.skip("cancelled events")
            return None
        if record.get("isAllDay"):
            tally.skip("all-day events")
            return None
        begin = _parse_time(record["start"], where, number, "start")
        duration = None
        if isinstance(record.get("end"), dict):
            finish = _parse_time(record["end"], where, number, "end")
            minutes = (finish - begin).total_seconds() / 60
            duration = minutes if minutes > 0 else None
        organizer = _email(record.get("organizer"))
        guests = Guests(organizer)
        for attendee in _list(record.get("attendees")):
            address = _email(attendee)
            if address is None or not isinstance(attendee, dict):
                continue
            if str(attendee.get("type", "")).lower() == "resource":
                tally.skip("rooms and resources")
                continue
            status = attendee.get("status")
            response = str(status.get("response", "")) if isinstance(status, dict) else ""
            answer: Answer = (
                "accepted"
                if response in ("accepted", "organizer")
                else "declined"
                if response == "declined"
                else "other"
            )
            guests.answer(address, answer, tally)
        if not guests.invited:
            tally.skip("events without attendees")
            return None
        key = str(record.get("iCalUId") or record.get("id") or f"{where}#{number}")
        online = bool(record.get("isOnlineMeeting")) or bool(record.get("onlineMeeting"))
        return Event(
            key,
            int(begin.timestamp()),
            Channel.VIDEO if online else Channel.MEETING,
            guests.sender(),
            tuple(Person(a, a) for a in guests.accepted),
            guests.size(),
            duration_minutes=duration,
            meeting=True,
        )
