"""HRIS spreadsheets (CSV or XLSX) to ``employees.csv`` through a small mapping file.

The mapping (``hris.toml``) names, for each of our fields, the header of the column that holds
it, and how to read its values: date formats, list separators, value maps (``"Y"`` → ``true``)
and an optional regular expression whose first group is kept. Only mapped columns are read
into the output; everything else in the report (salaries, home addresses …) is ignored.

The header row is found by looking for the mapped headers in the first rows, so title rows
above it and merged header cells (a group label spanning several columns above their own
labels, or a label merged down over two rows) need no configuration. ``header_row`` pins it.

``--mapping workday`` is a ready mapping for a typical Workday worker report; see
:data:`WORKDAY_MAPPING`.
"""

from __future__ import annotations

import csv
import datetime as dt
import re
import tomllib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyarrow as pa
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from matcher.errors import ConfigError, DataError, Problem, ProblemCollector
from matcher.io.configs import read_toml, validate_model
from matcher.io.load import parse_employees
from matcher.io.tables import sniff_delimiter
from matcher.model import Employee

HEADER_SEARCH_ROWS = 30
FIELD_ORDER = tuple(f for f in Employee.model_fields if f != "attributes")
LIST_FIELDS = ("languages", "interests", "skills", "wants", "roles")
IDENTIFYING = ("name", "email")

WORKDAY_MAPPING = r"""# A typical Workday worker report (a custom report or "Workers" export to Excel or CSV).
# Columns not named here (compensation, personal data …) are never read.
optional = ["manager_id", "location", "timezone", "hire_date", "level"]

[columns]                 # our field = "their header"
id = "Employee ID"
email = "Work Email"
manager_id = "Manager ID"
team = "Supervisory Organization"
location = "Location"
timezone = "Time Zone"
hire_date = "Hire Date"
level = "Management Level"

[dates]                   # tried in order; Excel date cells need no format
hire_date = ["%Y-%m-%d", "%m/%d/%Y", "%d-%b-%Y"]

[extract]                 # keep the first group: "Payments (Jane Doe)" -> "Payments"
team = '^(.+?)\s*\([^()]*\)\s*$'

[values.level]            # Workday's delivered levels, 1 = most senior; ours: higher = more senior
"1 Chief Executive Officer" = "7"
"2 Senior Vice President" = "6"
"3 Vice President" = "5"
"4 Director" = "4"
"5 Manager" = "3"
"6 Supervisor" = "2"
"7 Individual Contributor" = "1"

[values.timezone]         # display names to IANA names; IANA names pass through unchanged
"GMT-10:00 Hawaii Time (Honolulu)" = "Pacific/Honolulu"
"GMT-08:00 Pacific Time (Los Angeles)" = "America/Los_Angeles"
"GMT-07:00 Mountain Time (Denver)" = "America/Denver"
"GMT-06:00 Central Time (Chicago)" = "America/Chicago"
"GMT-05:00 Eastern Time (New York)" = "America/New_York"
"GMT-03:00 Brasilia Time (Sao Paulo)" = "America/Sao_Paulo"
"GMT+00:00 Greenwich Mean Time (London)" = "Europe/London"
"GMT+00:00 Western European Time (Lisbon)" = "Europe/Lisbon"
"GMT+01:00 Central European Time (Amsterdam)" = "Europe/Amsterdam"
"GMT+01:00 Central European Time (Berlin)" = "Europe/Berlin"
"GMT+01:00 Central European Time (Madrid)" = "Europe/Madrid"
"GMT+01:00 Central European Time (Paris)" = "Europe/Paris"
"GMT+01:00 Central European Time (Warsaw)" = "Europe/Warsaw"
"GMT+02:00 Eastern European Time (Helsinki)" = "Europe/Helsinki"
"GMT+02:00 Israel Time (Jerusalem)" = "Asia/Jerusalem"
"GMT+04:00 Gulf Standard Time (Dubai)" = "Asia/Dubai"
"GMT+05:30 India Standard Time (Kolkata)" = "Asia/Kolkata"
"GMT+08:00 Singapore Time (Singapore)" = "Asia/Singapore"
"GMT+09:00 Japan Time (Tokyo)" = "Asia/Tokyo"
"GMT+10:00 Australian Eastern Time (Sydney)" = "Australia/Sydney"
"""
BUILT_IN = {"workday": WORKDAY_MAPPING}


def _field_name(name: str) -> str:
    if not re.fullmatch(r"[a-z][a-z0-9_]*", name):
        raise ValueError(f"{name!r} is not a column name (use lower case letters, digits and _)")
    if name == "attributes":
        raise ValueError("'attributes' is reserved")
    return name


class Mapping(BaseModel):
    """A mapping file: our field ← their header, and how to read the values."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    columns: dict[str, str | dict[str, str]] = Field(
        description="our field = their header; needs id. roles may instead be a table of "
        'role = "their opt-in header": a yes cell (yes, y, true, 1, x) gives the role'
    )
    optional: list[str] = Field(
        default_factory=list, description="fields whose column may be absent"
    )
    dates: dict[str, str | list[str]] = Field(default_factory=dict, description="strptime formats")
    lists: dict[str, str] = Field(default_factory=dict, description="their list separator")
    values: dict[str, dict[str, str]] = Field(default_factory=dict, description="value maps")
    extract: dict[str, str] = Field(default_factory=dict, description="regex, first group kept")
    sheet: str | None = Field(None, description="worksheet name (default: the first)")
    header_row: int | None = Field(None, ge=1, description="header row (default: found)")

    @field_validator("columns")
    @classmethod
    def _columns(cls, value: dict[str, str]) -> dict[str, str]:
        if "id" not in value:
            raise ValueError("the mapping must name the column of 'id'")
        for name, header in value.items():
            _field_name(name)
            if isinstance(header, dict):
                if name != "roles":
                    raise ValueError(
                        f"{name!r}: only roles may combine several columns (role = header)"
                    )
                if not header:
                    raise ValueError("roles: name at least one role = header")
                for role, role_header in header.items():
                    if not role.strip() or ";" in role:
                        raise ValueError(f"roles: {role!r} is not a role name")
                    if not role_header.strip():
                        raise ValueError(f"the header of role {role!r} is empty")
            elif not header.strip():
                raise ValueError(f"the header of {name!r} is empty")
        return value

    @field_validator("extract")
    @classmethod
    def _patterns(cls, value: dict[str, str]) -> dict[str, str]:
        for name, pattern in value.items():
            try:
                compiled = re.compile(pattern)
            except re.error as exc:
                raise ValueError(f"{name}: invalid regular expression: {exc}") from exc
            if compiled.groups < 1:
                raise ValueError(f"{name}: the regular expression needs a group (…) to keep")
        return value

    @model_validator(mode="after")
    def _known_fields(self) -> Mapping:
        for table in ("optional", "dates", "lists", "values", "extract"):
            names = getattr(self, table)
            for name in names:
                if name not in self.columns:
                    raise ValueError(f"{table}: {name!r} is not a field of [columns]")
        if "id" in self.optional:
            raise ValueError("optional: 'id' cannot be optional")
        if self.role_columns:
            for table in ("dates", "lists", "values", "extract"):
                if "roles" in getattr(self, table):
                    raise ValueError(
                        f"{table}: roles reads yes/no opt-in columns here; leave it out"
                    )
        return self

    @property
    def role_columns(self) -> dict[str, str]:
        """Role → their opt-in header, when ``roles`` combines several columns."""
        roles = self.columns.get("roles")
        return dict(roles) if isinstance(roles, dict) else {}

    def headers(self) -> dict[str, str]:
        """Their header of each column to find, by key: our field, or ``roles:ROLE`` for each
        opt-in column combined into ``roles``."""
        found: dict[str, str] = {}
        for field, header in self.columns.items():
            if isinstance(header, dict):
                found.update({f"{field}:{role}": h for role, h in header.items()})
            else:
                found[field] = header
        return found

    def header_of(self, field: str) -> str:
        """Their header(s) of one of our fields, as problems name it."""
        header = self.columns[field]
        return ", ".join(header.values()) if isinstance(header, dict) else header

    def date_formats(self, name: str) -> list[str]:
        formats = self.dates.get(name, [])
        return [formats] if isinstance(formats, str) else list(formats)


MERGED_TABLES = ("columns", "dates", "lists", "values", "extract")
"""Tables a mapping file's ``extends`` merges field by field (the file's own entries win)."""


def extended(tables: dict[str, Any], label: str | Path) -> dict[str, Any]:
    """A mapping file's tables with ``extends = "workday"`` resolved: the built-in mapping's
    tables, with the file's own fields added or replacing theirs, and ``optional`` the union
    (``sheet`` and ``header_row`` from the file when it sets them).

    Examples
    --------
    >>> tables = extended({"extends": "workday", "columns": {"languages": "Languages"}}, "x")
    >>> tables["columns"]["id"], tables["columns"]["languages"]
    ('Employee ID', 'Languages')
    >>> extended({"extends": "bamboo"}, "hris.toml")
    Traceback (most recent call last):
    ...
    matcher.errors.ConfigError: hris.toml: extends: 'bamboo' is not a built-in mapping (workday)
    """
    own = dict(tables)
    name = own.pop("extends", None)
    if name is None:
        return own
    names = ", ".join(sorted(BUILT_IN))
    if not isinstance(name, str) or name.lower() not in BUILT_IN:
        raise ConfigError(f"{label}: extends: {name!r} is not a built-in mapping ({names})")
    merged = tomllib.loads(BUILT_IN[name.lower()])
    for key, value in own.items():
        if key in MERGED_TABLES and isinstance(value, dict):
            merged[key] = {**merged.get(key, {}), **value}
        elif key == "optional" and isinstance(value, list):
            base = merged.get("optional", [])
            merged[key] = [*base, *(v for v in value if v not in base)]
        else:
            merged[key] = value
    return merged


def load_mapping(spec: str | Path) -> tuple[Mapping, str]:
    """A mapping from a TOML file or a built-in name (``workday``); returns it and its label.

    A file may start from a built-in mapping with ``extends = "workday"`` and add its own
    columns (opt-ins, languages, an office) or replace any of the built-in fields.
    """
    text = str(spec)
    if text.lower() in BUILT_IN and not Path(text).exists():
        label = f"{text.lower()} (built-in mapping)"
        return validate_model(Mapping, tomllib.loads(BUILT_IN[text.lower()]), label), label
    path = Path(spec)
    if not path.is_file():
        names = ", ".join(sorted(BUILT_IN))
        raise ConfigError(f"{path}: mapping file not found (built-in mappings: {names})")
    return validate_model(Mapping, extended(read_toml(path), path), path), str(path)


# ----------------------------------------------------------------------------- reading


@dataclass(frozen=True)
class Sheet:
    """Rows of a spreadsheet with their row numbers (1-based, as the spreadsheet shows them)."""

    rows: list[tuple[int, list[Any]]]


def _read_csv(path: Path) -> Sheet:

    try:
        with path.open(encoding="utf-8-sig", newline="") as handle:
            sample = handle.read(1 << 16)
            handle.seek(0)
            if handle.read(1) != "\ufeff":
                handle.seek(0)
            lines = sample.splitlines()
            delimiter = max(
                (sniff_delimiter(line, ()) for line in lines[:HEADER_SEARCH_ROWS] if line),
                key=lambda d: sum(line.count(d) for line in lines[:HEADER_SEARCH_ROWS]),
                default=",",
            )
            reader = csv.reader(handle, delimiter=delimiter)
            return Sheet([(n, list(r)) for n, r in enumerate(reader, start=1)])
    except UnicodeDecodeError as exc:
        raise DataError(
            [Problem(str(path), None, None, "the file is not UTF-8 text; save it as CSV UTF-8")]
        ) from exc
    except csv.Error as exc:
        raise DataError([Problem(str(path), None, None, f"malformed CSV: {exc}")]) from exc


def _read_xlsx(path: Path, sheet_name: str | None) -> Sheet:
    import openpyxl  # imported when a spreadsheet is read: ~0.15 s at every start-up otherwise

    try:
        workbook = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many unrelated types for a broken file
        raise DataError(
            [Problem(str(path), None, None, f"cannot be read as an Excel workbook: {exc}")]
        ) from exc
    try:
        if not workbook.worksheets:
            raise DataError([Problem(str(path), None, None, "the workbook has no worksheets")])
        if sheet_name is None:
            sheet = workbook.worksheets[0]
        elif sheet_name in workbook.sheetnames:
            sheet = workbook[sheet_name]
        else:
            names = ", ".join(workbook.sheetnames)
            raise DataError(
                [Problem(str(path), None, None, f"no sheet named {sheet_name!r} (sheets: {names})")]
            )
        rows: list[tuple[int, list[Any]]] = []
        try:
            for number, row in enumerate(sheet.iter_rows(values_only=True), start=1):
                rows.append((number, list(row)))
        except Exception as exc:  # read-only sheets are parsed lazily, with the same many types
            raise DataError(
                [
                    Problem(
                        str(path),
                        len(rows) + 1,
                        None,
                        f"cannot be read as an Excel workbook: {exc}",
                    )
                ]
            ) from exc
        return Sheet(rows)
    finally:
        workbook.close()


def read_sheet(path: Path, sheet_name: str | None) -> Sheet:
    """Every row of a CSV file or an XLSX worksheet, with its row number."""
    if not path.is_file():
        raise DataError([Problem(str(path), None, None, "file not found")])
    if path.suffix.lower() in (".xlsx", ".xlsm"):
        return _read_xlsx(path, sheet_name)
    return _read_csv(path)


def _label(value: Any) -> str:
    return " ".join(str(value).split()).casefold() if value is not None else ""


def find_header(sheet: Sheet, mapping: Mapping, file: str) -> tuple[int, dict[str, int]]:
    """The index of the header row in ``sheet.rows`` and each mapped field's column.

    A column's label is its lowest non-empty cell from the top down to the header row, so a
    label merged down over two rows, or a group label above, is read as a spreadsheet shows
    it. The header row is the first row where the most mapped headers are found.
    """
    headers = mapping.headers()
    wanted = {key: _label(header) for key, header in headers.items()}
    labels: list[str] = []
    best: tuple[int, int, list[str]] = (-1, -1, [])
    last = len(sheet.rows) if mapping.header_row else min(len(sheet.rows), HEADER_SEARCH_ROWS)
    for index in range(last):
        number, row = sheet.rows[index]
        labels += [""] * (len(row) - len(labels))
        for column, value in enumerate(row):
            if _label(value):
                labels[column] = _label(value)
        if mapping.header_row is not None:
            if number == mapping.header_row:
                best = (index, 0, list(labels))
                break
            continue
        found = sum(1 for header in wanted.values() if header in labels)
        if found > best[1]:
            best = (index, found, list(labels))
    index, _, header_labels = best
    if index < 0:
        raise DataError(
            [Problem(file, mapping.header_row, None, "the header row is past the end of the sheet")]
        )
    problems = ProblemCollector()
    where: dict[str, int] = {}
    shown = ", ".join(repr(h) for h in header_labels if h) or "none"
    header_row = sheet.rows[index][0]
    for field, header in wanted.items():
        columns = [i for i, label in enumerate(header_labels) if label == header]
        if len(columns) > 1:
            problems.add(
                file,
                header_row,
                headers[field],
                f"the header appears in {len(columns)} columns; rename one in the report",
            )
        elif columns:
            where[field] = columns[0]
        elif field.split(":")[0] not in mapping.optional:
            problems.add(
                file,
                header_row,
                headers[field],
                f"column for {field!r} not found (headers: {shown}); fix the mapping or list the field under optional",
            )
    problems.raise_if_any()
    return index, where


# ----------------------------------------------------------------------------- values


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time(0) else value.isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, bool):
        return "true" if value else "false"
    return " ".join(str(value).split())


def _date(value: Any, formats: Sequence[str]) -> str | None:
    """An ISO date from a date cell, an ISO string or one of ``formats``; ``None`` if none fits."""
    if isinstance(value, dt.datetime | dt.date):
        return (value.date() if isinstance(value, dt.datetime) else value).isoformat()
    text = _text(value)
    try:
        return dt.date.fromisoformat(text[:10]).isoformat() if len(text) >= 10 else None
    except ValueError:
        pass
    for layout in formats:
        try:
            return dt.datetime.strptime(text, layout).date().isoformat()
        except ValueError:
            continue
    return None


class _Converter:
    """Read one field's cell as the mapping says."""

    def __init__(self, mapping: Mapping, field: str) -> None:
        self.field = field
        self.header = mapping.header_of(field)
        pattern = mapping.extract.get(field)
        self.pattern = re.compile(pattern) if pattern else None
        values = mapping.values.get(field, {})
        self.values = {_label(k): v for k, v in values.items()}
        self.separator = mapping.lists.get(field)
        self.formats = mapping.date_formats(field)
        self.is_date = field in mapping.dates or field == "hire_date"

    def _map(self, text: str) -> str:
        if self.pattern is not None:
            match = self.pattern.search(text)
            if match is not None and match.group(1) is not None:
                text = match.group(1).strip()
        return self.values.get(_label(text), text)

    def __call__(self, cell: Any) -> tuple[str, str | None]:
        """``(value, problem)``: the value in our format, or a problem in plain words."""
        if self.is_date and not isinstance(cell, str | type(None)):
            found = _date(cell, self.formats)
            return (found or "", None if found else f"expected a date, found {cell!r}")
        text = _text(cell)
        if not text:
            return "", None
        if self.separator is not None or self.field in LIST_FIELDS:
            parts = text.split(self.separator) if self.separator else text.split(";")
            return ";".join(self._map(p.strip()) for p in parts if p.strip()), None
        text = self._map(text)
        if self.is_date:
            found = _date(text, self.formats)
            if found is None:
                layouts = ", ".join(self.formats) or "YYYY-MM-DD"
                return "", f"expected a date ({layouts}), found {text!r}"
            return found, None
        return text, None


YES = frozenset({"yes", "y", "true", "1", "x", "✓", "✔"})
NO = frozenset({"", "no", "n", "false", "0"})


def _roles(
    cells: list[Any], columns: dict[str, int], mapping: Mapping
) -> tuple[str, list[tuple[str, str]]]:
    """``roles`` from opt-in columns (role → column): the roles whose cell says yes, and
    ``(header, problem)`` for each cell that is neither yes nor blank/no."""
    roles: list[str] = []
    problems: list[tuple[str, str]] = []
    for role, column in columns.items():
        cell = cells[column] if column < len(cells) else None
        answer = _text(cell).casefold()
        if answer in YES:
            roles.append(role)
        elif answer not in NO:
            problems.append(
                (
                    mapping.role_columns[role],
                    f"expected yes or no (yes, y, true, 1, x; blank is no), found {cell!r} "
                    f"(roles: {role})",
                )
            )
    return ";".join(roles), problems


@dataclass(frozen=True)
class HrisResult:
    """The employees read from a report: our columns, their rows, and the source's labels."""

    header: tuple[str, ...]
    rows: list[list[str]]
    header_row: int
    columns: dict[str, str]  # our field -> their header, for the fields found


def read_hris(path: Path, mapping: Mapping) -> HrisResult:
    """Read and validate an HRIS report into ``employees.csv`` rows.

    Raises
    ------
    DataError
        Every problem at once, located by the report's own row and header, e.g.
        ``workers.xlsx, row 17, column 'Management Level': … (level)``.
    """
    file = str(path)
    sheet = read_sheet(path, mapping.sheet)
    index, where = find_header(sheet, mapping, file)
    role_columns = {
        role: where[f"roles:{role}"] for role in mapping.role_columns if f"roles:{role}" in where
    }
    fields = [f for f in mapping.columns if f in where or (f == "roles" and role_columns)]
    order = [f for f in FIELD_ORDER if f in fields] + [f for f in fields if f not in FIELD_ORDER]
    converters = {f: _Converter(mapping, f) for f in order if f in where}
    problems = ProblemCollector()
    rows: list[list[str]] = []
    numbers: list[int] = []  # each record's row in the report, for the validation below
    for number, cells in sheet.rows[index + 1 :]:
        record = []
        for field in order:
            if field not in converters:  # roles from opt-in columns
                value, found = _roles(cells, role_columns, mapping)
                for header, message in found:
                    problems.add(file, number, header, message)
                record.append(value)
                continue
            column = where[field]
            value, problem = converters[field](cells[column] if column < len(cells) else None)
            if problem is not None:
                problems.add(file, number, mapping.header_of(field), f"{problem} ({field})")
            record.append(value)
        rows.append(record)
        numbers.append(number)
    problems.raise_if_any()
    table = pa.table(
        {f: pa.array([r[i] or None for r in rows], pa.string()) for i, f in enumerate(order)}
    )
    try:
        parse_employees(table, file, numbers)
    except DataError as exc:
        raise _relabel(exc, mapping) from exc
    kept = [r for r in rows if any(r)]
    return HrisResult(
        tuple(order), kept, sheet.rows[index][0], {f: mapping.header_of(f) for f in order}
    )


def _relabel(error: DataError, mapping: Mapping) -> DataError:
    """Name the report's headers in problems found on our fields, with a hint for value maps."""
    problems = []
    for problem in error.problems:
        field = problem.column
        if field is None or field not in mapping.columns:
            problems.append(problem)
            continue
        hint = ""
        if field in ("level", "timezone", "opt_out", "work_start", "work_end"):
            hint = f"; map such values under [values.{field}] in the mapping"
        problems.append(
            Problem(
                problem.file,
                problem.row,
                mapping.header_of(field),
                f"{problem.message} ({field}){hint}",
            )
        )
    return DataError(problems, error.total)


def pseudonymized(result: HrisResult, pseudonym: Any) -> HrisResult:
    """Ids and manager ids replaced by ``pseudonym(id)``; name and e-mail left out."""
    keep = [i for i, f in enumerate(result.header) if f not in IDENTIFYING]
    header = tuple(result.header[i] for i in keep)
    renamed = {"id", "manager_id"}
    rows = [
        [pseudonym(r[i]) if result.header[i] in renamed and r[i] else r[i] for i in keep]
        for r in result.rows
    ]
    columns = {f: h for f, h in result.columns.items() if f not in IDENTIFYING}
    return HrisResult(header, rows, result.header_row, columns)
