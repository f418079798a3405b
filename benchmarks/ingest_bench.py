"""Benchmark ``matcher ingest`` on a generated Slack-like export (standalone script).

Generates, from a seed, a workspace export of 2,000 people and at least a million messages
in the layout Slack documents (``users.json``, ``channels.json``, ``dms.json``,
``mpims.json``, one folder per conversation of ``YYYY-MM-DD.json`` day files) with bots,
deleted users, guests, system messages, threads and reactions, zips it as Slack does, then
runs the ingest through the CLI as a child process and prints its wall time, its peak
resident memory (``wait4``'s ``ru_maxrss`` of that child alone) and the command.

Run from the repository root::

    .venv/bin/python benchmarks/ingest_bench.py                 # 2,000 users, 1.05M messages
    .venv/bin/python benchmarks/ingest_bench.py --format folder --keep
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import random
import shlex
import shutil
import subprocess
import sys
import tempfile
import time
import zipfile
from collections.abc import Iterator
from pathlib import Path

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


def _text(rng: random.Random) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(rng.randint(3, 14)))


class Generator:
    """Conversations and their day files; messages are made one conversation at a time."""

    def __init__(self, users: int, messages: int, days: int, seed: int) -> None:
        self.rng = random.Random(seed)
        self.users = [f"U{i:06d}" for i in range(1, users + 1)]
        self.extras = [f"B{i:06d}" for i in range(1, 21)] + [f"G{i:06d}" for i in range(1, 21)]
        self.messages = messages
        self.days = days
        self.written = 0
        self.files = 0

    def conversations(self) -> dict[str, list[dict[str, object]]]:
        rng, users = self.rng, self.users
        channels = []
        for i in range(150):
            size = min(len(users), int(rng.paretovariate(1.2) * 8))
            members = rng.sample(users, max(size, 3)) + rng.sample(self.extras, 2)
            channels.append({"id": f"C{i:06d}", "name": f"channel-{i}", "members": members})
        dms = []
        for i in range(6000):
            pair = rng.sample(users, 2) if i % 40 else [rng.choice(users), rng.choice(self.extras)]
            dms.append({"id": f"DM{i:06d}", "members": pair})
        mpims = []
        for i in range(800):
            members = rng.sample(users, rng.randint(3, 8))
            mpims.append({"id": f"GM{i:06d}", "name": f"mpdm-{i}-1", "members": members})
        return {"channels.json": channels, "dms.json": dms, "mpims.json": mpims}

    def day_files(
        self, meta: dict[str, list[dict[str, object]]]
    ) -> Iterator[tuple[str, list[dict[str, object]]]]:
        """``(folder/YYYY-MM-DD.json, messages)`` until the message budget is spent."""
        rng = self.rng
        plan: list[tuple[str, list[str], str, float]] = []  # folder, members, kind, share
        for entry in meta["channels.json"]:
            plan.append((str(entry["name"]), list(entry["members"]), "channel", 0.30 / 150))  # type: ignore[arg-type]
        weights = [rng.paretovariate(1.5) for _ in meta["dms.json"]]
        scale = 0.55 / sum(weights)
        for entry, weight in zip(meta["dms.json"], weights, strict=True):
            plan.append((str(entry["id"]), list(entry["members"]), "dm", weight * scale))  # type: ignore[arg-type]
        for entry in meta["mpims.json"]:
            plan.append((str(entry["name"]), list(entry["members"]), "mpim", 0.15 / 800))  # type: ignore[arg-type]
        for folder, members, kind, share in plan:
            count = max(1, round(share * self.messages))
            by_day: dict[int, int] = {}
            for _ in range(count):
                day = min(int(rng.expovariate(1 / (self.days / 2))), self.days - 1)
                by_day[day] = by_day.get(day, 0) + 1
            for day in sorted(by_day, reverse=True):
                date = END - dt.timedelta(days=day)
                yield (
                    f"{folder}/{date.isoformat()}.json",
                    self._messages(kind, members, date, by_day[day]),
                )

    def _messages(
        self, kind: str, members: list[str], date: dt.date, count: int
    ) -> list[dict[str, object]]:
        rng = self.rng
        base = int(dt.datetime.combine(date, dt.time(7), dt.UTC).timestamp())
        stamps = sorted(base + rng.randrange(0, 12 * 3600) for _ in range(count))
        out: list[dict[str, object]] = []
        parents: list[dict[str, object]] = []
        for number, second in enumerate(stamps):
            user = rng.choice(members)
            ts = f"{second}.{number:06d}"
            message: dict[str, object] = {
                "client_msg_id": f"{rng.getrandbits(64):016x}",
                "type": "message",
                "text": _text(rng),
                "user": user,
                "ts": ts,
                "team": "T0BENCH",
            }
            roll = rng.random()
            if kind == "channel" and parents and roll < 0.4:
                parent = rng.choice(parents)
                message["thread_ts"] = parent["ts"]
                message["parent_user_id"] = parent["user"]
                parent["reply_count"] = int(parent.get("reply_count", 0)) + 1  # type: ignore[call-overload]
            elif kind == "channel" and roll < 0.55:
                message["thread_ts"] = ts
                parents.append(message)
            elif roll > 0.985:
                message = {"type": "message", "subtype": "channel_join", "user": user, "ts": ts}
            elif roll > 0.975:
                message = {"type": "message", "subtype": "bot_message", "bot_id": "B1", "ts": ts}
            if rng.random() < 0.08 and "text" in message:
                message["reactions"] = [
                    {"name": "+1", "users": rng.sample(members, min(2, len(members))), "count": 2}
                ]
            if rng.random() < 0.05 and "text" in message:
                message["edited"] = {"user": user, "ts": f"{second + 60}.000000"}
            out.append(message)
            self.written += 1
        return out


def generate(
    folder: Path, *, users: int, messages: int, days: int, seed: int, as_zip: bool
) -> Path:
    """Write the export (zip or folder) and ``employees.csv`` under ``folder``."""
    generator = Generator(users, messages, days, seed)
    meta = generator.conversations()
    files: dict[str, object] = {"users.json": _people(users), "groups.json": [], **meta}
    export = folder / ("slack-export.zip" if as_zip else "slack-export")
    archive = (
        zipfile.ZipFile(export, "w", zipfile.ZIP_DEFLATED, compresslevel=1) if as_zip else None
    )

    def put(name: str, content: object) -> None:
        data = json.dumps(content, indent=4).encode("utf-8")
        if archive is not None:
            archive.writestr(name, data)
        else:
            path = export / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data)
        generator.files += 1

    for name, content in files.items():
        put(name, content)
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
    started = time.perf_counter()
    export = generate(
        base,
        users=args.users,
        messages=args.messages,
        days=args.days,
        seed=args.seed,
        as_zip=args.format == "zip",
    )
    print(f"generation took {time.perf_counter() - started:.1f} s", flush=True)
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
    print(f"wall time: {seconds:.1f} s")
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
