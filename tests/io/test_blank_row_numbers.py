"""Row numbers after a blank row (issue #16: the XLSX reader reported the wrong row).

Both readers used to drop blank rows before the loaders numbered records as
``first_row + index``, so every problem after a blank row was reported one row too early. The
readers now carry each record's row number (``Batch.rows``) to the loaders.
"""

from __future__ import annotations

from pathlib import Path

import openpyxl
import pytest
from hypothesis import given
from hypothesis import strategies as st

from matcher.errors import DataError
from matcher.ingest.hris import Mapping, read_hris
from matcher.io.load import load_employees, load_interactions, load_org


def test_xlsx_problem_after_a_blank_row_names_its_spreadsheet_row(tmp_path: Path) -> None:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.append(["id", "timezone"])
    sheet.append(["E1", "Europe/Berlin"])
    sheet.append([])  # row 3: blank
    sheet.append(["E2", "Mars/Base"])  # row 4
    workbook.save(tmp_path / "employees.xlsx")
    with pytest.raises(DataError) as error:
        load_org(tmp_path / "employees.xlsx", None)
    assert "row 4, column 'timezone'" in str(error.value)


def test_csv_problem_after_a_blank_line_names_its_row(tmp_path: Path) -> None:
    (tmp_path / "employees.csv").write_text(
        "id,timezone\nE1,Europe/Berlin\n\nE2,Mars/Base\n", encoding="utf-8"
    )
    with pytest.raises(DataError) as error:
        load_org(tmp_path / "employees.csv", None)
    assert "row 4, column 'timezone'" in str(error.value)


# ------------------------------------------------------------------ any table, any blank rows

BLANK_CSV_LINES = ("", ",")  # an empty line, and the blank row Excel writes


@st.composite
def tables_with_blank_rows(draw: st.DrawFn) -> tuple[list[list[str] | None], set[int]]:
    """``(lines, bad)``: records of ``id,timezone`` (``None`` = a blank row) and the
    spreadsheet rows (header = row 1) whose timezone is bad."""
    lines: list[list[str] | None] = []
    bad: set[int] = set()
    for index in range(draw(st.integers(1, 12))):
        lines += [None] * draw(st.integers(0, 2))
        wrong = draw(st.booleans())
        lines.append([f"E{index}", "Mars/Base" if wrong else "Europe/Berlin"])
        if wrong:
            bad.add(len(lines) + 1)
    lines += [None] * draw(st.integers(0, 2))  # blank rows at the end too
    return lines, bad


def _timezone_rows(error: DataError) -> set[int]:
    return {p.row for p in error.problems if p.column in ("timezone", "Time Zone") and p.row}


@given(table=tables_with_blank_rows(), blank=st.sampled_from(BLANK_CSV_LINES))
def test_every_reported_row_is_the_row_a_spreadsheet_shows(
    scratch_dir: Path, table: tuple[list[list[str] | None], set[int]], blank: str
) -> None:
    lines, bad = table
    csv_path = scratch_dir / "employees.csv"
    csv_path.write_text(
        "id,timezone\n" + "".join(f"{blank if r is None else ','.join(r)}\n" for r in lines),
        encoding="utf-8",
    )
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.append(["id", "timezone"])
    for record in lines:
        sheet.append(record or [])
    xlsx_path = scratch_dir / "employees.xlsx"
    workbook.save(xlsx_path)
    for path in (csv_path, xlsx_path):
        if not bad:
            assert len(load_employees(path)) == sum(r is not None for r in lines)
            continue
        with pytest.raises(DataError) as error:
            load_employees(path)
        assert _timezone_rows(error.value) == bad, path.suffix
    mapping = Mapping(columns={"id": "Employee ID", "timezone": "Time Zone"})
    hris = scratch_dir / "workers.csv"
    hris.write_text(
        "Employee ID,Time Zone\n"
        + "".join(f"{blank if r is None else ','.join(r)}\n" for r in lines),
        encoding="utf-8",
    )
    if bad:
        with pytest.raises(DataError) as error:
            read_hris(hris, mapping)
        assert _timezone_rows(error.value) == bad


@given(table=tables_with_blank_rows())
def test_interaction_problems_and_rejects_name_their_rows(
    scratch_dir: Path, table: tuple[list[list[str] | None], set[int]]
) -> None:
    lines, bad = table
    body = []
    for record in lines:
        if record is None:
            body.append("")
        else:
            stamp = "not a date" if record[1] == "Mars/Base" else "2026-09-01T10:00:00Z"
            body.append(f"{record[0]},E0,{stamp}")
    path = scratch_dir / "interactions.csv"
    path.write_text("source,target,timestamp\n" + "\n".join(body) + "\n", encoding="utf-8")
    records = [r for r in lines if r is not None]
    if bad:
        with pytest.raises(DataError) as error:
            load_interactions(path, [r[0] for r in records])
        assert {p.row for p in error.value.problems if p.column == "timestamp"} == bad
        return
    loaded = load_interactions(path, [r[0] for r in records[1:]])  # E0 unknown: all rejected
    rows = [i + 2 for i, r in enumerate(lines) if r is not None]
    assert loaded.rejects_table.column("row").to_pylist() == rows


def test_a_line_of_spaces_keeps_its_row(tmp_path: Path) -> None:
    path = tmp_path / "employees.csv"
    path.write_text("id\nE1\n \n\nE1\n", encoding="utf-8")
    with pytest.raises(DataError) as error:
        load_employees(path)
    assert "row 5, column 'id': duplicate id 'E1' (first on row 2)" in str(error.value)
