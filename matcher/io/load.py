"""Load employees and interactions into validated domain models.

Every malformed value is an error naming file, row and column; all problems are reported at
once (capped, with a count). Interactions naming unknown ids and self-interactions are not
fatal: they are dropped, counted and listed in :class:`Rejects`.
"""

from __future__ import annotations

import datetime as dt
import gc
import hashlib
import itertools
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from pydantic import ValidationError

from matcher.errors import DataError, Problem, ProblemCollector
from matcher.io.tables import Batch, iter_batches, read_table
from matcher.model import (
    BLANK_IS_DEFAULT,
    BLANK_IS_MISSING,
    CHANNELS,
    LIST_FIELDS,
    LIST_SEPARATOR,
    Channel,
    Employee,
    InteractionTable,
    LoadReport,
    Org,
)

EMPLOYEE_FIELDS = frozenset(Employee.model_fields) - {"attributes"}
INTERACTION_COLUMNS = (
    "source",
    "target",
    "timestamp",
    "channel",
    "duration_minutes",
    "event_id",
    "weight",
)
TRUE_WORDS = {"true", "yes", "y", "1", "t"}
FALSE_WORDS = {"false", "no", "n", "0", "f", ""}


def file_sha256(path: str | Path) -> str:
    """Return the SHA-256 of a file, read in chunks."""
    digest = hashlib.sha256()
    with Path(path).open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


# ----------------------------------------------------------------------------- employees


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
            column = _split_column(column)
        columns[name] = column
    return pa.table(columns)


def _timestamp_text(column: pa.Array) -> pa.Array:
    """ISO text of a timestamp column: dates alone when every time is midnight.

    >>> import datetime as dt
    >>> _timestamp_text(pa.array([dt.datetime(2020, 1, 2), None])).to_pylist()
    ['2020-01-02', None]
    """
    midnight = pc.and_(
        pc.and_(pc.equal(pc.hour(column), 0), pc.equal(pc.minute(column), 0)),
        pc.equal(pc.second(column), 0),
    )
    layout = "%Y-%m-%d" if pc.all(midnight).as_py() in (True, None) else "%Y-%m-%dT%H:%M:%S"
    return pc.strftime(column, format=layout)


def _rows(table: pa.Table) -> Iterator[dict[str, Any]]:
    """``table.to_pylist()`` with list cells as tuples, built column by column (faster)."""
    columns = []
    for column in table.columns:
        if pa.types.is_list(column.type):
            array = column.combine_chunks()
            items = array.values.to_pylist()
            offsets = array.offsets.to_numpy().tolist()
            columns.append([tuple(items[a:b]) for a, b in itertools.pairwise(offsets)])
        else:
            columns.append(column.to_pylist())
    names = table.column_names
    return (dict(zip(names, values, strict=True)) for values in zip(*columns, strict=True))


def _blank_rows(table: pa.Table) -> np.ndarray:
    """Rows whose every cell is missing or blank."""
    blank = np.ones(table.num_rows, dtype=bool)
    for column in table.columns:
        filled = pc.not_equal(pc.utf8_trim_whitespace(column), "")
        blank &= ~pc.fill_null(filled, False).to_numpy(zero_copy_only=False)
    return blank


def _split_column(column: pa.Array) -> pa.Array:
    """``;``-separated cells as lists of stripped, non-empty items (a missing cell: empty)."""
    parts = pc.split_pattern(pc.fill_null(column, ""), LIST_SEPARATOR)
    items = pc.utf8_trim_whitespace(pc.list_flatten(parts))
    parent = pc.list_parent_indices(parts).to_numpy(zero_copy_only=False)
    keep = pc.not_equal(items, "").to_numpy(zero_copy_only=False)
    counts = np.bincount(parent[keep], minlength=len(column))
    offsets = np.concatenate([[0], np.cumsum(counts)]).astype(np.int32)
    return pa.ListArray.from_arrays(pa.array(offsets), items.filter(pa.array(keep)))


def parse_employees(table: pa.Table, file: str, first_row: int = 2) -> list[Employee]:
    """Validate a table of employee records (all cells strings) into :class:`Employee` models.

    Raises
    ------
    DataError
        With every problem found: bad values, duplicate ids, unknown managers, manager cycles.
    """
    collector = ProblemCollector()
    for k, name in enumerate(table.column_names):
        if pa.types.is_timestamp(table.schema.field(k).type):  # JSON Lines and Parquet dates
            table = table.set_column(k, name, _timestamp_text(table.column(k).combine_chunks()))
    with _collector_paused():
        employees, links = _parse_rows(table, file, first_row, collector)
    if not employees and not collector:
        collector.add(file, None, None, "the file has no employee records")
    _check_links(links, collector, file)
    collector.raise_if_any()
    return employees


@contextmanager
def _collector_paused() -> Iterator[None]:
    """Pause Python's cyclic garbage collector while building many acyclic objects: its passes
    over the growing heap took a third of the time of loading 100,000 employees."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _parse_rows(
    table: pa.Table, file: str, first_row: int, collector: ProblemCollector
) -> tuple[list[Employee], list[tuple[int, str, str | None]]]:
    """The employees of the table's valid records, and ``(row, id, manager_id)`` of every
    record with an id (for the checks across records); problems go to ``collector``."""
    employees: list[Employee] = []
    links: list[tuple[int, str, str | None]] = []
    cleaned = {"cleaned": True}
    blank_lines = _blank_rows(table)
    for offset, row in enumerate(_rows(_clean_columns(table))):
        number = first_row + offset
        if blank_lines[offset]:
            continue
        identity = (row.get("id") or "").strip()
        if identity:
            links.append((number, identity, (row.get("manager_id") or "").strip() or None))
        record = _employee_record(row, collector, file, number)
        if record is None:
            continue
        try:
            employees.append(Employee.model_validate(record, context=cleaned))
        except ValidationError as exc:
            for error in exc.errors():
                location = error.get("loc", ())
                column = str(location[0]) if location else None
                collector.add(file, number, column, _describe(dict(error)))
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
    """Read and validate an employees file (CSV, JSON, JSON Lines, Parquet or XLSX)."""
    table, first_row = read_table(path, ("id",))
    return parse_employees(table, str(path), first_row)


# -------------------------------------------------------------------------- interactions


@dataclass
class Rejects:
    """Interaction rows that were dropped, with the reason (written to ``rejects.csv``)."""

    rows: list[np.ndarray] = field(default_factory=list)
    sources: list[pa.Array] = field(default_factory=list)
    targets: list[pa.Array] = field(default_factory=list)
    reasons: list[pa.Array] = field(default_factory=list)

    def add(
        self, rows: np.ndarray, sources: pa.Array, targets: pa.Array, reasons: pa.Array
    ) -> None:
        if len(rows):
            self.rows.append(rows)
            self.sources.append(sources)
            self.targets.append(targets)
            self.reasons.append(reasons)

    def __len__(self) -> int:
        return int(sum(len(r) for r in self.rows))

    def table(self, file: str) -> pa.Table:
        """The rejects as a table: file, row, source, target, reason."""
        if not self.rows:
            names = ["file", "row", "source", "target", "reason"]
            return pa.table({n: pa.array([], pa.string()) for n in names})
        rows = np.concatenate(self.rows)
        table = pa.table(
            {
                "file": pa.array([file] * len(rows), pa.string()),
                "row": pa.array(rows),
                "source": pa.concat_arrays([pc.cast(a, pa.string()) for a in self.sources]),
                "target": pa.concat_arrays([pc.cast(a, pa.string()) for a in self.targets]),
                "reason": pa.concat_arrays(self.reasons),
            }
        )
        return table.sort_by("row")


@dataclass
class InteractionLoad:
    """The result of loading interactions: the table, what was dropped, and the event ids."""

    table: InteractionTable
    report: LoadReport
    rejects: Rejects
    rejects_table: pa.Table


def _bad_rows(mask: np.ndarray, first_row: int, limit: int = 50) -> tuple[int, list[int]]:
    where = np.flatnonzero(mask)
    return len(where), [first_row + int(i) for i in where[:limit]]


def _report_bad(
    collector: ProblemCollector,
    file: str,
    column: str,
    mask: np.ndarray,
    batch: Batch,
    values: pa.Array,
    message: str,
) -> None:
    count, rows = _bad_rows(mask, batch.first_row)
    if not count:
        return
    where = np.flatnonzero(mask)[: len(rows)]
    sample = [
        Problem(file, row, column, message.format(value=values[int(i)].as_py()))
        for row, i in zip(rows, where, strict=True)
    ]
    collector.add_many(count, sample)


def parse_timestamps(values: pa.Array) -> tuple[np.ndarray, np.ndarray]:
    """Parse ISO 8601 strings to epoch seconds (UTC); return ``(seconds, bad_mask)``.

    Strings without an offset are taken as UTC; a bare date is midnight UTC.

    >>> seconds, bad = parse_timestamps(pa.array(["2026-10-01T12:00:00+02:00", "nope", None]))
    >>> int(seconds[0]), bad.tolist()
    (1790848800, [False, True, True])
    """
    if pa.types.is_timestamp(values.type):
        if values.type.tz is None:
            values = pc.assume_timezone(values, "UTC")
        parsed = pc.cast(values, pa.timestamp("us", tz="UTC"))
        seconds = pc.fill_null(pc.cast(parsed, pa.int64()), 0).to_numpy() // 1_000_000
        return seconds.astype(np.int64), np.asarray(
            pc.is_null(values).to_numpy(zero_copy_only=False)
        )
    values = pc.utf8_trim_whitespace(values)
    for target in (pa.timestamp("us", tz="UTC"), pa.timestamp("us")):
        try:
            parsed = pc.cast(values, target)
        except pa.ArrowInvalid:
            continue
        micros = pc.cast(parsed, pa.int64())
        bad = np.asarray(pc.is_null(micros).to_numpy(zero_copy_only=False))
        seconds = pc.fill_null(micros, 0).to_numpy() // 1_000_000
        return seconds.astype(np.int64), bad
    # mixed forms or bad values in this batch: fall back to Python's ISO parser
    seconds = np.zeros(len(values), np.int64)
    bad = np.zeros(len(values), bool)
    for i, text in enumerate(values.to_pylist()):
        try:
            stamp = dt.datetime.fromisoformat(text)
        except (TypeError, ValueError):
            bad[i] = True
            continue
        if stamp.tzinfo is None:
            stamp = stamp.replace(tzinfo=dt.UTC)
        seconds[i] = int(stamp.timestamp())
    return seconds, bad


def _parse_numbers(values: pa.Array) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Return ``(numbers, missing, bad)`` for a string column of optional numbers."""
    trimmed = pc.utf8_trim_whitespace(values)
    missing = np.asarray(pc.fill_null(pc.equal(trimmed, ""), True).to_numpy(zero_copy_only=False))
    cleaned = pc.if_else(pa.array(missing), None, trimmed)
    try:
        numbers = pc.cast(cleaned, pa.float64())
        out = pc.fill_null(numbers, np.nan).to_numpy(zero_copy_only=False)
        return out.astype(np.float64), missing, ~np.isfinite(out) & ~missing
    except pa.ArrowInvalid:
        out = np.full(len(values), np.nan)
        bad = np.zeros(len(values), bool)
        for i, text in enumerate(cleaned.to_pylist()):
            if text is None:
                continue
            try:
                out[i] = float(text)
            except ValueError:
                bad[i] = True
        bad |= ~np.isfinite(out) & ~missing
        return out, missing, bad


class _EventCodes:
    """Dense integer codes for event ids, stable across batches."""

    def __init__(self) -> None:
        self.codes: dict[str, int] = {}

    def encode(self, values: pa.Array) -> np.ndarray:
        encoded = pc.dictionary_encode(values)
        dictionary = encoded.dictionary.to_pylist()
        lookup = np.array(
            [self.codes.setdefault(v, len(self.codes)) for v in dictionary] + [-1], np.int64
        )
        indices = pc.fill_null(encoded.indices, len(dictionary)).to_numpy(zero_copy_only=False)
        return lookup[indices]


def load_interactions(
    path: str | Path,
    employee_ids: Iterable[str] | None,
    *,
    opted_out: Iterable[str] = (),
    not_after: dt.datetime | None = None,
) -> InteractionLoad:
    """Stream and validate an interactions file against the known employee ids.

    Rows naming an unknown id or the same person twice are dropped and listed in the rejects;
    rows naming an opted-out person are dropped and only counted. Rows dated after
    ``not_after`` (a date in the future) are dropped, counted and listed in the rejects: one
    such row would otherwise move the default analysis date and flag everyone isolated. Any other malformed value
    raises :class:`DataError` naming file, row and column. With ``employee_ids=None`` only the
    values are checked and the returned table is empty (``matcher validate`` without employees).
    """
    file = str(path)
    check_only = employee_ids is None
    ids = list(employee_ids or [])
    known = pa.array(ids + list(opted_out), pa.string())
    n_known = len(ids)
    latest = None if not_after is None else int(not_after.timestamp())
    future_reason = (
        ""
        if not_after is None
        else f"dated after {not_after.date()} (in the future; give the analysis date, --as-of or [data] as_of, to keep them)"
    )
    collector = ProblemCollector()
    rejects = Rejects()
    report = LoadReport()
    events = _EventCodes()
    channel_names = pa.array([c.value for c in CHANNELS], pa.string())
    parts: list[InteractionTable] = []
    for batch in iter_batches(path, ("source", "target", "timestamp")):
        data = batch.data
        n = data.num_rows
        report.interaction_rows += n
        names = set(data.schema.names)
        column = {name: data.column(name) for name in INTERACTION_COLUMNS if name in names}
        rows = np.arange(batch.first_row, batch.first_row + n, dtype=np.int64)

        source = pc.utf8_trim_whitespace(pc.cast(column["source"], pa.string()))
        target = pc.utf8_trim_whitespace(pc.cast(column["target"], pa.string()))
        for name, values in (("source", source), ("target", target)):
            empty = np.asarray(
                pc.fill_null(pc.equal(values, ""), True).to_numpy(zero_copy_only=False)
            )
            _report_bad(collector, file, name, empty, batch, values, "missing employee id")

        seconds, bad_time = parse_timestamps(column["timestamp"])
        _report_bad(
            collector,
            file,
            "timestamp",
            bad_time,
            batch,
            column["timestamp"],
            "expected an ISO 8601 timestamp such as 2026-10-01T09:30:00+02:00, found {value!r}",
        )

        if "channel" in column:
            raw = pc.utf8_lower(pc.utf8_trim_whitespace(column["channel"]))
            blank = pc.fill_null(pc.equal(raw, ""), True)
            code = pc.index_in(pc.if_else(blank, "meeting", raw), value_set=channel_names)
            bad_channel = np.asarray(pc.is_null(code).to_numpy(zero_copy_only=False))
            valid = ", ".join(c.value for c in CHANNELS)
            _report_bad(
                collector,
                file,
                "channel",
                bad_channel,
                batch,
                column["channel"],
                f"unknown channel {{value!r}} (valid: {valid})",
            )
            channel = pc.fill_null(code, 0).to_numpy(zero_copy_only=False).astype(np.uint8)
        else:
            channel = np.full(n, CHANNELS.index(Channel.MEETING), np.uint8)

        if "duration_minutes" in column:
            duration, _, bad_number = _parse_numbers(column["duration_minutes"])
            negative = np.nan_to_num(duration, nan=0.0) < 0
            _report_bad(
                collector,
                file,
                "duration_minutes",
                bad_number,
                batch,
                column["duration_minutes"],
                "expected a number of minutes, found {value!r}",
            )
            _report_bad(
                collector,
                file,
                "duration_minutes",
                negative,
                batch,
                column["duration_minutes"],
                "duration cannot be negative (found {value!r})",
            )
        else:
            duration = np.full(n, np.nan)

        if "weight" in column:
            weight, missing, bad_number = _parse_numbers(column["weight"])
            negative = np.nan_to_num(weight, nan=0.0) < 0
            _report_bad(
                collector,
                file,
                "weight",
                bad_number,
                batch,
                column["weight"],
                "expected a number, found {value!r}",
            )
            _report_bad(
                collector,
                file,
                "weight",
                negative,
                batch,
                column["weight"],
                "weight cannot be negative (found {value!r})",
            )
            weight = np.where(missing, 1.0, weight)
        else:
            weight = np.ones(n)

        if collector or check_only:
            continue  # keep scanning for problems, build nothing

        source_index = pc.index_in(source, value_set=known).to_numpy(zero_copy_only=False)
        target_index = pc.index_in(target, value_set=known).to_numpy(zero_copy_only=False)
        source_index = np.nan_to_num(source_index.astype(np.float64), nan=-1).astype(np.int64)
        target_index = np.nan_to_num(target_index.astype(np.float64), nan=-1).astype(np.int64)
        unknown = (source_index < 0) | (target_index < 0)
        opted = ~unknown & ((source_index >= n_known) | (target_index >= n_known))
        same = ~unknown & ~opted & (source_index == target_index)
        if unknown.any():
            reasons = np.where(
                source_index[unknown] < 0,
                np.where(
                    target_index[unknown] < 0, "unknown source and target ids", "unknown source id"
                ),
                "unknown target id",
            )
            mask = pa.array(unknown)
            rejects.add(
                rows[unknown],
                source.filter(mask),
                target.filter(mask),
                pa.array(reasons.tolist(), pa.string()),
            )
        if same.any():
            mask = pa.array(same)
            rejects.add(
                rows[same],
                source.filter(mask),
                target.filter(mask),
                pa.array(["self-interaction"] * int(same.sum()), pa.string()),
            )
        future = np.zeros(n, bool)
        if latest is not None:
            future = ~unknown & ~opted & ~same & (seconds > latest)
            if future.any():
                mask = pa.array(future)
                rejects.add(
                    rows[future],
                    source.filter(mask),
                    target.filter(mask),
                    pa.array([future_reason] * int(future.sum()), pa.string()),
                )
        report.unknown_ids += int(unknown.sum())
        report.opted_out += int(opted.sum())
        report.self_interactions += int(same.sum())
        report.future_dated += int(future.sum())
        keep = ~(unknown | opted | same | future)

        if "event_id" in column:
            event = events.encode(pc.utf8_trim_whitespace(pc.cast(column["event_id"], pa.string())))
            event = np.where(
                np.asarray(
                    pc.fill_null(pc.equal(column["event_id"], ""), True).to_numpy(
                        zero_copy_only=False
                    )
                ),
                -1,
                event,
            )
        else:
            event = np.full(n, -1, np.int64)

        parts.append(
            InteractionTable(
                source=source_index[keep].astype(np.int32),
                target=target_index[keep].astype(np.int32),
                timestamp=seconds[keep],
                channel=channel[keep],
                duration=duration[keep].astype(np.float32),
                event=event[keep],
                weight=weight[keep].astype(np.float32),
            )
        )
    if report.interaction_rows == 0 and not collector:
        collector.add(file, None, None, "the file has no interaction records")
    collector.raise_if_any()
    table = InteractionTable.concat(parts)
    report.kept = len(table)
    return InteractionLoad(table, report, rejects, rejects.table(file))


# ---------------------------------------------------------------------------------- org


def load_org(
    employees: str | Path,
    interactions: str | Path | None = None,
    *,
    as_of: dt.date | dt.datetime | None = None,
) -> tuple[Org, pa.Table]:
    """Load an organisation from its employees file and (optionally) its interactions file.

    Opted-out employees are removed, and so is every interaction that names them. Without
    ``as_of``, interactions dated after tomorrow (UTC) are dropped and listed in the rejects
    (``report.future_dated`` counts them), so that the default analysis date, the latest
    interaction, is one that has happened.

    Returns
    -------
    (Org, pyarrow.Table)
        The organisation and the table of rejected interaction rows (possibly empty).

    Raises
    ------
    DataError
        For every malformed value, with file, row and column, and for a hire date after the
        analysis date.
    """
    people = load_employees(employees)
    kept = [e for e in people if not e.opt_out]
    opted = [e.id for e in people if e.opt_out]
    manager_of = {e.id: e.manager_id for e in people}
    org = Org(kept)
    org.manager_of = manager_of
    org.report.excluded_employees = len(opted)
    org.sources["employees"] = f"{employees} sha256:{file_sha256(employees)}"
    rejects = Rejects().table(str(interactions or ""))
    if interactions is not None:
        not_after = None
        if as_of is None:
            tomorrow = dt.datetime.now(tz=dt.UTC).date() + dt.timedelta(days=1)
            not_after = dt.datetime.combine(tomorrow, dt.time(23, 59, 59), tzinfo=dt.UTC)
        loaded = load_interactions(interactions, org.ids, opted_out=opted, not_after=not_after)
        org.interactions = loaded.table
        excluded = org.report.excluded_employees
        org.report = loaded.report
        org.report.excluded_employees = excluded
        org.sources["interactions"] = f"{interactions} sha256:{file_sha256(interactions)}"
        rejects = loaded.rejects_table
    org.as_of = resolve_as_of(as_of, org.interactions)
    check_hire_dates(kept, org.as_of, employees)
    return org, rejects


FUTURE_HIRE_DAYS = 366
"""People who start within this many days after the analysis date are future starters (new
hires, e.g. for pre-boarding buddies); a later hire date is surely a typo."""


def check_hire_dates(people: list[Employee], as_of: dt.datetime, file: str | Path) -> None:
    """A hire date more than :data:`FUTURE_HIRE_DAYS` after the analysis date (``9999-12-31``)
    is an error naming the row. Earlier future dates are people who have not started yet: HR
    exports list them, and onboarding programs pair them before their first day.

    Raises
    ------
    DataError
        Naming the row and ``hire_date`` of each such person.
    """
    today = as_of.date()
    latest = today + dt.timedelta(days=FUTURE_HIRE_DAYS)
    late = [e for e in people if e.hire_date is not None and e.hire_date > latest]
    if not late:
        return
    table, first_row = read_table(file, ("id",))  # the error path only: find the rows
    row_of: dict[str, int] = {}
    for offset, identity in enumerate(table.column("id").to_pylist()):
        row_of.setdefault(str(identity or "").strip(), first_row + offset)
    collector = ProblemCollector()
    for person in late:
        collector.add(
            str(file),
            row_of.get(person.id),
            "hire_date",
            f"hire_date {person.hire_date} of {person.id!r} is more than {FUTURE_HIRE_DAYS} days "
            f"after the analysis date {today}; correct it or pass a later --as-of",
        )
    collector.raise_if_any()


def resolve_as_of(as_of: dt.date | dt.datetime | None, table: InteractionTable) -> dt.datetime:
    """The analysis date: the one given (end of that day, UTC), else the latest interaction."""
    if isinstance(as_of, dt.datetime):
        return as_of if as_of.tzinfo else as_of.replace(tzinfo=dt.UTC)
    if isinstance(as_of, dt.date):
        return dt.datetime.combine(as_of, dt.time(23, 59, 59), tzinfo=dt.UTC)
    if len(table):
        return dt.datetime.fromtimestamp(int(table.timestamp.max()), tz=dt.UTC)
    return dt.datetime.now(tz=dt.UTC).replace(microsecond=0)


def check_no_data_error(errors: list[DataError]) -> None:
    """Raise one :class:`DataError` combining several (used when validating many files)."""
    problems = [p for e in errors for p in e.problems]
    if problems:
        raise DataError(problems, sum(e.total for e in errors))
