"""Arrow columns of text into Python and NumPy values: timestamps, numbers, lists, event codes.

The readers of :mod:`matcher.io.tables` hand over columns of strings (or, from JSON Lines and
Parquet, timestamps); these functions turn a whole column at once into values, with a mask of
the cells that could not be read, so that the loaders report every bad cell with its row.
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Iterator
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from matcher.model import LIST_SEPARATOR


def timestamp_text(column: pa.Array) -> pa.Array:
    """ISO text of a timestamp column: dates alone when every time is midnight.

    >>> import datetime as dt
    >>> timestamp_text(pa.array([dt.datetime(2020, 1, 2), None])).to_pylist()
    ['2020-01-02', None]
    """
    midnight = pc.and_(
        pc.and_(pc.equal(pc.hour(column), 0), pc.equal(pc.minute(column), 0)),
        pc.equal(pc.second(column), 0),
    )
    layout = "%Y-%m-%d" if pc.all(midnight).as_py() in (True, None) else "%Y-%m-%dT%H:%M:%S"
    return pc.strftime(column, format=layout)


def table_rows(table: pa.Table) -> Iterator[dict[str, Any]]:
    """``table.to_pylist()`` with list cells as tuples, built column by column (faster).

    Text that repeats (teams, locations, languages) comes out as one shared ``str`` per
    distinct value (:func:`python_values`).
    """
    columns = []
    for column in table.columns:
        array = column.combine_chunks()
        if pa.types.is_list(array.type):
            items = python_values(array.values)
            offsets = array.offsets.to_numpy().tolist()
            columns.append([tuple(items[a:b]) for a, b in itertools.pairwise(offsets)])
        else:
            columns.append(python_values(array))
    names = table.column_names
    return (dict(zip(names, values, strict=True)) for values in zip(*columns, strict=True))


def python_values(array: pa.Array) -> list[Any]:
    """``array.to_pylist()``; a text column with at most half as many distinct values as
    cells gives one shared ``str`` per value (a million employees' teams, locations and
    languages: a gigabyte less, and less time creating strings).

    >>> values = python_values(pa.array(["Core", None, "Core", "Core"]))
    >>> values, values[0] is values[2]
    (['Core', None, 'Core', 'Core'], True)
    """
    if pa.types.is_string(array.type) or pa.types.is_large_string(array.type):
        encoded = pc.dictionary_encode(array)
        if 2 * len(encoded.dictionary) <= len(array):
            shared = np.array([*encoded.dictionary.to_pylist(), None], dtype=object)
            codes = pc.fill_null(encoded.indices, len(shared) - 1)
            return list(shared[codes.to_numpy(zero_copy_only=False)].tolist())
    return list(array.to_pylist())


def blank_rows(table: pa.Table) -> np.ndarray:
    """Rows whose every cell is missing or blank."""
    blank = np.ones(table.num_rows, dtype=bool)
    for column in table.columns:
        filled = pc.not_equal(pc.utf8_trim_whitespace(column), "")
        blank &= ~pc.fill_null(filled, False).to_numpy(zero_copy_only=False)
    return blank


def split_list_column(column: pa.Array) -> pa.Array:
    """``;``-separated cells as lists of stripped, non-empty items (a missing cell: empty)."""
    parts = pc.split_pattern(pc.fill_null(column, ""), LIST_SEPARATOR)
    items = pc.utf8_trim_whitespace(pc.list_flatten(parts))
    parent = pc.list_parent_indices(parts).to_numpy(zero_copy_only=False)
    keep = pc.not_equal(items, "").to_numpy(zero_copy_only=False)
    counts = np.bincount(parent[keep], minlength=len(column))
    offsets = np.concatenate([[0], np.cumsum(counts)]).astype(np.int32)
    return pa.ListArray.from_arrays(pa.array(offsets), items.filter(pa.array(keep)))


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


def parse_numbers(values: pa.Array) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
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


class EventCodes:
    """Dense integer codes for event ids, numbered in order of first appearance across the
    batches of a file.

    Each batch is encoded on its own (:meth:`add` returns positions in the batch dictionaries
    seen so far) and :meth:`resolve` turns the positions into codes once, at the end, in one
    pass in Arrow: a Python dictionary of the ids cost a second per 5M rows.

    >>> events = EventCodes()
    >>> first = events.add(pa.array(["b", "a", None, "b"]))
    >>> second = events.add(pa.array(["c", "a"]))
    >>> events.resolve(first).tolist(), events.resolve(second).tolist()
    ([0, 1, -1, 0], [2, 1])
    """

    def __init__(self) -> None:
        self._dictionaries: list[pa.Array] = []
        self._seen = 0

    def add(self, values: pa.Array) -> np.ndarray:
        """Each value's position among the batch dictionaries seen so far; -1 for a missing
        one. Only :meth:`resolve` tells codes."""
        encoded = pc.dictionary_encode(values)
        local = pc.fill_null(encoded.indices, -1).to_numpy(zero_copy_only=False).astype(np.int64)
        positions = np.where(local < 0, -1, local + self._seen)
        self._dictionaries.append(encoded.dictionary)
        self._seen += len(encoded.dictionary)
        return positions

    def resolve(self, positions: np.ndarray) -> np.ndarray:
        """The codes of positions returned by :meth:`add` (-1 stays -1)."""
        if not self._dictionaries:
            return np.full(len(positions), -1, np.int64)
        every = pa.chunked_array(self._dictionaries, pa.string())
        first = pc.dictionary_encode(every).combine_chunks().indices  # first appearance order
        lookup = np.append(first.to_numpy(zero_copy_only=False).astype(np.int64), -1)
        return lookup[positions]
