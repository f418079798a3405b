"""matcher ingest: fixture exports give exactly the expected rows; the CLI contract holds."""

from __future__ import annotations

import csv
import json
import shutil
import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner

from matcher.cli.ingest import ingest
from matcher.ingest.rows import INTERACTION_HEADER, event_id
from matcher.io.load import load_employees, load_interactions, load_org
from tests.paths import FIXTURES

EMPLOYEES = FIXTURES / "employees.csv"
ALIASES = FIXTURES / "aliases.csv"
SEPTEMBER = ("--start", "2026-09-01", "--end", "2026-09-30")


def run(*args: str, env: dict[str, str] | None = None) -> tuple[int, str, str]:
    result = CliRunner().invoke(ingest, list(args), env=env, catch_exceptions=True)
    if result.exception and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result.exit_code, result.stdout, result.stderr


def rows(path: Path) -> list[tuple[str, ...]]:
    with path.open(encoding="utf-8", newline="") as handle:
        reader = csv.reader(handle)
        assert tuple(next(reader)) == INTERACTION_HEADER
        return [tuple(r) for r in reader]


def dict_rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def ingest_fixture(tmp_path: Path, source: Path, *extra: str) -> tuple[Path, dict[str, object]]:
    out = tmp_path / "interactions.csv"
    code, stdout, stderr = run(
        str(source),
        "--employees",
        str(EMPLOYEES),
        "--aliases",
        str(ALIASES),
        "--out",
        str(out),
        *SEPTEMBER,
        "--json",
        *extra,
    )
    assert code == 0, stderr
    return out, json.loads(stdout)


def slack(key: str) -> str:
    return event_id("slack", key)


# ------------------------------------------------------------------------------- Slack

SLACK_ROWS = [  # day files in the export's order: sorted folders, then dates
    # a DM both ways (the first message was edited: it counts once, at its first time)
    (
        "E1",
        "E2",
        "2026-09-01T10:00:00+00:00",
        "chat",
        "",
        slack("D01ADABOB/1788256800.000100"),
        "1",
    ),
    (
        "E2",
        "E1",
        "2026-09-01T10:01:40+00:00",
        "chat",
        "",
        slack("D01ADABOB/1788256900.000200"),
        "1",
    ),
    # Finn's legacy address (domain alias) and Gus's hidden e-mail (alias by Slack id)
    (
        "E6",
        "E7",
        "2026-09-03T12:00:00+00:00",
        "chat",
        "",
        slack("D05FINNGUS/1788436800.000100"),
        "1",
    ),
    (
        "E7",
        "E6",
        "2026-09-03T12:01:00+00:00",
        "chat",
        "",
        slack("D05FINNGUS/1788436860.000200"),
        "1",
    ),
    # general: Bob replies in Ada's thread; Ada's reply to herself, the deleted user's reply,
    # the join and the bot post are left out; Ada's post itself is a channel post
    (
        "E2",
        "E1",
        "2026-09-01T09:01:40+00:00",
        "chat",
        "",
        slack("C01GENERAL/1788253300.000200"),
        "1",
    ),
    # a group DM: one event, a row to each other member
    ("E1", "E2", "2026-09-04T12:00:00+00:00", "chat", "", slack("G01ABD/1788523200.000100"), "1"),
    ("E1", "E4", "2026-09-04T12:00:00+00:00", "chat", "", slack("G01ABD/1788523200.000100"), "1"),
    ("E4", "E1", "2026-09-04T12:01:00+00:00", "chat", "", slack("G01ABD/1788523260.000200"), "1"),
    ("E4", "E2", "2026-09-04T12:01:00+00:00", "chat", "", slack("G01ABD/1788523260.000200"), "1"),
    # proj-x: a thread_broadcast reply, and a reply without parent_user_id (parent in the export)
    ("E4", "E3", "2026-09-02T10:08:20+00:00", "chat", "", slack("C02PROJ/1788343700.000500"), "1"),
    ("E1", "E3", "2026-09-02T10:10:00+00:00", "chat", "", slack("C02PROJ/1788343800.000600"), "1"),
]


def test_slack_export_gives_the_expected_rows(tmp_path: Path) -> None:
    out, summary = ingest_fixture(tmp_path, FIXTURES / "slack")
    assert rows(out) == SLACK_ROWS
    (source,) = summary["sources"]  # type: ignore[attr-defined]
    assert source["kind"] == "slack"
    assert source["skipped"] == {
        "bot messages": 1,
        "channel posts (counted with --channel-posts)": 2,
        "day files outside the window (not opened)": 1,
        "rows naming a bot": 3,  # a DM to a bot, the bot's DM, a reply to a deleted parent
        "rows naming a deleted user": 1,
        "rows naming an opted-out person": 1,
        "rows naming an unresolved person": 2,
        "system messages (joins, topic changes, deleted messages …)": 3,
        "thread replies to one's own message": 1,
        "thread replies whose parent is not in the export": 1,
    }
    assert dict_rows(tmp_path / "interactions-rejects.csv") == [
        {
            "file": str(FIXTURES / "slack"),
            "kind": "slack",
            "account": "U08EXT",
            "email": "pat@partner.example",
            "reason": "e-mail address not in the employees file",
            "rows": "2",
        }
    ]


def test_slack_channel_posts_and_reactions_when_asked(tmp_path: Path) -> None:
    out, _ = ingest_fixture(tmp_path, FIXTURES / "slack", "--channel-posts", "--reactions")
    got = rows(out)
    general = slack("C01GENERAL/1788253200.000100")
    # Ada's post to #general's members (Eve opted out, Pat unresolved: their rows are dropped)
    assert [(r[0], r[1]) for r in got if r[5] == general] == [
        ("E1", "E2"),
        ("E1", "E3"),
        ("E1", "E4"),
        ("E1", "E6"),
        ("E1", "E7"),
    ]
    # Cleo's post: to #proj-x, and two reactions (Ada's two emoji count once; Cleo's own is left out)
    post = "C02PROJ/1788343200.000200"
    assert [(r[0], r[1], r[6]) for r in got if r[5] == slack(post)] == [
        ("E3", "E1", "1"),
        ("E3", "E2", "1"),
        ("E3", "E4", "1"),
    ]
    reactions = [
        (r[0], r[1], r[3], r[6])
        for r in got
        if r[5] in (slack(f"{post}/reaction/U01ADA"), slack(f"{post}/reaction/U02BOB"))
    ]
    assert reactions == [("E1", "E3", "chat", "0.5"), ("E2", "E3", "chat", "0.5")]
    assert set(SLACK_ROWS) <= set(got)


def test_slack_zip_with_a_top_folder_gives_the_same_rows(tmp_path: Path) -> None:
    archive = tmp_path / "Example Slack export Sep 1 2026 - Sep 30 2026.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as zipped:
        for path in sorted((FIXTURES / "slack").rglob("*")):
            if path.is_file():
                zipped.write(path, f"export/{path.relative_to(FIXTURES / 'slack')}")
    out, summary = ingest_fixture(tmp_path, archive)
    assert rows(out) == SLACK_ROWS
    assert summary["sources"][0]["kind"] == "slack"  # type: ignore[index]


def test_slack_broadcast_size_applies_to_group_messages(tmp_path: Path) -> None:
    out, summary = ingest_fixture(tmp_path, FIXTURES / "slack", "--broadcast-size", "2")
    # the group DM (3 people) is now a broadcast; DMs and replies (2 people) are not
    group = {slack("G01ABD/1788523200.000100"), slack("G01ABD/1788523260.000200")}
    assert rows(out) == [r for r in SLACK_ROWS if r[5] not in group]
    skipped = summary["sources"][0]["skipped"]  # type: ignore[index]
    assert skipped["broadcasts (events of more than 2 people)"] == 2


# ---------------------------------------------------------------------------- calendar


def ics(key: str) -> str:
    return event_id("ics", key)


SYNC = "7kq3sync0001@google.com"
ICS_ROWS = [
    # the weekly sync (Berlin time, UTC+2 in September): 16 Sep is an EXDATE, Cleo declined the
    # series and the room is dropped; on 23 Sep the override moves it to 14:00 for an hour on
    # Google Meet, with Cleo
    (
        "E1",
        "E2",
        "2026-09-02T08:00:00+00:00",
        "meeting",
        "30",
        ics(f"{SYNC}/2026-09-02T08:00:00+00:00"),
        "1",
    ),
    (
        "E1",
        "E2",
        "2026-09-09T08:00:00+00:00",
        "meeting",
        "30",
        ics(f"{SYNC}/2026-09-09T08:00:00+00:00"),
        "1",
    ),
    (
        "E1",
        "E2",
        "2026-09-23T12:00:00+00:00",
        "video",
        "60",
        ics(f"{SYNC}/2026-09-23T08:00:00+00:00"),
        "1",
    ),
    (
        "E1",
        "E3",
        "2026-09-23T12:00:00+00:00",
        "video",
        "60",
        ics(f"{SYNC}/2026-09-23T08:00:00+00:00"),
        "1",
    ),
    (
        "E1",
        "E2",
        "2026-09-30T08:00:00+00:00",
        "meeting",
        "30",
        ics(f"{SYNC}/2026-09-30T08:00:00+00:00"),
        "1",
    ),
    # the vendor's Teams demo: the organizer is external, so Cleo (the first attendee) is the
    # centre; Eve opted out; Gus was tentative
    (
        "E3",
        "E4",
        "2026-09-15T13:00:00+00:00",
        "video",
        "45",
        ics("040000008200E00074C5B7101A82E00800000000vendor@outlook.com"),
        "1",
    ),
]


def test_calendar_gives_the_expected_rows(tmp_path: Path) -> None:
    out, summary = ingest_fixture(tmp_path, FIXTURES / "calendar.ics")
    assert sorted(rows(out)) == sorted(ICS_ROWS)
    skipped = summary["sources"][0]["skipped"]  # type: ignore[index]
    assert skipped == {
        "all-day events": 1,
        "attendees who did not accept (tentative or no answer)": 1,
        "broadcasts (events of more than 25 people)": 1,  # the all-hands
        "cancelled events": 1,
        "declined attendees": 3,  # Cleo, on each of the series' three plain occurrences
        "events without attendees": 1,
        "rooms and resources": 3,
        "rows naming an opted-out person": 1,
        "rows naming an unresolved person": 1,
    }
    assert [(r["email"], r["rows"]) for r in dict_rows(tmp_path / "interactions-rejects.csv")] == [
        ("sam@partner.example", "1")
    ]


def test_calendar_window_expands_the_series_only_inside_it(tmp_path: Path) -> None:
    out = tmp_path / "interactions.csv"
    code, _, stderr = run(
        str(FIXTURES / "calendar.ics"),
        "--employees",
        str(EMPLOYEES),
        "--out",
        str(out),
        "--start",
        "2026-09-09",
        "--end",
        "2026-09-23T12:00:00Z",
    )
    assert code == 0, stderr
    assert sorted(r[2] for r in rows(out)) == [
        "2026-09-09T08:00:00+00:00",
        "2026-09-15T13:00:00+00:00",
    ]


def test_a_meeting_without_an_end_has_an_unknown_length(tmp_path: Path) -> None:
    calendar = tmp_path / "invite.ics"
    calendar.write_text(
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\nBEGIN:VEVENT\r\n"
        "UID:no-end@example.com\r\nDTSTAMP:20260901T000000Z\r\nDTSTART:20260905T100000Z\r\n"
        "ORGANIZER:mailto:ada@example.com\r\nATTENDEE;PARTSTAT=ACCEPTED:mailto:bob@example.com\r\n"
        "END:VEVENT\r\nEND:VCALENDAR\r\n",
        encoding="utf-8",
    )
    out, _ = ingest_fixture(tmp_path, calendar)
    assert rows(out) == [
        ("E1", "E2", "2026-09-05T10:00:00+00:00", "meeting", "", ics("no-end@example.com"), "1")
    ]


def test_calendar_folder_and_zip_are_read(tmp_path: Path) -> None:
    folder = tmp_path / "calendars"
    folder.mkdir()
    shutil.copy(FIXTURES / "calendar.ics", folder / "ada@example.com.ics")
    out, _ = ingest_fixture(tmp_path, folder)
    assert sorted(rows(out)) == sorted(ICS_ROWS)
    archive = tmp_path / "calendar-export.zip"
    with zipfile.ZipFile(archive, "w") as zipped:
        zipped.write(FIXTURES / "calendar.ics", "ada@example.com.ical/ada@example.com.ics")
    out.unlink()
    out, summary = ingest_fixture(tmp_path, archive)
    assert summary["sources"][0]["kind"] == "ics"  # type: ignore[index]
    assert sorted(rows(out)) == sorted(ICS_ROWS)


# ------------------------------------------------------------------------------- Graph


def graph(key: str) -> str:
    return event_id("graph", key)


GRAPH_ROWS = [
    # an online meeting: Cleo was tentative, the room is a resource
    (
        "E1",
        "E2",
        "2026-09-08T09:00:00+00:00",
        "video",
        "45",
        graph("040000008200E00074C5B7101A82E00800000000A1"),
        "1",
    ),
    # an exception of a series, in Berlin time; Dan declined
    (
        "E2",
        "E1",
        "2026-09-09T14:00:00+00:00",
        "meeting",
        "30",
        graph("040000008200E00074C5B7101A82E00800000000B2"),
        "1",
    ),
    # to, cc and bcc; the draft and the 26-recipient announcement are left out
    ("E1", "E2", "2026-09-14T08:00:00+00:00", "email", "", graph("<msg1@mail.example.com>"), "1"),
    ("E1", "E3", "2026-09-14T08:00:00+00:00", "email", "", graph("<msg1@mail.example.com>"), "1"),
    ("E1", "E4", "2026-09-14T08:00:00+00:00", "email", "", graph("<msg1@mail.example.com>"), "1"),
    # Finn's legacy address, through the domain alias
    ("E1", "E6", "2026-09-15T09:00:00+00:00", "email", "", graph("<msg5@mail.example.com>"), "1"),
]


def test_graph_dump_gives_the_expected_rows(tmp_path: Path) -> None:
    out, summary = ingest_fixture(tmp_path, FIXTURES / "graph")
    assert rows(out) == GRAPH_ROWS
    skipped = summary["sources"][0]["skipped"]  # type: ignore[index]
    assert skipped["broadcasts (events of more than 25 people)"] == 2  # town hall and announcement
    assert skipped["series masters (calendarView lists their occurrences)"] == 1
    assert skipped["drafts"] == 1 and skipped["cancelled events"] == 1
    # a distribution list is not expanded: it is listed as unresolved
    assert [r["email"] for r in dict_rows(tmp_path / "interactions-rejects.csv")] == [
        "payments-team@example.com"
    ]


# ------------------------------------------------------------------ combined, appended


def test_sources_combine_and_load_with_the_contract_loader(tmp_path: Path) -> None:
    out = tmp_path / "interactions.csv"
    for source in ("slack", "calendar.ics", "graph"):
        code, _, stderr = run(
            str(FIXTURES / source),
            "--employees",
            str(EMPLOYEES),
            "--aliases",
            str(ALIASES),
            "--out",
            str(out),
            "--append",
            *SEPTEMBER,
        )
        assert code == 0, stderr
    assert sorted(rows(out)) == sorted(SLACK_ROWS + ICS_ROWS + GRAPH_ROWS)
    # every source keeps its own rejects in the shared file
    assert sorted(r["kind"] for r in dict_rows(tmp_path / "interactions-rejects.csv")) == [
        "graph",
        "ics",
        "slack",
    ]
    org, rejects = load_org(EMPLOYEES, out)
    assert rejects.num_rows == 0
    assert org.report.kept == len(SLACK_ROWS + ICS_ROWS + GRAPH_ROWS)
    loaded = load_interactions(out, [e.id for e in load_employees(EMPLOYEES)])
    assert len(loaded.table) == len(SLACK_ROWS + ICS_ROWS + GRAPH_ROWS)


def test_append_twice_adds_nothing_and_keeps_foreign_rows(tmp_path: Path) -> None:
    out = tmp_path / "interactions.csv"
    out.write_text(
        "source;target;timestamp;channel\nE3;E4;2026-09-20T10:00:00Z;in_person\n", encoding="utf-8"
    )
    for _ in range(2):
        _, summary = ingest_fixture(tmp_path, FIXTURES / "graph", "--append")
    assert summary["rows_added"] == 0 and summary["duplicates"] == len(GRAPH_ROWS)
    assert summary["rows_kept"] == 1 + len(GRAPH_ROWS)
    assert rows(out) == [("E3", "E4", "2026-09-20T10:00:00Z", "in_person", "", "", ""), *GRAPH_ROWS]


def test_without_append_the_output_is_replaced(tmp_path: Path) -> None:
    out, _ = ingest_fixture(tmp_path, FIXTURES / "graph")
    out, summary = ingest_fixture(tmp_path, FIXTURES / "graph")
    assert rows(out) == GRAPH_ROWS and summary["duplicates"] == 0


def test_append_refuses_a_file_with_other_columns(tmp_path: Path) -> None:
    out = tmp_path / "interactions.csv"
    out.write_text("source,target,timestamp,note\nE1,E2,2026-09-01,x\n", encoding="utf-8")
    code, _, stderr = run(
        str(FIXTURES / "graph"), "--employees", str(EMPLOYEES), "--out", str(out), "--append"
    )
    assert code == 1
    assert f"{out}, row 1, column 'note': cannot append" in stderr
    assert out.read_text(encoding="utf-8").startswith("source,target,timestamp,note")


# -------------------------------------------------------------------------- privacy


def test_pseudonymize_matches_analyze_and_hides_rejects(tmp_path: Path) -> None:
    from matcher.privacy import Pseudonymizer

    key = "an ingest key of enough bytes"
    out = tmp_path / "interactions.csv"
    code, _, stderr = run(
        str(FIXTURES / "graph"),
        "--employees",
        str(EMPLOYEES),
        "--aliases",
        str(ALIASES),
        "--out",
        str(out),
        *SEPTEMBER,
        "--pseudonymize",
        env={"MATCHER_PSEUDONYM_KEY": key},
    )
    assert code == 0, stderr
    names = Pseudonymizer(key.encode())
    expected = [(names.pseudonym(r[0]), names.pseudonym(r[1]), *r[2:]) for r in GRAPH_ROWS]
    assert rows(out) == expected
    (reject,) = dict_rows(tmp_path / "interactions-rejects.csv")
    assert reject["email"] == names.pseudonym("payments-team@example.com")


def test_no_content_is_written(tmp_path: Path) -> None:
    for source in ("slack", "calendar.ics", "graph"):
        out, _ = ingest_fixture(tmp_path / source, FIXTURES / source, "--channel-posts")
        written = out.read_text(encoding="utf-8") + (
            out.parent / "interactions-rejects.csv"
        ).read_text(encoding="utf-8")
        for secret in (
            "release notes",
            "Design doc",
            "private",
            "Agenda",
            "Payments sync",
            "coffee",
            "Room",
        ):
            assert secret not in written


def test_pseudonymize_needs_a_key(tmp_path: Path) -> None:
    code, _, stderr = run(
        str(FIXTURES / "graph"),
        "--employees",
        str(EMPLOYEES),
        "--out",
        str(tmp_path / "i.csv"),
        "--pseudonymize",
        env={"MATCHER_PSEUDONYM_KEY": ""},
    )
    assert code == 1 and "--pseudonymize needs a key" in stderr


# --------------------------------------------------------------------------- errors


def test_bad_inputs_exit_1_with_a_located_message_and_write_nothing(tmp_path: Path) -> None:
    broken = tmp_path / "graph"
    broken.mkdir()
    (broken / "page.json").write_text(
        json.dumps(
            {
                "value": [
                    {
                        "sentDateTime": "yesterday",
                        "from": {"emailAddress": {"address": "ada@example.com"}},
                        "toRecipients": [{"emailAddress": {"address": "bob@example.com"}}],
                    }
                ]
            }
        ),
        encoding="utf-8",
    )
    out = tmp_path / "interactions.csv"
    code, _, stderr = run(str(broken), "--employees", str(EMPLOYEES), "--out", str(out))
    assert code == 1
    assert f"{broken / 'page.json'}, row 1, column 'sentDateTime': expected an ISO 8601" in stderr
    assert "Traceback" not in stderr
    assert not out.exists() and not (tmp_path / "interactions-rejects.csv").exists()
    assert [p.name for p in tmp_path.iterdir()] == ["graph"]  # no staging folder left behind


def test_a_broken_slack_day_file_is_located(tmp_path: Path) -> None:
    export = tmp_path / "slack"
    shutil.copytree(FIXTURES / "slack", export)
    (export / "proj-x" / "2026-09-03.json").write_text("[{", encoding="utf-8")
    code, _, stderr = run(
        str(export), "--employees", str(EMPLOYEES), "--out", str(tmp_path / "i.csv")
    )
    assert code == 1
    assert f"{export / 'proj-x' / '2026-09-03.json'}: invalid JSON" in stderr
    (export / "users.json").unlink()
    code, _, stderr = run(
        str(export),
        "--kind",
        "slack",
        "--employees",
        str(EMPLOYEES),
        "--out",
        str(tmp_path / "i.csv"),
    )
    assert code == 1 and "not a Slack export: users.json is missing" in stderr


def test_bad_aliases_are_located(tmp_path: Path) -> None:
    aliases = tmp_path / "aliases.csv"
    aliases.write_text("alias,email,id\nold@example.com,,E99\nx@example.com,y@example.com,E1\n")
    code, _, stderr = run(
        str(FIXTURES / "graph"),
        "--employees",
        str(EMPLOYEES),
        "--aliases",
        str(aliases),
        "--out",
        str(tmp_path / "i.csv"),
    )
    assert code == 1
    assert f"{aliases}, row 2, column 'id': 'E99' is not an employee id" in stderr
    assert f"{aliases}, row 3: give either an e-mail address or an employee id" in stderr


def test_employees_need_unique_email_addresses(tmp_path: Path) -> None:
    employees = tmp_path / "employees.csv"
    employees.write_text("id,email\nE1,a@example.com\nE2,A@example.com\n")
    code, _, stderr = run(
        str(FIXTURES / "graph"), "--employees", str(employees), "--out", str(tmp_path / "i.csv")
    )
    assert code == 1
    assert "e-mail address 'a@example.com' belongs to both E1 and E2" in stderr


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--out", "i.csv"), "--employees is required"),
        (("--employees", "e.csv", "--out", "i.parquet"), "--out must be a .csv file"),
        (
            (
                "--employees",
                "e.csv",
                "--out",
                "i.csv",
                "--start",
                "2026-10-01",
                "--end",
                "2026-09-01",
            ),
            "--start must come before --end",
        ),
        (
            ("--employees", "e.csv", "--out", "i.csv", "--start", "soon"),
            "expected a date such as 2026-10-01",
        ),
        (
            ("--employees", "e.csv", "--out", "i.csv", "--mapping", "workday"),
            "--mapping is only used with an HRIS report",
        ),
    ],
)
def test_usage_errors_exit_2(args: tuple[str, ...], message: str) -> None:
    code, _, stderr = run(str(FIXTURES / "graph"), *args)
    assert code == 2 and message in stderr


def test_an_unknown_kind_of_source_asks_for_kind(tmp_path: Path) -> None:
    odd = tmp_path / "export.bin"
    odd.write_bytes(b"\x00")
    code, _, stderr = run(str(odd), "--employees", str(EMPLOYEES), "--out", str(tmp_path / "i.csv"))
    assert code == 1 and "pass --kind slack, ics, graph or hris" in stderr


def test_a_folder_of_mixed_exports_asks_for_kind(tmp_path: Path) -> None:
    mixed = tmp_path / "exports"
    shutil.copytree(FIXTURES / "graph", mixed)
    shutil.copy(FIXTURES / "calendar.ics", mixed)
    out = tmp_path / "i.csv"
    code, _, stderr = run(str(mixed), "--employees", str(EMPLOYEES), "--out", str(out))
    assert code == 1 and "holds both calendar (.ics) and JSON files" in stderr
    out, _ = ingest_fixture(tmp_path, mixed, "--kind", "graph")
    assert rows(out) == GRAPH_ROWS


def test_employees_without_email_addresses(tmp_path: Path) -> None:
    employees = tmp_path / "employees.csv"
    employees.write_text("id,team\nE1,A\n")
    code, _, stderr = run(
        str(FIXTURES / "graph"), "--employees", str(employees), "--out", str(tmp_path / "i.csv")
    )
    assert code == 1 and "no employee has an e-mail address" in stderr


def test_the_command_runs_inside_the_matcher_cli(tmp_path: Path) -> None:
    from matcher.cli import main

    assert "ingest" in main.commands
    out = tmp_path / "interactions.csv"
    result = CliRunner().invoke(
        main,
        [
            "ingest",
            str(FIXTURES / "graph"),
            "--employees",
            str(EMPLOYEES),
            "--out",
            str(out),
            *SEPTEMBER,
            "--quiet",
        ],
    )
    assert result.exit_code == 0, result.output
    assert result.stderr == ""
    bad = CliRunner().invoke(
        main,
        ["ingest", str(tmp_path / "missing.zip"), "--employees", str(EMPLOYEES), "--out", str(out)],
    )
    assert bad.exit_code == 1 and "file or folder not found" in bad.stderr


# ---------------------------------------------------------------------------- HRIS


def test_workday_xlsx_with_merged_headers_makes_employees(tmp_path: Path) -> None:
    out = tmp_path / "employees.csv"
    code, stdout, stderr = run(
        str(FIXTURES / "hris" / "workday_workers.xlsx"),
        "--mapping",
        "workday",
        "--out",
        str(out),
        "--json",
    )
    assert code == 0, stderr
    summary = json.loads(stdout)
    assert summary["employees"] == 500 and summary["header_row"] == 3
    written = dict_rows(out)
    assert list(written[0]) == [
        "id",
        "email",
        "manager_id",
        "team",
        "location",
        "timezone",
        "hire_date",
        "level",
    ]
    assert written[:4] == [
        {
            "id": "21001",
            "email": "jun.berg.21001@example.com",
            "manager_id": "",
            "team": "Executive Office",
            "location": "San Francisco",
            "timezone": "America/Los_Angeles",
            "hire_date": "2023-07-20",
            "level": "7",
        },
        {
            "id": "21002",
            "email": "ada.alvarez.21002@example.com",
            "manager_id": "21001",
            "team": "Payments",
            "location": "London",
            "timezone": "Europe/London",
            "hire_date": "2022-06-07",
            "level": "5",
        },
        {
            "id": "21003",
            "email": "hana.fischer.21003@example.com",
            "manager_id": "21001",
            "team": "Platform",
            "location": "New York",
            "timezone": "America/New_York",
            "hire_date": "2023-08-21",
            "level": "4",
        },
        {
            "id": "21004",
            "email": "Emeka.Haddad.21004@Example.Com",
            "manager_id": "21001",
            "team": "Risk",
            "location": "London",
            "timezone": "Europe/London",
            "hire_date": "2023-03-09",
            "level": "6",
        },
    ]
    # the hire date typed in as US-style text is read like the date cells
    assert written[5]["hire_date"].count("-") == 2
    assert all(r["level"] in {"1", "2", "3", "4", "5", "6", "7"} for r in written)
    assert all("(" not in r["team"] for r in written)  # the manager's name is not kept
    text = out.read_text(encoding="utf-8")
    assert "Salary" not in text and "Worker Report" not in text
    people = load_employees(out)
    assert len(people) == 500 and sum(p.manager_id is None for p in people) == 1


def test_hris_csv_with_a_custom_mapping(tmp_path: Path) -> None:
    out = tmp_path / "employees.csv"
    code, _, stderr = run(
        str(FIXTURES / "hris" / "people_export.csv"),
        "--mapping",
        str(FIXTURES / "hris" / "people.toml"),
        "--out",
        str(out),
    )
    assert code == 0, stderr
    assert dict_rows(out) == [
        {
            "id": "1001",
            "email": "ada@example.com",
            "manager_id": "",
            "department": "Engineering",
            "hire_date": "2019-02-01",
            "languages": "English;French",
            "roles": "mentor",
            "opt_out": "false",
        },
        {
            "id": "1002",
            "email": "bob@example.com",
            "manager_id": "1001",
            "department": "Engineering",
            "hire_date": "2021-03-15",
            "languages": "English",
            "roles": "mentee",
            "opt_out": "false",
        },
        {
            "id": "1003",
            "email": "cleo@example.com",
            "manager_id": "1001",
            "department": "Engineering",
            "hire_date": "2026-09-30",
            "languages": "German;English",
            "roles": "",
            "opt_out": "true",
        },
        {
            "id": "1004",
            "email": "dan@example.com",
            "manager_id": "1002",
            "department": "Data",
            "hire_date": "2025-10-02",
            "languages": "English",
            "roles": "mentor;buddy",
            "opt_out": "",
        },
    ]
    people = load_employees(out)
    assert [p.opt_out for p in people] == [False, False, True, False]


def test_hris_pseudonymized_drops_names_and_addresses(tmp_path: Path) -> None:
    from matcher.privacy import Pseudonymizer

    out = tmp_path / "employees.csv"
    key = tmp_path / "key"
    key.write_text("a key file of at least sixteen bytes")
    code, _, stderr = run(
        str(FIXTURES / "hris" / "people_export.csv"),
        "--mapping",
        str(FIXTURES / "hris" / "people.toml"),
        "--out",
        str(out),
        "--pseudonymize",
        "--key-file",
        str(key),
    )
    assert code == 0, stderr
    names = Pseudonymizer(key.read_bytes())
    written = dict_rows(out)
    assert "email" not in written[0]
    assert [(r["id"], r["manager_id"]) for r in written] == [
        (names.pseudonym("1001"), ""),
        (names.pseudonym("1002"), names.pseudonym("1001")),
        (names.pseudonym("1003"), names.pseudonym("1001")),
        (names.pseudonym("1004"), names.pseudonym("1002")),
    ]


def test_hris_problems_name_their_row_and_header(tmp_path: Path) -> None:
    report = tmp_path / "workers.csv"
    report.write_text(
        "Employee ID,Work Email,Manager ID,Supervisory Organization,Management Level,Hire Date\n"
        "1,a@example.com,,Exec (Board),1 Chief Executive Officer,2020-01-01\n"
        "2,b@example.com,1,Ops (A),Chief Wizard,2020-13-45\n"
        "3,c@example.com,9,Ops (A),7 Individual Contributor,01/02/2021\n",
        encoding="utf-8",
    )
    out = tmp_path / "employees.csv"
    code, _, stderr = run(str(report), "--mapping", "workday", "--out", str(out))
    assert code == 1
    assert f"{report}, row 3, column 'Hire Date': expected a date" in stderr
    report.write_text(report.read_text().replace("2020-13-45", "2020-12-31"), encoding="utf-8")
    code, _, stderr = run(str(report), "--mapping", "workday", "--out", str(out))
    assert code == 1
    assert f"{report}, row 3, column 'Management Level'" in stderr
    assert "[values.level]" in stderr
    assert f"{report}, row 4, column 'Manager ID': manager_id '9' is not an employee id" in stderr
    assert not out.exists()


def test_hris_missing_header_and_bad_mapping(tmp_path: Path) -> None:
    report = tmp_path / "workers.csv"
    report.write_text("Employee ID,Email\n1,a@example.com\n", encoding="utf-8")
    code, _, stderr = run(str(report), "--mapping", "workday", "--out", str(tmp_path / "e.csv"))
    assert code == 1 and "column 'Work Email'" in stderr and "not found" in stderr
    mapping = tmp_path / "hris.toml"
    mapping.write_text('[columns]\nid = "Employee ID"\n[colums]\n')
    code, _, stderr = run(str(report), "--mapping", str(mapping), "--out", str(tmp_path / "e.csv"))
    assert code == 1 and "colums: unknown key" in stderr and "valid keys" in stderr
    mapping.write_text('[columns]\nid = "Employee ID"\n[dates]\nhired = "%Y"\n')
    code, _, stderr = run(str(report), "--mapping", str(mapping), "--out", str(tmp_path / "e.csv"))
    assert code == 1 and "'hired' is not a field of [columns]" in stderr


def test_hris_needs_a_mapping_and_stands_alone(tmp_path: Path) -> None:
    workers = str(FIXTURES / "hris" / "workday_workers.xlsx")
    code, _, stderr = run(workers, "--out", str(tmp_path / "e.csv"))
    assert code == 2 and "--mapping" in stderr
    code, _, stderr = run(
        workers, str(FIXTURES / "graph"), "--mapping", "workday", "--out", str(tmp_path / "e.csv")
    )
    assert code == 2 and "on its own" in stderr


def test_the_fixture_xlsx_is_what_the_script_makes(tmp_path: Path) -> None:
    """The committed workbook's cells match its generator (so the script stays the source)."""
    import openpyxl

    from tests.fixtures.make_hris_xlsx import ROWS, workers

    sheet = openpyxl.load_workbook(FIXTURES / "hris" / "workday_workers.xlsx").active
    assert sheet is not None
    merged = sorted(str(r) for r in sheet.merged_cells.ranges)
    assert merged == sorted(
        ["A1:J1", "A2:A3", "B2:B3", "C2:C3", "D2:F2", "G2:H2", "I2:I3", "J2:J3"]
    )
    values = [list(r) for r in sheet.iter_rows(min_row=4, values_only=True)]
    assert len(values) == ROWS and values == workers()
