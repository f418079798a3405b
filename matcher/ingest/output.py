"""Write ``interactions.csv`` and the rejects file: streamed, deduplicated, atomic, appendable.

Rows are streamed to a staging file in batches of :data:`BATCH` through pyarrow's CSV writer
while their keys are kept as 64-bit hashes (8 bytes a row); at the end the rows already
present, in the existing file or earlier in the run, are left out and the result is moved
into place. A row's key is its ``event_id``, source and target (the whole row when it has no
``event_id``), so ingesting a source twice, or in two parts, leaves the same rows as
ingesting it once. Memory holds one batch and the keys, whatever the number of rows.
"""

from __future__ import annotations

import csv
import os
from array import array
from collections.abc import Iterable, Iterator, Sequence
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import BinaryIO

import numpy as np
import pyarrow as pa
import pyarrow.csv as pcsv

from matcher.errors import DataError, Problem
from matcher.ingest.rows import INTERACTION_HEADER, Row, Unresolved
from matcher.io.tables import sniff_delimiter
from matcher.io.write import OutputDir, atomic_output, formula_safe
from matcher.privacy import Pseudonymizer

REJECTS_HEADER = ("file", "kind", "account", "email", "reason", "rows")


BATCH = 1 << 16
"""Rows written at a time (a few MiB of text)."""
_PLAIN = pcsv.WriteOptions(include_header=False, quoting_style="none")
_QUOTED = pcsv.WriteOptions(include_header=False, quoting_style="needed")


def row_key(row: Sequence[str]) -> int:
    """The 64-bit key of a row in :data:`INTERACTION_HEADER` order.

    Python's string hash, salted per process: keys are compared only within one run (the
    rows of an existing file are keyed again when appending), never stored.

    >>> a = ("E1", "E2", "2026-10-01T10:00:00+00:00", "chat", "", "slack-1", "1")
    >>> row_key(a) == row_key(("E1", "E2", "2026-10-02T10:00:00+00:00", "chat", "", "slack-1", "1"))
    True
    >>> row_key(a) == row_key(("E1", "E3", *a[2:]))
    False
    """
    event = row[5]
    return hash((event, row[0], row[1]) if event else tuple(row))


class _CsvBatches:
    """Rows of :data:`INTERACTION_HEADER` to an open binary file, :data:`BATCH` at a time.

    A batch is written unquoted (as the :mod:`csv` module writes such values); a batch
    holding a comma, quote or line break is written with every value quoted. Lines end in
    ``\\n``.
    """

    def __init__(self, handle: BinaryIO) -> None:
        self.handle = handle
        self.batch: list[Sequence[str]] = []
        handle.write((",".join(INTERACTION_HEADER) + "\n").encode("utf-8"))

    def add(self, row: Sequence[str]) -> None:
        self.batch.append(row)
        if len(self.batch) >= BATCH:
            self.flush()

    def flush(self) -> None:
        if not self.batch:
            return
        columns = zip(*self.batch, strict=True)
        table = pa.table(
            [pa.array(column, pa.string()) for column in columns], names=INTERACTION_HEADER
        )
        buffer = pa.BufferOutputStream()
        try:
            pcsv.write_csv(table, buffer, _PLAIN)
        except pa.ArrowInvalid:  # a value that needs quotes: this batch quotes every value
            buffer = pa.BufferOutputStream()
            pcsv.write_csv(table, buffer, _QUOTED)
        self.handle.write(buffer.getvalue().to_pybytes())
        self.batch = []


@dataclass(frozen=True)
class WriteReport:
    """What the output file holds: rows kept from before, rows added, duplicates left out."""

    existing: int
    added: int
    duplicates: int


def _read_existing(path: Path) -> Iterator[tuple[int, tuple[str, ...]]]:
    """The rows of an existing interactions CSV in our column order, with their row numbers."""
    file = str(path)
    with path.open(encoding="utf-8-sig", newline="") as handle:
        head = handle.readline()
        if not head.strip():
            return
        delimiter = sniff_delimiter(head, ("source", "target", "timestamp"))
        handle.seek(0)
        if handle.read(1) != "\ufeff":
            handle.seek(0)
        reader = csv.reader(handle, delimiter=delimiter)
        names = [n.strip().lower() for n in next(reader)]
        unknown = [n for n in names if n not in INTERACTION_HEADER]
        missing = [n for n in ("source", "target", "timestamp") if n not in names]
        if unknown or missing:
            what = (
                f"column {unknown[0]!r} is not an interactions column"
                if unknown
                else f"required column {missing[0]!r} is missing"
            )
            raise DataError(
                [
                    Problem(
                        file,
                        1,
                        (unknown or missing)[0],
                        f"cannot append: {what} (expected {', '.join(INTERACTION_HEADER)}); "
                        "write to a new file instead",
                    )
                ]
            )
        where = [names.index(c) if c in names else -1 for c in INTERACTION_HEADER]
        try:
            for number, record in enumerate(reader, start=2):
                if not record:
                    continue
                if len(record) != len(names):
                    raise DataError(
                        [
                            Problem(
                                file,
                                number,
                                None,
                                f"expected {len(names)} fields, found {len(record)}",
                            )
                        ]
                    )
                yield number, tuple(record[i].strip() if i >= 0 else "" for i in where)
        except csv.Error as exc:
            raise DataError(
                [Problem(file, reader.line_num, None, f"malformed CSV: {exc}")]
            ) from exc


def _safe(value: str) -> str:
    return str(formula_safe(value))


def _keep_mask(new: np.ndarray, existing: np.ndarray) -> np.ndarray | None:
    """True for the first occurrence of each key of ``new`` that is not in ``existing``;
    ``None`` when that is every key (the common case, checked in 17 bytes a row).

    >>> _keep_mask(np.array([3, 1, 3, 2], np.int64), np.array([2], np.int64)).tolist()
    [True, True, False, False]
    >>> _keep_mask(np.array([3, 1], np.int64), np.array([2], np.int64)) is None
    True
    """
    if len(new) == 0:
        return None
    ordered = np.sort(new)
    repeated = bool((ordered[1:] == ordered[:-1]).any())
    del ordered
    known: np.ndarray | None = None
    if len(existing):
        reference = np.sort(existing)
        where = np.searchsorted(reference, new)
        where[where == len(reference)] = 0
        known = reference[where] == new
        del where
    if not repeated and (known is None or not known.any()):
        return None
    keep = np.zeros(len(new), bool)
    keep[np.unique(new, return_index=True)[1]] = True
    if known is not None:
        keep &= ~known
    return keep
    _, first = np.unique(new, return_index=True)
    keep[first] = True
    if len(existing):
        keep &= ~np.isin(new, existing)
    return keep


class InteractionWriter:
    """Stage the rows of one run and move ``interactions.csv`` (and the rejects) into place.

    Use as a context manager: nothing replaces the outputs unless the block succeeds.
    """

    def __init__(self, out: Path, rejects: Path | None, *, append: bool) -> None:
        self.out = out
        self.rejects = rejects
        self.append = append
        self._stack = ExitStack()
        self._dirs: dict[Path, OutputDir] = {}

    def __enter__(self) -> InteractionWriter:
        for path in (self.out, self.rejects):
            if path is None:
                continue
            parent = path.parent.resolve()
            if parent not in self._dirs:
                self._dirs[parent] = self._stack.enter_context(atomic_output(parent))
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self._stack.__exit__(kind, error, trace)

    def _stage(self, path: Path) -> OutputDir:
        return self._dirs[path.parent.resolve()]

    def write(self, rows: Iterable[Row]) -> WriteReport:
        """Write the existing rows (with ``append``) and the new rows not already present."""
        staging = self._stage(self.out)
        candidates = staging.staging / ".candidates.csv"
        new_keys = array("q")
        safe: dict[str, str] = {}  # ids repeat: each is made formula-safe once
        with candidates.open("wb") as handle:
            writer = _CsvBatches(handle)
            for row in rows:
                sender, receiver = row[0], row[1]
                a = safe.get(sender)
                if a is None:
                    a = safe[sender] = _safe(sender)
                b = safe.get(receiver)
                if b is None:
                    b = safe[receiver] = _safe(receiver)
                if a is not sender or b is not receiver:
                    row = (a, b, *row[2:])
                new_keys.append(hash((row[5], a, b)) if row[5] else hash(row))
                writer.add(row)
            writer.flush()
        appending = self.append and self.out.exists() and self.out.stat().st_size > 0
        target = staging.path(self.out.name)
        keep = None
        if not appending:
            keep = _keep_mask(np.frombuffer(new_keys, np.int64), np.empty(0, np.int64))
            if keep is None:  # the common case: no second pass over the rows
                os.replace(candidates, target)
                return WriteReport(0, len(new_keys), 0)
        existing_keys = array("q")
        with target.open("wb") as handle:
            writer = _CsvBatches(handle)
            if appending:
                for _, record in _read_existing(self.out):
                    existing_keys.append(row_key(record))
                    writer.add(record)
                keep = _keep_mask(
                    np.frombuffer(new_keys, np.int64), np.frombuffer(existing_keys, np.int64)
                )
            with candidates.open(newline="", encoding="utf-8") as staged:
                reader = csv.reader(staged)
                next(reader)
                for index, staged_row in enumerate(reader):
                    if keep is None or keep[index]:
                        writer.add(staged_row)
            writer.flush()
        candidates.unlink()
        added = len(new_keys) if keep is None else int(keep.sum())
        return WriteReport(len(existing_keys), added, len(new_keys) - added)

    def write_rejects(
        self,
        unresolved: Sequence[tuple[str, str, Unresolved]],
        pseudonymizer: Pseudonymizer | None,
    ) -> int:
        """Write the rejects file: one row per unresolved identity and source file.

        With ``append``, rows of earlier runs are kept unless they belong to a source file of
        this run (re-ingesting a source replaces its rejects instead of adding to them).
        """
        if self.rejects is None:
            return 0
        rename = pseudonymizer.pseudonym if pseudonymizer else (lambda value: value)
        mine = {file for file, _, _ in unresolved}
        kept: list[list[str]] = []
        if self.append and self.rejects.exists():
            kept = [r for r in _read_rejects(self.rejects) if r[0] not in mine]
        fresh: list[list[str]] = []
        for file, kind, found in unresolved:
            ranked = sorted(found.rows.items(), key=lambda item: (-item[1], item[0]))
            for (key, email, reason), count in ranked:
                account = "" if key == email else key
                fresh.append(
                    [
                        file,
                        kind,
                        rename(account) if account else "",
                        rename(email) if email else "",
                        reason,
                        str(count),
                    ]
                )
        with (
            self._stage(self.rejects)
            .path(self.rejects.name)
            .open("w", newline="", encoding="utf-8") as handle
        ):
            writer = csv.writer(handle)
            writer.writerow(REJECTS_HEADER)
            writer.writerows(kept)
            writer.writerows([_safe(c) for c in row] for row in fresh)
        return len(fresh)


def _read_rejects(path: Path) -> list[list[str]]:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        reader = csv.reader(handle)
        header = next(reader, None)
        if header is None:
            return []
        if tuple(h.strip().lower() for h in header) != REJECTS_HEADER:
            raise DataError(
                [
                    Problem(
                        str(path),
                        1,
                        None,
                        f"cannot append: not a rejects file of matcher ingest (expected {', '.join(REJECTS_HEADER)})",
                    )
                ]
            )
        return [row for row in reader if row]
