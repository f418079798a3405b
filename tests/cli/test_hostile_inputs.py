"""Hostile and broken input ends in a :class:`MatcherError` (exit 1, a located message), never
a traceback, a hang or unbounded memory.

Two parts: regression tests for what an audit found, each on a small file built here; then a
standing fuzz suite (Hypothesis and hand-made mutations) over every reader, asserting only
that nothing but a ``MatcherError`` escapes.
"""

from __future__ import annotations

import contextlib
import csv
import json
import math
import shutil
import struct
import tempfile
import zipfile
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

from matcher.cli import main
from matcher.errors import MatcherError
from matcher.history import History
from matcher.ingest.hris import load_mapping, read_hris
from matcher.ingest.ics import IcsReader
from matcher.ingest.identity import Directory, load_directory
from matcher.ingest.msgraph import GraphReader
from matcher.ingest.pipeline import detect_kind
from matcher.ingest.records import Event, Window
from matcher.ingest.rows import RowBuilder
from matcher.ingest.slack import SlackReader
from matcher.ingest.zipstream import ZipError, ZipReader
from matcher.io.configs import load_analysis_config
from matcher.io.load import load_employees, load_interactions
from matcher.io.programs import load_program_file
from matcher.io.scenarios import load_scenario
from matcher.io.tables import read_table
from matcher.workflows.validate import check_program_file
from tests.paths import FIXTURES, SCENARIOS

EMPLOYEES = FIXTURES / "employees.csv"


def cli(*args: str) -> tuple[int, str]:
    """Run ``matcher``; a traceback (any exception but SystemExit) fails the test."""
    result = CliRunner().invoke(main, list(args), catch_exceptions=True)
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result.exit_code, result.stderr


# ------------------------------------------------------------------------ crafted zips


@dataclass
class Member:
    """One entry of a hand-built zip; ``None`` fields take their honest value."""

    name: bytes
    data: bytes  # as stored (already deflated when method is 8)
    size: int | None = None
    method: int = 0
    flags: int = 0
    crc: int | None = None
    compressed: int | None = None
    offset: int | None = None
    extra: bytes = b""


def craft(members: list[Member]) -> bytes:
    """A zip archive with exactly the headers given (zipfile would refuse to write lies)."""
    body = bytearray()
    directory = bytearray()
    for member in members:
        at = len(body)
        size = len(member.data) if member.size is None else member.size
        crc = zlib.crc32(member.data) if member.crc is None else member.crc
        compressed = len(member.data) if member.compressed is None else member.compressed
        local = struct.pack(
            "<4s2B4HL2L2H",
            b"PK\x03\x04",
            20,
            0,
            member.flags,
            member.method,
            0,
            0,
            crc,
            len(member.data),
            size & 0xFFFFFFFF,
            len(member.name),
            0,
        )
        body += local + member.name + member.data
        offset = at if member.offset is None else member.offset
        directory += struct.pack(
            "<4s4B4HL2L5H2L",
            b"PK\x01\x02",
            20,
            0,
            20,
            0,
            member.flags,
            member.method,
            0,
            0,
            crc,
            min(compressed, 0xFFFFFFFF),
            min(size, 0xFFFFFFFF),
            len(member.name),
            len(member.extra),
            0,
            0,
            0,
            0,
            min(offset, 0xFFFFFFFF),
        )
        directory += member.name + member.extra
    end = struct.pack(
        "<4s4H2LH", b"PK\x05\x06", 0, 0, len(members), len(members), len(directory), len(body), 0
    )
    return bytes(body + directory + end)


def deflate(data: bytes) -> bytes:
    packer = zlib.compressobj(9, zlib.DEFLATED, -15)
    return packer.compress(data) + packer.flush()


def read_all(path: Path) -> None:
    with ZipReader(path) as archive:
        for entry in archive.entries():
            archive.read(entry)


def zip64_extra(*values: int, declared: int | None = None) -> bytes:
    payload = struct.pack(f"<{len(values)}Q", *values)
    return struct.pack("<2H", 1, len(payload) if declared is None else declared) + payload


BAD_ZIPS: dict[str, tuple[list[Member], str]] = {
    "short ZIP64 extra field": (
        [Member(b"a.json", b"[]", size=0xFFFFFFFF, compressed=0xFFFFFFFF, extra=zip64_extra(2))],
        "ZIP64 extra field too short",
    ),
    "truncated extra field": (
        [Member(b"a.json", b"[]", size=0xFFFFFFFF, extra=zip64_extra(2, declared=16))],
        "extra field runs past",
    ),
    "ZIP64 sizes without the extra field": (
        [Member(b"a.json", b"[]", size=0xFFFFFFFF)],
        "without a ZIP64 extra field",
    ),
    "local header offset past the end": (
        [Member(b"a.json", b"[]", offset=1 << 20)],
        "runs past the end of the entries",
    ),
    "file name not UTF-8": (
        [Member(b"caf\xe9\xff.json", b"[]", flags=0x800)],
        "not valid UTF-8",
    ),
    "2**62 declared size": (
        [
            Member(
                b"a.json",
                b"[]",
                size=0xFFFFFFFF,
                extra=zip64_extra(1 << 62),
            )
        ],
        "refused, it inflates to",
    ),
    "2**62 compressed size": (
        [Member(b"a.json", b"[]", compressed=0xFFFFFFFF, extra=zip64_extra(1 << 62))],
        "runs past the end of the entries",
    ),
    "overlapping entries": (
        [
            Member(b"a.json", b"[1]" * 20),
            Member(b"b.json", b"[1]" * 20, offset=0),
        ],
        "entries overlap",
    ),
    "encrypted entry": (
        [Member(b"a.json", b"[]", flags=0x1)],
        "encrypted",
    ),
    "AES entry (method 99)": (
        [Member(b"a.json", b"[]", method=99)],
        "compression method 99",
    ),
}


@pytest.mark.parametrize("case", sorted(BAD_ZIPS))
def test_crafted_zip_is_a_zip_error(tmp_path: Path, case: str) -> None:
    members, message = BAD_ZIPS[case]
    path = tmp_path / "export.zip"
    path.write_bytes(craft(members))
    with pytest.raises(ZipError, match=message):
        read_all(path)


def slack_zip(path: Path, day_file: bytes, *, declared: int | None = None) -> Path:
    """A Slack export zip whose one day file is deflated ``day_file`` (its header may lie)."""
    users = json.dumps(
        [
            {"id": "U1", "profile": {"email": "ada@example.com"}},
            {"id": "U2", "profile": {"email": "bob@example.com"}},
        ]
    ).encode()
    dms = json.dumps([{"id": "D1", "members": ["U1", "U2"]}]).encode()
    day = Member(
        b"D1/2026-09-01.json",
        deflate(day_file),
        size=len(day_file) if declared is None else declared,
        method=8,
        crc=zlib.crc32(day_file),
    )
    path.write_bytes(craft([Member(b"users.json", users), Member(b"dms.json", dms), day]))
    return path


def ingest_cli(tmp_path: Path, source: Path, *extra: str) -> tuple[int, str]:
    return cli(
        "ingest",
        str(source),
        "--employees",
        str(EMPLOYEES),
        "--out",
        str(tmp_path / "interactions.csv"),
        "--start",
        "2026-09-01",
        "--end",
        "2026-09-30",
        *extra,
    )


@pytest.mark.parametrize("declared", [None, 100], ids=["honest header", "lying header"])
def test_slack_zip_bomb_is_refused_naming_the_entry(tmp_path: Path, declared: int | None) -> None:
    # 8 MiB of one byte deflate to 8 KiB: 1,000 times, as a zip bomb does
    bomb = slack_zip(tmp_path / "slack.zip", b"[" + b" " * (8 << 20) + b"]", declared=declared)
    assert bomb.stat().st_size < 20_000
    code, stderr = ingest_cli(tmp_path, bomb, "--kind", "slack")
    assert code == 1
    assert "D1/2026-09-01.json: refused, it inflates to" in stderr
    assert "Traceback" not in stderr


def test_overlapping_entries_are_refused(tmp_path: Path) -> None:
    kernel = deflate(b"[" + b" " * 100_000 + b"]")
    members = [Member(b"users.json", b"[]")] + [
        Member(f"D1/2026-09-{d:02d}.json".encode(), kernel, size=100_002, method=8, offset=30)
        for d in range(1, 21)
    ]
    path = tmp_path / "slack.zip"
    path.write_bytes(craft(members))
    code, stderr = ingest_cli(tmp_path, path, "--kind", "slack")
    assert code == 1 and "entries overlap" in stderr


@pytest.mark.parametrize(
    "member",
    [
        Member(b"cal/a.ics", b"BEGIN:VCALENDAR", flags=0x1),
        Member(b"cal/a.ics", b"BEGIN:VCALENDAR", method=99),
        Member(b"cal/\xff\xfe.ics", b"BEGIN:VCALENDAR", flags=0x800),
    ],
    ids=["encrypted", "aes", "bad name"],
)
def test_calendar_zips_that_cannot_be_read(tmp_path: Path, member: Member) -> None:
    path = tmp_path / "calendar.zip"
    path.write_bytes(craft([member]))
    for kind in ("ics", None):
        code, stderr = ingest_cli(tmp_path, path, *(("--kind", kind) if kind else ()))
        assert code == 1, stderr
        assert "calendar.zip" in stderr


def test_calendar_zip_bomb_is_refused(tmp_path: Path) -> None:
    text = b"BEGIN:VCALENDAR\r\n" + b"X-PAD:" + b"a" * (4 << 20) + b"\r\nEND:VCALENDAR\r\n"
    path = tmp_path / "calendar.zip"
    path.write_bytes(
        craft([Member(b"a.ics", deflate(text), size=len(text), method=8, crc=zlib.crc32(text))])
    )
    code, stderr = ingest_cli(tmp_path, path, "--kind", "ics")
    assert code == 1 and "a.ics: refused" in stderr


def test_a_zip_written_by_zipfile_still_reads(tmp_path: Path) -> None:
    path = tmp_path / "ok.zip"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zipped:
        for i in range(5):
            zipped.writestr(f"D1/2026-09-0{i + 1}.json", "[]" * 1000)
        zipped.writestr("empty/", "")
    read_all(path)


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
    import datetime as dt

    from matcher.ingest.ics import IcsReader
    from matcher.ingest.records import Window

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
    import datetime as dt

    from matcher.ingest.ics import IcsReader
    from matcher.ingest.records import Window

    path = tmp_path / "flood.ics"
    path.write_text(FLOOD.replace("20260901T09000", "19700101T00000"))
    day = dt.datetime(2026, 9, 1, tzinfo=dt.UTC)
    reader = IcsReader(path, window=Window.of(day, day + dt.timedelta(seconds=10)))
    assert list(reader.events()) == []
    (reason,) = reader.tally.skipped
    assert "flood@example.com" in reason and "left out" in reason


def test_ordinary_recurrence_is_not_capped(tmp_path: Path) -> None:
    import datetime as dt

    from matcher.ingest.ics import IcsReader
    from matcher.ingest.records import Window

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
def test_slack_wrong_json_types(tmp_path: Path, case: str) -> None:
    messages, users = SLACK_CASES[case]
    root = slack_folder(tmp_path, messages, users)
    code, stderr = ingest_cli(tmp_path, root, "--reactions")
    assert code in (0, 1), stderr


def test_slack_members_not_a_list(tmp_path: Path) -> None:
    root = slack_folder(tmp_path, [MESSAGE])
    (root / "dms.json").write_text(json.dumps([{"id": "D1", "members": 7}]))
    code, stderr = ingest_cli(tmp_path, root)
    assert code == 0, stderr


def test_slack_ts_out_of_range_is_counted_not_written(tmp_path: Path) -> None:
    root = slack_folder(tmp_path, [{**MESSAGE, "ts": "-99999999999999"}])
    code, stderr = cli(
        "ingest",
        str(root),
        "--employees",
        str(EMPLOYEES),
        "--out",
        str(tmp_path / "interactions.csv"),
        "--json",
    )
    assert code == 0, stderr
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
def test_graph_wrong_json_types(tmp_path: Path, case: str) -> None:
    path = tmp_path / "dump.json"
    path.write_text(json.dumps({"value": [GRAPH_CASES[case]]}))
    code, stderr = ingest_cli(tmp_path, path, "--start", "0001-01-01")
    assert code in (0, 1), stderr


# ------------------------------------------------------------------- configuration files

TOML_PROGRAM = """[data]
employees = "employees.csv"

[[program]]
name = "café-buddies"
kind = "buddy"
period = "2026Q4"
"""


@pytest.mark.parametrize("encoding", ["latin-1", "utf-16", "folder"])
@pytest.mark.parametrize("command", ["assign", "simulate", "validate", "analyze", "mapping"])
def test_toml_not_utf8_or_a_folder(tmp_path: Path, encoding: str, command: str) -> None:
    path = tmp_path / "file.toml"
    if encoding == "folder":
        path.mkdir()
    else:
        path.write_bytes(TOML_PROGRAM.encode(encoding))
    out = str(tmp_path / "out")
    args = {
        "assign": ["assign", str(path), "--out", out, "--db", str(tmp_path / "h.db")],
        "simulate": ["simulate", str(path), "--out", out],
        "validate": ["validate", str(path)],
        "analyze": [
            "analyze",
            "--employees",
            str(EMPLOYEES),
            "--interactions",
            str(EMPLOYEES),
            "--config",
            str(path),
            "--out",
            out,
        ],
        "mapping": [
            "ingest",
            str(FIXTURES / "hris" / "people_export.csv"),
            "--mapping",
            str(path),
            "--out",
            str(tmp_path / "employees.csv"),
        ],
    }[command]
    code, stderr = cli(*args)
    assert code == 1, stderr
    assert "file.toml" in stderr
    expected = {"latin-1": "not UTF-8", "utf-16": "UTF-16", "folder": "folder"}[encoding]
    if command != "mapping" or encoding != "folder":
        assert expected in stderr


def test_deeply_nested_toml(tmp_path: Path) -> None:
    path = tmp_path / "deep.toml"
    path.write_text("a = " + "[" * 50_000)
    code, stderr = cli("validate", str(path))
    assert code == 1 and "nested too deeply" in stderr


# ------------------------------------------------------------------------------ history


def test_damaged_history_database_is_a_located_error(tmp_path: Path) -> None:
    from matcher.history import History

    db = tmp_path / "matcher.db"
    with History(db) as store:
        rows = [
            {
                "program": f"p{i % 7}",
                "seeker_id": f"E{i}",
                "provider_id": f"E{i + 1}",
                "period": "2026Q3",
            }
            for i in range(3000)
        ]
        store.import_rows(rows, "import.csv")
    data = bytearray(db.read_bytes())
    middle = len(data) // 2
    data[middle : middle + 4096] = b"\xa5" * 4096
    db.write_bytes(bytes(data))
    for args in (["history", "list"], ["history", "export", "--out", str(tmp_path / "x.csv")]):
        code, stderr = cli(*args, "--db", str(db))
        assert code == 1, stderr
        assert str(db) in stderr and "damaged" in stderr


# ------------------------------------------------------- non-finite numbers, validate = assign

PROGRAM_HEAD = f"""[data]
employees = "{EMPLOYEES}"

[[program]]
name = "buddies"
kind = "buddy"
period = "2026Q4"
"""

BAD_PROGRAMS = {
    "weight nan": ("[program.weights]\ninterests = nan\n", "finite number"),
    "weight inf": ("[program.weights]\nrepeat = -inf\n", "finite number"),
    "overlap nan": ("[program.rules]\nmin_overlap_hours = nan\n", "finite number"),
    "analysis nan": ("[analysis]\nhalf_life_days = nan\n", "finite number"),
    "channel weight inf": ("[analysis.channel_weights]\nchat = inf\n", "finite number"),
    "rule needs a column": ('[program.rules]\nsame_office = "forbidden"\n', "'office'"),
    "capacity column": ('[program.capacity]\ncolumn = "slots"\n', "'slots'"),
    "must pair unknown": ('[program.pairs]\nmust = [["E1", "E999"]]\n', "'E999'"),
    "level rule without levels": ("[program.rules]\nmin_level_gap = 1\n", "'level'"),
}


@pytest.mark.parametrize("case", sorted(BAD_PROGRAMS))
def test_validate_rejects_what_assign_rejects(tmp_path: Path, case: str) -> None:
    extra, message = BAD_PROGRAMS[case]
    program = tmp_path / "program.toml"
    if extra.startswith("[analysis"):
        program.write_text(extra + "\n" + PROGRAM_HEAD)
    else:
        program.write_text(PROGRAM_HEAD + extra)
    code, stderr = cli("validate", str(program))
    assert code == 1 and message in stderr, stderr
    code, assign_stderr = cli(
        "assign", str(program), "--out", str(tmp_path / "o"), "--db", str(tmp_path / "h.db")
    )
    assert code == 1 and message in assign_stderr, assign_stderr
    assert "BAD_COST_RANGE" not in stderr + assign_stderr


def test_validate_passes_a_good_program(tmp_path: Path) -> None:
    program = tmp_path / "program.toml"
    program.write_text(PROGRAM_HEAD)
    code, stderr = cli("validate", str(program))
    assert code == 0, stderr


# --------------------------------------------------- dates that would mislead the analysis

HEADER = "source,target,timestamp,channel\n"


def org_files(tmp_path: Path, rows: str, hire: str = "2020-01-01") -> tuple[Path, Path]:
    employees = tmp_path / "employees.csv"
    employees.write_text(
        "id,team,hire_date\n"
        + "".join(f"E{i},T{i % 2},{hire if i == 3 else '2020-01-01'}\n" for i in range(1, 7))
    )
    interactions = tmp_path / "interactions.csv"
    interactions.write_text(HEADER + rows)
    return employees, interactions


WEEK = "".join(
    f"E{a},E{b},2026-09-{d:02d}T10:00:00+00:00,video\n"
    for d in range(1, 29)
    for a, b in ((1, 2), (2, 1), (3, 4), (4, 3), (5, 6), (6, 5), (1, 3), (3, 1))
)


@pytest.mark.parametrize("year", ["2100", "9999"])
def test_one_future_interaction_does_not_move_the_analysis_date(tmp_path: Path, year: str) -> None:
    employees, interactions = org_files(
        tmp_path, WEEK + f"E1,E2,{year}-01-01T00:00:00+00:00,chat\n"
    )
    out = tmp_path / "out"
    result = CliRunner().invoke(
        main,
        [
            "analyze",
            "--employees",
            str(employees),
            "--interactions",
            str(interactions),
            "--out",
            str(out),
            "--json",
            "--quiet",
        ],
    )
    assert result.exit_code == 0, result.stderr
    summary = json.loads(result.stdout)
    assert summary["as_of"].startswith("2026-09-28")
    assert summary["load"]["dropped_future_dated"] == 1
    assert "warning:" in result.stderr and "dated after tomorrow" in result.stderr
    assert "in the future" in (out / "rejects.csv").read_text()


def test_hire_date_long_after_the_analysis_date_is_an_error(tmp_path: Path) -> None:
    employees, interactions = org_files(tmp_path, WEEK, hire="9999-12-31")
    code, stderr = cli(
        "analyze",
        "--employees",
        str(employees),
        "--interactions",
        str(interactions),
        "--out",
        str(tmp_path / "o"),
    )
    assert code == 1
    assert "row 4, column 'hire_date'" in stderr and "9999-12-31" in stderr


def test_a_future_starter_is_a_new_hire_not_an_error(tmp_path: Path) -> None:
    """HR exports list people who start next month; onboarding pairs them before day one."""
    employees, interactions = org_files(tmp_path, WEEK, hire="2026-10-20")  # as of 2026-09-28
    code, stderr = cli(
        "analyze",
        "--employees",
        str(employees),
        "--interactions",
        str(interactions),
        "--out",
        str(tmp_path / "o"),
    )
    assert code == 0, stderr
    with (tmp_path / "o" / "analysis.csv").open(encoding="utf-8") as handle:
        row = next(r for r in csv.DictReader(handle) if r["id"] == "E3")
    assert "new_hire" in row["flags"]


def test_ingest_never_writes_what_analyze_rejects(tmp_path: Path) -> None:
    root = slack_folder(
        tmp_path,
        [
            {**MESSAGE, "ts": "-99999999999999.0"},
            {**MESSAGE, "ts": "253402300800"},  # 10000-01-01
            {**MESSAGE, "ts": "1788256800.000100"},
        ],
    )
    out = tmp_path / "interactions.csv"
    code, stderr = cli(
        "ingest", str(root), "--employees", str(EMPLOYEES), "--out", str(out), "--end", "9999-12-30"
    )
    assert code == 0, stderr
    from matcher.io.load import load_interactions

    loaded = load_interactions(out, ["E1", "E2"])
    assert loaded.report.interaction_rows == 1
    code, stderr = cli(
        "ingest", str(root), "--employees", str(EMPLOYEES), "--out", str(out), "--end", "9999-12-31"
    )
    assert code == 2 and "--end" in stderr


# =========================================================================== fuzz suite
#
# Every reader, fed mutations of a valid file (bytes flipped, cut, repeated, nasty tokens
# spliced in) and structures of the wrong JSON types, ends in a MatcherError or succeeds.

FUZZ_DIR = Path(tempfile.mkdtemp(prefix="matcher-fuzz-"))
NASTY = [
    b"nan",
    b"inf",
    b"-inf",
    b"1e400",
    b"-1",
    b"0",
    b"\xff\xfe",
    b"\xef\xbb\xbf",
    b"\x00",
    b"\xe9",
    b'"',
    b",",
    b";",
    b"\t",
    b"\n",
    b"\r",
    b"=",
    b"[",
    b"]",
    b"{",
    b"}",
    b"null",
    b"true",
    b'""',
    b"9999-12-31",
    b"0001-01-01T00:00:00+14:00",
    b"-99999999999999",
    b"18446744073709551616",
    b"E1",
    b"RRULE:FREQ=SECONDLY",
    b"PK\x03\x04",
    b"\xff\xff\xff\xff",
]


@st.composite
def mutations(draw: st.DrawFn, seed: bytes) -> bytes:
    """``seed`` with a few edits: flips, cuts, repeats and nasty tokens."""
    data = bytearray(seed)
    for _ in range(draw(st.integers(1, 6))):
        at = draw(st.integers(0, max(len(data) - 1, 0)))
        operation = draw(st.sampled_from(["flip", "insert", "delete", "truncate", "repeat"]))
        if operation == "flip" and data:
            data[at] = draw(st.integers(0, 255))
        elif operation == "insert":
            data[at:at] = draw(st.sampled_from(NASTY) | st.binary(min_size=1, max_size=4))
        elif operation == "delete":
            del data[at : at + draw(st.integers(1, 16))]
        elif operation == "truncate":
            del data[at:]
        else:
            data[at:at] = data[at : at + draw(st.integers(1, 64))]
    return bytes(data)


def harmless(read: Callable[[], object]) -> None:
    """Run ``read``; a MatcherError is the expected failure, anything else escapes the test."""
    with contextlib.suppress(MatcherError):
        read()


def written(name: str, content: bytes) -> Path:
    path = FUZZ_DIR / name
    path.write_bytes(content)
    return path


def _directory() -> Directory:
    return load_directory(EMPLOYEES, None)


def _rows(kind: str, events: Callable[[], Iterator[Event]]) -> None:
    window = Window()
    builder = RowBuilder(kind, _directory(), window=window, broadcast_size=25)
    for _ in builder.rows(events()):
        pass


EMPLOYEES_SEED = EMPLOYEES.read_bytes() + b"E9,Ivy,ivy@example.com,Payments,false\n"
RICH_EMPLOYEES = (
    b"id,manager_id,team,timezone,work_start,work_end,hire_date,level,languages,roles,opt_out\n"
    b"E1,,Payments,Europe/Berlin,9,17,2020-01-01,3,en;de,mentor,false\n"
    b"E2,E1,Payments,America/New_York,8.5,16,2024-02-29,1,en,mentee,no\n"
)
INTERACTIONS_SEED = (
    b"source,target,timestamp,channel,duration_minutes,event_id,weight\n"
    b"E1,E2,2026-09-01T10:00:00+02:00,video,30,ev1,1\n"
    b"E2,E1,2026-09-02,chat,,,0.5\n"
)


@given(data=mutations(RICH_EMPLOYEES) | mutations(EMPLOYEES_SEED))
def test_fuzz_employees_csv(data: bytes) -> None:
    harmless(lambda: load_employees(written("employees.csv", data)))


@given(data=mutations(INTERACTIONS_SEED))
def test_fuzz_interactions_csv(data: bytes) -> None:
    path = written("interactions.csv", data)
    harmless(lambda: load_interactions(path, ["E1", "E2"]))
    harmless(lambda: load_interactions(path, None))


CELLS = st.one_of(
    st.sampled_from([t.decode("utf-8", "replace") for t in NASTY]),
    st.text(max_size=8),
    st.integers(-(2**70), 2**70),
    st.floats(),
    st.booleans(),
    st.none(),
    st.lists(st.text(max_size=3), max_size=3),
    st.dictionaries(st.text(max_size=3), st.integers(), max_size=2),
)
EMPLOYEE_KEYS = st.sampled_from(
    [
        "id",
        "manager_id",
        "team",
        "timezone",
        "work_start",
        "hire_date",
        "level",
        "roles",
        "opt_out",
        "x",
    ]
)
INTERACTION_KEYS = st.sampled_from(
    ["source", "target", "timestamp", "channel", "duration_minutes", "event_id", "weight"]
)


@st.composite
def records(
    draw: st.DrawFn, keys: st.SearchStrategy[str], required: tuple[str, ...]
) -> list[dict[str, object]]:
    rows = []
    for _ in range(draw(st.integers(1, 4))):
        row: dict[str, object] = {
            key: draw(CELLS) for key in required if draw(st.booleans()) or True
        }
        row.update(draw(st.dictionaries(keys, CELLS, max_size=5)))
        rows.append(row)
    return rows


def _json_bytes(value: object) -> bytes:
    return json.dumps(value, default=str).encode()


@given(
    rows=records(EMPLOYEE_KEYS, ("id",)), form=st.sampled_from(["json", "jsonl", "parquet", "xlsx"])
)
@settings(max_examples=60)
def test_fuzz_employee_records(rows: list[dict[str, object]], form: str) -> None:
    harmless(lambda: load_employees(_table_file("employees", rows, form)))


@given(
    rows=records(INTERACTION_KEYS, ("source", "target", "timestamp")),
    form=st.sampled_from(["json", "jsonl", "parquet", "xlsx"]),
)
@settings(max_examples=60)
def test_fuzz_interaction_records(rows: list[dict[str, object]], form: str) -> None:
    path = _table_file("interactions", rows, form)
    harmless(lambda: load_interactions(path, ["E1", "E2"]))


def _table_file(stem: str, rows: list[dict[str, object]], form: str) -> Path:
    if form == "json":
        return written(f"{stem}.json", _json_bytes(rows))
    if form == "jsonl":
        return written(f"{stem}.jsonl", b"\n".join(_json_bytes(r) for r in rows))
    path = FUZZ_DIR / f"{stem}.{form}"
    keys = sorted({k for r in rows for k in r})
    if form == "parquet":
        import pyarrow as pa
        import pyarrow.parquet as pq

        columns = {
            k: pa.array([None if r.get(k) is None else str(r.get(k)) for r in rows]) for k in keys
        }
        pq.write_table(pa.table(columns), path)
        return path
    import openpyxl

    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(keys)
    for r in rows:
        sheet.append([_xlsx_cell(r.get(k)) for k in keys])
    book.save(path)
    return path


def _xlsx_cell(value: object) -> object:
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    if isinstance(value, int) and abs(value) > 2**53:
        return str(value)
    if isinstance(value, list | dict):
        return json.dumps(value)
    if isinstance(value, str):
        return "".join(c for c in value if c.isprintable())
    return value


XLSX_SEED_PATH = FUZZ_DIR / "seed.xlsx"
PARQUET_SEED_PATH = FUZZ_DIR / "seed.parquet"


def _binary_seeds() -> tuple[bytes, bytes]:
    _table_file("seed", [{"id": "E1", "team": "T", "hire_date": "2020-01-01"}], "xlsx").rename(
        XLSX_SEED_PATH
    )
    _table_file("seed", [{"id": "E1", "team": "T", "hire_date": "2020-01-01"}], "parquet").rename(
        PARQUET_SEED_PATH
    )
    return XLSX_SEED_PATH.read_bytes(), PARQUET_SEED_PATH.read_bytes()


XLSX_SEED, PARQUET_SEED = _binary_seeds()


@given(
    data=mutations(XLSX_SEED) | mutations(PARQUET_SEED), form=st.sampled_from(["xlsx", "parquet"])
)
@settings(max_examples=50)
def test_fuzz_binary_tables(data: bytes, form: str) -> None:
    harmless(lambda: load_employees(written(f"employees.{form}", data)))


# ------------------------------------------------------------------------- ingest readers

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
def test_fuzz_slack_json(messages: object, users: object, conversations: object) -> None:
    root = FUZZ_DIR / "slack"
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
    harmless(lambda: _rows("slack", reader.events))


def _slack_zip_seed() -> bytes:
    path = FUZZ_DIR / "seed-slack.zip"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zipped:
        for file in sorted((FIXTURES / "slack").rglob("*.json"))[:8]:
            zipped.write(file, str(file.relative_to(FIXTURES / "slack")))
    return path.read_bytes()


SLACK_ZIP_SEED = _slack_zip_seed()


@given(data=mutations(SLACK_ZIP_SEED))
def test_fuzz_slack_zip(data: bytes) -> None:
    path = written("slack.zip", data)
    reader = SlackReader(path, window=Window(), reactions=True)
    harmless(lambda: _rows("slack", reader.events))
    harmless(lambda: detect_kind(path))


ICS_SEED = (FIXTURES / "calendar.ics").read_bytes()


@given(data=mutations(ICS_SEED) | mutations(FLOOD.encode()))
@settings(max_examples=60)
def test_fuzz_ics(data: bytes) -> None:
    path = written("calendar.ics", data)
    reader = IcsReader(path, window=Window.of(None, None), max_occurrences=200)
    harmless(lambda: _rows("ics", reader.events))


@given(data=mutations(ICS_SEED[:3000]))
@settings(max_examples=20)
def test_fuzz_ics_zip(data: bytes) -> None:
    path = FUZZ_DIR / "calendar.zip"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zipped:
        zipped.writestr("a/a.ics", data)
    mutated = written(
        "calendar.zip", path.read_bytes()[: len(path.read_bytes()) - data[:1].count(b"B")]
    )
    reader = IcsReader(mutated, window=Window.of(None, None), max_occurrences=200)
    harmless(lambda: _rows("ics", reader.events))


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
def test_fuzz_graph_bytes(data: bytes, suffix: str) -> None:
    path = written(f"graph{suffix}", data)
    harmless(lambda: _rows("graph", GraphReader(path).events))


@given(records=st.lists(st.dictionaries(GRAPH_KEYS, GRAPH_VALUES, max_size=6), max_size=4))
def test_fuzz_graph_json(records: list[dict[str, object]]) -> None:
    path = written("graph.json", _json_bytes({"value": records}))
    harmless(lambda: _rows("graph", GraphReader(path).events))


HRIS_SEED = (FIXTURES / "hris" / "people_export.csv").read_bytes()
MAPPING_SEED = (FIXTURES / "hris" / "people.toml").read_bytes()
HRIS_XLSX_SEED = (FIXTURES / "hris" / "workday_workers.xlsx").read_bytes()


@given(data=mutations(HRIS_SEED), mapping=st.none() | mutations(MAPPING_SEED))
def test_fuzz_hris(data: bytes, mapping: bytes | None) -> None:
    source = written("people_export.csv", data)
    mapping_path = written("people.toml", MAPPING_SEED if mapping is None else mapping)

    def read() -> None:
        found, _ = load_mapping(mapping_path)
        read_hris(source, found)

    harmless(read)


@given(data=mutations(HRIS_XLSX_SEED))
@settings(max_examples=30)
def test_fuzz_hris_xlsx(data: bytes) -> None:
    source = written("workers.xlsx", data)
    harmless(lambda: read_hris(source, load_mapping("workday")[0]))


# ------------------------------------------------------------------ TOML and the database

PROGRAM_SEED = (
    PROGRAM_HEAD
    + """seekers = { hired_within_days = 90, flags = ["isolated"] }
providers = { roles = ["buddy"], min_tenure_days = 365 }
capacity = { default = 2, min = 0 }

[program.rules]
same_team = "forbidden"
min_overlap_hours = 2

[program.weights]
interests = 2.0
repeat = -4.0

[program.pairs]
never = [["E1", "E2"]]

[analysis]
half_life_days = 30.0
"""
).encode()
SCENARIO_SEED = (SCENARIOS / "buddy.toml").read_bytes()
TOML_VALUES = st.sampled_from(
    [
        "nan",
        "inf",
        "-inf",
        "1e400",
        "-1",
        "0",
        '"x"',
        "[]",
        "{}",
        "true",
        "1979-05-27",
        '"2026Q4"',
        "[[1]]",
        "9" * 30,
    ]
)


@st.composite
def toml_edits(draw: st.DrawFn, seed: bytes) -> bytes:
    """``seed`` with the value of some ``key = value`` lines replaced, or byte mutations."""
    if draw(st.booleans()):
        return draw(mutations(seed))
    lines = seed.decode().splitlines()
    for _ in range(draw(st.integers(1, 4))):
        k = draw(st.integers(0, len(lines) - 1))
        key, sep, _ = lines[k].partition(" = ")
        if sep:
            lines[k] = f"{key} = {draw(TOML_VALUES)}"
    return "\n".join(lines).encode()


@given(data=toml_edits(PROGRAM_SEED))
@settings(max_examples=60)
def test_fuzz_program_file(data: bytes) -> None:
    path = written("program.toml", data)
    harmless(lambda: load_program_file(path))
    harmless(lambda: load_analysis_config(path))


@given(data=toml_edits(PROGRAM_SEED))
@settings(max_examples=15)
def test_fuzz_validate_program_file(data: bytes) -> None:
    harmless(lambda: check_program_file(written("program.toml", data)))


@given(data=toml_edits(SCENARIO_SEED))
@settings(max_examples=60)
def test_fuzz_scenario_file(data: bytes) -> None:
    harmless(lambda: load_scenario(written("scenario.toml", data)))


HISTORY_SEED = (
    b"program,seeker_id,provider_id,period,kind\nm,E1,E2,2026Q3,mentor\nb,E3,E4,2026-07,\n"
)


@given(data=mutations(HISTORY_SEED))
@settings(max_examples=50)
def test_fuzz_history_import(data: bytes) -> None:
    path = written("history.csv", data)
    db = FUZZ_DIR / "history.db"
    db.unlink(missing_ok=True)

    def read() -> None:
        table, _ = read_table(path, ("program", "seeker_id", "provider_id", "period"))
        with History(db) as store:
            store.import_rows(table.to_pylist(), str(path))
            store.runs()

    harmless(read)


@given(data=st.data())
@settings(max_examples=30)
def test_fuzz_history_database(data: st.DataObject) -> None:
    db = FUZZ_DIR / "seed.db"
    if not db.exists():
        with History(db) as store:
            rows = [
                {
                    "program": "p",
                    "seeker_id": f"E{i}",
                    "provider_id": f"E{i + 1}",
                    "period": "2026Q3",
                }
                for i in range(300)
            ]
            store.import_rows(rows, "seed")
    damaged = written("damaged.db", data.draw(mutations(db.read_bytes())))

    def read() -> None:
        with History(damaged) as store:
            for run in store.runs():
                store.run_pairs(run.run_id)
            store.committed_pairs()

    harmless(read)


def test_json_lines_employees_with_dates(tmp_path: Path) -> None:
    """pyarrow reads ISO dates in JSON Lines as timestamps; they are dates again."""
    path = tmp_path / "employees.jsonl"
    path.write_text(
        '{"id": "E1", "hire_date": "2020-01-01"}\n{"id": "E2", "hire_date": "2021-03-04"}\n'
    )
    assert [str(e.hire_date) for e in load_employees(path)] == ["2020-01-01", "2021-03-04"]


def test_json_lines_objects_in_a_column(tmp_path: Path) -> None:
    path = tmp_path / "employees.jsonl"
    path.write_text('{"id": {}}\n')
    with pytest.raises(MatcherError, match="column 'id'"):
        load_employees(path)
