"""The outputs HR opens: review.xlsx (formula-safe, names only when ids are real), CSVs with a
byte order mark for Excel behind --excel, and an output folder holding only the current run's
files."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import openpyxl
import pytest

from tests.review.conftest import PROGRAM
from tests.support import RunCli

BOM = b"\xef\xbb\xbf"


def rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def sheet(path: Path, title: str) -> list[dict[str, object]]:
    workbook = openpyxl.load_workbook(path)
    values = list(workbook[title].iter_rows(values_only=True))
    return [dict(zip(values[0], row, strict=True)) for row in values[1:]]


@pytest.fixture
def hostile_program(small_program: Path, tmp_path: Path) -> Path:
    """The small program over a copy of its org where one mentor's name is a formula."""
    org = tmp_path / "org"
    org.mkdir()
    source = small_program.parent / "org"
    (org / "interactions.csv").write_bytes((source / "interactions.csv").read_bytes())
    people = rows(source / "employees.csv")
    for person in people:
        if "mentor" in person["roles"].split(";"):
            person["name"] = '=HYPERLINK("http://evil.example","Click")'
    with (org / "employees.csv").open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(people[0]))
        writer.writeheader()
        writer.writerows(people)
    program = tmp_path / "mentoring.toml"
    program.write_text(PROGRAM.format(org=org.as_posix()), encoding="utf-8")
    return program


def test_review_workbook_has_pairs_with_names_and_reasons_unmatched_loads_and_summary(
    hostile_program: Path, tmp_path: Path, run_cli: RunCli
) -> None:
    out = tmp_path / "out"
    summary = json.loads(
        run_cli(
            "assign", hostile_program, "--out", out, "--db", tmp_path / "h.db", "--json", "--quiet"
        ).stdout
    )["programs"]["mentoring"]
    book = out / "review.xlsx"
    assert openpyxl.load_workbook(book).sheetnames == [
        "Summary",
        "Pairs",
        "Unmatched",
        "Provider loads",
    ]
    pairs = sheet(book, "Pairs")
    assigned = rows(out / "assignments.csv")
    assert [(p["seeker_id"], p["provider_id"], p["why"]) for p in pairs] == [
        (a["seeker_id"], a["provider_id"], a["why"]) for a in assigned
    ]
    names = {r["id"]: r["name"] for r in rows(hostile_program.parent / "org" / "employees.csv")}
    assert all(p["seeker_name"] == names[str(p["seeker_id"])] for p in pairs)
    # a name that is a formula is text in the workbook, never a formula Excel would run
    assert all(str(p["provider_name"]).startswith("'=HYPERLINK") for p in pairs)
    workbook = openpyxl.load_workbook(book)
    assert all(cell.data_type != "f" for ws in workbook for row in ws.iter_rows() for cell in row)
    unmatched = sheet(book, "Unmatched")
    assert len(unmatched) == summary["seekers"] - summary["matched"]
    assert all(u["reason"] for u in unmatched)
    loads = sheet(book, "Provider loads")
    assert sum(int(str(load["seekers"])) for load in loads) == len(pairs)
    (figures,) = sheet(book, "Summary")
    assert figures["run_id"] == summary["run_id"] and figures["coverage"] == summary["coverage"]


def test_a_pseudonymised_workbook_has_no_names(
    small_program: Path, tmp_path: Path, run_cli: RunCli
) -> None:
    key = tmp_path / "key"
    key.write_bytes(b"k" * 32)
    out = tmp_path / "out"
    run_cli(
        "assign", small_program, "--out", out, "--db", tmp_path / "h.db", "--quiet",
        "--pseudonymize", "--key-file", key,
    )  # fmt: skip
    pairs = sheet(out / "review.xlsx", "Pairs")
    assert pairs and "seeker_name" not in pairs[0]
    ids = {r["id"] for r in rows(small_program.parent / "org" / "employees.csv")}
    assert not ids & {str(p["seeker_id"]) for p in pairs}


def test_excel_switch_writes_a_byte_order_mark_and_the_default_does_not(
    small_program: Path, tmp_path: Path, run_cli: RunCli
) -> None:
    """CSVs opened as mojibake in Excel on Windows: --excel starts them with a BOM. The
    default stays without one (HR's scripts read the first column by its name)."""
    db = tmp_path / "h.db"
    run_cli(
        "assign", small_program, "--out", tmp_path / "plain", "--db", db, "--quiet", "--explain"
    )
    run_cli(
        "assign", small_program, "--out", tmp_path / "excel", "--db", db, "--quiet", "--excel",
        "--explain",
    )  # fmt: skip
    for name in ("assignments.csv", "unmatched.csv", "pairs.csv", "candidates.csv"):
        assert not (tmp_path / "plain" / name).read_bytes().startswith(BOM), name
        excel = (tmp_path / "excel" / name).read_bytes()
        assert excel.startswith(BOM), name
        assert excel[len(BOM) :] == (tmp_path / "plain" / name).read_bytes(), name
    run_cli(
        "history",
        "export",
        "--out",
        tmp_path / "x.csv",
        "--db",
        db,
        "--excel",
        "--run",
        "mentoring@2026Q4#2",
    )
    assert (tmp_path / "x.csv").read_bytes().startswith(BOM + b"program,")


@pytest.mark.parametrize("shared", [False, True])
def test_a_rerun_leaves_only_its_own_files(
    shared: bool, small_program: Path, tmp_path: Path, run_cli: RunCli
) -> None:
    """Regression: a re-run without --explain left the previous run's candidates.csv."""
    out = tmp_path / "out"
    if shared:  # a folder that also holds the user's files is written file by file
        out.mkdir()
        (out / "notes.txt").write_text("mine", encoding="utf-8")
    db = tmp_path / "h.db"
    run_cli("assign", small_program, "--out", out, "--db", db, "--quiet", "--explain")
    assert (out / "candidates.csv").is_file()
    run_cli("assign", small_program, "--out", out, "--db", db, "--quiet")
    assert not (out / "candidates.csv").exists()
    assert (out / "review.xlsx").is_file()
    if shared:
        assert (out / "notes.txt").read_text(encoding="utf-8") == "mine"
