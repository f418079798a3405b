"""Benchmark ``matcher ingest`` on a generated Slack-like export (standalone script).

Generates, from a seed, a workspace export of 2,000 people (or ``--users``) and at least a
million messages (or ``--messages``) in the layout Slack documents (``users.json``, ``channels.json``, ``dms.json``,
``mpims.json``, one folder per conversation of ``YYYY-MM-DD.json`` day files) with bots,
deleted users, guests, system messages, threads and reactions, zips it as Slack does, then
runs the ingest through the CLI as a child process and prints its wall time, its peak
resident memory (``wait4``'s ``ru_maxrss`` of that child alone) and the command.

Run from the repository root::

    .venv/bin/python benchmarks/ingest_bench.py                 # 2,000 users, 1.05M messages
    .venv/bin/python benchmarks/ingest_bench.py --format folder --keep
    .venv/bin/python benchmarks/ingest_bench.py --users 50000 --messages 10000000   # XL

At XL (10M messages over 50,000 users, 4.7M day files, a 2 GB zip) generation takes a few
minutes and needs about 4 GB of disk for the export and the output.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import math
import os
import random
import shlex
import shutil
import struct
import subprocess
import sys
import tempfile
import time
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
END = dt.date(2026, 9, 30)
WORDS = [
    "release",
    "notes",
    "review",
    "deploy",
    "lunch",
    "standup",
    "design",
    "doc",
    "question",
    "thanks",
    "sure",
    "later",
    "call",
    "sync",
    "blocker",
    "ticket",
    "merge",
    "ship",
    "draft",
    "plan",
    "budget",
    "hiring",
    "coffee",
]


def _people(users: int) -> list[dict[str, object]]:
    people: list[dict[str, object]] = []
    for i in range(1, users + 1):
        uid = f"U{i:06d}"
        people.append(
            {
                "id": uid,
                "team_id": "T0BENCH",
                "name": f"user{i}",
                "deleted": False,
                "real_name": f"User {i}",
                "tz": "Europe/Berlin",
                "is_bot": False,
                "is_app_user": False,
                "profile": {"real_name": f"User {i}", "email": f"user{i}@example.com"},
            }
        )
    for i in range(1, 21):  # bots, deleted users, guests from a partner
        people.append({"id": f"B{i:06d}", "name": f"bot{i}", "is_bot": True, "profile": {}})
        people.append(
            {
                "id": f"D{i:06d}",
                "name": f"gone{i}",
                "deleted": True,
                "profile": {"email": f"gone{i}@example.com"},
            }
        )
        people.append(
            {
                "id": f"G{i:06d}",
                "name": f"guest{i}",
                "is_restricted": True,
                "profile": {"email": f"guest{i}@partner.example"},
            }
        )
    return people


TEXTS = 4096
"""Distinct message texts drawn from (the reader never keeps text; its length is what counts)."""


class Generator:
    """Conversations and their day files, drawn with numpy a day file at a time.

    The workspace scales with its people: per 2,000 users, 150 channels, 6,000 DMs and 800
    group DMs. Messages are shared out 30% to channels, 55% to DMs (Pareto-weighted: a few
    pairs talk a lot) and 15% to group DMs, over ``days`` days weighted to recent ones. Each
    day file's JSON is written from templates (as Slack writes it, indented by 4), so ten
    million messages take minutes.
    """

    def __init__(self, users: int, messages: int, days: int, seed: int) -> None:
        self.seed = seed
        self.rng = np.random.default_rng(seed)
        self.users = [f"U{i:06d}" for i in range(1, users + 1)]
        self.extras = [f"B{i:06d}" for i in range(1, 21)] + [f"G{i:06d}" for i in range(1, 21)]
        self.messages = messages
        self.days = days
        self.written = 0
        self.files = 0
        scale = max(users / 2000, 1)
        self.channels, self.dms, self.mpims = (
            round(150 * scale),
            round(6000 * scale),
            round(800 * scale),
        )
        words = random.Random(seed)
        self.texts = [
            json.dumps(" ".join(words.choice(WORDS) for _ in range(words.randint(3, 14))))
            for _ in range(TEXTS)
        ]

    def _sample(self, k: int) -> list[str]:
        picked = self.rng.choice(len(self.users), size=min(k, len(self.users)), replace=False)
        return [self.users[i] for i in picked.tolist()]

    def conversations(self) -> dict[str, list[dict[str, Any]]]:
        rng = self.rng
        channels = []
        for i in range(self.channels):
            size = min(len(self.users), int((rng.pareto(1.2) + 1) * 8))
            extras = rng.choice(len(self.extras), size=2, replace=False).tolist()
            members = self._sample(max(size, 3)) + [self.extras[e] for e in extras]
            channels.append({"id": f"C{i:06d}", "name": f"channel-{i}", "members": members})
        dms = []
        for i in range(self.dms):
            if i % 40:
                pair = self._sample(2)
            else:
                pair = [self._sample(1)[0], self.extras[int(rng.integers(len(self.extras)))]]
            dms.append({"id": f"DM{i:06d}", "members": pair})
        mpims = []
        for i in range(self.mpims):
            members = self._sample(int(rng.integers(3, 9)))
            mpims.append({"id": f"GM{i:06d}", "name": f"mpdm-{i}-1", "members": members})
        return {"channels.json": channels, "dms.json": dms, "mpims.json": mpims}

    def day_files(self, meta: dict[str, list[dict[str, Any]]]) -> Iterator[tuple[str, bytes]]:
        """``(folder/YYYY-MM-DD.json, JSON bytes)`` until the message budget is spent."""
        rng = self.rng
        plan: list[tuple[str, list[str], str, float]] = []  # folder, members, kind, share
        for entry in meta["channels.json"]:
            plan.append(
                (str(entry["name"]), list(entry["members"]), "channel", 0.30 / self.channels)
            )
        weights = rng.pareto(1.5, size=self.dms) + 1
        weights *= 0.55 / weights.sum()
        for entry, weight in zip(meta["dms.json"], weights.tolist(), strict=True):
            plan.append((str(entry["id"]), list(entry["members"]), "dm", weight))
        for entry in meta["mpims.json"]:
            plan.append((str(entry["name"]), list(entry["members"]), "mpim", 0.15 / self.mpims))
        for folder, members, kind, share in plan:
            count = math.ceil(share * self.messages)  # at least the budget in all
            # every draw of the conversation at once (numpy calls cost more than messages)
            drawn = np.minimum(
                rng.exponential(self.days / 2, size=count).astype(np.int64), self.days - 1
            )
            drawn.sort()  # days before the end: the newest first
            days, starts = np.unique(drawn, return_index=True)
            draws = Draws(
                seconds=rng.integers(7 * 3600, 19 * 3600, size=count),
                senders=rng.integers(len(members), size=count).tolist(),
                rolls=rng.random(size=count).tolist(),
                reacted=(rng.random(size=count) < 0.08).tolist(),
                edited=(rng.random(size=count) < 0.05).tolist(),
                texts=rng.integers(len(self.texts), size=count).tolist(),
                ids=rng.integers(0, 2**63, size=count).tolist(),
                picks=rng.integers(len(members), size=(count, 2)).tolist(),
            )
            ends = [*starts.tolist()[1:], count]
            spans = zip(starts.tolist(), ends, days.tolist(), strict=True)
            for start, end, day in reversed(list(spans)):  # the oldest day file first
                date = END - dt.timedelta(days=day)
                yield (
                    f"{folder}/{date.isoformat()}.json",
                    self._day(kind, members, date, draws, start, end),
                )

    def _day(
        self, kind: str, members: list[str], date: dt.date, draws: Draws, start: int, end: int
    ) -> bytes:
        """One day file: messages ``start:end`` of the conversation's draws, as Slack lays it
        out."""
        base = int(dt.datetime.combine(date, dt.time(), dt.UTC).timestamp())
        seconds = (base + np.sort(draws.seconds[start:end])).tolist()
        count = end - start
        senders = draws.senders[start:end]
        rolls = draws.rolls[start:end]
        reacted = draws.reacted[start:end]
        edited = draws.edited[start:end]
        texts = draws.texts[start:end]
        ids = draws.ids[start:end]
        picks = draws.picks[start:end]
        channel = kind == "channel"
        parents: list[int] = []
        replies: dict[int, list[str]] = {}  # parent message → its thread fields
        out: list[list[str]] = []
        for number in range(count):
            user = members[senders[number]]
            ts = f"{seconds[number]}.{number:06d}"
            roll = rolls[number]
            if roll > 0.985:
                out.append([CHANNEL_JOIN.format(user=user, ts=ts)])
                continue
            if roll > 0.975:
                out.append([BOT_MESSAGE.format(ts=ts)])
                continue
            fields = [
                f'        "client_msg_id": "{ids[number]:016x}",',
                '        "type": "message",',
                f'        "text": {self.texts[texts[number]]},',
                f'        "user": "{user}",',
                f'        "ts": "{ts}",',
                '        "team": "T0BENCH"',
            ]
            if channel and parents and roll < 0.4:
                parent = parents[picks[number][0] % len(parents)]
                thread_ts, parent_user = out[parent][0], out[parent][1]
                fields[-1] += ","
                fields += [
                    f'        "thread_ts": "{thread_ts}",',
                    f'        "parent_user_id": "{parent_user}"',
                ]
                replies[parent].append(thread_ts)
            elif channel and roll < 0.55:
                parents.append(len(out))
                replies[len(out)] = []
            if reacted[number]:
                a, b = members[picks[number][0]], members[picks[number][1]]
                fields[-1] += ","
                fields.append(REACTION.format(a=a, b=b))
            if edited[number]:
                fields[-1] += ","
                fields.append(EDITED.format(user=user, ts=f"{seconds[number] + 60}.000000"))
            out.append([ts, user, *fields])
            self.written += 1
        objects = []
        for at, message in enumerate(out):
            if len(message) == 1:
                objects.append(message[0])
                self.written += 1
                continue
            fields = message[2:]
            if at in replies:  # a thread's parent: its own ts and the reply count
                fields[-1] += ","
                fields += [
                    f'        "thread_ts": "{message[0]}",',
                    f'        "reply_count": {len(replies[at])}',
                ]
            objects.append("    {\n" + "\n".join(fields) + "\n    }")
        return ("[\n" + ",\n".join(objects) + "\n]").encode("utf-8")


@dataclass
class Draws:
    """A conversation's random draws, one entry per message (numpy for the times)."""

    seconds: np.ndarray  # seconds into the day
    senders: list[int]
    rolls: list[float]
    reacted: list[bool]
    edited: list[bool]
    texts: list[int]
    ids: list[int]
    picks: list[list[int]]


CHANNEL_JOIN = (
    '    {{\n        "type": "message",\n        "subtype": "channel_join",\n'
    '        "user": "{user}",\n        "ts": "{ts}"\n    }}'
)
BOT_MESSAGE = (
    '    {{\n        "type": "message",\n        "subtype": "bot_message",\n'
    '        "bot_id": "B1",\n        "ts": "{ts}"\n    }}'
)
REACTION = (
    '        "reactions": [\n            {{\n                "name": "+1",\n'
    '                "users": [\n                    "{a}",\n                    "{b}"\n'
    '                ],\n                "count": 2\n            }}\n        ]'
)
EDITED = '        "edited": {{\n            "user": "{user}",\n            "ts": "{ts}"\n        }}'


class ZipWriter:
    """A deflated zip written entry by entry, as an exporter streams it.

    :mod:`zipfile` spends about 50 µs of bookkeeping per entry and keeps every entry's
    ``ZipInfo``; an export of ten million messages has millions of day files. This writer
    keeps each entry's central-directory record in a spool file and writes the ZIP64 end
    records that archives of more than 65,535 entries need.
    """

    def __init__(self, path: Path) -> None:
        self.out = path.open("wb")
        self.directory = tempfile.TemporaryFile()  # noqa: SIM115 (closed by close)
        self.count = 0
        self.when = (END.year - 1980) << 25 | END.month << 21 | END.day << 16  # DOS date, 00:00

    def writestr(self, name: str, data: bytes) -> None:
        packer = zlib.compressobj(1, zlib.DEFLATED, -15)
        packed = packer.compress(data) + packer.flush()
        raw = name.encode("utf-8")
        crc, offset = zlib.crc32(data), self.out.tell()
        if max(offset, len(data), len(packed)) >= 0xFFFFFFFF:
            raise ValueError("this writer keeps archives under 4 GiB")
        time, date = self.when & 0xFFFF, self.when >> 16
        self.out.write(
            LOCAL.pack(
                b"PK\x03\x04", 20, 0x800, 8, time, date, crc, len(packed), len(data), len(raw), 0
            )
        )
        self.out.write(raw)
        self.out.write(packed)
        self.directory.write(
            CENTRAL.pack(
                b"PK\x01\x02",
                20,
                20,
                0x800,
                8,
                time,
                date,
                crc,
                len(packed),
                len(data),
                len(raw),
                0,
                0,
                0,
                0,
                0,
                offset,
            )
        )
        self.directory.write(raw)
        self.count += 1

    def close(self) -> None:
        start = self.out.tell()
        self.directory.seek(0)
        shutil.copyfileobj(self.directory, self.out, 1 << 20)
        self.directory.close()
        size = self.out.tell() - start
        end64 = self.out.tell()
        self.out.write(
            struct.pack(
                "<4sQ2H2L4Q", b"PK\x06\x06", 44, 45, 45, 0, 0, self.count, self.count, size, start
            )
        )
        self.out.write(struct.pack("<4sLQL", b"PK\x06\x07", 0, end64, 1))
        entries = min(self.count, 0xFFFF)
        self.out.write(
            struct.pack("<4s4H2LH", b"PK\x05\x06", 0, 0, entries, entries, size, start, 0)
        )
        self.out.close()


LOCAL = struct.Struct("<4s5H3L2H")
CENTRAL = struct.Struct("<4s6H3L5H2L")


def generate(
    folder: Path, *, users: int, messages: int, days: int, seed: int, as_zip: bool
) -> Path:
    """Write the export (zip or folder) and ``employees.csv`` under ``folder``."""
    generator = Generator(users, messages, days, seed)
    meta = generator.conversations()
    files: dict[str, object] = {"users.json": _people(users), "groups.json": [], **meta}
    export = folder / ("slack-export.zip" if as_zip else "slack-export")
    archive = ZipWriter(export) if as_zip else None

    def put(name: str, data: bytes) -> None:
        if archive is not None:
            archive.writestr(name, data)
        else:
            path = export / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data)
        generator.files += 1

    for name, content in files.items():
        put(name, json.dumps(content, indent=4).encode("utf-8"))
    for name, day in generator.day_files(meta):
        put(name, day)
    if archive is not None:
        archive.close()
    employees = folder / "employees.csv"
    with employees.open("w", encoding="utf-8") as handle:
        handle.write("id,email,team\n")
        for i in range(1, users + 1):
            handle.write(f"E{i:06d},user{i}@example.com,T{i % 97}\n")
    print(
        f"generated {generator.written:,} messages in {generator.files:,} files "
        f"({_size(export) / 2**20:,.0f} MiB {'zip' if as_zip else 'folder'}) for {users:,} users, seed {seed}",
        flush=True,
    )
    if generator.written < messages:
        raise SystemExit(f"generated only {generator.written:,} messages, fewer than {messages:,}")
    return export


def _size(path: Path) -> int:
    if path.is_file():
        return path.stat().st_size
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def _ingest_command() -> list[str]:
    """``matcher ingest``: the installed script, else the CLI module."""
    script = Path(sys.executable).with_name("matcher")
    if script.is_file():
        return [str(script), "ingest"]
    return [sys.executable, "-m", "matcher.cli", "ingest"]


def _shown(argv: list[str]) -> str:
    def short(arg: str) -> str:
        path = Path(arg)
        return (
            str(path.relative_to(ROOT)) if path.is_absolute() and path.is_relative_to(ROOT) else arg
        )

    return shlex.join(short(a) for a in argv)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=2000)
    parser.add_argument("--messages", type=int, default=1_050_000)
    parser.add_argument("--days", type=int, default=90)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--format", choices=("zip", "folder"), default="zip")
    parser.add_argument("--work", type=Path, help="Folder for the export (default: a temp dir).")
    parser.add_argument("--keep", action="store_true", help="Keep the generated files.")
    args = parser.parse_args()

    base = args.work or Path(tempfile.mkdtemp(prefix="ingest-bench-"))
    base.mkdir(parents=True, exist_ok=True)
    started, cpu = time.perf_counter(), time.process_time()
    export = generate(
        base,
        users=args.users,
        messages=args.messages,
        days=args.days,
        seed=args.seed,
        as_zip=args.format == "zip",
    )
    print(
        f"generation took {time.perf_counter() - started:.1f} s (CPU {time.process_time() - cpu:.1f} s)",
        flush=True,
    )
    out = base / "interactions.csv"
    argv = [
        *_ingest_command(),
        str(export),
        "--employees",
        str(base / "employees.csv"),
        "--out",
        str(out),
        "--end",
        END.isoformat(),
        "--reactions",
        "--json",
        "--quiet",
    ]
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    with (
        open(base / "ingest-stdout.json", "wb") as stdout,
        open(base / "ingest-stderr.txt", "wb") as stderr,
    ):
        begun = time.perf_counter()
        child = subprocess.Popen(argv, cwd=ROOT, stdout=stdout, stderr=stderr, env=env)
        _, status, usage = os.wait4(child.pid, 0)
        seconds = time.perf_counter() - begun
    child.returncode = os.waitstatus_to_exitcode(status)
    if child.returncode != 0:
        raise SystemExit((base / "ingest-stderr.txt").read_text(encoding="utf-8")[-3000:])
    summary = json.loads((base / "ingest-stdout.json").read_text(encoding="utf-8"))
    peak = usage.ru_maxrss * 1024  # kilobytes on Linux
    (source,) = summary["sources"]
    print(f"command: {_shown(argv)}")
    print(f"wall time: {seconds:.1f} s (CPU {usage.ru_utime + usage.ru_stime:.1f} s)")
    print(f"peak RSS: {peak / 2**20:,.0f} MiB")
    print(
        f"events: {source['events']:,}; rows written: {summary['rows_added']:,}; "
        f"duplicates: {summary['duplicates']:,}; unresolved identities: {summary['unresolved_identities']:,}"
    )
    print(f"output: {_size(out) / 2**20:,.0f} MiB")
    if args.keep or args.work:
        print(f"files kept in {base}")
    else:
        shutil.rmtree(base, ignore_errors=True)


if __name__ == "__main__":
    main()
