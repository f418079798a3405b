"""Load employees: validated :class:`~matcher.model.Employee` records from an employees file.

Every malformed value is an error naming file, row and column, and all of them are reported at
once (capped, with a count); so are duplicate ids, managers that are not employees and cycles in
the manager chain.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from pydantic import ValidationError

from matcher.collector import collection_paused
from matcher.errors import ProblemCollector
from matcher.io.load.columns import blank_rows, split_list_column, table_rows, timestamp_text
from matcher.io.tables import read_table
from matcher.model import (
    BLANK_IS_DEFAULT,
    BLANK_IS_MISSING,
    LIST_FIELDS,
    Employee,
)

EMPLOYEE_FIELDS = frozenset(Employee.model_fields) - {"attributes"}
TRUE_WORDS = {"true", "yes", "y", "1", "t"}
FALSE_WORDS = {"false", "no", "n", "0", "f", ""}


def _employee_record(
    row: dict[str, str | None], collector: ProblemCollector, file: str, number: int
) -> dict[str, object] | None:
    record: dict[str, object] = {}
    attributes: dict[str, str] = {}
    for key, value in row.items():
        if key in EMPLOYEE_FIELDS:
            if value is not None:
                record[key] = value
        elif key:
            attributes[key] = "" if value is None else value
    opt_out = record.get("opt_out")
    if isinstance(opt_out, str):
        word = opt_out.strip().lower()
        if word in TRUE_WORDS:
            record["opt_out"] = True
        elif word in FALSE_WORDS:
            record["opt_out"] = False
        else:
            collector.add(file, number, "opt_out", f"expected true or false, found {opt_out!r}")
            return None
    record["attributes"] = attributes
    return record


def _describe(error: dict[str, object]) -> str:
    message = str(error.get("msg", "invalid value"))
    message = message.removeprefix("Value error, ")
    value = error.get("input")
    if isinstance(value, str) and error.get("type") != "value_error":
        message += f" (found {value!r})"
    return message


def _clean_columns(table: pa.Table) -> pa.Table:
    """What :class:`Employee`'s ``_clean_cells`` does per record, done per column: blank cells
    become missing (then the field's default applies), ids and managers are stripped, and
    ``;``-lists are split into stripped, non-empty items."""
    columns = {}
    for name in table.column_names:
        column = table.column(name).combine_chunks()
        if name in ("id", "manager_id"):
            column = pc.utf8_trim_whitespace(column)
        if name == "manager_id" or name in BLANK_IS_MISSING or name in BLANK_IS_DEFAULT:
            blank = pc.equal(pc.utf8_trim_whitespace(column), "")
            column = pc.if_else(blank, pa.scalar(None, column.type), column)
        elif name in LIST_FIELDS:
            column = split_list_column(column)
        columns[name] = column
    return pa.table(columns)


def parse_employees(
    table: pa.Table, file: str, rows: Sequence[int] | np.ndarray | None = None
) -> list[Employee]:
    """Validate a table of employee records (all cells strings) into :class:`Employee` models.

    ``rows`` holds each record's row number in ``file``, for the problems (default: from row 2
    on, one record a row).

    Raises
    ------
    DataError
        With every problem found: bad values, duplicate ids, unknown managers, manager cycles.
    """
    collector = ProblemCollector()
    for k, name in enumerate(table.column_names):
        if pa.types.is_timestamp(table.schema.field(k).type):  # JSON Lines and Parquet dates
            table = table.set_column(k, name, timestamp_text(table.column(k).combine_chunks()))
    with collection_paused():
        numbers = list(range(2, 2 + table.num_rows)) if rows is None else [int(r) for r in rows]
        employees, links = _parse_rows(table, file, numbers, collector)
    if not employees and not collector:
        collector.add(file, None, None, "the file has no employee records")
    _check_links(links, collector, file)
    collector.raise_if_any()
    return employees


def _parse_rows(
    table: pa.Table, file: str, rows: list[int], collector: ProblemCollector
) -> tuple[list[Employee], list[tuple[int, str, str | None]]]:
    """The employees of the table's valid records, and ``(row, id, manager_id)`` of every
    record with an id (for the checks across records); problems go to ``collector``."""
    employees: list[Employee] = []
    links: list[tuple[int, str, str | None]] = []
    cleaned = {"cleaned": True}
    fields_sets: dict[tuple[str, ...], set[str]] = {}
    blank_lines = blank_rows(table)
    for offset, (number, row) in enumerate(
        zip(rows, table_rows(_clean_columns(table)), strict=True)
    ):
        if blank_lines[offset]:
            continue
        identity = (row.get("id") or "").strip()
        if identity:
            links.append((number, identity, (row.get("manager_id") or "").strip() or None))
        record = _employee_record(row, collector, file, number)
        if record is None:
            continue
        try:
            employee = Employee.model_validate(record, context=cleaned)
        except ValidationError as exc:
            for error in exc.errors():
                location = error.get("loc", ())
                column = str(location[0]) if location else None
                collector.add(file, number, column, _describe(dict(error)))
            continue
        # the set of fields given is the record's keys; records with the same keys share one
        # set (pydantic keeps a set per model: 2 KB each, 2 GB at a million people). The
        # models are frozen and pydantic copies the set when it copies a model.
        given = fields_sets.setdefault(tuple(record), employee.__pydantic_fields_set__)
        object.__setattr__(employee, "__pydantic_fields_set__", given)
        employees.append(employee)
    return employees, links


def _check_links(
    links: list[tuple[int, str, str | None]], collector: ProblemCollector, file: str
) -> None:
    """Duplicate ids, managers that are not employees, and cycles in the manager chain."""
    first_seen: dict[str, int] = {}
    for row, identity, _ in links:
        if identity in first_seen:
            collector.add(
                file, row, "id", f"duplicate id {identity!r} (first on row {first_seen[identity]})"
            )
        else:
            first_seen[identity] = row
    for row, _identity, manager_id in links:
        if manager_id is not None and manager_id not in first_seen:
            collector.add(
                file, row, "manager_id", f"manager_id {manager_id!r} is not an employee id"
            )
    manager = {i: m for _, i, m in links if m in first_seen and m != i}
    for cycle in find_manager_cycles(manager):
        chain = " → ".join([*cycle, cycle[0]])
        collector.add(
            file, first_seen[cycle[0]], "manager_id", f"the manager chain forms a cycle: {chain}"
        )


def find_manager_cycles(manager: Mapping[str, str | None]) -> list[list[str]]:
    """Return each cycle of the manager relation once, as a list of ids.

    >>> find_manager_cycles({"a": "b", "b": "a", "c": "a", "d": None})
    [['a', 'b']]
    """
    state: dict[str, int] = {}  # 1 = on the current path, 2 = done
    cycles: list[list[str]] = []
    for start in sorted(manager):
        if state.get(start):
            continue
        path: list[str] = []
        node: str | None = start
        while node is not None and node in manager and not state.get(node):
            state[node] = 1
            path.append(node)
            node = manager[node]
        if node is not None and state.get(node) == 1:
            cycle = path[path.index(node) :]
            turn = cycle.index(min(cycle))
            cycles.append(cycle[turn:] + cycle[:turn])
        for visited in path:
            state[visited] = 2
    return cycles


def load_employees(path: str | Path) -> list[Employee]:
    """Read and validate an employees file (CSV, JSON, JSON Lines, Parquet or XLSX).

    Parameters
    ----------
    path : str or Path
        The file; its ``id`` column is required, the other columns of
        :class:`~matcher.model.Employee` are optional and any other column is kept in
        ``attributes``.

    Returns
    -------
    list of Employee
        In file order, opted-out people included (``opt_out`` is true).

    Raises
    ------
    DataError
        With every problem found: bad values, duplicate ids, unknown managers, manager cycles.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "e.csv"
    >>> _ = path.write_text("id,manager_id,languages,office\\nE1,,en;de,Berlin\\nE2,E1,en,\\n")
    >>> [(e.id, e.manager_id, e.languages, e.attributes) for e in load_employees(path)]
    [('E1', None, ('en', 'de'), {'office': 'Berlin'}), ('E2', 'E1', ('en',), {'office': ''})]
    """
    table, rows = read_table(path, ("id",))
    return parse_employees(table, str(path), rows)
