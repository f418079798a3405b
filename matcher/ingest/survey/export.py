"""Reading a forms export: find the mapped columns, read each response's mapped cells.

Microsoft Forms, Google Forms and Qualtrics all write one row per response under a header of
question texts. What differs is around it, and is handled here without configuration:

- a UTF-8 byte-order mark (Excel's "CSV UTF-8"), UTF-16 (Qualtrics' TSV), `,` `;` or tab;
- Qualtrics' three header rows: short names (``RecipientEmail``, ``Q3``), question texts and
  ``{"ImportId": …}`` cells; a mapping may name either of the first two, and the rows up to the
  ImportId row are never read as responses; the ImportId cell's ``timeZone`` is the zone of
  the times below it;
- title rows above the header and header cells merged over several rows or columns (XLSX):
  the header row is the first row by which every mapped header has been seen.

Only the mapped columns are read: no other cell of a row is looked at.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import io
import json
import re
import zoneinfo
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from matcher.errors import ConfigError, DataError, Problem, ProblemCollector
from matcher.ingest.hris import read_sheet
from matcher.ingest.survey.mapping import SurveyColumns, answer_key

HEADER_SEARCH_ROWS = 12
DELIMITERS = (",", ";", "\t", "|")
DEFAULT_SEPARATORS = re.compile(r"[;,\r\n]")
ANGLE_ADDRESS = re.compile(r"<([^<>]+)>")
UTC_NAMES = {"z", "utc", "gmt", "etc/utc"}


@dataclass(frozen=True, slots=True)
class Response:
    """One response as the export gives it: ``file`` and spreadsheet ``row`` locate it."""

    file: str
    row: int
    respondent: str
    submitted: dt.datetime  # aware
    has_someone: bool | None
    answered: bool  # the has_someone cell held an answer (recognised or not)
    nominees: tuple[str, ...]


@dataclass(frozen=True)
class Layout:
    """Where the mapped columns are: key → column index, and the first response row's index."""

    columns: dict[str, int]
    first_data: int
    header_rows: tuple[int, ...]  # the spreadsheet row numbers of the header
    zone: dt.tzinfo


# ----------------------------------------------------------------------------- files


def _decode(path: Path) -> str:
    raw = path.read_bytes()
    if raw.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return raw.decode("utf-16")
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        row = raw[: exc.start].count(b"\n") + 1
        raise DataError(
            [
                Problem(
                    str(path),
                    row,
                    None,
                    "the file is not UTF-8 text; export or save it as CSV UTF-8",
                )
            ]
        ) from exc


def _delimiter(text: str) -> str:
    """The delimiter that splits the first record (quotes respected) into the most fields."""
    best, most = ",", 0
    for delimiter in DELIMITERS:
        try:
            first = next(csv.reader(io.StringIO(text[: 1 << 16]), delimiter=delimiter), [])
        except csv.Error:
            continue
        if len(first) > most:
            best, most = delimiter, len(first)
    return best


def read_rows(path: Path, sheet: str | None) -> list[tuple[int, list[Any]]]:
    """Every row of a CSV/TSV file or an XLSX worksheet, with its spreadsheet row number."""
    if not path.is_file():
        raise DataError([Problem(str(path), None, None, "file not found")])
    if path.suffix.lower() in (".xlsx", ".xlsm"):
        return read_sheet(path, sheet).rows
    text = _decode(path)
    try:
        reader = csv.reader(io.StringIO(text, newline=""), delimiter=_delimiter(text))
        return [(number, list(record)) for number, record in enumerate(reader, start=1)]
    except csv.Error as exc:
        raise DataError([Problem(str(path), None, None, f"malformed CSV: {exc}")]) from exc


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


# ----------------------------------------------------------------------------- header


def _import_id(value: Any) -> dict[str, Any] | None:
    """The JSON of a Qualtrics ``{"ImportId": …}`` header cell, else ``None``."""
    text = _text(value)
    if not (text.startswith("{") and "importid" in text.casefold()):
        return None
    try:
        found = json.loads(text)
    except ValueError:
        return None
    return found if isinstance(found, dict) else None


def _zone(name: str) -> dt.tzinfo:
    if name.strip().casefold() in UTC_NAMES:
        return dt.UTC
    return zoneinfo.ZoneInfo(name.strip())


def locate(
    rows: list[tuple[int, list[Any]]], mapping: SurveyColumns, file: str, mapping_file: str
) -> Layout:
    """Find the header and the mapped columns of an export.

    Raises
    ------
    ConfigError
        When the mapping names a column the export lacks (naming the key and listing the
        export's columns) or a header found in two columns.
    """
    wanted = {key: answer_key(header) for key, header in mapping.headers().items()}
    region = rows[:HEADER_SEARCH_ROWS]
    best_index, best_labels = _header_row(region, wanted)
    last_header = best_index
    for index in range(best_index + 1, min(len(region), best_index + 3)):
        if any(_import_id(v) is not None for v in region[index][1]):
            last_header = index  # Qualtrics: question texts, then the ImportId row
    header = region[: last_header + 1]
    columns = _mapped_columns(wanted, best_labels, header, mapping, file, mapping_file)
    if mapping.timezone is not None:
        zone: dt.tzinfo = zoneinfo.ZoneInfo(mapping.timezone)
    else:
        zone = _export_zone(region[best_index + 1 : last_header + 1], columns, mapping, file)
    return Layout(columns, last_header + 1, tuple(number for number, _ in header), zone)


def _header_row(
    region: list[tuple[int, list[Any]]], wanted: dict[str, str]
) -> tuple[int, list[set[str]]]:
    """The first row by which the most mapped headers have been seen, and per column every
    label seen from the top down to that row."""
    labels: list[set[str]] = []  # per column: every label seen from the top to this row
    best_index, best_found, best_labels = 0, -1, labels
    for index, (_, cells) in enumerate(region):
        labels = [set(s) for s in labels] + [set() for _ in range(len(cells) - len(labels))]
        for column, value in enumerate(cells):
            if _text(value) and _import_id(value) is None:
                labels[column].add(answer_key(_text(value)))
        found = sum(1 for header in wanted.values() if any(header in s for s in labels))
        if found > best_found:
            best_index, best_found, best_labels = index, found, labels
        if found == len(wanted):
            break
    return best_index, best_labels


def _mapped_columns(
    wanted: dict[str, str],
    labels: list[set[str]],
    header: list[tuple[int, list[Any]]],
    mapping: SurveyColumns,
    file: str,
    mapping_file: str,
) -> dict[str, int]:
    """The column of each mapped key; :class:`ConfigError` listing every header missing or
    found in two columns (with the export's column names, read from the ``header`` rows)."""
    shown: list[str] = []
    for _, cells in header:
        for value in cells:
            text = " ".join(_text(value).split())
            if text and _import_id(value) is None and text not in shown:
                shown.append(text)
    problems: list[str] = []
    columns: dict[str, int] = {}
    for key, name in wanted.items():
        matches = [c for c, names in enumerate(labels) if name in names]
        if len(matches) == 1:
            columns[key] = matches[0]
        elif matches:
            problems.append(
                f"{mapping_file}: survey.{key}: the header {getattr(mapping, key)!r} appears in "
                f"{len(matches)} columns of {file}; rename one in the export"
            )
        else:
            listing = ", ".join(repr(s) for s in shown) or "none"
            problems.append(
                f"{mapping_file}: survey.{key}: {file} has no column {getattr(mapping, key)!r} "
                f"(its columns: {listing})"
            )
    if problems:
        raise ConfigError("\n".join(problems))
    return columns


def _export_zone(
    meta_rows: list[tuple[int, list[Any]]],
    columns: dict[str, int],
    mapping: SurveyColumns,
    file: str,
) -> dt.tzinfo:
    """The time zone a Qualtrics export names in the ImportId cell of its submitted column
    (the last one found), else UTC."""
    zone: dt.tzinfo = dt.UTC
    for number, cells in meta_rows:
        column = columns["submitted"]
        meta = _import_id(cells[column]) if column < len(cells) else None
        name = meta.get("timeZone") if meta else None
        if isinstance(name, str):
            try:
                zone = _zone(name)
            except (zoneinfo.ZoneInfoNotFoundError, ValueError) as exc:
                raise DataError(
                    [
                        Problem(
                            file,
                            number,
                            mapping.submitted,
                            f"unknown timeZone {name!r}; set timezone in the mapping",
                        )
                    ]
                ) from exc
    return zone


# ----------------------------------------------------------------------------- cells


def parse_time(value: Any, formats: list[str], zone: dt.tzinfo) -> dt.datetime | None:
    """An aware time from a date cell, ISO 8601 or one of ``formats``; ``None`` if none fits.

    Times without an offset are in ``zone``.

    >>> parse_time("9/25/2026 10:31:02", ["%m/%d/%Y %H:%M:%S"], dt.UTC).isoformat()
    '2026-09-25T10:31:02+00:00'
    >>> parse_time("2026-09-25 10:31:02", [], zoneinfo.ZoneInfo("America/Denver")).isoformat()
    '2026-09-25T10:31:02-06:00'
    >>> parse_time("yesterday", [], dt.UTC) is None
    True
    """
    moment: dt.datetime | None = None
    if isinstance(value, dt.datetime):
        moment = value
    elif isinstance(value, dt.date):
        moment = dt.datetime.combine(value, dt.time())
    else:
        text = " ".join(_text(value).split())
        if not text:
            return None
        try:
            moment = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
        except ValueError:
            for layout in formats:
                try:
                    moment = dt.datetime.strptime(text, layout)
                    break
                except ValueError:
                    continue
    if moment is None:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=zone)
    return moment.replace(microsecond=0)


def split_nominees(text: str, separator: str | None) -> tuple[str, ...]:
    """The nominees named in a cell, as written: stripped, ``Name <address>`` reduced to the
    address, empty parts (Forms' trailing ``;``) dropped.

    >>> split_nominees("ada@example.com;Bob Byte <BOB@example.com>;", None)
    ('ada@example.com', 'BOB@example.com')
    >>> split_nominees("E1 | E2", "|")
    ('E1', 'E2')
    """
    parts = text.split(separator) if separator is not None else DEFAULT_SEPARATORS.split(text)
    found: list[str] = []
    for part in parts:
        part = part.strip()
        inner = ANGLE_ADDRESS.search(part)
        if inner is not None:
            part = inner.group(1).strip()
        if part:
            found.append(part)
    return tuple(found)


def read_export(
    path: Path, mapping: SurveyColumns, mapping_file: str
) -> tuple[list[Response], Layout]:
    """The responses of one export, in its row order (rows with no cell filled are skipped).

    Raises
    ------
    ConfigError
        A mapped column is missing (see :func:`locate`).
    DataError
        Every bad cell at once, e.g. ``export.csv, row 7, column 'Timestamp': …``.
    """
    file = str(path)
    rows = read_rows(path, mapping.sheet)
    layout = locate(rows, mapping, file, mapping_file)
    where = layout.columns
    yes = {answer_key(a) for a in mapping.has_someone_yes}
    no = {answer_key(a) for a in mapping.has_someone_no}
    formats = mapping.formats()
    problems = ProblemCollector()
    responses: list[Response] = []

    def cell(cells: list[Any], key: str) -> Any:
        column = where.get(key)
        return cells[column] if column is not None and column < len(cells) else None

    for number, cells in rows[layout.first_data :]:
        mapped = {key: cell(cells, key) for key in where}
        if not any(_text(v) for v in mapped.values()):
            continue  # a blank row (or one whose mapped cells are all empty)
        submitted = parse_time(mapped["submitted"], formats, layout.zone)
        if submitted is None:
            found = _text(mapped["submitted"])
            tried = ", ".join(["ISO 8601", *formats])
            problems.add(
                file,
                number,
                mapping.submitted,
                f"expected a date and time ({tried}), found {found!r}"
                + ("" if formats else "; set submitted_format in the mapping")
                + " (submitted)",
            )
            continue
        answer = answer_key(_text(mapped.get("has_someone")))
        responses.append(
            Response(
                file=file,
                row=number,
                respondent=_text(mapped["respondent"]),
                submitted=submitted,
                has_someone=True if answer in yes else False if answer in no else None,
                answered=bool(answer),
                nominees=split_nominees(_text(mapped.get("turn_to")), mapping.turn_to_separator),
            )
        )
    problems.raise_if_any()
    return responses, layout
