"""matcher ingest: each fixture export (Slack, calendar, Graph) gives exactly the expected rows,
alone, combined and appended."""

from __future__ import annotations

import shutil
import zipfile
from pathlib import Path

from matcher.io.load import load_employees, load_interactions, load_org
from tests.ingest.exports import (
    ALIASES,
    EMPLOYEES,
    GRAPH_ROWS,
    ICS_ROWS,
    SEPTEMBER,
    SLACK_ROWS,
    IngestExport,
    dict_rows,
    ics,
    rows,
    slack,
)
from tests.paths import FIXTURES
from tests.support import RunCli

# ------------------------------------------------------------------------------- Slack


def test_slack_export_gives_the_expected_rows(tmp_path: Path, ingest_export: IngestExport) -> None:
    out, summary = ingest_export(tmp_path, FIXTURES / "slack")
    assert rows(out) == SLACK_ROWS
    (source,) = summary["sources"]
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


def test_slack_channel_posts_and_reactions_when_asked(
    tmp_path: Path, ingest_export: IngestExport
) -> None:
    out, _ = ingest_export(tmp_path, FIXTURES / "slack", "--channel-posts", "--reactions")
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


def test_slack_zip_with_a_top_folder_gives_the_same_rows(
    tmp_path: Path, ingest_export: IngestExport
) -> None:
    archive = tmp_path / "Example Slack export Sep 1 2026 - Sep 30 2026.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as zipped:
        for path in sorted((FIXTURES / "slack").rglob("*")):
            if path.is_file():
                zipped.write(path, f"export/{path.relative_to(FIXTURES / 'slack')}")
    out, summary = ingest_export(tmp_path, archive)
    assert rows(out) == SLACK_ROWS
    assert summary["sources"][0]["kind"] == "slack"


def test_slack_broadcast_size_applies_to_group_messages(
    tmp_path: Path, ingest_export: IngestExport
) -> None:
    out, summary = ingest_export(tmp_path, FIXTURES / "slack", "--broadcast-size", "2")
    # the group DM (3 people) is now a broadcast; DMs and replies (2 people) are not
    group = {slack("G01ABD/1788523200.000100"), slack("G01ABD/1788523260.000200")}
    assert rows(out) == [r for r in SLACK_ROWS if r[5] not in group]
    skipped = summary["sources"][0]["skipped"]
    assert skipped["broadcasts (events of more than 2 people)"] == 2


# ---------------------------------------------------------------------------- calendar


def test_calendar_gives_the_expected_rows(tmp_path: Path, ingest_export: IngestExport) -> None:
    out, summary = ingest_export(tmp_path, FIXTURES / "calendar.ics")
    assert sorted(rows(out)) == sorted(ICS_ROWS)
    skipped = summary["sources"][0]["skipped"]
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


def test_calendar_window_expands_the_series_only_inside_it(tmp_path: Path, run_cli: RunCli) -> None:
    out = tmp_path / "interactions.csv"
    run_cli(
        "ingest",
        FIXTURES / "calendar.ics",
        "--employees",
        EMPLOYEES,
        "--out",
        out,
        "--start",
        "2026-09-09",
        "--end",
        "2026-09-23T12:00:00Z",
    )
    assert sorted(r[2] for r in rows(out)) == [
        "2026-09-09T08:00:00+00:00",
        "2026-09-15T13:00:00+00:00",
    ]


def test_a_meeting_without_an_end_has_an_unknown_length(
    tmp_path: Path, ingest_export: IngestExport
) -> None:
    calendar = tmp_path / "invite.ics"
    calendar.write_text(
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\nBEGIN:VEVENT\r\n"
        "UID:no-end@example.com\r\nDTSTAMP:20260901T000000Z\r\nDTSTART:20260905T100000Z\r\n"
        "ORGANIZER:mailto:ada@example.com\r\nATTENDEE;PARTSTAT=ACCEPTED:mailto:bob@example.com\r\n"
        "END:VEVENT\r\nEND:VCALENDAR\r\n",
        encoding="utf-8",
    )
    out, _ = ingest_export(tmp_path, calendar)
    assert rows(out) == [
        ("E1", "E2", "2026-09-05T10:00:00+00:00", "meeting", "", ics("no-end@example.com"), "1")
    ]


def test_calendar_folder_and_zip_are_read(tmp_path: Path, ingest_export: IngestExport) -> None:
    folder = tmp_path / "calendars"
    folder.mkdir()
    shutil.copy(FIXTURES / "calendar.ics", folder / "ada@example.com.ics")
    out, _ = ingest_export(tmp_path, folder)
    assert sorted(rows(out)) == sorted(ICS_ROWS)
    archive = tmp_path / "calendar-export.zip"
    with zipfile.ZipFile(archive, "w") as zipped:
        zipped.write(FIXTURES / "calendar.ics", "ada@example.com.ical/ada@example.com.ics")
    out.unlink()
    out, summary = ingest_export(tmp_path, archive)
    assert summary["sources"][0]["kind"] == "ics"
    assert sorted(rows(out)) == sorted(ICS_ROWS)


# ------------------------------------------------------------------------------- Graph


def test_graph_dump_gives_the_expected_rows(tmp_path: Path, ingest_export: IngestExport) -> None:
    out, summary = ingest_export(tmp_path, FIXTURES / "graph")
    assert rows(out) == GRAPH_ROWS
    skipped = summary["sources"][0]["skipped"]
    assert skipped["broadcasts (events of more than 25 people)"] == 2  # town hall and announcement
    assert skipped["series masters (calendarView lists their occurrences)"] == 1
    assert skipped["drafts"] == 1 and skipped["cancelled events"] == 1
    # a distribution list is not expanded: it is listed as unresolved
    assert [r["email"] for r in dict_rows(tmp_path / "interactions-rejects.csv")] == [
        "payments-team@example.com"
    ]


# ------------------------------------------------------------------ combined, appended


def test_sources_combine_and_load_with_the_contract_loader(tmp_path: Path, run_cli: RunCli) -> None:
    out = tmp_path / "interactions.csv"
    for source in ("slack", "calendar.ics", "graph"):
        run_cli(
            "ingest",
            FIXTURES / source,
            "--employees",
            EMPLOYEES,
            "--aliases",
            ALIASES,
            "--out",
            out,
            "--append",
            *SEPTEMBER,
        )
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


def test_append_twice_adds_nothing_and_keeps_foreign_rows(
    tmp_path: Path, ingest_export: IngestExport
) -> None:
    out = tmp_path / "interactions.csv"
    out.write_text(
        "source;target;timestamp;channel\nE3;E4;2026-09-20T10:00:00Z;in_person\n", encoding="utf-8"
    )
    for _ in range(2):
        _, summary = ingest_export(tmp_path, FIXTURES / "graph", "--append")
    assert summary["rows_added"] == 0 and summary["duplicates"] == len(GRAPH_ROWS)
    assert summary["rows_kept"] == 1 + len(GRAPH_ROWS)
    assert rows(out) == [("E3", "E4", "2026-09-20T10:00:00Z", "in_person", "", "", ""), *GRAPH_ROWS]


def test_without_append_the_output_is_replaced(tmp_path: Path, ingest_export: IngestExport) -> None:
    out, _ = ingest_export(tmp_path, FIXTURES / "graph")
    out, summary = ingest_export(tmp_path, FIXTURES / "graph")
    assert rows(out) == GRAPH_ROWS and summary["duplicates"] == 0


def test_append_refuses_a_file_with_other_columns(tmp_path: Path, run_cli: RunCli) -> None:
    out = tmp_path / "interactions.csv"
    out.write_text("source,target,timestamp,note\nE1,E2,2026-09-01,x\n", encoding="utf-8")
    stderr = run_cli(
        "ingest", FIXTURES / "graph", "--employees", EMPLOYEES, "--out", out, "--append", code=1
    ).stderr
    assert f"{out}, row 1, column 'note': cannot append" in stderr
    assert out.read_text(encoding="utf-8").startswith("source,target,timestamp,note")
