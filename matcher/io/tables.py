"""Reading tabular files (CSV, JSON, JSON Lines, Parquet, XLSX) as batches of string columns.

Every reader yields ``pyarrow.RecordBatch`` objects whose columns are strings (Parquet
timestamps are kept as timestamps), together with the row number of each record as a
spreadsheet shows it, so that validation can name file, row and column. Blank rows (every cell
empty) are left out of the records but keep their place in the numbering: a problem on the
record after a blank row 3 is reported on row 4. Large files are streamed.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pcsv
import pyarrow.json as pjson
import pyarrow.parquet as pq

from matcher.errors import DataError, Problem, ProblemCollector

CSV_SUFFIXES = {".csv", ".tsv", ".txt"}
JSON_SUFFIXES = {".json"}
JSONL_SUFFIXES = {".jsonl", ".ndjson"}
PARQUET_SUFFIXES = {".parquet", ".pq"}
XLSX_SUFFIXES = {".xlsx", ".xlsm"}
DELIMITERS = (",", ";", "\t", "|")
# measured: 32 MiB blocks doubled peak memory on a 2 GB file; 4 MiB kept it flat
BLOCK_SIZE = 4 << 20


@dataclass(frozen=True)
class Batch:
    """A batch of records; ``rows[i]`` is the row number of record ``i`` (header = row 1)."""

    data: pa.RecordBatch
    rows: np.ndarray

    @classmethod
    def numbered_from(cls, data: pa.RecordBatch, first_row: int) -> Batch:
        """A batch whose records sit on consecutive rows from ``first_row``."""
        return cls(data, np.arange(first_row, first_row + data.num_rows, dtype=np.int64))


def _without_blank_records(data: pa.RecordBatch, first_row: int) -> Batch:
    """The batch's records that have a value, numbered as consecutive rows from ``first_row``
    with the blank ones (every cell empty) counted but left out."""
    if data.num_columns == 0 or min(c.null_count for c in data.columns) == 0:
        return Batch.numbered_from(data, first_row)  # some column is never empty: no blank row
    blank = np.ones(data.num_rows, dtype=bool)
    for column in data.columns:
        blank &= column.is_null().to_numpy(zero_copy_only=False)
    kept = np.flatnonzero(~blank)
    return Batch(data.take(pa.array(kept)), first_row + kept.astype(np.int64))


def _fail(path: Path, message: str, row: int | None = None, column: str | None = None) -> DataError:
    return DataError([Problem(str(path), row, column, message)])


def _check_encoding(path: Path, head: bytes) -> str:
    """Return the header text of a delimited file, or raise on a non-UTF-8 or empty file."""
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise _fail(path, "the file is UTF-16 encoded; save it as UTF-8 (CSV UTF-8 in Excel)")
    if head.startswith(b"\xef\xbb\xbf"):
        head = head[3:]
    if not head.strip():
        raise _fail(path, "the file is empty")
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as exc:
        if exc.start < len(head) - 4:  # not just a character cut at the end of the chunk
            row = head[: exc.start].count(b"\n") + 1
            raise _fail(
                path, "the file is not UTF-8 text; save it as UTF-8 (CSV UTF-8 in Excel)", row=row
            ) from exc
    first_line = head.split(b"\n", 1)[0].rstrip(b"\r")
    return first_line.decode("utf-8", errors="replace")


def sniff_delimiter(header: str, required: tuple[str, ...]) -> str:
    """Choose the delimiter under which the header names the required columns.

    >>> sniff_delimiter("id;name;team", ("id",))
    ';'
    >>> sniff_delimiter("source,target,timestamp", ("source", "target"))
    ','
    """
    best, best_score = ",", (-1, -1)
    for delimiter in DELIMITERS:
        fields = [f.strip().strip('"').strip().lower() for f in header.split(delimiter)]
        score = (sum(r in fields for r in required), len(fields))
        if score > best_score:
            best, best_score = delimiter, score
    return best


def _normalise_names(names: list[str]) -> list[str]:
    return [n.strip().lower() for n in names]


def _check_columns(path: Path, names: list[str], required: tuple[str, ...]) -> None:
    problems = ProblemCollector()
    seen: set[str] = set()
    for name in names:
        if name in seen:
            problems.add(str(path), 1, name, "the column appears twice in the header")
        seen.add(name)
    missing = [r for r in required if r not in seen]
    for column in missing:
        found = ", ".join(repr(n) for n in names) or "none"
        problems.add(
            str(path),
            1,
            column,
            f"required column is missing (columns found: {found}); check the delimiter and header",
        )
    problems.raise_if_any()


def _find_non_utf8_row(path: Path) -> int | None:
    with path.open("rb") as handle:
        for number, line in enumerate(handle, start=1):
            try:
                line.decode("utf-8")
            except UnicodeDecodeError:
                return number
    return None


def _locate_ragged_rows(path: Path, delimiter: str, expected: int) -> ProblemCollector:
    """Find records whose field count differs from the header (error path only)."""
    problems = ProblemCollector()
    with path.open(encoding="utf-8-sig", errors="replace", newline="") as handle:
        reader = csv.reader(handle, delimiter=delimiter)
        try:
            next(reader, None)
            for row_number, record in enumerate(reader, start=2):
                if record and len(record) != expected:
                    problems.add(
                        str(path),
                        row_number,
                        None,
                        f"expected {expected} fields, found {len(record)}",
                    )
        except csv.Error as exc:
            problems.add(str(path), reader.line_num, None, f"malformed CSV: {exc}")
    return problems


def _iter_csv(
    path: Path, required: tuple[str, ...], *, newlines_in_values: bool, block_size: int
) -> Iterator[Batch]:
    with path.open("rb") as handle:
        head = handle.read(1 << 16)
    header = _check_encoding(path, head)
    delimiter = sniff_delimiter(header, required)
    try:
        raw_names = next(csv.reader([header.replace("\r", "")], delimiter=delimiter))
    except csv.Error as exc:
        raise _fail(path, f"the header cannot be read: {exc}", row=1) from exc
    names = _normalise_names(raw_names)
    _check_columns(path, names, required)
    read_options = pcsv.ReadOptions(
        column_names=names, skip_rows=1, block_size=block_size, use_threads=True
    )
    # blank lines are read as records (all null) so that each record's number is its row
    parse_options = pcsv.ParseOptions(
        delimiter=delimiter, newlines_in_values=newlines_in_values, ignore_empty_lines=False
    )
    convert_options = pcsv.ConvertOptions(
        column_types={n: pa.string() for n in names},
        strings_can_be_null=True,
        null_values=[""],
        quoted_strings_can_be_null=True,
    )
    try:
        reader = pcsv.open_csv(
            path,
            read_options=read_options,
            parse_options=parse_options,
            convert_options=convert_options,
        )
        next_row = 2
        for record_batch in reader:
            yield _without_blank_records(record_batch, next_row)
            next_row += record_batch.num_rows
    except pa.ArrowInvalid as exc:
        text = str(exc)
        if "utf8" in text.lower():
            row = _find_non_utf8_row(path)
            raise _fail(
                path, "the file is not UTF-8 text; save it as UTF-8 (CSV UTF-8 in Excel)", row=row
            ) from exc
        problems = _locate_ragged_rows(path, delimiter, len(names))
        if problems:
            raise DataError(problems.problems, problems.total) from exc
        raise _fail(path, f"cannot be read as CSV: {text}") from exc


def _strings(table: pa.Table | pa.RecordBatch, path: Path) -> pa.RecordBatch:
    """Cast every column to string, except timestamps which are kept.

    Raises
    ------
    DataError
        Naming a column that holds JSON objects (or other values without a text form).
    """
    columns, names = [], []
    for name, column in zip(table.column_names, table.columns, strict=True):
        if isinstance(column, pa.ChunkedArray):
            column = column.combine_chunks()
        try:
            if pa.types.is_timestamp(column.type) or pa.types.is_string(column.type):
                columns.append(column)
            elif pa.types.is_large_string(column.type):
                columns.append(pc.cast(column, pa.string()))
            elif pa.types.is_list(column.type) or pa.types.is_large_list(column.type):
                joined = pc.binary_join(pc.cast(column, pa.list_(pa.string())), ";")
                columns.append(joined)
            elif pa.types.is_null(column.type):
                columns.append(pa.nulls(len(column), pa.string()))
            else:
                columns.append(pc.cast(column, pa.string()))
        except (pa.ArrowNotImplementedError, pa.ArrowInvalid) as exc:
            raise _fail(
                path,
                f"the column holds values of type {column.type} (objects or nested lists); "
                "expected text, numbers or lists of them",
                column=name.strip().lower(),
            ) from exc
        if pa.types.is_string(columns[-1].type):
            try:  # Parquet does not check that its text is UTF-8
                columns[-1].validate(full=True)
            except pa.ArrowInvalid as exc:
                raise _fail(
                    path,
                    f"the column holds text that is not UTF-8: {exc}",
                    column=name.strip().lower(),
                ) from exc
        names.append(name.strip().lower())
    return pa.RecordBatch.from_arrays(columns, names=names)


def _iter_table(
    path: Path, table: pa.Table, required: tuple[str, ...], rows: np.ndarray | None = None
) -> Iterator[Batch]:
    """One batch of a whole table; ``rows`` numbers its records (default: from row 2 on)."""
    if table.num_rows == 0:
        raise _fail(path, "the file has no records")
    _check_columns(path, _normalise_names(table.column_names), required)
    data = _strings(table, path)
    yield Batch.numbered_from(data, 2) if rows is None else Batch(data, rows)


def _read_json_array(path: Path) -> pa.Table:
    try:
        with path.open(encoding="utf-8-sig") as handle:
            records = json.load(handle)
    except UnicodeDecodeError as exc:
        raise _fail(path, "the file is not UTF-8 text") from exc
    except json.JSONDecodeError as exc:
        raise _fail(
            path, f"invalid JSON at line {exc.lineno}, column {exc.colno}: {exc.msg}"
        ) from exc
    except RecursionError as exc:
        raise _fail(path, "invalid JSON: nested too deeply") from exc
    if isinstance(records, dict):
        # {"employees": [...]} or {"records": [...]}: take the only list value
        lists = [v for v in records.values() if isinstance(v, list)]
        if len(lists) != 1:
            raise _fail(path, "expected a JSON array of records (or an object holding one array)")
        records = lists[0]
    if not isinstance(records, list) or not all(isinstance(r, dict) for r in records):
        raise _fail(path, "expected a JSON array of objects, one per record")
    if not records:
        raise _fail(path, "the file has no records")
    return _records_table(records)


def _records_table(records: list[dict[str, object]]) -> pa.Table:
    """A table of string columns from JSON records; lists become ``;``-joined strings."""
    names: dict[str, None] = {}
    for record in records:
        names.update(dict.fromkeys(record))
    columns = {}
    for name in names:
        values = [record.get(name) for record in records]
        columns[name] = pa.array([_json_text(v) for v in values], pa.string())
    return pa.table(columns)


def _json_text(value: object) -> str | None:
    if value is None:
        return None
    if isinstance(value, list):
        return ";".join(str(v) for v in value)
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _iter_jsonl(path: Path, required: tuple[str, ...], block_size: int) -> Iterator[Batch]:
    with path.open("rb") as handle:
        head = handle.read(1 << 16)
    if not head.strip():
        raise _fail(path, "the file is empty")
    try:
        reader = pjson.open_json(path, read_options=pjson.ReadOptions(block_size=block_size))
        batches = []
        for record_batch in reader:
            batches.append(record_batch)
            if len(batches) > 1:
                break
    except pa.ArrowInvalid:
        # mixed value types or a malformed line: the exact (slower) reader locates the problem
        yield from _iter_jsonl_exact(path, required)
        return
    yield from _iter_jsonl_fast(path, required, block_size)


def _iter_jsonl_fast(path: Path, required: tuple[str, ...], block_size: int) -> Iterator[Batch]:
    next_row = 1
    checked = False
    try:
        for record_batch in pjson.open_json(
            path, read_options=pjson.ReadOptions(block_size=block_size)
        ):
            if not checked:
                _check_columns(path, _normalise_names(record_batch.schema.names), required)
                checked = True
            yield Batch.numbered_from(_strings(record_batch, path), next_row)
            next_row += record_batch.num_rows
    except pa.ArrowInvalid:
        yield from _iter_jsonl_exact(path, required, skip_rows=next_row - 1)


def _iter_jsonl_exact(path: Path, required: tuple[str, ...], skip_rows: int = 0) -> Iterator[Batch]:
    """JSON Lines parsed line by line with Python's json module (any mix of value types)."""
    chunk: list[dict[str, object]] = []
    numbers: list[int] = []
    checked = skip_rows > 0
    problems = ProblemCollector()
    with path.open(encoding="utf-8-sig", errors="strict") as handle:
        try:
            for line_number, line in enumerate(handle, start=1):
                if line_number <= skip_rows or not line.strip():
                    continue
                try:
                    record = json.loads(line)
                except json.JSONDecodeError as exc:
                    problems.add(str(path), line_number, None, f"invalid JSON: {exc.msg}")
                    continue
                except RecursionError:
                    problems.add(str(path), line_number, None, "invalid JSON: nested too deeply")
                    continue
                if not isinstance(record, dict):
                    problems.add(str(path), line_number, None, "expected a JSON object")
                    continue
                chunk.append(record)
                numbers.append(line_number)
                if len(chunk) >= 100_000 and not problems:
                    table = _records_table(chunk)
                    if not checked:
                        _check_columns(path, _normalise_names(table.column_names), required)
                        checked = True
                    yield Batch(_strings(table, path), np.array(numbers, dtype=np.int64))
                    chunk, numbers = [], []
        except UnicodeDecodeError as exc:
            raise _fail(path, "the file is not UTF-8 text") from exc
    problems.raise_if_any()
    if chunk:
        table = _records_table(chunk)
        if not checked:
            _check_columns(path, _normalise_names(table.column_names), required)
        yield Batch(_strings(table, path), np.array(numbers, dtype=np.int64))


def _iter_parquet(path: Path, required: tuple[str, ...]) -> Iterator[Batch]:
    try:
        parquet = pq.ParquetFile(path)
    except (pa.ArrowException, OSError, UnicodeDecodeError) as exc:  # column names not UTF-8
        raise _fail(path, f"cannot be read as Parquet: {exc}") from exc
    _check_columns(path, _normalise_names(parquet.schema_arrow.names), required)
    if parquet.metadata.num_rows == 0:
        raise _fail(path, "the file has no records")
    next_row = 2
    batches = parquet.iter_batches(batch_size=1 << 20)
    while True:
        try:
            record_batch = next(batches, None)
        except (pa.ArrowException, OSError) as exc:  # a damaged page or footer
            raise _fail(path, f"cannot be read as Parquet: {exc}", row=next_row) from exc
        if record_batch is None:
            return
        yield Batch.numbered_from(_strings(record_batch, path), next_row)
        next_row += record_batch.num_rows


def _read_xlsx(path: Path) -> tuple[pa.Table, np.ndarray]:
    """The first worksheet's records and the row number of each (blank rows left out)."""
    try:
        import openpyxl  # ~60 ms at start-up, for XLSX files only
    except ImportError as exc:  # pragma: no cover - depends on the installed extras
        raise _fail(
            path, "reading .xlsx needs openpyxl: pip install 'workplace-matcher[xlsx]'"
        ) from exc
    try:
        workbook = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many unrelated types for a broken file
        raise _fail(path, f"cannot be read as an Excel workbook: {exc}") from exc
    try:
        names, values, rows = _sheet_columns(workbook.worksheets[0], path)
    except DataError:
        raise
    except Exception as exc:  # read-only sheets are parsed lazily, with the same many types
        raise _fail(path, f"cannot be read as an Excel workbook: {exc}") from exc
    finally:
        workbook.close()
    table = pa.table({n: pa.array(v, pa.string()) for n, v in zip(names, values, strict=True)})
    return table, np.array(rows, dtype=np.int64)


def _sheet_columns(sheet: Any, path: Path) -> tuple[list[str], list[list[str | None]], list[int]]:
    """The header, the columns (as text) and the row numbers of a worksheet's records, blank
    rows left out (their numbers skipped)."""
    rows = sheet.iter_rows(values_only=True)
    header = next(rows, None)
    if header is None:
        raise _fail(path, "the first sheet is empty")
    names = ["" if h is None else str(h) for h in header]
    values: list[list[str | None]] = [[] for _ in names]
    numbers: list[int] = []
    for number, row in enumerate(rows, start=2):
        if row is None or all(v is None for v in row):
            continue
        numbers.append(number)
        for i in range(len(names)):
            cell = row[i] if i < len(row) else None
            values[i].append(None if cell is None else _cell_text(cell))
    return names, values, numbers


def _cell_text(cell: object) -> str:
    if isinstance(cell, dt.datetime):
        return cell.isoformat() if cell.time() != dt.time(0) else cell.date().isoformat()
    if isinstance(cell, dt.date):
        return cell.isoformat()
    if isinstance(cell, float) and cell.is_integer():
        return str(int(cell))
    return str(cell)


def iter_batches(
    path: str | Path,
    required: tuple[str, ...],
    *,
    newlines_in_values: bool = False,
    block_size: int = BLOCK_SIZE,
) -> Iterator[Batch]:
    """Yield the records of ``path`` in batches of string columns.

    Column names are lower-cased and stripped. CSV and JSON Lines are read ``block_size``
    bytes at a time (a batch each). Raises :class:`DataError` for a missing or empty file, a
    missing required column, bad encoding or a malformed record.
    """
    path = Path(path)
    if not path.exists():
        raise _fail(path, "file not found")
    if path.is_dir():
        raise _fail(path, "is a folder, expected a file")
    suffix = path.suffix.lower()
    if suffix in CSV_SUFFIXES or suffix == "":
        yield from _iter_csv(
            path, required, newlines_in_values=newlines_in_values, block_size=block_size
        )
    elif suffix in JSONL_SUFFIXES:
        yield from _iter_jsonl(path, required, block_size)
    elif suffix in JSON_SUFFIXES:
        yield from _iter_table(path, _read_json_array(path), required)
    elif suffix in PARQUET_SUFFIXES:
        yield from _iter_parquet(path, required)
    elif suffix in XLSX_SUFFIXES:
        table, rows = _read_xlsx(path)
        yield from _iter_table(path, table, required, rows)
    else:
        raise _fail(
            path,
            f"unsupported file type {suffix!r}; use .csv, .json, .jsonl, .parquet or .xlsx",
        )


def read_table(path: str | Path, required: tuple[str, ...]) -> tuple[pa.Table, np.ndarray]:
    """Read a whole (small) file; return the table and the row number of each record.

    >>> import tempfile, pathlib
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "t.csv"
    >>> _ = path.write_text("id,team\\nE1,A\\n\\nE2,B\\n")
    >>> table, rows = read_table(path, ("id",))
    >>> table.column("id").to_pylist(), rows.tolist()
    (['E1', 'E2'], [2, 4])
    """
    batches = list(iter_batches(path, required, newlines_in_values=True))
    if not batches or sum(b.data.num_rows for b in batches) == 0:
        raise _fail(Path(path), "the file has no records")
    rows = np.concatenate([b.rows for b in batches])
    return pa.Table.from_batches([b.data for b in batches]), rows
