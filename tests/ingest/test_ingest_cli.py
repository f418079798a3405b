"""matcher ingest's command-line contract: pseudonyms, no message content written, located
errors (exit 1) and usage errors (exit 2), and the command inside ``matcher``."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from matcher.cli import main
from matcher.privacy import Pseudonymizer
from tests.ingest.exports import (
    ALIASES,
    EMPLOYEES,
    GRAPH_ROWS,
    SEPTEMBER,
    IngestExport,
    dict_rows,
    rows,
)
from tests.paths import FIXTURES
from tests.support import RunCli

# -------------------------------------------------------------------------- privacy


def test_pseudonymize_matches_analyze_and_hides_rejects(tmp_path: Path, run_cli: RunCli) -> None:
    key = "an ingest key of enough bytes"
    out = tmp_path / "interactions.csv"
    run_cli(
        "ingest",
        FIXTURES / "graph",
        "--employees",
        EMPLOYEES,
        "--aliases",
        ALIASES,
        "--out",
        out,
        *SEPTEMBER,
        "--pseudonymize",
        env={"MATCHER_PSEUDONYM_KEY": key},
    )
    names = Pseudonymizer(key.encode())
    expected = [(names.pseudonym(r[0]), names.pseudonym(r[1]), *r[2:]) for r in GRAPH_ROWS]
    assert rows(out) == expected
    (reject,) = dict_rows(tmp_path / "interactions-rejects.csv")
    assert reject["email"] == names.pseudonym("payments-team@example.com")


def test_no_content_is_written(tmp_path: Path, ingest_export: IngestExport) -> None:
    for source in ("slack", "calendar.ics", "graph"):
        out, _ = ingest_export(tmp_path / source, FIXTURES / source, "--channel-posts")
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


def test_pseudonymize_needs_a_key(tmp_path: Path, run_cli: RunCli) -> None:
    result = run_cli(
        "ingest",
        FIXTURES / "graph",
        "--employees",
        EMPLOYEES,
        "--out",
        tmp_path / "i.csv",
        "--pseudonymize",
        env={"MATCHER_PSEUDONYM_KEY": ""},
        code=1,
    )
    assert "--pseudonymize needs a key" in result.stderr


# --------------------------------------------------------------------------- errors


def test_bad_inputs_exit_1_with_a_located_message_and_write_nothing(
    tmp_path: Path, run_cli: RunCli
) -> None:
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
    stderr = run_cli("ingest", broken, "--employees", EMPLOYEES, "--out", out, code=1).stderr
    assert f"{broken / 'page.json'}, row 1, column 'sentDateTime': expected an ISO 8601" in stderr
    assert "Traceback" not in stderr
    assert not out.exists() and not (tmp_path / "interactions-rejects.csv").exists()
    assert [p.name for p in tmp_path.iterdir()] == ["graph"]  # no staging folder left behind


def test_a_broken_slack_day_file_is_located(tmp_path: Path, run_cli: RunCli) -> None:
    export = tmp_path / "slack"
    shutil.copytree(FIXTURES / "slack", export)
    (export / "proj-x" / "2026-09-03.json").write_text("[{", encoding="utf-8")
    out = tmp_path / "i.csv"
    stderr = run_cli("ingest", export, "--employees", EMPLOYEES, "--out", out, code=1).stderr
    assert f"{export / 'proj-x' / '2026-09-03.json'}: invalid JSON" in stderr
    (export / "users.json").unlink()
    stderr = run_cli(
        "ingest", export, "--kind", "slack", "--employees", EMPLOYEES, "--out", out, code=1
    ).stderr
    assert "not a Slack export: users.json is missing" in stderr


def test_bad_aliases_are_located(tmp_path: Path, run_cli: RunCli) -> None:
    aliases = tmp_path / "aliases.csv"
    aliases.write_text("alias,email,id\nold@example.com,,E99\nx@example.com,y@example.com,E1\n")
    stderr = run_cli(
        "ingest",
        FIXTURES / "graph",
        "--employees",
        EMPLOYEES,
        "--aliases",
        aliases,
        "--out",
        tmp_path / "i.csv",
        code=1,
    ).stderr
    assert f"{aliases}, row 2, column 'id': 'E99' is not an employee id" in stderr
    assert f"{aliases}, row 3: give either an e-mail address or an employee id" in stderr


def test_employees_need_unique_email_addresses(tmp_path: Path, run_cli: RunCli) -> None:
    employees = tmp_path / "employees.csv"
    employees.write_text("id,email\nE1,a@example.com\nE2,A@example.com\n")
    stderr = run_cli(
        "ingest", FIXTURES / "graph", "--employees", employees, "--out", tmp_path / "i.csv", code=1
    ).stderr
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
def test_usage_errors_exit_2(args: tuple[str, ...], message: str, run_cli: RunCli) -> None:
    assert message in run_cli("ingest", FIXTURES / "graph", *args, code=2).stderr


def test_an_unknown_kind_of_source_asks_for_kind(tmp_path: Path, run_cli: RunCli) -> None:
    odd = tmp_path / "export.bin"
    odd.write_bytes(b"\x00")
    stderr = run_cli(
        "ingest", odd, "--employees", EMPLOYEES, "--out", tmp_path / "i.csv", code=1
    ).stderr
    assert "pass --kind slack, ics, graph or hris" in stderr


def test_a_folder_of_mixed_exports_asks_for_kind(
    tmp_path: Path, run_cli: RunCli, ingest_export: IngestExport
) -> None:
    mixed = tmp_path / "exports"
    shutil.copytree(FIXTURES / "graph", mixed)
    shutil.copy(FIXTURES / "calendar.ics", mixed)
    out = tmp_path / "i.csv"
    stderr = run_cli("ingest", mixed, "--employees", EMPLOYEES, "--out", out, code=1).stderr
    assert "holds both calendar (.ics) and JSON files" in stderr
    out, _ = ingest_export(tmp_path, mixed, "--kind", "graph")
    assert rows(out) == GRAPH_ROWS


def test_employees_without_email_addresses(tmp_path: Path, run_cli: RunCli) -> None:
    employees = tmp_path / "employees.csv"
    employees.write_text("id,team\nE1,A\n")
    stderr = run_cli(
        "ingest", FIXTURES / "graph", "--employees", employees, "--out", tmp_path / "i.csv", code=1
    ).stderr
    assert "no employee has an e-mail address" in stderr


def test_the_command_runs_inside_the_matcher_cli(tmp_path: Path, run_cli: RunCli) -> None:
    assert "ingest" in main.commands
    out = tmp_path / "interactions.csv"
    quiet = run_cli(
        "ingest", FIXTURES / "graph", "--employees", EMPLOYEES, "--out", out, *SEPTEMBER, "--quiet"
    )
    assert quiet.stderr == ""
    missing = tmp_path / "missing.zip"
    bad = run_cli("ingest", missing, "--employees", EMPLOYEES, "--out", out, code=1)
    assert "file or folder not found" in bad.stderr
