"""Load interactions: stream an interactions file, validate every value, keep the rows to analyse.

Every malformed value is an error naming file, row and column; all problems are reported at
once (capped, with a count). Rows naming unknown ids, self-interactions and rows dated in the
future are not fatal: they are dropped, counted and listed in :class:`Rejects`.

The file is read in batches (:func:`matcher.io.tables.iter_batches`); each batch goes through
the same steps: :func:`_parse_batch` reads its values (reporting bad cells),
:func:`_screen_rows` drops the rows that name unknown, opted-out or the same people or a future
date, and the rows kept become one part of the :class:`~matcher.model.InteractionTable`.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from matcher.errors import Problem, ProblemCollector
from matcher.io.load.columns import EventCodes, parse_numbers, parse_timestamps
from matcher.io.tables import BLOCK_SIZE, Batch, iter_batches
from matcher.model import CHANNELS, Channel, InteractionTable, LoadReport

INTERACTION_COLUMNS = (
    "source",
    "target",
    "timestamp",
    "channel",
    "duration_minutes",
    "event_id",
    "weight",
)
CHANNEL_NAMES = tuple(c.value for c in CHANNELS)


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
        """Add rejected rows (numbers in the file), their ids and one reason each."""
        if len(rows):
            self.rows.append(rows)
            self.sources.append(sources)
            self.targets.append(targets)
            self.reasons.append(reasons)

    def __len__(self) -> int:
        """The number of rejected rows."""
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


@dataclass(frozen=True)
class _BadCells:
    """Reports a batch's bad cells, a column at a time, to one collector."""

    collector: ProblemCollector
    file: str
    rows: np.ndarray
    limit: int = 50

    def report(self, column: str, mask: np.ndarray, values: pa.Array, message: str) -> None:
        """Add a problem for each cell in ``mask`` (the first ``limit`` named, all counted);
        ``message`` may show the cell as ``{value!r}``."""
        where = np.flatnonzero(mask)
        if not len(where):
            return
        sample = [
            Problem(
                self.file,
                int(self.rows[i]),
                column,
                message.format(value=values[int(i)].as_py()),
            )
            for i in where[: self.limit]
        ]
        self.collector.add_many(len(where), sample)


@dataclass(frozen=True)
class _Values:
    """One batch's values, row by row (ids still as text)."""

    source: pa.Array
    target: pa.Array
    seconds: np.ndarray
    channel: np.ndarray
    duration: np.ndarray
    weight: np.ndarray


def _parse_batch(columns: dict[str, pa.Array], n: int, bad: _BadCells) -> _Values:
    """Read every column of a batch, reporting bad cells in the order of the columns."""
    source = _ids(columns["source"], "source", bad)
    target = _ids(columns["target"], "target", bad)
    seconds, bad_time = parse_timestamps(columns["timestamp"])
    bad.report(
        "timestamp",
        bad_time,
        columns["timestamp"],
        "expected an ISO 8601 timestamp such as 2026-10-01T09:30:00+02:00, found {value!r}",
    )
    return _Values(
        source=source,
        target=target,
        seconds=seconds,
        channel=_channels(columns.get("channel"), n, bad),
        duration=_amounts(
            columns.get("duration_minutes"),
            "duration_minutes",
            bad,
            "expected a number of minutes, found {value!r}",
            "duration cannot be negative (found {value!r})",
            missing=np.nan,
            n=n,
        ),
        weight=_amounts(
            columns.get("weight"),
            "weight",
            bad,
            "expected a number, found {value!r}",
            "weight cannot be negative (found {value!r})",
            missing=1.0,
            n=n,
        ),
    )


def _ids(values: pa.Array, name: str, bad: _BadCells) -> pa.Array:
    """Employee ids as trimmed text; a missing one is a bad cell."""
    ids = pc.utf8_trim_whitespace(pc.cast(values, pa.string()))
    empty = np.asarray(pc.fill_null(pc.equal(ids, ""), True).to_numpy(zero_copy_only=False))
    bad.report(name, empty, ids, "missing employee id")
    return ids


def _channels(values: pa.Array | None, n: int, bad: _BadCells) -> np.ndarray:
    """Channel codes (positions in :data:`~matcher.model.CHANNELS`); a blank cell or a missing
    column is a meeting."""
    if values is None:
        return np.full(n, CHANNELS.index(Channel.MEETING), np.uint8)
    raw = pc.utf8_lower(pc.utf8_trim_whitespace(values))
    blank = pc.fill_null(pc.equal(raw, ""), True)
    code = pc.index_in(
        pc.if_else(blank, "meeting", raw), value_set=pa.array(CHANNEL_NAMES, pa.string())
    )
    unknown = np.asarray(pc.is_null(code).to_numpy(zero_copy_only=False))
    valid = ", ".join(CHANNEL_NAMES)
    bad.report("channel", unknown, values, f"unknown channel {{value!r}} (valid: {valid})")
    return pc.fill_null(code, 0).to_numpy(zero_copy_only=False).astype(np.uint8)


def _amounts(
    values: pa.Array | None,
    name: str,
    bad: _BadCells,
    not_a_number: str,
    negative: str,
    *,
    missing: float,
    n: int,
) -> np.ndarray:
    """A column of optional non-negative numbers; blank cells (or no column) are ``missing``."""
    if values is None:
        return np.full(n, missing)
    numbers, blank, bad_number = parse_numbers(values)
    below_zero = np.nan_to_num(numbers, nan=0.0) < 0
    bad.report(name, bad_number, values, not_a_number)
    bad.report(name, below_zero, values, negative)
    return numbers if np.isnan(missing) else np.where(blank, missing, numbers)


@dataclass(frozen=True)
class _Screen:
    """Which rows to keep: both ids known, neither opted out, two people, not in the future."""

    known: pa.Array
    """The employee ids, then the opted-out ids."""
    n_known: int
    latest: int | None
    """Epoch seconds of ``not_after``, if any."""
    future_reason: str

    @classmethod
    def of(
        cls, employee_ids: list[str], opted_out: Iterable[str], not_after: dt.datetime | None
    ) -> _Screen:
        """The screen of these employees (in org order) and opted-out ids."""
        known = pa.array(employee_ids + list(opted_out), pa.string())
        if not_after is None:
            return cls(known, len(employee_ids), None, "")
        reason = (
            f"dated after {not_after.date()} (in the future; give the analysis date, "
            "--as-of or [data] as_of, to keep them)"
        )
        return cls(known, len(employee_ids), int(not_after.timestamp()), reason)

    def positions(self, ids: pa.Array) -> np.ndarray:
        """Each id's position in :attr:`known`, or -1.

        ``pc.index_in`` hashes every known id again at each call (0.2 s at a million
        people): callers look up many rows at once (:data:`LOOKUP_ROWS`).
        """
        index = pc.index_in(ids, value_set=self.known).to_numpy(zero_copy_only=False)
        return np.nan_to_num(index.astype(np.float64), nan=-1).astype(np.int64)


def _screen_rows(
    values: _Values,
    rows: np.ndarray,
    screen: _Screen,
    rejects: Rejects,
    report: LoadReport,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Drop the rows naming an unknown id (rejected), an opted-out person (counted), the same
    person twice or a future date (rejected). Returns the mask of rows kept and the source and
    target positions among the employees."""
    both = screen.positions(pa.concat_arrays([values.source, values.target]))
    source_index, target_index = both[: len(rows)], both[len(rows) :]
    unknown = (source_index < 0) | (target_index < 0)
    opted = ~unknown & ((source_index >= screen.n_known) | (target_index >= screen.n_known))
    same = ~unknown & ~opted & (source_index == target_index)
    future = np.zeros(len(rows), bool)
    if screen.latest is not None:
        future = ~unknown & ~opted & ~same & (values.seconds > screen.latest)

    def reject(mask: np.ndarray, reasons: list[str]) -> None:
        if mask.any():
            keep = pa.array(mask)
            rejects.add(
                rows[mask],
                values.source.filter(keep),
                values.target.filter(keep),
                pa.array(reasons, pa.string()),
            )

    reject(
        unknown,
        np.where(
            source_index[unknown] < 0,
            np.where(
                target_index[unknown] < 0, "unknown source and target ids", "unknown source id"
            ),
            "unknown target id",
        ).tolist(),
    )
    reject(same, ["self-interaction"] * int(same.sum()))
    reject(future, [screen.future_reason] * int(future.sum()))
    report.unknown_ids += int(unknown.sum())
    report.opted_out += int(opted.sum())
    report.self_interactions += int(same.sum())
    report.future_dated += int(future.sum())
    return ~(unknown | opted | same | future), source_index, target_index


def _event_codes(values: pa.Array | None, events: EventCodes, n: int) -> np.ndarray:
    """The event ids' positions in ``events`` (its codes once resolved); -1 for none."""
    if values is None:
        return np.full(n, -1, np.int64)
    codes = events.add(pc.utf8_trim_whitespace(pc.cast(values, pa.string())))
    blank = np.asarray(pc.fill_null(pc.equal(values, ""), True).to_numpy(zero_copy_only=False))
    return np.where(blank, -1, codes)


def load_interactions(
    path: str | Path,
    employee_ids: Iterable[str] | None,
    *,
    opted_out: Iterable[str] = (),
    not_after: dt.datetime | None = None,
    block_size: int = BLOCK_SIZE,
) -> InteractionLoad:
    """Stream and validate an interactions file against the known employee ids.

    Rows naming an unknown id or the same person twice are dropped and listed in the rejects;
    rows naming an opted-out person are dropped and only counted. Rows dated after
    ``not_after`` (a date in the future) are dropped, counted and listed in the rejects: one
    such row would otherwise move the default analysis date and flag everyone isolated.

    Parameters
    ----------
    path : str or Path
        A CSV, JSON, JSON Lines, Parquet or XLSX file with ``source``, ``target`` and
        ``timestamp`` columns (and optionally ``channel``, ``duration_minutes``, ``event_id``,
        ``weight``).
    employee_ids : iterable of str or None
        The ids of the employees to keep, in org order (positions in the returned table refer
        to it). ``None`` only checks the values and returns an empty table (``matcher
        validate`` without an employees file).
    opted_out : iterable of str, optional
        Ids of opted-out employees: their rows are dropped and counted, not rejected.
    not_after : datetime, optional
        Rows dated later are dropped and rejected.
    block_size : int, optional
        Bytes read at a time from CSV and JSON Lines (the memory a batch takes).

    Returns
    -------
    InteractionLoad
        The kept rows as an :class:`~matcher.model.InteractionTable`, the counts
        (:class:`~matcher.model.LoadReport`) and the rejected rows.

    Raises
    ------
    DataError
        For every malformed value, naming file, row and column, or when the file has no rows.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (folder / "i.csv").write_text(
    ...     "source,target,timestamp\\nE1,E2,2026-01-05\\nE1,E9,2026-01-06\\nE2,E2,2026-01-07\\n"
    ... )
    >>> loaded = load_interactions(folder / "i.csv", ["E1", "E2"])
    >>> len(loaded.table), loaded.report.unknown_ids, loaded.report.self_interactions
    (1, 1, 1)
    >>> loaded.rejects_table.column("reason").to_pylist()
    ['unknown target id', 'self-interaction']
    """
    file = str(path)
    check_only = employee_ids is None
    screen = _Screen.of(list(employee_ids or []), opted_out, not_after)
    collector = ProblemCollector()
    rejects = Rejects()
    report = LoadReport()
    events = EventCodes()
    parts: list[InteractionTable] = []
    batches = iter_batches(path, ("source", "target", "timestamp"), block_size=block_size)
    for batch in _joined(batches, LOOKUP_ROWS):
        n = batch.data.num_rows
        report.interaction_rows += n
        columns = _columns(batch)
        values = _parse_batch(columns, n, _BadCells(collector, file, batch.rows))
        if collector or check_only:
            continue  # keep scanning for problems, build nothing
        keep, source, target = _screen_rows(values, batch.rows, screen, rejects, report)
        event = _event_codes(columns.get("event_id"), events, n)
        parts.append(
            InteractionTable(
                source=source[keep].astype(np.int32),
                target=target[keep].astype(np.int32),
                timestamp=values.seconds[keep],
                channel=values.channel[keep],
                duration=values.duration[keep].astype(np.float32),
                event=event[keep],
                weight=values.weight[keep].astype(np.float32),
            )
        )
    if report.interaction_rows == 0 and not collector:
        collector.add(file, None, None, "the file has no interaction records")
    collector.raise_if_any()
    table = InteractionTable.concat(parts)
    table = dataclasses.replace(table, event=events.resolve(table.event))
    report.kept = len(table)
    return InteractionLoad(table, report, rejects, rejects.table(file))


LOOKUP_ROWS = 1 << 21
"""Rows screened at a time: the reader's small batches (4 MiB of CSV, 65,000 rows) are joined
up to this many, so that the known ids are hashed once per 2 million rows, not per batch
(``pc.index_in`` builds its hash table at every call: at a million people and 56M rows, 18 s
of lookups in batches of a million rows). Twice as many rows took 0.25 GB more at 100,000
people (the joined batch's text) for no time gained there."""


def _joined(batches: Iterable[Batch], rows: int) -> Iterator[Batch]:
    """Consecutive batches with the same columns joined into batches of at least ``rows``
    rows (the last may be smaller); their row numbers follow."""
    pending: list[Batch] = []
    count = 0

    def flush() -> Batch:
        if len(pending) == 1:
            return pending[0]
        table = pa.Table.from_batches([b.data for b in pending]).combine_chunks()
        data = table.to_batches()[0] if table.num_rows else pending[0].data
        return Batch(data, np.concatenate([b.rows for b in pending]))

    for batch in batches:
        if pending and batch.data.schema != pending[0].data.schema:
            yield flush()
            pending, count = [], 0
        pending.append(batch)
        count += batch.data.num_rows
        if count >= rows:
            yield flush()
            pending, count = [], 0
    if pending:
        yield flush()


def _columns(batch: Batch) -> dict[str, pa.Array]:
    """The batch's columns of the contract, by name (optional ones only when present)."""
    names = set(batch.data.schema.names)
    return {name: batch.data.column(name) for name in INTERACTION_COLUMNS if name in names}
