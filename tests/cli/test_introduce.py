"""``matcher introduce``: one message per pair from a template with safe placeholders only,
written as .eml, messages.json and .ics, and sent to an SMTP server started here."""

from __future__ import annotations

import email
import json
import socket
from collections.abc import Iterator
from email import policy
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller

from tests.support import RunCli

EMPLOYEES = """id,name,email,timezone,work_start,work_end,interests,roles,team
E1,Ada Lovelace,ada@example.com,Europe/Berlin,9,17,chess;hiking,mentee,A
E2,Bob Byte,bob@example.com,America/New_York,9,17,chess;jazz,mentor,B
E3,Cleo Code,cleo@example.com,Asia/Tokyo,9,17,jazz,mentee,A
E4,Dan Data,,Asia/Tokyo,10,18,,mentor,B
"""

PROGRAM = """[data]
employees = "employees.csv"

[[program]]
name = "mentoring"
kind = "mentor"
period = "2026Q4"
"""

TEMPLATE = """Subject: {program}: {first_names}, meet each other
Hello {seeker_first_name} and {provider_first_name},

You both like **{shared_interests}**. Your working days overlap {seeker_hours}
for {seeker_first_name}, which is {provider_hours} for {provider_first_name}.
"""


@pytest.fixture
def run(tmp_path: Path, run_cli: RunCli) -> tuple[Path, str]:
    """A proposed run of two pairs in ``tmp_path/matcher.db``; returns the folder and its id."""
    (tmp_path / "employees.csv").write_text(EMPLOYEES, encoding="utf-8")
    (tmp_path / "program.toml").write_text(PROGRAM, encoding="utf-8")
    (tmp_path / "intro.md").write_text(TEMPLATE, encoding="utf-8")
    result = run_cli(
        "assign", tmp_path / "program.toml", "--out", tmp_path / "out",
        "--db", tmp_path / "matcher.db", "--json", "--quiet",
    )  # fmt: skip
    run_id = json.loads(result.stdout)["programs"]["mentoring"]["run_id"]
    return tmp_path, run_id


def introduce(folder: Path, run_id: str, *extra: str) -> list[str]:
    return [
        "introduce", run_id, "--db", str(folder / "matcher.db"), "--template",
        str(folder / "intro.md"), "--employees", str(folder / "employees.csv"),
        "--out", str(folder / "intros"), "--after", "2026-10-02", *extra,
    ]  # fmt: skip


def test_one_message_per_pair_with_safe_placeholders_only(
    run: tuple[Path, str], run_cli: RunCli
) -> None:
    folder, run_id = run
    result = run_cli(*introduce(folder, run_id, "--invite"))
    assert "drafted 2 introduction(s)" in result.stderr
    assert "lack an e-mail address" in result.stderr  # Dan has none
    records = json.loads((folder / "intros" / "messages.json").read_text(encoding="utf-8"))
    by_people = {tuple(r["people"]): r for r in records}
    assert set(by_people) == {("E1", "E2"), ("E3", "E4")}
    ada_bob = by_people["E1", "E2"]
    assert ada_bob["subject"] == "mentoring: Ada and Bob, meet each other"
    assert "Hello Ada and Bob" in ada_bob["text"] and "**chess**" in ada_bob["text"]
    # Monday 5 October 2026: Berlin 15:00-17:00 is New York 09:00-11:00
    assert "15:00–17:00 (Europe/Berlin)" in ada_bob["text"]
    assert "09:00–11:00 (America/New_York)" in ada_bob["text"]
    assert ada_bob["first_meeting"] == {"start": "2026-10-05T13:00:00+00:00", "minutes": 30}
    assert "none listed" in by_people["E3", "E4"]["text"]
    eml = email.message_from_bytes(
        (folder / "intros" / f"{ada_bob['key']}.eml").read_bytes(), policy=policy.default
    )
    assert "ada@example.com" in eml["To"] and "bob@example.com" in eml["To"]
    ics = (folder / "intros" / f"{ada_bob['key']}.ics").read_text(encoding="utf-8")
    assert "DTSTART:20261005T130000Z" in ics and "DTEND:20261005T133000Z" in ics
    assert "mailto:ada@example.com" in ics
    everything = json.dumps(records)
    for secret in ("isolated", "peripheral", "score", "why", "reason"):
        assert secret not in everything


@pytest.mark.parametrize(
    "placeholder", ["{flags}", "{why}", "{score}", "{seeker_first_name.__class__}", "{program!r}"]
)
def test_an_unknown_placeholder_is_an_error_listing_the_allowed_ones(
    run: tuple[Path, str], run_cli: RunCli, placeholder: str
) -> None:
    folder, run_id = run
    (folder / "intro.md").write_text(f"Hi {placeholder}", encoding="utf-8")
    stderr = run_cli(*introduce(folder, run_id), code=1).stderr
    assert "is not a placeholder; allowed: {program}, {period}, {seeker_first_name}" in stderr
    assert not (folder / "intros").exists()


def test_a_rejected_run_is_not_introduced(run: tuple[Path, str], run_cli: RunCli) -> None:
    folder, run_id = run
    run_cli("history", "reject", run_id, "--db", folder / "matcher.db", "--quiet")
    stderr = run_cli(*introduce(folder, run_id), code=1).stderr
    assert "is rejected: only a proposed or committed run" in stderr


class Inbox:
    """An aiosmtpd handler keeping what it receives."""

    def __init__(self) -> None:
        self.received: list[tuple[list[str], bytes]] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.received.append((list(envelope.rcpt_tos), envelope.content))
        return "250 OK"


@pytest.fixture
def smtp_server() -> Iterator[tuple[Inbox, int]]:
    inbox = Inbox()
    with socket.socket() as probe:  # a free port (the controller checks it by connecting)
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield inbox, port
    finally:
        controller.stop()


def test_send_delivers_every_message_to_the_smtp_server(
    run: tuple[Path, str], run_cli: RunCli, smtp_server: tuple[Inbox, int]
) -> None:
    folder, run_id = run
    inbox, port = smtp_server
    result = run_cli(*introduce(folder, run_id, "--send", f"smtp://127.0.0.1:{port}", "--json"))
    assert json.loads(result.stdout)["sent"] == 2
    recipients = sorted(tuple(sorted(r)) for r, _ in inbox.received)
    assert recipients == [("ada@example.com", "bob@example.com"), ("cleo@example.com",)]
    bodies = [email.message_from_bytes(c, policy=policy.default) for _, c in inbox.received]
    assert {b["Subject"] for b in bodies} == {
        "mentoring: Ada and Bob, meet each other",
        "mentoring: Cleo and Dan, meet each other",
    }


def test_an_unreachable_server_is_an_error_after_the_drafts_are_written(
    run: tuple[Path, str], run_cli: RunCli
) -> None:
    folder, run_id = run
    stderr = run_cli(*introduce(folder, run_id, "--send", "smtp://127.0.0.1:1"), code=1).stderr
    assert "sending through 127.0.0.1:1 failed after 0 e-mail(s)" in stderr
    assert (folder / "intros" / "messages.json").is_file()
