"""Hostile employees and interactions files (dates that would mislead the analysis, JSON Lines
oddities, fuzzed CSV, JSON, Parquet and Excel) end in a :class:`MatcherError` (exit 1, a located
message) or load: never a traceback."""

from __future__ import annotations

import csv
import io
import json
import math
from pathlib import Path

import openpyxl
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from matcher.errors import MatcherError
from matcher.io.load import load_employees, load_interactions
from tests.fuzz import NASTY, harmless, mutations, written
from tests.paths import FIXTURES
from tests.support import OrgFiles, RunCli

EMPLOYEES = FIXTURES / "employees.csv"

# --------------------------------------------------- dates that would mislead the analysis

HEADER = "source,target,timestamp,channel\n"


def dated_org(tmp_path: Path, rows: str, hire: str = "2020-01-01") -> OrgFiles:
    """Six people (E3 hired on ``hire``) and the interactions ``rows``."""
    employees = tmp_path / "employees.csv"
    employees.write_text(
        "id,team,hire_date\n"
        + "".join(f"E{i},T{i % 2},{hire if i == 3 else '2020-01-01'}\n" for i in range(1, 7))
    )
    interactions = tmp_path / "interactions.csv"
    interactions.write_text(HEADER + rows)
    return OrgFiles(employees, interactions)


WEEK = "".join(
    f"E{a},E{b},2026-09-{d:02d}T10:00:00+00:00,video\n"
    for d in range(1, 29)
    for a, b in ((1, 2), (2, 1), (3, 4), (4, 3), (5, 6), (6, 5), (1, 3), (3, 1))
)


@pytest.mark.parametrize("year", ["2100", "9999"])
def test_one_future_interaction_does_not_move_the_analysis_date(
    tmp_path: Path, year: str, run_cli: RunCli
) -> None:
    employees, interactions = dated_org(
        tmp_path, WEEK + f"E1,E2,{year}-01-01T00:00:00+00:00,chat\n"
    )
    out = tmp_path / "out"
    result = run_cli(
        "analyze",
        "--employees",
        employees,
        "--interactions",
        interactions,
        "--out",
        out,
        "--json",
        "--quiet",
    )
    summary = json.loads(result.stdout)
    assert summary["as_of"].startswith("2026-09-28")
    assert summary["load"]["dropped_future_dated"] == 1
    assert "warning:" in result.stderr and "dated after tomorrow" in result.stderr
    assert "in the future" in (out / "rejects.csv").read_text()


def test_hire_date_long_after_the_analysis_date_is_an_error(
    tmp_path: Path, run_cli: RunCli
) -> None:
    employees, interactions = dated_org(tmp_path, WEEK, hire="9999-12-31")
    out = tmp_path / "o"
    stderr = run_cli(
        "analyze", "--employees", employees, "--interactions", interactions, "--out", out, code=1
    ).stderr
    assert "row 4, column 'hire_date'" in stderr and "9999-12-31" in stderr


def test_a_future_starter_is_a_new_hire_not_an_error(tmp_path: Path, run_cli: RunCli) -> None:
    """HR exports list people who start next month; onboarding pairs them before day one."""
    employees, interactions = dated_org(tmp_path, WEEK, hire="2026-10-20")  # as of 2026-09-28
    run_cli(
        "analyze", "--employees", employees, "--interactions", interactions, "--out", tmp_path / "o"
    )
    with (tmp_path / "o" / "analysis.csv").open(encoding="utf-8") as handle:
        row = next(r for r in csv.DictReader(handle) if r["id"] == "E3")
    assert "new_hire" in row["flags"]


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


# ------------------------------------------------------------------------------ fuzz suite

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
def test_fuzz_employees_csv(scratch_dir: Path, data: bytes) -> None:
    harmless(lambda: load_employees(written(scratch_dir, "employees.csv", data)))


@given(data=mutations(INTERACTIONS_SEED))
def test_fuzz_interactions_csv(scratch_dir: Path, data: bytes) -> None:
    path = written(scratch_dir, "interactions.csv", data)
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
        row: dict[str, object] = {key: draw(CELLS) for key in required}
        row.update(draw(st.dictionaries(keys, CELLS, max_size=5)))
        rows.append(row)
    return rows


def json_bytes(value: object) -> bytes:
    return json.dumps(value, default=str).encode()


def table_bytes(rows: list[dict[str, object]], form: str) -> bytes:
    """``rows`` as a JSON, JSON Lines, Parquet (every cell as text) or Excel file's bytes."""
    if form == "json":
        return json_bytes(rows)
    if form == "jsonl":
        return b"\n".join(json_bytes(r) for r in rows)
    keys = sorted({k for r in rows for k in r})
    buffer = io.BytesIO()
    if form == "parquet":
        columns = {
            k: pa.array([None if r.get(k) is None else str(r.get(k)) for r in rows]) for k in keys
        }
        pq.write_table(pa.table(columns), buffer)
        return buffer.getvalue()
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(keys)
    for r in rows:
        sheet.append([xlsx_cell(r.get(k)) for k in keys])
    book.save(buffer)
    return buffer.getvalue()


def xlsx_cell(value: object) -> object:
    """``value`` as a cell openpyxl can write."""
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    if isinstance(value, int) and abs(value) > 2**53:
        return str(value)
    if isinstance(value, list | dict):
        return json.dumps(value)
    if isinstance(value, str):
        return "".join(c for c in value if c.isprintable())
    return value


FORMS = st.sampled_from(["json", "jsonl", "parquet", "xlsx"])


@given(rows=records(EMPLOYEE_KEYS, ("id",)), form=FORMS)
@settings(max_examples=60)
def test_fuzz_employee_records(scratch_dir: Path, rows: list[dict[str, object]], form: str) -> None:
    path = written(scratch_dir, f"employees.{form}", table_bytes(rows, form))
    harmless(lambda: load_employees(path))


@given(rows=records(INTERACTION_KEYS, ("source", "target", "timestamp")), form=FORMS)
@settings(max_examples=60)
def test_fuzz_interaction_records(
    scratch_dir: Path, rows: list[dict[str, object]], form: str
) -> None:
    path = written(scratch_dir, f"interactions.{form}", table_bytes(rows, form))
    harmless(lambda: load_interactions(path, ["E1", "E2"]))


SEED_ROWS: list[dict[str, object]] = [{"id": "E1", "team": "T", "hire_date": "2020-01-01"}]
XLSX_SEED, PARQUET_SEED = table_bytes(SEED_ROWS, "xlsx"), table_bytes(SEED_ROWS, "parquet")


@given(
    data=mutations(XLSX_SEED) | mutations(PARQUET_SEED), form=st.sampled_from(["xlsx", "parquet"])
)
@settings(max_examples=50)
def test_fuzz_binary_tables(scratch_dir: Path, data: bytes, form: str) -> None:
    harmless(lambda: load_employees(written(scratch_dir, f"employees.{form}", data)))
