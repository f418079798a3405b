"""Ingesting a source twice, or in two halves, gives the same rows as ingesting it once."""

from __future__ import annotations

import csv
import datetime as dt
import json
import tempfile
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from matcher.ingest.identity import Aliases, Directory
from matcher.ingest.pipeline import ReadOptions, ingest_interactions
from matcher.ingest.records import Kind, Window
from matcher.model import Employee
from tests.paths import FIXTURES

PEOPLE = [f"U{i}" for i in range(6)]  # U5 has no employee record: unresolved
DIRECTORY = Directory(
    [Employee(id=f"E{i}", email=f"p{i}@example.com") for i in range(5)], Aliases.none(), "employees"
)
START = dt.datetime(2026, 9, 1, tzinfo=dt.UTC)
DAYS = 4
ANY_TIME = Window()


def read_rows(path: Path) -> list[tuple[str, ...]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return [tuple(r) for r in csv.reader(handle)][1:]


def run(
    sources: list[Path],
    kind: Kind,
    out: Path,
    *,
    append: bool,
    window: Window = ANY_TIME,
    directory: Directory = DIRECTORY,
) -> None:
    ingest_interactions(
        [(s, kind) for s in sources],
        directory,
        out,
        rejects=out.with_name("rejects.csv"),
        append=append,
        options=ReadOptions(window=window, channel_posts=True, reactions=True),
    )


def once_twice_halves(
    full: list[Path], first: list[Path], second: list[Path], kind: Kind, split: dt.datetime
) -> None:
    with tempfile.TemporaryDirectory() as folder:
        work = Path(folder)
        run(full, kind, work / "once.csv", append=False)
        once = read_rows(work / "once.csv")
        assert len(once) == len(set(once))

        run(full, kind, work / "twice.csv", append=False)
        run(full, kind, work / "twice.csv", append=True)
        assert read_rows(work / "twice.csv") == once

        run(first, kind, work / "files.csv", append=True)
        run(second, kind, work / "files.csv", append=True)
        assert sorted(read_rows(work / "files.csv")) == sorted(once)

        run(full, kind, work / "window.csv", append=True, window=Window.of(None, split))
        run(full, kind, work / "window.csv", append=True, window=Window.of(split, None))
        assert sorted(read_rows(work / "window.csv")) == sorted(once)


# ------------------------------------------------------------------------------- Slack


@st.composite
def slack_messages(draw: st.DrawFn) -> dict[str, list[dict[str, object]]]:
    """Day files (``folder/YYYY-MM-DD.json`` → messages) of a small export."""
    files: dict[str, list[dict[str, object]]] = {}
    members = {"general": PEOPLE, "D1": PEOPLE[:2], "mpdm-1": PEOPLE[1:5]}
    for _ in range(draw(st.integers(0, 25))):
        folder = draw(st.sampled_from(sorted(members)))
        day = draw(st.integers(0, DAYS - 1))
        second = draw(st.integers(0, 86_399))
        ts = f"{int((START + dt.timedelta(days=day)).timestamp()) + second}.{draw(st.integers(0, 999)):06d}"
        user = draw(st.sampled_from(members[folder]))
        message: dict[str, object] = {"type": "message", "user": user, "text": "x", "ts": ts}
        earlier = [m for m in files.get(f"{folder}/{_day(day)}", []) if "thread_ts" not in m]
        if folder == "general" and earlier and draw(st.booleans()):
            parent = draw(st.sampled_from(earlier))
            message["thread_ts"] = parent["ts"]
            message["parent_user_id"] = parent["user"]
        if draw(st.booleans()):
            message["reactions"] = [
                {"name": "+1", "users": draw(st.lists(st.sampled_from(PEOPLE), max_size=3))}
            ]
        files.setdefault(f"{folder}/{_day(day)}", []).append(message)
    return files


def _day(day: int) -> str:
    return f"{(START + dt.timedelta(days=day)).date().isoformat()}.json"


def write_export(root: Path, files: dict[str, list[dict[str, object]]]) -> Path:
    users = [{"id": u, "profile": {"email": f"p{u[1:]}@example.com"}} for u in PEOPLE]
    metadata = {
        "users.json": users,
        "channels.json": [{"id": "C1", "name": "general", "members": PEOPLE}],
        "dms.json": [{"id": "D1", "members": PEOPLE[:2]}],
        "mpims.json": [{"id": "G1", "name": "mpdm-1", "members": PEOPLE[1:5]}],
    }
    for name, content in {**metadata, **files}.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(content), encoding="utf-8")
    return root


@given(slack_messages(), st.integers(1, DAYS - 1), st.integers(0, 86_399))
def test_slack_twice_or_in_halves_gives_the_rows_of_once(
    files: dict[str, list[dict[str, object]]], split_day: int, split_second: int
) -> None:
    split = START + dt.timedelta(days=split_day, seconds=split_second)
    cut = f"{(START + dt.timedelta(days=split_day)).date().isoformat()}.json"
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        full = write_export(root / "full", files)
        first = write_export(root / "a", {k: v for k, v in files.items() if k.split("/")[1] < cut})
        second = write_export(
            root / "b", {k: v for k, v in files.items() if k.split("/")[1] >= cut}
        )
        once_twice_halves([full], [first], [second], Kind.SLACK, split)


# ------------------------------------------------------------------------------- Graph

ADDRESSES = [f"p{i}@example.com" for i in range(6)]


@st.composite
def graph_records(draw: st.DrawFn) -> list[dict[str, object]]:
    records: list[dict[str, object]] = []
    for number in range(draw(st.integers(0, 20))):
        sender = draw(st.sampled_from(ADDRESSES))
        sent = START + dt.timedelta(seconds=draw(st.integers(0, DAYS * 86_400 - 1)))
        recipients = draw(st.lists(st.sampled_from(ADDRESSES), min_size=1, max_size=4))
        if draw(st.booleans()):
            records.append(
                {
                    "internetMessageId": f"<m{number}@example.com>",
                    "sentDateTime": sent.isoformat(),
                    "from": {"emailAddress": {"address": sender}},
                    "toRecipients": [{"emailAddress": {"address": a}} for a in recipients],
                }
            )
        else:
            end = sent + dt.timedelta(minutes=draw(st.integers(0, 120)))
            records.append(
                {
                    "iCalUId": f"event-{number}",
                    "start": {"dateTime": sent.replace(tzinfo=None).isoformat(), "timeZone": "UTC"},
                    "end": {"dateTime": end.replace(tzinfo=None).isoformat(), "timeZone": "UTC"},
                    "organizer": {"emailAddress": {"address": sender}},
                    "attendees": [
                        {
                            "emailAddress": {"address": a},
                            "status": {"response": draw(st.sampled_from(["accepted", "declined"]))},
                        }
                        for a in recipients
                    ],
                }
            )
    return records


@given(graph_records(), st.integers(0, 20), st.integers(1, DAYS * 86_400 - 1))
def test_graph_twice_or_in_halves_gives_the_rows_of_once(
    records: list[dict[str, object]], cut: int, split_second: int
) -> None:
    split = START + dt.timedelta(seconds=split_second)
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        paths = []
        for name, part in (("full", records), ("a", records[:cut]), ("b", records[cut:])):
            path = root / f"{name}.jsonl"
            path.write_text("".join(json.dumps(r) + "\n" for r in part), encoding="utf-8")
            paths.append(path)
        full, first, second = paths
        once_twice_halves([full], [first], [second], Kind.GRAPH, split)


# ---------------------------------------------------------------------------- calendar


@settings(max_examples=8)  # each example parses and expands the calendar four times
@given(st.integers(0, 30 * 24 * 4))
def test_calendar_twice_or_in_two_windows_gives_the_rows_of_once(quarter_hours: int) -> None:
    from matcher.ingest.identity import load_directory

    directory = load_directory(FIXTURES / "employees.csv", FIXTURES / "aliases.csv")
    split = START + dt.timedelta(minutes=15 * quarter_hours)
    calendar = FIXTURES / "calendar.ics"
    end = dt.datetime(2026, 10, 1, tzinfo=dt.UTC)
    with tempfile.TemporaryDirectory() as folder:
        work = Path(folder)

        def ingest(out: str, append: bool, window: Window) -> list[tuple[str, ...]]:
            run([calendar], Kind.ICS, work / out, append=append, window=window, directory=directory)
            return read_rows(work / out)

        once = ingest("once.csv", False, Window.of(START, end))
        assert len(once) == 6
        assert ingest("once.csv", True, Window.of(START, end)) == once
        ingest("halves.csv", True, Window.of(START, split))
        assert sorted(ingest("halves.csv", True, Window.of(split, end))) == sorted(once)


_CELLS = st.text(alphabet=st.sampled_from('ab,"\n\r é=\x1f'), max_size=6)


@given(
    rows=st.lists(st.tuples(*[_CELLS] * 7), max_size=12),
    batch=st.integers(min_value=1, max_value=5),
)
@settings(max_examples=60, deadline=None)
def test_csv_batches_read_back_as_the_rows_written(rows: list[tuple[str, ...]], batch: int) -> None:
    """Whatever the cells hold (commas, quotes, line breaks) and wherever the batches cut,
    the file reads back as the rows, in order, under the header."""
    import io
    from unittest import mock

    from matcher.ingest import output

    handle = io.BytesIO()
    with mock.patch.object(output, "BATCH", batch):
        writer = output._CsvBatches(handle)
        for row in rows:
            writer.add(row)
        writer.flush()
    text = handle.getvalue().decode("utf-8")
    back = list(csv.reader(io.StringIO(text, newline="")))
    assert back[0] == list(output.INTERACTION_HEADER)
    assert [tuple(r) for r in back[1:]] == rows


@given(st.integers(min_value=0, max_value=253_402_300_799))
def test_timestamps_are_iso_8601_in_utc(seconds: int) -> None:
    from matcher.ingest.rows import format_timestamp

    expected = dt.datetime.fromtimestamp(seconds, dt.UTC).isoformat()
    assert format_timestamp(seconds) == expected
