"""Loading employees and interactions: formats, located errors, dropped rows."""

from __future__ import annotations

import contextlib
import json
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import event, given
from hypothesis import strategies as st
from pydantic import ValidationError

from matcher.errors import DataError
from matcher.io.load import (
    EMPLOYEE_FIELDS,
    TRUE_WORDS,
    load_employees,
    load_interactions,
    load_org,
    parse_employees,
)
from matcher.io.tables import iter_batches
from matcher.model import CHANNELS, Channel, Employee, zone
from tests.support import TINY_EMPLOYEES, TINY_INTERACTIONS

EMPLOYEES, INTERACTIONS = TINY_EMPLOYEES, TINY_INTERACTIONS  # the tiny org of tests.support


def write(tmp_path: Path, name: str, text: str | bytes) -> Path:
    path = tmp_path / name
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    return path


def problems_of(
    excinfo: pytest.ExceptionInfo[DataError],
) -> list[tuple[int | None, str | None, str]]:
    return [(p.row, p.column, p.message) for p in excinfo.value.problems]


def test_employees_parse_all_fields(tmp_path: Path) -> None:
    people = load_employees(write(tmp_path, "e.csv", EMPLOYEES))
    assert [p.id for p in people] == ["E1", "E2", "E3", "E4"]
    assert people[0].languages == ("en", "de")
    assert people[1].roles == ("mentee", "buddy")
    assert people[1].opt_out is False and people[3].opt_out is True
    assert people[0].attributes == {"office": "Berlin"}
    assert people[0].work_start == 9.0 and people[0].work_end == 17.0
    assert people[3].hire_date is None


def test_employees_with_the_same_columns_share_their_set_of_given_fields(tmp_path: Path) -> None:
    """The loader shares pydantic's per-model set of given fields between records with the
    same filled columns (memory at a million people); each set is still that record's."""
    people = load_employees(
        write(tmp_path, "e.csv", "id,team,level\nE1,Core,2\nE2,Apps,3\nE3,,4\n")
    )
    first, second, third = people
    assert first.model_fields_set == {"id", "team", "level", "attributes"}
    assert first.model_fields_set is second.model_fields_set
    assert third.model_fields_set == {"id", "level", "attributes"}
    copied = first.model_copy(update={"team": "Data"})
    copied.model_fields_set.add("name")
    assert "name" not in second.model_fields_set


def test_org_drops_opted_out_people_and_their_rows(tmp_path: Path) -> None:
    org, rejects = load_org(
        write(tmp_path, "e.csv", EMPLOYEES), write(tmp_path, "i.csv", INTERACTIONS)
    )
    assert org.ids == ["E1", "E2", "E3"]
    assert org.report.opted_out == 1
    assert org.report.self_interactions == 1
    assert org.report.unknown_ids == 1
    assert org.report.kept == 5
    reasons = dict(
        zip(rejects.column("row").to_pylist(), rejects.column("reason").to_pylist(), strict=True)
    )
    assert reasons == {6: "self-interaction", 7: "unknown source id"}
    table = org.interactions
    assert table.channel[-1] == CHANNELS.index(Channel.MEETING)  # blank channel = meeting
    assert table.weight[-1] == 2.0
    assert np.isnan(table.duration[0]) is np.False_ and table.duration[0] == 30
    # 10:00+02:00 is 08:00 UTC; naive timestamps are UTC
    assert table.timestamp[0] == 1790582400
    assert table.event[2] == table.event[3] >= 0 and table.event[0] == -1
    assert org.manager_of["E4"] == "E2"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("id,manager_id\nE1,\nE1,\n", (3, "id", "duplicate id 'E1' (first on row 2)")),
        ("id,manager_id\nE1,E7\n", (2, "manager_id", "manager_id 'E7' is not an employee id")),
        (
            "id,manager_id\nE1,E2\nE2,E1\n",
            (2, "manager_id", "the manager chain forms a cycle: E1 → E2 → E1"),
        ),
        ("id,manager_id\nE1,E1\n", (2, None, "an employee cannot be their own manager")),
        ("id,hire_date\nE1,2026-13-01\n", (2, "hire_date", None)),
        ("id,timezone\nE1,Mars/Olympus\n", (2, "timezone", "unknown time zone 'Mars/Olympus'")),
        ("id,level\nE1,senior\n", (2, "level", None)),
        ("id,work_start\nE1,25\n", (2, "work_start", None)),
        ("id,opt_out\nE1,maybe\n", (2, "opt_out", "expected true or false, found 'maybe'")),
        ("id,name\n,Ann\n", (2, "id", None)),
    ],
)
def test_employee_errors_are_located(
    tmp_path: Path, text: str, expected: tuple[int, str | None, str | None]
) -> None:
    with pytest.raises(DataError) as excinfo:
        load_employees(write(tmp_path, "e.csv", text))
    row, column, message = expected
    found = problems_of(excinfo)
    assert any(
        r == row and c == column and (message is None or message in m) for r, c, m in found
    ), found
    assert str(tmp_path / "e.csv") in str(excinfo.value)


def test_all_problems_reported_at_once_with_a_cap(tmp_path: Path) -> None:
    rows = "\n".join(f"E{i},Nowhere/Zone" for i in range(120))
    with pytest.raises(DataError) as excinfo:
        load_employees(write(tmp_path, "e.csv", "id,timezone\n" + rows + "\n"))
    assert excinfo.value.total == 120
    assert len(excinfo.value.problems) == 50
    assert "… and 70 more problem(s)" in str(excinfo.value)


@pytest.mark.parametrize(
    ("row", "column", "message"),
    [
        ("E1,E2,yesterday,chat,,,", "timestamp", "expected an ISO 8601 timestamp"),
        ("E1,E2,2026-09-01T10:00:00Z,fax,,,", "channel", "unknown channel 'fax'"),
        ("E1,E2,2026-09-01T10:00:00Z,call,-5,,", "duration_minutes", "duration cannot be negative"),
        (
            "E1,E2,2026-09-01T10:00:00Z,call,ten,,",
            "duration_minutes",
            "expected a number of minutes",
        ),
        ("E1,E2,2026-09-01T10:00:00Z,call,,,-1", "weight", "weight cannot be negative"),
        (",E2,2026-09-01T10:00:00Z,call,,,", "source", "missing employee id"),
    ],
)
def test_interaction_errors_are_located(
    tmp_path: Path, row: str, column: str, message: str
) -> None:
    text = (
        "source,target,timestamp,channel,duration_minutes,event_id,weight\nE1,E2,2026-09-01T10:00:00Z,chat,,,\n"
        + row
        + "\n"
    )
    with pytest.raises(DataError) as excinfo:
        load_interactions(write(tmp_path, "i.csv", text), ["E1", "E2"])
    assert any(r == 3 and c == column and message in m for r, c, m in problems_of(excinfo)), (
        problems_of(excinfo)
    )


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "the file is empty"),
        (b"id,name\n", "the file has no records"),
        (b"name,team\nAnn,Core\n", "required column is missing"),
        ("id,name\nE1,J\u00e9r\u00f4me\n".encode("latin-1"), "not UTF-8"),
        ("id,name\nE1,Ann\n".encode("utf-16"), "UTF-16"),
        (b"id,name\nE1,Ann\nE2,Bo,extra\n", "expected 2 fields, found 3"),
    ],
)
def test_unreadable_employee_files(tmp_path: Path, data: bytes, message: str) -> None:
    with pytest.raises(DataError) as excinfo:
        load_employees(write(tmp_path, "e.csv", data))
    assert message in str(excinfo.value)


def test_missing_file_and_unknown_type(tmp_path: Path) -> None:
    with pytest.raises(DataError, match="file not found"):
        load_employees(tmp_path / "nope.csv")
    with pytest.raises(DataError, match="unsupported file type"):
        load_employees(write(tmp_path, "e.docx", "x"))


def test_semicolon_and_tab_delimiters_and_bom(tmp_path: Path) -> None:
    semicolon = load_employees(write(tmp_path, "e.csv", "\ufeffid;team;languages\nE1;Core;en\n"))
    assert semicolon[0].team == "Core"
    tab = load_employees(write(tmp_path, "t.tsv", "id\tteam\nE1\tCore\n"))
    assert tab[0].team == "Core"


def test_other_formats_agree_with_csv(tmp_path: Path) -> None:
    csv_people = load_employees(write(tmp_path, "e.csv", EMPLOYEES))
    records = [
        {"id": "E1", "manager_id": None, "languages": ["en", "de"], "level": 5, "opt_out": False},
        {"id": "E2", "manager_id": "E1", "languages": "en", "level": 3, "opt_out": False},
    ]
    from_json = load_employees(write(tmp_path, "e.json", json.dumps(records)))
    from_jsonl = load_employees(
        write(tmp_path, "e.jsonl", "\n".join(json.dumps(r) for r in records))
    )
    assert [e.languages for e in from_json] == [("en", "de"), ("en",)]
    assert [e.model_dump() for e in from_json] == [e.model_dump() for e in from_jsonl]
    table = pa.table({"id": ["E1", "E2"], "level": [5, 3], "manager_id": [None, "E1"]})
    pq.write_table(table, tmp_path / "e.parquet")
    assert [e.level for e in load_employees(tmp_path / "e.parquet")] == [5, 3]
    openpyxl = pytest.importorskip("openpyxl")
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["id", "hire_date", "level", "languages"])
    import datetime as dt

    sheet.append(["E1", dt.datetime(2020, 1, 1), 5, "en;de"])
    book.save(tmp_path / "e.xlsx")
    from_xlsx = load_employees(tmp_path / "e.xlsx")
    assert from_xlsx[0].hire_date == csv_people[0].hire_date
    assert from_xlsx[0].languages == ("en", "de")


def test_interactions_in_parquet_with_native_timestamps(tmp_path: Path) -> None:
    import datetime as dt

    stamp = dt.datetime(2026, 9, 1, 10, tzinfo=dt.UTC)
    table = pa.table(
        {
            "source": ["E1"],
            "target": ["E2"],
            "timestamp": pa.array([stamp], pa.timestamp("s", tz="UTC")),
        }
    )
    pq.write_table(table, tmp_path / "i.parquet")
    loaded = load_interactions(tmp_path / "i.parquet", ["E1", "E2"])
    assert loaded.table.timestamp.tolist() == [int(stamp.timestamp())]


def test_large_file_is_streamed_in_batches(tmp_path: Path) -> None:
    lines = ["source,target,timestamp,channel"]
    lines += [f"E{i % 7},E{(i + 1) % 7},2026-09-01T10:00:00Z,chat" for i in range(5000)]
    path = write(tmp_path, "i.csv", "\n".join(lines) + "\n")
    batches = list(iter_batches(path, ("source",), block_size=1 << 12))
    assert len(batches) > 10
    assert batches[1].rows[0] == 2 + batches[0].data.num_rows
    loaded = load_interactions(path, [f"E{i}" for i in range(7)], block_size=1 << 12)
    assert len(loaded.table) == 5000


cells = st.text(alphabet=st.sampled_from(list('abcE1,;"\n\r\t -:+=T9é\x00')), max_size=12)


@given(
    header=st.lists(
        st.sampled_from(
            [
                "id",
                "manager_id",
                "timezone",
                "hire_date",
                "level",
                "source",
                "target",
                "timestamp",
                "channel",
                "weight",
                "x",
            ]
        ),
        min_size=1,
        max_size=6,
    ),
    rows=st.lists(st.lists(cells, min_size=0, max_size=7), max_size=6),
    raw=st.binary(max_size=40),
)
def test_loaders_raise_only_data_errors(
    tmp_path_factory: pytest.TempPathFactory, header: list[str], rows: list[list[str]], raw: bytes
) -> None:
    folder = tmp_path_factory.mktemp("fuzz")
    text = ",".join(header) + "\n" + "\n".join(",".join(r) for r in rows)
    for data in (text.encode("utf-8"), raw, text.encode("utf-8") + raw):
        path = folder / "f.csv"
        path.write_bytes(data)
        with contextlib.suppress(DataError):
            load_employees(path)
        with contextlib.suppress(DataError):
            load_interactions(path, ["E1", "a"])


_pad = st.sampled_from(["", " ", "  ", "\t"])
_word = st.sampled_from(["a", "b c", "Ünï", "x-y"])


@st.composite
def _employee_cells(draw: st.DrawFn, k: int) -> dict[str, str | None]:
    def cell(value: str, pad: bool = False) -> str | None:
        padded = draw(_pad) + value + draw(_pad) if pad else value
        return draw(st.sampled_from([None, draw(_pad), padded]))

    items = st.lists(st.one_of(_word, _pad), max_size=4)
    return {
        "id": draw(_pad) + f"E{k}" + draw(_pad),
        "name": cell(" Ann", pad=True),
        "manager_id": None if k == 0 else cell(f"E{draw(st.integers(0, k - 1))}", pad=True),
        "team": cell("T1"),
        "timezone": cell("Europe/Berlin"),
        "work_start": cell("8.5"),
        "hire_date": cell("2024-02-29"),
        "level": cell("3"),
        "opt_out": draw(st.sampled_from([None, "", "no", " yes "])),
        "languages": draw(st.one_of(st.none(), items.map(";".join))),
        "roles": draw(st.one_of(st.none(), items.map(" ; ".join))),
        "office": cell("B2"),
    }


def _raw_record(row: dict[str, str | None]) -> dict[str, object]:
    """A row as the model's own input: the contract's fields (missing ones left out), the rest
    as attributes, ``opt_out`` as a boolean (the drawn cells are all valid words)."""
    record: dict[str, object] = {
        k: v for k, v in row.items() if k in EMPLOYEE_FIELDS and v is not None
    }
    record["attributes"] = {k: v or "" for k, v in row.items() if k not in EMPLOYEE_FIELDS}
    if isinstance(row["opt_out"], str):
        record["opt_out"] = row["opt_out"].strip().lower() in TRUE_WORDS
    return record


@given(st.integers(1, 6).flatmap(lambda n: st.tuples(*[_employee_cells(k) for k in range(n)])))
def test_column_cleaning_equals_the_models_own_cleaning(rows: tuple[dict, ...]) -> None:
    """The loader cleans cells column by column and then skips the model's per-record
    cleaning; the employees are those the model makes of the raw records."""
    table = pa.table({name: pa.array([r[name] for r in rows], pa.string()) for name in rows[0]})
    expected = []
    try:
        for row in table.to_pylist():
            expected.append(Employee.model_validate(_raw_record(row)))
    except ValidationError:
        event("a record the model rejects")
        with pytest.raises(DataError):
            parse_employees(table, "employees.csv")
        return
    event("every record valid")
    assert parse_employees(table, "employees.csv") == expected


def test_parquet_text_that_is_not_utf8_is_a_located_error(tmp_path: Path) -> None:
    names = pa.array([b"Ada", b"\xffBo"], pa.binary()).view(pa.string())  # Parquet stores it as is
    pq.write_table(pa.table({"id": ["E1", "E2"], "name": names}), tmp_path / "e.parquet")
    with pytest.raises(DataError, match="not UTF-8") as caught:
        load_employees(tmp_path / "e.parquet")
    assert caught.value.problems[0].column == "name"


def test_a_time_zone_name_too_long_for_a_file_is_an_unknown_zone() -> None:
    """ZoneInfo looks a name up as a file: a 300-character name raised OSError (found by the
    hostile-input fuzz), now the same located error as any unknown zone."""
    with pytest.raises(ValueError, match="unknown time zone"):
        zone("Europe/" + "x" * 300)


@given(
    known=st.lists(st.sampled_from([f"E{k}" for k in range(12)]), max_size=10),
    opted=st.lists(st.sampled_from(["E1", "E20", "E21"]), max_size=3),
    ids=st.lists(st.one_of(st.none(), st.sampled_from([f"E{k}" for k in range(25)])), max_size=40),
)
def test_screen_positions_are_those_of_index_in(
    known: list[str], opted: list[str], ids: list[str | None]
) -> None:
    import pyarrow as pa
    import pyarrow.compute as pc

    from matcher.io.load.interactions import _Screen

    screen = _Screen.of(known, opted, None)
    values = pa.array(ids, pa.string())
    expected = pc.index_in(values, value_set=screen.known).to_pylist()
    assert screen.positions(values).tolist() == [-1 if k is None else k for k in expected]
