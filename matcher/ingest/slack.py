"""Slack workspace exports (the zip or its unpacked folder), read one day file at a time.

The export holds ``users.json``, ``channels.json`` (public channels), ``groups.json`` (private
channels), ``dms.json`` and ``mpims.json`` (direct and group direct messages), and one folder
per conversation with a ``YYYY-MM-DD.json`` array of messages per day. What becomes an event:

* a message in a DM or group DM: ``chat`` from the sender to every other member;
* a thread reply in a channel: ``chat`` from the replier to the parent message's author
  (``parent_user_id``; a reply to oneself is left out);
* a plain channel post: nothing by default (it is a broadcast); with ``channel_posts`` a
  ``chat`` event from the poster to the channel's members, subject to the broadcast size;
* with ``reactions``: each person reacting to a message, ``chat`` to its author, weight 0.5.

Bot users, Slackbot, deleted users, bot messages and system subtypes (joins, topic changes,
tombstones of deleted messages …) are excluded and counted. Edited messages count once, at
the time they were first sent. Text, attachments and files are never kept.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

from matcher.errors import DataError, Problem
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
from matcher.ingest.zipstream import Entry, ZipError, ZipReader
from matcher.model import Channel

REACTION_WEIGHT = 0.5
HUMAN_SUBTYPES = frozenset({None, "thread_broadcast", "file_share", "me_message"})
SLACKBOT = "USLACKBOT"
DAY_FILE = re.compile(r"^(\d{4})-(\d{2})-(\d{2})\.json$")
METADATA = ("channels.json", "groups.json", "dms.json", "mpims.json")
TOP_FILES = frozenset({"users.json", *METADATA})


@dataclass(frozen=True, slots=True)
class Conversation:
    """A channel, DM or group DM: its id, the folder of its day files, its kind and members."""

    id: str
    folder: str
    kind: str  # "channel" | "dm" | "mpim"
    members: tuple[str, ...]


class _Export:
    """The files of an export, from its folder or its zip (possibly under one top folder).

    Day files are visited in the export's own order (sorted folders and names for a folder,
    the archive's directory order for a zip), one at a time; nothing is listed in advance, so
    memory does not grow with the number of files.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self.zip: ZipReader | None = None
        self.root = ""
        self._metadata: dict[str, Entry] = {}
        if path.is_dir():
            return
        try:
            self.zip = ZipReader(path, check=False)
            found: dict[str, dict[str, Entry]] = {}
            for entry in self.zip.scan(_top_file):  # the archive's check finds them
                folder, _, name = entry.name.rpartition("/")
                found.setdefault(folder + "/" if folder else "", {})[name] = entry
        except (ZipError, OSError) as exc:
            self.close()
            raise _fail(path, f"cannot be read as a zip file: {exc}") from exc
        roots = sorted((r for r in found if "users.json" in found[r]), key=len)
        self.root = roots[0] if roots else ""
        self._metadata = found.get(self.root, {})

    def exists(self, name: str) -> bool:
        if self.zip is None:
            return (self.path / name).is_file()
        return name in self._metadata

    def where(self, name: str) -> str:
        return f"{self.path}:{self.root}{name}" if self.zip is not None else str(self.path / name)

    def _parse(self, name: str, data: bytes) -> Any:
        try:
            return json.loads(data)
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise _fail_at(self.where(name), f"invalid JSON: {exc}") from exc
        except RecursionError as exc:
            raise _fail_at(self.where(name), "invalid JSON: nested too deeply") from exc

    def load(self, name: str) -> Any:
        """A top-level file (``users.json`` …)."""
        if self.zip is None:
            return self._parse(name, (self.path / name).read_bytes())
        return self._parse(name, self._read(name, self._metadata[name]))

    def _read(self, name: str, entry: Entry) -> bytes:
        assert self.zip is not None
        try:
            return self.zip.read(entry)
        except (ZipError, OSError) as exc:
            raise _fail_at(self.where(name), f"cannot be read: {exc}") from exc

    def day_files(self) -> Iterator[tuple[str, str, Callable[[], Any]]]:
        """``(folder, file name, load)`` of each ``folder/YYYY-MM-DD.json``."""
        if self.zip is None:
            for folder in sorted(c.name for c in self.path.iterdir() if c.is_dir()):
                names = sorted(
                    f.name for f in (self.path / folder).iterdir() if DAY_FILE.match(f.name)
                )
                for name in names:
                    relative = f"{folder}/{name}"
                    yield folder, name, partial(self.load, relative)
            return
        try:
            for entry in self.zip.entries():
                if not entry.name.startswith(self.root):
                    continue
                parts = entry.name[len(self.root) :].split("/")
                if len(parts) == 2 and DAY_FILE.match(parts[1]):
                    relative = "/".join(parts)
                    yield parts[0], parts[1], partial(self._load_entry, relative, entry)
        except (ZipError, OSError) as exc:
            raise _fail(self.path, f"cannot be read as a zip file: {exc}") from exc

    def _load_entry(self, name: str, entry: Entry) -> Any:
        return self._parse(name, self._read(name, entry))

    def close(self) -> None:
        if self.zip is not None:
            self.zip.close()


def _top_file(name: str) -> bool:
    """Whether ``name`` is a metadata file at the top of an export (or of its one folder)."""
    folder, _, base = name.rpartition("/")
    return base in TOP_FILES and "/" not in folder


def _fail(path: Path, message: str) -> DataError:
    return _fail_at(str(path), message)


def _fail_at(where: str, message: str) -> DataError:
    return DataError([Problem(where, None, None, message)])


def is_slack_export(path: Path) -> bool:
    """Whether ``path`` is a folder or zip holding a Slack export (it has ``users.json``)."""
    if path.is_dir():
        return (path / "users.json").is_file()
    if path.suffix.lower() == ".zip" and path.is_file():
        try:
            with ZipReader(path, check=False) as archive:  # names only: nothing is read
                return any(
                    e.name.rpartition("/")[2] == "users.json" and e.name.count("/") <= 1
                    for e in archive.entries()
                )
        except (ZipError, OSError):
            return False
    return False


def _people(export: _Export) -> dict[str, Person]:
    users = export.load("users.json")
    if not isinstance(users, list):
        raise _fail_at(export.where("users.json"), "expected a JSON array of users")
    people: dict[str, Person] = {}
    for user in users:
        if not isinstance(user, dict) or not isinstance(user.get("id"), str):
            continue
        uid = user["id"]
        profile = user.get("profile") if isinstance(user.get("profile"), dict) else {}
        email = profile.get("email") if isinstance(profile, dict) else None
        excluded = None
        if user.get("is_bot") or user.get("is_app_user") or uid == SLACKBOT:
            excluded = "bot"
        elif user.get("deleted"):
            excluded = "deleted user"
        people[uid] = Person(uid, email if isinstance(email, str) and email else None, excluded)
    people.setdefault(SLACKBOT, Person(SLACKBOT, None, "bot"))
    return people


def _conversations(export: _Export) -> dict[str, Conversation]:
    """The conversations of the metadata files, by the folder that holds their day files."""
    found: dict[str, Conversation] = {}
    for name, kind in zip(METADATA, ("channel", "channel", "dm", "mpim"), strict=True):
        if not export.exists(name):
            continue
        entries = export.load(name)
        if not isinstance(entries, list):
            raise _fail_at(export.where(name), "expected a JSON array of conversations")
        for entry in entries:
            if not isinstance(entry, dict) or not isinstance(entry.get("id"), str):
                continue
            folder = entry["id"] if kind == "dm" else str(entry.get("name") or entry["id"])
            members = entry.get("members")
            members = members if isinstance(members, list) else []
            found[folder] = Conversation(
                entry["id"], folder, kind, tuple(m for m in members if isinstance(m, str))
            )
    return found


def _seconds(ts: str) -> int | None:
    """Seconds since the epoch of a Slack ``ts`` (``"1790848800.000100"``); ``None`` when it is
    not a number or lies outside the years ingest writes.

    >>> _seconds("1790848800.000100"), _seconds("1e400"), _seconds("nan"), _seconds("x")
    (1790848800, None, None, None)
    """
    try:
        value = float(ts)
    except ValueError:
        return None
    if not MIN_SECONDS <= value < MAX_SECONDS:  # also false for nan
        return None
    return int(value)


def _day(name: str) -> dt.date | None:
    match = DAY_FILE.match(name)
    if match is None:
        return None
    try:
        return dt.date(int(match[1]), int(match[2]), int(match[3]))
    except ValueError:
        return None


def _outside(day: dt.date | None, window: Window) -> bool:
    """A day file certainly outside the window (a day's margin for the export's time zone)."""
    if day is None:
        return False
    start = dt.datetime.combine(day, dt.time(), dt.UTC).timestamp()
    margin = 2 * 86_400
    if window.start is not None and start + margin <= window.start:
        return True
    return window.end is not None and start - margin >= window.end


class SlackReader:
    """Read the events of one Slack export.

    Parameters
    ----------
    path : Path
        The export's zip or folder.
    window : Window
        Day files certainly outside it are not opened (the row builder applies it exactly).
    channel_posts : bool
        Count plain channel posts as events to the channel's members.
    reactions : bool
        Count reactions as events from the reacting person to the message's author.
    """

    def __init__(
        self, path: Path, *, window: Window, channel_posts: bool = False, reactions: bool = False
    ) -> None:
        self.path = path
        self.window = window
        self.channel_posts = channel_posts
        self.reactions = reactions
        self.tally = Tally()

    def events(self) -> Iterator[Event]:
        export = _Export(self.path)
        try:
            if not export.exists("users.json"):
                raise _fail(self.path, "not a Slack export: users.json is missing")
            people = _people(export)
            conversations = _conversations(export)
            current = ""
            parents: dict[str, str] = {}  # thread ts -> author, for replies without parent_user_id
            for folder, name, load in export.day_files():
                if folder != current:
                    current, parents = folder, {}
                if _outside(_day(name), self.window):
                    self.tally.skip("day files outside the window (not opened)")
                    continue
                conversation = conversations.get(folder)
                if conversation is None:  # not in the metadata: a channel of unknown members
                    conversation = Conversation(folder, folder, "channel", ())
                messages = load()
                if not isinstance(messages, list):
                    raise _fail_at(
                        export.where(f"{folder}/{name}"), "expected a JSON array of messages"
                    )
                for message in messages:
                    yield from self._message(conversation, message, people, parents)
        finally:
            export.close()

    def _person(self, people: dict[str, Person], uid: str) -> Person:
        person = people.get(uid)
        if person is None:  # e.g. someone from another workspace in a shared channel
            person = people[uid] = Person(uid, None)
        return person

    def _message(
        self,
        conversation: Conversation,
        message: Any,
        people: dict[str, Person],
        parents: dict[str, str],
    ) -> Iterator[Event]:
        tally = self.tally
        if not isinstance(message, dict) or message.get("type") != "message":
            tally.skip("records that are not messages")
            return
        subtype = message.get("subtype")
        if subtype is not None and not isinstance(subtype, str):
            tally.skip("records that are not messages")
            return
        if subtype == "bot_message" or (message.get("bot_id") and not message.get("user")):
            tally.skip("bot messages")
            return
        if subtype not in HUMAN_SUBTYPES or message.get("hidden"):
            tally.skip("system messages (joins, topic changes, deleted messages …)")
            return
        uid, ts = message.get("user"), message.get("ts")
        if not isinstance(uid, str) or not isinstance(ts, str):
            tally.skip("messages without a user or ts")
            return
        seconds = _seconds(ts)
        if seconds is None:
            tally.skip(f"messages whose ts is not a time from {MIN_YEAR} to {MAX_YEAR}")
            return
        sender = self._person(people, uid)
        key = f"{conversation.id}/{ts}"
        thread = message.get("thread_ts")
        members = conversation.members
        if conversation.kind in ("dm", "mpim"):
            others = tuple(self._person(people, m) for m in members if m != uid)
            if not others:
                tally.skip("direct messages without other members")
            else:
                yield Event(key, seconds, Channel.CHAT, sender, others, len(members))
        elif isinstance(thread, str) and thread != ts:
            parent = message.get("parent_user_id") or parents.get(thread)
            if not isinstance(parent, str):
                tally.skip("thread replies whose parent is not in the export")
            elif parent == uid:
                tally.skip("thread replies to one's own message")
            else:
                yield Event(key, seconds, Channel.CHAT, sender, (self._person(people, parent),), 2)
        else:
            if thread == ts:
                parents[ts] = uid
            if not self.channel_posts:
                tally.skip("channel posts (counted with --channel-posts)")
            elif not members:
                tally.skip("channel posts in channels without a member list")
            else:
                others = tuple(self._person(people, m) for m in members if m != uid)
                yield Event(key, seconds, Channel.CHAT, sender, others, len(members))
        if self.reactions and "reactions" in message:
            yield from self._reactions(message, key, seconds, sender, people)

    def _reactions(
        self,
        message: dict[str, Any],
        key: str,
        seconds: int,
        author: Person,
        people: dict[str, Person],
    ) -> Iterator[Event]:
        reactors: dict[str, None] = {}
        reactions = message.get("reactions")
        for reaction in reactions if isinstance(reactions, list) else []:
            users = reaction.get("users") if isinstance(reaction, dict) else None
            if isinstance(users, list):
                reactors.update(dict.fromkeys(u for u in users if isinstance(u, str)))
        for uid in reactors:
            if uid == author.key:
                continue
            yield Event(
                f"{key}/reaction/{uid}",
                seconds,
                Channel.CHAT,
                self._person(people, uid),
                (author,),
                2,
                weight=REACTION_WEIGHT,
            )
