"""Writing outputs: atomic output folders, formula-safe CSV, JSON summaries."""

from __future__ import annotations

import csv
import json
import os
import shutil
import tempfile
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.csv as pcsv

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def formula_safe(value: object) -> object:
    """Neutralise a text cell a spreadsheet would run as a formula; numbers pass unchanged.

    >>> formula_safe("=HYPERLINK(1)"), formula_safe(-2.5), formula_safe("E1")
    ("'=HYPERLINK(1)", -2.5, 'E1')
    """
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


class OutputDir:
    """Files staged in a hidden folder and moved into place together by :func:`atomic_output`."""

    def __init__(self, staging: Path) -> None:
        self.staging = staging
        self.names: list[str] = []

    def path(self, name: str) -> Path:
        self.names.append(name)
        return self.staging / name

    def write_csv(self, name: str, header: Sequence[str], rows: Iterable[Sequence[object]]) -> None:
        with self.path(name).open("w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle)
            writer.writerow(header)
            for row in rows:
                writer.writerow([_cell(v) for v in row])

    def write_table(self, name: str, table: pa.Table) -> None:
        """Write a (large) arrow table as CSV; text columns are made formula-safe first."""
        pcsv.write_csv(_safe_table(table), self.path(name))

    def write_json(self, name: str, data: Any) -> None:
        with self.path(name).open("w", encoding="utf-8") as handle:
            json.dump(data, handle, indent=2, sort_keys=False, default=str)
            handle.write("\n")


def _cell(value: object) -> object:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return f"{value + 0.0:.6g}" if value != 0 else "0"
    return formula_safe(value)


def _safe_table(table: pa.Table) -> pa.Table:
    import pyarrow.compute as pc

    columns = []
    for column in table.columns:
        if pa.types.is_string(column.type):
            risky = pc.starts_with(column, "=")
            for start in FORMULA_STARTS[1:]:
                risky = pc.or_(risky, pc.starts_with(column, start))
            column = pc.if_else(
                pc.fill_null(risky, False), pc.binary_join_element_wise("'", column, ""), column
            )
        columns.append(column)
    return pa.table(columns, names=table.column_names)


@contextmanager
def atomic_output(directory: str | Path) -> Iterator[OutputDir]:
    """Stage outputs and move them into ``directory`` only if the block succeeds.

    Files are written to a hidden staging folder inside ``directory`` and renamed into place
    (``os.replace``, atomic per file on one file system) after everything is written; on error
    the staging folder is removed and ``directory`` keeps what it had.
    """
    target = Path(directory)
    target.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".staging-", dir=target))
    out = OutputDir(staging)
    try:
        yield out
        for name in out.names:
            os.replace(staging / name, target / name)
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def write_csv_file(
    path: str | Path, header: Sequence[str], rows: Iterable[Sequence[object]]
) -> None:
    """Write one CSV file atomically (a temporary file renamed into place)."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(prefix=f".{target.name}.", dir=target.parent)
    try:
        with os.fdopen(handle, "w", newline="", encoding="utf-8") as stream:
            writer = csv.writer(stream)
            writer.writerow(header)
            for row in rows:
                writer.writerow([_cell(v) for v in row])
        os.replace(temporary, target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
