"""matcher ingest of HRIS reports (a Workday workbook, a CSV with a custom mapping) into an
employees file: expected rows, pseudonyms, located problems."""

from __future__ import annotations

import json
import tomllib
from pathlib import Path

import openpyxl
import pytest

from matcher.errors import DataError
from matcher.ingest.hris import Mapping, read_hris
from matcher.io.configs import validate_model
from matcher.io.load import load_employees
from matcher.privacy import Pseudonymizer
from tests.fixtures.make_hris_xlsx import ROWS, workers
from tests.ingest.exports import dict_rows
from tests.paths import FIXTURES
from tests.support import RunCli


def test_workday_xlsx_with_merged_headers_makes_employees(tmp_path: Path, run_cli: RunCli) -> None:
    out = tmp_path / "employees.csv"
    result = run_cli(
        "ingest",
        FIXTURES / "hris" / "workday_workers.xlsx",
        "--mapping",
        "workday",
        "--out",
        out,
        "--json",
    )
    summary = json.loads(result.stdout)
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


def test_hris_csv_with_a_custom_mapping(tmp_path: Path, run_cli: RunCli) -> None:
    out = tmp_path / "employees.csv"
    run_cli(
        "ingest",
        FIXTURES / "hris" / "people_export.csv",
        "--mapping",
        FIXTURES / "hris" / "people.toml",
        "--out",
        out,
    )
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


def test_hris_pseudonymized_drops_names_and_addresses(tmp_path: Path, run_cli: RunCli) -> None:
    out = tmp_path / "employees.csv"
    key = tmp_path / "key"
    key.write_text("a key file of at least sixteen bytes")
    run_cli(
        "ingest",
        FIXTURES / "hris" / "people_export.csv",
        "--mapping",
        FIXTURES / "hris" / "people.toml",
        "--out",
        out,
        "--pseudonymize",
        "--key-file",
        key,
    )
    names = Pseudonymizer(key.read_bytes())
    written = dict_rows(out)
    assert "email" not in written[0]
    assert [(r["id"], r["manager_id"]) for r in written] == [
        (names.pseudonym("1001"), ""),
        (names.pseudonym("1002"), names.pseudonym("1001")),
        (names.pseudonym("1003"), names.pseudonym("1001")),
        (names.pseudonym("1004"), names.pseudonym("1002")),
    ]


def test_hris_problems_name_their_row_and_header(tmp_path: Path, run_cli: RunCli) -> None:
    report = tmp_path / "workers.csv"
    report.write_text(
        "Employee ID,Work Email,Manager ID,Supervisory Organization,Management Level,Hire Date\n"
        "1,a@example.com,,Exec (Board),1 Chief Executive Officer,2020-01-01\n"
        "2,b@example.com,1,Ops (A),Chief Wizard,2020-13-45\n"
        "3,c@example.com,9,Ops (A),7 Individual Contributor,01/02/2021\n",
        encoding="utf-8",
    )
    out = tmp_path / "employees.csv"
    stderr = run_cli("ingest", report, "--mapping", "workday", "--out", out, code=1).stderr
    assert f"{report}, row 3, column 'Hire Date': expected a date" in stderr
    report.write_text(report.read_text().replace("2020-13-45", "2020-12-31"), encoding="utf-8")
    stderr = run_cli("ingest", report, "--mapping", "workday", "--out", out, code=1).stderr
    assert f"{report}, row 3, column 'Management Level'" in stderr
    assert "[values.level]" in stderr
    assert f"{report}, row 4, column 'Manager ID': manager_id '9' is not an employee id" in stderr
    assert not out.exists()


def test_hris_missing_header_and_bad_mapping(tmp_path: Path, run_cli: RunCli) -> None:
    report = tmp_path / "workers.csv"
    report.write_text("Employee ID,Email\n1,a@example.com\n", encoding="utf-8")
    out = tmp_path / "e.csv"
    stderr = run_cli("ingest", report, "--mapping", "workday", "--out", out, code=1).stderr
    assert "column 'Work Email'" in stderr and "not found" in stderr
    mapping = tmp_path / "hris.toml"
    mapping.write_text('[columns]\nid = "Employee ID"\n[colums]\n')
    stderr = run_cli("ingest", report, "--mapping", mapping, "--out", out, code=1).stderr
    assert "colums: unknown key" in stderr and "valid keys" in stderr
    mapping.write_text('[columns]\nid = "Employee ID"\n[dates]\nhired = "%Y"\n')
    stderr = run_cli("ingest", report, "--mapping", mapping, "--out", out, code=1).stderr
    assert "'hired' is not a field of [columns]" in stderr


def test_hris_needs_a_mapping_and_stands_alone(tmp_path: Path, run_cli: RunCli) -> None:
    report = FIXTURES / "hris" / "workday_workers.xlsx"
    out = tmp_path / "e.csv"
    assert "--mapping" in run_cli("ingest", report, "--out", out, code=2).stderr
    stderr = run_cli(
        "ingest", report, FIXTURES / "graph", "--mapping", "workday", "--out", out, code=2
    ).stderr
    assert "on its own" in stderr


def test_the_fixture_xlsx_is_what_the_script_makes() -> None:
    """The committed workbook's cells match its generator (so the script stays the source)."""
    sheet = openpyxl.load_workbook(FIXTURES / "hris" / "workday_workers.xlsx").active
    assert sheet is not None
    merged = sorted(str(r) for r in sheet.merged_cells.ranges)
    assert merged == sorted(
        ["A1:J1", "A2:A3", "B2:B3", "C2:C3", "D2:F2", "G2:H2", "I2:I3", "J2:J3"]
    )
    values = [list(r) for r in sheet.iter_rows(min_row=4, values_only=True)]
    assert len(values) == ROWS and values == workers()


# ------------------------------------------------- roles from several opt-in columns


OPT_IN_MAPPING = """
[columns]
id = "Employee ID"
roles = { mentor = "Mentor opt-in", buddy = "Buddy opt-in" }
"""


def test_several_opt_in_columns_combine_into_roles(tmp_path: Path) -> None:
    mapping = validate_model(Mapping, tomllib.loads(OPT_IN_MAPPING), "hris.toml")
    report = tmp_path / "workers.csv"
    report.write_text(
        "Employee ID,Mentor opt-in,Buddy opt-in\nE1,Yes,x\nE2,,no\nE3,TRUE,\n", encoding="utf-8"
    )
    result = read_hris(report, mapping)
    assert result.header == ("id", "roles")
    assert result.rows == [["E1", "mentor;buddy"], ["E2", ""], ["E3", "mentor"]]
    assert result.columns["roles"] == "Mentor opt-in, Buddy opt-in"
    report.write_text(
        "Employee ID,Mentor opt-in,Buddy opt-in\nE1,Yes,\n\nE2,maybe,\n", encoding="utf-8"
    )
    with pytest.raises(DataError) as error:
        read_hris(report, mapping)
    assert "row 4, column 'Mentor opt-in': expected yes or no" in str(error.value)
    assert "found 'maybe' (roles: mentor)" in str(error.value)


def test_a_missing_opt_in_column_is_named_unless_roles_is_optional(tmp_path: Path) -> None:
    report = tmp_path / "workers.csv"
    report.write_text("Employee ID,Mentor opt-in\nE1,yes\n", encoding="utf-8")
    columns = {"id": "Employee ID", "roles": {"mentor": "Mentor opt-in", "buddy": "Buddy opt-in"}}
    with pytest.raises(DataError, match="'Buddy opt-in': column for 'roles:buddy' not found"):
        read_hris(report, Mapping(columns=columns))
    result = read_hris(report, Mapping(columns=columns, optional=["roles"]))
    assert result.rows == [["E1", "mentor"]]
    with pytest.raises(ValueError, match="only roles may combine"):
        Mapping(columns={"id": "ID", "team": {"a": "A"}})
    with pytest.raises(ValueError, match="roles reads yes/no opt-in columns"):
        Mapping(columns=columns, values={"roles": {"Y": "yes"}})
