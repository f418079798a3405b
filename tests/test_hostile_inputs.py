"""Hostile and broken input ends in a :class:`MatcherError` (exit 1, a located message), never
a traceback, a hang or unbounded memory.

Two parts: regression tests for what an audit found, each on a small file built here; then a
standing fuzz suite (Hypothesis and hand-made mutations) over every reader, asserting only
that nothing but a ``MatcherError`` escapes.
"""

from __future__ import annotations

import json
import struct
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path

import pytest
from click.testing import CliRunner

from matcher.cli import main
from matcher.ingest.zipstream import ZipError, ZipReader

FIXTURES = Path(__file__).resolve().parent / "fixtures"
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
    assert len(events) == 500
    assert max(e.timestamp for e in events) >= (day + dt.timedelta(hours=23)).timestamp()
    (reason,) = reader.tally.skipped
    assert "flood@example.com" in reason and "latest 500 occurrences" in reason


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


def test_hire_date_after_the_analysis_date_is_an_error(tmp_path: Path) -> None:
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
