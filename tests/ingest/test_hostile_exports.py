"""Hostile exports (wrong JSON types, runaway recurrences, times out of range, fuzzed bytes) end
in a :class:`MatcherError` (exit 1, a located message) or are read: never a traceback, a hang or
unbounded memory.

Regression tests for what an audit found come first, each on a small file built here; then the
standing fuzz suite over the Slack, calendar, Graph and HRIS readers (see :mod:`tests.fuzz`).
"""

from __future__ import annotations

import datetime as dt
import io
import json
import shutil
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from matcher.ingest.hris import load_mapping, read_hris
from matcher.ingest.ics import IcsReader
from matcher.ingest.identity import load_directory
from matcher.ingest.msgraph import GraphReader
from matcher.ingest.pipeline import detect_kind
from matcher.ingest.records import Event, Window
from matcher.ingest.rows import RowBuilder
from matcher.ingest.slack import SlackReader
from matcher.io.load import load_interactions
from tests.fuzz import harmless, mutations, written
from tests.ingest.exports import EMPLOYEES, IngestSeptember
from tests.paths import FIXTURES
from tests.support import RunCli

# ---------------------------------------------------------------- recurrence expansion

FLOOD = """BEGIN:VCALENDAR\r
VERSION:2.0\r
PRODID:-//x//x//EN\r
BEGIN:VEVENT\r
UID:flood@example.com\r
DTSTART:20260901T090000Z\r
DTEND:20260901T090001Z\r
RRULE:FREQ=SECONDLY\r
ORGANIZER:mailto:ada@example.com\r
ATTENDEE;PARTSTAT=ACCEPTED:mailto:bob@example.com\r
END:VEVENT\r
END:VCALENDAR\r
"""


def test_secondly_rule_is_capped_and_named(tmp_path: Path) -> None:
    path = tmp_path / "flood.ics"
    path.write_text(FLOOD)
    assert path.stat().st_size < 300
    day = dt.datetime(2026, 9, 1, tzinfo=dt.UTC)
    reader = IcsReader(path, window=Window.of(day, day + dt.timedelta(days=1)), max_occurrences=500)
    events = list(reader.events())
    assert 490 <= len(events) <= 500
    (reason,) = reader.tally.skipped
    assert "flood@example.com" in reason and "first 500 occurrences" in reason


def test_secondly_rule_long_before_the_window_is_left_out(tmp_path: Path) -> None:
    path = tmp_path / "flood.ics"
    path.write_text(FLOOD.replace("20260901T09000", "19700101T00000"))
    day = dt.datetime(2026, 9, 1, tzinfo=dt.UTC)
    reader = IcsReader(path, window=Window.of(day, day + dt.timedelta(seconds=10)))
    assert list(reader.events()) == []
    (reason,) = reader.tally.skipped
    assert "flood@example.com" in reason and "left out" in reason


def test_ordinary_recurrence_is_not_capped(tmp_path: Path) -> None:
    path = tmp_path / "weekly.ics"
    path.write_text(FLOOD.replace("FREQ=SECONDLY", "FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR"))
    day = dt.datetime(2026, 9, 1, tzinfo=dt.UTC)
    reader = IcsReader(path, window=Window.of(day, day + dt.timedelta(days=28)), max_occurrences=20)
    assert len(list(reader.events())) == 20
    assert not reader.tally.skipped


# ---------------------------------------------------------- wrong JSON types in exports


def slack_folder(tmp_path: Path, messages: object, users: object = None) -> Path:
    root = tmp_path / "slack"
    (root / "D1").mkdir(parents=True)
    default_users = [
        {"id": "U1", "profile": {"email": "ada@example.com"}},
        {"id": "U2", "profile": {"email": "bob@example.com"}},
    ]
    (root / "users.json").write_text(json.dumps(default_users if users is None else users))
    (root / "dms.json").write_text(json.dumps([{"id": "D1", "members": ["U1", "U2"]}]))
    (root / "D1" / "2026-09-01.json").write_text(json.dumps(messages))
    return root


MESSAGE = {"type": "message", "user": "U1", "ts": "1788256800.000100"}

SLACK_CASES: dict[str, tuple[object, object]] = {
    "a message that is a list": ([[1, 2]], None),
    "ts a dict": ([{**MESSAGE, "ts": {"a": 1}}], None),
    "ts 1e400": ([{**MESSAGE, "ts": "1e400"}], None),
    "ts -1e15": ([{**MESSAGE, "ts": "-1e15"}], None),
    "ts nan": ([{**MESSAGE, "ts": "nan"}], None),
    "subtype a list": ([{**MESSAGE, "subtype": ["x"]}], None),
    "reactions a number": ([{**MESSAGE, "reactions": 3}], None),
    "reaction users a number": ([{**MESSAGE, "reactions": [{"users": 3}]}], None),
    "users not a list": ([MESSAGE], {"users": []}),
    "messages an object": ({"a": MESSAGE}, None),
}


@pytest.mark.parametrize("case", sorted(SLACK_CASES))
def test_slack_wrong_json_types(
    tmp_path: Path, case: str, ingest_september: IngestSeptember
) -> None:
    messages, users = SLACK_CASES[case]
    root = slack_folder(tmp_path, messages, users)
    ingest_september(root, "--reactions", code=(0, 1))


def test_slack_members_not_a_list(tmp_path: Path, ingest_september: IngestSeptember) -> None:
    root = slack_folder(tmp_path, [MESSAGE])
    (root / "dms.json").write_text(json.dumps([{"id": "D1", "members": 7}]))
    ingest_september(root)


def test_slack_ts_out_of_range_is_counted_not_written(tmp_path: Path, run_cli: RunCli) -> None:
    root = slack_folder(tmp_path, [{**MESSAGE, "ts": "-99999999999999"}])
    out = tmp_path / "interactions.csv"
    stderr = run_cli("ingest", root, "--employees", EMPLOYEES, "--out", out, "--json").stderr
    text = (tmp_path / "interactions.csv").read_text()
    assert text.count("\n") == 1  # the header only
    assert "is not a time from 1970 to 9999" in stderr


GRAPH_CASES = {
    "recipients a number": {
        "sentDateTime": "2026-09-01T10:00:00Z",
        "from": {"emailAddress": {"address": "ada@example.com"}},
        "toRecipients": 5,
    },
    "attendees a string": {
        "start": {"dateTime": "2026-09-01T10:00:00", "timeZone": "UTC"},
        "organizer": {"emailAddress": {"address": "ada@example.com"}},
        "attendees": "bob@example.com",
    },
    "time zone a list": {
        "start": {"dateTime": "2026-09-01T10:00:00", "timeZone": ["x"]},
        "attendees": [],
    },
    "year 1 in a far time zone": {
        "start": {"dateTime": "0001-01-01T00:00:00+05:00", "timeZone": "UTC"},
        "organizer": {"emailAddress": {"address": "ada@example.com"}},
        "attendees": [
            {
                "emailAddress": {"address": "bob@example.com"},
                "status": {"response": "accepted"},
            }
        ],
    },
}


@pytest.mark.parametrize("case", sorted(GRAPH_CASES))
def test_graph_wrong_json_types(
    tmp_path: Path, case: str, ingest_september: IngestSeptember
) -> None:
    path = tmp_path / "dump.json"
    path.write_text(json.dumps({"value": [GRAPH_CASES[case]]}))
    ingest_september(path, "--start", "0001-01-01", code=(0, 1))


def test_ingest_never_writes_what_analyze_rejects(tmp_path: Path, run_cli: RunCli) -> None:
    root = slack_folder(
        tmp_path,
        [
            {**MESSAGE, "ts": "-99999999999999.0"},
            {**MESSAGE, "ts": "253402300800"},  # 10000-01-01
            {**MESSAGE, "ts": "1788256800.000100"},
        ],
    )
    out = tmp_path / "interactions.csv"
    run_cli("ingest", root, "--employees", EMPLOYEES, "--out", out, "--end", "9999-12-30")
    loaded = load_interactions(out, ["E1", "E2"])
    assert loaded.report.interaction_rows == 1
    result = run_cli(
        "ingest", root, "--employees", EMPLOYEES, "--out", out, "--end", "9999-12-31", code=2
    )
    assert "--end" in result.stderr


# =========================================================================== fuzz suite


def build_rows(kind: str, events: Callable[[], Iterator[Event]]) -> None:
    """Every row the events make, for the fixture employees, at any time."""
    builder = RowBuilder(kind, load_directory(EMPLOYEES, None), window=Window(), broadcast_size=25)
    for _ in builder.rows(events()):
        pass


SLACK_KEYS = st.sampled_from(
    [
        "type",
        "user",
        "ts",
        "subtype",
        "thread_ts",
        "parent_user_id",
        "reactions",
        "users",
        "bot_id",
        "hidden",
        "name",
    ]
)
JSON_VALUES = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(2**64), 2**64)
    | st.floats()
    | st.text(max_size=5)
    | st.sampled_from(["message", "U1", "U2", "1788256800.000100", "1e400", "-1e20", "nan", "D1"]),
    lambda inner: (
        st.lists(inner, max_size=3)
        | st.dictionaries(SLACK_KEYS | st.text(max_size=3), inner, max_size=4)
    ),
    max_leaves=12,
)
MESSAGES = (
    st.lists(
        st.fixed_dictionaries(
            {"type": st.just("message"), "user": st.sampled_from(["U1", "U2"])},
            optional={
                "ts": JSON_VALUES,
                "subtype": JSON_VALUES,
                "thread_ts": JSON_VALUES,
                "parent_user_id": JSON_VALUES,
                "reactions": JSON_VALUES,
            },
        )
        | JSON_VALUES,
        max_size=4,
    )
    | JSON_VALUES
)


@given(messages=MESSAGES, users=st.none() | JSON_VALUES, conversations=st.none() | JSON_VALUES)
def test_fuzz_slack_json(
    scratch_dir: Path, messages: object, users: object, conversations: object
) -> None:
    root = scratch_dir / "slack"
    shutil.rmtree(root, ignore_errors=True)
    (root / "D1").mkdir(parents=True)
    default_users = [
        {"id": "U1", "profile": {"email": "ada@example.com"}},
        {"id": "U2", "profile": {"email": "bob@example.com"}},
    ]
    (root / "users.json").write_text(json.dumps(default_users if users is None else users))
    dms = [{"id": "D1", "members": ["U1", "U2"]}] if conversations is None else conversations
    (root / "dms.json").write_text(json.dumps(dms))
    (root / "D1" / "2026-09-01.json").write_text(json.dumps(messages))
    reader = SlackReader(root, window=Window(), channel_posts=True, reactions=True)
    harmless(lambda: build_rows("slack", reader.events))


def zipped(files: dict[str, bytes]) -> bytes:
    """A deflated zip archive of ``files`` (name to content)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in files.items():
            archive.writestr(name, content)
    return buffer.getvalue()


SLACK_ZIP_SEED = zipped(
    {
        str(file.relative_to(FIXTURES / "slack")): file.read_bytes()
        for file in sorted((FIXTURES / "slack").rglob("*.json"))[:8]
    }
)


@given(data=mutations(SLACK_ZIP_SEED))
def test_fuzz_slack_zip(scratch_dir: Path, data: bytes) -> None:
    path = written(scratch_dir, "slack.zip", data)
    reader = SlackReader(path, window=Window(), reactions=True)
    harmless(lambda: build_rows("slack", reader.events))
    harmless(lambda: detect_kind(path))


ICS_SEED = (FIXTURES / "calendar.ics").read_bytes()


@given(data=mutations(ICS_SEED) | mutations(FLOOD.encode()))
@settings(max_examples=60)
def test_fuzz_ics(scratch_dir: Path, data: bytes) -> None:
    path = written(scratch_dir, "calendar.ics", data)
    reader = IcsReader(path, window=Window.of(None, None), max_occurrences=200)
    harmless(lambda: build_rows("ics", reader.events))


@given(data=mutations(ICS_SEED[:3000]))
@settings(max_examples=20)
def test_fuzz_ics_zip(scratch_dir: Path, data: bytes) -> None:
    archive = zipped({"a/a.ics": data})
    # cut the archive's last byte when the calendar starts with a B (as a valid one does)
    mutated = written(scratch_dir, "calendar.zip", archive[: len(archive) - data[:1].count(b"B")])
    reader = IcsReader(mutated, window=Window.of(None, None), max_occurrences=200)
    harmless(lambda: build_rows("ics", reader.events))


GRAPH_SEEDS = [
    (FIXTURES / "graph" / name).read_bytes() for name in ("calendarview.json", "sentitems.jsonl")
]
GRAPH_KEYS = st.sampled_from(
    [
        "sentDateTime",
        "from",
        "sender",
        "toRecipients",
        "ccRecipients",
        "start",
        "end",
        "attendees",
        "organizer",
        "isDraft",
        "isCancelled",
        "isAllDay",
        "type",
        "emailAddress",
        "address",
        "dateTime",
        "timeZone",
        "status",
        "response",
        "value",
    ]
)
GRAPH_VALUES = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats()
    | st.text(max_size=5)
    | st.sampled_from(
        ["2026-09-01T10:00:00", "UTC", "Europe/Berlin", "ada@example.com", "accepted", "x/../y"]
    ),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(GRAPH_KEYS, inner, max_size=5),
    max_leaves=14,
)


@given(
    data=mutations(GRAPH_SEEDS[0]) | mutations(GRAPH_SEEDS[1]),
    suffix=st.sampled_from([".json", ".jsonl"]),
)
def test_fuzz_graph_bytes(scratch_dir: Path, data: bytes, suffix: str) -> None:
    path = written(scratch_dir, f"graph{suffix}", data)
    harmless(lambda: build_rows("graph", GraphReader(path).events))


@given(records=st.lists(st.dictionaries(GRAPH_KEYS, GRAPH_VALUES, max_size=6), max_size=4))
def test_fuzz_graph_json(scratch_dir: Path, records: list[dict[str, object]]) -> None:
    path = written(scratch_dir, "graph.json", json.dumps({"value": records}, default=str).encode())
    harmless(lambda: build_rows("graph", GraphReader(path).events))


HRIS_SEED = (FIXTURES / "hris" / "people_export.csv").read_bytes()
MAPPING_SEED = (FIXTURES / "hris" / "people.toml").read_bytes()
HRIS_XLSX_SEED = (FIXTURES / "hris" / "workday_workers.xlsx").read_bytes()


@given(data=mutations(HRIS_SEED), mapping=st.none() | mutations(MAPPING_SEED))
def test_fuzz_hris(scratch_dir: Path, data: bytes, mapping: bytes | None) -> None:
    source = written(scratch_dir, "people_export.csv", data)
    mapping_path = written(scratch_dir, "people.toml", MAPPING_SEED if mapping is None else mapping)

    def read() -> None:
        found, _ = load_mapping(mapping_path)
        read_hris(source, found)

    harmless(read)


@given(data=mutations(HRIS_XLSX_SEED))
@settings(max_examples=30)
def test_fuzz_hris_xlsx(scratch_dir: Path, data: bytes) -> None:
    source = written(scratch_dir, "workers.xlsx", data)
    harmless(lambda: read_hris(source, load_mapping("workday")[0]))
