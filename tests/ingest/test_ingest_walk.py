"""docs/ingest.md's five-command walk, run as written: its shell block, its ``hris.toml`` and
its ``buddy.toml`` are read from the page and run through the CLI in a folder holding a
Workday-style report and the fixture Slack, calendar and Graph exports under the names the page
uses."""

from __future__ import annotations

import csv
import datetime as dt
import re
import shlex
import shutil
import zipfile
from pathlib import Path

import openpyxl
import pytest

from tests.paths import FIXTURES, ROOT
from tests.support import RunCli

DOC = ROOT / "docs" / "ingest.md"
HEADERS = (
    "Employee ID",
    "Worker",
    "Work Email",
    "Manager ID",
    "Supervisory Organization",
    "Location",
    "Time Zone",
    "Hire Date",
    "Management Level",
    "Buddy Opt-in",
    "Mentor Opt-in",
    "Languages",
    "Annual Salary",
)
FIXTURE_PEOPLE = ("ada", "bob", "cleo", "dan", "eve", "gus.gray")
"""People the fixture exports name (``NAME@example.com``); the Graph dump names person10 …"""
NEW_HIRES = 6


def walk_blocks() -> tuple[list[list[str]], dict[str, str]]:
    """The walk's commands (each as argv, without ``matcher``) and its files by name."""
    text = DOC.read_text(encoding="utf-8")
    section = text.split("in five commands", 1)[1].split("\n### ", 1)[0]
    shell = re.search(r"```sh\n(.*?)```", section, re.S)
    assert shell is not None, "the walk has no shell block"
    joined = shell.group(1).replace("\\\n", " ")
    commands = [
        shlex.split(line)[1:]
        for line in joined.splitlines()
        if line.strip() and not line.lstrip().startswith("#")
    ]
    assert all(
        line.strip().startswith("matcher ")
        for line in joined.splitlines()
        if line.strip() and not line.lstrip().startswith("#")
    )
    files = {}
    for block in re.findall(r"```toml\n(.*?)```", section, re.S):
        name = block.splitlines()[0].removeprefix("# ").strip()
        files[name] = block
    return commands, files


def write_report(path: Path) -> None:
    """A Workday-style worker report: a title row, then the header, then one row per worker,
    with IDs as numbers, hire dates as date cells and a salary column nobody may read."""
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["Worker Report - All Active Workers (as of 2026-10-01)"])
    sheet.append(list(HEADERS))
    emails = [f"{name}@example.com" for name in FIXTURE_PEOPLE]
    emails += [f"person{k}@example.com" for k in range(10, 40)]
    places = (("Berlin", "Europe/Berlin"), ("London", "Europe/London"))
    for k, email in enumerate(emails):
        new = k >= len(emails) - NEW_HIRES
        hired = (
            dt.datetime(2026, 8, 3) + dt.timedelta(days=k)
            if new
            else dt.datetime(2020 + k % 4, 3, 2)
        )
        place, zone = places[k % 2]
        sheet.append(
            [
                31000 + k,
                f"Worker {k}",
                email,
                None if k == 0 else 31000 + (k - 1) // 5,
                f"Team {k // 8} (Worker {k // 8 * 8})",
                place,
                zone,
                hired,
                "7 Individual Contributor" if k else "1 Chief Executive Officer",
                "Yes" if not new and k % 3 else "",
                "Yes" if k % 4 == 0 else "",
                "English, German" if k % 2 else "English",
                90000 + k,
            ]
        )
    book.save(path)


def test_the_documented_walk_runs_as_written(
    tmp_path: Path, run_cli: RunCli, monkeypatch: pytest.MonkeyPatch
) -> None:
    commands, files = walk_blocks()
    assert len(commands) == 5
    assert set(files) >= {"hris.toml", "buddy.toml"}
    for name, text in files.items():
        (tmp_path / name).write_text(text, encoding="utf-8")
    write_report(tmp_path / "workers.xlsx")
    with zipfile.ZipFile(tmp_path / "slack-export.zip", "w") as archive:
        for file in sorted((FIXTURES / "slack").rglob("*")):
            if file.is_file():
                archive.write(file, file.relative_to(FIXTURES / "slack").as_posix())
    (tmp_path / "calendars").mkdir()
    shutil.copy(FIXTURES / "calendar.ics", tmp_path / "calendars" / "team.ics")
    shutil.copytree(FIXTURES / "graph", tmp_path / "graph-dump")
    monkeypatch.chdir(tmp_path)

    for argv in commands:
        run_cli(*argv, "--quiet")

    with (tmp_path / "data" / "employees.csv").open(encoding="utf-8") as handle:
        employees = list(csv.DictReader(handle))
    assert len(employees) == 36
    assert "Annual Salary" not in employees[0] and "salary" not in ",".join(employees[0])
    by_id = {row["id"]: row for row in employees}
    assert by_id["31001"]["roles"] == "buddy" and by_id["31001"]["languages"] == "English;German"
    with (tmp_path / "data" / "interactions.csv").open(encoding="utf-8") as handle:
        channels = {row["channel"] for row in csv.DictReader(handle)}
    assert {"chat", "meeting", "email"} <= channels  # Slack, the calendars, the Graph mail
    with (tmp_path / "out" / "analysis" / "analysis.csv").open(encoding="utf-8") as handle:
        assert len(list(csv.DictReader(handle))) == len(employees)

    checked = run_cli(
        "validate", "hris.toml", "buddy.toml", "--employees", "data/employees.csv", "--json"
    )
    assert '"HRIS mapping"' in checked.output and '"programs": 1' in checked.output
    with (tmp_path / "out" / "buddy" / "pairs.csv").open(encoding="utf-8") as handle:
        pairs = list(csv.DictReader(handle))
    hires = {row["id"] for row in employees if row["hire_date"] >= "2026-08-01"}
    assert {p["seeker_id"] for p in pairs} == hires
    for pair in pairs:
        provider = by_id[pair["provider_id"]]
        seeker = by_id[pair["seeker_id"]]
        assert "buddy" in provider["roles"].split(";")
        assert set(provider["languages"].split(";")) & set(seeker["languages"].split(";"))


def test_a_program_file_without_data_needs_employees(tmp_path: Path, run_cli: RunCli) -> None:
    """``[data]`` may be left out when ``--employees`` gives the data; without either, the error
    names the file and what to add (exit 1, no traceback)."""
    _, files = walk_blocks()
    program = tmp_path / "buddy.toml"
    program.write_text(files["buddy.toml"], encoding="utf-8")
    result = run_cli("assign", program, "--out", tmp_path / "out", code=1)
    assert f"{program}: no [data] employees" in result.output
    assert "Traceback" not in result.output


def test_extends_adds_to_the_built_in_mapping_and_replaces_its_fields(tmp_path: Path) -> None:
    from matcher.ingest.hris import load_mapping

    path = tmp_path / "hris.toml"
    path.write_text(
        'extends = "workday"\noptional = ["languages", "level"]\n'
        '[columns]\nlanguages = "Languages"\nteam = "Cost Center"\n'
        '[values.level]\n"Staff" = "1"\n',
        encoding="utf-8",
    )
    mapping, _ = load_mapping(path)
    assert mapping.columns["id"] == "Employee ID" and mapping.columns["team"] == "Cost Center"
    assert mapping.columns["languages"] == "Languages"
    assert mapping.optional.count("level") == 1 and "languages" in mapping.optional
    assert mapping.values["level"] == {"Staff": "1"}
    assert "timezone" in mapping.values  # the built-in value maps it does not name stay
